//! The figure ledger stays exact under any sequence of writes to submissions (with their
//! adoption steps) and research topics: random inserts, status changes, back-dated days,
//! moves between units, archives and deletes, one at a time (some rolled back), each
//! compared with the ledger rebuilt from the records.

use chrono::{Duration, NaiveDate};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use kexie_testkit::{
    assert_random_writes_keep_the_ledger_exact, random_tree_change, test_seed, RandomWriter, TestDb,
};

const ENTITIES: &str =
    "select submission_id from submission union all select research_topic_id from research_topic";
const SUBMISSION_STATUSES: [&str; 4] = ["SUBMITTED", "UNDER_REVIEW", "RETURNED", "CLOSED"];
const TOPIC_STATUSES: [&str; 4] = ["PROPOSED", "APPROVED", "IN_PROGRESS", "REJECTED"];

async fn migrated_pool(db: &TestDb) -> PgPool {
    let pool = kexie_subgraph_kit::db::connect(&db.url, kexie_advice::NAME)
        .await
        .unwrap();
    kexie_advice::SUBGRAPH.migrate(&pool).await.unwrap();
    pool
}

struct Writer {
    rng: fastrand::Rng,
    units: Vec<Uuid>,
    submissions: Vec<Uuid>,
    topics: Vec<Uuid>,
}

impl Writer {
    /// A day in 2023–2026.
    fn day(&mut self) -> NaiveDate {
        NaiveDate::from_ymd_opt(2023, 1, 1).unwrap() + Duration::days(self.rng.i64(0..4 * 365))
    }

    fn pick(&mut self, submissions: bool) -> Vec<Uuid> {
        let ids = if submissions {
            &self.submissions
        } else {
            &self.topics
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
        (self.submissions.len(), self.topics.len())
    }

    fn forget_since(&mut self, made: Self::Made) {
        self.submissions.truncate(made.0);
        self.topics.truncate(made.1);
    }

    fn roll_back_next(&mut self) -> bool {
        self.rng.u8(..5) == 0
    }

    async fn write(&mut self, conn: &mut PgConnection) -> sqlx::Result<()> {
        let (day, other) = (self.day(), self.day());
        let unit = self.units[self.rng.usize(..self.units.len())];
        let flag = self.rng.bool();
        let id = Uuid::now_v7();
        let query = match self.rng.u8(..10) {
            8 | 9 => return random_tree_change(&mut self.rng, conn, &self.units).await,
            0 | 1 => {
                self.submissions.push(id);
                sqlx::query(
                    "insert into submission (submission_id, submitting_unit_id, title, summary, body,
                                             category, channel, status, submitted_on, created_by,
                                             updated_by)
                     values ($1, $2, '建议', '摘要', '正文', 'HEALTH', 'DIRECT', $3,
                             case when $4 then $5::date end, 't', 't')",
                )
                .bind(id)
                .bind(unit)
                .bind(if flag { "SUBMITTED" } else { "DRAFT" })
                .bind(flag)
                .bind(day)
            }
            // Instructed and adopted, the ADOPTED step recorded on any day (back-dated or
            // not), or moved to another status without an instruction.
            2 => sqlx::query(
                "with adopted as (
                     update submission set status = 'ADOPTED', instructed_on = $2,
                                           instruction_leader_level = 'CITY',
                                           submitted_on = coalesce(submitted_on, $2)
                     where submission_id = any($1)
                 )
                 insert into status_change (status_change_id, entity_id, from_status, to_status, actor,
                                            changed_at)
                 select gen_random_uuid(), s, 'INSTRUCTED', 'ADOPTED', 't',
                        $3::timestamp at time zone 'Asia/Shanghai'
                 from unnest($1::uuid[]) as s",
            )
            .bind(self.pick(true))
            .bind(day)
            .bind(other),
            3 => sqlx::query(
                "update submission set status = $2, instructed_on = null, instruction_leader_level = null,
                                       submitting_unit_id = $3, submitted_on = $4,
                                       archived_at = case when $5 then now() end
                 where submission_id = any($1)",
            )
            .bind(self.pick(true))
            .bind(SUBMISSION_STATUSES[self.rng.usize(..4)])
            .bind(unit)
            .bind(day)
            .bind(flag && self.rng.bool()),
            4 => sqlx::query("delete from status_change where entity_id = any($1)")
                .bind(self.pick(true)),
            5 => {
                self.topics.push(id);
                sqlx::query(
                    "insert into research_topic (research_topic_id, lead_unit_id, year, title, status,
                                                 created_by, updated_by)
                     values ($1, $2, $3, '课题', $4, 't', 't')",
                )
                .bind(id)
                .bind(unit)
                .bind(self.rng.i32(2023..2027))
                .bind(TOPIC_STATUSES[self.rng.usize(..4)])
            }
            6 => sqlx::query(
                "update research_topic set status = case when $2 then 'CONCLUDED' else 'APPROVED' end,
                                           report_title = case when $2 then '报告' end,
                                           report_submitted_on = case when $2 then $3::date end,
                                           lead_unit_id = $4, year = $5
                 where research_topic_id = any($1)",
            )
            .bind(self.pick(false))
            .bind(flag)
            .bind(day)
            .bind(unit)
            .bind(self.rng.i32(2023..2027)),
            _ => sqlx::query("delete from research_topic where research_topic_id = any($1)")
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
        submissions: Vec::new(),
        topics: Vec::new(),
    };
    assert_random_writes_keep_the_ledger_exact(&pool, &mut writer, ENTITIES).await;
    let adoptions: i64 = sqlx::query_scalar(
        "select count(*) from figure_ledger where figure = 'ADOPTIONS' and delta <> 0",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(adoptions > 0, "adoptions were counted");
}
