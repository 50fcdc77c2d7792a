//! The `filesystem` connector from SQL: a source over a file or a directory of files, decoded
//! by the table's format, and an exactly-once sink of part files (two-phase commit through
//! weir-connectors' [`FileSink`](weir_connectors::sink::FileSink)). Line formats are read a
//! chunk of lines at a time (no copy per line) and written row by row; Avro container files and Parquet files are read whole and
//! written as bulk formats (a part is a complete file, finished when it rolls).

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arrow::datatypes::SchemaRef;
use weir_connectors::file_chunk::FileChunk;
use weir_connectors::file_source::FileSource;
use weir_connectors::line_reader::RecordQuotes;

use weir::{DataStream, StreamExecutionEnvironment};
use weir_core::StreamRecord;
use weir_runtime::{BoxError, Emitter, Operator};

use crate::catalog::{ColumnSource, TableDef};
use crate::changelog::RowKind;
use crate::error::{Result, SqlError};
use crate::format::{BulkEncoder, BulkPart, FormatKind, FormatOptions, RowDecoder, RowEncoder};
use crate::session::JobSettings;
use crate::stream::translate::Stream;
use crate::stream::Changes;

/// The options of a filesystem table (format keys are checked by the format).
pub const OPTIONS: [&str; 18] = [
    "connector",
    "path",
    "format",
    "source.monitor-interval",
    "sink.rolling-policy.file-size",
    "sink.rolling-policy.rollover-interval",
    "sink.rolling-policy.check-interval",
    "partition.default-name",
    "sink.parallelism",
    "sink.changelog-mode",
    // The partition commit's (see `partition_commit::OPTIONS`).
    "sink.partition-commit.policy.kind",
    "sink.partition-commit.trigger",
    "sink.partition-commit.delay",
    "sink.partition-commit.success-file.name",
    "sink.partition-commit.watermark-time-zone",
    "partition.time-extractor.kind",
    "partition.time-extractor.timestamp-pattern",
    "partition.time-extractor.timestamp-formatter",
];

/// Checks a filesystem table's path, format and changelog mode.
pub fn validate(table: &TableDef) -> Result<()> {
    path_of(table)?;
    format_options(table)?;
    writes_changelog(table)?;
    monitor_interval(table)?;
    rolling_file_size(table)?;
    duration_option(table, "sink.rolling-policy.rollover-interval")?;
    duration_option(table, "sink.rolling-policy.check-interval")?;
    super::partition_commit::of(table)?;
    Partitions::of(table, &table.physical_schema())?;
    Ok(())
}

fn path_of(table: &TableDef) -> Result<String> {
    let path = table.required_option("path")?;
    Ok(path.strip_prefix("file://").unwrap_or(path).to_string())
}

pub(crate) fn format_options(table: &TableDef) -> Result<FormatOptions> {
    let format = table.required_option("format")?;
    let options: Vec<(String, String)> = table.options.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let options = FormatOptions::from_options(format, &options)?;
    if options.kind == crate::format::FormatKind::AvroConfluent {
        return Err(SqlError::unsupported(format!(
            "Table '{}': format 'avro-confluent' is for Kafka messages (as in Flink); files take 'avro'",
            table.name
        )));
    }
    Ok(options)
}

/// The rows of a filesystem table's files (its physical columns): every file under the path,
/// nested `col=value/` directories included; partition columns take their values from those
/// directory names. With `source.monitor-interval` the source is unbounded and reads new files
/// as they appear.
pub fn open(env: &StreamExecutionEnvironment, table: &TableDef, settings: &JobSettings) -> Result<DataStream<Changes>> {
    let path = path_of(table)?;
    if !std::path::Path::new(&path).exists() {
        return Err(SqlError::option(format!("The path '{path}' of table '{}' does not exist", table.name)));
    }
    let options = format_options(table)?;
    let physical = table.physical_schema();
    let partitions = Partitions::of(table, &physical)?;
    let whole_files = options.kind.reads_whole_files();
    let mut source = FileSource::new(&path);
    if whole_files {
        source = source.whole_files();
    }
    if options.kind == FormatKind::Csv && !options.csv.disable_quote_character {
        // A quoted CSV field may hold line breaks: records end at line ends outside quotes.
        source = source.quoted_records(RecordQuotes {
            quote: options.csv.quote_character,
            delimiter: options.csv.field_delimiter,
            escape: options.csv.escape_character,
        });
    }
    let monitor = monitor_interval(table)?;
    if let Some(interval) = monitor {
        source = source.monitor(interval);
    }
    // One reader per file at most: a reader without a file would only hold the
    // watermark back, and the moment it lets go would decide which rows are late.
    // A monitored directory gets files later, so it gets every reader.
    let files = source.files().map(|f| f.len()).unwrap_or(1);
    let readers = if monitor.is_some() { settings.parallelism } else { settings.parallelism.min(files) }.max(1);
    let name = table.name.clone();
    let read = table.read_columns.clone();
    // Lines a batch at a time: no allocation or copy per line between the file and the decoder.
    let source = source.chunked();
    Ok(env
        .from_source(source, weir::WatermarkStrategy::no_watermarks(), &format!("Filesystem {}", table.name))
        .set_parallelism(readers)
        .transform(&format!("Decode {}", table.name), move |_| {
            Ok(DecodeOperator {
                decoder: match &read {
                    Some(read) => {
                        RowDecoder::for_files(partitions.file_schema.clone(), options.clone())?.read_only(read)
                    }
                    None => RowDecoder::for_files(partitions.file_schema.clone(), options.clone())?,
                },
                partitions: partitions.clone(),
                table: name.clone(),
                file: None,
            })
        })
        .set_parallelism(readers))
}

/// `source.monitor-interval`, when set.
fn monitor_interval(table: &TableDef) -> Result<Option<Duration>> {
    let Some(text) = table.option("source.monitor-interval") else { return Ok(None) };
    let ms = crate::job_options::parse_duration_ms(text)
        .map_err(|e| SqlError::option(format!("Option 'source.monitor-interval' of table '{}': {e}", table.name)))?;
    if ms <= 0 {
        return Err(SqlError::option(format!(
            "Option 'source.monitor-interval' of table '{}' must be positive, not '{text}'",
            table.name
        )));
    }
    Ok(Some(Duration::from_millis(ms as u64)))
}

/// How a partitioned table's rows are split between the files and their directories.
#[derive(Clone)]
struct Partitions {
    /// The physical schema.
    table_schema: SchemaRef,
    /// The columns in the files: the physical ones but the partition columns.
    file_schema: SchemaRef,
    /// Partition column names, in `PARTITIONED BY` order.
    keys: Vec<String>,
    /// `partition.default-name`: the directory value that stands for NULL.
    default_name: String,
    /// The table's path: only directories under it name partitions.
    root: std::path::PathBuf,
    /// The metadata columns, by their position in [`Self::full_schema`].
    metadata: Vec<(usize, FileMetadata)>,
    /// The physical and metadata columns in declared order: what the source gives.
    full_schema: SchemaRef,
}

/// What a filesystem table's metadata column reads: Flink's `FileSystemTableSource`
/// metadata keys, each the same for all rows of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FileMetadata {
    /// `file.path`: the file's full path.
    Path,
    /// `file.name`: the file's name.
    Name,
    /// `file.size`: its length in bytes.
    Size,
    /// `file.modification-time`: when it was last modified (TIMESTAMP_LTZ(3)).
    ModificationTime,
}

/// The metadata keys in Flink's order.
const METADATA_KEYS: [(&str, FileMetadata); 4] = [
    ("file.path", FileMetadata::Path),
    ("file.name", FileMetadata::Name),
    ("file.size", FileMetadata::Size),
    ("file.modification-time", FileMetadata::ModificationTime),
];

impl FileMetadata {
    /// The value for `file`'s rows, of Flink's type for the key.
    fn value(self, file: &Path) -> std::result::Result<datafusion_common::ScalarValue, BoxError> {
        use datafusion_common::ScalarValue;
        let stat = || std::fs::metadata(file).map_err(|e| format!("metadata of {}: {e}", file.display()));
        Ok(match self {
            FileMetadata::Path => ScalarValue::Utf8(Some(file.display().to_string())),
            FileMetadata::Name => {
                ScalarValue::Utf8(Some(file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()))
            }
            FileMetadata::Size => ScalarValue::Int64(Some(stat()?.len() as i64)),
            FileMetadata::ModificationTime => {
                let modified =
                    stat()?.modified().map_err(|e| format!("modification time of {}: {e}", file.display()))?;
                let ms = match modified.duration_since(std::time::UNIX_EPOCH) {
                    Ok(d) => d.as_millis() as i64,
                    Err(e) => -(e.duration().as_millis() as i64),
                };
                ScalarValue::TimestampMillisecond(Some(ms), Some("UTC".into()))
            }
        })
    }
}

/// Flink's `partition.default-name` default.
const DEFAULT_PARTITION_NAME: &str = "__DEFAULT_PARTITION__";

impl Partitions {
    fn of(table: &TableDef, physical: &SchemaRef) -> Result<Partitions> {
        for key in &table.partitioned_by {
            if physical.index_of(key).is_err() {
                return Err(SqlError::validation(format!(
                    "Partition column '{key}' of table '{}' is not a physical column",
                    table.name
                )));
            }
        }
        let file_fields: Vec<_> =
            physical.fields().iter().filter(|f| !table.partitioned_by.contains(f.name())).cloned().collect();
        let mut metadata = Vec::new();
        let mut full_fields = Vec::new();
        for c in table.columns.iter() {
            match &c.source {
                ColumnSource::Computed(_) => continue,
                ColumnSource::Metadata { key, .. } => {
                    let Some((_, m)) = METADATA_KEYS.iter().find(|(k, _)| k == key) else {
                        return Err(SqlError::validation(format!(
                            "Invalid metadata key '{key}' in column '{}' of table '{}'. The filesystem connector \
                             supports the following metadata keys for reading:\n{}",
                            c.name,
                            table.name,
                            METADATA_KEYS.map(|(k, _)| k).join("\n")
                        )));
                    };
                    metadata.push((full_fields.len(), *m));
                }
                ColumnSource::Physical => {}
            }
            full_fields.push(arrow::datatypes::Field::new(&c.name, c.ty.to_arrow(), c.ty.nullable));
        }
        Ok(Partitions {
            table_schema: physical.clone(),
            file_schema: Arc::new(arrow::datatypes::Schema::new(file_fields)),
            keys: table.partitioned_by.clone(),
            default_name: table.option("partition.default-name").unwrap_or(DEFAULT_PARTITION_NAME).to_string(),
            root: std::path::PathBuf::from(path_of(table)?),
            metadata,
            full_schema: Arc::new(arrow::datatypes::Schema::new(full_fields)),
        })
    }

    /// The `key=value` directories of `file` (values unescaped; the default name as NULL).
    fn values_of(&self, file: &Path) -> Vec<Option<String>> {
        let mut values = vec![None; self.keys.len()];
        let dir = file.parent().map(|p| p.strip_prefix(&self.root).unwrap_or(p));
        for part in dir.into_iter().flat_map(|p| p.components()) {
            let part = part.as_os_str().to_string_lossy();
            if let Some((k, v)) = part.split_once('=') {
                if let Some(i) = self.keys.iter().position(|key| key == k) {
                    let v = unescape_path_name(v);
                    values[i] = (v != self.default_name).then_some(v);
                }
            }
        }
        values
    }

    /// `rows` (file columns) with the partition and metadata columns of `file` put in their
    /// places.
    fn complete(&self, changes: Changes, file: &Path) -> std::result::Result<Changes, BoxError> {
        let changes = self.with_partition_values(changes, file)?;
        if self.metadata.is_empty() {
            return Ok(changes);
        }
        let n = changes.len();
        let mut physical = changes.rows.columns().iter();
        let mut metadata = self.metadata.iter().peekable();
        let mut columns = Vec::with_capacity(self.full_schema.fields().len());
        for (i, field) in self.full_schema.fields().iter().enumerate() {
            match metadata.next_if(|(at, _)| *at == i) {
                Some((_, m)) => {
                    let value = m.value(file)?.to_array_of_size(n)?;
                    columns.push(arrow::compute::cast(&value, field.data_type())?);
                }
                None => columns.push(physical.next().expect("physical columns in table order").clone()),
            }
        }
        changes.with_columns(self.full_schema.clone(), columns)
    }

    /// `rows` (file columns) with the partition columns of `file` put in their places.
    fn with_partition_values(&self, changes: Changes, file: &Path) -> std::result::Result<Changes, BoxError> {
        if self.keys.is_empty() {
            return Ok(changes);
        }
        let n = changes.len();
        let values = self.values_of(file);
        let mut columns = Vec::with_capacity(self.table_schema.fields().len());
        let mut from_file = changes.rows.columns().iter();
        for field in self.table_schema.fields() {
            match self.keys.iter().position(|k| k == field.name()) {
                Some(i) => {
                    let text = arrow::array::StringArray::from(vec![values[i].as_deref(); n]);
                    let typed = arrow::compute::cast(&text, field.data_type()).map_err(|e| {
                        format!("partition value {:?} of '{}' in {}: {e}", values[i], field.name(), file.display())
                    })?;
                    columns.push(typed);
                }
                None => columns.push(from_file.next().expect("file columns in table order").clone()),
            }
        }
        changes.with_columns(self.table_schema.clone(), columns)
    }
}

/// Flink's path escaping undone: `%XX` is the byte XX.
pub(crate) fn unescape_path_name(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Decodes the lines of files into batches, one file's rows at a time (their partition
/// values are the file's).
struct DecodeOperator {
    decoder: RowDecoder,
    partitions: Partitions,
    table: String,
    /// The file of the rows in the decoder.
    file: Option<Arc<Path>>,
}

impl DecodeOperator {
    fn emit(&mut self, out: &mut Emitter<Changes>) -> std::result::Result<(), BoxError> {
        if let (Some(changes), Some(file)) = (self.decoder.flush_changes()?, &self.file) {
            let changes = self.partitions.complete(changes, file)?;
            out.emit(StreamRecord { value: changes, timestamp: weir_core::record::NO_TIMESTAMP });
        }
        Ok(())
    }
}

impl Operator for DecodeOperator {
    type In = FileChunk;
    type Out = Changes;

    fn process(
        &mut self,
        batch: &mut Vec<StreamRecord<FileChunk>>,
        out: &mut Emitter<Changes>,
    ) -> std::result::Result<(), BoxError> {
        for record in batch.drain(..) {
            let chunk = record.value;
            // The same file is the same `Arc` (the reader hands out one per file): comparing
            // pointers first spares a comparison of path components.
            let same_file = self.file.as_ref().is_some_and(|f| Arc::ptr_eq(f, chunk.path()) || f == chunk.path());
            if !same_file {
                self.emit(out)?;
                self.file = Some(chunk.path().clone());
            }
            let table = &self.table;
            let path = chunk.path().clone();
            if chunk.is_whole_file() {
                // A whole file (a format of whole files).
                let origin = || format!("table '{table}', file {}", path.display());
                self.decoder.decode_file(chunk.into_bytes(), &origin)?;
                continue;
            }
            for (number, line) in chunk.lines() {
                let origin = || format!("table '{table}', file {}, line {number}", path.display());
                self.decoder.decode_line(line, &origin)?;
            }
        }
        self.emit(out)
    }

    fn finish(&mut self, out: &mut Emitter<Changes>) -> std::result::Result<(), BoxError> {
        self.emit(out)?;
        let skipped = self.decoder.skipped();
        if skipped > 0 {
            // The count of skipped records, where a user running the job sees it.
            eprintln!("Weir: table '{}' skipped {skipped} bad record(s) of its files", self.table);
        }
        Ok(())
    }
}

/// Whether a filesystem table takes updating results: in a changelog format
/// (`debezium-json`, `canal-json`), as Flink's filesystem sink does, or with Weir's
/// `'sink.changelog-mode' = 'all'`, which writes every change with its kind (JSON: an `"op"`
/// field, `+I`, `-U`, `+U`, `-D`); otherwise (`insert-only`, the default) updates are refused.
pub fn writes_changelog(table: &TableDef) -> Result<bool> {
    let kind = format_options(table)?.kind;
    match table.option("sink.changelog-mode") {
        None | Some("insert-only") => Ok(kind.is_changelog()),
        Some("all") if kind.reads_whole_files() => Err(SqlError::unsupported(format!(
            "Table '{}': format '{}' has no place for a row's kind, so 'sink.changelog-mode' = 'all' cannot be used",
            table.name,
            kind.name()
        ))),
        Some("all") => Ok(true),
        Some(other) => Err(SqlError::option(format!(
            "Option 'sink.changelog-mode' of table '{}' must be 'insert-only' or 'all', got '{other}'",
            table.name
        ))),
    }
}

/// `sink.rolling-policy.file-size` in bytes (Flink's memory sizes: `128MB`, `1 kb`, `4096`).
fn rolling_file_size(table: &TableDef) -> Result<u64> {
    let Some(text) = table.option("sink.rolling-policy.file-size") else {
        return Ok(weir_connectors::sink::file_sink::DEFAULT_MAX_PART_SIZE);
    };
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" | "bytes" => 1,
        "k" | "kb" | "kibibytes" => 1 << 10,
        "m" | "mb" | "mebibytes" => 1 << 20,
        "g" | "gb" | "gibibytes" => 1 << 30,
        "t" | "tb" | "tebibytes" => 1 << 40,
        _ => 0,
    };
    match num.parse::<u64>().ok().and_then(|n| n.checked_mul(scale)).filter(|n| *n > 0) {
        Some(bytes) => Ok(bytes),
        None => Err(SqlError::option(format!(
            "Option 'sink.rolling-policy.file-size' of table '{}' must be a memory size such as '128MB', not '{text}'",
            table.name
        ))),
    }
}

/// Adds a filesystem sink named `name` for `stream`: part files in the table's directory or,
/// for a `PARTITIONED BY` table, in `col=value/` directories under it (Flink's layout: the
/// partition columns are in the path, not in the files).
pub fn add_sink(stream: Stream, table: &TableDef, name: &str, parallelism: usize) -> Result<()> {
    let path = path_of(table)?;
    let options = format_options(table)?;
    let changelog_format = options.kind.is_changelog();
    let schema = table.sink_schema();
    let partitions = Partitions::of(table, &schema)?;
    let layout = PartitionLayout::of(&partitions);
    let bulk = options.kind.reads_whole_files();
    let (row_encoder, bulk_encoder) = if bulk {
        (None, Some(BulkEncoder::new(partitions.file_schema.clone(), options)?))
    } else {
        (Some(RowEncoder::new(partitions.file_schema.clone(), options)?), None)
    };
    let rolling = Rolling {
        max_part_size: rolling_file_size(table)?,
        rollover: duration_option(table, "sink.rolling-policy.rollover-interval")?,
        partition_commit: super::partition_commit::of(table)?,
    };
    let data = if writes_changelog(table)? && !changelog_format {
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
    let data = match layout.clone() {
        // One batch per partition, so the sink's bucket of a batch is its rows'.
        Some(layout) => {
            let split = data.flat_map(move |c: Changes, out: &mut weir::functions::Collector<'_, Changes>| {
                for part in layout.split(&c) {
                    out.collect(part);
                }
            });
            crate::stream::translate::beside(&data, split)
        }
        None => data,
    };
    match (row_encoder, bulk_encoder) {
        (Some(encoder), _) => {
            let encoder = BatchEncoder { encoder: Arc::new(Mutex::new(encoder)), layout };
            let sink = rolling.apply(weir_connectors::sink::FileSink::for_row_format(path, encoder));
            data.sink_to(sink, name).set_parallelism(parallelism);
        }
        (None, Some(encoder)) => {
            let format = BulkBatchEncoder { encoder, layout };
            let sink = rolling.apply(weir_connectors::sink::FileSink::for_bulk_format(path, format));
            data.sink_to(sink, name).set_parallelism(parallelism);
        }
        (None, None) => unreachable!("one encoder is made above"),
    }
    Ok(())
}

/// How a filesystem sink rolls and commits its parts (the same for row and bulk formats;
/// every part also rolls at each checkpoint).
struct Rolling {
    max_part_size: u64,
    rollover: Option<Duration>,
    partition_commit: Option<weir_connectors::sink::PartitionCommit>,
}

impl Rolling {
    fn apply<E>(&self, sink: weir_connectors::sink::FileSink<E>) -> weir_connectors::sink::FileSink<E> {
        let mut sink = sink.with_max_part_size(self.max_part_size);
        if let Some(interval) = self.rollover {
            sink = sink.with_rollover_interval(interval);
        }
        if let Some(commit) = &self.partition_commit {
            sink = sink.with_partition_commit(commit.clone());
        }
        sink
    }
}

/// A duration option (Flink's `30 min`, `10 s`), when set.
fn duration_option(table: &TableDef, key: &str) -> Result<Option<Duration>> {
    let Some(text) = table.option(key) else { return Ok(None) };
    match crate::job_options::parse_duration_ms(text) {
        Ok(ms) if ms > 0 => Ok(Some(Duration::from_millis(ms as u64))),
        Ok(_) => Err(SqlError::option(format!("Option '{key}' of table '{}' must be positive", table.name))),
        Err(e) => Err(SqlError::option(format!("Option '{key}' of table '{}': {e}", table.name))),
    }
}

/// How rows of a partitioned sink find their directory.
#[derive(Clone)]
struct PartitionLayout {
    /// (name, index in the sink schema) of each partition column, in PARTITIONED BY order.
    keys: Vec<(String, usize)>,
    /// Indices of the columns written into the files.
    file_columns: Vec<usize>,
    file_schema: SchemaRef,
    default_name: String,
}

impl PartitionLayout {
    fn of(p: &Partitions) -> Option<PartitionLayout> {
        if p.keys.is_empty() {
            return None;
        }
        let index = |n: &str| p.table_schema.index_of(n).expect("checked by Partitions::of");
        Some(PartitionLayout {
            keys: p.keys.iter().map(|k| (k.clone(), index(k))).collect(),
            file_columns: p.file_schema.fields().iter().map(|f| index(f.name())).collect(),
            file_schema: p.file_schema.clone(),
            default_name: p.default_name.clone(),
        })
    }

    /// The directory of row `i`: `k1=v1/k2=v2`, values escaped as Flink escapes them.
    fn path_of(&self, c: &Changes, i: usize) -> String {
        let mut path = String::new();
        for (n, (name, index)) in self.keys.iter().enumerate() {
            if n > 0 {
                path.push('/');
            }
            path.push_str(&escape_path_name(name));
            path.push('=');
            let column = c.rows.column(*index);
            if column.is_null(i) {
                path.push_str(&self.default_name);
            } else {
                let mut value = String::new();
                crate::format::render_value(column.as_ref(), i, &mut value);
                path.push_str(&escape_path_name(&value));
            }
        }
        path
    }

    /// `c` as one batch per partition (rows in their order within each).
    fn split(&self, c: &Changes) -> Vec<Changes> {
        let mut groups: indexmap::IndexMap<String, Vec<u32>> = indexmap::IndexMap::new();
        for i in 0..c.len() {
            groups.entry(self.path_of(c, i)).or_default().push(i as u32);
        }
        if groups.len() <= 1 {
            return vec![c.clone()];
        }
        groups
            .into_values()
            .map(|rows| c.take(&arrow::array::UInt32Array::from(rows)).expect("indices of the batch's own rows"))
            .collect()
    }

    /// The columns of `c` written into the files.
    fn file_rows(&self, c: &Changes) -> std::result::Result<arrow::array::RecordBatch, BoxError> {
        let columns = self.file_columns.iter().map(|i| c.rows.column(*i).clone()).collect();
        let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(c.len()));
        Ok(arrow::array::RecordBatch::try_new_with_options(self.file_schema.clone(), columns, &options)?)
    }
}

/// Flink's `PartitionPathUtils.escapePathName`: characters that cannot be in a path name
/// (and `%`) as `%XX`.
fn escape_path_name(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let escape = matches!(
            c,
            '\u{1}'
                ..='\u{1f}'
                    | '"'
                    | '#'
                    | '%'
                    | '\''
                    | '*'
                    | '/'
                    | ':'
                    | '='
                    | '?'
                    | '\\'
                    | '\u{7f}'
                    | '{'
                    | '['
                    | ']'
                    | '^'
        );
        if escape {
            out.push_str(&format!("%{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// A file sink's row encoder over batches (for a partitioned table, batches of one
/// partition, whose directory is the batch's bucket).
#[derive(Clone)]
struct BatchEncoder {
    encoder: Arc<Mutex<RowEncoder>>,
    layout: Option<PartitionLayout>,
}

impl weir_connectors::sink::Encoder<Changes> for BatchEncoder {
    fn encode(&self, value: &Changes, out: &mut Vec<u8>) -> std::result::Result<(), BoxError> {
        let mut encoder = self.encoder.lock().map_err(|_| "encoder poisoned")?;
        match &self.layout {
            Some(layout) => encoder.encode(&layout.file_rows(value)?, value.kinds.as_ref(), out)?,
            None => encoder.encode(&value.rows, value.kinds.as_ref(), out)?,
        }
        Ok(())
    }

    fn bucket(&self, value: &Changes) -> String {
        match &self.layout {
            Some(layout) if !value.is_empty() => layout.path_of(value, 0),
            _ => String::new(),
        }
    }
}

/// A file sink's bulk format over batches (Avro container files, Parquet), with the
/// partition directory of each batch as [`BatchEncoder`] has it. Part names have no suffix,
/// as Flink's filesystem sink names them for every format.
struct BulkBatchEncoder {
    encoder: BulkEncoder,
    layout: Option<PartitionLayout>,
}

impl weir_connectors::sink::PartFormat<Changes> for BulkBatchEncoder {
    type Part = BulkPart;

    fn open(&self, out: &mut Vec<u8>) -> std::result::Result<BulkPart, BoxError> {
        self.encoder.open(out)
    }

    fn write(&self, part: &mut BulkPart, value: &Changes, out: &mut Vec<u8>) -> std::result::Result<(), BoxError> {
        match &self.layout {
            Some(layout) => self.encoder.write(part, &layout.file_rows(value)?, out),
            None => self.encoder.write(part, &value.rows, out),
        }
    }

    fn finish(&self, part: BulkPart, out: &mut Vec<u8>) -> std::result::Result<(), BoxError> {
        self.encoder.finish(part, out)
    }

    fn format_name(&self) -> &'static str {
        weir_connectors::sink::PartFormat::<arrow::array::RecordBatch>::format_name(&self.encoder)
    }

    fn bucket(&self, value: &Changes) -> String {
        match &self.layout {
            Some(layout) if !value.is_empty() => layout.path_of(value, 0),
            _ => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Column;
    use crate::types::{FlinkType, TypeKind};
    use arrow::array::{Array, AsArray, Int32Array, RecordBatch};

    fn table(columns: Vec<Column>) -> TableDef {
        TableDef {
            name: "t".into(),
            columns,
            watermark: None,
            primary_key: Vec::new(),
            partitioned_by: Vec::new(),
            options: [("connector", "filesystem"), ("path", "/tmp"), ("format", "csv")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            comment: None,
            read_columns: None,
        }
    }

    fn column(name: &str, kind: TypeKind, source: ColumnSource) -> Column {
        Column { name: name.into(), ty: FlinkType::nullable(kind), source }
    }

    fn metadata(key: &str) -> ColumnSource {
        ColumnSource::Metadata { key: key.into(), is_virtual: true }
    }

    #[test]
    fn metadata_columns_take_the_files_values_in_their_declared_places() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("part-a.csv");
        std::fs::write(&file, "1\n2\n").unwrap();
        let t = table(vec![
            column("name", TypeKind::Varchar(crate::types::MAX_LENGTH), metadata("file.name")),
            column("id", TypeKind::Int, ColumnSource::Physical),
            column("size", TypeKind::Int, metadata("file.size")),
            column("path", TypeKind::Varchar(crate::types::MAX_LENGTH), metadata("file.path")),
            column("at", TypeKind::TimestampLtz(3), metadata("file.modification-time")),
        ]);
        let partitions = Partitions::of(&t, &t.physical_schema()).unwrap();
        let rows = RecordBatch::try_new(t.physical_schema(), vec![Arc::new(Int32Array::from(vec![1, 2]))]).unwrap();
        let out = partitions.complete(Changes::inserts(rows), &file).unwrap().rows;
        assert_eq!(
            out.schema().fields().iter().map(|f| f.name().as_str()).collect::<Vec<_>>(),
            ["name", "id", "size", "path", "at"]
        );
        assert_eq!(out.column(0).as_string::<i32>().value(1), "part-a.csv");
        assert_eq!(out.column(1).as_primitive::<arrow::datatypes::Int32Type>().value(1), 2);
        assert_eq!(out.column(2).as_primitive::<arrow::datatypes::Int32Type>().value(0), 4);
        assert_eq!(out.column(3).as_string::<i32>().value(0), file.display().to_string());
        assert!(!out.column(4).is_null(0));
    }

    #[test]
    fn an_unknown_metadata_key_is_refused_naming_the_known_ones() {
        let t = table(vec![column("x", TypeKind::Int, metadata("offset"))]);
        let e = Partitions::of(&t, &t.physical_schema()).err().expect("refused");
        assert!(e.message.contains("Invalid metadata key 'offset' in column 'x' of table 't'"), "{}", e.message);
    }
}
