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
    /// `ALTER TABLE name ADD | MODIFY | DROP | RENAME col TO | RESET …`: a change of the
    /// table's schema or options.
    AlterTable {
        /// Table name.
        name: ObjectName,
        /// The change.
        change: AlterTableChange,
    },
    /// `CREATE CATALOG [IF NOT EXISTS] name WITH (…)`.
    CreateCatalog {
        /// Catalog name.
        name: Ident,
        /// `WITH` options (`'type'` chooses the kind).
        options: Vec<(String, String)>,
        /// `IF NOT EXISTS` was written.
        if_not_exists: bool,
    },
    /// `DROP CATALOG [IF EXISTS] name`.
    DropCatalog {
        /// Catalog name.
        name: Ident,
        /// `IF EXISTS` was written.
        if_exists: bool,
    },
    /// `USE CATALOG name`.
    UseCatalog(Ident),
    /// `CREATE DATABASE [IF NOT EXISTS] [cat.]db [COMMENT '…'] [WITH (…)]`.
    CreateDatabase {
        /// Database name, maybe qualified by its catalog.
        name: ObjectName,
        /// `COMMENT '…'`.
        comment: Option<String>,
        /// `WITH` properties.
        properties: Vec<(String, String)>,
        /// `IF NOT EXISTS` was written.
        if_not_exists: bool,
    },
    /// `DROP DATABASE [IF EXISTS] [cat.]db [RESTRICT | CASCADE]`.
    DropDatabase {
        /// Database name, maybe qualified by its catalog.
        name: ObjectName,
        /// `IF EXISTS` was written.
        if_exists: bool,
        /// `CASCADE`: its tables and views go too (`RESTRICT`, the default, refuses them).
        cascade: bool,
    },
    /// `ALTER DATABASE [cat.]db SET (…)`.
    AlterDatabase {
        /// Database name, maybe qualified by its catalog.
        name: ObjectName,
        /// Properties added or replaced.
        properties: Vec<(String, String)>,
    },
    /// `USE [cat.]db`.
    UseDatabase(ObjectName),
    /// `SHOW CATALOGS | DATABASES | TABLES | VIEWS | COLUMNS | FUNCTIONS | CURRENT … | CREATE …`.
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
    /// `SHOW CATALOGS [[NOT] LIKE 'pattern']`.
    Catalogs(Option<LikePattern>),
    /// `SHOW CURRENT CATALOG`.
    CurrentCatalog,
    /// `SHOW DATABASES [FROM|IN catalog] [[NOT] LIKE 'pattern']`.
    Databases {
        /// The catalog listed (the current one when `None`).
        from: Option<Ident>,
        /// The names kept.
        like: Option<LikePattern>,
    },
    /// `SHOW CURRENT DATABASE`.
    CurrentDatabase,
    /// `SHOW TABLES [FROM|IN [cat.]db] [[NOT] LIKE 'pattern']` (views included, as in Flink).
    Tables {
        /// The database listed (the current one when `None`).
        from: Option<ObjectName>,
        /// The names kept.
        like: Option<LikePattern>,
    },
    /// `SHOW VIEWS [FROM|IN [cat.]db] [[NOT] LIKE 'pattern']`.
    Views {
        /// The database listed (the current one when `None`).
        from: Option<ObjectName>,
        /// The names kept.
        like: Option<LikePattern>,
    },
    /// `SHOW COLUMNS FROM|IN table [[NOT] LIKE 'pattern']`.
    Columns {
        /// The table or view.
        table: ObjectName,
        /// The column names kept.
        like: Option<LikePattern>,
    },
    /// `SHOW CREATE VIEW name`.
    CreateView(ObjectName),
    /// `SHOW FUNCTIONS` (`USER` only user functions).
    Functions {
        /// `SHOW USER FUNCTIONS`.
        user_only: bool,
    },
    /// `SHOW CREATE TABLE name`.
    CreateTable(ObjectName),
}

/// `[NOT] LIKE 'pattern'` of a `SHOW` statement (SQL `LIKE`: `%` any run, `_` one character).
#[derive(Debug, Clone, PartialEq)]
pub struct LikePattern {
    /// The pattern.
    pub pattern: String,
    /// `NOT LIKE`.
    pub negated: bool,
}

impl LikePattern {
    /// Whether `name` is kept: it matches the pattern (or, for `NOT LIKE`, does not).
    pub fn keeps(&self, name: &str) -> bool {
        like_matches(&self.pattern.chars().collect::<Vec<_>>(), &name.chars().collect::<Vec<_>>()) != self.negated
    }
}

/// SQL `LIKE` of a whole text: `%` matches any run of characters, `_` one, `\` escapes
/// the next; case counts, as in Flink's `SHOW … LIKE`.
fn like_matches(pattern: &[char], text: &[char]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some(('%', rest)) => (0..=text.len()).any(|i| like_matches(rest, &text[i..])),
        Some(('_', rest)) => !text.is_empty() && like_matches(rest, &text[1..]),
        Some(('\\', [escaped, rest @ ..])) => text.first() == Some(escaped) && like_matches(rest, &text[1..]),
        Some((c, rest)) => text.first() == Some(c) && like_matches(rest, &text[1..]),
    }
}

/// A schema change of `ALTER TABLE`.
#[derive(Debug, Clone)]
pub enum AlterTableChange {
    /// `ADD col … | ADD (…)`: columns (with where they go), a watermark, a primary key.
    Add(Vec<SchemaItem>),
    /// `MODIFY col … | MODIFY (…)`: the same kinds, replacing existing ones.
    Modify(Vec<SchemaItem>),
    /// `DROP col | DROP (c1, c2)`.
    DropColumns(Vec<Ident>),
    /// `DROP WATERMARK`.
    DropWatermark,
    /// `DROP PRIMARY KEY` (or `DROP CONSTRAINT name`).
    DropPrimaryKey,
    /// `RENAME col TO new`.
    RenameColumn {
        /// The column renamed.
        from: Ident,
        /// Its new name.
        to: Ident,
    },
    /// `RESET ('k', …)`: options removed.
    Reset(Vec<String>),
}

/// One element of `ALTER TABLE … ADD|MODIFY (…)`.
#[derive(Debug, Clone)]
pub enum SchemaItem {
    /// A column and where it goes.
    Column(ColumnDef, ColumnPosition),
    /// `WATERMARK FOR col AS expr`.
    Watermark(WatermarkDef),
    /// `[CONSTRAINT name] PRIMARY KEY (…) NOT ENFORCED`.
    PrimaryKey(Vec<Ident>),
}

/// Where an added or modified column goes.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnPosition {
    /// Where it was (`MODIFY`) or last (`ADD`).
    Default,
    /// `FIRST`.
    First,
    /// `AFTER col`.
    After(Ident),
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

impl CreateTable {
    /// `CREATE TABLE name` with nothing else written yet.
    pub fn named(name: ObjectName) -> Self {
        CreateTable {
            name,
            temporary: false,
            if_not_exists: false,
            columns: vec![],
            watermark: None,
            primary_key: vec![],
            partitioned_by: vec![],
            comment: None,
            options: vec![],
            like: None,
        }
    }
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
