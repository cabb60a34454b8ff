//! The device's clock offset to the platform, learned from every answer.
//!
//! Owns one number: device clock minus platform clock (ms), taken from the HTTP `Date` header
//! of each answer (1 s resolution, which the tolerance of `CapturePolicy::clock_skew_s` dwarfs),
//! kept in memory during a run, stored in `meta` (`sync.clock_offset_ms`) at its end, and sent
//! with every report upload (`CLOCK_OFFSET_HEADER`) so the platform can flag a report from a
//! wrong clock instead of refusing it. It does not correct any stored time: reports keep the
//! times the phone recorded.

use std::sync::Mutex;

use rusqlite::Connection;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

use super::outbox;
use crate::client::now_ms;
use crate::{Client, Result};

const KEY_CLOCK_OFFSET: &str = "sync.clock_offset_ms";

/// The learned offset; `None` until an answer carried a `Date`.
#[derive(Debug, Default)]
pub(crate) struct DeviceClock {
    /// (offset now, offset stored)
    offset: Mutex<(Option<i64>, Option<i64>)>,
}

impl DeviceClock {
    pub(crate) fn load(conn: &Connection) -> Result<DeviceClock> {
        let stored = outbox::meta_get(conn, KEY_CLOCK_OFFSET)?.and_then(|v| v.parse().ok());
        Ok(DeviceClock {
            offset: Mutex::new((stored, stored)),
        })
    }

    pub(crate) fn offset_ms(&self) -> Option<i64> {
        self.offset.lock().unwrap_or_else(|p| p.into_inner()).0
    }

    /// Learns from one answer's `Date` header (ignored when absent or unparsable).
    pub(crate) fn learn(&self, response: &reqwest::Response) {
        let Some(platform_ms) = response
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_http_date_ms)
        else {
            return;
        };
        // The Date is truncated to the second: the platform's clock is on average 0.5 s later.
        let offset = now_ms() - (platform_ms + 500);
        self.offset.lock().unwrap_or_else(|p| p.into_inner()).0 = Some(offset);
    }

    /// Stores the offset when it moved by more than a second since it was last stored.
    pub(crate) fn persist(&self, client: &Client) -> Result<()> {
        let mut offset = self.offset.lock().unwrap_or_else(|p| p.into_inner());
        let (Some(now), stored) = *offset else {
            return Ok(());
        };
        if stored.is_some_and(|s| (s - now).abs() <= 1000) {
            return Ok(());
        }
        client
            .store()
            .write(|tx| outbox::meta_set(tx, KEY_CLOCK_OFFSET, &now.to_string()))?;
        offset.1 = Some(now);
        Ok(())
    }
}

/// An HTTP date (IMF-fixdate, `Wed, 02 Dec 2026 04:04:25 GMT`) as Unix ms.
pub(crate) fn parse_http_date_ms(text: &str) -> Option<i64> {
    let at = OffsetDateTime::parse(text.trim(), &Rfc2822).ok()?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_parse() {
        assert_eq!(
            parse_http_date_ms("Wed, 02 Dec 2026 04:04:25 GMT"),
            Some(1_796_184_265_000)
        );
        assert_eq!(parse_http_date_ms("yesterday"), None);
    }
}
