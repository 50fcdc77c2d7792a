//! The sliding-window cost benchmark (not a Nexmark query): per auction, the number of
//! bids in windows of `size` sliding by `slide` — q5's first stage with the window as a
//! parameter. With slicing, the cost per bid does not grow with `size / slide`.
//!
//! ```sql
//! SELECT auction, COUNT(*) FROM TABLE(HOP(TABLE bid, DESCRIPTOR(dateTime), slide, size))
//! GROUP BY auction, window_start, window_end;
//! ```

use std::time::Duration;

use weir::prelude::*;
use weir_connectors::nexmark::{Bid, Event};

use super::count::{AuctionBids, BidsPerAuction};

/// Bids per auction per sliding window.
pub fn query(events: &DataStream<Event>, size_ms: u64, slide_ms: u64) -> DataStream<AuctionBids> {
    super::q0::bids(events)
        .key_by(|b: &Bid| b.auction)
        .window(SlidingEventTimeWindows::of(Duration::from_millis(size_ms), Duration::from_millis(slide_ms)))
        .aggregate(BidsPerAuction)
        .name("Bids Per Auction")
}
