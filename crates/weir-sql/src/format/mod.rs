//! Row formats between bytes and Arrow batches, with Flink's options and rendering.
//!
//! * [`FormatOptions::from_options`] reads a table's `'format'` (`json`, `csv`, `raw`,
//!   `debezium-json`, `canal-json`, `maxwell-json`, `ogg-json`, `avro`, `parquet`) and its keys, with Flink's names and
//!   defaults, and Weir's bad-record policy (`scan.bad-records`, see [`BadRecordPolicy`]).
//! * [`RowDecoder`] appends records (one per line or message) to typed column builders and
//!   hands them over as a [`RecordBatch`] ([`RowDecoder::flush`]) or, with the kind of each row
//!   for the changelog formats, as [`Changes`] ([`RowDecoder::flush_changes`]); bad records fail
//!   with where they were and what they said, or are skipped and counted, or dead-lettered.
//!   Avro records come one per message ([`RowDecoder::decode_line`]); Avro container files
//!   and Parquet files whole ([`RowDecoder::decode_file`]).
//! * [`decode_files`] does the same in DataStream jobs over a
//!   [`FileSource`](weir_connectors::file_source::FileSource).
//! * [`BulkEncoder`] writes batches as Avro container files or Parquet files, part by part
//!   (a [`PartFormat`](weir_connectors::sink::PartFormat) for the file sink).
//! * [`RowEncoder`] writes batches as lines, as Flink's formats write them (JSON objects with an
//!   optional leading `"op"` for changelogs, CSV quoted as Jackson does, raw values, Debezium
//!   and Canal change events).
//! * [`print_row`] / [`render_value`] render values as Flink prints them (`+I[1, a, 2024-01-01
//!   00:00:00.190]`), with Java's number formatting ([`java_double`], [`java_float`]).
//!
//! Choices where Flink's formats leave room (see also the docs of each item):
//! * JSON timestamps are strict per `json.timestamp-format.standard`: 'SQL' reads only
//!   `yyyy-MM-dd HH:mm:ss[.f]`, 'ISO-8601' only `yyyy-MM-ddTHH:mm[:ss[.f]]`; TIMESTAMP_LTZ needs
//!   the trailing `Z` in both (Flink's own parsers behave so).
//! * Under ignore-parse-errors a value that does not fit its column becomes NULL (Flink's
//!   converters do this per field); a record that is not JSON / not CSV is skipped and counted.
//! * Blank lines (and `#` lines under `csv.allow-comments`) are skipped without counting.
//! * A NULL for a NOT NULL column is an error of the record.

pub mod avro;
mod bad_records;
mod builder;
mod bulk;
mod cdc;
mod csv;
mod json;
mod multiset;
pub mod parquet;
mod render;
mod stream;
mod text;
mod whole_file;

use arrow::array::{Array, AsArray, Int8Array};
use arrow::datatypes::{DataType, SchemaRef};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};

use crate::changelog::{kind_at, RowKind};
use crate::error::{ErrorKind, SqlError};
use crate::stream::Changes;

pub use avro::{avro_schema_json, AvroCodec, AvroOptions, ConfluentOptions};
use builder::{ColumnBuilder, Values};
pub use bulk::{BulkEncoder, BulkPart};
pub(crate) use multiset::entries_in as multiset_entries;
pub use multiset::{is_multiset, MULTISET_ELEMENT};
pub use parquet::ParquetOptions;
pub use render::{java_double, java_float, print_row, render_value, render_value_in};
pub use stream::{decode_files, FileRecord};

/// The formats Weir reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatKind {
    /// `'format' = 'json'`: one JSON object per line.
    Json,
    /// `'format' = 'csv'`: one CSV record per line.
    Csv,
    /// `'format' = 'raw'`: each line is the value of the single column.
    Raw,
    /// `'format' = 'debezium-json'`: Debezium change events (`+I`, `-U`/`+U`, `-D`).
    DebeziumJson,
    /// `'format' = 'canal-json'`: Canal change events (`+I`, `-U`/`+U`, `-D`).
    CanalJson,
    /// `'format' = 'maxwell-json'`: Maxwell change events (`+I`, `-U`/`+U`, `-D`).
    MaxwellJson,
    /// `'format' = 'ogg-json'`: Oracle GoldenGate change events (`+I`, `-U`/`+U`, `-D`).
    OggJson,
    /// `'format' = 'avro'`: one record per message in Avro's binary encoding, or Avro object
    /// container files; the schema is derived from the table's columns.
    Avro,
    /// `'format' = 'parquet'`: Parquet files (filesystem only).
    Parquet,
    /// `'format' = 'avro-confluent'`: Kafka messages in Confluent's wire format (magic byte,
    /// schema id, Avro binary record), the schemas kept in a schema registry.
    AvroConfluent,
}

impl FormatKind {
    /// The format's name in `'format' = '…'`.
    pub fn name(self) -> &'static str {
        match self {
            FormatKind::Json => "json",
            FormatKind::Csv => "csv",
            FormatKind::Raw => "raw",
            FormatKind::DebeziumJson => "debezium-json",
            FormatKind::CanalJson => "canal-json",
            FormatKind::MaxwellJson => "maxwell-json",
            FormatKind::OggJson => "ogg-json",
            FormatKind::Avro => "avro",
            FormatKind::Parquet => "parquet",
            FormatKind::AvroConfluent => "avro-confluent",
        }
    }

    /// Whether a file of the format is read whole, not line by line (Avro container files,
    /// Parquet), and written part by part as a bulk format.
    pub fn reads_whole_files(self) -> bool {
        matches!(self, FormatKind::Avro | FormatKind::Parquet)
    }

    /// Whether the format's schema says which columns may be NULL (Avro: a nullable column is
    /// a union with `null`, a NOT NULL one is not), so a decoder must be given the columns'
    /// declared nullability to read what a writer of the same table wrote.
    pub fn encodes_nullability(self) -> bool {
        matches!(self, FormatKind::Avro | FormatKind::AvroConfluent)
    }

    /// Whether records of the format are bytes rather than text.
    fn is_binary(self) -> bool {
        matches!(self, FormatKind::Avro | FormatKind::Parquet | FormatKind::AvroConfluent)
    }

    /// Whether records of the format are changelog rows (a source in it is updating).
    pub fn is_changelog(self) -> bool {
        matches!(self, FormatKind::DebeziumJson | FormatKind::CanalJson | FormatKind::MaxwellJson | FormatKind::OggJson)
    }
}

/// `json.timestamp-format.standard`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampStandard {
    /// 'SQL' (default): `2024-01-01 12:00:00.123`, TIMESTAMP_LTZ `2024-01-01 12:00:00.123Z`.
    Sql,
    /// 'ISO-8601': `2024-01-01T12:00:00.123`, TIMESTAMP_LTZ `2024-01-01T12:00:00.123Z`.
    Iso8601,
}

/// Options of the `json` format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonOptions {
    /// `json.ignore-parse-errors` (false): NULL for values that do not fit, skip unreadable lines.
    pub ignore_parse_errors: bool,
    /// `json.fail-on-missing-field` (false): a field absent from an object is an error.
    pub fail_on_missing_field: bool,
    /// `json.timestamp-format.standard` ('SQL').
    pub timestamp_standard: TimestampStandard,
    /// `json.encode.decimal-as-plain-number` (false): `100` rather than `1E+2`.
    pub decimal_as_plain_number: bool,
    /// `json.encode.ignore-null-fields` (false): leave NULL fields out of written objects.
    pub ignore_null_fields: bool,
    /// `json.map-null-key.mode` ('FAIL'); Arrow map keys are never NULL, so only checked.
    pub map_null_key_mode: String,
    /// `json.map-null-key.literal` ('null').
    pub map_null_key_literal: String,
}

impl Default for JsonOptions {
    fn default() -> Self {
        JsonOptions {
            ignore_parse_errors: false,
            fail_on_missing_field: false,
            timestamp_standard: TimestampStandard::Sql,
            decimal_as_plain_number: false,
            ignore_null_fields: false,
            map_null_key_mode: "FAIL".into(),
            map_null_key_literal: "null".into(),
        }
    }
}

/// Options of the `csv` format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvOptions {
    /// `csv.field-delimiter` (','), one ASCII character (`\t` and `\u0009` escapes accepted).
    pub field_delimiter: u8,
    /// `csv.quote-character` ('"').
    pub quote_character: u8,
    /// `csv.disable-quote-character` (false).
    pub disable_quote_character: bool,
    /// `csv.allow-comments` (false): skip lines starting with `#`.
    pub allow_comments: bool,
    /// `csv.ignore-parse-errors` (false): NULL for fields that do not fit, tolerate a wrong
    /// number of fields, skip unreadable lines.
    pub ignore_parse_errors: bool,
    /// `csv.array-element-delimiter` (';'): between the elements of ARRAY and ROW fields.
    pub array_element_delimiter: String,
    /// `csv.escape-character` (none).
    pub escape_character: Option<u8>,
    /// `csv.null-literal` (none): the text read and written as NULL.
    pub null_literal: Option<String>,
    /// `csv.write-bigdecimal-in-scientific-notation` (true): `1E+2` rather than `100`.
    pub write_bigdecimal_in_scientific_notation: bool,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            field_delimiter: b',',
            quote_character: b'"',
            disable_quote_character: false,
            allow_comments: false,
            ignore_parse_errors: false,
            array_element_delimiter: ";".into(),
            escape_character: None,
            null_literal: None,
            write_bigdecimal_in_scientific_notation: true,
        }
    }
}

/// Options of the `raw` format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawOptions {
    /// `raw.charset` ('UTF-8'; the only one supported).
    pub charset: String,
    /// `raw.endianness` ('big-endian'); only checked, as only STRING and BYTES columns are read.
    pub endianness: String,
}

impl Default for RawOptions {
    fn default() -> Self {
        RawOptions { charset: "UTF-8".into(), endianness: "big-endian".into() }
    }
}

/// Options of the changelog formats (`debezium-json.*`, `canal-json.*`, …); their JSON options
/// (`*.ignore-parse-errors`, `*.timestamp-format.standard`, …) are kept in [`JsonOptions`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CdcOptions {
    /// `debezium-json.schema-include` (false): messages wrap the change in `{"schema":…,"payload":…}`.
    pub schema_include: bool,
    /// `canal-json.database.include`: a regular expression the whole `database` must match.
    pub database_include: Option<String>,
    /// `canal-json.table.include`: a regular expression the whole `table` must match.
    pub table_include: Option<String>,
}

pub use bad_records::{BadRecordPolicy, BAD_RECORD_KEYS};

/// A format and its options, as given in a table's `WITH` clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatOptions {
    /// Which format.
    pub kind: FormatKind,
    /// `json.*` (used when `kind` is JSON).
    pub json: JsonOptions,
    /// `csv.*` (used when `kind` is CSV).
    pub csv: CsvOptions,
    /// `raw.*` (used when `kind` is raw).
    pub raw: RawOptions,
    /// `debezium-json.*` / `canal-json.*` beyond the JSON options.
    pub cdc: CdcOptions,
    /// `avro.*` (used when `kind` is Avro).
    pub avro: AvroOptions,
    /// `parquet.*` (used when `kind` is Parquet).
    pub parquet: ParquetOptions,
    /// `avro-confluent.*` (used when `kind` is AvroConfluent).
    pub confluent: ConfluentOptions,
    /// What a record that cannot be read does (Weir's `scan.bad-records`).
    pub bad_records: BadRecordPolicy,
}

const JSON_KEYS: &[&str] = &[
    "json.ignore-parse-errors",
    "json.fail-on-missing-field",
    "json.timestamp-format.standard",
    "json.encode.decimal-as-plain-number",
    "json.encode.ignore-null-fields",
    "json.map-null-key.mode",
    "json.map-null-key.literal",
    "json.decode.json-parser.enabled",
];

const CSV_KEYS: &[&str] = &[
    "csv.field-delimiter",
    "csv.quote-character",
    "csv.disable-quote-character",
    "csv.allow-comments",
    "csv.ignore-parse-errors",
    "csv.array-element-delimiter",
    "csv.escape-character",
    "csv.null-literal",
    "csv.write-bigdecimal-in-scientific-notation",
];

const RAW_KEYS: &[&str] = &["raw.charset", "raw.endianness"];

const AVRO_KEYS: &[&str] = &["avro.codec", "avro.timestamp_mapping.legacy"];

const DEBEZIUM_KEYS: &[&str] = &[
    "debezium-json.schema-include",
    "debezium-json.ignore-parse-errors",
    "debezium-json.timestamp-format.standard",
    "debezium-json.map-null-key.mode",
    "debezium-json.map-null-key.literal",
    "debezium-json.encode.decimal-as-plain-number",
    "debezium-json.encode.ignore-null-fields",
];

const CANAL_KEYS: &[&str] = &[
    "canal-json.ignore-parse-errors",
    "canal-json.timestamp-format.standard",
    "canal-json.map-null-key.mode",
    "canal-json.map-null-key.literal",
    "canal-json.encode.decimal-as-plain-number",
    "canal-json.encode.ignore-null-fields",
    "canal-json.database.include",
    "canal-json.table.include",
];

const MAXWELL_KEYS: &[&str] = &[
    "maxwell-json.ignore-parse-errors",
    "maxwell-json.timestamp-format.standard",
    "maxwell-json.map-null-key.mode",
    "maxwell-json.map-null-key.literal",
    "maxwell-json.encode.decimal-as-plain-number",
    "maxwell-json.encode.ignore-null-fields",
    "maxwell-json.database.include",
    "maxwell-json.table.include",
];

const OGG_KEYS: &[&str] = &[
    "ogg-json.ignore-parse-errors",
    "ogg-json.timestamp-format.standard",
    "ogg-json.map-null-key.mode",
    "ogg-json.map-null-key.literal",
    "ogg-json.encode.decimal-as-plain-number",
    "ogg-json.encode.ignore-null-fields",
];

/// The prefixes of format keys: a key with one of them belongs to a format, not to the connector.
const FORMAT_PREFIXES: [&str; 10] = [
    "json.",
    "csv.",
    "raw.",
    "debezium-json.",
    "canal-json.",
    "maxwell-json.",
    "ogg-json.",
    "avro.",
    "parquet.",
    "avro-confluent.",
];

/// Whether `key` is read by the formats (a format's own key, or Weir's `scan.bad-records*`),
/// so a connector's option check leaves it to [`FormatOptions::from_options`].
pub fn is_format_key(key: &str) -> bool {
    FORMAT_PREFIXES.iter().any(|p| key.starts_with(p)) || BAD_RECORD_KEYS.contains(&key)
}

impl FormatOptions {
    /// Options with every key at Flink's default.
    pub fn new(kind: FormatKind) -> Self {
        FormatOptions {
            kind,
            json: JsonOptions::default(),
            csv: CsvOptions::default(),
            raw: RawOptions::default(),
            cdc: CdcOptions::default(),
            avro: AvroOptions::default(),
            parquet: ParquetOptions::default(),
            confluent: ConfluentOptions::default(),
            bad_records: BadRecordPolicy::Fail,
        }
    }

    /// Reads `format` ('json', 'csv', 'raw', 'debezium-json', 'canal-json', 'avro' or 'parquet')
    /// and its keys from a
    /// table's options, with Weir's `scan.bad-records` policy (other keys, such as the
    /// connector's, are left alone; a format key the format does not know is an error naming
    /// the supported ones).
    pub fn from_options(format: &str, options: &[(String, String)]) -> Result<FormatOptions, SqlError> {
        let kind = match format {
            "json" => FormatKind::Json,
            "csv" => FormatKind::Csv,
            "raw" => FormatKind::Raw,
            "debezium-json" => FormatKind::DebeziumJson,
            "canal-json" => FormatKind::CanalJson,
            "maxwell-json" => FormatKind::MaxwellJson,
            "ogg-json" => FormatKind::OggJson,
            "avro" => FormatKind::Avro,
            "parquet" => FormatKind::Parquet,
            "avro-confluent" => FormatKind::AvroConfluent,
            other => {
                return Err(SqlError::option(format!(
                    "Unsupported format '{other}'; supported formats: 'json', 'csv', 'raw', 'debezium-json', \
                     'canal-json', 'maxwell-json', 'ogg-json', 'avro', 'parquet', 'avro-confluent'"
                )))
            }
        };
        let mut f = FormatOptions::new(kind);
        let supported = match kind {
            FormatKind::Json => JSON_KEYS,
            FormatKind::Csv => CSV_KEYS,
            FormatKind::Raw => RAW_KEYS,
            FormatKind::DebeziumJson => DEBEZIUM_KEYS,
            FormatKind::CanalJson => CANAL_KEYS,
            FormatKind::MaxwellJson => MAXWELL_KEYS,
            FormatKind::OggJson => OGG_KEYS,
            FormatKind::Avro => AVRO_KEYS,
            FormatKind::Parquet => parquet::PARQUET_KEYS,
            FormatKind::AvroConfluent => avro::confluent::CONFLUENT_KEYS,
        };
        f.bad_records = BadRecordPolicy::from_options(options)?;
        for (key, value) in options {
            if !FORMAT_PREFIXES.iter().any(|p| key.starts_with(p)) {
                continue;
            }
            if kind == FormatKind::AvroConfluent && key.starts_with("avro-confluent.") {
                f.confluent.set(key, value).map_err(SqlError::option)?;
                continue;
            }
            if !supported.contains(&key.as_str()) {
                return Err(SqlError::option(format!(
                    "Unsupported option '{key}' for format '{}'; supported: {}",
                    kind.name(),
                    supported.join(", ")
                )));
            }
            let b = || parse_bool(key, value);
            // The changelog formats take the JSON options under their own prefix.
            let json_key = match kind {
                FormatKind::DebeziumJson | FormatKind::CanalJson | FormatKind::MaxwellJson | FormatKind::OggJson => {
                    format!("json.{}", &key[kind.name().len() + 1..])
                }
                _ => key.clone(),
            };
            match json_key.as_str() {
                "json.schema-include" => f.cdc.schema_include = b()?,
                "json.database.include" | "json.table.include" => {
                    regex::Regex::new(&format!("^(?:{value})$")).map_err(|e| {
                        SqlError::option(format!("Option '{key}' is not a valid regular expression: {e}"))
                    })?;
                    if json_key == "json.database.include" {
                        f.cdc.database_include = Some(value.clone());
                    } else {
                        f.cdc.table_include = Some(value.clone());
                    }
                }
                "json.ignore-parse-errors" => f.json.ignore_parse_errors = b()?,
                "json.fail-on-missing-field" => f.json.fail_on_missing_field = b()?,
                "json.timestamp-format.standard" => {
                    f.json.timestamp_standard = match value.as_str() {
                        "SQL" => TimestampStandard::Sql,
                        "ISO-8601" => TimestampStandard::Iso8601,
                        _ => {
                            return Err(SqlError::option(format!(
                                "Unsupported value '{value}' for '{key}'; supported: 'SQL', 'ISO-8601'"
                            )))
                        }
                    }
                }
                "json.encode.decimal-as-plain-number" => f.json.decimal_as_plain_number = b()?,
                "json.encode.ignore-null-fields" => f.json.ignore_null_fields = b()?,
                "json.map-null-key.mode" => {
                    let v = value.to_ascii_uppercase();
                    if !["FAIL", "DROP", "LITERAL"].contains(&v.as_str()) {
                        return Err(SqlError::option(format!(
                            "Unsupported value '{value}' for '{key}'; supported: 'FAIL', 'DROP', 'LITERAL'"
                        )));
                    }
                    f.json.map_null_key_mode = v;
                }
                "json.map-null-key.literal" => f.json.map_null_key_literal = value.clone(),
                "json.decode.json-parser.enabled" => {
                    b()?;
                }
                "csv.field-delimiter" => f.csv.field_delimiter = one_char(key, value)?,
                "csv.quote-character" => f.csv.quote_character = one_char(key, value)?,
                "csv.disable-quote-character" => f.csv.disable_quote_character = b()?,
                "csv.allow-comments" => f.csv.allow_comments = b()?,
                "csv.ignore-parse-errors" => f.csv.ignore_parse_errors = b()?,
                "csv.array-element-delimiter" => {
                    if value.is_empty() {
                        return Err(SqlError::option(format!("Option '{key}' must not be empty")));
                    }
                    f.csv.array_element_delimiter = value.clone()
                }
                "csv.escape-character" => f.csv.escape_character = Some(one_char(key, value)?),
                "csv.null-literal" => f.csv.null_literal = Some(value.clone()),
                "csv.write-bigdecimal-in-scientific-notation" => f.csv.write_bigdecimal_in_scientific_notation = b()?,
                "avro.codec" => {
                    f.avro.codec = AvroCodec::from_name(value).ok_or_else(|| {
                        SqlError::option(format!(
                            "Unsupported value '{value}' for option 'avro.codec'; Weir supports 'null', 'deflate', \
                             'snappy'"
                        ))
                    })?
                }
                "avro.timestamp_mapping.legacy" => f.avro.legacy_timestamps = b()?,
                k if k.starts_with("parquet.") => f.parquet.set(key, value)?,
                "raw.charset" => {
                    let v = value.to_ascii_uppercase().replace('_', "-");
                    if v != "UTF-8" && v != "UTF8" {
                        return Err(SqlError::option(format!(
                            "Unsupported value '{value}' for '{key}'; Weir supports 'UTF-8'"
                        )));
                    }
                    f.raw.charset = "UTF-8".into();
                }
                "raw.endianness" => {
                    if value != "big-endian" && value != "little-endian" {
                        return Err(SqlError::option(format!(
                            "Unsupported value '{value}' for '{key}'; supported: 'big-endian', 'little-endian'"
                        )));
                    }
                    f.raw.endianness = value.clone();
                }
                _ => unreachable!("key checked against the supported list"),
            }
        }
        if kind == FormatKind::AvroConfluent && f.confluent.url.is_none() {
            return Err(SqlError::option("Format 'avro-confluent' needs the option 'avro-confluent.url'"));
        }
        if f.ignore_parse_errors() && f.bad_records != BadRecordPolicy::Fail {
            return Err(SqlError::option(format!(
                "'{}.ignore-parse-errors' = 'true' already skips bad records; leave it out to use 'scan.bad-records'",
                f.kind.name()
            )));
        }
        if f.json.ignore_parse_errors && f.json.fail_on_missing_field {
            return Err(SqlError::option(
                "'json.fail-on-missing-field' and 'json.ignore-parse-errors' shouldn't both be true",
            ));
        }
        if !f.csv.disable_quote_character && f.csv.quote_character == f.csv.field_delimiter {
            return Err(SqlError::option("'csv.quote-character' must differ from 'csv.field-delimiter'"));
        }
        Ok(f)
    }

    fn ignore_parse_errors(&self) -> bool {
        match self.kind {
            FormatKind::Json
            | FormatKind::DebeziumJson
            | FormatKind::CanalJson
            | FormatKind::MaxwellJson
            | FormatKind::OggJson => self.json.ignore_parse_errors,
            FormatKind::Csv => self.csv.ignore_parse_errors,
            FormatKind::Raw | FormatKind::Avro | FormatKind::Parquet | FormatKind::AvroConfluent => false,
        }
    }
}

fn parse_bool(key: &str, value: &str) -> Result<bool, SqlError> {
    if value.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if value.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(SqlError::option(format!("Option '{key}' must be 'true' or 'false', not '{value}'")))
    }
}

/// One ASCII character, given literally or as a Java escape (`\t`, `\u0009`).
fn one_char(key: &str, value: &str) -> Result<u8, SqlError> {
    let c = match value {
        "\\t" => Some('\t'),
        "\\n" => Some('\n'),
        "\\r" => Some('\r'),
        "\\\\" => Some('\\'),
        "\\'" => Some('\''),
        "\\\"" => Some('"'),
        v if v.len() == 6 && v.starts_with("\\u") => u32::from_str_radix(&v[2..], 16).ok().and_then(char::from_u32),
        v => {
            let mut it = v.chars();
            match (it.next(), it.next()) {
                (Some(c), None) => Some(c),
                _ => None,
            }
        }
    };
    match c {
        Some(c) if c.is_ascii() => Ok(c as u8),
        _ => Err(SqlError::option(format!("Option '{key}' must be a single ASCII character, not '{value}'"))),
    }
}

// ------------------------------------------------------------------------------------------ decoding

/// Reads records of one format into Arrow batches of one schema.
pub struct RowDecoder {
    schema: SchemaRef,
    options: FormatOptions,
    columns: Vec<ColumnBuilder>,
    names: Vec<String>,
    lookup: json::Lookup,
    seen: Vec<bool>,
    splitter: csv::Splitter,
    rows: usize,
    /// The kind of each gathered row (`RowKind as i8`).
    kinds: Vec<i8>,
    canal: cdc::CanalFilter,
    dead_letters: Option<bad_records::DeadLetters>,
    skipped: u64,
    /// The record schema derived from the columns (Avro).
    avro: Option<avro::schema::Record>,
    /// The writers' schemas by id, from the schema registry (`avro-confluent`).
    confluent: Option<avro::confluent::WriterSchemas>,
    /// Whole batches read from files (Parquet), ahead of the rows in the builders.
    ready: Vec<RecordBatch>,
    ready_rows: usize,
    /// Per column: not read (the query does not use it), NULL in every row. Empty: none.
    unread: Vec<bool>,
}

impl RowDecoder {
    /// A decoder of records (lines, messages) into rows of `schema` in the given format; fails
    /// when a column's type cannot be read by the format (raw: exactly one STRING or BYTES
    /// column) and for formats of whole files only (Parquet).
    pub fn new(schema: SchemaRef, options: FormatOptions) -> Result<RowDecoder, SqlError> {
        if options.kind == FormatKind::Parquet {
            return Err(SqlError::unsupported(
                "format 'parquet' reads whole files: it can be used with the filesystem connector only",
            ));
        }
        Self::for_files(schema, options)
    }

    /// A decoder of whole files ([`decode_file`](RowDecoder::decode_file)) for the formats that
    /// [read whole files](FormatKind::reads_whole_files), and of records for the others.
    pub fn for_files(schema: SchemaRef, options: FormatOptions) -> Result<RowDecoder, SqlError> {
        let columns = schema
            .fields()
            .iter()
            .map(|f| ColumnBuilder::new(f.name(), f.data_type(), f.is_nullable()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| SqlError::unsupported(format!("format '{}': {e}", options.kind.name())))?;
        if options.kind == FormatKind::Raw
            && (columns.len() != 1 || !matches!(columns[0].values, Values::Utf8 { .. } | Values::Binary { .. }))
        {
            return Err(SqlError::unsupported(
                "format 'raw' needs a table of exactly one STRING or BYTES column".to_string(),
            ));
        }
        if options.kind == FormatKind::Csv {
            for c in &columns {
                if matches!(c.values, Values::Map { .. }) {
                    return Err(SqlError::unsupported(format!("format 'csv' cannot read MAP column '{}'", c.name)));
                }
            }
        }
        let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        let name_refs: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
        let lookup = json::Lookup::new(&name_refs);
        let seen = vec![false; names.len()];
        let include = |p: &Option<String>| {
            p.as_ref().map(|p| regex::Regex::new(&format!("^(?:{p})$")).expect("checked by FormatOptions"))
        };
        let canal = cdc::CanalFilter {
            database: include(&options.cdc.database_include),
            table: include(&options.cdc.table_include),
        };
        let dead_letters = match &options.bad_records {
            BadRecordPolicy::DeadLetter(dir) => Some(bad_records::DeadLetters::new(dir)),
            _ => None,
        };
        let avro = match options.kind {
            FormatKind::Avro => Some(
                avro::derived_record(&schema, &options.avro)
                    .map_err(|e| SqlError::unsupported(format!("format 'avro': {e}")))?,
            ),
            _ => None,
        };
        let confluent = match options.kind {
            FormatKind::AvroConfluent => {
                // The writers' schemas come from the registry; deriving the table's own
                // refuses columns Avro cannot hold now, not at the first message.
                avro::derived_record(&schema, &options.avro)
                    .map_err(|e| SqlError::unsupported(format!("format 'avro-confluent': {e}")))?;
                Some(avro::confluent::WriterSchemas::new(options.confluent.registry().map_err(SqlError::option)?))
            }
            _ => None,
        };
        Ok(RowDecoder {
            schema,
            options,
            columns,
            names,
            lookup,
            seen,
            splitter: csv::Splitter::new(),
            rows: 0,
            kinds: Vec::new(),
            canal,
            dead_letters,
            skipped: 0,
            avro,
            confluent,
            ready: Vec::new(),
            ready_rows: 0,
            unread: Vec::new(),
        })
    }

    /// Leaves the columns not named in `read` unread (Flink's projection pushdown into a
    /// format): their values are skipped, not decoded, and the batches hold NULL for them.
    /// Only the `json` format (its fields skipped) and `parquet` (its column chunks not
    /// decoded) read fewer columns; the others read all. Only nullable columns are left out.
    /// Missing-field checks apply to the columns read.
    pub fn read_only(mut self, read: &std::collections::BTreeSet<String>) -> Self {
        if matches!(self.options.kind, FormatKind::Json | FormatKind::Parquet) {
            self.unread = self.schema.fields().iter().map(|f| f.is_nullable() && !read.contains(f.name())).collect();
            if !self.unread.contains(&true) {
                self.unread.clear();
            }
        }
        self
    }

    /// Appends the record of one line (without or with its line end). `origin` says where the
    /// line is (e.g. `file /d/x.jsonl, line 17`) and is only called for an error message.
    /// Blank lines add nothing.
    ///
    /// For `avro` the "line" is one message: a record in Avro's binary encoding, without
    /// header, the table's derived schema its writer's schema (nothing is stripped).
    pub fn decode_line(&mut self, line: &[u8], origin: &dyn Fn() -> String) -> Result<(), SqlError> {
        match self.options.kind {
            FormatKind::Avro => {
                let record = self.avro.as_ref().expect("an Avro decoder has its record schema");
                let mut r = avro::binary::Reader::new(line);
                let result =
                    avro::binary::read_record(&mut r, record, &mut self.columns).and_then(|()| match r.at_end() {
                        true => Ok(1),
                        false => Err(format!("{} bytes after the end of the record", line.len() - r.pos)),
                    });
                return self.settle(result, line, origin);
            }
            FormatKind::AvroConfluent => {
                let (id, body) = match avro::confluent::split(line) {
                    Ok(parts) => parts,
                    Err(e) => return self.settle(Err(e), line, origin),
                };
                let writers = self.confluent.as_mut().expect("an avro-confluent decoder has its registry");
                let record = match writers.get(id, &self.names, &self.schema) {
                    Ok(r) => r,
                    Err(avro::confluent::RegistryError::UnknownId(e)) => return self.settle(Err(e), line, origin),
                    Err(avro::confluent::RegistryError::Failed(e)) => {
                        return Err(SqlError::new(ErrorKind::Execution, format!("At {}: {e}", origin())))
                    }
                };
                let mut r = avro::binary::Reader::new(body);
                let result =
                    avro::binary::read_record(&mut r, record, &mut self.columns).and_then(|()| match r.at_end() {
                        true => Ok(1),
                        false => Err(format!(
                            "{} bytes after the end of the record (writer schema id {id})",
                            body.len() - r.pos
                        )),
                    });
                return self.settle(result, line, origin);
            }
            FormatKind::Parquet => {
                return Err(SqlError::unsupported("format 'parquet' reads whole files, not records"));
            }
            _ => {}
        }
        let line = strip_line_end(line);
        let text = match utf8(line) {
            Ok(t) => t,
            Err(e) if self.options.kind == FormatKind::Raw && self.columns.len() == 1 => {
                if matches!(self.columns[0].values, Values::Binary { .. }) {
                    ""
                } else {
                    return self.fail(line, format!("not valid UTF-8: {e}"), origin);
                }
            }
            Err(e) => return self.fail(line, format!("not valid UTF-8: {e}"), origin),
        };
        let result = match self.options.kind {
            FormatKind::Json => {
                if blank(text) {
                    return Ok(());
                }
                let ctx = json::Ctx {
                    dialect: match self.options.json.timestamp_standard {
                        TimestampStandard::Sql => text::Dialect::JsonSql,
                        TimestampStandard::Iso8601 => text::Dialect::JsonIso,
                    },
                    fail_on_missing: self.options.json.fail_on_missing_field,
                    ignore_errors: self.options.json.ignore_parse_errors,
                };
                // Unread columns count as seen: their fields are skipped.
                if self.unread.is_empty() {
                    self.seen.fill(false);
                } else {
                    self.seen.copy_from_slice(&self.unread);
                }
                json::read_record(text, &self.names, &self.lookup, &mut self.columns, &mut self.seen, &ctx)
                    .map(|()| 1)
                    .map_err(|f| match f {
                        json::Fail::Syntax(m) | json::Fail::Convert(m) => m,
                    })
            }
            FormatKind::DebeziumJson | FormatKind::CanalJson | FormatKind::MaxwellJson | FormatKind::OggJson => {
                if blank(text) {
                    return Ok(());
                }
                let ctx = json::Ctx {
                    dialect: match self.options.json.timestamp_standard {
                        TimestampStandard::Sql => text::Dialect::JsonSql,
                        TimestampStandard::Iso8601 => text::Dialect::JsonIso,
                    },
                    fail_on_missing: false,
                    ignore_errors: self.options.json.ignore_parse_errors,
                };
                let mut target = cdc::Target {
                    names: &self.names,
                    lookup: &self.lookup,
                    columns: &mut self.columns,
                    seen: &mut self.seen,
                    kinds: &mut self.kinds,
                    ctx: &ctx,
                };
                match self.options.kind {
                    FormatKind::DebeziumJson => cdc::read_debezium(text, self.options.cdc.schema_include, &mut target),
                    FormatKind::MaxwellJson => cdc::read_maxwell(text, &self.canal, &mut target),
                    FormatKind::OggJson => cdc::read_ogg(text, &mut target),
                    _ => cdc::read_canal(text, &self.canal, &mut target),
                }
            }
            FormatKind::Csv => {
                if blank(text) || (self.options.csv.allow_comments && text.starts_with('#')) {
                    return Ok(());
                }
                csv::read_record(text, &mut self.splitter, &mut self.columns, &self.options.csv).map(|()| 1)
            }
            FormatKind::Raw => {
                let col = &mut self.columns[0];
                match &mut col.values {
                    Values::Utf8 { offsets, data } | Values::Binary { offsets, data } => {
                        ColumnBuilder::push_str_value(offsets, data, line);
                    }
                    _ => unreachable!("checked at construction"),
                }
                col.mark_valid();
                Ok(1)
            }
            FormatKind::Avro | FormatKind::Parquet | FormatKind::AvroConfluent => unreachable!("read above"),
        };
        self.settle(result, line, origin)
    }

    /// Counts a decoded record, or handles a bad one as the policy says (its partial values
    /// removed first).
    fn settle(
        &mut self,
        result: Result<usize, String>,
        line: &[u8],
        origin: &dyn Fn() -> String,
    ) -> Result<(), SqlError> {
        match result {
            Ok(n) => {
                self.rows += n;
                // The changelog formats push their kinds; every other record is an insert.
                self.kinds.resize(self.rows, RowKind::Insert as i8);
                Ok(())
            }
            Err(msg) => {
                for c in &mut self.columns {
                    c.truncate(self.rows);
                }
                self.kinds.truncate(self.rows);
                if self.options.ignore_parse_errors() || self.options.bad_records == BadRecordPolicy::Skip {
                    self.skipped += 1;
                    Ok(())
                } else if let Some(dead) = &mut self.dead_letters {
                    self.skipped += 1;
                    dead.write(&origin(), &msg, line, self.options.kind.is_binary())
                } else {
                    self.fail(line, msg, origin)
                }
            }
        }
    }

    fn fail(&self, line: &[u8], msg: String, origin: &dyn Fn() -> String) -> Result<(), SqlError> {
        let record = if self.options.kind.is_binary() {
            bad_records::hex(&line[..line.len().min(100)])
        } else {
            String::from_utf8_lossy(line).into_owned()
        };
        let shown: String = if record.chars().count() > 200 {
            let mut s: String = record.chars().take(200).collect();
            s.push('…');
            s
        } else {
            record
        };
        let hint = match self.options.kind {
            FormatKind::Raw | FormatKind::Avro | FormatKind::Parquet | FormatKind::AvroConfluent => {
                " ('scan.bad-records' = 'skip' / 'dead-letter' skip such records)".to_string()
            }
            kind => format!(
                " ('{}.ignore-parse-errors' = 'true' or 'scan.bad-records' = 'skip' / 'dead-letter' skip such records)",
                kind.name()
            ),
        };
        Err(SqlError::new(
            ErrorKind::Execution,
            format!(
                "Failed to deserialize {} record at {}: {msg}{hint}\n  record: {shown}",
                self.options.kind.name().to_uppercase(),
                origin()
            ),
        ))
    }

    /// Number of records gathered and not yet flushed.
    pub fn len(&self) -> usize {
        self.rows + self.ready_rows
    }

    /// Whether no record is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The records gathered so far as one batch of the decoder's schema (`None` when there are
    /// none); the decoder starts over empty. A batch holding changes other than inserts (from
    /// `debezium-json`, `canal-json`) is an error: read those with [`RowDecoder::flush_changes`].
    pub fn flush(&mut self) -> Result<Option<RecordBatch>, SqlError> {
        if self.kinds.iter().any(|k| *k != RowKind::Insert as i8) {
            return Err(SqlError::new(
                ErrorKind::Execution,
                format!(
                    "format '{}' decoded updates and deletes, which RowDecoder::flush would lose; use flush_changes",
                    self.options.kind.name()
                ),
            ));
        }
        Ok(self.flush_changes()?.map(|c| c.rows))
    }

    /// The records gathered so far as changelog rows (`None` when there are none); the decoder
    /// starts over empty.
    pub fn flush_changes(&mut self) -> Result<Option<Changes>, SqlError> {
        if self.is_empty() {
            return Ok(None);
        }
        let error = |e: arrow::error::ArrowError| {
            SqlError::new(ErrorKind::Execution, format!("cannot build a batch of decoded rows: {e}"))
        };
        let mut kinds = vec![RowKind::Insert; self.ready_rows];
        kinds.extend(self.kinds.drain(..).map(RowKind::from_code));
        let mut batches = std::mem::take(&mut self.ready);
        self.ready_rows = 0;
        if self.rows > 0 {
            let rows = self.rows;
            let unread = &self.unread;
            let arrays: Vec<_> = (self.columns.iter_mut().enumerate())
                .map(|(i, c)| match unread.get(i) {
                    Some(true) => arrow::array::new_null_array(self.schema.field(i).data_type(), rows),
                    _ => c.finish(),
                })
                .collect();
            let options = RecordBatchOptions::new().with_row_count(Some(self.rows));
            self.rows = 0;
            batches.push(RecordBatch::try_new_with_options(self.schema.clone(), arrays, &options).map_err(error)?);
        }
        let rows = match batches.len() {
            1 => batches.pop().expect("one batch"),
            _ => arrow::compute::concat_batches(&self.schema, &batches).map_err(error)?,
        };
        Ok(Some(Changes::with_kinds(rows, kinds)))
    }

    /// Number of records skipped (under ignore-parse-errors or `scan.bad-records` 'skip' /
    /// 'dead-letter') since the decoder was made.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// The schema of the batches.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }
}

/// `line` as text: an all-ASCII line (most are) by a check of whole words, others by
/// [`std::str::from_utf8`], whose error says where the bad byte is.
fn utf8(line: &[u8]) -> Result<&str, std::str::Utf8Error> {
    if all_ascii(line) {
        // SAFETY: ASCII bytes are valid UTF-8.
        return Ok(unsafe { std::str::from_utf8_unchecked(line) });
    }
    std::str::from_utf8(line)
}

/// Whether every byte is below 0x80: sixteen bytes a step, no early exit (lines are short,
/// and most are all ASCII), half the instructions of `<[u8]>::is_ascii` on Nexmark's lines.
fn all_ascii(b: &[u8]) -> bool {
    let mut chunks = b.chunks_exact(16);
    let mut high = 0u64;
    for c in &mut chunks {
        let (x, y) = c.split_at(8);
        high |= u64::from_le_bytes(x.try_into().expect("eight bytes"))
            | u64::from_le_bytes(y.try_into().expect("eight bytes"));
    }
    high & 0x8080_8080_8080_8080 == 0 && chunks.remainder().iter().all(|&c| c < 0x80)
}

/// Whether the line is only white space (Unicode's, as `str::trim`); a line starting with a
/// visible ASCII character (nearly all) is decided by that byte alone.
fn blank(text: &str) -> bool {
    match text.as_bytes().first() {
        Some(&c) if c > b' ' && c < 0x80 => false,
        _ => text.trim().is_empty(),
    }
}

fn strip_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

// ------------------------------------------------------------------------------------------ encoding

/// Writes batches as lines of one format, or (Avro) as records in Avro's binary encoding,
/// one after another (a Kafka sink writes one row per message).
pub struct RowEncoder {
    schema: SchemaRef,
    options: FormatOptions,
    /// Field names, already as JSON strings followed by ':'.
    json_keys: Vec<Vec<u8>>,
    /// The record schema derived from the columns (Avro).
    avro: Option<avro::schema::Record>,
    /// `avro-confluent`: the schema registry, and the id of the derived schema once it is
    /// registered (at the first row written).
    confluent: Option<(avro::confluent::Registry, Option<u32>)>,
}

impl RowEncoder {
    /// An encoder for batches of `schema`.
    pub fn new(schema: SchemaRef, options: FormatOptions) -> Result<RowEncoder, SqlError> {
        if options.kind == FormatKind::Parquet {
            return Err(SqlError::unsupported(
                "format 'parquet' writes whole files: it can be used with the filesystem connector only",
            ));
        }
        let avro = match options.kind {
            FormatKind::Avro | FormatKind::AvroConfluent => Some(
                avro::derived_record(&schema, &options.avro)
                    .map_err(|e| SqlError::unsupported(format!("format '{}': {e}", options.kind.name())))?,
            ),
            _ => None,
        };
        let confluent = match options.kind {
            FormatKind::AvroConfluent => Some((options.confluent.registry().map_err(SqlError::option)?, None)),
            _ => None,
        };
        if options.kind == FormatKind::Raw
            && (schema.fields().len() != 1
                || !matches!(
                    schema.field(0).data_type(),
                    DataType::Utf8
                        | DataType::LargeUtf8
                        | DataType::Utf8View
                        | DataType::Binary
                        | DataType::LargeBinary
                ))
        {
            return Err(SqlError::unsupported("format 'raw' needs a table of exactly one STRING or BYTES column"));
        }
        let json_keys = schema
            .fields()
            .iter()
            .map(|f| {
                let mut k = Vec::new();
                json::write_json_string(f.name(), &mut k);
                k.push(b':');
                k
            })
            .collect();
        Ok(RowEncoder { schema, options, json_keys, avro, confluent })
    }

    /// `avro-confluent`: the registry's id of the derived schema, registered under the
    /// subject the first time.
    fn schema_id(&mut self) -> Result<u32, SqlError> {
        let (registry, id) = self.confluent.as_mut().expect("an avro-confluent encoder has its registry");
        if let Some(id) = id {
            return Ok(*id);
        }
        let subject = self.options.confluent.subject.as_deref().ok_or_else(|| {
            SqlError::option(
                "Format 'avro-confluent' needs the option 'avro-confluent.subject' to write (the Kafka connector \
                 defaults it to '<topic>-value' / '<topic>-key' when the table has one topic)",
            )
        })?;
        let record = self.avro.as_ref().expect("an Avro encoder has its record schema");
        let json = avro::schema::AvroType::Record(record.clone()).to_json().to_string();
        let got = registry.register(subject, &json).map_err(|e| SqlError::new(ErrorKind::Execution, e))?;
        *id = Some(got);
        Ok(got)
    }

    /// Whether each row is written as a line with its line end (false for Avro's binary
    /// records).
    pub fn writes_lines(&self) -> bool {
        !self.options.kind.is_binary()
    }

    /// The schema of the batches.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Row `i` as a JSON object, `"op"` first when given.
    fn json_object(
        &self,
        w: &mut json::JsonWriter<'_>,
        cols: &[render::Col<'_>],
        i: usize,
        op: Option<RowKind>,
        out: &mut Vec<u8>,
    ) {
        out.push(b'{');
        let mut first = true;
        if let Some(op) = op {
            out.extend_from_slice(b"\"op\":\"");
            out.extend_from_slice(op.short_string().as_bytes());
            out.push(b'"');
            first = false;
        }
        for (c, key) in cols.iter().zip(&self.json_keys) {
            if self.options.json.ignore_null_fields && c.is_null(i) {
                continue;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(key);
            w.value(c, i, out);
        }
        out.push(b'}');
    }

    /// Appends one newline-terminated line per row of `batch`. With `kinds` (an updating
    /// result) JSON objects start with `"op":"+I"` (`-U`, `+U`, `-D`); CSV and raw have no place
    /// for the kind and write the row as it is. `debezium-json` and `canal-json` write each row
    /// as a change event: inserts and update-afters as creates / `INSERT`, update-befores and
    /// deletes as deletes / `DELETE`, as Flink writes them. `avro` writes each row as a record
    /// in Avro's binary encoding, with no line end (and no kind).
    pub fn encode(
        &mut self,
        batch: &RecordBatch,
        kinds: Option<&Int8Array>,
        out: &mut Vec<u8>,
    ) -> Result<(), SqlError> {
        if batch.num_columns() != self.schema.fields().len() {
            return Err(SqlError::new(
                ErrorKind::Execution,
                format!("batch has {} columns, the table {}", batch.num_columns(), self.schema.fields().len()),
            ));
        }
        let cols: Vec<render::Col<'_>> = batch.columns().iter().map(|c| render::Col::new(c.as_ref())).collect();
        let rows = batch.num_rows();
        match self.options.kind {
            FormatKind::Json => {
                let mut w = json::JsonWriter { opts: &self.options.json, scratch: String::new() };
                for i in 0..rows {
                    let op = kinds.map(|_| kind_at(kinds, i));
                    self.json_object(&mut w, &cols, i, op, out);
                    out.push(b'\n');
                }
            }
            FormatKind::DebeziumJson | FormatKind::CanalJson | FormatKind::MaxwellJson | FormatKind::OggJson => {
                let mut w = json::JsonWriter { opts: &self.options.json, scratch: String::new() };
                for i in 0..rows {
                    let kind = kind_at(kinds, i);
                    let (open, close) = match self.options.kind {
                        FormatKind::DebeziumJson => cdc::debezium_envelope(kind),
                        FormatKind::MaxwellJson => cdc::maxwell_envelope(kind),
                        FormatKind::OggJson => cdc::ogg_envelope(kind),
                        _ => cdc::canal_envelope(kind),
                    };
                    out.extend_from_slice(open.as_bytes());
                    self.json_object(&mut w, &cols, i, None, out);
                    out.extend_from_slice(close.as_bytes());
                }
            }
            FormatKind::Csv => {
                let mut w = csv::CsvWriter::new(&self.options.csv);
                for i in 0..rows {
                    w.row(&cols, i, out);
                }
            }
            FormatKind::Avro => {
                let record = self.avro.as_ref().expect("an Avro encoder has its record schema");
                for i in 0..rows {
                    avro::write_row(record, batch, i, out).map_err(|e| {
                        SqlError::new(ErrorKind::Execution, format!("cannot write a row in format 'avro': {e}"))
                    })?;
                }
            }
            FormatKind::AvroConfluent => {
                let id = self.schema_id()?;
                let record = self.avro.as_ref().expect("an Avro encoder has its record schema");
                for i in 0..rows {
                    avro::confluent::write_header(id, out);
                    avro::write_row(record, batch, i, out).map_err(|e| {
                        SqlError::new(
                            ErrorKind::Execution,
                            format!("cannot write a row in format 'avro-confluent': {e}"),
                        )
                    })?;
                }
            }
            FormatKind::Parquet => unreachable!("refused by RowEncoder::new"),
            FormatKind::Raw => {
                let a = batch.column(0);
                for i in 0..rows {
                    if a.is_null(i) {
                        // Flink's raw format writes nothing for NULL
                        continue;
                    }
                    match a.data_type() {
                        DataType::Utf8 => out.extend_from_slice(a.as_string::<i32>().value(i).as_bytes()),
                        DataType::LargeUtf8 => out.extend_from_slice(a.as_string::<i64>().value(i).as_bytes()),
                        DataType::Utf8View => out.extend_from_slice(a.as_string_view().value(i).as_bytes()),
                        DataType::Binary => out.extend_from_slice(a.as_binary::<i32>().value(i)),
                        DataType::LargeBinary => out.extend_from_slice(a.as_binary::<i64>().value(i)),
                        _ => {}
                    }
                    out.push(b'\n');
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_text_exactly_when_std_says_so() {
        // all lengths around the 16-byte steps, a non-ASCII byte at every place
        for len in 0..40 {
            let plain = vec![b'x'; len];
            assert_eq!(utf8(&plain).map(str::len), Ok(len));
            for at in 0..len {
                for bad in [0x80u8, 0xC3, 0xFF] {
                    let mut b = plain.clone();
                    b[at] = bad;
                    assert!(!all_ascii(&b), "{b:?}");
                    assert_eq!(utf8(&b), std::str::from_utf8(&b), "{b:?}");
                }
            }
        }
        let text = "0123456789abcdef été 😀 0123456789";
        assert_eq!(utf8(text.as_bytes()), Ok(text));
        let cut = &text.as_bytes()[..24];
        assert_eq!(utf8(cut).unwrap_err().valid_up_to(), 23);
    }

    #[test]
    fn blank_lines_are_those_trim_empties() {
        for text in [
            "",
            " ",
            "\t \u{b}\u{c}",
            "\u{a0}",
            "\u{2003}\u{3000}",
            "\u{85}",
            " {}",
            "{",
            "x",
            "\u{1f}",
            "é",
            " \u{a0}x",
        ] {
            assert_eq!(blank(text), text.trim().is_empty(), "{text:?}");
        }
    }
}
