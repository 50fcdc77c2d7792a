//! The `jdbc` connector from SQL (PostgreSQL), with Flink's options: a sink that appends
//! or — with `PRIMARY KEY (…) NOT ENFORCED` — upserts and deletes by key, a bounded scan,
//! and a lookup source for `JOIN … FOR SYSTEM_TIME AS OF` with a cache.
//!
//! Rows cross between Arrow batches and the connector's [`JdbcRow`]s here; the work with
//! the database is weir-connectors' [`weir_connectors::jdbc`].
//!
//! Types: BOOLEAN, TINYINT/SMALLINT/INT, BIGINT, FLOAT/DOUBLE, DECIMAL(p, s),
//! CHAR/VARCHAR/STRING, DATE, TIMESTAMP(p) and TIMESTAMP_LTZ(p) (PostgreSQL's `boolean`,
//! `smallint`/`integer`, `bigint`, `real`/`double precision`, `numeric`, `varchar`/`text`,
//! `date`, `timestamp` and `timestamptz`); other column types are refused at `CREATE TABLE`.
//! Computed columns are computed after a scan (a lookup table may not have them); metadata
//! columns are refused.

use std::sync::Arc;
use std::time::Duration;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanBuilder, Date32Builder, Float64Builder, Int32Builder, Int64Builder, RecordBatch,
    StringBuilder,
};
use arrow::datatypes::{DataType, Int16Type, Int32Type, Int64Type, Int8Type, SchemaRef, TimeUnit};
use weir::{DataStream, StreamExecutionEnvironment, WatermarkStrategy};
use weir_connectors::jdbc::{
    ChangeKind, JdbcChange, JdbcConnectionOptions, JdbcPartition, JdbcRow, JdbcScanOptions, JdbcSink, JdbcSinkOptions,
    JdbcSource, JdbcTable, JdbcType, JdbcValue, LookupCacheOptions,
};
use weir_core::StreamRecord;
use weir_runtime::{BoxError, Emitter, Operator};

use crate::catalog::{ColumnSource, TableDef};
use crate::changelog::RowKind;
use crate::error::{Result, SqlError};
use crate::session::JobSettings;
use crate::stream::Changes;

/// The options of a `jdbc` table.
pub const OPTIONS: [&str; 26] = [
    "connector",
    "url",
    "table-name",
    "username",
    "password",
    "driver",
    "connection.max-retry-timeout",
    "sink.buffer-flush.max-rows",
    "sink.buffer-flush.interval",
    "sink.max-retries",
    "sink.parallelism",
    "scan.partition.column",
    "scan.partition.num",
    "scan.partition.lower-bound",
    "scan.partition.upper-bound",
    "scan.fetch-size",
    "scan.auto-commit",
    "lookup.cache",
    "lookup.partial-cache.max-rows",
    "lookup.partial-cache.expire-after-write",
    "lookup.partial-cache.expire-after-access",
    "lookup.partial-cache.cache-missing-key",
    "lookup.max-retries",
    "lookup.cache.max-rows",
    "lookup.cache.ttl",
    "lookup.cache.caching-missing-key",
];

/// A `jdbc` table's options, parsed and checked.
#[derive(Debug, Clone)]
pub struct JdbcSettings {
    /// Where the database is.
    pub connection: JdbcConnectionOptions,
    /// The PostgreSQL table (`table-name`) with the table's physical columns and key.
    pub table: JdbcTable,
    /// `sink.*`.
    pub sink: JdbcSinkOptions,
    /// `scan.*`.
    pub scan: JdbcScanOptions,
    /// `lookup.cache` = `PARTIAL` (or the legacy `lookup.cache.max-rows` and `ttl`).
    pub cache: Option<LookupCacheOptions>,
    /// `lookup.max-retries`.
    pub lookup_retries: u32,
}

fn number<T: std::str::FromStr>(table: &TableDef, key: &str) -> Result<Option<T>> {
    table
        .option(key)
        .map(|v| {
            v.trim().parse::<T>().map_err(|_| {
                SqlError::option(format!("Option '{key}' of table '{}' must be a number, got '{v}'", table.name))
            })
        })
        .transpose()
}

fn duration(table: &TableDef, key: &str) -> Result<Option<Duration>> {
    table
        .option(key)
        .map(|v| {
            crate::job_options::parse_duration_ms(v)
                .ok()
                .filter(|ms| *ms >= 0)
                .map(|ms| Duration::from_millis(ms as u64))
                .ok_or_else(|| {
                    SqlError::option(format!(
                        "Option '{key}' of table '{}' must be a duration such as '10 s' or '500 ms', got '{v}'",
                        table.name
                    ))
                })
        })
        .transpose()
}

fn boolean(table: &TableDef, key: &str) -> Result<Option<bool>> {
    table
        .option(key)
        .map(|v| match v.trim().to_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(SqlError::option(format!(
                "Option '{key}' of table '{}' must be true or false, got '{v}'",
                table.name
            ))),
        })
        .transpose()
}

/// The connector's type for a column's Arrow type.
fn jdbc_type(data_type: &DataType) -> Option<JdbcType> {
    Some(match data_type {
        DataType::Boolean => JdbcType::Boolean,
        DataType::Int8 | DataType::Int16 => JdbcType::SmallInt,
        DataType::Int32 => JdbcType::Int,
        DataType::Int64 => JdbcType::BigInt,
        DataType::Float32 => JdbcType::Float,
        DataType::Float64 => JdbcType::Double,
        DataType::Decimal128(p, s) => JdbcType::Decimal(*p, *s),
        DataType::Utf8 | DataType::LargeUtf8 => JdbcType::Varchar,
        DataType::Date32 => JdbcType::Date,
        DataType::Timestamp(_, None) => JdbcType::Timestamp,
        DataType::Timestamp(_, Some(_)) => JdbcType::TimestampLtz,
        _ => return None,
    })
}

/// Parses and checks the options of `table` (at `CREATE TABLE`, and before a job).
pub fn settings(table: &TableDef) -> Result<JdbcSettings> {
    for key in table.options.keys() {
        if !OPTIONS.contains(&key.as_str()) {
            return Err(SqlError::option(format!(
                "Unsupported option '{key}' for connector 'jdbc' of table '{}'. Supported options: {}",
                table.name,
                OPTIONS.join(", ")
            )));
        }
    }
    if let Some(c) = table.columns.iter().find(|c| matches!(c.source, ColumnSource::Metadata { .. })) {
        return Err(SqlError::unsupported(format!(
            "Column '{}' of jdbc table '{}' is a metadata column; the jdbc connector has no metadata",
            c.name, table.name
        )));
    }
    let url = table.required_option("url")?;
    let mut connection = JdbcConnectionOptions::new(url)
        .map_err(|e| SqlError::option(format!("Option 'url' of table '{}': {e}", table.name)))?;
    if let Some(user) = table.option("username") {
        connection = connection.with_username(user);
    }
    if let Some(password) = table.option("password") {
        connection = connection.with_password(password);
    }
    if let Some(driver) = table.option("driver") {
        if driver != "org.postgresql.Driver" {
            return Err(SqlError::option(format!(
                "Option 'driver' of table '{}' is '{driver}', but Weir's jdbc connector speaks to PostgreSQL only \
                 (org.postgresql.Driver)",
                table.name
            )));
        }
    }
    let schema = table.physical_schema();
    let mut columns = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        let ty = jdbc_type(field.data_type()).ok_or_else(|| {
            SqlError::unsupported(format!(
                "Column '{}' of jdbc table '{}' has type {}, which the jdbc connector does not support",
                field.name(),
                table.name,
                field.data_type()
            ))
        })?;
        columns.push((field.name().clone(), ty));
    }
    let jdbc_table = JdbcTable::new(table.required_option("table-name")?, columns)
        .with_primary_key(&table.primary_key)
        .map_err(|e| SqlError::validation(e.to_string()))?;

    let defaults = JdbcSinkOptions::default();
    let sink = JdbcSinkOptions {
        max_rows: number(table, "sink.buffer-flush.max-rows")?.unwrap_or(defaults.max_rows).max(1),
        flush_interval: match duration(table, "sink.buffer-flush.interval")? {
            Some(d) if d.is_zero() => None,
            Some(d) => Some(d),
            None => defaults.flush_interval,
        },
        max_retries: number(table, "sink.max-retries")?.unwrap_or(defaults.max_retries),
    };
    let partition_keys =
        ["scan.partition.column", "scan.partition.num", "scan.partition.lower-bound", "scan.partition.upper-bound"];
    let given: Vec<&str> = partition_keys.iter().copied().filter(|k| table.option(k).is_some()).collect();
    let partition = match given.len() {
        0 => None,
        4 => Some(JdbcPartition {
            column: table.required_option("scan.partition.column")?.to_string(),
            num: number(table, "scan.partition.num")?.expect("given"),
            lower: number(table, "scan.partition.lower-bound")?.expect("given"),
            upper: number(table, "scan.partition.upper-bound")?.expect("given"),
        }),
        _ => {
            return Err(SqlError::option(format!(
                "Table '{}': the options {} must all be given, or none (given: {})",
                table.name,
                partition_keys.join(", "),
                given.join(", ")
            )))
        }
    };
    let fetch_size: usize = number(table, "scan.fetch-size")?.unwrap_or(0);
    let scan = JdbcScanOptions {
        partition,
        fetch_size: if fetch_size == 0 { JdbcScanOptions::default().fetch_size } else { fetch_size },
        max_retries: sink.max_retries,
    };
    // Checked here so that a bad partition column fails at CREATE TABLE.
    JdbcSource::new(connection.clone(), jdbc_table.clone(), scan.clone())
        .map_err(|e| SqlError::option(format!("Table '{}': {e}", table.name)))?;
    boolean(table, "scan.auto-commit")?;

    let legacy_rows: Option<usize> = number(table, "lookup.cache.max-rows")?;
    let legacy_ttl = duration(table, "lookup.cache.ttl")?;
    let cache = match table.option("lookup.cache").map(|c| c.trim().to_uppercase()) {
        Some(c) if c == "PARTIAL" => Some(LookupCacheOptions {
            max_rows: number(table, "lookup.partial-cache.max-rows")?.ok_or_else(|| {
                SqlError::option(format!(
                    "Table '{}' with 'lookup.cache' = 'PARTIAL' needs 'lookup.partial-cache.max-rows'",
                    table.name
                ))
            })?,
            expire_after_write: duration(table, "lookup.partial-cache.expire-after-write")?,
            expire_after_access: duration(table, "lookup.partial-cache.expire-after-access")?,
            cache_missing_key: boolean(table, "lookup.partial-cache.cache-missing-key")?.unwrap_or(true),
        }),
        Some(c) if c == "NONE" => None,
        Some(other) => {
            return Err(SqlError::option(format!(
                "Option 'lookup.cache' of table '{}' must be NONE or PARTIAL, got '{other}'",
                table.name
            )))
        }
        // Flink's legacy options: a cache when both are given.
        None => match (legacy_rows, legacy_ttl) {
            (Some(max_rows), Some(ttl)) => Some(LookupCacheOptions {
                max_rows,
                expire_after_write: Some(ttl),
                expire_after_access: None,
                cache_missing_key: boolean(table, "lookup.cache.caching-missing-key")?.unwrap_or(true),
            }),
            _ => None,
        },
    };
    let lookup_retries = number(table, "lookup.max-retries")?.unwrap_or(3);
    Ok(JdbcSettings { connection, table: jdbc_table, sink, scan, cache, lookup_retries })
}

/// The rows of a `jdbc` table (a bounded read).
pub fn open(env: &StreamExecutionEnvironment, table: &TableDef, job: &JobSettings) -> Result<DataStream<Changes>> {
    let settings = settings(table)?;
    let splits = settings.scan.partition.as_ref().map_or(1, |p| p.ranges().len());
    let readers = job.parallelism.min(splits).max(1);
    let source = JdbcSource::new(settings.connection, settings.table, settings.scan)
        .map_err(|e| SqlError::option(format!("Table '{}': {e}", table.name)))?;
    let schema = table.physical_schema();
    Ok(env
        .from_source(source, WatermarkStrategy::no_watermarks(), &format!("JdbcScan: {}", table.name))
        .set_parallelism(readers)
        .transform(&format!("Rows {}", table.name), move |_| Ok(RowsToBatch { schema: schema.clone() }))
        .set_parallelism(readers))
}

/// Turns each batch of rows from the database into one Arrow batch.
struct RowsToBatch {
    schema: SchemaRef,
}

impl Operator for RowsToBatch {
    type In = JdbcRow;
    type Out = Changes;

    fn process(&mut self, batch: &mut Vec<StreamRecord<JdbcRow>>, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        if batch.is_empty() {
            return Ok(());
        }
        let rows: Vec<JdbcRow> = batch.drain(..).map(|r| r.value).collect();
        let rows = rows_to_batch(&rows, &self.schema)?;
        out.emit(StreamRecord { value: Changes::inserts(rows), timestamp: weir_core::record::NO_TIMESTAMP });
        Ok(())
    }
}

/// `rows` (values in `schema`'s column order) as an Arrow batch of `schema`.
pub fn rows_to_batch(rows: &[JdbcRow], schema: &SchemaRef) -> std::result::Result<RecordBatch, BoxError> {
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for (i, field) in schema.fields().iter().enumerate() {
        let values = rows.iter().map(|r| &r[i]);
        let wrong =
            |v: &JdbcValue| format!("column '{}': the database sent {v:?} for a {}", field.name(), field.data_type());
        let array: ArrayRef = match field.data_type() {
            DataType::Boolean => {
                let mut b = BooleanBuilder::with_capacity(rows.len());
                for v in values {
                    match v {
                        JdbcValue::Null => b.append_null(),
                        JdbcValue::Bool(x) => b.append_value(*x),
                        other => return Err(wrong(other).into()),
                    }
                }
                Arc::new(b.finish())
            }
            DataType::Int8 | DataType::Int16 | DataType::Int32 => {
                let mut b = Int32Builder::with_capacity(rows.len());
                for v in values {
                    match v {
                        JdbcValue::Null => b.append_null(),
                        JdbcValue::Int(x) => b.append_value(*x),
                        other => return Err(wrong(other).into()),
                    }
                }
                Arc::new(b.finish())
            }
            DataType::Int64 => {
                let mut b = Int64Builder::with_capacity(rows.len());
                for v in values {
                    match v {
                        JdbcValue::Null => b.append_null(),
                        JdbcValue::BigInt(x) => b.append_value(*x),
                        other => return Err(wrong(other).into()),
                    }
                }
                Arc::new(b.finish())
            }
            DataType::Float32 | DataType::Float64 => {
                let mut b = Float64Builder::with_capacity(rows.len());
                for v in values {
                    match v {
                        JdbcValue::Null => b.append_null(),
                        JdbcValue::Double(x) => b.append_value(*x),
                        other => return Err(wrong(other).into()),
                    }
                }
                Arc::new(b.finish())
            }
            DataType::Date32 => {
                let mut b = Date32Builder::with_capacity(rows.len());
                for v in values {
                    match v {
                        JdbcValue::Null => b.append_null(),
                        JdbcValue::Date(x) => b.append_value(*x),
                        other => return Err(wrong(other).into()),
                    }
                }
                Arc::new(b.finish())
            }
            DataType::Timestamp(_, zone) => {
                let mut b = arrow::array::TimestampMicrosecondBuilder::with_capacity(rows.len());
                for v in values {
                    match v {
                        JdbcValue::Null => b.append_null(),
                        JdbcValue::Timestamp(x) => b.append_value(*x),
                        other => return Err(wrong(other).into()),
                    }
                }
                Arc::new(b.finish().with_timezone_opt(zone.clone()))
            }
            _ => {
                // Decimals and strings come as text; Arrow parses decimals.
                let mut b = StringBuilder::with_capacity(rows.len(), rows.len() * 8);
                for v in values {
                    match v {
                        JdbcValue::Null => b.append_null(),
                        JdbcValue::Text(s) | JdbcValue::Decimal(s) => b.append_value(s),
                        other => return Err(wrong(other).into()),
                    }
                }
                Arc::new(b.finish())
            }
        };
        columns.push(crate::stream::batch::cast_to(array, field.data_type())?);
    }
    let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(rows.len()));
    Ok(RecordBatch::try_new_with_options(schema.clone(), columns, &options)?)
}

/// The values of column `column` of `batch` as [`JdbcValue`]s, appended to `rows[i]`.
pub fn append_values(column: &ArrayRef, rows: &mut [JdbcRow]) -> std::result::Result<(), BoxError> {
    let n = column.len();
    let at = |i: usize| column.is_valid(i);
    macro_rules! each {
        ($array:expr, $make:expr) => {{
            let array = $array;
            for i in 0..n {
                rows[i].push(if at(i) { $make(array.value(i)) } else { JdbcValue::Null });
            }
        }};
    }
    match column.data_type() {
        DataType::Boolean => each!(column.as_boolean(), JdbcValue::Bool),
        DataType::Int8 => each!(column.as_primitive::<Int8Type>(), |v: i8| JdbcValue::Int(v.into())),
        DataType::Int16 => each!(column.as_primitive::<Int16Type>(), |v: i16| JdbcValue::Int(v.into())),
        DataType::Int32 => each!(column.as_primitive::<Int32Type>(), JdbcValue::Int),
        DataType::Int64 => each!(column.as_primitive::<Int64Type>(), JdbcValue::BigInt),
        DataType::Float32 | DataType::Float64 => {
            let doubles = arrow::compute::cast(column, &DataType::Float64)?;
            each!(doubles.as_primitive::<arrow::datatypes::Float64Type>(), JdbcValue::Double)
        }
        DataType::Decimal128(..) => {
            let decimals = column.as_primitive::<arrow::datatypes::Decimal128Type>();
            for (i, row) in rows.iter_mut().enumerate() {
                row.push(if at(i) { JdbcValue::Decimal(decimals.value_as_string(i)) } else { JdbcValue::Null });
            }
        }
        DataType::Utf8 => each!(column.as_string::<i32>(), |s: &str| JdbcValue::Text(s.to_string())),
        DataType::LargeUtf8 => each!(column.as_string::<i64>(), |s: &str| JdbcValue::Text(s.to_string())),
        DataType::Date32 => each!(column.as_primitive::<arrow::datatypes::Date32Type>(), JdbcValue::Date),
        DataType::Timestamp(_, zone) => {
            let micros = arrow::compute::cast(column, &DataType::Timestamp(TimeUnit::Microsecond, zone.clone()))?;
            each!(micros.as_primitive::<arrow::datatypes::TimestampMicrosecondType>(), JdbcValue::Timestamp)
        }
        other => return Err(format!("the jdbc connector cannot write a {other} column").into()),
    }
    Ok(())
}

/// The changes of one batch, for the [`JdbcSink`].
fn to_changes(c: Changes, out: &mut Vec<JdbcChange>) -> std::result::Result<(), BoxError> {
    let mut rows: Vec<JdbcRow> = (0..c.len()).map(|_| Vec::with_capacity(c.rows.num_columns())).collect();
    for column in c.rows.columns() {
        append_values(column, &mut rows)?;
    }
    for (i, row) in rows.into_iter().enumerate() {
        let kind = match c.kind(i) {
            RowKind::Insert => ChangeKind::Insert,
            RowKind::UpdateBefore => ChangeKind::UpdateBefore,
            RowKind::UpdateAfter => ChangeKind::UpdateAfter,
            RowKind::Delete => ChangeKind::Delete,
        };
        out.push(JdbcChange { kind, row });
    }
    Ok(())
}

/// Checks that an updating result can go into `table`: only with a primary key (upsert
/// mode), as in Flink.
pub fn check_sink_input(table: &TableDef, updating: bool, origin: &str) -> Result<()> {
    if updating && table.primary_key.is_empty() {
        return Err(SqlError::unsupported(format!(
            "Table sink '{}' doesn't support consuming update and delete changes which is produced by node {origin}: \
             the jdbc sink appends rows unless the table declares PRIMARY KEY (…) NOT ENFORCED",
            table.name
        )));
    }
    Ok(())
}

/// Writes `data` into the `jdbc` table `table` with `parallelism` writers.
///
/// With a primary key and a parallelism other than the input's, rows are first sent to
/// the writer owning their key (as Flink's keyed shuffle for upsert sinks), so the changes
/// of one key reach one writer in order; otherwise each writer sits beside its input.
pub fn add_sink(
    data: DataStream<Changes>,
    table: &TableDef,
    parallelism: usize,
    max_parallelism: usize,
    name: &str,
) -> Result<()> {
    let settings = settings(table)?;
    let data = if !table.primary_key.is_empty() && data.common_parallelism() != Some(parallelism) {
        let schema = table.sink_schema();
        let keys: Vec<Arc<dyn datafusion_physical_expr::PhysicalExpr>> = settings
            .table
            .key()
            .iter()
            .map(|&i| Arc::new(datafusion_physical_expr::expressions::Column::new(schema.field(i).name(), i)) as _)
            .collect();
        let resplit = crate::stream::exchange::exchange_resplit(keys.clone(), schema.clone());
        let split = data.transform("KeyBy", move |_| {
            let keys = crate::stream::exchange::KeyEncoder::new(keys.clone(), &schema)?;
            Ok(crate::stream::exchange::KeySplitOperator::new(keys, parallelism, max_parallelism))
        });
        crate::stream::translate::beside(&data, split).partition_custom_rescalable(
            |route: &u32, n: usize| (*route as usize).min(n - 1),
            |c: &Changes| c.route,
            resplit,
        )
    } else {
        data
    };
    let sink = JdbcSink::new(settings.connection, settings.table, settings.sink, to_changes);
    data.sink_to(sink, name).set_parallelism(parallelism);
    Ok(())
}
