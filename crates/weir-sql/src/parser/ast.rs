//! The statements of Flink's SQL dialect, as parsed. Queries and expressions are
//! sqlparser's AST; what Flink adds (DDL details, `SET`, statement sets…) is ours.

use sqlparser::ast::{Expr, Ident, ObjectName, Query};

use crate::types::FlinkType;

/// A place in the script: 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    /// Line, from 1.
    pub line: u64,
    /// Column, from 1.
    pub column: u64,
}

/// A statement with where it is in the script and its own text.
#[derive(Debug, Clone)]
pub struct Located<T> {
    /// The statement.
    pub node: T,
    /// Where its first token is in the script.
    pub start: Position,
    /// Its text, as written (without the closing `;`).
    pub text: String,
}

/// One statement of a script.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum Statement {
    /// `CREATE [TEMPORARY] TABLE`.
    CreateTable(CreateTable),
    /// `CREATE [TEMPORARY] VIEW [IF NOT EXISTS] name [(cols)] AS query`.
    CreateView {
        /// View name.
        name: ObjectName,
        /// Column names given after the name, if any.
        columns: Vec<Ident>,
        /// The defining query.
        query: Box<Query>,
        /// `TEMPORARY` was written.
        temporary: bool,
        /// `IF NOT EXISTS` was written.
        if_not_exists: bool,
    },
    /// `CREATE [TEMPORARY [SYSTEM]] FUNCTION [IF NOT EXISTS] name AS 'identifier' [LANGUAGE …]`.
    CreateFunction {
        /// Function name.
        name: ObjectName,
        /// The identifier after `AS` (for Weir: the name a Rust function was registered under).
        identifier: String,
        /// `LANGUAGE` given, if any.
        language: Option<String>,
        /// `TEMPORARY` was written.
        temporary: bool,
        /// `IF NOT EXISTS` was written.
        if_not_exists: bool,
    },
    /// `DROP [TEMPORARY] TABLE|VIEW|FUNCTION [IF EXISTS] name`.
    Drop {
        /// What is dropped.
        kind: ObjectKind,
        /// Its name.
        name: ObjectName,
        /// `IF EXISTS` was written.
        if_exists: bool,
    },
    /// `ALTER TABLE name SET ('k' = 'v', …)`.
    AlterTableSet {
        /// Table name.
        name: ObjectName,
        /// Options set (added or replaced).
        options: Vec<(String, String)>,
    },
    /// `ALTER TABLE name RENAME TO new`.
    AlterTableRename {
        /// Table name.
        name: ObjectName,
        /// The new name.
        to: ObjectName,
    },
    /// `SHOW TABLES | VIEWS | FUNCTIONS | CREATE TABLE name`.
    Show(ShowWhat),
    /// `DESCRIBE name` / `DESC name`.
    Describe(ObjectName),
    /// `EXPLAIN [PLAN FOR] statement`.
    Explain(Box<Located<Statement>>),
    /// `SET` (list all), or `SET 'key' = 'value'`.
    Set(Option<(String, String)>),
    /// `RESET` (all) or `RESET 'key'`.
    Reset(Option<String>),
    /// `INSERT INTO|OVERWRITE table [(cols)] query`.
    Insert(Insert),
    /// `EXECUTE STATEMENT SET BEGIN insert; … END` (also `BEGIN STATEMENT SET; … END;`).
    StatementSet(Vec<Located<Insert>>),
    /// A query whose result is shown (or printed as a changelog by a script).
    Query(Box<Query>),
    /// `QUIT` / `EXIT` (the client).
    Quit,
}

/// The kinds of catalog object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    /// A table.
    Table,
    /// A view.
    View,
    /// A function.
    Function,
}

/// What `SHOW` lists.
#[derive(Debug, Clone, PartialEq)]
pub enum ShowWhat {
    /// `SHOW TABLES`.
    Tables,
    /// `SHOW VIEWS`.
    Views,
    /// `SHOW FUNCTIONS` (`USER` only user functions).
    Functions {
        /// `SHOW USER FUNCTIONS`.
        user_only: bool,
    },
    /// `SHOW CREATE TABLE name`.
    CreateTable(ObjectName),
}

/// `INSERT INTO`.
#[derive(Debug, Clone)]
pub struct Insert {
    /// Target table.
    pub table: ObjectName,
    /// Target columns, if listed.
    pub columns: Vec<Ident>,
    /// Rows to insert.
    pub query: Box<Query>,
    /// `INSERT OVERWRITE`.
    pub overwrite: bool,
}

/// `CREATE TABLE`.
#[derive(Debug, Clone)]
pub struct CreateTable {
    /// Table name.
    pub name: ObjectName,
    /// `TEMPORARY` was written.
    pub temporary: bool,
    /// `IF NOT EXISTS` was written.
    pub if_not_exists: bool,
    /// Columns in order.
    pub columns: Vec<ColumnDef>,
    /// `WATERMARK FOR col AS expr`.
    pub watermark: Option<WatermarkDef>,
    /// `PRIMARY KEY (…) NOT ENFORCED` (as a constraint or on a column).
    pub primary_key: Vec<Ident>,
    /// `PARTITIONED BY (…)`.
    pub partitioned_by: Vec<Ident>,
    /// `COMMENT '…'`.
    pub comment: Option<String>,
    /// `WITH ('k' = 'v', …)`, in order, keys as written.
    pub options: Vec<(String, String)>,
    /// `LIKE source (options…)`.
    pub like: Option<LikeClause>,
}

/// One column of `CREATE TABLE`.
#[derive(Debug, Clone)]
pub struct ColumnDef {
    /// Column name.
    pub name: Ident,
    /// Physical, computed or metadata.
    pub kind: ColumnKind,
    /// `COMMENT '…'`.
    pub comment: Option<String>,
}

/// What a column is.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum ColumnKind {
    /// Read from the connector's format: `name TYPE [NOT NULL]`.
    Physical(FlinkType),
    /// `name AS expr`: computed from other columns.
    Computed(Expr),
    /// `name TYPE METADATA [FROM 'key'] [VIRTUAL]`.
    Metadata {
        /// The column's type.
        ty: FlinkType,
        /// `FROM 'key'` (default: the column name).
        key: Option<String>,
        /// `VIRTUAL`: read-only, not written by sinks.
        is_virtual: bool,
    },
}

/// `WATERMARK FOR column AS expr`.
#[derive(Debug, Clone)]
pub struct WatermarkDef {
    /// The rowtime column.
    pub column: Ident,
    /// The watermark expression.
    pub expr: Expr,
}

/// `LIKE source [(INCLUDING|EXCLUDING|OVERWRITING ALL|OPTIONS|WATERMARKS|… …)]`.
#[derive(Debug, Clone)]
pub struct LikeClause {
    /// The table copied.
    pub source: ObjectName,
    /// The merging options, as `(strategy, feature)`, both upper case, e.g. `("EXCLUDING", "OPTIONS")`.
    pub options: Vec<(String, String)>,
}
