//! Flink JSON functions (JSON_VALUE, JSON_QUERY, JSON_EXISTS) with their default `NULL ON EMPTY`,
//! `NULL ON ERROR` (`FALSE ON ERROR` for JSON_EXISTS) behaviour and lax path mode.
//!
//! Documents are parsed into an order-preserving tree (serde_json's map sorts keys) so JSON_QUERY
//! returns objects with their keys in document order, compact, as Jackson writes them.
//! Paths: `$`, `.key`, `['key']`, `["key"]`, `[n]`, `[*]`, `.*`, with an optional `lax`/`strict` prefix.

use std::fmt;
use std::fmt::Write as _;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef};
use datafusion_common::Result;
use datafusion_expr::ScalarUDF;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::common::{bool_rows, func, get, ret_bool, ret_utf8, str_rows, str_rows_buf, strs, FlinkScalar, Kind};

/// An order-preserving JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number as parsed by serde_json.
    Num(serde_json::Number),
    /// A string.
    Str(String),
    /// An array.
    Arr(Vec<Json>),
    /// An object, keys in document order.
    Obj(Vec<(String, Json)>),
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> std::result::Result<Json, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> std::result::Result<Json, E> {
        Ok(Json::Num(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> std::result::Result<Json, E> {
        Ok(Json::Num(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> std::result::Result<Json, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Json::Null, Json::Num))
    }
    fn visit_str<E>(self, v: &str) -> std::result::Result<Json, E> {
        Ok(Json::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> std::result::Result<Json, E> {
        Ok(Json::Str(v))
    }
    fn visit_unit<E>(self) -> std::result::Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_none<E>(self) -> std::result::Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Json, A::Error> {
        let mut v = Vec::new();
        while let Some(x) = seq.next_element()? {
            v.push(x);
        }
        Ok(Json::Arr(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Json, A::Error> {
        let mut v = Vec::new();
        while let Some((k, x)) = map.next_entry::<String, Json>()? {
            v.push((k, x));
        }
        Ok(Json::Obj(v))
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Json, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

/// Java `Double.toString`.
pub fn java_double(d: f64) -> String {
    if d.is_nan() {
        return "NaN".into();
    }
    if d.is_infinite() {
        return if d > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    let a = d.abs();
    if a == 0.0 || (1e-3..1e7).contains(&a) {
        let s = format!("{d}");
        return if s.contains('.') { s } else { s + ".0" };
    }
    let s = format!("{d:e}");
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let m = if m.contains('.') { m.to_string() } else { format!("{m}.0") };
    format!("{m}E{e}")
}

impl Json {
    fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Num(n) => out.push_str(&n.to_string()),
            Json::Str(s) => out.push_str(&serde_json::to_string(s).unwrap_or_default()),
            Json::Arr(v) => {
                out.push('[');
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    x.write(out);
                }
                out.push(']');
            }
            Json::Obj(v) => {
                out.push('{');
                for (i, (k, x)) in v.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::to_string(k).unwrap_or_default());
                    out.push(':');
                    x.write(out);
                }
                out.push('}');
            }
        }
    }

    /// Compact JSON text.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        self.write(&mut s);
        s
    }

    /// The scalar as JSON_VALUE returns it (numbers as Java prints them); `None` for null, arrays, objects.
    fn scalar_text(&self) -> Option<String> {
        match self {
            Json::Str(s) => Some(s.clone()),
            Json::Bool(b) => Some(b.to_string()),
            Json::Num(n) if n.is_f64() => n.as_f64().map(java_double),
            Json::Num(n) => Some(n.to_string()),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    /// An array position; a negative one counts from the end (-1 is the last), as in
    /// Flink's JsonPath.
    Index(i64),
    Wild,
}

fn parse_path(p: &str) -> Option<Vec<Seg>> {
    let p = p.trim();
    let p = p.strip_prefix("lax").or_else(|| p.strip_prefix("strict")).unwrap_or(p).trim_start();
    let mut rest = p.strip_prefix('$')?;
    let mut segs = Vec::new();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix(".*") {
            segs.push(Seg::Wild);
            rest = r;
        } else if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            if end == 0 {
                return None;
            }
            segs.push(Seg::Key(r[..end].to_string()));
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            let inner = r[..end].trim();
            segs.push(if inner == "*" {
                Seg::Wild
            } else if let Some(q) = inner.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')) {
                Seg::Key(q.to_string())
            } else if let Some(q) = inner.strip_prefix('"').and_then(|x| x.strip_suffix('"')) {
                Seg::Key(q.to_string())
            } else {
                Seg::Index(inner.parse().ok()?)
            });
            rest = &r[end + 1..];
        } else {
            return None;
        }
    }
    Some(segs)
}

/// Result of a path: nothing, one value, or a list (a wildcard was involved).
enum Found<'a> {
    Missing,
    One(&'a Json),
    Many(Vec<&'a Json>),
}

fn eval<'a>(root: &'a Json, segs: &[Seg]) -> Found<'a> {
    let mut cur = vec![root];
    let mut many = false;
    for seg in segs {
        let mut next = Vec::new();
        for v in cur {
            match (seg, v) {
                (Seg::Key(k), Json::Obj(m)) => next.extend(m.iter().rev().find(|(key, _)| key == k).map(|(_, x)| x)),
                (Seg::Index(i), Json::Arr(a)) => {
                    let at = if *i < 0 { a.len() as i64 + i } else { *i };
                    next.extend(usize::try_from(at).ok().and_then(|at| a.get(at)))
                }
                (Seg::Wild, Json::Arr(a)) => next.extend(a.iter()),
                (Seg::Wild, Json::Obj(m)) => next.extend(m.iter().map(|(_, x)| x)),
                _ => {}
            }
        }
        // A path step before any wildcard that finds nothing: the path is missing (as in
        // Flink); after a wildcard, items without it are skipped.
        if next.is_empty() && !many && *seg != Seg::Wild {
            return Found::Missing;
        }
        many |= *seg == Seg::Wild;
        cur = next;
    }
    match (many, cur.len()) {
        (true, _) => Found::Many(cur),
        (false, 0) => Found::Missing,
        (false, _) => Found::One(cur[0]),
    }
}

fn run(a: &[ArrayRef], rows: usize, f: impl Fn(Found) -> Option<String>) -> Result<ArrayRef> {
    let (doc, path) = (strs(&a[0]), strs(&a[1]));
    str_rows(rows, |i| {
        let (Some(doc), Some(path)) = (get(doc, i), get(path, i)) else { return Ok(None) };
        let (Ok(json), Some(segs)) = (serde_json::from_str::<Json>(doc), parse_path(path)) else { return Ok(None) };
        Ok(f(eval(&json, &segs)))
    })
}

/// JSON functions.
pub(crate) fn udfs() -> Vec<Arc<ScalarUDF>> {
    let s: &'static [Kind] = &[Kind::Str];
    vec![
        // JSON_VALUE(json, path): the scalar at path as STRING; NULL if missing, null, non-scalar or invalid.
        func("json_value", (2, 2), s, ret_utf8, |_, a, n| {
            run(a, n, |f| match f {
                Found::One(v) => v.scalar_text(),
                _ => None,
            })
        }),
        // JSON_QUERY(json, path): the object/array at path as JSON text (a wildcard yields an array); scalars → NULL.
        func("json_query", (2, 2), s, ret_utf8, |_, a, n| {
            run(a, n, |f| match f {
                Found::One(v @ (Json::Arr(_) | Json::Obj(_))) => Some(v.to_text()),
                Found::Many(v) => Some(Json::Arr(v.into_iter().cloned().collect()).to_text()),
                _ => None,
            })
        }),
        // JSON_EXISTS(json, path): whether path yields a non-null value; FALSE for invalid JSON.
        func("json_exists", (2, 2), s, ret_bool, json_exists),
        // JSON_VALUE with clauses (see crate::parser's json_syntax): the scalar converted to
        // the RETURNING type; a missing or non-scalar item, invalid JSON or a failed
        // conversion follow ON ERROR (Flink 2.3 reads a missing path as an error, not as
        // empty), and so does a JSON null.
        func("flink_json_value", (7, 7), &[Kind::Any], json_value_type, flink_json_value),
        // JSON_QUERY with clauses: the wrapper ('WITHOUT', 'CONDITIONAL', 'UNCONDITIONAL') and
        // the ON EMPTY / ON ERROR behaviours ('NULL', 'ERROR', 'EMPTY ARRAY', 'EMPTY OBJECT').
        func("flink_json_query", (5, 5), s, ret_utf8, flink_json_query),
        // JSON_QUERY … RETURNING ARRAY<STRING>: the same, the array's elements as strings.
        func(
            "flink_json_query_array",
            (5, 5),
            s,
            |_| {
                Ok(arrow::datatypes::DataType::List(Arc::new(arrow::datatypes::Field::new(
                    "element",
                    arrow::datatypes::DataType::Utf8,
                    true,
                ))))
            },
            flink_json_query_array,
        ),
        // JSON_EXISTS … ON ERROR: what invalid JSON gives ('TRUE', 'FALSE', 'UNKNOWN', 'ERROR').
        func("flink_json_exists", (3, 3), s, ret_bool, flink_json_exists),
        // j IS JSON [VALUE | SCALAR | ARRAY | OBJECT]: FALSE for NULL.
        func("flink_is_json", (2, 2), s, ret_bool, flink_is_json),
        // JSON_OBJECT / JSON_ARRAY: flags 'NULL;…' or 'ABSENT;…' then per value 'j' (already
        // JSON) or 'n'; object keys sorted, as Flink writes them.
        func("flink_json_object", (1, usize::MAX), &[Kind::Any], ret_utf8, flink_json_object),
        func("flink_json_array", (1, usize::MAX), &[Kind::Any], ret_utf8, flink_json_array),
        // JSON_STRING(x): x as JSON text (numbers as numbers, strings quoted); NULL for NULL.
        // JSON_QUOTE(s) / JSON_UNQUOTE(s): see [`json_quote`] and [`json_unquote`].
        func("json_quote", (1, 1), s, ret_utf8, |_, a, n| {
            let v = strs(&a[0]);
            str_rows_buf(n, |i, buf| {
                let Some(v) = get(v, i) else { return Ok(false) };
                json_quote(v, buf);
                Ok(true)
            })
        }),
        func("json_unquote", (1, 1), s, ret_utf8, |_, a, n| {
            let v = strs(&a[0]);
            let mut units = Vec::new();
            str_rows_buf(n, |i, buf| {
                let Some(v) = get(v, i) else { return Ok(false) };
                if json_unquote_into(v, buf, &mut units).is_none() {
                    buf.clear();
                    buf.push_str(v);
                }
                Ok(true)
            })
        }),
        func("json_string", (1, 1), &[Kind::Any], ret_utf8, |_, a, n| str_rows(n, |i| Ok(value_json(&a[0], i, false)))),
    ]
    .into_iter()
    .map(FlinkScalar::udf)
    .collect()
}

fn json_exists(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (doc, path) = (strs(&a[0]), strs(&a[1]));
    bool_rows(rows, |i| {
        let (Some(doc), Some(path)) = (get(doc, i), get(path, i)) else { return Ok(None) };
        let (Ok(json), Some(segs)) = (serde_json::from_str::<Json>(doc), parse_path(path)) else {
            return Ok(Some(false));
        };
        Ok(Some(match eval(&json, &segs) {
            Found::Missing => false,
            Found::One(v) => *v != Json::Null,
            Found::Many(v) => !v.is_empty(),
        }))
    })
}

/// How a document's item at a path came out.
enum Item {
    /// Invalid JSON or path, or no item at the path.
    Error,
    /// A JSON null.
    Null,
    /// One item.
    Value(Json),
    /// Several items (a wildcard).
    Many(Vec<Json>),
}

/// The RETURNING type of `JSON_VALUE`: STRING, BOOLEAN, INT or DOUBLE; Flink refuses the
/// others at planning, with this message.
fn json_value_type(t: &[arrow::datatypes::DataType]) -> Result<arrow::datatypes::DataType> {
    use arrow::datatypes::DataType;
    match &t[2] {
        DataType::Utf8
        | DataType::LargeUtf8
        | DataType::Utf8View
        | DataType::Boolean
        | DataType::Int32
        | DataType::Float64 => Ok(t[2].clone()),
        other => {
            let name =
                crate::types::FlinkType::from_arrow(other, true).map_or_else(|| other.to_string(), |f| f.to_string());
            datafusion_common::plan_err!("Unsupported type '{name}' for RETURNING in JSON_VALUE().")
        }
    }
}

fn item(doc: &str, path: &str) -> Item {
    let (Ok(json), Some(segs)) = (serde_json::from_str::<Json>(doc), parse_path(path)) else { return Item::Error };
    match eval(&json, &segs) {
        Found::Missing => Item::Error,
        Found::One(Json::Null) => Item::Null,
        Found::One(v) => Item::Value(v.clone()),
        Found::Many(v) => Item::Many(v.into_iter().cloned().collect()),
    }
}

fn flink_json_value(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    use arrow::array::StringArray;
    let target = a[2].data_type().clone();
    let text = |k: usize| arrow::compute::cast(&a[k], &arrow::datatypes::DataType::Utf8);
    let (doc, path) = (text(0)?, text(1)?);
    let (doc, path) = (strs(&doc), strs(&path));
    // ON EMPTY (arguments 3 and 4) never applies: Flink 2.3 reads a missing path as an error.
    let on_error = text(5)?;
    let on_error = strs(&on_error);
    // Each row: Ok(text) to convert, or the behaviour to apply (position of its default).
    let mut texts: Vec<Option<String>> = Vec::with_capacity(rows);
    let mut fallback: Vec<Option<usize>> = Vec::with_capacity(rows);
    for i in 0..rows {
        let (Some(d), Some(p)) = (get(doc, i), get(path, i)) else {
            texts.push(None);
            fallback.push(None);
            continue;
        };
        // A JSON null at the path follows ON ERROR, as a missing item does (Flink 2.3).
        match item(d, p) {
            Item::Value(v) if v.scalar_text().is_some() => {
                texts.push(v.scalar_text());
                fallback.push(None);
            }
            _ => {
                texts.push(None);
                fallback.push(Some(6));
            }
        }
    }
    let converted =
        arrow::compute::cast(&(std::sync::Arc::new(StringArray::from(texts.clone())) as ArrayRef), &target)?;
    // A text that did not convert follows ON ERROR too.
    for (i, t) in texts.iter().enumerate() {
        if t.is_some() && converted.is_null(i) {
            fallback[i] = Some(6);
        }
    }
    if fallback.iter().all(Option::is_none) {
        return Ok(converted);
    }
    let default = arrow::compute::cast(&a[6], &target)?;
    let null = arrow::array::new_null_array(&target, 1);
    let mut picks: Vec<(usize, usize)> = Vec::with_capacity(rows);
    for (i, f) in fallback.iter().enumerate() {
        picks.push(match f {
            None => (0, i),
            Some(_) => match get(on_error, i).unwrap_or("NULL") {
                "DEFAULT" => (1, if default.len() == 1 { 0 } else { i }),
                "ERROR" => return exec_err_json("JSON_VALUE: no scalar at the path, or it does not convert"),
                _ => (2, 0),
            },
        });
    }
    Ok(arrow::compute::interleave(&[converted.as_ref(), default.as_ref(), null.as_ref()], &picks)?)
}

fn exec_err_json<T>(message: &str) -> Result<T> {
    Err(datafusion_common::DataFusionError::Execution(message.to_string()))
}

/// JSON_QUERY's item at `path` of `doc` after the wrapper (`WITHOUT`, `CONDITIONAL`,
/// `UNCONDITIONAL`); `None` is an error (invalid JSON or path, nothing or a JSON null at the
/// path — Flink 2.3 treats both as errors — or a scalar without a wrapper).
fn query_item(doc: &str, path: &str, wrapper: &str) -> Option<Json> {
    let found = match item(doc, path) {
        Item::Value(v) => v,
        Item::Many(v) => Json::Arr(v),
        Item::Null | Item::Error => return None,
    };
    match (wrapper, found) {
        ("UNCONDITIONAL", v) => Some(Json::Arr(vec![v])),
        ("CONDITIONAL", v @ (Json::Arr(_) | Json::Obj(_))) => Some(v),
        ("CONDITIONAL", v) => Some(Json::Arr(vec![v])),
        (_, v @ (Json::Arr(_) | Json::Obj(_))) => Some(v),
        _ => None,
    }
}

fn flink_json_query(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    // As for JSON_VALUE, a missing path follows ON ERROR, never ON EMPTY.
    let (doc, path, wrapper, on_error) = (strs(&a[0]), strs(&a[1]), strs(&a[2]), strs(&a[4]));
    str_rows(rows, |i| {
        let (Some(d), Some(p)) = (get(doc, i), get(path, i)) else { return Ok(None) };
        let result = query_item(d, p, get(wrapper, i).unwrap_or("WITHOUT"));
        match result {
            Some(v) => Ok(Some(v.to_text())),
            None => match get(on_error, i).unwrap_or("NULL") {
                "EMPTY ARRAY" => Ok(Some("[]".into())),
                "EMPTY OBJECT" => Ok(Some("{}".into())),
                "ERROR" => exec_err_json("JSON_QUERY: no array or object at the path"),
                _ => Ok(None),
            },
        }
    })
}

/// JSON_QUERY … RETURNING ARRAY<STRING>: the array at the path (an object there is an
/// error), each element a string — a JSON string as its text, a JSON null as NULL, any
/// other value as JSON text — as Flink gives them.
fn flink_json_query_array(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    use arrow::array::{ListBuilder, StringBuilder};
    let (doc, path, wrapper, on_error) = (strs(&a[0]), strs(&a[1]), strs(&a[2]), strs(&a[4]));
    let field = arrow::datatypes::Field::new("element", arrow::datatypes::DataType::Utf8, true);
    let mut out = ListBuilder::new(StringBuilder::new()).with_field(Arc::new(field));
    for i in 0..rows {
        let (Some(d), Some(p)) = (get(doc, i), get(path, i)) else {
            out.append(false);
            continue;
        };
        match query_item(d, p, get(wrapper, i).unwrap_or("WITHOUT")) {
            Some(Json::Arr(elements)) => {
                for e in elements {
                    match e {
                        Json::Null => out.values().append_null(),
                        Json::Str(s) => out.values().append_value(s),
                        other => out.values().append_value(other.to_text()),
                    }
                }
                out.append(true);
            }
            _ => match get(on_error, i).unwrap_or("NULL") {
                "EMPTY ARRAY" => out.append(true),
                "ERROR" => return exec_err_json("JSON_QUERY: no array at the path"),
                _ => out.append(false),
            },
        }
    }
    Ok(Arc::new(out.finish()))
}

fn flink_json_exists(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (doc, path, mode) = (strs(&a[0]), strs(&a[1]), strs(&a[2]));
    bool_rows(rows, |i| {
        let (Some(d), Some(p)) = (get(doc, i), get(path, i)) else { return Ok(None) };
        let on_error = || match get(mode, i).unwrap_or("FALSE") {
            "TRUE" => Ok(Some(true)),
            "UNKNOWN" => Ok(None),
            "ERROR" => exec_err_json("JSON_EXISTS: invalid JSON or no item at a strict path"),
            _ => Ok(Some(false)),
        };
        let (Ok(json), Some(segs)) = (serde_json::from_str::<Json>(d), parse_path(p)) else {
            return on_error();
        };
        Ok(Some(match eval(&json, &segs) {
            // In strict mode a step that finds nothing (a missing member, a member of a
            // non-object, an index outside the array) is an error, not FALSE.
            Found::Missing if is_strict(p) => return on_error(),
            Found::Missing => false,
            Found::One(v) => *v != Json::Null,
            Found::Many(v) => !v.is_empty(),
        }))
    })
}

/// Whether a JSON path is in strict mode (`strict $.a`); lax is the default.
fn is_strict(path: &str) -> bool {
    path.trim_start().strip_prefix("strict").is_some_and(|r| r.starts_with(char::is_whitespace) || r.starts_with('$'))
}

/// `JSON_QUOTE(s)`: `s` as a JSON string literal the way Flink writes it: `"`, `\`, `/` and
/// `\b \f \n \r \t` escaped, every character outside ASCII as `\uXXXX` (lowercase hex; a
/// character beyond the BMP as its code point, then its low surrogate, as Flink's loop over
/// UTF-16 units does), other ASCII kept.
pub(crate) fn json_quote(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii() => out.push(c),
            c => {
                let _ = write!(out, "\\u{:04x}", c as u32);
                let mut units = [0u16; 2];
                if let [_, low] = c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{:04x}", low);
                }
            }
        }
    }
    out.push('"');
}

/// `JSON_UNQUOTE(s)` appended to `out`: the string a quoted JSON string literal stands for
/// (escapes undone, `\uXXXX` read as UTF-16 units, an unpaired surrogate as U+FFFD); `None`
/// (`out` possibly holding part of it) for any other text — an object, a number, invalid
/// JSON — which JSON_UNQUOTE returns unchanged.
pub(crate) fn json_unquote_into(s: &str, out: &mut String, units: &mut Vec<u16>) -> Option<()> {
    let inner = s.strip_prefix('"')?.strip_suffix('"')?;
    units.clear();
    let flush = |units: &mut Vec<u16>, out: &mut String| {
        out.extend(char::decode_utf16(units.drain(..)).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)));
    };
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            if c == '"' || (c as u32) < 0x20 {
                return None;
            }
            flush(units, out);
            out.push(c);
            continue;
        }
        let unescaped = match chars.next()? {
            'u' => {
                let hex: String = chars.by_ref().take(4).collect();
                if hex.len() != 4 || !hex.chars().all(|h| h.is_ascii_hexdigit()) {
                    return None;
                }
                units.push(u16::from_str_radix(&hex, 16).ok()?);
                continue;
            }
            '"' => '"',
            '\\' => '\\',
            '/' => '/',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            _ => return None,
        };
        flush(units, out);
        out.push(unescaped);
    }
    flush(units, out);
    Some(())
}

/// [`json_unquote_into`] into a new string.
#[cfg(test)]
fn json_unquote(s: &str) -> Option<String> {
    let mut out = String::new();
    json_unquote_into(s, &mut out, &mut Vec::new()).map(|()| out)
}

fn flink_is_json(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (doc, kind) = (strs(&a[0]), strs(&a[1]));
    bool_rows(rows, |i| {
        let Some(d) = get(doc, i) else { return Ok(Some(false)) };
        let Ok(json) = serde_json::from_str::<Json>(d) else { return Ok(Some(false)) };
        Ok(Some(match get(kind, i).unwrap_or("VALUE") {
            "SCALAR" => !matches!(json, Json::Arr(_) | Json::Obj(_)),
            "ARRAY" => matches!(json, Json::Arr(_)),
            "OBJECT" => matches!(json, Json::Obj(_)),
            _ => true,
        }))
    })
}

/// Row `i` of `a` as JSON text (`raw`: the value is JSON text already); `None` for NULL.
pub(crate) fn value_json(a: &ArrayRef, i: usize, raw: bool) -> Option<String> {
    use arrow::array::AsArray;
    use arrow::datatypes::DataType;
    if a.is_null(i) {
        return None;
    }
    if raw {
        let text = arrow::compute::cast(&a.slice(i, 1), &DataType::Utf8).ok()?;
        let text = strs(&text).value(0).to_string();
        return Some(serde_json::from_str::<Json>(&text).map(|j| j.to_text()).unwrap_or(text));
    }
    Some(match a.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let t = arrow::compute::cast(&a.slice(i, 1), &DataType::Utf8).ok()?;
            serde_json::to_string(strs(&t).value(0)).unwrap_or_default()
        }
        DataType::Boolean => a.as_boolean().value(i).to_string(),
        DataType::Float32 | DataType::Float64 => {
            let v = arrow::compute::cast(&a.slice(i, 1), &DataType::Float64).ok()?;
            java_double(v.as_primitive::<arrow::datatypes::Float64Type>().value(0))
        }
        t if t.is_integer() || matches!(t, DataType::Decimal128(_, _)) => {
            let t = arrow::compute::cast(&a.slice(i, 1), &DataType::Utf8).ok()?;
            strs(&t).value(0).to_string()
        }
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(_, _) => {
            let items = list_value(a, i)?;
            let items: Vec<String> =
                (0..items.len()).map(|j| value_json(&items, j, false).unwrap_or_else(|| "null".into())).collect();
            format!("[{}]", items.join(","))
        }
        DataType::Struct(fields) => {
            let row = a.as_struct();
            let entries: Vec<String> = fields
                .iter()
                .zip(row.columns())
                .map(|(f, c)| {
                    let v = value_json(c, i, false).unwrap_or_else(|| "null".into());
                    format!("{}:{v}", serde_json::to_string(f.name()).unwrap_or_default())
                })
                .collect();
            format!("{{{}}}", entries.join(","))
        }
        DataType::Map(_, _) => {
            let entries = a.as_map().value(i);
            let (keys, values) = (entries.column(0), entries.column(1));
            let body: Vec<String> = (0..entries.len())
                .map(|j| {
                    let mut key = String::new();
                    crate::format::render_value(keys.as_ref(), j, &mut key);
                    let v = value_json(values, j, false).unwrap_or_else(|| "null".into());
                    format!("{}:{v}", serde_json::to_string(&key).unwrap_or_default())
                })
                .collect();
            format!("{{{}}}", body.join(","))
        }
        DataType::Timestamp(_, None) | DataType::Date32 | DataType::Time32(_) | DataType::Time64(_) => {
            let mut s = String::new();
            crate::format::render_value(a.as_ref(), i, &mut s);
            serde_json::to_string(&iso_local(&s)).unwrap_or_default()
        }
        _ => {
            let mut s = String::new();
            crate::format::render_value(a.as_ref(), i, &mut s);
            serde_json::to_string(&s).unwrap_or_default()
        }
    })
}

/// Element `i` of a list array, as an array.
fn list_value(a: &ArrayRef, i: usize) -> Option<ArrayRef> {
    use arrow::array::AsArray;
    use arrow::datatypes::DataType;
    Some(match a.data_type() {
        DataType::List(_) => a.as_list::<i32>().value(i),
        DataType::LargeList(_) => a.as_list::<i64>().value(i),
        DataType::FixedSizeList(_, _) => a.as_fixed_size_list().value(i),
        _ => return None,
    })
}

/// A date, time or timestamp as Flink's JSON functions write it (Java's ISO `toString`
/// through Jackson): `2024-01-02T03:04:05.678`, a 'T' between date and time, seconds always,
/// the fraction without trailing zeros and none when it is zero.
fn iso_local(text: &str) -> String {
    let text = text.replacen(' ', "T", 1);
    match text.split_once('.') {
        Some((whole, fraction)) => {
            let fraction = fraction.trim_end_matches('0');
            if fraction.is_empty() {
                whole.to_string()
            } else {
                format!("{whole}.{fraction}")
            }
        }
        None => text,
    }
}

/// The flags of a JSON constructor: whether NULLs are written, and which values are JSON.
pub(crate) fn constructor_flags(a: &ArrayRef) -> (bool, Vec<bool>) {
    let flags = strs(a);
    let flags = if flags.is_empty() || flags.is_null(0) { "NULL;" } else { flags.value(0) };
    let (nulls, raw) = flags.split_once(';').unwrap_or((flags, ""));
    (nulls != "ABSENT", raw.chars().map(|c| c == 'j').collect())
}

fn flink_json_object(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (write_nulls, raw) = constructor_flags(&a[0]);
    let keys: Vec<ArrayRef> = a[1..]
        .iter()
        .step_by(2)
        .map(|k| arrow::compute::cast(k, &arrow::datatypes::DataType::Utf8))
        .collect::<std::result::Result<_, _>>()?;
    let values: Vec<&ArrayRef> = a[1..].iter().skip(1).step_by(2).collect();
    str_rows(rows, |i| {
        let mut entries: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
        for (n, (k, v)) in keys.iter().zip(&values).enumerate() {
            if k.is_null(i) {
                return exec_err_json("JSON_OBJECT: a key is NULL");
            }
            let value = value_json(v, i, raw.get(n).copied().unwrap_or(false));
            if value.is_none() && !write_nulls {
                continue;
            }
            entries.insert(strs(k).value(i).to_string(), value.unwrap_or_else(|| "null".into()));
        }
        let body: Vec<String> = entries
            .into_iter()
            .map(|(k, v)| format!("{}:{v}", serde_json::to_string(&k).unwrap_or_default()))
            .collect();
        Ok(Some(format!("{{{}}}", body.join(","))))
    })
}

fn flink_json_array(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (write_nulls, raw) = constructor_flags(&a[0]);
    str_rows(rows, |i| {
        let mut items = Vec::new();
        for (n, v) in a[1..].iter().enumerate() {
            match value_json(v, i, raw.get(n).copied().unwrap_or(false)) {
                Some(text) => items.push(text),
                None if write_nulls => items.push("null".into()),
                None => {}
            }
        }
        Ok(Some(format!("[{}]", items.join(","))))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_indexes_count_from_the_end() {
        let doc: Json = serde_json::from_str(r#"{"a":[1,2,3]}"#).expect("valid JSON");
        let at = |p: &str| match eval(&doc, &parse_path(p).expect("a valid path")) {
            Found::One(v) => v.scalar_text(),
            _ => None,
        };
        assert_eq!(at("$.a[-1]").as_deref(), Some("3"));
        assert_eq!(at("$.a[-3]").as_deref(), Some("1"));
        assert_eq!(at("$.a[-4]"), None);
        assert_eq!(at("$.a[0]").as_deref(), Some("1"));
    }

    #[test]
    fn temporal_values_in_iso_form() {
        assert_eq!(iso_local("2024-01-02 03:04:05.678"), "2024-01-02T03:04:05.678");
        assert_eq!(iso_local("2024-01-02 03:04:00.000"), "2024-01-02T03:04:00");
        assert_eq!(iso_local("2024-01-02 03:04:05.120"), "2024-01-02T03:04:05.12");
        assert_eq!(iso_local("2024-01-02"), "2024-01-02");
    }

    #[test]
    fn nested_values_as_json() {
        use arrow::array::{ListArray, StringArray, StructArray};
        use arrow::datatypes::{DataType, Field, Int32Type};
        let list: ArrayRef =
            Arc::new(ListArray::from_iter_primitive::<Int32Type, _, _>(vec![Some(vec![Some(1), None]), Some(vec![])]));
        assert_eq!(value_json(&list, 0, false).as_deref(), Some("[1,null]"));
        assert_eq!(value_json(&list, 1, false).as_deref(), Some("[]"));
        let row: ArrayRef = Arc::new(StructArray::from(vec![(
            Arc::new(Field::new("s", DataType::Utf8, true)),
            Arc::new(StringArray::from(vec!["x"])) as ArrayRef,
        )]));
        assert_eq!(value_json(&row, 0, false).as_deref(), Some(r#"{"s":"x"}"#));
    }

    #[test]
    fn json_quote_escapes_as_flink() {
        let q = |s: &str| {
            let mut out = String::new();
            json_quote(s, &mut out);
            out
        };
        assert_eq!(q("plain"), r#""plain""#);
        assert_eq!(q("quo\"te\\back"), r#""quo\"te\\back""#);
        assert_eq!(q("tab\tnew\nline é/"), r#""tab\tnew\nline \u00e9\/""#);
        assert_eq!(q("😀"), r#""\u1f600\ude00""#);
        assert_eq!(json_unquote(r#""tab\tnew\nline \u00e9\/""#).as_deref(), Some("tab\tnew\nline é/"));
        assert_eq!(json_unquote("{bad json"), None);
        assert_eq!(json_unquote("42"), None);
        assert_eq!(json_unquote(r#""bad \x""#), None);
        assert_eq!(json_unquote(r#""\ud83d\ude00 \u00E9""#).as_deref(), Some("😀 é"));
        assert_eq!(json_unquote(r#""a"b""#), None);
        assert_eq!(json_unquote(r#"""#), None);
    }

    fn exists(doc: &str, path: &str, on_error: &str) -> Option<bool> {
        let arr = |s: &str| Arc::new(arrow::array::StringArray::from(vec![s])) as ArrayRef;
        let f = func("flink_json_exists", (3, 3), &[Kind::Str], ret_bool, flink_json_exists);
        let out = flink_json_exists(&f, &[arr(doc), arr(path), arr(on_error)], 1).unwrap();
        let out = out.as_any().downcast_ref::<arrow::array::BooleanArray>().unwrap();
        out.is_valid(0).then(|| out.value(0))
    }

    #[test]
    fn json_exists_strict_missing_is_an_error() {
        assert_eq!(exists(r#"{"b":1}"#, "strict $.a", "TRUE"), Some(true));
        assert_eq!(exists(r#"{"b":1}"#, "strict $.a", "UNKNOWN"), None);
        assert_eq!(exists(r#"{"b":1}"#, "strict $.a", "FALSE"), Some(false));
        assert_eq!(exists("[1]", "strict $.a", "TRUE"), Some(true));
        assert_eq!(exists(r#"{"b":1}"#, "strict $.b", "TRUE"), Some(true));
        assert_eq!(exists(r#"{"b":1}"#, "lax $.a", "TRUE"), Some(false));
        assert_eq!(exists(r#"{"b":1}"#, "$.a", "TRUE"), Some(false));
        assert!(is_strict("  strict $") && !is_strict("lax $") && !is_strict("$.strict"));
    }
}
