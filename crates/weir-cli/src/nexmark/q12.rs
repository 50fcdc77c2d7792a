//! q12 — processing-time windows: per bidder, the bids in each 10-second window of
//! processing time.
//!
//! ```sql
//! SELECT B.bidder, count(*) AS bid_count,
//!        TUMBLE_START(B.p_time, INTERVAL '10' SECOND) AS starttime,
//!        TUMBLE_END(B.p_time, INTERVAL '10' SECOND) AS endtime
//! FROM (SELECT *, PROCTIME() AS p_time FROM bid) B
//! GROUP BY B.bidder, TUMBLE(B.p_time, INTERVAL '10' SECOND);
//! ```
//!
//! Results depend on when records are processed, so runs differ. As in Flink, windows
//! still open when a bounded input ends are not emitted.

use std::time::Duration;

use weir::prelude::*;
use weir_connectors::nexmark::{Bid, Event};

use super::count::Count;
use super::q11::{bidder_of, with_bounds, BidderCount};

/// Bids per bidder per 10 seconds of processing time.
pub fn query(events: &DataStream<Event>) -> DataStream<BidderCount> {
    super::q0::bids(events)
        .key_by(bidder_of as fn(&Bid) -> i64)
        .window(TumblingProcessingTimeWindows::of(Duration::from_secs(10)))
        .aggregate_with(Count, ProcessWindowFn::new(with_bounds))
        .name("Processing-Time Windows")
}
