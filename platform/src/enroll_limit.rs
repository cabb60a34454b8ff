//! Limits on enrollment attempts, against guessing codes.
//!
//! Owns the in-memory counts of refused enrollments (wrong, used or expired code) per source
//! address and in total, in fixed windows of [`EnrollmentLimits::window`]. Once either count
//! reaches its limit, every enrollment from that address (or every one at all) is answered 429
//! `enrollment_rate_limited` with `Retry-After` until the window ends, right code or not, so a
//! guesser learns nothing more. IPv6 addresses count per /64 (one host usually holds a whole
//! /64). Memory stays bounded: at most `max_addresses` addresses are tracked; when the table is
//! full of live windows a new address counts only towards the total. The counts restart with the
//! platform. It does not check codes (`auth` and `workers` do).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::problem::{ApiError, ApiResult};

/// How many refused enrollments are tolerated per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnrollmentLimits {
    /// Refused attempts from one source address (IPv6: one /64).
    pub per_address: u32,
    /// Refused attempts from everywhere together.
    pub total: u32,
    pub window: Duration,
    /// Source addresses tracked at once.
    pub max_addresses: usize,
}

impl Default for EnrollmentLimits {
    fn default() -> Self {
        Self {
            per_address: 10,
            total: 200,
            window: Duration::from_secs(600),
            max_addresses: 10_000,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    refused: u32,
}

impl Window {
    fn new(now: Instant) -> Self {
        Self {
            started: now,
            refused: 0,
        }
    }

    /// Restarts the window when it has ended.
    fn current(&mut self, now: Instant, length: Duration) -> &mut Self {
        if now.duration_since(self.started) >= length {
            *self = Window::new(now);
        }
        self
    }

    fn retry_after(&self, now: Instant, length: Duration) -> u64 {
        let left = length.saturating_sub(now.duration_since(self.started));
        left.as_secs() + u64::from(left.subsec_nanos() > 0)
    }
}

#[derive(Debug)]
struct Counts {
    total: Window,
    by_address: HashMap<IpAddr, Window>,
}

/// The counts of one platform.
#[derive(Debug)]
pub(crate) struct EnrollLimiter {
    limits: EnrollmentLimits,
    counts: Mutex<Counts>,
}

/// The key an address counts under: IPv4 as is (also when mapped into IPv6), IPv6 by /64.
fn key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        },
    }
}

impl EnrollLimiter {
    pub fn new(limits: EnrollmentLimits) -> Self {
        Self {
            limits,
            counts: Mutex::new(Counts {
                total: Window::new(Instant::now()),
                by_address: HashMap::new(),
            }),
        }
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// 429 `enrollment_rate_limited` (with `Retry-After`) while `address` or everyone is over
    /// the limit of refused attempts. `None`: the address is unknown (in-process router).
    pub fn check(&self, address: Option<IpAddr>) -> ApiResult<()> {
        let now = Instant::now();
        let length = self.limits.window;
        let mut counts = self.counts();
        let total = *counts.total.current(now, length);
        if total.refused >= self.limits.total {
            tracing::warn!("enrollment refused: too many refused attempts in total");
            return Err(limited(total.retry_after(now, length)));
        }
        if let Some(window) = address.and_then(|a| counts.by_address.get_mut(&key(a))) {
            let window = *window.current(now, length);
            if window.refused >= self.limits.per_address {
                tracing::warn!("enrollment refused: too many refused attempts from one address");
                return Err(limited(window.retry_after(now, length)));
            }
        }
        Ok(())
    }

    /// Counts a refused attempt from `address`.
    pub fn refused(&self, address: Option<IpAddr>) {
        let now = Instant::now();
        let length = self.limits.window;
        let max = self.limits.max_addresses;
        let mut counts = self.counts();
        let total = counts.total.current(now, length);
        total.refused = total.refused.saturating_add(1);
        let Some(address) = address.map(key) else {
            return;
        };
        if !counts.by_address.contains_key(&address) && counts.by_address.len() >= max {
            counts
                .by_address
                .retain(|_, w| now.duration_since(w.started) < length);
            if counts.by_address.len() >= max {
                return;
            }
        }
        let window = counts
            .by_address
            .entry(address)
            .or_insert_with(|| Window::new(now))
            .current(now, length);
        window.refused = window.refused.saturating_add(1);
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.counts().by_address.len()
    }
}

fn limited(retry_after_s: u64) -> ApiError {
    let retry_after_s = retry_after_s.max(1);
    ApiError::new(
        axum::http::StatusCode::TOO_MANY_REQUESTS,
        "enrollment_rate_limited",
        "Too many requests",
        "Too many refused enrollment attempts; wait before trying again",
    )
    .with("retry_after_s", retry_after_s)
    .header(axum::http::header::RETRY_AFTER, retry_after_s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_address: u32, total: u32) -> EnrollmentLimits {
        EnrollmentLimits {
            per_address,
            total,
            window: Duration::from_secs(60),
            max_addresses: 3,
        }
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().expect("an address"))
    }

    #[test]
    fn an_address_over_its_limit_waits_and_others_do_not() {
        let limiter = EnrollLimiter::new(limits(2, 100));
        for _ in 0..2 {
            limiter.check(ip("10.0.0.1")).expect("under the limit");
            limiter.refused(ip("10.0.0.1"));
        }
        let refused = limiter.check(ip("10.0.0.1")).expect_err("over the limit");
        assert_eq!(
            (refused.status.as_u16(), refused.code),
            (429, "enrollment_rate_limited")
        );
        assert!(
            refused.body()["retry_after_s"]
                .as_u64()
                .is_some_and(|s| (1..=60).contains(&s))
        );
        limiter
            .check(ip("10.0.0.2"))
            .expect("another address is not limited");
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        let limiter = EnrollLimiter::new(limits(1, 100));
        limiter.refused(ip("2001:db8:1:2::1"));
        assert!(limiter.check(ip("2001:db8:1:2:ffff::9")).is_err());
        limiter.check(ip("2001:db8:1:3::1")).expect("another /64");
        limiter.refused(ip("::ffff:10.0.0.7"));
        assert!(limiter.check(ip("10.0.0.7")).is_err());
    }

    #[test]
    fn the_total_limit_holds_whatever_the_address_and_memory_stays_bounded() {
        let limiter = EnrollLimiter::new(limits(100, 5));
        for i in 0..5 {
            limiter.refused(ip(&format!("10.0.1.{i}")));
        }
        assert!(limiter.tracked() <= 3, "at most max_addresses tracked");
        assert!(limiter.check(ip("10.9.9.9")).is_err());
        assert!(limiter.check(None).is_err());
    }
}
