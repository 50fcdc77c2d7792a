//! [`BulkEncoder`]: batches into Avro object container files or Parquet files, one file per
//! part of a [`FileSink`](weir_connectors::sink::FileSink) — a header when the part opens,
//! blocks or row groups as rows come, the rest and the footer when the part rolls.

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use weir_connectors::sink::PartFormat;
use weir_runtime::BoxError;

use super::avro::container::ContainerWriter;
use super::avro::schema::{AvroType, Record};
use super::parquet::ParquetPart;
use super::{FormatKind, FormatOptions};
use crate::error::SqlError;

/// Writes batches of one schema as files of a bulk format (`avro`, `parquet`).
///
/// ```
/// use std::sync::Arc;
/// use arrow::array::{Int32Array, RecordBatch};
/// use arrow::datatypes::{DataType, Field, Schema};
/// use weir_connectors::sink::PartFormat;
/// use weir_sql::format::{BulkEncoder, FormatKind, FormatOptions, RowDecoder};
/// let schema = Arc::new(Schema::new(vec![Field::new("id", DataType::Int32, true)]));
/// let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(Int32Array::from(vec![Some(1), None]))]).unwrap();
/// let encoder = BulkEncoder::new(schema.clone(), FormatOptions::new(FormatKind::Parquet)).unwrap();
/// let mut file = Vec::new();
/// let mut part = encoder.open(&mut file).unwrap();
/// encoder.write(&mut part, &batch, &mut file).unwrap();
/// encoder.finish(part, &mut file).unwrap();
/// let mut decoder = RowDecoder::for_files(schema, FormatOptions::new(FormatKind::Parquet)).unwrap();
/// decoder.decode_file(file, &|| "file x.parquet".into()).unwrap();
/// assert_eq!(decoder.flush().unwrap().unwrap(), batch);
/// ```
#[derive(Debug, Clone)]
pub struct BulkEncoder {
    schema: SchemaRef,
    options: FormatOptions,
    /// Avro: the record schema and its JSON.
    avro: Option<(Record, String)>,
}

/// One part file being written (what a [`BulkEncoder`] keeps between batches).
pub struct BulkPart(Part);

enum Part {
    /// An Avro container file: the open block.
    Avro(ContainerWriter),
    /// A Parquet file: the open row group.
    Parquet(Box<ParquetPart>),
}

impl std::fmt::Debug for BulkPart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.0 {
            Part::Avro(_) => "BulkPart(Avro)",
            Part::Parquet(_) => "BulkPart(Parquet)",
        })
    }
}

impl BulkEncoder {
    /// An encoder of `schema`'s batches in `options`' format; fails for formats that are not
    /// bulk formats and for columns the format cannot hold.
    pub fn new(schema: SchemaRef, options: FormatOptions) -> Result<BulkEncoder, SqlError> {
        let avro = match options.kind {
            FormatKind::Avro => {
                let record = super::avro::derived_record(&schema, &options.avro)
                    .map_err(|e| SqlError::unsupported(format!("format 'avro': {e}")))?;
                let json = AvroType::Record(record.clone()).to_json().to_string();
                Some((record, json))
            }
            FormatKind::Parquet => {
                ParquetPart::new(schema.clone(), &options.parquet)
                    .map_err(|e| SqlError::unsupported(format!("format 'parquet': {e}")))?;
                None
            }
            other => {
                return Err(SqlError::unsupported(format!("format '{}' is not a bulk format", other.name())));
            }
        };
        Ok(BulkEncoder { schema, options, avro })
    }

    /// The schema of the batches.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn error(&self, e: String) -> BoxError {
        format!("format '{}': {e}", self.options.kind.name()).into()
    }
}

impl PartFormat<RecordBatch> for BulkEncoder {
    type Part = BulkPart;

    fn open(&self, out: &mut Vec<u8>) -> Result<BulkPart, BoxError> {
        Ok(BulkPart(match &self.avro {
            Some((_, json)) => Part::Avro(ContainerWriter::header(json, self.options.avro.codec, out)),
            None => Part::Parquet(Box::new(
                ParquetPart::new(self.schema.clone(), &self.options.parquet).map_err(|e| self.error(e))?,
            )),
        }))
    }

    fn write(&self, part: &mut BulkPart, batch: &RecordBatch, out: &mut Vec<u8>) -> Result<(), BoxError> {
        match &mut part.0 {
            Part::Avro(w) => {
                let (record, _) = self.avro.as_ref().expect("an Avro part has a record schema");
                for i in 0..batch.num_rows() {
                    super::avro::write_row(record, batch, i, &mut w.block).map_err(|e| self.error(e))?;
                    w.record_done(out).map_err(|e| self.error(e))?;
                }
            }
            Part::Parquet(p) => p.write(batch, out).map_err(|e| self.error(e))?,
        }
        Ok(())
    }

    fn finish(&self, part: BulkPart, out: &mut Vec<u8>) -> Result<(), BoxError> {
        match part.0 {
            Part::Avro(w) => w.finish(out),
            Part::Parquet(p) => p.finish(out),
        }
        .map_err(|e| self.error(e))
    }

    fn format_name(&self) -> &'static str {
        match self.options.kind {
            FormatKind::Avro => "Avro",
            _ => "Parquet",
        }
    }

    fn default_suffix(&self) -> &'static str {
        match self.options.kind {
            FormatKind::Avro => ".avro",
            _ => ".parquet",
        }
    }
}
