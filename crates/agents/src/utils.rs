//! The `utils` agent (agents.md §5.3).

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde_json::{json, Map, Value};

use crate::error::{invalid_input, permanent};

fn field<'a>(input: &'a Value, name: &str) -> &'a Value {
    input.get(name).unwrap_or(&Value::Null)
}

/// `return-input`: `{value}` → the value itself.
pub fn return_input(input: &Value) -> Result<Value, Value> {
    Ok(field(input, "value").clone())
}

/// `return-input-string`: `{value}` → the value as a string (JSON text for non-strings).
pub fn return_input_string(input: &Value) -> Result<Value, Value> {
    Ok(match field(input, "value") {
        Value::String(s) => Value::String(s.clone()),
        other => Value::String(other.to_string()),
    })
}

/// `do-nothing`: → `null`.
pub fn do_nothing(_input: &Value) -> Result<Value, Value> {
    Ok(Value::Null)
}

/// `random-double`: → a number in [0, 1).
#[cfg(feature = "std")]
pub fn random_double(_input: &Value) -> Result<Value, Value> {
    Ok(json!(next_random()))
}

/// `random-array`: `{size?}` (default 10) → integers in [0, 100).
#[cfg(feature = "std")]
pub fn random_array(input: &Value) -> Result<Value, Value> {
    let size = field(input, "size").as_u64().unwrap_or(10);
    Ok(Value::Array((0..size).map(|_| json!((next_random() * 100.0) as i64)).collect()))
}

#[cfg(feature = "std")]
fn next_random() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    // RandomState is seeded from the OS; good enough for a non-cryptographic helper.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(now_ms());
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(feature = "wasm-js")]
fn now_ms() -> u64 {
    // wasm32-unknown-unknown has no OS clock.
    js_sys::Date::now() as u64
}

#[cfg(all(feature = "std", not(feature = "wasm-js")))]
fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// `get-current-unix-timestamp`: → seconds since the Unix epoch.
#[cfg(feature = "std")]
pub fn get_current_unix_timestamp(_input: &Value) -> Result<Value, Value> {
    Ok(json!(now_ms() / 1000))
}

/// `get-current-iso-datetime`: → UTC time as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
#[cfg(feature = "std")]
pub fn get_current_iso_datetime(_input: &Value) -> Result<Value, Value> {
    let ms = now_ms();
    let secs = ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    Ok(Value::String(alloc::format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )))
}

/// Days since 1970-01-01 → (year, month, day) (H. Hinnant's civil-from-days algorithm).
#[cfg(feature = "std")]
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(feature = "std")]
pub use crate::dates::get_current_formatted_datetime;
pub use crate::dates::{format_date_from_iso, iso_to_unix_timestamp};

/// `delay-in-ms`: `{delay_value}` blocks for that many milliseconds (not durable; use a
/// Delay step for durable sleeps) → the delay.
#[cfg(feature = "std")]
pub fn delay_in_ms(input: &Value) -> Result<Value, Value> {
    let ms = field(input, "delay_value")
        .as_u64()
        .ok_or_else(|| invalid_input("'delay_value' must be a non-negative integer"))?;
    #[cfg(feature = "wasm-js")]
    {
        // No blocking sleep in a browser; spin on the clock.
        let until = now_ms() + ms;
        while now_ms() < until {}
    }
    #[cfg(not(feature = "wasm-js"))]
    std::thread::sleep(std::time::Duration::from_millis(ms));
    Ok(json!(ms))
}

/// `country-name-to-iso-code`: `{country_name, code_type? ("alpha2" default | "alpha3" |
/// "numeric")}` → the ISO 3166-1 code (names, aliases and codes are accepted).
#[cfg(feature = "std")]
pub fn country_name_to_iso_code(input: &Value) -> Result<Value, Value> {
    use core::str::FromStr;
    let name = field(input, "country_name").as_str().ok_or_else(|| invalid_input("'country_name' must be a string"))?;
    let country = celes::Country::from_str(name.trim())
        .map_err(|_| permanent("UNKNOWN_COUNTRY", alloc::format!("'{name}' is not a known country name or code")))?;
    Ok(match field(input, "code_type").as_str().unwrap_or("alpha2") {
        "alpha3" => json!(country.alpha3),
        "numeric" => json!(country.value),
        _ => json!(country.alpha2),
    })
}

/// `calculate`: `{expression, variables?, enable_rounding?, decimal_places?}` → number.
///
/// The expression supports `+ - * / %`, parentheses, unary minus, numbers and variable
/// names looked up in `variables`. Errors: `CALCULATION_ERROR` (permanent).
pub fn calculate(input: &Value) -> Result<Value, Value> {
    let expr = field(input, "expression").as_str().ok_or_else(|| invalid_input("expression must be a string"))?;
    let vars = field(input, "variables").as_object().cloned().unwrap_or_default();
    let mut p = Calc { src: expr.as_bytes(), pos: 0, vars: &vars };
    let v = p.expr().and_then(|v| {
        p.skip_ws();
        if p.pos < p.src.len() {
            Err(alloc::format!("unexpected '{}' at {}", p.src[p.pos] as char, p.pos))
        } else {
            Ok(v)
        }
    });
    let mut v = v.map_err(|m| permanent("CALCULATION_ERROR", m))?;
    if !v.is_finite() {
        return Err(permanent("CALCULATION_ERROR", "result is not a finite number"));
    }
    if field(input, "enable_rounding").as_bool().unwrap_or(false) {
        let places = field(input, "decimal_places").as_u64().unwrap_or(2).min(12) as i32;
        let f = libm_pow10(places);
        v = round_half_away(v * f) / f;
    }
    Ok(json!(v))
}

fn libm_pow10(n: i32) -> f64 {
    (0..n).fold(1.0, |acc, _| acc * 10.0)
}

fn round_half_away(x: f64) -> f64 {
    let t = x as i64 as f64;
    let frac = x - t;
    if frac >= 0.5 {
        t + 1.0
    } else if frac <= -0.5 {
        t - 1.0
    } else {
        t
    }
}

struct Calc<'a> {
    src: &'a [u8],
    pos: usize,
    vars: &'a Map<String, Value>,
}

impl Calc<'_> {
    fn skip_ws(&mut self) {
        while self.pos < self.src.len() && self.src[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }
    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.src.get(self.pos).copied()
    }
    fn expr(&mut self) -> Result<f64, String> {
        let mut v = self.term()?;
        while let Some(op @ (b'+' | b'-')) = self.peek() {
            self.pos += 1;
            let r = self.term()?;
            v = if op == b'+' { v + r } else { v - r };
        }
        Ok(v)
    }
    fn term(&mut self) -> Result<f64, String> {
        let mut v = self.factor()?;
        while let Some(op @ (b'*' | b'/' | b'%')) = self.peek() {
            self.pos += 1;
            let r = self.factor()?;
            if op != b'*' && r == 0.0 {
                return Err("division by zero".into());
            }
            v = match op {
                b'*' => v * r,
                b'/' => v / r,
                _ => v % r,
            };
        }
        Ok(v)
    }
    fn factor(&mut self) -> Result<f64, String> {
        match self.peek() {
            Some(b'-') => {
                self.pos += 1;
                Ok(-self.factor()?)
            }
            Some(b'(') => {
                self.pos += 1;
                let v = self.expr()?;
                if self.peek() != Some(b')') {
                    return Err("missing ')'".into());
                }
                self.pos += 1;
                Ok(v)
            }
            Some(c) if c.is_ascii_digit() || c == b'.' => {
                let start = self.pos;
                while self.pos < self.src.len() && (self.src[self.pos].is_ascii_digit() || self.src[self.pos] == b'.') {
                    self.pos += 1;
                }
                let text = core::str::from_utf8(&self.src[start..self.pos]).unwrap_or("");
                crate::number::parse_f64(text).ok_or_else(|| alloc::format!("bad number '{text}'"))
            }
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                let start = self.pos;
                while self.pos < self.src.len()
                    && (self.src[self.pos].is_ascii_alphanumeric() || self.src[self.pos] == b'_')
                {
                    self.pos += 1;
                }
                let name = core::str::from_utf8(&self.src[start..self.pos]).unwrap_or("");
                match self.vars.get(name) {
                    Some(Value::Number(n)) => Ok(n.as_f64().unwrap_or(0.0)),
                    Some(Value::String(s)) => crate::number::parse_f64(s.trim())
                        .ok_or_else(|| alloc::format!("variable '{name}' is not a number")),
                    Some(_) => Err(alloc::format!("variable '{name}' is not a number")),
                    None => Err(alloc::format!("unknown variable '{name}'")),
                }
            }
            Some(c) => Err(alloc::format!("unexpected '{}'", c as char)),
            None => Err("unexpected end of expression".into()),
        }
    }
}

/// Keeps `Vec` in scope for no_std builds of this module.
#[allow(dead_code)]
type Unused = Vec<u8>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calculate_with_variables_and_rounding() {
        let out = calculate(&json!({"expression": "(a + b) * 2 / 3", "variables": {"a": 1, "b": "2"},
            "enable_rounding": true, "decimal_places": 2}))
        .unwrap();
        assert_eq!(out, json!(2.0));
        let err = calculate(&json!({"expression": "1 / 0"})).unwrap_err();
        assert_eq!(err["code"], "CALCULATION_ERROR");
    }

    #[cfg(feature = "std")]
    #[test]
    fn country_codes() {
        assert_eq!(country_name_to_iso_code(&json!({"country_name": "Germany"})).unwrap(), json!("DE"));
        assert_eq!(
            country_name_to_iso_code(&json!({"country_name": "France", "code_type": "alpha3"})).unwrap(),
            json!("FRA")
        );
        assert_eq!(
            country_name_to_iso_code(&json!({"country_name": "Atlantis"})).unwrap_err()["code"],
            "UNKNOWN_COUNTRY"
        );
    }

    #[test]
    fn return_input_echoes() {
        assert_eq!(return_input(&json!({"value": {"a": 1}})).unwrap(), json!({"a": 1}));
        assert_eq!(return_input_string(&json!({"value": 5})).unwrap(), json!("5"));
    }
}
