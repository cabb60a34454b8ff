//! Patrols over HTTP: fields and chunks are idempotent, the last chunk grows, conflicting or
//! out-of-order uploads are refused with stable codes and change nothing, bad points are 422,
//! a patrol is another device's business only through the admin, and what is stored survives a
//! restart.

mod common;

use common::*;
use gridpatrol_core::capture::Reporter;
use gridpatrol_core::location::Datum;
use gridpatrol_core::taxonomy::Role;
use gridpatrol_core::track::wire::{PatrolMeta, TrackChunk};
use gridpatrol_core::track::{FilterCounts, PatrolState, SegmentStart, TrackPoint, TravelMode};
use reqwest::StatusCode;
use serde_json::Value;

const PATROL: &str = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
const T0: i64 = 1_780_000_000_000;

fn meta(state: PatrolState) -> PatrolMeta {
    PatrolMeta {
        patrol_id: PATROL.into(),
        reporter: Reporter {
            reporter_id: "w-7".into(),
            role: Role::Inspector,
            grid_ids: vec![],
        },
        mode: TravelMode::Walking,
        expected_interval_ms: 1_000,
        state,
        started_at_ms: T0,
        paused_at_ms: None,
        stopped_at_ms: (state == PatrolState::Stopped).then_some(T0 + 3_600_000),
        counts: FilterCounts::default(),
    }
}

/// Points `from .. to` of a walk east, 1 s and ~1.4 m apart.
fn chunk(from: u64, to: u64) -> TrackChunk {
    TrackChunk {
        datum: Datum::Wgs84,
        points: (from..to)
            .map(|seq| TrackPoint {
                seq,
                time_ms: T0 + 1_000 * seq as i64,
                lat: 31.30,
                lon: 120.60 + seq as f64 * 1.5e-5,
                accuracy_m: 5.0,
                is_mock: false,
                segment: 0,
                starts: if seq == 0 {
                    SegmentStart::First
                } else {
                    SegmentStart::Continues
                },
            })
            .collect(),
    }
}

async fn put_meta(served: &Served, device: &Device, meta: &PatrolMeta) -> reqwest::Response {
    served
        .http
        .put(served.url(&format!("/v1/patrols/{}", meta.patrol_id)))
        .bearer_auth(&device.token)
        .json(meta)
        .send()
        .await
        .expect("put patrol")
}

async fn put_chunk(served: &Served, device: &Device, n: u64, chunk: &TrackChunk) -> reqwest::Response {
    served
        .http
        .put(served.url(&format!("/v1/patrols/{PATROL}/chunks/{n}")))
        .bearer_auth(&device.token)
        .json(chunk)
        .send()
        .await
        .expect("put chunk")
}

async fn view(served: &Served, token: &str) -> reqwest::Response {
    served
        .http
        .get(served.url(&format!("/v1/patrols/{PATROL}")))
        .bearer_auth(token)
        .send()
        .await
        .expect("get patrol")
}

async fn json(response: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    response.json().await.expect("json")
}

#[tokio::test]
async fn chunks_are_idempotent_the_tail_grows_and_the_figures_come_back() {
    let mut served = start(config()).await;
    let device = enroll(&served).await;

    // A chunk before its patrol: 404, so the device sends the fields first.
    problem(
        put_chunk(&served, &device, 0, &chunk(0, 10)).await,
        StatusCode::NOT_FOUND,
        "patrol_not_found",
    )
    .await;
    let created = json(
        put_meta(&served, &device, &meta(PatrolState::Active)).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created["points"], 0);
    json(
        put_meta(&served, &device, &meta(PatrolState::Active)).await,
        StatusCode::OK,
    )
    .await;

    // Chunk 0 in three versions: 300 points, the same again (a lost answer), then grown to 500.
    let first = json(
        put_chunk(&served, &device, 0, &chunk(0, 300)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (first["chunk_points"].as_u64(), first["points"].as_u64()),
        (Some(300), Some(300))
    );
    json(
        put_chunk(&served, &device, 0, &chunk(0, 300)).await,
        StatusCode::OK,
    )
    .await;
    // An older, shorter version arriving late stores nothing.
    let late = json(
        put_chunk(&served, &device, 0, &chunk(0, 120)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(late["chunk_points"], 300);
    let live = json(view(&served, &device.token).await, StatusCode::OK).await;
    assert_eq!(live["live"]["t_ms"], T0 + 299_000, "{}", live["live"]);
    assert_eq!(live["active"], true);
    // Chunk 1 while chunk 0 is not whole: out of order.
    problem(
        put_chunk(&served, &device, 1, &chunk(500, 510)).await,
        StatusCode::CONFLICT,
        "chunk_out_of_order",
    )
    .await;
    json(
        put_chunk(&served, &device, 0, &chunk(0, 500)).await,
        StatusCode::OK,
    )
    .await;
    let grown = json(
        put_chunk(&served, &device, 1, &chunk(500, 620)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(grown["points"], 620);

    // Different points under a number already held: 409, nothing changes.
    let mut moved = chunk(500, 620);
    moved.points[7].lat += 0.001;
    problem(
        put_chunk(&served, &device, 1, &moved).await,
        StatusCode::CONFLICT,
        "chunk_conflict",
    )
    .await;

    json(
        put_meta(&served, &device, &meta(PatrolState::Stopped)).await,
        StatusCode::OK,
    )
    .await;
    // A stopped patrol is final.
    problem(
        put_meta(&served, &device, &meta(PatrolState::Active)).await,
        StatusCode::CONFLICT,
        "patrol_conflict",
    )
    .await;

    served.restart(config()).await;
    let stopped = json(view(&served, ADMIN).await, StatusCode::OK).await;
    assert_eq!(stopped["state"], "stopped");
    assert_eq!(stopped["active"], false);
    assert_eq!(stopped["points"], 620);
    assert_eq!(stopped["duplicate_uploads"], 3, "{stopped}");
    assert_eq!(stopped["live"]["t_ms"], T0 + 619_000);
    // 619 steps of ~1.42 m (1.5e-5° of longitude at 31.3°N).
    let distance = stopped["figures"]["distance_m"].as_f64().expect("distance");
    let step = 1.5e-5_f64.to_radians() * 6_371_008.8 * 31.30_f64.to_radians().cos();
    assert!(
        (distance - 619.0 * step).abs() < 2.0,
        "{distance} vs {}",
        619.0 * step
    );
    assert_eq!(stopped["figures"]["points"], 620);
}

#[tokio::test]
async fn bad_points_other_devices_and_changed_patrols_are_refused() {
    let served = start(config()).await;
    let device = enroll(&served).await;
    let other = enroll(&served).await;
    json(
        put_meta(&served, &device, &meta(PatrolState::Active)).await,
        StatusCode::CREATED,
    )
    .await;

    let mut bad = chunk(0, 5);
    bad.points[2].lat = 91.0;
    let body = problem(
        put_chunk(&served, &device, 0, &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "track_invalid",
    )
    .await;
    assert_eq!(body["reason"], "bad_point");
    let body = problem(
        put_chunk(&served, &device, 1, &chunk(0, 5)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "track_invalid",
    )
    .await;
    assert_eq!(body["reason"], "bad_seq");
    let mut backwards = chunk(0, 5);
    backwards.points[3].time_ms = backwards.points[1].time_ms;
    let body = problem(
        put_chunk(&served, &device, 0, &backwards).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "track_invalid",
    )
    .await;
    assert_eq!(body["reason"], "bad_time_order");
    let mut stop_before_start = meta(PatrolState::Stopped);
    stop_before_start.stopped_at_ms = Some(T0 - 1);
    let body = problem(
        put_meta(&served, &device, &stop_before_start).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "track_invalid",
    )
    .await;
    assert_eq!(body["reason"], "bad_times");
    let mut elsewhere = meta(PatrolState::Active);
    elsewhere.patrol_id = "another-id".into();
    let response = served
        .http
        .put(served.url(&format!("/v1/patrols/{PATROL}")))
        .bearer_auth(&device.token)
        .json(&elsewhere)
        .send()
        .await
        .expect("put");
    problem(response, StatusCode::BAD_REQUEST, "patrol_id_mismatch").await;
    let mut someone_else = meta(PatrolState::Active);
    someone_else.reporter.reporter_id = "w-8".into();
    problem(
        put_meta(&served, &device, &someone_else).await,
        StatusCode::CONFLICT,
        "patrol_conflict",
    )
    .await;

    // Another device: neither its fields, nor its chunks, nor reading it.
    problem(
        put_meta(&served, &other, &meta(PatrolState::Active)).await,
        StatusCode::CONFLICT,
        "patrol_conflict",
    )
    .await;
    problem(
        put_chunk(&served, &other, 0, &chunk(0, 5)).await,
        StatusCode::NOT_FOUND,
        "patrol_not_found",
    )
    .await;
    problem(
        view(&served, &other.token).await,
        StatusCode::NOT_FOUND,
        "patrol_not_found",
    )
    .await;
    let listed = json(
        served
            .http
            .get(served.url("/v1/patrols"))
            .bearer_auth(&other.token)
            .send()
            .await
            .expect("list"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["patrols"], serde_json::json!([]));
    problem(
        view(&served, "nobody").await,
        StatusCode::UNAUTHORIZED,
        "token_invalid",
    )
    .await;

    // Nothing of the refused uploads was stored.
    let stored = json(view(&served, &device.token).await, StatusCode::OK).await;
    assert_eq!(stored["points"], 0);
    assert_eq!(stored["live"], Value::Null);
    assert_eq!(stored["meta"]["reporter"]["reporter_id"], "w-7");
    let admin = json(
        served
            .http
            .get(served.url(&format!("/v1/patrols?device={}&active=true", device.id)))
            .bearer_auth(ADMIN)
            .send()
            .await
            .expect("list"),
        StatusCode::OK,
    )
    .await;
    assert_eq!(admin["patrols"][0]["patrol_id"], PATROL);
}
