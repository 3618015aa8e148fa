//! Latency of each subgraph's most common queries on the scale-1 demo city.
//! See bench/README.md.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::{json, Value};

use kexie::seed::{self, SeedArgs};
use kexie::subgraphs::Subgraph;
use kexie_contract::principal::{self, Principal, Role};
use kexie_subgraph_kit::config::SubgraphConfig;
use kexie_subgraph_kit::unit_tree;

const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/kexie_bench";
const NAMESPACE: &str = "kexie_bench";

struct Options {
    iterations: usize,
    reset: bool,
}

fn options() -> anyhow::Result<Options> {
    let mut options = Options {
        iterations: 300,
        reset: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--reset" => options.reset = true,
            "--iterations" => {
                options.iterations = args
                    .next()
                    .context("--iterations needs a number")?
                    .parse()
                    .context("--iterations needs a number")?
            }
            other => anyhow::bail!("unknown argument {other:?}; use --reset and --iterations N"),
        }
    }
    Ok(options)
}

/// One measured query: a name, the subgraph, the document and its variables.
struct Case {
    subgraph: Subgraph,
    name: &'static str,
    query: &'static str,
    variables: Value,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = options()?;
    let database_url =
        std::env::var("BENCH_DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_string());
    let redis_url = kexie_testkit::redis_url();
    let seed_args = SeedArgs {
        scale: 1,
        seed: 2026,
        reset: options.reset,
        if_empty: !options.reset,
    };
    let started = Instant::now();
    seed::run(&seed_args, &database_url, &redis_url, NAMESPACE).await?;
    if options.reset {
        println!("seeding scale 1: {:.1} s", started.elapsed().as_secs_f64());
    }

    let mut urls = Vec::new();
    let mut servers = Vec::new();
    for subgraph in Subgraph::ALL {
        let config = SubgraphConfig {
            database_url: database_url.clone(),
            redis_url: redis_url.clone(),
            redis_namespace: NAMESPACE.to_string(),
            listen: "127.0.0.1:0".parse()?,
            principal_secret: kexie_testkit::principal_secret(),
        };
        let server = subgraph.build(&config).await?.spawn();
        urls.push((subgraph, server.graphql_url()));
        servers.push(server);
    }
    for subgraph in &Subgraph::ALL[1..] {
        let pool = subgraph.connect(&database_url).await?;
        anyhow::ensure!(
            unit_tree::wait_for_seq(&pool, 1, Duration::from_secs(30)).await,
            "{subgraph} did not receive the unit tree"
        );
    }

    let http = reqwest::Client::new();
    let organizations = &urls[0].1;
    let ids = sample_ids(&http, organizations).await?;
    let cases = cases(&ids);
    println!(
        "{:<16} {:<40} {:>9} {:>9} {:>9}   ({} iterations each, 1 connection, release build)",
        "subgraph", "query", "p50 ms", "p99 ms", "mean ms", options.iterations
    );
    for case in cases {
        let url = &urls
            .iter()
            .find(|(subgraph, _)| *subgraph == case.subgraph)
            .context("a subgraph")?
            .1;
        let body = json!({ "query": case.query, "variables": case.variables });
        for _ in 0..options.iterations / 10 + 5 {
            send(&http, url, &body).await?;
        }
        let mut samples = Vec::with_capacity(options.iterations);
        for _ in 0..options.iterations {
            let started = Instant::now();
            send(&http, url, &body).await?;
            samples.push(started.elapsed());
        }
        samples.sort();
        let percentile =
            |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
        let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
        println!(
            "{:<16} {:<40} {:>9.2} {:>9.2} {:>9.2}",
            case.subgraph.name(),
            case.name,
            ms(percentile(0.50)),
            ms(percentile(0.99)),
            ms(mean)
        );
    }
    for server in servers {
        server.stop().await;
    }
    Ok(())
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Sends `body` as the city administrator, with the principal the gateway would sign.
async fn send(http: &reqwest::Client, url: &str, body: &Value) -> anyhow::Result<Value> {
    let principal = Principal::issue("bench", Some(uuid::Uuid::nil()), Role::CityAdmin);
    let signed = principal::sign(&principal, &kexie_testkit::principal_secret())?;
    let response: Value = http
        .post(url)
        .header(principal::PRINCIPAL_HEADER, signed)
        .json(body)
        .send()
        .await?
        .json()
        .await?;
    anyhow::ensure!(response.get("errors").is_none(), "query failed: {response}");
    Ok(response)
}

/// IDs the queries need: the city, a district, and 100 units for entity batches.
struct SampleIds {
    city: String,
    district: String,
    units: Vec<String>,
}

async fn sample_ids(http: &reqwest::Client, organizations: &str) -> anyhow::Result<SampleIds> {
    let data = send(
        http,
        organizations,
        &json!({ "query": "{ city { id children(first: 1, filter: { kinds: [DISTRICT] }) { edges { node { id } } } }
                   units(first: 100, filter: { kinds: [TOWNSHIP] }) { edges { node { id } } } }" }),
    )
    .await?;
    let id = |value: &Value| value.as_str().map(str::to_string).context("an ID");
    Ok(SampleIds {
        city: id(&data["data"]["city"]["id"])?,
        district: id(&data["data"]["city"]["children"]["edges"][0]["node"]["id"])?,
        units: data["data"]["units"]["edges"]
            .as_array()
            .context("units")?
            .iter()
            .map(|edge| id(&edge["node"]["id"]))
            .collect::<anyhow::Result<_>>()?,
    })
}

fn representations(ids: &SampleIds) -> Value {
    Value::Array(
        ids.units
            .iter()
            .map(|id| json!({ "__typename": "Unit", "id": id }))
            .collect(),
    )
}

fn cases(ids: &SampleIds) -> Vec<Case> {
    let district = json!({ "id": ids.district });
    let city = json!({ "id": ids.city });
    vec![
        Case {
            subgraph: Subgraph::Organizations,
            name: "city with districts",
            query: "query($id: ID!) { unit(id: $id) { name children(first: 20, filter: { kinds: [DISTRICT] }) { edges { node { id name divisionCode } } } } }",
            variables: city.clone(),
        },
        Case {
            subgraph: Subgraph::Organizations,
            name: "district townships page",
            query: "query($id: ID!) { units(first: 20, filter: { parentId: $id, kinds: [TOWNSHIP] }) { edges { node { id name currentTerm { endsOn } } } } }",
            variables: district.clone(),
        },
        Case {
            subgraph: Subgraph::Organizations,
            name: "overdue terms under the city",
            query: "query($id: ID!) { terms(first: 50, filter: { unitId: $id, includeSubtree: true, overdueOn: \"2026-11-23\" }) { edges { node { number endsOn unit { name } } } } }",
            variables: city.clone(),
        },
        Case {
            subgraph: Subgraph::Organizations,
            name: "_entities: 100 units",
            query: "query($r: [_Any!]!) { _entities(representations: $r) { ... on Unit { id name kind parent { name } } } }",
            variables: json!({ "r": representations(ids) }),
        },
        Case {
            subgraph: Subgraph::Talent,
            name: "district workers page",
            query: "query($id: ID!) { workers(first: 20, filter: { unitId: $id, includeSubtree: true }) { edges { node { id name title discipline homeUnit { id } } } } }",
            variables: district.clone(),
        },
        Case {
            subgraph: Subgraph::Talent,
            name: "volunteers in the city",
            query: "{ workers(first: 20, filter: { isVolunteer: true }) { edges { node { id name honors { name level year } } } } }",
            variables: json!({}),
        },
        Case {
            subgraph: Subgraph::Talent,
            name: "_entities: 100 units' workers",
            query: "query($r: [_Any!]!) { _entities(representations: $r) { ... on Unit { workers(first: 5) { edges { node { id name } } } } } }",
            variables: json!({ "r": representations(ids) }),
        },
        Case {
            subgraph: Subgraph::Popularization,
            name: "district activities page",
            query: "query($id: ID!) { activities(first: 20, filter: { unitId: $id, includeSubtree: true }) { edges { node { id title kind status startsOn audiences participants } } } }",
            variables: district.clone(),
        },
        Case {
            subgraph: Subgraph::Popularization,
            name: "Science Day events for the youth, 2025",
            query: "{ activities(first: 20, filter: { kinds: [SCIENCE_DAY], audiences: [YOUTH], startsFrom: \"2025-01-01\", startsTo: \"2025-12-31\" }) { edges { node { id title participants venue { name } } } } }",
            variables: json!({}),
        },
        Case {
            subgraph: Subgraph::Popularization,
            name: "open venues",
            query: "{ venues(first: 50, filter: { statuses: [OPEN] }) { edges { node { id name kind address } } } }",
            variables: json!({}),
        },
        Case {
            subgraph: Subgraph::Popularization,
            name: "_entities: 100 units' activities",
            query: "query($r: [_Any!]!) { _entities(representations: $r) { ... on Unit { activities(first: 5) { edges { node { id title } } } } } }",
            variables: json!({ "r": representations(ids) }),
        },
        Case {
            subgraph: Subgraph::Advice,
            name: "district submissions page",
            query: "query($id: ID!) { submissions(first: 20, filter: { unitId: $id, includeSubtree: true }) { edges { node { id title status category submittedOn authors { id } } } } }",
            variables: district.clone(),
        },
        Case {
            subgraph: Subgraph::Advice,
            name: "forwarded submissions, with history",
            query: "{ submissions(first: 20, filter: { statuses: [FORWARDED, INSTRUCTED] }) { edges { node { id title history { toStatus actor changedAt } } } } }",
            variables: json!({}),
        },
        Case {
            subgraph: Subgraph::Advice,
            name: "_entities: 100 units' submissions",
            query: "query($r: [_Any!]!) { _entities(representations: $r) { ... on Unit { submissions(first: 5) { edges { node { id title status } } } } } }",
            variables: json!({ "r": representations(ids) }),
        },
    ]
}
