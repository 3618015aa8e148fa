//! The figure ledger stays exact under any sequence of writes: random inserts, updates,
//! back-dated changes, archives, moves between units, status steps and deletes, one at a
//! time and from concurrent transactions (some rolled back), each compared with the ledger
//! rebuilt from scratch out of the records.

use chrono::{DateTime, Duration, TimeZone, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use kexie_testkit::{
    assert_random_writes_keep_the_ledger_exact, ledger_differences, random_tree_change, test_seed,
    RandomWriter, TestDb,
};

const ENTITIES: &str = "select worker_id from worker
    union all select nomination_id from nomination
    union all select workstation_id from workstation";

async fn migrated_pool(db: &TestDb) -> PgPool {
    let pool = kexie_subgraph_kit::db::connect(&db.url, kexie_talent::NAME)
        .await
        .unwrap();
    kexie_talent::SUBGRAPH.migrate(&pool).await.unwrap();
    pool
}

/// Random writes over a few units and the records made so far.
struct Writer {
    rng: fastrand::Rng,
    units: Vec<Uuid>,
    workers: Vec<Uuid>,
    honors: Vec<Uuid>,
    nominations: Vec<Uuid>,
    workstations: Vec<Uuid>,
}

impl Writer {
    fn new(seed: u64, units: Vec<Uuid>) -> Self {
        Writer {
            rng: fastrand::Rng::with_seed(seed),
            units,
            workers: Vec::new(),
            honors: Vec::new(),
            nominations: Vec::new(),
            workstations: Vec::new(),
        }
    }

    /// A moment between 2022 and 2026.
    fn moment(&mut self) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2022, 1, 1, 0, 0, 0).unwrap()
            + Duration::minutes(self.rng.i64(0..5 * 365 * 24 * 60))
    }

    fn unit(&mut self) -> Uuid {
        self.units[self.rng.usize(..self.units.len())]
    }

    fn pick(&mut self, of: fn(&Writer) -> &Vec<Uuid>) -> Option<Uuid> {
        let count = of(self).len();
        if count == 0 {
            return None;
        }
        let position = self.rng.usize(..count);
        Some(of(self)[position])
    }

    /// A few of `ids`, as an array.
    fn some(&mut self, of: fn(&Writer) -> &Vec<Uuid>) -> Vec<Uuid> {
        let count = self.rng.usize(1..4);
        (0..count).filter_map(|_| self.pick(of)).collect()
    }
}

impl RandomWriter for Writer {
    type Made = [usize; 4];

    fn made(&self) -> Self::Made {
        [
            self.workers.len(),
            self.honors.len(),
            self.nominations.len(),
            self.workstations.len(),
        ]
    }

    fn forget_since(&mut self, made: Self::Made) {
        self.workers.truncate(made[0]);
        self.honors.truncate(made[1]);
        self.nominations.truncate(made[2]);
        self.workstations.truncate(made[3]);
    }

    fn roll_back_next(&mut self) -> bool {
        self.rng.u8(..5) == 0
    }

    /// One random write; an error is the database's (a deadlock between concurrent writers).
    async fn write(&mut self, conn: &mut PgConnection) -> sqlx::Result<()> {
        let (moment, other) = (self.moment(), self.moment());
        let unit = self.unit();
        let flag = self.rng.bool();
        let level = ["NATIONAL", "PROVINCIAL", "CITY", "DISTRICT"][self.rng.usize(..4)];
        let year = self.rng.i32(2021..2027);
        let id = Uuid::now_v7();
        let query = match self.rng.u8(..18) {
            16 | 17 => return random_tree_change(&mut self.rng, conn, &self.units).await,
            0 | 1 => {
                let ids: Vec<Uuid> = (0..self.rng.usize(1..6)).map(|_| Uuid::now_v7()).collect();
                self.workers.extend(&ids);
                sqlx::query(
                    "insert into worker (worker_id, name, gender, home_unit_id, is_volunteer,
                                         is_rural_expert, created_at, created_by, updated_by)
                     select id, '测试', 'MALE', $2, $3, not $3, $4 + n * interval '5 days', 't', 't'
                     from unnest($1::uuid[]) with ordinality as w(id, n)",
                )
                .bind(ids)
                .bind(unit)
                .bind(flag)
                .bind(moment)
            }
            2 => sqlx::query("update worker set home_unit_id = $2 where worker_id = any($1)")
                .bind(self.some(|w| &w.workers))
                .bind(unit),
            3 => sqlx::query(
                "update worker set is_volunteer = not is_volunteer, is_rural_expert = $2
                 where worker_id = any($1)",
            )
            .bind(self.some(|w| &w.workers))
            .bind(flag),
            4 => sqlx::query(
                "update worker set archived_at = case when $2 then $3 end, archived_by = 't'
                 where worker_id = any($1)",
            )
            .bind(self.some(|w| &w.workers))
            .bind(flag)
            .bind(moment),
            5 => sqlx::query("update worker set created_at = $2 where worker_id = any($1)")
                .bind(self.some(|w| &w.workers))
                .bind(moment),
            6 => match self.pick(|w| &w.workers) {
                Some(worker) => {
                    self.honors.push(id);
                    sqlx::query(
                        "insert into honor (honor_id, worker_id, name, level, year, created_at,
                                            created_by, updated_by)
                         values ($1, $2, $1::text, $3, $4, $5, 't', 't')",
                    )
                    .bind(id)
                    .bind(worker)
                    .bind(level)
                    .bind(year)
                    .bind(moment)
                }
                None => return Ok(()),
            },
            7 => sqlx::query(
                "update honor set archived_at = case when $2 then $3 end, year = $4
                 where honor_id = any($1)",
            )
            .bind(self.some(|w| &w.honors))
            .bind(flag)
            .bind(moment)
            .bind(year),
            8 => sqlx::query("delete from honor where honor_id = any($1)")
                .bind(self.some(|w| &w.honors)),
            9 => match self.pick(|w| &w.workers) {
                Some(worker) => {
                    self.nominations.push(id);
                    sqlx::query(
                        "insert into nomination (nomination_id, worker_id, honor_name, honor_level,
                                                 year, nominating_unit_id, created_at, created_by,
                                                 updated_by)
                         values ($1, $2, $1::text, $3, $4, $5, $6, 't', 't')",
                    )
                    .bind(id)
                    .bind(worker)
                    .bind(level)
                    .bind(year)
                    .bind(unit)
                    .bind(moment)
                }
                None => return Ok(()),
            },
            10 => sqlx::query(
                "update nomination set status = case when $2 then 'SHORTLISTED' else 'NOT_SELECTED' end,
                                       nominating_unit_id = $3, created_at = $4
                 where nomination_id = any($1)",
            )
            .bind(self.some(|w| &w.nominations))
            .bind(flag)
            .bind(unit)
            .bind(moment),
            11 => sqlx::query("delete from nomination where nomination_id = any($1)")
                .bind(self.some(|w| &w.nominations)),
            12 => {
                self.workstations.push(id);
                sqlx::query(
                    "insert into workstation (workstation_id, kind, name, host_unit_id, certification,
                                              founded_on, created_at, created_by, updated_by)
                     values ($1, 'SCIENCE_BACKYARD', '站', $2, $3, case when $4 then $5::date end, $6,
                             't', 't')",
                )
                .bind(id)
                .bind(unit)
                .bind(if flag { "CITY" } else { "NONE" })
                .bind(flag)
                .bind(other)
                .bind(moment)
            }
            13 => match self.pick(|w| &w.workstations) {
                // A closing step, recorded at any moment (back-dated or not).
                Some(workstation) => sqlx::query(
                    "with closed as (
                         update workstation set status = 'CLOSED' where workstation_id = $1
                     )
                     insert into status_change (status_change_id, entity_id, from_status, to_status,
                                                actor, changed_at)
                     values ($2, $1, 'ACTIVE', 'CLOSED', 't', $3)",
                )
                .bind(workstation)
                .bind(id)
                .bind(moment),
                None => return Ok(()),
            },
            14 => sqlx::query(
                "update workstation set status = case when $2 then 'ACTIVE' else 'SUSPENDED' end,
                                        certification = 'PROVINCIAL', host_unit_id = $3,
                                        archived_at = case when $2 then null else $4 end
                 where workstation_id = any($1)",
            )
            .bind(self.some(|w| &w.workstations))
            .bind(flag)
            .bind(unit)
            .bind(moment),
            _ => sqlx::query("delete from status_change where entity_id = any($1)")
                .bind(self.some(|w| &w.workstations)),
        };
        query.execute(conn).await.map(drop)
    }
}

#[tokio::test]
async fn random_writes_one_after_another_keep_the_ledger_exact() {
    let db = TestDb::new().await;
    let pool = migrated_pool(&db).await;
    let units = (0..6).map(|_| Uuid::now_v7()).collect();
    let mut writer = Writer::new(test_seed(), units);
    assert_random_writes_keep_the_ledger_exact(&pool, &mut writer, ENTITIES).await;
    let rows: i64 = sqlx::query_scalar("select count(*) from figure_ledger where delta <> 0")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(rows > 100, "the writes made figures to keep: {rows} rows");
}

#[tokio::test]
async fn concurrent_transactions_on_the_same_records_keep_the_ledger_exact() {
    let db = TestDb::new().await;
    let pool = migrated_pool(&db).await;
    let units: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
    let seed = test_seed();
    // The records everyone writes to.
    let mut shared = Writer::new(seed, units.clone());
    let mut conn = pool.acquire().await.unwrap();
    for _ in 0..40 {
        shared.write(&mut conn).await.unwrap();
    }
    drop(conn);

    let mut writers = Vec::new();
    for task in 0..6u64 {
        let pool = pool.clone();
        let mut writer = Writer::new(seed.wrapping_add(task + 1), units.clone());
        writer.workers = shared.workers.clone();
        writer.honors = shared.honors.clone();
        writer.nominations = shared.nominations.clone();
        writer.workstations = shared.workstations.clone();
        writers.push(tokio::spawn(async move {
            let (mut committed, mut failed) = (0, 0);
            for _ in 0..40 {
                let mut tx = pool.begin().await.unwrap();
                let mut outcome = Ok(());
                for _ in 0..writer.rng.usize(1..4) {
                    outcome = writer.write(&mut tx).await;
                    if outcome.is_err() {
                        break;
                    }
                }
                match outcome {
                    Ok(()) if writer.rng.u8(..4) > 0 => {
                        tx.commit().await.unwrap();
                        committed += 1;
                    }
                    // A deadlock the database broke, or a transaction given up.
                    _ => {
                        failed += 1;
                        tx.rollback().await.unwrap();
                    }
                }
            }
            (committed, failed)
        }));
    }
    let mut committed = 0;
    for writer in writers {
        committed += writer.await.unwrap().0;
    }
    assert!(committed > 100, "most transactions committed: {committed}");
    let differences = ledger_differences(&pool, ENTITIES).await;
    assert!(
        differences.is_empty(),
        "the ledger differs from the records: {differences:#?}"
    );
}

/// Writes that change what a record contributes without locking its row (honors of one
/// worker, steps of one workstation's history) from many transactions at once: each
/// refresh must see what the one before it committed.
#[tokio::test]
async fn concurrent_writes_to_one_records_dependents_keep_the_ledger_exact() {
    let db = TestDb::new().await;
    let pool = migrated_pool(&db).await;
    let (worker, workstation, unit) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    sqlx::query(
        "insert into worker (worker_id, name, gender, home_unit_id, created_by, updated_by)
         values ($1, '测试', 'FEMALE', $2, 't', 't')",
    )
    .bind(worker)
    .bind(unit)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into workstation (workstation_id, kind, name, host_unit_id, status, created_by, updated_by)
         values ($1, 'SCIENCE_BACKYARD', '站', $2, 'CLOSED', 't', 't')",
    )
    .bind(workstation)
    .bind(unit)
    .execute(&pool)
    .await
    .unwrap();
    for round in 0..4 {
        let mut writers = Vec::new();
        for task in 0..8 {
            let pool = pool.clone();
            writers.push(tokio::spawn(async move {
                let mut tx = pool.begin().await.unwrap();
                let statement = if task % 2 == 0 {
                    sqlx::query(
                        "insert into honor (honor_id, worker_id, name, level, year, created_by, updated_by)
                         values ($1, $2, $1::text, 'CITY', 2025, 't', 't')",
                    )
                    .bind(Uuid::now_v7())
                    .bind(worker)
                } else {
                    sqlx::query(
                        "insert into status_change (status_change_id, entity_id, from_status, to_status,
                                                    actor, changed_at)
                         values ($1, $2, 'ACTIVE', 'CLOSED', 't', now() - $3 * interval '1 day')",
                    )
                    .bind(Uuid::now_v7())
                    .bind(workstation)
                    .bind(f64::from(task * 30 + round))
                };
                statement.execute(&mut *tx).await.unwrap();
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
    let honors: i64 = sqlx::query_scalar(
        "select coalesce(sum(delta), 0)::bigint from figure_ledger
         where grain = 'Y' and figure = 'HONORS_BY_LEVEL'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(honors, 16, "every honor counted once");
}

/// Workers recorded in a township and the village below it while the township moves back
/// and forth between two districts, from many transactions at once: a refresh must count in
/// the ancestors of the tree as committed, and a move must carry every contribution
/// committed before it.
#[tokio::test]
async fn concurrent_moves_and_writes_keep_the_ledger_exact() {
    let db = TestDb::new().await;
    let pool = migrated_pool(&db).await;
    let [city, east, west, township, village] = [(); 5].map(|_| Uuid::now_v7());
    sqlx::query(
        "insert into unit_replica (unit_id, parent_id, path, kind, status, name)
         values ($1, null, '/' || $1 || '/', 'CITY', 'ACTIVE', '市'),
                ($2, $1, '/' || $1 || '/' || $2 || '/', 'DISTRICT', 'ACTIVE', '东区'),
                ($3, $1, '/' || $1 || '/' || $3 || '/', 'DISTRICT', 'ACTIVE', '西区'),
                ($4, $2, '/' || $1 || '/' || $2 || '/' || $4 || '/', 'TOWNSHIP', 'ACTIVE', '镇'),
                ($5, $4, '/' || $1 || '/' || $2 || '/' || $4 || '/' || $5 || '/', 'ENTERPRISE', 'ACTIVE', '村')",
    )
    .bind(city)
    .bind(east)
    .bind(west)
    .bind(township)
    .bind(village)
    .execute(&pool)
    .await
    .unwrap();
    for round in 0..6 {
        let mut writers = Vec::new();
        for task in 0..8 {
            let pool = pool.clone();
            writers.push(tokio::spawn(async move {
                let mut tx = pool.begin().await.unwrap();
                if task % 3 == 0 {
                    // As the replica applies organizations' event: the township and the
                    // village below it, in one statement.
                    sqlx::query("select pg_advisory_xact_lock(1802, 0)")
                        .execute(&mut *tx)
                        .await
                        .unwrap();
                    sqlx::query(
                        "with target as (
                             select case when parent_id = $2 then $3 else $2 end as district
                             from unit_replica where unit_id = $4
                         )
                         update unit_replica
                         set path = '/' || $1 || '/' || target.district || '/'
                                    || substr(path, length('/' || $1 || '/' || $2 || '/') + 1),
                             parent_id = case when unit_id = $4 then target.district else parent_id end
                         from target
                         where unit_id in ($4, $5)",
                    )
                    .bind(city)
                    .bind(east)
                    .bind(west)
                    .bind(township)
                    .bind(village)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                } else {
                    sqlx::query(
                        "insert into worker (worker_id, name, gender, home_unit_id, created_by, updated_by)
                         values ($1, '测试', 'MALE', $2, 't', 't')",
                    )
                    .bind(Uuid::now_v7())
                    .bind(if task % 2 == 0 { township } else { village })
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                }
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
    let in_city: i64 = sqlx::query_scalar(
        "select coalesce(sum(delta), 0)::bigint from figure_ledger
         where unit_id = $1 and grain = 'Y' and figure = 'WORKERS'",
    )
    .bind(city)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(in_city, 6 * 5, "every worker counted once in the city");
}
