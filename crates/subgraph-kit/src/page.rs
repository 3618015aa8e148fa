//! Relay connections. Every list is ordered newest first by ID (UUID v7 carries its creation
//! time), so one keyset rule serves all of them: a page is `id < after order by id desc
//! limit first + 1`, and the extra row tells whether there is a next page. Backward
//! (`last`, `before`) it is `id > before order by id asc limit last + 1`, shown newest
//! first, and the extra row tells whether there is a previous page.
//!
//! A top-level list may be read in another order: by a column of its own (`orderBy`,
//! [`SortedPage`]: the keyset is `(column, id)` and the cursor carries the column's value),
//! or — a partner's sync — in the order changes committed ([`ChangePage`]). Every record
//! list answers `totalCount` beside its edges ([`TotalCount`]), counted only when asked.

use std::future::Future;
use std::pin::Pin;

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, Object, OutputType};
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
        let (first, backward) = size_and_direction(first, after.is_some(), last, before.is_some())?;
        Ok(PageArgs {
            first,
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

/// The page size and direction (`true`: backward) that `first`, `after`, `last` and
/// `before` ask for; `after` with `last` or `before` is refused.
fn size_and_direction(
    first: Option<i32>,
    after_given: bool,
    last: Option<i32>,
    before_given: bool,
) -> ApiResult<(i64, bool)> {
    let size = |field: &str, size: Option<i32>| -> ApiResult<i64> {
        let size = size.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(0..=MAX_PAGE_SIZE).contains(&size) {
            return Err(ApiError::validation(
                field,
                crate::text!(
                    "must be between 0 and {MAX_PAGE_SIZE}",
                    "须在 0 到 {MAX_PAGE_SIZE} 之间"
                ),
            ));
        }
        Ok(i64::from(size))
    };
    let backward = last.is_some() || before_given;
    if backward && after_given {
        return Err(ApiError::validation(
            "after",
            crate::text!(
                "pages go one way: after with first, before with last",
                "翻页只能朝一个方向：after 配 first，before 配 last"
            ),
        ));
    }
    Ok(if backward {
        (size("last", last)?, true)
    } else {
        (size("first", first)?, false)
    })
}

/// Builds the connection from rows fetched with [`PageArgs::limit`] in the page's order
/// (newest first; oldest first going backward), newest first.
pub fn connection<T: OutputType>(
    rows: Vec<T>,
    page: &PageArgs,
    id_of: impl Fn(&T) -> Uuid,
) -> Connection<String, T> {
    let from_cursor = page.after.or(page.before).is_some();
    keyset_connection(rows, page.first, page.backward, from_cursor, |row| {
        (encode_cursor(id_of(&row)), row)
    })
}

/// The connection of a keyset page: `rows` fetched with one extra (in reading order,
/// turned around going backward), `from_cursor` whether the page began at a cursor, `edge`
/// each row's cursor and node.
fn keyset_connection<R, T: OutputType>(
    mut rows: Vec<R>,
    first: i64,
    backward: bool,
    from_cursor: bool,
    edge: impl Fn(R) -> (String, T),
) -> Connection<String, T> {
    let more = rows.len() as i64 > first;
    rows.truncate(first as usize);
    let (has_previous_page, has_next_page) = if backward {
        rows.reverse();
        (more, from_cursor)
    } else {
        (from_cursor, more)
    };
    let mut connection = Connection::new(has_previous_page, has_next_page);
    connection.edges.extend(rows.into_iter().map(|row| {
        let (cursor, node) = edge(row);
        Edge::new(cursor, node)
    }));
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
        .ok_or_else(|| {
            ApiError::validation(
                field,
                crate::text!(
                    "is not a cursor returned by this list",
                    "不是本列表返回的游标"
                ),
            )
        })
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
                            crate::text!(
                                "is not a cursor of this list read with filter.updatedSince",
                                "不是本列表按 filter.updatedSince 同步时返回的游标"
                            ),
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
    /// In an `orderBy` order: the row's value of the sort column, as its cursor carries it.
    pub sort_value: Option<String>,
    pub row: T,
}

impl<'r, T: sqlx::FromRow<'r, sqlx::postgres::PgRow>> sqlx::FromRow<'r, sqlx::postgres::PgRow>
    for Changed<T>
{
    fn from_row(row: &'r sqlx::postgres::PgRow) -> sqlx::Result<Self> {
        use sqlx::Row;
        Ok(Changed {
            change_seq: row.try_get("change_seq")?,
            sort_value: None,
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

/// The direction of a list's `orderBy`.
#[derive(Enum, Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum OrderDirection {
    /// Ascending: A to Z (in pinyin order for Chinese names), oldest first, smallest first.
    #[default]
    Asc,
    /// Descending.
    Desc,
}

/// How a sort column compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SortKind {
    /// Names and titles, in Chinese (pinyin) order.
    Text,
    /// Codes such as a status, in the order of their English names.
    Code,
    Date,
    Int,
    Time,
}

impl SortKind {
    fn sql_type(self) -> &'static str {
        match self {
            SortKind::Text | SortKind::Code => "text",
            SortKind::Date => "date",
            SortKind::Int => "int4",
            SortKind::Time => "timestamptz",
        }
    }

    fn collation(self) -> &'static str {
        match self {
            SortKind::Text => " collate \"zh-x-icu\"",
            _ => "",
        }
    }
}

/// A column a list sorts by: a non-null column of its rows, named as the list selects it
/// (`title`, `published_on`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SortColumn {
    pub column: &'static str,
    pub kind: SortKind,
}

impl SortColumn {
    pub const fn text(column: &'static str) -> Self {
        SortColumn {
            column,
            kind: SortKind::Text,
        }
    }
    pub const fn code(column: &'static str) -> Self {
        SortColumn {
            column,
            kind: SortKind::Code,
        }
    }
    pub const fn date(column: &'static str) -> Self {
        SortColumn {
            column,
            kind: SortKind::Date,
        }
    }
    pub const fn int(column: &'static str) -> Self {
        SortColumn {
            column,
            kind: SortKind::Int,
        }
    }
    pub const fn time(column: &'static str) -> Self {
        SortColumn {
            column,
            kind: SortKind::Time,
        }
    }

    /// The column in SQL, qualified with the list's table alias and compared in its order.
    pub fn sql(&self, alias: &str) -> String {
        format!("{alias}{}{}", self.column, self.kind.collation())
    }

    /// `$value` as the column's type, compared in its order.
    pub fn cast(&self) -> String {
        format!("::{}{}", self.kind.sql_type(), self.kind.collation())
    }

    /// The column's value in `row`, as text a cursor carries and `cast` reads back.
    pub fn value_of(&self, row: &sqlx::postgres::PgRow) -> sqlx::Result<String> {
        use sqlx::Row;
        let column = self.column;
        Ok(match self.kind {
            SortKind::Text | SortKind::Code => row.try_get::<String, _>(column)?,
            SortKind::Date => row.try_get::<chrono::NaiveDate, _>(column)?.to_string(),
            SortKind::Int => row.try_get::<i32, _>(column)?.to_string(),
            SortKind::Time => row
                .try_get::<chrono::DateTime<chrono::Utc>, _>(column)?
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        })
    }
}

/// The fields a list sorts by (`orderBy: { field }`), one enum per list.
pub trait SortField: Copy {
    fn column(self) -> SortColumn;
}

/// A list's `orderBy`: a column and a direction; ties go by ID in the same direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ListOrder {
    pub by: SortColumn,
    pub direction: OrderDirection,
}

impl ListOrder {
    /// Names the order in cursors, so that a cursor is not read under another order.
    fn token(&self) -> String {
        let direction = match self.direction {
            OrderDirection::Asc => "asc",
            OrderDirection::Desc => "desc",
        };
        format!("{}.{direction}", self.by.column)
    }
}

/// Declares a list's `orderBy` input, `{ field: <its enum of sortable fields>, direction }`:
/// `list_order!(NeedOrder, "TechNeedOrder", NeedOrderField);`.
#[macro_export]
macro_rules! list_order {
    ($input:ident, $name:literal, $field:ty) => {
        /// How a list is sorted: by `field`, ascending unless `direction` says DESC; records
        /// with equal values go newest first (ascending: oldest first).
        #[derive(async_graphql::InputObject, Clone, Copy, Debug)]
        #[graphql(name = $name)]
        pub struct $input {
            pub field: $field,
            #[graphql(default)]
            pub direction: $crate::page::OrderDirection,
        }

        impl From<$input> for $crate::page::ListOrder {
            fn from(order: $input) -> Self {
                $crate::page::ListOrder {
                    by: $crate::page::SortField::column(order.field),
                    direction: order.direction,
                }
            }
        }
    };
}

/// A page of a list in an `orderBy` order: `first` rows after the cursor's row (or `last`
/// rows before it), a cursor carrying the row's value of the sort column and its ID.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SortedPage {
    pub order: ListOrder,
    pub first: i64,
    pub backward: bool,
    /// The cursor's row: its sort value and ID (`after`, or `before` going backward).
    pub from: Option<(String, Uuid)>,
}

impl SortedPage {
    fn parse(
        order: ListOrder,
        (first, after): (Option<i32>, Option<String>),
        (last, before): (Option<i32>, Option<String>),
    ) -> ApiResult<Self> {
        let (first, backward) = size_and_direction(first, after.is_some(), last, before.is_some())?;
        let (field, cursor) = if backward {
            ("before", before)
        } else {
            ("after", after)
        };
        let from = cursor
            .map(|cursor| {
                let token = order.token();
                cursor
                    .strip_prefix("o1:")
                    .and_then(|rest| rest.strip_prefix(token.as_str()))
                    .and_then(|rest| rest.strip_prefix(':'))
                    .and_then(|rest| rest.split_once(':'))
                    .and_then(|(id, value)| Some((value.to_string(), Uuid::parse_str(id).ok()?)))
                    .ok_or_else(|| {
                        ApiError::validation(
                            field,
                            crate::text!(
                                "is not a cursor of this list in this order",
                                "不是本列表按此排序返回的游标"
                            ),
                        )
                    })
            })
            .transpose()?;
        Ok(SortedPage {
            order,
            first,
            backward,
            from,
        })
    }

    pub fn limit(&self) -> i64 {
        self.first + 1
    }

    /// Whether the statement reads in descending order (backward pages read the other way).
    pub fn descending(&self) -> bool {
        (self.order.direction == OrderDirection::Desc) != self.backward
    }

    fn cursor(&self, value: &str, id: Uuid) -> String {
        format!("o1:{}:{}:{value}", self.order.token(), id.simple())
    }
}

/// A page of a top-level list: newest first, in an `orderBy` order, or — with
/// `filter.updatedSince` — a sync page in the order changes committed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ListPage {
    Newest(PageArgs),
    Sorted(SortedPage),
    Changes {
        since: chrono::DateTime<chrono::Utc>,
        page: ChangePage,
    },
}

impl ListPage {
    /// Validates the page arguments for the order `updated_since` or `order` asks for; a
    /// sync reads forward only, in commit order.
    pub fn parse(
        (first, after): (Option<i32>, Option<String>),
        (last, before): (Option<i32>, Option<String>),
        updated_since: Option<chrono::DateTime<chrono::Utc>>,
        order: Option<impl Into<ListOrder>>,
    ) -> ApiResult<Self> {
        Ok(match (updated_since, order) {
            (Some(_), Some(_)) => {
                return Err(ApiError::validation(
                    "orderBy",
                    crate::text!(
                        "a sync (filter.updatedSince) reads in the order changes committed",
                        "同步（filter.updatedSince）按变更提交的顺序读取，不能另行排序"
                    ),
                ))
            }
            (Some(_), None) if last.is_some() || before.is_some() => {
                return Err(ApiError::validation(
                    if last.is_some() { "last" } else { "before" },
                    crate::text!(
                        "a sync (filter.updatedSince) reads forward: first and after",
                        "同步（filter.updatedSince）只能向后读取：使用 first 和 after"
                    ),
                ))
            }
            (Some(since), None) => ListPage::Changes {
                since,
                page: ChangePage::parse(first, after)?,
            },
            (None, Some(order)) => ListPage::Sorted(SortedPage::parse(
                order.into(),
                (first, after),
                (last, before),
            )?),
            (None, None) => ListPage::Newest(PageArgs::parse(first, after, last, before)?),
        })
    }

    /// With `filter.updatedSince`: the time from which changes are read.
    pub fn updated_since(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        match self {
            ListPage::Changes { since, .. } => Some(*since),
            _ => None,
        }
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
            crate::text!(
                "sync reads the top-level {top_level} list",
                "同步请读取顶层列表 {top_level}"
            ),
        )),
        None => Ok(()),
    }
}

/// A page of a record list: its edges, `pageInfo` and `totalCount`.
pub type RecordPage<T> = Connection<String, T, TotalCount>;

/// The connection of a top-level list page (rows read with their change, see
/// [`Changed`]); `total` counts the list when a client asks.
pub fn list_connection<T: OutputType + Record>(
    rows: Vec<Changed<T>>,
    page: &ListPage,
    total: TotalCount,
) -> RecordPage<T> {
    let connection = match page {
        ListPage::Newest(page) => connection(
            rows.into_iter().map(|changed| changed.row).collect(),
            page,
            |row| row.id(),
        ),
        ListPage::Sorted(page) => sorted_connection(rows, page),
        ListPage::Changes { page, .. } => change_connection(rows, page),
    };
    with_total(connection, total)
}

/// The connection of a page in an `orderBy` order, from rows read with their sort value.
fn sorted_connection<T: OutputType + Record>(
    rows: Vec<Changed<T>>,
    page: &SortedPage,
) -> Connection<String, T> {
    keyset_connection(
        rows,
        page.first,
        page.backward,
        page.from.is_some(),
        |changed| {
            let value = changed.sort_value.unwrap_or_default();
            (page.cursor(&value, changed.row.id()), changed.row)
        },
    )
}

/// A page with its `totalCount`.
pub fn with_total<T: OutputType>(page: Connection<String, T>, total: TotalCount) -> RecordPage<T> {
    let mut counted =
        Connection::with_additional_fields(page.has_previous_page, page.has_next_page, total);
    counted.edges = page.edges;
    counted
}

type CountFuture<'a> = Pin<Box<dyn Future<Output = ApiResult<i64>> + Send + 'a>>;

/// How a list counts the records its filter selects.
trait CountRecords: Send + Sync {
    fn count<'a>(&'a self, ctx: &'a Context<'_>) -> CountFuture<'a>;
}

/// Counted by one statement.
struct CountedBy<F>(F);

impl<F, Fut> CountRecords for CountedBy<F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = sqlx::Result<i64>> + Send,
{
    fn count<'a>(&'a self, _ctx: &'a Context<'_>) -> CountFuture<'a> {
        Box::pin(async move { Ok((self.0)().await?) })
    }
}

/// Counted with the other owners' lists of the request, in one statement.
struct CountedPerOwner<Q: PerUnitQuery> {
    owner: Uuid,
    filter: Q::Filter,
}

impl<Q: PerUnitQuery> CountRecords for CountedPerOwner<Q> {
    fn count<'a>(&'a self, ctx: &'a Context<'_>) -> CountFuture<'a> {
        Box::pin(async move {
            let key = PerUnitCountKey {
                unit_id: self.owner,
                filter: self.filter.clone(),
            };
            Ok(crate::schema::load::<PerUnitLoader<Q>, _>(ctx, key)
                .await?
                .unwrap_or(0))
        })
    }
}

/// `totalCount` beside a list's edges: counted by its own statement, only when a client
/// selects it.
pub struct TotalCount(Box<dyn CountRecords>);

impl TotalCount {
    /// Counted by `count`, a statement over the list's filter.
    pub fn counted_by<F, Fut>(count: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = sqlx::Result<i64>> + Send + 'static,
    {
        TotalCount(Box::new(CountedBy(count)))
    }
}

#[Object]
impl TotalCount {
    /// How many records the list's filter selects over all its pages (with
    /// `filter.updatedSince`: written at that time or later). Counted only when selected.
    async fn total_count(&self, ctx: &Context<'_>) -> ApiResult<i32> {
        let count = self.0.count(ctx).await?;
        Ok(i32::try_from(count).unwrap_or(i32::MAX))
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
    fn a_sorted_cursor_is_read_back_only_in_its_own_order() {
        let by_title = ListOrder {
            by: SortColumn::text("title"),
            direction: OrderDirection::Desc,
        };
        let id = Uuid::now_v7();
        let page = SortedPage::parse(by_title, (Some(2), None), (None, None)).unwrap();
        let cursor = page.cursor("科普: 讲座", id);
        let next = SortedPage::parse(by_title, (Some(2), Some(cursor.clone())), (None, None));
        assert_eq!(next.unwrap().from, Some(("科普: 讲座".to_string(), id)));
        let ascending = ListOrder {
            direction: OrderDirection::Asc,
            ..by_title
        };
        assert!(
            SortedPage::parse(ascending, (Some(2), Some(cursor.clone())), (None, None)).is_err()
        );
        assert!(
            SortedPage::parse(by_title, (None, Some(encode_cursor(id))), (None, None)).is_err()
        );
        let back = SortedPage::parse(by_title, (None, None), (Some(2), Some(cursor))).unwrap();
        assert!(back.backward && !back.descending());
        let no_sort_in_a_sync = ListPage::parse(
            (None, None),
            (None, None),
            Some(chrono::Utc::now()),
            Some(by_title),
        );
        assert!(no_sort_in_a_sync.is_err());
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
    ) -> impl Future<Output = ApiResult<Vec<(Uuid, Self::Row)>>> + Send;

    /// Counts each unit's records the filter selects, in one statement; units without any
    /// may be left out.
    fn count(
        &self,
        unit_ids: &[Uuid],
        filter: &Self::Filter,
    ) -> impl Future<Output = ApiResult<Vec<(Uuid, i64)>>> + Send;
}

/// The DataLoader key of a per-unit list.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PerUnitKey<F> {
    pub unit_id: Uuid,
    pub filter: F,
    pub page: PageArgs,
}

/// The DataLoader key of a per-unit list's `totalCount`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PerUnitCountKey<F> {
    pub unit_id: Uuid,
    pub filter: F,
}

/// Batches per-unit list requests into one [`PerUnitQuery::fetch`] per distinct filter,
/// and their counts into one [`PerUnitQuery::count`].
pub struct PerUnitLoader<Q>(pub Q);

impl<Q: PerUnitQuery> async_graphql::dataloader::Loader<PerUnitCountKey<Q::Filter>>
    for PerUnitLoader<Q>
{
    type Value = i64;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[PerUnitCountKey<Q::Filter>],
    ) -> Result<std::collections::HashMap<PerUnitCountKey<Q::Filter>, i64>, Self::Error> {
        use std::collections::HashMap;
        let mut groups: HashMap<Q::Filter, Vec<Uuid>> = HashMap::new();
        for key in keys {
            groups
                .entry(key.filter.clone())
                .or_default()
                .push(key.unit_id);
        }
        let mut counts = HashMap::with_capacity(keys.len());
        for (filter, unit_ids) in groups {
            let counted: HashMap<Uuid, i64> = self
                .0
                .count(&unit_ids, &filter)
                .await?
                .into_iter()
                .collect();
            for unit_id in unit_ids {
                let count = counted.get(&unit_id).copied().unwrap_or(0);
                let key = PerUnitCountKey {
                    unit_id,
                    filter: filter.clone(),
                };
                counts.insert(key, count);
            }
        }
        Ok(counts)
    }
}

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
) -> ApiResult<RecordPage<Q::Row>> {
    let key = PerUnitKey {
        unit_id: owner,
        filter: filter.clone(),
        page,
    };
    let rows = crate::schema::load::<PerUnitLoader<Q>, _>(ctx, key)
        .await?
        .unwrap_or_default();
    let total = TotalCount(Box::new(CountedPerOwner::<Q> { owner, filter }));
    Ok(with_total(connection(rows, &page, Record::id), total))
}
