//! q0 — pass-through: every bid as it is. Measures source and framework overhead.
//!
//! ```sql
//! SELECT auction, bidder, price, dateTime, extra FROM bid;
//! ```

use weir::prelude::*;
use weir_connectors::nexmark::{Bid, Event};

/// Every bid of `events`.
pub fn query(events: &DataStream<Event>) -> DataStream<Bid> {
    bids(events)
}

/// The bids of an event stream (what Flink's Nexmark reads as the `bid` view).
pub fn bids(events: &DataStream<Event>) -> DataStream<Bid> {
    events
        .flat_map(|e: Event, out: &mut Collector<Bid>| {
            if let Event::Bid(b) = e {
                out.collect(b)
            }
        })
        .name("Bids")
}
