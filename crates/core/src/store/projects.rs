//! C2, T7: the project tree under a customer, and internal projects.

use duly_protocol::EntityKind;
use uuid::Uuid;

use super::write::scope_of;
use super::{Store, Write, codec};
use crate::error::{CoreError, Result};
use crate::model::{Project, ProjectInput, WriteCtx, new_id, validate};

struct ProjectRow {
    id: String,
    customer_id: Option<String>,
    parent_id: Option<String>,
    name: String,
    archived: i64,
    milestones: String,
    created_by: String,
    created_at: String,
    deleted_at: Option<String>,
}

impl ProjectRow {
    fn into_project(self) -> Result<Project> {
        Ok(Project {
            id: codec::id(&self.id)?,
            fields: ProjectInput {
                customer_id: codec::opt_id(self.customer_id.as_deref())?,
                parent_id: codec::opt_id(self.parent_id.as_deref())?,
                name: self.name,
                archived: self.archived != 0,
                milestones: codec::from_json(&self.milestones)?,
            },
            created_by: codec::id(&self.created_by)?,
            created_at: codec::parse_ts(&self.created_at)?,
        })
    }
}

impl Store {
    pub async fn create_project(&self, ctx: WriteCtx, input: ProjectInput) -> Result<Project> {
        validate::project(&input)?;
        let mut w = self.begin(ctx).await?;
        check_references(&mut w, &input, None).await?;
        let project = Project { id: new_id(), fields: input, created_by: ctx.actor, created_at: w.now };
        let f = &project.fields;
        let (key, customer, parent) = (
            project.id.to_string(),
            f.customer_id.map(|c| c.to_string()),
            f.parent_id.map(|p| p.to_string()),
        );
        let (milestones, creator, at) =
            (codec::json(&f.milestones)?, project.created_by.to_string(), codec::ts(project.created_at));
        sqlx::query!(
            "INSERT INTO projects (id, customer_id, parent_id, name, archived, milestones, created_by, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            key, customer, parent, f.name, f.archived, milestones, creator, at
        )
        .execute(&mut *w.tx)
        .await?;
        w.created(scope_of(f.customer_id), EntityKind::Project, project.id, &codec::value(&project)?)?;
        w.commit().await?;
        Ok(project)
    }

    /// Renames, archives, moves in the tree, edits milestones. The customer cannot change:
    /// a project's tasks and comments live in its customer's scope.
    pub async fn update_project(&self, ctx: WriteCtx, id: Uuid, input: ProjectInput) -> Result<Project> {
        validate::project(&input)?;
        let mut w = self.begin(ctx).await?;
        let old = load(&mut w, id).await?;
        if input.customer_id != old.fields.customer_id {
            return Err(CoreError::Invalid {
                field: "customer_id",
                reason: "a project cannot move to another customer",
            });
        }
        check_references(&mut w, &input, Some(id)).await?;
        let new = Project { fields: input, ..old.clone() };
        let scope = scope_of(new.fields.customer_id);
        let changed =
            w.changed(scope, EntityKind::Project, id, &codec::value(&old)?, &codec::value(&new)?)?;
        if !changed.is_empty() {
            let f = &new.fields;
            let (key, parent, milestones) =
                (id.to_string(), f.parent_id.map(|p| p.to_string()), codec::json(&f.milestones)?);
            sqlx::query!(
                "UPDATE projects SET parent_id = ?, name = ?, archived = ?, milestones = ? WHERE id = ?",
                parent,
                f.name,
                f.archived,
                milestones,
                key
            )
            .execute(&mut *w.tx)
            .await?;
        }
        w.commit().await?;
        Ok(new)
    }

    /// The projects of a customer (or, with `None`, the internal ones), parents before children.
    pub async fn projects(&self, customer_id: Option<Uuid>) -> Result<Vec<Project>> {
        let key = customer_id.map(|c| c.to_string());
        let rows = sqlx::query_as!(
            ProjectRow,
            "SELECT id, customer_id, parent_id, name, archived, milestones, created_by, created_at, deleted_at
             FROM projects WHERE customer_id IS ? AND deleted_at IS NULL ORDER BY created_at",
            key
        )
        .fetch_all(self.reader())
        .await?;
        let projects: Vec<Project> = rows.into_iter().map(ProjectRow::into_project).collect::<Result<_>>()?;
        Ok(tree_order(projects))
    }
}

/// Orders a forest depth-first so every parent precedes its children.
fn tree_order(mut projects: Vec<Project>) -> Vec<Project> {
    let ids: std::collections::HashSet<Uuid> = projects.iter().map(|p| p.id).collect();
    let mut ordered = Vec::with_capacity(projects.len());
    let mut stack: Vec<Project> = Vec::new();
    let (roots, mut rest): (Vec<_>, Vec<_>) =
        projects.drain(..).partition(|p| p.fields.parent_id.is_none_or(|parent| !ids.contains(&parent)));
    for root in roots.into_iter().rev() {
        stack.push(root);
    }
    while let Some(project) = stack.pop() {
        let (children, others): (Vec<_>, Vec<_>) =
            rest.into_iter().partition(|p| p.fields.parent_id == Some(project.id));
        rest = others;
        ordered.push(project);
        stack.extend(children.into_iter().rev());
    }
    ordered
}

pub(crate) async fn load(w: &mut Write<'_>, id: Uuid) -> Result<Project> {
    let key = id.to_string();
    let row = sqlx::query_as!(
        ProjectRow,
        "SELECT id, customer_id, parent_id, name, archived, milestones, created_by, created_at, deleted_at
         FROM projects WHERE id = ?",
        key
    )
    .fetch_optional(&mut *w.tx)
    .await?;
    match row {
        None => Err(CoreError::NotFound { entity: "project", id }),
        Some(row) if row.deleted_at.is_some() => Err(CoreError::Deleted { entity: "project", id }),
        Some(row) => row.into_project(),
    }
}

async fn check_references(w: &mut Write<'_>, input: &ProjectInput, this: Option<Uuid>) -> Result<()> {
    if let Some(customer_id) = input.customer_id {
        super::customers::load(w, customer_id).await?;
    }
    let mut next = input.parent_id;
    while let Some(parent_id) = next {
        if Some(parent_id) == this {
            return Err(CoreError::Invalid {
                field: "parent_id",
                reason: "a project cannot be inside itself",
            });
        }
        let parent = load(w, parent_id).await?;
        if parent.fields.customer_id != input.customer_id {
            return Err(CoreError::Invalid { field: "parent_id", reason: "belongs to another customer" });
        }
        next = parent.fields.parent_id;
    }
    Ok(())
}

/// A project as stored, trashed or not, with whether it is in the trash (for the sync merge).
pub(crate) async fn stored(conn: &mut sqlx::SqliteConnection, id: Uuid) -> Result<Option<(Project, bool)>> {
    let key = id.to_string();
    let row = sqlx::query_as!(
        ProjectRow,
        "SELECT id, customer_id, parent_id, name, archived, milestones, created_by, created_at, deleted_at
         FROM projects WHERE id = ?",
        key
    )
    .fetch_optional(conn)
    .await?;
    row.map(|row| {
        let deleted = row.deleted_at.is_some();
        row.into_project().map(|project| (project, deleted))
    })
    .transpose()
}
