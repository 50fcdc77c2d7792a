//! [`Encoder`]: how a [`FileSink`](super::FileSink) turns a record into the bytes of one
//! row (Flink's `Encoder` for row formats), and the row formats that need no options:
//! [`JsonLinesEncoder`] and [`TextEncoder`]. CSV is in [`csv`](super::csv).

use std::fmt::{self, Display};

use serde::Serialize;
use weir_runtime::BoxError;

/// Encodes records of type `T` as rows of a part file.
///
/// # Contract
/// `encode` appends exactly one row, line end included, to `out`. On error it may leave
/// a partial row behind: the writer cuts `out` back to where it was.
///
/// # Errors
/// A record the format cannot represent (a map in CSV, a map with non-string keys in
/// JSON); the job fails, naming the part file.
///
/// # Concurrency
/// Shared by every subtask's writer.
///
/// # Example
/// ```
/// use weir_connectors::sink::{Encoder, TextEncoder};
/// let mut out = Vec::new();
/// Encoder::<i32>::encode(&TextEncoder, &42, &mut out).unwrap();
/// assert_eq!(out, b"42\n");
/// ```
pub trait Encoder<T>: Send + Sync + 'static {
    /// Appends `value` as one row to `out`.
    ///
    /// # Errors
    /// When the format cannot represent `value`.
    fn encode(&self, value: &T, out: &mut Vec<u8>) -> Result<(), BoxError>;

    /// The name of the format, for errors ("CSV", "JSON").
    fn format_name(&self) -> &'static str {
        "the sink's row format"
    }

    /// The usual file-name suffix of the format (".csv"); part files end with it unless
    /// the sink says otherwise.
    fn default_suffix(&self) -> &'static str {
        ""
    }

    /// The bucket of `value`: the subdirectory of the output directory its part file is in,
    /// relative and `/`-separated (Flink's `BucketAssigner`; for a partitioned table,
    /// `col=value/…`). Empty, the default: the output directory itself.
    fn bucket(&self, _value: &T) -> String {
        String::new()
    }
}

/// Each record as a JSON object (or value) on a line, as serde_json writes it.
///
/// ```
/// use weir_connectors::sink::{Encoder, JsonLinesEncoder};
/// let mut out = Vec::new();
/// JsonLinesEncoder.encode(&(1, "a\"b"), &mut out).unwrap();
/// assert_eq!(out, b"[1,\"a\\\"b\"]\n");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonLinesEncoder;

impl<T: Serialize> Encoder<T> for JsonLinesEncoder {
    fn encode(&self, value: &T, out: &mut Vec<u8>) -> Result<(), BoxError> {
        serde_json::to_writer(&mut *out, value)?;
        out.push(b'\n');
        Ok(())
    }

    fn format_name(&self) -> &'static str {
        "JSON"
    }

    fn default_suffix(&self) -> &'static str {
        ".jsonl"
    }
}

/// Each record's `Display` text on a line (Flink's `SimpleStringEncoder`).
///
/// ```
/// use weir_connectors::sink::{Encoder, TextEncoder};
/// let mut out = Vec::new();
/// TextEncoder.encode(&"hi", &mut out).unwrap();
/// assert_eq!(out, b"hi\n");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct TextEncoder;

/// Appends formatted text to a byte buffer.
struct Utf8Sink<'a>(&'a mut Vec<u8>);

impl fmt::Write for Utf8Sink<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

impl<T: Display> Encoder<T> for TextEncoder {
    fn encode(&self, value: &T, out: &mut Vec<u8>) -> Result<(), BoxError> {
        // Through fmt::Write: io::Write on a Vec panics when a Display impl fails.
        fmt::write(&mut Utf8Sink(out), format_args!("{value}\n"))
            .map_err(|_| "the record's Display implementation returned an error")?;
        Ok(())
    }

    fn format_name(&self) -> &'static str {
        "text"
    }

    fn default_suffix(&self) -> &'static str {
        ".txt"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn json_fails_on_maps_with_non_string_keys() {
        let mut out = Vec::new();
        let map: HashMap<(i32, i32), i32> = HashMap::from([((1, 2), 3)]);
        assert!(JsonLinesEncoder.encode(&map, &mut out).is_err());
    }

    #[test]
    fn text_reports_a_failing_display() {
        struct Broken;
        impl Display for Broken {
            fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                Err(std::fmt::Error)
            }
        }
        assert!(TextEncoder.encode(&Broken, &mut Vec::new()).is_err());
    }
}
