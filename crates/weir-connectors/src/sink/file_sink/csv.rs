//! [`CsvEncoder`]: each record as one CSV row, as Flink's `csv` format writes it.
//!
//! - A struct, tuple or sequence is a row of its fields, in order; any other value is a
//!   row of one field. No header line.
//! - Fields are separated by `,` (configurable); a field holding the delimiter, the quote
//!   character `"`, a carriage return or a line feed is quoted, its quotes doubled
//!   (RFC 4180). Rows end with `\n`.
//! - `None` and `()` are the null literal, empty by default (Flink's `csv.null-literal`).
//! - A nested struct, tuple or sequence is one field of its elements joined by `;`
//!   (Flink's `csv.array-element-delimiter`, which it uses for arrays and nested rows).
//! - Bytes are Base64 (as Flink writes `BYTES`); floats as Java prints them (`1.0`,
//!   `NaN`, `Infinity`); an enum's unit variant is its name.
//! - Maps have no CSV form: encoding one is an error.

use std::fmt;

use serde::ser::{self, Impossible, Serialize};
use weir_runtime::BoxError;

use super::encoder::Encoder;

/// Encodes records as CSV rows (RFC 4180 quoting).
///
/// ```
/// use weir_connectors::sink::{CsvEncoder, Encoder};
/// #[derive(serde::Serialize)]
/// struct Bid { auction: u64, bidder: String, price: f64, note: Option<String> }
/// let bid = Bid { auction: 7, bidder: "Ann \"A\", Jr.".into(), price: 2.0, note: None };
/// let mut out = Vec::new();
/// CsvEncoder::new().encode(&bid, &mut out).unwrap();
/// assert_eq!(String::from_utf8(out).unwrap(), "7,\"Ann \"\"A\"\", Jr.\",2.0,\n");
/// ```
#[derive(Debug, Clone)]
pub struct CsvEncoder {
    delimiter: char,
    array_delimiter: char,
    null_literal: String,
}

impl Default for CsvEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl CsvEncoder {
    /// Flink's defaults: `,` between fields, `;` between array elements, empty nulls.
    pub fn new() -> Self {
        CsvEncoder { delimiter: ',', array_delimiter: ';', null_literal: String::new() }
    }

    /// Separates fields with `delimiter` (Flink's `csv.field-delimiter`), for example `'\t'`
    /// or `'|'`.
    ///
    /// ```
    /// use weir_connectors::sink::{CsvEncoder, Encoder};
    /// let mut out = Vec::new();
    /// CsvEncoder::new().with_field_delimiter('|').encode(&(1, "a|b"), &mut out).unwrap();
    /// assert_eq!(out, b"1|\"a|b\"\n");
    /// ```
    pub fn with_field_delimiter(mut self, delimiter: char) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// Joins the elements of nested sequences and rows with `delimiter` (Flink's
    /// `csv.array-element-delimiter`).
    pub fn with_array_element_delimiter(mut self, delimiter: char) -> Self {
        self.array_delimiter = delimiter;
        self
    }

    /// Writes `None` and `()` as `literal` (Flink's `csv.null-literal`).
    pub fn with_null_literal(mut self, literal: impl Into<String>) -> Self {
        self.null_literal = literal.into();
        self
    }

    /// Appends `field`, quoted if it must be.
    fn push_field(&self, field: &str, out: &mut Vec<u8>) {
        let needs_quotes = field.chars().any(|c| c == self.delimiter || c == '"' || c == '\n' || c == '\r');
        if !needs_quotes {
            out.extend_from_slice(field.as_bytes());
            return;
        }
        out.push(b'"');
        for part in field.split_inclusive('"') {
            out.extend_from_slice(part.as_bytes());
            if part.ends_with('"') {
                out.push(b'"');
            }
        }
        out.push(b'"');
    }
}

impl<T: Serialize> Encoder<T> for CsvEncoder {
    fn encode(&self, value: &T, out: &mut Vec<u8>) -> Result<(), BoxError> {
        let mut row = Row { fields: Vec::new(), array_delimiter: self.array_delimiter, null: &self.null_literal };
        value.serialize(Fields { row: &mut row, depth: 0 })?;
        let mut delimiter = [0u8; 4];
        let delimiter = self.delimiter.encode_utf8(&mut delimiter).as_bytes();
        for (i, field) in row.fields.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(delimiter);
            }
            self.push_field(field, out);
        }
        out.push(b'\n');
        Ok(())
    }

    fn format_name(&self) -> &'static str {
        "CSV"
    }

    fn default_suffix(&self) -> &'static str {
        ".csv"
    }
}

/// The fields of the row being built.
struct Row<'a> {
    fields: Vec<String>,
    array_delimiter: char,
    null: &'a str,
}

impl Row<'_> {
    /// Adds `text` to the row: as a new field at depth 0 (the record is a single value),
    /// else to the field being built.
    fn put(&mut self, depth: u32, text: &str) {
        if depth == 0 {
            self.fields.push(text.to_string());
        } else {
            self.fields.last_mut().expect("a nested value is inside a field").push_str(text);
        }
    }
}

/// Why a record has no CSV form.
#[derive(Debug)]
struct CsvError(String);

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CsvError {}

impl ser::Error for CsvError {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        CsvError(msg.to_string())
    }
}

/// Serializes a value into the row: at depth 0 a composite's elements become fields; at
/// depth 1 a value is (part of) one field; deeper, composites join their elements.
struct Fields<'r, 'a> {
    row: &'r mut Row<'a>,
    depth: u32,
}

/// A struct, tuple or sequence being serialized.
struct Composite<'r, 'a> {
    row: &'r mut Row<'a>,
    depth: u32,
    first: bool,
}

impl Composite<'_, '_> {
    fn element<V: Serialize + ?Sized>(&mut self, value: &V) -> Result<(), CsvError> {
        if self.depth == 0 {
            self.row.fields.push(String::new());
        } else if !self.first {
            let delimiter = self.row.array_delimiter;
            self.row.fields.last_mut().expect("a nested value is inside a field").push(delimiter);
        }
        self.first = false;
        value.serialize(Fields { row: self.row, depth: self.depth + 1 })
    }
}

macro_rules! display_primitives {
    ($($method:ident($ty:ty)),* $(,)?) => {$(
        fn $method(self, v: $ty) -> Result<(), CsvError> {
            self.row.put(self.depth, &v.to_string());
            Ok(())
        }
    )*};
}

/// Java's `Double.toString` for the values it shares with Rust's `Debug` (`1.0`, `0.1`),
/// with Java's words for the non-finite ones.
fn java_float(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else {
        format!("{v:?}")
    }
}

/// Standard Base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                text.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                text.push('=');
            }
        }
    }
    text
}

impl<'r, 'a> ser::Serializer for Fields<'r, 'a> {
    type Ok = ();
    type Error = CsvError;
    type SerializeSeq = Composite<'r, 'a>;
    type SerializeTuple = Composite<'r, 'a>;
    type SerializeTupleStruct = Composite<'r, 'a>;
    type SerializeTupleVariant = Composite<'r, 'a>;
    type SerializeMap = Impossible<(), CsvError>;
    type SerializeStruct = Composite<'r, 'a>;
    type SerializeStructVariant = Composite<'r, 'a>;

    display_primitives!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
        serialize_char(char),
        serialize_str(&str),
    );

    fn serialize_f32(self, v: f32) -> Result<(), CsvError> {
        // Through f64's Debug would print 0.1f32 as 0.10000000149011612.
        let text = if v.is_finite() { format!("{v:?}") } else { java_float(f64::from(v)) };
        self.row.put(self.depth, &text);
        Ok(())
    }

    fn serialize_f64(self, v: f64) -> Result<(), CsvError> {
        self.row.put(self.depth, &java_float(v));
        Ok(())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), CsvError> {
        self.row.put(self.depth, &base64(v));
        Ok(())
    }

    fn serialize_none(self) -> Result<(), CsvError> {
        let null = self.row.null;
        self.row.put(self.depth, null);
        Ok(())
    }

    fn serialize_some<V: Serialize + ?Sized>(self, value: &V) -> Result<(), CsvError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), CsvError> {
        self.serialize_none()
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), CsvError> {
        self.serialize_none()
    }

    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<(), CsvError> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<V: Serialize + ?Sized>(self, _name: &'static str, value: &V) -> Result<(), CsvError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<V: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        value: &V,
    ) -> Result<(), CsvError> {
        value.serialize(self)
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Composite<'r, 'a>, CsvError> {
        Ok(Composite { row: self.row, depth: self.depth, first: true })
    }

    fn serialize_tuple(self, len: usize) -> Result<Composite<'r, 'a>, CsvError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Composite<'r, 'a>, CsvError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        len: usize,
    ) -> Result<Composite<'r, 'a>, CsvError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Impossible<(), CsvError>, CsvError> {
        Err(CsvError("a map has no CSV form (Flink's csv format has no MAP type either)".into()))
    }

    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Composite<'r, 'a>, CsvError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        len: usize,
    ) -> Result<Composite<'r, 'a>, CsvError> {
        self.serialize_seq(Some(len))
    }
}

/// The compound serializers: every element (or field, whatever its key) is one more
/// element of the composite.
macro_rules! composite {
    ($($trait:ident::$method:ident($($key:ty)?)),* $(,)?) => {$(
        impl ser::$trait for Composite<'_, '_> {
            type Ok = ();
            type Error = CsvError;
            fn $method<V: Serialize + ?Sized>(&mut self, $(_key: $key,)? value: &V) -> Result<(), CsvError> {
                self.element(value)
            }
            fn end(self) -> Result<(), CsvError> {
                Ok(())
            }
        }
    )*};
}

composite!(
    SerializeSeq::serialize_element(),
    SerializeTuple::serialize_element(),
    SerializeTupleStruct::serialize_field(),
    SerializeTupleVariant::serialize_field(),
    SerializeStruct::serialize_field(&'static str),
    SerializeStructVariant::serialize_field(&'static str),
);

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;

    use super::*;

    fn csv<T: Serialize>(value: &T) -> String {
        let mut out = Vec::new();
        CsvEncoder::new().encode(value, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[derive(Serialize)]
    struct Person {
        name: String,
        age: u32,
    }

    #[derive(Serialize)]
    enum Side {
        Buy,
    }

    #[derive(Serialize)]
    struct Wrapped(i64);

    #[test]
    fn fields_are_quoted_as_rfc_4180_says() {
        let cases: &[(&str, &str)] = &[
            ("plain", "plain\n"),
            ("", "\n"),
            ("a,b", "\"a,b\"\n"),
            ("say \"hi\"", "\"say \"\"hi\"\"\"\n"),
            ("\"", "\"\"\"\"\n"),
            ("two\nlines", "\"two\nlines\"\n"),
            ("cr\rlf", "\"cr\rlf\"\n"),
            (" spaced ", " spaced \n"),
            ("semi;colon", "semi;colon\n"),
            ("naïve", "naïve\n"),
        ];
        for &(field, want) in cases {
            assert_eq!(csv(&field), want, "{field:?}");
        }
    }

    #[test]
    fn values_become_rows_of_fields() {
        assert_eq!(csv(&Person { name: "Lee, Ann".into(), age: 41 }), "\"Lee, Ann\",41\n");
        assert_eq!(csv(&(1u8, -2i64, true, 'x')), "1,-2,true,x\n");
        assert_eq!(csv(&vec![3, 4, 5]), "3,4,5\n");
        assert_eq!(csv(&7), "7\n");
        assert_eq!(csv(&Wrapped(9)), "9\n");
        assert_eq!(csv(&(Some(1), None::<i32>, ())), "1,,\n");
        assert_eq!(csv(&(Side::Buy, 2)), "Buy,2\n");
        assert_eq!(csv(&(0.1f64, 1.0f32, 0.1f32, f64::NAN, f64::NEG_INFINITY)), "0.1,1.0,0.1,NaN,-Infinity\n");
        assert_eq!(csv(&(1, vec![2, 3], (4, "a,b"), Vec::<i32>::new())), "1,2;3,\"4;a,b\",\n");
        assert_eq!(csv(&serde_bytes_like(b"Man")), "TWFu\n");
    }

    /// Serializes as bytes (what `serde_bytes` does), without the dependency.
    fn serde_bytes_like(bytes: &'static [u8]) -> impl Serialize {
        struct Bytes(&'static [u8]);
        impl Serialize for Bytes {
            fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(self.0)
            }
        }
        Bytes(bytes)
    }

    #[test]
    fn base64_pads() {
        let cases: &[(&[u8], &str)] =
            &[(b"", ""), (b"M", "TQ=="), (b"Ma", "TWE="), (b"Man", "TWFu"), (b"\xff\xfe", "//4=")];
        for &(bytes, want) in cases {
            assert_eq!(base64(bytes), want);
        }
    }

    #[test]
    fn options_change_delimiters_and_nulls() {
        let encoder =
            CsvEncoder::new().with_field_delimiter('\t').with_array_element_delimiter('|').with_null_literal("N/A");
        let mut out = Vec::new();
        encoder.encode(&("a\tb", vec![1, 2], None::<u8>, "x,y"), &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "\"a\tb\"\t1|2\tN/A\tx,y\n");
    }

    #[test]
    fn maps_have_no_csv_form() {
        let mut out = Vec::new();
        let err = CsvEncoder::new().encode(&(1, BTreeMap::from([(1, 2)])), &mut out).unwrap_err().to_string();
        assert!(err.contains("a map has no CSV form"), "{err}");
    }
}
