//! Luxon's format tokens (moment.github.io/luxon "Table of tokens") over jiff: `yyyy-MM-dd
//! HH:mm:ss`, `EEEE d MMMM`, `'literal text'`, offsets `Z`/`ZZ`/`ZZZ`/`ZZZZ`, zone `z`, ISO
//! week `WW`/`kkkk`, `X`/`x` unix seconds/ms. English names only.

use alloc::format;
use alloc::string::{String, ToString};

use jiff::Zoned;
use serde_json::Value;

use crate::error::invalid_input;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/// `d` formatted with the Luxon tokens of `pattern`. Errors: a token Luxon does not define
/// (naming it), an unterminated quote.
pub fn format_tokens(d: &Zoned, pattern: &str) -> Result<String, Value> {
    let mut out = String::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            let mut closed = false;
            for q in chars.by_ref() {
                if q == '\'' {
                    closed = true;
                    break;
                }
                out.push(q);
            }
            if !closed {
                return Err(invalid_input(format!("unterminated quote in format '{pattern}'")));
            }
            continue;
        }
        if !c.is_ascii_alphabetic() {
            out.push(c);
            continue;
        }
        let mut n = 1;
        while chars.peek() == Some(&c) {
            chars.next();
            n += 1;
        }
        out.push_str(&token(d, c, n).ok_or_else(|| {
            let t: String = core::iter::repeat_n(c, n).collect();
            invalid_input(format!("unknown format token '{t}' in '{pattern}'; quote literal text with '…'"))
        })?);
    }
    Ok(out)
}

fn pad(v: impl ToString, width: usize) -> String {
    let s = v.to_string();
    let (sign, digits) = s.strip_prefix('-').map_or(("", s.as_str()), |d| ("-", d));
    format!("{sign}{digits:0>width$}")
}

/// The offset as `+05:30` (`colon`) or `+0530`; `short` drops zero minutes and the padding.
pub fn offset(d: &Zoned, colon: bool, short: bool) -> String {
    let secs = d.offset().seconds();
    let sign = if secs < 0 { '-' } else { '+' };
    let (h, m) = (secs.abs() / 3600, secs.abs() % 3600 / 60);
    match (short, colon) {
        (true, _) if m == 0 => format!("{sign}{h}"),
        (true, _) | (false, true) => format!("{sign}{h:02}:{m:02}"),
        (false, false) => format!("{sign}{h:02}{m:02}"),
    }
}

fn token(d: &Zoned, c: char, n: usize) -> Option<String> {
    let hour12 = match d.hour() % 12 {
        0 => 12,
        h => h,
    };
    let month0 = (d.month() - 1) as usize;
    let weekday = d.weekday().to_monday_zero_offset() as usize;
    let week = d.date().iso_week_date();
    Some(match (c, n) {
        ('y', 2) => pad(i32::from(d.year()).rem_euclid(100), 2),
        ('y', n) => pad(d.year(), if n == 1 { 1 } else { n }),
        ('M' | 'L', n @ 1..=2) => pad(d.month(), n),
        ('M' | 'L', 3) => MONTHS[month0][..3].to_string(),
        ('M' | 'L', 4) => MONTHS[month0].to_string(),
        ('M' | 'L', 5) => MONTHS[month0][..1].to_string(),
        ('d', n @ 1..=2) => pad(d.day(), n),
        ('o', n @ 1..=3) => pad(d.day_of_year(), if n == 1 { 1 } else { 3 }),
        ('q', n @ 1..=2) => pad(month0 / 3 + 1, n),
        ('E' | 'c', 1) => (weekday + 1).to_string(),
        ('E' | 'c', 3) => WEEKDAYS[weekday][..3].to_string(),
        ('E' | 'c', 4) => WEEKDAYS[weekday].to_string(),
        ('E' | 'c', 5) => WEEKDAYS[weekday][..1].to_string(),
        ('H', n @ 1..=2) => pad(d.hour(), n),
        ('h', n @ 1..=2) => pad(hour12, n),
        ('m', n @ 1..=2) => pad(d.minute(), n),
        ('s', n @ 1..=2) => pad(d.second(), n),
        ('S', 1) => d.millisecond().to_string(),
        ('S', 3) | ('u', 1..=3) => pad(d.millisecond(), 3),
        ('a', 1) => (if d.hour() < 12 { "AM" } else { "PM" }).to_string(),
        ('W', n @ 1..=2) => pad(week.week(), n),
        ('k', 2) => pad(i32::from(week.year()).rem_euclid(100), 2),
        ('k', 4) => pad(week.year(), 4),
        ('Z', 1) => offset(d, true, true),
        ('Z', 2) => offset(d, true, false),
        ('Z', 3) => offset(d, false, false),
        ('Z', 4) => d.time_zone().to_offset_info(d.timestamp()).abbreviation().to_string(),
        ('z', 1) => d.time_zone().iana_name().unwrap_or("UTC").to_string(),
        ('X', 1) => d.timestamp().as_second().to_string(),
        ('x', 1) => d.timestamp().as_millisecond().to_string(),
        ('G', 1..=3) => (if d.year() > 0 { "AD" } else { "BC" }).to_string(),
        _ => return None,
    })
}

/// `yyyy-MM-dd` of `d`.
pub fn iso_date(d: &Zoned) -> String {
    format!("{}-{:02}-{:02}", pad(d.year(), 4), d.month(), d.day())
}

/// `HH:mm:ss.SSS` of `d`.
pub fn iso_time(d: &Zoned) -> String {
    format!("{:02}:{:02}:{:02}.{:03}", d.hour(), d.minute(), d.second(), d.millisecond())
}

/// ISO 8601 with milliseconds, as Luxon's `toISO()`: `2024-03-05T10:20:30.000+01:00`,
/// `Z` for the UTC zone.
pub fn iso(d: &Zoned) -> String {
    let zone = if d.time_zone().iana_name() == Some("UTC") { "Z".to_string() } else { offset(d, true, false) };
    format!("{}T{}{zone}", iso_date(d), iso_time(d))
}
