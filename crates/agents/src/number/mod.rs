//! Decimal text to `f64`, as `str::parse::<f64>` (same grammar, correctly rounded, so the
//! same result) in a fraction of the code: core's parser carries a 10 KB table of powers
//! of five, 15 % of a firmware image, and lexical's compact one was still 9 KB of a
//! component (issue 18). [`decimal`] is the rounding. Used wherever a workflow turns text
//! into a number (dsl-spec §5.2 *to-number*, the `number` type hint, agents).

use alloc::vec::Vec;

mod decimal;

/// The `f64` that `s` denotes, or `None` where `s.parse::<f64>()` is an error. Grammar (as
/// core's `f64::from_str`): an optional sign, then `inf`, `infinity` or `nan` in any case,
/// or digits with an optional `.` (at least one digit in all) and an optional exponent
/// `e`/`E`, sign, digits. No whitespace, no `_`, no hex.
pub fn parse_f64(s: &str) -> Option<f64> {
    // Bytes, not `&str` slices: a str slice links core's char-boundary panic formatting.
    let s = s.as_bytes();
    let (negative, body) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, s),
    };
    let magnitude = if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
        f64::INFINITY
    } else if body.eq_ignore_ascii_case(b"nan") {
        f64::NAN
    } else {
        let (digits, exp) = decimal_parts(body)?;
        decimal::to_f64(&digits, exp)
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// `digits [. digits] [(e|E) [sign] digits]` with at least one mantissa digit, as the
/// significant digits (no leading or trailing zeros; none for zero) and the power of ten
/// they are scaled by (saturating). `None` when `b` is not of that form.
fn decimal_parts(b: &[u8]) -> Option<(Vec<u8>, i64)> {
    let run = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let int = run(0);
    let mut digits: Vec<u8> = b[..int].to_vec();
    let mut i = int;
    let mut exp: i64 = 0;
    if b.get(i) == Some(&b'.') {
        let frac = run(i + 1);
        digits.extend_from_slice(&b[i + 1..i + 1 + frac]);
        exp = -(frac as i64);
        i += 1 + frac;
    }
    if digits.is_empty() {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        let negative = b.get(i) == Some(&b'-');
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let n = run(i);
        if n == 0 {
            return None;
        }
        let e = b[i..i + n].iter().fold(0i64, |e, d| e.saturating_mul(10).saturating_add(i64::from(d - b'0')));
        exp = exp.saturating_add(if negative { -e } else { e });
        i += n;
    }
    if i != b.len() {
        return None;
    }
    let zeros = digits.iter().rev().take_while(|&&d| d == b'0').count();
    digits.truncate(digits.len() - zeros);
    exp = exp.saturating_add(zeros as i64);
    let leading = digits.iter().take_while(|&&d| d == b'0').count();
    digits.drain(..leading);
    Some((digits, exp))
}

#[cfg(test)]
mod tests {
    use super::parse_f64;

    /// Agrees with core's parser bit for bit, errors included.
    fn same(s: &str) {
        let core = s.parse::<f64>().ok();
        let ours = parse_f64(s);
        match (core, ours) {
            (Some(a), Some(b)) => assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()), "{s}: {a} vs {b}"),
            (a, b) => assert_eq!(a.is_some(), b.is_some(), "{s}: core {a:?}, ours {b:?}"),
        }
    }

    #[test]
    fn agrees_with_core_on_grammar_and_rounding() {
        let cases = [
            "0", "-0", "+0", "1", "1.", ".5", "-.5", "1.5e3", "1E-3", "1e+3", "007", "00.100", "inf", "-Infinity",
            "NaN", "+nan", "infinit", "", ".", "-", "e5", "1e", "1e+", "1.e5", " 1", "1 ", "1_0", "0x10", "1.2.3",
            "--1", "+-1", "1e5.0", "١", "9007199254740993", "9007199254740992.5", "2.2250738585072011e-308",
            "2.2250738585072014e-308", "4.9406564584124654e-324", "2.4703282292062327e-324", "2.4703282292062328e-324",
            "1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308", "1e400", "1e-400",
            "0.1", "0.3", "123456789012345678901234567890", "3.141592653589793238462643383279", "1e23", "8.5e-2",
            "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792",
            "0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000049406564584124654",
        ];
        for s in cases {
            same(s);
        }
        // Halfway and near-halfway cases around every power of ten the parser meets.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let bits = seed & 0x7fef_ffff_ffff_ffff;
            let x = f64::from_bits(bits);
            for s in [format!("{x}"), format!("{x:e}"), format!("{:.17e}", x), format!("{:.25e}", x)] {
                same(&s);
            }
            let digits = seed % 1_000_000_000_000_000_000;
            same(&format!("{digits}.{}e{}", seed % 1000, (seed % 700) as i64 - 350));
        }
    }
}
