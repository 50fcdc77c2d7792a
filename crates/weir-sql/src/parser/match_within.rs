//! Flink's `MATCH_RECOGNIZE (… PATTERN (…) WITHIN INTERVAL '1' HOUR DEFINE …)`: sqlparser
//! knows no `WITHIN`, so before a statement is parsed the clause becomes a first `DEFINE`
//! entry named [`WITHIN_SYMBOL`] (`PATTERN (…) DEFINE __within AS INTERVAL '1' HOUR, …`),
//! which the planner takes out again (see [`crate::planner::match_recognize`]).

use sqlparser::tokenizer::{Token, TokenWithSpan, Word};

use super::cursor::is_word;

/// The `DEFINE` name that carries a `WITHIN` interval through sqlparser.
pub const WITHIN_SYMBOL: &str = "__within";

/// Rewrites each `) WITHIN INTERVAL …` of a `MATCH_RECOGNIZE` in `tokens` into a `DEFINE`
/// entry (see the module documentation).
pub(super) fn rewrite_within(tokens: &mut Vec<TokenWithSpan>) {
    if !tokens.iter().any(|t| is_word(&t.token, "MATCH_RECOGNIZE")) {
        return;
    }
    let significant = |t: &Token| !matches!(t, Token::Whitespace(_));
    let mut i = 0;
    while i < tokens.len() {
        let previous = tokens[..i].iter().rev().find(|t| significant(&t.token)).map(|t| &t.token);
        let next = tokens[i + 1..].iter().find(|t| significant(&t.token)).map(|t| &t.token);
        let is_within = is_word(&tokens[i].token, "WITHIN")
            && previous == Some(&Token::RParen)
            && next.is_some_and(|t| is_word(t, "INTERVAL"));
        if !is_within {
            i += 1;
            continue;
        }
        let span = tokens[i].span;
        let word = |w: &str| TokenWithSpan { token: Token::make_word(w, None), span };
        let space = TokenWithSpan { token: Token::Whitespace(sqlparser::tokenizer::Whitespace::Space), span };
        tokens.splice(i..=i, [word("DEFINE"), space.clone(), word(WITHIN_SYMBOL), space.clone(), word("AS")]);
        // The `DEFINE` after the interval (at this nesting depth) continues the list.
        let mut depth = 0i32;
        for t in tokens[i + 5..].iter_mut() {
            match &t.token {
                Token::LParen => depth += 1,
                Token::RParen if depth == 0 => break,
                Token::RParen => depth -= 1,
                Token::Word(Word { .. }) if depth == 0 && is_word(&t.token, "DEFINE") => {
                    t.token = Token::Comma;
                    break;
                }
                _ => {}
            }
        }
        i += 5;
    }
}
