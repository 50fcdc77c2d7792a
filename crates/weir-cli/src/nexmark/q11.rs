//! q11 — user sessions: per bidder, the number of bids in each session (sessions end
//! after 10 seconds without a bid).
//!
//! ```sql
//! SELECT B.bidder, count(*) AS bid_count,
//!        SESSION_START(B.dateTime, INTERVAL '10' SECOND) AS starttime,
//!        SESSION_END(B.dateTime, INTERVAL '10' SECOND) AS endtime
//! FROM bid B GROUP BY B.bidder, SESSION(B.dateTime, INTERVAL '10' SECOND);
//! ```

use std::time::Duration;

use serde::Serialize;
use weir::prelude::*;
use weir_connectors::nexmark::timestamp::serde_timestamp;
use weir_connectors::nexmark::{Bid, Event};

use super::count::Count;

/// One q11 (and q12) row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BidderCount {
    /// Bidder id.
    pub bidder: i64,
    /// Bids in the window.
    pub bid_count: u64,
    /// Window (session) start.
    #[serde(with = "serde_timestamp")]
    pub starttime: i64,
    /// Window (session) end.
    #[serde(with = "serde_timestamp")]
    pub endtime: i64,
}

/// The bidder of a bid (the key of q11 and q12).
pub fn bidder_of(b: &Bid) -> i64 {
    b.bidder
}

/// The count-with-bounds window function of q11 and q12.
pub fn with_bounds(
    bidder: &i64,
    ctx: &mut WindowContext<i64, TimeWindow>,
    counts: &[u64],
    out: &mut Collector<BidderCount>,
) -> Result<(), BoxError> {
    let w = ctx.window();
    out.collect(BidderCount { bidder: *bidder, bid_count: counts[0], starttime: w.start, endtime: w.end });
    Ok(())
}

/// Bids per bidder session.
pub fn query(events: &DataStream<Event>) -> DataStream<BidderCount> {
    super::q0::bids(events)
        .key_by(bidder_of as fn(&Bid) -> i64)
        .window(EventTimeSessionWindows::with_gap(Duration::from_secs(10)))
        .aggregate_with(Count, ProcessWindowFn::new(with_bounds))
        .name("User Sessions")
}
