//! [`NexmarkConfig`]: what the Nexmark generator makes — how many events, from which
//! seed, at which event-time rate — and how the event ids are cut into
//! [`GeneratorBlock`]s, one per parallel generator.

use crate::error::ConnectorError;

/// 2024-01-01 00:00:00.000 UTC, the event time of each generator's first event by default.
pub const DEFAULT_BASE_TIME_MS: i64 = 1_704_067_200_000;

/// Parameters of the Nexmark generator (Flink's `NexmarkConfiguration`, the parts that
/// shape the data). Same parameters, same events.
///
/// ```
/// use weir_connectors::nexmark::NexmarkConfig;
/// let config = NexmarkConfig::new(1_000_000).with_seed(7);
/// assert_eq!(config.first_event_rate, 10_000);
/// let blocks = config.blocks(3);
/// assert_eq!(blocks.iter().map(|b| b.events).collect::<Vec<_>>(), [333_333, 333_333, 333_334]);
/// assert_eq!(blocks[1].first_event_id, 2 + 333_333);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NexmarkConfig {
    /// Total number of events (persons, auctions and bids together).
    pub events: u64,
    /// Seed of all randomness.
    pub seed: u64,
    /// Events per second of *event time*, over all generators (Flink's
    /// `firstEventRate`; default 10,000). It spaces the timestamps; it does not pace
    /// the source in wall-clock time.
    pub first_event_rate: u64,
    /// Number of generator blocks (= splits). `None`: one per reader of the source.
    pub num_generators: Option<usize>,
    /// Event time of every generator's first event, epoch ms (default 2024-01-01 UTC).
    pub base_time_ms: i64,
    /// Id of the first event (default 2, as in Flink's Nexmark source).
    pub first_event_id: i64,
}

impl Default for NexmarkConfig {
    /// 10 million events, seed 42 (the peers' default), 10,000 events per event-time
    /// second, one generator per reader, from 2024-01-01 UTC, first event id 2.
    fn default() -> Self {
        NexmarkConfig {
            events: 10_000_000,
            seed: 42,
            first_event_rate: 10_000,
            num_generators: None,
            base_time_ms: DEFAULT_BASE_TIME_MS,
            first_event_id: 2,
        }
    }
}

impl NexmarkConfig {
    /// The default configuration with `events` events.
    pub fn new(events: u64) -> Self {
        NexmarkConfig { events, ..NexmarkConfig::default() }
    }

    /// Sets the seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the event-time rate (events per event-time second, over all generators).
    pub fn with_first_event_rate(mut self, events_per_second: u64) -> Self {
        self.first_event_rate = events_per_second;
        self
    }

    /// Fixes the number of generator blocks (splits), whatever the source's parallelism.
    pub fn with_num_generators(mut self, n: usize) -> Self {
        self.num_generators = Some(n);
        self
    }

    /// Sets the event time of the first event (epoch ms).
    pub fn with_base_time_ms(mut self, ms: i64) -> Self {
        self.base_time_ms = ms;
        self
    }

    /// Checks the parameters.
    ///
    /// # Errors
    /// [`ConnectorError::Config`] for a zero rate, zero generators, a negative first
    /// event id, or ids beyond `i64`.
    pub fn validate(&self) -> Result<(), ConnectorError> {
        if self.first_event_rate == 0 {
            return Err(ConnectorError::Config("nexmark: first_event_rate must be at least 1 event per second".into()));
        }
        if self.num_generators == Some(0) {
            return Err(ConnectorError::Config("nexmark: num_generators must be at least 1".into()));
        }
        if self.first_event_id < 0 {
            return Err(ConnectorError::Config(format!(
                "nexmark: first_event_id must not be negative, got {}",
                self.first_event_id
            )));
        }
        let last = i64::try_from(self.events).ok().and_then(|n| n.checked_add(self.first_event_id));
        if last.is_none() {
            return Err(ConnectorError::Config(format!("nexmark: {} events overflow the event ids", self.events)));
        }
        Ok(())
    }

    /// The number of generator blocks for a source run by `parallelism` readers.
    pub fn generator_count(&self, parallelism: usize) -> usize {
        self.num_generators.unwrap_or(parallelism).max(1)
    }

    /// Cuts the event ids into `n` blocks, as Flink's `GeneratorConfig.split(n)` does:
    /// each gets `events / n` consecutive ids and the **last** block also takes the
    /// remainder. Every block has its own timeline starting at `base_time_ms`.
    pub fn blocks(&self, n: usize) -> Vec<GeneratorBlock> {
        let n = n.max(1);
        let per = self.events / n as u64;
        (0..n)
            .map(|index| {
                let events = if index == n - 1 { self.events - per * (n as u64 - 1) } else { per };
                GeneratorBlock {
                    index,
                    count: n,
                    first_event_id: self.first_event_id + (per * index as u64) as i64,
                    events,
                    position: 0,
                }
            })
            .collect()
    }

    /// Microseconds of event time between two events of one of `n` generators
    /// (`1e6 / first_event_rate * n`).
    pub fn inter_event_delay_us(&self, n: usize) -> f64 {
        1_000_000.0 / self.first_event_rate as f64 * n.max(1) as f64
    }
}

/// One generator's share of the events: a range of consecutive event ids. The split of
/// [`NexmarkSource`](super::NexmarkSource).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct GeneratorBlock {
    /// 0-based position among the blocks.
    pub index: usize,
    /// How many blocks the events were cut into (it sets the timeline's spacing).
    pub count: usize,
    /// Id of the block's first event.
    pub first_event_id: i64,
    /// Number of events in the block.
    pub events: u64,
    /// Events of the block already read (a checkpointed position; 0 for a new block).
    pub position: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_partition_the_ids() {
        let cases: &[(u64, usize, &[u64])] =
            &[(10, 1, &[10]), (10, 3, &[3, 3, 4]), (2, 4, &[0, 0, 0, 2]), (0, 2, &[0, 0]), (12, 4, &[3, 3, 3, 3])];
        for &(events, n, sizes) in cases {
            let config = NexmarkConfig::new(events);
            let blocks = config.blocks(n);
            assert_eq!(blocks.iter().map(|b| b.events).collect::<Vec<_>>(), sizes, "{events} over {n}");
            let mut next = config.first_event_id;
            for (i, b) in blocks.iter().enumerate() {
                assert_eq!((b.index, b.count), (i, n));
                assert_eq!(b.first_event_id, next);
                next += b.events as i64;
            }
            assert_eq!(next, config.first_event_id + events as i64);
        }
    }

    #[test]
    fn validation() {
        assert!(NexmarkConfig::default().validate().is_ok());
        let bad = [
            NexmarkConfig { first_event_rate: 0, ..Default::default() },
            NexmarkConfig { num_generators: Some(0), ..Default::default() },
            NexmarkConfig { first_event_id: -1, ..Default::default() },
            NexmarkConfig { events: u64::MAX, ..Default::default() },
        ];
        for config in bad {
            assert!(matches!(config.validate(), Err(ConnectorError::Config(_))), "{config:?}");
        }
    }

    #[test]
    fn delay_and_generator_count() {
        let config = NexmarkConfig::default();
        assert_eq!(config.inter_event_delay_us(1), 100.0);
        assert_eq!(config.inter_event_delay_us(8), 800.0);
        assert_eq!(config.generator_count(4), 4);
        assert_eq!(config.clone().with_num_generators(2).generator_count(4), 2);
    }
}
