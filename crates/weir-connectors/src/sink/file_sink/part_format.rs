//! [`PartFormat`]: how the records of one part file become its bytes. Row formats
//! ([`Encoder`]) write each record on its own; bulk formats (Avro container files,
//! Parquet) keep state per part — a header written when the part opens, records gathered
//! into blocks or row groups, a footer written when it closes (Flink's `BulkWriter`).

use weir_runtime::BoxError;

use super::encoder::Encoder;

/// Makes the bytes of part files from records: Flink's `BulkWriter.Factory`. Every row
/// [`Encoder`] is one (its parts need no state); a bulk format implements it directly.
///
/// # Contract
/// For each part file the writer calls [`open`](PartFormat::open) once, then
/// [`write`](PartFormat::write) per record, then [`finish`](PartFormat::finish) once when the
/// part rolls (on size, on age, at every checkpoint and at the end of input). Bytes appended
/// to `out` are written to the part in order; the part is complete — a readable file — only
/// after `finish`, which is why every part rolls at each checkpoint: only a finished part
/// can be committed.
///
/// # Errors
/// A record the format cannot represent, or a codec failure; the job fails, naming the
/// part file.
///
/// # Concurrency
/// Shared by every subtask's writer; each part's state belongs to one writer.
///
/// # Example
/// A format that writes the number of records at the end of each part:
/// ```
/// use weir_connectors::sink::PartFormat;
/// struct Counted;
/// impl PartFormat<i64> for Counted {
///     type Part = u64;
///     fn open(&self, _out: &mut Vec<u8>) -> Result<u64, weir_runtime::BoxError> {
///         Ok(0)
///     }
///     fn write(&self, part: &mut u64, value: &i64, out: &mut Vec<u8>) -> Result<(), weir_runtime::BoxError> {
///         out.extend_from_slice(&value.to_le_bytes());
///         *part += 1;
///         Ok(())
///     }
///     fn finish(&self, part: u64, out: &mut Vec<u8>) -> Result<(), weir_runtime::BoxError> {
///         out.extend_from_slice(&part.to_le_bytes());
///         Ok(())
///     }
/// }
/// let mut out = Vec::new();
/// let mut part = Counted.open(&mut out).unwrap();
/// Counted.write(&mut part, &7, &mut out).unwrap();
/// Counted.finish(part, &mut out).unwrap();
/// assert_eq!(out.len(), 16);
/// ```
pub trait PartFormat<T>: Send + Sync + 'static {
    /// What the format keeps for one open part.
    type Part: Send;

    /// Starts a part, appending its header (if any) to `out`.
    ///
    /// # Errors
    /// When the format cannot start a file (a bad schema, say).
    fn open(&self, out: &mut Vec<u8>) -> Result<Self::Part, BoxError>;

    /// Adds `value` to the part; bytes may be appended now or held until a block is full.
    ///
    /// # Errors
    /// When the format cannot represent `value`.
    fn write(&self, part: &mut Self::Part, value: &T, out: &mut Vec<u8>) -> Result<(), BoxError>;

    /// Ends the part: appends what is held and the footer (if any).
    ///
    /// # Errors
    /// When the held data cannot be encoded.
    fn finish(&self, part: Self::Part, out: &mut Vec<u8>) -> Result<(), BoxError>;

    /// The name of the format, for errors ("CSV", "Parquet").
    fn format_name(&self) -> &'static str {
        "the sink's format"
    }

    /// The usual file-name suffix of the format (".avro"); part files end with it unless
    /// the sink says otherwise.
    fn default_suffix(&self) -> &'static str {
        ""
    }

    /// The bucket (subdirectory) of `value`, as [`Encoder::bucket`].
    fn bucket(&self, _value: &T) -> String {
        String::new()
    }
}

impl<T, E: Encoder<T>> PartFormat<T> for E {
    type Part = ();

    fn open(&self, _out: &mut Vec<u8>) -> Result<(), BoxError> {
        Ok(())
    }

    fn write(&self, _part: &mut (), value: &T, out: &mut Vec<u8>) -> Result<(), BoxError> {
        self.encode(value, out)
    }

    fn finish(&self, _part: (), _out: &mut Vec<u8>) -> Result<(), BoxError> {
        Ok(())
    }

    fn format_name(&self) -> &'static str {
        Encoder::format_name(self)
    }

    fn default_suffix(&self) -> &'static str {
        Encoder::default_suffix(self)
    }

    fn bucket(&self, value: &T) -> String {
        Encoder::bucket(self, value)
    }
}
