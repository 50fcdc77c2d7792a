//! Flink's SQL dialect: a script into located statements, with errors that point at the
//! line and column.
//!
//! The script is tokenized once with sqlparser's tokenizer (with [`dialect::FlinkDialect`]),
//! split into statements at `;` (strings, quoted identifiers and `--` / `/* */` comments
//! are single tokens, so their semicolons do not split; a statement set
//! `EXECUTE STATEMENT SET BEGIN …; …; END` or `BEGIN STATEMENT SET; …; END` is kept
//! together), and each statement is parsed from its tokens, which keep their script
//! locations, so every error points into the whole script.
//!
//! Queries and expressions are sqlparser's AST ([`sqlparser::ast::Query`],
//! [`sqlparser::ast::Expr`]), normalized as follows:
//!
//! * the window table-valued functions (`TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), …))`) have
//!   the normal form described in [`window_tvf`];
//! * interval units are singular: `INTERVAL '10' MINUTES` reads as `INTERVAL '10' MINUTE`
//!   (`YEARS`, `MONTHS`, `WEEKS`, `DAYS`, `HOURS`, `MINUTES`, `SECONDS`, `MILLISECONDS`,
//!   `MICROSECONDS`, `NANOSECONDS`), and a range such as `INTERVAL '1 02:03:04.5' DAY TO
//!   SECOND` is the plain interval `INTERVAL '1 days 2 hours 3 minutes 4.5 seconds'`;
//! * a `LIKE` pattern literal is in DataFusion's form (a backslash escapes): Flink's
//!   `ESCAPE` character becomes a backslash and a literal backslash is doubled;
//! * Flink's map constructor `MAP['a', 1, 'b', 2]` is the call `MAP('a', 1, 'b', 2)` (keys
//!   and values alternate); `ARRAY[…]` is sqlparser's `Expr::Array`;
//! * `CAST(x AS MAP<K, V>)` and casts to the other composite types in Flink's syntax carry
//!   the type as `FLINK_TYPE('…')` (see [`composite_cast`]);
//! * Flink's `LATERAL TABLE(f(x))` becomes `TableFactor::Function { lateral: true, name: f,
//!   args: [x] }` (sqlparser alone would read it as a function named `TABLE`).
//!
//! Not supported (each reported with a clear error): `CREATE TABLE … AS SELECT`,
//! `CREATE OR REPLACE`, `INSERT … PARTITION (…)`, `DISTRIBUTED BY`, `ALTER TABLE IF EXISTS`,
//! `ALTER VIEW`, modules (`USE MODULES`, `LOAD MODULE`), `SHOW` of modules, jobs, jars or
//! partitions, `SHOW FUNCTIONS … LIKE`, `USING JAR`, the `RAW` type. Hints (`/*+ OPTIONS(…) */`) are comments and are ignored.

mod alter_table;
pub mod ast;
pub mod composite_cast;
mod cursor;
pub mod dialect;
mod json_syntax;
pub mod match_within;
mod namespace;
mod reserved;
mod stmt;
pub mod types;
pub mod window_tvf;

use std::ops::ControlFlow;

use sqlparser::ast::{
    DateTimeField, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, TableFactor, VisitMut, VisitorMut,
};
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer};

use self::ast::{Located, Position, Statement};
use self::cursor::{is_word, position, split_location, Cursor, Source};
use self::dialect::FLINK;
use crate::error::SqlError;
use crate::types::FlinkType;

/// Tokenizes a whole script, reporting tokenizer errors at their position.
fn tokenize(sql: &str) -> Result<Vec<TokenWithSpan>, SqlError> {
    Tokenizer::new(&FLINK, sql).tokenize_with_location().map_err(|e| {
        let (message, _) = split_location(&e.message);
        let message = if message.starts_with("Unterminated string literal") {
            "Unterminated string literal: the closing quote ' is missing".to_string()
        } else if message.starts_with("Unterminated delimited identifier") {
            "Unterminated quoted identifier: the closing backtick ` is missing".to_string()
        } else {
            message
        };
        SqlError::syntax(message, position(e.location))
    })
}

fn significant(token: &Token) -> bool {
    !matches!(token, Token::Whitespace(_) | Token::EOF)
}

/// One statement's tokens within the script.
struct Piece {
    /// Index of the first significant token.
    first: usize,
    /// One past the last token (the terminating `;` or the end of the script).
    end: usize,
    /// Index of the last significant token.
    last: usize,
    /// Where the statement's end is reported: the `;`, or just after its last token.
    end_at: Location,
}

/// Whether the statement starting at `first` is (or explains) a statement set.
fn is_statement_set(tokens: &[TokenWithSpan], first: usize) -> bool {
    let words: Vec<&Token> = tokens[first..].iter().map(|t| &t.token).filter(|t| significant(t)).take(8).collect();
    let at = |i: usize, w: &str| words.get(i).is_some_and(|t| is_word(t, w));
    if at(0, "EXECUTE") || at(0, "BEGIN") {
        return at(1, "STATEMENT") && at(2, "SET");
    }
    if at(0, "EXPLAIN") {
        return (1..words.len()).any(|i| at(i, "STATEMENT") && at(i + 1, "SET"));
    }
    false
}

/// Splits a script's tokens into statements.
fn split(tokens: &[TokenWithSpan]) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let n = tokens.len();
    let mut i = 0;
    loop {
        while i < n && (!significant(&tokens[i].token) || tokens[i].token == Token::SemiColon) {
            i += 1;
        }
        if i >= n {
            break;
        }
        let first = i;
        let mut j = i;
        if is_statement_set(tokens, first) {
            // Semicolons separate the INSERTs; the set ends at an `END` that starts a
            // "statement" (first token after `BEGIN` or after a `;`).
            let mut at_start = false;
            while j < n {
                let token = &tokens[j].token;
                j += 1;
                if !significant(token) {
                    continue;
                }
                if at_start && is_word(token, "END") {
                    break;
                }
                at_start = *token == Token::SemiColon || is_word(token, "BEGIN");
            }
        }
        while j < n && tokens[j].token != Token::SemiColon {
            j += 1;
        }
        let last = (first..j).rev().find(|&k| significant(&tokens[k].token)).unwrap_or(first);
        let end_at = if j < n { tokens[j].span.start } else { tokens[last].span.end };
        pieces.push(Piece { first, end: j, last, end_at });
        i = j + 1;
    }
    pieces
}

/// Parses one split statement.
fn parse_piece(src: &Source<'_>, tokens: &[TokenWithSpan], piece: &Piece) -> Result<Located<Statement>, SqlError> {
    let start = tokens[piece.first].span.start;
    let text = src.slice(start, tokens[piece.last].span.end).to_string();
    let mut statement = tokens[piece.first..piece.end].to_vec();
    match_within::rewrite_within(&mut statement);
    let mut cursor = Cursor::new(src, statement, piece.end_at);
    let mut node = cursor.parse_whole_statement()?;
    reserved::check_statement(&node)?;
    normalize_statement(&mut node);
    Ok(Located { node, start: position(start), text })
}

/// Parses a script: statements separated by `;` (see the [module documentation](self)).
///
/// Empty statements (only whitespace and comments) are skipped. The first error stops the
/// parse; its position is the 1-based line and column in the whole script.
pub fn parse_script(sql: &str) -> Result<Vec<Located<Statement>>, SqlError> {
    let tokens = tokenize(sql)?;
    let src = Source::new(sql);
    split(&tokens).iter().map(|piece| parse_piece(&src, &tokens, piece)).collect()
}

/// Parses exactly one statement (as typed in the interactive client); a trailing `;` is
/// allowed.
pub fn parse_statement(sql: &str) -> Result<Located<Statement>, SqlError> {
    let tokens = tokenize(sql)?;
    let src = Source::new(sql);
    let pieces = split(&tokens);
    match pieces.as_slice() {
        [] => Err(SqlError::syntax("Empty statement", Position { line: 1, column: 1 })),
        [piece] => parse_piece(&src, &tokens, piece),
        [_, second, ..] => Err(SqlError::syntax(
            "Expected a single statement, found another statement after ';'",
            position(tokens[second.first].span.start),
        )),
    }
}

/// Parses a Flink data type such as `DECIMAL(10, 2)`, `ARRAY<ROW<a INT, b STRING>>` or
/// `TIMESTAMP(3) WITH LOCAL TIME ZONE NOT NULL`.
pub fn parse_type(sql: &str) -> Result<FlinkType, SqlError> {
    let tokens = tokenize(sql)?;
    let src = Source::new(sql);
    let end = tokens.iter().rev().find(|t| significant(&t.token)).map_or(Location::new(1, 1), |t| t.span.end);
    let mut cursor = Cursor::new(&src, tokens, end);
    let ty = cursor.parse_flink_type()?;
    cursor.expect_end("after the data type")?;
    Ok(ty)
}

/// Parses one SQL expression of Flink's dialect (normalized like expressions in
/// statements).
pub fn parse_expression(sql: &str) -> Result<Expr, SqlError> {
    let tokens = tokenize(sql)?;
    let src = Source::new(sql);
    let end = tokens.iter().rev().find(|t| significant(&t.token)).map_or(Location::new(1, 1), |t| t.span.end);
    let mut cursor = Cursor::new(&src, tokens, end);
    if cursor.peek().token == Token::EOF {
        return Err(SqlError::syntax("Expected an expression, found nothing", Position { line: 1, column: 1 }));
    }
    let mut expr = cursor.sql(|p| p.parse_expr())?;
    cursor.expect_end("after the expression")?;
    normalize(&mut expr);
    Ok(expr)
}

/// The singular of a plural interval unit.
fn singular(field: &DateTimeField) -> Option<DateTimeField> {
    Some(match field {
        DateTimeField::Years => DateTimeField::Year,
        DateTimeField::Months => DateTimeField::Month,
        DateTimeField::Weeks => DateTimeField::Week(None),
        DateTimeField::Days => DateTimeField::Day,
        DateTimeField::Hours => DateTimeField::Hour,
        DateTimeField::Minutes => DateTimeField::Minute,
        DateTimeField::Seconds => DateTimeField::Second,
        DateTimeField::Milliseconds => DateTimeField::Millisecond,
        DateTimeField::Microseconds => DateTimeField::Microsecond,
        DateTimeField::Nanoseconds => DateTimeField::Nanosecond,
        _ => return None,
    })
}

/// A `LIKE` pattern literal in DataFusion's form, where a backslash escapes: Flink's escape
/// character (none unless `ESCAPE 'c'` is given, so a backslash is an ordinary character)
/// becomes a backslash, and a literal backslash is doubled. Patterns that are not literals
/// are left alone.
fn like_with_backslash(pattern: &mut Expr, escape_char: &mut Option<sqlparser::ast::ValueWithSpan>) {
    use sqlparser::ast::Value;
    let Expr::Value(v) = pattern else { return };
    let Value::SingleQuotedString(text) = &v.value else { return };
    let escape = match escape_char.as_ref().map(|e| &e.value) {
        None => None,
        Some(Value::SingleQuotedString(e)) if e.chars().count() == 1 => e.chars().next(),
        Some(_) => return,
    };
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if Some(c) == escape {
            out.push('\\');
            match chars.next() {
                Some('\\') => out.push_str("\\\\"),
                Some(next) => out.push(next),
                None => {}
            }
        } else if c == '\\' {
            out.push_str("\\\\");
        } else {
            out.push(c);
        }
    }
    v.value = Value::SingleQuotedString(out);
    *escape_char = None;
}

/// Flink's interval ranges (`INTERVAL '1 02:03:04.005' DAY TO SECOND`, `INTERVAL '2-3' YEAR TO
/// MONTH`, …) as a plain interval DataFusion reads (`'1 days 2 hours 3 minutes 4.005 seconds'`).
fn interval_range(interval: &sqlparser::ast::Interval) -> Option<sqlparser::ast::Interval> {
    use sqlparser::ast::Value;
    let (Some(first), Some(last)) = (&interval.leading_field, &interval.last_field) else { return None };
    let Expr::Value(v) = interval.value.as_ref() else { return None };
    let Value::SingleQuotedString(text) = &v.value else { return None };
    let units = ["years", "months", "days", "hours", "minutes", "seconds"];
    let index = |f: &DateTimeField| match f {
        DateTimeField::Year => Some(0),
        DateTimeField::Month => Some(1),
        DateTimeField::Day => Some(2),
        DateTimeField::Hour => Some(3),
        DateTimeField::Minute => Some(4),
        DateTimeField::Second => Some(5),
        _ => None,
    };
    let (from, to) = (index(first)?, index(last)?);
    if from >= to {
        return None;
    }
    let text = text.trim();
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let parts: Vec<&str> = text.split([' ', ':', '-']).filter(|p| !p.is_empty()).collect();
    if parts.len() != to - from + 1 || parts.iter().any(|p| p.parse::<f64>().is_err()) {
        return None;
    }
    let sign = if negative { "-" } else { "" };
    let plain: Vec<String> = parts.iter().zip(&units[from..=to]).map(|(n, unit)| format!("{sign}{n} {unit}")).collect();
    Some(sqlparser::ast::Interval {
        value: Box::new(Expr::Value(sqlparser::ast::ValueWithSpan::from(Value::SingleQuotedString(plain.join(" "))))),
        leading_field: None,
        leading_precision: None,
        last_field: None,
        fractional_seconds_precision: None,
    })
}

struct Normalizer;

impl VisitorMut for Normalizer {
    type Break = ();

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Expr::Interval(interval) = expr {
            for field in [&mut interval.leading_field, &mut interval.last_field].into_iter().flatten() {
                if let Some(s) = singular(field) {
                    *field = s;
                }
            }
            if let Some(plain) = interval_range(interval) {
                *interval = plain;
            }
        }
        if let Expr::Like { pattern, escape_char, .. } | Expr::ILike { pattern, escape_char, .. } = expr {
            like_with_backslash(pattern, escape_char);
        }
        // `(expr).field` and `arr[i].field` read as `(expr)['field']` and `arr[i]['field']`:
        // DataFusion takes a dot after a name only.
        if let Expr::CompoundFieldAccess { root, access_chain } = expr {
            let mut after_name = matches!(root.as_ref(), Expr::Identifier(_) | Expr::CompoundIdentifier(_));
            for access in access_chain.iter_mut() {
                match access {
                    sqlparser::ast::AccessExpr::Dot(Expr::Identifier(id)) if !after_name => {
                        let index = Expr::value(sqlparser::ast::Value::SingleQuotedString(id.value.clone()));
                        *access = sqlparser::ast::AccessExpr::Subscript(sqlparser::ast::Subscript::Index { index });
                    }
                    sqlparser::ast::AccessExpr::Subscript(_) => after_name = false,
                    _ => {}
                }
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        // `LATERAL TABLE(f(x))` → `LATERAL f(x)`.
        if let TableFactor::Function { lateral: true, name, args, .. } = factor {
            let is_table = matches!(name.0.as_slice(), [part] if part.as_ident().is_some_and(|i| i.quote_style.is_none() && i.value.eq_ignore_ascii_case("TABLE")));
            if is_table {
                if let [FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Function(f)))] = args.as_slice() {
                    if let FunctionArguments::List(list) = &f.args {
                        let (new_name, new_args) = (f.name.clone(), list.args.clone());
                        *name = new_name;
                        *args = new_args;
                    } else if let FunctionArguments::None = &f.args {
                        let new_name = f.name.clone();
                        *name = new_name;
                        *args = vec![];
                    }
                }
            }
        }
        ControlFlow::Continue(())
    }
}

/// Normalizes an expression or query (plural interval units, interval ranges, `LIKE`
/// patterns, `LATERAL TABLE`).
pub fn normalize<T: VisitMut>(node: &mut T) {
    let _ = node.visit(&mut Normalizer);
}

fn normalize_statement(statement: &mut Statement) {
    match statement {
        Statement::CreateTable(t) => {
            for c in &mut t.columns {
                if let ast::ColumnKind::Computed(e) = &mut c.kind {
                    normalize(e);
                }
            }
            if let Some(w) = &mut t.watermark {
                normalize(&mut w.expr);
            }
        }
        Statement::CreateView { query, .. } | Statement::Query(query) => normalize(query.as_mut()),
        Statement::Insert(insert) => normalize(insert.query.as_mut()),
        Statement::StatementSet(inserts) => {
            for i in inserts {
                normalize(i.node.query.as_mut());
            }
        }
        Statement::Explain(inner) => normalize_statement(&mut inner.node),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_after_a_subscript_or_an_expression_is_read_by_name() {
        let cases = [
            ("items[1].sku", "items[1]['sku']"),
            ("items[1].addr.city", "items[1]['addr']['city']"),
            ("(ROW(a, b)).EXPR$0", "(ROW(a, b))['EXPR$0']"),
            ("r.addr.city", "r.addr.city"),
            ("m['k'][2]", "m['k'][2]"),
        ];
        for (sql, normalized) in cases {
            assert_eq!(parse_expression(sql).expect("parse").to_string(), normalized, "{sql}");
        }
    }
}
