//! Connectors from SQL: `filesystem` (json, csv), `nexmark`, `datagen`, `print`,
//! `blackhole` — how a table's `WITH` options become a source or a sink of [`Changes`].

pub mod datagen;
pub mod kafka;
pub mod nexmark;

use std::sync::{Arc, Mutex};

use sqlparser::ast::Ident;
use weir::{DataStream, StreamExecutionEnvironment};
use weir_core::StreamRecord;
use weir_runtime::{BoxError, Emitter, Operator};

use crate::catalog::{ColumnSource, TableDef};
use crate::changelog::RowKind;
use crate::error::{Result, SqlError};
use crate::format::{FormatOptions, RowDecoder, RowEncoder};
use crate::session::JobSettings;
use crate::stream::calc::CalcOperator;
use crate::stream::translate::Stream;
use crate::stream::watermark::WatermarkOperator;
use crate::stream::Changes;

/// The connectors Weir's SQL knows.
pub const CONNECTORS: [&str; 7] = ["blackhole", "datagen", "filesystem", "kafka", "nexmark", "print", "upsert-kafka"];

fn path_of(table: &TableDef) -> Result<String> {
    let path = table.required_option("path")?;
    Ok(path.strip_prefix("file://").unwrap_or(path).to_string())
}

fn format_options(table: &TableDef) -> Result<FormatOptions> {
    let format = table.required_option("format")?;
    let options: Vec<(String, String)> = table.options.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    FormatOptions::from_options(format, &options)
}

/// Checks a new table's connector and options, as Flink does at `CREATE TABLE`.
pub fn validate_table(table: &TableDef) -> Result<()> {
    let Some(connector) = table.option("connector") else {
        return Ok(()); // A table used only as a LIKE template.
    };
    let known: &[&str] = match connector {
        "filesystem" => {
            path_of(table)?;
            format_options(table)?;
            writes_changelog(table)?;
            &[
                "connector",
                "path",
                "format",
                "source.monitor-interval",
                "sink.rolling-policy.file-size",
                "sink.rolling-policy.rollover-interval",
                "sink.rolling-policy.check-interval",
                "partition.default-name",
                "sink.partition-commit.policy.kind",
                "sink.partition-commit.trigger",
                "sink.parallelism",
                "sink.changelog-mode",
            ]
        }
        "print" => &["connector", "print-identifier", "standard-error", "sink.parallelism"],
        "blackhole" => &["connector"],
        "nexmark" => {
            nexmark::validate(table)?;
            &nexmark::OPTIONS
        }
        "datagen" => return datagen::validate(table),
        "kafka" | "upsert-kafka" => return kafka::validate(table),
        other => {
            return Err(SqlError::option(format!(
            "Could not find any factory for identifier '{other}' of table '{}'. Available factory identifiers are: {}",
            table.name,
            CONNECTORS.join(", ")
        )))
        }
    };
    for key in table.options.keys() {
        let format_key = key.contains('.') && ["json.", "csv.", "raw."].iter().any(|p| key.starts_with(p));
        if !known.contains(&key.as_str()) && !format_key {
            return Err(SqlError::option(format!(
                "Unsupported option '{key}' for connector '{connector}' of table '{}'. Supported options: {}",
                table.name,
                known.join(", ")
            )));
        }
    }
    Ok(())
}

/// The stream of `table`'s rows (all columns, with its watermarks).
pub fn open_source(
    env: &StreamExecutionEnvironment,
    table: &TableDef,
    settings: &JobSettings,
) -> Result<DataStream<Changes>> {
    let kafka = matches!(table.connector()?, "kafka" | "upsert-kafka");
    if !kafka && table.columns.iter().any(|c| matches!(c.source, ColumnSource::Metadata { .. })) {
        return Err(SqlError::unsupported(format!(
            "Table '{}' declares metadata columns, which the {} connector does not provide",
            table.name,
            table.connector()?
        )));
    }
    let physical = match table.connector()? {
        "filesystem" => {
            let path = path_of(table)?;
            if !std::path::Path::new(&path).exists() {
                return Err(SqlError::option(format!("The path '{path}' of table '{}' does not exist", table.name)));
            }
            let options = format_options(table)?;
            let schema = table.physical_schema();
            let name = table.name.clone();
            // One reader per file at most: a reader without a file would only hold the
            // watermark back, and the moment it lets go would decide which rows are late.
            let readers = settings.parallelism.min(file_count(std::path::Path::new(&path))).max(1);
            env.read_text_file(&path)
                .set_parallelism(readers)
                .transform(&format!("Decode {}", table.name), move |_| {
                    Ok(DecodeOperator {
                        decoder: RowDecoder::new(schema.clone(), options.clone())?,
                        table: name.clone(),
                        path: path.clone(),
                    })
                })
                .set_parallelism(readers)
        }
        "nexmark" => nexmark::open(env, table)?,
        "datagen" => datagen::open(env, table)?,
        "kafka" | "upsert-kafka" => kafka::open(env, table, settings)?,
        other => {
            return Err(SqlError::unsupported(format!(
                "The '{other}' connector of table '{}' cannot be read; it is a sink only",
                table.name
            )))
        }
    };
    let full = crate::session::with_computed_columns(env, table, physical, settings)?;
    Ok(match crate::session::watermark_expr(table, settings.function_config())? {
        Some((rowtime, expr)) => {
            let assigner =
                full.transform("WatermarkAssigner", move |_| Ok(WatermarkOperator::new(rowtime, expr.clone())));
            crate::stream::translate::beside(&full, assigner)
        }
        None => full,
    })
}

/// Whether reading `table` gives an updating changelog rather than inserts only
/// (`upsert-kafka`).
pub fn reads_changelog(table: &TableDef) -> bool {
    table.option("connector") == Some("upsert-kafka")
}

/// The files a filesystem source reads: 1 for a file, the visible files of a directory.
fn file_count(path: &std::path::Path) -> usize {
    match std::fs::read_dir(path) {
        Ok(entries) => entries
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_file() && !e.file_name().to_string_lossy().starts_with(['.', '_']))
            .count(),
        Err(_) => 1,
    }
}

/// Decodes lines of text into batches.
struct DecodeOperator {
    decoder: RowDecoder,
    table: String,
    path: String,
}

impl Operator for DecodeOperator {
    type In = String;
    type Out = Changes;

    fn process(&mut self, batch: &mut Vec<StreamRecord<String>>, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        for record in batch.drain(..) {
            if record.value.trim().is_empty() {
                continue;
            }
            let (table, path) = (&self.table, &self.path);
            self.decoder.decode_line(record.value.as_bytes(), &|| format!("table '{table}', path {path}"))?;
        }
        if let Some(rows) = self.decoder.flush()? {
            if rows.num_rows() > 0 {
                out.emit(StreamRecord { value: Changes::inserts(rows), timestamp: weir_core::record::NO_TIMESTAMP });
            }
        }
        Ok(())
    }
}

/// The query's rows as the sink's columns: names and types of `table` (Flink casts on
/// insert), in `columns` order when listed.
pub fn conform_to_sink(stream: Stream, table: &TableDef, columns: &[Ident]) -> Result<Stream> {
    let sink = table.sink_schema();
    let fields = stream.schema.fields();
    if !columns.is_empty() {
        let listed: Vec<&str> = columns.iter().map(|c| c.value.as_str()).collect();
        let in_order: Vec<&str> = sink.fields().iter().map(|f| f.name().as_str()).collect();
        if listed != in_order {
            return Err(SqlError::unsupported(format!(
                "INSERT INTO '{}' with a column list other than all columns in order ({}) is not supported yet",
                table.name,
                in_order.join(", ")
            )));
        }
    }
    if fields.len() != sink.fields().len() {
        return Err(SqlError::validation(format!(
            "Column types of query result and sink for '{}' do not match.\nCause: Different number of columns.\n\n\
             Query schema: [{}]\nSink schema:  [{}]",
            table.name,
            fields.iter().map(|f| format!("{}: {}", f.name(), f.data_type())).collect::<Vec<_>>().join(", "),
            sink.fields().iter().map(|f| format!("{}: {}", f.name(), f.data_type())).collect::<Vec<_>>().join(", ")
        )));
    }
    if stream.updating && table.connector()? == "filesystem" && !writes_changelog(table)? {
        return Err(SqlError::unsupported(format!(
            "Table sink '{}' doesn't support consuming update changes which is produced by node {}",
            table.name, stream.origin
        )));
    }
    for (q, s) in fields.iter().zip(sink.fields()) {
        if !arrow::compute::can_cast_types(q.data_type(), s.data_type()) {
            return Err(SqlError::validation(format!(
                "Column types of query result and sink for '{}' do not match: column '{}' is {} but the sink's '{}' is {}",
                table.name,
                q.name(),
                q.data_type(),
                s.name(),
                s.data_type()
            )));
        }
    }
    // The sink's names and types: a projection of the columns, cast by the calc.
    let columns: Vec<Arc<dyn datafusion_physical_expr::PhysicalExpr>> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| Arc::new(datafusion_physical_expr::expressions::Column::new(f.name(), i)) as _)
        .collect();
    let data = crate::stream::translate::beside(
        &stream.data,
        stream
            .data
            .transform("SinkConversion", move |_| Ok(CalcOperator::new(None, Some(columns.clone()), sink.clone()))),
    );
    Ok(Stream { data, ..stream })
}

/// Whether a filesystem table takes updating results: Weir's `'sink.changelog-mode' = 'all'`
/// writes every change with its kind (JSON: an `"op"` field, `+I`, `-U`, `+U`, `-D`);
/// the default `insert-only` refuses updates, as Flink's filesystem sink does.
fn writes_changelog(table: &TableDef) -> Result<bool> {
    match table.option("sink.changelog-mode") {
        None | Some("insert-only") => Ok(false),
        Some("all") => Ok(true),
        Some(other) => Err(SqlError::option(format!(
            "Option 'sink.changelog-mode' of table '{}' must be 'insert-only' or 'all', got '{other}'",
            table.name
        ))),
    }
}

/// Adds the sink of `table` for `stream`.
pub fn add_sink(
    _env: &StreamExecutionEnvironment,
    stream: Stream,
    table: &TableDef,
    settings: &JobSettings,
) -> Result<()> {
    let name = format!("Sink: {}", table.name);
    // A sink runs beside its input unless 'sink.parallelism' says otherwise, so the changes
    // of one key reach one writer in the order they were made.
    let parallelism = match table.option("sink.parallelism") {
        Some(p) => Some(p.trim().parse::<usize>().ok().filter(|p| *p > 0).ok_or_else(|| {
            SqlError::option(format!("Option 'sink.parallelism' of table '{}' must be a positive number", table.name))
        })?),
        None => stream.data.parallelism(),
    }
    .unwrap_or(settings.parallelism);
    match table.connector()? {
        "filesystem" => {
            let path = path_of(table)?;
            let encoder = BatchEncoder {
                encoder: Arc::new(Mutex::new(RowEncoder::new(table.sink_schema(), format_options(table)?)?)),
            };
            let sink = weir_connectors::sink::FileSink::for_row_format(path, encoder);
            let data = if writes_changelog(table)? {
                // Every row of a changelog file says its kind, inserts too.
                let marked = stream.data.map(|mut c: Changes| {
                    if c.kinds.is_none() {
                        c.kinds = Some(arrow::array::Int8Array::from(vec![RowKind::Insert as i8; c.len()]));
                    }
                    c
                });
                crate::stream::translate::beside(&stream.data, marked)
            } else {
                stream.data
            };
            data.sink_to(sink, &name).set_parallelism(parallelism);
        }
        "print" => {
            let identifier = table.option("print-identifier").map(str::to_string);
            let lines = stream.data.map(|c: Changes| ChangelogLines(render_changes(&c))).set_parallelism(parallelism);
            match identifier {
                Some(id) => lines.sink_to(weir_connectors::sink::PrintSink::new().with_identifier(&id), &name),
                None => lines.print(),
            }
            .set_parallelism(parallelism);
        }
        "kafka" | "upsert-kafka" => kafka::add_sink(&stream.data, stream.updating, table, parallelism)?,
        "blackhole" => {
            stream.data.sink_to(weir_connectors::sink::BlackholeSink::new(), &name).set_parallelism(parallelism);
        }
        other => return Err(SqlError::unsupported(format!("The '{other}' connector cannot be written"))),
    }
    Ok(())
}

/// Rows of a batch as changelog lines.
pub fn render_changes(c: &Changes) -> Vec<String> {
    (0..c.len())
        .map(|i| {
            let mut line = String::new();
            crate::format::print_row(&c.rows, i, c.kind(i), &mut line);
            line
        })
        .collect()
}

/// Changelog lines printed one per line.
#[derive(Clone)]
struct ChangelogLines(Vec<String>);

impl std::fmt::Display for ChangelogLines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join("\n"))
    }
}

/// A changelog row: its kind and its values as Flink prints them (`null` for NULL).
pub type ChangeRow = (crate::changelog::RowKind, Vec<String>);

/// The rows of a batch, each value rendered (TIMESTAMP_LTZ in `zone`).
pub fn render_values(c: &Changes, zone: crate::functions::LocalTimeZone) -> Vec<ChangeRow> {
    (0..c.len())
        .map(|i| {
            let values = c
                .rows
                .columns()
                .iter()
                .map(|column| {
                    let mut text = String::new();
                    crate::format::render_value_in(column.as_ref(), i, zone, &mut text);
                    text
                })
                .collect();
            (c.kind(i), values)
        })
        .collect()
}

/// The rows of a query's result, gathered in one place in the order they arrive there;
/// TIMESTAMP_LTZ values are shown in `zone`, as Flink's SQL client shows them.
pub fn collect_changes(
    data: &DataStream<Changes>,
    zone: crate::functions::LocalTimeZone,
) -> weir_connectors::sink::CollectHandle<Vec<ChangeRow>> {
    // One collecting subtask, so the changes keep the order in which they were made.
    let sink = weir_connectors::sink::CollectSink::new();
    let handle = sink.handle();
    let rendered = data.map(move |c: Changes| render_values(&c, zone));
    let rendered = crate::stream::translate::beside(data, rendered);
    rendered.global().sink_to(sink, "Collect").set_parallelism(1);
    handle
}

/// A file sink's row encoder over batches.
#[derive(Clone)]
struct BatchEncoder {
    encoder: Arc<Mutex<RowEncoder>>,
}

impl weir_connectors::sink::Encoder<Changes> for BatchEncoder {
    fn encode(&self, value: &Changes, out: &mut Vec<u8>) -> Result<(), BoxError> {
        let mut encoder = self.encoder.lock().map_err(|_| "encoder poisoned")?;
        encoder.encode(&value.rows, value.kinds.as_ref(), out)?;
        Ok(())
    }
}
