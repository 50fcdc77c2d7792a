//! The `avro` format, hand-written over Avro's specification (no Avro library: the binary
//! encoding is small, and going straight between Arrow columns and bytes avoids a value per
//! field in between).
//!
//! | file | what lives there |
//! |---|---|
//! | [`schema`] | the schema Flink derives from a table, Avro JSON, resolution of a file's schema |
//! | [`binary`] | the binary encoding of one record, from and to Arrow columns |
//! | [`container`] | object container files: header, blocks, codecs (`null`, `deflate`, `snappy`) |
//!
//! A Kafka message is one record in the binary encoding, without header (Flink's `avro`
//! format); a file is an object container file whose schema is read from its header and
//! matched to the table's columns by name.

pub(crate) mod binary;
pub(crate) mod confluent;
pub(crate) mod container;
pub(crate) mod schema;

pub use confluent::ConfluentOptions;
pub use container::AvroCodec;

use arrow::array::Array;
use arrow::datatypes::{Field, SchemaRef};
use arrow::record_batch::RecordBatch;

use schema::{AvroType, Record};

/// Options of the `avro` format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvroOptions {
    /// `avro.codec` ('snappy', Flink's default): how container files are compressed.
    pub codec: AvroCodec,
    /// `avro.timestamp_mapping.legacy` (true): TIMESTAMP as `timestamp-millis`, TIMESTAMP_LTZ
    /// refused; false: TIMESTAMP as `local-timestamp-*`, TIMESTAMP_LTZ as `timestamp-*`.
    pub legacy_timestamps: bool,
}

impl Default for AvroOptions {
    fn default() -> Self {
        AvroOptions { codec: AvroCodec::Snappy, legacy_timestamps: true }
    }
}

/// The record schema Flink derives for `schema`'s columns.
pub(crate) fn derived_record(schema: &SchemaRef, options: &AvroOptions) -> Result<Record, String> {
    let fields: Vec<&Field> = schema.fields().iter().map(|f| f.as_ref()).collect();
    match AvroType::for_columns(&fields, options.legacy_timestamps)? {
        AvroType::Record(r) => Ok(r),
        _ => unreachable!("columns make a record"),
    }
}

/// The derived schema of `schema`'s columns as Avro JSON (what Flink writes in a file header
/// and what a Kafka consumer of the topic needs).
///
/// ```
/// use std::sync::Arc;
/// use arrow::datatypes::{DataType, Field, Schema};
/// use weir_sql::format::{avro_schema_json, AvroOptions};
/// let schema = Arc::new(Schema::new(vec![Field::new("id", DataType::Int32, false)]));
/// assert_eq!(
///     avro_schema_json(&schema, &AvroOptions::default()).unwrap(),
///     r#"{"fields":[{"name":"id","type":"int"}],"name":"record","namespace":"org.apache.flink.avro.generated","type":"record"}"#
/// );
/// ```
pub fn avro_schema_json(schema: &SchemaRef, options: &AvroOptions) -> Result<String, crate::error::SqlError> {
    let record = derived_record(schema, options)
        .map_err(|e| crate::error::SqlError::unsupported(format!("format 'avro': {e}")))?;
    Ok(AvroType::Record(record).to_json().to_string())
}

/// Appends row `i` of `batch` as one record of `record` in the binary encoding.
pub(crate) fn write_row(record: &Record, batch: &RecordBatch, i: usize, out: &mut Vec<u8>) -> Result<(), String> {
    let columns: Vec<&dyn Array> = batch.columns().iter().map(|c| c.as_ref()).collect();
    binary::write_record(record, &columns, i, out)
}
