//! Period strings as statistical offices publish them (`2023`, `2023-Q1`, `2023M01`, `2023-W05`,
//! `2023-01-15`…) → the first day of the period and its frequency letter (`A`, `S`, `Q`, `M`, `W`,
//! `D`). Pure functions on one string; the raw period is always kept by the caller, this only adds
//! the derived columns. Must not guess: a string it does not recognise gives `None`, never a
//! made-up date.

use chrono::{Datelike, NaiveDate, Weekday};

/// What a period string says: its first day (days since 1970-01-01, Arrow's `Date32`) and its
/// frequency letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodInfo {
    pub start: i32,
    pub freq: &'static str,
}

/// Reads one period string; `None` when it is not one of the known layouts or not a real date.
pub fn parse_period(raw: &str) -> Option<PeriodInfo> {
    let s = raw.trim();
    let b = s.as_bytes();
    if b.len() < 4 || !b[..4].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let year: i32 = s[..4].parse().ok()?;
    let rest = &s[4..];
    if rest.is_empty() {
        return info(ymd(year, 1, 1)?, "A");
    }
    // `YYYY-MM`, `YYYY-MM-DD`, and `YYYY-MM-DDThh:mm…` (a timestamp: its day).
    if let Some(r) = rest.strip_prefix('-')
        && r.len() >= 2
        && r.as_bytes()[..2].iter().all(u8::is_ascii_digit)
    {
        let month = two_digits(&r[..2])?;
        let after = &r[2..];
        if after.is_empty() {
            return info(ymd(year, month, 1)?, "M");
        }
        let day_part = after.strip_prefix('-')?;
        if day_part.len() < 2 || !day_part.as_bytes()[..2].iter().all(u8::is_ascii_digit) {
            return None;
        }
        let day = two_digits(&day_part[..2])?;
        let tail = &day_part[2..];
        if !(tail.is_empty() || tail.starts_with('T') || tail.starts_with(' ')) {
            return None;
        }
        return info(ymd(year, month, day)?, "D");
    }
    // `YYYY-Q1`, `YYYYQ1`, `YYYY-S1`, `YYYY-H1`, `YYYYM01`, `YYYY-M01`, `YYYY-W05`, `YYYYD032`,
    // `YYYY-A1`.
    let r = rest.strip_prefix('-').unwrap_or(rest);
    let mut chars = r.chars();
    let letter = chars.next()?.to_ascii_uppercase();
    let digits = chars.as_str();
    if digits.is_empty() || digits.len() > 3 || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n: u32 = digits.parse().ok()?;
    match letter {
        'A' if n == 1 => info(ymd(year, 1, 1)?, "A"),
        'S' | 'H' if (1..=2).contains(&n) => info(ymd(year, 1 + (n - 1) * 6, 1)?, "S"),
        'Q' if (1..=4).contains(&n) => info(ymd(year, 1 + (n - 1) * 3, 1)?, "Q"),
        'M' if (1..=12).contains(&n) => info(ymd(year, n, 1)?, "M"),
        'W' if n >= 1 => info(NaiveDate::from_isoywd_opt(year, n, Weekday::Mon)?, "W"),
        'D' if n >= 1 => info(NaiveDate::from_yo_opt(year, n)?, "D"),
        _ => None,
    }
}

fn two_digits(s: &str) -> Option<u32> {
    s.parse().ok()
}

fn ymd(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day)
}

fn info(date: NaiveDate, freq: &'static str) -> Option<PeriodInfo> {
    Some(PeriodInfo {
        start: days_since_epoch(date),
        freq,
    })
}

/// Days since 1970-01-01 (Arrow `Date32`).
pub fn days_since_epoch(date: NaiveDate) -> i32 {
    // 719_163 days separate 0001-01-01 (day 1 of the common era) from 1970-01-01.
    date.num_days_from_ce() - 719_163
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(s: &str) -> Option<(NaiveDate, &'static str)> {
        parse_period(s).map(|p| {
            let d =
                NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::Days::new(p.start as u64);
            (d, p.freq)
        })
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn a_year_starts_on_the_first_of_january() {
        assert_eq!(start("2023"), Some((d(2023, 1, 1), "A")));
        assert_eq!(start("2023 "), Some((d(2023, 1, 1), "A")));
        assert_eq!(start("2023-A1"), Some((d(2023, 1, 1), "A")));
    }

    #[test]
    fn semesters_and_halves_start_in_january_or_july() {
        assert_eq!(start("2023-S1"), Some((d(2023, 1, 1), "S")));
        assert_eq!(start("2023S2"), Some((d(2023, 7, 1), "S")));
        assert_eq!(start("2023-H2"), Some((d(2023, 7, 1), "S")));
        assert_eq!(start("2023-S3"), None);
    }

    #[test]
    fn quarters_start_on_their_first_month() {
        assert_eq!(start("2023-Q1"), Some((d(2023, 1, 1), "Q")));
        assert_eq!(start("2023Q4"), Some((d(2023, 10, 1), "Q")));
        assert_eq!(start("2023-Q5"), None);
    }

    #[test]
    fn months_in_both_layouts_start_on_the_first() {
        assert_eq!(start("2023-01"), Some((d(2023, 1, 1), "M")));
        assert_eq!(start("2023M12"), Some((d(2023, 12, 1), "M")));
        assert_eq!(start("2023-M03"), Some((d(2023, 3, 1), "M")));
        assert_eq!(start("2023-13"), None);
        assert_eq!(start("2023M13"), None);
    }

    #[test]
    fn iso_weeks_start_on_their_monday() {
        assert_eq!(start("2023-W05"), Some((d(2023, 1, 30), "W")));
        assert_eq!(start("2020W53"), Some((d(2020, 12, 28), "W")));
        assert_eq!(start("2023-W01"), Some((d(2023, 1, 2), "W")));
        assert_eq!(start("2023-W54"), None);
    }

    #[test]
    fn days_and_day_of_year_are_daily() {
        assert_eq!(start("2023-01-15"), Some((d(2023, 1, 15), "D")));
        assert_eq!(start("2023D032"), Some((d(2023, 2, 1), "D")));
        assert_eq!(start("2024-02-30"), None);
        assert_eq!(
            start("2024-03-01T10:00:00+00:00"),
            Some((d(2024, 3, 1), "D"))
        );
    }

    #[test]
    fn unknown_layouts_give_nothing_rather_than_a_guess() {
        for s in [
            "",
            "20",
            "abcd",
            "2023-X1",
            "2023/01",
            "2023-1",
            "TOTAL",
            "2023-01-1",
        ] {
            assert_eq!(parse_period(s), None, "{s}");
        }
    }

    #[test]
    fn the_epoch_is_day_zero() {
        assert_eq!(days_since_epoch(d(1970, 1, 1)), 0);
        assert_eq!(days_since_epoch(d(2023, 1, 1)), 19_358);
    }
}
