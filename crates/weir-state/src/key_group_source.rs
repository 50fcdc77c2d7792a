//! [`KeyGroupSource`]: a keyed-state snapshot read back one key group at a time, so that a
//! restore holds no more than one key group of it in memory
//! ([`KeyedStateBackend::restore_key_groups`](crate::KeyedStateBackend::restore_key_groups)).
//!
//! A snapshot's bytes are its [`SnapshotHeader`] (format version, declared states), the
//! number of key groups as a `u64`, then each key group's [`KeyGroupSnapshot`] in
//! ascending order — bincode 1 of a [`KeyedStateSnapshot`](crate::KeyedStateSnapshot).
//! Whoever stores them decides where the pieces lie (one buffer, a range of a larger
//! file, a file per key group); [`SnapshotReader`] reads them from any [`SkipRead`],
//! skipping the key groups a restoring subtask does not own without reading them.
//!
//! A key group may come with the place it already lies in checkpoint storage
//! ([`StoredKeyGroup`]): a backend that restores it unchanged may name that file in its
//! next checkpoint instead of writing the key group again.

use std::io::{self, Read};

use weir_core::KeyGroupRange;

use crate::{KeyGroupSnapshot, StateError, StateMeta};

/// What precedes a snapshot's key groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotHeader {
    /// The snapshot's format version ([`crate::SNAPSHOT_FORMAT_VERSION`] when written).
    pub format_version: u32,
    /// The declared states, in the order of each key group's tables.
    pub states: Vec<StateMeta>,
}

impl SnapshotHeader {
    /// Reads a header from the start of a snapshot's bytes (what
    /// [`KeyGroupCut::header`](crate::KeyGroupCut::header) gives).
    ///
    /// # Errors
    /// [`StateError::Restore`] for bytes that are not a header.
    pub fn read_from(reader: &mut impl Read) -> Result<Self, StateError> {
        let bad = |e: bincode::Error| StateError::Restore(format!("not a keyed state snapshot: {e}"));
        let format_version = bincode::deserialize_from(&mut *reader).map_err(bad)?;
        let states = bincode::deserialize_from(&mut *reader).map_err(bad)?;
        Ok(SnapshotHeader { format_version, states })
    }
}

/// Where a key group's bytes (its [`KeyGroupSnapshot`]'s bincode) already lie in
/// checkpoint storage, in a file that a later checkpoint may list again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKeyGroup {
    /// The file, relative to the storage's root (`shared/…`).
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
}

/// One key group read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoredKeyGroup {
    /// Its entries.
    pub snapshot: KeyGroupSnapshot,
    /// The file it was read from, when a later checkpoint may list that file again.
    pub origin: Option<StoredKeyGroup>,
}

/// A snapshot of one old subtask's keyed state, read one key group at a time.
///
/// # Contract
/// [`Self::next_key_group`] gives the key groups of the snapshot that lie in the range
/// the source was opened for, each once, in ascending order, then `None`.
///
/// # Errors
/// [`StateError::Restore`] for bytes that are not a snapshot; [`StateError::Store`] when
/// the storage they lie in fails (a retry may help).
pub trait KeyGroupSource {
    /// The snapshot's header.
    fn header(&self) -> &SnapshotHeader;

    /// The next key group, or `None` after the last.
    ///
    /// # Errors
    /// See the trait.
    fn next_key_group(&mut self) -> Result<Option<RestoredKeyGroup>, StateError>;
}

/// A reader that can also pass over bytes without reading them (a file or object read
/// by ranges seeks instead).
pub trait SkipRead: Read {
    /// Passes over the next `n` bytes.
    ///
    /// # Errors
    /// When fewer than `n` bytes are left, or reading fails.
    fn skip(&mut self, n: u64) -> io::Result<()>;
}

impl SkipRead for &[u8] {
    fn skip(&mut self, n: u64) -> io::Result<()> {
        let n = usize::try_from(n).ok().filter(|n| *n <= self.len()).ok_or(io::ErrorKind::UnexpectedEof)?;
        *self = &self[n..];
        Ok(())
    }
}

/// The key groups in `range` of a snapshot read from its bytes in order.
///
/// # Example
/// ```
/// use weir_core::KeyGroupRange;
/// use weir_state::{HeapKeyedStateBackend, KeyGroupSource, KeyedStateBackend, SnapshotReader, StateKind};
/// let mut heap = HeapKeyedStateBackend::<u64>::new(KeyGroupRange::for_operator(4, 1, 0));
/// let n = heap.register::<u64>("n", StateKind::Value).unwrap();
/// for (kg, key) in [(0, 10), (2, 12), (3, 13)] {
///     KeyedStateBackend::put(&mut heap, n, kg, &key, key * 2).unwrap();
/// }
/// let bytes = KeyedStateBackend::snapshot(&heap).unwrap().to_bytes().unwrap();
/// // Subtask 1 of 2 owns key groups 2 and 3: key group 0 is passed over.
/// let mut reader = SnapshotReader::new(&bytes[..], KeyGroupRange { start: 2, end: 3 }).unwrap();
/// assert_eq!(reader.header().states.len(), 1);
/// let first = reader.next_key_group().unwrap().unwrap();
/// assert_eq!(first.snapshot.key_group, 2);
/// assert_eq!(reader.next_key_group().unwrap().unwrap().snapshot.key_group, 3);
/// assert!(reader.next_key_group().unwrap().is_none());
/// ```
pub struct SnapshotReader<R> {
    reader: R,
    header: SnapshotHeader,
    /// Key groups not read yet.
    remaining: u64,
    range: KeyGroupRange,
}

fn read_u64(reader: &mut impl Read) -> Result<u64, StateError> {
    let mut bytes = [0; 8];
    reader.read_exact(&mut bytes).map_err(truncated)?;
    Ok(u64::from_le_bytes(bytes))
}

fn truncated(e: io::Error) -> StateError {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        StateError::Restore("keyed state snapshot ends early".into())
    } else {
        StateError::Store(format!("reading keyed state: {e}"))
    }
}

impl<R: SkipRead> SnapshotReader<R> {
    /// Reads the header of the snapshot `reader` is at, to give its key groups in `range`.
    ///
    /// # Errors
    /// As [`KeyGroupSource`].
    pub fn new(mut reader: R, range: KeyGroupRange) -> Result<Self, StateError> {
        let header = SnapshotHeader::read_from(&mut reader)?;
        let remaining = read_u64(&mut reader)?;
        Ok(SnapshotReader { reader, header, remaining, range })
    }
}

impl<R: SkipRead> KeyGroupSource for SnapshotReader<R> {
    fn header(&self) -> &SnapshotHeader {
        &self.header
    }

    fn next_key_group(&mut self) -> Result<Option<RestoredKeyGroup>, StateError> {
        while self.remaining > 0 {
            self.remaining -= 1;
            let key_group = read_u64(&mut self.reader)? as usize;
            if key_group > self.range.end {
                // Ascending: nothing later is ours.
                self.remaining = 0;
                break;
            }
            let tables = read_u64(&mut self.reader)?;
            if !self.range.contains(key_group) {
                for _ in 0..tables {
                    let len = read_u64(&mut self.reader)?;
                    self.reader.skip(len).map_err(truncated)?;
                }
                continue;
            }
            if tables != self.header.states.len() as u64 {
                return Err(StateError::Restore(format!(
                    "key group {key_group} has {tables} tables for {} declared states",
                    self.header.states.len()
                )));
            }
            let mut out = Vec::with_capacity(tables as usize);
            for _ in 0..tables {
                let len = read_u64(&mut self.reader)?;
                let mut table = Vec::new();
                // Grows as bytes arrive: a damaged length cannot allocate more than is there.
                (&mut self.reader).take(len).read_to_end(&mut table).map_err(truncated)?;
                if table.len() as u64 != len {
                    return Err(StateError::Restore("keyed state snapshot ends early".into()));
                }
                out.push(table);
            }
            return Ok(Some(RestoredKeyGroup { snapshot: KeyGroupSnapshot { key_group, tables: out }, origin: None }));
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{KeyedStateSnapshot, StateKind, SNAPSHOT_FORMAT_VERSION};

    fn snapshot() -> KeyedStateSnapshot {
        let meta = |name: &str| StateMeta { name: name.into(), kind: StateKind::Value, value_type: "u64".into() };
        KeyedStateSnapshot {
            format_version: SNAPSHOT_FORMAT_VERSION,
            states: vec![meta("a"), meta("b")],
            key_groups: (0..10)
                .filter(|kg| kg % 3 != 1)
                .map(|kg| KeyGroupSnapshot { key_group: kg, tables: vec![vec![kg as u8; kg], vec![7; 3]] })
                .collect(),
        }
    }

    fn all(mut source: impl KeyGroupSource) -> Result<Vec<KeyGroupSnapshot>, StateError> {
        let mut out = Vec::new();
        while let Some(kg) = source.next_key_group()? {
            out.push(kg.snapshot);
        }
        Ok(out)
    }

    #[test]
    fn the_heap_restores_key_group_by_key_group_as_from_the_whole_snapshot() {
        use crate::{HeapKeyedStateBackend, KeyedStateBackend};
        let declare = |b: &mut HeapKeyedStateBackend<String>| {
            (b.register::<u64>("n", StateKind::Value).unwrap(), b.register_map::<u32, i64>("m").unwrap())
        };
        let mut old = HeapKeyedStateBackend::<String>::new(KeyGroupRange { start: 0, end: 15 });
        let (n, m) = declare(&mut old);
        for i in 0..100u64 {
            let k = format!("k{i}");
            let kg = weir_core::key_group::assign_to_key_group(&k, 16);
            old.put(n, kg, &k, i).unwrap();
            old.put_entry(m, kg, &k, i as u32, -(i as i64)).unwrap();
        }
        let whole = KeyedStateBackend::snapshot(&old).unwrap();
        let bytes = whole.to_bytes().unwrap();
        for range in [KeyGroupRange { start: 0, end: 15 }, KeyGroupRange { start: 5, end: 9 }] {
            let (mut streamed, mut expected) =
                (HeapKeyedStateBackend::<String>::new(range), HeapKeyedStateBackend::<String>::new(range));
            declare(&mut streamed);
            declare(&mut expected);
            streamed.restore_key_groups(&mut SnapshotReader::new(&bytes[..], range).unwrap()).unwrap();
            KeyedStateBackend::restore(&mut expected, std::slice::from_ref(&whole)).unwrap();
            assert_eq!(
                KeyedStateBackend::snapshot(&streamed).unwrap(),
                KeyedStateBackend::snapshot(&expected).unwrap()
            );
        }
        // Declarations are checked even with no key group to restore.
        let mut undeclared = HeapKeyedStateBackend::<String>::new(KeyGroupRange { start: 16, end: 20 });
        let e =
            undeclared.restore_key_groups(&mut SnapshotReader::new(&bytes[..], undeclared.key_group_range()).unwrap());
        assert!(e.unwrap_err().to_string().contains("not declared"));
    }

    #[test]
    fn every_range_gets_exactly_its_key_groups() {
        let snapshot = snapshot();
        let bytes = snapshot.to_bytes().unwrap();
        for (start, end) in [(0, 9), (0, 0), (1, 1), (2, 5), (6, 9), (9, 20), (10, 20)] {
            let range = KeyGroupRange { start, end };
            let reader = SnapshotReader::new(&bytes[..], range).unwrap();
            assert_eq!(reader.header().states, snapshot.states);
            let want: Vec<_> = snapshot.key_groups.iter().filter(|kg| range.contains(kg.key_group)).cloned().collect();
            assert_eq!(all(reader).unwrap(), want, "{start}..={end}");
        }
    }

    #[test]
    fn damaged_bytes_are_refused() {
        let bytes = snapshot().to_bytes().unwrap();
        let all_of = KeyGroupRange { start: 0, end: 9 };
        for cut in [3, 20, bytes.len() / 2, bytes.len() - 1] {
            let e = SnapshotReader::new(&bytes[..cut], all_of).and_then(all).unwrap_err();
            assert!(matches!(e, StateError::Restore(_)), "cut at {cut}: {e}");
        }
        // A table length far beyond the bytes: refused without allocating it.
        let mut huge = bytes.clone();
        let header = KeyedStateSnapshot { key_groups: vec![], ..snapshot() }.to_bytes().unwrap().len() - 8;
        // After the header: the count, the first key group's number and table count.
        let at = header + 8 + 16;
        huge[at..at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(SnapshotReader::new(&huge[..], all_of).and_then(all).is_err());
        assert!(SnapshotReader::new(&b"garbage"[..], all_of).is_err());
    }
}
