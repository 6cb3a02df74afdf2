//! Client storage. Every function here trusts its caller to have authorized the actor; the
//! service functions in `mod.rs` are the only callers.

use super::model::{Client, ClientCounts, ClientFilter, ImpactTier, ValidClient};
use crate::audit::store::audited;
use crate::audit::Record;
use crate::db::unique::CLIENT_SLUG;
use crate::db::Db;
use crate::error::{DomainError, Result};
use crate::on_pool;
use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;
use std::collections::HashMap;

const CLIENT_COLUMNS: &str = "c.id, c.slug, c.name, c.impact_tier, c.sector, c.contact_name, c.contact_email, \
     c.notes, c.created_at, c.updated_at, c.archived_at, c.version";

#[derive(sqlx::FromRow)]
struct ClientRow {
    id: i64,
    slug: String,
    name: String,
    impact_tier: String,
    sector: String,
    contact_name: String,
    contact_email: String,
    notes: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    archived_at: Option<DateTime<Utc>>,
    version: i64,
}

impl TryFrom<ClientRow> for Client {
    type Error = DomainError;

    fn try_from(row: ClientRow) -> Result<Client> {
        let impact_tier = ImpactTier::parse(&row.impact_tier)
            .ok_or_else(|| DomainError::internal(BadValue(format!("impact tier {:?}", row.impact_tier))))?;
        Ok(Client {
            id: row.id,
            slug: row.slug,
            name: row.name,
            impact_tier,
            sector: row.sector,
            tags: Vec::new(),
            contact_name: row.contact_name,
            contact_email: row.contact_email,
            notes: row.notes,
            created_at: row.created_at,
            updated_at: row.updated_at,
            archived_at: row.archived_at,
            version: row.version,
        })
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unexpected value in the database: {0}")]
struct BadValue(String);

fn slug_taken(slug: &str) -> DomainError {
    DomainError::conflict(Some("slug"), format!("The slug “{slug}” is already used by another client."))
}

/// The WHERE clause shared by the list and its count. Parameters: $1 search pattern,
/// $2 tier, $3 tag, $4 include archived, $5 restrict to the clients of this user,
/// $6 restrict to this one client.
const LIST_WHERE: &str = "WHERE ($1 IS NULL OR lower(c.name) LIKE $1 ESCAPE '\\' OR c.slug LIKE $1 ESCAPE '\\'
        OR lower(c.sector) LIKE $1 ESCAPE '\\')
   AND ($2 IS NULL OR c.impact_tier = $2)
   AND ($3 IS NULL OR EXISTS (SELECT 1 FROM client_tags t WHERE t.client_id = c.id AND t.tag = $3))
   AND ($4 OR c.archived_at IS NULL)
   AND ($5 IS NULL OR c.id IN (SELECT a.client_id FROM user_clients a WHERE a.user_id = $5))
   AND ($6 IS NULL OR c.id = $6)";

/// How a list is narrowed to what the actor may see (decided by the service).
#[derive(Debug, Clone, Copy)]
pub enum Visibility {
    All,
    AssignedTo(i64),
    OnlyClient(i64),
    Nothing,
}

impl Visibility {
    pub(crate) fn binds(self) -> (Option<i64>, Option<i64>) {
        match self {
            Visibility::All => (None, None),
            Visibility::AssignedTo(user) => (Some(user), None),
            Visibility::OnlyClient(client) => (None, Some(client)),
            // No client has id 0 (ids start at 1), so this matches nothing.
            Visibility::Nothing => (None, Some(0)),
        }
    }
}

/// The LIKE pattern "contains `search`", its wildcards escaped (with `ESCAPE '\'` in the
/// query) so that a search for "50%" finds the text "50%" and not "500".
fn like_pattern(search: &str) -> String {
    let mut pattern = String::from("%");
    for c in search.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

pub async fn list_clients(db: &Db, filter: &ClientFilter, visibility: Visibility) -> Result<(Vec<Client>, i64)> {
    let search = filter.search.as_deref().map(like_pattern);
    let tier = filter.tier.map(|t| t.as_str());
    let (assigned_to, only_client) = visibility.binds();
    let limit = i64::from(filter.per_page.max(1));
    let offset = i64::from(filter.page.max(1) - 1) * limit;
    let list_sql = format!(
        "SELECT {CLIENT_COLUMNS} FROM clients c {LIST_WHERE} ORDER BY {} LIMIT $7 OFFSET $8",
        filter.sort.order_by()
    );
    let count_sql = format!("SELECT COUNT(*) FROM clients c {LIST_WHERE}");
    let (rows, total): (Vec<ClientRow>, i64) = on_pool!(db, |pool| {
        let rows = sqlx::query_as(&list_sql)
            .bind(&search)
            .bind(tier)
            .bind(&filter.tag)
            .bind(filter.include_archived)
            .bind(assigned_to)
            .bind(only_client)
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await?;
        let total = sqlx::query_scalar(&count_sql)
            .bind(&search)
            .bind(tier)
            .bind(&filter.tag)
            .bind(filter.include_archived)
            .bind(assigned_to)
            .bind(only_client)
            .fetch_one(pool)
            .await?;
        (rows, total)
    });
    let mut clients = rows.into_iter().map(Client::try_from).collect::<Result<Vec<_>>>()?;
    attach_tags(db, &mut clients).await?;
    Ok((clients, total))
}

/// Fills in the tags of several clients with one query.
async fn attach_tags(db: &Db, clients: &mut [Client]) -> Result<()> {
    if clients.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = clients.iter().map(|c| c.id).collect();
    let rows: Vec<(i64, String)> = on_pool!(db, |pool| {
        let mut qb = QueryBuilder::new("SELECT client_id, tag FROM client_tags WHERE client_id IN (");
        let mut list = qb.separated(", ");
        for id in &ids {
            list.push_bind(*id);
        }
        qb.push(") ORDER BY client_id, tag");
        qb.build_query_as().fetch_all(pool).await?
    });
    let mut by_client: HashMap<i64, Vec<String>> = HashMap::new();
    for (id, tag) in rows {
        by_client.entry(id).or_default().push(tag);
    }
    for client in clients {
        client.tags = by_client.remove(&client.id).unwrap_or_default();
    }
    Ok(())
}

pub async fn find_client_by_slug(db: &Db, slug: &str) -> Result<Option<Client>> {
    let sql = format!("SELECT {CLIENT_COLUMNS} FROM clients c WHERE c.slug = $1");
    let row: Option<ClientRow> = on_pool!(db, |pool| sqlx::query_as(&sql).bind(slug).fetch_optional(pool).await?);
    match row {
        Some(row) => {
            let mut client = [Client::try_from(row)?];
            attach_tags(db, &mut client).await?;
            let [client] = client;
            Ok(Some(client))
        }
        None => Ok(None),
    }
}

/// Inserts a client and its tags, and appends `audit` (given the new client's id).
pub async fn insert_client(db: &Db, client: &ValidClient, now: DateTime<Utc>, audit: Record) -> Result<i64> {
    let inserted = audited!(db, |tx| {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO clients (slug, name, impact_tier, sector, contact_name, contact_email, notes, \
             created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, 1) RETURNING id",
        )
        .bind(client.slug.as_str())
        .bind(&client.name)
        .bind(client.impact_tier.as_str())
        .bind(&client.sector)
        .bind(&client.contact_name)
        .bind(&client.contact_email)
        .bind(&client.notes)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        for tag in &client.tags {
            sqlx::query("INSERT INTO client_tags (client_id, tag) VALUES ($1, $2)")
                .bind(id)
                .bind(tag)
                .execute(&mut *tx)
                .await?;
        }
        tx.append(&audit.clone().client(id)).await?;
        id
    });
    inserted.map_err(|e| if CLIENT_SLUG.is_violated_by(&e) { slug_taken(client.slug.as_str()) } else { e.into() })
}

/// Updates every field but the slug, if the stored version is still `version`, and appends
/// `audit`. Returns false (nothing written) when someone else changed the client first.
pub async fn update_client(
    db: &Db,
    id: i64,
    version: i64,
    client: &ValidClient,
    now: DateTime<Utc>,
    audit: &Record,
) -> Result<bool> {
    Ok(audited!(db, |tx| {
        let done = sqlx::query(
            "UPDATE clients SET name = $1, impact_tier = $2, sector = $3, contact_name = $4, \
             contact_email = $5, notes = $6, updated_at = $7, version = version + 1 \
             WHERE id = $8 AND version = $9",
        )
        .bind(&client.name)
        .bind(client.impact_tier.as_str())
        .bind(&client.sector)
        .bind(&client.contact_name)
        .bind(&client.contact_email)
        .bind(&client.notes)
        .bind(now)
        .bind(id)
        .bind(version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM client_tags WHERE client_id = $1").bind(id).execute(&mut *tx).await?;
        for tag in &client.tags {
            sqlx::query("INSERT INTO client_tags (client_id, tag) VALUES ($1, $2)")
                .bind(id)
                .bind(tag)
                .execute(&mut *tx)
                .await?;
        }
        tx.append(audit).await?;
        true
    })?)
}

/// Sets or clears the archive time, and appends `audit`. Returns false (nothing written) when
/// the client was already in that state.
pub async fn set_archived(
    db: &Db,
    id: i64,
    archived_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    audit: &Record,
) -> Result<bool> {
    let sql = if archived_at.is_some() {
        "UPDATE clients SET archived_at = $1, updated_at = $2, version = version + 1 WHERE id = $3 AND archived_at IS NULL"
    } else {
        "UPDATE clients SET archived_at = $1, updated_at = $2, version = version + 1 WHERE id = $3 AND archived_at IS NOT NULL"
    };
    Ok(audited!(db, |tx| {
        if sqlx::query(sql).bind(archived_at).bind(now).bind(id).execute(&mut *tx).await?.rows_affected() != 1 {
            return Ok(false);
        }
        tx.append(audit).await?;
        true
    })?)
}

pub async fn list_tags(db: &Db, visibility: Visibility) -> Result<Vec<String>> {
    let (assigned_to, only_client) = visibility.binds();
    let tags = on_pool!(db, |pool| {
        sqlx::query_scalar(
            "SELECT DISTINCT t.tag FROM client_tags t JOIN clients c ON c.id = t.client_id
             WHERE c.archived_at IS NULL
               AND ($1 IS NULL OR c.id IN (SELECT a.client_id FROM user_clients a WHERE a.user_id = $1))
               AND ($2 IS NULL OR c.id = $2)
             ORDER BY t.tag",
        )
        .bind(assigned_to)
        .bind(only_client)
        .fetch_all(pool)
        .await?
    });
    Ok(tags)
}

pub async fn count_clients(db: &Db, visibility: Visibility) -> Result<ClientCounts> {
    let (assigned_to, only_client) = visibility.binds();
    let rows: Vec<(String, bool, i64)> = on_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT c.impact_tier, c.archived_at IS NOT NULL AS archived, COUNT(*) FROM clients c
             WHERE ($1 IS NULL OR c.id IN (SELECT a.client_id FROM user_clients a WHERE a.user_id = $1))
               AND ($2 IS NULL OR c.id = $2)
             GROUP BY c.impact_tier, c.archived_at IS NOT NULL",
        )
        .bind(assigned_to)
        .bind(only_client)
        .fetch_all(pool)
        .await?
    });
    let mut counts = ClientCounts::default();
    for (tier, archived, n) in rows {
        if archived {
            counts.archived += n;
            continue;
        }
        counts.active += n;
        match ImpactTier::parse(&tier) {
            Some(ImpactTier::Standard) => counts.standard += n,
            Some(ImpactTier::Sensitive) => counts.sensitive += n,
            Some(ImpactTier::Critical) => counts.critical += n,
            None => {}
        }
    }
    Ok(counts)
}

/// Sets a client's creation and change times (demo data only: real clients get real times).
pub(crate) async fn set_times(db: &Db, slug: &str, created_at: DateTime<Utc>, updated_at: DateTime<Utc>) -> Result<()> {
    on_pool!(db, |pool| {
        sqlx::query("UPDATE clients SET created_at = $1, updated_at = $2 WHERE slug = $3")
            .bind(created_at)
            .bind(updated_at)
            .bind(slug)
            .execute(pool)
            .await?;
    });
    Ok(())
}
