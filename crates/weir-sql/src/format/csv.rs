//! Flink's `csv` format: one record per line (a quoted field may span lines), fields by
//! position, written as Flink's Jackson-CSV-based writer does.

use std::io::Write as _;

use super::builder::{ColumnBuilder, Values};
use super::render::{
    bytes_at, decimal_java, decimal_plain, java_double, java_float, render_col, str_at, strip_trailing_zeros,
    time_nanos, write_date, write_time, write_timestamp, Col, Fraction, Typed,
};
use super::text::{base64_encode, push_scalar, Dialect, In};
use super::CsvOptions;

/// Where a field's text is: in the line, or unescaped into the scratch buffer.
#[derive(Clone, Copy)]
enum Src {
    Line(usize, usize),
    Buf(usize, usize),
}

/// Splits lines into fields.
pub(crate) struct Splitter {
    fields: Vec<(Src, bool)>,
    buf: String,
}

impl Splitter {
    pub(crate) fn new() -> Self {
        Splitter { fields: Vec::new(), buf: String::new() }
    }

    /// Splits `line` (one record, which may hold line breaks inside quoted fields); a quoted
    /// field that does not end in the record is an error.
    fn split(&mut self, line: &str, o: &CsvOptions) -> Result<(), String> {
        self.fields.clear();
        self.buf.clear();
        let b = line.as_bytes();
        let delim = o.field_delimiter;
        let quote = if o.disable_quote_character { None } else { Some(o.quote_character) };
        let esc = o.escape_character;
        let mut i = 0;
        loop {
            let start = i;
            if quote.is_some() && b.get(i).copied() == quote {
                // quoted: unescape into buf
                let q = quote.unwrap_or(b'"');
                let from = self.buf.len();
                i += 1;
                let mut closed = false;
                let mut run = i;
                while i < b.len() {
                    let c = b[i];
                    if Some(c) == esc && i + 1 < b.len() {
                        self.buf.push_str(&line[run..i]);
                        i += 1;
                        run = i;
                        i += 1;
                    } else if c == q {
                        self.buf.push_str(&line[run..i]);
                        if b.get(i + 1) == Some(&q) {
                            self.buf.push(q as char);
                            i += 2;
                            run = i;
                        } else {
                            i += 1;
                            closed = true;
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                if !closed {
                    return Err(format!("quoted field starting at character {} is not closed", start + 1));
                }
                // text after the closing quote up to the delimiter belongs to the field
                let run = i;
                while i < b.len() && b[i] != delim {
                    i += 1;
                }
                self.buf.push_str(&line[run..i]);
                self.fields.push((Src::Buf(from, self.buf.len()), true));
            } else {
                let mut escaped = false;
                while i < b.len() && b[i] != delim {
                    if Some(b[i]) == esc {
                        escaped = true;
                        i += 1;
                    }
                    i += 1;
                }
                let end = i.min(b.len());
                if escaped {
                    let from = self.buf.len();
                    let mut k = start;
                    let mut run = start;
                    while k < end {
                        if Some(b[k]) == esc && k + 1 < end {
                            self.buf.push_str(&line[run..k]);
                            run = k + 1;
                            k += 2;
                        } else {
                            k += 1;
                        }
                    }
                    self.buf.push_str(&line[run..end]);
                    self.fields.push((Src::Buf(from, self.buf.len()), false));
                } else {
                    self.fields.push((Src::Line(start, end), false));
                }
                i = end;
            }
            if i < b.len() && b[i] == delim {
                i += 1;
                if i == b.len() {
                    // a trailing delimiter ends with an empty field
                    self.fields.push((Src::Line(i, i), false));
                    break;
                }
            } else {
                break;
            }
        }
        Ok(())
    }

    fn text<'s>(&'s self, line: &'s str, k: usize) -> (&'s str, bool) {
        let (src, quoted) = self.fields[k];
        match src {
            Src::Line(a, b) => (&line[a..b], quoted),
            Src::Buf(a, b) => (&self.buf[a..b], quoted),
        }
    }
}

/// Reads one CSV record into `columns`. `Err` is a record-level problem; field conversion
/// errors are errors too unless csv.ignore-parse-errors (then the field is NULL).
pub(crate) fn read_record(
    line: &str,
    sp: &mut Splitter,
    columns: &mut [ColumnBuilder],
    o: &CsvOptions,
) -> Result<(), String> {
    sp.split(line, o)?;
    let n = sp.fields.len();
    // Surplus fields are a parse error even with csv.ignore-parse-errors (which then skips
    // the record, as Flink's reader refuses a row wider than its schema); missing ones are
    // NULL under that option.
    if n > columns.len() || (n < columns.len() && !o.ignore_parse_errors) {
        return Err(format!("Row length mismatch. {} fields expected but was {n}.", columns.len()));
    }
    for (k, col) in columns.iter_mut().enumerate() {
        if k >= n {
            col.push_null()?;
            continue;
        }
        let (text, _) = sp.text(line, k);
        let len = col.len();
        if let Err(e) = read_field(col, text, o) {
            if !o.ignore_parse_errors {
                return Err(format!("field '{}': {e}", col.name));
            }
            col.truncate(len);
            col.push_null()?;
        }
    }
    Ok(())
}

/// Reads one field's text into `col` as Flink's CSV format converts it (Jackson's CSV nodes,
/// then `CsvToRowDataConverters`):
///
/// - the `csv.null-literal` text is NULL, for any type but ARRAY and ROW; an empty field is
///   not NULL: a string is empty, a BOOLEAN false (`Boolean.parseBoolean`), BYTES empty, and
///   any other type fails to parse (NULL under `csv.ignore-parse-errors`);
/// - an ARRAY is split on `csv.array-element-delimiter` before the null literal applies, so it
///   is never NULL: `NULL` is `[NULL]`, an empty field `[]`;
/// - a ROW is NULL when empty, otherwise split the same way into exactly its fields.
fn read_field(col: &mut ColumnBuilder, text: &str, o: &CsvOptions) -> Result<(), String> {
    match &mut col.values {
        Values::List { offsets, child, .. } => {
            if !text.is_empty() {
                for e in text.split(o.array_element_delimiter.as_str()) {
                    read_field(child, e, o)?;
                }
            }
            offsets.push(child.len() as i32);
            col.mark_valid();
            Ok(())
        }
        Values::Struct { children, .. } => {
            if text.is_empty() {
                return col.push_null();
            }
            let parts = text.split(o.array_element_delimiter.as_str()).count();
            if parts != children.len() {
                return Err(format!("Row length mismatch. {} fields expected but was {parts}.", children.len()));
            }
            for (c, p) in children.iter_mut().zip(text.split(o.array_element_delimiter.as_str())) {
                read_field(c, p, o)?;
            }
            col.mark_valid();
            Ok(())
        }
        _ if o.null_literal.as_deref() == Some(text) => col.push_null(),
        _ => push_scalar(col, In::Str(text), Dialect::Csv),
    }
}

// ------------------------------------------------------------------------------------------ writing

/// Writes rows as Flink's csv format.
pub(crate) struct CsvWriter<'o> {
    pub(crate) opts: &'o CsvOptions,
    pub(crate) text: String,
    min_safe: u32,
}

impl<'o> CsvWriter<'o> {
    pub(crate) fn new(opts: &'o CsvOptions) -> Self {
        // Jackson quotes a short value when it holds a character below this one
        let min_safe = (opts.field_delimiter.max(opts.quote_character).max(b'\n') as u32) + 1;
        CsvWriter { opts, text: String::new(), min_safe }
    }

    /// Appends the field for `c[i]` (without delimiter).
    pub(crate) fn field(&mut self, c: &Col<'_>, i: usize, out: &mut Vec<u8>) {
        if c.is_null(i) {
            out.extend_from_slice(self.opts.null_literal.as_deref().unwrap_or("").as_bytes());
            return;
        }
        self.text.clear();
        let is_text = self.render(c, i);
        if is_text && self.needs_quotes() {
            let q = self.opts.quote_character;
            out.push(q);
            for &b in self.text.as_bytes() {
                if b == q {
                    out.push(q);
                } else if Some(b) == self.opts.escape_character {
                    out.push(b);
                }
                out.push(b);
            }
            out.push(q);
        } else {
            out.extend_from_slice(self.text.as_bytes());
        }
    }

    /// Jackson CSV's default ("loose") check: quote values longer than 24 characters, and
    /// values holding a character below the safe minimum or the escape character.
    fn needs_quotes(&self) -> bool {
        if self.opts.disable_quote_character {
            return false;
        }
        if self.text.encode_utf16().count() > 24 {
            return true;
        }
        let esc = self.opts.escape_character.map(|e| e as u32);
        self.text.chars().any(|ch| (ch as u32) < self.min_safe || Some(ch as u32) == esc)
    }

    /// Writes the text of `c[i]` into `self.text`; true when Jackson writes it as a string
    /// (subject to quoting), false for numbers and booleans.
    fn render(&mut self, c: &Col<'_>, i: usize) -> bool {
        let out = &mut self.text;
        match &c.t {
            Typed::Bool(a) => {
                out.push_str(if a.value(i) { "true" } else { "false" });
                false
            }
            Typed::I8(_) | Typed::I16(_) | Typed::I32(_) | Typed::I64(_) => {
                render_col(c, i, out);
                false
            }
            Typed::U8(_) | Typed::U16(_) | Typed::U32(_) | Typed::U64(_) => {
                render_col(c, i, out);
                false
            }
            Typed::F32(v) => {
                java_float(v[i], out);
                false
            }
            Typed::F64(v) => {
                java_double(v[i], out);
                false
            }
            Typed::Dec(v, s) => {
                let (u, sc) = strip_trailing_zeros(v[i], *s as i32);
                if self.opts.write_bigdecimal_in_scientific_notation {
                    decimal_java(u, sc, out);
                } else {
                    decimal_plain(u, sc, out);
                }
                false
            }
            Typed::Str(_) | Typed::LStr(_) | Typed::VStr(_) => {
                out.push_str(str_at(&c.t, i).unwrap_or_default());
                true
            }
            Typed::Bin(_) | Typed::LBin(_) | Typed::VBin(_) => {
                let mut b = Vec::new();
                base64_encode(bytes_at(&c.t, i).unwrap_or_default(), &mut b);
                out.push_str(std::str::from_utf8(&b).unwrap_or_default());
                true
            }
            Typed::Date32(v) => {
                write_date(v[i] as i64, out);
                true
            }
            Typed::Date64(v) => {
                write_date(v[i].div_euclid(86_400_000), out);
                true
            }
            Typed::Time32(..) | Typed::Time64(..) => {
                write_time(time_nanos(&c.t, i).0, Fraction::Trim, out);
                true
            }
            Typed::Ts(v, unit, _) => {
                write_timestamp(v[i], *unit, ' ', Fraction::Trim, out);
                true
            }
            Typed::List(offsets, child) | Typed::Multiset(offsets, child) => {
                let mut parts = Vec::new();
                for k in offsets[i]..offsets[i + 1] {
                    parts.push(self.element(child, k));
                }
                self.text = parts.join(&self.opts.array_element_delimiter);
                true
            }
            Typed::Struct(fields) => {
                let mut parts = Vec::new();
                for (_, f) in fields {
                    parts.push(self.element(f, i));
                }
                self.text = parts.join(&self.opts.array_element_delimiter);
                true
            }
            _ => {
                render_col(c, i, out);
                true
            }
        }
    }

    fn element(&mut self, c: &Col<'_>, i: usize) -> String {
        if c.is_null(i) {
            return self.opts.null_literal.clone().unwrap_or_default();
        }
        let saved = std::mem::take(&mut self.text);
        self.render(c, i);
        std::mem::replace(&mut self.text, saved)
    }

    /// Appends one row and a newline.
    pub(crate) fn row(&mut self, cols: &[Col<'_>], i: usize, out: &mut Vec<u8>) {
        for (k, c) in cols.iter().enumerate() {
            if k > 0 {
                out.push(self.opts.field_delimiter);
            }
            self.field(c, i, out);
        }
        let _ = out.write_all(b"\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, ArrayRef, ListArray};
    use arrow::datatypes::{DataType, Field, Fields};
    use std::sync::Arc;

    /// The column `text` makes of a field of type `t` (rendered), or the error.
    fn field(t: DataType, text: &str, o: &CsvOptions) -> Result<String, String> {
        let mut col = ColumnBuilder::new("v", &t, true)?;
        read_field(&mut col, text, o)?;
        let array: ArrayRef = col.finish();
        if array.is_null(0) {
            return Ok("NULL".into());
        }
        if let Some(list) = array.as_any().downcast_ref::<ListArray>() {
            let values = list.value(0);
            let shown: Vec<String> = (0..values.len())
                .map(|i| if values.is_null(i) { "NULL".into() } else { render_value(&values, i) })
                .collect();
            return Ok(format!("[{}]", shown.join(", ")));
        }
        Ok(render_value(&array, 0))
    }

    fn render_value(a: &ArrayRef, i: usize) -> String {
        let mut s = String::new();
        crate::format::render_value_in(a.as_ref(), i, crate::functions::LocalTimeZone::Utc, &mut s);
        s
    }

    #[test]
    fn an_empty_field_is_not_null_but_read_as_its_type_reads_it() {
        let o = CsvOptions::default();
        assert_eq!(field(DataType::Utf8, "", &o).unwrap(), "");
        assert_eq!(field(DataType::Boolean, "", &o).unwrap(), "false");
        assert_eq!(field(DataType::Boolean, " ", &o).unwrap(), "false");
        for t in [DataType::Int8, DataType::Int32, DataType::Float64, DataType::Decimal128(10, 2), DataType::Date32] {
            assert!(field(t.clone(), "", &o).is_err(), "{t}");
        }
        let null_word = CsvOptions { null_literal: Some("NULL".into()), ..CsvOptions::default() };
        assert!(field(DataType::Int32, "", &null_word).is_err());
        assert_eq!(field(DataType::Int32, "NULL", &null_word).unwrap(), "NULL");
        let null_empty = CsvOptions { null_literal: Some(String::new()), ..CsvOptions::default() };
        assert_eq!(field(DataType::Int32, "", &null_empty).unwrap(), "NULL");
        assert_eq!(field(DataType::Boolean, "", &null_empty).unwrap(), "NULL");
    }

    #[test]
    fn an_array_is_split_before_the_null_literal_applies() {
        let strings = DataType::List(Arc::new(Field::new("element", DataType::Utf8, true)));
        let ints = DataType::List(Arc::new(Field::new("element", DataType::Int32, true)));
        let o = CsvOptions { null_literal: Some("NULL".into()), ..CsvOptions::default() };
        assert_eq!(field(strings.clone(), "NULL", &o).unwrap(), "[NULL]");
        assert_eq!(field(ints.clone(), "NULL", &o).unwrap(), "[NULL]");
        assert_eq!(field(strings.clone(), "", &o).unwrap(), "[]");
        assert_eq!(field(strings.clone(), "a;NULL", &o).unwrap(), "[a, NULL]");
        let null_empty = CsvOptions { null_literal: Some(String::new()), ..CsvOptions::default() };
        assert_eq!(field(strings, "", &null_empty).unwrap(), "[]");
        // An empty element of a number array does not parse.
        assert!(field(ints, ";", &CsvOptions::default()).is_err());
    }

    #[test]
    fn a_row_is_null_when_empty_and_otherwise_has_exactly_its_fields() {
        let row = DataType::Struct(Fields::from(vec![
            Field::new("a", DataType::Int32, true),
            Field::new("b", DataType::Utf8, true),
        ]));
        let o = CsvOptions { null_literal: Some("NULL".into()), ..CsvOptions::default() };
        assert_eq!(field(row.clone(), "", &o).unwrap(), "NULL");
        assert!(field(row.clone(), "NULL", &o)
            .unwrap_err()
            .contains("Row length mismatch. 2 fields expected but was 1."));
        assert_eq!(field(row, "1;x", &o).unwrap(), "(1, x)");
    }
}
