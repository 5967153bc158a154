//! Europe/Paris civil time from the IANA time-zone database: jiff's `get!` embeds that one
//! zone's rules at compile time, so no tzdata is needed at run time (Lambda's provided.al2023
//! image has none) and the rules are the database's, not ours (France followed other ones
//! before 1996). Invoices are dated the Paris day of the payment, not the UTC day.

use jiff::tz::TimeZone;
use time::{Date, OffsetDateTime, UtcOffset};

static PARIS: TimeZone = jiff::tz::get!("Europe/Paris");

/// Paris's offset from UTC at `instant`.
pub fn paris_offset(instant: OffsetDateTime) -> UtcOffset {
    let seconds = jiff::Timestamp::from_second(instant.unix_timestamp())
        .map(|at| PARIS.to_offset(at).seconds())
        // Outside jiff's range (years beyond ±9999): winter time, as good as any.
        .unwrap_or(3600);
    UtcOffset::from_whole_seconds(seconds).unwrap_or(UtcOffset::UTC)
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
    fn clocks_change_on_the_last_sundays_of_march_and_october() {
        // 2026: 29 March and 25 October; 2024: 31 March (a Sunday itself); 2025: 26 October.
        for (before, after, hours) in [
            (
                datetime!(2026-03-29 00:59:59 UTC),
                datetime!(2026-03-29 01:00 UTC),
                (1, 2),
            ),
            (
                datetime!(2026-10-25 00:59:59 UTC),
                datetime!(2026-10-25 01:00 UTC),
                (2, 1),
            ),
            (
                datetime!(2024-03-31 00:59:59 UTC),
                datetime!(2024-03-31 01:00 UTC),
                (1, 2),
            ),
            (
                datetime!(2025-10-26 00:59:59 UTC),
                datetime!(2025-10-26 01:00 UTC),
                (2, 1),
            ),
        ] {
            let got = (
                paris_offset(before).whole_hours(),
                paris_offset(after).whole_hours(),
            );
            assert_eq!(got, hours, "{before}");
        }
    }

    #[test]
    fn the_database_knows_rules_a_hand_written_one_did_not() {
        // Until 1995 summer time ended on the last Sunday of September: 24 September 1995.
        assert_eq!(
            paris_offset(datetime!(1995-10-10 12:00 UTC)).whole_hours(),
            1
        );
        assert_eq!(
            paris_offset(datetime!(1995-09-20 12:00 UTC)).whole_hours(),
            2
        );
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
