//! The event list through the public surface the apps use (`gridpatrol_ffi::GridPatrol`):
//! install a city's package, survive a restart, reject a bad package without losing the old one.

use gridpatrol_core::taxonomy::{EventList, seal};
use gridpatrol_ffi::{GridPatrol, GridPatrolError, ItemKind};

/// Runs an async export to completion, as a coroutine scope would.
fn block<F: std::future::Future>(call: F) -> F::Output {
    gridpatrol_core::sync::runtime().block_on(call)
}

/// The bundled package with a new version number, resealed: what a platform might send.
fn next_version_package() -> Vec<u8> {
    let mut value: serde_json::Value =
        serde_json::from_slice(EventList::bundled_json()).expect("bundled json");
    value["header"]["list_version"] = serde_json::json!("WZ-TEST-NEXT");
    seal(&serde_json::to_vec(&value).expect("json")).expect("seal").0
}

#[test]
fn installed_list_survives_restart_and_bad_packages_change_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("gp").display().to_string();
    let app = block(GridPatrol::open(data.clone(), gridpatrol_tests::ffi_keys(&data))).expect("open");
    let bundled = app.event_list_info();
    assert_eq!(
        (
            bundled.counts.categories,
            bundled.counts.subtypes,
            bundled.counts.problems
        ),
        (4, 264, 645)
    );

    let installed = block(app.install_event_list(next_version_package())).expect("install");
    assert_eq!(installed.list_version, "WZ-TEST-NEXT");
    assert_ne!(installed.sha256, bundled.sha256);

    // A tampered package: rejected with the problem named, and the installed list stays.
    let mut tampered: serde_json::Value = serde_json::from_slice(&next_version_package()).expect("json");
    tampered["subtypes"][0]["name_zh"] = serde_json::json!("改过的名字");
    let error =
        block(app.install_event_list(serde_json::to_vec(&tampered).expect("json"))).expect_err("tampered");
    match error {
        GridPatrolError::EventListRejected { problems } => {
            assert!(
                problems.iter().any(|p| p.code == "header" && p.field == "sha256"),
                "{problems:?}"
            )
        }
        other => panic!("unexpected error {other:?}"),
    }
    assert_eq!(app.event_list_info().list_version, "WZ-TEST-NEXT");
    drop(app);

    let reopened = block(GridPatrol::open(data.clone(), gridpatrol_tests::ffi_keys(&data))).expect("reopen");
    assert_eq!(reopened.event_list_info().sha256, installed.sha256);
    assert_eq!(
        block(reopened.reset_event_list()).expect("reset").sha256,
        bundled.sha256
    );
}

#[test]
fn unknown_codes_are_not_found_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = block(GridPatrol::open(
        dir.path().display().to_string(),
        gridpatrol_tests::ffi_keys(dir.path()),
    ))
    .expect("open");
    match app.subtype("99-999".into()) {
        Err(GridPatrolError::NotFound { kind, code }) => {
            assert_eq!((kind, code.as_str()), (ItemKind::Subtype, "99-999"))
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert!(matches!(
        app.problems("00-000".into()),
        Err(GridPatrolError::NotFound { .. })
    ));
}
