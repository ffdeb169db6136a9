//! C1, C3, C9: customers and their pipeline status.

use duly_protocol::EntityKind;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::write::scope_of;
use super::{Store, Write, codec};
use crate::error::{CoreError, Result};
use crate::model::{Customer, CustomerInput, CustomerKind, WriteCtx, new_id, validate};

/// A row of the customer list and the pipeline board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct CustomerSummary {
    pub id: Uuid,
    pub name: String,
    pub kind: CustomerKind,
    pub status_id: Option<Uuid>,
    pub account_owner_id: Option<Uuid>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct CustomerFilter {
    /// Part of the name, any case.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub status_id: Option<Uuid>,
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub offset: Option<u32>,
}

struct CustomerRow {
    id: String,
    name: String,
    kind: String,
    contacts: String,
    emails: String,
    phones: String,
    address: String,
    tax_number: String,
    website: String,
    notes: String,
    account_owner_id: Option<String>,
    status_id: Option<String>,
    created_by: String,
    created_at: String,
    deleted_at: Option<String>,
}

impl CustomerRow {
    fn into_customer(self) -> Result<Customer> {
        Ok(Customer {
            id: codec::id(&self.id)?,
            fields: CustomerInput {
                name: self.name,
                kind: codec::parse_enum(&self.kind)?,
                contacts: codec::from_json(&self.contacts)?,
                emails: codec::from_json(&self.emails)?,
                phones: codec::from_json(&self.phones)?,
                address: self.address,
                tax_number: self.tax_number,
                website: self.website,
                notes: self.notes,
                account_owner_id: codec::opt_id(self.account_owner_id.as_deref())?,
                status_id: codec::opt_id(self.status_id.as_deref())?,
            },
            created_by: codec::id(&self.created_by)?,
            created_at: codec::parse_ts(&self.created_at)?,
        })
    }
}

impl Store {
    pub async fn create_customer(&self, ctx: WriteCtx, input: CustomerInput) -> Result<Customer> {
        validate::customer(&input)?;
        let mut w = self.begin(ctx).await?;
        check_references(&mut w, &input).await?;
        let customer = Customer { id: new_id(), fields: input, created_by: ctx.actor, created_at: w.now };
        insert(&mut w, &customer).await?;
        w.created(scope_of(Some(customer.id)), EntityKind::Customer, customer.id, &codec::value(&customer)?)?;
        w.commit().await?;
        Ok(customer)
    }

    /// Replaces the editable fields; one history entry per field that changed.
    pub async fn update_customer(&self, ctx: WriteCtx, id: Uuid, input: CustomerInput) -> Result<Customer> {
        validate::customer(&input)?;
        let mut w = self.begin(ctx).await?;
        let old = load(&mut w, id).await?;
        check_references(&mut w, &input).await?;
        let new = Customer { fields: input, ..old.clone() };
        save(&mut w, &old, &new).await?;
        w.commit().await?;
        Ok(new)
    }

    /// C3: moves a customer in the pipeline (the board's drag and drop).
    pub async fn set_customer_status(
        &self,
        ctx: WriteCtx,
        id: Uuid,
        status_id: Option<Uuid>,
    ) -> Result<Customer> {
        let mut w = self.begin(ctx).await?;
        let old = load(&mut w, id).await?;
        let new = set_status_in(&mut w, &old, status_id).await?;
        w.commit().await?;
        Ok(new)
    }

    pub async fn customer(&self, id: Uuid) -> Result<Customer> {
        let key = id.to_string();
        let row = sqlx::query_as!(
            CustomerRow,
            "SELECT id, name, kind, contacts, emails, phones, address, tax_number, website, notes,
                    account_owner_id, status_id, created_by, created_at, deleted_at
             FROM customers WHERE id = ?",
            key
        )
        .fetch_optional(self.reader())
        .await?;
        live(row, id)?.into_customer()
    }

    pub async fn list_customers(&self, filter: &CustomerFilter) -> Result<Vec<CustomerSummary>> {
        let pattern = format!("%{}%", filter.name.as_deref().unwrap_or("").trim());
        let status = filter.status_id.map(|s| s.to_string());
        let limit = i64::from(filter.limit.unwrap_or(500).min(5_000));
        let offset = i64::from(filter.offset.unwrap_or(0));
        let rows = sqlx::query!(
            r#"SELECT id, name, kind, status_id, account_owner_id,
                      emails ->> '$[0]' AS "email: String", phones ->> '$[0]' AS "phone: String"
               FROM customers
               WHERE deleted_at IS NULL AND name LIKE ?1 AND (?2 IS NULL OR status_id = ?2)
               ORDER BY name COLLATE NOCASE LIMIT ?3 OFFSET ?4"#,
            pattern,
            status,
            limit,
            offset
        )
        .fetch_all(self.reader())
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok(CustomerSummary {
                    id: codec::id(&row.id)?,
                    name: row.name,
                    kind: codec::parse_enum(&row.kind)?,
                    status_id: codec::opt_id(row.status_id.as_deref())?,
                    account_owner_id: codec::opt_id(row.account_owner_id.as_deref())?,
                    email: row.email,
                    phone: row.phone,
                })
            })
            .collect()
    }
}

/// Reads a customer inside a write, refusing missing and trashed ones.
pub(crate) async fn load(w: &mut Write<'_>, id: Uuid) -> Result<Customer> {
    let key = id.to_string();
    let row = sqlx::query_as!(
        CustomerRow,
        "SELECT id, name, kind, contacts, emails, phones, address, tax_number, website, notes,
                account_owner_id, status_id, created_by, created_at, deleted_at
         FROM customers WHERE id = ?",
        key
    )
    .fetch_optional(&mut *w.tx)
    .await?;
    live(row, id)?.into_customer()
}

fn live(row: Option<CustomerRow>, id: Uuid) -> Result<CustomerRow> {
    match row {
        None => Err(CoreError::NotFound { entity: "customer", id }),
        Some(row) if row.deleted_at.is_some() => Err(CoreError::Deleted { entity: "customer", id }),
        Some(row) => Ok(row),
    }
}

/// C9: sets the status as part of a larger write (a comment).
pub(crate) async fn set_status_in(
    w: &mut Write<'_>,
    old: &Customer,
    status_id: Option<Uuid>,
) -> Result<Customer> {
    if let Some(status) = status_id {
        super::settings::ensure_customer_status(w, status).await?;
    }
    let mut new = old.clone();
    new.fields.status_id = status_id;
    save(w, old, &new).await?;
    Ok(new)
}

async fn check_references(w: &mut Write<'_>, input: &CustomerInput) -> Result<()> {
    if let Some(owner) = input.account_owner_id {
        super::settings::ensure_colleague(w, owner, "account_owner_id").await?;
    }
    if let Some(status) = input.status_id {
        super::settings::ensure_customer_status(w, status).await?;
    }
    Ok(())
}

async fn save(w: &mut Write<'_>, old: &Customer, new: &Customer) -> Result<()> {
    let changed = w.changed(
        scope_of(Some(new.id)),
        EntityKind::Customer,
        new.id,
        &codec::value(old)?,
        &codec::value(new)?,
    )?;
    if changed.is_empty() {
        return Ok(());
    }
    let f = &new.fields;
    let (id, kind) = (new.id.to_string(), codec::enum_text(&f.kind)?);
    let (contacts, emails, phones) =
        (codec::json(&f.contacts)?, codec::json(&f.emails)?, codec::json(&f.phones)?);
    let owner = f.account_owner_id.map(|o| o.to_string());
    let status = f.status_id.map(|s| s.to_string());
    let now = w.now_text();
    sqlx::query!(
        "UPDATE customers SET name = ?, kind = ?, contacts = ?, emails = ?, phones = ?, address = ?,
            tax_number = ?, website = ?, notes = ?, account_owner_id = ?, status_id = ?, updated_at = ?
         WHERE id = ?",
        f.name,
        kind,
        contacts,
        emails,
        phones,
        f.address,
        f.tax_number,
        f.website,
        f.notes,
        owner,
        status,
        now,
        id
    )
    .execute(&mut *w.tx)
    .await?;
    Ok(())
}

async fn insert(w: &mut Write<'_>, customer: &Customer) -> Result<()> {
    let f = &customer.fields;
    let (id, kind) = (customer.id.to_string(), codec::enum_text(&f.kind)?);
    let (contacts, emails, phones) =
        (codec::json(&f.contacts)?, codec::json(&f.emails)?, codec::json(&f.phones)?);
    let owner = f.account_owner_id.map(|o| o.to_string());
    let status = f.status_id.map(|s| s.to_string());
    let creator = customer.created_by.to_string();
    let now = codec::ts(customer.created_at);
    sqlx::query!(
        "INSERT INTO customers (id, name, kind, contacts, emails, phones, address, tax_number, website,
            notes, account_owner_id, status_id, created_by, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        id,
        f.name,
        kind,
        contacts,
        emails,
        phones,
        f.address,
        f.tax_number,
        f.website,
        f.notes,
        owner,
        status,
        creator,
        now,
        now
    )
    .execute(&mut *w.tx)
    .await?;
    Ok(())
}

/// A customer as stored, trashed or not, with whether it is in the trash (for the sync merge).
pub(crate) async fn stored(conn: &mut sqlx::SqliteConnection, id: Uuid) -> Result<Option<(Customer, bool)>> {
    let key = id.to_string();
    let row = sqlx::query_as!(
        CustomerRow,
        "SELECT id, name, kind, contacts, emails, phones, address, tax_number, website, notes,
                account_owner_id, status_id, created_by, created_at, deleted_at
         FROM customers WHERE id = ?",
        key
    )
    .fetch_optional(conn)
    .await?;
    row.map(|row| {
        let deleted = row.deleted_at.is_some();
        row.into_customer().map(|customer| (customer, deleted))
    })
    .transpose()
}
