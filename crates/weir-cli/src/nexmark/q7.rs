//! q7 — highest bid: per 10-second tumbling window, the bids with the highest price.
//!
//! The peers' Flink SQL (the Nexmark project's q7, columns in order):
//!
//! ```sql
//! SELECT B.auction, B.bidder, B.price, B.dateTime, B.extra
//! FROM bid B JOIN (
//!   SELECT MAX(price) AS maxprice, window_end AS dateTime
//!   FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))
//!   GROUP BY window_start, window_end) B1
//! ON B.price = B1.maxprice
//! WHERE B.dateTime BETWEEN B1.dateTime - INTERVAL '10' SECOND AND B1.dateTime;
//! ```
//!
//! `BETWEEN` includes both ends, so a bid at exactly a window's end (which belongs to the
//! next window) also matches the window before when its price equals that window's
//! maximum. The DataStream version keeps that: bids are keyed by window; a bid on a
//! window boundary is also sent, as a candidate that does not count toward the maximum,
//! to the window it closes. Each window fires when the watermark reaches its end.

use serde::{Deserialize, Serialize};
use weir::prelude::*;
use weir_connectors::nexmark::{Bid, Event};

/// Window size in milliseconds.
const WINDOW_MS: i64 = 10_000;

/// A bid routed to a window: `own` when the window contains it, otherwise a boundary
/// candidate (its timestamp is the window's end).
#[derive(Debug, Clone)]
struct Routed {
    window_start: i64,
    own: bool,
    bid: Bid,
}

/// Per window: the highest price among its own bids, the bids at that price, and the
/// boundary candidates.
#[derive(Clone, Default)]
struct HighestBid {
    max: Option<ValueState<i64>>,
    best: Option<ListState<BidRow>>,
    boundary: Option<ListState<BidRow>>,
}

/// A bid as keyed state holds it (serializable, as all state is).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BidRow {
    /// Auction id.
    pub auction: i64,
    /// Bidder id.
    pub bidder: i64,
    /// Price in cents.
    pub price: i64,
    /// Bid time.
    #[serde(with = "weir_connectors::nexmark::timestamp::serde_timestamp")]
    pub date_time: i64,
    /// Padding.
    pub extra: String,
}

impl From<Bid> for BidRow {
    fn from(b: Bid) -> Self {
        BidRow { auction: b.auction, bidder: b.bidder, price: b.price, date_time: b.date_time, extra: b.extra }
    }
}

impl KeyedProcessFunction<i64, Routed, BidRow> for HighestBid {
    fn open(&mut self, ctx: &mut RuntimeContext<i64>) -> Result<(), BoxError> {
        self.max = Some(ctx.get_state(&ValueStateDescriptor::new("max-price"))?);
        self.best = Some(ctx.get_list_state(&ListStateDescriptor::new("best-bids"))?);
        self.boundary = Some(ctx.get_list_state(&ListStateDescriptor::new("boundary-bids"))?);
        Ok(())
    }

    fn process_element(
        &mut self,
        routed: Routed,
        ctx: &mut KeyedContext<i64>,
        _out: &mut Collector<BidRow>,
    ) -> Result<(), BoxError> {
        let (max, best, boundary) = (self.max.expect("open"), self.best.expect("open"), self.boundary.expect("open"));
        let window_end = routed.window_start + WINDOW_MS;
        ctx.timer_service().register_event_time_timer(window_end);
        let bid = BidRow::from(routed.bid);
        if !routed.own {
            return Ok(boundary.add(ctx, bid)?);
        }
        match max.value(ctx)? {
            Some(m) if bid.price < m => {}
            Some(m) if bid.price == m => best.add(ctx, bid)?,
            _ => {
                max.update(ctx, bid.price)?;
                best.update(ctx, vec![bid])?;
            }
        }
        Ok(())
    }

    fn on_timer(&mut self, _ts: i64, ctx: &mut KeyedContext<i64>, out: &mut Collector<BidRow>) -> Result<(), BoxError> {
        let (max, best, boundary) = (self.max.expect("open"), self.best.expect("open"), self.boundary.expect("open"));
        if let Some(m) = max.value(ctx)? {
            for bid in best.get(ctx)? {
                out.collect(bid);
            }
            for bid in boundary.get(ctx)?.into_iter().filter(|b| b.price == m) {
                out.collect(bid);
            }
        }
        max.clear(ctx)?;
        best.clear(ctx)?;
        boundary.clear(ctx)?;
        Ok(())
    }
}

/// The highest-priced bids of each 10-second window. `events` must carry event-time
/// timestamps and watermarks.
pub fn query(events: &DataStream<Event>) -> DataStream<BidRow> {
    events
        .flat_map(|e: Event, out: &mut Collector<Routed>| {
            if let Event::Bid(bid) = e {
                let start = bid.date_time - bid.date_time.rem_euclid(WINDOW_MS);
                if start == bid.date_time {
                    out.collect(Routed { window_start: start - WINDOW_MS, own: false, bid: bid.clone() });
                }
                out.collect(Routed { window_start: start, own: true, bid });
            }
        })
        .name("Route Bids To Windows")
        .key_by(|r: &Routed| r.window_start)
        .process(HighestBid::default())
        .name("Highest Bid")
}
