//! q8 — new users: people who opened an auction in the same 10-second tumbling window in
//! which they registered.
//!
//! ```sql
//! SELECT P.id, P.name, P.starttime
//! FROM (SELECT id, name, window_start AS starttime, window_end AS endtime
//!       FROM TABLE(TUMBLE(TABLE person, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))
//!       GROUP BY id, name, window_start, window_end) P
//! JOIN (SELECT seller, window_start AS starttime, window_end AS endtime
//!       FROM TABLE(TUMBLE(TABLE auction, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))
//!       GROUP BY seller, window_start, window_end) A
//! ON P.id = A.seller AND P.starttime = A.starttime AND P.endtime = A.endtime;
//! ```
//!
//! DataStream version: a window co-group of persons (by id) and auctions (by seller):
//! every distinct person of a window with at least one auction of theirs in it.

use std::time::Duration;

use serde::Serialize;
use weir::prelude::*;
use weir_connectors::nexmark::timestamp::serde_timestamp;
use weir_connectors::nexmark::{Auction, Event, Person};

const WINDOW_MS: i64 = 10_000;

/// One q8 row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Q8Row {
    /// Person id.
    pub id: i64,
    /// Person name.
    pub name: String,
    /// Window start.
    #[serde(with = "serde_timestamp")]
    pub stime: i64,
}

/// New users who sold in their first window.
pub fn query(events: &DataStream<Event>) -> DataStream<Q8Row> {
    // One pass splits the events: persons on the main output, auctions on a side output
    // (two filters would copy every event for the second one).
    let auctions_tag = OutputTag::<Auction>::new("auctions");
    let tag = auctions_tag.clone();
    let persons = events
        .process(ProcessFn::new(move |e: Event, ctx: &mut Context, out: &mut Collector<Person>| {
            match e {
                Event::Person(p) => out.collect(p),
                Event::Auction(a) => ctx.output(&tag, a),
                Event::Bid(_) => {}
            }
            Ok(())
        }))
        .name("Persons And Auctions");
    let auctions = persons.get_side_output(&auctions_tag);
    persons
        .co_group(&auctions)
        .where_(|p: &Person| p.id)
        .equal_to(|a: &Auction| a.seller)
        .window(TumblingEventTimeWindows::of(Duration::from_millis(WINDOW_MS as u64)))
        .apply(|_id: &i64, people: &[Person], sold: &[Auction], out: &mut Collector<Q8Row>| {
            if sold.is_empty() {
                return;
            }
            let mut seen: Vec<(&i64, &str)> = Vec::new();
            for p in people {
                if !seen.contains(&(&p.id, p.name.as_str())) {
                    seen.push((&p.id, &p.name));
                    let stime = p.date_time - p.date_time.rem_euclid(WINDOW_MS);
                    out.collect(Q8Row { id: p.id, name: p.name.clone(), stime });
                }
            }
        })
        .name("New Users")
}
