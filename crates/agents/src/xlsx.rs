//! The `xlsx` agent (agents.md §5.3): spreadsheets (xlsx, xlsm, xlsb, xls, ods) read with
//! `calamine`, in memory, so every hosted target has it. The workbook is FileData or base64.
//! Cells become JSON: numbers (whole floats as integers), strings, booleans, dates as ISO
//! strings, errors as their text (`#DIV/0!`), empty cells `null`.

use std::io::Cursor;

use calamine::{Data, Range, Reader, Sheets};
use serde_json::{json, Map, Value};

use crate::error::permanent;
use crate::input::{base64_or_file, bool_or, opt_str};

fn open(input: &Value) -> Result<Sheets<Cursor<Vec<u8>>>, Value> {
    calamine::open_workbook_auto_from_rs(Cursor::new(base64_or_file(input, "data")?))
        .map_err(|e| permanent("INVALID_SPREADSHEET", format!("not a readable spreadsheet: {e}")))
}

fn sheet(book: &mut Sheets<Cursor<Vec<u8>>>, name: &str) -> Result<Range<Data>, Value> {
    book.worksheet_range(name).map_err(|e| permanent("INVALID_SPREADSHEET", format!("sheet '{name}': {e}")))
}

/// `A1` style name of a zero-based (row, column).
fn cell_name((row, col): (u32, u32)) -> String {
    let mut letters = Vec::new();
    let mut c = col + 1;
    while c > 0 {
        letters.push(b'A' + ((c - 1) % 26) as u8);
        c = (c - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", String::from_utf8_lossy(&letters), row + 1)
}

/// `get-sheets`: `{data}` → `[{name, dimensions}]` in workbook order; `dimensions` is the
/// used range (`A1:C10`), `null` for an empty sheet. Errors: `INVALID_SPREADSHEET`.
pub fn get_sheets(input: &Value) -> Result<Value, Value> {
    let mut book = open(input)?;
    let mut out = Vec::new();
    for name in book.sheet_names() {
        let range = sheet(&mut book, &name)?;
        let dims = range.start().zip(range.end()).map(|(a, b)| format!("{}:{}", cell_name(a), cell_name(b)));
        out.push(json!({"name": name, "dimensions": dims}));
    }
    Ok(Value::Array(out))
}

fn cell(d: &Data) -> Value {
    match d {
        Data::Int(i) => json!(i),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => json!(*f as i64),
        Data::Float(f) => json!(f),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => json!(s),
        Data::Bool(b) => json!(b),
        Data::DateTime(t) => excel_date(t.as_f64()),
        Data::Error(e) => json!(e.to_string()),
        Data::Empty => Value::Null,
    }
}

/// An Excel serial date (days since 1899-12-30, the fraction the time) as ISO 8601.
fn excel_date(serial: f64) -> Value {
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).and_then(|d| d.and_hms_opt(0, 0, 0));
    let ms = (serial * 86_400_000.0).round() as i64;
    match epoch.and_then(|e| e.checked_add_signed(chrono::Duration::milliseconds(ms))) {
        Some(t) if t.time() == chrono::NaiveTime::MIN => json!(t.format("%Y-%m-%d").to_string()),
        Some(t) => json!(t.format("%Y-%m-%dT%H:%M:%S").to_string()),
        None => json!(serial),
    }
}

/// `from-xlsx`: `{data, sheet?, has_headers?, skip_empty_rows?}` → the rows of `sheet`
/// (default the first): with `has_headers` (default) objects keyed by the first row's
/// texts (an empty header cell is `column_N`, 1-based), else arrays; `skip_empty_rows`
/// (default true) drops rows without a value. Errors: `INVALID_SPREADSHEET`, `SHEET_NOT_FOUND`.
pub fn from_xlsx(input: &Value) -> Result<Value, Value> {
    let mut book = open(input)?;
    let names = book.sheet_names();
    let name = match opt_str(input, "sheet")? {
        Some(wanted) => names.iter().find(|n| *n == wanted).cloned().ok_or_else(|| {
            permanent("SHEET_NOT_FOUND", format!("no sheet '{wanted}'; the workbook has {}", names.join(", ")))
        })?,
        None => names.first().cloned().ok_or_else(|| permanent("SHEET_NOT_FOUND", "the workbook has no sheets"))?,
    };
    let range = sheet(&mut book, &name)?;
    let skip_empty = bool_or(input, "skip_empty_rows", true)?;
    let mut rows = range
        .rows()
        .map(|r| r.iter().map(cell).collect::<Vec<_>>())
        .filter(|r| !skip_empty || r.iter().any(|v| !v.is_null()));
    if !bool_or(input, "has_headers", true)? {
        return Ok(Value::Array(rows.map(Value::Array).collect()));
    }
    let Some(header) = rows.next() else { return Ok(json!([])) };
    let keys: Vec<String> = header
        .iter()
        .enumerate()
        .map(|(i, h)| match h {
            Value::Null => format!("column_{}", i + 1),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    let objects = rows.map(|r| Value::Object(keys.iter().cloned().zip(r).collect::<Map<_, _>>()));
    Ok(Value::Array(objects.collect()))
}
