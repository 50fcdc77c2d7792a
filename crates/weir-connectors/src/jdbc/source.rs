//! [`JdbcSource`]: a bounded read of a PostgreSQL table (Flink's JDBC scan source), split
//! into ranges of a numeric column read in parallel.
//!
//! With `scan.partition.column`, `…num`, `…lower-bound` and `…upper-bound`, the range
//! `[lower, upper]` is cut into `num` contiguous ranges as Flink cuts it (the first ones one
//! value wider when it does not divide evenly), and each split reads
//! `WHERE column BETWEEN start AND end`; rows outside the bounds are not read, as in Flink.
//! Without them the table is one split.
//!
//! A split is read through a server-side cursor, `scan.fetch-size` rows per round trip.
//! Its rows are ordered by every column, so that the position a checkpoint records — rows
//! already emitted — names the same rows again when the split is read anew after a
//! restore (`OFFSET`; equal rows are interchangeable).

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use weir_core::StreamRecord;
use weir_runtime::{Boundedness, BoxError, ReadStatus, ReaderOutput, Source, SourceReader, SubtaskInfo};

use super::connection::{describe, quote_identifier, quote_name, JdbcConnectionOptions};
use super::table::JdbcTable;
use super::value::{JdbcRow, JdbcType};
use crate::enumerator::StaticSplitEnumerator;
use crate::error::ConnectorError;

/// How a [`JdbcSource`] splits and fetches (Flink's `scan.*` options).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JdbcScanOptions {
    /// `scan.partition.*`: read `[lower, upper]` of this column in this many ranges.
    pub partition: Option<JdbcPartition>,
    /// `scan.fetch-size`: rows per round trip (Flink's 0, the driver's default, is 1000 here).
    pub fetch_size: usize,
    /// Connection attempts after the first.
    pub max_retries: u32,
}

impl Default for JdbcScanOptions {
    fn default() -> Self {
        JdbcScanOptions { partition: None, fetch_size: 1000, max_retries: 3 }
    }
}

/// `scan.partition.column` / `.num` / `.lower-bound` / `.upper-bound`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JdbcPartition {
    /// A numeric (or date/timestamp) column of the table.
    pub column: String,
    /// Number of ranges.
    pub num: usize,
    /// Smallest value read.
    pub lower: i64,
    /// Largest value read.
    pub upper: i64,
}

impl JdbcPartition {
    /// The inclusive ranges, as Flink's `JdbcNumericBetweenParametersProvider` cuts them.
    ///
    /// ```
    /// use weir_connectors::jdbc::JdbcPartition;
    /// let p = JdbcPartition { column: "id".into(), num: 3, lower: 1, upper: 10 };
    /// assert_eq!(p.ranges(), [(1, 4), (5, 7), (8, 10)]);
    /// ```
    pub fn ranges(&self) -> Vec<(i64, i64)> {
        let count = (i128::from(self.upper) - i128::from(self.lower) + 1).max(0);
        let num = (self.num.max(1) as i128).min(count.max(1));
        let size = (count + num - 1) / num;
        let big = count - (size - 1) * num;
        let mut start = i128::from(self.lower);
        let mut ranges = Vec::new();
        for i in 0..num {
            let end = start + size - 1 - i128::from(i >= big);
            ranges.push((start as i64, end as i64));
            start = end + 1;
        }
        ranges
    }
}

/// A bounded source of a table's rows ([`JdbcRow`]s in the table's column order).
#[derive(Debug, Clone)]
pub struct JdbcSource {
    connection: JdbcConnectionOptions,
    table: JdbcTable,
    options: JdbcScanOptions,
}

impl JdbcSource {
    /// A scan of `table`.
    ///
    /// # Errors
    /// A partition column that is not a column of the table, or bounds that are crossed.
    pub fn new(
        connection: JdbcConnectionOptions,
        table: JdbcTable,
        options: JdbcScanOptions,
    ) -> Result<Self, ConnectorError> {
        if let Some(p) = &options.partition {
            if table.column_index(&p.column).is_none() {
                return Err(ConnectorError::Config(format!(
                    "scan.partition.column '{}' is not a column of table '{}'",
                    p.column,
                    table.name()
                )));
            }
            if p.lower > p.upper || p.num == 0 {
                return Err(ConnectorError::Config(format!(
                    "table '{}': scan.partition.lower-bound ({}) must not exceed scan.partition.upper-bound ({}), \
                     and scan.partition.num ({}) must be positive",
                    table.name(),
                    p.lower,
                    p.upper,
                    p.num
                )));
            }
        }
        Ok(JdbcSource { connection, table, options })
    }

    fn query(&self, split: &JdbcSplit) -> String {
        let mut sql = format!("SELECT {} FROM {}", self.table.select_list(), quote_name(self.table.name()));
        if let (Some(p), Some((start, end))) = (&self.options.partition, split.range) {
            sql.push_str(&format!(" WHERE {} BETWEEN {start} AND {end}", quote_identifier(&p.column)));
        }
        let all: Vec<String> = (1..=self.table.columns().len()).map(|i| i.to_string()).collect();
        sql.push_str(&format!(" ORDER BY {} OFFSET {}", all.join(", "), split.offset));
        sql
    }
}

/// A range of the table and how many of its rows were emitted already.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JdbcSplit {
    /// 0-based split number.
    pub index: usize,
    /// The partition column's inclusive range; `None`: the whole table.
    pub range: Option<(i64, i64)>,
    /// Rows of the split already emitted.
    pub offset: u64,
}

impl Source for JdbcSource {
    type Out = JdbcRow;
    type Split = JdbcSplit;
    type Reader = JdbcReader;
    type Enumerator = StaticSplitEnumerator<JdbcSplit>;

    fn boundedness(&self) -> Boundedness {
        Boundedness::Bounded
    }

    fn create_enumerator(&self, parallelism: usize) -> Result<Self::Enumerator, BoxError> {
        let ranges: Vec<Option<(i64, i64)>> = match &self.options.partition {
            Some(p) => p.ranges().into_iter().map(Some).collect(),
            None => vec![None],
        };
        let splits = ranges.into_iter().enumerate().map(|(index, range)| JdbcSplit { index, range, offset: 0 });
        Ok(StaticSplitEnumerator::new(splits, parallelism))
    }

    fn restore_enumerator(&self, parallelism: usize, state: &[u8]) -> Result<Self::Enumerator, BoxError> {
        StaticSplitEnumerator::restore(state, parallelism)
    }

    fn create_reader(&self, _subtask: &SubtaskInfo) -> Result<Self::Reader, BoxError> {
        let client = self.connection.connect(self.options.max_retries).map_err(|e| match e {
            ConnectorError::Database { context, message } => ConnectorError::Database {
                context: format!("JDBC scan of table '{}': {context}", self.table.name()),
                message,
            },
            other => other,
        })?;
        Ok(JdbcReader { source: self.clone(), client, pending: VecDeque::new(), open: false })
    }
}

/// Reads the splits assigned to one subtask, one at a time.
pub struct JdbcReader {
    source: JdbcSource,
    client: postgres::Client,
    /// Splits to read; the front one is being read (its cursor is open when `open`).
    pending: VecDeque<JdbcSplit>,
    open: bool,
}

impl JdbcReader {
    fn error(&self, split: &JdbcSplit, e: postgres::Error) -> ConnectorError {
        let range = match split.range {
            Some((a, b)) => format!(" (range {a}..={b})"),
            None => String::new(),
        };
        ConnectorError::Database {
            context: format!("JDBC scan of table '{}', split {}{range}", self.source.table.name(), split.index),
            message: describe(&e),
        }
    }
}

impl SourceReader for JdbcReader {
    type Out = JdbcRow;
    type Split = JdbcSplit;

    fn add_split(&mut self, split: JdbcSplit) -> Result<(), BoxError> {
        self.pending.push_back(split);
        Ok(())
    }

    fn snapshot_state(&mut self) -> Result<Vec<JdbcSplit>, BoxError> {
        Ok(self.pending.iter().cloned().collect())
    }

    fn poll_next(&mut self, out: &mut ReaderOutput<JdbcRow>, max: usize) -> Result<ReadStatus, BoxError> {
        let Some(split) = self.pending.front().cloned() else { return Ok(ReadStatus::NeedsSplit) };
        if !self.open {
            let declare =
                format!("BEGIN READ ONLY; DECLARE weir_scan NO SCROLL CURSOR FOR {}", self.source.query(&split));
            self.client.batch_execute(&declare).map_err(|e| self.error(&split, e))?;
            self.open = true;
        }
        let n = self.source.options.fetch_size.max(1).min(max.max(1));
        let rows = self.client.query(&format!("FETCH {n} FROM weir_scan"), &[]).map_err(|e| self.error(&split, e))?;
        let types: Vec<JdbcType> = self.source.table.columns().iter().map(|(_, t)| *t).collect();
        out.start_split(split.index as u64);
        for row in &rows {
            let values = types
                .iter()
                .enumerate()
                .map(|(i, t)| t.read(row, i))
                .collect::<Result<JdbcRow, _>>()
                .map_err(|e| self.error(&split, e))?;
            out.push(StreamRecord::new(values));
        }
        let front = self.pending.front_mut().expect("the split read is still pending");
        front.offset += rows.len() as u64;
        if rows.len() < n {
            self.client.batch_execute("CLOSE weir_scan; COMMIT").map_err(|e| self.error(&split, e))?;
            self.open = false;
            self.pending.pop_front();
            out.finish_split(split.index as u64);
        }
        Ok(ReadStatus::MoreAvailable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// lower, upper, num, the ranges.
    type RangeCase = (i64, i64, usize, &'static [(i64, i64)]);

    #[test]
    fn ranges_cut_as_flink_cuts_them() {
        let cases: &[RangeCase] = &[
            (1, 10, 3, &[(1, 4), (5, 7), (8, 10)]),
            (0, 9, 5, &[(0, 1), (2, 3), (4, 5), (6, 7), (8, 9)]),
            (5, 6, 4, &[(5, 5), (6, 6)]),
            (-3, 3, 1, &[(-3, 3)]),
        ];
        for &(lower, upper, num, expected) in cases {
            let p = JdbcPartition { column: "c".into(), num, lower, upper };
            assert_eq!(p.ranges(), expected, "[{lower}, {upper}] in {num}");
        }
    }
}
