//! Flink string functions. Lengths and positions count Unicode code points (Flink's
//! `BinaryStringData` also counts code points; its `java.lang.String` paths count UTF-16 units, which
//! only differs outside the Basic Multilingual Plane).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Int32Array, ListBuilder, StringBuilder};
use arrow::datatypes::DataType;
use datafusion_common::{exec_err, Result};
use datafusion_expr::ScalarUDF;

use super::common::{
    bool_rows, func, get, ints, map_bytes, map_str, ret_bool, ret_i32, ret_utf8, str_rows, str_rows_ref, strs,
    FlinkScalar, Kind, RegexCache,
};
use super::hash;

const S: Kind = Kind::Str;
const I: Kind = Kind::Int;

fn i32_rows(rows: usize, mut f: impl FnMut(usize) -> Result<Option<i32>>) -> Result<ArrayRef> {
    let v: Result<Vec<Option<i32>>> = (0..rows).map(&mut f).collect();
    Ok(Arc::new(Int32Array::from(v?)))
}

/// All string functions.
pub(crate) fn functions() -> Vec<FlinkScalar> {
    let mut v = vec![
        // REGEXP_EXTRACT(str, regex [, idx]): group idx (default 0 = whole match, as Flink's
        // SqlFunctionUtils) of the first match; NULL if no match, bad regex or bad group.
        func("regexp_extract", (2, 3), &[S, S, I], ret_utf8, regexp_extract),
        // REGEXP_REPLACE(str, regex, replacement): every match replaced by the replacement taken
        // literally (Flink quotes it: no group references); NULL for an invalid regex.
        func("regexp_replace", (3, 3), &[S], ret_utf8, regexp_replace),
        // REGEXP_SUBSTR(str, regex): the first match; NULL if none or the regex is invalid.
        func("regexp_substr", (2, 2), &[S], ret_utf8, regexp_substr),
        // REGEXP_EXTRACT_ALL(str, regex [, idx]): group idx (default 1) of every match as an
        // ARRAY<STRING> ([] when nothing matches); NULL when the regex is invalid or has fewer
        // than idx groups (so a regex without a group gives NULL by default).
        func("regexp_extract_all", (2, 3), &[S, S, I], ret_string_list, regexp_extract_all),
        // REPLACE(str, search, replacement): every occurrence replaced, as Java's
        // String.replace: an empty search string inserts the replacement before every
        // character and at the end (DataFusion's returns str unchanged).
        func("replace", (3, 3), &[S], ret_utf8, replace),
        // OVERLAY(str PLACING r FROM start [FOR len]): Flink's rule, str unchanged when start is
        // outside 1..=length, the tail dropped when start + len passes the end or len <= 0.
        func("overlay", (3, 4), &[S, S, I, I], ret_utf8, overlay),
        // STR_TO_MAP(text [, pair_delimiter, key_value_delimiter]): a MAP<STRING, STRING>; the
        // delimiters are Java regular expressions (',' and '=' by default), a pair without the
        // key-value delimiter maps to NULL, later keys win.
        func("str_to_map", (1, 3), &[S], ret_string_map, str_to_map),
        // REGEXP(str, regex): whether regex matches a substring of str; an empty or invalid regex → FALSE.
        func("regexp", (2, 2), &[S], ret_bool, regexp),
        // SPLIT_INDEX(str, sep, idx): idx-th (0-based) field of str split by the whole separator; NULL out of range.
        func("split_index", (3, 3), &[S, S, I], ret_utf8, split_index),
        // SUBSTRING/SUBSTR(str, pos [, len]): 1-based; pos 0 = 1; negative pos counts from the end; len < 0 → NULL.
        func("substring", (2, 3), &[S, I, I], ret_utf8, substring),
        func("substr", (2, 3), &[S, I, I], ret_utf8, substring),
        // LEFT(str, n) / RIGHT(str, n): leftmost / rightmost n chars; '' when n <= 0.
        func("left", (2, 2), &[S, I], ret_utf8, left),
        func("right", (2, 2), &[S, I], ret_utf8, right),
        // LOCATE(needle, haystack [, from]): 1-based position of needle at or after from, 0 if absent.
        func("locate", (2, 3), &[S, S, I], ret_i32, locate),
        // INSTR(str, sub [, start [, nth]]): position of the nth occurrence of sub from start (negative: from the end).
        func("instr", (2, 4), &[S, S, I, I], ret_i32, instr),
        // LPAD/RPAD(str, len, pad): pad or truncate to len chars; NULL if len < 0 or pad is ''.
        func("lpad", (3, 3), &[S, I, S], ret_utf8, lpad),
        func("rpad", (3, 3), &[S, I, S], ret_utf8, rpad),
        // CONCAT(s1, s2, ...): concatenation; NULL if any argument is NULL.
        func("concat", (1, usize::MAX), &[S], ret_utf8, concat),
        // INITCAP(str): Calcite's ASCII initcap: first letter of each [A-Za-z0-9] word upper, the rest lower.
        func("initcap", (1, 1), &[S], ret_utf8, |_, a, n| map_str(a, n, |s| Some(initcap(s)))),
        // ASCII(str): first byte of the UTF-8 encoding as a signed int (Flink `byteAt(0)`); 0 for ''.
        func("ascii", (1, 1), &[S], ret_i32, ascii),
        // CHR(n): the character (n & 255); '' for negative n.
        func("chr", (1, 1), &[I], ret_utf8, chr),
        // HASH_CODE(str): abs(Java String.hashCode()).
        func("hash_code", (1, 1), &[S], ret_i32, hash_code),
        // IS_ALPHA / IS_DIGIT / IS_DECIMAL(x): never NULL; FALSE for NULL.
        func("is_alpha", (1, 1), &[Kind::Any], ret_bool, |_, a, n| is_check(a, n, Check::Alpha)),
        func("is_digit", (1, 1), &[Kind::Any], ret_bool, |_, a, n| is_check(a, n, Check::Digit)),
        func("is_decimal", (1, 1), &[Kind::Any], ret_bool, |_, a, n| is_check(a, n, Check::Decimal)),
        // ELT(idx, e1, e2, ...): the idx-th (1-based) expression; NULL if idx is NULL or out of range.
        func("elt", (2, usize::MAX), &[I, S], ret_utf8, elt),
        // TO_BASE64(str or bytes) / FROM_BASE64(str): standard padded Base64 of the bytes (a
        // string's UTF-8 bytes); invalid input → NULL.
        func("to_base64", (1, 1), &[Kind::Bytes], ret_utf8, |_, a, n| {
            map_bytes(a, n, |b| Some(hash::base64_encode(b)))
        }),
        func("from_base64", (1, 1), &[S], ret_utf8, |_, a, n| {
            map_str(a, n, |s| hash::base64_decode(s).and_then(|b| String::from_utf8(b).ok()))
        }),
        // PARSE_URL(url, part [, key]): a part of a URL (HOST, PATH, QUERY, REF, PROTOCOL, FILE, AUTHORITY, USERINFO).
        func("parse_url", (2, 3), &[S], ret_utf8, parse_url_fn),
    ];
    v.extend(super::text::functions());
    v
}

/// Scalar UDFs of this module.
pub(crate) fn udfs() -> Vec<Arc<ScalarUDF>> {
    functions().into_iter().map(FlinkScalar::udf).collect()
}

fn regexp_extract(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (s, r) = (strs(&a[0]), strs(&a[1]));
    let idx = a.get(2).map(ints);
    let mut cache = RegexCache::default();
    str_rows_ref(rows, |i| {
        let (Some(s), Some(r)) = (get(s, i), get(r, i)) else { return Ok(None) };
        let idx = match idx {
            Some(ix) => match get(ix, i) {
                Some(v) => v,
                None => return Ok(None),
            },
            None => 0,
        };
        if idx < 0 {
            return Ok(None);
        }
        Ok(cache.group(r, s, idx as usize))
    })
}

fn regexp_substr(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (s, r) = (strs(&a[0]), strs(&a[1]));
    let mut cache = RegexCache::default();
    str_rows_ref(rows, |i| {
        let (Some(s), Some(r)) = (get(s, i), get(r, i)) else { return Ok(None) };
        Ok(cache.group(r, s, 0))
    })
}

fn ret_string_list(_: &[DataType]) -> Result<DataType> {
    Ok(DataType::List(Arc::new(arrow::datatypes::Field::new("element", DataType::Utf8, true))))
}

fn regexp_extract_all(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (s, r) = (strs(&a[0]), strs(&a[1]));
    let idx = a.get(2).map(ints);
    let mut cache = RegexCache::default();
    let mut out = ListBuilder::new(StringBuilder::new());
    for i in 0..rows {
        let idx = match idx {
            Some(ix) => get(ix, i),
            None => Some(1),
        };
        let (Some(s), Some(r), Some(idx)) = (get(s, i), get(r, i), idx) else {
            out.append_null();
            continue;
        };
        match cache.get(r) {
            Some(re) if idx >= 0 && (idx as usize) < re.captures_len() => {
                for c in re.captures_iter(s) {
                    out.values().append_option(c.get(idx as usize).map(|m| m.as_str()));
                }
                out.append(true);
            }
            _ => out.append_null(),
        }
    }
    Ok(Arc::new(out.finish()))
}

fn regexp_replace(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (s, r, with) = (strs(&a[0]), strs(&a[1]), strs(&a[2]));
    let mut cache = RegexCache::default();
    str_rows(rows, |i| {
        let (Some(s), Some(r), Some(with)) = (get(s, i), get(r, i), get(with, i)) else { return Ok(None) };
        Ok(cache.get(r).map(|re| re.replace_all(s, regex::NoExpand(with)).into_owned()))
    })
}

fn replace(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (s, from, to) = (strs(&a[0]), strs(&a[1]), strs(&a[2]));
    // Rust's `str::replace` with an empty pattern matches at every character boundary, as Java's.
    str_rows(rows, |i| Ok(get(s, i).zip(get(from, i)).zip(get(to, i)).map(|((s, f), t)| s.replace(f, t))))
}

fn overlay(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (s, r, start) = (strs(&a[0]), strs(&a[1]), ints(&a[2]));
    let len = a.get(3).map(ints);
    str_rows(rows, |i| {
        let (Some(s), Some(r), Some(start)) = (get(s, i), get(r, i), get(start, i)) else { return Ok(None) };
        let len = match len {
            Some(l) => match get(l, i) {
                Some(l) => l,
                None => return Ok(None),
            },
            None => r.chars().count() as i64,
        };
        let n = s.chars().count() as i64;
        if start <= 0 || start > n {
            return Ok(Some(s.to_string()));
        }
        let mut out: String = s.chars().take((start - 1) as usize).collect();
        out.push_str(r);
        if start + len <= n && len > 0 {
            out.extend(s.chars().skip((start - 1 + len) as usize));
        }
        Ok(Some(out))
    })
}

fn ret_string_map(_: &[DataType]) -> Result<DataType> {
    Ok(string_map_type())
}

/// `MAP<STRING, STRING>` as Arrow holds it (the layout `MapBuilder` makes).
fn string_map_type() -> DataType {
    use arrow::datatypes::{Field, Fields};
    let entries =
        Fields::from(vec![Field::new("keys", DataType::Utf8, false), Field::new("values", DataType::Utf8, true)]);
    DataType::Map(Arc::new(Field::new("entries", DataType::Struct(entries), false)), false)
}

/// Java's `String.split(regex)`: trailing empty parts dropped (all of them for `limit` 0).
fn java_split<'a>(s: &'a str, re: &regex::Regex, limit: usize) -> Vec<&'a str> {
    let mut parts: Vec<&str> = if limit == 0 { re.split(s).collect() } else { re.splitn(s, limit).collect() };
    // A zero-width match at the start gives no leading empty part in Java.
    if parts.len() > 1 && parts[0].is_empty() && re.find(s).is_some_and(|m| m.start() == 0 && m.end() == 0) {
        parts.remove(0);
    }
    if limit == 0 {
        while parts.len() > 1 && parts.last().is_some_and(|p| p.is_empty()) {
            parts.pop();
        }
        if parts.len() == 1 && parts[0].is_empty() && !s.is_empty() {
            parts.clear();
        }
    }
    parts
}

fn str_to_map(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    use arrow::array::{MapBuilder, StringBuilder};
    let text = strs(&a[0]);
    let pair_sep = a.get(1).map(strs);
    let kv_sep = a.get(2).map(strs);
    let (mut pairs_cache, mut kv_cache) = (RegexCache::default(), RegexCache::default());
    let mut builder = MapBuilder::new(None, StringBuilder::new(), StringBuilder::new());
    for i in 0..rows {
        let pair = pair_sep.map_or(Some(","), |p| get(p, i));
        let kv = kv_sep.map_or(Some("="), |p| get(p, i));
        let (Some(text), Some(pair), Some(kv)) = (get(text, i), pair, kv) else {
            builder.append(false)?;
            continue;
        };
        let (Some(pair_re), Some(kv_re)) = (pairs_cache.get(pair).cloned(), kv_cache.get(kv)) else {
            return exec_err!("STR_TO_MAP: invalid delimiter '{pair}' or '{kv}'");
        };
        let mut entries: Vec<(&str, Option<&str>)> = Vec::new();
        if !text.is_empty() {
            for part in java_split(text, &pair_re, 0) {
                let kv = java_split(part, kv_re, 2);
                let (key, value) = match kv.as_slice() {
                    [k, v] => (*k, Some(*v)),
                    _ => (part, None),
                };
                match entries.iter_mut().find(|(k, _)| *k == key) {
                    Some(e) => e.1 = value,
                    None => entries.push((key, value)),
                }
            }
        }
        for (k, v) in entries {
            builder.keys().append_value(k);
            builder.values().append_option(v);
        }
        builder.append(true)?;
    }
    Ok(Arc::new(builder.finish()))
}

fn regexp(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (s, r) = (strs(&a[0]), strs(&a[1]));
    let mut cache = RegexCache::default();
    bool_rows(rows, |i| {
        let (Some(s), Some(r)) = (get(s, i), get(r, i)) else { return Ok(None) };
        if r.is_empty() {
            return Ok(Some(false));
        }
        Ok(Some(cache.get(r).is_some_and(|re| re.is_match(s))))
    })
}

fn split_index(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (s, sep, idx) = (strs(&a[0]), strs(&a[1]), ints(&a[2]));
    str_rows_ref(rows, |i| {
        let (Some(s), Some(sep), Some(idx)) = (get(s, i), get(sep, i), get(idx, i)) else { return Ok(None) };
        if idx < 0 || s.is_empty() {
            return Ok(None);
        }
        // commons-lang splitByWholeSeparatorPreserveAllTokens; an empty separator splits on whitespace.
        let part = if sep.is_empty() {
            s.split(char::is_whitespace).nth(idx as usize)
        } else {
            nth_piece(s, sep, idx as usize)
        };
        Ok(part)
    })
}

/// The `n`-th (from 0) piece of `s` cut at every occurrence of `sep` (not empty), as
/// `s.split(sep).nth(n)` — found with `memchr` (Nexmark q22 splits every URL three times at
/// `/`, where `str::split`'s general searcher took a fifth of the query's time).
fn nth_piece<'a>(s: &'a str, sep: &str, n: usize) -> Option<&'a str> {
    let mut start = 0;
    let mut found = 0;
    let mut cut = |at: usize, len: usize| -> Option<&'a str> {
        if found == n {
            return Some(&s[start..at]);
        }
        found += 1;
        start = at + len;
        None
    };
    // Matches start and end on character boundaries: `sep` is valid UTF-8.
    let piece = match sep.as_bytes() {
        [byte] => memchr::memchr_iter(*byte, s.as_bytes()).find_map(|at| cut(at, 1)),
        bytes => memchr::memmem::find_iter(s.as_bytes(), bytes).find_map(|at| cut(at, bytes.len())),
    };
    piece.or_else(|| (found == n).then(|| &s[start..]))
}

/// Flink `substringSQL` over code points.
pub(crate) fn substring_sql(s: &str, pos: i64, len: i64) -> Option<String> {
    if len < 0 {
        return None;
    }
    let n = s.chars().count() as i64;
    let start = if pos > 0 {
        pos - 1
    } else if pos < 0 {
        n + pos
    } else {
        0
    };
    if start < 0 || start >= n {
        return Some(String::new());
    }
    let end = if n - start < len { n } else { start + len };
    Some(s.chars().skip(start as usize).take((end - start) as usize).collect())
}

fn substring(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (s, pos) = (strs(&a[0]), ints(&a[1]));
    let len = a.get(2).map(ints);
    str_rows(rows, |i| {
        let (Some(s), Some(pos)) = (get(s, i), get(pos, i)) else { return Ok(None) };
        let len = match len {
            Some(l) => match get(l, i) {
                Some(l) => l,
                None => return Ok(None),
            },
            None => i64::MAX,
        };
        Ok(substring_sql(s, pos, len))
    })
}

fn left(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (s, n) = (strs(&a[0]), ints(&a[1]));
    str_rows(rows, |i| {
        let (Some(s), Some(n)) = (get(s, i), get(n, i)) else { return Ok(None) };
        Ok(Some(if n <= 0 { String::new() } else { s.chars().take(n as usize).collect() }))
    })
}

fn right(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (s, n) = (strs(&a[0]), ints(&a[1]));
    str_rows(rows, |i| {
        let (Some(s), Some(n)) = (get(s, i), get(n, i)) else { return Ok(None) };
        let count = s.chars().count() as i64;
        Ok(Some(if n <= 0 {
            String::new()
        } else if n >= count {
            s.to_string()
        } else {
            s.chars().skip((count - n) as usize).collect()
        }))
    })
}

/// 0-based char index of `needle` in `hay` at or after char index `from`, like Flink's
/// `BinaryStringData.indexOf` (an empty needle is found at 0).
fn index_of(hay: &str, needle: &str, from: i64) -> i64 {
    if needle.is_empty() {
        return 0;
    }
    let from = from.max(0) as usize;
    let Some((byte_from, _)) = hay.char_indices().nth(from) else { return -1 };
    match hay[byte_from..].find(needle) {
        Some(b) => (from + hay[byte_from..byte_from + b].chars().count()) as i64,
        None => -1,
    }
}

fn locate(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (needle, hay) = (strs(&a[0]), strs(&a[1]));
    let from = a.get(2).map(ints);
    i32_rows(rows, |i| {
        let (Some(needle), Some(hay)) = (get(needle, i), get(hay, i)) else { return Ok(None) };
        let from = match from {
            Some(f) => match get(f, i) {
                Some(f) => f,
                None => return Ok(None),
            },
            None => 1,
        };
        Ok(Some((index_of(hay, needle, from - 1) + 1) as i32))
    })
}

fn instr_impl(s: &str, sub: &str, start: i64, nth: i64) -> Result<i64> {
    if nth <= 0 {
        return exec_err!("INSTR: nthAppearance must be positive!");
    }
    if start == 0 {
        return Ok(0);
    }
    if start > 0 {
        let (mut from, mut index) = (start, 0);
        for _ in 0..nth {
            index = index_of(s, sub, from - 1) + 1;
            if index == 0 {
                return Ok(0);
            }
            from = index + 1;
        }
        Ok(index)
    } else {
        let rs: String = s.chars().rev().collect();
        let rsub: String = sub.chars().rev().collect();
        let pos = instr_impl(&rs, &rsub, -start, nth)?;
        Ok(if pos == 0 { 0 } else { s.chars().count() as i64 + 2 - pos - sub.chars().count() as i64 })
    }
}

fn instr(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (s, sub) = (strs(&a[0]), strs(&a[1]));
    let (start, nth) = (a.get(2).map(ints), a.get(3).map(ints));
    i32_rows(rows, |i| {
        let (Some(s), Some(sub)) = (get(s, i), get(sub, i)) else { return Ok(None) };
        let opt = |x: Option<&arrow::array::Int64Array>| match x {
            Some(x) => get(x, i),
            None => Some(1),
        };
        let (Some(start), Some(nth)) = (opt(start), opt(nth)) else { return Ok(None) };
        Ok(Some(instr_impl(s, sub, start, nth)? as i32))
    })
}

fn pad(a: &[ArrayRef], rows: usize, left: bool) -> Result<ArrayRef> {
    let (s, len, p) = (strs(&a[0]), ints(&a[1]), strs(&a[2]));
    str_rows(rows, |i| {
        let (Some(s), Some(len), Some(p)) = (get(s, i), get(len, i), get(p, i)) else { return Ok(None) };
        if len < 0 || p.is_empty() {
            return Ok(None);
        }
        let len = len as usize;
        let base: Vec<char> = s.chars().collect();
        let fill = len.saturating_sub(base.len());
        let padding = p.chars().cycle().take(fill);
        Ok(Some(if left {
            padding.chain(base.iter().copied()).take(len).collect()
        } else {
            base.iter().copied().take(len).chain(padding).collect()
        }))
    })
}

fn lpad(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    pad(a, rows, true)
}

fn rpad(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    pad(a, rows, false)
}

fn concat(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let cols: Vec<_> = a.iter().map(strs).collect();
    str_rows(rows, |i| {
        let mut out = String::new();
        for c in &cols {
            match get(*c, i) {
                Some(v) => out.push_str(v),
                None => return Ok(None),
            }
        }
        Ok(Some(out))
    })
}

/// Calcite `SqlFunctions.initcap`: only ASCII letters and digits form words.
pub(crate) fn initcap(s: &str) -> String {
    let mut start = true;
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                let out = if start { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() };
                start = false;
                out
            } else {
                start = true;
                c
            }
        })
        .collect()
}

fn ascii(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let s = strs(&a[0]);
    i32_rows(rows, |i| Ok(get(s, i).map(|s| s.as_bytes().first().map_or(0, |b| *b as i8 as i32))))
}

fn chr(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let n = ints(&a[0]);
    str_rows(rows, |i| {
        Ok(get(n, i).map(|n| if n < 0 { String::new() } else { char::from((n & 0xFF) as u8).to_string() }))
    })
}

/// Java `String.hashCode` (over UTF-16 units).
pub(crate) fn java_hash_code(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(c as i32))
}

fn hash_code(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let s = strs(&a[0]);
    i32_rows(rows, |i| Ok(get(s, i).map(|s| java_hash_code(s).wrapping_abs())))
}

#[derive(Clone, Copy)]
enum Check {
    Alpha,
    Digit,
    Decimal,
}

/// Java `Double.parseDouble` / `Long.parseLong` acceptance, approximately.
fn java_is_decimal(s: &str) -> bool {
    let t = s.trim_matches(|c: char| c <= ' ');
    if t.is_empty() {
        return false;
    }
    let t = t.strip_suffix(['d', 'D', 'f', 'F']).unwrap_or(t);
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    if body.chars().any(|c| c.is_ascii_alphabetic() && !matches!(c, 'e' | 'E')) {
        return body == "NaN" || body == "Infinity";
    }
    !body.is_empty() && !body.starts_with(['+', '-']) && t.parse::<f64>().is_ok()
}

fn is_check(a: &[ArrayRef], rows: usize, check: Check) -> Result<ArrayRef> {
    let t = a[0].data_type().clone();
    if matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View) {
        let arr = arrow::compute::cast(&a[0], &DataType::Utf8)?;
        let s = strs(&arr);
        return bool_rows(rows, |i| {
            Ok(Some(get(s, i).is_some_and(|s| {
                !s.is_empty()
                    && match check {
                        Check::Alpha => s.chars().all(char::is_alphabetic),
                        Check::Digit => s.chars().all(char::is_numeric),
                        Check::Decimal => java_is_decimal(s),
                    }
            })))
        });
    }
    let numeric_ok = match check {
        Check::Alpha => false,
        Check::Digit => t.is_integer(),
        Check::Decimal => t.is_numeric(),
    };
    let arr = &a[0];
    bool_rows(rows, |i| Ok(Some(numeric_ok && arr.is_valid(i))))
}

fn elt(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let idx = ints(&a[0]);
    let cols: Vec<_> = a[1..].iter().map(strs).collect();
    str_rows(rows, |i| {
        let Some(k) = get(idx, i) else { return Ok(None) };
        if k < 1 || k as usize > cols.len() {
            return Ok(None);
        }
        Ok(get(cols[k as usize - 1], i).map(str::to_string))
    })
}

/// Parts of a URL, following `java.net.URL` for hierarchical URLs (`scheme://authority/path?query#ref`).
pub(crate) fn parse_url(url: &str, part: &str) -> Option<String> {
    let (scheme, rest) = url.split_once(':')?;
    if scheme.is_empty() || !scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) {
        return None;
    }
    let (rest, reference) = match rest.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (rest, None),
    };
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    let (authority, path) = match rest.strip_prefix("//") {
        Some(r) => match r.find('/') {
            Some(p) => (Some(&r[..p]), &r[p..]),
            None => (Some(r), ""),
        },
        None => (None, rest),
    };
    let userinfo = authority.and_then(|a| a.rsplit_once('@').map(|(u, _)| u));
    let host_port = authority.map(|a| a.rsplit_once('@').map_or(a, |(_, h)| h));
    let host = host_port.map(|h| {
        if h.starts_with('[') {
            h.split_inclusive(']').next().unwrap_or(h)
        } else {
            h.split(':').next().unwrap_or(h)
        }
    });
    match part {
        "HOST" => Some(host.unwrap_or("").to_string()),
        "PATH" => Some(path.to_string()),
        "QUERY" => query.map(str::to_string),
        "REF" => reference.map(str::to_string),
        "PROTOCOL" => Some(scheme.to_string()),
        "FILE" => Some(match query {
            Some(q) => format!("{path}?{q}"),
            None => path.to_string(),
        }),
        "AUTHORITY" => authority.map(str::to_string),
        "USERINFO" => userinfo.map(str::to_string),
        _ => None,
    }
}

fn parse_url_fn(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (url, part) = (strs(&a[0]), strs(&a[1]));
    let key = a.get(2).map(strs);
    str_rows(rows, |i| {
        let (Some(url), Some(part)) = (get(url, i), get(part, i)) else { return Ok(None) };
        let Some(key) = key else { return Ok(parse_url(url, part)) };
        let Some(key) = get(key, i) else { return Ok(None) };
        if part != "QUERY" {
            return Ok(None);
        }
        let Some(q) = parse_url(url, "QUERY") else { return Ok(None) };
        // First `key=value` pair; the value runs to the next '&'.
        Ok(q.split('&').find_map(|kv| kv.strip_prefix(key).and_then(|r| r.strip_prefix('='))).map(str::to_string))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_are_those_of_str_split() {
        let texts =
            ["", "/", "//", "a", "a/b", "/a/b/", "https://www.nexmark.com/a/b/item.htm", "é/ü//ñ", "abab", "aXXbXXXc"];
        for text in texts {
            for sep in ["/", "XX", "ab", "é", "b"] {
                for n in 0..6 {
                    assert_eq!(nth_piece(text, sep, n), text.split(sep).nth(n), "{text:?} {sep:?} {n}");
                }
            }
        }
    }

    #[test]
    fn java_split_drops_trailing_empty_parts() {
        let comma = regex::Regex::new(",").unwrap();
        assert_eq!(java_split("a,b,,", &comma, 0), vec!["a", "b"]);
        assert_eq!(java_split(",a", &comma, 0), vec!["", "a"]);
        assert_eq!(java_split("c=", &regex::Regex::new("=").unwrap(), 2), vec!["c", ""]);
        assert!(java_split(",,", &comma, 0).is_empty());
    }

    #[test]
    fn replace_of_an_empty_string_is_javas() {
        let f = functions().into_iter().find(|f| f.static_name() == "replace").expect("replace");
        let col = |v: Vec<&str>| Arc::new(arrow::array::StringArray::from(v)) as ArrayRef;
        let out = replace(&f, &[col(vec!["abc", "", "aXbX"]), col(vec!["", "", "X"]), col(vec!["#", "#", ""])], 3)
            .expect("replaced");
        let out = strs(&out);
        assert_eq!((0..3).map(|i| out.value(i)).collect::<Vec<_>>(), vec!["#a#b#c#", "#", "ab"]);
    }

    #[test]
    fn regexp_extract_all_takes_group_one_by_default() {
        let f = functions().into_iter().find(|f| f.static_name() == "regexp_extract_all").expect("function");
        let col = |v: Vec<Option<&str>>| Arc::new(arrow::array::StringArray::from(v)) as ArrayRef;
        let texts = col(vec![Some("order-1 order-22"), Some("none"), None, Some("a1b2")]);
        let show = |out: ArrayRef| {
            let l = out.as_any().downcast_ref::<arrow::array::ListArray>().expect("list");
            (0..l.len())
                .map(|i| l.is_valid(i).then(|| strs(&l.value(i)).iter().map(|v| v.map(str::to_string)).collect()))
                .collect::<Vec<Option<Vec<Option<String>>>>>()
        };
        let s = |v: &str| Some(v.to_string());
        let out = regexp_extract_all(&f, &[texts.clone(), col(vec![Some(r"order-(\d+)"); 4])], 4).unwrap();
        assert_eq!(show(out), vec![Some(vec![s("1"), s("22")]), Some(vec![]), None, Some(vec![])]);
        let out = regexp_extract_all(&f, &[texts.clone(), col(vec![Some(r"\d+"); 4])], 4).unwrap();
        assert_eq!(show(out), vec![None, None, None, None], "no group 1");
        let zero = Arc::new(arrow::array::Int64Array::from(vec![0; 4])) as ArrayRef;
        let out = regexp_extract_all(&f, &[texts, col(vec![Some(r"\d"); 4]), zero], 4).unwrap();
        assert_eq!(show(out), vec![Some(vec![s("1"), s("2"), s("2")]), Some(vec![]), None, Some(vec![s("1"), s("2")])]);
    }
}
