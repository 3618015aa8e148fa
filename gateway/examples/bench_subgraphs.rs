//! Stub subgraphs for the gateway benchmark (`bench/gateway/`): organizations, talent and
//! popularization answering from memory, so that what the benchmark measures is the
//! gateway and not a database.
//!
//! A hundred units; each has five workers and three activities (two lectures with a
//! speaker, one exhibition). Root fields answer every field the benchmark's queries can
//! ask (the gateway projects what the client selected); `_entities` answers each
//! representation it is given, in order.
//!
//! ```sh
//! cargo run --release -p kexie-gateway --example bench_subgraphs -- 4101 4102 4103
//! ```

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};

const UNITS: usize = 100;

fn unit(index: usize) -> Value {
    json!({"__typename": "Unit", "id": format!("u{index}"), "name": format!("第{index}区科协"), "kind": "DISTRICT"})
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
}

/// Every answer, serialized once at start: the stubs only look up and concatenate, so the
/// CPU they take from the shared machine stays small next to the gateway's.
struct Canned {
    unit: Bytes,
    units: Bytes,
    /// The JSON of each unit entity of this subgraph, by unit index.
    unit_entities: Vec<String>,
    /// Talent's Worker entities, by worker index.
    worker_entities: Vec<String>,
}

fn unit_entity(subgraph: Subgraph, index: usize) -> Value {
    let id = format!("u{index}");
    match subgraph {
        Subgraph::Organizations => unit(index),
        Subgraph::Talent => json!({
            "__typename": "Unit",
            "id": id,
            "workerCount": 5,
            "workers": (0..5).map(|w| json!({
                "__typename": "Worker",
                "id": format!("w{}", index * 5 + w),
                "name": format!("工作者{}", index * 5 + w),
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
    let bytes = match serde_json::from_slice::<Value>(&body) {
        Ok(request) => {
            let query = request["query"].as_str().unwrap_or_default();
            if query.contains("_entities") {
                entities(&canned, &request)
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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let ports: Vec<u16> = std::env::args()
        .skip(1)
        .map(|port| port.parse())
        .collect::<Result<_, _>>()?;
    let ports = if ports.len() == 3 {
        ports
    } else {
        vec![4101, 4102, 4103]
    };
    let mut servers = Vec::new();
    for (subgraph, port) in [
        Subgraph::Organizations,
        Subgraph::Talent,
        Subgraph::Popularization,
    ]
    .into_iter()
    .zip(ports)
    {
        let canned = Arc::new(Canned {
            unit: Bytes::from(json!({"data": {"unit": unit(1)}}).to_string()),
            units: Bytes::from(
                json!({"data": {"units": (0..UNITS).map(unit).collect::<Vec<_>>()}}).to_string(),
            ),
            unit_entities: (0..UNITS)
                .map(|index| unit_entity(subgraph, index).to_string())
                .collect(),
            worker_entities: (0..UNITS * 5)
                .map(|index| {
                    json!({"__typename": "Worker", "id": format!("w{index}"), "name": format!("工作者{index}"), "title": "研究员"})
                        .to_string()
                })
                .collect(),
        });
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let router = Router::new()
            .route("/graphql", post(answer))
            .route("/health", axum::routing::get(|| async { "ok" }))
            .with_state(canned);
        servers.push(tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        }));
    }
    eprintln!("bench subgraphs listening");
    for server in servers {
        server.await?;
    }
    Ok(())
}
