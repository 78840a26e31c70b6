//! Per-registry request budgets: a token bucket shared by every caller, a pause after `429`,
//! and parsing of `Retry-After` and `RateLimit-*` headers.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use reqwest::header::HeaderMap;

/// What a registry said about its rate limits in its last response that carried the headers
/// (`RateLimit-Limit`/`-Remaining`/`-Reset`, Docker Hub's `ratelimit-limit: 100;w=21600`, or
/// the structured `RateLimit: limit=…, remaining=…, reset=…`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimitInfo {
    /// Requests allowed in the window.
    pub limit: Option<u64>,
    /// Requests left in the window.
    pub remaining: Option<u64>,
    /// Time until the window resets.
    pub reset: Option<Duration>,
    /// The window length (`;w=` parameter).
    pub window: Option<Duration>,
    /// When the headers were seen.
    pub observed_at: SystemTime,
}

impl RateLimitInfo {
    /// A short description for messages, e.g. `limit 100 per 21600s, 0 remaining`; `None`
    /// when the registry gave neither a limit nor a remaining count.
    pub fn describe(&self) -> Option<String> {
        let mut parts = Vec::new();
        match (self.limit, self.window) {
            (Some(l), Some(w)) => parts.push(format!("limit {l} per {}s", w.as_secs())),
            (Some(l), None) => parts.push(format!("limit {l}")),
            _ => {}
        }
        if let Some(r) = self.remaining {
            parts.push(format!("{r} remaining"));
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

/// How long a `429` answer asks to wait: `Retry-After`, else the `RateLimit-Reset` of the
/// rate-limit headers.
pub(crate) fn retry_after_429(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    parse_retry_after(headers, now).or_else(|| parse_rate_limit(headers, now)?.reset)
}

/// Leading unsigned integer of a header value such as `76;w=21600`.
fn leading_u64(v: &str) -> Option<u64> {
    let digits: String = v.trim().chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The `w=` parameter of a header value such as `100;w=21600`.
fn window_param(v: &str) -> Option<u64> {
    v.split(';')
        .skip(1)
        .filter_map(|p| p.trim().strip_prefix("w="))
        .find_map(leading_u64)
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Rate-limit information from response headers, if any were present.
pub(crate) fn parse_rate_limit(headers: &HeaderMap, now: SystemTime) -> Option<RateLimitInfo> {
    let mut info = RateLimitInfo {
        limit: None,
        remaining: None,
        reset: None,
        window: None,
        observed_at: now,
    };
    if let Some(v) = header_str(headers, "ratelimit-limit") {
        info.limit = leading_u64(v);
        info.window = window_param(v).map(Duration::from_secs);
    }
    if let Some(v) = header_str(headers, "ratelimit-remaining") {
        info.remaining = leading_u64(v);
        if info.window.is_none() {
            info.window = window_param(v).map(Duration::from_secs);
        }
    }
    if let Some(v) = header_str(headers, "ratelimit-reset") {
        info.reset = leading_u64(v).map(Duration::from_secs);
    }
    if let Some(v) = header_str(headers, "ratelimit") {
        for part in v.split([',', ';']) {
            let Some((k, val)) = part.trim().split_once('=') else {
                continue;
            };
            let n = leading_u64(val);
            match k.trim() {
                "limit" | "l" => info.limit = info.limit.or(n),
                "remaining" | "r" => info.remaining = info.remaining.or(n),
                "reset" | "t" => info.reset = info.reset.or(n.map(Duration::from_secs)),
                _ => {}
            }
        }
    }
    if info.limit.is_none() && info.remaining.is_none() && info.reset.is_none() {
        return None;
    }
    Some(info)
}

/// `Retry-After` as a duration: delta-seconds or an HTTP date (past dates give zero).
pub(crate) fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let v = header_str(headers, "retry-after")?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A token bucket with an optional pause, shared by every request to one registry.
#[derive(Debug)]
pub(crate) struct Budget {
    state: Mutex<BucketState>,
    rate: f64,
    burst: f64,
}

#[derive(Debug)]
struct BucketState {
    tokens: f64,
    last: Instant,
    paused_until: Option<Instant>,
}

/// Why [`Budget::acquire`] gave up.
#[derive(Debug)]
pub(crate) struct PausedTooLong(pub Duration);

impl Budget {
    /// A bucket refilled at `rate` tokens per second holding at most `burst` tokens.
    /// A non-positive rate means "unlimited".
    pub fn new(rate: f64, burst: u32) -> Self {
        let burst = f64::from(burst.max(1));
        Budget {
            state: Mutex::new(BucketState {
                tokens: burst,
                last: Instant::now(),
                paused_until: None,
            }),
            rate,
            burst,
        }
    }

    /// Pause every caller until `until` (after a `429`); an earlier pause is never shortened.
    pub fn pause_until(&self, until: Instant) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if s.paused_until.is_none_or(|p| p < until) {
            s.paused_until = Some(until);
        }
    }

    /// Take one token, waiting for the bucket to refill and for any pause to end. A pause
    /// longer than `max_pause` from now fails at once with the remaining pause.
    pub async fn acquire(&self, max_pause: Duration) -> Result<(), PausedTooLong> {
        loop {
            let wait = {
                let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
                let now = Instant::now();
                match s.paused_until {
                    Some(until) if until > now => {
                        let left = until - now;
                        if left > max_pause {
                            return Err(PausedTooLong(left));
                        }
                        Some(left)
                    }
                    _ => {
                        s.paused_until = None;
                        if self.rate <= 0.0 {
                            return Ok(());
                        }
                        let elapsed = now.duration_since(s.last).as_secs_f64();
                        s.tokens = (s.tokens + elapsed * self.rate).min(self.burst);
                        s.last = now;
                        if s.tokens >= 1.0 {
                            s.tokens -= 1.0;
                            return Ok(());
                        }
                        Some(Duration::from_secs_f64((1.0 - s.tokens) / self.rate))
                    }
                }
            };
            if let Some(wait) = wait {
                tokio::time::sleep(wait).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    /// Issue 5: a `429` without `Retry-After` falls back to `RateLimit-Reset`, and the
    /// headers are described for the tag's condition.
    #[test]
    fn retry_after_of_a_429_and_descriptions() {
        let now = SystemTime::now();
        let h = headers(&[("retry-after", "7"), ("ratelimit-reset", "60")]);
        assert_eq!(retry_after_429(&h, now), Some(Duration::from_secs(7)));
        let h = headers(&[
            ("ratelimit-limit", "100;w=21600"),
            ("ratelimit-remaining", "0"),
            ("ratelimit-reset", "60"),
        ]);
        assert_eq!(retry_after_429(&h, now), Some(Duration::from_secs(60)));
        let info = parse_rate_limit(&h, now).unwrap();
        assert_eq!(
            info.describe().as_deref(),
            Some("limit 100 per 21600s, 0 remaining")
        );
        assert_eq!(retry_after_429(&headers(&[]), now), None);
        let h = headers(&[("ratelimit-reset", "5")]);
        assert_eq!(parse_rate_limit(&h, now).unwrap().describe(), None);
    }

    #[test]
    fn docker_hub_rate_limit_headers() {
        let now = SystemTime::now();
        let h = headers(&[
            ("ratelimit-limit", "100;w=21600"),
            ("ratelimit-remaining", "76;w=21600"),
        ]);
        let info = parse_rate_limit(&h, now).unwrap();
        assert_eq!(info.limit, Some(100));
        assert_eq!(info.remaining, Some(76));
        assert_eq!(info.window, Some(Duration::from_secs(21600)));
        assert_eq!(info.reset, None);
        let h = headers(&[("RateLimit", "limit=10, remaining=0, reset=7")]);
        let info = parse_rate_limit(&h, now).unwrap();
        assert_eq!(
            (info.limit, info.remaining, info.reset),
            (Some(10), Some(0), Some(Duration::from_secs(7)))
        );
        assert!(parse_rate_limit(&HeaderMap::new(), now).is_none());
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(
            parse_retry_after(&headers(&[("retry-after", "7")]), now),
            Some(Duration::from_secs(7))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(
            parse_retry_after(&headers(&[("retry-after", &later)]), now),
            Some(Duration::from_secs(90))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(90));
        assert_eq!(
            parse_retry_after(&headers(&[("retry-after", &earlier)]), now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after(&headers(&[("retry-after", "soon")]), now),
            None
        );
    }

    #[tokio::test]
    async fn bucket_refills_at_rate() {
        let b = Budget::new(10.0, 2);
        let start = Instant::now();
        for _ in 0..4 {
            b.acquire(Duration::from_secs(1)).await.unwrap();
        }
        // Two from the burst, two more at 10/s.
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(190), "{elapsed:?}");
    }

    #[tokio::test]
    async fn long_pause_fails_fast() {
        let b = Budget::new(0.0, 1);
        b.pause_until(Instant::now() + Duration::from_secs(3600));
        let err = b.acquire(Duration::from_secs(5)).await.unwrap_err();
        assert!(err.0 > Duration::from_secs(3500));
    }
}
