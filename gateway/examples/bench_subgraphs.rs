//! Stub subgraphs for the gateway benchmark (`bench/gateway/`): organizations, talent,
//! popularization and advice answering from memory, so that what the benchmark measures is
//! the gateway and not a database.
//!
//! A hundred units, the first ten of them districts; each has five workers and three
//! activities (two lectures with a speaker, one exhibition); each worker has three
//! submissions (建言), each about a unit. Root fields answer every field the benchmark's
//! queries can ask (the gateway projects what the client selected); `_entities` answers
//! each representation it is given, in order.
//!
//! Like every subgraph of the hub, the stubs keep their data version in Redis (`REDIS_URL`,
//! under `REDIS_NAMESPACE` when it is set): one that never advances, since their data never
//! changes, on a one-second lease renewed every 250 ms (`kexie_subgraph_kit::rollup`).
//!
//! ```sh
//! cargo run --release -p kexie-gateway --example bench_subgraphs -- 4101 4102 4103 4104
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};

const UNITS: usize = 100;
/// `units(kind: DISTRICT)` answers the first ten units.
const DISTRICTS: usize = 10;
const WORKERS_PER_UNIT: usize = 5;
const SUBMISSIONS_PER_WORKER: usize = 3;

fn unit(index: usize) -> Value {
    json!({"__typename": "Unit", "id": format!("u{index}"), "name": format!("第{index}区科协"), "kind": "DISTRICT"})
}

fn worker(subgraph: Subgraph, index: usize) -> Value {
    let id = format!("w{index}");
    match subgraph {
        Subgraph::Advice => json!({
            "__typename": "Worker",
            "id": id,
            "submissions": (0..SUBMISSIONS_PER_WORKER).map(|s| json!({
                "__typename": "Submission",
                "id": format!("s{index}-{s}"),
                "title": format!("关于加强第{}区基层科普能力建设的建议", (index + s) % UNITS),
                "status": if s == 0 { "ADOPTED" } else { "SUBMITTED" },
                "unit": {"__typename": "Unit", "id": format!("u{}", (index + s) % UNITS)}
            })).collect::<Vec<_>>()
        }),
        _ => json!({
            "__typename": "Worker",
            "id": id,
            "name": format!("工作者{index}"),
            "title": "研究员",
            "homeUnit": {"__typename": "Unit", "id": format!("u{}", index / WORKERS_PER_UNIT)}
        }),
    }
}

fn index_of(id: &str) -> usize {
    id.trim_start_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .unwrap_or(0)
}

#[derive(Clone, Copy)]
enum Subgraph {
    Organizations,
    Talent,
    Popularization,
    Advice,
}

/// Every answer, serialized once at start: the stubs only look up and concatenate, so the
/// CPU they take from the shared machine stays small next to the gateway's.
struct Canned {
    unit: Bytes,
    units: Bytes,
    districts: Bytes,
    /// The JSON of each unit entity of this subgraph, by unit index.
    unit_entities: Vec<String>,
    /// The JSON of each Worker entity of this subgraph, by worker index.
    worker_entities: Vec<String>,
    /// How many requests this subgraph has answered (`GET /requests`): what a gateway's
    /// sharing of identical fetches saved shows in it.
    requests: AtomicU64,
}

fn unit_entity(subgraph: Subgraph, index: usize) -> Value {
    let id = format!("u{index}");
    match subgraph {
        Subgraph::Organizations => unit(index),
        Subgraph::Talent => json!({
            "__typename": "Unit",
            "id": id,
            "workerCount": WORKERS_PER_UNIT,
            "workers": (0..WORKERS_PER_UNIT).map(|w| json!({
                "__typename": "Worker",
                "id": format!("w{}", index * WORKERS_PER_UNIT + w),
                "name": format!("工作者{}", index * WORKERS_PER_UNIT + w),
                "title": if w % 2 == 0 { Value::from("研究员") } else { Value::Null }
            })).collect::<Vec<_>>()
        }),
        Subgraph::Popularization => json!({
            "__typename": "Unit",
            "id": id,
            "activities": [
                {"__typename": "Lecture", "id": format!("a{index}-1"), "title": "院士报告会", "speaker": {"__typename": "Worker", "id": format!("w{}", index * 5)}},
                {"__typename": "Lecture", "id": format!("a{index}-2"), "title": "科普讲座", "speaker": {"__typename": "Worker", "id": format!("w{}", (index * 5 + 7) % (UNITS * 5))}},
                {"__typename": "Exhibition", "id": format!("a{index}-3"), "title": "科普展", "venue": "科技馆"}
            ]
        }),
        Subgraph::Advice => json!({"__typename": "Unit", "id": id}),
    }
}

/// The `_entities` answer for a request, built from the canned entities. Only the
/// representations' `__typename` and `id` are read.
fn entities(canned: &Canned, request: &Value) -> Bytes {
    let mut out = String::from(r#"{"data":{"_entities":["#);
    if let Some(representations) = request["variables"]["representations"].as_array() {
        for (position, representation) in representations.iter().enumerate() {
            if position > 0 {
                out.push(',');
            }
            let index = index_of(representation["id"].as_str().unwrap_or_default());
            let table = if representation["__typename"] == "Worker" {
                &canned.worker_entities
            } else {
                &canned.unit_entities
            };
            out.push_str(table.get(index).map(String::as_str).unwrap_or("null"));
        }
    }
    out.push_str("]}}");
    Bytes::from(out)
}

async fn answer(State(canned): State<Arc<Canned>>, body: Bytes) -> Response {
    canned.requests.fetch_add(1, Ordering::Relaxed);
    let bytes = match serde_json::from_slice::<Value>(&body) {
        Ok(request) => {
            let query = request["query"].as_str().unwrap_or_default();
            if query.contains("_entities") {
                entities(&canned, &request)
            } else if query.contains("units") && body.windows(8).any(|w| w == b"DISTRICT") {
                canned.districts.clone()
            } else if query.contains("units") {
                canned.units.clone()
            } else {
                canned.unit.clone()
            }
        }
        Err(_) => Bytes::from_static(br#"{"errors":[{"message":"bad request"}]}"#),
    };
    ([(CONTENT_TYPE, "application/json")], bytes).into_response()
}

/// Keeps every stub's data version (1) in Redis on a one-second lease, renewed every 250 ms.
async fn keep_versions(redis_url: String, namespace: String) {
    let Ok(mut redis) =
        kexie_contract::data_version::redis_connection(&redis_url, Duration::from_millis(50))
    else {
        eprintln!("REDIS_URL is not a valid Redis URL: the stubs keep no data versions");
        return;
    };
    loop {
        let mut renew = redis::pipe();
        for subgraph in ["organizations", "talent", "popularization", "advice"] {
            renew
                .cmd("SET")
                .arg(kexie_contract::data_version::version_key(
                    &namespace, subgraph,
                ))
                .arg(1)
                .arg("PX")
                .arg(1_000)
                .ignore();
        }
        let _ = renew.query_async::<()>(&mut redis).await;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let ports: Vec<u16> = std::env::args()
        .skip(1)
        .map(|port| port.parse())
        .collect::<Result<_, _>>()?;
    let ports = if ports.len() == 4 {
        ports
    } else {
        vec![4101, 4102, 4103, 4104]
    };
    let mut servers = Vec::new();
    for (subgraph, port) in [
        Subgraph::Organizations,
        Subgraph::Talent,
        Subgraph::Popularization,
        Subgraph::Advice,
    ]
    .into_iter()
    .zip(ports)
    {
        let canned = Arc::new(Canned {
            unit: Bytes::from(json!({"data": {"unit": unit(1)}}).to_string()),
            units: Bytes::from(
                json!({"data": {"units": (0..UNITS).map(unit).collect::<Vec<_>>()}}).to_string(),
            ),
            districts: Bytes::from(
                json!({"data": {"units": (0..DISTRICTS).map(unit).collect::<Vec<_>>()}})
                    .to_string(),
            ),
            unit_entities: (0..UNITS)
                .map(|index| unit_entity(subgraph, index).to_string())
                .collect(),
            worker_entities: (0..UNITS * WORKERS_PER_UNIT)
                .map(|index| worker(subgraph, index).to_string())
                .collect(),
            requests: AtomicU64::new(0),
        });
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let router = Router::new()
            .route("/graphql", post(answer))
            .route("/health", axum::routing::get(|| async { "ok" }))
            .route(
                "/requests",
                axum::routing::get(|State(canned): State<Arc<Canned>>| async move {
                    canned.requests.load(Ordering::Relaxed).to_string()
                }),
            )
            .with_state(canned);
        servers.push(tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        }));
    }
    if let Ok(namespace) = std::env::var("REDIS_NAMESPACE") {
        let redis_url = std::env::var("REDIS_URL")
            .unwrap_or_else(|_| kexie_contract::data_version::DEFAULT_REDIS_URL.to_string());
        servers.push(tokio::spawn(keep_versions(redis_url, namespace)));
    }
    eprintln!("bench subgraphs listening");
    for server in servers {
        server.await?;
    }
    Ok(())
}
