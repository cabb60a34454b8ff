//! `GET /v1/components/current`: the component package (部件) served like the grid package,
//! with an `ETag` the device verifies the download against.

mod common;

use common::*;
use gridpatrol_platform::{OpenError, Platform};
use reqwest::StatusCode;

#[tokio::test]
async fn the_component_package_downloads_verifies_and_revalidates() {
    let package = gridpatrol_core::component::sample::sample_package().into_bytes();
    let mut config = config();
    config.grid_package = Some(gridpatrol_core::grid::sample::sample_package());
    config.component_package = Some(package.clone());
    let served = start(config).await;
    let device = enroll(&served).await;

    let response = served
        .http
        .get(served.url("/v1/components/current"))
        .bearer_auth(&device.token)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::OK);
    let etag = header(&response, "etag").expect("etag");
    assert_eq!(etag, format!("\"{}\"", sha256_hex(&package)));
    assert_eq!(
        header(&response, "component-package-version").as_deref(),
        Some(gridpatrol_core::component::sample::VERSION)
    );
    let body = response.bytes().await.expect("body");

    // The device installs it, checking the bytes against the ETag.
    let phone = tempfile::tempdir().expect("tempdir");
    let client = gridpatrol_core::Client::open(phone.path()).expect("open");
    let info = client
        .install_component_package(&body, Some(&etag))
        .expect("verifies");
    assert_eq!(info.sha256, sha256_hex(&package));
    let mut damaged = body.to_vec();
    damaged[100] ^= 1;
    assert!(client.install_component_package(&damaged, Some(&etag)).is_err());

    let cached = served
        .http
        .get(served.url("/v1/components/current"))
        .bearer_auth(&device.token)
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("send");
    assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);

    let anonymous = served
        .http
        .get(served.url("/v1/components/current"))
        .send()
        .await
        .expect("send");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn no_component_package_is_a_clear_404() {
    let served = start(config()).await;
    let device = enroll(&served).await;
    let response = served
        .http
        .get(served.url("/v1/components/current"))
        .bearer_auth(&device.token)
        .send()
        .await
        .expect("send");
    problem(response, StatusCode::NOT_FOUND, "component_package_unavailable").await;
}

#[test]
fn a_platform_refuses_to_open_with_a_bad_component_package() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = config();
    config.grid_package = Some(gridpatrol_core::grid::sample::sample_package());
    // A lamp in Beijing: outside the Wuzhong grids.
    config.component_package = Some(
        br#"{"type":"FeatureCollection","gridpatrol":{"kind":"components","version":"v1","datum":"wgs84"},"features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[116.4,39.9]},"properties":{"id":"X-1","type_code":"01037","name":"lamp"}}]}"#.to_vec(),
    );
    match Platform::open(dir.path(), config) {
        Err(OpenError::Components(reason)) => {
            assert!(reason.contains("component.outside_grid_extent"), "{reason}")
        }
        Err(other) => panic!("wrong error: {other}"),
        Ok(_) => panic!("a bad component package must not open"),
    }
}

/// A report that names a component is checked against the package the platform serves, with the
/// rule the device runs: a subtype that requires a component refuses an unknown id (422
/// `validation_failed`, `component.unknown`) and takes a real one of an allowed type at the fix.
#[tokio::test]
async fn a_report_naming_a_component_is_checked_against_the_served_package() {
    let mut config = config();
    config.component_package = Some(gridpatrol_core::component::sample::sample_package().into_bytes());
    let served = start(config).await;
    let device = enroll(&served).await;
    let photo = photo_bytes(3, 40_000);
    upload_photo(&served, &device, &photo).await;
    // 02-028 requires a component of type 03005.
    let real = gridpatrol_core::component::sample::sample_components()
        .into_iter()
        .find(|c| c.type_code == "03005")
        .expect("the sample holds one");
    let naming = |id: &str, component: Option<&str>| {
        let mut r = report(id, &photo);
        r.category = "02".into();
        r.subtype = "02-028".into();
        r.problem = "02-028-01".into();
        r.content.component_id = component.map(str::to_string);
        if let Some(fix) = r.content.fix.as_mut() {
            fix.lat = real.lat;
            fix.lon = real.lon;
        }
        r
    };
    let unknown = naming("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a01", Some("320506-XX-99999"));
    let body = problem(
        put_report(&served, &device, &unknown).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let codes: Vec<&str> = body["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(codes.contains(&"component.unknown"), "{body}");
    let named = naming("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a02", Some(&real.id));
    let response = put_report(&served, &device, &named).await;
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "{}",
        response.text().await.unwrap_or_default()
    );
}
