//! The `csv` agent (agents.md §5.3): RFC 4180 reading and writing with `csv-core` (the `csv`
//! crate's no_std engine), so every target has it. Quoted fields may hold delimiters, quotes
//! (doubled, or after `escape_char`) and newlines. Values are strings as written; `get-header`
//! infers a type per column.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use csv_core::{ReadRecordResult, WriteResult};
use serde_json::{json, Map, Value};

use crate::error::{invalid_input, permanent};
use crate::input::{bool_or, field, opt_str, str_or};
use crate::text::{decode, encode};

/// The dialect fields shared by the capabilities.
struct Dialect {
    delimiter: u8,
    quote: u8,
    escape: Option<u8>,
    use_header: bool,
    encoding: String,
}

/// One ASCII byte from a one-char string field. Errors: anything longer or non-ASCII.
fn ascii_char(input: &Value, name: &str, default: u8) -> Result<u8, Value> {
    match opt_str(input, name)? {
        None => Ok(default),
        Some(s) if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        Some(s) => Err(invalid_input(format!("'{name}' must be one ASCII character, got '{s}'"))),
    }
}

fn dialect(input: &Value) -> Result<Dialect, Value> {
    Ok(Dialect {
        delimiter: ascii_char(input, "delimiter", b',')?,
        quote: ascii_char(input, "quote_char", b'"')?,
        escape: opt_str(input, "escape_char")?.map(|_| ascii_char(input, "escape_char", b'\\')).transpose()?,
        use_header: bool_or(input, "use_header", true)?,
        encoding: str_or(input, "encoding", "utf-8")?.to_string(),
    })
}

/// The text of `data` (a string, FileData, or byte array) in the dialect's encoding.
fn csv_text(input: &Value, d: &Dialect) -> Result<String, Value> {
    match field(input, "data") {
        Some(Value::String(s)) => Ok(s.clone()),
        _ => decode(&crate::input::bytes(input, "data")?, &d.encoding),
    }
}

/// The records of `text`; blank lines are skipped (csv-core does). csv-core accepts any
/// input: a stray quote ends up in its field.
fn records(text: &str, d: &Dialect) -> Vec<Vec<String>> {
    let mut reader = csv_core::ReaderBuilder::new()
        .delimiter(d.delimiter)
        .quote(d.quote)
        .escape(d.escape)
        .double_quote(d.escape.is_none())
        .build();
    let (mut input, mut out, mut ends) = (text.as_bytes(), vec![0u8; 1024], vec![0usize; 32]);
    let (mut out_len, mut ends_len, mut rows) = (0, 0, Vec::new());
    loop {
        let (result, n_in, n_out, n_ends) = reader.read_record(input, &mut out[out_len..], &mut ends[ends_len..]);
        input = &input[n_in..];
        out_len += n_out;
        ends_len += n_ends;
        match result {
            ReadRecordResult::InputEmpty => {}
            ReadRecordResult::OutputFull => out.resize(out.len() * 2, 0),
            ReadRecordResult::OutputEndsFull => ends.resize(ends.len() * 2, 0),
            ReadRecordResult::Record => {
                let mut start = 0;
                let row = ends[..ends_len]
                    .iter()
                    .map(|&end| {
                        // Fields split `text` at ASCII bytes, so each is UTF-8.
                        let f = String::from_utf8_lossy(&out[start..end]).into_owned();
                        start = end;
                        f
                    })
                    .collect();
                rows.push(row);
                (out_len, ends_len) = (0, 0);
            }
            ReadRecordResult::End => return rows,
        }
    }
}

/// The trimmed, non-empty (when asked) records of `data`.
fn read(input: &Value) -> Result<(Dialect, Vec<Vec<String>>), Value> {
    let d = dialect(input)?;
    let text = csv_text(input, &d)?;
    let trim = bool_or(input, "trim_whitespace", false)?;
    let skip_empty = bool_or(input, "skip_empty_lines", true)?;
    let mut rows = records(&text, &d);
    if trim {
        rows.iter_mut().flatten().for_each(|f| *f = f.trim().to_string());
    }
    if skip_empty {
        rows.retain(|r| r.iter().any(|f| !f.is_empty()));
    }
    Ok((d, rows))
}

/// `from-csv`: `{data, encoding?, delimiter?, quote_char?, escape_char?, use_header?,
/// skip_empty_lines?, trim_whitespace?}` → rows: with `use_header` (default) objects keyed
/// by the first row's names, else arrays of strings. Errors: a row whose field count differs
/// from the header's (`INVALID_CSV`, naming the row), a bad dialect, `INVALID_ENCODING`.
pub fn from_csv(input: &Value) -> Result<Value, Value> {
    let (d, rows) = read(input)?;
    if !d.use_header {
        return Ok(json!(rows));
    }
    let mut rows = rows.into_iter();
    let Some(header) = rows.next() else { return Ok(json!([])) };
    let objects = rows
        .enumerate()
        .map(|(i, row)| {
            if row.len() != header.len() {
                return Err(permanent(
                    "INVALID_CSV",
                    format!("row {} has {} fields; the header has {}", i + 2, row.len(), header.len()),
                ));
            }
            Ok(Value::Object(header.iter().cloned().zip(row.into_iter().map(Value::String)).collect()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Value::Array(objects))
}

/// `get-header`: `{data, delimiter?, quote_char?, escape_char?, encoding?}` → `{name: type}`
/// for the first row's names, the type inferred from the column's non-empty values:
/// `integer`, `number`, `boolean`, else (or with none) `string`.
pub fn get_header(input: &Value) -> Result<Value, Value> {
    let (_, rows) = read(input)?;
    let Some((header, data)) = rows.split_first() else { return Ok(json!({})) };
    let types = header.iter().enumerate().map(|(col, name)| {
        let values = data.iter().filter_map(|r| r.get(col)).filter(|v| !v.is_empty());
        (name.clone(), Value::from(column_type(values)))
    });
    Ok(Value::Object(types.collect::<Map<_, _>>()))
}

fn column_type<'a>(mut values: impl Iterator<Item = &'a String> + Clone) -> &'static str {
    if values.clone().next().is_none() {
        "string"
    } else if values.clone().all(|v| v.parse::<i64>().is_ok()) {
        "integer"
    } else if values.clone().all(|v| crate::number::parse_f64(v).is_some()) {
        "number"
    } else if values.all(|v| v == "true" || v == "false") {
        "boolean"
    } else {
        "string"
    }
}

/// `to-csv`: `{value, delimiter?, quote_char?, escape_char?, use_header?, encoding?}` → CSV
/// text (`\n` line ends, fields quoted when needed) from an array of objects (columns in the
/// order keys first appear; a header row unless `use_header` is false) or of arrays. Strings
/// as they are, `null` empty, other values as JSON. With an `encoding` other than UTF-8 the
/// result is FileData `{content: <base64>, mimeType: "text/csv"}`. Errors: `value` not an
/// array of objects or arrays, `INVALID_ENCODING`.
pub fn to_csv(input: &Value) -> Result<Value, Value> {
    let d = dialect(input)?;
    let Some(Value::Array(rows)) = field(input, "value") else {
        return Err(invalid_input("'value' must be an array of objects or arrays"));
    };
    let mut lines: Vec<Vec<String>> = Vec::new();
    if rows.iter().all(Value::is_object) {
        let mut columns: Vec<&String> = Vec::new();
        for row in rows.iter().filter_map(Value::as_object) {
            row.keys().for_each(|k| {
                if !columns.contains(&k) {
                    columns.push(k)
                }
            });
        }
        if d.use_header && !columns.is_empty() {
            lines.push(columns.iter().map(|c| c.to_string()).collect());
        }
        lines.extend(rows.iter().map(|r| columns.iter().map(|c| cell(&r[c.as_str()])).collect()));
    } else if rows.iter().all(Value::is_array) {
        lines.extend(rows.iter().filter_map(Value::as_array).map(|r| r.iter().map(cell).collect()));
    } else {
        return Err(invalid_input("'value' must be an array of objects or an array of arrays"));
    }
    let text = write(&lines, &d);
    if encoding_rs::Encoding::for_label(d.encoding.as_bytes()) == Some(encoding_rs::UTF_8) {
        return Ok(Value::String(text));
    }
    let bytes = encode(&text, &d.encoding)?;
    Ok(json!({"content": crate::input::to_base64(&bytes), "mimeType": "text/csv"}))
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn write(lines: &[Vec<String>], d: &Dialect) -> String {
    let mut writer = csv_core::WriterBuilder::new()
        .delimiter(d.delimiter)
        .quote(d.quote)
        .escape(d.escape.unwrap_or(b'\\'))
        .double_quote(d.escape.is_none())
        .build();
    let mut out: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 256];
    let mut run = |out: &mut Vec<u8>, step: &mut dyn FnMut(&mut [u8]) -> (WriteResult, usize)| loop {
        let (result, n) = step(&mut buf);
        out.extend_from_slice(&buf[..n]);
        match result {
            WriteResult::InputEmpty => break,
            WriteResult::OutputFull => buf.resize(buf.len() * 2, 0),
        }
    };
    for line in lines {
        for (i, f) in line.iter().enumerate() {
            if i > 0 {
                run(&mut out, &mut |b| writer.delimiter(b));
            }
            let mut rest = f.as_bytes();
            run(&mut out, &mut |b| {
                let (r, n_in, n_out) = writer.field(rest, b);
                rest = &rest[n_in..];
                (r, n_out)
            });
        }
        run(&mut out, &mut |b| writer.terminator(b));
    }
    run(&mut out, &mut |b| writer.finish(b));
    // Fields are UTF-8 and the writer adds ASCII only.
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_newlines_and_round_trips() {
        let data = "name,note\n\"Ann\",\"two\nlines, \"\"quoted\"\"\"\n\nBob,x\n";
        let rows = from_csv(&json!({"data": data})).unwrap();
        assert_eq!(rows, json!([{"name": "Ann", "note": "two\nlines, \"quoted\""}, {"name": "Bob", "note": "x"}]));
        let back = to_csv(&json!({"value": rows})).unwrap();
        assert_eq!(back, "name,note\nAnn,\"two\nlines, \"\"quoted\"\"\"\nBob,x\n");
        assert_eq!(
            get_header(&json!({"data": "a;b\n1;x\n2.5;y", "delimiter": ";"})).unwrap(),
            json!({"a": "number", "b": "string"})
        );
        assert_eq!(from_csv(&json!({"data": "a,b\n1"})).unwrap_err()["code"], "INVALID_CSV");
    }
}
