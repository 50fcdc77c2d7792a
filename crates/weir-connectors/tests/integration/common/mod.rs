//! Drives a source by hand, as a source task does: enumerator, one reader per subtask,
//! the next_split / poll_next loop.

use weir_core::StreamRecord;
use weir_runtime::{BoxError, ReadStatus, Source, SourceReader, SplitAssignment, SplitEnumerator, SubtaskInfo};

/// Reads the whole source at `parallelism`; returns each subtask's records in order.
pub fn read_source<S: Source>(
    source: &S,
    parallelism: usize,
    batch: usize,
) -> Result<Vec<Vec<StreamRecord<S::Out>>>, BoxError> {
    let mut enumerator = source.create_enumerator(parallelism)?;
    let mut per_subtask = Vec::new();
    for index in 0..parallelism {
        let info = SubtaskInfo { name: "source".into(), index, parallelism, max_parallelism: 128 };
        let mut reader = source.create_reader(&info)?;
        let mut out = weir_runtime::ReaderOutput::default();
        loop {
            let before = out.len();
            match reader.poll_next(&mut out, batch)? {
                ReadStatus::NeedsSplit => {
                    assert_eq!(out.len(), before, "NeedsSplit with records");
                    match enumerator.next_split(index) {
                        SplitAssignment::Split(split) => reader.add_split(split)?,
                        SplitAssignment::NotYet => panic!("bounded sources know all their splits"),
                        SplitAssignment::NoMoreSplits => break,
                    }
                }
                ReadStatus::MoreAvailable | ReadStatus::NothingAvailable => {
                    assert!(out.len() - before <= batch, "more than max records in one poll");
                }
            }
        }
        per_subtask.push(out.into_records());
    }
    Ok(per_subtask)
}
