//! GraphQL over HTTP: status codes, media types, bad input of every kind, and the
//! operational endpoints.

mod common;

use common::{gateway, gateway_with, get_raw, json_subgraph, post_raw};
use serde_json::{json, Value};

const JSON: &str = "application/json; charset=utf-8";
const GRAPHQL_JSON: &str = "application/graphql-response+json; charset=utf-8";

async fn organizations_stub() -> String {
    let (url, _) = json_subgraph(|_| json!({"data": {"unit": {"name": "市科协"}}})).await;
    url
}

/// Posts a chunked body over a raw connection; returns the status code.
async fn chunked_post_status(port: u16, chunks: &[&str]) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let mut request = String::from(
        "POST /graphql HTTP/1.1\r\nhost: gateway\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n",
    );
    for chunk in chunks {
        request.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
    }
    request.push_str("0\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    let response = String::from_utf8_lossy(&response);
    response.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn body(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

#[tokio::test]
async fn a_query_over_post_or_get_is_answered_with_the_media_type_asked_for() {
    let url = organizations_stub().await;
    let gateway = gateway("hub.graphql", &[("organizations", &url)]).await;
    let request = r#"{"query":"{ unit(id: \"1\") { name } }"}"#;
    let expected = json!({"data": {"unit": {"name": "市科协"}}});

    let (status, content_type, text) =
        post_raw(&gateway, request, &[("content-type", "application/json")]).await;
    assert_eq!(
        (status, content_type.as_str(), body(&text)),
        (200, JSON, expected.clone())
    );

    let (status, content_type, text) = post_raw(
        &gateway,
        request,
        &[
            ("content-type", "application/json; charset=utf-8"),
            (
                "accept",
                "application/graphql-response+json, application/json",
            ),
        ],
    )
    .await;
    assert_eq!(
        (status, content_type.as_str(), body(&text)),
        (200, GRAPHQL_JSON, expected.clone())
    );

    let (status, headers, text) = get_raw(
        &gateway,
        "/graphql?query=%7B%20unit(id%3A%20%221%22)%20%7B%20name%20%7D%20%7D",
        &[("accept", "application/json"), ("kexie-preflight", "1")],
    )
    .await;
    assert_eq!((status, body(&text)), (200, expected));
    assert_eq!(headers["content-type"], JSON);
    gateway.stop().await;
}

#[tokio::test]
async fn response_fields_keep_the_order_of_the_query() {
    let url = organizations_stub().await;
    let gateway = gateway("hub.graphql", &[("organizations", &url)]).await;
    let (status, _, text) = post_raw(
        &gateway,
        r#"{"query":"{ z: __typename unit(id: \"1\") { name } a: __typename }"}"#,
        &[("content-type", "application/json")],
    )
    .await;
    assert_eq!(
        (status, text.as_str()),
        (
            200,
            r#"{"data":{"z":"Query","unit":{"name":"市科协"},"a":"Query"}}"#
        )
    );
    gateway.stop().await;
}

#[tokio::test]
async fn requests_that_are_not_well_formed_get_400_whatever_the_media_type() {
    let gateway = gateway("hub.graphql", &[]).await;
    for (request, message) in [
        (
            "{",
            "The body is not valid JSON: EOF while parsing an object at line 1 column 1",
        ),
        (r#"{"query": 7}"#, "The query parameter must be a string."),
        (
            r#"{"variables": {}}"#,
            "The request has no query parameter.",
        ),
        (
            r#"[{"query": "{ a }"}]"#,
            "The body must be a JSON object with a query.",
        ),
        (
            r#"{"query": "{ a }", "variables": "x"}"#,
            "The variables parameter must be an object.",
        ),
        (
            r#"{"query": "{ a }", "operationName": true}"#,
            "The operationName parameter must be a string.",
        ),
    ] {
        for accept in ["application/json", "application/graphql-response+json"] {
            let (status, _, text) = post_raw(
                &gateway,
                request,
                &[("content-type", "application/json"), ("accept", accept)],
            )
            .await;
            assert_eq!(
                (status, body(&text)),
                (
                    400,
                    json!({"errors": [{"message": message, "extensions": {"code": "BAD_REQUEST"}}]})
                ),
                "{request} accepting {accept}"
            );
        }
    }
    gateway.stop().await;
}

#[tokio::test]
async fn graphql_request_errors_are_200_as_json_and_400_as_graphql_response_json() {
    let gateway = gateway("hub.graphql", &[]).await;
    let cases = [
        (
            json!({"query": "{ unit(id: \"1\") { name }"}),
            json!({"errors": [{
                "message": "Syntax error: Parse error at 1:25 Unexpected end of input Expected }",
                "locations": [{"line": 1, "column": 25}],
                "extensions": {"code": "GRAPHQL_PARSE_FAILED"}
            }]}),
        ),
        (
            json!({"query": "{ unit(id: \"1\") { nickname } }"}),
            json!({"errors": [{
                "message": "Cannot query field \"nickname\" on type \"Unit\".",
                "locations": [{"line": 1, "column": 19}],
                "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}
            }]}),
        ),
        (
            json!({"query": "query A { units { id } } query B { units { name } }", "operationName": "C"}),
            json!({"errors": [{
                "message": "Unknown operation named \"C\".",
                "extensions": {"code": "OPERATION_RESOLUTION_FAILURE"}
            }]}),
        ),
        (
            json!({"query": "query A { units { id } } query B { units { name } }"}),
            json!({"errors": [{
                "message": "Must provide operation name if query contains multiple operations.",
                "extensions": {"code": "OPERATION_RESOLUTION_FAILURE"}
            }]}),
        ),
        (
            json!({"query": "query($id: ID!) { unit(id: $id) { name } }", "variables": {"id": {"a": 1}}}),
            json!({"errors": [{
                "message": "Variable \"$id\" got invalid value {\"a\":1}; Expected type \"ID\".",
                "locations": [{"line": 1, "column": 7}],
                "extensions": {"code": "BAD_USER_INPUT"}
            }]}),
        ),
        (
            json!({"query": "query($kind: UnitKind) { units(kind: $kind) { name } }", "variables": {"kind": "SECRET"}}),
            json!({"errors": [{
                "message": "Variable \"$kind\" got invalid value \"SECRET\"; Value \"SECRET\" does not exist in \"UnitKind\" enum.",
                "locations": [{"line": 1, "column": 7}],
                "extensions": {"code": "BAD_USER_INPUT"}
            }]}),
        ),
    ];
    for (request, expected) in cases {
        for (accept, status) in [
            ("application/json", 200),
            ("application/graphql-response+json", 400),
        ] {
            let (got_status, _, text) = post_raw(
                &gateway,
                request.to_string(),
                &[("content-type", "application/json"), ("accept", accept)],
            )
            .await;
            assert_eq!(
                (got_status, body(&text)),
                (status, expected.clone()),
                "{request} accepting {accept}"
            );
        }
    }
    gateway.stop().await;
}

#[tokio::test]
async fn operations_that_expand_beyond_the_limits_are_refused() {
    let gateway = gateway("hub.graphql", &[]).await;
    // Each fragment spreads the next twice: 2^30 fields once expanded, from a tiny document.
    let mut query = String::from("{ ...F0 }");
    for level in 0..30 {
        query.push_str(&format!(
            " fragment F{level} on Query {{ a: __typename ...F{next} b: __typename ...F{next} }}",
            next = level + 1
        ));
    }
    query.push_str(" fragment F30 on Query { __typename }");
    let (status, _, text) = post_raw(
        &gateway,
        json!({"query": query}).to_string(),
        &[("content-type", "application/json")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body(&text)["errors"][0]["extensions"]["code"],
        "OPERATION_TOO_COMPLEX"
    );
    gateway.stop().await;
}

#[tokio::test]
async fn inaccessible_fields_cannot_be_queried() {
    let gateway = gateway("hub.graphql", &[]).await;
    let (status, _, text) = post_raw(
        &gateway,
        r#"{"query":"{ unit(id: \"1\") { internalNote } }"}"#,
        &[("content-type", "application/json")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body(&text)["errors"][0]["message"],
        "Cannot query field \"internalNote\" on type \"Unit\"."
    );
    gateway.stop().await;
}

#[tokio::test]
async fn the_http_envelope_is_checked_before_anything_else() {
    let gateway = gateway_with("hub.graphql", &[], |mut config| {
        config.max_body_bytes = 64;
        config
    })
    .await;
    let query = r#"{"query":"{ units { id } }"}"#;

    // A type a browser form can send is refused as cross-site request forgery;
    // other types are unsupported.
    let (status, _, text) = post_raw(&gateway, query, &[("content-type", "text/plain")]).await;
    assert_eq!(status, 400);
    assert_eq!(
        body(&text)["errors"][0]["extensions"]["code"],
        "CSRF_REFUSED"
    );
    let (status, _, text) = post_raw(&gateway, query, &[("content-type", "application/xml")]).await;
    assert_eq!(status, 415);
    assert_eq!(
        body(&text)["errors"][0]["extensions"]["code"],
        "UNSUPPORTED_MEDIA_TYPE"
    );

    let (status, _, text) = post_raw(
        &gateway,
        query,
        &[("content-type", "application/json"), ("accept", "text/csv")],
    )
    .await;
    assert_eq!(status, 406);
    assert_eq!(
        body(&text)["errors"][0]["extensions"]["code"],
        "NOT_ACCEPTABLE"
    );

    let oversized = format!(
        r#"{{"query":"{{ units {{ id }} }}", "extensions": {{"pad": "{}"}}}}"#,
        "x".repeat(100)
    );
    let (status, _, text) =
        post_raw(&gateway, oversized, &[("content-type", "application/json")]).await;
    assert_eq!(
        (status, body(&text)),
        (
            413,
            json!({"errors": [{"message": "The request body is larger than 64 bytes.", "extensions": {"code": "PAYLOAD_TOO_LARGE"}}]})
        )
    );

    // Without a Content-Length (a chunked body) the limit holds all the same.
    let status =
        chunked_post_status(gateway.port, &["{\"query\":\"", &"x".repeat(200), "\"}"]).await;
    assert_eq!(status, 413);
    gateway.stop().await;
}

#[tokio::test]
async fn mutations_over_get_are_refused_and_browsers_get_graphiql() {
    let gateway = gateway("hub.graphql", &[]).await;
    let (status, headers, text) = get_raw(
        &gateway,
        "/graphql?query=mutation%20%7B%20renameUnit(id%3A%20%221%22%2C%20name%3A%20%22x%22)%20%7B%20id%20%7D%20%7D",
        &[("kexie-preflight", "1")],
    )
    .await;
    assert_eq!(status, 405);
    assert_eq!(headers["allow"], "POST");
    assert_eq!(
        body(&text)["errors"][0]["extensions"]["code"],
        "METHOD_NOT_ALLOWED"
    );

    let (status, headers, text) =
        get_raw(&gateway, "/graphql", &[("accept", "text/html,*/*;q=0.8")]).await;
    assert_eq!(status, 200);
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(text.contains("graphiql"), "{text}");

    let (status, _, text) = get_raw(
        &gateway,
        "/graphql?variables=%7B%7D",
        &[("kexie-preflight", "1")],
    )
    .await;
    assert_eq!(
        (status, body(&text)),
        (
            400,
            json!({"errors": [{"message": "The request has no query parameter.", "extensions": {"code": "BAD_REQUEST"}}]})
        )
    );
    gateway.stop().await;
}

#[tokio::test]
async fn health_and_ready_are_public_and_metrics_are_served_on_their_own_listener() {
    let url = organizations_stub().await;
    let gateway = gateway("hub.graphql", &[("organizations", &url)]).await;
    let (status, _, text) = get_raw(&gateway, "/health", &[]).await;
    assert_eq!((status, text.as_str()), (200, "ok"));
    let (status, _, text) = get_raw(&gateway, "/ready", &[]).await;
    assert_eq!((status, text.as_str()), (200, "ready (3 subgraphs)"));

    let request = r#"{"query":"{ unit(id: \"1\") { name } }"}"#;
    for _ in 0..3 {
        post_raw(&gateway, request, &[("content-type", "application/json")]).await;
    }
    // Not on the public port: on a listener of its own.
    let (status, _, _) = get_raw(&gateway, "/metrics", &[]).await;
    assert_eq!(status, 404);
    let response = reqwest::get(gateway.metrics_url().unwrap()).await.unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    for line in [
        "gateway_graphql_requests_total 3",
        "gateway_plan_cache_misses_total 1",
        "gateway_plan_cache_hits_total 2",
        "gateway_subgraph_fetches_total{subgraph=\"organizations\"} 3",
        "gateway_subgraph_fetch_errors_total{subgraph=\"organizations\"} 0",
    ] {
        assert!(
            text.lines().any(|got| got == line),
            "missing {line} in\n{text}"
        );
    }
    assert!(text.contains("gateway_plan_cache_hit_ratio 0.66"), "{text}");
    gateway.stop().await;
}
