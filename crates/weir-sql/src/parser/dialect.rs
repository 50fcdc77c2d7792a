//! The sqlparser dialect closest to Flink's (Calcite configured by Flink).

use std::any::TypeId;

use sqlparser::ast::Expr;
use sqlparser::dialect::{Dialect, GenericDialect};
use sqlparser::parser::{Parser, ParserError};

use sqlparser::tokenizer::Token;

use super::cursor::is_word;
use super::window_tvf;

/// Flink's lexical and expression conventions for sqlparser.
///
/// It behaves like sqlparser's `GenericDialect` (it reports that dialect's type id, so the
/// parser's dialect-specific branches treat it as generic) with Flink's differences:
/// identifiers are quoted with backticks only, `'…'` strings escape quotes by doubling them
/// (no backslash escapes), `FOR SYSTEM_TIME AS OF` is allowed after a table name,
/// `agg(…) FILTER (WHERE …)`, `OVER w` with `WINDOW w AS (…)`, `MATCH_RECOGNIZE`, named
/// arguments with `=>`, `BETWEEN SYMMETRIC`, the SQL/JSON clauses (`RETURNING`, `ON
/// ERROR`, `IS JSON`, …), and the window table-valued functions (see [`window_tvf`]).
#[derive(Debug, Default, Clone, Copy)]
pub struct FlinkDialect;

/// The one dialect value the parser uses.
pub(crate) static FLINK: FlinkDialect = FlinkDialect;

impl Dialect for FlinkDialect {
    fn dialect(&self) -> TypeId {
        TypeId::of::<GenericDialect>()
    }

    fn is_delimited_identifier_start(&self, ch: char) -> bool {
        ch == '`'
    }

    fn is_identifier_start(&self, ch: char) -> bool {
        ch.is_alphabetic() || ch == '_'
    }

    fn is_identifier_part(&self, ch: char) -> bool {
        ch.is_alphanumeric() || ch == '_' || ch == '$'
    }

    fn supports_string_literal_backslash_escape(&self) -> bool {
        false
    }

    fn supports_filter_during_aggregation(&self) -> bool {
        true
    }

    fn supports_window_clause_named_window_reference(&self) -> bool {
        true
    }

    fn supports_group_by_expr(&self) -> bool {
        true
    }

    fn supports_match_recognize(&self) -> bool {
        true
    }

    fn supports_named_fn_args_with_rarrow_operator(&self) -> bool {
        true
    }

    fn supports_table_versioning(&self) -> bool {
        true
    }

    fn supports_window_function_null_treatment_arg(&self) -> bool {
        true
    }

    fn supports_unicode_string_literal(&self) -> bool {
        true
    }

    fn allow_extract_custom(&self) -> bool {
        true
    }

    fn parse_infix(&self, parser: &mut Parser, expr: &Expr, _precedence: u8) -> Option<Result<Expr, ParserError>> {
        if super::json_syntax::at_is_json(parser) {
            return Some(super::json_syntax::parse_is_json(parser, expr));
        }
        let negated = is_word(&parser.peek_nth_token_ref(0).token, "NOT");
        let at = usize::from(negated);
        if !is_word(&parser.peek_nth_token_ref(at).token, "BETWEEN") {
            return None;
        }
        let kind = &parser.peek_nth_token_ref(at + 1).token;
        let symmetric = is_word(kind, "SYMMETRIC");
        if !symmetric && !is_word(kind, "ASYMMETRIC") {
            return None;
        }
        for _ in 0..at + 2 {
            parser.next_token();
        }
        Some(parse_between_bounds(parser, expr, negated, symmetric))
    }

    fn parse_prefix(&self, parser: &mut Parser) -> Option<Result<Expr, ParserError>> {
        if window_tvf::at_window_tvf(parser) {
            Some(window_tvf::parse_window_tvf(parser))
        } else if super::composite_cast::at_composite_cast(parser) {
            Some(super::composite_cast::parse_composite_cast(parser))
        } else if super::json_syntax::at_json_call(parser) {
            Some(super::json_syntax::parse_json_call(parser))
        } else if is_word(&parser.peek_nth_token_ref(0).token, "MAP")
            && parser.peek_nth_token_ref(1).token == Token::LBracket
        {
            Some(parse_map_constructor(parser))
        } else {
            None
        }
    }
}

/// The bounds of `expr [NOT] BETWEEN SYMMETRIC low AND high` (the keywords read): the
/// symmetric form is `(expr BETWEEN low AND high) OR (expr BETWEEN high AND low)`.
fn parse_between_bounds(parser: &mut Parser, expr: &Expr, negated: bool, symmetric: bool) -> Result<Expr, ParserError> {
    use sqlparser::ast::{BinaryOperator, UnaryOperator};
    use sqlparser::dialect::Precedence;
    use sqlparser::keywords::Keyword;
    let precedence = FLINK.prec_value(Precedence::Between);
    let low = parser.parse_subexpr(precedence)?;
    parser.expect_keyword_is(Keyword::AND)?;
    let high = parser.parse_subexpr(precedence)?;
    let between = |low: &Expr, high: &Expr| Expr::Between {
        expr: Box::new(expr.clone()),
        negated: false,
        low: Box::new(low.clone()),
        high: Box::new(high.clone()),
    };
    let test = if symmetric {
        Expr::Nested(Box::new(Expr::BinaryOp {
            left: Box::new(between(&low, &high)),
            op: BinaryOperator::Or,
            right: Box::new(between(&high, &low)),
        }))
    } else {
        between(&low, &high)
    };
    Ok(if negated {
        Expr::UnaryOp { op: UnaryOperator::Not, expr: Box::new(Expr::Nested(Box::new(test))) }
    } else {
        test
    })
}

/// Flink's map constructor `MAP[k1, v1, k2, v2, …]`, read as the call `MAP(k1, v1, k2, v2, …)`.
fn parse_map_constructor(parser: &mut Parser) -> Result<Expr, ParserError> {
    parser.next_token();
    parser.next_token();
    let args = if parser.consume_token(&Token::RBracket) {
        vec![]
    } else {
        let args = parser.parse_comma_separated(Parser::parse_expr)?;
        parser.expect_token(&Token::RBracket)?;
        args
    };
    Ok(window_tvf::call("MAP", args))
}
