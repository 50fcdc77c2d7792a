//! q1 — currency conversion: every bid with its price in euros.
//!
//! ```sql
//! SELECT auction, bidder, 0.908 * price AS price, dateTime, extra FROM bid;
//! ```
//!
//! Flink computes `0.908 * price` as an exact DECIMAL with three decimals; so does this
//! query (thousandths held in an integer), printed with three decimals.

use serde::{Serialize, Serializer};
use weir::prelude::*;
use weir_connectors::nexmark::timestamp::serde_timestamp;
use weir_connectors::nexmark::{Bid, Event};

/// An exact decimal with three fraction digits, held as thousandths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Decimal3(pub i64);

impl Serialize for Decimal3 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Integral thousandths as f64 divided by 1000 print exactly (shortest round trip)
        // for every price the generator makes (< 2^53 / 1000).
        s.serialize_f64(self.0 as f64 / 1000.0)
    }
}

/// One q1 row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Q1Row {
    /// Auction id.
    pub auction: i64,
    /// Bidder id.
    pub bidder: i64,
    /// Price in euros.
    pub price: Decimal3,
    /// Bid time.
    #[serde(with = "serde_timestamp")]
    pub date_time: i64,
    /// Padding.
    pub extra: String,
}

impl From<Bid> for Q1Row {
    #[inline]
    fn from(b: Bid) -> Self {
        Q1Row {
            auction: b.auction,
            bidder: b.bidder,
            price: Decimal3(b.price * 908),
            date_time: b.date_time,
            extra: b.extra,
        }
    }
}

/// Every bid with its price converted to euros.
pub fn query(events: &DataStream<Event>) -> DataStream<Q1Row> {
    super::q0::bids(events).map(Q1Row::from).name("Currency Conversion")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_exact_thousandths() {
        let enc = |p: i64| serde_json::to_string(&Decimal3(p * 908)).unwrap();
        assert_eq!(enc(100), "90.8");
        assert_eq!(enc(1), "0.908");
        assert_eq!(enc(99_999_999), "90799999.092");
        assert_eq!(enc(12_345), "11209.26");
    }
}
