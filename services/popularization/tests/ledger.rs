//! The figure ledger stays exact under any sequence of writes to venues, their status
//! history and activities: random inserts, back-dated steps (several on one day), opening
//! dates, status changes, moves, archives and deletes, one at a time (some rolled back) and
//! from concurrent transactions, each compared with the ledger rebuilt from the records.

use chrono::{Duration, NaiveDate};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use kexie_testkit::{
    assert_random_writes_keep_the_ledger_exact, ledger_differences, random_tree_change, test_seed,
    RandomWriter, TestDb,
};

const ENTITIES: &str = "select venue_id from venue union all select activity_id from activity";
const STATUSES: [&str; 4] = ["PLANNED", "UNDER_CONSTRUCTION", "OPEN", "CLOSED"];

async fn migrated_pool(db: &TestDb) -> PgPool {
    let pool = kexie_subgraph_kit::db::connect(&db.url, kexie_popularization::NAME)
        .await
        .unwrap();
    kexie_popularization::SUBGRAPH.migrate(&pool).await.unwrap();
    pool
}

struct Writer {
    rng: fastrand::Rng,
    units: Vec<Uuid>,
    venues: Vec<Uuid>,
    activities: Vec<Uuid>,
}

impl Writer {
    /// A day in 2023–2026.
    fn day(&mut self) -> NaiveDate {
        NaiveDate::from_ymd_opt(2023, 1, 1).unwrap() + Duration::days(self.rng.i64(0..4 * 365))
    }

    fn pick(&mut self, venues: bool) -> Vec<Uuid> {
        let ids = if venues {
            &self.venues
        } else {
            &self.activities
        };
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
    type Made = (usize, usize);

    fn made(&self) -> Self::Made {
        (self.venues.len(), self.activities.len())
    }

    fn forget_since(&mut self, made: Self::Made) {
        self.venues.truncate(made.0);
        self.activities.truncate(made.1);
    }

    fn roll_back_next(&mut self) -> bool {
        self.rng.u8(..5) == 0
    }

    async fn write(&mut self, conn: &mut PgConnection) -> sqlx::Result<()> {
        let (day, hour) = (self.day(), self.rng.i32(0..24));
        let unit = self.units[self.rng.usize(..self.units.len())];
        let flag = self.rng.bool();
        let status = STATUSES[self.rng.usize(..4)];
        let id = Uuid::now_v7();
        let query = match self.rng.u8(..12) {
            10 | 11 => return random_tree_change(&mut self.rng, conn, &self.units).await,
            0 => {
                self.venues.push(id);
                sqlx::query(
                    "insert into venue (venue_id, owner_unit_id, name, kind, status, opened_on,
                                        created_by, updated_by)
                     values ($1, $2, '馆', case when $3 then 'SCIENCE_MUSEUM' else 'ONLINE' end,
                             'CLOSED', case when $3 then $4 end, 't', 't')",
                )
                .bind(id)
                .bind(unit)
                .bind(flag)
                .bind(day)
            }
            // A step of a venue's history at any moment, back-dated or not; two on one
            // day now and then.
            1 | 2 => {
                let venues = self.pick(true);
                sqlx::query(
                    "insert into status_change (status_change_id, entity_id, from_status, to_status,
                                                actor, changed_at)
                     select gen_random_uuid(), v, null, $2, 't',
                            ($3::date + make_interval(hours => $4))::timestamp at time zone 'Asia/Shanghai'
                     from unnest($1::uuid[]) as v",
                )
                .bind(venues)
                .bind(status)
                .bind(day)
                .bind(hour)
            }
            3 => sqlx::query(
                "update venue set opened_on = case when $2 then $3 end, owner_unit_id = $4,
                                  kind = case when $2 then 'ONLINE' else 'COMMUNITY_HALL' end,
                                  archived_at = case when $2 and $3 < '2024-01-01' then now() end
                 where venue_id = any($1)",
            )
            .bind(self.pick(true))
            .bind(flag)
            .bind(day)
            .bind(unit),
            4 => sqlx::query("delete from status_change where entity_id = any($1)")
                .bind(self.pick(true)),
            5 | 6 => {
                self.activities.push(id);
                sqlx::query(
                    "insert into activity (activity_id, organizer_unit_id, title, kind, starts_on,
                                           ends_on, audiences, topics, participants, online_reach,
                                           mode, status, created_by, updated_by)
                     values ($1, $2, '活动', 'LECTURE', $3, $3, array['YOUTH', 'FARMERS'],
                             case when $5 then array['FOOD_SAFETY', 'DISASTER_PREVENTION'] else array['HEALTH'] end,
                             $4, $4 * 2, 'OFFLINE', case when $5 then 'HELD' else 'PLANNED' end, 't', 't')",
                )
                .bind(id)
                .bind(unit)
                .bind(day)
                .bind(self.rng.i32(0..500))
                .bind(flag)
            }
            7 => sqlx::query(
                "update activity set status = case when $2 then 'HELD' else 'CANCELLED' end,
                                     starts_on = $3, ends_on = $3, organizer_unit_id = $4,
                                     participants = participants + 7,
                                     audiences = case when $2 then array['YOUTH'] else array['FARMERS', 'YOUTH', 'ELDERLY'] end,
                                     topics = case when $2 then array['FOOD_SAFETY'] else '{}' end
                 where activity_id = any($1)",
            )
            .bind(self.pick(false))
            .bind(flag)
            .bind(day)
            .bind(unit),
            8 => sqlx::query(
                "update activity set archived_at = case when $2 then now() end where activity_id = any($1)",
            )
            .bind(self.pick(false))
            .bind(flag),
            _ => sqlx::query("delete from activity where activity_id = any($1)")
                .bind(self.pick(false)),
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
        venues: Vec::new(),
        activities: Vec::new(),
    };
    assert_random_writes_keep_the_ledger_exact(&pool, &mut writer, ENTITIES).await;
    let venue_rows: i64 = sqlx::query_scalar(
        "select count(*) from figure_ledger where figure = 'VENUES_BY_STATUS' and delta <> 0",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        venue_rows > 20,
        "venues' histories made figures: {venue_rows} rows"
    );
}

#[tokio::test]
async fn concurrent_steps_of_one_venue_keep_the_ledger_exact() {
    let db = TestDb::new().await;
    let pool = migrated_pool(&db).await;
    let venue = Uuid::now_v7();
    sqlx::query(
        "insert into venue (venue_id, owner_unit_id, name, kind, status, opened_on, created_by, updated_by)
         values ($1, $2, '馆', 'SCIENCE_MUSEUM', 'CLOSED', '2024-05-01', 't', 't')",
    )
    .bind(venue)
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
                    "insert into status_change (status_change_id, entity_id, from_status, to_status,
                                                actor, changed_at)
                     values (gen_random_uuid(), $1, null, $2, 't', now() - $3 * interval '9 days')",
                )
                .bind(venue)
                .bind(STATUSES[(task + round) as usize % 4])
                .bind(f64::from(task * 10 + round))
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
}
