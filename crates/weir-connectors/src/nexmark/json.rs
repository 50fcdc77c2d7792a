//! Fast decoding of Nexmark JSON lines (the peers' schema) into events.
//!
//! A general JSON deserializer spends most of its time in generic machinery: reading the
//! Nexmark files through `serde_json` took about half of a q0 run. This decoder knows the
//! three record shapes, borrows strings without escapes straight from the line, and
//! parses integers and timestamps in place. It still accepts any valid JSON object of
//! the right fields: any key order, white space, escapes (`\n`, `\"`, `\u00e9`, surrogate
//! pairs) and unknown keys, whose values are skipped. Malformed input is an error that
//! says what was expected and at which column.

use std::borrow::Cow;

use super::timestamp::parse_timestamp;
use super::{Auction, Bid, Person};

struct Scanner<'a> {
    b: &'a [u8],
    text: &'a str,
    i: usize,
}

type Result<T> = std::result::Result<T, String>;

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Self {
        Scanner { b: text.as_bytes(), text, i: 0 }
    }

    fn error<T>(&self, what: &str) -> Result<T> {
        Err(format!("{what} at column {}", self.i + 1))
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    #[inline]
    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// Calls `field(self, key)` for every member of an object; `field` must consume the value.
    fn object(&mut self, mut field: impl FnMut(&mut Self, &str) -> Result<()>) -> Result<()> {
        if !self.eat(b'{') {
            return self.error("expected `{`");
        }
        if self.eat(b'}') {
            return Ok(());
        }
        loop {
            self.ws();
            let key = self.string()?;
            if !self.eat(b':') {
                return self.error("expected `:`");
            }
            self.ws();
            field(self, &key)?;
            if self.eat(b',') {
                continue;
            }
            if self.eat(b'}') {
                return Ok(());
            }
            return self.error("expected `,` or `}`");
        }
    }

    fn end(&mut self) -> Result<()> {
        self.ws();
        if self.i == self.b.len() {
            Ok(())
        } else {
            self.error("unexpected characters after the object")
        }
    }

    #[inline]
    fn string(&mut self) -> Result<Cow<'a, str>> {
        if self.b.get(self.i) != Some(&b'"') {
            return self.error("expected a string");
        }
        let start = self.i + 1;
        let Some(n) = memchr::memchr2(b'"', b'\\', &self.b[start..]) else {
            return self.error("unterminated string");
        };
        if self.b[start + n] == b'"' {
            self.i = start + n + 1;
            return Ok(Cow::Borrowed(&self.text[start..start + n]));
        }
        self.i = start;
        self.escaped_string().map(Cow::Owned)
    }

    fn escaped_string(&mut self) -> Result<String> {
        let mut out = String::new();
        loop {
            let Some(n) = memchr::memchr2(b'"', b'\\', &self.b[self.i..]) else {
                return self.error("unterminated string");
            };
            out.push_str(&self.text[self.i..self.i + n]);
            self.i += n;
            if self.b[self.i] == b'"' {
                self.i += 1;
                return Ok(out);
            }
            self.i += 1; // the backslash
            let Some(&c) = self.b.get(self.i) else { return self.error("unterminated escape") };
            self.i += 1;
            match c {
                b'"' => out.push('"'),
                b'\\' => out.push('\\'),
                b'/' => out.push('/'),
                b'b' => out.push('\u{8}'),
                b'f' => out.push('\u{c}'),
                b'n' => out.push('\n'),
                b'r' => out.push('\r'),
                b't' => out.push('\t'),
                b'u' => {
                    let hi = self.hex4()?;
                    let code = if (0xD800..0xDC00).contains(&hi) {
                        if self.b.get(self.i..self.i + 2) != Some(b"\\u") {
                            return self.error("unpaired surrogate in \\u escape");
                        }
                        self.i += 2;
                        let lo = self.hex4()?;
                        if !(0xDC00..0xE000).contains(&lo) {
                            return self.error("invalid low surrogate in \\u escape");
                        }
                        0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                    } else {
                        hi
                    };
                    match char::from_u32(code) {
                        Some(ch) => out.push(ch),
                        None => return self.error("invalid \\u escape"),
                    }
                }
                _ => return self.error("invalid escape"),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32> {
        let Some(digits) = self.b.get(self.i..self.i + 4) else { return self.error("short \\u escape") };
        let mut v = 0;
        for &d in digits {
            let x = (d as char).to_digit(16);
            let Some(x) = x else { return self.error("invalid hex digit in \\u escape") };
            v = v * 16 + x;
        }
        self.i += 4;
        Ok(v)
    }

    #[inline]
    fn int(&mut self) -> Result<i64> {
        let negative = self.b.get(self.i) == Some(&b'-');
        if negative {
            self.i += 1;
        }
        let start = self.i;
        let mut v: i64 = 0;
        while let Some(&d) = self.b.get(self.i) {
            if !d.is_ascii_digit() {
                break;
            }
            v = match v.checked_mul(10).and_then(|v| v.checked_add(i64::from(d - b'0'))) {
                Some(v) => v,
                None => return self.error("integer out of range"),
            };
            self.i += 1;
        }
        if self.i == start {
            return self.error("expected an integer");
        }
        if let Some(b'.' | b'e' | b'E') = self.b.get(self.i) {
            return self.error("expected an integer, found a fraction or exponent");
        }
        Ok(if negative { -v } else { v })
    }

    fn timestamp(&mut self) -> Result<i64> {
        let at = self.i;
        let s = self.string()?;
        parse_timestamp(&s).map_err(|e| format!("{e} at column {}", at + 1))
    }

    fn owned_string(&mut self) -> Result<String> {
        self.string().map(Cow::into_owned)
    }

    /// Skips any JSON value (for keys the record does not have).
    fn skip_value(&mut self) -> Result<()> {
        self.ws();
        match self.b.get(self.i) {
            Some(b'"') => self.string().map(drop),
            Some(b'{') => self.object(|s, _| s.skip_value()),
            Some(b'[') => {
                self.i += 1;
                if self.eat(b']') {
                    return Ok(());
                }
                loop {
                    self.skip_value()?;
                    if self.eat(b',') {
                        continue;
                    }
                    if self.eat(b']') {
                        return Ok(());
                    }
                    return self.error("expected `,` or `]`");
                }
            }
            Some(b't') => self.literal("true"),
            Some(b'f') => self.literal("false"),
            Some(b'n') => self.literal("null"),
            Some(b'-' | b'0'..=b'9') => {
                while let Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') = self.b.get(self.i) {
                    self.i += 1;
                }
                Ok(())
            }
            _ => self.error("expected a value"),
        }
    }

    fn literal(&mut self, word: &str) -> Result<()> {
        if self.b[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(())
        } else {
            self.error("expected a value")
        }
    }
}

macro_rules! decoder {
    ($(#[$doc:meta])* $name:ident -> $ty:ident { $($key:literal => $field:ident: $kind:ident),* $(,)? }) => {
        $(#[$doc])*
        ///
        /// # Errors
        /// What is malformed or missing, with the column.
        pub fn $name(line: &str) -> Result<$ty> {
            let mut s = Scanner::new(line);
            $(let mut $field = None;)*
            s.object(|s, key| {
                match key {
                    $($key => $field = Some(s.$kind().map_err(|e| format!("field `{}`: {e}", $key))?),)*
                    _ => s.skip_value()?,
                }
                Ok(())
            })?;
            s.end()?;
            Ok($ty {
                $($field: $field.ok_or_else(|| format!("missing field `{}`", $key))?,)*
            })
        }
    };
}

decoder!(
    /// Decodes one line of `persons.jsonl`.
    decode_person -> Person {
        "id" => id: int,
        "name" => name: owned_string,
        "emailAddress" => email_address: owned_string,
        "creditCard" => credit_card: owned_string,
        "city" => city: owned_string,
        "state" => state: owned_string,
        "dateTime" => date_time: timestamp,
        "extra" => extra: owned_string,
    }
);

decoder!(
    /// Decodes one line of `auctions.jsonl`.
    decode_auction -> Auction {
        "id" => id: int,
        "itemName" => item_name: owned_string,
        "description" => description: owned_string,
        "initialBid" => initial_bid: int,
        "reserve" => reserve: int,
        "dateTime" => date_time: timestamp,
        "expires" => expires: timestamp,
        "seller" => seller: int,
        "category" => category: int,
        "extra" => extra: owned_string,
    }
);

decoder!(
    /// Decodes one line of `bids.jsonl`.
    decode_bid -> Bid {
        "auction" => auction: int,
        "bidder" => bidder: int,
        "price" => price: int,
        "channel" => channel: owned_string,
        "url" => url: owned_string,
        "dateTime" => date_time: timestamp,
        "extra" => extra: owned_string,
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    const BID: &str = r#"{"auction":1000,"bidder":1001,"price":1234,"channel":"Google","url":"https://x/y?a=1","dateTime":"2024-01-01 00:00:00.190","extra":"abc"}"#;

    #[test]
    fn decodes_what_serde_decodes() {
        let fast = decode_bid(BID).unwrap();
        let serde: Bid = serde_json::from_str(BID).unwrap();
        assert_eq!(fast, serde);
        let p = r#"{"id":1000,"name":"Paul Smith","emailAddress":"a@b.com","creditCard":"1 2 3 4","city":"Kent","state":"WA","dateTime":"2024-01-01 00:00:00.005","extra":""}"#;
        assert_eq!(decode_person(p).unwrap(), serde_json::from_str::<Person>(p).unwrap());
        let a = r#"{"id":1000,"itemName":"i","description":"d","initialBid":1,"reserve":2,"dateTime":"2024-01-01 00:00:00.005","expires":"2024-01-01 00:00:01.000","seller":1000,"category":10,"extra":""}"#;
        assert_eq!(decode_auction(a).unwrap(), serde_json::from_str::<Auction>(a).unwrap());
    }

    #[test]
    fn accepts_any_valid_json_of_the_shape() {
        let reordered = r#" { "extra" : "a\"b\\c\u00e9\ud83d\ude00\n" , "dateTime":"2024-01-01 00:00:00.190",
            "unknown": {"x": [1, 2.5e3, true, null, "s"]}, "url":"u", "channel":"c", "price": -5, "bidder":2, "auction":1 } "#;
        let b = decode_bid(reordered).unwrap();
        assert_eq!(b.extra, "a\"b\\c\u{e9}\u{1F600}\n");
        assert_eq!((b.auction, b.bidder, b.price), (1, 2, -5));
        assert_eq!(b, serde_json::from_str::<Bid>(reordered).unwrap());
    }

    #[test]
    fn malformed_lines_say_what_and_where() {
        let cases = [
            ("", "expected `{` at column 1"),
            (r#"{"auction":1,"bidder":oops}"#, "field `bidder`: expected an integer at column 23"),
            (r#"{"auction":1.5}"#, "field `auction`: expected an integer, found a fraction"),
            (r#"{"auction":1}"#, "missing field `bidder`"),
            (r#"{"auction":1"#, "expected `,` or `}` at column 13"),
            (r#"{"channel":"abc"#, "unterminated string"),
            (&format!("{BID} x"), "unexpected characters after the object"),
            (&BID.replace("00:00:00.190", "25:00:00.190"), "field `dateTime`"),
            (r#"{"auction":99999999999999999999}"#, "integer out of range"),
        ];
        for (line, expected) in cases {
            let err = decode_bid(line).unwrap_err();
            assert!(err.contains(expected), "{line:?}: got {err:?}, want {expected:?}");
        }
    }
}
