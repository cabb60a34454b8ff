//! Tamper-evident captures end to end (issue 14 item 4): a device signs each report at submit
//! and registers its key at enrollment; the platform checks every claim on receipt, refuses a
//! report changed after signing (a moved fix, a swapped photo, the claim stripped) — the device
//! parks it with the code, nothing is stored — and lists each report with its verdict and its
//! place in the device's chain, where a capture removed on the device shows as a gap.

mod sync_support;

use std::sync::Arc;
use std::time::Duration;

use gridpatrol_core::Client;
use gridpatrol_core::capture::{OutboxState, SubmittedReport};
use serde_json::Value;
use sync_support::{
    ADMIN, CODE, TestPlatform, base_photos, capture, capture_plain, engine, enroll_without_key, own_token,
};

async fn admin_reports(platform: &TestPlatform) -> Vec<Value> {
    let body: Value = reqwest::Client::new()
        .get(format!("{}/v1/admin/reports?limit=100", platform.url()))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("admin reports")
        .json()
        .await
        .expect("json");
    body["reports"].as_array().expect("reports").clone()
}

fn row<'a>(rows: &'a [Value], id: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["report_id"] == id)
        .unwrap_or_else(|| panic!("{id} is not listed"))
}

/// Rewrites a stored report as someone with the data directory (or on the wire) would.
fn tamper(client: &Client, id: &str, change: impl FnOnce(&mut SubmittedReport)) {
    let mut report = client.report(id).expect("report");
    change(&mut report);
    let body = serde_json::to_string(&report).expect("json");
    client
        .store()
        .write(|tx| {
            // With its checksum, as a deliberate change would be (not the damage the store detects).
            let checksum = gridpatrol_core::media::sha256_hex(body.as_bytes());
            tx.execute(
                "UPDATE report SET body = ?2, body_sha256 = ?3 WHERE id = ?1",
                rusqlite::params![id, body, checksum],
            )?;
            Ok(())
        })
        .expect("tamper");
}

fn parked_reason(client: &Client, id: &str) -> Option<String> {
    let queue = client.queue().expect("queue");
    let entry = queue.iter().find(|e| e.report_id == id).expect("entry");
    assert_eq!(entry.state, OutboxState::Parked, "{id} is parked");
    entry.parked_reason.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_reports_verify_and_altered_ones_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let platform = TestPlatform::start(dir.path()).await;
    let client = Arc::new(Client::open(dir.path().join("device")).expect("client"));
    let engine = engine(&client, &platform.url());
    engine.enroll(CODE, "phone").await.expect("enroll");

    // Three honest reports: verified, a chain from the first.
    let photos = base_photos(2);
    let honest = capture(&client, 0, 3, 2, &photos, 0);
    let summary = engine.sync_now(Duration::from_secs(30)).await.expect("sync");
    assert_eq!(summary.delivered, 3);
    let rows = admin_reports(&platform).await;
    for id in &honest {
        assert_eq!(row(&rows, id)["verdict"], "verified", "{id}");
    }
    let chains: Vec<&Value> = honest.iter().map(|id| &row(&rows, id)["chain"]).collect();
    assert_eq!(chains, ["first", "linked", "linked"]);
    // Newest first: in the order received (two reporters upload in parallel), which the case
    // numbers count.
    let cases: Vec<&str> = rows
        .iter()
        .map(|r| r["case_number"].as_str().expect("case"))
        .collect();
    assert!(cases.windows(2).all(|w| w[0] > w[1]), "{cases:?}");

    // Two more, each altered after signing, and one without its claim (as a report from
    // before this app signed: the device signs it at its first send).
    let altered = capture(&client, 3, 3, 1, &photos, 0);
    tamper(&client, &altered[0], |r| {
        let fix = r.content.fix.as_mut().expect("fix");
        fix.lat += 0.001; // 110 m: the report now places the problem elsewhere
    });
    tamper(&client, &altered[1], |r| {
        // Another photo the platform already holds, in place of the one captured.
        r.content.photos[0] = client.report(&honest[1]).expect("honest").content.photos[0].clone();
    });
    tamper(&client, &altered[2], |r| r.claim = None);
    let summary = engine.sync_now(Duration::from_secs(30)).await.expect("sync");
    assert_eq!((summary.delivered, summary.parked), (4, 2));
    for id in &altered[..2] {
        let reason = parked_reason(&client, id);
        assert!(
            reason.as_deref().is_some_and(|r| r.contains("claim_mismatch")),
            "{reason:?}"
        );
    }
    let rows = admin_reports(&platform).await;
    assert_eq!(rows.len(), 4, "nothing altered is stored");
    assert_eq!(
        row(&rows, &altered[2])["verdict"],
        "verified",
        "signed at its first send"
    );
    assert!(client.report(&altered[2]).expect("report").claim.is_some());

    // The platform refuses an unsigned report from a device that registered a key.
    let unsigned = capture_plain(&client, 10, 1, 1).remove(0);
    let mut report = client.report(&unsigned).expect("report");
    report.claim = None;
    let put = reqwest::Client::new()
        .put(format!("{}/v1/reports/{unsigned}", platform.url()))
        .bearer_auth(own_token(&client))
        .json(&report)
        .send()
        .await
        .expect("put");
    assert_eq!(put.status(), 422);
    let problem: Value = put.json().await.expect("problem");
    assert_eq!(problem["code"], "claim_missing");
    let stats = platform.stats().await;
    assert_eq!(stats["reports"], 4);
    assert_eq!(stats["claims_refused"], 3, "{stats}");
    assert_eq!(stats["reports_verified"], 4, "{stats}");
    engine.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_capture_removed_on_the_device_shows_as_a_gap_in_its_chain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let platform = TestPlatform::start(dir.path()).await;
    let client = Arc::new(Client::open(dir.path().join("device")).expect("client"));
    let engine = engine(&client, &platform.url());
    engine.enroll(CODE, "phone").await.expect("enroll");
    let ids = capture_plain(&client, 0, 4, 1);
    // The second capture vanishes before it is sent (deleted from the store).
    client
        .store()
        .write(|tx| {
            tx.execute("DELETE FROM report WHERE id = ?1", [&ids[1]])?;
            Ok(())
        })
        .expect("delete");
    let summary = engine.sync_now(Duration::from_secs(30)).await.expect("sync");
    assert_eq!(summary.delivered, 3);
    let rows = admin_reports(&platform).await;
    let chain = |id: &String| row(&rows, id)["chain"].as_str().expect("chain").to_string();
    assert_eq!(
        [chain(&ids[0]), chain(&ids[2]), chain(&ids[3])],
        ["first", "gap", "linked"]
    );
    assert!(rows.iter().all(|r| r["verdict"] == "verified"));
    engine.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_device_without_a_key_is_received_as_unsigned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let platform = TestPlatform::start(dir.path()).await;
    // Enrolled as an older app does: no device_public_key.
    let token = enroll_without_key(&platform.url(), "old app").await;
    let http = reqwest::Client::new();
    let client = Arc::new(Client::open(dir.path().join("device")).expect("client"));
    let id = capture_plain(&client, 0, 1, 1).remove(0);
    let mut report = client.report(&id).expect("report");
    report.claim = None;
    let put = http
        .put(format!("{}/v1/reports/{id}", platform.url()))
        .bearer_auth(&token)
        .json(&report)
        .send()
        .await
        .expect("put");
    assert_eq!(put.status(), 201);
    // A signed report from it cannot be checked: kept, flagged.
    let signed_id = capture_plain(&client, 1, 1, 1).remove(0);
    let put = http
        .put(format!("{}/v1/reports/{signed_id}", platform.url()))
        .bearer_auth(&token)
        .json(&client.report(&signed_id).expect("report"))
        .send()
        .await
        .expect("put");
    assert_eq!(put.status(), 201);
    let rows = admin_reports(&platform).await;
    assert_eq!(row(&rows, &id)["verdict"], "unsigned");
    assert_eq!(row(&rows, &id)["chain"], Value::Null);
    assert_eq!(row(&rows, &signed_id)["verdict"], "key_unknown");
    // A malformed key at enrollment is a 400 with its code.
    let bad = http
        .post(format!("{}/v1/enroll", platform.url()))
        .json(&serde_json::json!({"enrollment_code": CODE, "device_public_key": "abcd"}))
        .send()
        .await
        .expect("enroll");
    assert_eq!(bad.status(), 400);
    let body: Value = bad.json().await.expect("problem");
    assert_eq!(body["code"], "invalid_public_key");
}
