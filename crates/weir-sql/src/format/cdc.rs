//! Flink's changelog formats over JSON: `debezium-json`, `canal-json`, `maxwell-json` and `ogg-json`. A message becomes
//! one or more changelog rows (`+I`, `-U`/`+U` from an update's before and after, `-D`), read
//! into the same column builders as `json`; a changelog is written back as Flink writes it
//! (updates as a delete of the old row and an insert of the new one).
//!
//! Reading walks the envelope once, keeping each part's text, then reads the row objects with
//! the `json` reader, so row values follow exactly the `json` format's conversions.

use std::borrow::Cow;

use super::builder::ColumnBuilder;
use super::json::{self, array_elements, object_fields, read_record, string_value, Ctx, Lookup};
use crate::changelog::RowKind;

/// What a reader needs besides the message.
pub(crate) struct Target<'a> {
    pub(crate) names: &'a [String],
    pub(crate) lookup: &'a Lookup,
    pub(crate) columns: &'a mut [ColumnBuilder],
    pub(crate) seen: &'a mut [bool],
    pub(crate) kinds: &'a mut Vec<i8>,
    pub(crate) ctx: &'a Ctx,
}

impl Target<'_> {
    fn push(&mut self, kind: RowKind, object: &str) -> Result<(), String> {
        self.seen.iter_mut().for_each(|s| *s = false);
        read_record(object, self.names, self.lookup, self.columns, self.seen, self.ctx).map_err(|f| match f {
            json::Fail::Syntax(m) | json::Fail::Convert(m) => m,
        })?;
        self.kinds.push(kind as i8);
        Ok(())
    }
}

fn field<'a>(fields: &[(Cow<'_, str>, &'a str)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| *v).filter(|v| v.trim() != "null")
}

/// Reads one Debezium message; returns the number of rows appended.
pub(crate) fn read_debezium(text: &str, schema_include: bool, t: &mut Target<'_>) -> Result<usize, String> {
    let top = object_fields(text)?;
    let payload_fields;
    let envelope = if schema_include {
        let payload = field(&top, "payload").ok_or(
            "the message has no \"payload\" object, though 'debezium-json.schema-include' = 'true' says it has",
        )?;
        payload_fields = object_fields(payload)?;
        &payload_fields
    } else {
        if field(&top, "op").is_none() && field(&top, "schema").is_some() && field(&top, "payload").is_some() {
            return Err("the message has \"schema\" and \"payload\" fields; set 'debezium-json.schema-include' = \
                        'true' to read such messages"
                .into());
        }
        &top
    };
    let op = field(envelope, "op").and_then(string_value);
    let (before, after) = (field(envelope, "before"), field(envelope, "after"));
    let replica_identity = "The \"before\" field of UPDATE/DELETE message is null, please check the Postgres table \
                            has been set REPLICA IDENTITY to FULL level.";
    match op.as_deref() {
        Some("c") | Some("r") => {
            t.push(RowKind::Insert, after.ok_or("the \"after\" field of a create/read message is null")?)?;
            Ok(1)
        }
        Some("u") => {
            let before = before.ok_or(replica_identity)?;
            let after = after.ok_or("the \"after\" field of an UPDATE message is null")?;
            t.push(RowKind::UpdateBefore, before)?;
            t.push(RowKind::UpdateAfter, after)?;
            Ok(2)
        }
        Some("d") => {
            t.push(RowKind::Delete, before.ok_or(replica_identity)?)?;
            Ok(1)
        }
        Some(other) => Err(format!("Unknown \"op\" value \"{other}\"")),
        None => Err("Unknown \"op\" value \"null\"".into()),
    }
}

/// Filters of `canal-json.database.include` / `canal-json.table.include` (and Maxwell's; whole-name matches).
pub(crate) struct CanalFilter {
    pub(crate) database: Option<regex::Regex>,
    pub(crate) table: Option<regex::Regex>,
}

impl CanalFilter {
    /// Whether a message with the top-level `fields` passes the database and table filters.
    fn includes(&self, fields: &[(Cow<'_, str>, &str)]) -> bool {
        [(&self.database, "database"), (&self.table, "table")].into_iter().all(|(pattern, name)| {
            pattern
                .as_ref()
                .is_none_or(|re| field(fields, name).and_then(string_value).is_some_and(|v| re.is_match(&v)))
        })
    }
}

/// Reads one Canal message; returns the number of rows appended (0 for DDL and filtered
/// messages).
pub(crate) fn read_canal(text: &str, filter: &CanalFilter, t: &mut Target<'_>) -> Result<usize, String> {
    let top = object_fields(text)?;
    if field(&top, "isDdl").map(str::trim) == Some("true") {
        return Ok(0);
    }
    if !filter.includes(&top) {
        return Ok(0);
    }
    let kind = field(&top, "type").and_then(string_value);
    let data =
        || -> Result<Vec<&str>, String> { array_elements(field(&top, "data").ok_or("the \"data\" field is null")?) };
    match kind.as_deref() {
        Some("INSERT") => push_all(t, RowKind::Insert, &data()?),
        Some("DELETE") => push_all(t, RowKind::Delete, &data()?),
        Some("UPDATE") => {
            let data = data()?;
            let old = array_elements(field(&top, "old").ok_or("the \"old\" field of an UPDATE message is null")?)?;
            if old.len() != data.len() {
                return Err(format!(
                    "an UPDATE message has {} \"data\" rows but {} \"old\" rows",
                    data.len(),
                    old.len()
                ));
            }
            for (new, old) in data.iter().zip(&old) {
                // "old" holds only the changed fields: the rest of the old row is the new row's.
                // The reader keeps the first value of a repeated field, so old's come first.
                t.push(RowKind::UpdateBefore, &merge_objects(old, new))?;
                t.push(RowKind::UpdateAfter, new)?;
            }
            Ok(2 * data.len())
        }
        Some("CREATE") => Ok(0),
        Some(other) => Err(format!("Unknown \"type\" value \"{other}\"")),
        None => Err("Unknown \"type\" value \"null\"".into()),
    }
}

/// Reads one Maxwell message (`data` one row object, `old` the changed fields' old values);
/// returns the number of rows appended (0 for filtered messages).
pub(crate) fn read_maxwell(text: &str, filter: &CanalFilter, t: &mut Target<'_>) -> Result<usize, String> {
    let top = object_fields(text)?;
    if !filter.includes(&top) {
        return Ok(0);
    }
    let kind = field(&top, "type").and_then(string_value);
    let data = || field(&top, "data").ok_or("the \"data\" field is null");
    match kind.as_deref() {
        Some("insert") => push_all(t, RowKind::Insert, &[data()?]),
        Some("delete") => push_all(t, RowKind::Delete, &[data()?]),
        Some("update") => {
            let new = data()?;
            // "old" holds only the changed fields (none: the row is as it was).
            let old = field(&top, "old").unwrap_or("{}");
            t.push(RowKind::UpdateBefore, &merge_objects(old, new))?;
            t.push(RowKind::UpdateAfter, new)?;
            Ok(2)
        }
        Some(other) => Err(format!("Unknown \"type\" value \"{other}\"")),
        None => Err("Unknown \"type\" value \"null\"".into()),
    }
}

/// Reads one Oracle GoldenGate message (`op_type` `I`, `U` or `D`, the row under `before`
/// and/or `after` as in Debezium); returns the number of rows appended. Any other `op_type`,
/// truncate (`T`) among them, is an error, as in Flink.
pub(crate) fn read_ogg(text: &str, t: &mut Target<'_>) -> Result<usize, String> {
    let top = object_fields(text)?;
    let op = field(&top, "op_type").and_then(string_value);
    let (before, after) = (field(&top, "before"), field(&top, "after"));
    let no_before = |kind: &str| {
        format!(
            "The \"before\" field of {kind} message is null, if you are using Ogg Postgres Connector, please check \
             the Postgres table has been set REPLICA IDENTITY to FULL level."
        )
    };
    match op.as_deref() {
        Some("I") => {
            t.push(RowKind::Insert, after.ok_or("the \"after\" field of an INSERT message is null")?)?;
            Ok(1)
        }
        Some("U") => {
            let before = before.ok_or_else(|| no_before("UPDATE"))?;
            let after = after.ok_or("the \"after\" field of an UPDATE message is null")?;
            t.push(RowKind::UpdateBefore, before)?;
            t.push(RowKind::UpdateAfter, after)?;
            Ok(2)
        }
        Some("D") => {
            t.push(RowKind::Delete, before.ok_or_else(|| no_before("DELETE"))?)?;
            Ok(1)
        }
        Some(other) => Err(format!("Unknown \"op_type\" value \"{other}\"")),
        None => Err("Unknown \"op_type\" value \"null\"".into()),
    }
}

fn push_all(t: &mut Target<'_>, kind: RowKind, rows: &[&str]) -> Result<usize, String> {
    for row in rows {
        t.push(kind, row)?;
    }
    Ok(rows.len())
}

/// `{a..}` and `{b..}` as one object `{a.., b..}` (texts already checked as JSON values).
fn merge_objects(first: &str, second: &str) -> String {
    let (a, b) = (first.trim(), second.trim());
    let inner_a = a.strip_prefix('{').and_then(|s| s.strip_suffix('}')).unwrap_or(a).trim();
    let inner_b = b.strip_prefix('{').and_then(|s| s.strip_suffix('}')).unwrap_or(b).trim();
    match (inner_a.is_empty(), inner_b.is_empty()) {
        (true, _) => format!("{{{inner_b}}}"),
        (_, true) => format!("{{{inner_a}}}"),
        _ => format!("{{{inner_a},{inner_b}}}"),
    }
}

/// How a changelog row is written: Debezium's `op` with the row under `before` or `after`;
/// Canal's `type` with the row in `data`. Updates are written as Flink writes them: the old
/// row as a delete, the new one as an insert.
pub(crate) fn debezium_envelope(kind: RowKind) -> (&'static str, &'static str) {
    match kind {
        RowKind::Insert | RowKind::UpdateAfter => ("{\"before\":null,\"after\":", ",\"op\":\"c\"}\n"),
        RowKind::UpdateBefore | RowKind::Delete => ("{\"before\":", ",\"after\":null,\"op\":\"d\"}\n"),
    }
}

/// See [`debezium_envelope`].
pub(crate) fn canal_envelope(kind: RowKind) -> (&'static str, &'static str) {
    match kind {
        RowKind::Insert | RowKind::UpdateAfter => ("{\"data\":[", "],\"type\":\"INSERT\"}\n"),
        RowKind::UpdateBefore | RowKind::Delete => ("{\"data\":[", "],\"type\":\"DELETE\"}\n"),
    }
}

/// See [`debezium_envelope`].
pub(crate) fn maxwell_envelope(kind: RowKind) -> (&'static str, &'static str) {
    match kind {
        RowKind::Insert | RowKind::UpdateAfter => ("{\"data\":", ",\"type\":\"insert\"}\n"),
        RowKind::UpdateBefore | RowKind::Delete => ("{\"data\":", ",\"type\":\"delete\"}\n"),
    }
}

/// See [`debezium_envelope`]: Flink writes `before`, `after` and `op_type` (`I` or `D`).
pub(crate) fn ogg_envelope(kind: RowKind) -> (&'static str, &'static str) {
    match kind {
        RowKind::Insert | RowKind::UpdateAfter => ("{\"before\":null,\"after\":", ",\"op_type\":\"I\"}\n"),
        RowKind::UpdateBefore | RowKind::Delete => ("{\"before\":", ",\"after\":null,\"op_type\":\"D\"}\n"),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Array, Int32Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    use super::merge_objects;
    use crate::changelog::RowKind;
    use crate::format::{FormatOptions, RowDecoder, RowEncoder};

    fn schema() -> arrow::datatypes::SchemaRef {
        Arc::new(Schema::new(vec![Field::new("id", DataType::Int32, true), Field::new("v", DataType::Utf8, true)]))
    }

    fn ogg(options: &[(&str, &str)]) -> FormatOptions {
        let options: Vec<_> = options.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        FormatOptions::from_options("ogg-json", &options).unwrap()
    }

    /// A row read: its kind, `id` and `v`.
    type Row = (RowKind, Option<i32>, Option<String>);

    /// The rows of `lines` read as ogg-json.
    fn read_ogg_lines(options: FormatOptions, lines: &[&str]) -> Result<Vec<Row>, String> {
        let mut d = RowDecoder::new(schema(), options).unwrap();
        for line in lines {
            d.decode_line(line.as_bytes(), &|| "test".into()).map_err(|e| e.to_string())?;
        }
        let Some(changes) = d.flush_changes().unwrap() else { return Ok(vec![]) };
        let ids = changes.rows.column(0).as_any().downcast_ref::<Int32Array>().unwrap();
        let vs = changes.rows.column(1).as_any().downcast_ref::<StringArray>().unwrap();
        Ok((0..changes.len())
            .map(|i| {
                let kind = changes.kinds.as_ref().map_or(RowKind::Insert, |k| RowKind::from_code(k.value(i)));
                (kind, ids.is_valid(i).then(|| ids.value(i)), vs.is_valid(i).then(|| vs.value(i).to_string()))
            })
            .collect())
    }

    #[test]
    fn ogg_op_types_become_changelog_rows() {
        let rows = read_ogg_lines(
            ogg(&[]),
            &[
                r#"{"table":"S.T","op_type":"I","after":{"id":1,"v":"a"}}"#,
                r#"{"table":"S.T","op_type":"U","before":{"id":1,"v":"a"},"after":{"id":1,"v":"b"}}"#,
                r#"{"op_type":"D","before":{"id":1,"v":"b"},"after":null}"#,
            ],
        )
        .unwrap();
        let row = |k, id, v: &str| (k, Some(id), Some(v.to_string()));
        assert_eq!(
            rows,
            vec![
                row(RowKind::Insert, 1, "a"),
                row(RowKind::UpdateBefore, 1, "a"),
                row(RowKind::UpdateAfter, 1, "b"),
                row(RowKind::Delete, 1, "b"),
            ]
        );
    }

    #[test]
    fn ogg_truncates_unknown_op_types_and_missing_before_are_errors() {
        for (line, says) in [
            (r#"{"op_type":"T","after":{"id":1}}"#, "Unknown \"op_type\" value \"T\""),
            (r#"{"after":{"id":1}}"#, "Unknown \"op_type\" value \"null\""),
            (r#"{"op_type":"U","after":{"id":1}}"#, "The \"before\" field of UPDATE message is null"),
            (r#"{"op_type":"D","before":null}"#, "The \"before\" field of DELETE message is null"),
            (r#"{"op_type":"I"}"#, "the \"after\" field of an INSERT message is null"),
            (r#"{"op_type":"I","after":{"id":"x"}}"#, "Failed to deserialize"),
            ("{\"op_type\":", "Failed to deserialize"),
        ] {
            let error = read_ogg_lines(ogg(&[]), &[line]).unwrap_err();
            assert!(error.contains(says), "{line}: {error}");
        }
        // 'ogg-json.ignore-parse-errors' skips them all.
        let rows = read_ogg_lines(
            ogg(&[("ogg-json.ignore-parse-errors", "true")]),
            &[r#"{"op_type":"T"}"#, r#"{"op_type":"D"}"#, r#"{"op_type":"I","after":{"id":2,"v":"z"}}"#],
        )
        .unwrap();
        assert_eq!(rows, vec![(RowKind::Insert, Some(2), Some("z".to_string()))]);
    }

    #[test]
    fn ogg_writes_updates_as_deletes_and_inserts() {
        let batch = arrow::record_batch::RecordBatch::try_new(
            schema(),
            vec![Arc::new(Int32Array::from(vec![1, 1])), Arc::new(StringArray::from(vec![Some("a"), None]))],
        )
        .unwrap();
        let kinds = arrow::array::Int8Array::from(vec![RowKind::UpdateBefore as i8, RowKind::UpdateAfter as i8]);
        let mut out = Vec::new();
        RowEncoder::new(schema(), ogg(&[])).unwrap().encode(&batch, Some(&kinds), &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"before\":{\"id\":1,\"v\":\"a\"},\"after\":null,\"op_type\":\"D\"}\n\
             {\"before\":null,\"after\":{\"id\":1,\"v\":null},\"op_type\":\"I\"}\n"
        );
    }

    #[test]
    fn merged_objects_keep_both_sides() {
        assert_eq!(merge_objects("{\"a\":1}", "{\"a\":2,\"b\":3}"), "{\"a\":1,\"a\":2,\"b\":3}");
        assert_eq!(merge_objects("{}", "{\"b\":3}"), "{\"b\":3}");
        assert_eq!(merge_objects(" { \"a\" : 1 } ", "{}"), "{\"a\" : 1}");
    }
}
