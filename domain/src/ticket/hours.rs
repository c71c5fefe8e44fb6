//! Business hours of a support department, and the time that passes inside them.
//!
//! A response time counts only the time the department is open: a question asked on Friday at
//! 16:30 and answered on Monday at 09:30, with hours 09:00 to 17:00 on weekdays, waited one hour.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::TicketError;

/// A day of the week, as in JSON: `mon` to `sun`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weekday {
    /// Monday.
    Mon,
    /// Tuesday.
    Tue,
    /// Wednesday.
    Wed,
    /// Thursday.
    Thu,
    /// Friday.
    Fri,
    /// Saturday.
    Sat,
    /// Sunday.
    Sun,
}

impl Weekday {
    fn of(date: NaiveDate) -> Weekday {
        match date.weekday() {
            chrono::Weekday::Mon => Weekday::Mon,
            chrono::Weekday::Tue => Weekday::Tue,
            chrono::Weekday::Wed => Weekday::Wed,
            chrono::Weekday::Thu => Weekday::Thu,
            chrono::Weekday::Fri => Weekday::Fri,
            chrono::Weekday::Sat => Weekday::Sat,
            chrono::Weekday::Sun => Weekday::Sun,
        }
    }
}

/// A time of day as minutes after midnight, `00:00` to `24:00` (the end of the day), written
/// `HH:MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClockTime(u16);

impl ClockTime {
    /// The end of the day, `24:00`.
    pub const END_OF_DAY: ClockTime = ClockTime(24 * 60);

    /// Minutes after midnight.
    pub fn minutes(self) -> u16 {
        self.0
    }
}

impl FromStr for ClockTime {
    type Err = TicketError;

    fn from_str(text: &str) -> Result<ClockTime, TicketError> {
        let invalid = || TicketError::InvalidBusinessHours(format!("{text:?} is not HH:MM"));
        let (hours, minutes) = text.split_once(':').ok_or_else(invalid)?;
        if hours.len() != 2 || minutes.len() != 2 {
            return Err(invalid());
        }
        let hours: u16 = hours.parse().map_err(|_| invalid())?;
        let minutes: u16 = minutes.parse().map_err(|_| invalid())?;
        if minutes >= 60 || hours > 24 || (hours == 24 && minutes != 0) {
            return Err(invalid());
        }
        Ok(ClockTime(hours * 60 + minutes))
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl Serialize for ClockTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ClockTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ClockTime, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A time zone of the IANA database, such as `Europe/Berlin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(chrono_tz::Tz);

impl Zone {
    /// UTC.
    pub const UTC: Zone = Zone(chrono_tz::Tz::UTC);

    /// The zone's IANA name.
    pub fn name(&self) -> &'static str {
        self.0.name()
    }
}

impl FromStr for Zone {
    type Err = TicketError;

    fn from_str(text: &str) -> Result<Zone, TicketError> {
        text.parse::<chrono_tz::Tz>().map(Zone).map_err(|_| {
            TicketError::InvalidBusinessHours(format!(
                "{text:?} is not a time zone such as Europe/Berlin"
            ))
        })
    }
}

impl Serialize for Zone {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Zone {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Zone, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The hours of one weekday: open from `open` until `close` (half-open), local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayHours {
    /// The weekday.
    pub day: Weekday,
    /// When the department opens.
    pub open: ClockTime,
    /// When it closes; after `open`.
    pub close: ClockTime,
}

/// When a department answers tickets: at most one span per weekday, in a time zone. A day
/// without a span is closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessHours {
    /// The zone the hours are in (daylight saving time moves them with the clock on the wall).
    pub time_zone: Zone,
    /// The open days, in weekday order.
    pub days: Vec<DayHours>,
}

impl BusinessHours {
    /// Every hour of every day, in UTC: what a department without hours is held to.
    pub fn always() -> BusinessHours {
        let all = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ];
        BusinessHours {
            time_zone: Zone::UTC,
            days: all
                .into_iter()
                .map(|day| DayHours {
                    day,
                    open: ClockTime(0),
                    close: ClockTime::END_OF_DAY,
                })
                .collect(),
        }
    }

    /// Checks the spans (each closes after it opens, one per weekday) and sorts them.
    pub fn checked(mut self) -> Result<BusinessHours, TicketError> {
        self.days.sort_by_key(|d| d.day);
        for pair in self.days.windows(2) {
            if let [a, b] = pair
                && a.day == b.day
            {
                return Err(TicketError::InvalidBusinessHours(format!(
                    "{:?} is given twice",
                    a.day
                )));
            }
        }
        if let Some(bad) = self.days.iter().find(|d| d.close <= d.open) {
            return Err(TicketError::InvalidBusinessHours(format!(
                "{:?} closes at {} before it opens at {}",
                bad.day, bad.close, bad.open
            )));
        }
        Ok(self)
    }

    /// The instant of local `time` on `date` in the zone. A time skipped by a daylight saving
    /// change is moved past the gap; a repeated one takes its first occurrence.
    fn instant(&self, date: NaiveDate, time: ClockTime) -> Option<DateTime<Utc>> {
        let local =
            NaiveDateTime::new(date, NaiveTime::MIN) + Duration::minutes(i64::from(time.minutes()));
        let zone = self.time_zone.0;
        zone.from_local_datetime(&local)
            .earliest()
            .or_else(|| {
                zone.from_local_datetime(&(local + Duration::hours(1)))
                    .earliest()
            })
            .map(|at| at.with_timezone(&Utc))
    }

    /// How much of `[from, to)` falls inside the business hours, in whole seconds. Zero when
    /// `to` is not after `from`.
    pub fn seconds_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        if to <= from {
            return 0;
        }
        let zone = self.time_zone.0;
        // Local dates around the span: a day's hours in local time may start the UTC day before.
        let first = from.with_timezone(&zone).date_naive() - Duration::days(1);
        let last = to.with_timezone(&zone).date_naive() + Duration::days(1);
        let mut total = 0i64;
        let mut date = first;
        while date <= last {
            let weekday = Weekday::of(date);
            for span in self.days.iter().filter(|d| d.day == weekday) {
                if let (Some(open), Some(close)) = (
                    self.instant(date, span.open),
                    self.instant(date, span.close),
                ) {
                    let start = open.max(from);
                    let end = close.min(to);
                    if end > start {
                        total += (end - start).num_seconds();
                    }
                }
            }
            let Some(next) = date.succ_opt() else { break };
            date = next;
        }
        total
    }
}
