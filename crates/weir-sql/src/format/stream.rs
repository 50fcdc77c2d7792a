//! Formats in DataStream jobs: [`decode_files`] turns the lines of a
//! [`FileSource`](weir_connectors::file_source::FileSource) (or its whole files, for Avro and
//! Parquet; or its chunks of lines, [`FileSource::chunked`](weir_connectors::file_source::FileSource::chunked),
//! which spare a copy of every line) into batches of rows, with the same options, errors and bad-record policy as a
//! SQL table in that format. Writing: [`BulkEncoder`](super::BulkEncoder) with
//! [`FileSink::for_bulk_format`](weir_connectors::sink::FileSink::for_bulk_format).

use std::marker::PhantomData;

use arrow::datatypes::SchemaRef;
use weir::DataStream;
use weir_connectors::file_chunk::FileChunk;
use weir_connectors::file_source::FileLine;
use weir_core::StreamRecord;
use weir_runtime::{BoxError, Emitter, Operator};

use super::{FormatOptions, RowDecoder};
use crate::error::SqlError;
use crate::stream::Changes;

/// A record of a file source that [`decode_files`] reads: a line or a whole file
/// ([`FileLine`]), or consecutive lines of one file ([`FileChunk`]).
pub trait FileRecord: weir::Data {
    /// Decodes the record's lines (or whole file) into `decoder`; errors name file and line.
    ///
    /// # Errors
    /// A bad record the decoder's policy does not skip.
    fn decode_into(self, decoder: &mut RowDecoder) -> Result<(), SqlError>;
}

impl FileRecord for FileLine {
    fn decode_into(self, decoder: &mut RowDecoder) -> Result<(), SqlError> {
        if self.line == 0 {
            let path = self.path.clone();
            return decoder.decode_file(self.bytes, &|| format!("file {}", path.display()));
        }
        decoder.decode_line(&self.bytes, &|| format!("file {}, line {}", self.path.display(), self.line))
    }
}

impl FileRecord for FileChunk {
    fn decode_into(self, decoder: &mut RowDecoder) -> Result<(), SqlError> {
        let path = self.path().clone();
        if self.is_whole_file() {
            return decoder.decode_file(self.into_bytes(), &|| format!("file {}", path.display()));
        }
        for (number, line) in self.lines() {
            decoder.decode_line(line, &|| format!("file {}, line {number}", path.display()))?;
        }
        Ok(())
    }
}

/// The rows of `lines` in `options`' format, as batches of `schema` (with row kinds for the
/// changelog formats); a bad record fails the job naming file and line, or is skipped or
/// dead-lettered as `options.bad_records` says. For the formats of whole files (`avro`,
/// `parquet`) the source must hand out whole files
/// ([`FileSource::whole_files`](weir_connectors::file_source::FileSource::whole_files)).
/// Lines come one per record ([`FileLine`]) or, faster, many per record ([`FileChunk`], from
/// [`FileSource::chunked`](weir_connectors::file_source::FileSource::chunked)).
///
/// ```
/// use std::sync::Arc;
/// use arrow::datatypes::{DataType, Field, Schema};
/// use weir::prelude::*;
/// use weir_connectors::file_source::FileSource;
/// use weir_sql::format::{decode_files, FormatKind, FormatOptions};
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("a.csv"), "1,x\n2,y\n").unwrap();
/// let env = StreamExecutionEnvironment::new();
/// let schema = Arc::new(Schema::new(vec![Field::new("id", DataType::Int32, true), Field::new("v", DataType::Utf8, true)]));
/// let lines = env.from_source(FileSource::new(dir.path()), WatermarkStrategy::no_watermarks(), "files");
/// let rows = decode_files(&lines, schema, FormatOptions::new(FormatKind::Csv));
/// let sink = weir_connectors::sink::CollectSink::new();
/// let handle = sink.handle();
/// rows.map(|c| c.len()).sink_to(sink, "count");
/// env.execute("decode").unwrap();
/// assert_eq!(handle.take().iter().sum::<usize>(), 2);
/// ```
pub fn decode_files<T: FileRecord>(
    lines: &DataStream<T>,
    schema: SchemaRef,
    options: FormatOptions,
) -> DataStream<Changes> {
    let name = format!("Decode {}", options.kind.name());
    lines.transform(&name, move |_| {
        Ok(FileDecoder { decoder: RowDecoder::for_files(schema.clone(), options.clone())?, input: PhantomData })
    })
}

struct FileDecoder<T> {
    decoder: RowDecoder,
    input: PhantomData<fn(T)>,
}

impl<T: FileRecord> Operator for FileDecoder<T> {
    type In = T;
    type Out = Changes;

    fn process(&mut self, batch: &mut Vec<StreamRecord<T>>, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        for record in batch.drain(..) {
            record.value.decode_into(&mut self.decoder)?;
        }
        if let Some(changes) = self.decoder.flush_changes()? {
            out.emit(StreamRecord { value: changes, timestamp: weir_core::record::NO_TIMESTAMP });
        }
        Ok(())
    }
}
