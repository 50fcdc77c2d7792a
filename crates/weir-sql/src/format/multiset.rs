//! MULTISET values as Flink shows them. Weir holds a MULTISET as a list of its elements (a
//! `List` whose element field is named [`MULTISET_ELEMENT`], which is how a list is told apart
//! from an ARRAY), in arrival order. Flink holds it as a `java.util.HashMap` of element to
//! count and prints it as that map: `{a=1, b=2}`, in the map's iteration order. That order is
//! reproduced here: the elements' Java hash codes (of Flink's internal value classes, e.g. a
//! string's is a Murmur3 hash of its UTF-8 bytes), spread and masked by the capacity a
//! `HashMap` grows to for that many entries, elements of one bucket in the order they came.

use std::collections::HashMap;
use std::ops::Range;

use arrow::datatypes::{DataType, TimeUnit};

use super::render::{Col, Typed};

/// The name of a MULTISET's element field in its Arrow `List` type.
pub const MULTISET_ELEMENT: &str = "multiset_element";

/// Whether `data_type` is a MULTISET (a `List` whose element field is [`MULTISET_ELEMENT`]).
pub fn is_multiset(data_type: &DataType) -> bool {
    matches!(data_type, DataType::List(f) | DataType::LargeList(f) if f.name() == MULTISET_ELEMENT)
}

/// The distinct elements among `range` of `elements` as (index of the first one, count), in the
/// order Flink's MULTISET iterates them. `key(k)` is the text two equal elements share.
pub(crate) fn entries(elements: &Col<'_>, range: Range<usize>, key: impl Fn(usize) -> String) -> Vec<(usize, usize)> {
    let mut at: HashMap<String, usize> = HashMap::new();
    let mut distinct: Vec<(usize, usize)> = Vec::new();
    for k in range {
        match at.entry(key(k)) {
            std::collections::hash_map::Entry::Occupied(e) => distinct[*e.get()].1 += 1,
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(distinct.len());
                distinct.push((k, 1));
            }
        }
    }
    // java.util.HashMap: 16 buckets, doubled whenever the entries pass three quarters of them.
    let mut capacity = 16usize;
    while distinct.len() > capacity / 4 * 3 {
        capacity *= 2;
    }
    let mask = capacity as u32 - 1;
    // A stable sort keeps the elements of one bucket in arrival order, as the map's chains do.
    distinct.sort_by_key(|(k, _)| {
        let h = java_hash(elements, *k) as u32;
        (h ^ (h >> 16)) & mask
    });
    distinct
}

/// [`entries`] of `range` of the array `elements`.
pub(crate) fn entries_in(
    elements: &dyn arrow::array::Array,
    range: Range<usize>,
    key: impl Fn(usize) -> String,
) -> Vec<(usize, usize)> {
    entries(&Col::new(elements), range, key)
}

/// `hashCode()` of the value Flink holds for `c[k]` (`Integer`, `Long`, `BinaryStringData`,
/// `DecimalData`, `TimestampData`, …); 0 for NULL and for values whose Java hash is an
/// object's identity (bytes) or not reproduced (nested values).
fn java_hash(c: &Col<'_>, k: usize) -> i32 {
    if c.is_null(k) {
        return 0;
    }
    let long = |v: i64| (v ^ ((v as u64) >> 32) as i64) as i32;
    match &c.t {
        Typed::Bool(a) => {
            if a.value(k) {
                1231
            } else {
                1237
            }
        }
        Typed::I8(v) => i32::from(v[k]),
        Typed::I16(v) => i32::from(v[k]),
        Typed::I32(v) | Typed::Date32(v) => v[k],
        Typed::I64(v) => long(v[k]),
        Typed::F32(v) => {
            if v[k].is_nan() {
                0x7fc0_0000
            } else {
                v[k].to_bits() as i32
            }
        }
        Typed::F64(v) => long(if v[k].is_nan() { 0x7ff8_0000_0000_0000 } else { v[k].to_bits() as i64 }),
        Typed::Dec(v, scale) => big_decimal_hash(v[k], i32::from(*scale)),
        Typed::Str(_) | Typed::LStr(_) | Typed::VStr(_) => {
            super::render::str_at(&c.t, k).map_or(0, |s| string_hash(s.as_bytes()))
        }
        // TIME is an Integer of milliseconds of the day.
        Typed::Time32(v, unit) => match unit {
            TimeUnit::Second => v[k].wrapping_mul(1000),
            _ => v[k],
        },
        Typed::Time64(v, unit) => match unit {
            TimeUnit::Microsecond => (v[k] / 1000) as i32,
            _ => (v[k] / 1_000_000) as i32,
        },
        Typed::Ts(v, unit, _) => {
            let per_milli: i64 = match unit {
                TimeUnit::Second => return timestamp_hash(v[k].wrapping_mul(1000), 0),
                TimeUnit::Millisecond => return timestamp_hash(v[k], 0),
                TimeUnit::Microsecond => 1000,
                TimeUnit::Nanosecond => 1_000_000,
            };
            let nanos = v[k].rem_euclid(per_milli) * (1_000_000 / per_milli);
            timestamp_hash(v[k].div_euclid(per_milli), nanos as i32)
        }
        _ => 0,
    }
}

/// `TimestampData.hashCode()`.
fn timestamp_hash(millis: i64, nano_of_milli: i32) -> i32 {
    let ret = (millis as i32) ^ ((millis >> 32) as i32);
    ret.wrapping_mul(31).wrapping_add(nano_of_milli)
}

/// `java.math.BigDecimal.hashCode()` of `unscaled` × 10^-`scale` (`DecimalData.hashCode()`).
fn big_decimal_hash(unscaled: i128, scale: i32) -> i32 {
    match i64::try_from(unscaled) {
        // A "compact" BigDecimal: its unscaled value fits a long (Long.MIN_VALUE marks an inflated one).
        Ok(v) if v != i64::MIN => {
            let mag = v.unsigned_abs();
            let temp = ((mag >> 32) as i32).wrapping_mul(31).wrapping_add((mag & 0xffff_ffff) as i32);
            (if v < 0 { temp.wrapping_neg() } else { temp }).wrapping_mul(31).wrapping_add(scale)
        }
        _ => {
            // BigInteger.hashCode(): its magnitude's 32-bit words, most significant first, times the sign.
            let mag = unscaled.unsigned_abs();
            let words = (0..4).rev().map(|w| (mag >> (32 * w)) as u32).skip_while(|w| *w == 0);
            let h = words.fold(0i32, |h, w| h.wrapping_mul(31).wrapping_add(w as i32));
            let signed = if unscaled < 0 { h.wrapping_neg() } else { h };
            signed.wrapping_mul(31).wrapping_add(scale)
        }
    }
}

/// `BinaryStringData.hashCode()`: Flink's `MurmurHashUtil.hashBytes` (Murmur3 x86 32-bit, seed
/// 42) over the UTF-8 bytes, 4-byte little-endian words then each remaining byte (signed) alone.
fn string_hash(bytes: &[u8]) -> i32 {
    fn mix_k1(k: u32) -> u32 {
        k.wrapping_mul(0xcc9e_2d51).rotate_left(15).wrapping_mul(0x1b87_3593)
    }
    fn mix_h1(h: u32, k: u32) -> u32 {
        (h ^ k).rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64)
    }
    let mut h = 42u32;
    let words = bytes.chunks_exact(4);
    let tail = words.remainder();
    for w in words {
        h = mix_h1(h, mix_k1(u32::from_le_bytes([w[0], w[1], w[2], w[3]])));
    }
    for b in tail {
        h = mix_h1(h, mix_k1(*b as i8 as i32 as u32));
    }
    h ^= bytes.len() as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, Int32Array, StringArray};

    fn order(array: &dyn Array) -> Vec<String> {
        let c = Col::new(array);
        let text = |k: usize| {
            let mut s = String::new();
            super::super::render::render_col(&c, k, &mut s);
            s
        };
        entries(&c, 0..array.len(), text).into_iter().map(|(k, n)| format!("{}={n}", text(k))).collect()
    }

    #[test]
    fn strings_iterate_in_flinks_hash_map_order() {
        // Flink 2.3: CAST(COLLECT(v) AS STRING) over these values in this order.
        let values = ["x", "yy", "apple", "Banana", "x", "hello", "world", "ü-ñ", "a", "b", "Z", "zz"];
        assert_eq!(
            order(&StringArray::from(values.to_vec())).join(", "),
            "ü-ñ=1, Z=1, x=2, a=1, apple=1, world=1, yy=1, Banana=1, hello=1, zz=1, b=1"
        );
        assert_eq!(order(&StringArray::from(vec!["b", "a", "b"])).join(", "), "a=1, b=2");
    }

    #[test]
    fn integers_iterate_by_bucket_then_arrival() {
        let values = [7, -1, 100, 16, 7, 33, 17, 1, 0, 65536, -16, i32::MAX];
        assert_eq!(
            order(&Int32Array::from(values.to_vec())).join(", "),
            "-1=1, 16=1, 0=1, 2147483647=1, 33=1, 17=1, 1=1, 65536=1, 100=1, 7=2, -16=1"
        );
    }

    #[test]
    fn java_hash_codes_of_decimals_and_timestamps() {
        // BigDecimal("1.50"), ("-1.50"), ("0.00"); an inflated one, 10^20 (unscaled) at scale 2.
        assert_eq!(big_decimal_hash(150, 2), 150 * 31 + 2);
        assert_eq!(big_decimal_hash(-150, 2), -150 * 31 + 2);
        assert_eq!(big_decimal_hash(0, 2), 2);
        let big = 100_000_000_000_000_000_000i128; // 0x5_6BC7_5E2D_6310_0000
        let h = 5i32.wrapping_mul(31).wrapping_add(0x6BC7_5E2Du32 as i32).wrapping_mul(31).wrapping_add(0x6310_0000);
        assert_eq!(big_decimal_hash(big, 2), h.wrapping_mul(31).wrapping_add(2));
        assert_eq!(timestamp_hash(1, 0), 31);
        assert_eq!(timestamp_hash(-1, 5), 5);
    }
}
