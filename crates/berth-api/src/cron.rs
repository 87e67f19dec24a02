//! Cron schedules as CronJobs write them (upstream parses with robfig/cron's standard
//! parser): five fields — minute, hour, day of month, month, day of week — each `*`, `?`,
//! a number or name (`JAN`, `MON`), a range `a-b`, a step `*/n` / `a-b/n` / `a/n`, or a
//! comma list of those; and the macros `@yearly` (`@annually`), `@monthly`, `@weekly`,
//! `@daily` (`@midnight`), `@hourly`. Times are civil times in the CronJob's time zone.
//!
//! Invariant, as robfig: when both day fields are restricted (neither is `*` / `?`), a day
//! matches if *either* does; otherwise both must.

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScheduleError {
    #[error("expected exactly 5 fields, found {0}: {1}")]
    FieldCount(usize, String),
    #[error("unrecognized descriptor: {0}")]
    Descriptor(String),
    #[error("{field}: {message}")]
    Field {
        field: &'static str,
        message: String,
    },
}

/// A parsed schedule: one bit per allowed value of each field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    minutes: u64,
    hours: u64,
    days: u64,
    months: u64,
    weekdays: u64,
    /// Day of month or day of week written as `*` / `?`.
    any_day: bool,
    any_weekday: bool,
}

struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MINUTE: Field = Field {
    name: "minute",
    min: 0,
    max: 59,
    names: &[],
};
const HOUR: Field = Field {
    name: "hour",
    min: 0,
    max: 23,
    names: &[],
};
const DAY: Field = Field {
    name: "day of month",
    min: 1,
    max: 31,
    names: &[],
};
const MONTH: Field = Field {
    name: "month",
    min: 1,
    max: 12,
    names: &[
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ],
};
const WEEKDAY: Field = Field {
    name: "day of week",
    min: 0,
    max: 7,
    names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
};

impl Field {
    fn error(&self, message: impl Into<String>) -> ScheduleError {
        ScheduleError::Field {
            field: self.name,
            message: message.into(),
        }
    }

    fn value(&self, text: &str) -> Result<u32, ScheduleError> {
        let lower = text.to_ascii_lowercase();
        if let Some(i) = self.names.iter().position(|n| *n == lower) {
            let base = if self.min == 1 { 1 } else { 0 };
            return Ok(u32::try_from(i).unwrap_or(0) + base);
        }
        let n: u32 = text
            .parse()
            .map_err(|_| self.error(format!("failed to parse int from {text}")))?;
        if n < self.min || n > self.max {
            return Err(self.error(format!("{n} out of range ({}-{})", self.min, self.max)));
        }
        Ok(n)
    }

    /// The bits of one field; the flag says it was `*` or `?`.
    fn parse(&self, text: &str) -> Result<(u64, bool), ScheduleError> {
        let mut bits = 0u64;
        let mut star = false;
        for part in text.split(',') {
            let (range, step) = match part.split_once('/') {
                Some((r, s)) => {
                    let step: u32 = s
                        .parse()
                        .map_err(|_| self.error(format!("failed to parse int from {s}")))?;
                    if step == 0 {
                        return Err(self.error("step of range should be a positive number"));
                    }
                    (r, Some(step))
                }
                None => (part, None),
            };
            let (start, end) = if range == "*" || range == "?" {
                if step.is_none() {
                    star = true;
                }
                (self.min, self.max)
            } else if let Some((a, b)) = range.split_once('-') {
                (self.value(a)?, self.value(b)?)
            } else {
                let a = self.value(range)?;
                // `a/n` runs to the end of the field.
                (a, if step.is_some() { self.max } else { a })
            };
            if start > end {
                return Err(self.error(format!(
                    "beginning of range ({start}) beyond end of range ({end})"
                )));
            }
            let step = step.unwrap_or(1);
            let mut v = start;
            while v <= end {
                bits |= 1 << v;
                v += step;
            }
        }
        Ok((bits, star))
    }
}

impl Schedule {
    pub fn parse(text: &str) -> Result<Schedule, ScheduleError> {
        let text = text.trim();
        let expanded = match text {
            "@yearly" | "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" | "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            other if other.starts_with('@') => {
                return Err(ScheduleError::Descriptor(other.to_string()));
            }
            other => other,
        };
        let fields: Vec<&str> = expanded.split_whitespace().collect();
        let [minute, hour, day, month, weekday] = fields.as_slice() else {
            return Err(ScheduleError::FieldCount(fields.len(), text.to_string()));
        };
        let (minutes, _) = MINUTE.parse(minute)?;
        let (hours, _) = HOUR.parse(hour)?;
        let (days, any_day) = DAY.parse(day)?;
        let (months, _) = MONTH.parse(month)?;
        let (mut weekdays, any_weekday) = WEEKDAY.parse(weekday)?;
        // 7 is Sunday too.
        if weekdays & (1 << 7) != 0 {
            weekdays = (weekdays & !(1 << 7)) | 1;
        }
        Ok(Schedule {
            minutes,
            hours,
            days,
            months,
            weekdays,
            any_day,
            any_weekday,
        })
    }

    fn day_matches(&self, t: DateTime) -> bool {
        let day = self.days & (1 << t.day()) != 0;
        let weekday = self.weekdays & (1 << t.weekday().to_sunday_zero_offset()) != 0;
        if self.any_day || self.any_weekday {
            day && weekday
        } else {
            day || weekday
        }
    }

    /// The first scheduled time strictly after `after`, in `tz`; none within five years.
    pub fn next(&self, after: Timestamp, tz: &TimeZone) -> Option<Timestamp> {
        let local = after.to_zoned(tz.clone()).datetime();
        let mut t = local
            .with()
            .second(0)
            .subsec_nanosecond(0)
            .build()
            .ok()?
            .checked_add(1.minute())
            .ok()?;
        let limit = t.year() + 5;
        while t.year() <= limit {
            if self.months & (1 << t.month()) == 0 {
                t = t
                    .first_of_month()
                    .checked_add(1.month())
                    .ok()?
                    .start_of_day();
                continue;
            }
            if !self.day_matches(t) {
                t = t.checked_add(1.day()).ok()?.start_of_day();
                continue;
            }
            if self.hours & (1 << t.hour()) == 0 {
                t = t
                    .with()
                    .minute(0)
                    .build()
                    .ok()?
                    .checked_add(1.hour())
                    .ok()?;
                continue;
            }
            if self.minutes & (1 << t.minute()) == 0 {
                t = t.checked_add(1.minute()).ok()?;
                continue;
            }
            // A civil time skipped by a DST change runs at the first instant after it.
            let at = tz.to_ambiguous_zoned(t).compatible().ok()?.timestamp();
            if at > after {
                return Some(at);
            }
            t = t.checked_add(1.minute()).ok()?;
        }
        None
    }

    /// The latest scheduled time in `(earliest, now]` and how many there were (counting
    /// stops past 100: upstream warns about "too many missed start times" there).
    pub fn most_recent(
        &self,
        earliest: Timestamp,
        now: Timestamp,
        tz: &TimeZone,
    ) -> Option<(Timestamp, usize)> {
        let mut latest = None;
        let mut count = 0;
        let mut t = earliest;
        while let Some(next) = self.next(t, tz).filter(|n| *n <= now) {
            latest = Some(next);
            count += 1;
            t = next;
            if count > 100 {
                // Many missed: find the latest directly, searching back from now.
                for back in [3600, 86_400, 31 * 86_400, 366 * 86_400] {
                    let from = now
                        .checked_sub(jiff::SignedDuration::from_secs(back))
                        .ok()?
                        .max(t);
                    let mut last = None;
                    let mut s = from;
                    while let Some(n) = self.next(s, tz).filter(|n| *n <= now) {
                        last = Some(n);
                        s = n;
                    }
                    if let Some(last) = last {
                        return Some((last, count));
                    }
                }
                return Some((t, count));
            }
        }
        latest.map(|l| (l, count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap_or_default()
    }

    #[test]
    fn fields_ranges_steps_and_names_parse() {
        let s = Schedule::parse("*/15 9-17 * JAN-mar mon-fri").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.minutes, 1 | 1 << 15 | 1 << 30 | 1 << 45);
        assert_eq!(s.months, 0b1110);
        assert_eq!(s.weekdays, 0b111110);
        assert!(Schedule::parse("* * * *").is_err());
        assert!(Schedule::parse("60 * * * *").is_err());
        assert!(Schedule::parse("@every 5m").is_err());
        assert!(Schedule::parse("5/0 * * * *").is_err());
        assert_eq!(Schedule::parse("@hourly"), Schedule::parse("0 * * * *"));
    }

    #[test]
    fn next_runs_follow_the_schedule_and_the_zone() {
        let utc = TimeZone::UTC;
        let every = Schedule::parse("*/1 * * * *").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            every.next(at("2026-01-01T10:00:30Z"), &utc),
            Some(at("2026-01-01T10:01:00Z"))
        );
        let monthly = Schedule::parse("30 2 31 * *").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            monthly.next(at("2026-02-01T00:00:00Z"), &utc),
            Some(at("2026-03-31T02:30:00Z"))
        );
        // Either day field matches when both are restricted: the 13th or any Friday.
        let either = Schedule::parse("0 0 13 * 5").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            either.next(at("2026-01-01T00:00:00Z"), &utc),
            Some(at("2026-01-02T00:00:00Z"))
        );
        let never = Schedule::parse("0 0 30 2 *").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(never.next(at("2026-01-01T00:00:00Z"), &utc), None);
        if let Ok(tokyo) = TimeZone::get("Asia/Tokyo") {
            let nine = Schedule::parse("0 9 * * *").unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                nine.next(at("2026-01-01T00:00:00Z"), &tokyo),
                Some(at("2026-01-02T00:00:00Z"))
            );
        }
    }

    #[test]
    fn the_most_recent_missed_time_is_found() {
        let utc = TimeZone::UTC;
        let every = Schedule::parse("* * * * *").unwrap_or_else(|e| panic!("{e}"));
        let found = every.most_recent(at("2026-01-01T10:00:00Z"), at("2026-01-01T10:03:10Z"), &utc);
        assert_eq!(found, Some((at("2026-01-01T10:03:00Z"), 3)));
        let found = every.most_recent(at("2026-01-01T00:00:00Z"), at("2026-01-03T10:03:10Z"), &utc);
        assert_eq!(found.map(|f| f.0), Some(at("2026-01-03T10:03:00Z")));
        assert_eq!(
            every.most_recent(at("2026-01-01T10:00:00Z"), at("2026-01-01T10:00:30Z"), &utc),
            None
        );
    }
}
