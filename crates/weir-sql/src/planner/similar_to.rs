//! `s [NOT] SIMILAR TO pattern [ESCAPE e]` as Flink evaluates it: the pattern is SQL:2008's
//! regular-expression dialect — `_` any one character but a line break, `%` any string,
//! `|`, `*`, `+`, `?`, `{m,n}`, `[...]`, `( )` and (as in Flink, whose translation keeps
//! them) `.` and `^` as in a regex, every other character (`$`, `\`, …) literal, the escape
//! character (none unless `ESCAPE` names one) making the next one literal — and it must
//! match the whole string. DataFusion
//! would use the pattern as a raw, unanchored Rust regex (and refuses `ESCAPE`).
//!
//! [`similar_to_regexes`] translates each literal pattern into the Rust regex that means the
//! same, anchored, once at planning time; DataFusion then compiles that constant pattern once
//! per batch. NULLs stay NULL and `NOT` stays DataFusion's.

use datafusion_common::tree_node::{Transformed, TreeNode};
use datafusion_common::{DataFusionError, ScalarValue};
use datafusion_expr::expr::Like;
use datafusion_expr::{Expr, LogicalPlan};

use crate::error::Result;

/// `plan` with the pattern of every `SIMILAR TO` translated into an anchored Rust regex.
///
/// # Errors
/// A pattern that is not a literal (not supported yet), or a malformed one (a trailing
/// escape character, an unclosed `[`).
pub fn similar_to_regexes(plan: LogicalPlan) -> Result<LogicalPlan> {
    plan.transform_up_with_subqueries(|node| node.map_expressions(|e| e.transform_up(rewrite)))
        .map(|t| t.data)
        .map_err(super::plan_error)
}

fn rewrite(e: Expr) -> datafusion_common::Result<Transformed<Expr>> {
    let Expr::SimilarTo(like) = e else { return Ok(Transformed::no(e)) };
    let pattern = match like.pattern.as_ref() {
        Expr::Literal(ScalarValue::Utf8(p) | ScalarValue::LargeUtf8(p) | ScalarValue::Utf8View(p), _) => p.clone(),
        Expr::Literal(ScalarValue::Null, _) => None,
        other => {
            return Err(DataFusionError::NotImplemented(format!(
                "SIMILAR TO with a pattern that is not a literal ({other}) is not supported yet"
            )))
        }
    };
    let regex = match pattern {
        Some(p) => Some(similar_to_regex(&p, like.escape_char).map_err(DataFusionError::Plan)?),
        None => None,
    };
    Ok(Transformed::yes(Expr::SimilarTo(Like {
        pattern: Box::new(Expr::Literal(ScalarValue::Utf8(regex), None)),
        escape_char: None,
        ..like
    })))
}

/// The Rust regex matching exactly the strings the SQL `SIMILAR TO` pattern matches.
///
/// # Errors
/// The escape character at the end of the pattern, or a `[` without its `]`.
pub fn similar_to_regex(pattern: &str, escape: Option<char>) -> std::result::Result<String, String> {
    let mut out = String::with_capacity(pattern.len() + 8);
    out.push_str("^(?:");
    let mut chars = pattern.chars().peekable();
    // Inside `[...]`: the characters listed, ranges with `-`, `^` first to negate.
    let mut in_class = false;
    while let Some(c) = chars.next() {
        if Some(c) == escape {
            match chars.next() {
                Some(next) => push_literal(&mut out, next),
                None => return Err(format!("Invalid escape sequence '{pattern}', {c}")),
            }
            continue;
        }
        if in_class {
            match c {
                ']' => {
                    in_class = false;
                    out.push(']');
                }
                // Characters a Rust class gives a meaning Flink's does not.
                '\\' | '[' | '&' | '~' => {
                    out.push('\\');
                    out.push(c);
                }
                _ => out.push(c),
            }
            continue;
        }
        match c {
            '_' => out.push('.'),
            // `%` spans line breaks, `_` (and a regex `.`) do not, as in Flink.
            '%' => out.push_str("(?s:.*)"),
            '[' => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    chars.next();
                    out.push('^');
                }
            }
            // Flink hands these to its regex engine as they are.
            '|' | '*' | '+' | '?' | '(' | ')' | '{' | '}' | '.' | '^' => out.push(c),
            _ => push_literal(&mut out, c),
        }
    }
    if in_class {
        return Err(format!("Invalid regular expression '{pattern}': a '[' has no ']'"));
    }
    out.push_str(")$");
    Ok(out)
}

/// `c` matching itself in a Rust regex.
fn push_literal(out: &mut String, c: char) {
    if regex_syntax_special(c) {
        out.push('\\');
    }
    out.push(c);
}

fn regex_syntax_special(c: char) -> bool {
    matches!(
        c,
        '\\' | '.' | '+' | '*' | '?' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$' | '#' | '&' | '-' | '~'
    )
}

#[cfg(test)]
mod tests {
    use super::similar_to_regex;

    fn matches(pattern: &str, escape: Option<char>, s: &str) -> bool {
        let regex = similar_to_regex(pattern, escape).expect("a pattern");
        regex::Regex::new(&regex).expect("a regex").is_match(s)
    }

    #[test]
    fn patterns_match_as_in_flink() {
        let cases: &[(&str, Option<char>, &str, bool)] = &[
            ("a(_x|y)", None, "aXx", true),
            ("a_x", None, "aXx", true),
            ("[a-c]+(_x|10%)", None, "aXx", true),
            ("[a-c]+(_x|10%)", None, "ab10zz", true),
            ("ab", None, "ab10zz", false),
            ("ab", None, "xab", false),
            ("a%", None, "a", true),
            ("%", None, "", true),
            ("a.c", None, "abc", true),
            ("a.c", None, "a.c", true),
            ("a\\_c", None, "a_c", false),
            ("a\\%c", None, "a\\c", true),
            ("[a-b]%", None, "ab\nc", true),
            ("ab_c", None, "ab\nc", false),
            ("a]", None, "a]", true),
            ("a$", None, "a$", true),
            ("a{2}", None, "aa", true),
            ("a{2}", None, "aaa", false),
            ("a{2,}", None, "aaa", true),
            ("[^a]bc", None, "bbc", true),
            ("[^a]bc", None, "abc", false),
            ("x|y", None, "y", true),
            ("x|y", None, "x|y", false),
            ("a#_c", Some('#'), "a_c", true),
            ("a#_c", Some('#'), "aXc", false),
            ("a#%", Some('#'), "a%", true),
            ("a#%", Some('#'), "ab", false),
        ];
        for (pattern, escape, s, expected) in cases {
            assert_eq!(matches(pattern, *escape, s), *expected, "{s:?} SIMILAR TO {pattern:?} ESCAPE {escape:?}");
        }
    }

    #[test]
    fn malformed_patterns_are_refused() {
        assert!(similar_to_regex("ab#", Some('#')).is_err());
        assert!(similar_to_regex("[ab", None).is_err());
    }
}
