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
    assert_eq!(n("pending"), 0.0);
    assert_eq!(n("parked"), 0.0);
    assert!(n("seconds") > 0.0);
    assert!(n("duplicates") >= 0.0);
}
