//! Avro schemas: derived from a table's columns by Flink's `AvroSchemaConverter` rules,
//! written as Avro's JSON, parsed from the JSON of a file's header, and resolved against the
//! table's columns (a file's fields are matched to columns by name).
//!
//! Flink's rules: the record is `org.apache.flink.avro.generated.record`, a nested row
//! `record_<field>`; a nullable type is the union `["null", T]` with default `null`;
//! TINYINT / SMALLINT / INT are `int`, BIGINT `long`, STRING `string`, BYTES `bytes`, DECIMAL
//! `bytes` with the `decimal` logical type, DATE `int` `date`, TIME(p ≤ 3) `int`
//! `time-millis`, TIMESTAMP(p ≤ 3) `long` `timestamp-millis` (with
//! `'avro.timestamp_mapping.legacy' = 'false'`: TIMESTAMP(p ≤ 6) `local-timestamp-millis` /
//! `-micros` and TIMESTAMP_LTZ(p ≤ 6) `timestamp-millis` / `-micros`), ARRAY `array`, MAP with
//! STRING keys `map`, ROW `record`.

use std::collections::HashMap;

use arrow::datatypes::{DataType, Field, TimeUnit};
use serde_json::{json, Value};

/// The namespace of Flink's derived record names.
const NAMESPACE: &str = "org.apache.flink.avro.generated";

/// An Avro type as Weir reads and writes it (logical types folded in).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AvroType {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    /// `int` with logical type `date`: days since 1970-01-01.
    Date,
    /// `int` `time-millis`.
    TimeMillis,
    /// `long` `time-micros`.
    TimeMicros,
    /// `long` `timestamp-millis` / `timestamp-micros` / `local-timestamp-*`: time since the
    /// epoch in this unit (Millisecond or Microsecond).
    Timestamp(TimeUnit),
    /// `bytes` or `fixed` (with its size) with logical type `decimal`.
    Decimal {
        precision: u8,
        scale: i8,
        fixed: Option<usize>,
    },
    Fixed(usize),
    Enum(Vec<String>),
    Array(Box<AvroType>),
    Map(Box<AvroType>),
    Record(Record),
    /// The union of `null` and one type; `null_index` is null's branch (0 or 1).
    Nullable {
        inner: Box<AvroType>,
        null_index: u8,
    },
}

/// A record's fields, each with the table column it goes to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Record {
    pub(crate) name: String,
    pub(crate) fields: Vec<RecordField>,
    /// Columns of the target that no field fills (NULL), set by [`AvroType::resolve`].
    pub(crate) absent: Vec<usize>,
}

/// One field of a record.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RecordField {
    pub(crate) name: String,
    pub(crate) ty: AvroType,
    /// The index of the target column (struct child) it is read into; none: skipped.
    pub(crate) target: Option<usize>,
}

impl AvroType {
    /// The record schema Flink derives for a table's columns.
    pub(crate) fn for_columns(fields: &[&Field], legacy_timestamps: bool) -> Result<AvroType, String> {
        Self::record_of(fields, "record", legacy_timestamps)
    }

    fn record_of(fields: &[&Field], name: &str, legacy: bool) -> Result<AvroType, String> {
        let fields = fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let ty = Self::of(f.data_type(), f.is_nullable(), &format!("{name}_{}", f.name()), legacy)
                    .map_err(|e| format!("column '{}': {e}", f.name()))?;
                Ok(RecordField { name: f.name().clone(), ty, target: Some(i) })
            })
            .collect::<Result<_, String>>()?;
        Ok(AvroType::Record(Record { name: name.to_string(), fields, absent: Vec::new() }))
    }

    /// The Avro type of an Arrow type; `row_name` names a record it becomes.
    fn of(t: &DataType, nullable: bool, row_name: &str, legacy: bool) -> Result<AvroType, String> {
        let ty = match t {
            DataType::Boolean => AvroType::Boolean,
            DataType::Int8 | DataType::Int16 | DataType::Int32 => AvroType::Int,
            DataType::Int64 => AvroType::Long,
            DataType::Float32 => AvroType::Float,
            DataType::Float64 => AvroType::Double,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => AvroType::String,
            DataType::Binary | DataType::LargeBinary | DataType::BinaryView => AvroType::Bytes,
            DataType::Decimal128(p, s) => AvroType::Decimal { precision: *p, scale: *s, fixed: None },
            DataType::Date32 => AvroType::Date,
            DataType::Time32(_) => AvroType::TimeMillis,
            DataType::Time64(_) => {
                return Err("Avro does not support TIME type with precision above 3 (time-millis)".into())
            }
            DataType::Timestamp(unit, zone) => {
                let unit = match unit {
                    TimeUnit::Second | TimeUnit::Millisecond => TimeUnit::Millisecond,
                    TimeUnit::Microsecond if !legacy => TimeUnit::Microsecond,
                    _ => {
                        return Err(format!(
                            "Avro does not support {} with precision above {} (use TIMESTAMP(3))",
                            if zone.is_some() { "TIMESTAMP_LTZ" } else { "TIMESTAMP" },
                            if legacy { 3 } else { 6 }
                        ))
                    }
                };
                if zone.is_some() && legacy {
                    return Err("TIMESTAMP_LTZ needs 'avro.timestamp_mapping.legacy' = 'false'".into());
                }
                AvroType::Timestamp(unit)
            }
            DataType::List(item) => {
                AvroType::Array(Box::new(Self::of(item.data_type(), item.is_nullable(), row_name, legacy)?))
            }
            DataType::Map(entries, _) => match entries.data_type() {
                DataType::Struct(kv) if kv.len() == 2 => {
                    if !matches!(kv[0].data_type(), DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View) {
                        return Err("Avro maps need STRING keys".into());
                    }
                    AvroType::Map(Box::new(Self::of(kv[1].data_type(), kv[1].is_nullable(), row_name, legacy)?))
                }
                other => return Err(format!("map entries of type {other}")),
            },
            DataType::Struct(fields) => {
                let refs: Vec<&Field> = fields.iter().map(|f| f.as_ref()).collect();
                Self::record_of(&refs, row_name, legacy)?
            }
            other => return Err(format!("type {other} has no Avro type")),
        };
        Ok(if nullable { AvroType::Nullable { inner: Box::new(ty), null_index: 0 } } else { ty })
    }

    /// The schema as Avro's JSON (named records and types, logical types as attributes).
    pub(crate) fn to_json(&self) -> Value {
        match self {
            AvroType::Null => json!("null"),
            AvroType::Boolean => json!("boolean"),
            AvroType::Int => json!("int"),
            AvroType::Long => json!("long"),
            AvroType::Float => json!("float"),
            AvroType::Double => json!("double"),
            AvroType::Bytes => json!("bytes"),
            AvroType::String => json!("string"),
            AvroType::Date => json!({"type": "int", "logicalType": "date"}),
            AvroType::TimeMillis => json!({"type": "int", "logicalType": "time-millis"}),
            AvroType::TimeMicros => json!({"type": "long", "logicalType": "time-micros"}),
            AvroType::Timestamp(unit) => {
                let logical = if *unit == TimeUnit::Microsecond { "timestamp-micros" } else { "timestamp-millis" };
                json!({"type": "long", "logicalType": logical})
            }
            AvroType::Decimal { precision, scale, fixed } => match fixed {
                None => json!({"type": "bytes", "logicalType": "decimal", "precision": precision, "scale": scale}),
                Some(size) => json!({"type": "fixed", "name": "decimal", "size": size, "logicalType": "decimal",
                                     "precision": precision, "scale": scale}),
            },
            AvroType::Fixed(size) => json!({"type": "fixed", "name": "fixed", "size": size}),
            AvroType::Enum(symbols) => json!({"type": "enum", "name": "enum", "symbols": symbols}),
            AvroType::Array(items) => json!({"type": "array", "items": items.to_json()}),
            AvroType::Map(values) => json!({"type": "map", "values": values.to_json()}),
            AvroType::Record(r) => {
                let fields: Vec<Value> = r
                    .fields
                    .iter()
                    .map(|f| {
                        let mut field = json!({"name": f.name, "type": f.ty.to_json()});
                        if matches!(f.ty, AvroType::Nullable { null_index: 0, .. }) {
                            field["default"] = Value::Null;
                        }
                        field
                    })
                    .collect();
                let mut record = json!({"type": "record", "name": r.name, "fields": fields});
                if r.name == "record" {
                    record["namespace"] = json!(NAMESPACE);
                }
                record
            }
            AvroType::Nullable { inner, null_index } => {
                if *null_index == 0 {
                    json!(["null", inner.to_json()])
                } else {
                    json!([inner.to_json(), "null"])
                }
            }
        }
    }

    /// Parses a schema from Avro's JSON (a file header's `avro.schema`).
    pub(crate) fn parse(text: &str) -> Result<AvroType, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| format!("the schema is not JSON: {e}"))?;
        Parser { named: HashMap::new() }.parse(&value)
    }

    /// Fits a writer's schema to the column type it is read into: record fields find their
    /// columns by name (a column no field names is NULL), numbers may widen (int to long,
    /// float or double; long to float or double; float to double), strings and bytes read
    /// as each other, enums as strings. Fails naming the first field that does not fit.
    pub(crate) fn resolve(&mut self, target: &DataType, nullable: bool, path: &str) -> Result<(), String> {
        let bad = |what: &AvroType| Err(format!("'{path}': Avro {} cannot be read as {target}", what.name()));
        match (&mut *self, target) {
            (AvroType::Nullable { inner, .. }, _) => return inner.resolve(target, nullable, path),
            (AvroType::Null, _) if nullable => {}
            (AvroType::Boolean, DataType::Boolean) => {}
            (AvroType::Int, DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64) => {}
            (AvroType::Int | AvroType::Long, DataType::Float32 | DataType::Float64) => {}
            (AvroType::Long, DataType::Int64) => {}
            (AvroType::Float, DataType::Float32 | DataType::Float64) => {}
            (AvroType::Double, DataType::Float64) => {}
            (AvroType::String | AvroType::Bytes | AvroType::Enum(_), DataType::Utf8) => {}
            (AvroType::String | AvroType::Bytes | AvroType::Fixed(_), DataType::Binary) => {}
            (AvroType::Date, DataType::Date32) => {}
            (AvroType::TimeMillis | AvroType::TimeMicros, DataType::Time32(_) | DataType::Time64(_)) => {}
            (AvroType::Timestamp(_), DataType::Timestamp(..)) => {}
            (AvroType::Decimal { scale, .. }, DataType::Decimal128(_, s)) if scale == s => {}
            (AvroType::Array(items), DataType::List(f)) => {
                items.resolve(f.data_type(), f.is_nullable(), &format!("{path}[]"))?
            }
            (AvroType::Map(values), DataType::Map(entries, _)) => match entries.data_type() {
                DataType::Struct(kv) if kv.len() == 2 && kv[0].data_type() == &DataType::Utf8 => {
                    values.resolve(kv[1].data_type(), kv[1].is_nullable(), &format!("{path}{{}}"))?
                }
                _ => return bad(self),
            },
            (AvroType::Record(r), DataType::Struct(fields)) => {
                let names: Vec<&str> = fields.iter().map(|f| f.name().as_str()).collect();
                r.resolve_fields(&names, |i| (fields[i].data_type(), fields[i].is_nullable()), path)?
            }
            (other, _) => return bad(other),
        }
        Ok(())
    }

    /// A short name for errors.
    fn name(&self) -> String {
        match self {
            AvroType::Decimal { precision, scale, .. } => format!("decimal({precision}, {scale})"),
            AvroType::Timestamp(_) => "timestamp".into(),
            AvroType::Record(r) => format!("record {}", r.name),
            other => other.to_json().to_string(),
        }
    }
}

impl Record {
    /// Matches the fields to the target columns `names` by name; a column without a field is
    /// NULL, so it must be nullable.
    pub(crate) fn resolve_fields<'a>(
        &mut self,
        names: &[&str],
        column: impl Fn(usize) -> (&'a DataType, bool),
        path: &str,
    ) -> Result<(), String> {
        let mut filled = vec![false; names.len()];
        for f in &mut self.fields {
            f.target = names.iter().position(|n| *n == f.name);
            if let Some(i) = f.target {
                let (t, nullable) = column(i);
                let inner = if path.is_empty() { f.name.clone() } else { format!("{path}.{}", f.name) };
                f.ty.resolve(t, nullable, &inner)?;
                filled[i] = true;
            }
        }
        self.absent = (0..names.len()).filter(|i| !filled[*i]).collect();
        for i in &self.absent {
            if !column(*i).1 {
                return Err(format!("the Avro schema has no field for NOT NULL column '{}'", names[*i]));
            }
        }
        Ok(())
    }
}

/// Parses schema JSON, remembering named types for later references.
struct Parser {
    named: HashMap<String, AvroType>,
}

impl Parser {
    fn parse(&mut self, v: &Value) -> Result<AvroType, String> {
        match v {
            Value::String(name) => self.primitive(name),
            Value::Array(branches) => {
                let types = branches.iter().map(|b| self.parse(b)).collect::<Result<Vec<_>, _>>()?;
                match types.as_slice() {
                    [AvroType::Null, t] => Ok(AvroType::Nullable { inner: Box::new(t.clone()), null_index: 0 }),
                    [t, AvroType::Null] => Ok(AvroType::Nullable { inner: Box::new(t.clone()), null_index: 1 }),
                    [t] => Ok(t.clone()),
                    _ => Err(format!("union {v} is not supported: only [\"null\", T] is")),
                }
            }
            Value::Object(o) => {
                let ty = o.get("type").ok_or_else(|| format!("schema {v} has no \"type\""))?;
                let logical = o.get("logicalType").and_then(Value::as_str);
                let int_attr = |k: &str| o.get(k).and_then(Value::as_u64);
                let name = || o.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
                let parsed = match ty.as_str() {
                    Some("record") | Some("error") => {
                        let name = name();
                        let fields = o.get("fields").and_then(Value::as_array).ok_or("a record without fields")?;
                        let fields = fields
                            .iter()
                            .map(|f| {
                                let fname = f.get("name").and_then(Value::as_str).ok_or("a field without a name")?;
                                let ty = f.get("type").ok_or("a field without a type")?;
                                Ok(RecordField { name: fname.to_string(), ty: self.parse(ty)?, target: None })
                            })
                            .collect::<Result<_, String>>()?;
                        AvroType::Record(Record { name, fields, absent: Vec::new() })
                    }
                    Some("enum") => {
                        let symbols = o.get("symbols").and_then(Value::as_array).ok_or("an enum without symbols")?;
                        AvroType::Enum(symbols.iter().map(|s| s.as_str().unwrap_or_default().to_string()).collect())
                    }
                    Some("array") => {
                        AvroType::Array(Box::new(self.parse(o.get("items").ok_or("an array without items")?)?))
                    }
                    Some("map") => AvroType::Map(Box::new(self.parse(o.get("values").ok_or("a map without values")?)?)),
                    Some("fixed") => {
                        let size = int_attr("size").ok_or("a fixed without size")? as usize;
                        match logical {
                            Some("decimal") => AvroType::Decimal {
                                precision: int_attr("precision").unwrap_or(38) as u8,
                                scale: int_attr("scale").unwrap_or(0) as i8,
                                fixed: Some(size),
                            },
                            _ => AvroType::Fixed(size),
                        }
                    }
                    _ => {
                        let base = self.parse(ty)?;
                        match (logical, &base) {
                            (Some("decimal"), AvroType::Bytes) => AvroType::Decimal {
                                precision: int_attr("precision").unwrap_or(38) as u8,
                                scale: int_attr("scale").unwrap_or(0) as i8,
                                fixed: None,
                            },
                            (Some("date"), AvroType::Int) => AvroType::Date,
                            (Some("time-millis"), AvroType::Int) => AvroType::TimeMillis,
                            (Some("time-micros"), AvroType::Long) => AvroType::TimeMicros,
                            (Some("timestamp-millis" | "local-timestamp-millis"), AvroType::Long) => {
                                AvroType::Timestamp(TimeUnit::Millisecond)
                            }
                            (Some("timestamp-micros" | "local-timestamp-micros"), AvroType::Long) => {
                                AvroType::Timestamp(TimeUnit::Microsecond)
                            }
                            // Unknown logical types are read as their base type (Avro's rule).
                            _ => base,
                        }
                    }
                };
                if matches!(ty.as_str(), Some("record" | "error" | "enum" | "fixed")) {
                    let full = match (o.get("namespace").and_then(Value::as_str), name()) {
                        (Some(ns), n) if !n.contains('.') && !ns.is_empty() => format!("{ns}.{n}"),
                        (_, n) => n,
                    };
                    self.named.insert(name(), parsed.clone());
                    self.named.insert(full, parsed.clone());
                }
                Ok(parsed)
            }
            other => Err(format!("{other} is not an Avro schema")),
        }
    }

    fn primitive(&self, name: &str) -> Result<AvroType, String> {
        Ok(match name {
            "null" => AvroType::Null,
            "boolean" => AvroType::Boolean,
            "int" => AvroType::Int,
            "long" => AvroType::Long,
            "float" => AvroType::Float,
            "double" => AvroType::Double,
            "bytes" => AvroType::Bytes,
            "string" => AvroType::String,
            other => {
                match self.named.get(other).or_else(|| self.named.get(other.rsplit('.').next().unwrap_or(other))) {
                    Some(t) => t.clone(),
                    None => return Err(format!("unknown Avro type '{other}'")),
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn derived_schema_follows_flinks_rules() {
        let point = DataType::Struct(vec![Field::new("x", DataType::Int32, false)].into());
        let fields = [
            Field::new("id", DataType::Int64, false),
            Field::new("name", DataType::Utf8, true),
            Field::new("price", DataType::Decimal128(10, 2), true),
            Field::new("ts", DataType::Timestamp(TimeUnit::Millisecond, None), false),
            Field::new("tags", DataType::List(Arc::new(Field::new("element", DataType::Utf8, true))), true),
            Field::new("p", point, true),
        ];
        let refs: Vec<&Field> = fields.iter().collect();
        let schema = AvroType::for_columns(&refs, true).unwrap().to_json();
        let expected = json!({
            "type": "record", "name": "record", "namespace": "org.apache.flink.avro.generated",
            "fields": [
                {"name": "id", "type": "long"},
                {"name": "name", "type": ["null", "string"], "default": null},
                {"name": "price", "type": ["null", {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}], "default": null},
                {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
                {"name": "tags", "type": ["null", {"type": "array", "items": ["null", "string"]}], "default": null},
                {"name": "p", "type": ["null", {"type": "record", "name": "record_p", "fields": [{"name": "x", "type": "int"}]}], "default": null},
            ]
        });
        assert_eq!(schema, expected);
        let parsed = AvroType::parse(&schema.to_string()).unwrap();
        assert_eq!(parsed.to_json(), expected);
    }

    #[test]
    fn timestamps_beyond_millis_and_ltz_need_the_new_mapping() {
        let micros = Field::new("t", DataType::Timestamp(TimeUnit::Microsecond, None), true);
        let err = AvroType::for_columns(&[&micros], true).unwrap_err();
        assert!(err.contains("precision above 3"), "{err}");
        let t = AvroType::for_columns(&[&micros], false).unwrap().to_json();
        assert_eq!(t["fields"][0]["type"][1]["logicalType"], "timestamp-micros");
        let ltz = Field::new("t", DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())), true);
        assert!(AvroType::for_columns(&[&ltz], true).unwrap_err().contains("legacy"));
    }

    #[test]
    fn resolution_matches_fields_by_name_and_widens_numbers() {
        let mut writer = AvroType::parse(
            r#"{"type":"record","name":"r","fields":[{"name":"b","type":"int"},{"name":"extra","type":"string"},{"name":"a","type":"float"}]}"#,
        )
        .unwrap();
        let AvroType::Record(r) = &mut writer else { panic!() };
        let cols = [("a", DataType::Float64, false), ("b", DataType::Int64, false), ("c", DataType::Utf8, true)];
        let names: Vec<&str> = cols.iter().map(|c| c.0).collect();
        r.resolve_fields(&names, |i| (&cols[i].1, cols[i].2), "").unwrap();
        let targets: Vec<Option<usize>> = r.fields.iter().map(|f| f.target).collect();
        assert_eq!(targets, [Some(1), None, Some(0)]);
        assert_eq!(r.absent, [2]);
        let cols = [("b", DataType::Boolean, false)];
        let err = r.resolve_fields(&["b"], |i| (&cols[i].1, cols[i].2), "").unwrap_err();
        assert_eq!(err, "'b': Avro \"int\" cannot be read as Boolean");
    }
}
