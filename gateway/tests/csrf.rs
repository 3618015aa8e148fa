//! CSRF prevention: what a page on another site could make a visitor's browser send
//! without a CORS preflight is refused before it runs; what only a preflighted request (or
//! a non-browser client) can send runs; GraphiQL is still served.

mod common;

use common::{gateway_with, get_raw, json_subgraph, post_raw, Received};
use kexie_gateway::{GatewayHandle, Secret};
use serde_json::{json, Value};

const BODY: &str = r#"{"query":"{ unit(id: \"1\") { name } }"}"#;
const GET_QUERY: &str = "/graphql?query=%7B%20unit(id%3A%20%221%22)%20%7B%20name%20%7D%20%7D";

async fn start() -> (GatewayHandle, Received) {
    let (url, received) = json_subgraph(|_| json!({"data": {"unit": {"name": "市科协"}}})).await;
    let gateway = gateway_with("hub.graphql", &[("organizations", &url)], |mut config| {
        config.auth.hs256_secret = Some(Secret("staff secret".to_string()));
        config
    })
    .await;
    (gateway, received)
}

fn code(text: &str) -> Value {
    serde_json::from_str::<Value>(text).unwrap()["errors"][0]["extensions"]["code"].clone()
}

#[tokio::test]
async fn posts_a_browser_form_could_send_are_refused() {
    let (gateway, received) = start().await;
    for content_type in [
        Some("text/plain"),
        Some("text/plain;charset=UTF-8"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let headers: Vec<(&str, &str)> = content_type
            .map(|value| ("content-type", value))
            .into_iter()
            .collect();
        let (status, _, text) = post_raw(&gateway, BODY, &headers).await;
        assert_eq!(
            (status, code(&text)),
            (400, json!("CSRF_REFUSED")),
            "{content_type:?}: {text}"
        );
    }
    assert_eq!(received.count(), 0);

    let (status, _, text) = post_raw(&gateway, BODY, &[("content-type", "application/json")]).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(received.count(), 1);
    gateway.stop().await;
}

#[tokio::test]
async fn gets_carrying_a_query_need_a_header_browsers_preflight() {
    let (gateway, received) = start().await;
    // A link or an <img> on another site: no such header, even asking for HTML.
    for headers in [
        vec![],
        vec![("accept", "text/html,application/xhtml+xml,*/*;q=0.8")],
        vec![("content-type", "text/plain")],
    ] {
        let (status, _, text) = get_raw(&gateway, GET_QUERY, &headers).await;
        assert_eq!(
            (status, code(&text)),
            (400, json!("CSRF_REFUSED")),
            "{headers:?}: {text}"
        );
        assert!(text.contains("kexie-preflight"), "{text}");
    }
    assert_eq!(received.count(), 0);

    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"sub": "li.na", "unit": uuid::Uuid::now_v7(), "role": "unit_staff", "aud": "kexie", "exp": 4_000_000_000u64}),
        &jsonwebtoken::EncodingKey::from_secret(b"staff secret"),
    )
    .unwrap();
    let bearer = format!("Bearer {token}");
    for header in [
        ("kexie-preflight", "1"),
        ("content-type", "application/json"),
        ("authorization", bearer.as_str()),
    ] {
        let (status, _, text) = get_raw(&gateway, GET_QUERY, &[header]).await;
        assert_eq!(status, 200, "{header:?}: {text}");
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            json!({"data": {"unit": {"name": "市科协"}}})
        );
    }
    assert_eq!(received.count(), 3);
    gateway.stop().await;
}

#[tokio::test]
async fn graphiql_is_still_served_to_browsers() {
    let (gateway, _) = start().await;
    let (status, headers, text) = get_raw(&gateway, "/graphql", &[("accept", "text/html")]).await;
    assert_eq!(status, 200);
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(text.contains("graphiql"), "{text}");
    gateway.stop().await;
}
