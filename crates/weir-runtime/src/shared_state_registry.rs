//! [`SharedStateRegistry`]: the job's bookkeeping of incremental checkpoints — what each
//! task's next checkpoint may build on, and which shared files checkpoints still being
//! written use (Flink's `SharedStateRegistry`, without counting references: those are
//! read from the retained manifests, see `weir_checkpoint::shared_files`).
//!
//! 1. A barrier is injected: its kind is noted ([`SharedStateRegistry::on_inject`]).
//! 2. A task acknowledges: its writer gets the cuts the **latest completed** checkpoint
//!    stored of its keyed entries ([`SharedStateRegistry::bases_for`]); their files are
//!    noted as in use by the pending checkpoint.
//! 3. The writer reports the cuts it stored and the shared files it wrote
//!    ([`SharedStateRegistry::on_written`]).
//! 4. The checkpoint completes: its cuts become what later checkpoints build on, and its
//!    files are protected by its manifest from now on ([`SharedStateRegistry::on_complete`]).
//!    Or it is discarded: the files it wrote are returned for deletion
//!    ([`SharedStateRegistry::on_discarded`]).
//!
//! A job restored from a checkpoint of its own storage may list that checkpoint's shared
//! files again: a key group restored from one and not written since is listed, not
//! written ([`weir_state::KeyGroupCut::restored_file`]). Those files are in use from the
//! start ([`SharedStateRegistry::on_restored`]) until the first checkpoint completes:
//! from then on, a key group unchanged since the restore is listed by that checkpoint's
//! manifest (every task with keyed state took part in it, and a key group unchanged at a
//! later cut was unchanged at that one), and later checkpoints build on it as in step 2.
//!
//! A file that could not be deleted when its checkpoint was discarded because it was in
//! use is kept for later ([`SharedStateRegistry::defer`]), and deleted once nothing uses
//! it and no manifest lists it — so nothing is leaked.
//!
//! Invariant: a shared file a pending checkpoint refers to is either listed by a
//! completed checkpoint's manifest or in [`SharedStateRegistry::in_use`], so deleting
//! only files outside both never breaks a checkpoint that may still complete.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use weir_checkpoint::{CheckpointKind, TaskId};
use weir_core::CheckpointId;

use crate::task_state_upload::{Bases, EntryKey, StoredCut, Uploaded};

/// See the module documentation.
#[derive(Debug, Default)]
pub(crate) struct SharedStateRegistry {
    /// Per task and keyed entry, the cut the latest completed checkpoint stored.
    bases: HashMap<TaskId, HashMap<EntryKey, Arc<StoredCut>>>,
    /// Per pending checkpoint: its kind, the files its writers build on or wrote, and the
    /// cuts they stored.
    pending: BTreeMap<CheckpointId, Pending>,
    /// The files finished tasks' final states refer to: every later checkpoint lists them.
    finished: BTreeSet<String>,
    /// The restored checkpoint's shared files, until the first checkpoint completes.
    restored: BTreeSet<String>,
    /// Files a discarded checkpoint listed that were in use then: deleted later.
    deferred: BTreeSet<String>,
}

#[derive(Debug)]
struct Pending {
    kind: CheckpointKind,
    /// Files of earlier checkpoints its writers refer to.
    builds_on: BTreeSet<String>,
    /// Files its writers wrote.
    written: BTreeSet<String>,
    stored: HashMap<TaskId, Bases>,
}

impl SharedStateRegistry {
    /// Checkpoint `id` of `kind` was started.
    pub(crate) fn on_inject(&mut self, id: CheckpointId, kind: CheckpointKind) {
        self.pending
            .insert(id, Pending { kind, builds_on: BTreeSet::new(), written: BTreeSet::new(), stored: HashMap::new() });
    }

    /// The kind of pending checkpoint `id`.
    pub(crate) fn kind(&self, id: CheckpointId) -> CheckpointKind {
        self.pending.get(&id).map_or(CheckpointKind::Checkpoint, |p| p.kind)
    }

    /// What `task`'s state for checkpoint `id` may build on; its files count as in use
    /// until the checkpoint completes or is discarded.
    pub(crate) fn bases_for(&mut self, id: CheckpointId, task: TaskId) -> Bases {
        let Some(pending) = self.pending.get_mut(&id) else { return Bases::new() };
        if pending.kind != CheckpointKind::Checkpoint {
            return Bases::new();
        }
        let bases = self.bases.get(&task).cloned().unwrap_or_default();
        pending.builds_on.extend(bases.values().flat_map(|b| b.files.values().map(|f| f.path.clone())));
        bases
    }

    /// `task`'s state for pending checkpoint `id` was written.
    pub(crate) fn on_written(&mut self, id: CheckpointId, task: TaskId, uploaded: &Uploaded) {
        if let Some(pending) = self.pending.get_mut(&id) {
            pending.written.extend(uploaded.written.iter().cloned());
            let stored = uploaded.stored.iter().map(|(key, cut)| (key.clone(), Arc::new(cut.clone())));
            pending.stored.insert(task, stored.collect());
        }
    }

    /// Checkpoint `id` completed (its manifest is written): later checkpoints build on
    /// what it stored, and the restored checkpoint's files are no longer needed beyond
    /// what its manifest lists. A savepoint stores nothing to build on.
    pub(crate) fn on_complete(&mut self, id: CheckpointId) {
        if let Some(pending) = self.pending.remove(&id) {
            if pending.kind == CheckpointKind::Checkpoint {
                self.bases = pending.stored;
                self.restored.clear();
            }
        }
    }

    /// The job was restored from a checkpoint whose shared `files` its checkpoints may
    /// list again: they are in use until the first checkpoint completes.
    pub(crate) fn on_restored(&mut self, files: impl IntoIterator<Item = String>) {
        self.restored.extend(files);
    }

    /// Keeps `files`, which were to be deleted but are in use, to be deleted later.
    pub(crate) fn defer(&mut self, files: impl IntoIterator<Item = String>) {
        self.deferred.extend(files);
    }

    /// The files kept by [`Self::defer`], handed back to try again.
    pub(crate) fn take_deferred(&mut self) -> BTreeSet<String> {
        std::mem::take(&mut self.deferred)
    }

    /// Checkpoint `id` is discarded: the shared files its writers wrote, which no
    /// manifest lists unless it had completed (empty then).
    pub(crate) fn on_discarded(&mut self, id: CheckpointId) -> Vec<String> {
        self.pending.remove(&id).map(|p| p.written.into_iter().collect()).unwrap_or_default()
    }

    /// A task finished with a final state that refers to `files`.
    pub(crate) fn on_finished(&mut self, files: impl IntoIterator<Item = String>) {
        self.finished.extend(files);
    }

    /// Every shared file a pending checkpoint builds on or wrote, those of finished
    /// tasks' final states and, until the first checkpoint completes, those of the
    /// restored checkpoint.
    pub(crate) fn in_use(&self) -> BTreeSet<String> {
        let pending = self.pending.values().flat_map(|p| p.builds_on.iter().chain(&p.written));
        pending.chain(&self.finished).chain(&self.restored).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use weir_checkpoint::StateHandle;

    use super::*;
    use crate::task_state_upload::KeyGroupFile;

    const T: TaskId = TaskId::new(1, 0);

    fn uploaded(files: &[&str], written: &[&str]) -> Uploaded {
        let files = files
            .iter()
            .enumerate()
            .map(|(kg, p)| (kg, KeyGroupFile { key_group: kg, path: p.to_string(), size: 1 }))
            .collect();
        Uploaded {
            handle: StateHandle::new("v1-0.state", 1),
            written: written.iter().map(|w| w.to_string()).collect(),
            stored: vec![(("op".into(), "keyed-state".into()), StoredCut { source: (1, 1), files })],
            bytes: 1,
        }
    }

    fn paths(bases: &Bases) -> Vec<String> {
        bases.values().flat_map(|c| c.files.values().map(|f| f.path.clone())).collect()
    }

    #[test]
    fn checkpoints_build_on_the_latest_completed_one_and_protect_its_files() {
        let mut r = SharedStateRegistry::default();
        let cp = CheckpointId;
        r.on_inject(cp(1), CheckpointKind::Checkpoint);
        assert!(r.bases_for(cp(1), T).is_empty(), "the first checkpoint is full");
        r.on_written(cp(1), T, &uploaded(&["shared/a", "shared/b"], &["shared/a", "shared/b"]));
        assert_eq!(r.in_use().len(), 2, "written, not yet listed by a manifest");
        r.on_complete(cp(1));
        assert!(r.in_use().is_empty(), "protected by the manifest from now on");

        // 2 and 3 overlap: both build on 1; 2 is aborted, 3 completes.
        r.on_inject(cp(2), CheckpointKind::Checkpoint);
        r.on_inject(cp(3), CheckpointKind::Checkpoint);
        assert_eq!(paths(&r.bases_for(cp(2), T)), ["shared/a", "shared/b"]);
        assert_eq!(paths(&r.bases_for(cp(3), T)), ["shared/a", "shared/b"]);
        r.on_written(cp(2), T, &uploaded(&["shared/a", "shared/c2"], &["shared/c2"]));
        r.on_written(cp(3), T, &uploaded(&["shared/a", "shared/c3"], &["shared/c3"]));
        assert_eq!(r.on_discarded(cp(2)), ["shared/c2"], "only what 2 wrote is its own");
        assert!(r.in_use().contains("shared/b"), "3 may still refer to 1's files");
        r.on_complete(cp(3));
        assert!(r.on_discarded(cp(1)).is_empty(), "a completed checkpoint's files are the manifests' business");

        // A savepoint builds on nothing and changes nothing later checkpoints build on.
        r.on_inject(cp(4), CheckpointKind::Savepoint);
        assert!(r.bases_for(cp(4), T).is_empty());
        r.on_complete(cp(4));
        r.on_inject(cp(5), CheckpointKind::Checkpoint);
        assert_eq!(paths(&r.bases_for(cp(5), T)), ["shared/a", "shared/c3"]);
        assert!(r.bases_for(cp(5), TaskId::new(2, 0)).is_empty(), "per task");

        // A finished task's final files are in use for as long as the job runs.
        r.on_finished(["shared/f1".to_string()]);
        r.on_complete(cp(5));
        assert!(r.in_use().contains("shared/f1"));
    }

    #[test]
    fn a_restored_checkpoints_files_are_in_use_until_a_checkpoint_completes() {
        let mut r = SharedStateRegistry::default();
        let cp = CheckpointId;
        r.on_restored(["shared/c7-a".to_string(), "shared/c7-b".to_string()]);
        assert_eq!(r.in_use().len(), 2, "before any checkpoint");
        r.on_inject(cp(8), CheckpointKind::Checkpoint);
        r.on_inject(cp(9), CheckpointKind::Savepoint);
        r.on_written(cp(8), T, &uploaded(&["shared/c7-a", "shared/c8-b"], &["shared/c8-b"]));
        r.on_complete(cp(9));
        assert!(r.in_use().contains("shared/c7-b"), "a savepoint lists none of them");
        assert!(r.on_discarded(cp(8)).contains(&"shared/c8-b".to_string()));
        assert!(r.in_use().contains("shared/c7-a"), "an aborted checkpoint changes nothing");
        r.on_inject(cp(10), CheckpointKind::Checkpoint);
        r.on_written(cp(10), T, &uploaded(&["shared/c7-a", "shared/c10-b"], &["shared/c10-b"]));
        r.on_complete(cp(10));
        assert!(r.in_use().is_empty(), "checkpoint 10's manifest lists what is still needed");
        r.on_inject(cp(11), CheckpointKind::Checkpoint);
        assert_eq!(paths(&r.bases_for(cp(11), T)), ["shared/c7-a", "shared/c10-b"], "built on as any file");

        // Deferred deletions come back once.
        r.defer(["shared/x".to_string()]);
        assert_eq!(r.take_deferred().into_iter().collect::<Vec<_>>(), ["shared/x"]);
        assert!(r.take_deferred().is_empty());
    }
}
