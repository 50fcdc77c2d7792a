//! [`StateBackend`]: the keyed state a keyed operator owns, on the heap or in the
//! embedded LSM, chosen by configuration ([`StateBackendConfig`](crate::StateBackendConfig)) — the operator and the
//! user's state handles do not care which.
//!
//! A closed enum rather than a trait object: every state access is one `match` on a
//! two-variant tag (a predictable branch), never a virtual call, and the heap path keeps
//! its in-place updates (a list append is a `push`, not a read-modify-write).
//!
//! Handles reach the backend through a [`BackendRef`], the borrowed form of the same
//! choice, which any context can hand out ([`AsBackendRef`]) — also over a bare
//! [`HeapKeyedStateBackend`].

use std::hash::Hash;

use weir_core::KeyGroupRange;

use crate::{
    HeapKeyedStateBackend, Key, KeyGroupCut, KeyGroupSource, KeyedStateBackend, KeyedStateSnapshot,
    LsmKeyedStateBackend, StateError, StateId, StateKind, StateValue,
};

/// The keyed state of one keyed operator subtask.
///
/// # Example
/// ```
/// use weir_core::KeyGroupRange;
/// use weir_state::{KeyedStateBackend, StateBackend, StateBackendConfig, StateKind};
/// let range = KeyGroupRange::for_operator(128, 1, 0);
/// let mut config = StateBackendConfig::default();
/// config.set("state.backend.type", "embedded").unwrap();
/// config.set("state.backend.fjall.memory", "8 mb").unwrap();
/// let mut backend = config.create::<String>(range, "counts (1/1)").unwrap();
/// assert!(matches!(backend, StateBackend::Embedded(_)));
/// let id = backend.register::<u64>("n", StateKind::Value).unwrap();
/// backend.put(id, 5, &"a".to_string(), 1u64).unwrap();
/// assert_eq!(backend.get::<u64>(id, 5, &"a".to_string()).unwrap(), Some(1));
/// ```
pub enum StateBackend<K> {
    /// Hash maps on the heap (Flink's `hashmap` backend, the default).
    Heap(HeapKeyedStateBackend<K>),
    /// The embedded LSM (fjall) on local disk, for state larger than memory.
    Embedded(LsmKeyedStateBackend<K>),
}

/// A borrowed [`StateBackend`]: what a state handle works on.
pub enum BackendRef<'a, K> {
    /// The heap backend.
    Heap(&'a mut HeapKeyedStateBackend<K>),
    /// The embedded LSM backend.
    Embedded(&'a mut LsmKeyedStateBackend<K>),
}

/// Whatever can lend a [`BackendRef`]: the owned enum and either backend.
pub trait AsBackendRef<K> {
    /// The backend, borrowed.
    fn backend_ref(&mut self) -> BackendRef<'_, K>;
}

impl<K> AsBackendRef<K> for StateBackend<K> {
    fn backend_ref(&mut self) -> BackendRef<'_, K> {
        match self {
            StateBackend::Heap(b) => BackendRef::Heap(b),
            StateBackend::Embedded(b) => BackendRef::Embedded(b),
        }
    }
}

impl<K> AsBackendRef<K> for HeapKeyedStateBackend<K> {
    fn backend_ref(&mut self) -> BackendRef<'_, K> {
        BackendRef::Heap(self)
    }
}

impl<K> AsBackendRef<K> for LsmKeyedStateBackend<K> {
    fn backend_ref(&mut self) -> BackendRef<'_, K> {
        BackendRef::Embedded(self)
    }
}

impl<K> AsBackendRef<K> for BackendRef<'_, K> {
    fn backend_ref(&mut self) -> BackendRef<'_, K> {
        match self {
            BackendRef::Heap(b) => BackendRef::Heap(b),
            BackendRef::Embedded(b) => BackendRef::Embedded(b),
        }
    }
}

/// A snapshot still to be serialized: call it on any thread.
pub type PendingSnapshot = Box<dyn FnOnce() -> Result<KeyedStateSnapshot, StateError> + Send>;

impl<K: Key> StateBackend<K> {
    /// Checks that `key_group` belongs to this backend.
    ///
    /// # Errors
    /// [`StateError::KeyGroupOutOfRange`] otherwise.
    #[inline]
    pub fn check_key_group(&self, key_group: usize) -> Result<(), StateError> {
        let range = KeyedStateBackend::key_group_range(self);
        if range.contains(key_group) {
            Ok(())
        } else {
            Err(StateError::KeyGroupOutOfRange { key_group, start: range.start, end: range.end })
        }
    }

    /// A snapshot in two steps: a cheap cut now (heap: the key groups' maps are shared
    /// copy-on-write; LSM: a read view), serialized by the returned closure on any
    /// thread. `now_ms` leaves out heap TTL entries that expired (full-snapshot cleanup).
    pub fn snapshot_async(&mut self, now_ms: Option<i64>) -> PendingSnapshot {
        match self {
            StateBackend::Heap(b) => Box::new(b.snapshot_async(now_ms)),
            StateBackend::Embedded(b) => Box::new(b.snapshot_async()),
        }
    }

    /// For the embedded backend, the cut of a checkpoint to be written key group by key
    /// group ([`LsmKeyedStateBackend::cut_key_groups`]); `None` on the heap, whose state
    /// is in memory anyway and goes through [`Self::snapshot_async`].
    pub fn cut_key_groups(&mut self) -> Option<KeyGroupCut> {
        match self {
            StateBackend::Heap(_) => None,
            StateBackend::Embedded(b) => Some(b.cut_key_groups()),
        }
    }

    /// Which backend this is, in Flink's words (`hashmap` or `embedded`).
    pub fn kind_name(&self) -> &'static str {
        match self {
            StateBackend::Heap(_) => "hashmap",
            StateBackend::Embedded(_) => "embedded",
        }
    }
}

macro_rules! delegate {
    ($self:ident, $b:ident => $e:expr) => {
        match $self {
            StateBackend::Heap($b) => $e,
            StateBackend::Embedded($b) => $e,
        }
    };
}

impl<K: Key> KeyedStateBackend<K> for StateBackend<K> {
    fn key_group_range(&self) -> KeyGroupRange {
        delegate!(self, b => b.key_group_range())
    }

    fn register<S: StateValue>(&mut self, name: &str, kind: StateKind) -> Result<StateId, StateError> {
        delegate!(self, b => KeyedStateBackend::register::<S>(b, name, kind))
    }

    fn register_map<UK: StateValue + Hash + Eq, UV: StateValue>(&mut self, name: &str) -> Result<StateId, StateError> {
        delegate!(self, b => b.register_map::<UK, UV>(name))
    }

    fn get<S: StateValue>(&self, id: StateId, key_group: usize, key: &K) -> Result<Option<S>, StateError> {
        delegate!(self, b => b.get(id, key_group, key))
    }

    fn put<S: StateValue>(&mut self, id: StateId, key_group: usize, key: &K, value: S) -> Result<(), StateError> {
        delegate!(self, b => b.put(id, key_group, key, value))
    }

    fn delete<S: StateValue>(&mut self, id: StateId, key_group: usize, key: &K) -> Result<(), StateError> {
        delegate!(self, b => b.delete::<S>(id, key_group, key))
    }

    fn get_entry<UK: StateValue + Hash + Eq, UV: StateValue>(
        &self,
        id: StateId,
        key_group: usize,
        key: &K,
        user_key: &UK,
    ) -> Result<Option<UV>, StateError> {
        delegate!(self, b => b.get_entry(id, key_group, key, user_key))
    }

    fn put_entry<UK: StateValue + Hash + Eq, UV: StateValue>(
        &mut self,
        id: StateId,
        key_group: usize,
        key: &K,
        user_key: UK,
        value: UV,
    ) -> Result<(), StateError> {
        delegate!(self, b => b.put_entry(id, key_group, key, user_key, value))
    }

    fn delete_entry<UK: StateValue + Hash + Eq, UV: StateValue>(
        &mut self,
        id: StateId,
        key_group: usize,
        key: &K,
        user_key: &UK,
    ) -> Result<(), StateError> {
        delegate!(self, b => b.delete_entry::<UK, UV>(id, key_group, key, user_key))
    }

    fn entries<UK: StateValue + Hash + Eq, UV: StateValue>(
        &self,
        id: StateId,
        key_group: usize,
        key: &K,
    ) -> Result<Vec<(UK, UV)>, StateError> {
        delegate!(self, b => b.entries(id, key_group, key))
    }

    fn keys(&self, id: StateId, key_group: usize) -> Result<Vec<K>, StateError> {
        delegate!(self, b => b.keys(id, key_group))
    }

    fn snapshot(&self) -> Result<KeyedStateSnapshot, StateError> {
        delegate!(self, b => KeyedStateBackend::snapshot(b))
    }

    fn restore(&mut self, snapshots: &[KeyedStateSnapshot]) -> Result<(), StateError> {
        delegate!(self, b => KeyedStateBackend::restore(b, snapshots))
    }

    fn restore_key_groups(&mut self, source: &mut dyn KeyGroupSource) -> Result<(), StateError> {
        delegate!(self, b => KeyedStateBackend::restore_key_groups(b, source))
    }

    fn estimated_size_bytes(&self) -> Result<u64, StateError> {
        delegate!(self, b => KeyedStateBackend::estimated_size_bytes(b))
    }
}
