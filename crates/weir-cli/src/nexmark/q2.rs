//! q2 — selection: bids on a sample of auctions.
//!
//! ```sql
//! SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0;
//! ```

use serde::Serialize;
use weir::prelude::*;
use weir_connectors::nexmark::Event;

/// One q2 row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Q2Row {
    /// Auction id.
    pub auction: i64,
    /// Price in cents.
    pub price: i64,
}

/// `(auction, price)` of bids whose auction id is a multiple of 123.
pub fn query(events: &DataStream<Event>) -> DataStream<Q2Row> {
    events
        .flat_map(|e: Event, out: &mut Collector<Q2Row>| {
            if let Event::Bid(b) = e {
                if b.auction % 123 == 0 {
                    out.collect(Q2Row { auction: b.auction, price: b.price })
                }
            }
        })
        .name("Selection")
}
