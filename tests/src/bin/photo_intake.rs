//! The child of `tests/tests/hostile_media.rs`: one photo intake in a fresh process, so that
//! its peak memory can be measured alone.
//!
//! Usage: `photo_intake <data-dir> <draft-id> <photo-path>`. Reads the file through the core's
//! bounded reader, adds it to the draft and prints two lines: `accepted <sha256>` or
//! `refused <media error code>`, then `vmhwm_kb <peak resident set in kB>` from
//! `/proc/self/status`. Any other failure panics (exit 101).

use gridpatrol_core::capture::PhotoKind;
use gridpatrol_core::media::read_photo_file;
use gridpatrol_core::{Client, Error};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, data, draft, photo] = args.as_slice() else {
        panic!("usage: photo_intake <data-dir> <draft-id> <photo-path>");
    };
    let client = Client::open(data).expect("open the data directory");
    let outcome = read_photo_file(photo.as_ref(), client.photos().config())
        .map_err(Error::Photo)
        .and_then(|bytes| client.add_photo(draft, &bytes, PhotoKind::Evidence));
    match outcome {
        Ok(added) => println!("accepted {}", added.sha256),
        Err(Error::Photo(refused)) => println!("refused {}", refused.code()),
        Err(other) => panic!("not a photo refusal: {other}"),
    }
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let peak = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .expect("VmHWM in /proc/self/status");
    println!("vmhwm_kb {peak}");
}
