//! Matches of needs with results or experts (供需对接).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use kexie_subgraph_kit::list_query::{
    self, close_lateral, fetch_list, open_lateral, push_any_text, push_list_page, push_page,
    push_unit_scope, untag, Key, Keyed,
};
use kexie_subgraph_kit::page::{Changed, ListPage, PageArgs};
use kexie_subgraph_kit::record::{Audit, FindById, Record};

use crate::domain::MatchStatus;

const COLUMNS: &str = "m.need_match_id, m.tech_need_id, m.science_result_id, m.expert_id,
    m.status, m.proposed_on, m.contract_signed_on, m.contract_amount::float8 as contract_amount,
    m.transferred_on, m.innovation_event_id, m.version, m.created_at, m.created_by, m.updated_at, m.updated_by,
    m.archived_at";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MatchRow {
    pub need_match_id: Uuid,
    pub tech_need_id: Uuid,
    pub science_result_id: Option<Uuid>,
    pub expert_id: Option<Uuid>,
    pub status: MatchStatus,
    pub proposed_on: NaiveDate,
    pub contract_signed_on: Option<NaiveDate>,
    /// 万元.
    pub contract_amount: Option<f64>,
    pub transferred_on: Option<NaiveDate>,
    /// The event at which the match was brokered.
    pub innovation_event_id: Option<Uuid>,
    #[sqlx(flatten)]
    pub audit: Audit,
}

impl Record for MatchRow {
    fn id(&self) -> Uuid {
        self.need_match_id
    }
}

impl FindById for MatchRow {
    async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<Self>> {
        find(pool, ids).await
    }
}

/// Which matches a list shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct MatchFilter {
    /// Of the needs this unit published.
    pub unit_id: Option<Uuid>,
    pub include_subtree: bool,
    pub statuses: Option<Vec<String>>,
    /// Contracts signed on or after this day.
    pub signed_from: Option<NaiveDate>,
    /// Contracts signed on or before this day.
    pub signed_to: Option<NaiveDate>,
}

/// What a per-key list of matches hangs on.
#[derive(Clone, Copy, Debug)]
pub enum Party {
    Need,
    Result,
    Expert,
    Event,
}

impl Party {
    fn column(self) -> &'static str {
        match self {
            Party::Need => "m.tech_need_id",
            Party::Result => "m.science_result_id",
            Party::Expert => "m.expert_id",
            Party::Event => "m.innovation_event_id",
        }
    }
}

fn push_select(
    qb: &mut QueryBuilder<'_, Postgres>,
    filter: &MatchFilter,
    party: Option<(Party, Key)>,
) {
    qb.push(format!(
        "select m.changed_xid::text::bigint as change_seq, {COLUMNS}
         from need_match m
         join tech_need n on n.tech_need_id = m.tech_need_id
         where n.archived_at is null"
    ));
    if let Some((party, key)) = party {
        qb.push(" and ").push(party.column()).push(" = ");
        key.push(qb);
    }
    if let Some(unit) = filter.unit_id {
        push_unit_scope(qb, "n.unit_id", Key::Value(unit), filter.include_subtree);
    }
    push_any_text(qb, "m.status", &filter.statuses);
    if let Some(from) = filter.signed_from {
        qb.push(" and m.contract_signed_on >= ").push_bind(from);
    }
    if let Some(to) = filter.signed_to {
        qb.push(" and m.contract_signed_on <= ").push_bind(to);
    }
}

pub async fn find(pool: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<MatchRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from need_match m where m.need_match_id = any($1)"
    ))
    .bind(ids)
    .fetch_all(pool)
    .await
}

pub async fn list(
    pool: &PgPool,
    filter: &MatchFilter,
    page: ListPage,
) -> sqlx::Result<Vec<Changed<MatchRow>>> {
    let mut qb = QueryBuilder::new("");
    push_select(&mut qb, filter, None);
    push_list_page(
        &mut qb,
        ("m.changed_xid", "m.need_match_id", "m.updated_at"),
        &page,
    );
    fetch_list(pool, qb, &page).await
}

/// How many matches `filter` shows over all pages (`totalCount`).
pub async fn count(
    pool: PgPool,
    filter: MatchFilter,
    since: Option<DateTime<Utc>>,
) -> sqlx::Result<i64> {
    list_query::count(&pool, "m.updated_at", since, |qb| {
        push_select(qb, &filter, None)
    })
    .await
}

/// Each need's, result's or expert's page of matches, in one statement.
pub async fn of_parties(
    pool: &PgPool,
    party: Party,
    ids: &[Uuid],
    filter: &MatchFilter,
    page: PageArgs,
) -> sqlx::Result<Vec<(Uuid, MatchRow)>> {
    let mut qb = QueryBuilder::new("");
    open_lateral(&mut qb, ids);
    push_select(&mut qb, filter, Some((party, Key::Lateral)));
    push_page(&mut qb, "m.need_match_id", page);
    close_lateral(&mut qb);
    let rows: Vec<Keyed<MatchRow>> = qb.build_query_as().fetch_all(pool).await?;
    Ok(untag(rows))
}

/// How many matches `filter` shows for each key, in one statement (`totalCount`).
pub async fn count_of_parties(
    pool: &PgPool,
    party: Party,
    ids: &[Uuid],
    filter: &MatchFilter,
) -> sqlx::Result<Vec<(Uuid, i64)>> {
    list_query::count_per_key(pool, ids, |qb| {
        push_select(qb, filter, Some((party, Key::Lateral)))
    })
    .await
}

pub async fn get(conn: &mut PgConnection, match_id: Uuid) -> sqlx::Result<MatchRow> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from need_match m where m.need_match_id = $1"
    ))
    .bind(match_id)
    .fetch_one(conn)
    .await
}

pub async fn get_for_update(
    conn: &mut PgConnection,
    match_id: Uuid,
) -> sqlx::Result<Option<MatchRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from need_match m where m.need_match_id = $1 for update of m"
    ))
    .bind(match_id)
    .fetch_optional(conn)
    .await
}

/// The need a match belongs to.
pub async fn find_need(conn: &mut PgConnection, match_id: Uuid) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar("select tech_need_id from need_match where need_match_id = $1")
        .bind(match_id)
        .fetch_optional(conn)
        .await
}

/// Whether the need has a live match (not FAILED) with this result, or with this expert
/// alone.
pub async fn live_exists(
    conn: &mut PgConnection,
    need_id: Uuid,
    result_id: Option<Uuid>,
    expert_id: Option<Uuid>,
) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "select exists (select from need_match
                        where tech_need_id = $1 and status <> 'FAILED'
                          and (($2::uuid is not null and science_result_id = $2)
                               or ($2::uuid is null and science_result_id is null
                                   and expert_id = $3)))",
    )
    .bind(need_id)
    .bind(result_id)
    .bind(expert_id)
    .fetch_one(conn)
    .await
}

/// How many of the need's matches have a contract signed.
pub async fn contracted_count(conn: &mut PgConnection, need_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "select count(*) from need_match
         where tech_need_id = $1 and status in ('CONTRACTED', 'TRANSFERRED')",
    )
    .bind(need_id)
    .fetch_one(conn)
    .await
}

/// Ends the need's matches still PROPOSED or NEGOTIATING as FAILED (the need was resolved
/// or closed); returns them with the status each had.
pub async fn fail_open(
    conn: &mut PgConnection,
    need_id: Uuid,
    actor: &str,
) -> sqlx::Result<Vec<(Uuid, MatchStatus)>> {
    sqlx::query_as(
        "update need_match m set status = 'FAILED', updated_by = $2, version = m.version + 1
         from need_match old
         where old.need_match_id = m.need_match_id and m.tech_need_id = $1
           and m.status in ('PROPOSED', 'NEGOTIATING')
         returning m.need_match_id, old.status",
    )
    .bind(need_id)
    .bind(actor)
    .fetch_all(conn)
    .await
}

/// A proposal's fields: the need, what is proposed for it, where and when.
pub struct NewMatch {
    pub need_id: Uuid,
    pub result_id: Option<Uuid>,
    pub expert_id: Option<Uuid>,
    /// The event at which it was brokered.
    pub event_id: Option<Uuid>,
    pub proposed_on: NaiveDate,
}

pub async fn insert(
    conn: &mut PgConnection,
    match_id: Uuid,
    new: &NewMatch,
    actor: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into need_match (need_match_id, tech_need_id, science_result_id, expert_id,
             innovation_event_id, status, proposed_on, created_by, updated_by)
         values ($1, $2, $3, $4, $5, 'PROPOSED', $6, $7, $7)",
    )
    .bind(match_id)
    .bind(new.need_id)
    .bind(new.result_id)
    .bind(new.expert_id)
    .bind(new.event_id)
    .bind(new.proposed_on)
    .bind(actor)
    .execute(conn)
    .await?;
    Ok(())
}

/// The contract a match ends in: the day signed and the amount in 万元.
pub struct ContractFields {
    pub signed_on: NaiveDate,
    pub amount: f64,
}

/// Moves the match to `status`, storing the contract or the day of the transfer when given.
pub async fn set_status(
    conn: &mut PgConnection,
    match_id: Uuid,
    status: MatchStatus,
    contract: Option<&ContractFields>,
    transferred_on: Option<NaiveDate>,
    actor: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "update need_match set status = $2,
             contract_signed_on = coalesce($3, contract_signed_on),
             contract_amount = coalesce($4::float8::numeric(14, 2), contract_amount),
             transferred_on = coalesce($5, transferred_on),
             updated_by = $6, version = version + 1
         where need_match_id = $1",
    )
    .bind(match_id)
    .bind(status)
    .bind(contract.map(|contract| contract.signed_on))
    .bind(contract.map(|contract| contract.amount))
    .bind(transferred_on)
    .bind(actor)
    .execute(conn)
    .await?;
    Ok(())
}
