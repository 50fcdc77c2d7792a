//! The `socket` connector from SQL (Flink's example connector): records read from a TCP
//! server at `hostname`:`port`, separated by `byte-delimiter` (10, a newline, by default),
//! decoded by the table's format. Unbounded until the server closes the connection; one reader.

use weir::{DataStream, StreamExecutionEnvironment};
use weir_connectors::socket::SocketSource;
use weir_core::StreamRecord;
use weir_runtime::{BoxError, Emitter, Operator};

use crate::catalog::TableDef;
use crate::error::{Result, SqlError};
use crate::format::{FormatOptions, RowDecoder};
use crate::stream::Changes;

/// The options of a socket table (format keys are checked by the format).
pub const OPTIONS: [&str; 5] = ["connector", "hostname", "port", "format", "byte-delimiter"];

struct Settings {
    host: String,
    port: u16,
    delimiter: u8,
    format: FormatOptions,
}

fn settings(table: &TableDef) -> Result<Settings> {
    let host = table.required_option("hostname")?.to_string();
    let port_text = table.required_option("port")?;
    let port = port_text.trim().parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
        SqlError::option(format!("Option 'port' of table '{}' must be a port number, not '{port_text}'", table.name))
    })?;
    let delimiter = match table.option("byte-delimiter") {
        None => b'\n',
        Some(text) => text.trim().parse::<u8>().map_err(|_| {
            SqlError::option(format!(
                "Option 'byte-delimiter' of table '{}' must be a byte value 0-255 (10 is a newline), not '{text}'",
                table.name
            ))
        })?,
    };
    let options: Vec<(String, String)> = table.options.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let format = FormatOptions::from_options(table.required_option("format")?, &options)?;
    if format.kind == crate::format::FormatKind::AvroConfluent {
        return Err(SqlError::unsupported(format!(
            "Table '{}': format 'avro-confluent' is for Kafka messages (as in Flink)",
            table.name
        )));
    }
    Ok(Settings { host, port, delimiter, format })
}

/// Checks a socket table's options.
pub fn validate(table: &TableDef) -> Result<()> {
    settings(table).map(|_| ())
}

/// The rows the server sends.
pub fn open(env: &StreamExecutionEnvironment, table: &TableDef) -> Result<DataStream<Changes>> {
    let s = settings(table)?;
    let source = SocketSource::new(&s.host, s.port).with_delimiter(s.delimiter);
    let address = source.address();
    let schema = table.physical_schema();
    let name = table.name.clone();
    let format = s.format;
    Ok(env
        .from_source(source, weir::WatermarkStrategy::no_watermarks(), &format!("Socket {}", table.name))
        .set_parallelism(1)
        .transform(&format!("Decode {}", table.name), move |_| {
            Ok(DecodeRecords {
                decoder: RowDecoder::new(schema.clone(), format.clone())?,
                table: name.clone(),
                address: address.clone(),
                records: 0,
            })
        })
        .set_parallelism(1))
}

/// Decodes the socket's records, numbering them for error messages.
struct DecodeRecords {
    decoder: RowDecoder,
    table: String,
    address: String,
    records: u64,
}

impl Operator for DecodeRecords {
    type In = Vec<u8>;
    type Out = Changes;

    fn process(
        &mut self,
        batch: &mut Vec<StreamRecord<Vec<u8>>>,
        out: &mut Emitter<Changes>,
    ) -> std::result::Result<(), BoxError> {
        for record in batch.drain(..) {
            self.records += 1;
            let (table, address, n) = (&self.table, &self.address, self.records);
            self.decoder.decode_line(&record.value, &|| format!("table '{table}', socket {address}, record {n}"))?;
        }
        if let Some(changes) = self.decoder.flush_changes()? {
            out.emit(StreamRecord { value: changes, timestamp: weir_core::record::NO_TIMESTAMP });
        }
        Ok(())
    }

    fn finish(&mut self, _out: &mut Emitter<Changes>) -> std::result::Result<(), BoxError> {
        let skipped = self.decoder.skipped();
        if skipped > 0 {
            eprintln!("Weir: table '{}' skipped {skipped} bad record(s) from socket {}", self.table, self.address);
        }
        Ok(())
    }
}
