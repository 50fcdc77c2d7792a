//! Flink's data types, read from tokens into [`FlinkType`].
//!
//! sqlparser's `parse_data_type` does not know Flink's types (`STRING`, `BYTES`,
//! `TIMESTAMP_LTZ`, `ROW<…>`, `T ARRAY`, `MULTISET<…>`…), so they are parsed here.

use sqlparser::tokenizer::Token;

use super::cursor::{position, Cursor};
use crate::error::SqlError;
use crate::types::{FlinkType, TypeKind, MAX_LENGTH};

/// The type names Flink knows, for suggestions.
pub const TYPE_NAMES: &[&str] = &[
    "TINYINT",
    "SMALLINT",
    "INT",
    "INTEGER",
    "BIGINT",
    "FLOAT",
    "REAL",
    "DOUBLE",
    "DECIMAL",
    "DEC",
    "NUMERIC",
    "BOOLEAN",
    "CHAR",
    "CHARACTER",
    "VARCHAR",
    "STRING",
    "BINARY",
    "VARBINARY",
    "BYTES",
    "DATE",
    "TIME",
    "TIMESTAMP",
    "TIMESTAMP_LTZ",
    "INTERVAL",
    "ARRAY",
    "MAP",
    "MULTISET",
    "ROW",
];

/// The known type name closest to `name`, if close enough to be a likely typo.
pub fn closest_type_name(name: &str) -> Option<&'static str> {
    let (best, d) = TYPE_NAMES.iter().map(|t| (*t, crate::suggest::edit_distance(name, t))).min_by_key(|(_, d)| *d)?;
    let limit = if name.chars().count() <= 3 { 1 } else { 2 };
    (d <= limit).then_some(best)
}

/// How a type's closing `>` was read: `>>` closes the enclosing type too.
type Owed = bool;

impl Cursor<'_> {
    /// Reads a Flink data type, with its optional `NOT NULL` / `NULL` and `ARRAY` /
    /// `MULTISET` suffixes.
    pub(crate) fn parse_flink_type(&mut self) -> Result<FlinkType, SqlError> {
        let (ty, owed) = self.type_inner()?;
        if owed {
            return Err(SqlError::syntax("Unexpected '>' after the data type", position(self.last_end())));
        }
        Ok(ty)
    }

    fn type_inner(&mut self) -> Result<(FlinkType, Owed), SqlError> {
        let (kind, owed) = self.base_type()?;
        let mut ty = FlinkType::nullable(kind);
        if owed {
            return Ok((ty, true));
        }
        self.nullability(&mut ty);
        loop {
            if self.eat_word("ARRAY") {
                ty = FlinkType::nullable(TypeKind::Array(Box::new(ty)));
            } else if self.eat_word("MULTISET") {
                ty = FlinkType::nullable(TypeKind::Multiset(Box::new(ty)));
            } else {
                break;
            }
            self.nullability(&mut ty);
        }
        Ok((ty, false))
    }

    fn nullability(&mut self, ty: &mut FlinkType) {
        if self.is_word("NOT") && self.nth_is_word(1, "NULL") {
            self.next();
            self.next();
            ty.nullable = false;
        } else if self.eat_word("NULL") {
            ty.nullable = true;
        }
    }

    fn base_type(&mut self) -> Result<(TypeKind, Owed), SqlError> {
        let token = self.peek().clone();
        let name = match &token.token {
            Token::Word(w) if w.quote_style.is_none() => w.value.to_ascii_uppercase(),
            _ => return Err(self.expected("a data type", "")),
        };
        self.next();
        let kind = match name.as_str() {
            "TINYINT" => TypeKind::TinyInt,
            "SMALLINT" => TypeKind::SmallInt,
            "INT" | "INTEGER" => TypeKind::Int,
            "BIGINT" => TypeKind::BigInt,
            "FLOAT" | "REAL" => TypeKind::Float,
            "DOUBLE" => {
                self.eat_word("PRECISION");
                TypeKind::Double
            }
            "DECIMAL" | "DEC" | "NUMERIC" => {
                let (mut p, mut s) = (10, 0);
                if self.eat(&Token::LParen) {
                    p = self.number("the precision of DECIMAL")?;
                    if self.eat(&Token::Comma) {
                        s = self.number("the scale of DECIMAL")?;
                    }
                    self.expect(&Token::RParen, "after the precision of DECIMAL")?;
                }
                if !(1..=38).contains(&p) {
                    return Err(self.type_error(&token, format!("DECIMAL precision must be between 1 and 38, not {p}")));
                }
                if s > p {
                    return Err(self.type_error(
                        &token,
                        format!("DECIMAL scale must be between 0 and the precision {p}, not {s}"),
                    ));
                }
                TypeKind::Decimal(p as u8, s as i8)
            }
            "BOOLEAN" => TypeKind::Boolean,
            "CHAR" | "CHARACTER" => TypeKind::Char(self.length(&token, "CHAR", 1)?),
            // Without a length VARCHAR and VARBINARY are STRING and BYTES in Flink's DDL
            // (its type system's default precision), CHAR and BINARY have length 1.
            "VARCHAR" => TypeKind::Varchar(self.length(&token, "VARCHAR", MAX_LENGTH)?),
            "STRING" => TypeKind::Varchar(MAX_LENGTH),
            "BINARY" => TypeKind::Binary(self.length(&token, "BINARY", 1)?),
            "VARBINARY" => TypeKind::Varbinary(self.length(&token, "VARBINARY", MAX_LENGTH)?),
            "BYTES" => TypeKind::Varbinary(MAX_LENGTH),
            "DATE" => TypeKind::Date,
            "TIME" => {
                let p = self.precision(&token, "TIME", 0)?;
                self.eat_words(&["WITHOUT", "TIME", "ZONE"]);
                TypeKind::Time(p)
            }
            "TIMESTAMP" => {
                let p = self.precision(&token, "TIMESTAMP", 6)?;
                if self.eat_words(&["WITHOUT", "TIME", "ZONE"]) {
                    TypeKind::Timestamp(p)
                } else if self.eat_words(&["WITH", "LOCAL", "TIME", "ZONE"]) {
                    TypeKind::TimestampLtz(p)
                } else if self.is_word("WITH") && self.nth_is_word(1, "TIME") {
                    return Err(self.error(
                        "TIMESTAMP WITH TIME ZONE is not supported by Flink; use TIMESTAMP WITH LOCAL TIME ZONE \
                         (TIMESTAMP_LTZ)",
                    ));
                } else {
                    TypeKind::Timestamp(p)
                }
            }
            "TIMESTAMP_LTZ" => TypeKind::TimestampLtz(self.precision(&token, "TIMESTAMP_LTZ", 6)?),
            "INTERVAL" => self.interval_type()?,
            "ARRAY" | "MULTISET" => {
                self.expect(&Token::Lt, &format!("after {name}"))?;
                let (element, owed) = self.type_inner()?;
                let owed = self.close_angle(owed, &name)?;
                let element = Box::new(element);
                let kind = if name == "ARRAY" { TypeKind::Array(element) } else { TypeKind::Multiset(element) };
                return Ok((kind, owed));
            }
            "MAP" => {
                self.expect(&Token::Lt, "after MAP")?;
                let (key, owed) = self.type_inner()?;
                if owed {
                    return Err(SqlError::syntax(
                        "Expected ',' and the value type in MAP<key, value>, found '>'",
                        position(self.last_end()),
                    ));
                }
                self.expect(&Token::Comma, "between the key and value types of MAP")?;
                let (value, owed) = self.type_inner()?;
                let owed = self.close_angle(owed, "MAP")?;
                return Ok((TypeKind::Map(Box::new(key), Box::new(value)), owed));
            }
            "ROW" => return self.row_type(),
            "RAW" | "STRUCTURED" | "NULL" | "VARIANT" | "DESCRIPTOR" => {
                return Err(SqlError::unsupported(format!("The {name} type is not supported by Weir"))
                    .at(position(token.span.start)))
            }
            _ => {
                let message = match closest_type_name(&name) {
                    Some(best) => format!("Unknown data type '{name}'; did you mean '{best}'?"),
                    None => format!("Unknown data type '{name}'"),
                };
                return Err(SqlError::syntax(message, position(token.span.start)));
            }
        };
        Ok((kind, false))
    }

    fn type_error(&self, token: &sqlparser::tokenizer::TokenWithSpan, message: String) -> SqlError {
        SqlError::syntax(message, position(token.span.start))
    }

    /// An unsigned integer literal.
    fn number(&mut self, what: &str) -> Result<u32, SqlError> {
        match &self.peek().token {
            Token::Number(n, _) => match n.parse::<u32>() {
                Ok(v) => {
                    self.next();
                    Ok(v)
                }
                Err(_) => Err(self.error(format!("Expected a whole number for {what}, found {n}"))),
            },
            _ => Err(self.expected(&format!("a number for {what}"), "")),
        }
    }

    /// `(n)` of `CHAR` and kin (`default` without it, at least 1).
    fn length(
        &mut self,
        token: &sqlparser::tokenizer::TokenWithSpan,
        name: &str,
        default: u32,
    ) -> Result<u32, SqlError> {
        if !self.eat(&Token::LParen) {
            return Ok(default);
        }
        let n = self.number(&format!("the length of {name}"))?;
        self.expect(&Token::RParen, &format!("after the length of {name}"))?;
        if n == 0 || n > MAX_LENGTH {
            return Err(self.type_error(token, format!("{name} length must be between 1 and {MAX_LENGTH}, not {n}")));
        }
        Ok(n)
    }

    /// `(p)` of `TIME` / `TIMESTAMP` (0 to 9).
    fn precision(
        &mut self,
        token: &sqlparser::tokenizer::TokenWithSpan,
        name: &str,
        default: u8,
    ) -> Result<u8, SqlError> {
        if !self.eat(&Token::LParen) {
            return Ok(default);
        }
        let p = self.number(&format!("the precision of {name}"))?;
        self.expect(&Token::RParen, &format!("after the precision of {name}"))?;
        if p > 9 {
            return Err(self.type_error(token, format!("{name} precision must be between 0 and 9, not {p}")));
        }
        Ok(p as u8)
    }

    /// The closing `>` of `NAME<…>`; `owed` when the inner type's `>>` already closed it.
    fn close_angle(&mut self, owed: Owed, name: &str) -> Result<Owed, SqlError> {
        if owed {
            return Ok(false);
        }
        match self.peek().token {
            Token::Gt => {
                self.next();
                Ok(false)
            }
            Token::ShiftRight => {
                self.next();
                Ok(true)
            }
            _ => Err(self.expected("'>'", &format!("to close {name}<…>"))),
        }
    }

    /// `ROW<name type, …>` or `ROW(name type, …)`; each field may have a `'description'`.
    fn row_type(&mut self) -> Result<(TypeKind, Owed), SqlError> {
        let angle = match self.peek().token {
            Token::Lt => true,
            Token::LParen => false,
            _ => return Err(self.expected("'<' or '('", "after ROW")),
        };
        self.next();
        let mut fields = Vec::new();
        let empty_close = if angle { Token::Gt } else { Token::RParen };
        if self.eat(&empty_close) {
            return Ok((TypeKind::Row(fields), false));
        }
        loop {
            let name = match &self.peek().token {
                Token::Word(w) => w.value.clone(),
                _ => return Err(self.expected("a field name", "in ROW")),
            };
            self.next();
            let (ty, owed) = self.type_inner()?;
            fields.push((name, ty));
            if owed {
                if angle {
                    return Ok((TypeKind::Row(fields), false));
                }
                return Err(SqlError::syntax("Unexpected '>' in ROW(…)", position(self.last_end())));
            }
            if let Token::SingleQuotedString(_) = self.peek().token {
                self.next();
            }
            if self.eat(&Token::Comma) {
                continue;
            }
            if angle {
                let owed = self.close_angle(false, "ROW")?;
                return Ok((TypeKind::Row(fields), owed));
            }
            self.expect(&Token::RParen, "or ',' after a field of ROW(…)")?;
            return Ok((TypeKind::Row(fields), false));
        }
    }

    /// `INTERVAL YEAR [(p)] [TO MONTH]`, `INTERVAL DAY [(p)] TO SECOND [(p)]` and kin.
    fn interval_type(&mut self) -> Result<TypeKind, SqlError> {
        const UNITS: [&str; 6] = ["YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND"];
        let unit = |c: &mut Self, what: &str| -> Result<usize, SqlError> {
            let found = UNITS.iter().position(|u| c.is_word(u));
            match found {
                Some(i) => {
                    c.next();
                    if c.eat(&Token::LParen) {
                        c.number("the precision of the interval")?;
                        c.expect(&Token::RParen, "after the precision of the interval")?;
                    }
                    Ok(i)
                }
                None => Err(c.expected(what, "")),
            }
        };
        let start_at = self.here();
        let from = unit(self, "YEAR, MONTH, DAY, HOUR, MINUTE or SECOND after INTERVAL")?;
        let to = if self.eat_word("TO") { Some(unit(self, "an interval unit after TO")?) } else { None };
        let valid = match to {
            None => true,
            Some(to) => to > from && ((from == 0 && to == 1) || (from >= 2 && to >= 3)),
        };
        if !valid {
            return Err(SqlError::syntax(
                format!("INTERVAL {} TO {} is not a valid interval type", UNITS[from], UNITS[to.unwrap_or(from)]),
                position(start_at),
            ));
        }
        Ok(if from <= 1 { TypeKind::IntervalYearMonth } else { TypeKind::IntervalDayTime })
    }
}
