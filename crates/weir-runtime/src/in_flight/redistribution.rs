//! Which stored in-flight records a restored subtask replays: at the parallelism the
//! checkpoint was taken at, what it stored itself; at another, its share of what every old
//! subtask stored (Flink's rescaling of channel state).
//!
//! # Protocol
//! 1. Every restored subtask gets the stored [`InFlightState`]s of all old subtasks (they
//!    are a union entry) and takes them in the order of the old subtasks.
//! 2. Each stored batch names its channel, and the state names each channel's edge
//!    ([`ChannelSource`]): the edge's place among the vertex's inputs and its producer,
//!    which must still be the same.
//! 3. At the old parallelism a subtask replays the batches it stored itself. At another,
//!    the edge decides what the new subtask `j` of `n` replays, as the edge would have
//!    routed the records:
//!
//! | edge | new subtask `j` of `n` replays |
//! |---|---|
//! | key-by | the records of its key groups, from the old subtasks whose key groups overlap its own (the records are filtered when decoded, [`Keep::KeyGroups`]) |
//! | broadcast | all that old subtask `j % old parallelism` stored (each new subtask sees each record in flight once, as the copy of the broadcast state it restores saw them) |
//! | global | subtask 0: everything |
//! | forward, rescale, rebalance, shuffle | the `k`-th such batch when `k % n == j`, counting over all old subtasks |
//! | custom with a [`Resplit`] (SQL's keyed exchanges) | every stored record of the edge, cut to the part the `Resplit` gives `j` (for SQL: the rows of its key groups) |
//! | custom without | refused: a user's function may route by the old parallelism |
//!
//! 4. The task pushes them into its chain before it reads any channel, each decoded by a
//!    channel of the same edge.
//!
//! Invariant: every stored record is replayed exactly once across the new subtasks (a
//! broadcast edge's: once by each new subtask; a re-split one's: each of its parts once),
//! and a keyed record by the subtask that owns its key group; the batches of one old
//! channel are replayed in their order.

use weir_core::{KeyGroupRange, StreamRecord};

use super::{ChannelSource, InFlightBatch, InFlightState, IN_FLIGHT};
use crate::graph::Partitioner;
use crate::partitioner::{ErasedKeyGroupOf, ErasedResplit, KeyGroupOf, Resplit, ResplitTarget};
use crate::snapshot::OperatorStateReader;
use crate::{BoxError, JobError};

/// How one edge into a vertex routes records, as far as a restore at another parallelism
/// needs to know.
#[derive(Clone)]
pub enum EdgeRouting {
    /// By key group.
    KeyGroups {
        /// The key group of a record (a [`KeyGroupOf`] of the edge's record type).
        key_group_of: ErasedKeyGroupOf,
        /// The consuming vertex's number of key groups.
        max_parallelism: usize,
    },
    /// Every record to every subtask.
    Broadcast,
    /// Everything to subtask 0.
    Global,
    /// To any one subtask (forward, rescale, rebalance, shuffle).
    Spread,
    /// By a user's function that says how to deal out its records again.
    Resplit {
        /// The records' parts per new subtask (a [`Resplit`] of the edge's record type).
        resplit: ErasedResplit,
        /// The consuming vertex's number of key groups.
        max_parallelism: usize,
    },
    /// By a user's function, which Weir cannot ask again at another parallelism.
    Custom,
}

impl EdgeRouting {
    /// The routing of an edge with `partitioner` into a vertex of `max_parallelism` key
    /// groups.
    pub fn of(partitioner: &Partitioner, max_parallelism: usize) -> Self {
        match partitioner {
            Partitioner::KeyBy(_, key_group_of) => {
                EdgeRouting::KeyGroups { key_group_of: key_group_of.clone(), max_parallelism }
            }
            Partitioner::Broadcast => EdgeRouting::Broadcast,
            Partitioner::Global => EdgeRouting::Global,
            Partitioner::Forward | Partitioner::Rescale | Partitioner::Rebalance | Partitioner::Shuffle => {
                EdgeRouting::Spread
            }
            Partitioner::Custom(_, Some(resplit)) => EdgeRouting::Resplit { resplit: resplit.clone(), max_parallelism },
            Partitioner::Custom(_, None) => EdgeRouting::Custom,
        }
    }
}

impl std::fmt::Debug for EdgeRouting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EdgeRouting::KeyGroups { max_parallelism, .. } => write!(f, "KeyGroups({max_parallelism})"),
            EdgeRouting::Broadcast => f.write_str("Broadcast"),
            EdgeRouting::Global => f.write_str("Global"),
            EdgeRouting::Spread => f.write_str("Spread"),
            EdgeRouting::Resplit { max_parallelism, .. } => write!(f, "Resplit({max_parallelism})"),
            EdgeRouting::Custom => f.write_str("Custom"),
        }
    }
}

/// Which records of a replayed batch the subtask keeps.
#[derive(Clone)]
pub enum Keep {
    /// All of them.
    All,
    /// Those whose key group lies in `range`.
    KeyGroups {
        /// The key group of a record (a [`KeyGroupOf`] of the edge's record type).
        key_group_of: ErasedKeyGroupOf,
        /// The number of key groups.
        max_parallelism: usize,
        /// The key groups the subtask owns.
        range: KeyGroupRange,
    },
    /// The part of each record a custom partitioner's [`Resplit`] gives the subtask.
    Resplit {
        /// A [`Resplit`] of the edge's record type.
        resplit: ErasedResplit,
        /// The subtask.
        target: ResplitTarget,
    },
}

impl std::fmt::Debug for Keep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Keep::All => f.write_str("All"),
            Keep::KeyGroups { range, .. } => write!(f, "KeyGroups({}..={})", range.start, range.end),
            Keep::Resplit { target, .. } => write!(f, "Resplit({} of {})", target.subtask, target.parallelism),
        }
    }
}

impl Keep {
    /// Drops the records (or, re-split, the parts of records) of `batch` the subtask does
    /// not keep. Only a restore runs it, so its downcast costs nothing on the way records
    /// usually take.
    ///
    /// # Errors
    /// When the key selector or re-split is of another record type than the batch (a Weir
    /// bug), or a re-split fails.
    pub fn retain<T: 'static>(&self, batch: &mut Vec<StreamRecord<T>>) -> Result<(), BoxError> {
        match self {
            Keep::All => Ok(()),
            Keep::KeyGroups { key_group_of, max_parallelism, range } => {
                let of = key_group_of.downcast_ref::<KeyGroupOf<T>>().ok_or_else(|| {
                    format!(
                        "the key selector of a keyed edge does not take records of type {}",
                        std::any::type_name::<T>()
                    )
                })?;
                batch.retain(|r| range.contains(of.key_group(&r.value, *max_parallelism)));
                Ok(())
            }
            Keep::Resplit { resplit, target } => {
                let resplit = resplit.downcast_ref::<Resplit<T>>().ok_or_else(|| {
                    format!(
                        "the re-split of a custom edge does not take records of type {}",
                        std::any::type_name::<T>()
                    )
                })?;
                let mut kept = Vec::with_capacity(batch.len());
                for record in batch.drain(..) {
                    if let Some(value) = resplit.part(record.value, target)? {
                        kept.push(StreamRecord { value, timestamp: record.timestamp });
                    }
                }
                *batch = kept;
                Ok(())
            }
        }
    }
}

/// One batch a restored task replays: which of its channels decodes it (one of the same
/// edge), its bytes, and which of its records the task keeps.
#[derive(Debug, Clone)]
pub struct ReplayBatch {
    /// The task's input channel that decodes it.
    pub channel: u32,
    /// The batch, encoded by the edge's [`super::RecordCodec`].
    pub bytes: Vec<u8>,
    /// Which of its records the task keeps.
    pub keep: Keep,
}

/// A restoring subtask as the redistribution sees it.
#[derive(Debug, Clone)]
pub struct ReplayLayout {
    /// The head operator's id (for errors).
    pub operator: String,
    /// The subtask.
    pub subtask: usize,
    /// Its vertex's parallelism now.
    pub parallelism: usize,
    /// Where each of its input channels comes from now.
    pub channels: Vec<ChannelSource>,
    /// The routing of each edge into the vertex, by [`ChannelSource::edge`].
    pub edges: Vec<EdgeRouting>,
}

impl ReplayLayout {
    /// What the subtask replays from its head's restored union entry [`IN_FLIGHT`].
    ///
    /// # Errors
    /// [`JobError::Restore`] when the stored states do not decode, or cannot be dealt out
    /// at this parallelism (see [`Self::share`]).
    pub fn replay(&self, restored: &OperatorStateReader) -> Result<Vec<ReplayBatch>, JobError> {
        let states = restored.list(IN_FLIGHT).iter().map(|b| InFlightState::decode(b)).collect::<Result<_, _>>()?;
        self.share(states)
    }

    /// The subtask's share of `states` (see the module documentation).
    ///
    /// # Errors
    /// [`JobError::Restore`] when the states were stored without their channels' sources
    /// and the parallelism or channels differ, when an edge is gone or comes from another
    /// producer, or when the records of a custom partitioner without a [`Resplit`] would
    /// have to be dealt out at another parallelism.
    pub fn share(&self, mut states: Vec<InFlightState>) -> Result<Vec<ReplayBatch>, JobError> {
        states.retain(|s| !s.batches.is_empty());
        states.sort_by_key(|s| s.subtask);
        let Some(first) = states.first() else { return Ok(Vec::new()) };
        let (checkpoint, old) = (first.checkpoint, first.parallelism as usize);
        if let Some(other) = states.iter().find(|s| s.parallelism as usize != old) {
            return Err(JobError::Restore(format!(
                "{checkpoint}: the in-flight records of '{}' were stored at parallelisms {old} and {}",
                self.operator, other.parallelism
            )));
        }
        if states.iter().any(|s| s.sources.is_empty()) {
            return self.own_without_sources(states);
        }
        let n = self.parallelism;
        let mut out = Vec::new();
        let mut spread = 0usize;
        for state in states {
            let old_subtask = state.subtask as usize;
            for InFlightBatch { channel, bytes } in state.batches {
                let (decoder, routing) = self.edge_of(checkpoint, &state.sources, channel)?;
                let keep = if old == n {
                    (old_subtask == self.subtask).then_some(Keep::All)
                } else {
                    match routing {
                        EdgeRouting::KeyGroups { key_group_of, max_parallelism } => {
                            let was = KeyGroupRange::for_operator(*max_parallelism, old, old_subtask);
                            let range = KeyGroupRange::for_operator(*max_parallelism, n, self.subtask);
                            let overlap = was.start <= range.end && range.start <= was.end;
                            overlap.then(|| Keep::KeyGroups {
                                key_group_of: key_group_of.clone(),
                                max_parallelism: *max_parallelism,
                                range,
                            })
                        }
                        EdgeRouting::Broadcast => (old_subtask == self.subtask % old).then_some(Keep::All),
                        EdgeRouting::Global => (self.subtask == 0).then_some(Keep::All),
                        EdgeRouting::Spread => {
                            spread += 1;
                            ((spread - 1) % n == self.subtask).then_some(Keep::All)
                        }
                        // The function may have routed a record anywhere (SQL's join without
                        // keys sends all to one owner): every subtask reads every record.
                        EdgeRouting::Resplit { resplit, max_parallelism } => Some(Keep::Resplit {
                            resplit: resplit.clone(),
                            target: ResplitTarget {
                                subtask: self.subtask,
                                parallelism: n,
                                max_parallelism: *max_parallelism,
                            },
                        }),
                        EdgeRouting::Custom => {
                            return Err(JobError::Restore(format!(
                                "{checkpoint} holds in-flight records of an edge into '{}' partitioned by a custom \
                                 partitioner, which Weir cannot deal out again at another parallelism ({old} then, \
                                 {n} now): restore it at parallelism {old} and take a savepoint (always aligned) to \
                                 rescale, or partition with `partition_custom_rescalable`, which says how",
                                self.operator
                            )))
                        }
                    }
                };
                if let Some(keep) = keep {
                    out.push(ReplayBatch { channel: decoder, bytes, keep });
                }
            }
        }
        Ok(out)
    }

    /// The channel of this subtask that decodes a batch stored from `channel` of a state
    /// with `sources`, and its edge's routing.
    fn edge_of(
        &self,
        checkpoint: weir_core::CheckpointId,
        sources: &[ChannelSource],
        channel: u32,
    ) -> Result<(u32, &EdgeRouting), JobError> {
        let source = sources.get(channel as usize).ok_or_else(|| {
            JobError::Restore(format!(
                "{checkpoint}: in-flight records of '{}' name input channel {channel} of {}",
                self.operator,
                sources.len()
            ))
        })?;
        let now = self.channels.iter().position(|c| c.edge == source.edge && c.input == source.input);
        let routing = self.edges.get(source.edge as usize);
        let (Some(now), Some(routing)) = (now, routing) else {
            return Err(JobError::Restore(format!(
                "{checkpoint} holds in-flight records of an edge from '{}' into input {} of '{}' that the job no \
                 longer has",
                source.producer, source.input, self.operator
            )));
        };
        let producer = &self.channels[now].producer;
        if *producer != source.producer {
            return Err(JobError::Restore(format!(
                "{checkpoint} holds in-flight records of an edge from '{}' into input {} of '{}', which now comes \
                 from '{producer}': give the operators a uid, or restore the job the checkpoint was taken of",
                source.producer, source.input, self.operator
            )));
        }
        Ok((now as u32, routing))
    }

    /// States written before they named their channels' sources: restored only at their
    /// own parallelism and channels, each subtask replaying its own.
    fn own_without_sources(&self, states: Vec<InFlightState>) -> Result<Vec<ReplayBatch>, JobError> {
        let mut out = Vec::new();
        for state in states {
            if state.parallelism as usize != self.parallelism || state.channels as usize != self.channels.len() {
                return Err(JobError::Restore(format!(
                    "{} is an unaligned checkpoint holding in-flight records of a parallelism of {} ({} input \
                     channels), written by a Weir that did not store where they came from; it can be restored \
                     only at that parallelism, not at {} ({} channels). To rescale, restore it at its \
                     parallelism and take a savepoint (always aligned)",
                    state.checkpoint,
                    state.parallelism,
                    state.channels,
                    self.parallelism,
                    self.channels.len()
                )));
            }
            if state.subtask as usize == self.subtask {
                let batches = state.batches.into_iter();
                out.extend(batches.map(|b| ReplayBatch { channel: b.channel, bytes: b.bytes, keep: Keep::All }));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use weir_core::key_group::operator_index_for_key_group;
    use weir_core::CheckpointId;

    use super::*;
    use crate::in_flight::RecordCodec;

    /// A record: its key and its place in what its old channel stored.
    type Rec = (u64, u64);

    const MAX_P: usize = 128;
    const KEYED: u32 = 0;
    const BROADCAST: u32 = 1;
    const REBALANCE: u32 = 2;
    const GLOBAL: u32 = 3;
    const CUSTOM: u32 = 4;
    const RESPLIT: u32 = 5;

    fn codec() -> RecordCodec<Rec> {
        RecordCodec::serde()
    }

    fn key_group_of() -> KeyGroupOf<Rec> {
        KeyGroupOf::new(|r: &Rec| r.0)
    }

    fn routings() -> Vec<EdgeRouting> {
        vec![
            EdgeRouting::KeyGroups { key_group_of: key_group_of().erase(), max_parallelism: MAX_P },
            EdgeRouting::Broadcast,
            EdgeRouting::Spread,
            EdgeRouting::Global,
            EdgeRouting::Custom,
            EdgeRouting::Resplit { resplit: resplit().erase(), max_parallelism: MAX_P },
        ]
    }

    /// A record of the re-split edge, as SQL's are: the subtask it was routed to and a
    /// batch of rows (key, place in what its old channel stored).
    type Part = (u32, Vec<Rec>);

    fn part_codec() -> RecordCodec<Part> {
        RecordCodec::serde()
    }

    /// SQL's re-split: the rows of the subtask's key groups, routed to it.
    fn resplit() -> Resplit<Part> {
        Resplit::new(|(_, rows): Part, to: &ResplitTarget| {
            let range = to.key_groups();
            let rows: Vec<Rec> = rows.into_iter().filter(|r| range.contains(assign(r.0))).collect();
            Ok((!rows.is_empty()).then_some((to.subtask as u32, rows)))
        })
    }

    /// What old subtask `subtask` of `old` stored on the re-split edge: from each of two
    /// producers, `parts` parts of three rows of keys the old subtask owned, two parts a batch.
    fn stored_parts(subtask: u32, old: u32, parts: usize) -> InFlightState {
        let sources = channels(&[RESPLIT], 2);
        let mut batches = Vec::new();
        for c in 0..sources.len() {
            let mut rows: Vec<Rec> = Vec::new();
            let mut key = 1000 * c as u64 + subtask as u64;
            while rows.len() < 3 * parts {
                key += 1;
                if operator_index_for_key_group(MAX_P, old as usize, assign(key)) == subtask as usize {
                    rows.push((key, rows.len() as u64));
                }
            }
            let parts: Vec<StreamRecord<Part>> = rows
                .chunks(3)
                .map(|r| StreamRecord { value: (subtask, r.to_vec()), timestamp: r[0].1 as i64 })
                .collect();
            for batch in parts.chunks(2) {
                batches.push(InFlightBatch { channel: c as u32, bytes: part_codec().encode(batch).unwrap() });
            }
        }
        // The sources name edge RESPLIT among the vertex's edges (see `routings`).
        InFlightState { checkpoint: CheckpointId(9), subtask, parallelism: old, channels: 2, batches, sources }
    }

    /// One channel per edge in `edges`, from `producers` subtasks of each edge's producer.
    fn channels(edges: &[u32], producers: u32) -> Vec<ChannelSource> {
        let mut out = Vec::new();
        for &edge in edges {
            for p in 0..producers {
                out.push(ChannelSource { input: 0, edge, producer: format!("up{edge}"), producer_subtask: p });
            }
        }
        out
    }

    fn layout(subtask: usize, parallelism: usize, edges: &[u32], producers: u32) -> ReplayLayout {
        ReplayLayout {
            operator: "op".into(),
            subtask,
            parallelism,
            channels: channels(edges, producers),
            edges: routings(),
        }
    }

    /// What old subtask `subtask` of `old` stored: on each channel (of `edges`, two
    /// producers each), batches of three records. A keyed edge's records are of keys the
    /// old subtask owned (as they are in a run); the others' of any key.
    fn stored(subtask: u32, old: u32, edges: &[u32], records: u64) -> InFlightState {
        let sources = channels(edges, 2);
        let mut batches = Vec::new();
        for (c, source) in sources.iter().enumerate() {
            let mut recs: Vec<Rec> = Vec::new();
            let mut key = 1000 * c as u64 + subtask as u64;
            while (recs.len() as u64) < records {
                key += 1;
                let kg = assign(key);
                if source.edge != KEYED || operator_index_for_key_group(MAX_P, old as usize, kg) == subtask as usize {
                    recs.push((key, recs.len() as u64));
                }
            }
            for chunk in recs.chunks(3) {
                let batch: Vec<StreamRecord<Rec>> = chunk.iter().map(|&r| StreamRecord::new(r)).collect();
                batches.push(InFlightBatch { channel: c as u32, bytes: codec().encode(&batch).unwrap() });
            }
        }
        InFlightState { checkpoint: CheckpointId(9), subtask, parallelism: old, channels: 2, batches, sources }
    }

    fn assign(key: u64) -> usize {
        weir_core::key_group::assign_to_key_group(&key, MAX_P)
    }

    /// Per new subtask of `n`: the records it replays, with the (old subtask, edge,
    /// producer) they were stored from.
    type Replayed = Vec<Vec<((u32, u32, u32), Rec)>>;

    fn replay(states: &[InFlightState], n: usize, edges: &[u32], producers: u32) -> Result<Replayed, JobError> {
        let mut out = Vec::new();
        for j in 0..n {
            let l = layout(j, n, edges, producers);
            let mut got = Vec::new();
            // Which stored batch each replayed one is: bytes are unique per batch.
            let mut origin = BTreeMap::new();
            for s in states {
                for b in &s.batches {
                    let src = &s.sources[b.channel as usize];
                    origin.insert(b.bytes.clone(), (s.subtask, src.edge, src.producer_subtask));
                }
            }
            for r in l.share(states.to_vec())? {
                let decoder = &l.channels[r.channel as usize];
                let from = origin[&r.bytes];
                assert_eq!(decoder.edge, from.1, "decoded by a channel of its own edge");
                let mut batch = codec().decode(&r.bytes).unwrap();
                r.keep.retain(&mut batch).unwrap();
                got.extend(batch.into_iter().map(|rec| (from, rec.value)));
            }
            out.push(got);
        }
        Ok(out)
    }

    /// Every record of `edge` stored by `states`, with where it came from.
    fn all_stored(states: &[InFlightState], edge: u32) -> Vec<((u32, u32, u32), Rec)> {
        let mut out = Vec::new();
        for s in states {
            for b in &s.batches {
                let src = &s.sources[b.channel as usize];
                if src.edge == edge {
                    let from = (s.subtask, src.edge, src.producer_subtask);
                    out.extend(codec().decode(&b.bytes).unwrap().into_iter().map(|r| (from, r.value)));
                }
            }
        }
        out.sort();
        out
    }

    /// Within one new subtask, each old channel's records come in their stored order.
    fn assert_channel_order(replayed: &Replayed) {
        for (j, got) in replayed.iter().enumerate() {
            let mut last: BTreeMap<(u32, u32, u32), u64> = BTreeMap::new();
            for (from, rec) in got {
                if let Some(&prev) = last.get(from) {
                    assert!(rec.1 > prev, "subtask {j}: {from:?} replayed out of order");
                }
                last.insert(*from, rec.1);
            }
        }
    }

    #[test]
    fn keyed_and_spread_records_are_replayed_once_in_all_and_keyed_ones_by_their_owner() {
        // (old parallelism, new parallelism, producers now)
        for (old, n, producers) in [(2u32, 1usize, 2u32), (2, 3, 2), (3, 2, 1), (1, 4, 3), (4, 4, 2)] {
            let edges = [KEYED, REBALANCE];
            let states: Vec<InFlightState> = (0..old).map(|s| stored(s, old, &edges, 20)).collect();
            let replayed = replay(&states, n, &edges, producers).unwrap();
            assert_channel_order(&replayed);
            for edge in edges {
                let mut got: Vec<_> = replayed.iter().flatten().filter(|(from, _)| from.1 == edge).cloned().collect();
                got.sort();
                assert_eq!(got, all_stored(&states, edge), "p{old} -> p{n}, edge {edge}: each record once");
            }
            for (j, got) in replayed.iter().enumerate() {
                let range = KeyGroupRange::for_operator(MAX_P, n, j);
                for (_, rec) in got.iter().filter(|(from, _)| from.1 == KEYED) {
                    assert!(range.contains(assign(rec.0)), "p{old} -> p{n}: key {} reached subtask {j}", rec.0);
                }
                if n > 1 || old > 1 {
                    assert!(got.iter().any(|(from, _)| from.1 == REBALANCE), "p{old} -> p{n}: {j} got no share");
                }
            }
            if old as usize == n {
                for (j, got) in replayed.iter().enumerate() {
                    assert!(got.iter().all(|(from, _)| from.0 as usize == j), "same parallelism: each its own");
                }
            }
        }
    }

    #[test]
    fn broadcast_records_are_replayed_by_every_new_subtask_as_its_old_counterpart_stored_them() {
        let edges = [BROADCAST];
        // Old subtasks stored different amounts: each had processed some before its snapshot.
        let states = vec![stored(0, 2, &edges, 6), stored(1, 2, &edges, 4)];
        for n in [1usize, 2, 3] {
            let replayed = replay(&states, n, &edges, 1).unwrap();
            for (j, got) in replayed.iter().enumerate() {
                let mut got = got.clone();
                got.sort();
                let own: Vec<InFlightState> = states.iter().filter(|s| s.subtask as usize == j % 2).cloned().collect();
                assert_eq!(got, all_stored(&own, BROADCAST), "p2 -> p{n}: subtask {j}");
            }
        }
    }

    #[test]
    fn a_global_edge_replays_everything_on_subtask_0() {
        let states = vec![stored(0, 2, &[GLOBAL], 5), stored(1, 2, &[GLOBAL], 5)];
        let replayed = replay(&states, 3, &[GLOBAL], 1).unwrap();
        let mut first = replayed[0].clone();
        first.sort();
        assert_eq!(first, all_stored(&states, GLOBAL));
        assert!(replayed[1].is_empty() && replayed[2].is_empty());
    }

    #[test]
    fn a_custom_edge_with_a_resplit_replays_each_row_once_by_the_owner_of_its_key_group() {
        for (old, n) in [(2u32, 1usize), (2, 3), (3, 2), (1, 4), (2, 2)] {
            let states: Vec<InFlightState> = (0..old).map(|s| stored_parts(s, old, 5)).collect();
            let mut want = Vec::new();
            for s in &states {
                for b in &s.batches {
                    let producer = s.sources[b.channel as usize].producer_subtask;
                    for part in part_codec().decode(&b.bytes).unwrap() {
                        want.extend(part.value.1.into_iter().map(|row| ((s.subtask, producer), row)));
                    }
                }
            }
            want.sort();
            let mut all = Vec::new();
            for j in 0..n {
                let l = layout(j, n, &[RESPLIT], 2);
                // Old channel (old subtask, producer) -> the place of the last row replayed.
                let mut last: BTreeMap<(u32, u32), u64> = BTreeMap::new();
                for r in l.share(states.clone()).unwrap() {
                    let decoder = &l.channels[r.channel as usize];
                    assert_eq!(decoder.edge, RESPLIT, "decoded by a channel of its own edge");
                    let mut batch = part_codec().decode(&r.bytes).unwrap();
                    r.keep.retain(&mut batch).unwrap();
                    // Which old channel: the rows' keys are unique to it.
                    let from = states
                        .iter()
                        .flat_map(|s| s.batches.iter().map(move |b| (s, b)))
                        .find(|(_, b)| b.bytes == r.bytes)
                        .map(|(s, b)| (s.subtask, s.sources[b.channel as usize].producer_subtask))
                        .expect("a stored batch");
                    for part in batch {
                        assert_eq!(part.value.0 as usize, j, "p{old} -> p{n}: the part is routed to its subtask");
                        assert_eq!(part.timestamp, part.value.1[0].1 as i64 / 3 * 3, "the timestamp stays");
                        for row in part.value.1 {
                            let owner = operator_index_for_key_group(MAX_P, n, assign(row.0));
                            assert_eq!(owner, j, "p{old} -> p{n}: key {} replayed by subtask {j}", row.0);
                            if let Some(&prev) = last.get(&from) {
                                assert!(row.1 > prev, "p{old} -> p{n}: {from:?} replayed out of order");
                            }
                            last.insert(from, row.1);
                            all.push((from, row));
                        }
                    }
                }
            }
            all.sort();
            assert_eq!(all, want, "p{old} -> p{n}: each row once");
        }
    }

    #[test]
    fn a_failing_resplit_fails_the_restore_with_its_error() {
        let states = vec![stored_parts(0, 2, 2), stored_parts(1, 2, 2)];
        let failing = Resplit::new(|_: Part, _: &ResplitTarget| Err::<Option<Part>, BoxError>("cannot cut".into()));
        let mut l = layout(0, 3, &[RESPLIT], 2);
        l.edges[RESPLIT as usize] = EdgeRouting::Resplit { resplit: failing.erase(), max_parallelism: MAX_P };
        let r = l.share(states).unwrap().remove(0);
        let mut batch = part_codec().decode(&r.bytes).unwrap();
        assert_eq!(r.keep.retain(&mut batch).unwrap_err().to_string(), "cannot cut");
        // A re-split of another record type is a Weir bug, named as such.
        let mut other: Vec<StreamRecord<Rec>> = vec![StreamRecord::new((1, 0))];
        let err = r.keep.retain(&mut other).unwrap_err().to_string();
        assert!(err.contains("does not take records of type"), "{err}");
    }

    #[test]
    fn what_cannot_be_dealt_out_again_is_refused_with_the_reason() {
        let custom = vec![stored(0, 2, &[CUSTOM], 3), stored(1, 2, &[CUSTOM], 3)];
        let err = replay(&custom, 3, &[CUSTOM], 2).unwrap_err().to_string();
        assert!(err.contains("custom partitioner") && err.contains("savepoint"), "{err}");
        // At its own parallelism a custom edge's records stay where they were stored.
        assert_eq!(replay(&custom, 2, &[CUSTOM], 2).unwrap()[1].len(), 6);

        // The edge now comes from another producer.
        let mut moved = stored(0, 1, &[KEYED], 3);
        moved.sources.iter_mut().for_each(|s| s.producer = "elsewhere".into());
        let err = layout(0, 2, &[KEYED], 1).share(vec![moved]).unwrap_err().to_string();
        assert!(err.contains("'elsewhere'") && err.contains("now comes from 'up0'"), "{err}");

        // An edge the job no longer has.
        let err = layout(0, 2, &[KEYED], 1).share(vec![stored(0, 1, &[GLOBAL], 3)]).unwrap_err().to_string();
        assert!(err.contains("no longer has"), "{err}");
    }

    #[test]
    fn states_stored_without_sources_restore_only_at_their_own_layout() {
        let without = |s: u32| InFlightState { sources: Vec::new(), ..stored(s, 2, &[KEYED], 3) };
        let states = vec![without(0), without(1)];
        let own = layout(1, 2, &[KEYED], 2).share(states.clone()).unwrap();
        assert_eq!(own.len(), 2, "subtask 1 replays its own two batches");
        let err = layout(0, 3, &[KEYED], 2).share(states.clone()).unwrap_err().to_string();
        assert!(err.contains("chk-9 is an unaligned checkpoint") && err.contains("parallelism of 2"), "{err}");
        assert!(layout(0, 2, &[KEYED], 3).share(states).is_err(), "another number of channels");
        // Nothing in flight: any parallelism will do.
        let empty = InFlightState { batches: Vec::new(), ..without(0) };
        assert!(layout(0, 5, &[KEYED], 1).share(vec![empty]).unwrap().is_empty());
    }
}
