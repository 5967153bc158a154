//! The inter-bank calendar SEPA collections are dated by: TARGET2 business days (no weekends,
//! New Year's Day, Good Friday, Easter Monday, 1 May, 25 and 26 December), as the EPC
//! rulebook's "inter-bank business day" means.

use time::{Date, Duration, Month, Weekday};

/// Easter Sunday of `year` (the anonymous Gregorian algorithm, Meeus/Jones/Butcher).
pub fn easter_sunday(year: i32) -> Option<Date> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    Date::from_calendar_date(year, month, u8::try_from(day).ok()?).ok()
}

/// Whether banks settle SEPA debits on `day`.
pub fn is_business_day(day: Date) -> bool {
    if matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) {
        return false;
    }
    let fixed = matches!(
        (day.month(), day.day()),
        (Month::January, 1) | (Month::May, 1) | (Month::December, 25) | (Month::December, 26)
    );
    if fixed {
        return false;
    }
    match easter_sunday(day.year()) {
        Some(easter) => day != easter - Duration::days(2) && day != easter + Duration::days(1),
        None => true,
    }
}

/// The `count`-th business day after `from` (`from` itself never counts).
pub fn add_business_days(from: Date, count: u32) -> Date {
    let mut day = from;
    let mut left = count;
    while left > 0 {
        day = day.next_day().unwrap_or(day);
        if is_business_day(day) {
            left -= 1;
        }
    }
    day
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn easter_dates_match_the_published_ones() {
        assert_eq!(easter_sunday(2024), Some(date!(2024 - 03 - 31)));
        assert_eq!(easter_sunday(2025), Some(date!(2025 - 04 - 20)));
        assert_eq!(easter_sunday(2026), Some(date!(2026 - 04 - 05)));
        assert_eq!(easter_sunday(2027), Some(date!(2027 - 03 - 28)));
    }

    #[test]
    fn target_holidays_and_weekends_are_skipped() {
        // Good Friday 2026 is April 3, Easter Monday April 6.
        assert!(!is_business_day(date!(2026 - 04 - 03)));
        assert!(!is_business_day(date!(2026 - 04 - 06)));
        assert!(!is_business_day(date!(2026 - 05 - 01)));
        assert!(!is_business_day(date!(2026 - 12 - 26)));
        assert!(is_business_day(date!(2026 - 04 - 07)));
        // Thursday 2 April + 2 business days: Wednesday 8 April (Friday and Monday are
        // holidays).
        assert_eq!(
            add_business_days(date!(2026 - 04 - 02), 2),
            date!(2026 - 04 - 08)
        );
        // Friday + 1: Monday.
        assert_eq!(
            add_business_days(date!(2026 - 11 - 27), 1),
            date!(2026 - 11 - 30)
        );
        // 1 January 2027 (Friday, a holiday) + 2: Tuesday 5 January.
        assert_eq!(
            add_business_days(date!(2027 - 01 - 01), 2),
            date!(2027 - 01 - 05)
        );
    }
}
