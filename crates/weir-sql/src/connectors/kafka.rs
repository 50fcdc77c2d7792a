//! `'connector' = 'kafka'` and `'connector' = 'upsert-kafka'`: Kafka topics as tables, with
//! Flink's option names.
//!
//! Reading: a [`KafkaSource`] of whole messages, then a decode step that turns each message's
//! value (and key, with `key.format`) into a row with the table's formats ([`RowDecoder`], one
//! record per message) and fills the metadata columns (`timestamp`, `partition`, `offset`,
//! `topic`, `headers`). A bad record fails with the table, topic, partition and offset — or is
//! skipped as the format's options say.
//!
//! Writing: a [`KafkaSink`] whose serializer writes each row as one message, the value (and
//! key) encoded by the table's formats ([`RowEncoder`]); a `timestamp` metadata column sets the
//! message's timestamp. `upsert-kafka` writes the PRIMARY KEY as the message key, updates as
//! the new row and deletes as tombstones (null value); it reads a topic back as an upsert
//! changelog normalised into `+I/-U/+U/-D` (see [`normalize`]).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arrow::array::{
    Array, ArrayRef, BinaryArray, BinaryBuilder, BooleanArray, Int32Array, Int64Array, MapArray, MapBuilder,
    StringArray, StringBuilder, UInt32Array,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use weir::{DataStream, StreamExecutionEnvironment};
use weir_connectors::kafka::{
    offsets::parse_specific_offsets, DeliveryGuarantee, KafkaProducerRecord, KafkaProperties, KafkaSink, KafkaSource,
    OffsetReset, OwnedKafkaMessage, SinkPartitioner, SplitListener, StartingOffsets, StoppingOffsets,
};
use weir_core::StreamRecord;
use weir_runtime::{BoxError, Emitter, Operator, WatermarkStrategy};

use crate::catalog::{Column, ColumnSource, TableDef};
use crate::changelog::RowKind;
use crate::error::{Result, SqlError};
use crate::format::{FormatOptions, RowDecoder, RowEncoder};
use crate::session::JobSettings;
use crate::stream::watermark::{SplitBoard, SplitEvent};
use crate::stream::Changes;
use crate::types::{FlinkType, TypeKind};

pub mod normalize;

/// The options of `'connector' = 'kafka'` (besides `properties.*` and format options).
pub const OPTIONS: [&str; 20] = [
    "connector",
    "topic",
    "topic-pattern",
    "properties.bootstrap.servers",
    "properties.group.id",
    "scan.startup.mode",
    "scan.startup.specific-offsets",
    "scan.startup.timestamp-millis",
    "scan.bounded.mode",
    "scan.bounded.specific-offsets",
    "scan.bounded.timestamp-millis",
    "scan.topic-partition-discovery.interval",
    "format",
    "key.format",
    "key.fields",
    "value.format",
    "value.fields-include",
    "sink.partitioner",
    "sink.delivery-guarantee",
    "sink.transactional-id-prefix",
];

/// The options of `'connector' = 'upsert-kafka'` (besides `properties.*` and format options).
pub const UPSERT_OPTIONS: [&str; 11] = [
    "connector",
    "topic",
    "properties.bootstrap.servers",
    "properties.group.id",
    "key.format",
    "value.format",
    "value.fields-include",
    "sink.parallelism",
    "sink.delivery-guarantee",
    "sink.transactional-id-prefix",
    "scan.bounded.mode",
];

/// Metadata a Kafka table can declare, as Flink names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Metadata {
    Timestamp,
    Partition,
    Offset,
    Topic,
    Headers,
    /// Weir's own: which split (topic and partition) a row was read from, for per-split
    /// watermarks ([`SPLIT_KEY`]).
    Split,
}

/// The metadata key of the hidden column a table with a watermark is read with: a stable id
/// of each row's topic and partition, so that its watermark is kept per partition.
pub(crate) const SPLIT_KEY: &str = "weir.split";

/// The name of that hidden column.
pub(crate) const SPLIT_COLUMN: &str = "$weir_split";

/// `table` with the hidden split column appended (see [`SPLIT_KEY`]).
pub(crate) fn with_split_column(table: &TableDef) -> TableDef {
    let mut table = table.clone();
    table.columns.push(Column {
        name: SPLIT_COLUMN.into(),
        ty: FlinkType { kind: TypeKind::BigInt, nullable: false },
        source: ColumnSource::Metadata { key: SPLIT_KEY.into(), is_virtual: true },
    });
    table
}

/// A stable 64-bit id of a topic's partition (FNV-1a over the topic's bytes and the
/// partition number): the same on every subtask and in every run.
fn split_id(topic: &str, partition: i32) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in topic.bytes().chain(partition.to_le_bytes()) {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash as i64
}

/// Posts a Kafka reader's partitions on the [`SplitBoard`] its watermark assigner reads.
struct BoardListener(Arc<SplitBoard>);

impl SplitListener for BoardListener {
    fn reader_started(&self, subtask: usize) {
        self.0.reader_started(subtask);
    }

    fn assigned(&self, subtask: usize, topic: &str, partition: i32) {
        self.0.post(subtask, SplitEvent::Assigned(split_id(topic, partition)));
    }

    fn finished(&self, subtask: usize, topic: &str, partition: i32) {
        self.0.post(subtask, SplitEvent::Finished(split_id(topic, partition)));
    }
}

impl Metadata {
    fn parse(key: &str, table: &str) -> Result<Metadata> {
        match key {
            SPLIT_KEY => Ok(Metadata::Split),
            "timestamp" => Ok(Metadata::Timestamp),
            "partition" => Ok(Metadata::Partition),
            "offset" => Ok(Metadata::Offset),
            "topic" => Ok(Metadata::Topic),
            "headers" => Ok(Metadata::Headers),
            other => Err(SqlError::option(format!(
                "Invalid metadata key '{other}' in table '{table}'. The kafka connector provides: \
                 'timestamp', 'partition', 'offset', 'topic', 'headers'"
            ))),
        }
    }

    /// Whether a sink can write it (Flink: timestamp and headers; the others are read-only).
    fn writable(self) -> bool {
        matches!(self, Metadata::Timestamp | Metadata::Headers)
    }
}

/// Where a stored column (physical or metadata, in declared order) comes from when reading.
#[derive(Debug, Clone, Copy)]
enum ColumnFrom {
    Value(usize),
    Key(usize),
    /// A key field the value holds too: the value's, the key's for tombstones.
    Both {
        value: usize,
        key: usize,
    },
    Meta(Metadata),
}

/// A Kafka table's options, read once.
#[derive(Debug, Clone)]
pub(crate) struct KafkaTable {
    name: String,
    upsert: bool,
    properties: KafkaProperties,
    topics: Vec<String>,
    pattern: Option<String>,
    starting: StartingOffsets,
    stopping: StoppingOffsets,
    discovery: Option<Duration>,
    value_format: FormatOptions,
    key_format: Option<FormatOptions>,
    key_fields: Vec<String>,
    /// Physical columns the value holds.
    value_fields: Vec<String>,
    guarantee: DeliveryGuarantee,
    prefix: Option<String>,
    partitioner: SinkPartitioner,
    /// Non-computed columns in declared order: what the source stream carries.
    stored: Vec<Column>,
}

fn duration(text: &str, key: &str, table: &str) -> Result<Duration> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: u64 = n.parse().map_err(|_| bad_duration(text, key, table))?;
    let ms = match unit.trim() {
        "" | "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => n,
        "s" | "sec" | "secs" | "second" | "seconds" => n * 1000,
        "min" | "mins" | "minute" | "minutes" => n * 60_000,
        "h" | "hour" | "hours" => n * 3_600_000,
        _ => return Err(bad_duration(text, key, table)),
    };
    Ok(Duration::from_millis(ms))
}

fn bad_duration(text: &str, key: &str, table: &str) -> SqlError {
    SqlError::option(format!("Option '{key}' of table '{table}' must be a duration such as '30 s', got '{text}'"))
}

/// The format options under `prefix` (`value.` / `key.`), the prefix removed; plain `json.*`
/// keys count for the value format too (Flink's `format` shorthand).
fn format_options(table: &TableDef, format: &str, prefix: &str, plain: bool) -> Result<FormatOptions> {
    let options: Vec<(String, String)> = table
        .options
        .iter()
        .filter_map(|(k, v)| match k.strip_prefix(prefix) {
            Some(rest) if rest != "format" && rest != "fields-include" && rest != "fields" => {
                Some((rest.to_string(), v.clone()))
            }
            _ if plain && !k.starts_with("key.") && !k.starts_with("value.") => Some((k.clone(), v.clone())),
            _ => None,
        })
        .collect();
    let mut options = FormatOptions::from_options(format, &options)
        .map_err(|e| SqlError::option(format!("{} (table '{}', {prefix}format)", e.message, table.name)))?;
    // Flink's default subject: `<topic>-value` / `<topic>-key`, when the table has one topic.
    if options.kind == crate::format::FormatKind::AvroConfluent && options.confluent.subject.is_none() {
        if let Some(topic) = table.option("topic").filter(|t| !t.contains(';')) {
            let role = if prefix == "key." { "key" } else { "value" };
            options.confluent.subject = Some(format!("{}-{role}", topic.trim()));
        }
    }
    Ok(options)
}

impl KafkaTable {
    /// Reads and checks `table`'s options.
    pub(crate) fn new(table: &TableDef) -> Result<KafkaTable> {
        let name = table.name.clone();
        let upsert = table.connector()? == "upsert-kafka";
        let opt = |k: &str| table.option(k);
        let servers = table.required_option("properties.bootstrap.servers")?;
        let mut properties = KafkaProperties::new(servers);
        for (k, v) in &table.options {
            if let Some(key) = k.strip_prefix("properties.") {
                properties.set(key, v);
            }
        }
        let topics: Vec<String> = opt("topic")
            .map(|t| t.split(';').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        let pattern = opt("topic-pattern").map(str::to_string);
        match (topics.is_empty(), &pattern) {
            (true, None) => {
                return Err(SqlError::option(format!("Table '{name}' needs either 'topic' or 'topic-pattern'")))
            }
            (false, Some(_)) => {
                return Err(SqlError::option(format!(
                    "Option 'topic' and 'topic-pattern' shouldn't be set together (table '{name}')"
                )))
            }
            _ => {}
        }
        if let Some(p) = &pattern {
            regex::Regex::new(p).map_err(|e| {
                SqlError::option(format!("Option 'topic-pattern' of table '{name}' is not a valid pattern: {e}"))
            })?;
        }
        let single_topic = || {
            if topics.len() == 1 {
                Ok(topics[0].clone())
            } else {
                Err(SqlError::option(format!("Specific offsets of table '{name}' need exactly one 'topic'")))
            }
        };
        let offsets_of = |key: &str| -> Result<BTreeMap<(String, i32), i64>> {
            let text = table.required_option(key)?;
            parse_specific_offsets(text, &single_topic()?)
                .map_err(|e| SqlError::option(format!("Option '{key}' of table '{name}': {e}")))
        };
        let millis =
            |key: &str| -> Result<i64> {
                table.required_option(key)?.trim().parse::<i64>().map_err(|_| {
                    SqlError::option(format!("Option '{key}' of table '{name}' must be epoch milliseconds"))
                })
            };
        let starting = if upsert {
            StartingOffsets::Earliest
        } else {
            match opt("scan.startup.mode").unwrap_or("group-offsets") {
                "earliest-offset" => StartingOffsets::Earliest,
                "latest-offset" => StartingOffsets::Latest,
                "group-offsets" => StartingOffsets::GroupOffsets {
                    reset: match opt("properties.auto.offset.reset") {
                        None | Some("none") => OffsetReset::Fail,
                        Some("earliest") | Some("smallest") => OffsetReset::Earliest,
                        Some("latest") | Some("largest") => OffsetReset::Latest,
                        Some(other) => {
                            return Err(SqlError::option(format!(
                                "Option 'properties.auto.offset.reset' of table '{name}' must be 'earliest', \
                                 'latest' or 'none', got '{other}'"
                            )))
                        }
                    },
                },
                "timestamp" => StartingOffsets::Timestamp(millis("scan.startup.timestamp-millis")?),
                "specific-offsets" => StartingOffsets::Specific(offsets_of("scan.startup.specific-offsets")?),
                other => {
                    return Err(SqlError::option(format!(
                        "Invalid value for option 'scan.startup.mode' of table '{name}': '{other}'. Supported values \
                         are [earliest-offset, latest-offset, group-offsets, timestamp, specific-offsets]"
                    )))
                }
            }
        };
        let stopping = match opt("scan.bounded.mode").unwrap_or("unbounded") {
            "unbounded" => StoppingOffsets::Unbounded,
            "latest-offset" => StoppingOffsets::Latest,
            "timestamp" => StoppingOffsets::Timestamp(millis("scan.bounded.timestamp-millis")?),
            "specific-offsets" => StoppingOffsets::Specific(offsets_of("scan.bounded.specific-offsets")?),
            other => {
                return Err(SqlError::option(format!(
                    "Invalid value for option 'scan.bounded.mode' of table '{name}': '{other}'. Supported values \
                     are [unbounded, latest-offset, timestamp, specific-offsets]"
                )))
            }
        };
        let discovery = match opt("scan.topic-partition-discovery.interval") {
            None => Some(Duration::from_secs(300)),
            Some(text) => {
                let d = duration(text, "scan.topic-partition-discovery.interval", &name)?;
                (!d.is_zero()).then_some(d)
            }
        };
        let value_format_name = match (opt("format"), opt("value.format")) {
            (Some(_), Some(_)) => {
                return Err(SqlError::option(format!("Table '{name}' sets both 'format' and 'value.format'; use one")))
            }
            (Some(f), None) | (None, Some(f)) => f.to_string(),
            (None, None) => {
                return Err(SqlError::option(format!("Table '{name}' needs the option 'value.format' (or 'format')")))
            }
        };
        let value_format = format_options(table, &value_format_name, "value.", true)?;
        let key_format = match opt("key.format") {
            Some(f) => Some(format_options(table, f, "key.", false)?),
            None => None,
        };
        let physical: Vec<String> = table
            .columns
            .iter()
            .filter(|c| matches!(c.source, ColumnSource::Physical))
            .map(|c| c.name.clone())
            .collect();
        let key_fields: Vec<String> = if upsert {
            if table.primary_key.is_empty() {
                return Err(SqlError::option(format!(
                    "'upsert-kafka' tables require to define a PRIMARY KEY constraint (table '{name}')"
                )));
            }
            if key_format.is_none() {
                return Err(SqlError::option(format!("Table '{name}' needs the option 'key.format'")));
            }
            table.primary_key.clone()
        } else {
            match opt("key.fields") {
                Some(list) => list.split(';').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
                None => Vec::new(),
            }
        };
        if key_format.is_some() == key_fields.is_empty() {
            return Err(SqlError::option(format!(
                "Table '{name}': 'key.format' and 'key.fields' go together (a key format needs the key's columns)"
            )));
        }
        for k in &key_fields {
            if !physical.contains(k) {
                return Err(SqlError::option(format!(
                    "Key field '{k}' of table '{name}' is not a physical column ({})",
                    physical.join(", ")
                )));
            }
        }
        let value_fields = match opt("value.fields-include").unwrap_or("ALL") {
            "ALL" => physical.clone(),
            "EXCEPT_KEY" => physical.iter().filter(|c| !key_fields.contains(c)).cloned().collect(),
            other => {
                return Err(SqlError::option(format!(
                    "Option 'value.fields-include' of table '{name}' must be 'ALL' or 'EXCEPT_KEY', got '{other}'"
                )))
            }
        };
        let guarantee = DeliveryGuarantee::parse(opt("sink.delivery-guarantee").unwrap_or("at-least-once"))
            .map_err(|e| SqlError::option(format!("Option 'sink.delivery-guarantee' of table '{name}': {e}")))?;
        let prefix = opt("sink.transactional-id-prefix").map(str::to_string);
        if guarantee == DeliveryGuarantee::ExactlyOnce && prefix.is_none() {
            return Err(SqlError::option(format!(
                "Table '{name}' writes exactly once, which needs 'sink.transactional-id-prefix' (unique per job)"
            )));
        }
        let partitioner = SinkPartitioner::parse(opt("sink.partitioner").unwrap_or("default"))
            .map_err(|e| SqlError::option(format!("Option 'sink.partitioner' of table '{name}': {e}")))?;
        let stored: Vec<Column> =
            table.columns.iter().filter(|c| !matches!(c.source, ColumnSource::Computed(_))).cloned().collect();
        for c in &stored {
            if let ColumnSource::Metadata { key, .. } = &c.source {
                Metadata::parse(key, &name)?;
            }
        }
        let known: &[&str] = if upsert { &UPSERT_OPTIONS } else { &OPTIONS };
        for key in table.options.keys() {
            let format_key = crate::format::is_format_key(key) || ["key.", "value."].iter().any(|p| key.starts_with(p));
            if !known.contains(&key.as_str())
                && !key.starts_with("properties.")
                && !format_key
                && key != "sink.parallelism"
            {
                return Err(SqlError::option(format!(
                    "Unsupported option '{key}' for connector '{}' of table '{name}'. Supported options: {}, \
                     properties.*, and the formats' options",
                    table.connector()?,
                    known.join(", ")
                )));
            }
        }
        Ok(KafkaTable {
            name,
            upsert,
            properties,
            topics,
            pattern,
            starting,
            stopping,
            discovery,
            value_format,
            key_format,
            key_fields,
            value_fields,
            guarantee,
            prefix,
            partitioner,
            stored,
        })
    }

    /// The columns `names` as a format decodes them: nullable, unless `declared` (a format
    /// whose schema says which columns may be NULL, as Avro's does).
    fn schema_of(&self, names: &[String], declared: bool) -> SchemaRef {
        Arc::new(Schema::new(
            names
                .iter()
                .map(|n| {
                    let c = self.stored.iter().find(|c| &c.name == n).expect("a physical column");
                    Field::new(&c.name, c.ty.to_arrow(), c.ty.nullable || !declared)
                })
                .collect::<Vec<_>>(),
        ))
    }

    fn stored_schema(&self) -> SchemaRef {
        Arc::new(Schema::new(
            self.stored.iter().map(|c| Field::new(&c.name, c.ty.to_arrow(), c.ty.nullable)).collect::<Vec<_>>(),
        ))
    }

    /// Where each stored column comes from when reading.
    fn read_layout(&self) -> Result<Vec<ColumnFrom>> {
        self.stored
            .iter()
            .map(|c| match &c.source {
                ColumnSource::Metadata { key, .. } => Ok(ColumnFrom::Meta(Metadata::parse(key, &self.name)?)),
                _ => {
                    let v = self.value_fields.iter().position(|f| f == &c.name);
                    let k = self.key_fields.iter().position(|f| f == &c.name);
                    Ok(match (v, k) {
                        (Some(value), Some(key)) => ColumnFrom::Both { value, key },
                        (Some(v), None) => ColumnFrom::Value(v),
                        (None, Some(k)) => ColumnFrom::Key(k),
                        (None, None) => unreachable!("a physical column is in the value or the key"),
                    })
                }
            })
            .collect()
    }

    /// The source: whole messages; its readers post their partitions on `board`.
    fn source(&self, board: Option<Arc<SplitBoard>>) -> Result<KafkaSource<OwnedKafkaMessage>> {
        // Checked when the table is read, not at CREATE TABLE: a table only written to needs no group.
        if matches!(self.starting, StartingOffsets::GroupOffsets { .. }) && self.properties.group_id().is_none() {
            return Err(SqlError::option(format!(
                "Table '{}' starts from group offsets ('scan.startup.mode' = 'group-offsets', the default), \
                 which needs 'properties.group.id'",
                self.name
            )));
        }
        let mut builder = KafkaSource::builder()
            .properties(self.properties.clone())
            .starting_offsets(self.starting.clone())
            .bounded(self.stopping.clone())
            .partition_discovery_interval(self.discovery);
        if let Some(board) = board {
            builder = builder.split_listener(Arc::new(BoardListener(board)));
        }
        builder = match &self.pattern {
            Some(p) => builder
                .topic_pattern(regex::Regex::new(p).map_err(|e| SqlError::option(format!("'topic-pattern': {e}")))?),
            None => builder.topics(self.topics.clone()),
        };
        builder
            .build(OwnedKafkaMessage::deserializer())
            .map_err(|e| SqlError::option(format!("Table '{}': {e}", self.name)))
    }
}

/// Checks a Kafka table's options at `CREATE TABLE`.
pub fn validate(table: &TableDef) -> Result<()> {
    KafkaTable::new(table).map(|_| ())
}

/// The rows of a Kafka table (physical and metadata columns, in declared order); with a
/// `board`, its readers post the partitions they are given there (see [`with_split_column`]).
pub fn open(
    env: &StreamExecutionEnvironment,
    table: &TableDef,
    settings: &JobSettings,
    board: Option<Arc<SplitBoard>>,
) -> Result<DataStream<Changes>> {
    let kafka = KafkaTable::new(table)?;
    let layout = kafka.read_layout()?;
    let source = kafka.source(board)?;
    let messages = env.from_source(source, WatermarkStrategy::no_watermarks(), &format!("Kafka: {}", table.name));
    let value_schema = kafka.schema_of(&kafka.value_fields, kafka.value_format.kind.encodes_nullability());
    let key_schema =
        kafka.schema_of(&kafka.key_fields, kafka.key_format.as_ref().is_some_and(|f| f.kind.encodes_nullability()));
    let stored = kafka.stored_schema();
    let upsert = kafka.upsert;
    let decode_name = format!("Decode {}", table.name);
    let k = kafka.clone();
    let rows = messages.transform(&decode_name, move |_| {
        Ok(KafkaDecodeOperator {
            table: k.name.clone(),
            value: if value_schema.fields().is_empty() {
                None
            } else {
                Some(RowDecoder::new(value_schema.clone(), k.value_format.clone())?)
            },
            key: match &k.key_format {
                Some(f) => Some(RowDecoder::new(key_schema.clone(), f.clone())?),
                None => None,
            },
            layout: layout.clone(),
            schema: stored.clone(),
            upsert,
            pending: Vec::new(),
        })
    });
    let rows = crate::stream::translate::beside(&messages, rows);
    Ok(if upsert {
        let key_columns: Vec<usize> = kafka
            .key_fields
            .iter()
            .map(|f| kafka.stored.iter().position(|c| &c.name == f).expect("a key field is stored"))
            .collect();
        normalize::normalize(&rows, &kafka.stored_schema(), key_columns, settings)?
    } else {
        rows
    })
}

/// One message's place in the batch being decoded.
struct Pending {
    value_row: Option<u32>,
    key_row: Option<u32>,
    message: OwnedKafkaMessage,
}

/// Decodes messages into rows of the table.
struct KafkaDecodeOperator {
    table: String,
    value: Option<RowDecoder>,
    key: Option<RowDecoder>,
    layout: Vec<ColumnFrom>,
    schema: SchemaRef,
    upsert: bool,
    pending: Vec<Pending>,
}

impl KafkaDecodeOperator {
    /// Decodes one message; `false` when its record was skipped (ignore-parse-errors).
    fn decode(&mut self, m: OwnedKafkaMessage) -> std::result::Result<(), SqlError> {
        let table = &self.table;
        let origin = |part: &'static str| {
            let (t, p, o) = (m.topic.clone(), m.partition, m.offset);
            move || format!("table '{table}', topic {t}, partition {p}, offset {o} ({part})")
        };
        let mut value_row = None;
        match (&m.value, &mut self.value) {
            (None, _) if !self.upsert => return Ok(()), // Flink drops null values of plain Kafka tables
            (None, _) => {}
            (Some(bytes), Some(decoder)) => {
                let before = decoder.len();
                decoder.decode_line(bytes, &origin("value"))?;
                if decoder.len() == before {
                    return Ok(()); // skipped as the format's options say
                }
                value_row = Some(before as u32);
            }
            (Some(_), None) => {}
        }
        let mut key_row = None;
        if let (Some(decoder), Some(bytes)) = (&mut self.key, &m.key) {
            let before = decoder.len();
            decoder.decode_line(bytes, &origin("key"))?;
            if decoder.len() == before {
                if value_row.is_some() {
                    return Err(SqlError::new(
                        crate::error::ErrorKind::Execution,
                        format!("the key of {} was skipped as malformed but its value was not", origin("key")()),
                    ));
                }
                return Ok(());
            }
            key_row = Some(before as u32);
        }
        if self.upsert && key_row.is_none() {
            return Err(SqlError::new(
                crate::error::ErrorKind::Execution,
                format!("{}: an upsert-kafka message needs a key", origin("key")()),
            ));
        }
        self.pending.push(Pending { value_row, key_row, message: m });
        Ok(())
    }

    fn finish(&mut self) -> std::result::Result<Option<Changes>, BoxError> {
        if self.pending.is_empty() {
            return Ok(None);
        }
        let n = self.pending.len();
        let values = match &mut self.value {
            Some(d) => d.flush()?,
            None => None,
        };
        let keys = match &mut self.key {
            Some(d) => d.flush()?,
            None => None,
        };
        let value_idx = UInt32Array::from(self.pending.iter().map(|p| p.value_row).collect::<Vec<_>>());
        let key_idx = UInt32Array::from(self.pending.iter().map(|p| p.key_row).collect::<Vec<_>>());
        let take = |batch: &Option<RecordBatch>, i: usize, idx: &UInt32Array, ty: &DataType| -> Result<ArrayRef> {
            match batch {
                Some(b) => arrow::compute::take(b.column(i).as_ref(), idx, None)
                    .map_err(|e| SqlError::new(crate::error::ErrorKind::Execution, e.to_string())),
                None => Ok(arrow::array::new_null_array(ty, n)),
            }
        };
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(self.layout.len());
        for (from, field) in self.layout.iter().zip(self.schema.fields()) {
            let ty = field.data_type();
            let column = match *from {
                ColumnFrom::Value(i) => take(&values, i, &value_idx, ty)?,
                ColumnFrom::Key(i) => take(&keys, i, &key_idx, ty)?,
                ColumnFrom::Both { value, key } => {
                    let v = take(&values, value, &value_idx, ty)?;
                    if value_idx.null_count() == 0 {
                        v
                    } else {
                        let k = take(&keys, key, &key_idx, ty)?;
                        let has_value =
                            BooleanArray::from(self.pending.iter().map(|p| p.value_row.is_some()).collect::<Vec<_>>());
                        arrow::compute::kernels::zip::zip(&has_value, &v, &k)?
                    }
                }
                ColumnFrom::Meta(meta) => metadata_column(meta, &self.pending, ty)?,
            };
            columns.push(column);
        }
        let kinds: Vec<RowKind> = self
            .pending
            .iter()
            .map(|p| if p.value_row.is_none() && self.upsert { RowKind::Delete } else { RowKind::UpdateAfter })
            .collect();
        self.pending.clear();
        let options = RecordBatchOptions::new().with_row_count(Some(n));
        let rows = RecordBatch::try_new_with_options(self.schema.clone(), columns, &options)?;
        Ok(Some(if self.upsert { Changes::with_kinds(rows, kinds) } else { Changes::inserts(rows) }))
    }
}

/// A metadata column of the pending messages, as the column's type.
fn metadata_column(meta: Metadata, pending: &[Pending], ty: &DataType) -> std::result::Result<ArrayRef, BoxError> {
    let raw: ArrayRef = match meta {
        Metadata::Timestamp => {
            let ms = Int64Array::from(pending.iter().map(|p| p.message.timestamp).collect::<Vec<_>>());
            arrow::compute::cast(&ms, &DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())))?
        }
        Metadata::Partition => {
            Arc::new(Int32Array::from(pending.iter().map(|p| p.message.partition).collect::<Vec<_>>()))
        }
        Metadata::Offset => Arc::new(Int64Array::from(pending.iter().map(|p| p.message.offset).collect::<Vec<_>>())),
        Metadata::Split => {
            let mut last: Option<(&str, i32, i64)> = None;
            let ids = pending.iter().map(|p| {
                let (topic, partition) = (p.message.topic.as_str(), p.message.partition);
                match last {
                    Some((t, q, id)) if t == topic && q == partition => id,
                    _ => {
                        let id = split_id(topic, partition);
                        last = Some((topic, partition, id));
                        id
                    }
                }
            });
            Arc::new(Int64Array::from_iter_values(ids))
        }
        Metadata::Topic => {
            Arc::new(StringArray::from(pending.iter().map(|p| p.message.topic.as_str()).collect::<Vec<_>>()))
        }
        Metadata::Headers => {
            let mut b = MapBuilder::new(None, StringBuilder::new(), BinaryBuilder::new());
            for p in pending {
                for (k, v) in &p.message.headers {
                    b.keys().append_value(k);
                    match v {
                        Some(v) => b.values().append_value(v),
                        None => b.values().append_null(),
                    }
                }
                b.append(true)?;
            }
            let map = b.finish();
            if map.data_type() == ty {
                return Ok(Arc::new(map));
            }
            // The declared MAP<STRING, BYTES> names its entries as Weir's types do.
            let DataType::Map(entries, sorted) = ty else {
                return Err(format!("metadata column 'headers' must be MAP<STRING, BYTES>, not {ty}").into());
            };
            let DataType::Struct(fields) = entries.data_type() else {
                return Err(format!("metadata column 'headers' must be MAP<STRING, BYTES>, not {ty}").into());
            };
            let (_, offsets, entry_values, nulls, _) = map.into_parts();
            let kv = arrow::array::StructArray::try_new(
                fields.clone(),
                entry_values.columns().to_vec(),
                entry_values.nulls().cloned(),
            )?;
            return Ok(Arc::new(arrow::array::MapArray::try_new(entries.clone(), offsets, kv, nulls, *sorted)?));
        }
    };
    if raw.data_type() == ty {
        Ok(raw)
    } else {
        Ok(arrow::compute::cast(&raw, ty)?)
    }
}

impl Operator for KafkaDecodeOperator {
    type In = OwnedKafkaMessage;
    type Out = Changes;

    fn process(
        &mut self,
        batch: &mut Vec<StreamRecord<OwnedKafkaMessage>>,
        out: &mut Emitter<Changes>,
    ) -> std::result::Result<(), BoxError> {
        for record in batch.drain(..) {
            self.decode(record.value)?;
        }
        if let Some(changes) = self.finish()? {
            out.emit(StreamRecord { value: changes, timestamp: weir_core::record::NO_TIMESTAMP });
        }
        Ok(())
    }
}

/// Adds the Kafka sink of `table` for `data`, with `parallelism` writers.
pub fn add_sink(data: &DataStream<Changes>, updating: bool, table: &TableDef, parallelism: usize) -> Result<()> {
    let kafka = KafkaTable::new(table)?;
    if updating && !kafka.upsert {
        return Err(SqlError::unsupported(format!(
            "Table sink '{}' doesn't support consuming update and delete changes; use 'upsert-kafka' with a \
             PRIMARY KEY for an updating result",
            table.name
        )));
    }
    let sink_schema = table.sink_schema();
    let index = |name: &String| sink_schema.index_of(name).expect("a physical column is in the sink schema");
    let value_cols: Vec<usize> = kafka.value_fields.iter().map(index).collect();
    let key_cols: Vec<usize> = kafka.key_fields.iter().map(index).collect();
    let mut timestamp_col = None;
    let mut headers_col = None;
    for (i, c) in kafka.stored.iter().enumerate() {
        if let ColumnSource::Metadata { key, is_virtual: false } = &c.source {
            let meta = Metadata::parse(key, &table.name)?;
            if !meta.writable() {
                return Err(SqlError::option(format!(
                    "Metadata column '{}' of table '{}' is read-only ('{key}'); declare it VIRTUAL",
                    c.name, table.name
                )));
            }
            let column = Some(sink_schema.index_of(&c.name).unwrap_or(i));
            if meta == Metadata::Headers {
                headers_col = column;
            } else {
                timestamp_col = column;
            }
        }
    }
    let value_encoder =
        RowEncoder::new(sink_schema.project(&value_cols).map_err(arrow_error)?.into(), kafka.value_format.clone())?;
    let key_encoder = match &kafka.key_format {
        Some(f) => Some(RowEncoder::new(sink_schema.project(&key_cols).map_err(arrow_error)?.into(), f.clone())?),
        None => None,
    };
    let serializer = RowSerializer {
        value: Mutex::new(value_encoder),
        value_cols,
        key: key_encoder.map(Mutex::new),
        key_cols,
        timestamp_col,
        headers_col,
        upsert: kafka.upsert,
    };
    let topic = match kafka.topics.as_slice() {
        [t] => t.clone(),
        _ => {
            return Err(SqlError::option(format!(
                "Table '{}' is written to, which needs exactly one 'topic' (not a list or a pattern)",
                table.name
            )))
        }
    };
    let sink = KafkaSink::new(kafka.properties.bootstrap_servers(), &topic, serializer)
        .with_properties(kafka.properties.clone())
        .with_delivery_guarantee(kafka.guarantee)
        .with_partitioner(kafka.partitioner);
    let sink = match &kafka.prefix {
        Some(p) => sink.with_transactional_id_prefix(p),
        None => sink,
    };
    data.sink_to(sink, &format!("Sink: {}", table.name)).set_parallelism(parallelism);
    Ok(())
}

fn arrow_error(e: arrow::error::ArrowError) -> SqlError {
    SqlError::new(crate::error::ErrorKind::Execution, e.to_string())
}

/// Rows to messages with the table's formats.
struct RowSerializer {
    value: Mutex<RowEncoder>,
    value_cols: Vec<usize>,
    key: Option<Mutex<RowEncoder>>,
    key_cols: Vec<usize>,
    timestamp_col: Option<usize>,
    /// A `MAP<STRING, BYTES>` column written as the message's headers.
    headers_col: Option<usize>,
    upsert: bool,
}

/// Message headers: names with optional values.
type Headers = Vec<(String, Option<Vec<u8>>)>;

/// The headers of row `row` of a `MAP<STRING, BYTES>` column (none for a NULL map; a NULL
/// value is a header without a value).
fn headers_at(column: &ArrayRef, row: usize) -> std::result::Result<Headers, BoxError> {
    let map = column.as_any().downcast_ref::<MapArray>().ok_or("the headers column must be MAP<STRING, BYTES>")?;
    if map.is_null(row) {
        return Ok(Vec::new());
    }
    let entries = map.value(row);
    let keys = entries.column(0);
    let keys = keys.as_any().downcast_ref::<StringArray>().ok_or("header names must be STRING")?;
    let values = arrow::compute::cast(entries.column(1), &DataType::Binary)?;
    let values = values.as_any().downcast_ref::<BinaryArray>().ok_or("header values must be BYTES")?;
    Ok((0..keys.len())
        .map(|i| (keys.value(i).to_string(), values.is_valid(i).then(|| values.value(i).to_vec())))
        .collect())
}

fn encode_row(encoder: &Mutex<RowEncoder>, batch: &RecordBatch, row: usize) -> std::result::Result<Vec<u8>, BoxError> {
    let mut out = Vec::new();
    let mut encoder = encoder.lock().map_err(|_| "encoder poisoned")?;
    encoder.encode(&batch.slice(row, 1), None, &mut out)?;
    // A binary record (Avro) may end with a 0x0A byte that is data, not a line end.
    if encoder.writes_lines() && out.last() == Some(&b'\n') {
        out.pop();
    }
    Ok(out)
}

impl weir_connectors::kafka::KafkaRecordSerializer<Changes> for RowSerializer {
    fn serialize(
        &self,
        record: StreamRecord<Changes>,
        out: &mut Vec<KafkaProducerRecord>,
    ) -> std::result::Result<(), BoxError> {
        let c = record.value;
        let values = c.rows.project(&self.value_cols)?;
        let keys = c.rows.project(&self.key_cols)?;
        let timestamps = match self.timestamp_col {
            Some(i) => Some(arrow::compute::cast(
                &arrow::compute::cast(c.rows.column(i), &DataType::Timestamp(TimeUnit::Millisecond, None))?,
                &DataType::Int64,
            )?),
            None => None,
        };
        for i in 0..c.len() {
            let kind = c.kind(i);
            if self.upsert && kind == RowKind::UpdateBefore {
                continue; // the +U that follows replaces the row under its key
            }
            let key = match &self.key {
                Some(e) => Some(encode_row(e, &keys, i)?),
                None => None,
            };
            let value =
                if self.upsert && kind == RowKind::Delete { None } else { Some(encode_row(&self.value, &values, i)?) };
            let timestamp = timestamps.as_ref().and_then(|t| {
                let t = t.as_any().downcast_ref::<Int64Array>().expect("cast to Int64");
                t.is_valid(i).then(|| t.value(i))
            });
            let headers = match self.headers_col {
                Some(h) => headers_at(c.rows.column(h), i)?,
                None => Vec::new(),
            };
            out.push(KafkaProducerRecord { key, value, timestamp, headers, ..Default::default() });
        }
        Ok(())
    }
}
