//! Flink's window table-valued functions, and the normal form the parser gives them.
//!
//! Flink writes windowing as table functions over a table:
//!
//! ```sql
//! FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES))
//! FROM TABLE(HOP(TABLE bid, DESCRIPTOR(bidtime), INTERVAL '5' MINUTES, INTERVAL '10' MINUTES))
//! FROM TABLE(CUMULATE(TABLE bid, DESCRIPTOR(bidtime), INTERVAL '2' MINUTES, INTERVAL '10' MINUTES))
//! FROM TABLE(SESSION(TABLE bid PARTITION BY item, DESCRIPTOR(bidtime), INTERVAL '5' MINUTES))
//! FROM TABLE(TUMBLE(DATA => TABLE bid, TIMECOL => DESCRIPTOR(bidtime), SIZE => INTERVAL '10' MINUTES))
//! ```
//!
//! `TABLE name` is not an expression for sqlparser, so the parser reads these calls itself
//! (through [`FlinkDialect`](super::dialect::FlinkDialect)'s prefix hook) and produces this
//! **normal form**, which the planner consumes:
//!
//! * The `FROM` item is `TableFactor::TableFunction { expr, alias }` (sqlparser's form of
//!   `TABLE(expr) [AS alias]`), where `expr` is an `Expr::Function` whose name is one
//!   unquoted, upper-case identifier: `TUMBLE`, `HOP`, `CUMULATE` or `SESSION`, and whose
//!   `args` is a `FunctionArguments::List` in the order written.
//! * The table argument `TABLE t` becomes `Expr::Identifier(t)`; `TABLE cat.db.t` becomes
//!   `Expr::CompoundIdentifier([cat, db, t])`. Only table (or view) names are allowed;
//!   `TABLE (SELECT …)` is rejected with a syntax error.
//! * `DESCRIPTOR(col)` stays an ordinary function call `DESCRIPTOR(col)` (name `DESCRIPTOR`
//!   as written, one argument `Expr::Identifier(col)`).
//! * The other arguments are ordinary expressions, normally `Expr::Interval` with a singular
//!   unit (`INTERVAL '10' MINUTES` is normalized to `INTERVAL '10' MINUTE`, see
//!   [`normalize`](super::normalize)). Positional order is Flink's: `TUMBLE(data, timecol,
//!   size [, offset])`, `HOP(data, timecol, slide, size [, offset])`,
//!   `CUMULATE(data, timecol, step, size [, offset])`, `SESSION(data, timecol, gap)`.
//! * A named argument `NAME => value` becomes `FunctionArg::Named { name, arg, operator:
//!   FunctionArgOperator::RightArrow }` with `name` upper-cased (`DATA`, `TIMECOL`, `SIZE`,
//!   `SLIDE`, `STEP`, `GAP`, `OFFSET`, …); named arguments may come in any order.
//! * `SESSION`'s `TABLE t PARTITION BY k` or `PARTITION BY (k1, k2)` adds one extra
//!   **trailing, unnamed** argument: the call `PARTITION_BY(k1, k2)` (an `Expr::Function`
//!   named `PARTITION_BY` with the keys as unnamed arguments). `PARTITION BY` on the other
//!   window functions is a syntax error.
//!
//! The group-window functions of Flink's legacy syntax (`GROUP BY TUMBLE(ts, INTERVAL '1'
//! HOUR)`) have no `TABLE` argument and stay ordinary function calls.

use sqlparser::ast::{
    Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgOperator, FunctionArgumentList, FunctionArguments, Ident,
    ObjectName,
};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Token};

/// The names of Flink's window table-valued functions.
pub const WINDOW_FUNCTIONS: [&str; 4] = ["TUMBLE", "HOP", "CUMULATE", "SESSION"];

/// The name of the call that holds `SESSION`'s partition keys in the normal form.
pub const PARTITION_BY: &str = "PARTITION_BY";

fn is_word(token: &Token, word: &str) -> bool {
    matches!(token, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(word))
}

/// Whether the parser is at a window TVF call: `TUMBLE|HOP|CUMULATE|SESSION ( TABLE …` or
/// `… ( name => …`.
pub(crate) fn at_window_tvf(parser: &Parser) -> bool {
    let first = &parser.peek_nth_token_ref(0).token;
    if !WINDOW_FUNCTIONS.iter().any(|name| is_word(first, name)) {
        return false;
    }
    if parser.peek_nth_token_ref(1).token != Token::LParen {
        return false;
    }
    let third = &parser.peek_nth_token_ref(2).token;
    is_word(third, "TABLE") || (matches!(third, Token::Word(_)) && parser.peek_nth_token_ref(3).token == Token::RArrow)
}

fn error<T>(message: String, at: Location) -> Result<T, ParserError> {
    Err(ParserError::ParserError(format!("{message}{at}")))
}

fn describe(token: &Token) -> String {
    match token {
        Token::EOF => "the end of the statement".to_string(),
        other => format!("'{other}'"),
    }
}

/// Parses a window TVF call into its normal form (see the module documentation).
pub(crate) fn parse_window_tvf(parser: &mut Parser) -> Result<Expr, ParserError> {
    let name_token = parser.next_token();
    let name = match &name_token.token {
        Token::Word(w) => w.value.to_ascii_uppercase(),
        _ => unreachable!("checked by at_window_tvf"),
    };
    parser.expect_token(&Token::LParen)?;
    let mut args = Vec::new();
    let mut partition_keys: Option<Vec<Expr>> = None;
    loop {
        let named = match (&parser.peek_nth_token_ref(0).token, &parser.peek_nth_token_ref(1).token) {
            (Token::Word(w), Token::RArrow) => {
                let ident = Ident::with_span(parser.peek_token_ref().span, w.value.to_ascii_uppercase());
                parser.next_token();
                parser.next_token();
                Some(ident)
            }
            _ => None,
        };
        let value = if is_word(&parser.peek_token_ref().token, "TABLE") {
            parser.next_token();
            let next = parser.peek_token();
            if next.token == Token::LParen {
                return error(
                    format!(
                        "The table argument of {name} must be a table or view name (TABLE name), not a query; \
                         define a view for the query"
                    ),
                    next.span.start,
                );
            }
            if !matches!(next.token, Token::Word(_)) {
                return error(
                    format!("Expected a table name after TABLE in {name}, found {}", describe(&next.token)),
                    next.span.start,
                );
            }
            let table = parser.parse_object_name(false)?;
            let mut parts: Vec<Ident> = table.0.iter().filter_map(|p| p.as_ident().cloned()).collect();
            let table_expr =
                if parts.len() == 1 { Expr::Identifier(parts.remove(0)) } else { Expr::CompoundIdentifier(parts) };
            let partition_at = parser.peek_token_ref().span.start;
            if parser.parse_keywords(&[Keyword::PARTITION, Keyword::BY]) {
                if name != "SESSION" {
                    return error(
                        format!("PARTITION BY is only allowed in SESSION windows, not in {name}"),
                        partition_at,
                    );
                }
                if partition_keys.is_some() {
                    return error("PARTITION BY is given twice".to_string(), partition_at);
                }
                let keys = if parser.consume_token(&Token::LParen) {
                    let keys = parser.parse_comma_separated(Parser::parse_expr)?;
                    let close = parser.next_token();
                    if close.token != Token::RParen {
                        return error(
                            format!("Expected ')' after the PARTITION BY keys, found {}", describe(&close.token)),
                            close.span.start,
                        );
                    }
                    keys
                } else {
                    vec![parser.parse_expr()?]
                };
                partition_keys = Some(keys);
            }
            table_expr
        } else {
            parser.parse_expr()?
        };
        let arg = FunctionArgExpr::Expr(value);
        args.push(match named {
            Some(name) => FunctionArg::Named { name, arg, operator: FunctionArgOperator::RightArrow },
            None => FunctionArg::Unnamed(arg),
        });
        let next = parser.next_token();
        match next.token {
            Token::Comma => continue,
            Token::RParen => break,
            other => {
                return error(
                    format!("Expected ',' or ')' in the arguments of {name}, found {}", describe(&other)),
                    next.span.start,
                )
            }
        }
    }
    if let Some(keys) = partition_keys {
        args.push(FunctionArg::Unnamed(FunctionArgExpr::Expr(call(PARTITION_BY, keys))));
    }
    Ok(Expr::Function(Function {
        name: ObjectName::from(vec![Ident::with_span(name_token.span, name)]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList { duplicate_treatment: None, args, clauses: vec![] }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: vec![],
    }))
}

/// A plain call `name(args…)`.
pub(crate) fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Function(Function {
        name: ObjectName::from(vec![Ident::new(name)]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: args.into_iter().map(|e| FunctionArg::Unnamed(FunctionArgExpr::Expr(e))).collect(),
            clauses: vec![],
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: vec![],
    })
}
