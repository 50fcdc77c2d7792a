//! [`ValueCell`]: one value per key, with or without time-to-live — what
//! [`ValueState`](crate::ValueState), [`ReducingState`](crate::ReducingState) and
//! [`AggregatingState`](crate::AggregatingState) share.

use std::marker::PhantomData;

use crate::ttl::{ReadDecision, StateTtlConfig, TtlValue};
use crate::{BackendRef, Key, KeyedStateBackend, KeyedStateContext, StateError, StateId, StateKind, StateValue};

/// One `T` per key in either backend; stored as `T`, or as [`TtlValue<T>`] with TTL.
pub(crate) struct ValueCell<T> {
    id: StateId,
    ttl: Option<StateTtlConfig>,
    _t: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for ValueCell<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValueCell").field("id", &self.id).field("ttl", &self.ttl).finish()
    }
}

impl<T> Clone for ValueCell<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for ValueCell<T> {}

impl<T: StateValue> ValueCell<T> {
    pub(crate) fn declare<K: Key>(
        backend: BackendRef<'_, K>,
        name: &str,
        kind: StateKind,
        ttl: Option<StateTtlConfig>,
    ) -> Result<Self, StateError> {
        let id = match (backend, ttl) {
            (BackendRef::Heap(b), None) => b.register::<T>(name, kind)?,
            (BackendRef::Heap(b), Some(ttl)) => b.register_ttl::<T>(name, kind, ttl)?,
            (BackendRef::Embedded(b), None) => b.register::<T>(name, kind)?,
            // Same value type name as the heap's TTL table, so snapshots move between them.
            (BackendRef::Embedded(b), Some(_)) => b.register::<TtlValue<T>>(name, kind)?,
        };
        Ok(ValueCell { id, ttl, _t: PhantomData })
    }

    /// Processing time for a TTL state (after a step of incremental cleanup on the heap;
    /// the embedded backend drops expired values when they are read); `None` without TTL.
    fn now<K: Key>(&self, ctx: &mut impl KeyedStateContext<K>) -> Result<Option<i64>, StateError> {
        let Some(ttl) = self.ttl else { return Ok(None) };
        let now = ctx.current_processing_time_ms().ok_or(StateError::NoProcessingTime)?;
        if ttl.incremental_cleanup_entries() > 0 {
            if let (BackendRef::Heap(backend), _, _) = ctx.state_parts() {
                backend
                    .table_mut::<TtlValue<T>>(self.id)
                    .retain_step(ttl.incremental_cleanup_entries(), |v| !ttl.is_expired(v.last_access_ms, now));
            }
        }
        Ok(Some(now))
    }

    pub(crate) fn get<K: Key>(&self, ctx: &mut impl KeyedStateContext<K>) -> Result<Option<T>, StateError> {
        let now = self.now(ctx)?;
        let (backend, key, kg) = ctx.state_parts();
        let (Some(ttl), Some(now)) = (self.ttl, now) else {
            return match backend {
                BackendRef::Heap(b) => Ok(b.table::<T>(self.id).get(kg, key).cloned()),
                BackendRef::Embedded(b) => b.get::<T>(self.id, kg, key),
            };
        };
        match backend {
            BackendRef::Heap(b) => {
                let table = b.table_mut::<TtlValue<T>>(self.id);
                let Some(stored) = table.get_mut(kg, key) else { return Ok(None) };
                match ttl.on_read(stored.last_access_ms, now) {
                    ReadDecision::Return => Ok(Some(stored.value.clone())),
                    ReadDecision::ReturnAndRefresh => {
                        stored.last_access_ms = now;
                        Ok(Some(stored.value.clone()))
                    }
                    ReadDecision::RemoveAndHide => {
                        table.remove(kg, key);
                        Ok(None)
                    }
                }
            }
            BackendRef::Embedded(b) => {
                let Some(mut stored) = b.get::<TtlValue<T>>(self.id, kg, key)? else { return Ok(None) };
                match ttl.on_read(stored.last_access_ms, now) {
                    ReadDecision::Return => Ok(Some(stored.value)),
                    ReadDecision::ReturnAndRefresh => {
                        stored.last_access_ms = now;
                        let value = stored.value.clone();
                        b.put(self.id, kg, key, stored)?;
                        Ok(Some(value))
                    }
                    ReadDecision::RemoveAndHide => {
                        b.delete::<TtlValue<T>>(self.id, kg, key)?;
                        Ok(None)
                    }
                }
            }
        }
    }

    pub(crate) fn set<K: Key>(&self, ctx: &mut impl KeyedStateContext<K>, value: T) -> Result<(), StateError> {
        let now = self.now(ctx)?;
        let (backend, key, kg) = ctx.state_parts();
        match (backend, now) {
            (BackendRef::Heap(b), None) => b.table_mut::<T>(self.id).insert(kg, key, value),
            (BackendRef::Heap(b), Some(now)) => {
                b.table_mut::<TtlValue<T>>(self.id).insert(kg, key, TtlValue { value, last_access_ms: now })
            }
            (BackendRef::Embedded(b), None) => b.put(self.id, kg, key, value)?,
            (BackendRef::Embedded(b), Some(now)) => b.put(self.id, kg, key, TtlValue { value, last_access_ms: now })?,
        }
        Ok(())
    }

    pub(crate) fn clear<K: Key>(&self, ctx: &mut impl KeyedStateContext<K>) -> Result<(), StateError> {
        let now = self.now(ctx)?;
        let (backend, key, kg) = ctx.state_parts();
        match (backend, now) {
            (BackendRef::Heap(b), None) => drop(b.table_mut::<T>(self.id).remove(kg, key)),
            (BackendRef::Heap(b), Some(_)) => drop(b.table_mut::<TtlValue<T>>(self.id).remove(kg, key)),
            (BackendRef::Embedded(b), None) => b.delete::<T>(self.id, kg, key)?,
            (BackendRef::Embedded(b), Some(_)) => b.delete::<TtlValue<T>>(self.id, kg, key)?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use weir_core::key_group::assign_to_key_group;
    use weir_core::KeyGroupRange;

    use crate::ttl::{StateVisibility, UpdateType};
    use crate::{HeapKeyedStateBackend, ReducingStateDescriptor, ValueStateDescriptor};

    use super::*;

    /// A context with a current key and a settable processing time.
    pub(crate) struct Ctx {
        pub(crate) backend: HeapKeyedStateBackend<String>,
        key: String,
        kg: usize,
        pub(crate) now: Option<i64>,
    }

    impl Ctx {
        pub(crate) fn new() -> Self {
            Ctx {
                backend: HeapKeyedStateBackend::new(KeyGroupRange::for_operator(128, 1, 0)),
                key: String::new(),
                kg: 0,
                now: Some(0),
            }
        }
        pub(crate) fn at(&mut self, key: &str, now: i64) -> &mut Self {
            self.key = key.to_string();
            self.kg = assign_to_key_group(key, 128);
            self.now = Some(now);
            self
        }
    }

    impl KeyedStateContext<String> for Ctx {
        fn state_parts(&mut self) -> (BackendRef<'_, String>, &String, usize) {
            (BackendRef::Heap(&mut self.backend), &self.key, self.kg)
        }
        fn current_processing_time_ms(&self) -> Option<i64> {
            self.now
        }
    }

    /// (update type, visibility, write at, read at, read again at, first read, second
    /// read); ttl 100.
    type TtlCase = (UpdateType, StateVisibility, i64, i64, i64, Option<u64>, Option<u64>);
    const TTL_CASES: [TtlCase; 6] = [
        (UpdateType::OnCreateAndWrite, StateVisibility::NeverReturnExpired, 0, 50, 99, Some(1), Some(1)),
        (UpdateType::OnCreateAndWrite, StateVisibility::NeverReturnExpired, 0, 50, 120, Some(1), None),
        (UpdateType::OnReadAndWrite, StateVisibility::NeverReturnExpired, 0, 50, 120, Some(1), Some(1)),
        (UpdateType::OnReadAndWrite, StateVisibility::NeverReturnExpired, 0, 100, 120, None, None),
        (UpdateType::OnCreateAndWrite, StateVisibility::ReturnExpiredIfNotCleanedUp, 0, 150, 300, Some(1), Some(1)),
        (UpdateType::OnReadAndWrite, StateVisibility::ReturnExpiredIfNotCleanedUp, 0, 150, 300, Some(1), Some(1)),
    ];

    /// A context over the embedded backend, with a settable time.
    struct LsmCtx {
        backend: crate::LsmKeyedStateBackend<String>,
        key: String,
        now: i64,
    }

    impl KeyedStateContext<String> for LsmCtx {
        fn state_parts(&mut self) -> (BackendRef<'_, String>, &String, usize) {
            let kg = assign_to_key_group(&self.key, 128);
            (BackendRef::Embedded(&mut self.backend), &self.key, kg)
        }
        fn current_processing_time_ms(&self) -> Option<i64> {
            Some(self.now)
        }
    }

    #[test]
    fn value_state_ttl_on_the_embedded_backend() {
        for (update, visibility, write, read1, read2, want1, want2) in TTL_CASES {
            let dir = tempfile::tempdir().unwrap();
            let range = KeyGroupRange::for_operator(128, 1, 0);
            let budget = crate::MemoryBudget::of(4 << 20);
            let backend = crate::LsmKeyedStateBackend::open(dir.path(), range, budget).unwrap();
            let mut c = LsmCtx { backend, key: "k".into(), now: write };
            let ttl = StateTtlConfig::new(Duration::from_millis(100)).update_type(update).visibility(visibility);
            let v = ValueStateDescriptor::<u64>::new("v").with_ttl(ttl).declare(&mut c.backend).unwrap();
            v.update(&mut c, 1).unwrap();
            c.now = read1;
            let first = v.value(&mut c).unwrap();
            c.now = read2;
            let second = v.value(&mut c).unwrap();
            assert_eq!((first, second), (want1, want2), "{update:?} {visibility:?} {write} {read1} {read2}");
        }
    }

    #[test]
    fn value_state_ttl() {
        for (update, visibility, write, read1, read2, want1, want2) in TTL_CASES {
            let mut c = Ctx::new();
            let ttl = StateTtlConfig::new(Duration::from_millis(100)).update_type(update).visibility(visibility);
            let v = ValueStateDescriptor::<u64>::new("v").with_ttl(ttl).declare(&mut c.backend).unwrap();
            v.update(c.at("k", write), 1).unwrap();
            let got = (v.value(c.at("k", read1)).unwrap(), v.value(c.at("k", read2)).unwrap());
            assert_eq!(got, (want1, want2), "{update:?} {visibility:?} {write} {read1} {read2}");
        }
    }

    #[test]
    fn ttl_cleanup_full_snapshot_and_incremental() {
        // (cleanup in full snapshot, incremental entries per access, key groups in a
        //  snapshot at t=150, entries left after one access at t=150)
        let cases = [(false, 0, 10, 10), (true, 0, 0, 10), (false, 4, 10, 6), (true, 100, 0, 0)];
        for (full, incremental, in_snapshot, left) in cases {
            let mut ttl = StateTtlConfig::new(Duration::from_millis(100)).cleanup_incrementally(incremental);
            if full {
                ttl = ttl.cleanup_full_snapshot();
            }
            let mut c = Ctx::new();
            let v = ValueStateDescriptor::<u64>::new("v").with_ttl(ttl).declare(&mut c.backend).unwrap();
            // Ten keys in ten distinct key groups, written at t = 0.
            let mut keys: Vec<String> = Vec::new();
            for i in 0.. {
                let k = format!("k{i}");
                if keys.iter().all(|o| assign_to_key_group(o, 128) != assign_to_key_group(&k, 128)) {
                    keys.push(k);
                }
                if keys.len() == 10 {
                    break;
                }
            }
            for k in &keys {
                v.update(c.at(k, 0), 7).unwrap();
            }
            assert_eq!(c.backend.snapshot_at(150).unwrap().key_groups.len(), in_snapshot, "{full} {incremental}");
            assert_eq!(c.backend.snapshot().unwrap().key_groups.len(), 10, "a snapshot without time keeps all");
            // One access of an unrelated key (none stored) at t = 150.
            assert_eq!(v.value(c.at("other", 150)).unwrap(), None);
            let id = StateId(0);
            assert_eq!(c.backend.table::<TtlValue<u64>>(id).len(), left, "{full} {incremental}");
        }
    }

    #[test]
    fn ttl_needs_a_context_with_time() {
        let mut c = Ctx::new();
        let ttl = StateTtlConfig::new(Duration::from_secs(1));
        let r = ReducingStateDescriptor::new("r", |a: u64, b| a + b).with_ttl(ttl).declare(&mut c.backend).unwrap();
        r.add(c.at("k", 0), 1).unwrap();
        r.add(c.at("k", 500), 2).unwrap();
        assert_eq!(r.get(c.at("k", 1_400)).unwrap(), Some(3), "the add at 500 refreshed it");
        assert_eq!(r.get(c.at("k", 1_500)).unwrap(), None);
        c.now = None;
        assert!(matches!(r.add(&mut c, 1), Err(StateError::NoProcessingTime)));
    }
}
