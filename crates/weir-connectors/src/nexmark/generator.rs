//! [`NexmarkGenerator`]: the deterministic Nexmark event generator, following Flink's
//! reference generator rule by rule (see `NEXMARK.md`, "Generator facts").
//!
//! # Event ids and time
//! A generator owns one [`GeneratorBlock`]: the consecutive event ids
//! `first_event_id .. first_event_id + events`. Its `j`-th event (`j` from 0) has id
//! `first_event_id + j` and event time `base_time + floor(j * delay_us) / 1000` ms with
//! `delay_us = 1e6 / first_event_rate * n` for `n` blocks. So `n` generators each cover
//! the same event-time interval at `1/n` of the rate, and their union has the configured
//! rate; within one generator time never goes back.
//!
//! The event's kind follows from its id (`id % 50`: 0 person, 1–3 auction, 4–49 bid), as
//! do the "last" person and auction ids that hot keys and random picks are relative to.
//!
//! # Randomness
//! Every event draws from its own [`SplitMix64`] seeded by a hash of `(seed, event id)`,
//! so an event's content depends on the seed and its id only — not on which block or
//! reader produced it — and any block can start anywhere without replaying the ones
//! before. (Only `date_time` and `expires` depend on the block's position `j` and the
//! block count, through the timeline.)
//!
//! # Deviations from Flink's generator
//! - Bidders get the 1000 person-id offset **once** (Flink adds it twice), like the
//!   peers' `gen_nexmark.py`, so bidders are real person ids like sellers.
//! - The randomness is seeded and different from Java's, so the events are not Flink's
//!   events, only distributed like them.
//! - No out-of-order jitter: events come in id order.

use std::sync::Arc;

use weir_core::StreamRecord;

use super::config::{GeneratorBlock, NexmarkConfig};
use super::model::{Auction, Bid, Event, Person};
use super::random::{mix64, SplitMix64};
use super::tables::{push_random_string, NexmarkTables, EXTRA_POOL_LEN, HOT_CHANNELS, US_CITIES, US_STATES};

/// Proportions of persons, auctions and bids among every 50 events.
const PERSON_PROPORTION: i64 = 1;
const AUCTION_PROPORTION: i64 = 3;
const TOTAL_PROPORTION: i64 = 50;
/// Person and auction ids start here.
const FIRST_PERSON_ID: i64 = 1000;
const FIRST_AUCTION_ID: i64 = 1000;
const FIRST_CATEGORY_ID: i64 = 10;
const NUM_CATEGORIES: u64 = 5;
/// Hot keys are the first of each batch of this many ids.
const HOT_BATCH: i64 = 100;
/// 1 in this many bids is for a non-hot auction.
const HOT_AUCTION_RATIO: u64 = 2;
/// 1 in this many auctions is by a non-hot seller.
const HOT_SELLERS_RATIO: u64 = 4;
/// 1 in this many bids is by a non-hot bidder.
const HOT_BIDDERS_RATIO: u64 = 4;
/// 1 in this many bids comes through an ordinary channel.
const HOT_CHANNELS_RATIO: u64 = 2;
const NUM_ACTIVE_PEOPLE: i64 = 1000;
const NUM_IN_FLIGHT_AUCTIONS: i64 = 100;
/// Random picks reach this many ids beyond the last one created.
const ID_LEAD: i64 = 10;
/// Events until `NUM_IN_FLIGHT_AUCTIONS` more auctions exist (the auction horizon).
const EVENTS_FOR_AUCTIONS: u64 = (NUM_IN_FLIGHT_AUCTIONS * TOTAL_PROPORTION / AUCTION_PROPORTION) as u64;
const AVG_PERSON_BYTES: usize = 200;
const AVG_AUCTION_BYTES: usize = 500;
const AVG_BID_BYTES: usize = 100;
/// Salt separating the events' random streams from the tables' stream.
const EVENTS_SALT: u64 = 0x0E7E_4751_5EED_0002;

/// The last person id (base 0) created at or before event `id`.
#[inline]
pub fn last_base0_person_id(id: i64) -> i64 {
    id / TOTAL_PROPORTION
}

/// The last auction id (base 0) created at or before event `id`.
#[inline]
pub fn last_base0_auction_id(id: i64) -> i64 {
    let mut epoch = id / TOTAL_PROPORTION;
    let mut offset = id % TOTAL_PROPORTION;
    if offset < PERSON_PROPORTION {
        // A person event: the last auction is the last one of the previous epoch.
        epoch -= 1;
        offset = AUCTION_PROPORTION - 1;
    } else if offset >= PERSON_PROPORTION + AUCTION_PROPORTION {
        // A bid event: the last auction is the last one of this epoch.
        offset = AUCTION_PROPORTION - 1;
    } else {
        offset -= PERSON_PROPORTION;
    }
    epoch * AUCTION_PROPORTION + offset
}

/// Generates the events of one [`GeneratorBlock`], in id order. An [`Iterator`] of
/// [`Event`]s.
///
/// ```
/// use weir_connectors::nexmark::{Event, NexmarkConfig, NexmarkGenerator};
/// let events: Vec<Event> = NexmarkGenerator::new(&NexmarkConfig::new(100).with_seed(1)).collect();
/// assert_eq!(events.len(), 100);
/// // Ids 2, 3 are auctions, 4..=49 bids, 50 a person, …
/// assert!(matches!(events[0], Event::Auction(_)));
/// assert!(matches!(events[48], Event::Person(_)));
/// // Same seed, same events.
/// let again: Vec<Event> = NexmarkGenerator::new(&NexmarkConfig::new(100).with_seed(1)).collect();
/// assert_eq!(events, again);
/// ```
#[derive(Debug, Clone)]
pub struct NexmarkGenerator {
    tables: Arc<NexmarkTables>,
    /// Hash of the seed; with the event id it seeds each event's PRNG.
    key: u64,
    block: GeneratorBlock,
    base_time_ms: i64,
    delay_us: f64,
    /// Position of the next event in the block.
    next: u64,
}

impl NexmarkGenerator {
    /// The generator of all `config.events` events as one block (a single timeline at
    /// the full rate), building the seed's tables.
    pub fn new(config: &NexmarkConfig) -> Self {
        let tables = Arc::new(NexmarkTables::new(config.seed));
        let block = config.blocks(1)[0];
        Self::for_block(config, block, tables)
    }

    /// The generator of one block, sharing `tables` (which must be
    /// `NexmarkTables::new(config.seed)`).
    pub fn for_block(config: &NexmarkConfig, block: GeneratorBlock, tables: Arc<NexmarkTables>) -> Self {
        NexmarkGenerator {
            tables,
            key: mix64(config.seed ^ EVENTS_SALT),
            block,
            base_time_ms: config.base_time_ms,
            delay_us: config.inter_event_delay_us(block.count),
            next: block.position.min(block.events),
        }
    }

    /// The block this generator produces.
    pub fn block(&self) -> GeneratorBlock {
        self.block
    }

    /// The block with its position at the next event to generate (what a checkpoint
    /// records; `for_block` of it continues from there).
    pub fn position(&self) -> GeneratorBlock {
        GeneratorBlock { position: self.next, ..self.block }
    }

    /// Events not yet produced.
    pub fn remaining(&self) -> u64 {
        self.block.events - self.next
    }

    /// Event time of the block's `j`-th event (epoch ms).
    #[inline]
    pub fn timestamp(&self, j: u64) -> i64 {
        self.base_time_ms + ((j as f64 * self.delay_us) as i64) / 1000
    }

    /// The next event, or `None` at the end of the block.
    #[inline]
    pub fn next_event(&mut self) -> Option<Event> {
        if self.next >= self.block.events {
            return None;
        }
        let event = self.event(self.next);
        self.next += 1;
        Some(event)
    }

    /// Appends up to `max` events to `out` as records stamped with their event time;
    /// returns how many.
    pub fn fill(&mut self, out: &mut Vec<StreamRecord<Event>>, max: usize) -> usize {
        let n = (self.remaining().min(max as u64)) as usize;
        out.reserve(n);
        for _ in 0..n {
            let event = self.event(self.next);
            self.next += 1;
            let ts = event.timestamp();
            out.push(StreamRecord::with_timestamp(event, ts));
        }
        n
    }

    /// The block's `j`-th event (any `j`, in or past the block; pure).
    #[inline]
    pub fn event(&self, j: u64) -> Event {
        let id = self.block.first_event_id + j as i64;
        let ts = self.timestamp(j);
        let mut rng = SplitMix64::for_item(self.key, id as u64);
        let rem = id % TOTAL_PROPORTION;
        if rem < PERSON_PROPORTION {
            Event::Person(self.person(id, ts, &mut rng))
        } else if rem < PERSON_PROPORTION + AUCTION_PROPORTION {
            Event::Auction(self.auction(id, j, ts, &mut rng))
        } else {
            Event::Bid(self.bid(id, ts, &mut rng))
        }
    }

    fn person(&self, id: i64, ts: i64, rng: &mut SplitMix64) -> Person {
        let name = self.tables.names[rng.below(self.tables.names.len() as u64) as usize].clone();
        let mut email_address = String::with_capacity(16);
        push_random_string(rng, 7, b' ', &mut email_address);
        email_address.push('@');
        push_random_string(rng, 5, b' ', &mut email_address);
        email_address.push_str(".com");
        let mut card = [b' '; 19];
        for group in 0..4 {
            let mut v = rng.below(10_000) as u32;
            for k in (0..4).rev() {
                card[group * 5 + k] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        }
        let credit_card = std::str::from_utf8(&card).expect("digits and spaces are ASCII").to_string();
        let city = US_CITIES[rng.below(US_CITIES.len() as u64) as usize].to_string();
        let state = US_STATES[rng.below(US_STATES.len() as u64) as usize].to_string();
        let size = 8 + name.len() + email_address.len() + credit_card.len() + city.len() + state.len();
        let extra = self.extra(rng, size, AVG_PERSON_BYTES);
        Person {
            id: last_base0_person_id(id) + FIRST_PERSON_ID,
            name,
            email_address,
            credit_card,
            city,
            state,
            date_time: ts,
            extra,
        }
    }

    fn auction(&self, id: i64, j: u64, ts: i64, rng: &mut SplitMix64) -> Auction {
        let seller = if rng.below(HOT_SELLERS_RATIO) > 0 {
            (last_base0_person_id(id) / HOT_BATCH) * HOT_BATCH
        } else {
            next_base0_person_id(id, rng)
        } + FIRST_PERSON_ID;
        let category = FIRST_CATEGORY_ID + rng.below(NUM_CATEGORIES) as i64;
        let initial_bid = next_price(rng);
        // The auction stays open for about the time until 100 more auctions exist.
        let horizon = self.timestamp(j + EVENTS_FOR_AUCTIONS) - ts;
        let expires = ts + 1 + rng.below((2 * horizon).max(1) as u64) as i64;
        let mut item_name = String::with_capacity(20);
        push_random_string(rng, 20, b' ', &mut item_name);
        let mut description = String::with_capacity(100);
        push_random_string(rng, 100, b' ', &mut description);
        let reserve = initial_bid + next_price(rng);
        let size = 8 + item_name.len() + description.len() + 8 + 8 + 8 + 8 + 8;
        let extra = self.extra(rng, size, AVG_AUCTION_BYTES);
        Auction {
            id: last_base0_auction_id(id) + FIRST_AUCTION_ID,
            item_name,
            description,
            initial_bid,
            reserve,
            date_time: ts,
            expires,
            seller,
            category,
            extra,
        }
    }

    #[inline]
    fn bid(&self, id: i64, ts: i64, rng: &mut SplitMix64) -> Bid {
        let last_auction = last_base0_auction_id(id);
        let auction = if rng.below(HOT_AUCTION_RATIO) > 0 {
            (last_auction / HOT_BATCH) * HOT_BATCH
        } else {
            let min = (last_auction - NUM_IN_FLIGHT_AUCTIONS).max(0);
            min + rng.below((last_auction - min + 1 + ID_LEAD) as u64) as i64
        } + FIRST_AUCTION_ID;
        // The second person of the batch, so hot bidders and hot sellers differ.
        let bidder = if rng.below(HOT_BIDDERS_RATIO) > 0 {
            (last_base0_person_id(id) / HOT_BATCH) * HOT_BATCH + 1
        } else {
            next_base0_person_id(id, rng)
        } + FIRST_PERSON_ID;
        let price = next_price(rng);
        let channel = if rng.below(HOT_CHANNELS_RATIO) > 0 {
            rng.below(HOT_CHANNELS.len() as u64) as usize
        } else {
            HOT_CHANNELS.len() + rng.below((self.tables.channel_count() - HOT_CHANNELS.len()) as u64) as usize
        };
        let extra = self.extra(rng, 8 + 8 + 8 + 8, AVG_BID_BYTES);
        let (channel, url) = self.tables.channel(channel);
        Bid { auction, bidder, price, channel: channel.to_string(), url: url.to_string(), date_time: ts, extra }
    }

    /// Upstream's `nextExtra`: padding bringing a record of `size` bytes to `avg` bytes
    /// on average (length uniform in `[0.8 d, 1.2 d)`, `d = avg - size`), cut from the
    /// random pool.
    #[inline]
    fn extra(&self, rng: &mut SplitMix64, size: usize, avg: usize) -> String {
        if size > avg {
            return String::new();
        }
        let desired = avg - size;
        let delta = (desired * 2 + 5) / 10; // Math.round(desired * 0.2)
        let len = desired - delta + if delta == 0 { 0 } else { rng.below(2 * delta as u64) as usize };
        let start = rng.below((EXTRA_POOL_LEN - len) as u64) as usize;
        self.tables.extra_pool[start..start + len].to_string()
    }
}

impl Iterator for NexmarkGenerator {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        self.next_event()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::try_from(self.remaining()).unwrap_or(usize::MAX);
        (n, Some(n))
    }
}

/// A random one of the active people (the last 1000), or one of the 10 next to come.
#[inline]
fn next_base0_person_id(id: i64, rng: &mut SplitMix64) -> i64 {
    let num_people = last_base0_person_id(id) + 1;
    let active = num_people.min(NUM_ACTIVE_PEOPLE);
    num_people - active + rng.below((active + ID_LEAD) as u64) as i64
}

/// A price in cents, log-uniform over [100, 1e8): `round(10^(6u) * 100)`.
#[inline]
fn next_price(rng: &mut SplitMix64) -> i64 {
    // Math.round for a positive number: `as` truncates, which is floor here (and, unlike
    // f64::floor, needs no libm call on baseline x86-64).
    ((rng.next_f64() * 6.0 * std::f64::consts::LN_10).exp() * 100.0 + 0.5) as i64
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn events(config: &NexmarkConfig) -> Vec<Event> {
        NexmarkGenerator::new(config).collect()
    }

    #[test]
    fn last_ids_follow_the_formulas() {
        // (event id, last base-0 person, last base-0 auction)
        let cases = [
            (0, 0, -1),
            (1, 0, 0),
            (2, 0, 1),
            (3, 0, 2),
            (4, 0, 2),
            (49, 0, 2),
            (50, 1, 2),
            (51, 1, 3),
            (53, 1, 5),
            (100, 2, 5),
        ];
        for (id, person, auction) in cases {
            assert_eq!(last_base0_person_id(id), person, "person at {id}");
            assert_eq!(last_base0_auction_id(id), auction, "auction at {id}");
        }
    }

    #[test]
    fn kinds_ids_and_times() {
        let config = NexmarkConfig::new(1_000).with_seed(5);
        let all = events(&config);
        assert_eq!(all.len(), 1_000);
        let mut next_person = 1001; // event 50 makes person 1001; person 1000 (event 0) is before id 2
        let mut next_auction = 1001; // event 2 makes auction 1 (base 0)
        for (j, e) in all.iter().enumerate() {
            let id = 2 + j as i64;
            assert_eq!(e.timestamp(), DEFAULT_BASE + (j as i64 * 100) / 1000);
            match (id % 50, e) {
                (0, Event::Person(p)) => {
                    assert_eq!(p.id, next_person);
                    next_person += 1;
                }
                (1..=3, Event::Auction(a)) => {
                    assert_eq!(a.id, next_auction);
                    next_auction += 1;
                    assert!(a.expires > a.date_time);
                    assert!((10..15).contains(&a.category));
                    assert!(a.reserve > a.initial_bid);
                    assert!(a.seller >= 1000 && a.seller <= last_base0_person_id(id) + 1000 + ID_LEAD);
                }
                (4..=49, Event::Bid(b)) => {
                    let last = last_base0_auction_id(id) + 1000;
                    assert!(b.auction <= last + ID_LEAD && b.auction >= 1000);
                    assert!(b.bidder >= 1000 && b.bidder <= last_base0_person_id(id) + 1000 + ID_LEAD);
                    assert!((100..100_000_000).contains(&b.price), "{}", b.price);
                }
                (rem, e) => panic!("event {id} (rem {rem}) is {e:?}"),
            }
        }
    }

    const DEFAULT_BASE: i64 = super::super::config::DEFAULT_BASE_TIME_MS;

    #[test]
    fn the_split_is_1_3_46() {
        let all = events(&NexmarkConfig::new(100_000));
        let persons = all.iter().filter(|e| e.as_person().is_some()).count();
        let auctions = all.iter().filter(|e| e.as_auction().is_some()).count();
        assert_eq!((persons, auctions, all.len() - persons - auctions), (2_000, 6_000, 92_000));
    }

    #[test]
    fn same_seed_same_events_other_seed_other_events() {
        let a = events(&NexmarkConfig::new(5_000).with_seed(9));
        let b = events(&NexmarkConfig::new(5_000).with_seed(9));
        let c = events(&NexmarkConfig::new(5_000).with_seed(10));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn blocks_are_disjoint_and_reproduce_the_same_events() {
        let config = NexmarkConfig::new(10_001).with_seed(3);
        let tables = Arc::new(NexmarkTables::new(config.seed));
        let whole = events(&config);
        let mut ids_seen = std::collections::HashSet::new();
        let mut total = 0;
        for block in config.blocks(4) {
            let generator = NexmarkGenerator::for_block(&config, block, tables.clone());
            let mut last_ts = i64::MIN;
            for (j, e) in generator.enumerate() {
                let id = block.first_event_id + j as i64;
                assert!(ids_seen.insert(id), "event id {id} generated twice");
                // Each block has its own timeline at a quarter of the rate.
                assert_eq!(e.timestamp(), DEFAULT_BASE + (j as i64 * 400) / 1000);
                assert!(e.timestamp() >= last_ts);
                last_ts = e.timestamp();
                // Apart from its times, an event depends only on (seed, id).
                let mut alone = whole[(id - 2) as usize].clone();
                set_times_like(&mut alone, &e);
                assert_eq!(alone, e, "event {id}");
                total += 1;
            }
        }
        assert_eq!(total, 10_001);
    }

    fn set_times_like(target: &mut Event, source: &Event) {
        match (target, source) {
            (Event::Person(t), Event::Person(s)) => t.date_time = s.date_time,
            (Event::Auction(t), Event::Auction(s)) => {
                t.date_time = s.date_time;
                t.expires = s.expires;
            }
            (Event::Bid(t), Event::Bid(s)) => t.date_time = s.date_time,
            _ => panic!("kinds differ"),
        }
    }

    #[test]
    fn string_fields_have_their_shapes() {
        for e in events(&NexmarkConfig::new(20_000)) {
            match e {
                Event::Person(p) => {
                    let (first, last) = p.name.split_once(' ').expect("first and last name");
                    assert!(super::super::tables::FIRST_NAMES.contains(&first));
                    assert!(super::super::tables::LAST_NAMES.contains(&last));
                    assert!(p.email_address.ends_with(".com") && p.email_address.contains('@'));
                    let groups: Vec<&str> = p.credit_card.split(' ').collect();
                    assert_eq!(groups.len(), 4);
                    assert!(groups.iter().all(|g| g.len() == 4 && g.bytes().all(|c| c.is_ascii_digit())));
                    assert!(US_CITIES.contains(&p.city.as_str()) && US_STATES.contains(&p.state.as_str()));
                    assert!(p.item_size() >= 150 && p.item_size() <= 260, "{}", p.item_size());
                }
                Event::Auction(a) => {
                    assert!(a.item_name.len() <= 19 && a.description.len() <= 99);
                    let size = 48 + a.item_name.len() + a.description.len() + a.extra.len();
                    assert!((380..=600).contains(&size), "{size}");
                }
                Event::Bid(b) => {
                    assert!((32 + 54..32 + 82).contains(&(32 + b.extra.len())), "{}", b.extra.len());
                    assert!(b.url.starts_with("https://www.nexmark.com/"));
                }
            }
        }
    }

    impl Person {
        fn item_size(&self) -> usize {
            8 + self.name.len()
                + self.email_address.len()
                + self.credit_card.len()
                + self.city.len()
                + self.state.len()
                + self.extra.len()
        }
    }

    /// The distribution checks of NEXMARK.md, on one generator.
    #[test]
    fn distribution_matches_the_query_selectivities() {
        let all = events(&NexmarkConfig::new(2_000_000).with_seed(42));
        let bids: Vec<&Bid> = all.iter().filter_map(Event::as_bid).collect();
        let n = bids.len() as f64;
        let share = |pred: &dyn Fn(&Bid) -> bool| bids.iter().filter(|b| pred(b)).count() as f64 / n;

        // q2: auction % 123 == 0 keeps about 1/123 of the bids.
        let q2 = share(&|b| b.auction % 123 == 0);
        assert!((q2 * 123.0 - 1.0).abs() < 0.25, "q2 keeps {q2}");

        // q14: euro price (0.908 * price) in (1e6, 5e7) keeps 28.3 %.
        let q14 = share(&|b| {
            let euros = 0.908 * b.price as f64;
            euros > 1e6 && euros < 5e7
        });
        assert!((q14 - 0.283).abs() < 0.005, "q14 keeps {q14}");

        // q21: a hot channel, or a url carrying channel_id: 0.5 + 0.5 * 0.9.
        let q21 = share(&|b| HOT_CHANNELS.contains(&b.channel.as_str()) || b.url.contains("channel_id="));
        assert!((q21 - 0.95).abs() < 0.006, "q21 keeps {q21}");

        // Hot keys: half of the bids go to the hot auction, 3/4 come from the hot bidder.
        let hot_bidder = share(&|b| (b.bidder - FIRST_PERSON_ID) % 100 == 1);
        assert!((0.74..0.77).contains(&hot_bidder), "hot bidders {hot_bidder}");

        // About 20 % of the bids are for category-10 auctions.
        let categories: HashMap<i64, i64> =
            all.iter().filter_map(Event::as_auction).map(|a| (a.id, a.category)).collect();
        let known: Vec<i64> = bids.iter().filter_map(|b| categories.get(&b.auction).copied()).collect();
        let c10 = known.iter().filter(|&&c| c == 10).count() as f64 / known.len() as f64;
        assert!((c10 - 0.2).abs() < 0.03, "category 10 gets {c10}");

        // Auctions last about 2 * horizon / 2 = 1666 events ≈ 167 ms on average.
        let lengths: Vec<i64> = all.iter().filter_map(Event::as_auction).map(|a| a.expires - a.date_time).collect();
        let mean = lengths.iter().sum::<i64>() as f64 / lengths.len() as f64;
        assert!((mean - 167.0).abs() < 5.0, "mean auction length {mean} ms");
    }

    #[test]
    fn fill_stamps_records_and_stops_at_the_end() {
        let mut generator = NexmarkGenerator::new(&NexmarkConfig::new(25));
        let mut out = Vec::new();
        assert_eq!(generator.fill(&mut out, 10), 10);
        assert_eq!(generator.fill(&mut out, 100), 15);
        assert_eq!(generator.fill(&mut out, 100), 0);
        assert_eq!(out.len(), 25);
        assert!(out.iter().all(|r| r.timestamp == r.value.timestamp()));
        assert_eq!(generator.next_event(), None);
    }
}
