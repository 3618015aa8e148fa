//! The figure ledger stays exact under any sequence of writes to needs, their matches,
//! results, service visits with their experts, cooperation agreements, pilot designations
//! and innovation events with what they present: random inserts, status changes,
//! back-dated days, contracts and transfers, problems solved,
//! moves between units, archives and deletes, one at a time (some rolled back) and from
//! concurrent transactions on one need's matches, each compared with the ledger rebuilt
//! from the records.

use chrono::{Duration, NaiveDate};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use kexie_testkit::{
    assert_random_writes_keep_the_ledger_exact, ledger_differences, random_tree_change, test_seed,
    RandomWriter, TestDb,
};

const ENTITIES: &str = "select tech_need_id from tech_need
    union all select science_result_id from science_result
    union all select service_visit_id from service_visit
    union all select cooperation_agreement_id from cooperation_agreement
    union all select pilot_designation_id from pilot_designation
    union all select innovation_event_id from innovation_event";
const MATCH_STATUSES: [&str; 5] = [
    "PROPOSED",
    "NEGOTIATING",
    "CONTRACTED",
    "TRANSFERRED",
    "FAILED",
];
const MATURITIES: [&str; 4] = ["LABORATORY", "PROTOTYPE", "PILOT", "INDUSTRIALIZED"];

async fn migrated_pool(db: &TestDb) -> PgPool {
    let pool = kexie_subgraph_kit::db::connect(&db.url, kexie_innovation::NAME)
        .await
        .unwrap();
    kexie_innovation::SUBGRAPH.migrate(&pool).await.unwrap();
    pool
}

struct Writer {
    rng: fastrand::Rng,
    units: Vec<Uuid>,
    needs: Vec<Uuid>,
    results: Vec<Uuid>,
    matches: Vec<Uuid>,
    visits: Vec<Uuid>,
    events: Vec<Uuid>,
}

impl Writer {
    /// A day in 2023–2026.
    fn day(&mut self) -> NaiveDate {
        NaiveDate::from_ymd_opt(2023, 1, 1).unwrap() + Duration::days(self.rng.i64(0..4 * 365))
    }

    fn pick(&mut self, ids: fn(&Writer) -> &Vec<Uuid>) -> Vec<Uuid> {
        let ids = ids(self).clone();
        if ids.is_empty() {
            return Vec::new();
        }
        let count = self.rng.usize(1..4);
        (0..count)
            .map(|_| ids[self.rng.usize(..ids.len())])
            .collect()
    }
}

impl RandomWriter for Writer {
    type Made = (usize, usize, usize, usize, usize);

    fn made(&self) -> Self::Made {
        (
            self.needs.len(),
            self.results.len(),
            self.matches.len(),
            self.visits.len(),
            self.events.len(),
        )
    }

    fn forget_since(&mut self, made: Self::Made) {
        self.needs.truncate(made.0);
        self.results.truncate(made.1);
        self.matches.truncate(made.2);
        self.visits.truncate(made.3);
        self.events.truncate(made.4);
    }

    fn roll_back_next(&mut self) -> bool {
        self.rng.u8(..5) == 0
    }

    async fn write(&mut self, conn: &mut PgConnection) -> sqlx::Result<()> {
        let (day, later) = (self.day(), self.day());
        let (first, last) = (day.min(later), day.max(later));
        let unit = self.units[self.rng.usize(..self.units.len())];
        let flag = self.rng.bool();
        let id = Uuid::now_v7();
        let query = match self.rng.u8(..21) {
            17 => {
                self.events.push(id);
                // Planned, or held with its attendance, presenting needs and results.
                let needs = self.pick(|w| &w.needs);
                let results = self.pick(|w| &w.results);
                sqlx::query(
                    "with event as (
                         insert into innovation_event (innovation_event_id, unit_id, kind, title,
                                                       starts_on, ends_on, status, participants,
                                                       created_by, updated_by)
                         values ($1, $2, $3, '活动', $4, $4,
                                 case when $5 then 'HELD' else 'PLANNED' end,
                                 case when $5 then 120 else 0 end, 't', 't')
                         returning innovation_event_id
                     ), presented_needs as (
                         insert into innovation_event_need (innovation_event_id, tech_need_id, position)
                         select distinct on (n) $1, n, 0 from event, unnest($6::uuid[]) as n
                     )
                     insert into innovation_event_result (innovation_event_id, science_result_id, position)
                     select distinct on (r) $1, r, 0 from event, unnest($7::uuid[]) as r
                     where exists (select from science_result where science_result_id = r)",
                )
                .bind(id)
                .bind(unit)
                .bind(if self.rng.bool() { "MATCHMAKING" } else { "SALON" })
                .bind(day)
                .bind(flag)
                .bind(needs)
                .bind(results)
            }
            18 => sqlx::query(
                "update innovation_event set status = 'HELD', participants = $2, starts_on = $3,
                                             ends_on = $3, unit_id = $4,
                                             archived_at = case when $5 then now() end
                 where innovation_event_id = any($1)",
            )
            .bind(self.pick(|w| &w.events))
            .bind(self.rng.i32(1..500))
            .bind(day)
            .bind(unit)
            .bind(self.rng.u8(..4) == 0),
            19 => sqlx::query(
                "delete from innovation_event_need where innovation_event_id = any($1)",
            )
            .bind(self.pick(|w| &w.events)),
            // A match recorded as brokered at an event, or no longer.
            20 => sqlx::query(
                "update need_match set innovation_event_id = $2 where need_match_id = any($1)",
            )
            .bind(self.pick(|w| &w.matches))
            .bind(self.pick(|w| &w.events).first().copied().filter(|_| flag)),
            // An agreement in force from one day to another (or open-ended), or ended.
            15 => sqlx::query(
                "insert into cooperation_agreement (cooperation_agreement_id, university_unit_id,
                                                    enterprise_name, title, field, signed_on,
                                                    ends_on, created_by, updated_by)
                 values ($1, $2, '公司', '协议', 'NEW_ENERGY', $3, case when $4 then $5::date end,
                         't', 't')",
            )
            .bind(id)
            .bind(unit)
            .bind(first)
            .bind(flag)
            .bind(last),
            // A designation of some years, or still in force.
            16 => sqlx::query(
                "insert into pilot_designation (pilot_designation_id, unit_id, kind, name,
                                                from_year, to_year, created_by, updated_by)
                 values ($1, $2, 'PILOT_PARK', '试点', $3, case when $4 then $3 + 1 end, 't', 't')",
            )
            .bind(id)
            .bind(unit)
            .bind(self.rng.i32(2023..2027))
            .bind(flag),
            10 | 11 => return random_tree_change(&mut self.rng, conn, &self.units).await,
            12 => {
                self.visits.push(id);
                // Planned, or held with its problems, on any day; with an expert or two.
                sqlx::query(
                    "with visit as (
                         insert into service_visit (service_visit_id, unit_id, enterprise_name, kind,
                                                    title, visited_on, status, problems_taken,
                                                    problems_solved, created_by, updated_by)
                         values ($1, $2, '公司', $3, '企业行', $4,
                                 case when $5 then 'HELD' else 'PLANNED' end,
                                 case when $5 then 5 else 0 end, case when $5 then 2 else 0 end,
                                 't', 't')
                         returning service_visit_id
                     )
                     insert into service_visit_expert (service_visit_id, worker_id, position)
                     select service_visit_id, gen_random_uuid(), p from visit, generate_series(0, $6) as p",
                )
                .bind(id)
                .bind(unit)
                .bind(if self.rng.bool() { "SOCIETY_VISIT" } else { "EXPERT_TEAM" })
                .bind(day)
                .bind(flag)
                .bind(self.rng.i32(0..2))
            }
            13 => sqlx::query(
                "update service_visit set status = 'HELD', problems_taken = $2, problems_solved = 1,
                                          visited_on = $3, unit_id = $4,
                                          archived_at = case when $5 then now() end
                 where service_visit_id = any($1)",
            )
            .bind(self.pick(|w| &w.visits))
            .bind(self.rng.i32(1..9))
            .bind(day)
            .bind(unit)
            .bind(self.rng.u8(..4) == 0),
            14 => sqlx::query(
                "delete from service_visit_expert where service_visit_id = any($1)
                     and position = 0",
            )
            .bind(self.pick(|w| &w.visits)),
            0 | 1 => {
                self.needs.push(id);
                // Published, or already ended (resolved or closed) on a later day.
                sqlx::query(
                    "insert into tech_need (tech_need_id, unit_id, title, field, problem, status,
                                            published_on, ended_on, created_by, updated_by)
                     values ($1, $2, '需求', 'NEW_MATERIALS', '问题',
                             case when $3 then 'RESOLVED' else 'PUBLISHED' end, $4,
                             case when $3 then $5::date end, 't', 't')",
                )
                .bind(id)
                .bind(unit)
                .bind(flag)
                .bind(first)
                .bind(last)
            }
            2 => sqlx::query(
                "update tech_need set status = case when $2 then 'CLOSED' else 'MATCHING' end,
                                      ended_on = case when $2 then greatest(published_on, $3) end,
                                      unit_id = $4, field = 'BIOMEDICINE',
                                      archived_at = case when $5 then now() end
                 where tech_need_id = any($1)",
            )
            .bind(self.pick(|w| &w.needs))
            .bind(flag)
            .bind(day)
            .bind(unit)
            .bind(self.rng.u8(..4) == 0),
            3 => {
                let Some(&need) = self.pick(|w| &w.needs).first() else {
                    return Ok(());
                };
                self.matches.push(id);
                let status = MATCH_STATUSES[self.rng.usize(..5)];
                let contracted = matches!(status, "CONTRACTED" | "TRANSFERRED");
                sqlx::query(
                    "insert into need_match (need_match_id, tech_need_id, expert_id, status,
                                             proposed_on, contract_signed_on, contract_amount,
                                             transferred_on, created_by, updated_by)
                     values ($1, $2, gen_random_uuid(), $3, $4, case when $5 then $4 end,
                             case when $5 then $6::numeric(14, 2) end,
                             case when $3 = 'TRANSFERRED' then $7::date end, 't', 't')",
                )
                .bind(id)
                .bind(need)
                .bind(status)
                .bind(first)
                .bind(contracted)
                .bind(f64::from(self.rng.u32(1..100_000)) / 100.0)
                .bind(last)
            }
            // A contract signed on any day (back-dated or not), or the match failing.
            4 => sqlx::query(
                "update need_match set status = case when $2 then 'CONTRACTED' else 'FAILED' end,
                                       contract_signed_on = case when $2 then $3::date end,
                                       contract_amount = case when $2 then 12.34 end,
                                       transferred_on = null
                 where need_match_id = any($1)",
            )
            .bind(self.pick(|w| &w.matches))
            .bind(flag)
            .bind(day),
            5 => sqlx::query("delete from need_match where need_match_id = any($1)")
                .bind(self.pick(|w| &w.matches)),
            6 => sqlx::query("delete from need_match where tech_need_id = any($1)")
                .bind(self.pick(|w| &w.needs)),
            7 => {
                self.results.push(id);
                sqlx::query(
                    "insert into science_result (science_result_id, owner_unit_id, title, field,
                                                 maturity, licensing, offered_on, created_by,
                                                 updated_by)
                     values ($1, $2, '成果', 'NEW_ENERGY', $3, 'LICENSE', $4, 't', 't')",
                )
                .bind(id)
                .bind(unit)
                .bind(MATURITIES[self.rng.usize(..4)])
                .bind(day)
            }
            8 => sqlx::query(
                "update science_result set owner_unit_id = $2, offered_on = $3, maturity = $4,
                                           archived_at = case when $5 then now() end
                 where science_result_id = any($1)",
            )
            .bind(self.pick(|w| &w.results))
            .bind(unit)
            .bind(day)
            .bind(MATURITIES[self.rng.usize(..4)])
            .bind(flag && self.rng.bool()),
            _ => sqlx::query("delete from science_result where science_result_id = any($1)
                                  and not exists (select from need_match m
                                                  where m.science_result_id = science_result.science_result_id)
                                  and not exists (select from innovation_event_result p
                                                  where p.science_result_id = science_result.science_result_id)")
                .bind(self.pick(|w| &w.results)),
        };
        query.execute(conn).await.map(drop)
    }
}

#[tokio::test]
async fn random_writes_one_after_another_keep_the_ledger_exact() {
    let db = TestDb::new().await;
    let pool = migrated_pool(&db).await;
    let mut writer = Writer {
        rng: fastrand::Rng::with_seed(test_seed()),
        units: (0..6).map(|_| Uuid::now_v7()).collect(),
        needs: Vec::new(),
        results: Vec::new(),
        matches: Vec::new(),
        visits: Vec::new(),
        events: Vec::new(),
    };
    assert_random_writes_keep_the_ledger_exact(&pool, &mut writer, ENTITIES).await;
    // Whatever the random writes left, a contract signed now counts its value, in
    // hundredths of 万元.
    let need = Uuid::now_v7();
    sqlx::query(
        "with need as (
             insert into tech_need (tech_need_id, unit_id, title, field, problem, published_on,
                                    created_by, updated_by)
             values ($1, $2, '需求', 'NEW_MATERIALS', '问题', '2026-01-05', 't', 't')
         )
         insert into need_match (need_match_id, tech_need_id, expert_id, status, proposed_on,
                                 contract_signed_on, contract_amount, created_by, updated_by)
         values (gen_random_uuid(), $1, gen_random_uuid(), 'CONTRACTED', '2026-01-06',
                 '2026-01-20', 12.34, 't', 't')",
    )
    .bind(need)
    .bind(writer.units[0])
    .execute(&pool)
    .await
    .unwrap();
    assert!(ledger_differences(&pool, ENTITIES).await.is_empty());
    let value: i64 = sqlx::query_scalar(
        "select coalesce(sum(delta), 0)::bigint from figure_ledger
         where figure = 'CONTRACT_VALUE' and grain = 'D' and period_start = '2026-01-20'
           and unit_id = $1",
    )
    .bind(writer.units[0])
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(value >= 1234, "the contract's value counts: {value}");
}

#[tokio::test]
async fn concurrent_matches_of_one_need_keep_the_ledger_exact() {
    let db = TestDb::new().await;
    let pool = migrated_pool(&db).await;
    let need = Uuid::now_v7();
    sqlx::query(
        "insert into tech_need (tech_need_id, unit_id, title, field, problem, published_on,
                                created_by, updated_by)
         values ($1, $2, '需求', 'NEW_MATERIALS', '问题', '2025-03-01', 't', 't')",
    )
    .bind(need)
    .bind(Uuid::now_v7())
    .execute(&pool)
    .await
    .unwrap();
    for round in 0..4 {
        let mut writers = Vec::new();
        for task in 0..8i32 {
            let pool = pool.clone();
            writers.push(tokio::spawn(async move {
                let mut tx = pool.begin().await.unwrap();
                sqlx::query(
                    "insert into need_match (need_match_id, tech_need_id, expert_id, status,
                                             proposed_on, contract_signed_on, contract_amount,
                                             created_by, updated_by)
                     values (gen_random_uuid(), $1, gen_random_uuid(), 'CONTRACTED',
                             date '2025-03-02' + $2, date '2025-03-10' + $2, $3, 't', 't')",
                )
                .bind(need)
                .bind(task * 7 + round)
                .bind(f64::from(task + 1) * 1.25)
                .execute(&mut *tx)
                .await
                .unwrap();
                // Hold the transaction open while the others write.
                sqlx::query("select pg_sleep(0.05)")
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
            }));
        }
        for writer in writers {
            writer.await.unwrap();
        }
        let differences = ledger_differences(&pool, ENTITIES).await;
        assert!(
            differences.is_empty(),
            "round {round}: the ledger differs from the records: {differences:#?}"
        );
    }
    let value: i64 = sqlx::query_scalar(
        "select sum(delta)::bigint from figure_ledger where figure = 'CONTRACT_VALUE' and grain = 'Y'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    // 4 rounds of amounts 1.25 … 10.00 (hundredths of 万元).
    assert_eq!(value, 4 * (125 + 250 + 375 + 500 + 625 + 750 + 875 + 1000));
}
