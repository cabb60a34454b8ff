//! Storage faults as scripts see them (issue 12): a lost store and a damaged grid package are
//! named with their own codes in the JSON, never an empty queue with exit 0 nor a bare
//! "stream did not contain valid UTF-8".

use std::io::Cursor;
use std::process::{Command, Output};

use gridpatrol_core::Client;
use gridpatrol_core::capture::{PhotoKind, Reporter};
use gridpatrol_core::taxonomy::Role;

fn gridpatrol(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gridpatrol"))
        .args(args)
        .output()
        .expect("run gridpatrol")
}

fn json_of(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn jpeg() -> Vec<u8> {
    let image = image::RgbImage::from_fn(800, 600, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x ^ y) % 239) as u8])
    });
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut Cursor::new(&mut bytes), 85)
        .encode_image(&image)
        .expect("encode JPEG");
    bytes
}

#[test]
fn a_store_truncated_to_zero_is_store_corrupt_not_an_empty_queue() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("device");
    {
        let client = Client::open(&data).expect("open");
        let reporter = Reporter {
            reporter_id: "w1".into(),
            role: Role::Inspector,
            grid_ids: Vec::new(),
        };
        let draft = client.create_draft(reporter, None).expect("draft");
        client
            .add_photo(&draft.id, &jpeg(), PhotoKind::Evidence)
            .expect("photo");
    }
    std::fs::File::create(data.join("gridpatrol.sqlite3")).expect("truncate");
    let data = data.to_str().expect("utf-8 path");
    let output = gridpatrol(&["client", "--data", data, "queue", "--json"]);
    assert_eq!(output.status.code(), Some(1));
    let error = json_of(&output);
    assert_eq!(error["code"], "store_corrupt", "{error}");
    assert!(
        error["quarantined"]
            .as_str()
            .is_some_and(|q| q.contains("quarantine")),
        "{error}"
    );

    // Said once; then a fresh, empty store.
    let output = gridpatrol(&["client", "--data", data, "queue", "--json"]);
    assert!(output.status.success());
    assert_eq!(json_of(&output), serde_json::json!([]));
}

#[test]
fn a_binary_grid_package_does_not_stop_the_queue() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("device");
    std::fs::create_dir_all(&data).expect("dir");
    std::fs::write(data.join("grids.geojson"), [0xffu8, 0x00, 0xfe, 0x81]).expect("damage");
    let output = gridpatrol(&[
        "client",
        "--data",
        data.to_str().expect("utf-8"),
        "queue",
        "--json",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert_eq!(json_of(&output), serde_json::json!([]));
    let warning = String::from_utf8_lossy(&output.stderr);
    assert!(
        warning.contains("side_file_damaged") && warning.contains("grids.geojson"),
        "{warning}"
    );
    assert!(
        !data.join("grids.geojson").exists(),
        "the damaged file was set aside"
    );
}
