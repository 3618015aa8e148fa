//! Freshness under concurrency: a figure read that begins after a write was acknowledged
//! shows that write, with several clients writing and reading at once — the same identity
//! and the same query from several clients (so their subgraph fetches and client queries
//! are identical and may be shared), and other identities beside them — with subgraph-fetch
//! deduplication, client-query deduplication and the response cache on and off, with the
//! hub in one process and in separate processes (`kexie subgraph …` ×4 and
//! `kexie gateway`).
//!
//! Eight clients: in each of two districts two register workers in their townships and,
//! once the gateway acknowledged each, read the worker count of their district (as the
//! district's staff) and of the city (as the city's leadership), and the length of their
//! district's worker list (a plain query, never cached, which shares work by the data
//! versions it reads like a figure does); two more read the same all along. Every write acknowledged before a read was sent must be counted: the
//! test keeps, per district and for the city, how many writes were acknowledged, reads that
//! number before sending the read, and holds the figure against it. Before the freshness
//! rule (`gateway/src/freshness.rs`), a read could join a subgraph fetch begun before a
//! write committed and show, and cache, the older count.

mod common;

use std::process::Stdio;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use uuid::Uuid;

use common::gateway_config_for_tests;
use kexie::subgraphs::Subgraph;
use kexie_contract::principal::Role;
use kexie_gateway::GatewayHandle;
use kexie_subgraph_kit::config::SubgraphConfig;
use kexie_subgraph_kit::server::ServerHandle;
use kexie_subgraph_kit::unit_tree;
use kexie_testkit::{redis_url, GraphqlClient, TestDb, STAFF_TOKEN_SECRET};

/// How the gateway shares work.
#[derive(Clone, Copy, Debug)]
struct Sharing {
    subgraph_fetches: bool,
    client_queries: bool,
    response_cache: bool,
}

const DEFAULTS: Sharing = Sharing {
    subgraph_fetches: true,
    client_queries: false,
    response_cache: true,
};

/// Everything on: the most sharing there can be.
const ALL_SHARED: Sharing = Sharing {
    subgraph_fetches: true,
    client_queries: true,
    response_cache: true,
};

/// The clients writing and reading at once.
const CLIENTS: usize = 8;

/// Workers in each of the four townships before the clients start.
const EARLIER_WORKERS_PER_TOWNSHIP: i32 = 5_000;

/// The units the clients write in: the city, two districts, two townships in each.
struct City {
    city: Uuid,
    districts: [Uuid; 2],
    townships: [[Uuid; 2]; 2],
    year: i64,
}

/// A running hub: in this process, or as processes of the `kexie` binary.
enum Hub {
    InProcess {
        servers: Vec<(Subgraph, ServerHandle)>,
        gateway: GatewayHandle,
    },
    Processes {
        gateway_url: String,
        // Killed when dropped.
        _children: Vec<tokio::process::Child>,
    },
}

impl Hub {
    fn graphql_url(&self) -> String {
        match self {
            Hub::InProcess { gateway, .. } => gateway.graphql_url(),
            Hub::Processes { gateway_url, .. } => gateway_url.clone(),
        }
    }

    async fn stop(self) {
        if let Hub::InProcess { servers, gateway } = self {
            gateway.stop().await;
            for (_, server) in servers {
                server.stop().await;
            }
        }
    }
}

async fn in_process(db: &TestDb, sharing: Sharing) -> Hub {
    let mut servers = Vec::new();
    for subgraph in Subgraph::ALL {
        let config = SubgraphConfig {
            database_url: db.url.clone(),
            redis_url: redis_url(),
            redis_namespace: db.redis_namespace(),
            listen: "127.0.0.1:0".parse().unwrap(),
            principal_secret: kexie_testkit::principal_secret(),
        };
        servers.push((subgraph, subgraph.build(&config).await.unwrap().spawn()));
    }
    let mut config = gateway_config_for_tests(&servers);
    config.dedup_subgraph_fetches = sharing.subgraph_fetches;
    config.dedup_client_queries = sharing.client_queries;
    if sharing.response_cache {
        config = config.with_response_cache(&redis_url(), &db.redis_namespace());
    }
    let gateway = kexie_gateway::build(config).await.unwrap().spawn();
    Hub::InProcess { servers, gateway }
}

/// A port free a moment ago, for a process to listen on.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap()
}

/// The `kexie` binary with the environment every process of the hub shares.
fn kexie(db: &TestDb, secret: &str) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_kexie"));
    command
        .env("DATABASE_URL", &db.url)
        .env("REDIS_URL", redis_url())
        .env("REDIS_NAMESPACE", db.redis_namespace())
        .env("KEXIE_PRINCIPAL_SECRET", secret)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true);
    command
}

async fn wait_until_healthy(port: u16, child: &mut tokio::process::Child) {
    let url = format!("http://127.0.0.1:{port}/health");
    for _ in 0..600 {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the process on port {port} exited: {status}");
        }
        if matches!(reqwest::get(&url).await, Ok(response) if response.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("nothing healthy on port {port} after 30 s");
}

async fn processes(db: &TestDb, sharing: Sharing) -> Hub {
    let secret: String = {
        use rand::Rng as _;
        let bytes: [u8; 32] = rand::thread_rng().gen();
        bytes.iter().map(|byte| format!("{byte:02x}")).collect()
    };
    let migrated = kexie(db, &secret).arg("migrate").status().await.unwrap();
    assert!(migrated.success(), "kexie migrate failed");
    let mut children = Vec::new();
    let mut gateway = kexie(db, &secret);
    for subgraph in Subgraph::ALL {
        let port = free_port();
        let mut child = kexie(db, &secret)
            .args(["subgraph", subgraph.name()])
            .env(
                format!("{}_LISTEN", subgraph.name().to_ascii_uppercase()),
                format!("127.0.0.1:{port}"),
            )
            .spawn()
            .unwrap();
        wait_until_healthy(port, &mut child).await;
        children.push(child);
        gateway.env(
            kexie_gateway::url_override_variable(subgraph.name()),
            format!("http://127.0.0.1:{port}/graphql"),
        );
    }
    let port = free_port();
    let mut child = gateway
        .arg("gateway")
        .args([
            "--supergraph",
            concat!(env!("CARGO_MANIFEST_DIR"), "/schema/supergraph.graphql"),
        ])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--metrics-listen", "off"])
        .args(["--response-cache", &sharing.response_cache.to_string()])
        .args([
            "--dedup-subgraph-fetches",
            &sharing.subgraph_fetches.to_string(),
        ])
        .args([
            "--dedup-client-queries",
            &sharing.client_queries.to_string(),
        ])
        .env("GATEWAY_JWT_HS256_SECRET", STAFF_TOKEN_SECRET)
        .spawn()
        .unwrap();
    wait_until_healthy(port, &mut child).await;
    children.push(child);
    Hub::Processes {
        gateway_url: format!("http://127.0.0.1:{port}/graphql"),
        _children: children,
    }
}

/// Creates the city through `hub` and waits until every replica has it.
async fn build_city(db: &TestDb, hub: &GraphqlClient) -> City {
    async fn create(hub: &GraphqlClient, input: Value) -> Uuid {
        let data = hub
            .data(
                "mutation($input: UnitInput!) { createUnit(input: $input) { id } }",
                json!({ "input": input }),
            )
            .await;
        data["createUnit"]["id"].as_str().unwrap().parse().unwrap()
    }
    let city = create(
        hub,
        json!({ "kind": "CITY", "name": "绵阳市科协", "divisionCode": "510700" }),
    )
    .await;
    let mut districts = [Uuid::nil(); 2];
    let mut townships = [[Uuid::nil(); 2]; 2];
    for (d, (name, code)) in [("涪城区科协", "510703"), ("游仙区科协", "510704")]
        .into_iter()
        .enumerate()
    {
        districts[d] = create(
            hub,
            json!({ "kind": "DISTRICT", "name": name, "divisionCode": code, "parentId": city }),
        )
        .await;
        for (t, township) in townships[d].iter_mut().enumerate() {
            *township = create(
                hub,
                json!({ "kind": "TOWNSHIP", "name": format!("{name}第{}街道", t + 1),
                        "divisionCode": format!("{code}{:03}", t + 1), "parentId": districts[d] }),
            )
            .await;
        }
    }
    for subgraph in &Subgraph::ALL[1..] {
        let pool = subgraph.connect(&db.url).await.unwrap();
        assert!(
            unit_tree::wait_for_seq(&pool, 7, Duration::from_secs(10)).await,
            "{subgraph} lags"
        );
        pool.close().await;
    }
    // Workers registered earlier, so that the figures take the subgraph as long as a real
    // city's do (scale 1 of the demo city has about 20,000): a fetch then stays in flight
    // long enough for a write to be committed and acknowledged meanwhile.
    let talent = Subgraph::Talent.connect(&db.url).await.unwrap();
    for township in townships.iter().flatten() {
        sqlx::query(
            "insert into worker (worker_id, name, gender, home_unit_id, created_at, created_by, updated_by)
             select gen_random_uuid(), '既有' || n, 'MALE', $1, now() - interval '400 days', 'seed', 'seed'
             from generate_series(1, $2) as n",
        )
        .bind(township)
        .bind(EARLIER_WORKERS_PER_TOWNSHIP)
        .execute(&talent)
        .await
        .unwrap();
    }
    sqlx::query("analyze worker")
        .execute(&talent)
        .await
        .unwrap();
    talent.close().await;
    let pool = Subgraph::Organizations.connect(&db.url).await.unwrap();
    let year: f64 =
        sqlx::query_scalar("select extract(year from now() at time zone 'Asia/Shanghai')::float8")
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    City {
        city,
        districts,
        townships,
        year: year as i64,
    }
}

const WORKERS: &str = "query($unit: ID!, $year: Int!) {
  unit(id: $unit) { talentFigures(period: { year: $year }) { workers } }
}";

const LISTED: &str = "query($unit: ID!) {
  workers(filter: { unitId: $unit, includeSubtree: true }, first: 1) { totalCount }
}";

/// How many workers the worker list of `unit`'s subtree holds, or why there is no answer.
async fn listed(client: &GraphqlClient, unit: Uuid) -> Result<i64, String> {
    let body = client.post(LISTED, json!({ "unit": unit })).await;
    body["data"]["workers"]["totalCount"]
        .as_i64()
        .filter(|_| body.get("errors").is_none())
        .ok_or_else(|| format!("no list: {body}"))
}

/// The worker count of `unit`, or why there is none.
async fn workers(client: &GraphqlClient, unit: Uuid, year: i64) -> Result<i64, String> {
    let body = client
        .post(WORKERS, json!({ "unit": unit, "year": year }))
        .await;
    body["data"]["unit"]["talentFigures"]["workers"]
        .as_i64()
        .filter(|_| body.get("errors").is_none())
        .ok_or_else(|| format!("no figure: {body}"))
}

/// Acknowledged writes, counted after each acknowledgement.
#[derive(Default)]
struct Acknowledged {
    districts: [AtomicI64; 2],
    city: AtomicI64,
}

/// The worker counts and lists before the clients start, and the writes acknowledged since.
struct Expected {
    before_districts: [i64; 2],
    before_city: i64,
    before_lists: [i64; 2],
    acknowledged: Acknowledged,
}

impl Expected {
    /// Reads the worker count of `district` (or of the city, `None`) as `client` and holds
    /// it against the writes acknowledged before the read was sent; describes a stale or
    /// failed read.
    async fn check(
        &self,
        client: &GraphqlClient,
        city: &City,
        district: Option<usize>,
    ) -> Result<(), String> {
        let (unit, expected) = match district {
            Some(d) => (
                city.districts[d],
                self.before_districts[d] + self.acknowledged.districts[d].load(Ordering::SeqCst),
            ),
            None => (
                city.city,
                self.before_city + self.acknowledged.city.load(Ordering::SeqCst),
            ),
        };
        match workers(client, unit, city.year).await {
            Ok(seen) if seen >= expected => Ok(()),
            Ok(seen) => Err(format!(
                "{} showed {seen} workers, {expected} were acknowledged",
                district.map_or("the city".to_string(), |d| format!("district {d}"))
            )),
            Err(why) => Err(why),
        }
    }

    /// Reads the length of `district`'s worker list as `client` and holds it against the
    /// writes acknowledged before the read was sent.
    async fn check_list(
        &self,
        client: &GraphqlClient,
        city: &City,
        district: usize,
    ) -> Result<(), String> {
        let expected = self.before_lists[district]
            + self.acknowledged.districts[district].load(Ordering::SeqCst);
        match listed(client, city.districts[district]).await {
            Ok(seen) if seen >= expected => Ok(()),
            Ok(seen) => Err(format!(
                "district {district}'s list held {seen} workers, {expected} were acknowledged"
            )),
            Err(why) => Err(why),
        }
    }
}

/// What a run found: reads checked by the clients that wrote, by those that only read, and
/// a description of every stale or failed one.
struct Outcome {
    after_own_writes: usize,
    by_readers: usize,
    stale: Vec<String>,
}

/// [`CLIENTS`] clients at once, half per district. In each district two clients write
/// `rounds` times and read after each acknowledgement, and two only read, all four as the
/// same staff member (their reads are identical, so they may share work in flight); every
/// client also reads the city's count as the city's leadership.
async fn read_after_write(hub: &Hub, city: &Arc<City>, rounds: usize) -> Outcome {
    let base = GraphqlClient::new(hub.graphql_url());
    let leadership = base.as_staff("city-leader", Role::Leadership, city.city);
    let expected = Arc::new(Expected {
        before_districts: [
            workers(&leadership, city.districts[0], city.year)
                .await
                .unwrap(),
            workers(&leadership, city.districts[1], city.year)
                .await
                .unwrap(),
        ],
        before_city: workers(&leadership, city.city, city.year).await.unwrap(),
        before_lists: [
            listed(&leadership, city.districts[0]).await.unwrap(),
            listed(&leadership, city.districts[1]).await.unwrap(),
        ],
        acknowledged: Acknowledged::default(),
    });
    let writers_done = Arc::new(AtomicUsize::new(0));
    let writers = CLIENTS / 2;
    let mut tasks = Vec::new();
    for client in 0..CLIENTS {
        let district = client % 2;
        let writes = client < writers;
        let staff = base.as_staff(
            &format!("staff-{district}"),
            Role::UnitStaff,
            city.districts[district],
        );
        let leadership = leadership.clone();
        let city = city.clone();
        let expected = expected.clone();
        let writers_done = writers_done.clone();
        tasks.push(tokio::spawn(async move {
            let mut checked = 0;
            let mut stale = Vec::new();
            let mut round = 0;
            loop {
                if writes {
                    if round == rounds {
                        writers_done.fetch_add(1, Ordering::SeqCst);
                        break;
                    }
                    let township = city.townships[district][(client / 2) % 2];
                    let written = staff
                        .post(
                            "mutation($input: CreateWorkerInput!) { createWorker(input: $input) { id } }",
                            json!({ "input": { "name": format!("测试{client}-{round}"), "gender": "FEMALE",
                                               "homeUnitId": township } }),
                        )
                        .await;
                    if written.get("errors").is_some() {
                        stale.push(format!("client {client}: the write failed: {written}"));
                        break;
                    }
                    expected.acknowledged.districts[district].fetch_add(1, Ordering::SeqCst);
                    expected.acknowledged.city.fetch_add(1, Ordering::SeqCst);
                } else if writers_done.load(Ordering::SeqCst) == writers {
                    break;
                }
                for (reader, unit) in [(&staff, Some(district)), (&leadership, None)] {
                    if let Err(why) = expected.check(reader, &city, unit).await {
                        stale.push(format!("client {client} round {round}: {why}"));
                    }
                    checked += 1;
                }
                if let Err(why) = expected.check_list(&staff, &city, district).await {
                    stale.push(format!("client {client} round {round}: {why}"));
                }
                checked += 1;
                round += 1;
            }
            (writes, checked, stale)
        }));
    }
    let mut outcome = Outcome {
        after_own_writes: 0,
        by_readers: 0,
        stale: Vec::new(),
    };
    for task in tasks {
        let (writes, checked, stale) = task.await.unwrap();
        if writes {
            outcome.after_own_writes += checked;
        } else {
            outcome.by_readers += checked;
        }
        outcome.stale.extend(stale);
    }
    outcome
}

fn assert_fresh(layout: &str, sharing: Sharing, outcome: Outcome) {
    let checked = outcome.after_own_writes + outcome.by_readers;
    assert!(
        outcome.stale.is_empty(),
        "{layout}, {sharing:?}: {} of {checked} reads after acknowledged writes were stale or failed; the first:\n{}",
        outcome.stale.len(),
        outcome.stale.iter().take(10).cloned().collect::<Vec<_>>().join("\n")
    );
    eprintln!(
        "{layout}, {sharing:?}: {checked} reads after acknowledged writes ({} by the writers right after their own), none stale",
        outcome.after_own_writes
    );
}

/// Each setting of sharing, in one process: the defaults and everything shared for the
/// 5,000 reads the promise is held to, the rest for fewer.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn in_one_process_no_read_after_an_acknowledged_write_is_stale() {
    let cases = [
        (ALL_SHARED, 640),
        (DEFAULTS, 200),
        (
            Sharing {
                response_cache: false,
                ..ALL_SHARED
            },
            60,
        ),
        (
            Sharing {
                subgraph_fetches: false,
                client_queries: false,
                response_cache: true,
            },
            60,
        ),
    ];
    let db = TestDb::new().await;
    let mut city = None;
    for (sharing, rounds) in cases {
        let hub = in_process(&db, sharing).await;
        let client = GraphqlClient::new(hub.graphql_url());
        let city = match &city {
            Some(city) => Arc::clone(city),
            None => city
                .insert(Arc::new(build_city(&db, &client).await))
                .clone(),
        };
        let outcome = read_after_write(&hub, &city, rounds).await;
        hub.stop().await;
        assert_fresh("one process", sharing, outcome);
    }
}

/// The gateway and the four subgraphs as processes of their own, as a province would run
/// them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn in_separate_processes_no_read_after_an_acknowledged_write_is_stale() {
    let cases = [
        (ALL_SHARED, 640),
        (
            Sharing {
                subgraph_fetches: false,
                client_queries: false,
                response_cache: true,
            },
            40,
        ),
    ];
    let db = TestDb::new().await;
    let mut city = None;
    for (sharing, rounds) in cases {
        let hub = processes(&db, sharing).await;
        let client = GraphqlClient::new(hub.graphql_url());
        let city = match &city {
            Some(city) => Arc::clone(city),
            None => city
                .insert(Arc::new(build_city(&db, &client).await))
                .clone(),
        };
        let outcome = read_after_write(&hub, &city, rounds).await;
        hub.stop().await;
        assert_fresh("separate processes", sharing, outcome);
    }
}
