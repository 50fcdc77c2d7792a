//! Flink's reserved keywords: written unquoted where a name is expected, Flink's parser stops
//! with `Encountered "dec" at line 1, column 14` (each word below checked against Flink 2.3 as
//! a column alias). Quoted (`` `dec` ``) they are ordinary names. sqlparser reserves far fewer
//! words, so Weir checks the names a statement defines — DDL names, column and table aliases,
//! CTE names — and the unquoted column references of a query.

use std::ops::ControlFlow;

use sqlparser::ast::{Expr, Ident, Query, SelectItem, SetExpr, TableFactor, Visit, Visitor};

use super::ast::Position;
use crate::error::SqlError;

/// Flink 2.3's reserved keywords (upper case, sorted for a binary search).
#[rustfmt::skip]
const RESERVED: &[&str] = &[
    "ABS", "ALL", "ALLOCATE", "ALLOW", "ALTER", "AND", "ANY", "ARE", "ARRAY", "AS", "ASENSITIVE",
    "ASYMMETRIC", "AT", "ATOMIC", "AUTHORIZATION", "AVG", "BEGIN", "BETWEEN", "BIGINT", "BINARY", "BIT",
    "BLOB", "BOOLEAN", "BOTH", "BY", "BYTES", "CALL", "CALLED", "CARDINALITY", "CASCADED", "CASE", "CAST",
    "CATALOGS", "CEIL", "CEILING", "CHAR", "CHARACTER", "CHECK", "CLOB", "CLOSE", "COALESCE", "COLLATE",
    "COLLECT", "COLUMN", "COMMENT", "COMMIT", "CONDITION", "CONNECT", "CONSTRAINT", "CONVERT", "CORR",
    "CORRESPONDING", "COUNT", "COVAR_POP", "CREATE", "CROSS", "CUBE", "CUME_DIST", "CURRENT", "CURSOR",
    "CYCLE", "DATABASES", "DATE", "DAY", "DEALLOCATE", "DEC", "DECIMAL", "DECLARE", "DEFAULT", "DELETE",
    "DENSE_RANK", "DEREF", "DESCRIBE", "DETERMINISTIC", "DISALLOW", "DISCONNECT", "DISTINCT", "DOUBLE",
    "DROP", "DYNAMIC", "EACH", "ELEMENT", "ELSE", "EMPTY", "END", "ESCAPE", "EVERY", "EXCEPT", "EXEC",
    "EXECUTE", "EXISTS", "EXP", "EXTERNAL", "EXTRACT", "FALSE", "FETCH", "FILTER", "FIRST_VALUE", "FLOAT",
    "FLOOR", "FOR", "FOREIGN", "FREE", "FROM", "FULL", "FUNCTION", "FUNCTIONS", "FUSION", "GET", "GLOBAL",
    "GRANT", "GROUP", "GROUPING", "HAVING", "HOLD", "HOUR", "IDENTITY", "IMPORT", "IN", "INDICATOR", "INNER",
    "INOUT", "INSENSITIVE", "INSERT", "INT", "INTEGER", "INTERSECT", "INTERSECTION", "INTERVAL", "INTO", "IS",
    "JOIN", "LAG", "LANGUAGE", "LARGE", "LAST_VALUE", "LATERAL", "LEAD", "LEADING", "LEFT", "LIKE", "LIMIT",
    "LN", "LOCAL", "LOWER", "MATCH", "MAX", "MEMBER", "MERGE", "METHOD", "MIN", "MINUTE", "MOD", "MODIFIES",
    "MODULE", "MODULES", "MONTH", "MULTISET", "NATIONAL", "NATURAL", "NCHAR", "NCLOB", "NEW", "NEXT", "NO",
    "NONE", "NORMALIZE", "NOT", "NULL", "NULLIF", "NUMERIC", "OF", "OFFSET", "OLD", "ON", "ONLY", "OPEN",
    "OR", "ORDER", "OUT", "OUTER", "OVER", "OVERLAPS", "OVERLAY", "PARAMETER", "PARTITION", "PERCENT",
    "PERCENTILE_CONT", "PERCENT_RANK", "PERIOD", "POSITION", "POWER", "PRECISION", "PREPARE", "PRIMARY",
    "PROCEDURE", "RANGE", "RANK", "READS", "REAL", "RECURSIVE", "REF", "REFERENCES", "REGR_COUNT", "RELEASE",
    "RESET", "RESULT", "RETURN", "RETURNS", "REVOKE", "RIGHT", "ROLLBACK", "ROLLUP", "ROW", "ROWS",
    "ROW_NUMBER", "RUNNING", "SAVEPOINT", "SCOPE", "SCROLL", "SEARCH", "SECOND", "SELECT", "SENSITIVE",
    "SESSION_USER", "SET", "SIMILAR", "SMALLINT", "SOME", "SPECIFIC", "SQL", "SQLSTATE", "SQRT", "START",
    "STATIC", "STDDEV_POP", "STRING", "SUBMULTISET", "SUBSTRING", "SUM", "SYMMETRIC", "SYSTEM", "SYSTEM_USER",
    "TABLE", "TABLES", "TABLESAMPLE", "THEN", "TIME", "TIMESTAMP", "TINYINT", "TO", "TRAILING", "TRANSLATE",
    "TRANSLATION", "TREAT", "TRIGGER", "TRIM", "TRUE", "TRUNCATE", "UESCAPE", "UNION", "UNIQUE", "UNKNOWN",
    "UNNEST", "UPDATE", "UPPER", "USER", "USING", "VALUE", "VALUES", "VARBINARY", "VARCHAR", "VARYING",
    "VAR_POP", "VIEWS", "WATERMARK", "WHEN", "WHENEVER", "WHERE", "WIDTH_BUCKET", "WINDOW", "WITH", "WITHIN",
    "WITHOUT", "YEAR",
];

/// Time units, which sqlparser reads as column references in `TIMESTAMPADD(DAY, …)`; only
/// refused where a name is defined.
const TIME_UNITS: &[&str] = &["DAY", "HOUR", "MINUTE", "MONTH", "SECOND", "YEAR"];

/// Whether `word` is reserved in Flink.
pub(crate) fn is_reserved(word: &str) -> bool {
    let upper = word.to_ascii_uppercase();
    RESERVED.binary_search(&upper.as_str()).is_ok()
}

/// The error for an unquoted reserved word used as a name, at the name.
fn refusal(ident: &Ident) -> SqlError {
    let at = ident.span.start;
    SqlError::syntax(
        format!(
            "Encountered \"{}\": {} is a reserved keyword; quote it as `{}` to use it as a name",
            ident.value,
            ident.value.to_ascii_uppercase(),
            ident.value
        ),
        Position { line: at.line, column: at.column },
    )
}

/// Refuses `ident` if it is an unquoted reserved word.
pub(crate) fn check_name(ident: &Ident) -> Result<(), SqlError> {
    if ident.quote_style.is_none() && is_reserved(&ident.value) {
        Err(refusal(ident))
    } else {
        Ok(())
    }
}

/// Refuses the first unquoted reserved word a statement's queries use as a name (the names
/// of DDL are checked as they are read).
pub(crate) fn check_statement(statement: &super::ast::Statement) -> Result<(), SqlError> {
    use super::ast::Statement;
    match statement {
        Statement::CreateView { query, columns, .. } => {
            columns.iter().try_for_each(check_name)?;
            check_query(query)
        }
        Statement::Query(query) => check_query(query),
        Statement::Insert(insert) => check_query(&insert.query),
        Statement::StatementSet(inserts) => inserts.iter().try_for_each(|i| check_query(&i.node.query)),
        Statement::Explain(inner) => check_statement(&inner.node),
        _ => Ok(()),
    }
}

/// Refuses the first unquoted reserved word a query uses as a name.
fn check_query(query: &Query) -> Result<(), SqlError> {
    match query.visit(&mut NameCheck) {
        ControlFlow::Break(e) => Err(e),
        ControlFlow::Continue(()) => Ok(()),
    }
}

struct NameCheck;

fn flow(r: Result<(), SqlError>) -> ControlFlow<SqlError> {
    match r {
        Err(e) => ControlFlow::Break(e),
        Ok(()) => ControlFlow::Continue(()),
    }
}

impl NameCheck {
    fn names(&self, body: &SetExpr) -> Result<(), SqlError> {
        match body {
            SetExpr::Select(select) => {
                for item in &select.projection {
                    if let SelectItem::ExprWithAlias { alias, .. } = item {
                        check_name(alias)?;
                    }
                }
                Ok(())
            }
            SetExpr::SetOperation { left, right, .. } => {
                self.names(left)?;
                self.names(right)
            }
            _ => Ok(()),
        }
    }
}

impl Visitor for NameCheck {
    type Break = SqlError;

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<SqlError> {
        let ctes = query.with.iter().flat_map(|w| &w.cte_tables);
        flow(ctes.map(|c| &c.alias.name).try_for_each(check_name).and_then(|()| self.names(&query.body)))
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<SqlError> {
        let alias = match factor {
            TableFactor::Table { alias, .. }
            | TableFactor::Derived { alias, .. }
            | TableFactor::UNNEST { alias, .. }
            | TableFactor::Function { alias, .. } => alias.as_ref(),
            _ => None,
        };
        let Some(alias) = alias else { return ControlFlow::Continue(()) };
        flow(std::iter::once(&alias.name).chain(alias.columns.iter().map(|c| &c.name)).try_for_each(check_name))
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<SqlError> {
        let first = match expr {
            Expr::Identifier(id) => Some(id),
            Expr::CompoundIdentifier(ids) => ids.first(),
            _ => None,
        };
        match first {
            Some(id) if !TIME_UNITS.contains(&id.value.to_ascii_uppercase().as_str()) => flow(check_name(id)),
            _ => ControlFlow::Continue(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_upper_case() {
        assert!(RESERVED.windows(2).all(|w| w[0] < w[1]));
        assert!(RESERVED.iter().all(|w| w.chars().all(|c| c.is_ascii_uppercase() || c == '_')));
        assert!(is_reserved("dec") && is_reserved("At") && is_reserved("RUNNING"));
        assert!(!is_reserved("amount"));
    }

    #[test]
    fn reserved_names_are_refused_where_they_are_unless_quoted() {
        let e = super::super::parse_script("SELECT id AS dec FROM t;").unwrap_err();
        assert_eq!((e.position.map(|p| (p.line, p.column))), Some((1, 14)), "{e:?}");
        assert!(e.message.starts_with("Encountered \"dec\""), "{e:?}");
        assert!(super::super::parse_script("SELECT id AS `dec` FROM t;").is_ok());
        let e =
            super::super::parse_script("CREATE TABLE t (id INT, at INT) WITH ('connector' = 'datagen');").unwrap_err();
        assert_eq!((e.position.map(|p| (p.line, p.column))), Some((1, 25)), "{e:?}");
        let e = super::super::parse_script("SELECT running FROM t;").unwrap_err();
        assert!(e.message.starts_with("Encountered \"running\""), "{e:?}");
        assert!(super::super::parse_script("SELECT TIMESTAMPADD(DAY, 1, ts) FROM t AS x;").is_ok());
    }
}
