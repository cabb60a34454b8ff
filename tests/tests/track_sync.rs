//! Patrol upload end to end: a patrol recorded on a device reaches the platform exactly once and
//! in order through 30% faults (every way the platform can fail, "committed but the answer was
//! lost" included), its live position arrives within the run while the patrol is still active,
//! reports captured meanwhile are delivered in the same runs, the platform's figures equal the
//! device's, and a patrol the platform refuses for good is parked without holding up anything.

mod sync_support;

use std::sync::Arc;
use std::time::Duration;

use gridpatrol_core::Client;
use gridpatrol_core::location::{Datum, LocationFix, LocationProvider};
use gridpatrol_core::track::{PatrolStart, SegmentStart, TrackPoint, TravelMode};
use gridpatrol_platform::{Config, FaultConfig};
use gridpatrol_tests::{fill_valid_plain_draft, inspector, place, submit_valid};
use sync_support::*;

/// Fix `i` of the fixture walk: 1 m east per fix, 200 ms apart (so 1,234 fixes fit inside the
/// recorder's 5-minute future limit), a 10 s screen-locked silence after fix 300 (a gap) and
/// one fix 2 km off at 700 (a jump, refused).
fn walk_fix(t0: i64, i: u64) -> LocationFix {
    let silence = if i > 300 { 10_000 } else { 0 };
    let east = if i == 700 { 2_000.0 } else { i as f64 };
    LocationFix {
        lat: 31.30,
        lon: 120.60 + east / (111_320.0 * 31.30f64.to_radians().cos()),
        accuracy_m: 6.0,
        fix_time_ms: t0 + 200 * i as i64 + silence,
        provider: LocationProvider::Gps,
        is_mock: false,
        datum: Datum::Wgs84,
    }
}

fn start(reporter: &str) -> PatrolStart {
    PatrolStart {
        reporter: inspector(reporter),
        mode: TravelMode::Walking,
        expected_interval_ms: 1_000,
    }
}

async fn admin_get(platform: &TestPlatform, path: &str) -> serde_json::Value {
    let response = reqwest::Client::new()
        .get(format!("{}{path}", platform.url()))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("get");
    assert!(response.status().is_success(), "{path}: {}", response.status());
    response.json().await.expect("json")
}

/// The points the platform stores for a patrol, read from its database.
fn platform_points(platform: &TestPlatform, patrol_id: &str) -> Vec<TrackPoint> {
    let db = rusqlite::Connection::open_with_flags(
        platform.dir.join("platform.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("platform db");
    let mut stmt = db
        .prepare("SELECT body FROM patrol_chunk WHERE patrol_id = ?1 ORDER BY chunk")
        .expect("prepare");
    let bodies = stmt
        .query_map([patrol_id], |r| r.get::<_, String>(0))
        .expect("query");
    let mut points = Vec::new();
    for body in bodies {
        let chunk: Vec<TrackPoint> = serde_json::from_str(&body.expect("row")).expect("chunk json");
        points.extend(chunk);
    }
    points
}

/// The points the device stores for a patrol (all of them, not the simplified track).
fn device_points(client: &Client, patrol_id: &str) -> Vec<TrackPoint> {
    client.patrol_flush().expect("flush");
    client
        .store()
        .read(|conn| {
            let mut stmt = conn.prepare(
                "SELECT seq, fix_time, lat, lon, accuracy_m, is_mock, segment, starts
                 FROM track_point WHERE patrol_id = ?1 ORDER BY seq",
            )?;
            let rows = stmt.query_map([patrol_id], |r| {
                let starts: String = r.get(7)?;
                Ok(TrackPoint {
                    seq: r.get::<_, i64>(0)? as u64,
                    time_ms: r.get(1)?,
                    lat: r.get(2)?,
                    lon: r.get(3)?,
                    accuracy_m: r.get(4)?,
                    is_mock: r.get(5)?,
                    segment: r.get(6)?,
                    starts: SegmentStart::parse(&starts).expect("a stored segment start"),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .expect("device points")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patrol_arrives_exactly_once_in_order_with_its_live_position_through_faults() {
    tokio::time::timeout(Duration::from_secs(240), async {
        let dir = tempfile::tempdir().expect("tempdir");
        let platform = TestPlatform::start(dir.path()).await;
        let client = Arc::new(Client::open(dir.path().join("device")).expect("client"));
        let engine = engine(&client, &platform.url());
        engine.enroll(CODE, "patrol phone").await.expect("enroll");

        let patrol = client.patrol_start(start("w-patrol")).expect("start");
        let t0 = patrol.started_at_ms + 1;
        for i in 0..700 {
            client.patrol_fix(&patrol.id, walk_fix(t0, i)).expect("fix");
        }
        // Reports captured during the patrol go in the same runs.
        let shared = base_photos(2);
        capture(&client, 0, 6, 1, &shared, 3);
        // And one of the patrolling worker's own: linked to the patrol, on both sides.
        let draft = client.create_draft(inspector("w-patrol"), None).expect("draft");
        fill_valid_plain_draft(&client, &draft.id, place(900));
        let own = submit_valid(&client, &draft.id);

        platform.platform.set_fault(Some(FaultConfig::new(0.30, 0x7AC5)));
        let first = engine.sync_now(Duration::from_secs(120)).await.expect("sync");
        assert_eq!((first.pending, first.parked), (0, 0), "{first:?}");
        assert_eq!(
            first.patrols_waiting, 1,
            "active: still waiting for more: {first:?}"
        );

        // Live: the newest fix (it was still waiting in the recorder's batch) is on the platform
        // while the patrol is active.
        platform.platform.set_fault(None);
        let view = admin_get(&platform, &format!("/v1/patrols/{}", patrol.id)).await;
        assert_eq!(view["active"], true, "{view}");
        let newest = device_points(&client, &patrol.id);
        let last = newest.last().expect("points");
        assert_eq!(view["live"]["t_ms"], last.time_ms, "{}", view["live"]);
        assert_eq!(view["live"]["datum"], "wgs84");
        assert_eq!(view["points"], newest.len(), "{view}");
        let listed = admin_get(&platform, "/v1/patrols?active=true").await;
        assert_eq!(listed["patrols"][0]["patrol_id"], patrol.id.as_str(), "{listed}");

        // The rest of the walk, then the stop; the tail chunk grows and a new one starts.
        for i in 700..1_234 {
            client.patrol_fix(&patrol.id, walk_fix(t0, i)).expect("fix");
        }
        client.patrol_stop(&patrol.id).expect("stop");
        platform.platform.set_fault(Some(FaultConfig::new(0.30, 0x51DE)));
        let second = engine.sync_now(Duration::from_secs(120)).await.expect("sync");
        assert_eq!(second.patrols_waiting, 0, "{second:?}");
        assert_eq!(second.patrols_parked, 0, "{second:?}");
        eprintln!("first {first:?}\nsecond {second:?}");
        assert!(first.retries + second.retries > 0, "faults were injected");
        platform.platform.set_fault(None);

        let device = device_points(&client, &patrol.id);
        assert_eq!(device.len(), 1_233, "one jump refused");
        assert_eq!(
            first.track_points_sent + second.track_points_sent,
            device.len() as i64,
            "each point counted once: {first:?} {second:?}"
        );
        // Exactly once, in order, identical.
        assert_eq!(platform_points(&platform, &patrol.id), device);

        let view = admin_get(&platform, &format!("/v1/patrols/{}", patrol.id)).await;
        assert_eq!(view["state"], "stopped");
        assert_eq!(view["active"], false);
        let figures = client.patrol_figures(Some(patrol.id.clone())).expect("figures");
        let platform_distance = view["figures"]["distance_m"].as_f64().expect("distance");
        assert!(
            (platform_distance - figures.distance_m).abs() < 1e-6,
            "platform {platform_distance} vs device {}",
            figures.distance_m
        );
        assert!(figures.distance_m > 1_000.0, "{}", figures.distance_m);
        assert_eq!(
            view["figures"]["gaps"].as_array().map(Vec::len),
            Some(figures.gaps.len())
        );
        assert_eq!(figures.gaps.len(), 1);
        assert_eq!(figures.linked_reports, std::slice::from_ref(&own));
        assert_eq!(
            view["figures"]["linked_reports"],
            serde_json::json!([own]),
            "the platform links it too"
        );
        assert_eq!(view["meta"]["counts"]["jump"], 1);

        // Nothing left: another run sends nothing of the patrol.
        let third = engine.sync_now(Duration::from_secs(30)).await.expect("sync");
        assert_eq!((third.track_points_sent, third.bytes_sent), (0, 0), "{third:?}");
        let again = admin_get(&platform, &format!("/v1/patrols/{}", patrol.id)).await;
        assert_eq!(again["duplicate_uploads"], view["duplicate_uploads"]);
    })
    .await
    .expect("test within its time bound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patrol_the_platform_refuses_is_parked_and_reports_still_go() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Devices held to their first report's reporter (the development default).
    let platform_dir = dir.path().join("platform");
    let platform =
        gridpatrol_platform::Platform::open(&platform_dir, Config::new(CODE, ADMIN)).expect("platform");
    let (addr, _handle) = platform
        .spawn("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("serve");
    let url = format!("http://{addr}");
    let client = Arc::new(Client::open(dir.path().join("device")).expect("client"));
    let engine = engine(&client, &url);
    engine.enroll(CODE, "phone").await.expect("enroll");
    let shared = base_photos(1);
    // The first report binds the device to w0.
    capture(&client, 0, 1, 1, &shared, 1);
    let bound = engine.sync_now(Duration::from_secs(30)).await.expect("sync");
    assert_eq!(bound.delivered, 1, "{bound:?}");

    // A patrol claiming another worker, and a report of the bound one after it.
    let patrol = client.patrol_start(start("someone-else")).expect("start");
    for i in 0..20 {
        client
            .patrol_fix(&patrol.id, walk_fix(patrol.started_at_ms + 1, i))
            .expect("fix");
    }
    client.patrol_stop(&patrol.id).expect("stop");
    capture(&client, 1, 1, 1, &shared, 1);
    let summary = engine.sync_now(Duration::from_secs(30)).await.expect("sync");
    assert_eq!(summary.patrols_parked, 1, "{summary:?}");
    assert_eq!(summary.patrols_waiting, 0, "{summary:?}");
    assert_eq!((summary.delivered, summary.pending), (2, 0), "{summary:?}");
    // Its points stay on the device; nothing of it is on the platform.
    assert_eq!(device_points(&client, &patrol.id).len(), 20);
    let response = reqwest::Client::new()
        .get(format!("{url}/v1/patrols/{}", patrol.id))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), 404);
    // A parked patrol is not retried every run.
    let later = engine.sync_now(Duration::from_secs(30)).await.expect("sync");
    assert_eq!(later.bytes_sent, 0, "{later:?}");
}
