//! Date capabilities of the `utils` agent (agents.md §5.3): ISO-8601 parsing and strftime
//! formatting through chrono.

#[cfg(feature = "std")]
use chrono::Utc;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use serde_json::{json, Value};

use crate::error::permanent;
use crate::input::req_str;

/// Parses RFC 3339 / ISO 8601: with offset, naive date-time (UTC), or a plain date.
fn parse_iso(s: &str) -> Result<DateTime<FixedOffset>, Value> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Ok(d);
    }
    let utc = FixedOffset::east_opt(0).expect("zero offset is valid");
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(n.and_utc().with_timezone(&utc));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc().with_timezone(&utc));
    }
    Err(permanent("INVALID_DATE", alloc::format!("'{s}' is not an ISO-8601 date")))
}

fn format(d: &DateTime<FixedOffset>, fmt: &str) -> Result<Value, Value> {
    use core::fmt::Write;
    let mut out = alloc::string::String::new();
    // chrono reports an invalid specifier as a formatting error.
    write!(out, "{}", d.format(fmt))
        .map_err(|_| permanent("INVALID_FORMAT", alloc::format!("'{fmt}' is not a valid strftime format")))?;
    Ok(Value::String(out))
}

/// `format-date-from-iso`: `{iso_date, target_format (strftime)}` → string.
pub fn format_date_from_iso(input: &Value) -> Result<Value, Value> {
    format(&parse_iso(req_str(input, "iso_date")?)?, req_str(input, "target_format")?)
}

/// `iso-to-unix-timestamp`: `{iso_date}` → seconds since the Unix epoch.
pub fn iso_to_unix_timestamp(input: &Value) -> Result<Value, Value> {
    Ok(json!(parse_iso(req_str(input, "iso_date")?)?.timestamp()))
}

/// `get-current-formatted-datetime`: `{format (strftime)}` → the current UTC time.
#[cfg(feature = "std")]
pub fn get_current_formatted_datetime(input: &Value) -> Result<Value, Value> {
    let now = Utc::now().fixed_offset();
    format(&now, req_str(input, "format")?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        let v = format_date_from_iso(&json!({"iso_date": "2024-03-05T10:20:30Z", "target_format": "%d/%m/%Y %H:%M"}))
            .unwrap();
        assert_eq!(v, json!("05/03/2024 10:20"));
        assert_eq!(iso_to_unix_timestamp(&json!({"iso_date": "1970-01-02"})).unwrap(), json!(86400));
        assert_eq!(
            iso_to_unix_timestamp(&json!({"iso_date": "2024-01-01T01:00:00+01:00"})).unwrap(),
            json!(1704067200)
        );
        assert_eq!(iso_to_unix_timestamp(&json!({"iso_date": "yesterday"})).unwrap_err()["code"], "INVALID_DATE");
    }
}
