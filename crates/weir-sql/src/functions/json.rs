//! Flink JSON functions (JSON_VALUE, JSON_QUERY, JSON_EXISTS) with their default `NULL ON EMPTY`,
//! `NULL ON ERROR` (`FALSE ON ERROR` for JSON_EXISTS) behaviour and lax path mode.
//!
//! Documents are parsed into an order-preserving tree (serde_json's map sorts keys) so JSON_QUERY
//! returns objects with their keys in document order, compact, as Jackson writes them.
//! Paths: `$`, `.key`, `['key']`, `["key"]`, `[n]`, `[*]`, `.*`, with an optional `lax`/`strict` prefix.

use std::fmt;
use std::sync::Arc;

use arrow::array::ArrayRef;
use datafusion_common::Result;
use datafusion_expr::ScalarUDF;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::common::{bool_rows, func, get, ret_bool, ret_utf8, str_rows, strs, FlinkScalar, Kind};

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
    Index(usize),
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
                (Seg::Index(i), Json::Arr(a)) => next.extend(a.get(*i)),
                (Seg::Wild, Json::Arr(a)) => next.extend(a.iter()),
                (Seg::Wild, Json::Obj(m)) => next.extend(m.iter().map(|(_, x)| x)),
                _ => {}
            }
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
