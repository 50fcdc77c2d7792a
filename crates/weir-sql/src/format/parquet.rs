//! The `parquet` format (files only): reading every row group of a file into batches of the
//! table's columns (matched by name, cast to the table's types; only the columns a query
//! reads are decoded), and the options Flink passes
//! to Parquet's writer (`parquet.compression`, `parquet.block.size`, …).

use std::sync::Arc;

use arrow::array::{new_null_array, ArrayRef, RecordBatch, RecordBatchOptions};
use arrow::datatypes::SchemaRef;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::basic::{Compression, GzipLevel, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::error::SqlError;

/// Options of the `parquet` format (Flink passes `parquet.*` keys to Parquet's writer; Weir
/// reads these).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParquetOptions {
    /// `parquet.compression` ('SNAPPY'): UNCOMPRESSED, SNAPPY, GZIP, ZSTD, LZ4_RAW.
    pub compression: String,
    /// `parquet.block.size`: the row group size in bytes (Parquet's default otherwise).
    pub block_size: Option<usize>,
    /// `parquet.page.size`: the data page size in bytes.
    pub page_size: Option<usize>,
    /// `parquet.dictionary.page.size`: the dictionary page size in bytes.
    pub dictionary_page_size: Option<usize>,
    /// `parquet.enable.dictionary` (true).
    pub enable_dictionary: bool,
}

impl Default for ParquetOptions {
    fn default() -> Self {
        ParquetOptions {
            compression: "SNAPPY".into(),
            block_size: None,
            page_size: None,
            dictionary_page_size: None,
            enable_dictionary: true,
        }
    }
}

/// The codecs `parquet.compression` takes.
pub(crate) const COMPRESSIONS: [&str; 5] = ["UNCOMPRESSED", "SNAPPY", "GZIP", "ZSTD", "LZ4_RAW"];

/// The keys of the `parquet` format.
pub(crate) const PARQUET_KEYS: &[&str] = &[
    "parquet.compression",
    "parquet.block.size",
    "parquet.page.size",
    "parquet.dictionary.page.size",
    "parquet.enable.dictionary",
];

impl ParquetOptions {
    /// Sets one `parquet.*` key (checked against [`PARQUET_KEYS`] by the caller).
    pub(crate) fn set(&mut self, key: &str, value: &str) -> Result<(), SqlError> {
        let size = || {
            value.trim().parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| {
                SqlError::option(format!("Option '{key}' must be a positive number of bytes, not '{value}'"))
            })
        };
        match key {
            "parquet.compression" => {
                let v = value.to_ascii_uppercase();
                if !COMPRESSIONS.contains(&v.as_str()) {
                    return Err(SqlError::option(format!(
                        "Unsupported value '{value}' for option 'parquet.compression'; Weir supports {}",
                        COMPRESSIONS.join(", ")
                    )));
                }
                self.compression = v;
            }
            "parquet.block.size" => self.block_size = Some(size()?),
            "parquet.page.size" => self.page_size = Some(size()?),
            "parquet.dictionary.page.size" => self.dictionary_page_size = Some(size()?),
            "parquet.enable.dictionary" => self.enable_dictionary = super::parse_bool(key, value)?,
            _ => unreachable!("key checked against PARQUET_KEYS"),
        }
        Ok(())
    }

    fn properties(&self) -> WriterProperties {
        let compression = match self.compression.as_str() {
            "UNCOMPRESSED" => Compression::UNCOMPRESSED,
            "GZIP" => Compression::GZIP(GzipLevel::default()),
            "ZSTD" => Compression::ZSTD(ZstdLevel::default()),
            "LZ4_RAW" => Compression::LZ4_RAW,
            _ => Compression::SNAPPY,
        };
        let mut b = WriterProperties::builder()
            .set_compression(compression)
            .set_dictionary_enabled(self.enable_dictionary)
            .set_created_by("Weir".into());
        if let Some(n) = self.block_size {
            b = b.set_max_row_group_bytes(Some(n));
        }
        if let Some(n) = self.page_size {
            b = b.set_data_page_size_limit(n);
        }
        if let Some(n) = self.dictionary_page_size {
            b = b.set_dictionary_page_size_limit(n);
        }
        b.build()
    }
}

/// A Parquet file being written into a byte buffer that the caller drains.
pub(crate) struct ParquetPart {
    writer: ArrowWriter<Vec<u8>>,
}

impl ParquetPart {
    pub(crate) fn new(schema: SchemaRef, options: &ParquetOptions) -> Result<ParquetPart, String> {
        let writer = ArrowWriter::try_new(Vec::new(), schema, Some(options.properties())).map_err(|e| e.to_string())?;
        Ok(ParquetPart { writer })
    }

    /// Adds `batch`; appends to `out` what the writer has put out (whole row groups).
    pub(crate) fn write(&mut self, batch: &RecordBatch, out: &mut Vec<u8>) -> Result<(), String> {
        self.writer.write(batch).map_err(|e| e.to_string())?;
        out.append(self.writer.inner_mut());
        Ok(())
    }

    /// Writes the last row group and the footer.
    pub(crate) fn finish(self, out: &mut Vec<u8>) -> Result<(), String> {
        let mut rest = self.writer.into_inner().map_err(|e| e.to_string())?;
        out.append(&mut rest);
        Ok(())
    }
}

/// Every row of the Parquet file `bytes`, as batches of `schema`: columns found by name and
/// cast to the table's types; a column the file lacks is NULL (an error when NOT NULL).
///
/// Only the file's columns that a column of `schema` reads are decoded (a Parquet projection):
/// `unread` marks, per column of `schema`, those the query does not use (empty: all are read),
/// which come out NULL; the file's columns that no column names are not decoded either.
pub(crate) fn read_file(bytes: Vec<u8>, schema: &SchemaRef, unread: &[bool]) -> Result<Vec<RecordBatch>, String> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes)).map_err(|e| e.to_string())?;
    // The file's top-level Arrow fields are its Parquet root columns, in order.
    let file_schema = builder.schema().clone();
    let is_read = |i: usize| !unread.get(i).copied().unwrap_or(false);
    let roots = (schema.fields().iter().enumerate())
        .filter(|&(i, _)| is_read(i))
        .filter_map(|(_, field)| file_schema.index_of(field.name()).ok());
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    let reader = builder.with_projection(mask).build().map_err(|e| e.to_string())?;
    let mut batches = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| e.to_string())?;
        let batch_schema = batch.schema();
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
        for (i, field) in schema.fields().iter().enumerate() {
            if !is_read(i) {
                columns.push(new_null_array(field.data_type(), batch.num_rows()));
                continue;
            }
            let column = match batch_schema.index_of(field.name()) {
                Ok(i) => {
                    let c = batch.column(i);
                    if c.data_type() == field.data_type() {
                        c.clone()
                    } else {
                        arrow::compute::cast(c, field.data_type()).map_err(|e| {
                            format!(
                                "column '{}' of type {} cannot be read as {}: {e}",
                                field.name(),
                                c.data_type(),
                                field.data_type()
                            )
                        })?
                    }
                }
                Err(_) if field.is_nullable() => new_null_array(field.data_type(), batch.num_rows()),
                Err(_) => return Err(format!("the file has no column '{}', which is NOT NULL", field.name())),
            };
            if !field.is_nullable() && column.null_count() > 0 {
                return Err(format!("null value for NOT NULL column '{}'", field.name()));
            }
            columns.push(column);
        }
        let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
        let rows =
            RecordBatch::try_new_with_options(Arc::clone(schema), columns, &options).map_err(|e| e.to_string())?;
        batches.push(rows);
    }
    Ok(batches)
}
