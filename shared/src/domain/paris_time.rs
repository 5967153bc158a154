//! Europe/Paris civil time without a tz database: France follows the EU summer-time rule
//! (UTC+2 from the last Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC,
//! UTC+1 otherwise). Invoices are dated the Paris day of the payment, not the UTC day.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset, Weekday};

/// The last Sunday of `month` in `year`, at 01:00 UTC: when EU clocks change.
fn switch_instant(year: i32, month: Month) -> Option<OffsetDateTime> {
    // Only called for March and October, which both have 31 days.
    let last = Date::from_calendar_date(year, month, 31).ok()?;
    let back = last.weekday().number_days_from_sunday();
    let sunday = last - time::Duration::days(i64::from(back));
    debug_assert_eq!(sunday.weekday(), Weekday::Sunday);
    Some(PrimitiveDateTime::new(sunday, Time::from_hms(1, 0, 0).ok()?).assume_utc())
}

/// Paris's offset from UTC at `instant`.
pub fn paris_offset(instant: OffsetDateTime) -> UtcOffset {
    let utc = instant.to_offset(UtcOffset::UTC);
    let year = utc.year();
    let summer = match (
        switch_instant(year, Month::March),
        switch_instant(year, Month::October),
    ) {
        (Some(start), Some(end)) => utc >= start && utc < end,
        // Only out-of-range years can get here; winter time is the safe default.
        _ => false,
    };
    let hours = if summer { 2 } else { 1 };
    UtcOffset::from_hms(hours, 0, 0).unwrap_or(UtcOffset::UTC)
}

/// The instant as Paris wall-clock time.
pub fn to_paris(instant: OffsetDateTime) -> OffsetDateTime {
    instant.to_offset(paris_offset(instant))
}

/// The calendar day in Paris at `instant`.
pub fn paris_date(instant: OffsetDateTime) -> Date {
    to_paris(instant).date()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn switch_days_are_last_sundays() {
        assert_eq!(
            switch_instant(2026, Month::March).unwrap(),
            datetime!(2026-03-29 01:00 UTC)
        );
        assert_eq!(
            switch_instant(2026, Month::October).unwrap(),
            datetime!(2026-10-25 01:00 UTC)
        );
        // 2025: March 30, October 26; 2024: March 31 (a Sunday itself), October 27.
        assert_eq!(
            switch_instant(2024, Month::March).unwrap().date(),
            date!(2024 - 03 - 31)
        );
        assert_eq!(
            switch_instant(2025, Month::October).unwrap().date(),
            date!(2025 - 10 - 26)
        );
    }

    #[test]
    fn spring_forward_at_one_utc() {
        let before = datetime!(2026-03-29 00:59:59 UTC);
        let at = datetime!(2026-03-29 01:00 UTC);
        assert_eq!(paris_offset(before).whole_hours(), 1);
        assert_eq!(paris_offset(at).whole_hours(), 2);
        assert_eq!(to_paris(before).hour(), 1);
        assert_eq!(to_paris(at).hour(), 3);
    }

    #[test]
    fn fall_back_at_one_utc() {
        let before = datetime!(2026-10-25 00:59:59 UTC);
        let at = datetime!(2026-10-25 01:00 UTC);
        assert_eq!(paris_offset(before).whole_hours(), 2);
        assert_eq!(paris_offset(at).whole_hours(), 1);
        assert_eq!(to_paris(before).hour(), 2);
        assert_eq!(to_paris(at).hour(), 2);
    }

    #[test]
    fn late_evening_utc_is_already_tomorrow_in_paris() {
        // Summer: 22:30 UTC is 00:30 the next day.
        assert_eq!(
            paris_date(datetime!(2026-07-14 22:30 UTC)),
            date!(2026 - 07 - 15)
        );
        // Winter: 22:30 UTC is 23:30 the same day, 23:00 UTC is midnight.
        assert_eq!(
            paris_date(datetime!(2026-01-10 22:30 UTC)),
            date!(2026 - 01 - 10)
        );
        assert_eq!(
            paris_date(datetime!(2026-01-10 23:00 UTC)),
            date!(2026 - 01 - 11)
        );
        // New Year's Eve 23:30 UTC belongs to next year's invoice sequence.
        assert_eq!(paris_date(datetime!(2026-12-31 23:30 UTC)).year(), 2027);
    }

    #[test]
    fn offsets_given_in_other_zones_are_honoured() {
        let in_new_york = datetime!(2026-06-01 20:00 -4);
        assert_eq!(paris_date(in_new_york), date!(2026 - 06 - 02));
    }
}
