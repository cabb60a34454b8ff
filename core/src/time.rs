//! The wall clock in the one unit the store, the wire and the platform use: Unix milliseconds.
//!
//! Owns `now_ms` only. It does not own durations (those are `std::time::Duration`) nor any
//! clock-skew rule (the sync engine and the platform decide what a skewed clock means).

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in Unix milliseconds. A clock set before 1970 reads as 0 rather than failing: a phone
/// with a broken clock must still be able to save a draft.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| i64::try_from(since.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_system_clock_in_milliseconds() {
        let before = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("the test machine's clock is after 1970")
            .as_millis() as i64;
        let now = now_ms();
        let after = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("the test machine's clock is after 1970")
            .as_millis() as i64;
        assert!((before..=after).contains(&now), "{before} <= {now} <= {after}");
    }
}
