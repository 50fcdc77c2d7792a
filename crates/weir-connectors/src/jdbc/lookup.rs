//! Lookups by key in a PostgreSQL table, for lookup joins: [`JdbcLookup`] queries the rows
//! of many keys in one statement (`WHERE (k) IN (($1), ($2), …)`), and [`LookupCache`]
//! keeps answers for a while (Flink's `lookup.cache` = `PARTIAL`).
//!
//! The cache is pure bookkeeping over times the caller gives (the job's clock), so its
//! expiry is tested without sleeping.

use std::collections::HashMap;
use std::time::Duration;

use super::connection::{connection_lost, describe, retriable, JdbcConnectionOptions};
use super::table::JdbcTable;
use super::value::{show_row, JdbcRow, JdbcType};
use crate::error::ConnectorError;

/// Keys in one lookup statement at most.
const MAX_KEYS_PER_QUERY: usize = 500;

/// Queries a table's rows by the values of some of its columns.
pub struct JdbcLookup {
    connection: JdbcConnectionOptions,
    client: postgres::Client,
    table: JdbcTable,
    /// Indexes of the columns looked up by.
    columns: Vec<usize>,
    max_retries: u32,
    /// Prepared statements by number of keys.
    statements: HashMap<usize, postgres::Statement>,
}

impl JdbcLookup {
    /// A lookup of `table`'s rows by the columns named `columns`; `max_retries` is Flink's
    /// `lookup.max-retries`.
    ///
    /// # Errors
    /// A column the table does not have; a database that cannot be reached.
    pub fn new(
        connection: JdbcConnectionOptions,
        table: JdbcTable,
        columns: &[&str],
        max_retries: u32,
    ) -> Result<Self, ConnectorError> {
        let columns = columns
            .iter()
            .map(|c| {
                table.column_index(c).ok_or_else(|| {
                    ConnectorError::Config(format!("lookup column '{c}' is not a column of table '{}'", table.name()))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let client = connection.connect(max_retries).map_err(|e| match e {
            ConnectorError::Database { context, message } => ConnectorError::Database {
                context: format!("JDBC lookup in table '{}': {context}", table.name()),
                message,
            },
            other => other,
        })?;
        Ok(JdbcLookup { connection, client, table, columns, max_retries, statements: HashMap::new() })
    }

    /// The table.
    pub fn table(&self) -> &JdbcTable {
        &self.table
    }

    /// The rows (all columns, in table order) whose lookup columns equal one of `keys`
    /// (each a value per lookup column); a key with a NULL matches nothing.
    ///
    /// # Errors
    /// [`ConnectorError::Database`] naming the table, when the query fails after
    /// `max_retries` retries or the server refuses it.
    pub fn lookup(&mut self, keys: &[JdbcRow]) -> Result<Vec<JdbcRow>, ConnectorError> {
        let mut rows = Vec::new();
        for group in keys.chunks(MAX_KEYS_PER_QUERY) {
            let mut attempt = 0;
            loop {
                match self.query(group, &mut rows) {
                    Ok(()) => break,
                    Err(e) if retriable(&e) && attempt < self.max_retries => {
                        attempt += 1;
                        std::thread::sleep(Duration::from_secs(u64::from(attempt)));
                        if self.client.is_closed() || connection_lost(&e) {
                            self.statements.clear();
                            self.client = self.connection.connect(0)?;
                        }
                    }
                    Err(e) => {
                        return Err(ConnectorError::Database {
                            context: format!(
                                "JDBC lookup in table '{}' of {} keys (the first {})",
                                self.table.name(),
                                group.len(),
                                show_row(&group[0])
                            ),
                            message: describe(&e),
                        })
                    }
                }
            }
        }
        Ok(rows)
    }

    fn query(&mut self, keys: &[JdbcRow], rows: &mut Vec<JdbcRow>) -> Result<(), postgres::Error> {
        if !self.statements.contains_key(&keys.len()) {
            let statement = self.client.prepare(&self.table.lookup_sql(&self.columns, keys.len()))?;
            self.statements.insert(keys.len(), statement);
        }
        let params: Vec<&(dyn postgres::types::ToSql + Sync)> =
            keys.iter().flat_map(|k| k.iter().map(|v| v as _)).collect();
        let types: Vec<JdbcType> = self.table.columns().iter().map(|(_, t)| *t).collect();
        for row in self.client.query(&self.statements[&keys.len()], &params)? {
            rows.push(types.iter().enumerate().map(|(i, t)| t.read(&row, i)).collect::<Result<_, _>>()?);
        }
        Ok(())
    }
}

/// Flink's `lookup.partial-cache.*` options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupCacheOptions {
    /// `max-rows`: keys kept at most; the least recently used go first.
    pub max_rows: usize,
    /// `expire-after-write`: an answer is dropped this long after it was fetched.
    pub expire_after_write: Option<Duration>,
    /// `expire-after-access`: an answer is dropped this long after it was last used.
    pub expire_after_access: Option<Duration>,
    /// `cache-missing-key`: remember that a key has no rows (default true).
    pub cache_missing_key: bool,
}

/// Whether `entry` has expired at `now_ms`.
fn expired(options: &LookupCacheOptions, entry: &Entry, now_ms: i64) -> bool {
    let past = |since: i64, ttl: Option<Duration>| ttl.is_some_and(|t| now_ms - since >= t.as_millis() as i64);
    past(entry.written_ms, options.expire_after_write) || past(entry.accessed_ms, options.expire_after_access)
}

struct Entry {
    rows: Vec<JdbcRow>,
    written_ms: i64,
    accessed_ms: i64,
}

/// Answers of lookups by encoded key, with expiry and a size bound.
///
/// ```
/// use std::time::Duration;
/// use weir_connectors::jdbc::{JdbcValue, LookupCache, LookupCacheOptions};
/// let mut cache = LookupCache::new(LookupCacheOptions {
///     max_rows: 10,
///     expire_after_write: Some(Duration::from_secs(1)),
///     expire_after_access: None,
///     cache_missing_key: true,
/// });
/// cache.put(b"k".to_vec(), vec![vec![JdbcValue::Int(1)]], 0);
/// assert_eq!(cache.get(b"k", 999).map(|rows| rows.len()), Some(1));
/// assert!(cache.get(b"k", 1000).is_none(), "expired a second after it was written");
/// ```
pub struct LookupCache {
    options: LookupCacheOptions,
    entries: HashMap<Vec<u8>, Entry>,
}

impl LookupCache {
    /// An empty cache.
    pub fn new(options: LookupCacheOptions) -> Self {
        LookupCache { options, entries: HashMap::new() }
    }

    /// Keys cached.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The rows cached for `key` at time `now_ms` (an empty slice: cached as missing);
    /// `None` when not cached or expired.
    pub fn get(&mut self, key: &[u8], now_ms: i64) -> Option<&[JdbcRow]> {
        if expired(&self.options, self.entries.get(key)?, now_ms) {
            self.entries.remove(key);
            return None;
        }
        let entry = self.entries.get_mut(key).expect("found above");
        entry.accessed_ms = now_ms;
        Some(&entry.rows)
    }

    /// Caches `rows` (possibly none) for `key`, fetched at `now_ms`.
    pub fn put(&mut self, key: Vec<u8>, rows: Vec<JdbcRow>, now_ms: i64) {
        if (rows.is_empty() && !self.options.cache_missing_key) || self.options.max_rows == 0 {
            return;
        }
        if self.entries.len() >= self.options.max_rows && !self.entries.contains_key(&key) {
            self.evict(now_ms);
        }
        self.entries.insert(key, Entry { rows, written_ms: now_ms, accessed_ms: now_ms });
    }

    /// Drops the expired entries; when none was, the least recently used eighth (at
    /// least one), so that eviction costs a scan per many inserts, not per insert.
    fn evict(&mut self, now_ms: i64) {
        let before = self.entries.len();
        let options = &self.options;
        self.entries.retain(|_, e| !expired(options, e, now_ms));
        if self.entries.len() < before {
            return;
        }
        let mut ages: Vec<i64> = self.entries.values().map(|e| e.accessed_ms).collect();
        let drop = (ages.len() / 8).max(1);
        let (_, cut, _) = ages.select_nth_unstable(drop - 1);
        let cut = *cut;
        let mut dropped = 0;
        self.entries.retain(|_, e| {
            if dropped < drop && e.accessed_ms <= cut {
                dropped += 1;
                false
            } else {
                true
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jdbc::JdbcValue;

    fn cache(max_rows: usize, write: Option<u64>, access: Option<u64>, missing: bool) -> LookupCache {
        LookupCache::new(LookupCacheOptions {
            max_rows,
            expire_after_write: write.map(Duration::from_millis),
            expire_after_access: access.map(Duration::from_millis),
            cache_missing_key: missing,
        })
    }

    fn rows(v: i32) -> Vec<JdbcRow> {
        vec![vec![JdbcValue::Int(v)]]
    }

    #[test]
    fn expiry_after_write_and_after_access() {
        let mut c = cache(10, Some(100), None, true);
        c.put(b"a".to_vec(), rows(1), 0);
        assert!(c.get(b"a", 50).is_some());
        assert!(c.get(b"a", 99).is_some(), "reading does not extend a write expiry");
        assert!(c.get(b"a", 100).is_none());
        assert!(c.is_empty(), "an expired entry is dropped");

        let mut c = cache(10, None, Some(100), true);
        c.put(b"a".to_vec(), rows(1), 0);
        assert!(c.get(b"a", 90).is_some());
        assert!(c.get(b"a", 180).is_some(), "each read extends an access expiry");
        assert!(c.get(b"a", 280).is_none());
    }

    #[test]
    fn missing_keys_are_cached_only_when_asked() {
        let mut c = cache(10, None, None, true);
        c.put(b"none".to_vec(), Vec::new(), 0);
        assert_eq!(c.get(b"none", 1).map(<[_]>::len), Some(0));
        let mut c = cache(10, None, None, false);
        c.put(b"none".to_vec(), Vec::new(), 0);
        assert!(c.get(b"none", 1).is_none());
    }

    #[test]
    fn size_bound_evicts_the_least_recently_used() {
        let mut c = cache(3, None, None, true);
        for (i, k) in [b"a", b"b", b"c"].iter().enumerate() {
            c.put(k.to_vec(), rows(i as i32), i as i64);
        }
        assert!(c.get(b"a", 10).is_some(), "a is now the most recently used");
        c.put(b"d".to_vec(), rows(4), 11);
        assert_eq!(c.len(), 3);
        assert!(c.get(b"b", 12).is_none(), "b was the least recently used");
        assert!(c.get(b"a", 12).is_some() && c.get(b"c", 12).is_some() && c.get(b"d", 12).is_some());
    }
}
