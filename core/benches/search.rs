//! Event-list search on every keystroke: how long one query takes on the bundled list
//! (264 subtypes, 645 problems, pinyin keys), against the 16.7 ms a 60 Hz frame allows.
//!
//! `cargo bench -p gridpatrol-core --bench search`. Prints per-query medians and the share of a
//! frame; assumes an old phone is ~8× slower than this machine's core, and prints that too.

use std::time::Instant;

use gridpatrol_core::taxonomy::{EventList, Role};

const FRAME_NS: f64 = 16_700_000.0;
const OLD_PHONE_SLOWDOWN: f64 = 8.0;

fn main() {
    let build = Instant::now();
    let list = EventList::from_json(EventList::bundled_json()).expect("bundled list verifies");
    let load_ms = build.elapsed().as_secs_f64() * 1e3;
    // What an inspector types, keystroke by keystroke.
    let queries = [
        "j",
        "jg",
        "jing",
        "jinggai",
        "井",
        "井盖",
        "m",
        "man",
        "manhole",
        "飞线",
        "fxcd",
        "群租",
        "fire lane",
        "油烟",
        "ldbl",
        "电动车 充电",
        "独居老人",
        "zzzz",
    ];
    let mut medians = Vec::new();
    for query in queries {
        let mut samples: Vec<u128> = (0..201)
            .map(|_| {
                let start = Instant::now();
                let hits = list.search(query, Some(Role::Inspector), 20);
                std::hint::black_box(hits);
                start.elapsed().as_nanos()
            })
            .collect();
        samples.sort_unstable();
        medians.push((query, samples[samples.len() / 2]));
    }
    println!("event list load + verify + index: {load_ms:.1} ms");
    println!(
        "{:<14} {:>10} {:>14} {:>18}",
        "query", "median µs", "frame share", "old-phone share"
    );
    let mut worst = 0.0_f64;
    for (query, ns) in &medians {
        let share = *ns as f64 / FRAME_NS;
        worst = worst.max(share);
        println!(
            "{:<14} {:>10.1} {:>13.3}× {:>17.3}×",
            query,
            *ns as f64 / 1e3,
            share,
            share * OLD_PHONE_SLOWDOWN
        );
    }
    let verdict = if worst * OLD_PHONE_SLOWDOWN < 0.25 {
        "PASS"
    } else {
        "FAIL"
    };
    println!(
        "worst query: {worst:.4}× of a frame here, {:.3}× on an old phone (target < 0.25×): {verdict}",
        worst * OLD_PHONE_SLOWDOWN
    );
    if verdict == "FAIL" {
        std::process::exit(1);
    }
}
