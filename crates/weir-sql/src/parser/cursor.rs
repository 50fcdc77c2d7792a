//! A cursor over one statement's tokens: sqlparser's `Parser` plus helpers that report
//! errors in the user's terms, at script positions.

use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Token, TokenWithSpan};

use super::ast::Position;
use super::dialect::FLINK;
use crate::error::SqlError;

/// The script text, to cut statements' text and raw values out of it.
pub(crate) struct Source<'a> {
    text: &'a str,
    /// Byte offset where each line starts.
    line_starts: Vec<usize>,
}

impl<'a> Source<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Source { text, line_starts }
    }

    /// The byte offset of a location (1-based line and column, columns counted in chars).
    pub(crate) fn offset(&self, at: Location) -> usize {
        if at.line == 0 {
            return self.text.len();
        }
        let Some(&start) = self.line_starts.get(at.line as usize - 1) else {
            return self.text.len();
        };
        let line = &self.text[start..];
        let column = at.column.saturating_sub(1) as usize;
        start + line.char_indices().nth(column).map(|(i, _)| i).unwrap_or(line.len())
    }

    /// The text between two locations.
    pub(crate) fn slice(&self, from: Location, to: Location) -> &'a str {
        let (a, b) = (self.offset(from), self.offset(to));
        if a <= b {
            &self.text[a..b]
        } else {
            ""
        }
    }
}

/// A script location as a [`Position`].
pub(crate) fn position(at: Location) -> Position {
    Position { line: at.line.max(1), column: at.column.max(1) }
}

/// How a token is named in messages.
pub(crate) fn describe(token: &Token) -> String {
    match token {
        Token::EOF => "the end of the statement".to_string(),
        Token::SingleQuotedString(s) => format!("the string '{s}'"),
        Token::Number(n, _) => format!("the number {n}"),
        Token::Word(w) => format!("'{}'", w.value),
        other => format!("'{other}'"),
    }
}

/// Turns a sqlparser error into ours: the location sqlparser appends to its messages
/// becomes the position (or `fallback` when it has none), and `Expected: X, found: Y`
/// reads `Expected X, found 'Y'`.
pub(crate) fn convert_error(error: ParserError, fallback: Location) -> SqlError {
    let message = match error {
        ParserError::ParserError(m) | ParserError::TokenizerError(m) => m,
        ParserError::RecursionLimitExceeded => "The statement is nested too deeply".to_string(),
    };
    let (mut message, at) = split_location(&message);
    let at = match at {
        Some(at) if at.line > 0 => at,
        _ => fallback,
    };
    if let Some(rest) = message.strip_prefix("Expected: ") {
        if let Some((expected, found)) = rest.rsplit_once(", found: ") {
            let found = if found == "EOF" { "the end of the statement".to_string() } else { format!("'{found}'") };
            let expected = if expected.chars().count() == 1 { format!("'{expected}'") } else { expected.to_string() };
            message = format!("Expected {expected}, found {found}");
        }
    }
    SqlError::syntax(message, position(at))
}

/// Splits sqlparser's ` at Line: L, Column: C` suffix off a message.
pub(crate) fn split_location(message: &str) -> (String, Option<Location>) {
    if let Some(i) = message.rfind(" at Line: ") {
        let tail = &message[i + " at Line: ".len()..];
        if let Some((line, column)) = tail.split_once(", Column: ") {
            if let (Ok(line), Ok(column)) = (line.trim().parse(), column.trim().parse()) {
                return (message[..i].to_string(), Some(Location::new(line, column)));
            }
        }
    }
    (message.to_string(), None)
}

/// One statement's tokens being parsed.
pub(crate) struct Cursor<'a> {
    /// sqlparser's parser over the statement's tokens (with script locations, ending in EOF).
    pub(crate) p: Parser<'a>,
    /// The whole script.
    pub(crate) src: &'a Source<'a>,
    /// Where the statement ends (the EOF token's place).
    pub(crate) end: Location,
}

impl<'a> Cursor<'a> {
    /// A cursor over `tokens` (whitespace included; an EOF token at `end` is appended).
    pub(crate) fn new(src: &'a Source<'a>, mut tokens: Vec<TokenWithSpan>, end: Location) -> Self {
        tokens.push(TokenWithSpan::at(Token::EOF, end, end));
        Cursor { p: Parser::new(&FLINK).with_tokens_with_locations(tokens), src, end }
    }

    /// The next significant token.
    pub(crate) fn peek(&self) -> &TokenWithSpan {
        self.p.peek_token_ref()
    }

    /// The `n`th next significant token.
    pub(crate) fn peek_nth(&self, n: usize) -> &TokenWithSpan {
        self.p.peek_nth_token_ref(n)
    }

    /// Consumes the next significant token.
    pub(crate) fn next(&mut self) -> TokenWithSpan {
        self.p.next_token()
    }

    /// Where the next significant token starts.
    pub(crate) fn here(&self) -> Location {
        let at = self.peek().span.start;
        if at.line == 0 {
            self.end
        } else {
            at
        }
    }

    /// Whether the `n`th next token is the unquoted word `word` (any case).
    pub(crate) fn nth_is_word(&self, n: usize, word: &str) -> bool {
        is_word(&self.peek_nth(n).token, word)
    }

    /// Whether the next token is the unquoted word `word`.
    pub(crate) fn is_word(&self, word: &str) -> bool {
        self.nth_is_word(0, word)
    }

    /// Consumes the word `word` if it is next.
    pub(crate) fn eat_word(&mut self, word: &str) -> bool {
        if self.is_word(word) {
            self.next();
            true
        } else {
            false
        }
    }

    /// Consumes the words `words` if all are next (otherwise nothing).
    pub(crate) fn eat_words(&mut self, words: &[&str]) -> bool {
        if words.iter().enumerate().all(|(i, w)| self.nth_is_word(i, w)) {
            for _ in words {
                self.next();
            }
            true
        } else {
            false
        }
    }

    /// Consumes `word` or fails with `Expected WORD {context}, found …`.
    pub(crate) fn expect_word(&mut self, word: &str, context: &str) -> Result<(), SqlError> {
        if self.eat_word(word) {
            Ok(())
        } else {
            Err(self.expected(&word.to_ascii_uppercase(), context))
        }
    }

    /// Consumes `token` if it is next.
    pub(crate) fn eat(&mut self, token: &Token) -> bool {
        if &self.peek().token == token {
            self.next();
            true
        } else {
            false
        }
    }

    /// Consumes `token` or fails with `Expected 'T' {context}, found …`.
    pub(crate) fn expect(&mut self, token: &Token, context: &str) -> Result<TokenWithSpan, SqlError> {
        if &self.peek().token == token {
            Ok(self.next())
        } else {
            Err(self.expected(&format!("'{token}'"), context))
        }
    }

    /// `Expected {what} {context}, found {next token}`, at the next token.
    pub(crate) fn expected(&self, what: &str, context: &str) -> SqlError {
        let sep = if context.is_empty() { "" } else { " " };
        self.error(format!("Expected {what}{sep}{context}, found {}", describe(&self.peek().token)))
    }

    /// A syntax error at the next token.
    pub(crate) fn error(&self, message: impl Into<String>) -> SqlError {
        SqlError::syntax(message, position(self.here()))
    }

    /// Runs a sqlparser routine, converting its error.
    pub(crate) fn sql<T>(&mut self, f: impl FnOnce(&mut Parser<'a>) -> Result<T, ParserError>) -> Result<T, SqlError> {
        let end = self.end;
        f(&mut self.p).map_err(|e| {
            let mut error = convert_error(e, end);
            // sqlparser reports `SELECT a, FROM t` at the token after `FROM`; point at `FROM`.
            if let Some(found) = error.message.strip_prefix("Expected an expression, found: ") {
                let found = found.to_string();
                error.message = format!("Expected an expression, found '{found}'");
                if let Some(at) = error.position {
                    let mut tokens = (0..self.p.index() + 2).map(|i| self.p.token_at(i));
                    if let Some(t) = tokens.rfind(|t| {
                        matches!(&t.token, Token::Word(w) if w.value == found)
                            && (t.span.start.line, t.span.start.column) < (at.line, at.column)
                    }) {
                        error.position = Some(position(t.span.start));
                    }
                }
            }
            error
        })
    }

    /// A `'…'` string literal, or `Expected {what} {context}, found …`.
    pub(crate) fn string_literal(&mut self, what: &str, context: &str) -> Result<String, SqlError> {
        match &self.peek().token {
            Token::SingleQuotedString(s) => {
                let s = s.clone();
                self.next();
                Ok(s)
            }
            _ => Err(self.expected(what, context)),
        }
    }

    /// Fails unless the statement ends here.
    pub(crate) fn expect_end(&self, context: &str) -> Result<(), SqlError> {
        if self.peek().token == Token::EOF {
            Ok(())
        } else {
            Err(self.expected("the end of the statement", context))
        }
    }

    /// The end of the last significant token consumed.
    pub(crate) fn last_end(&self) -> Location {
        let mut i = self.p.index();
        while i > 0 {
            i -= 1;
            let t = self.p.token_at(i);
            if !matches!(t.token, Token::Whitespace(_) | Token::EOF) {
                return t.span.end;
            }
        }
        self.end
    }
}

/// Whether `token` is the unquoted word `word` (any case).
pub(crate) fn is_word(token: &Token, word: &str) -> bool {
    matches!(token, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(word))
}
