//! The component package (部件) downloaded like the grid package: the engine fetches the
//! platform's package when it differs from the installed one (`ETag` / `If-None-Match`),
//! installs it only after it verifies, and asks again for nothing when it is current.

mod sync_support;

use std::sync::Arc;

use gridpatrol_core::Client;
use gridpatrol_platform::Config;
use sync_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_downloads_the_component_package_once_and_verified() {
    let dir = tempfile::tempdir().expect("tempdir");
    let grids = gridpatrol_core::grid::sample::sample_package();
    let package = gridpatrol_core::component::sample::sample_package();
    let mut config = Config::new(CODE, ADMIN);
    config.grid_package = Some(grids.clone());
    config.component_package = Some(package.clone().into_bytes());
    let platform = TestPlatform::start_with(dir.path(), config).await;

    let client = Arc::new(Client::open(dir.path().join("device")).expect("client"));
    client.install_grid_package(&grids).expect("grids");
    let engine = engine(&client, &platform.url());
    engine.enroll(CODE, "phone").await.expect("enroll");
    assert!(client.component_package_info().is_none());

    let installed = engine
        .pull_component_package()
        .await
        .expect("pull")
        .expect("a package the device did not have");
    assert_eq!(
        installed.sha256,
        gridpatrol_core::media::sha256_hex(package.as_bytes())
    );
    assert!(installed.components > 10_000, "{installed:?}");
    assert_eq!(client.component_package_info(), Some(installed.clone()));
    // Current: 304, nothing installed again.
    assert_eq!(engine.pull_component_package().await.expect("pull"), None);

    // Survives a relaunch: the package is on disk.
    drop(engine);
    drop(client);
    let client = Client::open(dir.path().join("device")).expect("reopen");
    assert_eq!(client.component_package_info(), Some(installed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platform_without_components_is_a_typed_error_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let platform = TestPlatform::start(dir.path()).await;
    let client = Arc::new(Client::open(dir.path().join("device")).expect("client"));
    let engine = engine(&client, &platform.url());
    engine.enroll(CODE, "phone").await.expect("enroll");
    match engine.pull_component_package().await {
        Err(gridpatrol_core::Error::Platform { status: 404, code }) => {
            assert_eq!(code, "component_package_unavailable")
        }
        other => panic!("expected 404 component_package_unavailable, got {other:?}"),
    }
    assert!(client.component_package_info().is_none());
}
