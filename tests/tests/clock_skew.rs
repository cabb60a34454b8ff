//! Wrong phone clocks (issue 12, failures 3 and 7): a report from a phone whose clock runs
//! 10 minutes fast is received and flagged with its skew, never parked; capture times have a
//! lower bound and are checked against the fix, and a capture time far in the future is said
//! as such (no confusing `location.stale`).

mod sync_support;

use std::sync::Arc;
use std::time::Duration;

use gridpatrol_core::Client;
use gridpatrol_tests::{fill_valid_plain_draft, inspector, now_ms, place};
use sync_support::*;

const FAST_MS: i64 = 10 * 60 * 1000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_from_a_fast_phone_clock_is_received_and_flagged_not_parked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let platform = TestPlatform::start(dir.path()).await;
    let data = dir.path().join("device");
    let client = Arc::new(Client::open(&data).expect("open"));
    let ids = capture_plain(&client, 0, 2, 1);
    let engine = engine(&client, &platform.url());
    engine.enroll(CODE, "phone").await.expect("enroll");

    // Report 0 as a phone 10 minutes fast records it: every device time shifted alike.
    let conn = gridpatrol_tests::raw_store(&data, rusqlite::OpenFlags::default());
    let body: String = conn
        .query_row("SELECT body FROM report WHERE id = ?1", [&ids[0]], |r| r.get(0))
        .expect("body");
    let mut report: serde_json::Value = serde_json::from_str(&body).expect("json");
    for pointer in ["/captured_at_ms", "/submitted_at_ms", "/fix/fix_time_ms"] {
        let at = report.pointer_mut(pointer).expect("a device time");
        *at = serde_json::json!(at.as_i64().expect("ms") + FAST_MS);
    }
    // The fast clock's times are the ones the device signed.
    gridpatrol_tests::resign(&client, &mut report);
    conn.execute(
        "UPDATE report SET body = ?2, body_sha256 = NULL WHERE id = ?1",
        [&ids[0], &report.to_string()],
    )
    .expect("shift");

    let summary = engine.sync_now(Duration::from_secs(60)).await.expect("sync");
    assert_eq!(
        (summary.delivered, summary.parked),
        (2, 0),
        "{:?}",
        engine.queue_health()
    );
    assert!(
        engine.clock_offset_ms().is_some_and(|o| o.abs() < 5_000),
        "the offset is learned from the platform's answers: {:?}",
        engine.clock_offset_ms()
    );
    // The command centre sees which report came from a wrong clock. The device's own offset
    // is ~0 here (its real clock is right), so the platform judges by submitted_at.
    let platform_db = rusqlite::Connection::open(platform.dir.join("platform.db")).expect("platform db");
    let skews: Vec<(String, Option<i64>)> = platform_db
        .prepare("SELECT id, clock_skew_s FROM report ORDER BY id")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    let skew_of = |id: &str| skews.iter().find(|(i, _)| i == id).expect("received").1;
    assert!(
        skew_of(&ids[0]).is_some_and(|s| (500..=600).contains(&s)),
        "{skews:?}"
    );
    assert_eq!(skew_of(&ids[1]), None);
}

#[test]
fn capture_times_have_a_lower_bound_and_are_checked_against_the_fix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let client = Client::open(dir.path()).expect("open");

    // 1970-01-01 with a fix taken now: refused, and said why.
    let draft = client.create_draft(inspector("w1"), Some(0)).expect("draft");
    fill_valid_plain_draft(&client, &draft.id, place(1));
    let report = client.validate_draft(&draft.id).expect("validate");
    assert!(report.has("capture.too_early"), "{report:?}");
    assert!(report.has("capture.before_fix"), "{report:?}");

    // A day before the fix (not before 2024): the capture is wrong, relative to the fix.
    let draft = client
        .create_draft(inspector("w1"), Some(now_ms() - 86_400_000))
        .expect("draft");
    fill_valid_plain_draft(&client, &draft.id, place(2));
    let report = client.validate_draft(&draft.id).expect("validate");
    assert!(
        report.has("capture.before_fix") && !report.has("capture.too_early"),
        "{report:?}"
    );

    // Far in the future: `capture.in_future`, without a "37912204 minutes" stale fix.
    let draft = client
        .create_draft(inspector("w1"), Some(now_ms() + 72 * 365 * 86_400_000))
        .expect("draft");
    fill_valid_plain_draft(&client, &draft.id, place(3));
    let report = client.validate_draft(&draft.id).expect("validate");
    assert!(report.has("capture.in_future"), "{report:?}");
    assert!(!report.has("location.stale"), "{report:?}");
}
