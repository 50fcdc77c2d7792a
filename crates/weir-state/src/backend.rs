//! The heap keyed-state backend: every declared state of one keyed subtask.

use std::any::{type_name, Any};

use weir_core::KeyGroupRange;

use crate::{StateError, StateTable};

/// Which of Flink's keyed state kinds a declared state is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateKind {
    /// One value per key.
    Value,
    /// A list per key.
    List,
    /// A map per key.
    Map,
}

/// The id of a declared state within one backend (its index).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StateId(pub(crate) usize);

struct Registered {
    name: String,
    kind: StateKind,
    type_name: &'static str,
    table: Box<dyn Any + Send>,
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

impl<K: std::hash::Hash + Eq + Clone + Send + 'static> HeapKeyedStateBackend<K> {
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
    pub fn register<S: Send + 'static>(&mut self, name: &str, kind: StateKind) -> Result<StateId, StateError> {
        let requested = type_name::<S>();
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
        self.states.push(Registered {
            name: name.to_string(),
            kind,
            type_name: requested,
            table: Box::new(StateTable::<K, S>::new(self.range)),
        });
        Ok(StateId(self.states.len() - 1))
    }

    /// The table of a declared state.
    ///
    /// # Panics
    /// If `id` was not returned by [`Self::register`] with the same `S` — handles are
    /// typed, so this is a Weir bug, never a user error.
    #[inline]
    pub fn table<S: 'static>(&self, id: StateId) -> &StateTable<K, S> {
        self.states[id.0].table.downcast_ref().expect("state handle used with the type it was registered with")
    }

    /// The table of a declared state, for update. Panics as [`Self::table`].
    #[inline]
    pub fn table_mut<S: 'static>(&mut self, id: StateId) -> &mut StateTable<K, S> {
        self.states[id.0].table.downcast_mut().expect("state handle used with the type it was registered with")
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

    /// Names and kinds of the declared states, in declaration order.
    pub fn declared(&self) -> impl Iterator<Item = (&str, StateKind)> {
        self.states.iter().map(|s| (s.name.as_str(), s.kind))
    }
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
