//! Exact decimal → f64: Clinger's fast path, else an f64 estimate corrected by comparing
//! big integers against the halfway points around it (ties to even).

use alloc::vec::Vec;

/// Unsigned big integer, little-endian base-2^32 limbs, no trailing zero limbs.
#[derive(Clone, PartialEq, Eq)]
struct Big(Vec<u32>);

impl Big {
    fn from_u64(v: u64) -> Big {
        let mut b = Big(alloc::vec![v as u32, (v >> 32) as u32]);
        b.trim();
        b
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    /// `self * m + add`.
    fn mul_add(&mut self, m: u32, add: u32) {
        let mut carry = u64::from(add);
        for limb in &mut self.0 {
            let v = u64::from(*limb) * u64::from(m) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
    }

    /// `self * 5^n`.
    fn mul_pow5(&mut self, mut n: u32) {
        // 5^13 is the largest power of five below 2^32.
        while n > 0 {
            let step = n.min(13);
            self.mul_add(5u32.pow(step), 0);
            n -= step;
        }
    }

    /// `self * 2^n`.
    fn shl(&mut self, n: u32) {
        let (limbs, bits) = ((n / 32) as usize, n % 32);
        if bits > 0 {
            let mut carry = 0u32;
            for limb in &mut self.0 {
                let v = (*limb << bits) | carry;
                carry = *limb >> (32 - bits);
                *limb = v;
            }
            if carry != 0 {
                self.0.push(carry);
            }
        }
        if !self.0.is_empty() {
            self.0.splice(0..0, core::iter::repeat_n(0, limbs));
        }
    }

    fn cmp(&self, other: &Big) -> core::cmp::Ordering {
        self.0.len().cmp(&other.0.len()).then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }
}

/// Powers of ten exact in f64 (Clinger's fast path).
const EXACT: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// The f64 nearest to `digits × 10^exp` (ties to even), `digits` being ASCII decimal
/// digits without leading zeros (possibly none: zero).
pub fn to_f64(digits: &[u8], exp: i64) -> f64 {
    if digits.is_empty() {
        return 0.0;
    }
    // Out of range whatever the digits: over 10^310 or under 10^-343 (the ends of f64).
    let magnitude = (digits.len() as i64).saturating_add(exp);
    if magnitude > 310 {
        return f64::INFINITY;
    }
    if magnitude < -343 {
        return 0.0;
    }
    let exp = exp as i32;
    let head = &digits[..digits.len().min(19)];
    let w = head.iter().fold(0u64, |w, d| w * 10 + u64::from(d - b'0'));
    let dropped = (digits.len() - head.len()) as i32;
    if dropped == 0 && w < 1 << 53 && (-22..=22).contains(&exp) {
        let f = w as f64;
        return if exp >= 0 { f * EXACT[exp as usize] } else { f / EXACT[(-exp) as usize] };
    }
    let mut z = estimate(w, exp + dropped);
    let mut d = Big(Vec::new());
    for chunk in digits.chunks(9) {
        let v = chunk.iter().fold(0u32, |v, c| v * 10 + u32::from(c - b'0'));
        d.mul_add(10u32.pow(chunk.len() as u32), v);
    }
    d.trim();
    // Walk to the f64 whose rounding interval holds the value (a few steps from the estimate).
    loop {
        let (m, k) = parts(z);
        if z < f64::MAX || m != (1 << 53) - 1 {
            // Above the upper halfway point: the next f64 up (inf past MAX's).
            let above = compare(&d, exp, 2 * m + 1, k - 1);
            if above.is_gt() || (above.is_eq() && m & 1 == 1) {
                z = next_up(z);
                if z.is_infinite() {
                    return z;
                }
                continue;
            }
        } else if compare(&d, exp, 2 * m + 1, k - 1).is_ge() {
            return f64::INFINITY;
        }
        if z == 0.0 {
            return 0.0;
        }
        // Below the lower halfway point (a power of two's lower neighbour is half as far).
        let (lm, lk) = if m == 1 << 52 && k > -1074 { (4 * m - 1, k - 2) } else { (2 * m - 1, k - 1) };
        let below = compare(&d, exp, lm, lk);
        if below.is_lt() || (below.is_eq() && m & 1 == 1) {
            z = next_down(z);
            continue;
        }
        return z;
    }
}

/// `d × 10^exp` against `m × 2^k`.
fn compare(d: &Big, exp: i32, m: u64, k: i32) -> core::cmp::Ordering {
    let (mut l, mut r) = (d.clone(), Big::from_u64(m));
    if exp >= 0 {
        l.mul_pow5(exp as u32);
    } else {
        r.mul_pow5((-exp) as u32);
    }
    let twos = exp - k;
    if twos >= 0 {
        l.shl(twos as u32);
    } else {
        r.shl((-twos) as u32);
    }
    l.cmp(&r)
}

/// A finite positive f64 as `m × 2^k` (m < 2^53).
fn parts(z: f64) -> (u64, i32) {
    let bits = z.to_bits();
    let (e, f) = ((bits >> 52) as i32, bits & ((1 << 52) - 1));
    if e == 0 {
        (f, -1074)
    } else {
        (f | 1 << 52, e - 1075)
    }
}

fn next_up(z: f64) -> f64 {
    f64::from_bits(z.to_bits() + 1)
}

fn next_down(z: f64) -> f64 {
    f64::from_bits(z.to_bits() - 1)
}

/// `w × 10^exp` to within a few units in the last place, finite and positive.
fn estimate(w: u64, exp: i32) -> f64 {
    let mut z = w as f64;
    let mut e = exp;
    // Steps of 10^22 (exact) keep each multiplication's error to half a unit.
    while e > 0 {
        let s = e.min(22);
        z *= EXACT[s as usize];
        e -= s;
    }
    while e < 0 {
        let s = (-e).min(22);
        z /= EXACT[s as usize];
        e += s;
    }
    z.clamp(f64::from_bits(1), f64::MAX)
}
