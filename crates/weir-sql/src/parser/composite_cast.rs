//! `CAST(x AS t)` / `TRY_CAST(x AS t)` to a composite type in Flink's syntax — `MAP<K, V>`,
//! `ARRAY<T>`, `MULTISET<T>`, `ROW<a INT, b STRING>` or `ROW(a INT, b STRING)` — which
//! sqlparser cannot read (it knows `MAP(K, V)` and `STRUCT<…>`).
//!
//! The type is read with Weir's own type parser (the one DDL uses) and carried in the cast as
//! the custom type `FLINK_TYPE('<type in Flink's syntax>')`, which
//! [`crate::types::FlinkTypePlanner`] reads back with [`super::parse_type`] into its Arrow type.

use sqlparser::ast::{CastKind, DataType, Expr, Ident, ObjectName};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

use super::cursor::{is_word, Cursor, Source};
use crate::types::FlinkType;

/// The custom type name a composite cast target is carried under.
pub const FLINK_TYPE: &str = "FLINK_TYPE";

const COMPOSITE: [&str; 4] = ["MAP", "ARRAY", "MULTISET", "ROW"];

/// Whether the parser is at `CAST (` or `TRY_CAST (` whose target type is a composite type
/// in angle brackets (or `ROW(…)`).
pub(crate) fn at_composite_cast(parser: &Parser) -> bool {
    let at = |n: usize| &parser.peek_nth_token_ref(n).token;
    if !(is_word(at(0), "CAST") || is_word(at(0), "TRY_CAST")) || *at(1) != Token::LParen {
        return false;
    }
    // Find the cast's `AS` (at parenthesis depth 1) and look at the type after it.
    let mut depth = 0usize;
    for n in 1.. {
        match at(n) {
            Token::LParen => depth += 1,
            Token::RParen if depth <= 1 => return false,
            Token::RParen => depth -= 1,
            Token::EOF => return false,
            t if depth == 1 && is_word(t, "AS") => {
                let (name, open) = (at(n + 1), at(n + 2));
                return COMPOSITE.iter().any(|w| is_word(name, w))
                    && (*open == Token::Lt || (is_word(name, "ROW") && *open == Token::LParen));
            }
            _ => {}
        }
    }
    false
}

/// Reads the cast [`at_composite_cast`] found.
pub(crate) fn parse_composite_cast(parser: &mut Parser) -> Result<Expr, ParserError> {
    let kind = if is_word(&parser.next_token().token, "TRY_CAST") { CastKind::TryCast } else { CastKind::Cast };
    parser.expect_token(&Token::LParen)?;
    let expr = parser.parse_expr()?;
    parser.expect_keyword_is(Keyword::AS)?;
    // The type's tokens: everything up to the cast's closing parenthesis.
    let mut tokens = Vec::new();
    let mut depth = 0usize;
    let end = loop {
        let t = parser.next_token();
        match t.token {
            Token::LParen => depth += 1,
            Token::RParen if depth == 0 => break t.span.start,
            Token::RParen => depth -= 1,
            Token::EOF => return parser.expected("')'", t),
            _ => {}
        }
        tokens.push(t);
    };
    let ty = read_type(tokens, end).map_err(|e| {
        let at = e.position.map(|p| format!(" at Line: {}, Column: {}", p.line, p.column)).unwrap_or_default();
        ParserError::ParserError(format!("{}{at}", e.message))
    })?;
    Ok(Expr::Cast {
        kind,
        expr: Box::new(expr),
        data_type: DataType::Custom(ObjectName::from(vec![Ident::new(FLINK_TYPE)]), vec![ty.to_string()]),
        array: false,
        format: None,
    })
}

fn read_type(
    tokens: Vec<sqlparser::tokenizer::TokenWithSpan>,
    end: sqlparser::tokenizer::Location,
) -> Result<FlinkType, crate::error::SqlError> {
    let src = Source::new("");
    let mut cursor = Cursor::new(&src, tokens, end);
    let ty = cursor.parse_flink_type()?;
    cursor.expect_end("the CAST's type")?;
    Ok(ty)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cast_type(sql: &str) -> String {
        match super::super::parse_expression(sql).unwrap() {
            Expr::Cast { data_type, kind, .. } => format!("{kind:?} {data_type}"),
            other => panic!("not a cast: {other:?}"),
        }
    }

    #[test]
    fn composite_targets_are_read_in_flinks_syntax() {
        assert_eq!(cast_type("CAST(m AS MAP<STRING, BIGINT>)"), "Cast FLINK_TYPE(MAP<STRING, BIGINT>)");
        assert_eq!(cast_type("TRY_CAST(a AS ARRAY<INT>)"), "TryCast FLINK_TYPE(ARRAY<INT>)");
        assert_eq!(
            cast_type("CAST(CAST(r AS STRING) AS ROW<x BIGINT, y MAP<STRING, ARRAY<INT>>>)"),
            "Cast FLINK_TYPE(ROW<`x` BIGINT, `y` MAP<STRING, ARRAY<INT>>>)"
        );
        assert_eq!(cast_type("CAST(r AS ROW(x INT))"), "Cast FLINK_TYPE(ROW<`x` INT>)");
        // Other targets stay sqlparser's.
        assert_eq!(cast_type("CAST(x AS BIGINT)"), "Cast BIGINT");
    }

    #[test]
    fn a_bad_composite_type_is_a_syntax_error() {
        assert!(super::super::parse_expression("CAST(m AS MAP<STRING>)").is_err());
        assert!(super::super::parse_expression("CAST(m AS ARRAY<INT> x)").is_err());
    }

    #[test]
    fn stored_type_text_reads_back() {
        let t = super::super::parse_type("MAP<STRING, ARRAY<ROW<`x` BIGINT>>>").unwrap();
        assert_eq!(t.to_string(), "MAP<STRING, ARRAY<ROW<`x` BIGINT>>>");
    }
}
