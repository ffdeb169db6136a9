//! The rows each kind of record contributes to a bulk write (import, and remote operations).

use duly_protocol::{EntityKind, Scope};

use super::bulk::{Cell, Companions, Rows, TASK_INSERT, task_cells};
use super::write::scope_of;
use super::{Write, codec};
use crate::error::Result;
use crate::model::{Colleague, Comment, Customer, CustomerStatus, Keyword, Project, Task};

pub(crate) const COLLEAGUE_INSERT: &str =
    "INSERT INTO colleagues (id, name, email, role, active, created_at, availability)";
pub(crate) const CUSTOMER_INSERT: &str = "INSERT INTO customers (id, name, kind, contacts, emails, phones, address, \
    tax_number, website, notes, account_owner_id, status_id, created_by, created_at, updated_at)";
pub(crate) const PROJECT_INSERT: &str =
    "INSERT INTO projects (id, customer_id, parent_id, name, archived, milestones, created_by, created_at)";
pub(crate) const COMMENT_INSERT: &str = "INSERT INTO comments (id, task_id, customer_id, author_id, body, keywords, \
    task_status_change, customer_status_change, attachments, system, created_at)";
pub(crate) const STATUS_INSERT: &str = "INSERT INTO customer_statuses (id, name, color, position, category)";
pub(crate) const KEYWORD_INSERT: &str = "INSERT INTO keywords (id, name)";

pub(crate) fn colleague_cells(c: &Colleague) -> Result<Vec<Cell>> {
    Ok(vec![
        c.id.to_string().into(),
        c.name.clone().into(),
        c.email.clone().into(),
        codec::enum_text(&c.role)?.into(),
        Cell::Int(i64::from(c.active)),
        codec::ts(c.created_at).into(),
        codec::json(&c.availability)?.into(),
    ])
}

pub(crate) fn customer_cells(c: &Customer) -> Result<Vec<Cell>> {
    let f = &c.fields;
    let at = codec::ts(c.created_at);
    Ok(vec![
        c.id.to_string().into(),
        f.name.clone().into(),
        codec::enum_text(&f.kind)?.into(),
        codec::json(&f.contacts)?.into(),
        codec::json(&f.emails)?.into(),
        codec::json(&f.phones)?.into(),
        f.address.clone().into(),
        f.tax_number.clone().into(),
        f.website.clone().into(),
        f.notes.clone().into(),
        f.account_owner_id.map(|o| o.to_string()).into(),
        f.status_id.map(|s| s.to_string()).into(),
        c.created_by.to_string().into(),
        at.clone().into(),
        at.into(),
    ])
}

pub(crate) fn project_cells(p: &Project) -> Result<Vec<Cell>> {
    let f = &p.fields;
    Ok(vec![
        p.id.to_string().into(),
        f.customer_id.map(|c| c.to_string()).into(),
        f.parent_id.map(|c| c.to_string()).into(),
        f.name.clone().into(),
        Cell::Int(i64::from(f.archived)),
        codec::json(&f.milestones)?.into(),
        p.created_by.to_string().into(),
        codec::ts(p.created_at).into(),
    ])
}

pub(crate) fn comment_cells(c: &Comment) -> Result<Vec<Cell>> {
    Ok(vec![
        c.id.to_string().into(),
        c.task_id.map(|t| t.to_string()).into(),
        c.customer_id.map(|x| x.to_string()).into(),
        c.author_id.to_string().into(),
        c.body.clone().into(),
        codec::json(&c.keyword_ids)?.into(),
        c.task_status_change.map(|s| s.as_str().to_owned()).into(),
        c.customer_status_change.map(|s| s.to_string()).into(),
        codec::json(&c.attachments)?.into(),
        Cell::Int(i64::from(c.system)),
        codec::ts(c.created_at).into(),
    ])
}

pub(crate) fn status_cells(s: &CustomerStatus) -> Result<Vec<Cell>> {
    Ok(vec![
        s.id.to_string().into(),
        s.name.clone().into(),
        s.color.clone().into(),
        Cell::Int(s.position),
        codec::enum_text(&s.category)?.into(),
    ])
}

pub(crate) fn keyword_cells(k: &Keyword) -> Vec<Cell> {
    vec![k.id.to_string().into(), k.name.clone().into()]
}

pub(crate) async fn colleagues(
    w: &mut Write<'_>,
    extra: &mut Companions,
    records: &[Colleague],
) -> Result<()> {
    let mut rows = Rows::new(COLLEAGUE_INSERT, 7);
    for c in records {
        rows.push(colleague_cells(c)?);
        extra.created(
            w,
            Scope::Settings,
            EntityKind::Colleague,
            c.id,
            codec::json(c)?,
            &codec::ts(c.created_at),
        )?;
    }
    rows.flush(&mut w.tx).await
}

pub(crate) async fn customers(w: &mut Write<'_>, extra: &mut Companions, records: &[Customer]) -> Result<()> {
    let mut rows = Rows::new(CUSTOMER_INSERT, 15);
    for c in records {
        rows.push(customer_cells(c)?);
        extra.created(
            w,
            scope_of(Some(c.id)),
            EntityKind::Customer,
            c.id,
            codec::json(c)?,
            &codec::ts(c.created_at),
        )?;
    }
    rows.flush(&mut w.tx).await
}

pub(crate) async fn projects(w: &mut Write<'_>, extra: &mut Companions, records: &[Project]) -> Result<()> {
    let mut rows = Rows::new(PROJECT_INSERT, 8);
    // Parents first: the foreign key checks each row as it is written.
    let mut ordered: Vec<&Project> = records.iter().filter(|p| p.fields.parent_id.is_none()).collect();
    ordered.extend(records.iter().filter(|p| p.fields.parent_id.is_some()));
    for p in ordered {
        rows.push(project_cells(p)?);
        let at = codec::ts(p.created_at);
        extra.created(w, scope_of(p.fields.customer_id), EntityKind::Project, p.id, codec::json(p)?, &at)?;
    }
    rows.flush(&mut w.tx).await
}

pub(crate) async fn tasks(w: &mut Write<'_>, extra: &mut Companions, records: &[Task]) -> Result<()> {
    let mut rows = Rows::new(TASK_INSERT, 23);
    for t in records {
        rows.push(task_cells(t)?);
        let at = codec::ts(t.created_at);
        extra.created(w, scope_of(t.fields.customer_id), EntityKind::Task, t.id, codec::json(t)?, &at)?;
    }
    rows.flush(&mut w.tx).await
}

pub(crate) async fn comments(w: &mut Write<'_>, extra: &mut Companions, records: &[Comment]) -> Result<()> {
    let mut rows = Rows::new(COMMENT_INSERT, 11);
    for c in records {
        rows.push(comment_cells(c)?);
        let at = codec::ts(c.created_at);
        extra.created(w, scope_of(c.customer_id), EntityKind::Comment, c.id, codec::json(c)?, &at)?;
    }
    rows.flush(&mut w.tx).await
}
