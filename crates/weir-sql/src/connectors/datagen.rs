//! The `datagen` connector, as Flink's: rows of random or sequential values, at
//! `rows-per-second` (default 10,000, shared by the parallel readers), bounded by
//! `number-of-rows` or by the end of a sequence field, else unbounded.
//!
//! Per field (`fields.<name>.<option>`): `kind` (`random`, the default, or `sequence`);
//! for random values `min`/`max` (numbers), `length` (strings, default 100), `var-len`,
//! `max-past` (timestamps: now minus up to this long), `null-rate`; for sequences `start`
//! and `end` (required; each value is emitted once over all readers). Random values are
//! drawn from the row's position, so they do not depend on the parallelism.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Decimal128Builder, Float32Builder, Float64Builder, Int16Builder,
    Int32Builder, Int64Builder, Int8Builder, StringBuilder, Time32MillisecondBuilder, TimestampMillisecondBuilder,
};
use arrow::datatypes::{DataType, SchemaRef, TimeUnit};
use weir::{DataStream, StreamExecutionEnvironment};
use weir_connectors::nexmark::random::mix64;
use weir_connectors::pacer::Pacer;
use weir_core::StreamRecord;
use weir_runtime::{BoxError, Emitter, Operator};

use crate::catalog::TableDef;
use crate::error::{Result, SqlError};
use crate::stream::batch::cast_to;
use crate::stream::Changes;

/// Table-level options.
pub const OPTIONS: [&str; 4] = ["connector", "rows-per-second", "number-of-rows", "scan.parallelism"];
/// Options of each field, `fields.<name>.<option>`.
pub const FIELD_OPTIONS: [&str; 9] =
    ["kind", "min", "max", "max-past", "length", "var-len", "start", "end", "null-rate"];

/// How one column's values are made.
#[derive(Debug, Clone)]
enum Values {
    Sequence { start: i64 },
    Random { min: f64, max: f64, length: usize, var_len: bool, max_past_ms: i64 },
}

#[derive(Debug, Clone)]
struct FieldGen {
    values: Values,
    null_rate: f64,
    data_type: DataType,
}

/// A parsed `datagen` table.
#[derive(Debug, Clone)]
struct Datagen {
    fields: Vec<FieldGen>,
    rows: u64,
    rows_per_second: f64,
}

fn number<T: std::str::FromStr>(table: &TableDef, key: &str) -> Result<Option<T>> {
    table
        .option(key)
        .map(|v| {
            v.trim().parse::<T>().map_err(|_| {
                SqlError::option(format!("Option '{key}' of table '{}' is not a valid number: '{v}'", table.name))
            })
        })
        .transpose()
}

/// `'5 s'`, `'1000s'`, `'2 min'`, `'100 ms'`, `'1h'`, `'3 d'` as milliseconds.
fn duration_ms(text: &str) -> Option<i64> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (n, unit) = text.split_at(split);
    let n: i64 = n.parse().ok()?;
    let factor = match unit.trim().to_lowercase().as_str() {
        "" | "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 1,
        "s" | "sec" | "secs" | "second" | "seconds" => 1_000,
        "min" | "minute" | "minutes" => 60_000,
        "h" | "hour" | "hours" => 3_600_000,
        "d" | "day" | "days" => 86_400_000,
        _ => return None,
    };
    Some(n * factor)
}

/// The default random range of a numeric type.
fn type_range(t: &DataType) -> (f64, f64) {
    match t {
        DataType::Int8 => (i8::MIN as f64, i8::MAX as f64),
        DataType::Int16 => (i16::MIN as f64, i16::MAX as f64),
        DataType::Int32 => (i32::MIN as f64, i32::MAX as f64),
        DataType::Int64 => (i64::MIN as f64, i64::MAX as f64),
        DataType::Float32 => (f32::MIN as f64, f32::MAX as f64),
        DataType::Decimal128(p, s) => {
            let max = 10f64.powi(*p as i32 - *s as i32) - 10f64.powi(-(*s as i32));
            (-max, max)
        }
        _ => (f64::MIN, f64::MAX),
    }
}

fn parse(table: &TableDef) -> Result<Datagen> {
    let schema = table.physical_schema();
    for key in table.options.keys() {
        if let Some(rest) = key.strip_prefix("fields.") {
            let (field, option) = rest.rsplit_once('.').unwrap_or((rest, ""));
            if schema.field_with_name(field).is_err() {
                return Err(SqlError::option(format!(
                    "Option '{key}' of table '{}' names no column '{field}'",
                    table.name
                )));
            }
            if !FIELD_OPTIONS.contains(&option) {
                return Err(SqlError::option(format!(
                    "Unsupported option '{key}' for connector 'datagen' of table '{}'. Field options: {}",
                    table.name,
                    FIELD_OPTIONS.join(", ")
                )));
            }
        } else if !OPTIONS.contains(&key.as_str()) {
            return Err(SqlError::option(format!(
                "Unsupported option '{key}' for connector 'datagen' of table '{}'. Supported options: {}, fields.#.{{{}}}",
                table.name,
                OPTIONS.join(", "),
                FIELD_OPTIONS.join(", ")
            )));
        }
    }
    let mut rows = number::<u64>(table, "number-of-rows")?.unwrap_or(u64::MAX);
    let rows_per_second = number::<f64>(table, "rows-per-second")?.unwrap_or(10_000.0);
    if !(rows_per_second > 0.0 && rows_per_second.is_finite()) {
        return Err(SqlError::option(format!("Option 'rows-per-second' of table '{}' must be positive", table.name)));
    }
    let mut fields = Vec::new();
    for field in schema.fields() {
        let name = field.name();
        let option = |o: &str| table.option(&format!("fields.{name}.{o}"));
        let num = |o: &str| number::<f64>(table, &format!("fields.{name}.{o}"));
        let data_type = field.data_type().clone();
        let values = match option("kind").unwrap_or("random") {
            "sequence" => {
                let bound = |o: &str| -> Result<i64> {
                    number::<i64>(table, &format!("fields.{name}.{o}"))?.ok_or_else(|| {
                        SqlError::option(format!(
                            "Sequence field '{name}' of table '{}' needs 'fields.{name}.start' and 'fields.{name}.end'",
                            table.name
                        ))
                    })
                };
                let (start, end) = (bound("start")?, bound("end")?);
                if end < start {
                    return Err(SqlError::option(format!(
                        "Sequence field '{name}' of table '{}' ends ({end}) before it starts ({start})",
                        table.name
                    )));
                }
                if !(data_type.is_integer() || matches!(data_type, DataType::Utf8 | DataType::Decimal128(_, _))) {
                    return Err(SqlError::option(format!(
                        "Sequence field '{name}' of table '{}' must be a number or a string, not {data_type}",
                        table.name
                    )));
                }
                rows = rows.min((end - start) as u64 + 1);
                Values::Sequence { start }
            }
            "random" => {
                let (lo, hi) = type_range(&data_type);
                let (min, max) = (num("min")?.unwrap_or(lo), num("max")?.unwrap_or(hi));
                if max < min {
                    return Err(SqlError::option(format!(
                        "Field '{name}' of table '{}': 'max' ({max}) is below 'min' ({min})",
                        table.name
                    )));
                }
                let max_past_ms = match option("max-past") {
                    None => 0,
                    Some(text) => duration_ms(text).ok_or_else(|| {
                        SqlError::option(format!(
                            "Option 'fields.{name}.max-past' of table '{}' is not a duration: '{text}'",
                            table.name
                        ))
                    })?,
                };
                let length = number::<usize>(table, &format!("fields.{name}.length"))?.unwrap_or(100);
                let var_len = option("var-len").is_some_and(|v| v.eq_ignore_ascii_case("true"));
                Values::Random { min, max, length, var_len, max_past_ms }
            }
            other => {
                return Err(SqlError::option(format!(
                    "Option 'fields.{name}.kind' of table '{}' must be 'random' or 'sequence', got '{other}'",
                    table.name
                )))
            }
        };
        let null_rate = num("null-rate")?.unwrap_or(0.0);
        if !(0.0..=1.0).contains(&null_rate) {
            return Err(SqlError::option(format!(
                "Option 'fields.{name}.null-rate' of table '{}' must be between 0 and 1",
                table.name
            )));
        }
        let supported = matches!(
            data_type,
            DataType::Boolean
                | DataType::Int8
                | DataType::Int16
                | DataType::Int32
                | DataType::Int64
                | DataType::Float32
                | DataType::Float64
                | DataType::Decimal128(_, _)
                | DataType::Utf8
                | DataType::Date32
                | DataType::Time32(_)
                | DataType::Timestamp(_, _)
        );
        if !supported {
            return Err(SqlError::unsupported(format!(
                "The datagen connector cannot generate column '{name}' of type {data_type} (table '{}')",
                table.name
            )));
        }
        fields.push(FieldGen { values, null_rate, data_type });
    }
    Ok(Datagen { fields, rows, rows_per_second })
}

/// Checks a `datagen` table's options.
pub fn validate(table: &TableDef) -> Result<()> {
    parse(table).map(drop)
}

/// The rows of a `datagen` table (its physical columns).
pub fn open(env: &StreamExecutionEnvironment, table: &TableDef) -> Result<DataStream<Changes>> {
    let gen = Arc::new(parse(table)?);
    let last = i64::try_from(gen.rows.saturating_sub(1)).unwrap_or(i64::MAX);
    let schema = table.physical_schema();
    let positions = env.from_sequence(0, last);
    let positions = match number::<usize>(table, "scan.parallelism")? {
        Some(p) => positions.set_parallelism(p.max(1)),
        None => positions,
    };
    Ok(positions.transform(&format!("Datagen {}", table.name), move |subtask| {
        let share = gen.rows_per_second / subtask.parallelism.max(1) as f64;
        Ok(DatagenOperator { gen: gen.clone(), schema: schema.clone(), pacer: Pacer::new(share) })
    }))
}

struct DatagenOperator {
    gen: Arc<Datagen>,
    schema: SchemaRef,
    pacer: Pacer,
}

/// A uniform draw in [0, 1) for row `row`, field `field`, draw `k`.
fn unit(row: i64, field: usize, k: u64) -> f64 {
    let bits = mix64((row as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ mix64(field as u64 * 1_000_003 + k));
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

impl DatagenOperator {
    fn column(&self, c: usize, positions: &[i64]) -> std::result::Result<ArrayRef, BoxError> {
        let f = &self.gen.fields[c];
        let is_null = |row: i64| f.null_rate > 0.0 && unit(row, c, 7) < f.null_rate;
        let n = positions.len();
        let number = |row: i64| -> f64 {
            match f.values {
                Values::Sequence { start, .. } => (start + row) as f64,
                Values::Random { min, max, .. } => min + unit(row, c, 0) * (max - min),
            }
        };
        let integer = |row: i64| -> i64 {
            match f.values {
                Values::Sequence { start, .. } => start + row,
                Values::Random { min, max, .. } => {
                    let span = (max - min).floor() as u128 + 1;
                    let pick = (unit(row, c, 0) * span as f64) as u128;
                    (min as i128 + pick.min(span - 1) as i128) as i64
                }
            }
        };
        macro_rules! ints {
            ($builder:ty, $t:ty) => {{
                let mut b = <$builder>::with_capacity(n);
                for &row in positions {
                    if is_null(row) {
                        b.append_null()
                    } else {
                        b.append_value(integer(row) as $t)
                    }
                }
                Arc::new(b.finish()) as ArrayRef
            }};
        }
        let column: ArrayRef = match &f.data_type {
            DataType::Int8 => ints!(Int8Builder, i8),
            DataType::Int16 => ints!(Int16Builder, i16),
            DataType::Int32 => ints!(Int32Builder, i32),
            DataType::Int64 => ints!(Int64Builder, i64),
            DataType::Boolean => {
                let mut b = BooleanBuilder::with_capacity(n);
                for &row in positions {
                    if is_null(row) {
                        b.append_null()
                    } else {
                        b.append_value(unit(row, c, 0) < 0.5)
                    }
                }
                Arc::new(b.finish())
            }
            DataType::Float32 => {
                let mut b = Float32Builder::with_capacity(n);
                for &row in positions {
                    if is_null(row) {
                        b.append_null()
                    } else {
                        b.append_value(number(row) as f32)
                    }
                }
                Arc::new(b.finish())
            }
            DataType::Float64 => {
                let mut b = Float64Builder::with_capacity(n);
                for &row in positions {
                    if is_null(row) {
                        b.append_null()
                    } else {
                        b.append_value(number(row))
                    }
                }
                Arc::new(b.finish())
            }
            DataType::Decimal128(p, s) => {
                let mut b = Decimal128Builder::with_capacity(n).with_precision_and_scale(*p, *s)?;
                let scale = 10f64.powi(*s as i32);
                for &row in positions {
                    if is_null(row) {
                        b.append_null()
                    } else {
                        b.append_value((number(row) * scale).round() as i128)
                    }
                }
                Arc::new(b.finish())
            }
            DataType::Utf8 => {
                let mut b = StringBuilder::with_capacity(n, n * 16);
                let mut text = String::new();
                for &row in positions {
                    if is_null(row) {
                        b.append_null();
                        continue;
                    }
                    text.clear();
                    match f.values {
                        Values::Sequence { start, .. } => {
                            use std::fmt::Write;
                            let _ = write!(text, "{}", start + row);
                        }
                        Values::Random { length, var_len, .. } => {
                            let len = if var_len { 1 + (unit(row, c, 1) * length as f64) as usize } else { length };
                            for k in 0..len {
                                let digit = (unit(row, c, 2 + k as u64) * 16.0) as u32;
                                text.push(char::from_digit(digit.min(15), 16).expect("a hex digit"));
                            }
                        }
                    }
                    b.append_value(&text);
                }
                Arc::new(b.finish())
            }
            DataType::Timestamp(_, _) | DataType::Date32 | DataType::Time32(_) => {
                let now = now_ms();
                let past = match f.values {
                    Values::Random { max_past_ms, .. } => max_past_ms,
                    Values::Sequence { .. } => 0,
                };
                let mut b = TimestampMillisecondBuilder::with_capacity(n);
                for &row in positions {
                    if is_null(row) {
                        b.append_null()
                    } else {
                        b.append_value(now - (unit(row, c, 0) * past as f64) as i64)
                    }
                }
                let ts: ArrayRef = Arc::new(b.finish());
                match &f.data_type {
                    DataType::Date32 => {
                        let mut d = Date32Builder::with_capacity(n);
                        let days = arrow::compute::cast(&ts, &DataType::Date32)?;
                        d.append_array(days.as_any().downcast_ref().ok_or("dates")?);
                        Arc::new(d.finish())
                    }
                    DataType::Time32(_) => {
                        let mut t = Time32MillisecondBuilder::with_capacity(n);
                        for &row in positions {
                            t.append_value(((now - (unit(row, c, 0) * past as f64) as i64) % 86_400_000) as i32);
                        }
                        // TIME(0) is held in seconds.
                        arrow::compute::cast(&(Arc::new(t.finish()) as ArrayRef), &f.data_type)?
                    }
                    _ => ts,
                }
            }
            other => return Err(format!("datagen cannot generate {other}").into()),
        };
        let target = self.schema.field(c).data_type();
        match (column.data_type(), target) {
            (DataType::Timestamp(TimeUnit::Millisecond, None), DataType::Timestamp(unit, tz)) => {
                Ok(arrow::compute::cast(&column, &DataType::Timestamp(*unit, tz.clone()))?)
            }
            _ => cast_to(column, target),
        }
    }
}

impl Operator for DatagenOperator {
    type In = i64;
    type Out = Changes;

    fn process(
        &mut self,
        batch: &mut Vec<StreamRecord<i64>>,
        out: &mut Emitter<Changes>,
    ) -> std::result::Result<(), BoxError> {
        let positions: Vec<i64> = batch.drain(..).map(|r| r.value).collect();
        let mut done = 0;
        while done < positions.len() {
            let due = self.pacer.allowance() as usize;
            if due == 0 {
                self.pacer.pause();
                continue;
            }
            let chunk = &positions[done..(done + due).min(positions.len())];
            self.pacer.record(chunk.len() as u64);
            done += chunk.len();
            let columns = (0..self.gen.fields.len())
                .map(|c| self.column(c, chunk))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(chunk.len()));
            let rows = arrow::array::RecordBatch::try_new_with_options(self.schema.clone(), columns, &options)?;
            out.emit(StreamRecord { value: Changes::inserts(rows), timestamp: weir_core::record::NO_TIMESTAMP });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration_ms("1000s"), Some(1_000_000));
        assert_eq!(duration_ms("5 min"), Some(300_000));
        assert_eq!(duration_ms("250"), Some(250));
        assert_eq!(duration_ms("soon"), None);
    }

    #[test]
    fn draws_are_uniform_enough_and_repeatable() {
        let draws: Vec<f64> = (0..10_000).map(|r| unit(r, 3, 0)).collect();
        assert!(draws.iter().all(|u| (0.0..1.0).contains(u)));
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        assert!((mean - 0.5).abs() < 0.02, "{mean}");
        assert_eq!(unit(42, 1, 0), unit(42, 1, 0));
        assert_ne!(unit(42, 1, 0), unit(42, 2, 0));
    }
}
