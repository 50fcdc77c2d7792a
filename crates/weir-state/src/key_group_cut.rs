//! [`KeyGroupCut`]: the embedded backend's keyed state at a checkpoint barrier, to be
//! written one key group at a time.
//!
//! The bytes are those of a full [`KeyedStateSnapshot`], in pieces: [`KeyGroupCut::header`]
//! (the format version and the declared states), then the number of key groups with
//! entries as a `u64`, then each such key group's [`KeyGroupSnapshot`] in ascending order
//! ([`KeyGroupCut::key_group`]). Concatenated they are exactly
//! `KeyedStateSnapshot::to_bytes` of the same cut (bincode 1 writes a struct as its
//! fields in order and a sequence as its length and then its items), so a checkpoint can
//! store the pieces separately and still restore into either backend, at any parallelism.
//!
//! Each cut carries its epoch and, per key group, the epoch of the key group's last
//! write before the cut. Key group `g` is unchanged between an earlier cut at epoch `b`
//! and this one exactly when `written(g) <= b`: every write after cut `b` carries an
//! epoch above `b`, and restoring or declaring a state counts as writing every key group.
//!
//! A key group restored from a file and not written since names that file
//! ([`KeyGroupCut::restored_file`]): the first checkpoint after a restore can list it too.

use weir_core::KeyGroupRange;

use crate::key_group_source::StoredKeyGroup;
use crate::lsm_backend::{serialize_cut, LsmState};
use crate::{KeyGroupSnapshot, KeyedStateSnapshot, StateError, SNAPSHOT_FORMAT_VERSION};

/// A read view of an [`LsmKeyedStateBackend`](crate::LsmKeyedStateBackend), serialized one
/// key group at a time, on any thread.
///
/// # Example
/// ```
/// use weir_core::KeyGroupRange;
/// use weir_state::{KeyedStateBackend, KeyedStateSnapshot, LsmKeyedStateBackend, MemoryBudget, StateKind};
/// let dir = tempfile::tempdir().unwrap();
/// let mut lsm = LsmKeyedStateBackend::<u64>::open(dir.path(), KeyGroupRange::for_operator(4, 1, 0), MemoryBudget::of(4 << 20)).unwrap();
/// let n = lsm.register::<u64>("n", StateKind::Value).unwrap();
/// lsm.put(n, 1, &7, 70u64).unwrap();
/// let first = lsm.cut_key_groups();
/// lsm.put(n, 2, &8, 80u64).unwrap();
/// let second = lsm.cut_key_groups();
/// assert!(!second.changed_since(first.source(), 1) && second.changed_since(first.source(), 2));
/// // The pieces are the bytes of the full snapshot.
/// let mut bytes = second.header().to_vec();
/// let chunks: Vec<Vec<u8>> = (0..=3).filter_map(|kg| second.key_group(kg).unwrap()).collect();
/// bytes.extend((chunks.len() as u64).to_le_bytes());
/// chunks.iter().for_each(|c| bytes.extend(c));
/// assert_eq!(KeyedStateSnapshot::from_bytes(&bytes).unwrap(), lsm.snapshot().unwrap());
/// ```
pub struct KeyGroupCut {
    /// The store, kept open (with its working directory) while the cut is written, even
    /// after its backend is dropped — a finished task's final state is written that way;
    /// and the token that tells the backend a cut is open (it stalls writes its read view
    /// would keep in memory beyond the budget).
    _open: (fjall::Database, std::sync::Arc<()>),
    view: fjall::Snapshot,
    states: Vec<LsmState>,
    range: KeyGroupRange,
    source: (u64, u64),
    written: Vec<u64>,
    /// Per key group: the file it was restored from, if unchanged since.
    restored: Vec<Option<StoredKeyGroup>>,
    header: Vec<u8>,
}

impl KeyGroupCut {
    pub(crate) fn new(
        open: (fjall::Database, std::sync::Arc<()>),
        view: fjall::Snapshot,
        states: Vec<LsmState>,
        range: KeyGroupRange,
        source: (u64, u64),
        (written, restored): (Vec<u64>, Vec<Option<StoredKeyGroup>>),
    ) -> Self {
        let empty = KeyedStateSnapshot {
            format_version: SNAPSHOT_FORMAT_VERSION,
            states: states.iter().map(|s| s.meta.clone()).collect(),
            key_groups: Vec::new(),
        };
        let mut header = bincode::serialize(&empty).expect("state declarations always encode");
        // Without the empty key-group list's length, which the writer supplies.
        header.truncate(header.len() - 8);
        KeyGroupCut { _open: open, view, states, range, source, written, restored, header }
    }

    /// The key groups of the cut.
    pub fn range(&self) -> KeyGroupRange {
        self.range
    }

    /// Which backend took the cut and its epoch: `(backend, epoch)`.
    pub fn source(&self) -> (u64, u64) {
        self.source
    }

    /// The snapshot's bytes before its key groups: format version and declared states.
    pub fn header(&self) -> &[u8] {
        &self.header
    }

    /// Whether `key_group` may differ from what the earlier cut `base` (a
    /// [`Self::source`]) held: always when `base` is another backend's or not earlier.
    pub fn changed_since(&self, base: (u64, u64), key_group: usize) -> bool {
        let (backend, epoch) = self.source;
        if base.0 != backend || base.1 >= epoch || !self.range.contains(key_group) {
            return true;
        }
        self.written[key_group - self.range.start] > base.1
    }

    /// The file of checkpoint storage `key_group` was restored from, when it has not been
    /// written since: that file holds exactly what [`Self::key_group`] would give, so a
    /// checkpoint may list it instead of writing the key group again.
    pub fn restored_file(&self, key_group: usize) -> Option<&StoredKeyGroup> {
        let at = key_group.checked_sub(self.range.start)?;
        self.restored.get(at)?.as_ref()
    }

    /// The bincode of `key_group`'s [`KeyGroupSnapshot`], or `None` when it has no entries.
    ///
    /// # Errors
    /// [`StateError::Store`] when the store cannot be read.
    pub fn key_group(&self, key_group: usize) -> Result<Option<Vec<u8>>, StateError> {
        let mut snapshot = serialize_cut(&self.view, &self.states, std::iter::once(key_group))?;
        snapshot.key_groups.pop().map(|kg: KeyGroupSnapshot| encode_key_group(&kg)).transpose()
    }
}

fn encode_key_group(kg: &KeyGroupSnapshot) -> Result<Vec<u8>, StateError> {
    bincode::serialize(kg).map_err(|e| StateError::Snapshot(e.to_string()))
}
