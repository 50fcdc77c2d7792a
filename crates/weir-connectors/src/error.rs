//! The crate's error type: what went wrong in a connector, and where.
//!
//! Every error names its place — the file and line of a malformed record, the directory
//! that lacks a file, the option that is out of range — so that a failed job tells the
//! user what to fix without a debugger.

use std::io;
use std::path::{Path, PathBuf};

use weir_core::ErrorKind;

/// How many characters of an offending line an error shows.
const SHOWN_LINE_CHARS: usize = 200;

/// A connector failure.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    /// The file system failed (open, read, write, rename, list).
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What was being done ("open", "read", "write", "rename", …).
        action: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// A line of an input file could not be parsed.
    #[error("{path}:{line}: {message}; the line reads: {content}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What the parser said.
        message: String,
        /// The line, cut to about 200 characters.
        content: String,
    },
    /// A line of a text file is not UTF-8.
    #[error("{path}:{line}: line is not valid UTF-8 ({source})")]
    InvalidUtf8 {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// Where the decoding failed.
        #[source]
        source: std::str::Utf8Error,
    },
    /// A directory does not have the layout a source or sink expects.
    #[error("{path}: {message}")]
    Layout {
        /// The directory or file concerned.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A timestamp string is not `yyyy-MM-dd HH:mm:ss[.SSS]`.
    #[error("invalid timestamp {input:?}: {reason}")]
    InvalidTimestamp {
        /// The text (cut to about 200 characters).
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A connector was configured with an impossible value.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A database refused a statement or could not be reached (JDBC connector).
    #[error("{context}: {message}")]
    Database {
        /// What was being done, naming the table (and the row, for a refused row).
        context: String,
        /// What the database said.
        message: String,
    },
}

impl ConnectorError {
    /// Whose fault the error is: the file system's ([`ErrorKind::External`], a retry may
    /// help) or the user's data or configuration ([`ErrorKind::User`]).
    pub fn kind(&self) -> ErrorKind {
        match self {
            ConnectorError::Io { .. } | ConnectorError::Database { .. } => ErrorKind::External,
            ConnectorError::Malformed { .. }
            | ConnectorError::InvalidUtf8 { .. }
            | ConnectorError::Layout { .. }
            | ConnectorError::InvalidTimestamp { .. }
            | ConnectorError::Config(_) => ErrorKind::User,
        }
    }

    /// An I/O error while doing `action` on `path`.
    pub(crate) fn io(action: &'static str, path: &Path, source: io::Error) -> Self {
        ConnectorError::Io { action, path: path.to_path_buf(), source }
    }

    /// A malformed line: keeps about 200 characters of it, lossily decoded.
    pub(crate) fn malformed(path: &Path, line: u64, message: impl Into<String>, content: &[u8]) -> Self {
        ConnectorError::Malformed {
            path: path.to_path_buf(),
            line,
            message: message.into(),
            content: shorten(&String::from_utf8_lossy(content)),
        }
    }
}

/// `text` cut to about 200 characters (on a character boundary), with "…" when cut.
pub(crate) fn shorten(text: &str) -> String {
    match text.char_indices().nth(SHOWN_LINE_CHARS) {
        None => text.to_string(),
        Some((cut, _)) => format!("{}…", &text[..cut]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_keeps_short_text_and_cuts_long_text() {
        assert_eq!(shorten("abc"), "abc");
        let long = "é".repeat(300);
        let cut = shorten(&long);
        assert_eq!(cut.chars().count(), SHOWN_LINE_CHARS + 1);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn kinds() {
        let io = ConnectorError::io("open", Path::new("/x"), io::Error::other("boom"));
        assert_eq!(io.kind(), ErrorKind::External);
        assert!(io.to_string().contains("cannot open /x: boom"));
        let bad = ConnectorError::malformed(Path::new("bids.jsonl"), 7, "expected value", b"{oops");
        assert_eq!(bad.kind(), ErrorKind::User);
        assert_eq!(bad.to_string(), "bids.jsonl:7: expected value; the line reads: {oops");
    }
}
