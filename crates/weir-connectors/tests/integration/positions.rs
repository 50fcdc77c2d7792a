//! Readers record their positions: a reader stopped after some polls, whose unfinished
//! splits (with positions) are handed to a fresh reader, yields exactly the records an
//! uninterrupted reader yields — none lost, none repeated. This is what restoring a
//! source from a checkpoint relies on.

use std::fmt::Debug;

use weir_connectors::nexmark::{NexmarkConfig, NexmarkSource};
use weir_connectors::{CollectionSource, NumberSequenceSource};
use weir_runtime::{ReadStatus, ReaderOutput, Source, SourceReader, SplitAssignment, SplitEnumerator, SubtaskInfo};

/// Every record of subtask 0 of 1 reading `source` with batches of `batch`, stopping and
/// resuming from a snapshot after every `stop_every` polls (0: never).
fn read<S>(source: &S, batch: usize, stop_every: usize) -> Vec<S::Out>
where
    S: Source,
{
    let info = SubtaskInfo::single("s");
    let mut enumerator = source.create_enumerator(1).unwrap();
    let mut reader = source.create_reader(&info).unwrap();
    let mut out = ReaderOutput::default();
    let mut polls = 0;
    loop {
        if stop_every > 0 && polls > 0 && polls % stop_every == 0 {
            let splits = reader.snapshot_state().unwrap();
            reader = source.create_reader(&info).unwrap();
            for split in splits {
                reader.add_split(split).unwrap();
            }
        }
        polls += 1;
        if reader.poll_next(&mut out, batch).unwrap() == ReadStatus::NeedsSplit {
            match enumerator.next_split(0) {
                SplitAssignment::Split(split) => reader.add_split(split).unwrap(),
                _ => break,
            }
        }
    }
    out.into_records().into_iter().map(|r| r.value).collect()
}

fn check<S: Source>(source: S)
where
    S::Out: PartialEq + Debug,
{
    let whole = read(&source, 7, 0);
    assert!(!whole.is_empty());
    for stop_every in [1, 2, 5] {
        assert_eq!(read(&source, 7, stop_every), whole, "stopping every {stop_every} polls");
    }
}

#[test]
fn file_readers_resume_where_they_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("text");
    std::fs::create_dir(&text).unwrap();
    std::fs::write(text.join("a.txt"), "one\ntwo\r\n\nthree").unwrap();
    std::fs::write(text.join("b.txt"), (0..40).map(|i| format!("line {i}\n")).collect::<String>()).unwrap();
    check(weir_connectors::TextFileSource::new(&text));

    let data = dir.path().join("nexmark");
    weir_connectors::nexmark::write_dir(&NexmarkConfig::new(400).with_first_event_rate(100), &data).unwrap();
    check(weir_connectors::nexmark::NexmarkFileSource::new(&data));
    check(
        weir_connectors::nexmark::NexmarkFileSource::new(&data)
            .reading(weir_connectors::nexmark::NexmarkStreams::PERSONS_AND_AUCTIONS),
    );
}

#[test]
fn sequence_collection_and_nexmark_readers_resume_where_they_stopped() {
    check(NumberSequenceSource::new(-5, 100));
    check(CollectionSource::new((0..57).map(|i| format!("item-{i}")).collect()));
    check(NexmarkSource::new(NexmarkConfig::new(300).with_num_generators(3)).unwrap());
}
