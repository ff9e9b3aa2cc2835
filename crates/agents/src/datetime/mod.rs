//! The `datetime` agent (agents.md §5.3, 9 capabilities): calendar arithmetic, rounding and
//! Luxon-style formatting in IANA time zones with jiff (its bundled tz database — half the
//! size of chrono-tz's — compiled in, so firmware has it too). Dates are ISO 8601 strings (a
//! time without an offset is wall time in `timezone`) or unix milliseconds; results are ISO
//! strings as Luxon's `toISO()`. `timezone` defaults to UTC. Wall times that a DST change
//! skips move forward, ambiguous ones take the earlier instant (Luxon's and Temporal's
//! "compatible" rule). Without `date`, "now" is used — hosted targets only.

use alloc::format;

use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp, Unit as JiffUnit, Zoned};
use serde_json::{json, Value};

use crate::error::{invalid_input, permanent};
use crate::input::{bool_or, field, opt_i64, opt_str, str_or};

mod tokens;

use tokens::{format_tokens, iso, iso_date, iso_time};

/// The `timezone` field. Errors: `INVALID_TIMEZONE` for a name the tz database lacks.
fn zone(input: &Value) -> Result<TimeZone, Value> {
    match opt_str(input, "timezone")? {
        None => Ok(TimeZone::UTC),
        Some(name) => TimeZone::get(name).map_err(|_| {
            permanent("INVALID_TIMEZONE", format!("unknown time zone '{name}'; use an IANA name such as Europe/Berlin"))
        }),
    }
}

fn now() -> Result<Timestamp, Value> {
    #[cfg(feature = "std")]
    return Ok(Timestamp::now());
    #[cfg(not(feature = "std"))]
    Err(invalid_input("this target has no clock: give the date"))
}

fn out_of_range() -> Value {
    permanent("DATE_OUT_OF_RANGE", "the result is out of the supported date range (years -9999 to 9999)")
}

/// Parses field `name` in `tz`. Errors: `INVALID_DATE`.
fn date_field(input: &Value, name: &str, tz: &TimeZone) -> Result<Zoned, Value> {
    let bad = |s: &dyn core::fmt::Display| {
        permanent("INVALID_DATE", format!("'{name}' {s} is not an ISO-8601 date or unix milliseconds"))
    };
    match field(input, name) {
        None => Ok(now()?.to_zoned(tz.clone())),
        Some(Value::Number(n)) => n
            .as_i64()
            .and_then(|ms| Timestamp::from_millisecond(ms).ok())
            .map(|t| t.to_zoned(tz.clone()))
            .ok_or_else(|| bad(n)),
        Some(Value::String(s)) => match parse(s.trim(), tz) {
            Some(Some(d)) => Ok(d),
            Some(None) => Err(out_of_range()),
            None => Err(bad(s)),
        },
        Some(other) => Err(bad(other)),
    }
}

/// An instant with an offset (`…Z`, `…+02:00`), or a wall time / date in `tz`: `None` when
/// `s` is no date, `Some(None)` for a date outside jiff's range (about years ±9999).
fn parse(s: &str, tz: &TimeZone) -> Option<Option<Zoned>> {
    if let Ok(t) = s.parse::<Timestamp>() {
        return Some(Some(t.to_zoned(tz.clone())));
    }
    let midnight = |d: Date| d.to_datetime(jiff::civil::Time::midnight());
    let wall = s.parse::<DateTime>().ok().or_else(|| s.parse::<Date>().ok().map(midnight))?;
    Some(wall.to_zoned(tz.clone()).ok())
}

/// `get-current-date`: `{includeTime?, timezone?}` → now as an ISO string in `timezone`, or
/// only `yyyy-MM-dd` when `includeTime` is false. Hosted targets.
pub fn get_current_date(input: &Value) -> Result<Value, Value> {
    let d = now()?.to_zoned(zone(input)?);
    Ok(Value::String(if bool_or(input, "includeTime", true)? { iso(&d) } else { iso_date(&d) }))
}

/// `format-date`: `{date?, format?, customFormat?, timezone?}` → the date in `timezone` as
/// `format`: `iso` (default), `isoDate`, `isoTime`, `rfc2822`, `http`, `sql`, `custom` (the
/// Luxon tokens of `customFormat`, e.g. `dd.MM.yyyy HH:mm`), or Luxon tokens given directly.
/// Errors: `INVALID_DATE`, `INVALID_TIMEZONE`, an unknown token.
pub fn format_date(input: &Value) -> Result<Value, Value> {
    let d = date_field(input, "date", &zone(input)?)?;
    let rfc = jiff::fmt::rfc2822::DateTimePrinter::new();
    let out = match str_or(input, "format", "iso")? {
        "iso" => iso(&d),
        "isoDate" => iso_date(&d),
        "isoTime" => format!("{}{}", iso_time(&d), tokens::offset(&d, true, false)),
        "rfc2822" => rfc.zoned_to_string(&d).map_err(|_| out_of_range())?,
        "http" => rfc.timestamp_to_rfc9110_string(&d.timestamp()).map_err(|_| out_of_range())?,
        "sql" => format!("{} {}{}", iso_date(&d), iso_time(&d), tokens::offset(&d, true, false)),
        "custom" => format_tokens(&d, str_or(input, "customFormat", "")?)?,
        tokens => format_tokens(&d, tokens)?,
    };
    Ok(Value::String(out))
}

/// Calendar units, plural as the catalogue lists them (a singular form is accepted too).
#[derive(Clone, Copy, PartialEq)]
enum Unit {
    Years,
    Quarters,
    Months,
    Weeks,
    Days,
    BusinessDays,
    Hours,
    Minutes,
    Seconds,
    Milliseconds,
}

fn unit(input: &Value, default: &str) -> Result<Unit, Value> {
    let name = str_or(input, "unit", default)?;
    Ok(match name.trim_end_matches('s') {
        "year" => Unit::Years,
        "quarter" => Unit::Quarters,
        "month" => Unit::Months,
        "week" => Unit::Weeks,
        "day" => Unit::Days,
        "businessDay" => Unit::BusinessDays,
        "hour" => Unit::Hours,
        "minute" => Unit::Minutes,
        "second" => Unit::Seconds,
        "millisecond" => Unit::Milliseconds,
        _ => return Err(invalid_input(format!(
            "unknown unit '{name}'; use years, quarters, months, weeks, days, businessDays, hours, minutes, seconds or milliseconds"
        ))),
    })
}

/// `d` moved by `amount` `unit`s: calendar units keep the wall time (the day clamped to the
/// month's end), business days skip Saturdays and Sundays, time units are exact durations
/// (jiff's zoned arithmetic). `None` out of range.
fn shift(d: &Zoned, amount: i64, unit: Unit) -> Option<Zoned> {
    let span = match unit {
        Unit::Years => Span::new().try_years(amount),
        Unit::Quarters => Span::new().try_months(amount.checked_mul(3)?),
        Unit::Months => Span::new().try_months(amount),
        Unit::Weeks => Span::new().try_weeks(amount),
        Unit::Days => Span::new().try_days(amount),
        Unit::BusinessDays => return business_days(d, amount),
        Unit::Hours => Span::new().try_hours(amount),
        Unit::Minutes => Span::new().try_minutes(amount),
        Unit::Seconds => Span::new().try_seconds(amount),
        Unit::Milliseconds => Span::new().try_milliseconds(amount),
    };
    d.checked_add(span.ok()?).ok()
}

fn is_weekend(d: &Zoned) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

fn business_days(d: &Zoned, amount: i64) -> Option<Zoned> {
    let step = Span::new().days(amount.signum());
    let mut d = d.clone();
    for _ in 0..amount.unsigned_abs().min(1_000_000) {
        d = d.checked_add(step).ok()?;
        while is_weekend(&d) {
            d = d.checked_add(step).ok()?;
        }
    }
    Some(d)
}

fn add(input: &Value, sign: i64) -> Result<Value, Value> {
    let d = date_field(input, "date", &zone(input)?)?;
    let amount = opt_i64(input, "amount")?.unwrap_or(0);
    let unit = unit(input, "days")?;
    amount.checked_mul(sign).and_then(|a| shift(&d, a, unit)).map(|d| Value::String(iso(&d))).ok_or_else(out_of_range)
}

/// `add-to-date`: `{date?, amount?, unit?, timezone?}` → the date `amount` (default 0)
/// `unit`s (default `days`) later, as an ISO string in `timezone`. Errors: `INVALID_DATE`,
/// `INVALID_TIMEZONE`, an unknown unit, `DATE_OUT_OF_RANGE`.
pub fn add_to_date(input: &Value) -> Result<Value, Value> {
    add(input, 1)
}

/// `subtract-from-date`: as [`add_to_date`], `amount` units earlier.
pub fn subtract_from_date(input: &Value) -> Result<Value, Value> {
    add(input, -1)
}

/// `get-time-between`: `{startDate, endDate, unit?}` → `{difference, unit, exactMs}`:
/// `exactMs` = end − start in milliseconds; `difference` in `unit` (default `milliseconds`):
/// whole calendar months / quarters / years (toward zero), weekdays for `businessDays`, else
/// the exact fraction. Errors: `INVALID_DATE`, an unknown unit.
pub fn get_time_between(input: &Value) -> Result<Value, Value> {
    let start = date_field(input, "startDate", &TimeZone::UTC)?;
    let end = date_field(input, "endDate", &TimeZone::UTC)?;
    let unit_name = str_or(input, "unit", "milliseconds")?;
    let ms = end.timestamp().as_millisecond() - start.timestamp().as_millisecond();
    // Whole calendar units toward zero (jiff truncates the rest).
    let whole = |largest: JiffUnit| start.until((largest, &end)).map_err(|_| out_of_range());
    let per = |unit_ms: f64| Value::from(ms as f64 / unit_ms);
    let difference = match unit(input, "milliseconds")? {
        Unit::Years => Value::from(whole(JiffUnit::Year)?.get_years()),
        Unit::Quarters => Value::from(whole(JiffUnit::Month)?.get_months() / 3),
        Unit::Months => Value::from(whole(JiffUnit::Month)?.get_months()),
        Unit::BusinessDays => Value::from(weekdays_between(start.date(), end.date())),
        Unit::Weeks => per(604_800_000.0),
        Unit::Days => per(86_400_000.0),
        Unit::Hours => per(3_600_000.0),
        Unit::Minutes => per(60_000.0),
        Unit::Seconds => per(1_000.0),
        Unit::Milliseconds => Value::from(ms),
    };
    Ok(json!({"difference": difference, "unit": unit_name, "exactMs": ms}))
}

/// Weekdays from `a` (inclusive) to `b` (exclusive); negative when `b` is earlier.
fn weekdays_between(a: Date, b: Date) -> i64 {
    let (lo, hi, sign) = if a <= b { (a, b, 1) } else { (b, a, -1) };
    let days = i64::from(lo.until((JiffUnit::Day, hi)).map_or(0, |s| s.get_days()));
    let (weeks, rest) = (days / 7, days % 7);
    let start = i64::from(lo.weekday().to_monday_zero_offset());
    let extra = (0..rest).filter(|i| (start + i) % 7 < 5).count() as i64;
    sign * (weeks * 5 + extra)
}

/// `extract-date-part`: `{date?, part?, timezone?}` → the integer `part` (default `year`) of
/// the date in `timezone`: `year`, `quarter`, `month` (1–12), `week` (ISO), `day`,
/// `dayOfWeek` (1 = Monday … 7), `dayOfYear`, `hour`, `minute`, `second`, `millisecond`.
/// Errors: `INVALID_DATE`, `INVALID_TIMEZONE`, an unknown part.
pub fn extract_date_part(input: &Value) -> Result<Value, Value> {
    let d = date_field(input, "date", &zone(input)?)?;
    let part = str_or(input, "part", "year")?;
    let v: i64 = match part {
        "year" => d.year().into(),
        "quarter" => ((d.month() - 1) / 3 + 1).into(),
        "month" => d.month().into(),
        "week" => d.date().iso_week_date().week().into(),
        "day" => d.day().into(),
        "dayOfWeek" => d.weekday().to_monday_one_offset().into(),
        "dayOfYear" => d.day_of_year().into(),
        "hour" => d.hour().into(),
        "minute" => d.minute().into(),
        "second" => d.second().into(),
        "millisecond" => d.millisecond().into(),
        other => return Err(invalid_input(format!("unknown part '{other}'"))),
    };
    Ok(Value::from(v))
}

/// The start of the `unit` period holding wall time `local` (weeks start on Monday).
fn floor(local: DateTime, unit: Unit) -> DateTime {
    let day = local.date();
    let midnight = |d: Date| d.to_datetime(jiff::civil::Time::midnight());
    let first_of = |month: i8| midnight(Date::new(day.year(), month, 1).unwrap_or(day));
    let (h, m, s) = (local.hour(), local.minute(), local.second());
    let at = |h, m, s| day.to_datetime(jiff::civil::Time::new(h, m, s, 0).unwrap_or(jiff::civil::Time::midnight()));
    match unit {
        Unit::Years => first_of(1),
        Unit::Quarters => first_of((day.month() - 1) / 3 * 3 + 1),
        Unit::Months => first_of(day.month()),
        Unit::Weeks => {
            midnight(day.checked_sub(Span::new().days(day.weekday().to_monday_zero_offset())).unwrap_or(day))
        }
        Unit::Days | Unit::BusinessDays => midnight(day),
        Unit::Hours => at(h, 0, 0),
        Unit::Minutes => at(h, m, 0),
        Unit::Seconds => at(h, m, s),
        Unit::Milliseconds => local,
    }
}

/// `round-date`: `{date?, unit?, mode?, timezone?}` → the date rounded to the `unit` (default
/// `days`) period in `timezone`: `floor` (default, its start), `ceil` (the next start unless
/// already on one), `round` (the nearer; halfway rounds up). Errors: as [`add_to_date`].
pub fn round_date(input: &Value) -> Result<Value, Value> {
    let tz = zone(input)?;
    let d = date_field(input, "date", &tz)?;
    let unit = unit(input, "days")?;
    let down = floor(d.datetime(), unit).to_zoned(tz).map_err(|_| out_of_range())?;
    let next = || shift(&down, 1, unit).ok_or_else(out_of_range);
    let ms = |z: &Zoned| z.timestamp().as_millisecond();
    let rounded = match str_or(input, "mode", "floor")? {
        "floor" => down,
        "ceil" if ms(&down) == ms(&d) => down,
        "ceil" => next()?,
        "round" => {
            let up = next()?;
            if ms(&d) - ms(&down) >= ms(&up) - ms(&d) {
                up
            } else {
                down
            }
        }
        other => return Err(invalid_input(format!("unknown mode '{other}'; use floor, ceil or round"))),
    };
    Ok(Value::String(iso(&rounded)))
}

/// `date-to-unix`: `{date?, milliseconds?}` → `{timestamp, isMilliseconds}`: unix seconds
/// (floored), or milliseconds when asked. Errors: `INVALID_DATE`.
pub fn date_to_unix(input: &Value) -> Result<Value, Value> {
    let t = date_field(input, "date", &TimeZone::UTC)?.timestamp();
    let ms = bool_or(input, "milliseconds", false)?;
    Ok(json!({"timestamp": if ms { t.as_millisecond() } else { t.as_second() }, "isMilliseconds": ms}))
}

/// `unix-to-date`: `{timestamp, isMilliseconds?, timezone?}` → the ISO string of unix
/// seconds (or milliseconds) `timestamp` in `timezone`. Errors: a missing or out-of-range
/// timestamp, `INVALID_TIMEZONE`.
pub fn unix_to_date(input: &Value) -> Result<Value, Value> {
    let tz = zone(input)?;
    let t = opt_i64(input, "timestamp")?.ok_or_else(|| invalid_input("missing integer field 'timestamp'"))?;
    let ms = if bool_or(input, "isMilliseconds", false)? { Some(t) } else { t.checked_mul(1000) };
    let d = ms
        .and_then(|ms| Timestamp::from_millisecond(ms).ok())
        .ok_or_else(|| permanent("DATE_OUT_OF_RANGE", format!("timestamp {t} is out of range")))?;
    Ok(Value::String(iso(&d.to_zoned(tz))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_arithmetic_and_tokens() {
        let add = |v: Value| add_to_date(&v).unwrap();
        // Over the spring-forward night in Berlin a day keeps the wall time: 23 hours.
        assert_eq!(
            add(json!({"date": "2024-03-30T12:00:00", "amount": 1, "timezone": "Europe/Berlin"})),
            "2024-03-31T12:00:00.000+02:00"
        );
        assert_eq!(add(json!({"date": "2024-01-31", "amount": 1, "unit": "months"})), "2024-02-29T00:00:00.000Z");
        assert_eq!(
            add(json!({"date": "2024-03-08T09:00:00Z", "amount": 3, "unit": "businessDays"})),
            "2024-03-13T09:00:00.000Z"
        );
        let f = format_date(
            &json!({"date": "2024-03-05T10:20:30Z", "format": "EEEE d MMMM yyyy, HH:mm 'Uhr' ZZ", "timezone": "Europe/Berlin"}),
        );
        assert_eq!(f.unwrap(), "Tuesday 5 March 2024, 11:20 Uhr +01:00");
        assert_eq!(zone(&json!({"timezone": "Mars/Olympus"})).unwrap_err()["code"], "INVALID_TIMEZONE");
        let r = round_date(&json!({"date": "2024-03-05T10:20:30Z", "unit": "hours", "mode": "round"}));
        assert_eq!(r.unwrap(), "2024-03-05T10:00:00.000Z");
        let between = get_time_between(&json!({"startDate": "2024-01-31", "endDate": "2024-03-30", "unit": "months"}));
        assert_eq!(between.unwrap()["difference"], 1);
    }
}
