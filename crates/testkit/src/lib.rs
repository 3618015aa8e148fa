//! The test kit: a fresh PostgreSQL database per test, a Redis namespace per test, and a
//! small GraphQL client. Tests talk to the real servers at their default addresses
//! (`TEST_DATABASE_URL`, `REDIS_URL`).

use serde_json::{json, Value};
use uuid::Uuid;

use std::sync::OnceLock;
use std::time::Duration;

use kexie_contract::principal::{
    sign, staff_token, Principal, PrincipalSecret, Role, Scope, PRINCIPAL_HEADER,
};

const DEFAULT_TEST_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database created for one test and dropped when the test ends.
pub struct TestDb {
    /// The URL of the fresh database.
    pub url: String,
    name: String,
    server_url: String,
}

impl TestDb {
    pub async fn new() -> Self {
        kexie_contract::telemetry::init_for_tests();
        let server_url = std::env::var("TEST_DATABASE_URL")
            .unwrap_or_else(|_| DEFAULT_TEST_DATABASE_URL.to_string());
        let name = format!("kexie_test_{}", Uuid::now_v7().simple());
        let url = match server_url.rfind('/') {
            Some(slash) => format!("{}/{}", &server_url[..slash], name),
            None => panic!("TEST_DATABASE_URL has no database part: {server_url}"),
        };
        TestDb {
            url,
            name,
            server_url,
        }
    }

    /// A Redis key namespace no other test uses.
    pub fn redis_namespace(&self) -> String {
        self.name.clone()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let server_url = self.server_url.clone();
        let name = self.name.clone();
        // Drop runs inside the test's runtime: clean up on a thread with a runtime of its own.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async move {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(&server_url).await?;
                sqlx::query(&format!("drop database if exists \"{name}\" with (force)"))
                    .execute(&mut conn)
                    .await?;
                anyhow::Ok(())
            })
        });
        let _ = cleanup.join();
    }
}

/// The Redis URL tests use.
pub fn redis_url() -> String {
    std::env::var("REDIS_URL")
        .unwrap_or_else(|_| kexie_contract::data_version::DEFAULT_REDIS_URL.to_string())
}

/// A local port where nothing listens, so connections to it are refused. The port stays
/// bound (without listening) for as long as this value lives: a server that another test
/// starts meanwhile cannot be given the same port and answer in its place.
pub struct ClosedPort {
    port: u16,
    _bound: tokio::net::TcpSocket,
}

impl ClosedPort {
    pub fn new() -> Self {
        let socket = tokio::net::TcpSocket::new_v4().expect("a TCP socket");
        socket
            .bind(([127, 0, 0, 1], 0).into())
            .expect("a free local port");
        let port = socket.local_addr().expect("a bound address").port();
        Self {
            port,
            _bound: socket,
        }
    }

    /// A subgraph URL on this port.
    pub fn graphql_url(&self) -> String {
        format!("http://127.0.0.1:{}/graphql", self.port)
    }

    /// A Redis URL on this port.
    pub fn redis_url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Default for ClosedPort {
    fn default() -> Self {
        Self::new()
    }
}

/// The principal secret of every subgraph and gateway a test process starts.
pub fn principal_secret() -> PrincipalSecret {
    static SECRET: OnceLock<PrincipalSecret> = OnceLock::new();
    SECRET.get_or_init(PrincipalSecret::generate).clone()
}

/// The HS256 secret of the staff tokens [`GraphqlClient`] sends; gateways under test accept
/// them (`GatewayConfig::with_hs256_secret`).
pub const STAFF_TOKEN_SECRET: &str = "the staff tokens of tests, never a production secret";
/// The audience of those tokens (the gateway's default).
pub const STAFF_TOKEN_AUDIENCE: &str = "kexie";

/// A GraphQL client for one endpoint — a subgraph or the gateway — acting for one
/// principal: a city administrator unless told otherwise.
///
/// It sends the principal both ways a caller can: signed for a subgraph (the
/// `kexie-principal` header, which a gateway drops) and, for staff, as a staff token for a
/// gateway (`Authorization: Bearer`, which subgraphs ignore).
#[derive(Clone)]
pub struct GraphqlClient {
    http: reqwest::Client,
    pub endpoint: String,
    /// `None`: the requests carry no credentials at all.
    pub principal: Option<Principal>,
    headers: Vec<(String, String)>,
}

impl GraphqlClient {
    pub fn new(endpoint: impl Into<String>) -> Self {
        GraphqlClient {
            http: reqwest::Client::new(),
            endpoint: endpoint.into(),
            principal: Some(Principal::issue(
                "test-staff",
                Some(Uuid::nil()),
                Role::CityAdmin,
            )),
            headers: Vec::new(),
        }
    }

    /// The same endpoint, for the same role and unit under another subject.
    pub fn acting_as(&self, subject: &str) -> Self {
        let mut client = self.clone();
        if let Some(principal) = &mut client.principal {
            principal.subject = subject.to_string();
        }
        client
    }

    /// The same endpoint, acting for `principal`.
    pub fn as_principal(&self, principal: Principal) -> Self {
        GraphqlClient {
            principal: Some(principal),
            ..self.clone()
        }
    }

    /// The same endpoint, as staff with `role` at `unit`.
    pub fn as_staff(&self, subject: &str, role: Role, unit: Uuid) -> Self {
        self.as_principal(Principal::issue(subject, Some(unit), role))
    }

    /// The same endpoint, as the public.
    pub fn anonymous(&self) -> Self {
        self.as_principal(Principal::anonymous())
    }

    /// The same endpoint, as a partner bureau's key with `scopes` (signed straight for a
    /// subgraph; through a gateway a partner sends its API key with [`Self::with_header`]).
    pub fn as_partner(&self, bureau: &str, scopes: &[Scope]) -> Self {
        let mut client =
            self.as_principal(Principal::partner(Uuid::now_v7(), bureau, scopes.to_vec()));
        client.principal.as_mut().unwrap().subject = format!("partner:{bureau}");
        client
    }

    /// The same endpoint, without any credentials.
    pub fn without_credentials(&self) -> Self {
        GraphqlClient {
            principal: None,
            ..self.clone()
        }
    }

    /// The same client, adding a header to every request.
    pub fn with_header(&self, name: &str, value: &str) -> Self {
        let mut client = self.clone();
        client.headers.push((name.to_string(), value.to_string()));
        client
    }

    /// Sends a query and returns the HTTP status and the whole response body.
    pub async fn send(&self, query: &str, variables: Value) -> (u16, Value) {
        let mut request = self
            .http
            .post(&self.endpoint)
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(principal) = &self.principal {
            let fresh = Principal {
                subject: principal.subject.clone(),
                scopes: principal.scopes.clone(),
                bureau: principal.bureau.clone(),
                ..Principal::issue("", principal.unit, principal.role)
            };
            let signed = sign(&fresh, &principal_secret()).expect("the principal signs");
            request = request.header(PRINCIPAL_HEADER, signed);
            if let (true, Some(unit)) = (Role::STAFF.contains(&principal.role), principal.unit) {
                let token = staff_token(
                    STAFF_TOKEN_SECRET.as_bytes(),
                    STAFF_TOKEN_AUDIENCE,
                    &principal.subject,
                    unit,
                    principal.role,
                    Duration::from_secs(600),
                )
                .expect("the staff token signs");
                request = request.bearer_auth(token);
            }
        }
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        (status, response.json().await.expect("the response is JSON"))
    }

    /// Sends a query and returns the whole response body.
    pub async fn post(&self, query: &str, variables: Value) -> Value {
        self.send(query, variables).await.1
    }

    /// Sends a query that must succeed and returns its `data`.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let body = self.post(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// Sends a query that must fail and returns the `extensions.code` of its first error.
    pub async fn error_code(&self, query: &str, variables: Value) -> String {
        let body = self.post(query, variables).await;
        body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("expected an error with a code: {body:#}"))
            .to_string()
    }
}

/// A small unit tree for tests of the subgraphs that replicate it:
/// city → two districts → one township each, and an enterprise association under the
/// first district.
#[derive(Clone, Debug)]
pub struct SampleTree {
    pub city: kexie_subgraph_kit::unit_tree::ReplicatedUnit,
    pub district_a: kexie_subgraph_kit::unit_tree::ReplicatedUnit,
    pub district_b: kexie_subgraph_kit::unit_tree::ReplicatedUnit,
    pub township_a: kexie_subgraph_kit::unit_tree::ReplicatedUnit,
    pub township_b: kexie_subgraph_kit::unit_tree::ReplicatedUnit,
    pub enterprise_a: kexie_subgraph_kit::unit_tree::ReplicatedUnit,
}

impl SampleTree {
    pub fn new() -> Self {
        use kexie_subgraph_kit::unit_tree::ReplicatedUnit;
        fn unit(
            parent: Option<&ReplicatedUnit>,
            kind: &str,
            name: &str,
            code: Option<&str>,
        ) -> ReplicatedUnit {
            let id = Uuid::now_v7();
            let path = format!(
                "{}{}/",
                parent.map_or("/", |parent| parent.path.as_str()),
                id
            );
            ReplicatedUnit {
                id,
                parent_id: parent.map(|parent| parent.id),
                path,
                kind: kind.to_string(),
                status: "ACTIVE".to_string(),
                name: name.to_string(),
                division_code: code.map(str::to_string),
            }
        }
        let city = unit(None, "CITY", "巴中市科协", Some("511900"));
        let district_a = unit(Some(&city), "DISTRICT", "巴州区科协", Some("511902"));
        let district_b = unit(Some(&city), "DISTRICT", "恩阳区科协", Some("511903"));
        let township_a = unit(
            Some(&district_a),
            "TOWNSHIP",
            "清江镇科协",
            Some("511902101"),
        );
        let township_b = unit(
            Some(&district_b),
            "TOWNSHIP",
            "柳林镇科协",
            Some("511903101"),
        );
        let enterprise_a = unit(Some(&district_a), "ENTERPRISE", "巴中化工企业科协", None);
        SampleTree {
            city,
            district_a,
            district_b,
            township_a,
            township_b,
            enterprise_a,
        }
    }

    pub fn units(&self) -> Vec<kexie_subgraph_kit::unit_tree::ReplicatedUnit> {
        vec![
            self.city.clone(),
            self.district_a.clone(),
            self.district_b.clone(),
            self.township_a.clone(),
            self.township_b.clone(),
            self.enterprise_a.clone(),
        ]
    }

    /// Publishes the tree to Redis under `namespace` as organizations would, as event 1.
    pub async fn publish(&self, namespace: &str) {
        let mut redis = kexie_contract::data_version::redis_connection(
            &redis_url(),
            std::time::Duration::from_secs(2),
        )
        .expect("a Redis URL");
        let keys = kexie_subgraph_kit::unit_tree::TreeKeys::new(namespace);
        kexie_subgraph_kit::unit_tree::publish_event(&mut redis, &keys, 1, &self.units())
            .await
            .expect("Redis takes the sample tree");
    }
}

impl Default for SampleTree {
    fn default() -> Self {
        SampleTree::new()
    }
}

/// `value` with what changes from run to run replaced by stable placeholders, for snapshot
/// tests of whole responses: every UUID (and the ID inside a cursor) by `[id N]`, numbered
/// in the order the IDs first appear (so that equal IDs stay equal), every timestamp by
/// `[time]`, and today's date in China (UTC+8) by `[today]`. Everything else stays as
/// answered. Object keys come out sorted: whether `serde_json` keeps the order a response
/// was written in depends on which crates a build links, and a snapshot must not.
pub fn redacted(value: &Value) -> Value {
    let today = kexie_subgraph_kit::figures::china_today().to_string();
    let mut ids: Vec<Uuid> = Vec::new();
    redact(value, &today, &mut ids)
}

fn redact(value: &Value, today: &str, ids: &mut Vec<Uuid>) -> Value {
    let mut placeholder = |id: Uuid| {
        let number = match ids.iter().position(|seen| *seen == id) {
            Some(index) => index + 1,
            None => {
                ids.push(id);
                ids.len()
            }
        };
        format!("[id {number}]")
    };
    match value {
        Value::String(text) => {
            if let Ok(id) = Uuid::parse_str(text) {
                Value::String(placeholder(id))
            } else if let Some(id) = text
                .strip_prefix("c1:")
                .and_then(|id| Uuid::parse_str(id).ok())
            {
                Value::String(format!("c1:{}", placeholder(id)))
            } else if chrono::DateTime::parse_from_rfc3339(text).is_ok() {
                Value::String("[time]".to_string())
            } else if text == today {
                Value::String("[today]".to_string())
            } else {
                value.clone()
            }
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|item| redact(item, today, ids)).collect())
        }
        Value::Object(fields) => {
            let mut keys: Vec<&String> = fields.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|key| (key.clone(), redact(&fields[key], today, ids)))
                    .collect(),
            )
        }
        _ => value.clone(),
    }
}

/// The seed of a randomized test: `KEXIE_TEST_SEED` to repeat a run, else a fresh one,
/// printed so that a failure can be repeated.
pub fn test_seed() -> u64 {
    let seed = std::env::var("KEXIE_TEST_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or_else(|| Uuid::now_v7().as_u128() as u64 ^ std::process::id() as u64);
    println!("KEXIE_TEST_SEED={seed}");
    seed
}

/// The days `from..=to` a year earlier; a period ending on a month's last day ends on that
/// month's last day (29 February becomes the 28th).
pub fn year_earlier(
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> (chrono::NaiveDate, chrono::NaiveDate) {
    let year = chrono::Months::new(12);
    let until = to.succ_opt().expect("a day after") - year;
    (from - year, until.pred_opt().expect("a day before"))
}

/// A source of random writes to a subgraph's records, for the figure ledger's property
/// tests ([`assert_random_writes_keep_the_ledger_exact`]).
pub trait RandomWriter {
    /// What the writer has made so far (the IDs it may pick from later).
    type Made;
    fn made(&self) -> Self::Made;
    /// Forgets what was made after `made` (its insert was rolled back).
    fn forget_since(&mut self, made: Self::Made);
    /// Whether the next write runs in a transaction that is rolled back.
    fn roll_back_next(&mut self) -> bool;
    /// One random write.
    fn write(
        &mut self,
        conn: &mut sqlx::PgConnection,
    ) -> impl std::future::Future<Output = sqlx::Result<()>> + Send;
}

/// Thirty rounds of twelve random writes by `writer`, one at a time, those it says to roll
/// back inside a transaction that is rolled back; after every round the figure ledger must
/// equal the one rebuilt from the records of the entities `entity_ids` lists.
pub async fn assert_random_writes_keep_the_ledger_exact<W: RandomWriter>(
    pool: &sqlx::PgPool,
    writer: &mut W,
    entity_ids: &str,
) {
    let mut conn = pool.acquire().await.expect("a connection");
    for round in 0..30 {
        for _ in 0..12 {
            if writer.roll_back_next() {
                let made = writer.made();
                sqlx::query("begin").execute(&mut *conn).await.unwrap();
                writer.write(&mut conn).await.unwrap();
                sqlx::query("rollback").execute(&mut *conn).await.unwrap();
                writer.forget_since(made);
            } else {
                writer.write(&mut conn).await.unwrap();
            }
        }
        let differences = ledger_differences(pool, entity_ids).await;
        assert!(
            differences.is_empty(),
            "round {round}: the ledger differs from the records: {differences:#?}"
        );
    }
}

/// The units organizations publishes when `merged` merges into `into`: `merged`, MERGED,
/// hangs under `into`, and its children hang there too with their subtrees (every path
/// below rewritten), all in one event.
pub fn merge_event(
    units: &[kexie_subgraph_kit::unit_tree::ReplicatedUnit],
    merged: Uuid,
    into: Uuid,
) -> Vec<kexie_subgraph_kit::unit_tree::ReplicatedUnit> {
    let path_of = |id: Uuid| {
        units
            .iter()
            .find(|unit| unit.id == id)
            .map(|unit| unit.path.clone())
            .expect("a unit of the tree")
    };
    let (old_path, into_path) = (path_of(merged), path_of(into));
    units
        .iter()
        .filter(|unit| unit.path.starts_with(&old_path))
        .map(|unit| {
            let mut moved = unit.clone();
            if unit.id == merged {
                moved.status = "MERGED".to_string();
                moved.parent_id = Some(into);
                moved.path = format!("{into_path}{merged}/");
            } else {
                if unit.parent_id == Some(merged) {
                    moved.parent_id = Some(into);
                }
                moved.path = format!("{into_path}{}", &unit.path[old_path.len()..]);
            }
            moved
        })
        .collect()
}

/// One random change of the replicated unit tree (`unit_replica`) over `units`, in the
/// shapes organizations' events take: a unit the tree does not know arrives under another
/// (or as a root), a subtree moves whole, a unit merges into another with its children
/// re-hung there in the same upsert, or a subtree leaves the tree.
pub async fn random_tree_change(
    rng: &mut fastrand::Rng,
    conn: &mut sqlx::PgConnection,
    units: &[Uuid],
) -> sqlx::Result<()> {
    // Tree changes take turns, reading the tree after the one before committed, as
    // organizations makes them (the figure ledger's tree lock serves here).
    sqlx::query("select pg_advisory_xact_lock(1802, 0)")
        .execute(&mut *conn)
        .await?;
    let placed: Vec<(Uuid, String)> =
        sqlx::query_as("select unit_id, path from unit_replica where unit_id = any($1)")
            .bind(units)
            .fetch_all(&mut *conn)
            .await?;
    let unit = units[rng.usize(..units.len())];
    let Some((_, path)) = placed.iter().find(|(id, _)| *id == unit) else {
        let parent = if placed.is_empty() || rng.u8(..4) == 0 {
            None
        } else {
            Some(&placed[rng.usize(..placed.len())])
        };
        return sqlx::query(
            "insert into unit_replica (unit_id, parent_id, path, kind, status, name)
             values ($1, $2, $3 || $1 || '/', 'TOWNSHIP', 'ACTIVE', '单位')",
        )
        .bind(unit)
        .bind(parent.map(|(id, _)| *id))
        .bind(parent.map_or("/", |(_, path)| path.as_str()))
        .execute(conn)
        .await
        .map(drop);
    };
    let outside: Vec<&(Uuid, String)> = placed
        .iter()
        .filter(|(_, other)| !other.starts_with(path.as_str()))
        .collect();
    let parent = if outside.is_empty() || rng.u8(..4) == 0 {
        None
    } else {
        Some(outside[rng.usize(..outside.len())])
    };
    let parent_id = parent.map(|(id, _)| *id);
    let parent_path = parent.map_or("/", |(_, path)| path.as_str());
    let statement = match rng.u8(..3) {
        0 => sqlx::query(
            "update unit_replica
             set path = $2 || substr(path, length($1) - 36),
                 parent_id = case when unit_id = $3 then $4 else parent_id end
             where starts_with(path, $1)",
        ),
        1 => sqlx::query(
            "insert into unit_replica (unit_id, parent_id, path, kind, status, name)
             select unit_id,
                    case when unit_id = $3 or parent_id = $3 then $4 else parent_id end,
                    case when unit_id = $3 then $2 || substr(path, length($1) - 36)
                         else $2 || substr(path, length($1) + 1) end,
                    kind, case when unit_id = $3 then 'MERGED' else status end, name
             from unit_replica where starts_with(path, $1)
             on conflict (unit_id) do update set
                 parent_id = excluded.parent_id, path = excluded.path, status = excluded.status",
        ),
        _ => {
            return sqlx::query("delete from unit_replica where starts_with(path, $1)")
                .bind(path)
                .execute(conn)
                .await
                .map(drop)
        }
    };
    statement
        .bind(path)
        .bind(parent_path)
        .bind(unit)
        .bind(parent_id)
        .execute(conn)
        .await
        .map(drop)
}

/// How the figure ledger of the subgraph schema `pool` connects to differs from the ledger
/// rebuilt from scratch out of the records of every entity `entity_ids` (a query listing
/// them) names, each contribution summed into its unit and every ancestor of it in the unit
/// tree as it stands: one line per differing row, none when the ledger is exact. Rows that
/// sum to zero are no difference.
pub async fn ledger_differences(pool: &sqlx::PgPool, entity_ids: &str) -> Vec<String> {
    let rows: Vec<(String, String)> = sqlx::query_as(&format!(
        "with own as (
             select * from figure_contributions(array({entity_ids}))
         ),
         fresh as (
             select r.ancestor_id, g.grain, g.period_start, c.figure, c.key, sum(c.delta)::bigint as delta
             from own c
             join figure_reach(array(select distinct unit_id from own)) r on r.unit_id = c.unit_id
             cross join lateral (values ('D'::\"char\", c.day),
                                        ('M'::\"char\", date_trunc('month', c.day)::date),
                                        ('Y'::\"char\", date_trunc('year', c.day)::date))
                 as g(grain, period_start)
             group by 1, 2, 3, 4, 5
             having sum(c.delta) <> 0
         ),
         kept as (
             select unit_id, grain, period_start, figure, key, delta
             from figure_ledger where delta <> 0
         )
         select 'missing', f::text from (select * from fresh except select * from kept) f
         union all
         select 'extra', k::text from (select * from kept except select * from fresh) k
         order by 1, 2"
    ))
    .fetch_all(pool)
    .await
    .expect("the ledger can be compared");
    rows.into_iter()
        .map(|(side, row)| format!("{side}: {row}"))
        .collect()
}

/// The top-level fields of a selection, each with its sub-selection:
/// `a b { c d } e` → `["a", "b { c d }", "e"]`. A fragment definition (`fragment F on T
/// { … }`) gives the fields of its selection.
pub fn top_level_fields(selection: &str) -> Vec<String> {
    let inner = if selection.trim_start().starts_with("fragment") {
        let open = selection.find('{').expect("a fragment has a selection");
        let close = selection.rfind('}').expect("a fragment has a selection");
        &selection[open + 1..close]
    } else {
        selection
    };
    let mut fields: Vec<String> = Vec::new();
    let mut depth = 0;
    for token in inner
        .replace('{', " { ")
        .replace('}', " } ")
        .split_whitespace()
    {
        match token {
            "{" => {
                depth += 1;
                fields
                    .last_mut()
                    .expect("a field before `{`")
                    .push_str(" {");
            }
            "}" => {
                depth -= 1;
                fields
                    .last_mut()
                    .expect("a field before `}`")
                    .push_str(" }");
            }
            name if depth == 0 => fields.push(name.to_string()),
            name => {
                let field = fields.last_mut().expect("a field before its selection");
                field.push(' ');
                field.push_str(name);
            }
        }
    }
    fields
}

/// Asks a subgraph for `unit`'s `series_field` (a `Unit` field taking `series: $s`,
/// through `_entities` as the gateway does) with every field of `selection` under
/// `figures` and `yearEarlier`, then with each field alone: every point of each answer
/// alone carries the same values as the whole. A series reads only the ledger figures its
/// selection needs, so this checks that each field knows the figures it is made of.
pub async fn assert_series_fields_alone_match(
    client: &GraphqlClient,
    series_field: &str,
    unit: Uuid,
    selection: &str,
    series: Value,
) {
    let ask = |fields: String| {
        let query = format!(
            "query($r: [_Any!]!, $s: SeriesInput!) {{ _entities(representations: $r) {{
                 ... on Unit {{ {series_field}(series: $s) {{
                     from figures {{ {fields} }} yearEarlier {{ {fields} }} }} }} }} }}"
        );
        let variables = json!({ "r": [{ "__typename": "Unit", "id": unit }], "s": series });
        async move {
            let data = client.data(&query, variables).await;
            data["_entities"][0][series_field].clone()
        }
    };
    let fields = top_level_fields(selection);
    let whole = ask(fields.join(" ")).await;
    let points = whole.as_array().expect("a series");
    assert!(!points.is_empty(), "{series_field}: no points");
    for field in &fields {
        let name = field.split_whitespace().next().unwrap_or_default();
        let alone = ask(field.clone()).await;
        for (point, alone) in points.iter().zip(alone.as_array().expect("a series")) {
            for side in ["figures", "yearEarlier"] {
                assert_eq!(
                    alone[side][name], point[side][name],
                    "{series_field}.{side}.{name} alone, point {}",
                    point["from"]
                );
            }
        }
    }
}

/// Proves a workflow type's `allowedTransitions` against what its transition mutation then
/// does, on every status reachable from a new record: each status listed is accepted (on a
/// fresh record brought there by the same steps), each status not listed is refused with
/// `ILLEGAL_TRANSITION`. `create` makes a new record and returns it with `id`, `status`,
/// `allowedTransitions` and `version`; `transition` is a mutation taking `$id: ID!`,
/// `$v: Int!` and `$to`, whose single field returns the same; `statuses` are every value of
/// the status enum. Returns the statuses visited, in the order reached.
pub async fn assert_allowed_transitions_are_what_the_mutation_accepts<F, Fut>(
    client: &GraphqlClient,
    create: F,
    transition: &str,
    statuses: &[&str],
) -> Vec<String>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Value>,
{
    let step = |record: Value, to: String| {
        let client = client.clone();
        let transition = transition.to_string();
        async move {
            client
                .post(
                    &transition,
                    json!({ "id": record["id"], "v": record["version"], "to": to }),
                )
                .await
        }
    };
    let field = |body: &Value| -> Value {
        body["data"]
            .as_object()
            .and_then(|data| data.values().next().cloned())
            .unwrap_or(Value::Null)
    };
    // Each status reached, with the steps from a new record that reach it.
    let start = create().await;
    let mut paths: Vec<(String, Vec<String>)> =
        vec![(start["status"].as_str().unwrap().to_string(), Vec::new())];
    let mut next = 0;
    while next < paths.len() {
        let (status, path) = paths[next].clone();
        next += 1;
        let bring = || async {
            let mut record = create().await;
            for to in &path {
                let body = step(record.clone(), to.clone()).await;
                record = field(&body);
                assert_eq!(record["status"], json!(to), "{body:#}");
            }
            record
        };
        let here = bring().await;
        let allowed: Vec<String> = serde_json::from_value(here["allowedTransitions"].clone())
            .expect("allowedTransitions is a list of statuses");
        for to in statuses {
            if allowed.iter().any(|allowed| allowed == to) {
                continue;
            }
            let body = step(here.clone(), to.to_string()).await;
            assert_eq!(
                body["errors"][0]["extensions"]["code"], "ILLEGAL_TRANSITION",
                "{status} → {to} is not listed, yet: {body:#}"
            );
        }
        for to in allowed {
            let body = step(bring().await, to.clone()).await;
            assert!(
                body.get("errors").is_none(),
                "{status} → {to} is listed, yet refused: {body:#}"
            );
            if !paths.iter().any(|(reached, _)| *reached == to) {
                let mut longer = path.clone();
                longer.push(to.clone());
                paths.push((to, longer));
            }
        }
    }
    paths.into_iter().map(|(status, _)| status).collect()
}

/// Proves a top-level list's incremental sync (`filter.updatedSince`) from the partner's
/// side: read from the beginning of time with archived records, page by page through its
/// own `s1:` cursors, it shows exactly `expected` (the IDs of every record written so far),
/// each once; after its last cursor it shows nothing more, and from a time to come nothing.
/// Sync reads hold back changes newer than the oldest transaction running anywhere on the
/// server (other tests' too), so this polls for up to a minute, as a mirror would.
/// `arguments` are the list's other arguments (`unitId: "…"`), or empty; `archived` the
/// filter field that includes archived records (`includeArchived: true`).
/// Returns the last page's `endCursor`, for reading what changes next.
pub async fn assert_list_syncs(
    client: &GraphqlClient,
    (list, arguments, archived): (&str, &str, &str),
    expected: &[&str],
) -> String {
    let query = format!(
        "query($since: DateTime!, $after: String) {{
           {list}({arguments} filter: {{ updatedSince: $since, {archived} }}, first: 2, after: $after) {{
             edges {{ node {{ id }} }} pageInfo {{ hasNextPage endCursor }} }} }}"
    );
    let mut expected: Vec<String> = expected.iter().map(|id| id.to_string()).collect();
    expected.sort();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut seen: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = client
            .data(
                &query,
                json!({ "since": "1970-01-01T00:00:00Z", "after": cursor }),
            )
            .await[list]
            .clone();
        for edge in page["edges"].as_array().expect("a connection") {
            seen.push(edge["node"]["id"].as_str().unwrap().to_string());
        }
        if let Some(end) = page["pageInfo"]["endCursor"].as_str() {
            assert!(
                end.starts_with("s1:"),
                "{list}: a sync page's cursor, {end}"
            );
            cursor = Some(end.to_string());
        }
        let mut sorted = seen.clone();
        sorted.sort();
        if page["pageInfo"]["hasNextPage"] == json!(true) {
            continue;
        }
        if sorted == expected || std::time::Instant::now() > deadline {
            assert_eq!(sorted, expected, "{list}: what sync pages showed");
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let cursor = cursor.expect("at least one record synced");
    let after_end = client
        .data(
            &query,
            json!({ "since": "1970-01-01T00:00:00Z", "after": cursor }),
        )
        .await;
    assert_eq!(
        after_end[list]["edges"],
        json!([]),
        "{list}: after the last cursor"
    );
    let future = client
        .data(
            &query,
            json!({ "since": "2999-01-01T00:00:00Z", "after": null }),
        )
        .await;
    assert_eq!(
        future[list]["edges"],
        json!([]),
        "{list}: since a time to come"
    );
    cursor
}

/// What a top-level list's sync shows after `cursor` (the edges, `fields` of each node),
/// waiting up to a minute for something to show: a change comes once its transaction and
/// every one older than it has ended.
pub async fn sync_edges_after(
    client: &GraphqlClient,
    (list, arguments, filter): (&str, &str, &str),
    cursor: &str,
    fields: &str,
) -> Value {
    let query = format!(
        "query($after: String) {{
           {list}({arguments} filter: {{ updatedSince: \"1970-01-01T00:00:00Z\", {filter} }},
                  first: 100, after: $after) {{ edges {{ node {{ {fields} }} }} }} }}"
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let edges = client.data(&query, json!({ "after": cursor })).await[list]["edges"].clone();
        if edges != json!([]) || std::time::Instant::now() > deadline {
            return edges;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Proves a connection pages both ways. `query` declares `$cursor: String` and holds the
/// list's field with `PAGE` where its page arguments go and `SELECTION` as its selection;
/// `pointer` is where the connection is in `data` (`/workers`). Read forward (`first: 2`,
/// `after`) through every page and backward from the end (`last: 2`, `before`), the list is
/// the same rows in the same order, `hasPreviousPage` and `hasNextPage` tell where more
/// rows are, every page's `totalCount` is the number of rows read, and `after` with `last`
/// is refused. Returns the IDs, newest first.
pub async fn assert_pages_both_ways(
    client: &GraphqlClient,
    query: &str,
    variables: Value,
    pointer: &str,
) -> Vec<String> {
    let read = |arguments: &str, cursor: Option<String>| {
        let query = query.replace("PAGE", arguments).replace(
            "SELECTION",
            "totalCount edges { node { id } }
             pageInfo { hasNextPage hasPreviousPage startCursor endCursor }",
        );
        let mut variables = variables.clone();
        variables["cursor"] = json!(cursor);
        let client = client.clone();
        let pointer = pointer.to_string();
        async move {
            let data = client.data(&query, variables).await;
            data.pointer(&pointer)
                .unwrap_or_else(|| panic!("no {pointer} in {data:#}"))
                .clone()
        }
    };
    let ids = |page: &Value| -> Vec<String> {
        page["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|edge| edge["node"]["id"].as_str().unwrap().to_string())
            .collect()
    };
    let mut forward = Vec::new();
    let mut totals = Vec::new();
    let mut after: Option<String> = None;
    let mut first_end_cursor: Option<String> = None;
    loop {
        let page = read("first: 2, after: $cursor", after.clone()).await;
        totals.push(page["totalCount"].clone());
        if first_end_cursor.is_none() {
            first_end_cursor = page["pageInfo"]["endCursor"].as_str().map(str::to_string);
        }
        assert_eq!(
            page["pageInfo"]["hasPreviousPage"],
            json!(after.is_some()),
            "{page}"
        );
        forward.extend(ids(&page));
        if page["pageInfo"]["hasNextPage"] != json!(true) {
            break;
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_string);
    }
    let mut backward: Vec<String> = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let page = read("last: 2, before: $cursor", before.clone()).await;
        totals.push(page["totalCount"].clone());
        assert_eq!(
            page["pageInfo"]["hasNextPage"],
            json!(before.is_some()),
            "{page}"
        );
        backward.splice(0..0, ids(&page));
        if page["pageInfo"]["hasPreviousPage"] != json!(true) {
            break;
        }
        before = page["pageInfo"]["startCursor"].as_str().map(str::to_string);
    }
    assert!(forward.len() >= 3, "too few rows to page: {forward:?}");
    assert_eq!(backward, forward, "read backward, the list differs");
    assert!(
        totals.iter().all(|total| *total == json!(forward.len())),
        "totalCount {totals:?} on the pages of a list of {} rows",
        forward.len()
    );
    let both = query
        .replace("PAGE", "last: 2, after: $cursor")
        .replace("SELECTION", "edges { node { id } }");
    let mut variables = variables.clone();
    variables["cursor"] = json!(first_end_cursor);
    let body = client.post(&both, variables).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "VALIDATION",
        "{body:#}"
    );
    forward
}

/// Reads a top-level list in every order its `orderBy` offers: `query` is the list's query
/// with `ORDER` where `orderBy` goes, `PAGE` where its page arguments go and `SELECTION` as
/// its selection (`techNeeds(ORDER PAGE) { SELECTION }`); `order_field` is the name of its
/// enum of sort fields, each of which names the node's field it sorts by
/// (`PUBLISHED_ON` → `publishedOn`). For each field and direction, read forward through
/// every page and backward from the end: the same rows in the same order, the same rows as
/// newest first, sorted by the field's value (Chinese text as PostgreSQL's `zh-x-icu`
/// collation on `pool` orders it) with ties by ID the same way, `totalCount` the number of
/// rows. A cursor of one order is refused by another. Needs at least three rows.
pub async fn assert_every_order(
    client: &GraphqlClient,
    pool: &sqlx::PgPool,
    query: &str,
    variables: Value,
    pointer: &str,
    order_field: &str,
) {
    let fields: Vec<String> = client
        .data(
            "query($name: String!) { __type(name: $name) { enumValues { name } } }",
            json!({ "name": order_field }),
        )
        .await["__type"]["enumValues"]
        .as_array()
        .unwrap_or_else(|| panic!("no enum {order_field}"))
        .iter()
        .map(|value| value["name"].as_str().unwrap().to_string())
        .collect();
    let read = |order: String, arguments: String, selection: String, cursor: Option<String>| {
        let query = query
            .replace("ORDER", &order)
            .replace("PAGE", &arguments)
            .replace("SELECTION", &selection);
        let mut variables = variables.clone();
        variables["cursor"] = json!(cursor);
        let client = client.clone();
        let pointer = pointer.to_string();
        async move {
            let body = client.post(&query, variables).await;
            assert!(body.get("errors").is_none(), "{query}: {body:#}");
            body["data"]
                .pointer(&pointer)
                .unwrap_or_else(|| panic!("no {pointer} in {body:#}"))
                .clone()
        }
    };
    let newest = read(
        String::new(),
        "first: 100, after: $cursor".into(),
        "edges { node { id } }".into(),
        None,
    )
    .await;
    let mut newest: Vec<String> = newest["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["id"].as_str().unwrap().to_string())
        .collect();
    assert!(newest.len() >= 3, "too few rows to sort: {newest:?}");
    newest.sort();
    let mut foreign_cursor: Option<String> = None;
    for field in &fields {
        let node_field = field
            .to_lowercase()
            .split('_')
            .enumerate()
            .map(|(i, word)| {
                if i == 0 {
                    word.to_string()
                } else {
                    word[..1].to_uppercase() + &word[1..]
                }
            })
            .collect::<String>();
        let selection = format!(
            "totalCount edges {{ node {{ id {node_field} }} }}
             pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}"
        );
        for direction in ["ASC", "DESC"] {
            let order = format!("orderBy: {{ field: {field}, direction: {direction} }},");
            let rows = |page: &Value| -> Vec<(String, Value)> {
                page["edges"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|edge| {
                        (
                            edge["node"]["id"].as_str().unwrap().to_string(),
                            edge["node"][&node_field].clone(),
                        )
                    })
                    .collect()
            };
            let mut forward = Vec::new();
            let mut after: Option<String> = None;
            loop {
                let page = read(
                    order.clone(),
                    "first: 2, after: $cursor".into(),
                    selection.clone(),
                    after.clone(),
                )
                .await;
                assert_eq!(
                    page["pageInfo"]["hasPreviousPage"],
                    json!(after.is_some()),
                    "{page}"
                );
                forward.extend(rows(&page));
                if let Some(cursor) = foreign_cursor.take() {
                    // A cursor of the previous order, read in this one.
                    let mut variables = variables.clone();
                    variables["cursor"] = json!(cursor);
                    let refused = client
                        .post(
                            &query
                                .replace("ORDER", &order)
                                .replace("PAGE", "first: 2, after: $cursor")
                                .replace("SELECTION", "totalCount"),
                            variables,
                        )
                        .await;
                    assert_eq!(
                        refused["errors"][0]["extensions"]["code"], "VALIDATION",
                        "{refused:#}"
                    );
                }
                if page["pageInfo"]["hasNextPage"] != json!(true) {
                    assert_eq!(page["totalCount"], json!(forward.len()), "{page}");
                    foreign_cursor = page["pageInfo"]["endCursor"].as_str().map(str::to_string);
                    break;
                }
                after = page["pageInfo"]["endCursor"].as_str().map(str::to_string);
            }
            let mut backward = Vec::new();
            let mut before: Option<String> = None;
            loop {
                let page = read(
                    order.clone(),
                    "last: 2, before: $cursor".into(),
                    selection.clone(),
                    before.clone(),
                )
                .await;
                assert_eq!(
                    page["pageInfo"]["hasNextPage"],
                    json!(before.is_some()),
                    "{page}"
                );
                backward.splice(0..0, rows(&page));
                if page["pageInfo"]["hasPreviousPage"] != json!(true) {
                    break;
                }
                before = page["pageInfo"]["startCursor"].as_str().map(str::to_string);
            }
            assert_eq!(
                backward, forward,
                "{field} {direction}: read backward, the list differs"
            );
            let mut ids: Vec<String> = forward.iter().map(|(id, _)| id.clone()).collect();
            ids.sort();
            assert_eq!(
                ids, newest,
                "{field} {direction}: other rows than newest first"
            );
            let values: Vec<Value> = forward.iter().map(|(_, value)| value.clone()).collect();
            let ranks = sort_ranks(pool, &values).await;
            for (pair, rank) in forward.windows(2).zip(ranks.windows(2)) {
                let order = rank[0]
                    .cmp(&rank[1])
                    .then_with(|| pair[0].0.cmp(&pair[1].0));
                let expected = if direction == "ASC" {
                    std::cmp::Ordering::Less
                } else {
                    std::cmp::Ordering::Greater
                };
                assert_eq!(
                    order, expected,
                    "{field} {direction}: {pair:?} out of order in {forward:?}"
                );
            }
        }
    }
}

/// Each value's rank among `values` in the order a list sorts them: numbers by value, times
/// by instant, other text as PostgreSQL orders it (codes and dates byte by byte, Chinese
/// text by the `zh-x-icu` collation).
async fn sort_ranks(pool: &sqlx::PgPool, values: &[Value]) -> Vec<usize> {
    let key = |value: &Value| -> String {
        match value {
            Value::Number(number) => format!("{:020.6}", number.as_f64().unwrap() + 1e12),
            Value::String(text) => match chrono::DateTime::parse_from_rfc3339(text) {
                Ok(time) => time.to_utc().format("%Y%m%d%H%M%S%.6f").to_string(),
                Err(_) => text.clone(),
            },
            other => panic!("cannot sort by {other}"),
        }
    };
    let keys: Vec<String> = values.iter().map(key).collect();
    let ascii = keys.iter().all(|key| key.is_ascii());
    let sorted: Vec<String> = if ascii {
        let mut sorted = keys.clone();
        sorted.sort();
        sorted
    } else {
        sqlx::query_scalar(
            "select array_agg(k order by k collate \"zh-x-icu\") from unnest($1::text[]) k",
        )
        .bind(&keys)
        .fetch_one(pool)
        .await
        .unwrap()
    };
    keys.iter()
        .map(|key| sorted.iter().position(|known| known == key).unwrap())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_level_fields_keep_their_selections() {
        assert_eq!(
            top_level_fields("a b { c d } e"),
            vec!["a", "b { c d }", "e"]
        );
        assert_eq!(
            top_level_fields("fragment F on T {\n  x y{z}\n}"),
            vec!["x", "y { z }"]
        );
    }

    #[test]
    fn redacted_numbers_ids_by_first_appearance_and_hides_times_and_today() {
        let (first, second) = (Uuid::now_v7(), Uuid::now_v7());
        let today = kexie_subgraph_kit::figures::china_today().to_string();
        let value = json!({
            "a": first.to_string(),
            "b": [second.to_string(), first.to_string()],
            "cursor": format!("c1:{}", second.simple()),
            "changedAt": "2026-05-18T08:30:00.123456Z",
            "day": today,
            "openedOn": "2021-06-18",
            "name": "青义镇科协",
        });
        assert_eq!(
            redacted(&value),
            json!({
                "a": "[id 1]",
                "b": ["[id 2]", "[id 1]"],
                "cursor": "c1:[id 2]",
                "changedAt": "[time]",
                "day": "[today]",
                "openedOn": "2021-06-18",
                "name": "青义镇科协",
            })
        );
    }
}
