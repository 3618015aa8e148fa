//! The figure ledger stays exact under any sequence of writes to units, their status
//! history and their terms, and to party-building activities and media reports: random
//! foundings, back-dated steps, mergers and dissolutions, terms begun, ended, corrected and
//! archived, records moved, re-dated and archived, one at a time (some rolled back) and from
//! concurrent transactions, each compared with the ledger rebuilt from the records.

use chrono::{Duration, NaiveDate};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use kexie_testkit::{
    assert_random_writes_keep_the_ledger_exact, ledger_differences, test_seed, RandomWriter, TestDb,
};

const ENTITIES: &str = "select unit_id from unit
    union all select party_building_activity_id from party_building_activity
    union all select media_report_id from media_report";
const KINDS: [&str; 3] = ["SOCIETY", "TOWNSHIP", "ENTERPRISE"];

async fn migrated_pool(db: &TestDb) -> (PgPool, Uuid) {
    let pool = kexie_subgraph_kit::db::connect(&db.url, kexie_organizations::NAME)
        .await
        .unwrap();
    kexie_organizations::SUBGRAPH.migrate(&pool).await.unwrap();
    let root = Uuid::now_v7();
    sqlx::query(
        "insert into unit (unit_id, path, name, kind, founded_on, created_by, updated_by)
         values ($1, '/' || $1 || '/', '市科协', 'CITY', '2000-01-01', 't', 't')",
    )
    .bind(root)
    .execute(&pool)
    .await
    .unwrap();
    (pool, root)
}

struct Writer {
    rng: fastrand::Rng,
    root: Uuid,
    units: Vec<Uuid>,
}

impl Writer {
    /// A day in 2022–2026.
    fn day(&mut self) -> NaiveDate {
        NaiveDate::from_ymd_opt(2022, 1, 1).unwrap() + Duration::days(self.rng.i64(0..5 * 365))
    }

    fn pick(&mut self) -> Vec<Uuid> {
        if self.units.is_empty() {
            return Vec::new();
        }
        let count = self.rng.usize(1..4);
        (0..count)
            .map(|_| self.units[self.rng.usize(..self.units.len())])
            .collect()
    }
}

impl RandomWriter for Writer {
    type Made = usize;

    fn made(&self) -> Self::Made {
        self.units.len()
    }

    fn forget_since(&mut self, made: Self::Made) {
        self.units.truncate(made);
    }

    fn roll_back_next(&mut self) -> bool {
        self.rng.u8(..5) == 0
    }

    async fn write(&mut self, conn: &mut PgConnection) -> sqlx::Result<()> {
        let (day, other) = (self.day(), self.day());
        let flag = self.rng.bool();
        let kind = KINDS[self.rng.usize(..KINDS.len())];
        let id = Uuid::now_v7();
        let parent = self.pick().first().copied().unwrap_or(self.root);
        let unit = parent;
        let nth = self.rng.i64(0..8);
        let query = match self.rng.u8(..15) {
            11 => sqlx::query(
                "insert into party_building_activity (party_building_activity_id, unit_id, kind,
                                                      title, held_on, participants, created_by,
                                                      updated_by)
                 values ($1, $2, $3, '宣讲', $4, $5, 't', 't')",
            )
            .bind(id)
            .bind(unit)
            .bind(if flag { "LECTURE" } else { "WORK_MEETING" })
            .bind(day)
            .bind(self.rng.i32(0..200)),
            12 => sqlx::query(
                "update party_building_activity set unit_id = $1, held_on = $2, kind = 'TRAINING',
                                                    archived_at = case when $3 then now() end
                 where party_building_activity_id = (select party_building_activity_id
                     from party_building_activity order by 1 offset $4 limit 1)",
            )
            .bind(unit)
            .bind(other)
            .bind(self.rng.u8(..4) == 0)
            .bind(nth),
            13 => sqlx::query(
                "insert into media_report (media_report_id, unit_id, title, outlet, level,
                                           published_on, created_by, updated_by)
                 values ($1, $2, '报道', '四川日报', $3, $4, 't', 't')",
            )
            .bind(id)
            .bind(unit)
            .bind(if flag { "PROVINCIAL" } else { "COUNTY" })
            .bind(day),
            14 => sqlx::query(
                "update media_report set unit_id = $1, published_on = $2, level = 'CENTRAL',
                                         archived_at = case when $3 then now() end
                 where media_report_id = (select media_report_id from media_report
                                          order by 1 offset $4 limit 1)",
            )
            .bind(unit)
            .bind(other)
            .bind(self.rng.u8(..4) == 0)
            .bind(nth),
            0 | 1 => {
                self.units.push(id);
                sqlx::query(
                    "insert into unit (unit_id, parent_id, path, name, kind, founded_on, created_at,
                                       created_by, updated_by)
                     values ($1, $2, (select path from unit where unit_id = $2) || $1 || '/', '会', $3,
                             case when $4 then $5 end, $6::timestamp at time zone 'Asia/Shanghai',
                             't', 't')",
                )
                .bind(id)
                .bind(parent)
                .bind(kind)
                .bind(flag)
                .bind(day)
                .bind(other)
            }
            // A merger or dissolution, its step recorded at any moment (back-dated or not),
            // or a unit brought back to active.
            2 => sqlx::query(
                "with changed as (
                     update unit set status = case when $2 then 'MERGED' else 'DISSOLVED' end
                     where unit_id = any($1)
                 )
                 insert into status_change (status_change_id, entity_id, from_status, to_status, actor,
                                            changed_at)
                 select gen_random_uuid(), u, 'ACTIVE', case when $2 then 'MERGED' else 'DISSOLVED' end,
                        't', $3::timestamp at time zone 'Asia/Shanghai'
                 from unnest($1::uuid[]) as u",
            )
            .bind(self.pick())
            .bind(flag)
            .bind(day),
            3 => sqlx::query("update unit set status = 'ACTIVE' where unit_id = any($1)")
                .bind(self.pick()),
            4 => sqlx::query(
                "update unit set founded_on = case when $2 then $3 end, kind = $4
                 where unit_id = any($1)",
            )
            .bind(self.pick())
            .bind(flag)
            .bind(day)
            .bind(kind),
            // A term, numbered after the unit's others.
            5 | 6 => match self.pick().first() {
                Some(unit) => sqlx::query(
                    "insert into term (term_id, unit_id, number, starts_on, ends_on, created_by, updated_by)
                     values ($1, $2, (select coalesce(max(number), 0) + 1 + $5 from term where unit_id = $2),
                             least($3::date, $4::date), greatest($3::date, $4::date), 't', 't')",
                )
                .bind(id)
                .bind(*unit)
                .bind(day)
                .bind(other)
                .bind(i32::from(flag)),
                None => return Ok(()),
            },
            7 => sqlx::query(
                "update term set starts_on = least($2::date, $3::date), ends_on = greatest($2::date, $3::date),
                                 archived_at = case when $4 and ends_on < '2023-06-01' then now() end
                 where unit_id = any($1)",
            )
            .bind(self.pick())
            .bind(day)
            .bind(other)
            .bind(flag),
            8 => sqlx::query(
                "delete from status_change where entity_id = any($1)",
            )
            .bind(self.pick()),
            // A reorganization: a subtree moves under a unit outside it, as `moveUnit` does
            // (the unit's parent, then every path of the subtree).
            9 => match self.pick().first() {
                Some(unit) => {
                    sqlx::query(
                        "update unit set parent_id = $2
                         where unit_id = $1
                           and not starts_with((select path from unit where unit_id = $2), path)",
                    )
                    .bind(*unit)
                    .bind(parent)
                    .execute(&mut *conn)
                    .await?;
                    sqlx::query(
                        "with moved as (
                             select u.path as old_path, p.path || u.unit_id || '/' as new_path
                             from unit u join unit p on p.unit_id = u.parent_id
                             where u.unit_id = $1
                         )
                         update unit set path = moved.new_path || substr(unit.path, length(moved.old_path) + 1)
                         from moved where starts_with(unit.path, moved.old_path)",
                    )
                    .bind(*unit)
                }
                None => return Ok(()),
            },
            // A merger: the unit's children move under the unit it merges into, and it under
            // that unit too, all paths in one statement.
            _ => match self.pick().first() {
                Some(unit) => sqlx::query(
                    "with merged as (
                         select u.unit_id, u.path as old_path, p.unit_id as into_id, p.path as into_path
                         from unit u, unit p
                         where u.unit_id = $1 and p.unit_id = $2 and not starts_with(p.path, u.path)
                     )
                     update unit set
                         parent_id = case when unit.unit_id = m.unit_id or unit.parent_id = m.unit_id
                                          then m.into_id else unit.parent_id end,
                         path = case when unit.unit_id = m.unit_id
                                     then m.into_path || m.unit_id || '/'
                                     else m.into_path || substr(unit.path, length(m.old_path) + 1) end
                     from merged m where starts_with(unit.path, m.old_path)",
                )
                .bind(*unit)
                .bind(parent),
                None => return Ok(()),
            },
        };
        query.execute(conn).await.map(drop)
    }
}

#[tokio::test]
async fn random_writes_one_after_another_keep_the_ledger_exact() {
    let db = TestDb::new().await;
    let (pool, root) = migrated_pool(&db).await;
    let mut writer = Writer {
        rng: fastrand::Rng::with_seed(test_seed()),
        root,
        units: Vec::new(),
    };
    assert_random_writes_keep_the_ledger_exact(&pool, &mut writer, ENTITIES).await;
    let overdue_rows: i64 = sqlx::query_scalar(
        "select count(*) from figure_ledger where figure = 'TERMS_OVERDUE' and delta <> 0",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(overdue_rows > 0, "terms fell overdue");
}

#[tokio::test]
async fn concurrent_terms_and_steps_of_one_unit_keep_the_ledger_exact() {
    let db = TestDb::new().await;
    let (pool, root) = migrated_pool(&db).await;
    for round in 0..4i32 {
        let mut writers = Vec::new();
        for task in 0..8i32 {
            let pool = pool.clone();
            writers.push(tokio::spawn(async move {
                let mut tx = pool.begin().await.unwrap();
                let statement = if task % 2 == 0 {
                    sqlx::query(
                        "insert into term (term_id, unit_id, number, starts_on, ends_on, created_by, updated_by)
                         values (gen_random_uuid(), $1, $2, date '2020-01-01' + $2 * 40, date '2020-01-01' + $2 * 40 + 300, 't', 't')",
                    )
                    .bind(root)
                    .bind(round * 8 + task + 1)
                } else {
                    sqlx::query(
                        "insert into status_change (status_change_id, entity_id, from_status, to_status,
                                                    actor, changed_at)
                         values (gen_random_uuid(), $1, 'ACTIVE', 'MERGED', 't', now() - $2 * interval '1 day')",
                    )
                    .bind(root)
                    .bind(f64::from(task * 10 + round))
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
}
