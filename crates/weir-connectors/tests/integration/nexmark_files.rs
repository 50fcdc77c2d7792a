//! Nexmark files end to end: generate with `write_dir`, read back with
//! `NexmarkFileSource` in both layouts, and read a fixture in the peers' format.

use crate::common;

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use common::read_source;
use weir_connectors::nexmark::timestamp::parse_timestamp;
use weir_connectors::nexmark::{write_dir, Bid, Event, NexmarkConfig, NexmarkFileSource, NexmarkGenerator};

fn multiset(events: &[Event]) -> HashMap<&Event, usize> {
    let mut counts = HashMap::new();
    for e in events {
        *counts.entry(e).or_insert(0) += 1;
    }
    counts
}

fn kind(e: &Event) -> u8 {
    match e {
        Event::Person(_) => 0,
        Event::Auction(_) => 1,
        Event::Bid(_) => 2,
    }
}

fn of_kind(events: &[Event], k: u8) -> Vec<&Event> {
    events.iter().filter(|e| kind(e) == k).collect()
}

#[test]
fn generated_files_read_back_as_the_generated_events() {
    let dir = tempfile::tempdir().unwrap();
    let config = NexmarkConfig::new(20_000).with_seed(11);
    let meta = write_dir(&config, dir.path()).unwrap();
    assert_eq!(meta.persons + meta.auctions + meta.bids, 20_000);
    let generated: Vec<Event> = NexmarkGenerator::new(&config).collect();

    let per_subtask = read_source(&NexmarkFileSource::new(dir.path()), 1, 333).unwrap();
    let records = &per_subtask[0];
    assert!(records.iter().all(|r| r.timestamp == r.value.timestamp()));
    assert!(records.windows(2).all(|w| w[0].timestamp <= w[1].timestamp), "the merge keeps event time ordered");
    let read: Vec<Event> = records.iter().map(|r| r.value.clone()).collect();

    assert_eq!(multiset(&read), multiset(&generated));
    for k in 0..3 {
        assert_eq!(of_kind(&read, k), of_kind(&generated, k), "order of kind {k}");
    }
}

/// Cuts each file round-robin by line into `DIR/parts<n>/<stream>/part-<i>.jsonl`, as
/// the peers' `split_parts.py` does.
fn split_parts(dir: &Path, n: usize) {
    for stream in ["persons", "auctions", "bids"] {
        let text = fs::read_to_string(dir.join(format!("{stream}.jsonl"))).unwrap();
        let mut parts = vec![String::new(); n];
        for (i, line) in text.lines().enumerate() {
            parts[i % n].push_str(line);
            parts[i % n].push('\n');
        }
        let out = dir.join(format!("parts{n}")).join(stream);
        fs::create_dir_all(&out).unwrap();
        for (i, part) in parts.iter().enumerate() {
            fs::write(out.join(format!("part-{i}.jsonl")), part).unwrap();
        }
    }
}

#[test]
fn the_parts_layout_gives_one_split_per_reader() {
    let dir = tempfile::tempdir().unwrap();
    let config = NexmarkConfig::new(10_000).with_seed(5);
    write_dir(&config, dir.path()).unwrap();
    split_parts(dir.path(), 2);
    let generated: Vec<Event> = NexmarkGenerator::new(&config).collect();

    let source = NexmarkFileSource::new(dir.path());
    let per_subtask = read_source(&source, 2, 1000).unwrap();
    let mut all = Vec::new();
    for records in &per_subtask {
        assert!(records.len() > 4_000, "both readers have a part: {}", records.len());
        assert!(records.windows(2).all(|w| w[0].timestamp <= w[1].timestamp));
        all.extend(records.iter().map(|r| r.value.clone()));
    }
    assert_eq!(multiset(&all), multiset(&generated));

    // At a parallelism without a parts directory, the single files: one split.
    let per_subtask = read_source(&source, 3, 1000).unwrap();
    assert_eq!(per_subtask.iter().map(Vec::len).collect::<Vec<_>>(), [10_000, 0, 0]);
}

#[test]
fn reads_the_peers_format() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/peers_tiny");
    let records = read_source(&NexmarkFileSource::new(&fixture), 1, 4).unwrap().remove(0);
    let base = parse_timestamp("2024-01-01 00:00:00.000").unwrap();
    let order: Vec<(u8, i64)> = records.iter().map(|r| (kind(&r.value), r.timestamp - base)).collect();
    // Merged by time; ties go persons, auctions, bids.
    assert_eq!(order, [(0, 0), (1, 0), (1, 0), (1, 0), (2, 0), (2, 2), (2, 4), (0, 5), (0, 10)]);

    let bid = records[5].value.as_bid().unwrap();
    assert_eq!(
        bid,
        &Bid {
            auction: 1002,
            bidder: 1001,
            price: 430_712,
            channel: "channel-4711".into(),
            url: "https://www.nexmark.com/mw_/aq/vxe/item.htm?query=1&channel_id=431489024".into(),
            date_time: base + 2,
            extra: "sokqtnapbilgyreczxjwvhdmfusokqtnapbilgyreczxjwvhdmfusokqtnapbilgyreczxjwvh".into(),
        }
    );
    let auction = records[3].value.as_auction().unwrap();
    assert_eq!(
        (auction.id, auction.initial_bid, auction.reserve, auction.category),
        (1002, 75_022_311, 75_031_468, 11)
    );
    assert_eq!(auction.expires - auction.date_time, 52);
    let person = records[8].value.as_person().unwrap();
    assert_eq!((person.id, person.name.as_str(), person.state.as_str()), (1002, "Kate Bartels", "OR"));
    assert_eq!(person.credit_card, "1234 5678 9012 3456");
    assert_eq!(person.email_address, "oiwxr@ybd.com");

    // Writing the events back gives the fixture's lines, byte for byte.
    let mut bids = Vec::new();
    for r in &records {
        if let Event::Bid(_) = r.value {
            r.value.write_json_line(&mut bids);
        }
    }
    assert_eq!(String::from_utf8(bids).unwrap(), fs::read_to_string(fixture.join("bids.jsonl")).unwrap());
}

#[test]
fn a_malformed_line_fails_with_file_line_and_content() {
    let dir = tempfile::tempdir().unwrap();
    write_dir(&NexmarkConfig::new(500), dir.path()).unwrap();
    let path = dir.path().join("auctions.jsonl");
    let mut lines: Vec<String> = fs::read_to_string(&path).unwrap().lines().map(str::to_string).collect();
    lines[4] = lines[4].replace("\"seller\":", "\"seller\":\"x");
    fs::write(&path, lines.join("\n")).unwrap();

    let err = read_source(&NexmarkFileSource::new(dir.path()), 1, 100).unwrap_err().to_string();
    assert!(err.starts_with(&format!("{}:5: not a Nexmark auction:", path.display())), "{err}");
    let shown = err.split("the line reads: ").nth(1).unwrap();
    assert!(shown.starts_with("{\"id\":") && shown.ends_with('…'), "the line, cut: {shown}");
    assert!(shown.chars().count() <= 201, "{}", shown.chars().count());
}
