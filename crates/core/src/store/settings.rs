//! The company's lists: colleagues, customer statuses (C3), keywords (C4), task status labels
//! (T3). They sync in the settings scope.

use std::collections::BTreeMap;

use duly_protocol::{EntityKind, Scope};
use serde_json::json;
use uuid::Uuid;

use super::{Store, Write, codec};
use crate::error::{CoreError, Result};
use crate::model::{
    Availability, Colleague, ColleagueInput, CustomerStatus, CustomerStatusInput, Keyword, TaskStatus,
    WriteCtx, new_id, validate,
};

impl Store {
    pub async fn create_colleague(&self, ctx: WriteCtx, input: ColleagueInput) -> Result<Colleague> {
        validate_colleague(&input)?;
        let mut w = self.begin(ctx).await?;
        let colleague = Colleague {
            id: new_id(),
            name: input.name,
            email: input.email,
            role: input.role,
            active: input.active,
            created_at: w.now,
            availability: Availability::default(),
        };
        insert_colleague(&mut w, &colleague).await?;
        w.created(Scope::Settings, EntityKind::Colleague, colleague.id, &codec::value(&colleague)?)?;
        w.commit().await?;
        Ok(colleague)
    }

    /// The first colleague of a new store: the person at the keyboard, who writes it.
    pub async fn create_profile(&self, input: ColleagueInput) -> Result<Colleague> {
        let id = new_id();
        let ctx = WriteCtx::window(id);
        validate_colleague(&input)?;
        let mut w = self.begin(ctx).await?;
        let colleague = Colleague {
            id,
            name: input.name,
            email: input.email,
            role: input.role,
            active: true,
            created_at: w.now,
            availability: Availability::default(),
        };
        insert_colleague(&mut w, &colleague).await?;
        w.created(Scope::Settings, EntityKind::Colleague, id, &codec::value(&colleague)?)?;
        let key = id.to_string();
        sqlx::query!("INSERT OR REPLACE INTO meta (key, value) VALUES ('profile_id', ?)", key)
            .execute(&mut *w.tx)
            .await?;
        w.commit().await?;
        Ok(colleague)
    }

    /// The colleague this store belongs to, once the first run created them.
    pub async fn profile_id(&self) -> Result<Option<Uuid>> {
        let value = sqlx::query_scalar!("SELECT value FROM meta WHERE key = 'profile_id'")
            .fetch_optional(self.reader())
            .await?;
        codec::opt_id(value.as_deref())
    }

    pub async fn update_colleague(
        &self,
        ctx: WriteCtx,
        id: Uuid,
        input: ColleagueInput,
    ) -> Result<Colleague> {
        validate_colleague(&input)?;
        let mut w = self.begin(ctx).await?;
        let old = colleague_in(&mut w, id).await?;
        let new = Colleague {
            name: input.name,
            email: input.email,
            role: input.role,
            active: input.active,
            ..old.clone()
        };
        let changed = w.changed(
            Scope::Settings,
            EntityKind::Colleague,
            id,
            &codec::value(&old)?,
            &codec::value(&new)?,
        )?;
        if !changed.is_empty() {
            let (key, role) = (id.to_string(), codec::enum_text(&new.role)?);
            sqlx::query!(
                "UPDATE colleagues SET name = ?, email = ?, role = ?, active = ? WHERE id = ?",
                new.name,
                new.email,
                role,
                new.active,
                key
            )
            .execute(&mut *w.tx)
            .await?;
        }
        w.commit().await?;
        Ok(new)
    }

    pub async fn colleagues(&self) -> Result<Vec<Colleague>> {
        let rows = sqlx::query!(
            "SELECT id, name, email, role, active, created_at, availability FROM colleagues ORDER BY name COLLATE NOCASE"
        )
        .fetch_all(self.reader())
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(Colleague {
                    id: codec::id(&r.id)?,
                    name: r.name,
                    email: r.email,
                    role: codec::parse_enum(&r.role)?,
                    active: r.active != 0,
                    created_at: codec::parse_ts(&r.created_at)?,
                    availability: codec::from_json(&r.availability)?,
                })
            })
            .collect()
    }

    pub async fn customer_statuses(&self) -> Result<Vec<CustomerStatus>> {
        let rows = sqlx::query!(
            "SELECT id, name, color, position, category FROM customer_statuses
             WHERE deleted_at IS NULL ORDER BY position, name"
        )
        .fetch_all(self.reader())
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(CustomerStatus {
                    id: codec::id(&r.id)?,
                    name: r.name,
                    color: r.color,
                    position: r.position,
                    category: codec::parse_enum(&r.category)?,
                })
            })
            .collect()
    }

    pub async fn create_customer_status(
        &self,
        ctx: WriteCtx,
        input: CustomerStatusInput,
    ) -> Result<CustomerStatus> {
        validate::required("name", &input.name, validate::NAME_MAX)?;
        validate::color(&input.color)?;
        let mut w = self.begin(ctx).await?;
        let status = CustomerStatus {
            id: new_id(),
            name: input.name,
            color: input.color,
            position: input.position,
            category: input.category,
        };
        let (key, category) = (status.id.to_string(), codec::enum_text(&status.category)?);
        sqlx::query!(
            "INSERT INTO customer_statuses (id, name, color, position, category) VALUES (?, ?, ?, ?, ?)",
            key,
            status.name,
            status.color,
            status.position,
            category
        )
        .execute(&mut *w.tx)
        .await?;
        w.created(Scope::Settings, EntityKind::CustomerStatus, status.id, &codec::value(&status)?)?;
        w.commit().await?;
        Ok(status)
    }

    /// Renames, recolours, reorders or recategorises a status.
    pub async fn update_customer_status(
        &self,
        ctx: WriteCtx,
        id: Uuid,
        input: CustomerStatusInput,
    ) -> Result<CustomerStatus> {
        validate::required("name", &input.name, validate::NAME_MAX)?;
        validate::color(&input.color)?;
        let mut w = self.begin(ctx).await?;
        ensure_customer_status(&mut w, id).await?;
        let old = self.customer_statuses().await?.into_iter().find(|s| s.id == id);
        let old = old.ok_or(CoreError::NotFound { entity: "customer_status", id })?;
        let new = CustomerStatus {
            id,
            name: input.name,
            color: input.color,
            position: input.position,
            category: input.category,
        };
        w.changed(
            Scope::Settings,
            EntityKind::CustomerStatus,
            id,
            &codec::value(&old)?,
            &codec::value(&new)?,
        )?;
        let (key, category) = (id.to_string(), codec::enum_text(&new.category)?);
        sqlx::query!(
            "UPDATE customer_statuses SET name = ?, color = ?, position = ?, category = ? WHERE id = ?",
            new.name,
            new.color,
            new.position,
            category,
            key
        )
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(new)
    }

    pub async fn keywords(&self) -> Result<Vec<Keyword>> {
        let rows = sqlx::query!("SELECT id, name FROM keywords WHERE deleted_at IS NULL ORDER BY name")
            .fetch_all(self.reader())
            .await?;
        rows.into_iter().map(|r| Ok(Keyword { id: codec::id(&r.id)?, name: r.name })).collect()
    }

    pub async fn create_keyword(&self, ctx: WriteCtx, name: &str) -> Result<Keyword> {
        validate::required("name", name, validate::NAME_MAX)?;
        let mut w = self.begin(ctx).await?;
        let keyword = Keyword { id: new_id(), name: name.trim().to_owned() };
        let key = keyword.id.to_string();
        sqlx::query!("INSERT INTO keywords (id, name) VALUES (?, ?)", key, keyword.name)
            .execute(&mut *w.tx)
            .await?;
        w.created(Scope::Settings, EntityKind::Keyword, keyword.id, &codec::value(&keyword)?)?;
        w.commit().await?;
        Ok(keyword)
    }

    pub async fn rename_keyword(&self, ctx: WriteCtx, id: Uuid, name: &str) -> Result<Keyword> {
        validate::required("name", name, validate::NAME_MAX)?;
        let mut w = self.begin(ctx).await?;
        let key = id.to_string();
        let old = sqlx::query_scalar!("SELECT name FROM keywords WHERE id = ? AND deleted_at IS NULL", key)
            .fetch_optional(&mut *w.tx)
            .await?
            .ok_or(CoreError::UnknownKeyword(id))?;
        let new_name = name.trim().to_owned();
        w.changed(
            Scope::Settings,
            EntityKind::Keyword,
            id,
            &json!({ "name": old }),
            &json!({ "name": new_name }),
        )?;
        sqlx::query!("UPDATE keywords SET name = ? WHERE id = ?", new_name, key).execute(&mut *w.tx).await?;
        w.commit().await?;
        Ok(Keyword { id, name: new_name })
    }

    /// The company's labels for the five fixed statuses.
    pub async fn task_status_labels(&self) -> Result<BTreeMap<String, String>> {
        let rows =
            sqlx::query!("SELECT status, label FROM task_status_labels").fetch_all(self.reader()).await?;
        Ok(rows.into_iter().map(|r| (r.status, r.label)).collect())
    }

    pub async fn set_task_status_label(&self, ctx: WriteCtx, status: TaskStatus, label: &str) -> Result<()> {
        validate::required("label", label, validate::NAME_MAX)?;
        let mut w = self.begin(ctx).await?;
        let key = status.as_str();
        let old = sqlx::query_scalar!("SELECT label FROM task_status_labels WHERE status = ?", key)
            .fetch_one(&mut *w.tx)
            .await?;
        // The status's own position in a fixed id space keeps replicas on one row per status.
        let id = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0300 + status as u128);
        w.changed(
            Scope::Settings,
            EntityKind::TaskStatusLabel,
            id,
            &json!({ "label": old }),
            &json!({ "label": label.trim() }),
        )?;
        let label = label.trim();
        sqlx::query!("UPDATE task_status_labels SET label = ? WHERE status = ?", label, key)
            .execute(&mut *w.tx)
            .await?;
        w.commit().await
    }
}

fn validate_colleague(input: &ColleagueInput) -> Result<()> {
    validate::required("name", &input.name, validate::NAME_MAX)?;
    validate::limit("email", &input.email, validate::NAME_MAX)?;
    if !input.email.is_empty() && !input.email.contains('@') {
        return Err(CoreError::Invalid { field: "email", reason: "is not an e-mail address" });
    }
    Ok(())
}

async fn insert_colleague(w: &mut Write<'_>, colleague: &Colleague) -> Result<()> {
    let (key, role, at) =
        (colleague.id.to_string(), codec::enum_text(&colleague.role)?, codec::ts(colleague.created_at));
    let availability = codec::json(&colleague.availability)?;
    sqlx::query!(
        "INSERT INTO colleagues (id, name, email, role, active, created_at, availability) VALUES (?, ?, ?, ?, ?, ?, ?)",
        key, colleague.name, colleague.email, role, colleague.active, at, availability
    )
    .execute(&mut *w.tx)
    .await?;
    Ok(())
}

pub(crate) async fn colleague_in(w: &mut Write<'_>, id: Uuid) -> Result<Colleague> {
    let key = id.to_string();
    let row = sqlx::query!(
        "SELECT id, name, email, role, active, created_at, availability FROM colleagues WHERE id = ?",
        key
    )
    .fetch_optional(&mut *w.tx)
    .await?
    .ok_or(CoreError::NotFound { entity: "colleague", id })?;
    Ok(Colleague {
        id,
        name: row.name,
        email: row.email,
        role: codec::parse_enum(&row.role)?,
        active: row.active != 0,
        created_at: codec::parse_ts(&row.created_at)?,
        availability: codec::from_json(&row.availability)?,
    })
}

/// A colleague referenced by a write must exist and be active.
pub(crate) async fn ensure_colleague(w: &mut Write<'_>, id: Uuid, field: &'static str) -> Result<()> {
    let key = id.to_string();
    let active = sqlx::query_scalar!("SELECT active FROM colleagues WHERE id = ?", key)
        .fetch_optional(&mut *w.tx)
        .await?;
    match active {
        None => Err(CoreError::NotFound { entity: "colleague", id }),
        Some(0) => Err(CoreError::Invalid { field, reason: "colleague is not active" }),
        Some(_) => Ok(()),
    }
}

pub(crate) async fn ensure_customer_status(w: &mut Write<'_>, id: Uuid) -> Result<()> {
    let key = id.to_string();
    let deleted = sqlx::query_scalar!("SELECT deleted_at FROM customer_statuses WHERE id = ?", key)
        .fetch_optional(&mut *w.tx)
        .await?;
    match deleted {
        None => Err(CoreError::NotFound { entity: "customer_status", id }),
        Some(Some(_)) => Err(CoreError::Deleted { entity: "customer_status", id }),
        Some(None) => Ok(()),
    }
}

pub(crate) async fn ensure_keyword(w: &mut Write<'_>, id: Uuid) -> Result<()> {
    let key = id.to_string();
    let live = sqlx::query_scalar!(
        "SELECT 1 AS \"one!: i64\" FROM keywords WHERE id = ? AND deleted_at IS NULL",
        key
    )
    .fetch_optional(&mut *w.tx)
    .await?;
    live.map(|_| ()).ok_or(CoreError::UnknownKeyword(id))
}

impl Store {
    /// A preference of this installation (language, time zone, theme): local, never synced.
    pub async fn preference(&self, key: &str) -> Result<Option<String>> {
        let key = format!("pref.{key}");
        Ok(sqlx::query_scalar!("SELECT value FROM meta WHERE key = ?", key)
            .fetch_optional(self.reader())
            .await?)
    }

    /// The person's time zone: the saved preference, else this computer's.
    pub async fn time_zone(&self) -> Result<chrono_tz::Tz> {
        Ok(crate::clock::chosen_zone(self.preference("time_zone").await?.as_deref()))
    }

    /// Saves several preferences in one transaction: all of them or none.
    pub async fn set_preferences(&self, entries: &[(&str, &str)]) -> Result<()> {
        for (_, value) in entries {
            validate::limit("preference", value, validate::NAME_MAX)?;
        }
        let mut w = self.begin(WriteCtx { actor: Uuid::nil(), source: crate::model::Source::Window }).await?;
        for (key, value) in entries {
            let key = format!("pref.{key}");
            sqlx::query!("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", key, value)
                .execute(&mut *w.tx)
                .await?;
        }
        w.commit().await
    }
}
