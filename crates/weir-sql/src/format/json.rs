//! Flink's `json` format: one JSON object per line, read straight into column builders by a
//! small scanner (no intermediate tree), and written as Flink's Jackson-based writer does.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write as _;

use super::builder::{ColumnBuilder, Values};
use super::render::{
    bytes_at, decimal_java, decimal_plain, java_double, java_float, render_col, str_at, strip_trailing_zeros,
    time_nanos, write_date, write_time, write_timestamp, Col, Fraction, Typed,
};
use super::text::{base64_encode, push_scalar, Dialect, In};
use super::{JsonOptions, TimestampStandard};

/// Why a value could not be read.
pub(crate) enum Fail {
    /// The text is not JSON (the record is unreadable).
    Syntax(String),
    /// Valid JSON that does not fit the column (under ignore-parse-errors: NULL).
    Convert(String),
}

type R<T> = Result<T, Fail>;

/// A cursor over one line of JSON.
pub(crate) struct Cur<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Cur<'a> {
    pub(crate) fn new(s: &'a str) -> Self {
        Cur { s, b: s.as_bytes(), i: 0 }
    }

    #[inline]
    fn ws(&mut self) {
        // Compact JSON has none: one comparison decides (every JSON white space is below '!').
        if self.b.get(self.i).is_some_and(|&c| c <= b' ') {
            while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
                self.i += 1;
            }
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// Past an opening `[` or `{`: the comma-separated items up to `close` (consumed), each
    /// read by `item` (white space around them skipped).
    fn items(&mut self, close: u8, mut item: impl FnMut(&mut Self) -> R<()>) -> R<()> {
        self.ws();
        if self.peek() == Some(close) {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            item(self)?;
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(c) if c == close => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return self.syntax(if close == b']' { "',' or ']'" } else { "',' or '}'" }),
            }
        }
    }

    fn syntax<T>(&self, what: &str) -> R<T> {
        let found = match self.peek() {
            Some(c) => format!("'{}'", c as char),
            None => "end of line".to_string(),
        };
        Err(Fail::Syntax(format!("invalid JSON at character {}: expected {what}, found {found}", self.i + 1)))
    }

    #[inline]
    fn eat(&mut self, c: u8, what: &str) -> R<()> {
        self.ws();
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            self.syntax(what)
        }
    }

    fn literal(&mut self, lit: &str) -> R<()> {
        if self.b[self.i..].starts_with(lit.as_bytes()) {
            self.i += lit.len();
            Ok(())
        } else {
            self.syntax("a JSON value")
        }
    }

    /// A string, the cursor on its opening quote.
    fn string(&mut self) -> R<Cow<'a, str>> {
        self.i += 1;
        let start = self.i;
        // Fast path: one pass to the first quote, backslash or control character; most keys
        // and values end at a quote with no escape and are borrowed from the line.
        self.i = start + special_at(&self.b[start..]);
        match self.peek() {
            Some(b'"') => {
                let s = &self.s[start..self.i];
                self.i += 1;
                return Ok(Cow::Borrowed(s));
            }
            Some(c) if c < 0x20 => return self.syntax("no control character inside a string"),
            // an escape, or the end of the line: the loop below goes on from there
            _ => {}
        }
        let mut out = String::from(&self.s[start..self.i]);
        loop {
            let Some(c) = self.peek() else { return self.syntax("'\"' closing the string") };
            match c {
                b'"' => {
                    self.i += 1;
                    return Ok(Cow::Owned(out));
                }
                b'\\' => {
                    self.i += 1;
                    let Some(e) = self.peek() else { return self.syntax("an escape") };
                    self.i += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let cp = if (0xD800..0xDC00).contains(&hi) && self.b[self.i..].starts_with(b"\\u") {
                                self.i += 2;
                                let lo = self.hex4()?;
                                0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF)
                            } else {
                                hi
                            };
                            out.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
                        }
                        _ => {
                            self.i -= 1;
                            return self.syntax("a valid escape");
                        }
                    }
                }
                c if c < 0x20 => return self.syntax("no control character inside a string"),
                _ => {
                    // copy a run of plain characters (whole UTF-8 sequences)
                    let start = self.i;
                    self.i = start + special_at(&self.b[start..]);
                    out.push_str(&self.s[start..self.i]);
                }
            }
        }
    }

    fn hex4(&mut self) -> R<u32> {
        let h = self.b.get(self.i..self.i + 4).and_then(|h| std::str::from_utf8(h).ok());
        match h.and_then(|h| u32::from_str_radix(h, 16).ok()) {
            Some(v) => {
                self.i += 4;
                Ok(v)
            }
            None => self.syntax("four hex digits"),
        }
    }

    /// A number as written, the cursor on its first character.
    fn number(&mut self) -> R<&'a str> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let digits = |c: &mut Cur<'a>| {
            let s = c.i;
            while c.i < c.b.len() && c.b[c.i].is_ascii_digit() {
                c.i += 1;
            }
            c.i - s
        };
        if digits(self) == 0 {
            return self.syntax("a digit");
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if digits(self) == 0 {
                return self.syntax("a digit after '.'");
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return self.syntax("an exponent");
            }
        }
        Ok(&self.s[start..self.i])
    }

    /// An integer of at most 18 digits at the cursor, not followed by a fraction or an
    /// exponent, read in the same pass that finds its end; `None`, with the cursor not moved,
    /// for any other number (or no number), which [`Cur::number`] then reads. Gives what
    /// [`Cur::number`] and `Long.parseLong` give together.
    #[inline]
    fn small_integer(&mut self) -> Option<i64> {
        let b = self.b;
        let mut i = self.i;
        let neg = b.get(i) == Some(&b'-');
        i += neg as usize;
        let start = i;
        let mut acc: i64 = 0;
        while let Some(&c) = b.get(i) {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            // Wraps only past 18 digits, which are refused below.
            acc = acc.wrapping_mul(10).wrapping_add(d as i64);
            i += 1;
        }
        let digits = i - start;
        if digits == 0 || digits > 18 || matches!(b.get(i), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        self.i = i;
        Some(if neg { -acc } else { acc })
    }

    /// Skips one value.
    fn skip(&mut self) -> R<()> {
        self.ws();
        match self.peek() {
            Some(b'"') => {
                self.string()?;
            }
            Some(b'{') => {
                self.i += 1;
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    self.ws();
                    if self.peek() != Some(b'"') {
                        return self.syntax("a field name");
                    }
                    self.string()?;
                    self.eat(b':', "':'")?;
                    self.skip()?;
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(());
                        }
                        _ => return self.syntax("',' or '}'"),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    self.skip()?;
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(());
                        }
                        _ => return self.syntax("',' or ']'"),
                    }
                }
            }
            Some(b't') => self.literal("true")?,
            Some(b'f') => self.literal("false")?,
            Some(b'n') => self.literal("null")?,
            Some(b'-' | b'0'..=b'9') => {
                self.number()?;
            }
            _ => return self.syntax("a JSON value"),
        }
        Ok(())
    }

    /// Reads one value and writes it compactly (as Jackson's `JsonNode.toString()`).
    fn compact(&mut self, out: &mut String) -> R<()> {
        self.ws();
        match self.peek() {
            Some(b'"') => {
                let s = self.string()?;
                let mut buf = Vec::new();
                write_json_string(&s, &mut buf);
                out.push_str(std::str::from_utf8(&buf).unwrap_or_default());
            }
            Some(b'{') => {
                self.i += 1;
                out.push('{');
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                    out.push('}');
                    return Ok(());
                }
                loop {
                    self.ws();
                    if self.peek() != Some(b'"') {
                        return self.syntax("a field name");
                    }
                    self.compact(out)?;
                    self.eat(b':', "':'")?;
                    out.push(':');
                    self.compact(out)?;
                    self.ws();
                    match self.peek() {
                        Some(b',') => {
                            self.i += 1;
                            out.push(',');
                        }
                        Some(b'}') => {
                            self.i += 1;
                            out.push('}');
                            return Ok(());
                        }
                        _ => return self.syntax("',' or '}'"),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                out.push('[');
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    out.push(']');
                    return Ok(());
                }
                loop {
                    self.compact(out)?;
                    self.ws();
                    match self.peek() {
                        Some(b',') => {
                            self.i += 1;
                            out.push(',');
                        }
                        Some(b']') => {
                            self.i += 1;
                            out.push(']');
                            return Ok(());
                        }
                        _ => return self.syntax("',' or ']'"),
                    }
                }
            }
            _ => {
                let start = self.i;
                self.skip()?;
                out.push_str(&self.s[start..self.i]);
            }
        }
        Ok(())
    }
}

/// The index of the first byte of `b` that ends a plain run inside a JSON string — a quote,
/// a backslash or a control character (below 0x20) — or `b.len()` when there is none.
///
/// Eight bytes at a time (SWAR): keys and most values are short, where a vectorized search's
/// set-up costs more than it saves, and one pass finds all three kinds of byte.
#[inline]
pub(crate) fn special_at(b: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while i + 8 <= b.len() {
        let w = u64::from_le_bytes(b[i..i + 8].try_into().expect("eight bytes"));
        // The high bit of a byte is set for a zero byte (`x - 1` borrows, `!x` keeps the high
        // bit of bytes below 0x80); a borrow can only mark bytes after a real hit, so the
        // lowest mark is exact.
        let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
        let found = zero(w ^ (ONES * b'"' as u64))
            | zero(w ^ (ONES * b'\\' as u64))
            | (w.wrapping_sub(ONES * 0x20) & !w & HIGH);
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && !matches!(b[i], b'"' | b'\\') && b[i] >= 0x20 {
        i += 1;
    }
    i
}

/// Settings a value read needs.
pub(crate) struct Ctx {
    pub(crate) dialect: Dialect,
    pub(crate) fail_on_missing: bool,
    pub(crate) ignore_errors: bool,
}

/// Reads one value into `col`. On a conversion failure under ignore-parse-errors the value
/// becomes NULL; the cursor always ends after the value when the JSON is well-formed.
/// The cursor is on the value (white space skipped by the caller).
fn read_field(cur: &mut Cur<'_>, col: &mut ColumnBuilder, ctx: &Ctx) -> R<()> {
    let start = cur.i;
    let len = col.len();
    match read_value(cur, col, ctx) {
        Err(Fail::Convert(msg)) => {
            if !ctx.ignore_errors {
                return Err(Fail::Convert(format!("field '{}': {msg}", col.name)));
            }
            col.truncate(len);
            cur.i = start;
            cur.skip()?;
            col.push_null().map_err(Fail::Convert)
        }
        other => other,
    }
}

fn read_value(cur: &mut Cur<'_>, col: &mut ColumnBuilder, ctx: &Ctx) -> R<()> {
    match cur.peek() {
        Some(b'n') => {
            cur.literal("null")?;
            col.push_null().map_err(Fail::Convert)
        }
        Some(b't') => {
            cur.literal("true")?;
            scalar(col, In::Bool(true), ctx)
        }
        Some(b'f') => {
            cur.literal("false")?;
            scalar(col, In::Bool(false), ctx)
        }
        Some(b'"') => {
            let s = cur.string()?;
            scalar(col, In::Str(&s), ctx)
        }
        Some(b'-' | b'0'..=b'9') => {
            // BIGINT and INT columns of plain integers (most numbers): one pass, no text.
            match &mut col.values {
                Values::I64(out) => {
                    if let Some(x) = cur.small_integer() {
                        out.push(x);
                        col.mark_valid();
                        return Ok(());
                    }
                }
                Values::I32(out) => {
                    let start = cur.i;
                    match cur.small_integer().map(i32::try_from) {
                        Some(Ok(x)) => {
                            out.push(x);
                            col.mark_valid();
                            return Ok(());
                        }
                        // Out of INT's range: the general path says so.
                        Some(Err(_)) => cur.i = start,
                        None => {}
                    }
                }
                _ => {}
            }
            let n = cur.number()?;
            scalar(col, In::Num(n), ctx)
        }
        Some(b'[') => match &mut col.values {
            Values::List { offsets, child, .. } => {
                cur.i += 1;
                cur.items(b']', |cur| read_value(cur, child, ctx))?;
                offsets.push(child.len() as i32);
                col.mark_valid();
                Ok(())
            }
            _ => container_as(cur, col),
        },
        Some(b'{') => match &mut col.values {
            Values::Struct { fields, children } => {
                let names: Vec<&str> = fields.iter().map(|f| f.name().as_str()).collect();
                let mut seen = vec![false; children.len()];
                read_object(cur, &names, None, children, &mut seen, ctx)?;
                col.mark_valid();
                Ok(())
            }
            // A MULTISET as Flink's json format writes it: an object of element to count.
            Values::List { offsets, child, field } if field.name() == super::multiset::MULTISET_ELEMENT => {
                cur.i += 1;
                cur.items(b'}', |cur| {
                    if cur.peek() != Some(b'"') {
                        return cur.syntax("a field name");
                    }
                    let element = cur.string()?;
                    cur.eat(b':', "':'")?;
                    cur.ws();
                    let count = cur.number()?;
                    let count: u32 = count.parse().map_err(|_| {
                        Fail::Convert(format!("a MULTISET element's count must be a positive INT, not {count}"))
                    })?;
                    for _ in 0..count {
                        scalar(child, In::Str(&element), ctx)?;
                    }
                    Ok(())
                })?;
                offsets.push(child.len() as i32);
                col.mark_valid();
                Ok(())
            }
            Values::Map { offsets, keys, values, .. } => {
                cur.i += 1;
                cur.items(b'}', |cur| {
                    if cur.peek() != Some(b'"') {
                        return cur.syntax("a field name");
                    }
                    let k = cur.string()?;
                    scalar(keys, In::Str(&k), ctx)?;
                    cur.eat(b':', "':'")?;
                    cur.ws();
                    read_value(cur, values, ctx)
                })?;
                offsets.push(keys.len() as i32);
                col.mark_valid();
                Ok(())
            }
            _ => container_as(cur, col),
        },
        _ => cur.syntax("a JSON value"),
    }
}

/// An array or object for a column that is not ARRAY / ROW / MAP: its JSON text for STRING,
/// an error otherwise.
fn container_as(cur: &mut Cur<'_>, col: &mut ColumnBuilder) -> R<()> {
    if let Values::Utf8 { offsets, data } = &mut col.values {
        let mut text = String::new();
        cur.compact(&mut text)?;
        ColumnBuilder::push_str_value(offsets, data, text.as_bytes());
        col.mark_valid();
        return Ok(());
    }
    let kind = if cur.peek() == Some(b'[') { "a JSON array" } else { "a JSON object" };
    cur.skip()?;
    Err(Fail::Convert(format!("cannot read {kind} as {}", col.data_type)))
}

#[inline]
fn scalar(col: &mut ColumnBuilder, v: In<'_>, ctx: &Ctx) -> R<()> {
    push_scalar(col, v, ctx.dialect).map_err(Fail::Convert)
}

/// Name → column lookup of the top level.
pub(crate) struct Lookup {
    map: HashMap<Box<str>, usize, foldhash::fast::RandomState>,
    /// Per column: its name has no quote, backslash or control character, so a key written
    /// as exactly its bytes is that name (see [`key_is`]).
    plain: Vec<bool>,
}

impl Lookup {
    pub(crate) fn new(names: &[&str]) -> Self {
        Lookup {
            map: names.iter().enumerate().map(|(i, n)| (Box::from(*n), i)).collect(),
            plain: names.iter().map(|n| special_at(n.as_bytes()) == n.len()).collect(),
        }
    }
}

/// Whether the string at the cursor (on its opening quote) is the `plain` name `name`, written
/// without escapes; the cursor then moves past it. A key that is `name` with escapes is not
/// recognized here (the caller reads it as any other key).
#[inline]
fn key_is(cur: &mut Cur<'_>, name: &[u8]) -> bool {
    let from = cur.i + 1;
    let end = from + name.len();
    if cur.b.get(end) == Some(&b'"') && same_bytes(&cur.b[from..end], name) {
        cur.i = end + 1;
        true
    } else {
        false
    }
}

/// Reads an object's fields into `children` by name (`seen` all false on entry); missing fields
/// become NULL (or fail under fail-on-missing-field), unknown ones are skipped, a repeated one
/// keeps its first value.
pub(crate) fn read_object<N: AsRef<str>>(
    cur: &mut Cur<'_>,
    names: &[N],
    lookup: Option<&Lookup>,
    children: &mut [ColumnBuilder],
    seen: &mut [bool],
    ctx: &Ctx,
) -> R<()> {
    cur.eat(b'{', "'{'")?;
    cur.ws();
    let mut guess = 0usize;
    if cur.peek() == Some(b'}') {
        cur.i += 1;
    } else {
        loop {
            cur.ws();
            if cur.peek() != Some(b'"') {
                return cur.syntax("a field name");
            }
            // Fields usually come in schema order: try the next one first, at the top level
            // straight against the line's bytes (no scan for the string's end first).
            let idx = match lookup {
                Some(l) if guess < names.len() && l.plain[guess] && key_is(cur, names[guess].as_ref().as_bytes()) => {
                    Some(guess)
                }
                _ => {
                    let key = cur.string()?;
                    if guess < names.len() && names[guess].as_ref() == key.as_ref() {
                        Some(guess)
                    } else {
                        match lookup {
                            Some(l) => l.map.get(key.as_ref()).copied(),
                            None => names.iter().position(|n| n.as_ref() == key.as_ref()),
                        }
                    }
                }
            };
            cur.eat(b':', "':'")?;
            cur.ws();
            match idx {
                Some(k) => {
                    // An unread column's field (seen from the start) still moves the guess on.
                    guess = k + 1;
                    if seen[k] {
                        cur.skip()?;
                    } else {
                        seen[k] = true;
                        read_field(cur, &mut children[k], ctx)?;
                    }
                }
                None => cur.skip()?,
            }
            cur.ws();
            match cur.peek() {
                Some(b',') => cur.i += 1,
                Some(b'}') => {
                    cur.i += 1;
                    break;
                }
                _ => return cur.syntax("',' or '}'"),
            }
        }
    }
    for (k, s) in seen.iter().enumerate() {
        if !*s {
            if ctx.fail_on_missing {
                return Err(Fail::Convert(format!("Could not find field with name '{}'", names[k].as_ref())));
            }
            children[k].push_null().map_err(Fail::Convert)?;
        }
    }
    Ok(())
}

/// Whether `a` and `b` (of the same length) hold the same bytes: a few word compares for the
/// short names of columns, where a call to `memcmp` costs more than the comparison.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    debug_assert_eq!(a.len(), b.len());
    let n = a.len();
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("eight bytes"));
    let half = |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().expect("four bytes"));
    if n >= 8 {
        // whole words, the last one overlapping the one before
        let mut at = 0;
        while at + 8 < n {
            if word(a, at) != word(b, at) {
                return false;
            }
            at += 8;
        }
        word(a, n - 8) == word(b, n - 8)
    } else if n >= 4 {
        half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4)
    } else {
        a.iter().zip(b).all(|(x, y)| x == y)
    }
}

/// Reads one top-level record; trailing text other than whitespace is an error. `seen` says
/// which columns not to read (their fields are skipped, their builders get nothing).
pub(crate) fn read_record(
    line: &str,
    names: &[String],
    lookup: &Lookup,
    columns: &mut [ColumnBuilder],
    seen: &mut [bool],
    ctx: &Ctx,
) -> R<()> {
    let mut cur = Cur::new(line);
    cur.ws();
    if cur.peek() != Some(b'{') {
        return cur.syntax("a JSON object '{'");
    }
    read_object(&mut cur, names, Some(lookup), columns, seen, ctx)?;
    cur.ws();
    if cur.i < cur.b.len() {
        return cur.syntax("end of line after the object");
    }
    Ok(())
}

/// The top-level fields of a JSON object as (name, raw value text), in the order written;
/// used to read envelopes (Debezium, Canal) whose parts are read later.
pub(crate) fn object_fields(line: &str) -> Result<Vec<(Cow<'_, str>, &str)>, String> {
    let fail = |f: Fail| match f {
        Fail::Syntax(m) | Fail::Convert(m) => m,
    };
    let mut cur = Cur::new(line);
    cur.ws();
    if cur.peek() != Some(b'{') {
        return cur.syntax("a JSON object '{'").map_err(fail);
    }
    cur.i += 1;
    let mut fields = Vec::new();
    cur.ws();
    if cur.peek() == Some(b'}') {
        cur.i += 1;
    } else {
        loop {
            cur.ws();
            if cur.peek() != Some(b'"') {
                return cur.syntax("a field name").map_err(fail);
            }
            let key = cur.string().map_err(fail)?;
            cur.eat(b':', "':'").map_err(fail)?;
            cur.ws();
            let start = cur.i;
            cur.skip().map_err(fail)?;
            fields.push((key, &line[start..cur.i]));
            cur.ws();
            match cur.peek() {
                Some(b',') => cur.i += 1,
                Some(b'}') => {
                    cur.i += 1;
                    break;
                }
                _ => return cur.syntax("',' or '}'").map_err(fail),
            }
        }
    }
    cur.ws();
    if cur.i < cur.b.len() {
        return cur.syntax("end of line after the object").map_err(fail);
    }
    Ok(fields)
}

/// The elements of a JSON array as raw value texts.
pub(crate) fn array_elements(text: &str) -> Result<Vec<&str>, String> {
    let fail = |f: Fail| match f {
        Fail::Syntax(m) | Fail::Convert(m) => m,
    };
    let mut cur = Cur::new(text);
    cur.eat(b'[', "'['").map_err(fail)?;
    let mut out = Vec::new();
    cur.ws();
    if cur.peek() == Some(b']') {
        return Ok(out);
    }
    loop {
        cur.ws();
        let start = cur.i;
        cur.skip().map_err(fail)?;
        out.push(&text[start..cur.i]);
        cur.ws();
        match cur.peek() {
            Some(b',') => cur.i += 1,
            Some(b']') => return Ok(out),
            _ => return cur.syntax("',' or ']'").map_err(fail),
        }
    }
}

/// The value of a raw JSON string (`"u"` → `u`); `None` for anything else (null, numbers).
pub(crate) fn string_value(raw: &str) -> Option<Cow<'_, str>> {
    let mut cur = Cur::new(raw);
    cur.ws();
    if cur.peek() != Some(b'"') {
        return None;
    }
    cur.string().ok()
}

// ------------------------------------------------------------------------------------------ writing

/// Appends `s` as a JSON string, escaped as Jackson does (quote, backslash, control characters).
pub(crate) fn write_json_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let b = s.as_bytes();
    let mut start = 0;
    loop {
        // The plain run up to the next byte to escape, copied whole.
        let i = start + special_at(&b[start..]);
        out.extend_from_slice(&b[start..i]);
        let Some(&c) = b.get(i) else { break };
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            c => {
                let _ = write!(out, "\\u{:04X}", c);
            }
        }
        start = i + 1;
    }
    out.push(b'"');
}

/// Writes column values as Flink's json format.
pub(crate) struct JsonWriter<'o> {
    pub(crate) opts: &'o JsonOptions,
    pub(crate) scratch: String,
}

impl JsonWriter<'_> {
    /// Appends the JSON of `c[i]`.
    pub(crate) fn value(&mut self, c: &Col<'_>, i: usize, out: &mut Vec<u8>) {
        if c.is_null(i) {
            out.extend_from_slice(b"null");
            return;
        }
        let iso = self.opts.timestamp_standard == TimestampStandard::Iso8601;
        match &c.t {
            Typed::Null => out.extend_from_slice(b"null"),
            Typed::Bool(a) => out.extend_from_slice(if a.value(i) { b"true" } else { b"false" }),
            Typed::I8(v) => int(v[i] as i64, out),
            Typed::I16(v) => int(v[i] as i64, out),
            Typed::I32(v) => int(v[i] as i64, out),
            Typed::I64(v) => int(v[i], out),
            Typed::U8(v) => int(v[i] as i64, out),
            Typed::U16(v) => int(v[i] as i64, out),
            Typed::U32(v) => int(v[i] as i64, out),
            Typed::U64(v) => {
                let _ = write!(out, "{}", v[i]);
            }
            Typed::F32(v) => {
                self.scratch.clear();
                java_float(v[i], &mut self.scratch);
                self.number_or_quoted(v[i].is_finite(), out);
            }
            Typed::F64(v) => {
                self.scratch.clear();
                java_double(v[i], &mut self.scratch);
                self.number_or_quoted(v[i].is_finite(), out);
            }
            Typed::Dec(v, s) => {
                // Jackson's node factory strips trailing zeros, and BigDecimal.toString may then
                // be scientific (1E+2); with json.encode.decimal-as-plain-number Flink writes
                // the value with the column's scale instead (1.50, 0.00).
                self.scratch.clear();
                if self.opts.decimal_as_plain_number {
                    decimal_plain(v[i], *s as i32, &mut self.scratch);
                } else {
                    let (u, sc) = strip_trailing_zeros(v[i], *s as i32);
                    decimal_java(u, sc, &mut self.scratch);
                }
                out.extend_from_slice(self.scratch.as_bytes());
            }
            Typed::Str(_) | Typed::LStr(_) | Typed::VStr(_) => {
                write_json_string(str_at(&c.t, i).unwrap_or_default(), out)
            }
            Typed::Bin(_) | Typed::LBin(_) | Typed::VBin(_) => {
                out.push(b'"');
                base64_encode(bytes_at(&c.t, i).unwrap_or_default(), out);
                out.push(b'"');
            }
            Typed::Date32(v) => self.quoted(out, |s| write_date(v[i] as i64, s)),
            Typed::Date64(v) => self.quoted(out, |s| write_date(v[i].div_euclid(86_400_000), s)),
            Typed::Time32(..) | Typed::Time64(..) => {
                let (n, _) = time_nanos(&c.t, i);
                self.quoted(out, |s| write_time(n, Fraction::Trim, s));
            }
            Typed::Ts(v, unit, ltz) => {
                let (v, unit, ltz) = (v[i], *unit, *ltz);
                self.quoted(out, |s| {
                    write_timestamp(v, unit, if iso { 'T' } else { ' ' }, Fraction::Trim, s);
                    if ltz {
                        s.push('Z');
                    }
                });
            }
            Typed::Interval(v) => {
                let v = v[i];
                if v.days == 0 && v.nanoseconds == 0 {
                    int(v.months as i64, out);
                } else {
                    int(v.days as i64 * 86_400_000 + v.nanoseconds / 1_000_000, out);
                }
            }
            Typed::List(offsets, child) => {
                out.push(b'[');
                for (n, k) in (offsets[i]..offsets[i + 1]).enumerate() {
                    if n > 0 {
                        out.push(b',');
                    }
                    self.value(child, k, out);
                }
                out.push(b']');
            }
            Typed::Struct(fields) => {
                out.push(b'{');
                let mut first = true;
                for (name, f) in fields {
                    if self.opts.ignore_null_fields && f.is_null(i) {
                        continue;
                    }
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    write_json_string(name, out);
                    out.push(b':');
                    self.value(f, i, out);
                }
                out.push(b'}');
            }
            Typed::Multiset(offsets, child) => {
                // As Flink's json format writes a MULTISET: an object of element to count.
                let text = |k: usize| {
                    let mut s = String::new();
                    render_col(child, k, &mut s);
                    s
                };
                out.push(b'{');
                let entries = super::multiset::entries(child, offsets[i]..offsets[i + 1], text);
                for (n, (k, count)) in entries.into_iter().enumerate() {
                    if n > 0 {
                        out.push(b',');
                    }
                    write_json_string(&text(k), out);
                    out.push(b':');
                    out.extend_from_slice(count.to_string().as_bytes());
                }
                out.push(b'}');
            }
            Typed::Map(offsets, keys, values) => {
                out.push(b'{');
                for (n, k) in (offsets[i]..offsets[i + 1]).enumerate() {
                    if n > 0 {
                        out.push(b',');
                    }
                    let mut key = String::new();
                    render_col(keys, k, &mut key);
                    write_json_string(&key, out);
                    out.push(b':');
                    self.value(values, k, out);
                }
                out.push(b'}');
            }
            Typed::Other(_) => {
                let mut text = String::new();
                render_col(c, i, &mut text);
                write_json_string(&text, out);
            }
        }
    }

    fn number_or_quoted(&self, finite: bool, out: &mut Vec<u8>) {
        // Jackson writes NaN and infinities as strings (WRITE_NAN_AS_STRINGS)
        if finite {
            out.extend_from_slice(self.scratch.as_bytes());
        } else {
            out.push(b'"');
            out.extend_from_slice(self.scratch.as_bytes());
            out.push(b'"');
        }
    }

    fn quoted(&mut self, out: &mut Vec<u8>, f: impl FnOnce(&mut String)) {
        self.scratch.clear();
        f(&mut self.scratch);
        out.push(b'"');
        out.extend_from_slice(self.scratch.as_bytes());
        out.push(b'"');
    }
}

/// Appends `x` in decimal (without the formatting machinery: every integer column of every
/// written row comes here).
#[inline]
fn int(x: i64, out: &mut Vec<u8>) {
    out.extend_from_slice(itoa::Buffer::new().format(x).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The string at the start of `text` and where the cursor ends, or the error.
    fn string(text: &str) -> Result<(String, usize), String> {
        let mut cur = Cur::new(text);
        match cur.string() {
            Ok(s) => Ok((s.into_owned(), cur.i)),
            Err(Fail::Syntax(m) | Fail::Convert(m)) => Err(m),
        }
    }

    #[test]
    fn integers_are_written_in_decimal() {
        for x in [0, 7, -7, 10, 1_000_000, -1_234_567_890_123, i64::MAX, i64::MIN] {
            let mut out = b"x".to_vec();
            int(x, &mut out);
            assert_eq!(out, format!("x{x}").into_bytes());
        }
    }

    #[test]
    fn decimals_are_written_stripped_or_with_their_scale_as_plain_numbers() {
        use arrow::array::Decimal128Array;
        let values = Decimal128Array::from(vec![150, 0, 10_000, -5, 1_000_000_000_000])
            .with_precision_and_scale(20, 2)
            .expect("a valid decimal type");
        let col = Col::new(&values);
        let written = |opts: &crate::format::JsonOptions| -> Vec<String> {
            let mut w = JsonWriter { opts, scratch: String::new() };
            (0..values.len())
                .map(|i| {
                    let mut out = Vec::new();
                    w.value(&col, i, &mut out);
                    String::from_utf8(out).expect("utf-8")
                })
                .collect()
        };
        let default = crate::format::JsonOptions::default();
        assert_eq!(written(&default), ["1.5", "0", "1E+2", "-0.05", "1E+10"]);
        let plain = crate::format::JsonOptions { decimal_as_plain_number: true, ..default };
        assert_eq!(written(&plain), ["1.50", "0.00", "100.00", "-0.05", "10000000000.00"]);
    }

    #[test]
    fn strings_are_written_escaped_as_jackson_does() {
        for (s, want) in [
            ("", r#""""#),
            ("plain text longer than eight bytes", r#""plain text longer than eight bytes""#),
            ("a\"b\\c", r#""a\"b\\c""#),
            ("line\nbreak\r\ttab\u{8}\u{c}", r#""line\nbreak\r\ttab\b\f""#),
            ("\u{1}x\u{1f}", r#""\u0001x\u001F""#),
            ("é\u{7f}\"", "\"é\u{7f}\\\"\""),
            ("0123456789abcdef\"", r#""0123456789abcdef\"""#),
        ] {
            let mut out = Vec::new();
            write_json_string(s, &mut out);
            assert_eq!(String::from_utf8(out).unwrap(), want, "{s:?}");
        }
    }

    #[test]
    fn strings_with_and_without_escapes_are_read_whole() {
        assert_eq!(string(r#""plain" rest"#).unwrap(), ("plain".into(), 7));
        assert_eq!(string(r#""" x"#).unwrap(), ("".into(), 2));
        assert_eq!(string(r#""a\"b\\c\n" x"#).unwrap(), ("a\"b\\c\n".into(), 11));
        assert_eq!(string(r#""\u00e9t\u00e9""#).unwrap(), ("été".into(), 15));
        assert_eq!(string(r#""\ud83d\ude00!""#).unwrap(), ("😀!".into(), 15));
        assert!(string("\"a\u{1}b\"").unwrap_err().contains("control character"));
        assert!(string(r#""a\"b\u0001"#).unwrap_err().contains("closing the string"));
        assert!(string(r#""open"#).unwrap_err().contains("closing the string"));
    }

    /// The first quote, backslash or control character, one byte at a time.
    fn special_at_slowly(b: &[u8]) -> usize {
        b.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20).unwrap_or(b.len())
    }

    #[test]
    fn special_at_finds_the_first_quote_backslash_or_control_character() {
        // Every length up to 24, the special byte at every place, over plain fillers that
        // include bytes one bit away from the specials (0xA2 = 0x22 | 0x80, 0xDC = 0x5C | 0x80)
        // and the bounds around 0x20 (0x20 and 0x7F are plain, 0x1F and 0x00 are not).
        let fillers = [b'a', b' ', 0x7F, 0xA2, 0xDC, 0x80, 0xFF, 0x21, 0x5D, 0x23];
        let specials = [b'"', b'\\', 0x00, 0x1F, b'\n', b'\t'];
        for len in 0..24 {
            for filler in fillers {
                let plain = vec![filler; len];
                assert_eq!(special_at(&plain), len, "{plain:?}");
                for at in 0..len {
                    for special in specials {
                        let mut b = plain.clone();
                        b[at] = special;
                        assert_eq!(special_at(&b), at, "{b:?}");
                        // a second special after the first does not move the answer
                        if at + 1 < len {
                            b[len - 1] = b'"';
                            assert_eq!(special_at(&b), special_at_slowly(&b), "{b:?}");
                        }
                    }
                }
            }
        }
        // real text: UTF-8 sequences are plain
        for text in ["été 😀 ünïcödé \u{7FF}\u{FFFF}", "channel-2743\"", "https://www.nexmark.com/a?b=1\\u0041"]
        {
            assert_eq!(special_at(text.as_bytes()), special_at_slowly(text.as_bytes()), "{text}");
        }
    }

    #[test]
    fn long_strings_with_escapes_and_errors_past_the_first_eight_bytes() {
        assert_eq!(string(r#""0123456789abcdef" x"#).unwrap(), ("0123456789abcdef".into(), 18));
        assert_eq!(
            string(r#""0123456789\"abcdef\\0123456789\/x" ,"#).unwrap(),
            ("0123456789\"abcdef\\0123456789/x".into(), 35)
        );
        assert_eq!(string("\"0123456789é😀\\u00e9\" x").unwrap(), ("0123456789é😀é".into(), 24));
        // a control character after an escape, and before any: both refused where they are
        let err = string("\"0123456789\\n0123456789\u{1f}\"").unwrap_err();
        assert!(err.contains("control character") && err.contains("character 24"), "{err}");
        let err = string("\"0123456789\u{0}\"").unwrap_err();
        assert!(err.contains("control character") && err.contains("character 12"), "{err}");
        assert!(string(r#""0123456789abcdef\"#).unwrap_err().contains("an escape"));
        assert!(string(r#""0123456789abcdef\q""#).unwrap_err().contains("a valid escape"));
        assert!(string(r#""0123456789abcdef"#).unwrap_err().contains("closing the string"));
    }

    fn decode(schema: arrow::datatypes::SchemaRef, lines: &[&str]) -> Result<arrow::record_batch::RecordBatch, String> {
        use crate::format::{FormatKind, FormatOptions, RowDecoder};
        let mut d = RowDecoder::new(schema, FormatOptions::new(FormatKind::Json)).map_err(|e| e.message)?;
        for l in lines {
            d.decode_line(l.as_bytes(), &|| "test".to_string()).map_err(|e| e.message)?;
        }
        Ok(d.flush().map_err(|e| e.message)?.expect("rows"))
    }

    fn column(batch: &arrow::record_batch::RecordBatch, i: usize) -> Vec<Option<String>> {
        use arrow::array::Array as _;
        let text = arrow::compute::cast(batch.column(i), &arrow::datatypes::DataType::Utf8).unwrap();
        let text = text.as_any().downcast_ref::<arrow::array::StringArray>().unwrap();
        (0..text.len()).map(|k| text.is_valid(k).then(|| text.value(k).to_string())).collect()
    }

    #[test]
    fn keys_are_matched_in_any_order_spelling_and_repetition() {
        use arrow::datatypes::{DataType, Field, Schema};
        let schema = std::sync::Arc::new(Schema::new(vec![
            Field::new("a", DataType::Int64, true),
            Field::new("ab", DataType::Utf8, true),
            Field::new("q\"b\\", DataType::Utf8, true),
            Field::new("é", DataType::Int32, true),
        ]));
        let lines = [
            // schema order
            r#"{"a": 1, "ab": "x", "q\"b\\": "y", "é": 4}"#,
            // reversed, an unknown key and a key that is a column name's prefix or extension
            r#"{"é": 5, "abc": "no", "q\"b\\": "z", "ab": "w", "a": 2, "": 0}"#,
            // escaped spellings of the names, and a repeated key (the first value counts)
            r#"{"\u0061": 3, "a": 30, "\u0061b": "v", "q\u0022b\u005c": "u", "\u00e9": 6}"#,
            // missing fields are NULL; an empty object
            r#"{"ab": null}"#,
            r#"{}"#,
            // a key cut off right after a name's bytes
            r#"{"a" : 7,"ab":"t"}"#,
        ];
        let batch = decode(schema, &lines).unwrap();
        let some = |v: &[Option<&str>]| v.iter().map(|x| x.map(str::to_string)).collect::<Vec<_>>();
        assert_eq!(column(&batch, 0), some(&[Some("1"), Some("2"), Some("3"), None, None, Some("7")]));
        assert_eq!(column(&batch, 1), some(&[Some("x"), Some("w"), Some("v"), None, None, Some("t")]));
        assert_eq!(column(&batch, 2), some(&[Some("y"), Some("z"), Some("u"), None, None, None]));
        assert_eq!(column(&batch, 3), some(&[Some("4"), Some("5"), Some("6"), None, None, None]));
        // a name's bytes followed by more of the key, or a broken line, is not that name
        assert!(decode(batch.schema(), &[r#"{"a"#]).unwrap_err().contains("closing the string"));
        assert!(decode(batch.schema(), &[r#"{"a":1,"ab"#]).unwrap_err().contains("closing the string"));
    }

    #[test]
    fn unread_columns_are_skipped_and_the_rest_still_read() {
        use crate::format::{FormatKind, FormatOptions, RowDecoder};
        use arrow::datatypes::{DataType, Field, Schema};
        let schema = std::sync::Arc::new(Schema::new(vec![
            Field::new("a", DataType::Int64, true),
            Field::new("b", DataType::Utf8, true),
            Field::new("c", DataType::Utf8, true),
            Field::new("d", DataType::Int64, true),
        ]));
        let read = ["a", "d"].iter().map(|s| s.to_string()).collect();
        let mut d = RowDecoder::new(schema, FormatOptions::new(FormatKind::Json)).unwrap().read_only(&read);
        for l in [r#"{"a":1,"b":"x","c":[1,{"z":"\""}],"d":4}"#, r#"{"d":5,"c":"y","b":"z","a":2}"#, r#"{"b":"only"}"#]
        {
            d.decode_line(l.as_bytes(), &|| "test".to_string()).unwrap();
        }
        let batch = d.flush().unwrap().unwrap();
        let some = |v: &[Option<&str>]| v.iter().map(|x| x.map(str::to_string)).collect::<Vec<_>>();
        assert_eq!(column(&batch, 0), some(&[Some("1"), Some("2"), None]));
        assert_eq!(column(&batch, 1), some(&[None, None, None]));
        assert_eq!(column(&batch, 2), some(&[None, None, None]));
        assert_eq!(column(&batch, 3), some(&[Some("4"), Some("5"), None]));
    }

    #[test]
    fn small_integers_read_in_one_pass_agree_with_the_general_path() {
        let cases = [
            "0",
            "7",
            "-0",
            "-7",
            "42,",
            "123456789012345678}",
            "-123456789012345678",
            "1234567890123456789",
            "99999999999999999999",
            "1.5",
            "1e3",
            "-2E1",
            "12.",
            "-",
            "-a",
            "",
            "x",
            "0123",
            "5 ",
            "-9223372036854775808",
        ];
        for text in cases {
            let mut fast = Cur::new(text);
            let got = fast.small_integer();
            let mut general = Cur::new(text);
            let want = general.number().ok().and_then(|n| crate::format::text::parse_java_long(n).map(|x| (x, n)));
            match got {
                // The same value and end, and only for plain integers of up to 18 digits.
                Some(x) => {
                    let (v, n) = want.unwrap_or_else(|| panic!("{text:?}: fast {x}, general none"));
                    assert_eq!((x, fast.i), (v, general.i), "{text:?}");
                    assert!(!n.contains(['.', 'e', 'E']) && n.trim_start_matches('-').len() <= 18, "{text:?}");
                }
                None => {
                    assert_eq!(fast.i, 0, "{text:?}: the cursor must not move");
                    let plain = want.is_some_and(|(_, n)| !n.contains(['.', 'e', 'E']));
                    assert!(!plain || text.trim_start_matches('-').len() > 18, "{text:?}: missed {want:?}");
                }
            }
        }
    }

    #[test]
    fn integer_columns_read_plain_and_other_numbers_as_before() {
        use arrow::datatypes::{DataType, Field, Schema};
        let schema = std::sync::Arc::new(Schema::new(vec![
            Field::new("l", DataType::Int64, true),
            Field::new("i", DataType::Int32, true),
        ]));
        let lines = [
            r#"{"l": -12, "i": 2147483647}"#,
            r#"{"l": 1.9e1, "i": -2147483648}"#,
            r#"{"l": 123456789012345678, "i": 3.7}"#,
            r#"{"l": 9223372036854775807, "i": -0}"#,
        ];
        let batch = decode(schema.clone(), &lines).unwrap();
        let some = |v: &[&str]| v.iter().map(|x| Some(x.to_string())).collect::<Vec<_>>();
        assert_eq!(column(&batch, 0), some(&["-12", "19", "123456789012345678", "9223372036854775807"]));
        assert_eq!(column(&batch, 1), some(&["2147483647", "-2147483648", "3", "0"]));
        let err = decode(schema.clone(), &[r#"{"i": 2147483648}"#]).unwrap_err();
        assert!(err.contains("field 'i'") && err.contains("INT"), "{err}");
        assert!(decode(schema.clone(), &[r#"{"l": 9223372036854775808}"#]).unwrap_err().contains("BIGINT"));
        assert!(decode(schema, &[r#"{"l": 12.}"#]).unwrap_err().contains("a digit after '.'"));
    }
}
