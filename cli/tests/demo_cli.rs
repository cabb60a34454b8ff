//! `gridpatrol demo` end to end (small): every submitted report reaches the platform exactly
//! once through injected faults, and the mistakes are caught on the device.

use std::process::Command;

#[test]
fn a_small_patrol_day_drains_exactly_once() {
    let output = Command::new(env!("CARGO_BIN_EXE_gridpatrol"))
        .args([
            "demo",
            "--reports",
            "16",
            "--fault-rate",
            "0.3",
            "--seed",
            "7",
            "--json",
        ])
        .output()
        .expect("run gridpatrol demo");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "demo failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    let n = |key: &str| {
        summary[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key} missing in {summary}"))
    };
    assert_eq!(n("captured"), 16.0);
    assert_eq!(n("captured"), n("submitted") + n("rejected_on_device"));
    assert!(n("submitted") > 0.0);
    assert_eq!(n("delivered"), n("submitted"));
    assert_eq!(
        n("platform_reports"),
        n("submitted"),
        "exactly once on the platform"
    );
    assert_eq!(
        n("claims_verified"),
        n("platform_reports"),
        "every report as its phone signed it"
    );
    assert_eq!(n("pending"), 0.0);
    assert_eq!(n("parked"), 0.0);
    assert!(n("seconds") > 0.0);
    assert!(n("duplicates") >= 0.0);
    // The inspectors' patrols: each walked, with its screen-locked gap, and every track on the
    // platform exactly as on the phone; the first fix reached the platform while in signal.
    assert_eq!(n("patrols"), 3.0);
    assert_eq!(n("gaps"), 3.0);
    assert!(n("distance_walked_m") > 300.0, "{summary}");
    assert!(
        n("own_grid_coverage") > 0.0 && n("own_grid_coverage") <= 1.0,
        "{summary}"
    );
    assert_eq!(summary["tracks_delivered_exactly_once"], true, "{summary}");
    assert!(n("fix_to_platform_ms") >= 0.0);
}
