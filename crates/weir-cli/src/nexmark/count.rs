//! [`Count`]: the `COUNT(*)` aggregate several queries use.

use weir::prelude::*;

/// Counts records (an [`AggregateFunction`] with an `u64` accumulator).
#[derive(Debug, Clone, Copy, Default)]
pub struct Count;

impl<T> AggregateFunction<T> for Count {
    type Acc = u64;
    type Out = u64;

    fn create_accumulator(&self) -> u64 {
        0
    }

    #[inline]
    fn add(&self, _: T, acc: &mut u64) {
        *acc += 1;
    }

    fn get_result(&self, acc: &u64) -> u64 {
        *acc
    }

    fn merge(&self, a: u64, b: u64) -> u64 {
        a + b
    }
}

/// Counts the bids of one auction, remembering which (an aggregate whose result names its
/// key, so windows computed by slicing need no process function to know it).
#[derive(Debug, Clone, Copy, Default)]
pub struct BidsPerAuction;

/// An auction and its bids in one window.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuctionBids {
    /// Auction id.
    pub auction: i64,
    /// Its bids in the window.
    pub num: u64,
}

impl AggregateFunction<weir_connectors::nexmark::Bid> for BidsPerAuction {
    type Acc = AuctionBids;
    type Out = AuctionBids;

    fn create_accumulator(&self) -> AuctionBids {
        AuctionBids { auction: 0, num: 0 }
    }

    #[inline]
    fn add(&self, bid: weir_connectors::nexmark::Bid, acc: &mut AuctionBids) {
        acc.auction = bid.auction;
        acc.num += 1;
    }

    fn get_result(&self, acc: &AuctionBids) -> AuctionBids {
        acc.clone()
    }

    fn merge(&self, a: AuctionBids, b: AuctionBids) -> AuctionBids {
        let auction = if a.num > 0 { a.auction } else { b.auction };
        AuctionBids { auction, num: a.num + b.num }
    }
}
