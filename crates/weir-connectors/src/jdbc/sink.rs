//! [`JdbcSink`]: writes rows to a PostgreSQL table, in batches — appended, or upserted and
//! deleted by primary key (Flink's JDBC sink).
//!
//! How a writer keeps the table exactly right across failures, without transactions that
//! outlive a checkpoint:
//! 1. changes are buffered; with a primary key, a later change of a key replaces the
//!    buffered one (`+I`/`+U` upsert the row, `-D` and `-U` delete it, as Flink's reduced
//!    buffer does: a `-U` whose `+U` follows is replaced by it, and a `-U` without one — a
//!    row that left a `HAVING` filter — removes the row), so a batch holds one statement
//!    per key;
//! 2. the buffer is written in one transaction when it holds `max_rows` rows, when
//!    `flush_interval` has passed since the last write (a thread of the writer watches),
//!    at every checkpoint barrier and at the end of input;
//! 3. after a failure the job restores the last complete checkpoint and replays the input
//!    after it: the replayed changes are the same upserts and deletes by key, and applying
//!    them again leaves each key as the failure-free run would (idempotence).
//!
//! Invariant: at every completed checkpoint, the table holds every change before the
//! barrier (step 2 flushes at the barrier before the checkpoint can complete).
//!
//! Without a primary key rows are appended (at-least-once across failures, as in Flink).

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use weir_core::StreamRecord;
use weir_runtime::{BoxError, Sink, SinkWriter, SubtaskInfo};

use super::connection::{connection_lost, describe, retriable, JdbcConnectionOptions};
use super::table::JdbcTable;
use super::value::{show_row, JdbcRow};
use crate::error::ConnectorError;

/// PostgreSQL takes at most 65,535 parameters in a statement.
const MAX_PARAMETERS: usize = 65_535;
/// Rows in one multi-row statement at most.
const MAX_ROWS_PER_STATEMENT: usize = 500;

/// What a change does to the table (Flink's `RowKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// `+I`: a new row.
    Insert,
    /// `-U`: the old value of an updated row (an upsert sink deletes it unless the `+U`
    /// that follows replaces it).
    UpdateBefore,
    /// `+U`: the new value of an updated row.
    UpdateAfter,
    /// `-D`: a removed row.
    Delete,
}

/// One change to write: its kind and the row, one value per column of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct JdbcChange {
    /// What the change does.
    pub kind: ChangeKind,
    /// The row's values, in the table's column order.
    pub row: JdbcRow,
}

impl JdbcChange {
    /// An insert (`+I`) of `row`.
    pub fn insert(row: JdbcRow) -> Self {
        JdbcChange { kind: ChangeKind::Insert, row }
    }

    /// A delete (`-D`) of `row` (only its key matters).
    pub fn delete(row: JdbcRow) -> Self {
        JdbcChange { kind: ChangeKind::Delete, row }
    }
}

/// How a [`JdbcSink`] batches and retries (Flink's `sink.*` options).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JdbcSinkOptions {
    /// `sink.buffer-flush.max-rows`: write when this many changes are buffered (default 100).
    pub max_rows: usize,
    /// `sink.buffer-flush.interval`: write when this long has passed since the last write
    /// (default 1 s; `None`: only by size, barrier and end).
    pub flush_interval: Option<Duration>,
    /// `sink.max-retries`: attempts after the first when the connection fails (default 3).
    pub max_retries: u32,
}

impl Default for JdbcSinkOptions {
    fn default() -> Self {
        JdbcSinkOptions { max_rows: 100, flush_interval: Some(Duration::from_secs(1)), max_retries: 3 }
    }
}

/// A sink into a PostgreSQL table: appends rows, or — when the [`JdbcTable`] has a primary
/// key — upserts and deletes by key (see the [module](self) for why that is exactly-once).
///
/// `to_changes` turns one record into the changes it stands for (usually one).
///
/// ```no_run
/// use weir_connectors::jdbc::{JdbcChange, JdbcConnectionOptions, JdbcSink, JdbcSinkOptions, JdbcTable, JdbcType, JdbcValue};
/// let table = JdbcTable::new("counts", [("word", JdbcType::Varchar), ("n", JdbcType::BigInt)])
///     .with_primary_key(["word"])
///     .unwrap();
/// let connection = JdbcConnectionOptions::new("jdbc:postgresql://127.0.0.1:5432/app").unwrap();
/// let sink = JdbcSink::new(connection, table, JdbcSinkOptions::default(), |(word, n): (String, i64), out: &mut Vec<JdbcChange>| {
///     out.push(JdbcChange::insert(vec![JdbcValue::Text(word), JdbcValue::BigInt(n)]));
///     Ok(())
/// });
/// # let _ = sink;
/// ```
pub struct JdbcSink<T, F> {
    connection: JdbcConnectionOptions,
    table: JdbcTable,
    options: JdbcSinkOptions,
    to_changes: F,
    _records: PhantomData<fn(T)>,
}

impl<T, F> JdbcSink<T, F>
where
    F: Fn(T, &mut Vec<JdbcChange>) -> Result<(), BoxError>,
{
    /// A sink writing to `table` over `connection`.
    pub fn new(connection: JdbcConnectionOptions, table: JdbcTable, options: JdbcSinkOptions, to_changes: F) -> Self {
        JdbcSink { connection, table, options, to_changes, _records: PhantomData }
    }
}

impl<T, F> Sink<T> for JdbcSink<T, F>
where
    T: Send + 'static,
    F: Fn(T, &mut Vec<JdbcChange>) -> Result<(), BoxError> + Clone + Send + Sync + 'static,
{
    type Writer = JdbcWriter<T, F>;

    fn create_writer(&self, _subtask: &SubtaskInfo) -> Result<Self::Writer, BoxError> {
        let client = self.connection.connect(self.options.max_retries).map_err(|e| match e {
            ConnectorError::Database { context, message } => ConnectorError::Database {
                context: format!("JDBC sink of table '{}': {context}", self.table.name()),
                message,
            },
            other => other,
        })?;
        let buffered = Arc::new(Mutex::new(Buffered {
            batch: Batch::default(),
            connection: self.connection.clone(),
            client,
            statements: HashMap::new(),
            table: self.table.clone(),
            options: self.options.clone(),
            last_flush: Instant::now(),
            error: None,
        }));
        if let Some(interval) = self.options.flush_interval {
            let weak = Arc::downgrade(&buffered);
            std::thread::Builder::new()
                .name(format!("jdbc flush {}", self.table.name()))
                .spawn(move || flush_every(weak, interval))
                .map_err(|e| {
                    format!("JDBC sink of table '{}': cannot start its flush thread: {e}", self.table.name())
                })?;
        }
        Ok(JdbcWriter { to_changes: self.to_changes.clone(), changes: Vec::new(), buffered, _records: PhantomData })
    }
}

/// The buffered changes of one writer.
#[derive(Debug, Default)]
struct Batch {
    /// Append mode: rows to insert, in order.
    appends: Vec<JdbcRow>,
    /// Upsert mode: per key, the last change (`true`: delete).
    keyed: Vec<(bool, JdbcRow)>,
    /// Encoded key → index in `keyed`.
    index: HashMap<Vec<u8>, usize>,
}

impl Batch {
    fn len(&self) -> usize {
        self.appends.len() + self.keyed.len()
    }

    fn clear(&mut self) {
        self.appends.clear();
        self.keyed.clear();
        self.index.clear();
    }
}

/// One subtask's writer of a [`JdbcSink`].
///
/// # Concurrency
/// The buffer and the connection are shared, under a lock taken once per batch of
/// records, with a thread that writes the buffer when `flush_interval` has passed without
/// a write (Flink's scheduled flush), so rows of an idle stream do not wait for the next
/// barrier. The thread ends when the writer is dropped; an error it meets is returned by
/// the writer's next call.
pub struct JdbcWriter<T, F> {
    to_changes: F,
    changes: Vec<JdbcChange>,
    buffered: Arc<Mutex<Buffered>>,
    _records: PhantomData<fn(T)>,
}

/// A writer's buffer and connection.
struct Buffered {
    batch: Batch,
    connection: JdbcConnectionOptions,
    client: postgres::Client,
    /// Prepared statements by (delete?, rows).
    statements: HashMap<(bool, usize), postgres::Statement>,
    table: JdbcTable,
    options: JdbcSinkOptions,
    last_flush: Instant,
    /// What the interval flush failed with, for the writer to report.
    error: Option<ConnectorError>,
}

/// Locks the buffer; a panic while it was held leaves a batch that is only written again
/// (idempotently, or at-least-once for appends), so a poisoned lock is still usable.
fn lock(buffered: &Mutex<Buffered>) -> MutexGuard<'_, Buffered> {
    buffered.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Writes the buffer each time `interval` has passed since the last write, until the
/// writer is gone.
fn flush_every(buffered: Weak<Mutex<Buffered>>, interval: Duration) {
    let tick = (interval / 4).clamp(Duration::from_millis(5), Duration::from_millis(200));
    loop {
        std::thread::sleep(tick);
        let Some(buffered) = buffered.upgrade() else { return };
        let mut b = lock(&buffered);
        if b.error.is_none() && b.batch.len() > 0 && b.last_flush.elapsed() >= interval {
            if let Err(e) = b.write_batch() {
                b.error = Some(e);
            }
        }
    }
}

impl Buffered {
    fn add(&mut self, change: JdbcChange) -> Result<(), ConnectorError> {
        let table = &self.table;
        if change.row.len() != table.columns().len() {
            return Err(ConnectorError::Config(format!(
                "JDBC sink of table '{}': a row has {} values but the table has {} columns: {}",
                table.name(),
                change.row.len(),
                table.columns().len(),
                show_row(&change.row)
            )));
        }
        if table.key().is_empty() {
            return match change.kind {
                ChangeKind::Insert | ChangeKind::UpdateAfter => {
                    self.batch.appends.push(change.row);
                    Ok(())
                }
                ChangeKind::UpdateBefore | ChangeKind::Delete => Err(ConnectorError::Config(format!(
                    "JDBC sink of table '{}' has no primary key, so it appends rows and cannot apply a {:?} of {}; \
                     declare PRIMARY KEY (…) NOT ENFORCED for an upsert sink",
                    table.name(),
                    change.kind,
                    show_row(&change.row)
                ))),
            };
        }
        let delete = match change.kind {
            ChangeKind::Insert | ChangeKind::UpdateAfter => false,
            ChangeKind::UpdateBefore | ChangeKind::Delete => true,
        };
        let mut key = Vec::new();
        for &i in table.key() {
            change.row[i].write_key(&mut key);
        }
        match self.batch.index.get(&key) {
            Some(&at) => self.batch.keyed[at] = (delete, change.row),
            None => {
                self.batch.index.insert(key, self.batch.keyed.len());
                self.batch.keyed.push((delete, change.row));
            }
        }
        Ok(())
    }

    /// Writes the buffer in one transaction, retrying when the connection failed.
    fn write_batch(&mut self) -> Result<(), ConnectorError> {
        if self.batch.len() == 0 {
            return Ok(());
        }
        let mut attempt = 0;
        loop {
            match self.try_write_batch() {
                Ok(()) => break,
                Err(e) if retriable(&e) && attempt < self.options.max_retries => {
                    attempt += 1;
                    std::thread::sleep(Duration::from_secs(u64::from(attempt)));
                    if self.client.is_closed() || connection_lost(&e) {
                        self.statements.clear();
                        self.client = self.connection.connect(0).map_err(|e| self.context_of(e))?;
                    }
                }
                Err(e) if retriable(&e) => {
                    return Err(ConnectorError::Database {
                        context: format!(
                            "JDBC sink of table '{}': writing {} rows failed after {} retries",
                            self.table.name(),
                            self.batch.len(),
                            self.options.max_retries
                        ),
                        message: describe(&e),
                    })
                }
                Err(e) => return Err(self.blame_a_row(e)),
            }
        }
        self.batch.clear();
        self.last_flush = Instant::now();
        Ok(())
    }

    fn context_of(&self, e: ConnectorError) -> ConnectorError {
        match e {
            ConnectorError::Database { context, message } => ConnectorError::Database {
                context: format!("JDBC sink of table '{}': {context}", self.table.name()),
                message,
            },
            other => other,
        }
    }

    fn try_write_batch(&mut self) -> Result<(), postgres::Error> {
        let width = self.table.columns().len();
        let key_width = self.table.key().len();
        let chunk = |w: usize| (MAX_PARAMETERS / w.max(1)).clamp(1, MAX_ROWS_PER_STATEMENT);
        let mut deletes: Vec<&JdbcRow> = Vec::new();
        let mut writes: Vec<&JdbcRow> = self.batch.appends.iter().collect();
        for (delete, row) in &self.batch.keyed {
            if *delete {
                deletes.push(row);
            } else {
                writes.push(row);
            }
        }
        let mut transaction = self.client.transaction()?;
        for group in deletes.chunks(chunk(key_width)) {
            let sql_key = (true, group.len());
            if !self.statements.contains_key(&sql_key) {
                let statement = transaction.prepare(&self.table.delete_sql(group.len()))?;
                self.statements.insert(sql_key, statement);
            }
            let params: Vec<&(dyn postgres::types::ToSql + Sync)> =
                group.iter().flat_map(|row| self.table.key().iter().map(|&i| &row[i] as _)).collect();
            transaction.execute(&self.statements[&sql_key], &params)?;
        }
        let upsert = !self.table.key().is_empty();
        for group in writes.chunks(chunk(width)) {
            let sql_key = (false, group.len());
            if !self.statements.contains_key(&sql_key) {
                let sql = if upsert { self.table.upsert_sql(group.len()) } else { self.table.insert_sql(group.len()) };
                self.statements.insert(sql_key, transaction.prepare(&sql)?);
            }
            let params: Vec<&(dyn postgres::types::ToSql + Sync)> =
                group.iter().flat_map(|row| row.iter().map(|v| v as _)).collect();
            transaction.execute(&self.statements[&sql_key], &params)?;
        }
        transaction.commit()
    }

    /// The error of a batch the database refused, naming the first row it refuses alone
    /// (each tried in a transaction rolled back), or the batch when no row alone fails.
    fn blame_a_row(&mut self, batch_error: postgres::Error) -> ConnectorError {
        let table = self.table.clone();
        let rows: Vec<(bool, JdbcRow)> =
            self.batch.appends.iter().map(|r| (false, r.clone())).chain(self.batch.keyed.iter().cloned()).collect();
        for (delete, row) in &rows {
            let result = (|| -> Result<(), postgres::Error> {
                let mut transaction = self.client.transaction()?;
                if *delete {
                    let key: Vec<&(dyn postgres::types::ToSql + Sync)> =
                        table.key().iter().map(|&i| &row[i] as _).collect();
                    transaction.execute(&table.delete_sql(1), &key)?;
                } else {
                    let sql = if table.key().is_empty() { table.insert_sql(1) } else { table.upsert_sql(1) };
                    let values: Vec<&(dyn postgres::types::ToSql + Sync)> = row.iter().map(|v| v as _).collect();
                    transaction.execute(&sql, &values)?;
                }
                transaction.rollback()
            })();
            if let Err(e) = result {
                let action = if *delete { "deleting" } else { "writing" };
                return ConnectorError::Database {
                    context: format!(
                        "JDBC sink of table '{}': {action} the row {} failed",
                        table.name(),
                        show_row(row)
                    ),
                    message: describe(&e),
                };
            }
        }
        ConnectorError::Database {
            context: format!("JDBC sink of table '{}': writing a batch of {} rows failed", table.name(), rows.len()),
            message: describe(&batch_error),
        }
    }
}

impl<T, F> SinkWriter<T> for JdbcWriter<T, F>
where
    T: Send + 'static,
    F: Fn(T, &mut Vec<JdbcChange>) -> Result<(), BoxError> + Send + 'static,
{
    fn write(&mut self, batch: &mut Vec<StreamRecord<T>>) -> Result<(), BoxError> {
        let mut buffered = lock(&self.buffered);
        if let Some(e) = buffered.error.take() {
            return Err(e.into());
        }
        for record in batch.drain(..) {
            (self.to_changes)(record.value, &mut self.changes)?;
            for change in self.changes.drain(..) {
                buffered.add(change)?;
                if buffered.batch.len() >= buffered.options.max_rows {
                    buffered.write_batch()?;
                }
            }
        }
        Ok(())
    }

    fn flush(&mut self, _end_of_input: bool) -> Result<(), BoxError> {
        let mut buffered = lock(&self.buffered);
        if let Some(e) = buffered.error.take() {
            return Err(e.into());
        }
        Ok(buffered.write_batch()?)
    }
}
