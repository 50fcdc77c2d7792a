//! [`RowDecoder::decode_file`]: the formats whose files are read whole rather than line by
//! line — Avro object container files (the writer's schema from the header, matched to the
//! columns by name; blocks of records) and Parquet files (every row group).

use super::{FormatKind, RowDecoder};
use crate::error::{ErrorKind, SqlError};

impl RowDecoder {
    /// Appends the rows of a whole file (`bytes`, from `origin`, such as `file /d/p.avro`): an
    /// Avro object container file, whose schema (in its header) is matched to the columns by
    /// name, or a Parquet file. An Avro record that cannot be read is a bad record (the rest of
    /// its block cannot be found, so it is skipped with it; reading goes on at the next block);
    /// a file that is not a container file or not Parquet is one bad record. A file whose
    /// schema does not fit the columns fails whatever the policy.
    pub fn decode_file(&mut self, bytes: Vec<u8>, origin: &dyn Fn() -> String) -> Result<(), SqlError> {
        match self.options.kind {
            FormatKind::Parquet => match super::parquet::read_file(bytes, &self.schema, &self.unread) {
                Ok(batches) => {
                    self.ready_rows += batches.iter().map(|b| b.num_rows()).sum::<usize>();
                    self.ready.extend(batches);
                    Ok(())
                }
                Err(e) => self.settle(Err(e), b"", origin),
            },
            FormatKind::Avro => self.decode_container(&bytes, origin),
            kind => Err(SqlError::unsupported(format!(
                "format '{}' is read line by line (RowDecoder::decode_line)",
                kind.name()
            ))),
        }
    }

    fn decode_container(&mut self, bytes: &[u8], origin: &dyn Fn() -> String) -> Result<(), SqlError> {
        let mut file = match super::avro::container::ContainerFile::open(bytes) {
            Ok(f) => f,
            Err(e) => return self.settle(Err(e), bytes, origin),
        };
        let schema_error = |e: String| {
            SqlError::new(ErrorKind::Execution, format!("The Avro schema of {} does not fit the table: {e}", origin()))
        };
        let mut record = match super::avro::schema::AvroType::parse(&file.schema).map_err(schema_error)? {
            super::avro::schema::AvroType::Record(r) => r,
            other => return Err(schema_error(format!("it is {other:?}, not a record"))),
        };
        let names: Vec<&str> = self.names.iter().map(String::as_str).collect();
        let fields = self.schema.fields();
        record
            .resolve_fields(&names, |i| (fields[i].data_type(), fields[i].is_nullable()), "")
            .map_err(schema_error)?;
        loop {
            let block = match file.next_block() {
                Ok(Some(b)) => b,
                Ok(None) => return Ok(()),
                // A block that cannot be framed leaves nothing after it to find.
                Err(e) => return self.settle(Err(e), b"", &|| format!("{}, after the last good block", origin())),
            };
            let mut r = super::avro::binary::Reader::new(&block.data);
            for k in 1..=block.count {
                let start = r.pos;
                let result = super::avro::binary::read_record(&mut r, &record, &mut self.columns).map(|()| 1);
                let failed = result.is_err();
                let at = || format!("{}, block at byte {}, record {k}", origin(), block.offset);
                self.settle(result, &block.data[start..], &at)?;
                if failed {
                    break;
                }
            }
        }
    }
}
