//! Relay connections. Every list is ordered newest first by ID (UUID v7 carries its creation
//! time), so one keyset rule serves all of them: a page is `id < after order by id desc
//! limit first + 1`, and the extra row tells whether there is a next page. Backward
//! (`last`, `before`) it is `id > before order by id asc limit last + 1`, shown newest
//! first, and the extra row tells whether there is a previous page.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, OutputType};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::record::Record;

pub const DEFAULT_PAGE_SIZE: i32 = 20;
pub const MAX_PAGE_SIZE: i32 = 100;

/// A validated page request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PageArgs {
    /// How many rows the client asked for (`first`, or `last` going backward).
    pub first: i64,
    /// Rows strictly older than this ID.
    pub after: Option<Uuid>,
    /// Going backward (`last`): the rows just newer than `before` (or the oldest rows).
    pub backward: bool,
    /// With `backward`: rows strictly newer than this ID.
    pub before: Option<Uuid>,
}

impl PageArgs {
    /// Validates the `first`, `after`, `last` and `before` arguments of a connection
    /// field: forward with `first`/`after` (20 rows when no size is given), backward with
    /// `last`/`before`. Going backward, `first` is ignored (lists give it a default);
    /// `after` with `last` or `before` is refused.
    pub fn parse(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> ApiResult<Self> {
        let size = |field: &str, size: Option<i32>| -> ApiResult<i64> {
            let size = size.unwrap_or(DEFAULT_PAGE_SIZE);
            if !(0..=MAX_PAGE_SIZE).contains(&size) {
                return Err(ApiError::validation(
                    field,
                    format!("must be between 0 and {MAX_PAGE_SIZE}"),
                ));
            }
            Ok(i64::from(size))
        };
        let backward = last.is_some() || before.is_some();
        if backward && after.is_some() {
            return Err(ApiError::validation(
                "after",
                "pages go one way: after with first, before with last",
            ));
        }
        Ok(PageArgs {
            first: if backward {
                size("last", last)?
            } else {
                size("first", first)?
            },
            after: after
                .map(|cursor| decode_cursor("after", &cursor))
                .transpose()?,
            backward,
            before: before
                .map(|cursor| decode_cursor("before", &cursor))
                .transpose()?,
        })
    }

    /// A forward page of `first` rows from the start.
    pub fn first(first: i64) -> Self {
        PageArgs {
            first,
            after: None,
            backward: false,
            before: None,
        }
    }

    /// The SQL `limit`: one more than requested, to learn whether a next page exists.
    pub fn limit(&self) -> i64 {
        self.first + 1
    }
}

/// Builds the connection from rows fetched with [`PageArgs::limit`] in the page's order
/// (newest first; oldest first going backward), newest first.
pub fn connection<T: OutputType>(
    mut rows: Vec<T>,
    page: &PageArgs,
    id_of: impl Fn(&T) -> Uuid,
) -> Connection<String, T> {
    let more = rows.len() as i64 > page.first;
    rows.truncate(page.first as usize);
    let (has_previous_page, has_next_page) = if page.backward {
        rows.reverse();
        (more, page.before.is_some())
    } else {
        (page.after.is_some(), more)
    };
    let mut connection = Connection::new(has_previous_page, has_next_page);
    connection.edges.extend(
        rows.into_iter()
            .map(|row| Edge::new(encode_cursor(id_of(&row)), row)),
    );
    connection
}

/// Cursors are opaque to clients; today they are the row ID with a version prefix.
pub fn encode_cursor(id: Uuid) -> String {
    format!("c1:{}", id.simple())
}

fn decode_cursor(field: &str, cursor: &str) -> ApiResult<Uuid> {
    cursor
        .strip_prefix("c1:")
        .and_then(|id| Uuid::parse_str(id).ok())
        .ok_or_else(|| ApiError::validation(field, "is not a cursor returned by this list"))
}

/// A page of changes in the order they committed (incremental sync, `filter.updatedSince`):
/// rows after the cursor's change, oldest change first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChangePage {
    pub first: i64,
    /// After this change: the writing transaction's ID (`changed_xid`) and the row's ID.
    pub after: Option<(i64, Uuid)>,
}

impl ChangePage {
    /// Validates the `first` and `after` arguments of a list read for sync.
    pub fn parse(first: Option<i32>, after: Option<String>) -> ApiResult<Self> {
        let first = PageArgs::parse(first, None, None, None)?.first;
        let after = after
            .map(|cursor| {
                cursor
                    .strip_prefix("s1:")
                    .and_then(|rest| rest.split_once(':'))
                    .and_then(|(xid, id)| Some((xid.parse().ok()?, Uuid::parse_str(id).ok()?)))
                    .ok_or_else(|| {
                        ApiError::validation(
                            "after",
                            "is not a cursor of this list read with filter.updatedSince",
                        )
                    })
            })
            .transpose()?;
        Ok(ChangePage { first, after })
    }

    pub fn limit(&self) -> i64 {
        self.first + 1
    }
}

/// A row with the change it was last written by (its `changed_xid`), as a sync page reads
/// it (`select <xid> as change_seq, <columns>`).
pub struct Changed<T> {
    pub change_seq: i64,
    pub row: T,
}

impl<'r, T: sqlx::FromRow<'r, sqlx::postgres::PgRow>> sqlx::FromRow<'r, sqlx::postgres::PgRow>
    for Changed<T>
{
    fn from_row(row: &'r sqlx::postgres::PgRow) -> sqlx::Result<Self> {
        use sqlx::Row;
        Ok(Changed {
            change_seq: row.try_get("change_seq")?,
            row: T::from_row(row)?,
        })
    }
}

/// Builds the connection of a sync page from rows fetched with [`ChangePage::limit`]; each
/// cursor names the row's change.
pub fn change_connection<T: OutputType + Record>(
    mut rows: Vec<Changed<T>>,
    page: &ChangePage,
) -> Connection<String, T> {
    let has_next_page = rows.len() as i64 > page.first;
    rows.truncate(page.first as usize);
    let mut connection = Connection::new(page.after.is_some(), has_next_page);
    connection.edges.extend(rows.into_iter().map(|changed| {
        let cursor = format!("s1:{}:{}", changed.change_seq, changed.row.id().simple());
        Edge::new(cursor, changed.row)
    }));
    connection
}

/// A page of a top-level list: newest first, or — with `filter.updatedSince` — a sync page
/// in the order changes committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ListPage {
    Newest(PageArgs),
    Changes {
        since: chrono::DateTime<chrono::Utc>,
        page: ChangePage,
    },
}

impl ListPage {
    /// Validates the page arguments for the order `updated_since` asks for; a sync reads
    /// forward only.
    pub fn parse(
        (first, after): (Option<i32>, Option<String>),
        (last, before): (Option<i32>, Option<String>),
        updated_since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> ApiResult<Self> {
        Ok(match updated_since {
            Some(_) if last.is_some() || before.is_some() => {
                return Err(ApiError::validation(
                    if last.is_some() { "last" } else { "before" },
                    "a sync (filter.updatedSince) reads forward: first and after",
                ))
            }
            Some(since) => ListPage::Changes {
                since,
                page: ChangePage::parse(first, after)?,
            },
            None => ListPage::Newest(PageArgs::parse(first, after, last, before)?),
        })
    }
}

/// Refuses `filter.updatedSince` on a list that hangs on a record (a unit's, a worker's):
/// a partner syncs through the top-level list `top_level`, which takes the same filter.
pub fn refuse_sync_below(
    updated_since: Option<chrono::DateTime<chrono::Utc>>,
    top_level: &str,
) -> ApiResult<()> {
    match updated_since {
        Some(_) => Err(ApiError::validation(
            "filter.updatedSince",
            format!("sync reads the top-level {top_level} list"),
        )),
        None => Ok(()),
    }
}

/// The connection of a top-level list page (rows read with their change, see
/// [`Changed`]).
pub fn list_connection<T: OutputType + Record>(
    rows: Vec<Changed<T>>,
    page: &ListPage,
) -> Connection<String, T> {
    match page {
        ListPage::Newest(page) => connection(
            rows.into_iter().map(|changed| changed.row).collect(),
            page,
            |row| row.id(),
        ),
        ListPage::Changes { page, .. } => change_connection(rows, page),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_cursor_is_read_back_and_a_plain_one_refused() {
        let id = Uuid::now_v7();
        let cursor = format!("s1:{}:{}", 981_234, id.simple());
        let page = ChangePage::parse(Some(3), Some(cursor)).unwrap();
        assert_eq!(page.after, Some((981_234, id)));
        assert!(ChangePage::parse(None, Some(encode_cursor(id))).is_err());
    }

    #[test]
    fn a_cursor_round_trips() {
        let id = Uuid::now_v7();
        let page = PageArgs::parse(Some(5), Some(encode_cursor(id)), None, None).unwrap();
        assert_eq!(page.after, Some(id));
        assert_eq!(page.limit(), 6);
        let back = PageArgs::parse(None, None, Some(3), Some(encode_cursor(id))).unwrap();
        assert_eq!(
            (back.backward, back.before, back.first),
            (true, Some(id), 3)
        );
    }

    #[test]
    fn out_of_range_page_sizes_and_foreign_cursors_are_refused() {
        assert!(PageArgs::parse(Some(-1), None, None, None).is_err());
        assert!(PageArgs::parse(Some(101), None, None, None).is_err());
        assert!(PageArgs::parse(None, Some("abc".into()), None, None).is_err());
        assert!(PageArgs::parse(None, None, Some(101), None).is_err());
        assert!(PageArgs::parse(None, Some(encode_cursor(Uuid::now_v7())), Some(2), None).is_err());
        let back = PageArgs::parse(Some(20), None, Some(2), None).unwrap();
        assert_eq!((back.backward, back.first), (true, 2));
        assert!(PageArgs::parse(None, None, None, Some("abc".into())).is_err());
    }
}

/// A list on a unit (`Unit.workers`, `Unit.activities`, …) for many units at once: one
/// query for a whole `_entities` batch instead of one per unit.
pub trait PerUnitQuery: Send + Sync + 'static {
    /// The list's filter arguments; units asked with equal filters share one query.
    type Filter: Clone + Eq + std::hash::Hash + Send + Sync + 'static;
    type Row: Record + OutputType;

    /// Fetches each unit's page: rows tagged with the unit they belong to, newest first,
    /// at most `page.limit()` per unit (a lateral join does this in one statement).
    fn fetch(
        &self,
        unit_ids: &[Uuid],
        filter: &Self::Filter,
        page: PageArgs,
    ) -> impl std::future::Future<Output = ApiResult<Vec<(Uuid, Self::Row)>>> + Send;
}

/// The DataLoader key of a per-unit list.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PerUnitKey<F> {
    pub unit_id: Uuid,
    pub filter: F,
    pub page: PageArgs,
}

/// Batches per-unit list requests into one [`PerUnitQuery::fetch`] per distinct filter.
pub struct PerUnitLoader<Q>(pub Q);

impl<Q: PerUnitQuery> async_graphql::dataloader::Loader<PerUnitKey<Q::Filter>>
    for PerUnitLoader<Q>
{
    type Value = Vec<Q::Row>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[PerUnitKey<Q::Filter>],
    ) -> Result<std::collections::HashMap<PerUnitKey<Q::Filter>, Vec<Q::Row>>, Self::Error> {
        use std::collections::HashMap;
        let mut groups: HashMap<(Q::Filter, PageArgs), Vec<Uuid>> = HashMap::new();
        for key in keys {
            groups
                .entry((key.filter.clone(), key.page))
                .or_default()
                .push(key.unit_id);
        }
        let mut lists = HashMap::with_capacity(keys.len());
        for ((filter, page), unit_ids) in groups {
            let rows = self.0.fetch(&unit_ids, &filter, page).await?;
            let mut by_unit: HashMap<Uuid, Vec<Q::Row>> = HashMap::new();
            for (unit_id, row) in rows {
                by_unit.entry(unit_id).or_default().push(row);
            }
            for unit_id in unit_ids {
                let key = PerUnitKey {
                    unit_id,
                    filter: filter.clone(),
                    page,
                };
                lists.insert(key, by_unit.remove(&unit_id).unwrap_or_default());
            }
        }
        Ok(lists)
    }
}

/// One page of a per-unit list (`Unit.workers`, `Worker.submissions` …) as a connection:
/// the page of `owner` (the unit, or the worker, the list hangs on), fetched through the
/// schema's `PerUnitLoader<Q>` together with the other owners of the request. The caller
/// has parsed the page and the filter and checked who may read the list.
pub async fn per_unit_page<Q: PerUnitQuery>(
    ctx: &Context<'_>,
    owner: Uuid,
    filter: Q::Filter,
    page: PageArgs,
) -> ApiResult<Connection<String, Q::Row>> {
    let key = PerUnitKey {
        unit_id: owner,
        filter,
        page,
    };
    let rows = crate::schema::load::<PerUnitLoader<Q>, _>(ctx, key)
        .await?
        .unwrap_or_default();
    Ok(connection(rows, &page, Record::id))
}
