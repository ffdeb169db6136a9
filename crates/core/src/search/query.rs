use chrono::Days;
use sqlx::{QueryBuilder, Row, Sqlite};

use super::{CustomerMatch, HIT_END, HIT_START, SearchHit, SearchKind, SearchQuery, split_snippet};
use crate::error::Result;
use crate::store::{Store, codec};
use crate::views::Viewer;

/// How many of the newest matches are ranked. FTS5 ranks by scoring every match; with a
/// frequent word that is every other comment, so ranking is bounded to a recency window.
const RANK_WINDOW: i64 = 400;

/// Turns what a person typed into an FTS5 query: every word must occur, each as a prefix, and
/// nothing typed can be FTS5 syntax.
pub fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| if w.chars().count() >= 2 { format!("\"{w}\"*") } else { format!("\"{w}\"") })
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

impl Store {
    pub async fn search(&self, viewer: &Viewer, query: &SearchQuery) -> Result<Vec<SearchHit>> {
        self.catch_up_search().await?;
        let limit = i64::from(query.limit.unwrap_or(50).clamp(1, 500));
        let text = query.text.as_deref().and_then(fts_query);
        let mut sql = QueryBuilder::<Sqlite>::new(
            "SELECT * FROM (SELECT d.kind, d.entity_id, d.customer_id, d.task_id, d.at, c.name AS customer_name, t.title AS task_title, ",
        );
        if let Some(text) = &text {
            sql.push(format!(
                "search_index.title AS doc_title, snippet(search_index, -1, '{HIT_START}', '{HIT_END}', '…', 16) AS snip, \
                 bm25(search_index, 4.0, 1.0) AS score FROM search_index JOIN search_docs d ON d.doc = search_index.rowid "
            ));
            join_filters(&mut sql, query);
            sql.push(" WHERE search_index MATCH ").push_bind(text.clone());
        } else {
            sql.push("search_index.title AS doc_title, substr(search_index.body, 1, 160) AS snip, 0.0 AS score FROM search_docs d JOIN search_index ON search_index.rowid = d.doc ");
            join_filters(&mut sql, query);
            sql.push(" WHERE 1 ");
        }
        where_filters(&mut sql, viewer, query);
        if text.is_some() {
            sql.push(" ORDER BY search_index.rowid DESC LIMIT ").push_bind(RANK_WINDOW);
            sql.push(") ORDER BY score, at DESC LIMIT ").push_bind(limit);
        } else {
            // Newest first by document order (the index is appended as records are written).
            sql.push(" ORDER BY d.doc DESC LIMIT ").push_bind(limit).push(")");
        }
        let rows = sql.build().fetch_all(self.reader()).await?;
        rows.into_iter()
            .map(|row| {
                let kind = match row.try_get::<String, _>("kind")?.as_str() {
                    "customer" => SearchKind::Customer,
                    "task" => SearchKind::Task,
                    _ => SearchKind::Comment,
                };
                let customer_name: Option<String> = row.try_get("customer_name")?;
                let task_title: Option<String> = row.try_get("task_title")?;
                let doc_title: String = row.try_get("doc_title")?;
                let title = match kind {
                    SearchKind::Comment => {
                        task_title.clone().or_else(|| customer_name.clone()).unwrap_or_default()
                    }
                    _ => doc_title,
                };
                Ok(SearchHit {
                    kind,
                    entity_id: codec::id(&row.try_get::<String, _>("entity_id")?)?,
                    customer_id: codec::opt_id(row.try_get::<Option<String>, _>("customer_id")?.as_deref())?,
                    customer_name,
                    task_id: codec::opt_id(row.try_get::<Option<String>, _>("task_id")?.as_deref())?,
                    task_title,
                    title,
                    snippet: split_snippet(&row.try_get::<String, _>("snip")?),
                    at: codec::parse_ts(&row.try_get::<String, _>("at")?)?,
                })
            })
            .collect()
    }

    /// The customers that have matching documents, by name.
    pub async fn search_customers(&self, viewer: &Viewer, query: &SearchQuery) -> Result<Vec<CustomerMatch>> {
        self.catch_up_search().await?;
        let limit = i64::from(query.limit.unwrap_or(500).clamp(1, 5_000));
        let text = query.text.as_deref().and_then(fts_query);
        let mut sql = QueryBuilder::<Sqlite>::new(
            "SELECT d.customer_id, c.name AS customer_name, c.status_id, COUNT(*) AS hits, MAX(d.at) AS last_at ",
        );
        if text.is_some() {
            sql.push("FROM search_index JOIN search_docs d ON d.doc = search_index.rowid ");
        } else if query.keyword_id.is_some() {
            // Straight from the keyword index: (keyword, time) narrows before any join.
            sql.push("FROM comment_keywords kw JOIN search_docs d ON d.entity_id = kw.comment_id ");
        } else {
            sql.push("FROM search_docs d ");
        }
        join_filters(&mut sql, query);
        sql.push(" WHERE d.customer_id IS NOT NULL AND c.deleted_at IS NULL ");
        if let Some(text) = &text {
            sql.push(" AND search_index MATCH ").push_bind(text.clone());
        }
        if let (None, Some(keyword)) = (&text, query.keyword_id) {
            sql.push(" AND kw.keyword_id = ").push_bind(keyword.to_string());
            let (from, to) = bounds(viewer, query);
            if let Some(from) = from {
                sql.push(" AND kw.created_at >= ").push_bind(from);
            }
            if let Some(to) = to {
                sql.push(" AND kw.created_at < ").push_bind(to);
            }
        }
        where_filters(&mut sql, viewer, query);
        sql.push(" GROUP BY d.customer_id ORDER BY c.name COLLATE NOCASE LIMIT ").push_bind(limit);
        let rows = sql.build().fetch_all(self.reader()).await?;
        rows.into_iter()
            .map(|row| {
                Ok(CustomerMatch {
                    customer_id: codec::id(&row.try_get::<String, _>("customer_id")?)?,
                    name: row.try_get::<Option<String>, _>("customer_name")?.unwrap_or_default(),
                    status_id: codec::opt_id(row.try_get::<Option<String>, _>("status_id")?.as_deref())?,
                    hits: row.try_get("hits")?,
                    last_at: codec::parse_ts(&row.try_get::<String, _>("last_at")?)?,
                })
            })
            .collect()
    }
}

fn join_filters(sql: &mut QueryBuilder<Sqlite>, _query: &SearchQuery) {
    sql.push(" LEFT JOIN customers c ON c.id = d.customer_id LEFT JOIN tasks t ON t.id = d.task_id ");
}

/// The interval as UTC instants: from the start of the first local day to the start of the
/// day after the last.
fn bounds(viewer: &Viewer, query: &SearchQuery) -> (Option<String>, Option<String>) {
    let from = query.from.map(|day| codec::ts(viewer.start_of(day)));
    let to = query.to.map(|day| codec::ts(viewer.start_of(day + Days::new(1))));
    (from, to)
}

fn where_filters(sql: &mut QueryBuilder<Sqlite>, viewer: &Viewer, query: &SearchQuery) {
    if !query.kinds.is_empty() {
        sql.push(" AND d.kind IN (");
        let mut kinds = sql.separated(", ");
        for kind in &query.kinds {
            kinds.push_bind(kind.as_str());
        }
        sql.push(")");
    }
    if let Some(keyword) = query.keyword_id {
        sql.push(" AND d.kind = 'comment' AND EXISTS (SELECT 1 FROM comment_keywords k WHERE k.comment_id = d.entity_id AND k.keyword_id = ")
            .push_bind(keyword.to_string())
            .push(")");
    }
    let (from, to) = bounds(viewer, query);
    if let Some(from) = from {
        sql.push(" AND d.at >= ").push_bind(from);
    }
    if let Some(to) = to {
        sql.push(" AND d.at < ").push_bind(to);
    }
    if let Some(responsible) = query.responsible_id {
        sql.push(" AND t.responsible_id = ").push_bind(responsible.to_string());
    }
    if let Some(status) = query.task_status {
        sql.push(" AND t.status = ").push_bind(status.as_str());
    }
    if let Some(status) = query.customer_status_id {
        sql.push(" AND c.status_id = ").push_bind(status.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn typed_text_cannot_inject_fts_syntax() {
        assert_eq!(fts_query("ajánlat OR \"x"), Some("\"ajánlat\"* \"OR\"* \"x\"".into()));
        assert_eq!(fts_query("  -- * "), None);
    }
}
