//! [`IncrementalSnapshot`]: a keyed-state snapshot that carries only the key groups that
//! changed since the previous one, plus a reference to it.
//!
//! What is incremental — and what is not:
//! 1. The unit is the **key group**: a key group with any write (put, delete, restore)
//!    since the previous cut is serialized **whole**; every other key group is only
//!    referenced through `base`. Nothing finer (no per-key deltas, no shared LSM files
//!    as in RocksDB's incremental checkpoints).
//! 2. Each snapshot names its `base` (the id of the previous cut of the same backend);
//!    [`IncrementalSnapshot::apply_to`] turns a chain back into a full
//!    [`KeyedStateSnapshot`], which is what restore and rescaling consume.
//! 3. The first snapshot, the first after a restore, the first after a new state is
//!    declared, and the first after [`reset_incremental`](crate::LsmKeyedStateBackend::reset_incremental)
//!    are full (`base: None`).
//!
//! Invariant: applying snapshot *n* to the materialized snapshot *n − 1* gives exactly
//! what a full snapshot at cut *n* would give, because every key group that differs
//! between the two cuts was written in between and so is in `changed_key_groups`.

use serde::{Deserialize, Serialize};

use crate::{KeyedStateSnapshot, StateError};

/// Changed key groups since `base`, or everything when `base` is `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncrementalSnapshot {
    /// This cut's id, increasing per backend.
    pub id: u64,
    /// The cut this one is relative to; `None` for a full snapshot.
    pub base: Option<u64>,
    /// Every key group whose content is given by `delta` (one missing from
    /// `delta.key_groups` became empty). For a full snapshot: the whole range.
    pub changed_key_groups: Vec<usize>,
    /// The changed key groups with entries, in the full format.
    pub delta: KeyedStateSnapshot,
}

impl IncrementalSnapshot {
    /// The full snapshot at this cut, from the full snapshot at `base` (`None` when this
    /// one is full).
    ///
    /// # Errors
    /// [`StateError::Restore`] when a base is needed but missing, or declares other states.
    ///
    /// # Example
    /// ```
    /// use weir_state::{IncrementalSnapshot, KeyedStateSnapshot, SNAPSHOT_FORMAT_VERSION};
    /// let empty = KeyedStateSnapshot { format_version: SNAPSHOT_FORMAT_VERSION, states: vec![], key_groups: vec![] };
    /// let full = IncrementalSnapshot { id: 1, base: None, changed_key_groups: vec![0, 1], delta: empty.clone() };
    /// assert_eq!(full.apply_to(None).unwrap(), empty);
    /// let next = IncrementalSnapshot { id: 2, base: Some(1), changed_key_groups: vec![], delta: empty.clone() };
    /// assert!(next.apply_to(None).is_err());
    /// assert_eq!(next.apply_to(Some(&empty)).unwrap(), empty);
    /// ```
    pub fn apply_to(&self, base: Option<&KeyedStateSnapshot>) -> Result<KeyedStateSnapshot, StateError> {
        let Some(_) = self.base else { return Ok(self.delta.clone()) };
        let base = base.ok_or_else(|| {
            StateError::Restore(format!("incremental snapshot {} needs its base {:?}", self.id, self.base))
        })?;
        if base.states != self.delta.states {
            return Err(StateError::Restore(format!(
                "incremental snapshot {} declares other states than its base",
                self.id
            )));
        }
        let mut key_groups: Vec<_> = base
            .key_groups
            .iter()
            .filter(|kg| self.changed_key_groups.binary_search(&kg.key_group).is_err())
            .chain(&self.delta.key_groups)
            .cloned()
            .collect();
        key_groups.sort_by_key(|kg| kg.key_group);
        Ok(KeyedStateSnapshot {
            format_version: self.delta.format_version,
            states: self.delta.states.clone(),
            key_groups,
        })
    }
}
