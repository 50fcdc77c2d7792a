//! [`NexmarkSource`]: the Nexmark generator as a source. Its splits are
//! [`GeneratorBlock`]s: `num_generators` of them when the configuration fixes it, else
//! one per reader.
//!
//! Records carry the event's `date_time` as their timestamp. By default the source runs
//! as fast as it can; [`NexmarkSource::with_rate`] paces it in wall-clock time (for
//! latency measurements at a fixed offered load).
//!
//! With more blocks than readers a reader generates its blocks one after the other, so
//! its event time jumps back at each new block; keep `num_generators` at or below the
//! parallelism (or unset) when a query uses event time.

use std::collections::VecDeque;
use std::sync::Arc;

use weir_runtime::{Boundedness, BoxError, ReadStatus, ReaderOutput, Source, SourceReader, SubtaskInfo};

use super::config::{GeneratorBlock, NexmarkConfig};
use super::generator::NexmarkGenerator;
use super::model::Event;
use super::tables::NexmarkTables;
use crate::enumerator::StaticSplitEnumerator;
use crate::error::ConnectorError;
use crate::pacer::Pacer;

/// The Nexmark source.
///
/// ```
/// use weir_connectors::nexmark::{NexmarkConfig, NexmarkSource};
/// use weir_runtime::{ReadStatus, Source, SourceReader, SplitAssignment, SplitEnumerator, SubtaskInfo};
///
/// let source = NexmarkSource::new(NexmarkConfig::new(1_000)).unwrap();
/// let mut enumerator = source.create_enumerator(1).unwrap();
/// let mut reader = source.create_reader(&SubtaskInfo::single("nexmark")).unwrap();
/// let mut out = weir_runtime::ReaderOutput::default();
/// loop {
///     match reader.poll_next(&mut out, 256).unwrap() {
///         ReadStatus::NeedsSplit => match enumerator.next_split(0) {
///             SplitAssignment::Split(block) => reader.add_split(block).unwrap(),
///             _ => break,
///         },
///         _ => {}
///     }
/// }
/// assert_eq!(out.len(), 1_000);
/// ```
#[derive(Debug, Clone)]
pub struct NexmarkSource {
    config: NexmarkConfig,
    tables: Arc<NexmarkTables>,
    rate: Option<f64>,
}

impl NexmarkSource {
    /// A source generating the events of `config`, as fast as it can.
    ///
    /// # Errors
    /// [`ConnectorError::Config`] when the configuration is invalid.
    pub fn new(config: NexmarkConfig) -> Result<Self, ConnectorError> {
        config.validate()?;
        let tables = Arc::new(NexmarkTables::new(config.seed));
        Ok(NexmarkSource { config, tables, rate: None })
    }

    /// Paces the source at `events_per_second` of wall-clock time over all readers: each
    /// reader emits its share, in proportion to the events of the blocks it is assigned.
    /// Does not change the events or their times.
    ///
    /// # Errors
    /// [`ConnectorError::Config`] unless the rate is positive and finite.
    pub fn with_rate(mut self, events_per_second: f64) -> Result<Self, ConnectorError> {
        if !(events_per_second.is_finite() && events_per_second > 0.0) {
            return Err(ConnectorError::Config(format!(
                "nexmark: the rate must be a positive number of events per second, got {events_per_second}"
            )));
        }
        self.rate = Some(events_per_second);
        Ok(self)
    }

    /// The generator configuration.
    pub fn config(&self) -> &NexmarkConfig {
        &self.config
    }
}

impl NexmarkSource {
    /// The part of `rate` that falls to `subtask`: in proportion to the events of the
    /// blocks the (static, round-robin) enumerator deals it. `None` if it gets none.
    fn reader_rate(&self, rate: f64, subtask: &SubtaskInfo) -> Option<f64> {
        let parallelism = subtask.parallelism.max(1);
        let blocks = self.config.blocks(self.config.generator_count(parallelism));
        let mine: u64 = blocks.iter().filter(|b| b.index % parallelism == subtask.index).map(|b| b.events).sum();
        (mine > 0).then(|| rate * mine as f64 / self.config.events as f64)
    }
}

impl Source for NexmarkSource {
    type Out = Event;
    type Split = GeneratorBlock;
    type Reader = NexmarkReader;
    type Enumerator = StaticSplitEnumerator<GeneratorBlock>;

    fn boundedness(&self) -> Boundedness {
        Boundedness::Bounded
    }

    fn restore_enumerator(&self, parallelism: usize, state: &[u8]) -> Result<Self::Enumerator, BoxError> {
        StaticSplitEnumerator::restore(state, parallelism)
    }

    fn create_enumerator(&self, parallelism: usize) -> Result<Self::Enumerator, BoxError> {
        let blocks = self.config.blocks(self.config.generator_count(parallelism));
        Ok(StaticSplitEnumerator::new(blocks, parallelism))
    }

    fn create_reader(&self, subtask: &SubtaskInfo) -> Result<Self::Reader, BoxError> {
        Ok(NexmarkReader {
            config: self.config.clone(),
            tables: self.tables.clone(),
            pending: VecDeque::new(),
            current: None,
            pacer: self.rate.and_then(|rate| self.reader_rate(rate, subtask)).map(Pacer::new),
        })
    }
}

/// Generates the blocks assigned to one subtask, one after the other.
#[derive(Debug)]
pub struct NexmarkReader {
    config: NexmarkConfig,
    tables: Arc<NexmarkTables>,
    pending: VecDeque<GeneratorBlock>,
    current: Option<NexmarkGenerator>,
    pacer: Option<Pacer>,
}

impl NexmarkReader {
    /// The generator of the block being read, starting the next pending one if needed.
    fn generator(&mut self) -> Option<&mut NexmarkGenerator> {
        if self.current.as_ref().is_none_or(|g| g.remaining() == 0) {
            let block = self.pending.pop_front()?;
            self.current = Some(NexmarkGenerator::for_block(&self.config, block, self.tables.clone()));
        }
        self.current.as_mut()
    }
}

impl SourceReader for NexmarkReader {
    type Out = Event;
    type Split = GeneratorBlock;

    fn add_split(&mut self, split: GeneratorBlock) -> Result<(), BoxError> {
        self.pending.push_back(split);
        Ok(())
    }

    fn snapshot_state(&mut self) -> Result<Vec<GeneratorBlock>, BoxError> {
        let current = self.current.as_ref().filter(|g| g.remaining() > 0).map(NexmarkGenerator::position);
        Ok(current.into_iter().chain(self.pending.iter().copied()).collect())
    }

    fn poll_next(&mut self, out: &mut ReaderOutput<Event>, max: usize) -> Result<ReadStatus, BoxError> {
        if self.generator().is_none() {
            return Ok(ReadStatus::NeedsSplit);
        }
        let mut budget = max;
        if let Some(pacer) = &mut self.pacer {
            let due = pacer.allowance();
            if due == 0 {
                pacer.pause();
                return Ok(ReadStatus::NothingAvailable);
            }
            budget = budget.min(usize::try_from(due).unwrap_or(usize::MAX));
        }
        let mut produced = 0;
        while produced < budget {
            let Some(generator) = self.generator() else { break };
            let block = generator.block().index as u64;
            out.start_split(block);
            produced += generator.fill(out, budget - produced);
            if generator.remaining() == 0 {
                out.finish_split(block);
            }
        }
        if let Some(pacer) = &mut self.pacer {
            pacer.record(produced as u64);
        }
        // Records appended in this call are reported with MoreAvailable; the next call
        // says NeedsSplit.
        Ok(if produced > 0 || budget == 0 { ReadStatus::MoreAvailable } else { ReadStatus::NeedsSplit })
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};
    use weir_core::StreamRecord;

    use weir_runtime::{SplitAssignment, SplitEnumerator};

    use super::*;

    /// Runs every subtask's reader to the end; returns each subtask's records.
    fn run(source: &NexmarkSource, parallelism: usize, batch: usize) -> Vec<Vec<StreamRecord<Event>>> {
        let mut enumerator = source.create_enumerator(parallelism).unwrap();
        (0..parallelism)
            .map(|index| {
                let info = SubtaskInfo { name: "nexmark".into(), index, parallelism, max_parallelism: 128 };
                let mut reader = source.create_reader(&info).unwrap();
                let mut out = weir_runtime::ReaderOutput::default();
                loop {
                    let before = out.len();
                    match reader.poll_next(&mut out, batch).unwrap() {
                        ReadStatus::NeedsSplit => {
                            assert_eq!(out.len(), before, "NeedsSplit comes with no records");
                            match enumerator.next_split(index) {
                                SplitAssignment::Split(block) => reader.add_split(block).unwrap(),
                                _ => break,
                            }
                        }
                        ReadStatus::MoreAvailable => assert!(out.len() - before <= batch),
                        ReadStatus::NothingAvailable => {}
                    }
                }
                out.into_records()
            })
            .collect()
    }

    #[test]
    fn one_block_per_reader_by_default() {
        let source = NexmarkSource::new(NexmarkConfig::new(10_000)).unwrap();
        let per_reader = run(&source, 3, 1000);
        assert_eq!(per_reader.iter().map(Vec::len).collect::<Vec<_>>(), [3_333, 3_333, 3_334]);
        for records in &per_reader {
            assert!(records.iter().all(|r| r.timestamp == r.value.timestamp()));
            assert!(records.windows(2).all(|w| w[0].timestamp <= w[1].timestamp), "in order within a reader");
            // Each reader's timeline covers the whole second of event time.
            let last = records.last().unwrap().timestamp - source.config().base_time_ms;
            assert!((995..1_000).contains(&last), "{last}");
        }
    }

    #[test]
    fn fixed_generator_count_and_same_events_at_any_batch_size() {
        let config = NexmarkConfig::new(5_000).with_num_generators(4);
        let source = NexmarkSource::new(config).unwrap();
        let a: Vec<_> = run(&source, 2, 7).concat();
        let b: Vec<_> = run(&source, 2, 4096).concat();
        assert_eq!(a.len(), 5_000);
        assert_eq!(a, b);
        let one: Vec<_> = run(&source, 1, 100).concat();
        assert_eq!(one.len(), 5_000);
    }

    #[test]
    fn a_rate_paces_the_source() {
        let source = NexmarkSource::new(NexmarkConfig::new(300)).unwrap().with_rate(3_000.0).unwrap();
        let start = Instant::now();
        let records = run(&source, 1, 1_000).concat();
        assert_eq!(records.len(), 300);
        // The 300th event is due after 299 / 3000 s.
        assert!(start.elapsed() >= Duration::from_millis(99), "{:?}", start.elapsed());
    }

    #[test]
    fn the_rate_is_shared_by_the_readers_with_blocks() {
        let source = NexmarkSource::new(NexmarkConfig::new(1_000).with_num_generators(2)).unwrap();
        let info = |index, parallelism| SubtaskInfo { name: "n".into(), index, parallelism, max_parallelism: 128 };
        let cases = [((0, 1), Some(900.0)), ((0, 2), Some(450.0)), ((1, 2), Some(450.0)), ((2, 3), None)];
        for ((index, parallelism), want) in cases {
            assert_eq!(source.reader_rate(900.0, &info(index, parallelism)), want, "{index}/{parallelism}");
        }
    }

    #[test]
    fn bad_configuration_is_refused() {
        assert!(NexmarkSource::new(NexmarkConfig { first_event_rate: 0, ..Default::default() }).is_err());
        let source = NexmarkSource::new(NexmarkConfig::new(1)).unwrap();
        assert!(source.clone().with_rate(0.0).is_err());
        assert!(source.with_rate(f64::NAN).is_err());
    }
}
