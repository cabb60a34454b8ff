//! Slow and idle clients against the server loop's limits (`ConnectionLimits`), over raw TCP on
//! 127.0.0.1: a body that stalls is answered 408 and dropped, idle and half-sent connections are
//! dropped, the connection cap holds extra connections back, and none of them stops a device
//! from syncing a report.

mod common;

use std::time::{Duration, Instant};

use common::*;
use gridpatrol_platform::{Config, ConnectionLimits};
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

fn short_limits(max_connections: usize) -> Config {
    let mut config = config();
    config.connections = ConnectionLimits {
        header_read_timeout: Duration::from_secs(1),
        body_read_timeout: Duration::from_secs(1),
        idle_timeout: Duration::from_secs(2),
        max_connections,
    };
    config
}

async fn connect(served: &Served, send: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(served.addr).await.expect("connect");
    stream.write_all(send).await.expect("send");
    stream
}

/// Reads until the platform closes the connection: what it sent, or `None` if it still holds
/// the connection open at `deadline`.
async fn until_closed(mut stream: TcpStream, deadline: tokio::time::Instant) -> Option<String> {
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(String::from_utf8_lossy(&answer).into_owned()),
            Ok(Ok(n)) => answer.extend_from_slice(&buffer[..n]),
        }
    }
}

/// A device's whole sync of one report: enroll, upload its photo, PUT it.
async fn device_syncs_a_report(served: &Served, id: &str, seed: u8) -> Duration {
    let started = Instant::now();
    let device = enroll(served).await;
    let photo = photo_bytes(seed, 3_000);
    upload_photo(served, &device, &photo).await;
    let response = put_report(served, &device, &report(id, &photo)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    started.elapsed()
}

#[tokio::test]
async fn a_stalled_body_is_408_and_its_connection_dropped() {
    let served = start(short_limits(16)).await;
    let addr = served.addr;
    let started = Instant::now();
    let stalled = connect(
        &served,
        format!("POST /v1/enroll HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{{")
            .as_bytes(),
    )
    .await;
    let answer = until_closed(stalled, tokio::time::Instant::now() + Duration::from_secs(5))
        .await
        .expect("the stalled connection is closed");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"code\":\"body_timeout\""), "{answer}");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(4),
        "{took:?}"
    );
}

#[tokio::test]
async fn slow_and_idle_clients_do_not_stop_a_device_and_are_dropped() {
    const CAP: usize = 8;
    let served = start(short_limits(CAP)).await;
    let addr = served.addr;
    // Enrolled on a client of its own: the device's client must open a fresh connection later,
    // behind the slow ones.
    let grant: serde_json::Value = client()
        .post(served.url("/v1/enroll"))
        .json(&serde_json::json!({"enrollment_code": CODE}))
        .send()
        .await
        .expect("enroll")
        .json()
        .await
        .expect("grant");
    let token = grant["access_token"].as_str().expect("token").to_owned();
    let mut slow = Vec::new();
    // Kept-alive connections gone quiet after one answer.
    for _ in 0..2 {
        let mut idle = connect(
            &served,
            format!("GET /v1/health HTTP/1.1\r\nhost: {addr}\r\n\r\n").as_bytes(),
        )
        .await;
        let mut buffer = [0u8; 1024];
        let n = tokio::time::timeout(Duration::from_secs(5), idle.read(&mut buffer))
            .await
            .expect("the health answer comes")
            .expect("read");
        assert!(buffer[..n].starts_with(b"HTTP/1.1 200"));
        slow.push(idle);
    }

    for i in 0..(CAP + 4) {
        let send = match i % 4 {
            // Announces a huge body, sends one byte.
            0 => format!(
                "PUT /v1/reports/0195d000-0000-7000-8000-{i:012} HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {token}\r\ncontent-length: 2147483648\r\n\r\n{{"
            ),
            // Announces a body under the limit, sends one byte.
            1 => format!(
                "POST /v1/enroll HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: 4000\r\n\r\n{{"
            ),
            // Half a request head.
            2 => "PUT /v1/reports/0195d000".to_owned(),
            // Connects and says nothing.
            _ => String::new(),
        };
        slow.push(connect(&served, send.as_bytes()).await);
    }
    // Every slot is taken now, and more connections wait behind them.
    let took = device_syncs_a_report(&served, "0195d000-0000-7000-8000-0000000000aa", 7).await;
    assert!(took < Duration::from_secs(5), "the device took {took:?}");

    // Every slow connection is closed by the platform, the last ones once a slot freed for them.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(8);
    for (i, stream) in slow.into_iter().enumerate() {
        let answer = until_closed(stream, deadline).await;
        assert!(answer.is_some(), "slow connection {i} is still open");
    }
    eprintln!(
        "device synced a report in {took:?} next to {} slow connections, cap {CAP}",
        CAP + 6
    );
}

#[tokio::test]
async fn the_connection_cap_holds_extra_connections_back() {
    let mut config = short_limits(2);
    config.connections.header_read_timeout = Duration::from_secs(2);
    config.connections.idle_timeout = Duration::from_secs(10);
    let served = start(config).await;
    // Both slots taken by connections that say nothing.
    let quiet = [connect(&served, b"").await, connect(&served, b"").await];
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let response = served
        .http
        .get(served.url("/v1/health"))
        .send()
        .await
        .expect("health");
    let waited = started.elapsed();
    assert_eq!(response.status(), StatusCode::OK);
    // Served once the header timeout freed a slot, not before.
    assert!(waited >= Duration::from_millis(1_500), "served after {waited:?}");
    assert!(waited < Duration::from_secs(5), "served after {waited:?}");
    drop(quiet);
}

#[tokio::test]
async fn a_connection_on_which_nothing_moves_is_closed_after_the_idle_timeout() {
    let mut config = short_limits(16);
    config.connections.header_read_timeout = Duration::from_secs(30);
    config.connections.idle_timeout = Duration::from_secs(1);
    let served = start(config).await;
    let addr = served.addr;
    let started = Instant::now();
    let silent = connect(&served, b"").await;
    // Half a head, then nothing: hyper's header timer (30 s here) would wait much longer.
    let half = connect(
        &served,
        format!("GET /v1/health HTTP/1.1\r\nhost: {addr}\r\n").as_bytes(),
    )
    .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    for stream in [silent, half] {
        assert_eq!(until_closed(stream, deadline).await.as_deref(), Some(""));
    }
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "{took:?}"
    );
}
