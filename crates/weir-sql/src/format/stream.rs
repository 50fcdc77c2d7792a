//! Formats in DataStream jobs: [`decode_files`] turns the lines of a
//! [`FileSource`](weir_connectors::file_source::FileSource) (or its whole files, for Avro and
//! Parquet) into batches of rows, with the same options, errors and bad-record policy as a
//! SQL table in that format. Writing: [`BulkEncoder`](super::BulkEncoder) with
//! [`FileSink::for_bulk_format`](weir_connectors::sink::FileSink::for_bulk_format).

use arrow::datatypes::SchemaRef;
use weir::DataStream;
use weir_connectors::file_source::FileLine;
use weir_core::StreamRecord;
use weir_runtime::{BoxError, Emitter, Operator};

use super::{FormatOptions, RowDecoder};
use crate::stream::Changes;

/// The rows of `lines` in `options`' format, as batches of `schema` (with row kinds for the
/// changelog formats); a bad record fails the job naming file and line, or is skipped or
/// dead-lettered as `options.bad_records` says. For the formats of whole files (`avro`,
/// `parquet`) the source must hand out whole files
/// ([`FileSource::whole_files`](weir_connectors::file_source::FileSource::whole_files)).
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
pub fn decode_files(lines: &DataStream<FileLine>, schema: SchemaRef, options: FormatOptions) -> DataStream<Changes> {
    let name = format!("Decode {}", options.kind.name());
    lines
        .transform(&name, move |_| Ok(FileDecoder { decoder: RowDecoder::for_files(schema.clone(), options.clone())? }))
}

struct FileDecoder {
    decoder: RowDecoder,
}

impl Operator for FileDecoder {
    type In = FileLine;
    type Out = Changes;

    fn process(&mut self, batch: &mut Vec<StreamRecord<FileLine>>, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        for record in batch.drain(..) {
            let line = record.value;
            if line.line == 0 {
                let path = line.path.clone();
                self.decoder.decode_file(line.bytes, &|| format!("file {}", path.display()))?;
                continue;
            }
            self.decoder.decode_line(&line.bytes, &|| format!("file {}, line {}", line.path.display(), line.line))?;
        }
        if let Some(changes) = self.decoder.flush_changes()? {
            out.emit(StreamRecord { value: changes, timestamp: weir_core::record::NO_TIMESTAMP });
        }
        Ok(())
    }
}
