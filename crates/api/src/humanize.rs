//! Human-readable durations and sizes, exactly as the Go libraries that `oc` and kubectl use print
//! them: docker/go-units `HumanDuration` and `HumanSize`, and apimachinery's
//! `duration.HumanDuration` (kubectl's AGE column).

/// The largest Go `time.Duration`, in whole seconds: `time.Sub` saturates there, so a zero
/// (year 1) timestamp is this far in the past.
pub const GO_MAX_DURATION_SECONDS: i64 = i64::MAX / 1_000_000_000;

/// docker/go-units `HumanDuration` of `d_seconds` (spec cli §1 "Relative time"): `Less than a
/// second`, `1 second`, `N seconds`, `About a minute`, `N minutes`, `About an hour`, `N hours`,
/// `N days`, `N weeks`, `N months`, `N years`. Callers append `" ago"`.
pub fn go_units_human_duration(d_seconds: i64) -> String {
    let seconds = d_seconds;
    if seconds < 1 {
        return "Less than a second".to_owned();
    }
    if seconds == 1 {
        return "1 second".to_owned();
    }
    if seconds < 60 {
        return format!("{seconds} seconds");
    }
    let minutes = seconds / 60;
    if minutes == 1 {
        return "About a minute".to_owned();
    }
    if minutes < 60 {
        return format!("{minutes} minutes");
    }
    // Go: int(d.Hours() + 0.5), i.e. hours rounded half up.
    let hours = (seconds + 1800) / 3600;
    if hours == 1 {
        return "About an hour".to_owned();
    }
    if hours < 48 {
        return format!("{hours} hours");
    }
    if hours < 24 * 7 * 2 {
        return format!("{} days", hours / 24);
    }
    if hours < 24 * 30 * 2 {
        return format!("{} weeks", hours / 24 / 7);
    }
    if hours < 24 * 365 * 2 {
        return format!("{} months", hours / 24 / 30);
    }
    // Go: int(d.Hours())/24/365, i.e. truncated hours.
    format!("{} years", seconds / 3600 / 24 / 365)
}

/// apimachinery `duration.HumanDuration` of `d_seconds`, the AGE column of kubectl tables
/// (`45s`, `3m4s`, `15m`, `5h2m`, `2d3h`, `20d`, `2y10d`, `9y`). Up to one second in the
/// future counts as `0s`; more is `<invalid>`.
pub fn kubectl_age(d_seconds: i64) -> String {
    let seconds = d_seconds;
    if seconds < -1 {
        return "<invalid>".to_owned();
    }
    if seconds < 0 {
        return "0s".to_owned();
    }
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = seconds / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        return if dy == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{dy}d", hours / 24 / 365)
        };
    }
    format!("{}y", hours / 24 / 365)
}

/// docker/go-units `HumanSize`: decimal (1000) units `B kB MB GB TB PB EB ZB YB`, four
/// significant digits as Go's `%.4g`, no space (`75.79MB`, `1.2kB`, `999B`).
pub fn human_size(bytes: i64) -> String {
    const UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    #[allow(clippy::cast_precision_loss)]
    let mut size = bytes as f64;
    let mut i = 0;
    while size >= 1000.0 && i < UNITS.len() - 1 {
        size /= 1000.0;
        i += 1;
    }
    format!("{}{}", go_format_g(size, 4), UNITS[i])
}

/// Go's `strconv.FormatFloat(f, 'g', prec, 64)` for finite `f` and `prec >= 1`: `prec`
/// significant digits, trailing zeros dropped, exponent form when the exponent is below -4 or
/// at least `prec`.
fn go_format_g(f: f64, prec: usize) -> String {
    if f == 0.0 {
        return "0".to_owned();
    }
    let neg = f < 0.0;
    // Rust's `{:.N e}` rounds the exact binary value correctly, as Go does.
    let sci = format!("{:.*e}", prec - 1, f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    while digits.len() > 1 && digits.ends_with('0') {
        digits.pop();
    }
    let nd = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    let dp = exp + 1; // position of the decimal point relative to the digits
    let prec_i = i32::try_from(prec).unwrap_or(i32::MAX);
    let mut eprec = prec_i;
    if eprec > nd && nd >= dp {
        eprec = nd;
    }
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if exp < -4 || exp >= eprec {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.abs()));
        return out;
    }
    if dp <= 0 {
        out.push_str("0.");
        for _ in 0..(-dp) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let dp_u = usize::try_from(dp).unwrap_or(0);
        if digits.len() <= dp_u {
            out.push_str(&digits);
            for _ in digits.len()..dp_u {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..dp_u]);
            out.push('.');
            out.push_str(&digits[dp_u..]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60;
    const HOUR: i64 = 3600;
    const DAY: i64 = 24 * HOUR;

    #[test]
    fn go_units_duration_table() {
        // spec cli §1 "Relative time" (docker/go-units duration.go)
        let cases: &[(i64, &str)] = &[
            (-5, "Less than a second"),
            (0, "Less than a second"),
            (1, "1 second"),
            (2, "2 seconds"),
            (59, "59 seconds"),
            (60, "About a minute"),
            (119, "About a minute"),
            (120, "2 minutes"),
            (59 * MIN + 59, "59 minutes"),
            (HOUR, "About an hour"),
            (HOUR + 29 * MIN + 59, "About an hour"),
            (HOUR + 30 * MIN, "2 hours"),
            (47 * HOUR + 29 * MIN, "47 hours"),
            (47 * HOUR + 30 * MIN, "2 days"),
            (13 * DAY + 23 * HOUR, "13 days"),
            (14 * DAY, "2 weeks"),
            (59 * DAY + 23 * HOUR, "8 weeks"),
            (60 * DAY, "2 months"),
            (365 * DAY, "12 months"),
            (2 * 365 * DAY - 31 * MIN, "24 months"),
            // Go quirk: rounded hours pick the branch, truncated hours count the years.
            (2 * 365 * DAY - 1, "1 years"),
            (2 * 365 * DAY, "2 years"),
            (10 * 365 * DAY + 5 * DAY, "10 years"),
            (GO_MAX_DURATION_SECONDS, "292 years"),
        ];
        for (d, want) in cases {
            assert_eq!(go_units_human_duration(*d), *want, "d={d}");
        }
    }

    #[test]
    fn kubectl_age_table() {
        // apimachinery pkg/util/duration HumanDuration
        let cases: &[(i64, &str)] = &[
            (-2, "<invalid>"),
            (-1, "0s"),
            (0, "0s"),
            (45, "45s"),
            (119, "119s"),
            (120, "2m"),
            (3 * MIN + 4, "3m4s"),
            (9 * MIN + 59, "9m59s"),
            (10 * MIN + 30, "10m"),
            (179 * MIN, "179m"),
            (3 * HOUR, "3h"),
            (5 * HOUR + 2 * MIN + 9, "5h2m"),
            (7 * HOUR + 59 * MIN, "7h59m"),
            (8 * HOUR + 30 * MIN, "8h"),
            (47 * HOUR, "47h"),
            (2 * DAY, "2d"),
            (2 * DAY + 3 * HOUR, "2d3h"),
            (7 * DAY + 23 * HOUR, "7d23h"),
            (8 * DAY + 5 * HOUR, "8d"),
            (729 * DAY, "729d"),
            (730 * DAY, "2y"),
            (740 * DAY, "2y10d"),
            (8 * 365 * DAY - 1, "7y364d"),
            (9 * 365 * DAY + 100 * DAY, "9y"),
        ];
        for (d, want) in cases {
            assert_eq!(kubectl_age(*d), *want, "d={d}");
        }
    }

    #[test]
    fn human_size_table() {
        // docker/go-units size.go HumanSize: %.4g with decimal units
        let cases: &[(i64, &str)] = &[
            (0, "0B"),
            (1, "1B"),
            (999, "999B"),
            (1000, "1kB"),
            (1200, "1.2kB"),
            (1024, "1.024kB"),
            (12345, "12.35kB"),
            (999_949, "999.9kB"),
            (999_950, "1000kB"),
            (1_000_000, "1MB"),
            (75_790_000, "75.79MB"),
            (75_794_999, "75.79MB"),
            (123_456_789, "123.5MB"),
            (3_000_000_000, "3GB"),
            (1_234_567_890_123, "1.235TB"),
            (i64::MAX, "9.223EB"),
            (-5, "-5B"),
        ];
        for (b, want) in cases {
            assert_eq!(human_size(*b), *want, "bytes={b}");
        }
    }

    #[test]
    fn go_g_format_edges() {
        assert_eq!(go_format_g(0.5, 4), "0.5");
        assert_eq!(go_format_g(0.000_012_34, 4), "1.234e-05");
        assert_eq!(go_format_g(12345.0, 4), "1.234e+04");
        assert_eq!(go_format_g(100_000.0, 4), "1e+05");
        assert_eq!(go_format_g(1000.0, 4), "1000");
        assert_eq!(go_format_g(10.0, 4), "10");
    }
}
