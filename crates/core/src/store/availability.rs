//! T14: when colleagues work, their absences and deputies; the warning on assignment and the
//! hand-over of an absent colleague's open work.

use chrono::NaiveDate;
use duly_protocol::{EntityKind, Scope};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Store, codec};
use crate::error::{CoreError, Result};
use crate::model::{Absence, Availability, Colleague, Weekday, WriteCtx, validate};

/// Said when a task would be given to someone away on its due day, or on a day they do not
/// work (a part-timer's free weekday).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct AbsenceWarning {
    pub colleague_id: Uuid,
    /// The absence that covers the day; `None`: the day is not one of their working days.
    pub absence: Option<Absence>,
    /// Who stands in, if they are active and not away that day themselves.
    pub deputy: Option<Colleague>,
}

/// One of the person's working weekdays. Public holidays are everyone's, so they warn nobody.
fn works_on(availability: &Availability, day: NaiveDate) -> bool {
    availability.work_days.contains(&Weekday::of(day))
}

impl Store {
    /// Replaces a colleague's working week, absences and deputy (synced with the colleague).
    pub async fn set_availability(
        &self,
        ctx: WriteCtx,
        id: Uuid,
        mut availability: Availability,
    ) -> Result<Colleague> {
        validate::availability(id, &availability)?;
        availability.work_days.sort();
        availability.work_days.dedup();
        availability.absences.sort_by_key(|a| a.from);
        let mut w = self.begin(ctx).await?;
        if let Some(deputy) = availability.deputy_id {
            super::settings::ensure_colleague(&mut w, deputy, "availability.deputy_id").await?;
        }
        let old = super::settings::colleague_in(&mut w, id).await?;
        let new = Colleague { availability, ..old.clone() };
        let changed = w.changed(
            Scope::Settings,
            EntityKind::Colleague,
            id,
            &codec::value(&old)?,
            &codec::value(&new)?,
        )?;
        if !changed.is_empty() {
            let (key, text) = (id.to_string(), codec::json(&new.availability)?);
            sqlx::query!("UPDATE colleagues SET availability = ? WHERE id = ?", text, key)
                .execute(&mut *w.tx)
                .await?;
        }
        w.commit().await?;
        Ok(new)
    }

    /// T14: is `colleague` away on `day`? Then who could take the task instead.
    pub async fn absence_warning(&self, colleague: Uuid, day: NaiveDate) -> Result<Option<AbsenceWarning>> {
        let colleagues = self.colleagues().await?;
        let find = |id: Uuid| colleagues.iter().find(|c| c.id == id);
        let person = find(colleague).ok_or(CoreError::NotFound { entity: "colleague", id: colleague })?;
        let absence = person.availability.absence_on(day).cloned();
        if absence.is_none() && works_on(&person.availability, day) {
            return Ok(None);
        }
        let deputy = person
            .availability
            .deputy_id
            .and_then(find)
            .filter(|d| {
                d.active && d.availability.absence_on(day).is_none() && works_on(&d.availability, day)
            })
            .cloned();
        Ok(Some(AbsenceWarning { colleague_id: colleague, absence, deputy }))
    }

    /// T14: gives every open task of `from` to `to`; each move is a history entry of its task.
    /// Returns how many moved.
    pub async fn hand_over(&self, ctx: WriteCtx, from: Uuid, to: Uuid) -> Result<u32> {
        if from == to {
            return Err(CoreError::Invalid { field: "to", reason: "hand over to someone else" });
        }
        let mut w = self.begin(ctx).await?;
        super::settings::colleague_in(&mut w, from).await?;
        super::settings::ensure_colleague(&mut w, to, "to").await?;
        let key = from.to_string();
        let ids = sqlx::query_scalar!(
            "SELECT id FROM tasks WHERE responsible_id = ?
               AND status IN ('open', 'in_progress', 'waiting') AND deleted_at IS NULL",
            key
        )
        .fetch_all(&mut *w.tx)
        .await?;
        let mut moved = 0;
        for id in ids {
            let old = super::tasks::load(&mut w, codec::id(&id)?).await?;
            let mut new = old.clone();
            new.fields.responsible_id = Some(to);
            new.fields.watchers.retain(|watcher| *watcher != to);
            new.updated_at = w.now;
            super::tasks::save(&mut w, &old, &new).await?;
            moved += 1;
        }
        w.commit().await?;
        Ok(moved)
    }
}
