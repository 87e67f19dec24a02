//! RFC 3339 timestamps in UTC (`2026-11-28T03:22:00.123456789Z`), as CRI log lines and
//! `status.json` carry them: the fraction has at most nine digits and no trailing zeros
//! (Go's `RFC3339Nano`), and is left out when zero.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, formatted.
pub fn now() -> String {
    format(SystemTime::now())
}

/// `at`, formatted; times before 1970 are written as 1970-01-01T00:00:00Z (a clock that
/// far off has nothing useful to say).
pub fn format(at: SystemTime) -> String {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since.as_secs();
    let (days, in_day) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_from_days(days);
    let mut text = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        in_day / 3600,
        in_day / 60 % 60,
        in_day % 60
    );
    let nanos = since.subsec_nanos();
    if nanos != 0 {
        let fraction = format!("{nanos:09}");
        text.push('.');
        text.push_str(fraction.trim_end_matches('0'));
    }
    text.push('Z');
    text
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, for non-negative days).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// Agrees with jiff (what the agent parses these with) across leap years, century
    /// rules, month ends and every fraction length.
    #[test]
    fn matches_jiff_for_many_instants() {
        let mut seconds: u64 = 0;
        let mut nanos: u32 = 0;
        for step in 0..20_000u64 {
            seconds = seconds.wrapping_add(86_399 * 37 + step * 7919) % 8_000_000_000;
            nanos = nanos.wrapping_mul(1_103_515_245).wrapping_add(12_345) % 1_000_000_000;
            let nanos = match step % 4 {
                0 => 0,
                1 => nanos / 1_000_000 * 1_000_000,
                _ => nanos,
            };
            let at = UNIX_EPOCH + Duration::new(seconds, nanos);
            let expected = jiff::Timestamp::new(seconds as i64, nanos as i32)
                .expect("in range")
                .to_string();
            assert_eq!(format(at), expected, "{seconds}.{nanos:09}");
        }
    }

    #[test]
    fn known_dates() {
        assert_eq!(format(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let leap_day = UNIX_EPOCH + Duration::new(951_782_400, 500_000_000);
        assert_eq!(format(leap_day), "2000-02-29T00:00:00.5Z");
        let before = UNIX_EPOCH - Duration::from_secs(1);
        assert_eq!(format(before), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn now_parses_back() {
        let text = now();
        let parsed: jiff::Timestamp = text.parse().expect("RFC 3339");
        assert!(parsed.as_second() > 1_700_000_000, "{text}");
    }
}
