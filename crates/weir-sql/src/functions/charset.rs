//! `ENCODE(string, charset)` and `DECODE(bytes, charset)`: Flink's conversions between a
//! STRING and its BYTES in a Java charset (they replace DataFusion's `encode`/`decode`, which
//! mean base64/hex).
//!
//! Checked against Flink 2.3: a character the charset cannot hold is encoded as `?`
//! (US-ASCII, ISO-8859-1); bytes that do not decode become U+FFFD; `UTF-16` encodes big-endian
//! after the byte-order mark `FE FF` and decodes by the mark (big-endian without one); charset
//! names are Java's, case-insensitive, with its common aliases (`utf8`, `latin1`, …); any
//! other name fails the job with Java's message (`java.nio.charset.UnsupportedCharsetException:
//! name`); a NULL argument gives NULL.

use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, BinaryBuilder, StringBuilder};
use arrow::datatypes::DataType;
use datafusion_common::{exec_err, Result};
use datafusion_expr::ScalarUDF;

use super::common::{func, get, strs, FlinkScalar, Kind};

/// A charset Flink's ENCODE/DECODE accept (Java's `Charset.forName`, the ones Weir knows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Charset {
    Utf8,
    Ascii,
    Latin1,
    /// UTF-16 with a byte-order mark (written big-endian).
    Utf16,
    Utf16Be,
    Utf16Le,
    /// UTF-32 (big-endian; a mark is not written).
    Utf32,
    Utf32Be,
    Utf32Le,
}

impl Charset {
    /// Java's canonical names and aliases, case-insensitive.
    fn named(name: &str) -> Option<Charset> {
        Some(match name.to_ascii_uppercase().replace('_', "-").as_str() {
            "UTF-8" | "UTF8" => Charset::Utf8,
            "US-ASCII" | "ASCII" | "ISO646-US" | "ASCII7" | "646" | "CP367" | "DEFAULT" | "ISO-IR-6" | "US"
            | "IBM367" | "CSASCII" | "ANSI-X3.4-1968" | "ANSI-X3.4-1986" | "ISO-646.IRV:1991" => Charset::Ascii,
            "ISO-8859-1" | "ISO8859-1" | "ISO8859-1:1987" | "ISO-IR-100" | "LATIN1" | "L1" | "IBM819" | "CP819"
            | "CSISOLATIN1" | "819" | "IBM-819" | "ISO-8859-1:1987" | "8859-1" => Charset::Latin1,
            "UTF-16" | "UTF16" | "UNICODE" => Charset::Utf16,
            "UTF-16BE" | "UTF16BE" | "X-UTF-16BE" | "ISO-10646-UCS-2" | "UNICODEBIGUNMARKED" => Charset::Utf16Be,
            "UTF-16LE" | "UTF16LE" | "X-UTF-16LE" | "UNICODELITTLEUNMARKED" => Charset::Utf16Le,
            "UTF-32" | "UTF32" => Charset::Utf32,
            "UTF-32BE" | "UTF32BE" | "X-UTF-32BE" => Charset::Utf32Be,
            "UTF-32LE" | "UTF32LE" | "X-UTF-32LE" => Charset::Utf32Le,
            _ => return None,
        })
    }

    /// The bytes of `s` in this charset, appended to `out`.
    fn encode(self, s: &str, out: &mut Vec<u8>) {
        let narrow = |max: u32, out: &mut Vec<u8>| {
            // Java encodes a character outside the charset as '?', once per character (a
            // supplementary character is one).
            out.extend(s.chars().map(|c| if (c as u32) <= max { c as u8 } else { b'?' }));
        };
        match self {
            Charset::Utf8 => out.extend_from_slice(s.as_bytes()),
            Charset::Ascii => narrow(0x7f, out),
            Charset::Latin1 => narrow(0xff, out),
            Charset::Utf16 | Charset::Utf16Be => {
                if self == Charset::Utf16 && !s.is_empty() {
                    out.extend_from_slice(&[0xfe, 0xff]);
                }
                out.extend(s.encode_utf16().flat_map(u16::to_be_bytes));
            }
            Charset::Utf16Le => out.extend(s.encode_utf16().flat_map(u16::to_le_bytes)),
            Charset::Utf32 | Charset::Utf32Be => out.extend(s.chars().flat_map(|c| (c as u32).to_be_bytes())),
            Charset::Utf32Le => out.extend(s.chars().flat_map(|c| (c as u32).to_le_bytes())),
        }
    }

    /// `b` decoded from this charset, malformed input replaced by U+FFFD.
    fn decode(self, b: &[u8], out: &mut String) {
        match self {
            Charset::Utf8 => out.push_str(&String::from_utf8_lossy(b)),
            Charset::Ascii => {
                out.extend(b.iter().map(|&x| if x < 0x80 { x as char } else { char::REPLACEMENT_CHARACTER }))
            }
            Charset::Latin1 => out.extend(b.iter().map(|&x| x as char)),
            Charset::Utf16 | Charset::Utf16Be | Charset::Utf16Le => {
                let (little, body) = match (self, b) {
                    (Charset::Utf16, [0xfe, 0xff, rest @ ..]) => (false, rest),
                    (Charset::Utf16, [0xff, 0xfe, rest @ ..]) => (true, rest),
                    (Charset::Utf16Le, _) => (true, b),
                    _ => (false, b),
                };
                let units = body.chunks_exact(2).map(|p| {
                    if little {
                        u16::from_le_bytes([p[0], p[1]])
                    } else {
                        u16::from_be_bytes([p[0], p[1]])
                    }
                });
                out.extend(char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)));
                if body.len() % 2 == 1 {
                    out.push(char::REPLACEMENT_CHARACTER);
                }
            }
            Charset::Utf32 | Charset::Utf32Be | Charset::Utf32Le => {
                let little = self == Charset::Utf32Le;
                for q in b.chunks(4) {
                    let c = <[u8; 4]>::try_from(q)
                        .ok()
                        .map(|q| if little { u32::from_le_bytes(q) } else { u32::from_be_bytes(q) })
                        .and_then(char::from_u32);
                    out.push(c.unwrap_or(char::REPLACEMENT_CHARACTER));
                }
            }
        }
    }
}

/// The charset of row `i`'s name, `None` for a NULL name; an unknown name fails as in Flink.
fn charset_at(
    names: &arrow::array::StringArray,
    i: usize,
    cache: &mut Option<(String, Charset)>,
) -> Result<Option<Charset>> {
    let Some(name) = get(names, i) else { return Ok(None) };
    if let Some((cached, c)) = cache {
        if cached == name {
            return Ok(Some(*c));
        }
    }
    match Charset::named(name) {
        Some(c) => {
            *cache = Some((name.to_string(), c));
            Ok(Some(c))
        }
        None => exec_err!("java.nio.charset.UnsupportedCharsetException: {name}"),
    }
}

fn encode(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (s, names) = (strs(&a[0]), strs(&a[1]));
    let mut out = BinaryBuilder::with_capacity(rows, s.value_data().len());
    let (mut cache, mut value) = (None, Vec::new());
    for i in 0..rows {
        match (get(s, i), charset_at(names, i, &mut cache)?) {
            (Some(text), Some(c)) => {
                value.clear();
                c.encode(text, &mut value);
                out.append_value(&value);
            }
            _ => out.append_null(),
        }
    }
    Ok(Arc::new(out.finish()))
}

fn decode(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let bytes = arrow::compute::cast(&a[0], &DataType::Binary)?;
    let (b, names) = (bytes.as_binary::<i32>(), strs(&a[1]));
    let mut out = StringBuilder::with_capacity(rows, b.value_data().len());
    let (mut cache, mut value) = (None, String::new());
    for i in 0..rows {
        match (get(b, i), charset_at(names, i, &mut cache)?) {
            (Some(bytes), Some(c)) => {
                value.clear();
                c.decode(bytes, &mut value);
                out.append_value(&value);
            }
            _ => out.append_null(),
        }
    }
    Ok(Arc::new(out.finish()))
}

/// DECODE's first argument: BYTES (or a NULL literal); Flink refuses a character string.
fn bytes_arg(t: &[DataType]) -> Result<DataType> {
    match t.first() {
        Some(DataType::Binary | DataType::LargeBinary | DataType::BinaryView | DataType::FixedSizeBinary(_))
        | Some(DataType::Null) => Ok(DataType::Utf8),
        Some(other) => datafusion_common::plan_err!(
            "Cannot apply 'DECODE' to arguments of type 'DECODE(<{other}>, <CHARACTER>)'. Supported form(s): 'DECODE(<BINARY>, <CHARACTER>)'"
        ),
        None => Ok(DataType::Utf8),
    }
}

/// ENCODE and DECODE.
pub(crate) fn udfs() -> Vec<Arc<ScalarUDF>> {
    vec![
        func("encode", (2, 2), &[Kind::Str], |_| Ok(DataType::Binary), encode).udf(),
        func("decode", (2, 2), &[Kind::Bytes, Kind::Str], bytes_arg, decode).udf(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(s: &str, name: &str) -> Vec<u8> {
        let mut out = Vec::new();
        Charset::named(name).expect(name).encode(s, &mut out);
        out
    }

    fn dec(b: &[u8], name: &str) -> String {
        let mut out = String::new();
        Charset::named(name).expect(name).decode(b, &mut out);
        out
    }

    #[test]
    fn encodes_as_javas_charsets() {
        // Flink 2.3: ENCODE('ü€', …) as signed bytes [-61, -68, -30, -126, -84] etc.
        assert_eq!(enc("ü€", "UTF-8"), [0xc3, 0xbc, 0xe2, 0x82, 0xac]);
        assert_eq!(enc("ü€", "utf8"), [0xc3, 0xbc, 0xe2, 0x82, 0xac]);
        assert_eq!(enc("ü€", "US-ASCII"), b"??");
        assert_eq!(enc("ü€", "ISO-8859-1"), [0xfc, b'?']);
        assert_eq!(enc("ü€", "latin1"), [0xfc, b'?']);
        assert_eq!(enc("hi", "UTF-16BE"), [0, b'h', 0, b'i']);
        assert_eq!(enc("hi", "UTF-16LE"), [b'h', 0, b'i', 0]);
        assert_eq!(enc("hi", "UTF-16"), [0xfe, 0xff, 0, b'h', 0, b'i']);
        assert_eq!(enc("", "UTF-16"), [0u8; 0]);
        assert_eq!(enc("ü€", "UTF-32"), [0, 0, 0, 0xfc, 0, 0, 0x20, 0xac]);
        assert!(Charset::named("foo").is_none());
    }

    #[test]
    fn decodes_as_javas_charsets() {
        assert_eq!(dec(&[0xc3, 0x28, 0xff], "UTF-8"), "\u{fffd}(\u{fffd}");
        assert_eq!(dec(&[0xfe, 0xff, 0, b'h'], "UTF-16"), "h");
        assert_eq!(dec(&[0xff, 0xfe, b'h', 0], "UTF-16"), "h");
        assert_eq!(dec(&[b'h', 0, b'i', 0], "UTF-16"), "\u{6800}\u{6900}");
        assert_eq!(dec(&[0, b'h', 0], "UTF-16BE"), "h\u{fffd}");
        assert_eq!(dec(&[0x80], "US-ASCII"), "\u{fffd}");
        assert_eq!(dec(&[0xc3, 0xbc], "ISO-8859-1"), "Ã¼");
        assert_eq!(dec(&enc("ü€", "UTF-16LE"), "UTF-16LE"), "ü€");
    }
}
