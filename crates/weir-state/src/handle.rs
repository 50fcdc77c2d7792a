//! What user code holds: state descriptors and typed handles.
//!
//! A descriptor names a state; declaring it (in a function's `open`) yields a handle.
//! A handle reads and writes the state **of the current key**, which comes from the
//! context argument the runtime passes to the user's function — never from hidden state.

use std::collections::HashMap;
use std::hash::Hash;
use std::marker::PhantomData;

use crate::cell::ValueCell;
use crate::ttl::StateTtlConfig;
use crate::{AsBackendRef, BackendRef, Key, KeyedStateBackend, StateError, StateId, StateKind, StateValue};

/// Gives a state handle the backend, the current key and its key group.
///
/// Implemented by the contexts keyed functions receive (`KeyedContext` in the `weir`
/// crate); user code only passes the context along.
pub trait KeyedStateContext<K> {
    /// The backend (heap or embedded), the current key and the current key's group.
    fn state_parts(&mut self) -> (BackendRef<'_, K>, &K, usize);

    /// The current processing time (epoch ms), for states with time-to-live. A context
    /// that returns `None` (the default) cannot serve TTL states: they fail with
    /// [`StateError::NoProcessingTime`].
    fn current_processing_time_ms(&self) -> Option<i64> {
        None
    }
}

macro_rules! descriptor {
    ($(#[$doc:meta])* $name:ident<$($t:ident),+>) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name<$($t),+> {
            name: String,
            _types: PhantomData<fn() -> ($($t,)+)>,
        }

        impl<$($t),+> $name<$($t),+> {
            /// A descriptor for the state called `name` (unique within the operator).
            pub fn new(name: impl Into<String>) -> Self {
                $name { name: name.into(), _types: PhantomData }
            }

            /// The state's name.
            pub fn name(&self) -> &str {
                &self.name
            }
        }
    };
}

/// Declares a [`ValueState`]: one value of `T` per key, optionally with time-to-live.
#[derive(Debug, Clone)]
pub struct ValueStateDescriptor<T> {
    name: String,
    ttl: Option<StateTtlConfig>,
    _types: PhantomData<fn() -> T>,
}

impl<T> ValueStateDescriptor<T> {
    /// A descriptor for the state called `name` (unique within the operator).
    pub fn new(name: impl Into<String>) -> Self {
        ValueStateDescriptor { name: name.into(), ttl: None, _types: PhantomData }
    }

    /// The state's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Gives the state a time-to-live: see [`crate::ttl`].
    pub fn with_ttl(mut self, ttl: StateTtlConfig) -> Self {
        self.ttl = Some(ttl);
        self
    }
}
descriptor!(
    /// Declares a [`ListState`]: a list of `T` per key.
    ListStateDescriptor<T>
);
descriptor!(
    /// Declares a [`MapState`]: a map from `UK` to `UV` per key.
    MapStateDescriptor<UK, UV>
);

impl<T: StateValue> ValueStateDescriptor<T> {
    /// Declares the state in `backend`.
    ///
    /// # Errors
    /// When the name is taken by a state of another kind or type.
    pub fn declare<K: Key>(&self, backend: &mut impl AsBackendRef<K>) -> Result<ValueState<T>, StateError> {
        Ok(ValueState { cell: ValueCell::declare(backend.backend_ref(), &self.name, StateKind::Value, self.ttl)? })
    }
}

impl<T: StateValue> ListStateDescriptor<T> {
    /// Declares the state in `backend`.
    ///
    /// # Errors
    /// When the name is taken by a state of another kind or type.
    pub fn declare<K: Key>(&self, backend: &mut impl AsBackendRef<K>) -> Result<ListState<T>, StateError> {
        let id = match backend.backend_ref() {
            BackendRef::Heap(b) => b.register::<Vec<T>>(&self.name, StateKind::List)?,
            BackendRef::Embedded(b) => b.register::<Vec<T>>(&self.name, StateKind::List)?,
        };
        Ok(ListState { id, _t: PhantomData })
    }
}

impl<UK: StateValue + Hash + Eq, UV: StateValue> MapStateDescriptor<UK, UV> {
    /// Declares the state in `backend`.
    ///
    /// # Errors
    /// When the name is taken by a state of another kind or type.
    pub fn declare<K: Key>(&self, backend: &mut impl AsBackendRef<K>) -> Result<MapState<UK, UV>, StateError> {
        let id = match backend.backend_ref() {
            BackendRef::Heap(b) => b.register::<HashMap<UK, UV>>(&self.name, StateKind::Map)?,
            BackendRef::Embedded(b) => b.register_map::<UK, UV>(&self.name)?,
        };
        Ok(MapState { id, _t: PhantomData })
    }
}

/// One value per key (Flink's `ValueState`).
#[derive(Debug)]
pub struct ValueState<T> {
    cell: ValueCell<T>,
}

/// A list of values per key (Flink's `ListState`).
#[derive(Debug)]
pub struct ListState<T> {
    id: StateId,
    _t: PhantomData<fn() -> T>,
}

/// A map per key (Flink's `MapState`).
#[derive(Debug)]
pub struct MapState<UK, UV> {
    id: StateId,
    _t: PhantomData<fn() -> (UK, UV)>,
}

// Handles are plain ids: copy them freely (derive would demand `T: Copy`).
macro_rules! copy_handle {
    ($name:ident<$($t:ident),+>) => {
        impl<$($t),+> Clone for $name<$($t),+> {
            fn clone(&self) -> Self {
                *self
            }
        }
        impl<$($t),+> Copy for $name<$($t),+> {}
    };
}
impl<T> Clone for ValueState<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for ValueState<T> {}
copy_handle!(ListState<T>);
copy_handle!(MapState<UK, UV>);

impl<T: StateValue> ValueState<T> {
    /// The current key's value, if set.
    ///
    /// # Errors
    /// Never on the heap backend; persistent backends may fail to read.
    pub fn value<K: Key>(&self, ctx: &mut impl KeyedStateContext<K>) -> Result<Option<T>, StateError> {
        self.cell.get(ctx)
    }

    /// Sets the current key's value.
    ///
    /// # Errors
    /// Never on the heap backend; persistent backends may fail to write.
    pub fn update<K: Key>(&self, ctx: &mut impl KeyedStateContext<K>, value: T) -> Result<(), StateError> {
        self.cell.set(ctx, value)
    }

    /// Removes the current key's value.
    ///
    /// # Errors
    /// As [`Self::update`].
    pub fn clear<K: Key>(&self, ctx: &mut impl KeyedStateContext<K>) -> Result<(), StateError> {
        self.cell.clear(ctx)
    }
}

impl<T: StateValue> ListState<T> {
    /// The current key's list (empty when none).
    ///
    /// # Errors
    /// As [`ValueState::value`].
    pub fn get<K: Key>(&self, ctx: &mut impl KeyedStateContext<K>) -> Result<Vec<T>, StateError> {
        match ctx.state_parts() {
            (BackendRef::Heap(b), key, kg) => Ok(b.table::<Vec<T>>(self.id).get(kg, key).cloned().unwrap_or_default()),
            (BackendRef::Embedded(b), key, kg) => Ok(b.get::<Vec<T>>(self.id, kg, key)?.unwrap_or_default()),
        }
    }

    /// Appends to the current key's list.
    ///
    /// # Errors
    /// As [`ValueState::update`].
    pub fn add<K: Key>(&self, ctx: &mut impl KeyedStateContext<K>, value: T) -> Result<(), StateError> {
        self.add_all(ctx, std::iter::once(value))
    }

    /// Appends all of `values` to the current key's list.
    ///
    /// On the embedded backend this reads, extends and writes back the whole list.
    ///
    /// # Errors
    /// As [`ValueState::update`].
    pub fn add_all<K: Key>(
        &self,
        ctx: &mut impl KeyedStateContext<K>,
        values: impl IntoIterator<Item = T>,
    ) -> Result<(), StateError> {
        match ctx.state_parts() {
            (BackendRef::Heap(b), key, kg) => {
                b.table_mut::<Vec<T>>(self.id).get_or_insert_with(kg, key, Vec::new).extend(values);
                Ok(())
            }
            (BackendRef::Embedded(b), key, kg) => {
                let mut list = b.get::<Vec<T>>(self.id, kg, key)?.unwrap_or_default();
                let before = list.len();
                list.extend(values);
                if list.len() == before {
                    return Ok(());
                }
                b.put(self.id, kg, key, list)
            }
        }
    }

    /// Replaces the current key's list (an empty list clears it).
    ///
    /// # Errors
    /// As [`ValueState::update`].
    pub fn update<K: Key>(&self, ctx: &mut impl KeyedStateContext<K>, values: Vec<T>) -> Result<(), StateError> {
        match ctx.state_parts() {
            (BackendRef::Heap(b), key, kg) => {
                let table = b.table_mut::<Vec<T>>(self.id);
                if values.is_empty() {
                    table.remove(kg, key);
                } else {
                    table.insert(kg, key, values);
                }
                Ok(())
            }
            (BackendRef::Embedded(b), key, kg) if values.is_empty() => b.delete::<Vec<T>>(self.id, kg, key),
            (BackendRef::Embedded(b), key, kg) => b.put(self.id, kg, key, values),
        }
    }

    /// Removes the current key's list.
    ///
    /// # Errors
    /// As [`ValueState::update`].
    pub fn clear<K: Key>(&self, ctx: &mut impl KeyedStateContext<K>) -> Result<(), StateError> {
        match ctx.state_parts() {
            (BackendRef::Heap(b), key, kg) => {
                b.table_mut::<Vec<T>>(self.id).remove(kg, key);
                Ok(())
            }
            (BackendRef::Embedded(b), key, kg) => b.delete::<Vec<T>>(self.id, kg, key),
        }
    }
}

impl<UK: StateValue + Hash + Eq, UV: StateValue> MapState<UK, UV> {
    /// The value under `user_key` in the current key's map.
    ///
    /// # Errors
    /// As [`ValueState::value`].
    pub fn get<K: Key>(&self, ctx: &mut impl KeyedStateContext<K>, user_key: &UK) -> Result<Option<UV>, StateError> {
        match ctx.state_parts() {
            (BackendRef::Heap(b), key, kg) => {
                Ok(b.table::<HashMap<UK, UV>>(self.id).get(kg, key).and_then(|m| m.get(user_key)).cloned())
            }
            (BackendRef::Embedded(b), key, kg) => b.get_entry(self.id, kg, key, user_key),
        }
    }

    /// Sets `user_key` to `value` in the current key's map.
    ///
    /// # Errors
    /// As [`ValueState::update`].
    pub fn put<K: Key>(&self, ctx: &mut impl KeyedStateContext<K>, user_key: UK, value: UV) -> Result<(), StateError> {
        match ctx.state_parts() {
            (BackendRef::Heap(b), key, kg) => {
                b.table_mut::<HashMap<UK, UV>>(self.id)
                    .get_or_insert_with(kg, key, HashMap::new)
                    .insert(user_key, value);
                Ok(())
            }
            (BackendRef::Embedded(b), key, kg) => b.put_entry(self.id, kg, key, user_key, value),
        }
    }

    /// Removes `user_key` from the current key's map, returning its value.
    ///
    /// # Errors
    /// As [`ValueState::update`].
    pub fn remove<K: Key>(&self, ctx: &mut impl KeyedStateContext<K>, user_key: &UK) -> Result<Option<UV>, StateError> {
        match ctx.state_parts() {
            (BackendRef::Heap(b), key, kg) => {
                let table = b.table_mut::<HashMap<UK, UV>>(self.id);
                let Some(map) = table.get_mut(kg, key) else { return Ok(None) };
                let removed = map.remove(user_key);
                if map.is_empty() {
                    table.remove(kg, key);
                }
                Ok(removed)
            }
            (BackendRef::Embedded(b), key, kg) => {
                let removed = b.get_entry::<UK, UV>(self.id, kg, key, user_key)?;
                if removed.is_some() {
                    b.delete_entry::<UK, UV>(self.id, kg, key, user_key)?;
                }
                Ok(removed)
            }
        }
    }

    /// Whether the current key's map has `user_key`.
    ///
    /// # Errors
    /// As [`ValueState::value`].
    pub fn contains<K: Key>(&self, ctx: &mut impl KeyedStateContext<K>, user_key: &UK) -> Result<bool, StateError> {
        match ctx.state_parts() {
            (BackendRef::Heap(b), key, kg) => {
                Ok(b.table::<HashMap<UK, UV>>(self.id).get(kg, key).is_some_and(|m| m.contains_key(user_key)))
            }
            (BackendRef::Embedded(b), key, kg) => Ok(b.get_entry::<UK, UV>(self.id, kg, key, user_key)?.is_some()),
        }
    }

    /// The current key's entries (in no particular order).
    ///
    /// # Errors
    /// As [`ValueState::value`].
    pub fn entries<K: Key>(&self, ctx: &mut impl KeyedStateContext<K>) -> Result<Vec<(UK, UV)>, StateError> {
        match ctx.state_parts() {
            (BackendRef::Heap(b), key, kg) => Ok(b
                .table::<HashMap<UK, UV>>(self.id)
                .get(kg, key)
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default()),
            (BackendRef::Embedded(b), key, kg) => b.entries(self.id, kg, key),
        }
    }

    /// Whether the current key's map is empty.
    ///
    /// # Errors
    /// As [`ValueState::value`].
    pub fn is_empty<K: Key>(&self, ctx: &mut impl KeyedStateContext<K>) -> Result<bool, StateError> {
        match ctx.state_parts() {
            (BackendRef::Heap(b), key, kg) => {
                Ok(b.table::<HashMap<UK, UV>>(self.id).get(kg, key).is_none_or(HashMap::is_empty))
            }
            (BackendRef::Embedded(b), key, kg) => Ok(b.entries::<UK, UV>(self.id, kg, key)?.is_empty()),
        }
    }

    /// Removes the current key's whole map.
    ///
    /// # Errors
    /// As [`ValueState::update`].
    pub fn clear<K: Key>(&self, ctx: &mut impl KeyedStateContext<K>) -> Result<(), StateError> {
        match ctx.state_parts() {
            (BackendRef::Heap(b), key, kg) => {
                b.table_mut::<HashMap<UK, UV>>(self.id).remove(kg, key);
                Ok(())
            }
            (BackendRef::Embedded(b), key, kg) => b.delete::<HashMap<UK, UV>>(self.id, kg, key),
        }
    }
}

#[cfg(test)]
mod tests {
    use weir_core::key_group::assign_to_key_group;
    use weir_core::KeyGroupRange;

    use super::*;
    use crate::{StateBackend, StateBackendConfig};

    /// A context over either backend; `_dir` keeps the embedded backend's directory.
    struct Ctx {
        backend: StateBackend<String>,
        key: String,
        kg: usize,
        _dir: Option<tempfile::TempDir>,
    }

    impl Ctx {
        fn set_key(&mut self, key: &str) {
            self.key = key.to_string();
            self.kg = assign_to_key_group(&self.key, 128);
        }
    }

    impl KeyedStateContext<String> for Ctx {
        fn state_parts(&mut self) -> (BackendRef<'_, String>, &String, usize) {
            (self.backend.backend_ref(), &self.key, self.kg)
        }
    }

    /// One context per backend: every test runs over both.
    fn contexts() -> Vec<Ctx> {
        let range = KeyGroupRange::for_operator(128, 1, 0);
        let heap = StateBackendConfig::default().create(range, "test").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut config = StateBackendConfig::embedded(4 << 20);
        config.local_dir = Some(dir.path().to_path_buf());
        let embedded = config.create(range, "test").unwrap();
        vec![
            Ctx { backend: heap, key: String::new(), kg: 0, _dir: None },
            Ctx { backend: embedded, key: String::new(), kg: 0, _dir: Some(dir) },
        ]
    }

    #[test]
    fn value_state_is_per_key() {
        for mut c in contexts() {
            let count = ValueStateDescriptor::<u64>::new("count").declare(&mut c.backend).unwrap();
            c.set_key("a");
            assert_eq!(count.value(&mut c).unwrap(), None);
            count.update(&mut c, 1).unwrap();
            c.set_key("b");
            assert_eq!(count.value(&mut c).unwrap(), None);
            count.update(&mut c, 5).unwrap();
            c.set_key("a");
            assert_eq!(count.value(&mut c).unwrap(), Some(1));
            count.clear(&mut c).unwrap();
            assert_eq!(count.value(&mut c).unwrap(), None);
            c.set_key("b");
            assert_eq!(count.value(&mut c).unwrap(), Some(5), "{}", c.backend.kind_name());
        }
    }

    #[test]
    fn list_and_map_state() {
        for mut c in contexts() {
            let kind = c.backend.kind_name();
            let list = ListStateDescriptor::<i32>::new("l").declare(&mut c.backend).unwrap();
            let map = MapStateDescriptor::<String, i32>::new("m").declare(&mut c.backend).unwrap();
            c.set_key("k");
            list.add(&mut c, 1).unwrap();
            list.add_all(&mut c, [2, 3]).unwrap();
            assert_eq!(list.get(&mut c).unwrap(), vec![1, 2, 3], "{kind}");
            list.update(&mut c, vec![]).unwrap();
            assert!(list.get(&mut c).unwrap().is_empty(), "{kind}");
            list.update(&mut c, vec![7]).unwrap();
            list.clear(&mut c).unwrap();
            assert!(list.get(&mut c).unwrap().is_empty(), "{kind}");
            assert!(map.is_empty(&mut c).unwrap());
            map.put(&mut c, "x".into(), 1).unwrap();
            map.put(&mut c, "y".into(), 2).unwrap();
            assert_eq!(map.get(&mut c, &"x".into()).unwrap(), Some(1), "{kind}");
            assert!(map.contains(&mut c, &"y".into()).unwrap());
            assert_eq!(map.remove(&mut c, &"x".into()).unwrap(), Some(1), "{kind}");
            assert_eq!(map.remove(&mut c, &"x".into()).unwrap(), None, "{kind}");
            let mut e = map.entries(&mut c).unwrap();
            e.sort();
            assert_eq!(e, vec![("y".to_string(), 2)], "{kind}");
            c.set_key("other");
            assert!(map.entries(&mut c).unwrap().is_empty(), "{kind}");
            map.put(&mut c, "z".into(), 3).unwrap();
            c.set_key("k");
            map.clear(&mut c).unwrap();
            assert!(map.is_empty(&mut c).unwrap(), "{kind}");
            c.set_key("other");
            assert_eq!(map.get(&mut c, &"z".into()).unwrap(), Some(3), "{kind}: clearing one key's map keeps others");
        }
    }

    #[test]
    fn a_snapshot_of_either_backend_restores_into_either() {
        // Fill each backend, snapshot it with the asynchronous path, restore into a fresh
        // context of each backend and read every key back.
        for source in 0..2 {
            let mut c = contexts().remove(source);
            let count = ValueStateDescriptor::<u64>::new("count").declare(&mut c.backend).unwrap();
            let list = ListStateDescriptor::<String>::new("l").declare(&mut c.backend).unwrap();
            let map = MapStateDescriptor::<u32, i64>::new("m").declare(&mut c.backend).unwrap();
            for i in 0..300u32 {
                c.set_key(&format!("key-{i}"));
                count.update(&mut c, u64::from(i)).unwrap();
                list.add(&mut c, format!("v{i}")).unwrap();
                map.put(&mut c, i % 3, -i64::from(i)).unwrap();
            }
            let snapshot = c.backend.snapshot_async(None)().unwrap();
            for mut target in contexts() {
                let what = format!("{} -> {}", c.backend.kind_name(), target.backend.kind_name());
                let count = ValueStateDescriptor::<u64>::new("count").declare(&mut target.backend).unwrap();
                let list = ListStateDescriptor::<String>::new("l").declare(&mut target.backend).unwrap();
                let map = MapStateDescriptor::<u32, i64>::new("m").declare(&mut target.backend).unwrap();
                KeyedStateBackend::restore(&mut target.backend, std::slice::from_ref(&snapshot)).unwrap();
                for i in 0..300u32 {
                    target.set_key(&format!("key-{i}"));
                    assert_eq!(count.value(&mut target).unwrap(), Some(u64::from(i)), "{what}");
                    assert_eq!(list.get(&mut target).unwrap(), vec![format!("v{i}")], "{what}");
                    assert_eq!(map.entries(&mut target).unwrap(), vec![(i % 3, -i64::from(i))], "{what}");
                }
            }
        }
    }
}
