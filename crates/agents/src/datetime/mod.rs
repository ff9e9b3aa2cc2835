//! The `datetime` agent (agents.md §5.3, 9 capabilities): calendar arithmetic, rounding and
//! Luxon-style formatting in IANA time zones (chrono + chrono-tz, the tz database compiled
//! in, so firmware has it too). Dates are ISO 8601 strings (a time without an offset is wall
//! time in `timezone`) or unix milliseconds; results are ISO strings as Luxon's `toISO()`.
//! `timezone` defaults to UTC. Without `date`, "now" is used — hosted targets only.

use alloc::format;
use alloc::string::ToString;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Weekday};
use chrono_tz::Tz;
use serde_json::{json, Value};

use crate::error::{invalid_input, permanent};
use crate::input::{bool_or, field, opt_i64, opt_str, str_or};

mod tokens;

use tokens::{format_tokens, iso, resolve};

/// The `timezone` field. Errors: `INVALID_TIMEZONE` for a name the tz database lacks.
fn zone(input: &Value) -> Result<Tz, Value> {
    match opt_str(input, "timezone")? {
        None => Ok(Tz::UTC),
        Some(name) => name.parse::<Tz>().map_err(|_| {
            permanent("INVALID_TIMEZONE", format!("unknown time zone '{name}'; use an IANA name such as Europe/Berlin"))
        }),
    }
}

fn now() -> Result<DateTime<chrono::Utc>, Value> {
    #[cfg(feature = "std")]
    return Ok(chrono::Utc::now());
    #[cfg(not(feature = "std"))]
    Err(invalid_input("this target has no clock: give the date"))
}

/// Parses field `name` in `tz`. Errors: `INVALID_DATE`.
fn date_field(input: &Value, name: &str, tz: Tz) -> Result<DateTime<Tz>, Value> {
    let bad = |s: &dyn core::fmt::Display| {
        permanent("INVALID_DATE", format!("'{name}' {s} is not an ISO-8601 date or unix milliseconds"))
    };
    match field(input, name) {
        None => Ok(now()?.with_timezone(&tz)),
        Some(Value::Number(n)) => {
            n.as_i64().and_then(DateTime::from_timestamp_millis).map(|d| d.with_timezone(&tz)).ok_or_else(|| bad(n))
        }
        Some(Value::String(s)) => parse(s.trim(), tz).ok_or_else(|| bad(s)),
        Some(other) => Err(bad(other)),
    }
}

fn parse(s: &str, tz: Tz) -> Option<DateTime<Tz>> {
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&tz));
    }
    if let Ok(d) = DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Some(d.with_timezone(&tz));
    }
    let naive = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .or_else(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().map(|d| d.and_time(NaiveTime::MIN)))?;
    resolve(tz, naive)
}

/// `get-current-date`: `{includeTime?, timezone?}` → now as an ISO string in `timezone`, or
/// only `yyyy-MM-dd` when `includeTime` is false. Hosted targets.
pub fn get_current_date(input: &Value) -> Result<Value, Value> {
    let d = now()?.with_timezone(&zone(input)?);
    Ok(Value::String(if bool_or(input, "includeTime", true)? { iso(&d) } else { d.format("%Y-%m-%d").to_string() }))
}

/// `format-date`: `{date?, format?, customFormat?, timezone?}` → the date in `timezone` as
/// `format`: `iso` (default), `isoDate`, `isoTime`, `rfc2822`, `http`, `sql`, `custom` (the
/// Luxon tokens of `customFormat`, e.g. `dd.MM.yyyy HH:mm`), or Luxon tokens given directly.
/// Errors: `INVALID_DATE`, `INVALID_TIMEZONE`, an unknown token.
pub fn format_date(input: &Value) -> Result<Value, Value> {
    let d = date_field(input, "date", zone(input)?)?;
    let out = match str_or(input, "format", "iso")? {
        "iso" => iso(&d),
        "isoDate" => d.format("%Y-%m-%d").to_string(),
        "isoTime" => format!("{}{}", d.format("%H:%M:%S%.3f"), tokens::offset(&d, true, false)),
        "rfc2822" => d.to_rfc2822(),
        "http" => d.with_timezone(&chrono::Utc).format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
        "sql" => format!("{} {}", d.format("%Y-%m-%d %H:%M:%S%.3f"), tokens::offset(&d, true, false)),
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
/// month's end), business days skip Saturdays and Sundays, time units are exact durations.
fn shift(d: DateTime<Tz>, amount: i64, unit: Unit) -> Option<DateTime<Tz>> {
    let local = d.naive_local();
    let months = |n: i64| {
        let n = i32::try_from(n).ok()?;
        let m = chrono::Months::new(n.unsigned_abs());
        if n >= 0 {
            local.checked_add_months(m)
        } else {
            local.checked_sub_months(m)
        }
    };
    let wall = match unit {
        Unit::Years => months(amount.checked_mul(12)?)?,
        Unit::Quarters => months(amount.checked_mul(3)?)?,
        Unit::Months => months(amount)?,
        Unit::Weeks => local.checked_add_signed(Duration::try_days(amount.checked_mul(7)?)?)?,
        Unit::Days => local.checked_add_signed(Duration::try_days(amount)?)?,
        Unit::BusinessDays => business_days(local, amount)?,
        Unit::Hours => return d.checked_add_signed(Duration::try_hours(amount)?),
        Unit::Minutes => return d.checked_add_signed(Duration::try_minutes(amount)?),
        Unit::Seconds => return d.checked_add_signed(Duration::try_seconds(amount)?),
        Unit::Milliseconds => return d.checked_add_signed(Duration::try_milliseconds(amount)?),
    };
    resolve(d.timezone(), wall)
}

fn business_days(mut local: NaiveDateTime, amount: i64) -> Option<NaiveDateTime> {
    let step = Duration::days(amount.signum());
    for _ in 0..amount.unsigned_abs().min(1_000_000) {
        local = local.checked_add_signed(step)?;
        while matches!(local.weekday(), Weekday::Sat | Weekday::Sun) {
            local = local.checked_add_signed(step)?;
        }
    }
    Some(local)
}

fn add(input: &Value, sign: i64) -> Result<Value, Value> {
    let d = date_field(input, "date", zone(input)?)?;
    let amount = opt_i64(input, "amount")?.unwrap_or(0);
    let unit = unit(input, "days")?;
    amount
        .checked_mul(sign)
        .and_then(|a| shift(d, a, unit))
        .map(|d| Value::String(iso(&d)))
        .ok_or_else(|| permanent("DATE_OUT_OF_RANGE", "the result is out of the supported date range"))
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
    let start = date_field(input, "startDate", Tz::UTC)?;
    let end = date_field(input, "endDate", Tz::UTC)?;
    let unit_name = str_or(input, "unit", "milliseconds")?;
    let ms = (end - start).num_milliseconds();
    let months = || {
        let (a, b) = (start.naive_utc(), end.naive_utc());
        let mut m = i64::from(b.year() - a.year()) * 12 + i64::from(b.month()) - i64::from(a.month());
        let day_time = |d: NaiveDateTime| (d.day(), d.time());
        if m > 0 && day_time(b) < day_time(a) {
            m -= 1;
        } else if m < 0 && day_time(b) > day_time(a) {
            m += 1;
        }
        m
    };
    let per = |unit_ms: f64| Value::from(ms as f64 / unit_ms);
    let difference = match unit(input, "milliseconds")? {
        Unit::Years => Value::from(months() / 12),
        Unit::Quarters => Value::from(months() / 3),
        Unit::Months => Value::from(months()),
        Unit::BusinessDays => Value::from(weekdays_between(start.date_naive(), end.date_naive())),
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
fn weekdays_between(a: NaiveDate, b: NaiveDate) -> i64 {
    let (lo, hi, sign) = if a <= b { (a, b, 1) } else { (b, a, -1) };
    let days = (hi - lo).num_days();
    let (weeks, rest) = (days / 7, days % 7);
    let start = i64::from(lo.weekday().num_days_from_monday());
    let extra = (0..rest).filter(|i| (start + i) % 7 < 5).count() as i64;
    sign * (weeks * 5 + extra)
}

/// `extract-date-part`: `{date?, part?, timezone?}` → the integer `part` (default `year`) of
/// the date in `timezone`: `year`, `quarter`, `month` (1–12), `week` (ISO), `day`,
/// `dayOfWeek` (1 = Monday … 7), `dayOfYear`, `hour`, `minute`, `second`, `millisecond`.
/// Errors: `INVALID_DATE`, `INVALID_TIMEZONE`, an unknown part.
pub fn extract_date_part(input: &Value) -> Result<Value, Value> {
    let d = date_field(input, "date", zone(input)?)?;
    let part = str_or(input, "part", "year")?;
    let v: i64 = match part {
        "year" => d.year().into(),
        "quarter" => (d.month0() / 3 + 1).into(),
        "month" => d.month().into(),
        "week" => d.iso_week().week().into(),
        "day" => d.day().into(),
        "dayOfWeek" => d.weekday().number_from_monday().into(),
        "dayOfYear" => d.ordinal().into(),
        "hour" => d.hour().into(),
        "minute" => d.minute().into(),
        "second" => d.second().into(),
        "millisecond" => d.timestamp_subsec_millis().into(),
        other => return Err(invalid_input(format!("unknown part '{other}'"))),
    };
    Ok(Value::from(v))
}

/// The start of the `unit` period holding `local` (weeks start on Monday).
fn floor(local: NaiveDateTime, unit: Unit) -> NaiveDateTime {
    let day = local.date();
    let midnight = |d: NaiveDate| d.and_time(NaiveTime::MIN);
    let first_of = |month: u32| midnight(NaiveDate::from_ymd_opt(day.year(), month, 1).unwrap_or(day));
    let t = local.time();
    match unit {
        Unit::Years => first_of(1),
        Unit::Quarters => first_of(day.month0() / 3 * 3 + 1),
        Unit::Months => first_of(day.month()),
        Unit::Weeks => midnight(day - Duration::days(day.weekday().num_days_from_monday().into())),
        Unit::Days | Unit::BusinessDays => midnight(day),
        Unit::Hours => day.and_hms_opt(t.hour(), 0, 0).unwrap_or(local),
        Unit::Minutes => day.and_hms_opt(t.hour(), t.minute(), 0).unwrap_or(local),
        Unit::Seconds => day.and_hms_opt(t.hour(), t.minute(), t.second()).unwrap_or(local),
        Unit::Milliseconds => local,
    }
}

/// `round-date`: `{date?, unit?, mode?, timezone?}` → the date rounded to the `unit` (default
/// `days`) period in `timezone`: `floor` (default, its start), `ceil` (the next start unless
/// already on one), `round` (the nearer; halfway rounds up). Errors: as [`add_to_date`].
pub fn round_date(input: &Value) -> Result<Value, Value> {
    let tz = zone(input)?;
    let d = date_field(input, "date", tz)?;
    let unit = unit(input, "days")?;
    let local = d.naive_local();
    let down = floor(local, unit);
    let out_of_range = || permanent("DATE_OUT_OF_RANGE", "the result is out of the supported date range");
    let next = || resolve(tz, down).and_then(|s| shift(s, 1, unit)).map(|n| n.naive_local()).ok_or_else(out_of_range);
    let wall = match str_or(input, "mode", "floor")? {
        "floor" => down,
        "ceil" if down == local => down,
        "ceil" => next()?,
        "round" => {
            let up = next()?;
            if local - down >= up - local {
                up
            } else {
                down
            }
        }
        other => return Err(invalid_input(format!("unknown mode '{other}'; use floor, ceil or round"))),
    };
    resolve(tz, wall).map(|d| Value::String(iso(&d))).ok_or_else(out_of_range)
}

/// `date-to-unix`: `{date?, milliseconds?}` → `{timestamp, isMilliseconds}`: unix seconds
/// (floored), or milliseconds when asked. Errors: `INVALID_DATE`.
pub fn date_to_unix(input: &Value) -> Result<Value, Value> {
    let d = date_field(input, "date", Tz::UTC)?;
    let ms = bool_or(input, "milliseconds", false)?;
    Ok(json!({"timestamp": if ms { d.timestamp_millis() } else { d.timestamp() }, "isMilliseconds": ms}))
}

/// `unix-to-date`: `{timestamp, isMilliseconds?, timezone?}` → the ISO string of unix
/// seconds (or milliseconds) `timestamp` in `timezone`. Errors: a missing or out-of-range
/// timestamp, `INVALID_TIMEZONE`.
pub fn unix_to_date(input: &Value) -> Result<Value, Value> {
    let tz = zone(input)?;
    let t = opt_i64(input, "timestamp")?.ok_or_else(|| invalid_input("missing integer field 'timestamp'"))?;
    let ms = if bool_or(input, "isMilliseconds", false)? { Some(t) } else { t.checked_mul(1000) };
    let d = ms
        .and_then(DateTime::from_timestamp_millis)
        .ok_or_else(|| permanent("DATE_OUT_OF_RANGE", format!("timestamp {t} is out of range")))?;
    Ok(Value::String(iso(&d.with_timezone(&tz))))
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
