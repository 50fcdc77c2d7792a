//! Errors of the SQL layer: what is wrong, in the user's terms, and where in the script.

use std::fmt;

use crate::parser::ast::Position;

/// What kind of mistake an error reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The text is not valid SQL of Flink's dialect.
    Syntax,
    /// Valid SQL that names something unknown or mixes types wrongly.
    Validation,
    /// Valid SQL that Weir (or Flink's streaming mode) cannot run.
    Unsupported,
    /// A connector or format option is missing or wrong.
    Option,
    /// The job failed while running.
    Execution,
}

/// An error of a SQL statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError {
    /// Its kind.
    pub kind: ErrorKind,
    /// What is wrong.
    pub message: String,
    /// Where in the script, when known.
    pub position: Option<Position>,
}

impl SqlError {
    /// An error of `kind` saying `message`, with no position.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        SqlError { kind, message: message.into(), position: None }
    }

    /// A syntax error at `position`.
    pub fn syntax(message: impl Into<String>, position: Position) -> Self {
        SqlError { kind: ErrorKind::Syntax, message: message.into(), position: Some(position) }
    }

    /// A validation error (unknown name, type mismatch…).
    pub fn validation(message: impl Into<String>) -> Self {
        SqlError::new(ErrorKind::Validation, message)
    }

    /// Valid SQL that cannot run.
    pub fn unsupported(message: impl Into<String>) -> Self {
        SqlError::new(ErrorKind::Unsupported, message)
    }

    /// A bad connector or format option.
    pub fn option(message: impl Into<String>) -> Self {
        SqlError::new(ErrorKind::Option, message)
    }

    /// The same error, at `position` unless it already has one.
    pub fn at(mut self, position: Position) -> Self {
        self.position.get_or_insert(position);
        self
    }

    /// The error with the script's line and a caret under the column:
    ///
    /// ```text
    /// SQL validation error at line 3, column 8: Column 'pricee' not found; did you mean 'price'?
    ///   SELECT pricee FROM bid
    ///          ^
    /// ```
    pub fn render(&self, script: &str) -> String {
        let mut out = self.to_string();
        if let Some(p) = self.position {
            if let Some(line) = script.lines().nth(p.line.saturating_sub(1) as usize) {
                let column = p.column.saturating_sub(1) as usize;
                let pad: String = line.chars().take(column).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
                out.push_str(&format!("\n  {line}\n  {pad}^"));
            }
        }
        out
    }
}

impl fmt::Display for SqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            ErrorKind::Syntax => "SQL parse error",
            ErrorKind::Validation => "SQL validation error",
            ErrorKind::Unsupported => "Unsupported SQL",
            ErrorKind::Option => "Invalid table option",
            ErrorKind::Execution => "SQL job failed",
        };
        match self.position {
            Some(p) => write!(f, "{kind} at line {}, column {}: {}", p.line, p.column, self.message),
            None => write!(f, "{kind}: {}", self.message),
        }
    }
}

impl std::error::Error for SqlError {}

/// Results of the SQL layer.
pub type Result<T, E = SqlError> = std::result::Result<T, E>;
