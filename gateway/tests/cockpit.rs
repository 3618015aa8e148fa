//! The pages the gateway serves besides `/graphql` — the cockpit and GraphiQL — with every
//! file from the binary (compressed when accepted, revalidated by `ETag`, no other host
//! named); the cockpit's boundary files, a demo run's sign-ins, and the XLSX export, which
//! refuses what it cannot write with a clear status and code. The pages themselves are
//! tested in a browser by the hub's `tests/cockpit.rs`.

mod common;

use common::{gateway_with, get_bytes, get_raw, json_subgraph, send};
use kexie_gateway::cockpit::{CockpitConfig, DemoSignIn};
use kexie_gateway::GatewayHandle;
use serde_json::{json, Value};

/// The HS256 secret of the staff tokens these gateways accept.
const STAFF_SECRET: &str = "the cockpit tests' staff secret";

async fn start(cockpit: CockpitConfig) -> GatewayHandle {
    let (url, _) = json_subgraph(|_| json!({"data": {"unit": null}})).await;
    gateway_with("hub.graphql", &[("organizations", &url)], move |config| {
        config.with_hs256_secret(STAFF_SECRET).with_cockpit(cockpit)
    })
    .await
}

/// `Bearer` and a leadership token the gateways accept.
fn bearer() -> String {
    let token = kexie_contract::principal::staff_token(
        STAFF_SECRET.as_bytes(),
        "kexie",
        "cockpit-tests",
        uuid::Uuid::now_v7(),
        kexie_contract::principal::Role::Leadership,
        std::time::Duration::from_secs(600),
    )
    .unwrap();
    format!("Bearer {token}")
}

async fn post_export(
    gateway: &GatewayHandle,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    send(
        gateway,
        reqwest::Method::POST,
        "/cockpit/export",
        &[("content-type", content_type), ("authorization", &bearer())],
        body,
    )
    .await
}

fn export(rows: usize) -> Value {
    json!({
        "title": "科协领导驾驶舱 · 市科协",
        "filters": [["期间", "2025年"]],
        "sheets": [
            {"name": "核心指标", "columns": ["指标", "本期"], "rows": (0..rows).map(|i| json!([format!("指标{i}"), i])).collect::<Vec<_>>()},
            {"name": "工作台账", "columns": ["指标", "目标", "完成"], "rows": [["调研课题", 12, null]]}
        ]
    })
}

/// Every file the page at `path` loads is served by the gateway, compressed when accepted
/// and revalidated by its `ETag`; the page names no other host. Returns how many files.
async fn served_whole(gateway: &GatewayHandle, path: &str, accept: &str, prefix: &str) -> usize {
    let (status, headers, page) = get_raw(gateway, path, &[("accept", accept)]).await;
    assert_eq!(status, 200, "{path}");
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let policy = headers["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("default-src 'self'"), "{policy}");
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "{path} names another host"
    );

    let assets: Vec<&str> = page
        .split(['"', '\''])
        .filter(|part| part.starts_with(prefix))
        .collect();
    for asset in &assets {
        let (status, plain, body) = get_bytes(gateway, asset, &[]).await;
        assert_eq!(status, 200, "{asset}");
        assert!(plain.get("content-encoding").is_none());
        for encoding in ["gzip", "br"] {
            let (status, headers, compressed) =
                get_bytes(gateway, asset, &[("accept-encoding", encoding)]).await;
            assert_eq!(status, 200);
            assert_eq!(headers["content-encoding"], encoding, "{asset}");
            // (A file of a few dozen bytes is not.)
            assert!(
                compressed.len() < body.len() || body.len() < 1024,
                "{asset} is smaller {encoding}-compressed"
            );
        }
        let tag = plain["etag"].to_str().unwrap();
        let (status, _, body) = get_bytes(gateway, asset, &[("if-none-match", tag)]).await;
        assert_eq!((status, body.len()), (304, 0), "{asset} revalidated");
    }
    let (status, _, _) = get_raw(gateway, &format!("{prefix}secret.txt"), &[]).await;
    assert_eq!(status, 404);
    assets.len()
}

#[tokio::test]
async fn the_pages_and_every_file_they_load_come_from_the_gateway() {
    let gateway = start(CockpitConfig::default()).await;
    let (_, _, page) = get_raw(&gateway, "/cockpit", &[]).await;
    assert!(page.contains("科协领导驾驶舱"));
    assert_eq!(
        served_whole(&gateway, "/cockpit", "text/html", "/cockpit/assets/").await,
        3
    );
    // GraphiQL: production builds of GraphiQL and React, and its start script and styles.
    assert_eq!(
        served_whole(&gateway, "/graphql", "text/html", "/graphiql/assets/").await,
        6
    );
    gateway.stop().await;
}

#[tokio::test]
async fn boundary_files_come_from_the_configured_directory_then_from_the_binary() {
    let dir = std::env::temp_dir().join(format!("kexie-maps-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("510703.json"),
        r#"{"type":"FeatureCollection","features":[]}"#,
    )
    .unwrap();
    std::fs::write(dir.join("secret.txt"), "not a map").unwrap();
    let gateway = start(CockpitConfig {
        maps_dir: Some(dir.clone()),
        demo_sign_ins: Vec::new(),
    })
    .await;

    let (status, _, body) = get_raw(&gateway, "/cockpit/maps/510700.json", &[]).await;
    assert_eq!(status, 200);
    let city: Value = serde_json::from_str(&body).unwrap();
    let codes: Vec<&str> = city["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|feature| feature["properties"]["adcode"].as_str().unwrap())
        .collect();
    assert_eq!(codes.len(), 9);
    assert!(codes.contains(&"510781"), "江油市 is on the map");

    let (status, _, body) = get_raw(&gateway, "/cockpit/maps/510703.json", &[]).await;
    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"type":"FeatureCollection","features":[]}"#)
    );
    for path in [
        "/cockpit/maps/510704.json",
        "/cockpit/maps/secret.txt",
        "/cockpit/maps/secret.json",
        "/cockpit/maps/..%2Fsecret.txt",
        "/cockpit/maps/510700",
    ] {
        let (status, _, _) = get_raw(&gateway, path, &[]).await;
        assert_eq!(status, 404, "{path}");
    }
    gateway.stop().await;
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn sign_ins_are_offered_only_when_configured() {
    let plain = start(CockpitConfig::default()).await;
    let (_, _, body) = get_raw(&plain, "/cockpit/sign-ins", &[]).await;
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"demo": []})
    );
    plain.stop().await;

    let demo = start(CockpitConfig {
        maps_dir: None,
        demo_sign_ins: vec![DemoSignIn {
            label: "市科协领导".into(),
            unit_name: "市科协".into(),
            token: "a.b.c".into(),
        }],
    })
    .await;
    let (_, headers, body) = get_raw(&demo, "/cockpit/sign-ins", &[]).await;
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"demo": [{"label": "市科协领导", "unitName": "市科协", "token": "a.b.c"}]})
    );
    demo.stop().await;
}

#[tokio::test]
async fn the_export_is_a_workbook_and_bad_exports_are_refused_with_a_code() {
    let gateway = start(CockpitConfig::default()).await;
    let (status, headers, body) = post_export(
        &gateway,
        "application/json",
        export(3).to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(
        headers["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    assert_eq!(&body[..2], b"PK", "an XLSX file is a zip archive");

    let refused = |body: &[u8]| -> String {
        serde_json::from_slice::<Value>(body).unwrap()["error"]["code"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // Signed-in staff only.
    let (status, _, body) = send(
        &gateway,
        reqwest::Method::POST,
        "/cockpit/export",
        &[("content-type", "application/json")],
        export(3).to_string().into_bytes(),
    )
    .await;
    assert_eq!((status, refused(&body).as_str()), (401, "UNAUTHENTICATED"));
    let (status, _, body) =
        post_export(&gateway, "text/plain", export(3).to_string().into_bytes()).await;
    assert_eq!(
        (status, refused(&body).as_str()),
        (415, "UNSUPPORTED_MEDIA_TYPE")
    );
    for bad in [
        b"{not json".to_vec(),
        json!({"title": "x", "sheets": []}).to_string().into_bytes(),
        json!({"title": "x", "sheets": [{"name": "a", "columns": ["one"], "rows": [[1, 2]]}]})
            .to_string()
            .into_bytes(),
        json!({"title": "x", "sheets": [{"name": "a", "columns": [], "rows": [], "extra": 1}]})
            .to_string()
            .into_bytes(),
        json!({"title": "x", "sheets": [{"name": "a", "columns": ["one"], "rows": [[{"formula": "=1"}]]}]})
            .to_string()
            .into_bytes(),
        export(10_001).to_string().into_bytes(),
    ] {
        let (status, _, body) = post_export(&gateway, "application/json", bad).await;
        assert_eq!((status, refused(&body).as_str()), (400, "BAD_EXPORT"));
    }
    let huge = json!({"title": "x".repeat(3 * 1024 * 1024), "sheets": []})
        .to_string()
        .into_bytes();
    let (status, _, body) = post_export(&gateway, "application/json", huge).await;
    assert_eq!(
        (status, refused(&body).as_str()),
        (413, "PAYLOAD_TOO_LARGE")
    );
    gateway.stop().await;
}
