//! What the core's benches share: their argument reading and medians. (A `mod.rs` in a folder
//! of its own, so Cargo does not take it for a bench.)

#![allow(dead_code, reason = "each bench uses only some of these")]

use std::time::Duration;

/// `--name N` from the bench's arguments, or `default`.
pub fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse().unwrap_or_else(|_| panic!("{name} needs a number")))
        .unwrap_or(default)
}

/// The median of timings (sorts them).
pub fn median(samples: &mut [Duration]) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

/// The median of figures (takes them).
pub fn median_f64(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
