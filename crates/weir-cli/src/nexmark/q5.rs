//! q5 — hot items: per 10-second window sliding every 2 seconds, the auction(s) with the
//! most bids.
//!
//! ```sql
//! SELECT AuctionBids.auction, AuctionBids.num FROM (
//!   SELECT auction, count(*) AS num, window_start AS starttime, window_end AS endtime
//!   FROM TABLE(HOP(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
//!   GROUP BY auction, window_start, window_end) AS AuctionBids
//! JOIN (SELECT max(num) AS maxn, starttime, endtime FROM (...same counts...) GROUP BY starttime, endtime) AS MaxBids
//! ON AuctionBids.starttime = MaxBids.starttime AND AuctionBids.endtime = MaxBids.endtime
//!    AND AuctionBids.num >= MaxBids.maxn;
//! ```
//!
//! DataStream version: bids counted per auction in sliding windows (computed by slicing:
//! each bid is counted once, whatever size/slide), then the counts of each window are
//! gathered by window end and the highest kept when the watermark passes the window.

use std::time::Duration;

use serde::Serialize;
use weir::prelude::*;
use weir_connectors::nexmark::{Bid, Event};

use super::count::{AuctionBids, BidsPerAuction};

/// One q5 row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Q5Row {
    /// Auction id.
    pub auction: i64,
    /// Its bids in the window.
    pub num: u64,
}

/// An auction's bid count in one window, with the window's end.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct AuctionCount {
    auction: i64,
    num: u64,
    window_end: i64,
}

/// Per window end: the counts seen so far with the highest `num`.
#[derive(Clone, Default)]
struct HottestPerWindow {
    best: Option<ListState<AuctionCount>>,
}

impl KeyedProcessFunction<i64, AuctionCount, Q5Row> for HottestPerWindow {
    fn open(&mut self, ctx: &mut RuntimeContext<i64>) -> Result<(), BoxError> {
        self.best = Some(ctx.get_list_state(&ListStateDescriptor::new("hottest"))?);
        Ok(())
    }

    fn process_element(
        &mut self,
        c: AuctionCount,
        ctx: &mut KeyedContext<i64>,
        _out: &mut Collector<Q5Row>,
    ) -> Result<(), BoxError> {
        let best = self.best.expect("open");
        // Window results carry the window's last millisecond as their time.
        ctx.timer_service().register_event_time_timer(c.window_end - 1);
        let mut current = best.get(ctx)?;
        match current.first().map(|b| b.num) {
            Some(n) if c.num < n => {}
            Some(n) if c.num == n => {
                current.push(c);
                best.update(ctx, current)?;
            }
            _ => best.update(ctx, vec![c])?,
        }
        Ok(())
    }

    fn on_timer(&mut self, _: i64, ctx: &mut KeyedContext<i64>, out: &mut Collector<Q5Row>) -> Result<(), BoxError> {
        let best = self.best.expect("open");
        for c in best.get(ctx)? {
            out.collect(Q5Row { auction: c.auction, num: c.num });
        }
        Ok(best.clear(ctx)?)
    }
}

/// The hottest auctions of every window `size` long, sliding by `slide`.
pub fn query_with(events: &DataStream<Event>, size: Duration, slide: Duration) -> DataStream<Q5Row> {
    super::q0::bids(events)
        .key_by(|b: &Bid| b.auction)
        .window(SlidingEventTimeWindows::of(size, slide))
        .aggregate(BidsPerAuction)
        .name("Bids Per Auction")
        // A window's results carry its last millisecond as their time: the window's end
        // is that plus one.
        .process(ProcessFn::new(|c: AuctionBids, ctx: &mut Context, out: &mut Collector<AuctionCount>| {
            let window_end = ctx.timestamp().ok_or("window results carry a timestamp")? + 1;
            out.collect(AuctionCount { auction: c.auction, num: c.num, window_end });
            Ok(())
        }))
        .name("Window End")
        // Stored when unaligned checkpoints catch it between tasks.
        .with_record_serializer()
        .key_by(|c: &AuctionCount| c.window_end)
        .process(HottestPerWindow::default())
        .name("Hottest Auctions")
}

/// q5 as specified: 10-second windows sliding by 2 seconds.
pub fn query(events: &DataStream<Event>) -> DataStream<Q5Row> {
    query_with(events, Duration::from_secs(10), Duration::from_secs(2))
}
