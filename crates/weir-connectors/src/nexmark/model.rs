//! The Nexmark data model: people, auctions and bids, as Flink's Nexmark defines them.
//!
//! Ids are `i64`; prices are `i64` cents; `date_time` and `expires` are epoch
//! milliseconds (UTC). In JSON every field takes Flink's camelCase name and every time
//! is a `yyyy-MM-dd HH:mm:ss.SSS` string — exactly the lines of the peers'
//! `persons.jsonl`, `auctions.jsonl` and `bids.jsonl`, field order included:
//!
//! ```text
//! {"id":1000,"name":"Peter Jones","emailAddress":"nhs@xyz.com","creditCard":"0001 0002 0003 0004","city":"Bend","state":"OR","dateTime":"2024-01-01 00:00:00.000","extra":"…"}
//! {"auction":1000,"bidder":1001,"price":1234,"channel":"Google","url":"https://…","dateTime":"2024-01-01 00:00:00.000","extra":"…"}
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

use super::timestamp::{encode_timestamp, serde_timestamp};

/// A person who opens auctions or bids.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    /// Person id (from 1000).
    pub id: i64,
    /// "First Last".
    pub name: String,
    /// `xxxxx@yyyy.com`.
    pub email_address: String,
    /// Four groups of four digits.
    pub credit_card: String,
    /// One of ten US cities.
    pub city: String,
    /// One of six US states (upper case).
    pub state: String,
    /// When the account was created (epoch ms).
    #[serde(with = "serde_timestamp")]
    pub date_time: i64,
    /// Padding to the average record size.
    pub extra: String,
}

/// An auction of one item.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Auction {
    /// Auction id (from 1000).
    pub id: i64,
    /// The item's name.
    pub item_name: String,
    /// The item's description.
    pub description: String,
    /// Opening price (cents).
    pub initial_bid: i64,
    /// Reserve price (cents).
    pub reserve: i64,
    /// When the auction opened (epoch ms).
    #[serde(with = "serde_timestamp")]
    pub date_time: i64,
    /// When it closes (epoch ms).
    #[serde(with = "serde_timestamp")]
    pub expires: i64,
    /// The selling person's id.
    pub seller: i64,
    /// Category id (10–14).
    pub category: i64,
    /// Padding to the average record size.
    pub extra: String,
}

/// A bid on an auction.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bid {
    /// The auction bid on.
    pub auction: i64,
    /// The bidding person's id.
    pub bidder: i64,
    /// Price (cents).
    pub price: i64,
    /// Where the bid came from ("Google", …, or `channel-<i>`).
    pub channel: String,
    /// The page the bid was made on.
    pub url: String,
    /// When the bid was made (epoch ms).
    #[serde(with = "serde_timestamp")]
    pub date_time: i64,
    /// Padding to the average record size.
    pub extra: String,
}

/// One Nexmark event. In JSON (as a whole, e.g. through a JSON sink) it is tagged by its
/// kind: `{"bid":{…}}`; the Nexmark files hold the untagged inner objects, one file per
/// kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Event {
    /// A new person.
    Person(Person),
    /// A new auction.
    Auction(Auction),
    /// A bid.
    Bid(Bid),
}

impl Event {
    /// The event time: the inner record's `date_time` (epoch ms).
    ///
    /// ```
    /// # use weir_connectors::nexmark::{Bid, Event};
    /// let bid = Bid { auction: 1000, bidder: 1001, price: 5, channel: "Google".into(),
    ///     url: String::new(), date_time: 42, extra: String::new() };
    /// assert_eq!(Event::Bid(bid).timestamp(), 42);
    /// ```
    #[inline]
    pub fn timestamp(&self) -> i64 {
        match self {
            Event::Person(p) => p.date_time,
            Event::Auction(a) => a.date_time,
            Event::Bid(b) => b.date_time,
        }
    }

    /// The person, if this is one.
    pub fn as_person(&self) -> Option<&Person> {
        match self {
            Event::Person(p) => Some(p),
            _ => None,
        }
    }

    /// The auction, if this is one.
    pub fn as_auction(&self) -> Option<&Auction> {
        match self {
            Event::Auction(a) => Some(a),
            _ => None,
        }
    }

    /// The bid, if this is one.
    pub fn as_bid(&self) -> Option<&Bid> {
        match self {
            Event::Bid(b) => Some(b),
            _ => None,
        }
    }

    /// Appends the inner record as one line of its Nexmark file (untagged JSON object,
    /// then `\n`), exactly as the peers' generator writes it.
    ///
    /// ```
    /// # use weir_connectors::nexmark::{Bid, Event};
    /// let bid = Bid { auction: 1000, bidder: 1001, price: 5, channel: "Google".into(),
    ///     url: "u".into(), date_time: 0, extra: "x".into() };
    /// let mut out = Vec::new();
    /// Event::Bid(bid).write_json_line(&mut out);
    /// assert_eq!(out, br#"{"auction":1000,"bidder":1001,"price":5,"channel":"Google","url":"u","dateTime":"1970-01-01 00:00:00.000","extra":"x"}
    /// "#);
    /// ```
    pub fn write_json_line(&self, out: &mut Vec<u8>) {
        let written = match self {
            Event::Person(p) => serde_json::to_writer(&mut *out, p),
            Event::Auction(a) => serde_json::to_writer(&mut *out, a),
            Event::Bid(b) => serde_json::to_writer(&mut *out, b),
        };
        written.expect("serializing plain structs into a Vec cannot fail");
        out.push(b'\n');
    }
}

/// Like Flink's `Person.toString()`, with times in the files' UTC format.
impl fmt::Display for Person {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Person{{id={}, name='{}', emailAddress='{}', creditCard='{}', city='{}', state='{}', dateTime={}, extra='{}'}}",
            self.id,
            self.name,
            self.email_address,
            self.credit_card,
            self.city,
            self.state,
            encode_timestamp(self.date_time),
            self.extra
        )
    }
}

/// Like Flink's `Auction.toString()`, with times in the files' UTC format.
impl fmt::Display for Auction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Auction{{id={}, itemName='{}', description='{}', initialBid={}, reserve={}, dateTime={}, expires={}, seller={}, category={}, extra='{}'}}",
            self.id,
            self.item_name,
            self.description,
            self.initial_bid,
            self.reserve,
            encode_timestamp(self.date_time),
            encode_timestamp(self.expires),
            self.seller,
            self.category,
            self.extra
        )
    }
}

/// Like Flink's `Bid.toString()`, with times in the files' UTC format.
impl fmt::Display for Bid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Bid{{auction={}, bidder={}, price={}, channel='{}', url='{}', dateTime={}, extra='{}'}}",
            self.auction,
            self.bidder,
            self.price,
            self.channel,
            self.url,
            encode_timestamp(self.date_time),
            self.extra
        )
    }
}

/// The inner record's text.
impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Person(p) => p.fmt(f),
            Event::Auction(a) => a.fmt(f),
            Event::Bid(b) => b.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person() -> Person {
        Person {
            id: 1000,
            name: "Peter Jones".into(),
            email_address: "abc@def.com".into(),
            credit_card: "0001 0002 0003 0004".into(),
            city: "Bend".into(),
            state: "OR".into(),
            date_time: 1_704_067_200_000,
            extra: "xyz".into(),
        }
    }

    fn auction() -> Auction {
        Auction {
            id: 1001,
            item_name: "item".into(),
            description: "desc".into(),
            initial_bid: 100,
            reserve: 250,
            date_time: 1_704_067_200_001,
            expires: 1_704_067_200_101,
            seller: 1000,
            category: 10,
            extra: String::new(),
        }
    }

    fn bid() -> Bid {
        Bid {
            auction: 1001,
            bidder: 1000,
            price: 777,
            channel: "channel-5".into(),
            url: "https://www.nexmark.com/a/b/c/item.htm?query=1&channel_id=1".into(),
            date_time: 1_704_067_200_002,
            extra: "e".into(),
        }
    }

    #[test]
    fn json_lines_match_the_peers_format() {
        let cases: Vec<(Event, &str)> = vec![
            (
                Event::Person(person()),
                r#"{"id":1000,"name":"Peter Jones","emailAddress":"abc@def.com","creditCard":"0001 0002 0003 0004","city":"Bend","state":"OR","dateTime":"2024-01-01 00:00:00.000","extra":"xyz"}"#,
            ),
            (
                Event::Auction(auction()),
                r#"{"id":1001,"itemName":"item","description":"desc","initialBid":100,"reserve":250,"dateTime":"2024-01-01 00:00:00.001","expires":"2024-01-01 00:00:00.101","seller":1000,"category":10,"extra":""}"#,
            ),
            (
                Event::Bid(bid()),
                r#"{"auction":1001,"bidder":1000,"price":777,"channel":"channel-5","url":"https://www.nexmark.com/a/b/c/item.htm?query=1&channel_id=1","dateTime":"2024-01-01 00:00:00.002","extra":"e"}"#,
            ),
        ];
        for (event, line) in cases {
            let mut out = Vec::new();
            event.write_json_line(&mut out);
            assert_eq!(String::from_utf8(out).unwrap(), format!("{line}\n"));
            let back = match &event {
                Event::Person(_) => Event::Person(serde_json::from_str(line).unwrap()),
                Event::Auction(_) => Event::Auction(serde_json::from_str(line).unwrap()),
                Event::Bid(_) => Event::Bid(serde_json::from_str(line).unwrap()),
            };
            assert_eq!(back, event);
        }
    }

    #[test]
    fn tagged_event_round_trips() {
        let e = Event::Bid(bid());
        let json = serde_json::to_string(&e).unwrap();
        assert!(json.starts_with(r#"{"bid":{"auction":1001"#), "{json}");
        assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), e);
    }

    #[test]
    fn timestamps_and_accessors() {
        assert_eq!(Event::Person(person()).timestamp(), 1_704_067_200_000);
        assert_eq!(Event::Auction(auction()).timestamp(), 1_704_067_200_001);
        assert_eq!(Event::Bid(bid()).timestamp(), 1_704_067_200_002);
        assert!(Event::Bid(bid()).as_bid().is_some());
        assert!(Event::Bid(bid()).as_person().is_none());
        assert!(Event::Auction(auction()).as_auction().is_some());
    }

    #[test]
    fn reads_times_without_millis_and_ignores_unknown_fields() {
        let line = r#"{"auction":1,"bidder":2,"price":3,"channel":"c","url":"u","dateTime":"2024-01-01 00:00:01","extra":"","more":1}"#;
        let b: Bid = serde_json::from_str(line).unwrap();
        assert_eq!(b.date_time, 1_704_067_201_000);
    }

    #[test]
    fn display_reads_like_flink() {
        assert_eq!(
            Event::Bid(bid()).to_string(),
            "Bid{auction=1001, bidder=1000, price=777, channel='channel-5', \
             url='https://www.nexmark.com/a/b/c/item.htm?query=1&channel_id=1', \
             dateTime=2024-01-01 00:00:00.002, extra='e'}"
        );
        assert!(Event::Person(person()).to_string().starts_with("Person{id=1000, name='Peter Jones'"));
        assert!(Event::Auction(auction()).to_string().contains("expires=2024-01-01 00:00:00.101"));
    }
}
