//! Drives the fuzz target's entry point (`kexie_gateway::fuzzing::run`) with random inputs
//! on every test run: mutations of the fuzz corpus, requests generated from the hub schema
//! with random subgraph answers, and plain noise. Nothing may panic, and every executed
//! request must produce a JSON response with `data`.
//!
//! `FUZZ_ITERATIONS` (default 1500) and `FUZZ_SEED` (default fixed) tune a run.

use std::path::PathBuf;

use kexie_gateway::fuzzing::run;
use serde_json::{json, Value};

fn corpus() -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/request");
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| std::fs::read(entry.unwrap().path()).unwrap())
        .collect();
    seeds.sort();
    seeds
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// Flips, inserts, deletes and duplicates bytes.
fn mutate(rng: &mut fastrand::Rng, input: &[u8]) -> Vec<u8> {
    let mut bytes = input.to_vec();
    for _ in 0..rng.usize(1..8) {
        if bytes.is_empty() {
            bytes.push(rng.u8(..));
            continue;
        }
        let at = rng.usize(..bytes.len());
        match rng.u8(0..5) {
            0 => bytes[at] = rng.u8(..),
            1 => bytes.insert(
                at,
                *b"{}[]\",:\\ 0@$!.".get(rng.usize(..15)).unwrap_or(&b'x'),
            ),
            2 => {
                bytes.remove(at);
            }
            3 => {
                let end = (at + rng.usize(1..16)).min(bytes.len());
                let chunk = bytes[at..end].to_vec();
                bytes.splice(at..at, chunk);
            }
            _ => bytes.truncate(at),
        }
    }
    bytes
}

const UNIT_FIELDS: &[&str] = &[
    "id",
    "name",
    "kind",
    "code",
    "__typename",
    "parent",
    "children",
    "workers",
    "activities",
];
const WORKER_FIELDS: &[&str] = &["id", "name", "title", "homeUnit", "__typename"];
const ACTIVITY_FIELDS: &[&str] = &[
    "id",
    "title",
    "__typename",
    "... on Lecture",
    "... on Exhibition",
];

fn selection(rng: &mut fastrand::Rng, type_name: &str, depth: usize) -> String {
    let fields: &[&str] = match type_name {
        "Unit" => UNIT_FIELDS,
        "Worker" => WORKER_FIELDS,
        "Activity" => ACTIVITY_FIELDS,
        _ => &["__typename", "... on Worker", "... on Unit"],
    };
    let mut out = String::from("{ ");
    for _ in 0..rng.usize(1..5) {
        let field = fields[rng.usize(..fields.len())];
        if rng.u8(0..6) == 0 {
            out.push_str(&format!("a{}: ", rng.u8(0..3)));
        }
        let (name, child) = match field {
            "parent" | "homeUnit" => (field.to_string(), Some("Unit")),
            "children" => (field.to_string(), Some("Unit")),
            "workers" => (
                if rng.bool() {
                    "workers(first: $first)".to_string()
                } else {
                    "workers".to_string()
                },
                Some("Worker"),
            ),
            "activities" => (field.to_string(), Some("Activity")),
            "... on Lecture" => ("... on Lecture { speaker ".to_string(), Some("Worker")),
            "... on Exhibition" => ("... on Exhibition { venue }".to_string(), None),
            "... on Worker" => ("... on Worker".to_string(), Some("Worker")),
            "... on Unit" => ("... on Unit".to_string(), Some("Unit")),
            other => (other.to_string(), None),
        };
        out.push_str(&name);
        if rng.u8(0..5) == 0 {
            out.push_str(if rng.bool() {
                " @include(if: $flag)"
            } else {
                " @skip(if: true)"
            });
        }
        if let Some(child) = child {
            if depth < 4 {
                out.push(' ');
                out.push_str(&selection(rng, child, depth + 1));
            } else {
                out.push_str(" { __typename }");
            }
            if name.starts_with("... on Lecture") {
                out.push_str(" }");
            }
        }
        out.push(' ');
    }
    out.push('}');
    out
}

fn random_value(rng: &mut fastrand::Rng, depth: usize) -> Value {
    let keys = [
        "id",
        "name",
        "kind",
        "__typename",
        "parent",
        "children",
        "workers",
        "activities",
        "title",
        "speaker",
        "homeUnit",
        "venue",
        "a0",
        "a1",
    ];
    match rng.u8(0..if depth > 3 { 4 } else { 7 }) {
        0 => Value::Null,
        1 => json!(
            [
                "CITY",
                "DISTRICT",
                "SECRET",
                "Unit",
                "Worker",
                "Lecture",
                "Exhibition",
                "x"
            ][rng.usize(..8)]
        ),
        2 => json!(rng.i64(-5..5)),
        3 => json!(rng.bool()),
        4 | 5 => {
            let mut object = serde_json::Map::new();
            for _ in 0..rng.usize(0..5) {
                object.insert(
                    keys[rng.usize(..keys.len())].to_string(),
                    random_value(rng, depth + 1),
                );
            }
            Value::Object(object)
        }
        _ => Value::Array(
            (0..rng.usize(0..4))
                .map(|_| random_value(rng, depth + 1))
                .collect(),
        ),
    }
}

fn generated(rng: &mut fastrand::Rng) -> Vec<u8> {
    let roots = [
        ("unit(id: $id)", "Unit"),
        ("units", "Unit"),
        ("worker(id: \"w1\")", "Worker"),
        ("search(text: \"a\")", "SearchResult"),
        ("activities", "Activity"),
    ];
    let mut query = String::from("query($id: ID! = 1, $first: Int, $flag: Boolean = false) { ");
    for _ in 0..rng.usize(1..4) {
        let (root, type_name) = roots[rng.usize(..roots.len())];
        query.push_str(root);
        query.push(' ');
        query.push_str(&selection(rng, type_name, 0));
        query.push(' ');
    }
    query.push('}');
    let variables = match rng.u8(0..4) {
        0 => json!({}),
        1 => json!({"id": "2", "first": rng.i64(-2..3), "flag": rng.bool()}),
        2 => json!({"first": "many", "flag": "yes"}),
        _ => json!({"id": null, "first": 3_000_000_000u64}),
    };
    let mut answer = serde_json::Map::new();
    let mut data = serde_json::Map::new();
    for key in [
        "unit",
        "units",
        "worker",
        "search",
        "activities",
        "_entities",
    ] {
        if rng.bool() {
            data.insert(key.to_string(), random_value(rng, 0));
        }
    }
    if rng.u8(0..4) > 0 {
        answer.insert("data".to_string(), Value::Object(data));
    }
    if rng.bool() {
        answer.insert(
            "errors".to_string(),
            json!([{"message": "boom", "path": ["_entities", rng.usize(0..3), "name"]}, {"path": 7}, "x"]),
        );
    }
    let mut input = serde_json::to_vec(&json!({"query": query, "variables": variables})).unwrap();
    input.push(0xFF);
    input.extend(serde_json::to_vec(&Value::Object(answer)).unwrap());
    input
}

#[test]
fn random_requests_and_subgraph_answers_never_panic() {
    let seed = env_number("FUZZ_SEED", 2026);
    let iterations = env_number("FUZZ_ITERATIONS", 1500);
    let mut rng = fastrand::Rng::with_seed(seed);
    let seeds = corpus();
    assert!(!seeds.is_empty());
    let mut executed = 0;
    for _ in 0..iterations {
        let input = match rng.u8(0..5) {
            0 | 1 => {
                let pick = rng.usize(..seeds.len());
                mutate(&mut rng, &seeds[pick])
            }
            2 => generated(&mut rng),
            3 => {
                let first = &seeds[rng.usize(..seeds.len())];
                let second = &seeds[rng.usize(..seeds.len())];
                let mut spliced = first[..rng.usize(..=first.len())].to_vec();
                spliced.extend_from_slice(&second[rng.usize(..=second.len())..]);
                spliced
            }
            _ => (0..rng.usize(0..64)).map(|_| rng.u8(..)).collect(),
        };
        if let Some(body) = run(&input) {
            executed += 1;
            let response: Value = serde_json::from_slice(&body).unwrap_or_else(|err| {
                panic!(
                    "invalid JSON response ({err}) for input {:?}",
                    String::from_utf8_lossy(&input)
                )
            });
            assert!(response.get("data").is_some(), "no data in {response}");
        }
    }
    assert!(
        executed > iterations / 10,
        "only {executed} inputs executed"
    );
}

#[test]
fn every_corpus_seed_executes() {
    for seed in corpus() {
        let body = run(&seed)
            .unwrap_or_else(|| panic!("seed refused: {}", String::from_utf8_lossy(&seed)));
        let response: Value = serde_json::from_slice(&body).unwrap();
        assert!(response.get("data").is_some(), "{response}");
    }
}
