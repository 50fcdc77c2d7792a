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
use crate::{HeapKeyedStateBackend, Key, StateError, StateId, StateKind, StateValue};

/// Gives a state handle the backend, the current key and its key group.
///
/// Implemented by the contexts keyed functions receive (`KeyedContext` in the `weir`
/// crate); user code only passes the context along.
pub trait KeyedStateContext<K> {
    /// The backend, the current key and the current key's group.
    fn state_parts(&mut self) -> (&mut HeapKeyedStateBackend<K>, &K, usize);

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
    pub fn declare<K: Key>(&self, backend: &mut HeapKeyedStateBackend<K>) -> Result<ValueState<T>, StateError> {
        Ok(ValueState { cell: ValueCell::declare(backend, &self.name, StateKind::Value, self.ttl)? })
    }
}

impl<T: StateValue> ListStateDescriptor<T> {
    /// Declares the state in `backend`.
    ///
    /// # Errors
    /// When the name is taken by a state of another kind or type.
    pub fn declare<K: Key>(&self, backend: &mut HeapKeyedStateBackend<K>) -> Result<ListState<T>, StateError> {
        Ok(ListState { id: backend.register::<Vec<T>>(&self.name, StateKind::List)?, _t: PhantomData })
    }
}

impl<UK: StateValue + Hash + Eq, UV: StateValue> MapStateDescriptor<UK, UV> {
    /// Declares the state in `backend`.
    ///
    /// # Errors
    /// When the name is taken by a state of another kind or type.
    pub fn declare<K: Key>(&self, backend: &mut HeapKeyedStateBackend<K>) -> Result<MapState<UK, UV>, StateError> {
        Ok(MapState { id: backend.register::<HashMap<UK, UV>>(&self.name, StateKind::Map)?, _t: PhantomData })
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
        let (backend, key, kg) = ctx.state_parts();
        Ok(backend.table::<Vec<T>>(self.id).get(kg, key).cloned().unwrap_or_default())
    }

    /// Appends to the current key's list.
    ///
    /// # Errors
    /// As [`ValueState::update`].
    pub fn add<K: Key>(&self, ctx: &mut impl KeyedStateContext<K>, value: T) -> Result<(), StateError> {
        let (backend, key, kg) = ctx.state_parts();
        backend.table_mut::<Vec<T>>(self.id).get_or_insert_with(kg, key, Vec::new).push(value);
        Ok(())
    }

    /// Appends all of `values` to the current key's list.
    ///
    /// # Errors
    /// As [`ValueState::update`].
    pub fn add_all<K: Key>(
        &self,
        ctx: &mut impl KeyedStateContext<K>,
        values: impl IntoIterator<Item = T>,
    ) -> Result<(), StateError> {
        let (backend, key, kg) = ctx.state_parts();
        backend.table_mut::<Vec<T>>(self.id).get_or_insert_with(kg, key, Vec::new).extend(values);
        Ok(())
    }

    /// Replaces the current key's list (an empty list clears it).
    ///
    /// # Errors
    /// As [`ValueState::update`].
    pub fn update<K: Key>(&self, ctx: &mut impl KeyedStateContext<K>, values: Vec<T>) -> Result<(), StateError> {
        let (backend, key, kg) = ctx.state_parts();
        let table = backend.table_mut::<Vec<T>>(self.id);
        if values.is_empty() {
            table.remove(kg, key);
        } else {
            table.insert(kg, key, values);
        }
        Ok(())
    }

    /// Removes the current key's list.
    ///
    /// # Errors
    /// As [`ValueState::update`].
    pub fn clear<K: Key>(&self, ctx: &mut impl KeyedStateContext<K>) -> Result<(), StateError> {
        let (backend, key, kg) = ctx.state_parts();
        backend.table_mut::<Vec<T>>(self.id).remove(kg, key);
        Ok(())
    }
}

impl<UK: StateValue + Hash + Eq, UV: StateValue> MapState<UK, UV> {
    /// The value under `user_key` in the current key's map.
    ///
    /// # Errors
    /// As [`ValueState::value`].
    pub fn get<K: Key>(&self, ctx: &mut impl KeyedStateContext<K>, user_key: &UK) -> Result<Option<UV>, StateError> {
        let (backend, key, kg) = ctx.state_parts();
        Ok(backend.table::<HashMap<UK, UV>>(self.id).get(kg, key).and_then(|m| m.get(user_key)).cloned())
    }

    /// Sets `user_key` to `value` in the current key's map.
    ///
    /// # Errors
    /// As [`ValueState::update`].
    pub fn put<K: Key>(&self, ctx: &mut impl KeyedStateContext<K>, user_key: UK, value: UV) -> Result<(), StateError> {
        let (backend, key, kg) = ctx.state_parts();
        backend.table_mut::<HashMap<UK, UV>>(self.id).get_or_insert_with(kg, key, HashMap::new).insert(user_key, value);
        Ok(())
    }

    /// Removes `user_key` from the current key's map, returning its value.
    ///
    /// # Errors
    /// As [`ValueState::update`].
    pub fn remove<K: Key>(&self, ctx: &mut impl KeyedStateContext<K>, user_key: &UK) -> Result<Option<UV>, StateError> {
        let (backend, key, kg) = ctx.state_parts();
        let table = backend.table_mut::<HashMap<UK, UV>>(self.id);
        let Some(map) = table.get_mut(kg, key) else { return Ok(None) };
        let removed = map.remove(user_key);
        if map.is_empty() {
            table.remove(kg, key);
        }
        Ok(removed)
    }

    /// Whether the current key's map has `user_key`.
    ///
    /// # Errors
    /// As [`ValueState::value`].
    pub fn contains<K: Key>(&self, ctx: &mut impl KeyedStateContext<K>, user_key: &UK) -> Result<bool, StateError> {
        let (backend, key, kg) = ctx.state_parts();
        Ok(backend.table::<HashMap<UK, UV>>(self.id).get(kg, key).is_some_and(|m| m.contains_key(user_key)))
    }

    /// The current key's entries (in no particular order).
    ///
    /// # Errors
    /// As [`ValueState::value`].
    pub fn entries<K: Key>(&self, ctx: &mut impl KeyedStateContext<K>) -> Result<Vec<(UK, UV)>, StateError> {
        let (backend, key, kg) = ctx.state_parts();
        Ok(backend
            .table::<HashMap<UK, UV>>(self.id)
            .get(kg, key)
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default())
    }

    /// Whether the current key's map is empty.
    ///
    /// # Errors
    /// As [`ValueState::value`].
    pub fn is_empty<K: Key>(&self, ctx: &mut impl KeyedStateContext<K>) -> Result<bool, StateError> {
        let (backend, key, kg) = ctx.state_parts();
        Ok(backend.table::<HashMap<UK, UV>>(self.id).get(kg, key).is_none_or(HashMap::is_empty))
    }

    /// Removes the current key's whole map.
    ///
    /// # Errors
    /// As [`ValueState::update`].
    pub fn clear<K: Key>(&self, ctx: &mut impl KeyedStateContext<K>) -> Result<(), StateError> {
        let (backend, key, kg) = ctx.state_parts();
        backend.table_mut::<HashMap<UK, UV>>(self.id).remove(kg, key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use weir_core::key_group::assign_to_key_group;
    use weir_core::KeyGroupRange;

    use super::*;

    struct Ctx {
        backend: HeapKeyedStateBackend<String>,
        key: String,
        kg: usize,
    }

    impl Ctx {
        fn set_key(&mut self, key: &str) {
            self.key = key.to_string();
            self.kg = assign_to_key_group(&self.key, 128);
        }
    }

    impl KeyedStateContext<String> for Ctx {
        fn state_parts(&mut self) -> (&mut HeapKeyedStateBackend<String>, &String, usize) {
            (&mut self.backend, &self.key, self.kg)
        }
    }

    fn ctx() -> Ctx {
        Ctx { backend: HeapKeyedStateBackend::new(KeyGroupRange::for_operator(128, 1, 0)), key: String::new(), kg: 0 }
    }

    #[test]
    fn value_state_is_per_key() {
        let mut c = ctx();
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
        assert_eq!(count.value(&mut c).unwrap(), Some(5));
    }

    #[test]
    fn list_and_map_state() {
        let mut c = ctx();
        let list = ListStateDescriptor::<i32>::new("l").declare(&mut c.backend).unwrap();
        let map = MapStateDescriptor::<String, i32>::new("m").declare(&mut c.backend).unwrap();
        c.set_key("k");
        list.add(&mut c, 1).unwrap();
        list.add_all(&mut c, [2, 3]).unwrap();
        assert_eq!(list.get(&mut c).unwrap(), vec![1, 2, 3]);
        list.update(&mut c, vec![]).unwrap();
        assert!(list.get(&mut c).unwrap().is_empty());
        assert!(map.is_empty(&mut c).unwrap());
        map.put(&mut c, "x".into(), 1).unwrap();
        map.put(&mut c, "y".into(), 2).unwrap();
        assert_eq!(map.get(&mut c, &"x".into()).unwrap(), Some(1));
        assert!(map.contains(&mut c, &"y".into()).unwrap());
        assert_eq!(map.remove(&mut c, &"x".into()).unwrap(), Some(1));
        let mut e = map.entries(&mut c).unwrap();
        e.sort();
        assert_eq!(e, vec![("y".to_string(), 2)]);
        c.set_key("other");
        assert!(map.entries(&mut c).unwrap().is_empty());
    }
}
