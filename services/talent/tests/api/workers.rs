//! S&T workers: create, look up, list, update, archive, and refuse bad input.

use serde_json::{json, Value};

use crate::support::{create_worker, ids, names, start, UNKNOWN_ID, WORKER_FIELDS};

const LIST: &str = "query($filter: WorkerFilter, $first: Int, $after: String) {
    workers(filter: $filter, first: $first, after: $after) {
      pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { id name } } } }";

fn update_mutation() -> String {
    format!(
        "mutation($id: ID!, $version: Int!, $input: UpdateWorkerInput!) {{
           updateWorker(id: $id, expectedVersion: $version, input: $input) {{ {WORKER_FIELDS} }} }}"
    )
}

#[tokio::test]
async fn a_created_worker_reads_back_by_id_and_through_federation_entities() {
    let hub = start().await;
    let township = hub.unit_id(&hub.tree.township_a);
    let worker = create_worker(
        &hub.client,
        &township,
        json!({
            "name": " 李秀英 ", "gender": "FEMALE", "birthYear": 1990, "discipline": "园艺",
            "title": "ASSOCIATE_SENIOR", "isVolunteer": true, "isYoungTalent": true,
            "phone": "139 1234 5678", "email": "Li.XiuYing@MYKX.cn"
        }),
    )
    .await;
    // The whole new worker: the name trimmed, the phone without spaces, the email's
    // domain in lower case, the flags as given or false, version 1, who recorded it.
    insta::assert_json_snapshot!("created_worker", kexie_testkit::redacted(&worker));
    assert_eq!(worker["homeUnit"]["id"], township.as_str());

    let read = hub
        .client
        .data(
            &format!("query($id: ID!) {{ worker(id: $id) {{ {WORKER_FIELDS} }} }}"),
            json!({ "id": worker["id"] }),
        )
        .await;
    assert_eq!(read["worker"], worker);
    let unknown = hub
        .client
        .data(
            "query($id: ID!) { worker(id: $id) { id } }",
            json!({ "id": UNKNOWN_ID }),
        )
        .await;
    assert_eq!(unknown["worker"], Value::Null);

    let other = create_worker(&hub.client, &township, json!({ "name": "张伟" })).await;
    let entities = hub
        .client
        .data(
            "query($r: [_Any!]!) { _entities(representations: $r) { ... on Worker { id name title } } }",
            json!({ "r": [
                { "__typename": "Worker", "id": worker["id"] },
                { "__typename": "Worker", "id": UNKNOWN_ID },
                { "__typename": "Worker", "id": other["id"] },
            ] }),
        )
        .await;
    assert_eq!(
        entities["_entities"],
        json!([
            { "id": worker["id"], "name": "李秀英", "title": "ASSOCIATE_SENIOR" },
            null,
            { "id": other["id"], "name": "张伟", "title": "INTERMEDIATE" },
        ])
    );
}

#[tokio::test]
async fn worker_lists_filter_by_unit_subtree_title_gender_flags_discipline_and_name() {
    let hub = start().await;
    let district = hub.unit_id(&hub.tree.district_a);
    let township = hub.unit_id(&hub.tree.township_a);
    let other_district = hub.unit_id(&hub.tree.district_b);
    let a = create_worker(
        &hub.client,
        &district,
        json!({ "name": "赵国强", "title": "SENIOR", "discipline": "机械工程" }),
    )
    .await;
    let b = create_worker(
        &hub.client,
        &township,
        json!({ "name": "钱秀兰", "gender": "FEMALE", "title": null, "isRuralExpert": true, "discipline": "食用菌栽培" }),
    )
    .await;
    let c = create_worker(
        &hub.client,
        &township,
        json!({ "name": "孙浩", "title": "JUNIOR", "isYoungTalent": true, "isVolunteer": true, "discipline": "农学" }),
    )
    .await;
    let d = create_worker(
        &hub.client,
        &other_district,
        json!({ "name": "李院士", "title": "SENIOR", "isAcademician": true, "discipline": "作物遗传育种" }),
    )
    .await;

    let list = |filter: Value| {
        let client = hub.client.clone();
        async move { ids(&client.data(LIST, json!({ "filter": filter })).await["workers"]) }
    };
    assert_eq!(list(json!({})).await, ids_of(&[&d, &c, &b, &a]));
    assert_eq!(list(json!({ "unitId": district })).await, ids_of(&[&a]));
    assert_eq!(
        list(json!({ "unitId": district, "includeSubtree": true })).await,
        ids_of(&[&c, &b, &a])
    );
    assert_eq!(
        list(json!({ "titles": ["SENIOR"] })).await,
        ids_of(&[&d, &a])
    );
    assert_eq!(
        list(json!({ "titles": ["JUNIOR", "INTERMEDIATE"] })).await,
        ids_of(&[&c])
    );
    assert_eq!(list(json!({ "gender": "FEMALE" })).await, ids_of(&[&b]));
    assert_eq!(list(json!({ "isRuralExpert": true })).await, ids_of(&[&b]));
    assert_eq!(list(json!({ "isVolunteer": true })).await, ids_of(&[&c]));
    assert_eq!(list(json!({ "isYoungTalent": true })).await, ids_of(&[&c]));
    assert_eq!(list(json!({ "isAcademician": true })).await, ids_of(&[&d]));
    assert_eq!(
        list(json!({ "isAcademician": false })).await,
        ids_of(&[&c, &b, &a])
    );
    assert_eq!(list(json!({ "discipline": "农" })).await, ids_of(&[&c]));
    assert_eq!(list(json!({ "discipline": "栽培" })).await, ids_of(&[&b]));
    assert_eq!(list(json!({ "search": "秀" })).await, ids_of(&[&b]));
    assert_eq!(list(json!({ "search": "%" })).await, Vec::<String>::new());
    assert_eq!(
        list(json!({ "unitId": district, "includeSubtree": true, "isRuralExpert": false, "search": "孙" })).await,
        ids_of(&[&c])
    );

    let first = hub.client.data(LIST, json!({ "first": 3 })).await;
    assert_eq!(ids(&first["workers"]), ids_of(&[&d, &c, &b]));
    assert_eq!(first["workers"]["pageInfo"]["hasNextPage"], true);
    let rest = hub
        .client
        .data(
            LIST,
            json!({ "first": 3, "after": first["workers"]["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(ids(&rest["workers"]), ids_of(&[&a]));
    assert_eq!(rest["workers"]["pageInfo"]["hasNextPage"], false);
    assert_eq!(rest["workers"]["pageInfo"]["hasPreviousPage"], true);
}

fn ids_of(workers: &[&Value]) -> Vec<String> {
    workers
        .iter()
        .map(|worker| worker["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn an_update_changes_only_the_given_fields_and_a_stale_version_is_a_conflict() {
    let hub = start().await;
    let township = hub.unit_id(&hub.tree.township_a);
    let worker = create_worker(&hub.client, &township, json!({ "phone": "0816-2345678" })).await;
    let editor = hub.client.acting_as("district-a-staff");
    let updated = editor
        .data(
            &update_mutation(),
            json!({ "id": worker["id"], "version": 1, "input": {
                "title": "ASSOCIATE_SENIOR", "phone": null, "email": "wjg@mykx.cn",
                "isVolunteer": true, "homeUnitId": hub.unit_id(&hub.tree.enterprise_a)
            } }),
        )
        .await["updateWorker"]
        .clone();
    assert_eq!(updated["title"], "ASSOCIATE_SENIOR");
    assert_eq!(updated["phone"], Value::Null);
    assert_eq!(updated["email"], "wjg@mykx.cn");
    assert_eq!(updated["isVolunteer"], true);
    assert_eq!(
        updated["homeUnit"]["id"],
        hub.unit_id(&hub.tree.enterprise_a).as_str()
    );
    assert_eq!(updated["name"], worker["name"]);
    assert_eq!(updated["discipline"], worker["discipline"]);
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["updatedBy"], "district-a-staff");
    assert_eq!(updated["createdBy"], "test-staff");

    let before = hub.footprint().await;
    let stale = hub
        .client
        .error_code(
            &update_mutation(),
            json!({ "id": worker["id"], "version": 1, "input": { "name": "王建军" } }),
        )
        .await;
    assert_eq!(stale, "CONFLICT");
    assert_eq!(hub.footprint().await, before);
}

#[tokio::test]
async fn an_archived_worker_leaves_the_lists_but_still_resolves_by_id() {
    let hub = start().await;
    let township = hub.unit_id(&hub.tree.township_a);
    let kept = create_worker(&hub.client, &township, json!({ "name": "周明" })).await;
    let gone = create_worker(&hub.client, &township, json!({ "name": "吴刚" })).await;
    let archived = hub
        .client
        .data(
            "mutation($id: ID!) { archiveWorker(id: $id, expectedVersion: 1) { id version archivedAt } }",
            json!({ "id": gone["id"] }),
        )
        .await["archiveWorker"]
        .clone();
    assert_eq!(archived["version"], 2);
    assert!(archived["archivedAt"].is_string());

    let list = hub.client.data(LIST, json!({})).await;
    assert_eq!(names(&list["workers"], "name"), ["周明"]);
    let with_archived = hub
        .client
        .data(LIST, json!({ "filter": { "includeArchived": true } }))
        .await;
    assert_eq!(names(&with_archived["workers"], "name"), ["吴刚", "周明"]);
    let by_id = hub
        .client
        .data(
            "query($id: ID!) { worker(id: $id) { name archivedAt } }",
            json!({ "id": gone["id"] }),
        )
        .await;
    assert_eq!(by_id["worker"]["name"], "吴刚");

    let again = hub
        .client
        .error_code(
            "mutation($id: ID!) { archiveWorker(id: $id, expectedVersion: 2) { id } }",
            json!({ "id": gone["id"] }),
        )
        .await;
    assert_eq!(again, "NOT_FOUND");
    assert_eq!(kept["version"], 1);
}

#[tokio::test]
async fn invalid_workers_are_refused_with_a_code_and_nothing_is_written() {
    let hub = start().await;
    let township = hub.unit_id(&hub.tree.township_a);
    let merged = hub.unit_id(&hub.tree.township_b);
    let existing = create_worker(&hub.client, &township, json!({})).await;
    hub.merge(&hub.tree.township_b, &hub.tree.township_a).await;
    let before = hub.footprint().await;

    let create = format!(
        "mutation($input: CreateWorkerInput!) {{ createWorker(input: $input) {{ {WORKER_FIELDS} }} }}"
    );
    let base = json!({ "name": "王建国", "gender": "MALE", "homeUnitId": township });
    let with = |changes: Value| {
        let mut input = base.clone();
        for (key, value) in changes.as_object().unwrap() {
            input[key] = value.clone();
        }
        json!({ "input": input })
    };
    let cases = [
        (with(json!({ "name": "  " })), "VALIDATION"),
        (with(json!({ "name": "字".repeat(51) })), "VALIDATION"),
        (with(json!({ "homeUnitId": "not-an-id" })), "VALIDATION"),
        (with(json!({ "homeUnitId": UNKNOWN_ID })), "NOT_FOUND"),
        (with(json!({ "homeUnitId": merged })), "VALIDATION"),
        (with(json!({ "phone": "12345" })), "VALIDATION"),
        (with(json!({ "email": "wang@" })), "VALIDATION"),
        (with(json!({ "birthYear": 1850 })), "VALIDATION"),
        (with(json!({ "birthYear": 2025 })), "VALIDATION"),
        (with(json!({ "discipline": "学".repeat(51) })), "VALIDATION"),
        (with(json!({ "employer": "厂".repeat(101) })), "VALIDATION"),
        (with(json!({ "idempotencyKey": "   " })), "VALIDATION"),
    ];
    for (variables, code) in cases {
        let got = hub.client.error_code(&create, variables.clone()).await;
        assert_eq!(got, code, "{variables}");
    }

    let updates = [
        (
            json!({ "id": "nope", "version": 1, "input": {} }),
            "VALIDATION",
        ),
        (
            json!({ "id": UNKNOWN_ID, "version": 1, "input": {} }),
            "NOT_FOUND",
        ),
        (
            json!({ "id": existing["id"], "version": 1, "input": { "name": "" } }),
            "VALIDATION",
        ),
        (
            json!({ "id": existing["id"], "version": 1, "input": { "homeUnitId": merged } }),
            "VALIDATION",
        ),
        (
            json!({ "id": existing["id"], "version": 1, "input": { "homeUnitId": UNKNOWN_ID } }),
            "NOT_FOUND",
        ),
        (
            json!({ "id": existing["id"], "version": 1, "input": { "email": "not mail" } }),
            "VALIDATION",
        ),
        (
            json!({ "id": existing["id"], "version": 7, "input": { "name": "王建" } }),
            "CONFLICT",
        ),
    ];
    for (variables, code) in updates {
        let got = hub
            .client
            .error_code(&update_mutation(), variables.clone())
            .await;
        assert_eq!(got, code, "{variables}");
    }

    let lists = [
        json!({ "first": -1 }),
        json!({ "first": 101 }),
        json!({ "after": "somewhere" }),
        json!({ "filter": { "unitId": "x" } }),
        json!({ "filter": { "search": "名".repeat(101) } }),
    ];
    for variables in lists {
        let got = hub.client.error_code(LIST, variables.clone()).await;
        assert_eq!(got, "VALIDATION", "{variables}");
    }
    assert_eq!(hub.footprint().await, before);
}

#[tokio::test]
async fn a_retried_create_with_the_same_idempotency_key_returns_the_first_worker() {
    let hub = start().await;
    let township = hub.unit_id(&hub.tree.township_a);
    let first = create_worker(
        &hub.client,
        &township,
        json!({ "idempotencyKey": "import-42" }),
    )
    .await;
    let before = hub.footprint().await;
    let retried = create_worker(
        &hub.client,
        &township,
        json!({ "idempotencyKey": "import-42" }),
    )
    .await;
    assert_eq!(retried["id"], first["id"]);
    assert_eq!(retried["name"], first["name"]);
    assert_eq!(hub.footprint().await, before);
    assert_eq!(hub.count("idempotency_key").await, 1);

    // Keys belong to the caller: another partner's identical key is another request.
    let other = create_worker(
        &hub.client.acting_as("agriculture-bureau"),
        &township,
        json!({ "idempotencyKey": "import-42" }),
    )
    .await;
    assert_ne!(other["id"], first["id"]);
    assert_eq!(hub.count("worker").await, 2);
}

#[tokio::test]
async fn an_idempotency_key_reused_for_a_different_worker_is_refused_and_writes_nothing() {
    let hub = start().await;
    let township = hub.unit_id(&hub.tree.township_a);
    let first = create_worker(
        &hub.client,
        &township,
        json!({ "idempotencyKey": "import-42" }),
    )
    .await;
    let before = hub.footprint().await;
    let create = format!(
        "mutation($input: CreateWorkerInput!) {{ createWorker(input: $input) {{ {WORKER_FIELDS} }} }}"
    );
    for changes in [
        json!({ "name": "另一个名字" }),
        json!({ "isVolunteer": true }),
        json!({ "homeUnitId": hub.unit_id(&hub.tree.township_b) }),
    ] {
        let mut input = json!({
            "name": "王建国", "gender": "MALE", "birthYear": 1978, "discipline": "农学",
            "title": "INTERMEDIATE", "employer": "清江镇农业综合服务站", "homeUnitId": township,
            "idempotencyKey": "import-42",
        });
        for (key, value) in changes.as_object().unwrap() {
            input[key] = value.clone();
        }
        let code = hub
            .client
            .error_code(&create, json!({ "input": input }))
            .await;
        assert_eq!(code, "IDEMPOTENCY_KEY_REUSED", "{changes}");
    }
    assert_eq!(hub.footprint().await, before);
    let read = hub
        .client
        .data(
            "query($id: ID!) { worker(id: $id) { name isVolunteer } }",
            json!({ "id": first["id"] }),
        )
        .await;
    assert_eq!(
        read["worker"],
        json!({ "name": "王建国", "isVolunteer": false })
    );
}

#[tokio::test]
async fn concurrent_creates_with_the_same_idempotency_key_make_one_worker() {
    let hub = start().await;
    let township = hub.unit_id(&hub.tree.township_a);
    let created = futures::future::join_all((0..8).map(|_| {
        create_worker(
            &hub.client,
            &township,
            json!({ "idempotencyKey": "burst-1" }),
        )
    }))
    .await;
    assert!(
        created
            .iter()
            .all(|worker| worker["id"] == created[0]["id"]),
        "{created:#?}"
    );
    assert_eq!(hub.count("worker").await, 1);
    assert_eq!(hub.count("idempotency_key").await, 1);
}

#[tokio::test]
async fn a_nul_character_in_a_worker_a_search_or_a_key_is_refused_as_validation_and_writes_nothing()
{
    let hub = start().await;
    let township = hub.unit_id(&hub.tree.township_a);
    create_worker(&hub.client, &township, json!({ "name": "李秀英" })).await;
    let before = hub.footprint().await;
    let listed_before = hub
        .client
        .data(LIST, json!({ "filter": { "includeArchived": true } }))
        .await;
    let create = format!(
        "mutation($input: CreateWorkerInput!) {{ createWorker(input: $input) {{ {WORKER_FIELDS} }} }}"
    );
    let input = |changes: Value| {
        let mut input = json!({ "name": "王建国", "gender": "MALE", "homeUnitId": township });
        for (key, value) in changes.as_object().unwrap() {
            input[key] = value.clone();
        }
        json!({ "input": input })
    };
    let cases = [
        (
            create.as_str(),
            input(json!({ "name": "王\u{0}建国" })),
            "input.name",
        ),
        (
            create.as_str(),
            input(json!({ "employer": "清江镇\u{0}" })),
            "input.employer",
        ),
        (
            create.as_str(),
            input(json!({ "idempotencyKey": "import\u{0}42" })),
            "input.idempotencyKey",
        ),
        (
            LIST,
            json!({ "filter": { "search": "\u{0}" } }),
            "filter.search",
        ),
        (
            LIST,
            json!({ "filter": { "discipline": "农\u{0}" } }),
            "filter.discipline",
        ),
        (
            "{ workers(filter: { search: \"李\\u0000\" }) { edges { node { id } } } }",
            json!({}),
            "filter.search",
        ),
    ];
    for (document, variables, field) in cases {
        let body = hub.client.post(document, variables.clone()).await;
        let error = &body["errors"][0];
        assert_eq!(error["extensions"]["code"], "VALIDATION", "{body:#}");
        assert_eq!(error["extensions"]["field"], field, "{body:#}");
    }
    assert_eq!(hub.footprint().await, before);
    assert_eq!(
        hub.client
            .data(LIST, json!({ "filter": { "includeArchived": true } }))
            .await,
        listed_before
    );
}
