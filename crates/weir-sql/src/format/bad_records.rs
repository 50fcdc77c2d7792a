//! What a decoder does with a record it cannot read — Weir's `scan.bad-records` option, a
//! Weir extension to Flink's per-format `*.ignore-parse-errors`:
//!
//! * `'fail'` (default): the job fails; the message says where the record was (file and line,
//!   or what the connector passes: topic, partition and offset) and shows it.
//! * `'skip'`: the record is dropped and counted ([`RowDecoder::skipped`](super::RowDecoder::skipped);
//!   sources report the count when they end).
//! * `'dead-letter'`: the record is dropped, counted, and appended with where it was and why
//!   to a JSON-lines file under `'scan.bad-records.dead-letter.path'` (a directory; each decoder
//!   writes its own `bad-records-<process>-<n>.jsonl`). Dead letters are written at least once:
//!   records re-read after a restore from a checkpoint are written again.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{ErrorKind, SqlError};

/// The keys of the bad-record policy.
pub const BAD_RECORD_KEYS: [&str; 2] = ["scan.bad-records", "scan.bad-records.dead-letter.path"];

/// What to do with a record that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadRecordPolicy {
    /// Fail the job, naming the record's place and showing it.
    Fail,
    /// Drop and count it.
    Skip,
    /// Drop, count, and append it to a file in this directory.
    DeadLetter(PathBuf),
}

impl BadRecordPolicy {
    /// The policy given by `scan.bad-records` and `scan.bad-records.dead-letter.path`.
    pub fn from_options(options: &[(String, String)]) -> Result<BadRecordPolicy, SqlError> {
        let get = |key: &str| options.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        let path = get(BAD_RECORD_KEYS[1]);
        let policy =
            match get(BAD_RECORD_KEYS[0]) {
                None | Some("fail") => BadRecordPolicy::Fail,
                Some("skip") => BadRecordPolicy::Skip,
                Some("dead-letter") => match path {
                    Some(p) if !p.trim().is_empty() => {
                        BadRecordPolicy::DeadLetter(PathBuf::from(p.strip_prefix("file://").unwrap_or(p)))
                    }
                    _ => return Err(SqlError::option(
                        "'scan.bad-records' = 'dead-letter' needs 'scan.bad-records.dead-letter.path' (a directory)",
                    )),
                },
                Some(other) => {
                    return Err(SqlError::option(format!(
                        "Option 'scan.bad-records' must be 'fail', 'skip' or 'dead-letter', not '{other}'"
                    )))
                }
            };
        if path.is_some() && !matches!(policy, BadRecordPolicy::DeadLetter(_)) {
            return Err(SqlError::option(
                "'scan.bad-records.dead-letter.path' is only read with 'scan.bad-records' = 'dead-letter'",
            ));
        }
        Ok(policy)
    }
}

/// Process-wide number of dead-letter files opened, so parallel decoders write apart.
static DEAD_LETTER_FILES: AtomicU64 = AtomicU64::new(0);

/// A decoder's dead-letter file, created at the first bad record.
#[derive(Debug)]
pub(crate) struct DeadLetters {
    dir: PathBuf,
    file: Option<(PathBuf, File)>,
}

impl DeadLetters {
    pub(crate) fn new(dir: &Path) -> Self {
        DeadLetters { dir: dir.to_path_buf(), file: None }
    }

    /// Appends one bad record as a JSON line `{"origin":…,"error":…,"record":…}` (binary
    /// formats: `"record_hex"`, the bytes in hexadecimal).
    pub(crate) fn write(&mut self, origin: &str, error: &str, record: &[u8], binary: bool) -> Result<(), SqlError> {
        let io = |what: &str, path: &Path, e: std::io::Error| {
            SqlError::new(ErrorKind::Execution, format!("cannot {what} dead-letter file {}: {e}", path.display()))
        };
        if self.file.is_none() {
            std::fs::create_dir_all(&self.dir).map_err(|e| io("create the directory of the", &self.dir, e))?;
            let n = DEAD_LETTER_FILES.fetch_add(1, Ordering::Relaxed);
            let path = self.dir.join(format!("bad-records-{}-{n}.jsonl", std::process::id()));
            let file = OpenOptions::new().create(true).append(true).open(&path).map_err(|e| io("open", &path, e))?;
            self.file = Some((path, file));
        }
        let (path, file) = self.file.as_mut().expect("opened above");
        let line = if binary {
            serde_json::json!({"origin": origin, "error": error, "record_hex": hex(record)})
        } else {
            serde_json::json!({"origin": origin, "error": error, "record": String::from_utf8_lossy(record)})
        };
        let mut bytes = line.to_string().into_bytes();
        bytes.push(b'\n');
        // One write per record on an append-only file: a line is never split between writers.
        file.write_all(&bytes).map_err(|e| io("write to", path, e))
    }
}

/// `bytes` as lowercase hexadecimal.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn policies_from_options() {
        assert_eq!(BadRecordPolicy::from_options(&opts(&[])).unwrap(), BadRecordPolicy::Fail);
        assert_eq!(
            BadRecordPolicy::from_options(&opts(&[("scan.bad-records", "skip")])).unwrap(),
            BadRecordPolicy::Skip
        );
        assert_eq!(
            BadRecordPolicy::from_options(&opts(&[
                ("scan.bad-records", "dead-letter"),
                ("scan.bad-records.dead-letter.path", "file:///tmp/dl")
            ]))
            .unwrap(),
            BadRecordPolicy::DeadLetter(PathBuf::from("/tmp/dl"))
        );
        let cases: [(&[(&str, &str)], &str); 3] = [
            (&[("scan.bad-records", "dead-letter")], "needs 'scan.bad-records.dead-letter.path'"),
            (&[("scan.bad-records", "drop")], "must be 'fail', 'skip' or 'dead-letter', not 'drop'"),
            (&[("scan.bad-records.dead-letter.path", "/x")], "only read with"),
        ];
        for (pairs, expected) in cases {
            let err = BadRecordPolicy::from_options(&opts(pairs)).unwrap_err().to_string();
            assert!(err.contains(expected), "{err}");
        }
    }
}
