//! The last step before a sink: the query's columns cast to the sink's declared types, with
//! what Flink's sink adds on top of Arrow's casts —
//!
//! - a `NOT NULL` column given a NULL fails the job with Flink's message, or, with
//!   `table.exec.sink.not-null-enforcer` = `DROP`, the row is dropped;
//! - a `CHAR(n)` / `BINARY(n)` column gets values cut or padded (spaces, zero bytes) to `n`,
//!   a `VARCHAR(n)` / `VARBINARY(n)` column values cut to `n`, as Flink's cast to the sink's
//!   type does (Arrow holds every length in one string or binary type).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BinaryArray, BooleanArray, StringArray};
use arrow::datatypes::{Field, Schema, SchemaRef};
use weir_core::{StreamRecord, Watermark};
use weir_runtime::{BoxError, Emitter, Operator};

use crate::catalog::TableDef;
use crate::error::{Result, SqlError};
use crate::stream::calc::CalcOperator;
use crate::stream::Changes;
use crate::types::{TypeKind, MAX_LENGTH};

/// The `SET` key choosing what a NULL in a `NOT NULL` sink column does.
pub const NOT_NULL_ENFORCER: &str = "table.exec.sink.not-null-enforcer";

/// What a NULL written into a `NOT NULL` sink column does (`table.exec.sink.not-null-enforcer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NotNullEnforcer {
    /// The job fails (Flink's default).
    #[default]
    Error,
    /// The row is dropped.
    Drop,
}

impl NotNullEnforcer {
    /// The enforcer `value` names (`ERROR`, `DROP`, any case).
    ///
    /// # Errors
    /// Another value, naming the key and the allowed values.
    pub fn parse(value: &str) -> Result<Self> {
        match value.trim().to_uppercase().as_str() {
            "ERROR" => Ok(NotNullEnforcer::Error),
            "DROP" => Ok(NotNullEnforcer::Drop),
            _ => Err(SqlError::option(format!(
                "Could not parse value '{value}' for key '{NOT_NULL_ENFORCER}'. Possible values: [ERROR, DROP]"
            ))),
        }
    }
}

/// A declared length a sink column's values are brought to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Length {
    /// At most `n` characters.
    Varchar(usize),
    /// Exactly `n` characters, padded with spaces.
    Char(usize),
    /// At most `n` bytes.
    Varbinary(usize),
    /// Exactly `n` bytes, padded with zero bytes.
    Binary(usize),
}

/// What one sink column checks and changes.
#[derive(Debug, Clone)]
struct ColumnRule {
    name: String,
    not_null: bool,
    length: Option<Length>,
}

/// The query's rows projected and cast onto the sink's columns, then NULLs and lengths
/// enforced as Flink's sink does.
pub(crate) struct SinkConversion {
    calc: CalcOperator,
    rules: Arc<[ColumnRule]>,
    enforcer: NotNullEnforcer,
    schema: SchemaRef,
}

/// The parts [`SinkConversion`] is made of for one sink, built once per job.
#[derive(Clone)]
pub(crate) struct SinkConversionPlan {
    projection: Vec<Arc<dyn datafusion_physical_expr::PhysicalExpr>>,
    /// The sink's schema with every column nullable: what the casts produce.
    relaxed: SchemaRef,
    rules: Arc<[ColumnRule]>,
    enforcer: NotNullEnforcer,
    schema: SchemaRef,
}

impl SinkConversionPlan {
    /// The conversion of rows computed by `projection` into the columns `table` writes
    /// (`schema`, its sink schema).
    pub(crate) fn new(
        table: &TableDef,
        schema: SchemaRef,
        projection: Vec<Arc<dyn datafusion_physical_expr::PhysicalExpr>>,
        enforcer: NotNullEnforcer,
    ) -> Self {
        let rules: Arc<[ColumnRule]> = table
            .sink_columns()
            .map(|c| ColumnRule {
                name: c.name.clone(),
                // A primary key column is NOT NULL in Flink, declared so or not.
                not_null: !c.ty.nullable || table.primary_key.contains(&c.name),
                length: length_of(&c.ty.kind),
            })
            .collect();
        let relaxed = Arc::new(Schema::new(
            schema.fields().iter().map(|f| Field::new(f.name(), f.data_type().clone(), true)).collect::<Vec<_>>(),
        ));
        SinkConversionPlan { projection, relaxed, rules, enforcer, schema }
    }

    /// The operator of one subtask.
    pub(crate) fn operator(&self) -> SinkConversion {
        SinkConversion {
            calc: CalcOperator::new(None, Some(self.projection.clone()), self.relaxed.clone()),
            rules: self.rules.clone(),
            enforcer: self.enforcer,
            schema: self.schema.clone(),
        }
    }
}

/// The length a value of type `kind` is brought to, when the type bounds it.
fn length_of(kind: &TypeKind) -> Option<Length> {
    let n = |n: &u32| usize::try_from(*n).unwrap_or(usize::MAX);
    match kind {
        TypeKind::Char(l) => Some(Length::Char(n(l))),
        TypeKind::Varchar(l) if *l < MAX_LENGTH => Some(Length::Varchar(n(l))),
        TypeKind::Binary(l) => Some(Length::Binary(n(l))),
        TypeKind::Varbinary(l) if *l < MAX_LENGTH => Some(Length::Varbinary(n(l))),
        _ => None,
    }
}

impl SinkConversion {
    /// `changes` (already cast) with NULLs and lengths enforced; `None` when every row was
    /// dropped.
    fn enforce(&self, mut changes: Changes) -> Result<Option<Changes>, BoxError> {
        if self.rules.iter().all(|r| !r.not_null && r.length.is_none()) {
            // Nothing to enforce: the cast rows are already in the sink's (all nullable) schema.
            return Ok(Some(changes));
        }
        let mut keep: Option<BooleanArray> = None;
        for (rule, column) in self.rules.iter().zip(changes.rows.columns()) {
            if !rule.not_null || column.null_count() == 0 {
                continue;
            }
            if self.enforcer == NotNullEnforcer::Error {
                return Err(format!(
                    "Column '{}' is NOT NULL, however, a null value is being written into it. You can set job \
                     configuration '{NOT_NULL_ENFORCER}'='DROP' to suppress this exception and drop such records \
                     silently.",
                    rule.name
                )
                .into());
            }
            let present = arrow::compute::is_not_null(column.as_ref())?;
            keep = Some(match keep {
                Some(k) => arrow::compute::and(&k, &present)?,
                None => present,
            });
        }
        if let Some(keep) = keep {
            changes = changes.filter(&keep)?;
            if changes.is_empty() {
                return Ok(None);
            }
        }
        let columns = self
            .rules
            .iter()
            .zip(changes.rows.columns())
            .map(|(rule, column)| match rule.length {
                Some(length) => fit_length(column, length),
                None => Ok(column.clone()),
            })
            .collect::<Result<Vec<_>, BoxError>>()?;
        Ok(Some(changes.with_columns(self.schema.clone(), columns)?))
    }
}

/// `column`'s values brought to `length` (unchanged when all already fit).
fn fit_length(column: &ArrayRef, length: Length) -> Result<ArrayRef, BoxError> {
    match length {
        Length::Varchar(n) | Length::Char(n) => {
            let strings = column.as_any().downcast_ref::<StringArray>().ok_or("a string sink column")?;
            let pad = matches!(length, Length::Char(_));
            // A value of at most n bytes has at most n characters.
            let fits = |s: &str| (s.len() <= n || s.chars().count() <= n) && (!pad || s.chars().count() == n);
            if strings.iter().flatten().all(fits) {
                return Ok(column.clone());
            }
            let mut fitted = arrow::array::StringBuilder::with_capacity(strings.len(), strings.value_data().len());
            let mut text = String::new();
            for v in strings.iter() {
                let Some(s) = v else {
                    fitted.append_null();
                    continue;
                };
                let cut = s.char_indices().nth(n).map_or(s, |(at, _)| &s[..at]);
                if pad {
                    text.clear();
                    text.push_str(cut);
                    text.extend(std::iter::repeat_n(' ', n.saturating_sub(cut.chars().count())));
                    fitted.append_value(&text);
                } else {
                    fitted.append_value(cut);
                }
            }
            Ok(Arc::new(fitted.finish()))
        }
        Length::Varbinary(n) | Length::Binary(n) => {
            let bytes = column.as_any().downcast_ref::<BinaryArray>().ok_or("a binary sink column")?;
            let pad = matches!(length, Length::Binary(_));
            if bytes.iter().flatten().all(|b| b.len() <= n && (!pad || b.len() == n)) {
                return Ok(column.clone());
            }
            let fitted: BinaryArray = bytes
                .iter()
                .map(|v| {
                    v.map(|b| {
                        let mut out = b[..b.len().min(n)].to_vec();
                        if pad {
                            out.resize(n, 0);
                        }
                        out
                    })
                })
                .collect();
            Ok(Arc::new(fitted))
        }
    }
}

/// Whether Flink writes a query column of type `from` into a sink column of type `to`
/// without an explicit CAST (`LogicalTypeCasts.supportsImplicitCast`, checked against Flink
/// 2.3): numbers stay numbers, strings stay strings, binaries stay binaries, a BOOLEAN
/// stays a BOOLEAN, and a TIMESTAMP may become a DATE (not the other way); NULL goes
/// anywhere. Types Arrow cannot tell apart pass (a STRING into CHAR(n), which Flink refuses
/// while it takes a CHAR(m)), and so does a narrowing among numbers (see below).
pub(crate) fn implicit_cast(from: &arrow::datatypes::DataType, to: &arrow::datatypes::DataType) -> bool {
    use arrow::datatypes::DataType as T;
    let integer =
        |t: &T| matches!(t, T::Int8 | T::Int16 | T::Int32 | T::Int64 | T::UInt8 | T::UInt16 | T::UInt32 | T::UInt64);
    let decimal = |t: &T| matches!(t, T::Decimal128(..) | T::Decimal256(..));
    let float = |t: &T| matches!(t, T::Float16 | T::Float32 | T::Float64);
    let numeric = |t: &T| integer(t) || decimal(t) || float(t);
    let string = |t: &T| matches!(t, T::Utf8 | T::LargeUtf8 | T::Utf8View);
    let binary = |t: &T| matches!(t, T::Binary | T::LargeBinary | T::BinaryView | T::FixedSizeBinary(_));
    let timestamp = |t: &T| matches!(t, T::Timestamp(..));
    let date = |t: &T| matches!(t, T::Date32 | T::Date64);
    if from == to || *from == T::Null {
        return true;
    }
    if numeric(from) || numeric(to) {
        // Flink refuses a narrowing (BIGINT into INT, DOUBLE into FLOAT, DOUBLE or DECIMAL
        // into INT), but Weir still types some aggregates wider than Flink (SUM of INT over a
        // window is BIGINT here, INT in Flink): refusing by these types would refuse queries
        // Flink runs, so numbers pass among themselves until those types agree.
        return numeric(from) && numeric(to);
    }
    if string(from) || string(to) {
        return string(from) && string(to);
    }
    if binary(from) || binary(to) {
        return binary(from) && binary(to);
    }
    if matches!(from, T::Boolean) || matches!(to, T::Boolean) {
        return false;
    }
    if timestamp(from) || date(from) || timestamp(to) || date(to) {
        return (timestamp(from) && (timestamp(to) || date(to))) || (date(from) && date(to));
    }
    arrow::compute::can_cast_types(from, to)
}

impl Operator for SinkConversion {
    type In = Changes;
    type Out = Changes;

    fn process(&mut self, batch: &mut Vec<StreamRecord<Changes>>, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        for record in batch.drain(..) {
            let Some(cast) = self.calc.apply(record.value)? else { continue };
            if let Some(changes) = self.enforce(cast)? {
                out.emit(StreamRecord { value: changes, timestamp: record.timestamp });
            }
        }
        Ok(())
    }

    fn on_watermark(&mut self, watermark: Watermark, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        out.emit_watermark(watermark);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int32Array, RecordBatch};
    use arrow::datatypes::DataType;

    fn conversion(rules: Vec<ColumnRule>, enforcer: NotNullEnforcer, schema: Schema) -> SinkConversion {
        let schema = Arc::new(schema);
        SinkConversion { calc: CalcOperator::new(None, None, schema.clone()), rules: rules.into(), enforcer, schema }
    }

    fn rule(name: &str, not_null: bool, length: Option<Length>) -> ColumnRule {
        ColumnRule { name: name.into(), not_null, length }
    }

    fn batch(ids: Vec<Option<i32>>, texts: Vec<Option<&str>>) -> Changes {
        let schema =
            Arc::new(Schema::new(vec![Field::new("id", DataType::Int32, true), Field::new("s", DataType::Utf8, true)]));
        let columns: Vec<ArrayRef> = vec![Arc::new(Int32Array::from(ids)), Arc::new(StringArray::from(texts))];
        Changes::inserts(RecordBatch::try_new(schema, columns).expect("a batch"))
    }

    fn strings(changes: &Changes, i: usize) -> Vec<Option<String>> {
        let column = changes.rows.column(i).as_any().downcast_ref::<StringArray>().expect("strings");
        column.iter().map(|v| v.map(str::to_string)).collect()
    }

    fn sink(s: DataType) -> Schema {
        Schema::new(vec![Field::new("id", DataType::Int32, false), Field::new("s", s, true)])
    }

    #[test]
    fn a_null_in_a_not_null_column_fails_or_drops_the_row() {
        let rules = || vec![rule("id", true, None), rule("s", false, None)];
        let input = || batch(vec![Some(1), None, Some(3)], vec![Some("a"), Some("b"), None]);
        let e = conversion(rules(), NotNullEnforcer::Error, sink(DataType::Utf8)).enforce(input()).unwrap_err();
        assert!(e.to_string().starts_with("Column 'id' is NOT NULL, however, a null value is being written"), "{e}");
        let kept = conversion(rules(), NotNullEnforcer::Drop, sink(DataType::Utf8)).enforce(input()).unwrap().unwrap();
        assert_eq!(strings(&kept, 1), [Some("a".to_string()), None]);
        assert!(!kept.rows.schema().field(0).is_nullable());
        let all_null = batch(vec![None], vec![Some("x")]);
        assert!(conversion(rules(), NotNullEnforcer::Drop, sink(DataType::Utf8)).enforce(all_null).unwrap().is_none());
    }

    #[test]
    fn char_and_varchar_values_are_cut_and_padded_to_the_declared_length() {
        let input =
            || batch(vec![Some(1), Some(2), Some(3), Some(4)], vec![Some("abcdef"), Some("ab"), Some(""), None]);
        let fitted = |length| {
            let c = conversion(
                vec![rule("id", false, None), rule("s", false, Some(length))],
                NotNullEnforcer::Error,
                sink(DataType::Utf8),
            );
            strings(&c.enforce(input()).unwrap().unwrap(), 1)
        };
        let some = |s: &str| Some(s.to_string());
        assert_eq!(fitted(Length::Varchar(3)), [some("abc"), some("ab"), some(""), None]);
        assert_eq!(fitted(Length::Char(3)), [some("abc"), some("ab "), some("   "), None]);
        // Characters, not bytes.
        let c = conversion(
            vec![rule("id", false, None), rule("s", false, Some(Length::Char(2)))],
            NotNullEnforcer::Error,
            sink(DataType::Utf8),
        );
        let out = c.enforce(batch(vec![Some(1), Some(2)], vec![Some("ünï"), Some("ü")])).unwrap().unwrap();
        assert_eq!(strings(&out, 1), [some("ün"), some("ü ")]);
    }

    #[test]
    fn binary_values_are_cut_and_padded_with_zero_bytes() {
        let column: ArrayRef = Arc::new(BinaryArray::from(vec![Some(&b"abcd"[..]), Some(&b"a"[..]), None]));
        let bytes = |a: ArrayRef| -> Vec<Option<Vec<u8>>> {
            a.as_any().downcast_ref::<BinaryArray>().unwrap().iter().map(|v| v.map(<[u8]>::to_vec)).collect()
        };
        assert_eq!(
            bytes(fit_length(&column, Length::Varbinary(2)).unwrap()),
            [Some(b"ab".to_vec()), Some(b"a".to_vec()), None]
        );
        assert_eq!(
            bytes(fit_length(&column, Length::Binary(2)).unwrap()),
            [Some(b"ab".to_vec()), Some(b"a\0".to_vec()), None]
        );
    }

    #[test]
    fn implicit_casts_are_flinks() {
        use arrow::datatypes::{DataType as T, TimeUnit};
        let ts = |u| T::Timestamp(u, None);
        let accepted = [
            // Flink refuses these three; Weir cannot yet (see `implicit_cast`).
            (T::Int64, T::Int32),
            (T::Float64, T::Float32),
            (T::Decimal128(5, 0), T::Int32),
            (T::Int32, T::Int64),
            (T::Int8, T::Int32),
            (T::Int32, T::Float64),
            (T::Int64, T::Decimal128(10, 2)),
            (T::Decimal128(10, 4), T::Decimal128(12, 2)),
            (T::Decimal128(5, 2), T::Float32),
            (T::Float64, T::Decimal128(10, 2)),
            (T::Float32, T::Float64),
            (T::Utf8, T::Utf8),
            (T::Null, T::Int8),
            (ts(TimeUnit::Microsecond), ts(TimeUnit::Millisecond)),
            (T::Timestamp(TimeUnit::Millisecond, Some("UTC".into())), ts(TimeUnit::Millisecond)),
            (ts(TimeUnit::Millisecond), T::Date32),
        ];
        for (from, to) in accepted {
            assert!(implicit_cast(&from, &to), "{from} -> {to}");
        }
        let refused = [
            (T::Int32, T::Utf8),
            (T::Utf8, T::Int32),
            (T::Boolean, T::Int32),
            (T::Utf8, T::Binary),
            (T::Date32, ts(TimeUnit::Millisecond)),
        ];
        for (from, to) in refused {
            assert!(!implicit_cast(&from, &to), "{from} -> {to}");
        }
    }

    #[test]
    fn a_primary_key_column_is_not_null_for_the_sink() {
        let t = TableDef {
            name: "o".into(),
            columns: vec![
                crate::catalog::Column {
                    name: "id".into(),
                    ty: crate::types::FlinkType::nullable(TypeKind::Int),
                    source: crate::catalog::ColumnSource::Physical,
                },
                crate::catalog::Column {
                    name: "s".into(),
                    ty: crate::types::FlinkType::nullable(TypeKind::Varchar(MAX_LENGTH)),
                    source: crate::catalog::ColumnSource::Physical,
                },
            ],
            watermark: None,
            primary_key: vec!["id".into()],
            partitioned_by: Vec::new(),
            options: Default::default(),
            comment: None,
            read_columns: None,
        };
        let plan = SinkConversionPlan::new(&t, t.sink_schema(), Vec::new(), NotNullEnforcer::Drop);
        assert!(plan.rules[0].not_null && !plan.rules[1].not_null);
        let kept = plan.operator().enforce(batch(vec![Some(1), None], vec![Some("a"), Some("b")])).unwrap().unwrap();
        assert_eq!(kept.len(), 1);
    }

    #[test]
    fn the_enforcer_option_takes_flinks_values() {
        assert_eq!(NotNullEnforcer::parse("drop").unwrap(), NotNullEnforcer::Drop);
        assert_eq!(NotNullEnforcer::parse("ERROR").unwrap(), NotNullEnforcer::Error);
        assert!(NotNullEnforcer::parse("skip").is_err());
    }
}
