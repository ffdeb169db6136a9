//! Keeps the full-text index in step with the rows, inside the same write.

use uuid::Uuid;

use crate::error::Result;
use crate::model::{Comment, Customer, Task};
use crate::store::codec;
use crate::store::Write;

pub(crate) async fn customer(w: &mut Write<'_>, customer: &Customer, fresh: bool) -> Result<()> {
    let (doc, title, body) = customer_doc(customer);
    put(w, &doc, &title, &body, fresh).await
}

pub(crate) fn customer_doc(customer: &Customer) -> (Doc, String, String) {
    let f = &customer.fields;
    let mut body = String::new();
    for contact in &f.contacts {
        push(&mut body, &contact.name);
        push(&mut body, &contact.role);
        push(&mut body, &contact.email);
        push(&mut body, &contact.phone);
    }
    for text in f.emails.iter().chain(&f.phones) {
        push(&mut body, text);
    }
    for text in [&f.address, &f.tax_number, &f.website, &f.notes] {
        push(&mut body, text);
    }
    let doc = Doc {
        kind: "customer",
        entity_id: customer.id,
        customer_id: Some(customer.id),
        task_id: None,
        at: codec::ts(customer.created_at),
    };
    (doc, f.name.clone(), body)
}

pub(crate) async fn task(w: &mut Write<'_>, task: &Task, fresh: bool) -> Result<()> {
    let (doc, title, body) = task_doc(task);
    put(w, &doc, &title, &body, fresh).await
}

pub(crate) fn task_doc(task: &Task) -> (Doc, String, String) {
    let f = &task.fields;
    let mut body = f.description.clone();
    for item in &f.checklist {
        push(&mut body, &item.text);
    }
    if let Some(outcome) = &task.outcome {
        push(&mut body, outcome);
    }
    // A task is dated by its due day when it has one: "tasks due in March".
    let at = match f.due {
        Some(crate::model::Due::Day(day)) => format!("{}T00:00:00.000000Z", codec::day(day)),
        Some(crate::model::Due::At(at)) => codec::ts(at),
        None => codec::ts(task.created_at),
    };
    let doc = Doc { kind: "task", entity_id: task.id, customer_id: f.customer_id, task_id: Some(task.id), at };
    (doc, f.title.clone(), body)
}

pub(crate) async fn comment(w: &mut Write<'_>, comment: &Comment, fresh: bool) -> Result<()> {
    let (doc, title, body) = comment_doc(comment);
    put(w, &doc, &title, &body, fresh).await
}

pub(crate) fn comment_doc(comment: &Comment) -> (Doc, String, String) {
    let doc = Doc {
        kind: "comment",
        entity_id: comment.id,
        customer_id: comment.customer_id,
        task_id: comment.task_id,
        at: codec::ts(comment.created_at),
    };
    (doc, String::new(), comment.body.clone())
}

/// Takes an entity out of the index (it went to the trash).
pub(crate) async fn remove(w: &mut Write<'_>, entity_id: Uuid) -> Result<()> {
    let key = entity_id.to_string();
    let doc = sqlx::query_scalar!("DELETE FROM search_docs WHERE entity_id = ? RETURNING doc", key)
        .fetch_optional(&mut *w.tx)
        .await?;
    if let Some(doc) = doc {
        sqlx::query!("DELETE FROM search_index WHERE rowid = ?", doc).execute(&mut *w.tx).await?;
    }
    Ok(())
}

pub(crate) struct Doc {
    pub kind: &'static str,
    pub entity_id: Uuid,
    pub customer_id: Option<Uuid>,
    pub task_id: Option<Uuid>,
    pub at: String,
}

/// `fresh`: the entity was just created, so there is no old entry to replace.
async fn put(w: &mut Write<'_>, doc: &Doc, title: &str, body: &str, fresh: bool) -> Result<()> {
    if !fresh {
        remove(w, doc.entity_id).await?;
    }
    let (entity, customer, task) =
        (doc.entity_id.to_string(), doc.customer_id.map(|c| c.to_string()), doc.task_id.map(|t| t.to_string()));
    let row = sqlx::query_scalar!(
        "INSERT INTO search_docs (kind, entity_id, customer_id, task_id, at) VALUES (?, ?, ?, ?, ?) RETURNING doc",
        doc.kind, entity, customer, task, doc.at
    )
    .fetch_one(&mut *w.tx)
    .await?;
    sqlx::query!("INSERT INTO search_index (rowid, title, body) VALUES (?, ?, ?)", row, title, body)
        .execute(&mut *w.tx)
        .await?;
    Ok(())
}

fn push(body: &mut String, text: &str) {
    if !text.is_empty() {
        if !body.is_empty() {
            body.push('\n');
        }
        body.push_str(text);
    }
}
