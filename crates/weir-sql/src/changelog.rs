//! Changelog rows: what each row of an updating stream means, as in Flink's `RowKind`.

use arrow::array::{Array, Int8Array};

/// The meaning of one row in a changelog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i8)]
pub enum RowKind {
    /// `+I`: a new row.
    Insert = 0,
    /// `-U`: the old version of an updated row (retraction).
    UpdateBefore = 1,
    /// `+U`: the new version of an updated row.
    UpdateAfter = 2,
    /// `-D`: a row removed.
    Delete = 3,
}

impl RowKind {
    /// Flink's short form: `+I`, `-U`, `+U`, `-D`.
    pub fn short_string(self) -> &'static str {
        match self {
            RowKind::Insert => "+I",
            RowKind::UpdateBefore => "-U",
            RowKind::UpdateAfter => "+U",
            RowKind::Delete => "-D",
        }
    }

    /// Whether the row adds to the result (`+I`, `+U`) rather than retracts (`-U`, `-D`).
    pub fn is_accumulate(self) -> bool {
        matches!(self, RowKind::Insert | RowKind::UpdateAfter)
    }

    /// The kind stored as `code` in a kinds column.
    pub fn from_code(code: i8) -> RowKind {
        match code {
            1 => RowKind::UpdateBefore,
            2 => RowKind::UpdateAfter,
            3 => RowKind::Delete,
            _ => RowKind::Insert,
        }
    }

    /// Parses `+I`, `-U`, `+U` or `-D`.
    pub fn parse(s: &str) -> Option<RowKind> {
        match s {
            "+I" => Some(RowKind::Insert),
            "-U" => Some(RowKind::UpdateBefore),
            "+U" => Some(RowKind::UpdateAfter),
            "-D" => Some(RowKind::Delete),
            _ => None,
        }
    }
}

/// The kind of row `i` of a batch whose kinds column is `kinds` (none: all inserts).
#[inline]
pub fn kind_at(kinds: Option<&Int8Array>, i: usize) -> RowKind {
    match kinds {
        Some(k) if !k.is_null(i) => RowKind::from_code(k.value(i)),
        _ => RowKind::Insert,
    }
}
