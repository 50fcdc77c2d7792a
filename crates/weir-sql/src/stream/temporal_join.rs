//! The event-time temporal join (Flink's `TemporalRowTimeJoinOperator`): each row of the
//! probe side (left) joins the version of the versioned table (right) that was valid at the
//! left row's rowtime — the right row of its key with the latest rowtime not after it.
//!
//! 1. Right rows are versions of their key, kept by rowtime; a delete ends the key's
//!    history from its time on (`-U` rows are followed by `+U` and are skipped).
//! 2. Left rows wait until the watermark reaches their rowtime, since versions up to that
//!    time may still arrive.
//! 3. When the watermark passes, the waiting left rows up to it are joined with the version
//!    valid at their time, if the condition holds (a left join pads the others with nulls).
//!    Versions older than the latest one at or before the watermark are no longer needed.
//!
//! The output is insert-only and keeps the left rows' rowtimes.
//!
//! Checkpoints hold the waiting left rows and every kept version, by key group.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BinaryArray, BooleanArray, Int64Array, RecordBatch};
use arrow::datatypes::SchemaRef;
use arrow::row::Row;
use datafusion_physical_expr::PhysicalExpr;
use weir_core::{StreamRecord, Watermark};
use weir_runtime::snapshot::{OperatorStateReader, OperatorStateWriter};
use weir_runtime::{BoxError, Emitter, Operator, SubtaskInfo};

use super::batch::Changes;
use super::join::{condition_mask, pair_batch, JoinInput, JoinKey, JoinKind, JoinedRows, RowCodec, Side};
use super::keyed_state::{self, PendingRestore};
use super::watermark::millis;
use crate::changelog::RowKind;
use crate::stream::KeyMap;

/// The state entry of the waiting left rows.
const WAITING: &str = "sql-temporal-waiting";
/// The state entry of the versions.
const VERSIONS: &str = "sql-temporal-versions";

/// A left row waiting for the watermark.
struct Waiting {
    /// Its key's bytes (as the exchange hashed them).
    key: Box<[u8]>,
    /// Whether the key can match (it holds no NULL).
    matches: bool,
    row: Box<[u8]>,
}

/// A key's versions by rowtime; `None`: deleted at that time.
type History = BTreeMap<i64, Option<Box<[u8]>>>;

/// Joins each left row with the right version valid at its time.
pub struct TemporalJoinOperator {
    kind: JoinKind,
    keys: [JoinKey; 2],
    codecs: [RowCodec; 2],
    times: [usize; 2],
    condition: Option<Arc<dyn PhysicalExpr>>,
    pair_schema: SchemaRef,
    schema: SchemaRef,
    waiting: BTreeMap<i64, Vec<Waiting>>,
    /// Each key's versions.
    versions: KeyMap<History>,
    /// Keys with more than one version, whose old versions may be dropped.
    to_clean: HashSet<Box<[u8]>>,
    restore: PendingRestore,
}

impl TemporalJoinOperator {
    /// An `Inner` or `Left` temporal join on `keys`, with rowtimes in columns `times`
    /// (left, right); `condition` reads batches of `pair_schema`; the output has `schema`
    /// (columns of the right side beyond it are left out).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        kind: JoinKind,
        keys: [JoinKey; 2],
        codecs: [RowCodec; 2],
        times: [usize; 2],
        condition: Option<Arc<dyn PhysicalExpr>>,
        pair_schema: SchemaRef,
        schema: SchemaRef,
    ) -> Self {
        TemporalJoinOperator {
            kind,
            keys,
            codecs,
            times,
            condition,
            pair_schema,
            schema,
            waiting: BTreeMap::new(),
            versions: KeyMap::default(),
            to_clean: HashSet::new(),
            restore: PendingRestore::default(),
        }
    }

    /// Keeps `version` (`None`: deleted) of `key` from `time` on.
    fn add_version(&mut self, key: &[u8], time: i64, version: Option<Box<[u8]>>) {
        let history = match self.versions.get_mut(key) {
            Some(h) => h,
            None => self.versions.entry(key.into()).or_default(),
        };
        history.insert(time, version);
        if history.len() > 1 && !self.to_clean.contains(key) {
            self.to_clean.insert(key.into());
        }
    }

    /// The waiting rows and the versions as state batches.
    fn snapshot_batches(&self) -> Result<[Vec<RecordBatch>; 2], BoxError> {
        let waiting: Vec<(i64, &Waiting)> =
            self.waiting.iter().flat_map(|(time, waiting)| waiting.iter().map(move |w| (*time, w))).collect();
        let waiting = keyed_state::batches_of(
            &waiting,
            |(_, w)| w.key.len() + w.row.len(),
            |run| {
                let columns: Vec<(String, ArrayRef)> = vec![
                    ("time".into(), std::sync::Arc::new(Int64Array::from_iter_values(run.iter().map(|e| e.0)))),
                    (
                        "matches".into(),
                        std::sync::Arc::new(run.iter().map(|e| Some(e.1.matches)).collect::<BooleanArray>()),
                    ),
                    ("row".into(), keyed_state::bytes_column(run.iter().map(|e| e.1.row.as_ref()))),
                ];
                keyed_state::state_batch(run.iter().map(|e| e.1.key.as_ref()), columns)
            },
        )?;
        // Key, time, version (none: the key was deleted then).
        type Version<'a> = (&'a [u8], i64, Option<&'a [u8]>);
        let versions: Vec<Version> = self
            .versions
            .iter()
            .flat_map(|(key, history)| history.iter().map(move |(time, v)| (key.as_ref(), *time, v.as_deref())))
            .collect();
        let versions = keyed_state::batches_of(
            &versions,
            |(key, _, v)| key.len() + v.map_or(0, <[u8]>::len),
            |run| {
                let columns: Vec<(String, ArrayRef)> = vec![
                    ("time".into(), std::sync::Arc::new(Int64Array::from_iter_values(run.iter().map(|e| e.1)))),
                    ("version".into(), std::sync::Arc::new(run.iter().map(|e| e.2).collect::<BinaryArray>())),
                ];
                keyed_state::state_batch(run.iter().map(|e| e.0), columns)
            },
        )?;
        Ok([waiting, versions])
    }

    /// Puts back the waiting rows and versions of the key groups `subtask` owns.
    fn restore_state(&mut self, state: &OperatorStateReader, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        for batch in keyed_state::read_keyed_as(state, WAITING, subtask)? {
            let keys = keyed_state::keys_of(&batch)?;
            let times = keyed_state::i64_column(&batch, "time")?;
            let rows = keyed_state::bytes_of(&batch, "row")?;
            let matches = keyed_state::column(&batch, "matches")?
                .as_any()
                .downcast_ref::<BooleanArray>()
                .ok_or("SQL operator state: column 'matches' is not BOOLEAN")?;
            for i in 0..batch.num_rows() {
                let w = Waiting { key: keys.value(i).into(), matches: matches.value(i), row: rows.value(i).into() };
                self.waiting.entry(times.value(i)).or_default().push(w);
            }
        }
        for batch in keyed_state::read_keyed_as(state, VERSIONS, subtask)? {
            let keys = keyed_state::keys_of(&batch)?;
            let times = keyed_state::i64_column(&batch, "time")?;
            let versions = keyed_state::bytes_of(&batch, "version")?;
            for i in 0..batch.num_rows() {
                let version = versions.is_valid(i).then(|| versions.value(i).into());
                self.add_version(keys.value(i), times.value(i), version);
            }
        }
        Ok(())
    }

    /// Keeps the rows of `changes` from `side`: left rows wait, right rows are versions.
    pub fn add(&mut self, side: Side, changes: &Changes) -> Result<(), BoxError> {
        let s = side.index();
        let batch = &changes.rows;
        let keys = self.keys[s].encode(batch)?;
        let rows = self.codecs[s].encode(batch)?;
        let times = millis(batch.column(self.times[s]))?;
        for i in 0..batch.num_rows() {
            if times.is_null(i) {
                continue;
            }
            let time = times.value(i);
            match side {
                Side::Left => {
                    let waiting = Waiting {
                        key: keys.raw(i).into(),
                        matches: keys.get(i).is_some(),
                        row: rows.row(i).as_ref().into(),
                    };
                    self.waiting.entry(time).or_default().push(waiting);
                }
                Side::Right => {
                    let Some(key) = keys.get(i) else { continue };
                    let version = match changes.kind(i) {
                        RowKind::UpdateBefore => continue,
                        RowKind::Delete => None,
                        RowKind::Insert | RowKind::UpdateAfter => Some(rows.row(i).as_ref().into()),
                    };
                    self.add_version(key, time, version);
                }
            }
        }
        Ok(())
    }

    /// Joins the left rows up to `watermark` and drops the versions no longer needed.
    pub fn fire(&mut self, watermark: i64) -> Result<Option<Changes>, BoxError> {
        let ready = if watermark == i64::MAX {
            std::mem::take(&mut self.waiting)
        } else {
            let later = self.waiting.split_off(&(watermark + 1));
            std::mem::replace(&mut self.waiting, later)
        };
        let out = self.join(ready)?;
        self.clean(watermark);
        Ok(out)
    }

    fn join(&self, ready: BTreeMap<i64, Vec<Waiting>>) -> Result<Option<Changes>, BoxError> {
        // Each left row with the version valid at its time, if any.
        let mut pairs: Vec<(&[u8], Option<&[u8]>)> = Vec::new();
        for (time, rows) in &ready {
            for w in rows {
                let version = w
                    .matches
                    .then(|| self.versions.get(&w.key))
                    .flatten()
                    .and_then(|h| h.range(..=*time).next_back())
                    .and_then(|(_, v)| v.as_deref());
                pairs.push((w.row.as_ref(), version));
            }
        }
        let matched: Vec<usize> = (0..pairs.len()).filter(|&p| pairs[p].1.is_some()).collect();
        let mask: Option<BooleanArray> = match &self.condition {
            Some(condition) if !matched.is_empty() => {
                let left = self.codecs[0].decode(matched.iter().map(|&p| self.codecs[0].parse(pairs[p].0)))?;
                let right = self.codecs[1].decode(
                    matched.iter().map(|&p| self.codecs[1].parse(pairs[p].1.expect("matched has a version"))),
                )?;
                Some(condition_mask(condition, &pair_batch(&self.pair_schema, left, right, matched.len())?)?)
            }
            _ => None,
        };
        let mut out = JoinedRows::new(&self.codecs);
        let mut m = 0;
        for (left, version) in &pairs {
            let left: Row<'_> = self.codecs[0].parse(left);
            let joined = match version {
                Some(right) => {
                    let ok = mask.as_ref().is_none_or(|mask| mask.value(m));
                    m += 1;
                    ok.then_some(*right)
                }
                None => None,
            };
            match joined {
                Some(right) => out.push(RowKind::Insert, Some(left), Some(self.codecs[1].parse(right)), 1),
                None if self.kind == JoinKind::Left => out.push_padded(RowKind::Insert, Side::Left, left, 1),
                None => {}
            }
        }
        if out.is_empty() {
            return Ok(None);
        }
        Ok(Some(out.finish(&self.codecs, &self.schema, false)?))
    }

    /// Drops versions older than the latest at or before `watermark`: left rows up to the
    /// watermark are joined, so later ones need no older version.
    fn clean(&mut self, watermark: i64) {
        let keys: Vec<Box<[u8]>> = self.to_clean.drain().collect();
        for key in keys {
            let Some(history) = self.versions.get_mut(&key) else { continue };
            if let Some((&current, _)) = history.range(..=watermark).next_back() {
                *history = history.split_off(&current);
            }
            if history.len() == 1 && history.values().all(Option::is_none) {
                self.versions.remove(&key);
            } else if history.len() > 1 {
                self.to_clean.insert(key);
            }
        }
    }
}

impl Operator for TemporalJoinOperator {
    type In = JoinInput;
    type Out = Changes;

    fn initialize_state(&mut self, state: &OperatorStateReader) -> Result<(), BoxError> {
        self.restore.keep(state);
        Ok(())
    }

    fn open(&mut self, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        match self.restore.take() {
            Some(state) => self.restore_state(&state, subtask),
            None => Ok(()),
        }
    }

    fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        if !state.stores_state() {
            return Ok(());
        }
        let [waiting, versions] = self.snapshot_batches()?;
        keyed_state::write_keyed_as(state, WAITING, &waiting)?;
        keyed_state::write_keyed_as(state, VERSIONS, &versions)
    }

    fn process(
        &mut self,
        batch: &mut Vec<StreamRecord<JoinInput>>,
        _out: &mut Emitter<Changes>,
    ) -> Result<(), BoxError> {
        for record in batch.drain(..) {
            self.add(record.value.side, &record.value.changes)?;
        }
        Ok(())
    }

    fn on_watermark(&mut self, watermark: Watermark, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        if let Some(changes) = self.fire(watermark.0)? {
            out.emit(StreamRecord { value: changes, timestamp: watermark.0 });
        }
        out.emit_watermark(watermark);
        Ok(())
    }

    fn finish(&mut self, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        if let Some(changes) = self.fire(i64::MAX)? {
            out.emit(StreamRecord { value: changes, timestamp: i64::MAX });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int32Array, RecordBatch, TimestampMillisecondArray};
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
    use arrow::util::display::array_value_to_string;
    use datafusion_physical_expr::expressions::Column;

    /// Both sides: (k, v, t).
    fn side_schema() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int32, true),
            Field::new("v", DataType::Int32, true),
            Field::new("t", DataType::Timestamp(TimeUnit::Millisecond, None), true),
        ]))
    }

    fn join(kind: JoinKind) -> TemporalJoinOperator {
        let s = side_schema();
        let key = || JoinKey::new(vec![Arc::new(Column::new("k", 0))], &s, false).expect("key");
        let fields: Vec<Field> =
            s.fields().iter().chain(s.fields().iter()).map(|f| Field::clone(f).with_nullable(true)).collect();
        let pair = Arc::new(Schema::new(fields));
        let codecs = [RowCodec::new(s.clone()).expect("codec"), RowCodec::new(s.clone()).expect("codec")];
        TemporalJoinOperator::new(kind, [key(), key()], codecs, [2, 2], None, pair.clone(), pair)
    }

    fn add(op: &mut TemporalJoinOperator, side: Side, rows: &[(RowKind, i32, i32, i64)]) {
        let column = |f: fn(&(RowKind, i32, i32, i64)) -> i32| Int32Array::from_iter_values(rows.iter().map(f));
        let times = TimestampMillisecondArray::from_iter_values(rows.iter().map(|r| r.3));
        let batch = RecordBatch::try_new(
            side_schema(),
            vec![Arc::new(column(|r| r.1)), Arc::new(column(|r| r.2)), Arc::new(times)],
        )
        .expect("batch");
        op.add(side, &Changes::with_kinds(batch, rows.iter().map(|r| r.0).collect())).expect("add");
    }

    /// The joined rows as `left v @ t -> right v` (empty: padded).
    fn fire(op: &mut TemporalJoinOperator, watermark: i64) -> Vec<String> {
        let Some(out) = op.fire(watermark).expect("fire") else { return Vec::new() };
        let value = |c: usize, i: usize| array_value_to_string(out.rows.column(c), i).expect("value");
        (0..out.len())
            .map(|i| format!("{}@{} -> {}", value(1, i), value(2, i).replace("1970-01-01T00:00:0", ""), value(4, i)))
            .collect()
    }

    use RowKind::{Delete as D, Insert as I};

    #[test]
    fn left_rows_wait_for_the_watermark_and_take_the_version_of_their_time() {
        let mut op = join(JoinKind::Left);
        add(&mut op, Side::Right, &[(I, 1, 10, 1000), (I, 1, 20, 3000)]);
        add(&mut op, Side::Left, &[(I, 1, 1, 500), (I, 1, 2, 1000), (I, 1, 3, 2999), (I, 1, 4, 4000)]);
        assert_eq!(fire(&mut op, 2999), ["1@0.500 -> ", "2@1 -> 10", "3@2.999 -> 10"]);
        // A version arriving late for the waiting row still counts.
        add(&mut op, Side::Right, &[(I, 1, 30, 3500), (D, 1, 30, 3900)]);
        assert_eq!(fire(&mut op, 5000), ["4@4 -> "]);
        add(&mut op, Side::Left, &[(I, 1, 5, 6000)]);
        assert_eq!(fire(&mut op, i64::MAX), ["5@6 -> "]);
    }

    #[test]
    fn an_inner_join_drops_rows_without_a_version() {
        let mut op = join(JoinKind::Inner);
        add(&mut op, Side::Left, &[(I, 1, 1, 500), (I, 2, 2, 2000)]);
        add(&mut op, Side::Right, &[(I, 2, 20, 1000)]);
        assert_eq!(fire(&mut op, 10_000), ["2@2 -> 20"]);
    }

    #[test]
    fn a_restored_join_keeps_waiting_rows_and_versions() {
        use crate::stream::keyed_state::testing::{owner, restored, snapshot_of};

        let mut reference = join(JoinKind::Left);
        add(&mut reference, Side::Right, &[(I, 1, 10, 1000), (I, 1, 20, 3000), (I, 2, 7, 500)]);
        add(&mut reference, Side::Left, &[(I, 1, 1, 500), (I, 1, 2, 2000), (I, 2, 3, 4000), (I, 3, 4, 100)]);
        assert_eq!(fire(&mut reference, 600), ["4@0.100 -> ", "1@0.500 -> "]);
        // State batches of at most 32 bytes: rows and versions are written in several.
        let snapshot = crate::stream::keyed_state::with_batch_limit(32, || snapshot_of(&mut reference));
        assert!(crate::stream::keyed_state::tests::batches_in(&snapshot, VERSIONS) > 1);
        let next = [(Side::Left, (I, 1, 5, 3500)), (Side::Right, (D, 2, 7, 3800)), (Side::Left, (I, 2, 6, 3900))];
        for (side, row) in next {
            add(&mut reference, side, &[row]);
        }
        let mut expected = fire(&mut reference, i64::MAX);
        expected.sort();
        assert_eq!(expected, ["2@2 -> 10", "3@4 -> ", "5@3.500 -> 20", "6@3.900 -> "]);

        for parallelism in [1, 2, 3] {
            let mut ops = restored(|| join(JoinKind::Left), &snapshot, parallelism);
            for (side, row) in next {
                let probe = RecordBatch::try_new(
                    side_schema(),
                    vec![
                        Arc::new(Int32Array::from(vec![row.1])),
                        Arc::new(Int32Array::from(vec![row.2])),
                        Arc::new(TimestampMillisecondArray::from(vec![row.3])),
                    ],
                )
                .unwrap();
                let key = ops[0].keys[0].encode(&probe).unwrap().raw(0).to_vec();
                add(&mut ops[owner(&key, parallelism)], side, &[row]);
            }
            let mut got: Vec<String> = ops.iter_mut().flat_map(|op| fire(op, i64::MAX)).collect();
            got.sort();
            assert_eq!(got, expected, "p{parallelism}");
        }
    }
}
