//! The `filesystem` connector from SQL: a source over a file or a directory of files, decoded
//! by the table's format, and an exactly-once sink of part files (two-phase commit through
//! weir-connectors' [`FileSink`](weir_connectors::sink::FileSink)).

use std::sync::{Arc, Mutex};

use weir::{DataStream, StreamExecutionEnvironment};
use weir_core::StreamRecord;
use weir_runtime::{BoxError, Emitter, Operator};

use crate::catalog::TableDef;
use crate::changelog::RowKind;
use crate::error::{Result, SqlError};
use crate::format::{FormatOptions, RowDecoder, RowEncoder};
use crate::session::JobSettings;
use crate::stream::translate::Stream;
use crate::stream::Changes;

/// The options of a filesystem table (format keys are checked by the format).
pub const OPTIONS: [&str; 12] = [
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
];

/// Checks a filesystem table's path, format and changelog mode.
pub fn validate(table: &TableDef) -> Result<()> {
    path_of(table)?;
    format_options(table)?;
    writes_changelog(table)?;
    Ok(())
}

fn path_of(table: &TableDef) -> Result<String> {
    let path = table.required_option("path")?;
    Ok(path.strip_prefix("file://").unwrap_or(path).to_string())
}

pub(crate) fn format_options(table: &TableDef) -> Result<FormatOptions> {
    let format = table.required_option("format")?;
    let options: Vec<(String, String)> = table.options.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    FormatOptions::from_options(format, &options)
}

/// The rows of a filesystem table's files (its physical columns).
pub fn open(env: &StreamExecutionEnvironment, table: &TableDef, settings: &JobSettings) -> Result<DataStream<Changes>> {
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
    Ok(env
        .read_text_file(&path)
        .set_parallelism(readers)
        .transform(&format!("Decode {}", table.name), move |_| {
            Ok(DecodeOperator {
                decoder: RowDecoder::new(schema.clone(), options.clone())?,
                table: name.clone(),
                path: path.clone(),
            })
        })
        .set_parallelism(readers))
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

/// Whether a filesystem table takes updating results: Weir's `'sink.changelog-mode' = 'all'`
/// writes every change with its kind (JSON: an `"op"` field, `+I`, `-U`, `+U`, `-D`);
/// the default `insert-only` refuses updates, as Flink's filesystem sink does.
pub fn writes_changelog(table: &TableDef) -> Result<bool> {
    match table.option("sink.changelog-mode") {
        None | Some("insert-only") => Ok(false),
        Some("all") => Ok(true),
        Some(other) => Err(SqlError::option(format!(
            "Option 'sink.changelog-mode' of table '{}' must be 'insert-only' or 'all', got '{other}'",
            table.name
        ))),
    }
}

/// Adds a filesystem sink named `name` for `stream`.
pub fn add_sink(stream: Stream, table: &TableDef, name: &str, parallelism: usize) -> Result<()> {
    let path = path_of(table)?;
    let encoder =
        BatchEncoder { encoder: Arc::new(Mutex::new(RowEncoder::new(table.sink_schema(), format_options(table)?)?)) };
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
    data.sink_to(sink, name).set_parallelism(parallelism);
    Ok(())
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
