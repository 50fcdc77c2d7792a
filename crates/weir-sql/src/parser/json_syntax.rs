//! Flink's SQL/JSON syntax, read into calls of Weir's JSON functions (see
//! [`crate::functions::json`]); the clauses become literal arguments:
//!
//! * `JSON_VALUE(j, path [RETURNING t] [{NULL | ERROR | DEFAULT e} ON EMPTY] [{…} ON ERROR])`
//!   → `flink_json_value(j, path, CAST(NULL AS t), 'NULL', NULL, 'DEFAULT', e)` (plain
//!   `json_value(j, path)` without clauses);
//! * `JSON_QUERY(j, path [WITHOUT [ARRAY] WRAPPER | WITH [CONDITIONAL | UNCONDITIONAL] [ARRAY]
//!   WRAPPER] [{NULL | EMPTY ARRAY | EMPTY OBJECT | ERROR} ON EMPTY] [{…} ON ERROR])` →
//!   `flink_json_query(j, path, 'UNCONDITIONAL', 'NULL', 'NULL')`;
//! * `JSON_EXISTS(j, path [{TRUE | FALSE | UNKNOWN | ERROR} ON ERROR])` →
//!   `flink_json_exists(j, path, 'FALSE')`;
//! * `JSON_OBJECT([KEY] k VALUE v, … [{NULL | ABSENT} ON NULL])` →
//!   `flink_json_object('NULL;nj', k1, v1, k2, v2)` and `JSON_ARRAY(v, … [… ON NULL])` →
//!   `flink_json_array('ABSENT;nj', v1, v2)`: the flags say what a NULL value does and which
//!   values are JSON already (`j`: a `JSON_OBJECT`, `JSON_ARRAY` or `JSON_QUERY` inside,
//!   embedded as JSON rather than as a string);
//! * `j IS [NOT] JSON [VALUE | SCALAR | ARRAY | OBJECT]` → `[NOT] flink_is_json(j, 'VALUE')`;
//! * the aggregates `JSON_ARRAYAGG(v [… ON NULL])` → `json_arrayagg(v, 'ABSENT;n')` and
//!   `JSON_OBJECTAGG([KEY] k VALUE v [… ON NULL])` → `json_objectagg(k, v, 'NULL;n')`.

use sqlparser::ast::{CastKind, Expr, UnaryOperator, Value};
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

use super::cursor::is_word;
use super::window_tvf::call;

const CALLS: [&str; 7] =
    ["JSON_VALUE", "JSON_QUERY", "JSON_EXISTS", "JSON_OBJECT", "JSON_ARRAY", "JSON_ARRAYAGG", "JSON_OBJECTAGG"];

/// Whether the parser is at one of the JSON calls with clauses.
pub(crate) fn at_json_call(parser: &Parser) -> bool {
    CALLS.iter().any(|c| is_word(&parser.peek_nth_token_ref(0).token, c))
        && parser.peek_nth_token_ref(1).token == Token::LParen
}

/// Whether the parser is at `IS [NOT] JSON`.
pub(crate) fn at_is_json(parser: &Parser) -> bool {
    let at = |n: usize, w: &str| is_word(&parser.peek_nth_token_ref(n).token, w);
    at(0, "IS") && (at(1, "JSON") || (at(1, "NOT") && at(2, "JSON")))
}

fn peek_is(parser: &Parser, n: usize, word: &str) -> bool {
    is_word(&parser.peek_nth_token_ref(n).token, word)
}

fn eat(parser: &mut Parser, word: &str) -> bool {
    if peek_is(parser, 0, word) {
        parser.next_token();
        true
    } else {
        false
    }
}

fn expect(parser: &mut Parser, word: &str) -> Result<(), ParserError> {
    if eat(parser, word) {
        Ok(())
    } else {
        parser.expected(word, parser.peek_token())
    }
}

fn text(s: &str) -> Expr {
    Expr::value(Value::SingleQuotedString(s.to_string()))
}

fn null() -> Expr {
    Expr::value(Value::Null)
}

/// Reads `j IS [NOT] JSON [kind]` after `j`.
pub(crate) fn parse_is_json(parser: &mut Parser, expr: &Expr) -> Result<Expr, ParserError> {
    expect(parser, "IS")?;
    let negated = eat(parser, "NOT");
    expect(parser, "JSON")?;
    let kind = ["VALUE", "SCALAR", "ARRAY", "OBJECT"].into_iter().find(|k| eat(parser, k)).unwrap_or("VALUE");
    let test = call("flink_is_json", vec![expr.clone(), text(kind)]);
    Ok(if negated { Expr::UnaryOp { op: UnaryOperator::Not, expr: Box::new(test) } } else { test })
}

/// Reads a JSON call (the parser at its name).
pub(crate) fn parse_json_call(parser: &mut Parser) -> Result<Expr, ParserError> {
    let name = parser.next_token().token.to_string().to_ascii_uppercase();
    parser.expect_token(&Token::LParen)?;
    let expr = match name.as_str() {
        "JSON_OBJECT" => json_object(parser)?,
        "JSON_ARRAY" => json_array(parser)?,
        "JSON_ARRAYAGG" | "JSON_OBJECTAGG" => json_aggregate(parser, name == "JSON_OBJECTAGG")?,
        _ => {
            let doc = parser.parse_expr()?;
            parser.expect_token(&Token::Comma)?;
            let path = parser.parse_expr()?;
            match name.as_str() {
                "JSON_VALUE" => json_value(parser, doc, path)?,
                "JSON_QUERY" => json_query(parser, doc, path)?,
                _ => json_exists(parser, doc, path)?,
            }
        }
    };
    parser.expect_token(&Token::RParen)?;
    Ok(expr)
}

/// `NULL`, `ERROR` or `DEFAULT e` before `ON EMPTY` / `ON ERROR`, if there.
fn value_behavior(parser: &mut Parser) -> Result<Option<(String, Expr)>, ParserError> {
    let behavior = if eat(parser, "NULL") {
        ("NULL".to_string(), null())
    } else if peek_is(parser, 0, "ERROR") && peek_is(parser, 1, "ON") {
        parser.next_token();
        ("ERROR".to_string(), null())
    } else if eat(parser, "DEFAULT") {
        ("DEFAULT".to_string(), parser.parse_expr()?)
    } else {
        return Ok(None);
    };
    Ok(Some(behavior))
}

/// `ON EMPTY` or `ON ERROR`: true for EMPTY.
fn on_empty_or_error(parser: &mut Parser) -> Result<bool, ParserError> {
    expect(parser, "ON")?;
    if eat(parser, "EMPTY") {
        Ok(true)
    } else {
        expect(parser, "ERROR")?;
        Ok(false)
    }
}

fn json_value(parser: &mut Parser, doc: Expr, path: Expr) -> Result<Expr, ParserError> {
    let mut returning = None;
    let mut on_empty = ("NULL".to_string(), null());
    let mut on_error = ("NULL".to_string(), null());
    let mut clauses = false;
    loop {
        if eat(parser, "RETURNING") {
            returning = Some(parser.parse_data_type()?);
        } else if let Some(behavior) = value_behavior(parser)? {
            if on_empty_or_error(parser)? {
                on_empty = behavior;
            } else {
                on_error = behavior;
            }
        } else {
            break;
        }
        clauses = true;
    }
    if !clauses {
        return Ok(call("json_value", vec![doc, path]));
    }
    let target = Expr::Cast {
        kind: CastKind::Cast,
        expr: Box::new(null()),
        data_type: returning.unwrap_or(sqlparser::ast::DataType::String(None)),
        format: None,
        array: false,
    };
    Ok(call("flink_json_value", vec![doc, path, target, text(&on_empty.0), on_empty.1, text(&on_error.0), on_error.1]))
}

fn json_query(parser: &mut Parser, doc: Expr, path: Expr) -> Result<Expr, ParserError> {
    let mut returning_array = false;
    let mut wrapper = "WITHOUT";
    let mut on_empty = "NULL";
    let mut on_error = "NULL";
    let mut clauses = false;
    loop {
        if eat(parser, "RETURNING") {
            use sqlparser::ast::{ArrayElemTypeDef, DataType};
            let is_string = |t: &DataType| matches!(t, DataType::String(_) | DataType::Varchar(_));
            returning_array = match parser.parse_data_type()? {
                t if is_string(&t) => false,
                DataType::Array(ArrayElemTypeDef::AngleBracket(e)) if is_string(&e) => true,
                _ => return parser.expected("RETURNING STRING or ARRAY<STRING>", parser.peek_token()),
            };
        } else if eat(parser, "WITHOUT") {
            eat(parser, "ARRAY");
            expect(parser, "WRAPPER")?;
            wrapper = "WITHOUT";
        } else if eat(parser, "WITH") {
            wrapper = if eat(parser, "CONDITIONAL") {
                "CONDITIONAL"
            } else {
                eat(parser, "UNCONDITIONAL");
                "UNCONDITIONAL"
            };
            eat(parser, "ARRAY");
            expect(parser, "WRAPPER")?;
        } else {
            let behavior = if eat(parser, "NULL") {
                "NULL"
            } else if peek_is(parser, 0, "ERROR") && peek_is(parser, 1, "ON") {
                parser.next_token();
                "ERROR"
            } else if peek_is(parser, 0, "EMPTY") && peek_is(parser, 1, "ARRAY") {
                parser.next_token();
                parser.next_token();
                "EMPTY ARRAY"
            } else if peek_is(parser, 0, "EMPTY") && peek_is(parser, 1, "OBJECT") {
                parser.next_token();
                parser.next_token();
                "EMPTY OBJECT"
            } else {
                break;
            };
            if on_empty_or_error(parser)? {
                on_empty = behavior;
            } else {
                on_error = behavior;
            }
        }
        clauses = true;
    }
    if !clauses {
        return Ok(call("json_query", vec![doc, path]));
    }
    if returning_array {
        if on_empty == "EMPTY OBJECT" || on_error == "EMPTY OBJECT" {
            return Err(ParserError::ParserError(
                "JSON_QUERY … RETURNING ARRAY<STRING> cannot return EMPTY OBJECT; use NULL, EMPTY ARRAY or ERROR"
                    .into(),
            ));
        }
        return Ok(call("flink_json_query_array", vec![doc, path, text(wrapper), text(on_empty), text(on_error)]));
    }
    Ok(call("flink_json_query", vec![doc, path, text(wrapper), text(on_empty), text(on_error)]))
}

fn json_exists(parser: &mut Parser, doc: Expr, path: Expr) -> Result<Expr, ParserError> {
    let behavior =
        ["TRUE", "FALSE", "UNKNOWN", "ERROR"].into_iter().find(|b| peek_is(parser, 0, b) && peek_is(parser, 1, "ON"));
    let Some(behavior) = behavior else { return Ok(call("json_exists", vec![doc, path])) };
    parser.next_token();
    expect(parser, "ON")?;
    expect(parser, "ERROR")?;
    Ok(call("flink_json_exists", vec![doc, path, text(behavior)]))
}

/// Whether a value is JSON already (embedded as JSON, not as a string).
fn is_json_value(e: &Expr) -> char {
    let json = matches!(e, Expr::Function(f) if ["flink_json_object", "flink_json_array", "json_query", "flink_json_query"]
        .iter()
        .any(|n| f.name.to_string().eq_ignore_ascii_case(n)));
    if json {
        'j'
    } else {
        'n'
    }
}

/// `NULL ON NULL` / `ABSENT ON NULL`, if next.
fn on_null(parser: &mut Parser) -> Result<Option<&'static str>, ParserError> {
    let which = if peek_is(parser, 0, "NULL") && peek_is(parser, 1, "ON") {
        "NULL"
    } else if peek_is(parser, 0, "ABSENT") {
        "ABSENT"
    } else {
        return Ok(None);
    };
    parser.next_token();
    expect(parser, "ON")?;
    expect(parser, "NULL")?;
    Ok(Some(which))
}

fn json_object(parser: &mut Parser) -> Result<Expr, ParserError> {
    let mut args = Vec::new();
    let mut flags = String::new();
    let mut nulls = "NULL";
    while parser.peek_token().token != Token::RParen {
        if let Some(n) = on_null(parser)? {
            nulls = n;
            break;
        }
        eat(parser, "KEY");
        let key = parser.parse_expr()?;
        expect(parser, "VALUE")?;
        let value = parser.parse_expr()?;
        flags.push(is_json_value(&value));
        args.push(key);
        args.push(value);
        if !parser.consume_token(&Token::Comma) {
            if let Some(n) = on_null(parser)? {
                nulls = n;
            }
            break;
        }
    }
    args.insert(0, text(&format!("{nulls};{flags}")));
    Ok(call("flink_json_object", args))
}

/// The arguments of `JSON_ARRAYAGG` / `JSON_OBJECTAGG` (`object`), up to the closing parenthesis.
fn json_aggregate(parser: &mut Parser, object: bool) -> Result<Expr, ParserError> {
    let mut args = Vec::new();
    if object {
        eat(parser, "KEY");
        args.push(parser.parse_expr()?);
        expect(parser, "VALUE")?;
    }
    let value = parser.parse_expr()?;
    let flag = is_json_value(&value);
    args.push(value);
    let nulls = on_null(parser)?.unwrap_or(if object { "NULL" } else { "ABSENT" });
    args.push(text(&format!("{nulls};{flag}")));
    Ok(call(if object { "json_objectagg" } else { "json_arrayagg" }, args))
}

fn json_array(parser: &mut Parser) -> Result<Expr, ParserError> {
    let mut args = Vec::new();
    let mut flags = String::new();
    let mut nulls = "ABSENT";
    while parser.peek_token().token != Token::RParen {
        if let Some(n) = on_null(parser)? {
            nulls = n;
            break;
        }
        let value = parser.parse_expr()?;
        flags.push(is_json_value(&value));
        args.push(value);
        if !parser.consume_token(&Token::Comma) {
            if let Some(n) = on_null(parser)? {
                nulls = n;
            }
            break;
        }
    }
    args.insert(0, text(&format!("{nulls};{flags}")));
    Ok(call("flink_json_array", args))
}
