//! The heap keyed-state backend: every declared state of one keyed subtask.

use std::any::{type_name, Any};
use std::hash::Hash;

use serde::de::DeserializeOwned;
use serde::Serialize;
use weir_core::KeyGroupRange;

use crate::snapshot::{KeyGroupSnapshot, KeyedStateSnapshot, StateMeta, SNAPSHOT_FORMAT_VERSION};
use crate::table::TableCut;
use crate::ttl::{StateTtlConfig, TtlValue};
use crate::{StateError, StateTable};

/// Which of Flink's keyed state kinds a declared state is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum StateKind {
    /// One value per key.
    Value,
    /// A list per key.
    List,
    /// A map per key.
    Map,
    /// One value per key, folded by a reduce function.
    Reducing,
    /// One accumulator per key, folded by an aggregate function.
    Aggregating,
}

/// The bincode of an empty `Vec`: the blob of a state with no entries in a key group.
pub(crate) const EMPTY_BLOB: &[u8] = &[0; 8];

/// The id of a declared state within one backend (its index).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StateId(pub(crate) usize);

struct Registered {
    name: String,
    kind: StateKind,
    type_name: &'static str,
    table: Box<dyn ErasedTable>,
}

/// What a snapshot reads of one state, live or cut.
trait KeyGroupSource {
    fn has_entries(&self, key_group: usize) -> bool;
    /// The key group's entries in bincode; with `now_ms`, a TTL state that cleans up in
    /// full snapshots leaves its expired entries out.
    fn snapshot_key_group(&self, key_group: usize, now_ms: Option<i64>) -> Result<Vec<u8>, StateError>;
}

/// A state table with its key and value types hidden: what snapshots need of it.
trait ErasedTable: KeyGroupSource + Send {
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
    /// A frozen view to serialize on another thread (see [`StateTable::cut`]).
    fn cut(&mut self) -> Box<dyn KeyGroupSource + Send>;
    fn restore_key_group(&mut self, key_group: usize, bytes: &[u8]) -> Result<(), StateError>;
    fn estimated_size_bytes(&self) -> u64;
    /// The keys with an entry in `key_group`, as a `Vec<K>`.
    fn key_group_keys(&self, key_group: usize) -> Box<dyn Any>;
}

/// The bincode of `entries` as a `Vec<(K, S)>`.
fn encode_entries<'a, K: Serialize + 'a, S: Serialize + 'a>(
    entries: impl Iterator<Item = (&'a K, &'a S)>,
) -> Result<Vec<u8>, StateError> {
    let entries: Vec<(&K, &S)> = entries.collect();
    bincode::serialize(&entries).map_err(|e| StateError::Snapshot(e.to_string()))
}

impl<K: Serialize, S: Serialize> KeyGroupSource for StateTable<K, S>
where
    K: Hash + Eq + Clone,
{
    fn has_entries(&self, key_group: usize) -> bool {
        self.key_group_entries(key_group).next().is_some()
    }
    fn snapshot_key_group(&self, key_group: usize, _now_ms: Option<i64>) -> Result<Vec<u8>, StateError> {
        encode_entries(self.key_group_entries(key_group))
    }
}

impl<K: Serialize, S: Serialize> KeyGroupSource for TableCut<K, S> {
    fn has_entries(&self, key_group: usize) -> bool {
        TableCut::has_entries(self, key_group)
    }
    fn snapshot_key_group(&self, key_group: usize, _now_ms: Option<i64>) -> Result<Vec<u8>, StateError> {
        encode_entries(self.key_group_entries(key_group))
    }
}

impl<K, S> ErasedTable for StateTable<K, S>
where
    K: Hash + Eq + Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    S: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
{
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
    fn cut(&mut self) -> Box<dyn KeyGroupSource + Send> {
        Box::new(StateTable::cut(self))
    }
    fn restore_key_group(&mut self, key_group: usize, bytes: &[u8]) -> Result<(), StateError> {
        let entries: Vec<(K, S)> = bincode::deserialize(bytes).map_err(|e| StateError::Restore(e.to_string()))?;
        for (k, v) in entries {
            self.insert(key_group, &k, v);
        }
        Ok(())
    }
    fn estimated_size_bytes(&self) -> u64 {
        StateTable::estimated_size_bytes(self)
    }
    fn key_group_keys(&self, key_group: usize) -> Box<dyn Any> {
        Box::new(self.key_group_entries(key_group).map(|(k, _)| k.clone()).collect::<Vec<K>>())
    }
}

/// The table of a state with TTL: a table of [`TtlValue`]s that knows its TTL, so that
/// snapshots can leave expired entries out. Downcasts to the inner table.
struct TtlTable<K, T> {
    table: StateTable<K, TtlValue<T>>,
    ttl: StateTtlConfig,
}

/// The bincode of the entries of a TTL state that are live at `now_ms` (all of them
/// without `now_ms`, or when the TTL does not clean up in full snapshots).
fn encode_live<'a, K: Serialize + 'a, T: Serialize + 'a>(
    ttl: &StateTtlConfig,
    entries: impl Iterator<Item = (&'a K, &'a TtlValue<T>)>,
    now_ms: Option<i64>,
) -> Result<Vec<u8>, StateError> {
    let live = |v: &TtlValue<T>| match now_ms {
        Some(now) if ttl.cleans_up_in_full_snapshot() => !ttl.is_expired(v.last_access_ms, now),
        _ => true,
    };
    encode_entries(entries.filter(|(_, v)| live(v)))
}

impl<K, T> KeyGroupSource for TtlTable<K, T>
where
    K: Hash + Eq + Clone + Serialize,
    T: Serialize,
{
    fn has_entries(&self, key_group: usize) -> bool {
        self.table.has_entries(key_group)
    }
    fn snapshot_key_group(&self, key_group: usize, now_ms: Option<i64>) -> Result<Vec<u8>, StateError> {
        encode_live(&self.ttl, self.table.key_group_entries(key_group), now_ms)
    }
}

/// A cut of a TTL state.
struct TtlCut<K, T> {
    cut: TableCut<K, TtlValue<T>>,
    ttl: StateTtlConfig,
}

impl<K: Serialize, T: Serialize> KeyGroupSource for TtlCut<K, T> {
    fn has_entries(&self, key_group: usize) -> bool {
        self.cut.has_entries(key_group)
    }
    fn snapshot_key_group(&self, key_group: usize, now_ms: Option<i64>) -> Result<Vec<u8>, StateError> {
        encode_live(&self.ttl, self.cut.key_group_entries(key_group), now_ms)
    }
}

impl<K, T> ErasedTable for TtlTable<K, T>
where
    K: Hash + Eq + Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
{
    fn as_any(&self) -> &dyn Any {
        &self.table
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        &mut self.table
    }
    fn cut(&mut self) -> Box<dyn KeyGroupSource + Send> {
        Box::new(TtlCut { cut: self.table.cut(), ttl: self.ttl })
    }
    fn restore_key_group(&mut self, key_group: usize, bytes: &[u8]) -> Result<(), StateError> {
        self.table.restore_key_group(key_group, bytes)
    }
    fn estimated_size_bytes(&self) -> u64 {
        self.table.estimated_size_bytes()
    }
    fn key_group_keys(&self, key_group: usize) -> Box<dyn Any> {
        self.table.key_group_keys(key_group)
    }
}

/// Keyed state of one subtask, held in hash maps on the heap, organised by key group.
///
/// # Concurrency
/// Owned by the subtask's task thread; never shared.
///
/// # Example
/// ```
/// use weir_core::KeyGroupRange;
/// use weir_state::{HeapKeyedStateBackend, StateKind};
/// let mut backend = HeapKeyedStateBackend::<String>::new(KeyGroupRange::for_operator(128, 1, 0));
/// let id = backend.register::<u64>("count", StateKind::Value).unwrap();
/// backend.table_mut::<u64>(id).insert(7, &"a".to_string(), 1);
/// assert_eq!(backend.table::<u64>(id).get(7, &"a".to_string()), Some(&1));
/// ```
pub struct HeapKeyedStateBackend<K> {
    range: KeyGroupRange,
    states: Vec<Registered>,
    _key: std::marker::PhantomData<fn() -> K>,
}

impl<K: Hash + Eq + Clone + Send + Sync + Serialize + DeserializeOwned + 'static> HeapKeyedStateBackend<K> {
    /// An empty backend owning the key groups of `range`.
    pub fn new(range: KeyGroupRange) -> Self {
        HeapKeyedStateBackend { range, states: Vec::new(), _key: std::marker::PhantomData }
    }

    /// The key groups this backend owns.
    pub fn key_group_range(&self) -> KeyGroupRange {
        self.range
    }

    /// Declares a state holding `S` per key under `name`; declaring the same name again
    /// with the same kind and type returns the same id.
    ///
    /// # Errors
    /// [`StateError::IncompatibleDeclaration`] when `name` exists with another kind or type.
    pub fn register<S: Clone + Send + Sync + Serialize + DeserializeOwned + 'static>(
        &mut self,
        name: &str,
        kind: StateKind,
    ) -> Result<StateId, StateError> {
        let range = self.range;
        self.register_table(name, kind, type_name::<S>(), || Box::new(StateTable::<K, S>::new(range)))
    }

    /// Declares a state with time-to-live holding `T` per key: its table holds
    /// [`TtlValue<T>`] (read it with `table::<TtlValue<T>>`). Declaring it again returns
    /// the same id (the first declaration's TTL stays in force).
    ///
    /// # Errors
    /// As [`Self::register`].
    ///
    /// # Example
    /// ```
    /// use std::time::Duration;
    /// use weir_core::KeyGroupRange;
    /// use weir_state::{HeapKeyedStateBackend, StateKind, StateTtlConfig, TtlValue};
    /// let mut backend = HeapKeyedStateBackend::<u32>::new(KeyGroupRange::for_operator(128, 1, 0));
    /// let ttl = StateTtlConfig::new(Duration::from_secs(1)).cleanup_full_snapshot();
    /// let id = backend.register_ttl::<u64>("last", StateKind::Value, ttl).unwrap();
    /// backend.table_mut::<TtlValue<u64>>(id).insert(3, &1, TtlValue { value: 9, last_access_ms: 0 });
    /// assert_eq!(backend.snapshot_at(500).unwrap().key_groups.len(), 1);
    /// assert_eq!(backend.snapshot_at(1_000).unwrap().key_groups.len(), 0, "expired");
    /// ```
    pub fn register_ttl<T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static>(
        &mut self,
        name: &str,
        kind: StateKind,
        ttl: StateTtlConfig,
    ) -> Result<StateId, StateError> {
        let range = self.range;
        self.register_table(name, kind, type_name::<TtlValue<T>>(), || {
            Box::new(TtlTable::<K, T> { table: StateTable::new(range), ttl })
        })
    }

    fn register_table(
        &mut self,
        name: &str,
        kind: StateKind,
        requested: &'static str,
        table: impl FnOnce() -> Box<dyn ErasedTable>,
    ) -> Result<StateId, StateError> {
        if let Some((i, existing)) = self.states.iter().enumerate().find(|(_, s)| s.name == name) {
            if existing.kind == kind && existing.type_name == requested {
                return Ok(StateId(i));
            }
            return Err(StateError::IncompatibleDeclaration {
                name: name.to_string(),
                existing: format!("{:?} of {}", existing.kind, existing.type_name),
                requested: format!("{kind:?} of {requested}"),
            });
        }
        self.states.push(Registered { name: name.to_string(), kind, type_name: requested, table: table() });
        Ok(StateId(self.states.len() - 1))
    }

    /// The table of a declared state.
    ///
    /// # Panics
    /// If `id` was not returned by [`Self::register`] with the same `S` — handles are
    /// typed, so this is a Weir bug, never a user error.
    #[inline]
    pub fn table<S: 'static>(&self, id: StateId) -> &StateTable<K, S> {
        self.states[id.0].table.as_any().downcast_ref().expect("state handle used with the type it was registered with")
    }

    /// The table of a declared state, for update. Panics as [`Self::table`].
    #[inline]
    pub fn table_mut<S: 'static>(&mut self, id: StateId) -> &mut StateTable<K, S> {
        self.states[id.0]
            .table
            .as_any_mut()
            .downcast_mut()
            .expect("state handle used with the type it was registered with")
    }

    /// Checks that `key_group` belongs to this backend.
    ///
    /// # Errors
    /// [`StateError::KeyGroupOutOfRange`] otherwise.
    pub fn check_key_group(&self, key_group: usize) -> Result<(), StateError> {
        if self.range.contains(key_group) {
            Ok(())
        } else {
            Err(StateError::KeyGroupOutOfRange { key_group, start: self.range.start, end: self.range.end })
        }
    }

    /// A snapshot of every declared state, by key group (key groups without entries are
    /// left out). It is what a checkpoint stores for a keyed subtask, and what rescaling
    /// redistributes: any backend can restore the key groups it owns from it.
    ///
    /// # Errors
    /// [`StateError::Snapshot`] when a key or value cannot be serialized.
    pub fn snapshot(&self) -> Result<KeyedStateSnapshot, StateError> {
        self.snapshot_inner(None)
    }

    /// As [`Self::snapshot`], taken at processing time `now_ms`: states whose TTL cleans
    /// up in full snapshots ([`StateTtlConfig::cleanup_full_snapshot`]) leave their
    /// expired entries out (they stay in this backend until read or cleaned up).
    ///
    /// # Errors
    /// As [`Self::snapshot`].
    pub fn snapshot_at(&self, now_ms: i64) -> Result<KeyedStateSnapshot, StateError> {
        self.snapshot_inner(Some(now_ms))
    }

    fn snapshot_inner(&self, now_ms: Option<i64>) -> Result<KeyedStateSnapshot, StateError> {
        let sources: Vec<&dyn KeyGroupSource> = self.states.iter().map(|s| &*s.table as &dyn KeyGroupSource).collect();
        serialize_states(self.metas(), &sources, self.range, now_ms)
    }

    /// A snapshot in two steps, as [`Self::snapshot`] (or [`Self::snapshot_at`] with
    /// `now_ms`): the **cut** happens now, on the calling thread, and costs O(states ×
    /// key groups) — no entry is read; the returned closure **serializes** the cut when
    /// called, on any thread, while this backend goes on changing. Each key group a write
    /// touches afterwards is copied once ([`StateTable::cut`]).
    ///
    /// # Example
    /// ```
    /// use weir_core::KeyGroupRange;
    /// use weir_state::{HeapKeyedStateBackend, StateKind};
    /// let mut backend = HeapKeyedStateBackend::<u32>::new(KeyGroupRange::for_operator(128, 1, 0));
    /// let id = backend.register::<u64>("n", StateKind::Value).unwrap();
    /// backend.table_mut::<u64>(id).insert(3, &1, 1);
    /// let expected = backend.snapshot().unwrap();
    /// let serialize = backend.snapshot_async(None);
    /// backend.table_mut::<u64>(id).insert(3, &1, 2); // after the cut: not in it
    /// assert_eq!(std::thread::spawn(serialize).join().unwrap().unwrap(), expected);
    /// ```
    pub fn snapshot_async(
        &mut self,
        now_ms: Option<i64>,
    ) -> impl FnOnce() -> Result<KeyedStateSnapshot, StateError> + Send + 'static {
        let metas = self.metas();
        let range = self.range;
        let cuts: Vec<Box<dyn KeyGroupSource + Send>> = self.states.iter_mut().map(|s| s.table.cut()).collect();
        move || {
            let sources: Vec<&dyn KeyGroupSource> = cuts.iter().map(|c| &**c as &dyn KeyGroupSource).collect();
            serialize_states(metas, &sources, range, now_ms)
        }
    }

    fn metas(&self) -> Vec<StateMeta> {
        self.states
            .iter()
            .map(|s| StateMeta { name: s.name.clone(), kind: s.kind, value_type: s.type_name.to_string() })
            .collect()
    }

    /// Restores, from `snapshots` (of any parallelism), the key groups this backend owns.
    /// States are matched by name; declare them first (in the operator's `open`).
    ///
    /// # Errors
    /// [`StateError::Restore`] for a snapshot of a newer format, a state the snapshot has
    /// but the operator does not declare (or declares as another kind or value type), or
    /// bytes that do not decode as the declared types.
    pub fn restore(&mut self, snapshots: &[KeyedStateSnapshot]) -> Result<(), StateError> {
        for snapshot in snapshots {
            if snapshot.format_version > SNAPSHOT_FORMAT_VERSION {
                return Err(StateError::Restore(format!(
                    "snapshot format {} is newer than this Weir's ({SNAPSHOT_FORMAT_VERSION})",
                    snapshot.format_version
                )));
            }
            let mut targets = Vec::with_capacity(snapshot.states.len());
            for meta in &snapshot.states {
                let target = self.states.iter().position(|s| s.name == meta.name).ok_or_else(|| {
                    StateError::Restore(format!(
                        "state '{}' is in the snapshot but not declared by the operator",
                        meta.name
                    ))
                })?;
                if self.states[target].kind != meta.kind {
                    return Err(StateError::Restore(format!(
                        "state '{}' was a {:?} state and is now declared as {:?}",
                        meta.name, meta.kind, self.states[target].kind
                    )));
                }
                // The encoding is not self-describing, so a changed type could decode
                // into nonsense: refuse it instead (a schema-evolving format is future work).
                if self.states[target].type_name != meta.value_type {
                    return Err(StateError::Restore(format!(
                        "state '{}' holds {} in the snapshot and is now declared as {}",
                        meta.name, meta.value_type, self.states[target].type_name
                    )));
                }
                targets.push(target);
            }
            for kg in snapshot.key_groups.iter().filter(|kg| self.range.contains(kg.key_group)) {
                for (bytes, &target) in kg.tables.iter().zip(&targets) {
                    self.states[target].table.restore_key_group(kg.key_group, bytes).map_err(|e| {
                        StateError::Restore(format!(
                            "state '{}', key group {}: {e}",
                            self.states[target].name, kg.key_group
                        ))
                    })?;
                }
            }
        }
        Ok(())
    }

    /// An estimate of the bytes the declared states hold: the sum of
    /// [`StateTable::estimated_size_bytes`] (hash-map slots by `mem::size_of`, plus each
    /// entry's bincode-serialized size for what it owns on the heap). Walks every entry.
    ///
    /// # Example
    /// ```
    /// use weir_core::KeyGroupRange;
    /// use weir_state::{HeapKeyedStateBackend, StateKind};
    /// let mut backend = HeapKeyedStateBackend::<u64>::new(KeyGroupRange::for_operator(128, 1, 0));
    /// let id = backend.register::<String>("name", StateKind::Value).unwrap();
    /// let before = backend.estimated_size_bytes();
    /// backend.table_mut::<String>(id).insert(0, &1, "x".repeat(1_000));
    /// assert!(backend.estimated_size_bytes() >= before + 1_000);
    /// ```
    pub fn estimated_size_bytes(&self) -> u64 {
        self.states.iter().map(|s| s.table.estimated_size_bytes()).sum()
    }

    /// The keys with an entry in state `id` in `key_group`.
    pub(crate) fn key_group_keys(&self, id: StateId, key_group: usize) -> Vec<K> {
        *self.states[id.0].table.key_group_keys(key_group).downcast().expect("tables hold keys of type K")
    }

    /// Names and kinds of the declared states, in declaration order.
    pub fn declared(&self) -> impl Iterator<Item = (&str, StateKind)> {
        self.states.iter().map(|s| (s.name.as_str(), s.kind))
    }
}

/// The snapshot of `states` (described by `metas`, in the same order) over `range`.
fn serialize_states(
    metas: Vec<StateMeta>,
    states: &[&dyn KeyGroupSource],
    range: KeyGroupRange,
    now_ms: Option<i64>,
) -> Result<KeyedStateSnapshot, StateError> {
    let mut key_groups = Vec::new();
    for key_group in range.start..=range.end {
        if !states.iter().any(|s| s.has_entries(key_group)) {
            continue;
        }
        let tables = states.iter().map(|s| s.snapshot_key_group(key_group, now_ms)).collect::<Result<Vec<_>, _>>()?;
        // Every entry of the key group may have expired.
        if now_ms.is_some() && tables.iter().all(|t| t.as_slice() == EMPTY_BLOB) {
            continue;
        }
        key_groups.push(KeyGroupSnapshot { key_group, tables });
    }
    Ok(KeyedStateSnapshot { format_version: SNAPSHOT_FORMAT_VERSION, states: metas, key_groups })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_declaration_same_id_conflicting_declaration_fails() {
        let mut b = HeapKeyedStateBackend::<u32>::new(KeyGroupRange::for_operator(8, 2, 1));
        let a = b.register::<u64>("n", StateKind::Value).unwrap();
        assert_eq!(b.register::<u64>("n", StateKind::Value).unwrap(), a);
        let err = b.register::<String>("n", StateKind::Value).unwrap_err();
        assert!(err.to_string().contains("state 'n' is already declared"), "{err}");
        assert!(b.register::<Vec<u64>>("n", StateKind::List).is_err());
        assert!(b.check_key_group(4).is_ok());
        assert!(b.check_key_group(3).is_err());
    }
}
