//! Client connections: a client that sends half a request, or a body that never arrives,
//! or a kept-alive connection left idle, is closed after its timeout; at most the
//! configured number of connections is open at once; and meanwhile the gateway keeps
//! answering everyone else.

mod common;

use std::time::Duration;

use common::{gateway_with, json_subgraph, post};
use kexie_gateway::GatewayHandle;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn organizations() -> String {
    json_subgraph(|_| json!({"data": {"unit": {"name": "市科协"}}}))
        .await
        .0
}

async fn strict_gateway(max_connections: usize) -> GatewayHandle {
    let organizations = organizations().await;
    gateway_with(
        "hub.graphql",
        &[("organizations", &organizations)],
        |mut config| {
            config.header_read_timeout = Duration::from_millis(300);
            config.body_read_timeout = Duration::from_millis(300);
            config.max_connections = max_connections;
            config
        },
    )
    .await
}

/// Everything the gateway sends on `stream` until it closes it (within a generous bound,
/// so that a gateway that never closes fails the test instead of hanging it).
async fn until_closed(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut received));
    match read.await {
        Ok(Ok(_)) => String::from_utf8_lossy(&received).into_owned(),
        // A reset also closes it.
        Ok(Err(_)) => String::from_utf8_lossy(&received).into_owned(),
        Err(_) => panic!("the gateway kept the connection open"),
    }
}

async fn connect(gateway: &GatewayHandle) -> TcpStream {
    TcpStream::connect(("127.0.0.1", gateway.port))
        .await
        .unwrap()
}

const UNIT: &str = r#"{ unit(id: "1") { name } }"#;

#[tokio::test]
async fn half_sent_requests_are_closed_and_the_gateway_keeps_answering() {
    // Every connection the gateway may have open is taken by a client that never finishes
    // its headers.
    let gateway = strict_gateway(4).await;
    let mut slow = Vec::new();
    for _ in 0..4 {
        let mut stream = connect(&gateway).await;
        stream
            .write_all(b"POST /graphql HTTP/1.1\r\nHost: gateway\r\nContent-Type: appl")
            .await
            .unwrap();
        slow.push(stream);
    }
    // A client arriving now waits its turn and is answered once the slow ones are closed.
    let answer = post(&gateway, UNIT, json!({})).await;
    assert_eq!(answer, json!({"data": {"unit": {"name": "市科协"}}}));
    for stream in &mut slow {
        let sent = until_closed(stream).await;
        assert!(
            !sent.starts_with("HTTP/1.1 200"),
            "a half-sent request was answered: {sent}"
        );
    }
    gateway.stop().await;
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_is_answered_408() {
    let gateway = strict_gateway(16).await;
    let mut stream = connect(&gateway).await;
    stream
        .write_all(
            b"POST /graphql HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"query\":",
        )
        .await
        .unwrap();
    let sent = until_closed(&mut stream).await;
    assert!(sent.starts_with("HTTP/1.1 408"), "{sent}");
    assert!(sent.contains("\"code\":\"REQUEST_TIMEOUT\""), "{sent}");
    // Others are served all along.
    assert_eq!(
        post(&gateway, UNIT, json!({})).await,
        json!({"data": {"unit": {"name": "市科协"}}})
    );
    gateway.stop().await;
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed() {
    let gateway = strict_gateway(16).await;
    let mut stream = connect(&gateway).await;
    let body = json!({ "query": UNIT }).to_string();
    let request = format!(
        "POST /graphql HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    // The answer comes, the connection stays open for a next request, and once that does
    // not come within the timeout it is closed.
    let sent = until_closed(&mut stream).await;
    assert!(sent.starts_with("HTTP/1.1 200"), "{sent}");
    assert!(sent.contains("市科协"), "{sent}");
    gateway.stop().await;
}
