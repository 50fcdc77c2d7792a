//! Window aggregation (`GROUP BY window_start, window_end, …` over a window TVF): rows are
//! accumulated per window and key; when the watermark passes a window's end its results
//! are emitted once, insert-only, and its state dropped. Rows of windows already fired are
//! late and dropped, as in Flink.
//!
//! Over processing time ([`WindowAggOperator::with_proctime`]) the operator assigns each
//! batch to the windows of the processing time at which it arrives — the window columns
//! of its input are not read — and fires a window on a processing-time timer once the
//! clock reaches its end. Rows are never late: a window is fired only when the clock has
//! passed its end, and later rows fall in later windows. Watermarks pass through.
//!
//! Order-sensitive aggregates (LISTAGG, ARRAY_AGG, COLLECT, JSON_ARRAYAGG, …) in HOP and
//! CUMULATE windows see the rows in Flink's order, which follows its slices (a window is
//! cut into slices of the slide or step; each slice accumulates in arrival order, and a
//! window merges its slices when it fires): a HOP window takes its slices latest first, a
//! CUMULATE window earliest first. Such a window keeps one group set per slice
//! ([`WindowAggOperator::with_window_kind`]), merged in that order when it fires. A row's
//! slice is the end of its earliest window: the TVF emits each row's windows one after
//! another, earliest end first.
//!
//! Over an updating input (a CDC source; [`WindowAggOperator::with_retraction`]) a
//! retraction (`-U`, `-D`) goes to the windows of the retracted row's own time and takes
//! its values back from the accumulators there, as Flink 2.x does; each group counts its
//! rows (accumulated minus retracted), and a group whose count is zero when its window
//! fires emits nothing. As in the group aggregation, a retraction finds the group's rows or
//! nothing: one beyond them (a changelog that retracts what it never added) is ignored. Retractions of windows already fired are late and dropped, like
//! late rows. The result stays insert-only: a window fires once.
//!
//! Checkpoints hold every open window's keys with their accumulators' states (one state
//! batch per window and slice, see [`super::keyed_state`]) and the watermark that judges
//! lateness.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, Int64Array, TimestampMillisecondArray, UInt32Array};
use arrow::datatypes::SchemaRef;
use arrow::row::Rows;
use datafusion_common::ScalarValue;
use datafusion_expr::{Accumulator, EmitTo, GroupsAccumulator};
use weir_core::{StreamRecord, Watermark};
use weir_runtime::snapshot::{OperatorStateReader, OperatorStateWriter};
use weir_runtime::{BoxError, Emitter, Operator, SubtaskInfo};

use super::aggregate::{order_sensitive, repeat, AggCall};
use super::batch::{cast_to, Changes};
use super::exchange::KeyEncoder;
use super::keyed_state::{self, PendingRestore};
use super::watermark::millis;
use super::window_assign::windows_of;
use crate::functions::LocalTimeZone;
use crate::planner::WindowKind;
use crate::stream::KeyMap;

/// Where each output column of the aggregation comes from.
#[derive(Debug, Clone, Copy)]
pub enum GroupColumn {
    /// The `n`th key expression.
    Key(usize),
    /// `window_start`.
    Start,
    /// `window_end`.
    End,
    /// `window_time` (the end minus 1 ms).
    Time,
}

struct WindowGroups {
    index: KeyMap<u32>,
    keys: Rows,
    accumulators: Accumulators,
}

/// The accumulators of a window's groups.
enum Accumulators {
    /// Over an insert-only input: one accumulator of all groups per call.
    Groups(Vec<Box<dyn GroupsAccumulator>>),
    /// Over an updating input: per group, one accumulator per call that can retract.
    Retracting(Vec<RetractingGroup>),
}

/// A group of a window over an updating input.
struct RetractingGroup {
    accumulators: Vec<Box<dyn Accumulator>>,
    /// Rows accumulated minus rows retracted.
    rows: i64,
}

impl WindowGroups {
    /// The group of `key`, added (with fresh accumulators of `calls`) when new.
    fn group(&mut self, key: arrow::row::Row<'_>, calls: &[AggCall]) -> Result<usize, BoxError> {
        if let Some(g) = self.index.get(key.as_ref()) {
            return Ok(*g as usize);
        }
        let g = self.index.len();
        self.index.insert(key.as_ref().into(), g as u32);
        self.keys.push(key);
        if let Accumulators::Retracting(groups) = &mut self.accumulators {
            let accumulators = calls.iter().map(|c| c.accumulator(true)).collect::<Result<_, _>>()?;
            groups.push(RetractingGroup { accumulators, rows: 0 });
        }
        Ok(g)
    }
}

/// A window's groups: `(window end, window start, slice end)`; the slice end is the window
/// end unless the window keeps its slices apart.
type WindowKey = (i64, i64, i64);

/// Aggregates rows per window and key.
pub struct WindowAggOperator {
    keys: KeyEncoder,
    start: usize,
    end: usize,
    group_columns: Vec<GroupColumn>,
    calls: Vec<AggCall>,
    schema: SchemaRef,
    windows: BTreeMap<WindowKey, WindowGroups>,
    /// The windows, when their slices are kept apart for order-sensitive aggregates.
    sliced: Option<WindowKind>,
    watermark: i64,
    restore: PendingRestore,
    /// The windows when they are of processing time.
    proctime: Option<WindowKind>,
    /// Whether the windows still open fire at end of input.
    fire_at_end: bool,
    /// The zone whose wall clock window bounds show (TIMESTAMP_LTZ windows).
    zone: Option<LocalTimeZone>,
    /// Whether the input is updating: groups keep retracting accumulators.
    retracting: bool,
}

impl WindowAggOperator {
    /// Aggregation by `keys` within windows whose bounds are the input columns `start`
    /// and `end`; output columns are `group_columns` then one per call, as `schema`.
    pub fn new(
        keys: KeyEncoder,
        start: usize,
        end: usize,
        group_columns: Vec<GroupColumn>,
        calls: Vec<AggCall>,
        schema: SchemaRef,
    ) -> Self {
        WindowAggOperator {
            keys,
            start,
            end,
            group_columns,
            calls,
            schema,
            windows: BTreeMap::new(),
            watermark: i64::MIN,
            restore: PendingRestore::default(),
            proctime: None,
            fire_at_end: true,
            zone: None,
            sliced: None,
            retracting: false,
        }
    }

    /// The input is updating: retractions take their rows back from the windows of their
    /// time (see the module docs).
    pub fn with_retraction(self, retracting: bool) -> Self {
        WindowAggOperator { retracting, ..self }
    }

    /// The windows are of `kind`: for HOP and CUMULATE windows with an order-sensitive
    /// aggregate, rows are kept per slice and merged in Flink's order (see the module docs).
    pub fn with_window_kind(mut self, kind: &WindowKind) -> Self {
        let ordered = self.calls.iter().any(|c| order_sensitive(c.function.fun().name()));
        let sliceable = match *kind {
            WindowKind::Hop { slide, size, .. } => slide > 0 && size % slide == 0 && size > slide,
            WindowKind::Cumulate { step, max_size, .. } => step > 0 && max_size > step,
            _ => false,
        };
        self.sliced = (ordered && sliceable).then(|| kind.clone());
        self
    }

    /// Window bounds are wall-clock readings of `zone`: a window ends when the watermark (an
    /// instant) passes the instant its end shows in that zone.
    pub fn in_time_zone(mut self, zone: Option<LocalTimeZone>) -> Self {
        self.zone = zone;
        self
    }

    /// The watermark as a wall clock of the windows' zone.
    fn wall_clock(&self, watermark: i64) -> i64 {
        match self.zone {
            Some(z) if watermark != i64::MIN && watermark != i64::MAX => z.utc_millis_to_local(watermark),
            _ => watermark,
        }
    }

    /// The same aggregation over processing-time windows of `kind`.
    pub fn with_proctime(self, kind: WindowKind) -> Self {
        WindowAggOperator { proctime: Some(kind), ..self }
    }

    /// Whether windows still open at end of input fire (by default they do). Flink 2.3 does
    /// not fire processing-time timers at end of input, so its processing-time windows that
    /// have not ended yet then produce nothing.
    pub fn with_fire_at_end(self, fire_at_end: bool) -> Self {
        WindowAggOperator { fire_at_end, ..self }
    }

    fn new_groups(&self) -> Result<WindowGroups, BoxError> {
        let accumulators = if self.retracting {
            Accumulators::Retracting(Vec::new())
        } else {
            Accumulators::Groups(self.calls.iter().map(|c| c.groups_accumulator()).collect::<Result<_, _>>()?)
        };
        Ok(WindowGroups { index: KeyMap::default(), keys: self.keys.converter().empty_rows(64, 1024), accumulators })
    }

    fn restore_windows(&mut self, state: &OperatorStateReader, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        for batch in keyed_state::read_keyed(state, subtask)? {
            let keys = keyed_state::keys_of(&batch)?;
            let ends = keyed_state::i64_column(&batch, "window_end")?;
            let starts = keyed_state::i64_column(&batch, "window_start")?;
            // Checkpoints taken before slices were kept have none: one slice per window.
            let slices =
                batch.column_by_name("slice_end").is_some().then(|| keyed_state::i64_column(&batch, "slice_end"));
            let slices = slices.transpose()?;
            let mut by_window: BTreeMap<WindowKey, Vec<u32>> = BTreeMap::new();
            for i in 0..batch.num_rows() {
                let slice = slices.map_or(ends.value(i), |s| s.value(i));
                by_window.entry((ends.value(i), starts.value(i), slice)).or_default().push(i as u32);
            }
            let counts = match self.retracting {
                true => Some(keyed_state::i64_column(&batch, "rows").map_err(|e| {
                    format!("{e}: the checkpoint is of a window aggregation over an insert-only input")
                })?),
                false => None,
            };
            // Per call, its state columns.
            let call_states: Vec<Vec<&ArrayRef>> = (0..self.calls.len())
                .map(|c| (0..).map_while(|j| batch.column_by_name(&format!("acc{c}_{j}"))).collect())
                .collect();
            let parser = self.keys.converter().parser();
            for (window, rows) in by_window {
                if !self.windows.contains_key(&window) {
                    let fresh = self.new_groups()?;
                    self.windows.insert(window, fresh);
                }
                let groups = self.windows.get_mut(&window).expect("present");
                let mut group_of = Vec::with_capacity(rows.len());
                for &i in &rows {
                    group_of.push(groups.group(parser.parse(keys.value(i as usize)), &self.calls)?);
                }
                match &mut groups.accumulators {
                    Accumulators::Groups(accumulators) => {
                        let idx = UInt32Array::from(rows);
                        let total = groups.index.len();
                        for (c, acc) in accumulators.iter_mut().enumerate() {
                            let states = call_states[c]
                                .iter()
                                .map(|col| arrow::compute::take(col, &idx, None))
                                .collect::<Result<Vec<_>, _>>()?;
                            acc.merge_batch(&states, &group_of, total)?;
                        }
                    }
                    Accumulators::Retracting(retracting) => {
                        let counts = counts.expect("read when retracting");
                        for (&i, &g) in rows.iter().zip(&group_of) {
                            let group = &mut retracting[g];
                            group.rows += counts.value(i as usize);
                            for (c, acc) in group.accumulators.iter_mut().enumerate() {
                                let states: Vec<ArrayRef> =
                                    call_states[c].iter().map(|col| col.slice(i as usize, 1)).collect();
                                acc.merge_batch(&states)?;
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn add(&mut self, changes: &Changes, now: i64) -> Result<(), BoxError> {
        let batch = &changes.rows;
        let keys = self.keys.encode(batch)?;
        // Rows by window, late rows left out.
        let mut by_window: BTreeMap<WindowKey, Vec<u32>> = BTreeMap::new();
        match &self.proctime {
            Some(kind) => {
                // All rows of the batch fall in the slice ending with the earliest window.
                let mut slice = None;
                windows_of(kind, now, |s, e| {
                    let slice = if self.sliced.is_some() { *slice.get_or_insert(e) } else { e };
                    by_window.insert((e, s, slice), (0..batch.num_rows() as u32).collect());
                })
            }
            None => {
                let starts = millis(batch.column(self.start))?;
                let ends = millis(batch.column(self.end))?;
                let slices = match &self.sliced {
                    Some(kind) => slice_ends(kind, starts.values(), ends.values()),
                    None => Vec::new(),
                };
                let watermark = self.wall_clock(self.watermark);
                for i in 0..batch.num_rows() {
                    let end = ends.value(i);
                    if end - 1 <= watermark {
                        continue;
                    }
                    let slice = slices.get(i).copied().unwrap_or(end);
                    by_window.entry((end, starts.value(i), slice)).or_default().push(i as u32);
                }
            }
        }
        if by_window.is_empty() {
            return Ok(());
        }
        let arguments = self.calls.iter().map(|c| c.arguments(batch)).collect::<Result<Vec<_>, _>>()?;
        let filters = self.calls.iter().map(|c| c.filter_mask(batch)).collect::<Result<Vec<_>, _>>()?;
        let whole = by_window.values().all(|v| v.len() == batch.num_rows());
        for (window, rows) in by_window {
            if !self.windows.contains_key(&window) {
                let fresh = self.new_groups()?;
                self.windows.insert(window, fresh);
            }
            let groups = self.windows.get_mut(&window).expect("present");
            let mut group_of = Vec::with_capacity(rows.len());
            for &i in &rows {
                group_of.push(groups.group(keys.row(i as usize), &self.calls)?);
            }
            match &mut groups.accumulators {
                Accumulators::Groups(accumulators) => {
                    let total = groups.index.len();
                    let indices = (!whole).then(|| UInt32Array::from(rows));
                    for (c, acc) in accumulators.iter_mut().enumerate() {
                        let (values, filter) = match &indices {
                            None => (arguments[c].clone(), filters[c].clone()),
                            Some(idx) => take_call_input(&arguments[c], filters[c].as_ref(), idx)?,
                        };
                        acc.update_batch(&values, &group_of, filter.as_ref(), total)?;
                    }
                }
                Accumulators::Retracting(retracting) => {
                    // Per group, its rows in arrival order cut into runs that all accumulate
                    // or all retract.
                    let mut runs: BTreeMap<usize, Vec<(bool, Vec<u32>)>> = BTreeMap::new();
                    for (&i, &g) in rows.iter().zip(&group_of) {
                        let accumulate = changes.kind(i as usize).is_accumulate();
                        let group_runs = runs.entry(g).or_default();
                        match group_runs.last_mut() {
                            Some((a, run)) if *a == accumulate => run.push(i),
                            _ => group_runs.push((accumulate, vec![i])),
                        }
                    }
                    for (g, group_runs) in runs {
                        let group = &mut retracting[g];
                        for (accumulate, mut run) in group_runs {
                            // As the group aggregation: a retraction finds the group's rows
                            // or nothing.
                            if !accumulate {
                                let live = usize::try_from(group.rows).unwrap_or(0);
                                if live == 0 {
                                    continue;
                                }
                                run.truncate(live);
                            }
                            let idx = UInt32Array::from(run);
                            for (c, acc) in group.accumulators.iter_mut().enumerate() {
                                let (mut values, filter) = take_call_input(&arguments[c], filters[c].as_ref(), &idx)?;
                                if let Some(mask) = &filter {
                                    values = values
                                        .iter()
                                        .map(|v| arrow::compute::filter(v, mask))
                                        .collect::<Result<_, _>>()?;
                                }
                                if accumulate {
                                    acc.update_batch(&values)?;
                                } else {
                                    acc.retract_batch(&values)?;
                                }
                            }
                            let n = idx.len() as i64;
                            group.rows += if accumulate { n } else { -n };
                            if group.rows == 0 {
                                // Emptied: the next row starts afresh.
                                group.accumulators =
                                    self.calls.iter().map(|c| c.accumulator(true)).collect::<Result<_, _>>()?;
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Removes the groups of window `(end, start)`, its slices merged in Flink's order.
    fn take_window(&mut self, end: i64, start: i64) -> Result<WindowGroups, BoxError> {
        let mut slices = Vec::new();
        while let Some(entry) = self.windows.first_entry() {
            if (entry.key().0, entry.key().1) != (end, start) {
                break;
            }
            slices.push(entry.remove());
        }
        if slices.len() == 1 {
            return Ok(slices.pop().expect("one slice"));
        }
        // Slices come earliest first; a HOP window merges them latest first.
        if matches!(self.sliced, Some(WindowKind::Hop { .. })) {
            slices.reverse();
        }
        let mut merged = self.new_groups()?;
        for slice in slices {
            let mut group_of = Vec::with_capacity(slice.index.len());
            for key in slice.keys.iter() {
                group_of.push(merged.group(key, &self.calls)?);
            }
            let total = merged.index.len();
            match (slice.accumulators, &mut merged.accumulators) {
                (Accumulators::Groups(mut from), Accumulators::Groups(into)) => {
                    for (acc, into) in from.iter_mut().zip(into.iter_mut()) {
                        into.merge_batch(&acc.state(EmitTo::All)?, &group_of, total)?;
                    }
                }
                (Accumulators::Retracting(from), Accumulators::Retracting(into)) => {
                    for (mut group, g) in from.into_iter().zip(group_of) {
                        let into = &mut into[g];
                        into.rows += group.rows;
                        for (acc, into) in group.accumulators.iter_mut().zip(into.accumulators.iter_mut()) {
                            let states =
                                acc.state()?.into_iter().map(|v| v.to_array()).collect::<Result<Vec<_>, _>>()?;
                            into.merge_batch(&states)?;
                        }
                    }
                }
                _ => unreachable!("all groups of an operator keep the same accumulators"),
            }
        }
        Ok(merged)
    }

    /// A fired window's results: how many groups emit, their key columns and one column per
    /// call. A group over an updating input whose rows were all retracted emits nothing.
    fn results(&self, groups: WindowGroups) -> Result<(usize, Vec<ArrayRef>, Vec<ArrayRef>), BoxError> {
        match groups.accumulators {
            Accumulators::Groups(mut accumulators) => {
                let key_columns = self.keys.converter().convert_rows(groups.keys.iter())?;
                let values = accumulators.iter_mut().map(|acc| acc.evaluate(EmitTo::All)).collect::<Result<_, _>>()?;
                Ok((groups.index.len(), key_columns, values))
            }
            Accumulators::Retracting(mut retracting) => {
                let live: Vec<usize> = (0..retracting.len()).filter(|&g| retracting[g].rows != 0).collect();
                let key_columns = self.keys.converter().convert_rows(live.iter().map(|&g| groups.keys.row(g)))?;
                let mut values = Vec::with_capacity(self.calls.len());
                for (c, call) in self.calls.iter().enumerate() {
                    let mut results = Vec::with_capacity(live.len());
                    for &g in &live {
                        results.push(retracting[g].accumulators[c].evaluate()?);
                    }
                    values.push(match results.is_empty() {
                        true => arrow::array::new_empty_array(call.function.field().data_type()),
                        false => ScalarValue::iter_to_array(results)?,
                    });
                }
                Ok((live.len(), key_columns, values))
            }
        }
    }

    fn fire(&mut self, up_to: i64, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        while let Some((&(end, start, _), _)) = self.windows.first_key_value() {
            if end - 1 > up_to {
                break;
            }
            let groups = self.take_window(end, start)?;
            let (n, key_columns, values) = self.results(groups)?;
            if n == 0 {
                continue;
            }
            let start_col: ArrayRef = Arc::new(TimestampMillisecondArray::from(vec![start]));
            let end_col: ArrayRef = Arc::new(TimestampMillisecondArray::from(vec![end]));
            let time = match self.zone {
                Some(z) => z.local_millis_to_utc(end - 1),
                None => end - 1,
            };
            let time_col: ArrayRef = Arc::new(TimestampMillisecondArray::from(vec![time]));
            let mut columns = Vec::with_capacity(self.schema.fields().len());
            for (i, g) in self.group_columns.iter().enumerate() {
                let column = match g {
                    GroupColumn::Key(k) => key_columns[*k].clone(),
                    GroupColumn::Start => repeat(&start_col, n)?,
                    GroupColumn::End => repeat(&end_col, n)?,
                    GroupColumn::Time => repeat(&time_col, n)?,
                };
                columns.push(cast_to(column, self.schema.field(i).data_type())?);
            }
            for (c, column) in values.into_iter().enumerate() {
                columns.push(cast_to(column, self.schema.field(self.group_columns.len() + c).data_type())?);
            }
            let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(n));
            let rows = arrow::array::RecordBatch::try_new_with_options(self.schema.clone(), columns, &options)?;
            out.emit(StreamRecord { value: Changes::inserts(rows), timestamp: time });
        }
        Ok(())
    }
}

impl Operator for WindowAggOperator {
    type In = Changes;
    type Out = Changes;

    fn initialize_state(&mut self, state: &OperatorStateReader) -> Result<(), BoxError> {
        self.restore.keep_with_watermark(state, &mut self.watermark);
        Ok(())
    }

    fn open(&mut self, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        match self.restore.take() {
            Some(state) => self.restore_windows(&state, subtask),
            None => Ok(()),
        }
    }

    fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        if !state.stores_state() {
            return Ok(());
        }
        let mut batches = Vec::with_capacity(self.windows.len());
        for (&(end, start, slice), groups) in self.windows.iter_mut() {
            let n = groups.index.len();
            if n == 0 {
                continue;
            }
            let mut columns: Vec<(String, ArrayRef)> = vec![
                ("window_end".into(), Arc::new(Int64Array::from(vec![end; n]))),
                ("window_start".into(), Arc::new(Int64Array::from(vec![start; n]))),
                ("slice_end".into(), Arc::new(Int64Array::from(vec![slice; n]))),
            ];
            match &mut groups.accumulators {
                Accumulators::Groups(accumulators) => {
                    let all: Vec<usize> = (0..n).collect();
                    for (c, acc) in accumulators.iter_mut().enumerate() {
                        // Taking the state empties the accumulator; it is merged straight back.
                        let states = acc.state(EmitTo::All)?;
                        acc.merge_batch(&states, &all, n)?;
                        for (j, s) in states.into_iter().enumerate() {
                            columns.push((format!("acc{c}_{j}"), s));
                        }
                    }
                }
                Accumulators::Retracting(retracting) => {
                    columns.push((
                        "rows".into(),
                        Arc::new(Int64Array::from_iter_values(retracting.iter().map(|g| g.rows))),
                    ));
                    let mut states: Vec<Vec<Vec<ScalarValue>>> = vec![Vec::new(); self.calls.len()];
                    for group in retracting.iter_mut() {
                        for (c, acc) in group.accumulators.iter_mut().enumerate() {
                            states[c].push(acc.state()?);
                        }
                    }
                    for (c, call_states) in states.into_iter().enumerate() {
                        let width = call_states.first().map_or(0, Vec::len);
                        for j in 0..width {
                            let column = keyed_state::scalar_column(call_states.iter().map(|s| s[j].clone()))?
                                .expect("a window keeps groups");
                            columns.push((format!("acc{c}_{j}"), column));
                        }
                    }
                }
            }
            batches.push(keyed_state::state_batch(groups.keys.iter().map(|r| r.data()), columns)?);
        }
        keyed_state::write_keyed(state, &batches)?;
        keyed_state::write_watermark(state, self.watermark);
        Ok(())
    }

    fn process(&mut self, batch: &mut Vec<StreamRecord<Changes>>, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        let now = if self.proctime.is_some() { out.now_ms() } else { i64::MIN };
        for record in batch.drain(..) {
            self.add(&record.value, now)?;
        }
        Ok(())
    }

    fn on_watermark(&mut self, watermark: Watermark, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        if self.proctime.is_none() {
            self.watermark = self.watermark.max(watermark.0);
            self.fire(self.wall_clock(watermark.0), out)?;
        }
        out.emit_watermark(watermark);
        Ok(())
    }

    fn finish(&mut self, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        if self.proctime.is_some() && !self.fire_at_end {
            self.windows.clear();
            return Ok(());
        }
        self.fire(i64::MAX, out)
    }

    fn next_processing_timer(&mut self) -> Option<i64> {
        self.proctime.as_ref()?;
        self.windows.first_key_value().map(|((end, _, _), _)| *end)
    }

    fn on_processing_time(&mut self, now_ms: i64, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        // A window fires once the clock reaches its end: rows arriving at that instant
        // already fall in the next window.
        self.fire(now_ms - 1, out)
    }
}

/// A call's argument columns and `FILTER` mask at the rows `idx`.
fn take_call_input(
    arguments: &[ArrayRef],
    filter: Option<&BooleanArray>,
    idx: &UInt32Array,
) -> Result<(Vec<ArrayRef>, Option<BooleanArray>), BoxError> {
    let values = arguments.iter().map(|a| arrow::compute::take(a, idx, None)).collect::<Result<_, _>>()?;
    let filter = match filter {
        Some(f) => {
            Some(arrow::compute::take(f, idx, None)?.as_any().downcast_ref::<BooleanArray>().ok_or("filter")?.clone())
        }
        None => None,
    };
    Ok((values, filter))
}

/// The slice end of each row of a HOP or CUMULATE TVF's output (`starts`, `ends` of each
/// row's window): the end of the earliest window of the input row it came from. The TVF
/// emits an input row's windows one after another, earliest end first — for HOP exactly
/// `size / slide` of them, for CUMULATE those of one start, each `step` after the previous.
/// Rows that do not form such a run (none are expected) count as their own slice.
fn slice_ends(kind: &WindowKind, starts: &[i64], ends: &[i64]) -> Vec<i64> {
    let rows = ends.len();
    let mut out = Vec::with_capacity(rows);
    match *kind {
        WindowKind::Hop { slide, size, .. } => {
            let n = (size / slide) as usize;
            let mut i = 0;
            while i < rows {
                let run = i + n <= rows
                    && (1..n).all(|j| {
                        ends[i + j] == ends[i] + j as i64 * slide && starts[i + j] == starts[i] + j as i64 * slide
                    });
                let len = if run { n } else { 1 };
                out.extend(std::iter::repeat_n(ends[i], len));
                i += len;
            }
        }
        WindowKind::Cumulate { step, .. } => {
            let mut slice = i64::MIN;
            for i in 0..rows {
                let continues = i > 0 && starts[i] == starts[i - 1] && ends[i] == ends[i - 1] + step;
                if !continues {
                    slice = ends[i];
                }
                out.push(slice);
            }
        }
        _ => out.extend_from_slice(ends),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, Int64Array, RecordBatch};
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
    use datafusion_physical_expr::aggregate::AggregateExprBuilder;
    use datafusion_physical_expr::expressions::{lit, Column};
    use datafusion_physical_expr::PhysicalExpr;
    use weir_runtime::ManualClock;

    /// `SELECT k, window_start, COUNT(*) … GROUP BY k, window_start, window_end` over
    /// processing-time tumbling windows of 10 s; the input is `k` plus the window columns
    /// a deferred TVF gives (their values are not read).
    fn count_per_window(clock: &ManualClock) -> (WindowAggOperator, Emitter<Changes>, SchemaRef) {
        let ts = DataType::Timestamp(TimeUnit::Millisecond, None);
        let input = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, false),
            Field::new("window_start", ts.clone(), false),
            Field::new("window_end", ts.clone(), false),
        ]));
        let key: Arc<dyn PhysicalExpr> = Arc::new(Column::new("k", 0));
        let count = AggregateExprBuilder::new(datafusion_functions_aggregate::count::count_udaf(), vec![lit(1i64)])
            .schema(input.clone())
            .alias("c")
            .build()
            .unwrap();
        let output = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, false),
            Field::new("window_start", ts, false),
            Field::new("c", DataType::Int64, false),
        ]));
        let operator = WindowAggOperator::new(
            KeyEncoder::new(vec![key], &input).unwrap(),
            1,
            2,
            vec![GroupColumn::Key(0), GroupColumn::Start],
            vec![AggCall { function: Arc::new(count), filter: None, plain: None }],
            output,
        )
        .with_proctime(WindowKind::Tumble { size: 10_000, offset: 0 });
        (operator, Emitter::new(Vec::new(), Arc::new(clock.clone())), input)
    }

    fn keys(schema: &SchemaRef, keys: &[i64]) -> Vec<StreamRecord<Changes>> {
        let stale = Arc::new(TimestampMillisecondArray::from(vec![0; keys.len()]));
        let rows =
            RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(keys.to_vec())), stale.clone(), stale])
                .unwrap();
        vec![StreamRecord { value: Changes::inserts(rows), timestamp: 0 }]
    }

    /// The emitted rows as `(k, window_start, count)`, sorted.
    fn fired(out: &mut Emitter<Changes>) -> Vec<(i64, i64, i64)> {
        let mut rows = Vec::new();
        for r in out.records().drain(..) {
            let b = &r.value.rows;
            let k = b.column(0).as_any().downcast_ref::<Int64Array>().unwrap();
            let s = b.column(1).as_any().downcast_ref::<TimestampMillisecondArray>().unwrap();
            let c = b.column(2).as_any().downcast_ref::<Int64Array>().unwrap();
            rows.extend((0..b.num_rows()).map(|i| (k.value(i), s.value(i), c.value(i))));
        }
        rows.sort();
        rows
    }

    #[test]
    fn rows_fall_in_the_window_of_their_arrival_and_fire_on_the_clock() {
        let clock = ManualClock::new(1_000);
        let (mut op, mut out, schema) = count_per_window(&clock);
        op.process(&mut keys(&schema, &[1, 1, 2]), &mut out).unwrap();
        clock.set(9_999);
        op.process(&mut keys(&schema, &[1]), &mut out).unwrap();
        assert_eq!(op.next_processing_timer(), Some(10_000));
        // A watermark does not fire processing-time windows.
        op.on_watermark(Watermark(i64::MAX - 1), &mut out).unwrap();
        assert_eq!(fired(&mut out), vec![]);
        // Arriving when the first window ends: the next window.
        clock.set(10_000);
        op.process(&mut keys(&schema, &[2]), &mut out).unwrap();
        op.on_processing_time(10_000, &mut out).unwrap();
        assert_eq!(fired(&mut out), vec![(1, 0, 3), (2, 0, 1)]);
        assert_eq!(op.next_processing_timer(), Some(20_000));
        clock.set(25_000);
        op.on_processing_time(25_000, &mut out).unwrap();
        assert_eq!(fired(&mut out), vec![(2, 10_000, 1)]);
        assert_eq!(op.next_processing_timer(), None);
        // End of input fires what is still open.
        clock.set(26_000);
        op.process(&mut keys(&schema, &[3, 3]), &mut out).unwrap();
        op.finish(&mut out).unwrap();
        assert_eq!(fired(&mut out), vec![(3, 20_000, 2)]);
    }

    #[test]
    fn open_windows_can_be_dropped_at_end_of_input_as_flink_does() {
        let clock = ManualClock::new(1_000);
        let (op, mut out, schema) = count_per_window(&clock);
        let mut op = op.with_fire_at_end(false);
        op.process(&mut keys(&schema, &[1]), &mut out).unwrap();
        op.finish(&mut out).unwrap();
        assert_eq!(fired(&mut out), vec![]);
    }
    #[test]
    fn rows_take_the_slice_of_their_earliest_window() {
        // HOP(slide 2 s, size 6 s): each row has three windows; rows at 1 s and 4.5 s.
        let hop = WindowKind::Hop { slide: 2_000, size: 6_000, offset: 0 };
        let starts = [-4_000, -2_000, 0, 0, 2_000, 4_000];
        let ends = [2_000, 4_000, 6_000, 6_000, 8_000, 10_000];
        assert_eq!(slice_ends(&hop, &starts, &ends), [2_000, 2_000, 2_000, 6_000, 6_000, 6_000]);
        // CUMULATE(step 2 s, max 6 s): a row at 1 s (windows ending 2, 4, 6 s), one at 3 s
        // (4, 6 s), one at 5 s (6 s), then one at 13 s in the next window.
        let cumulate = WindowKind::Cumulate { step: 2_000, max_size: 6_000, offset: 0 };
        let starts = [0, 0, 0, 0, 0, 0, 12_000];
        let ends = [2_000, 4_000, 6_000, 4_000, 6_000, 6_000, 14_000];
        assert_eq!(slice_ends(&cumulate, &starts, &ends), [2_000, 2_000, 2_000, 4_000, 4_000, 6_000, 14_000]);
    }

    #[test]
    fn only_order_sensitive_aggregates_keep_slices() {
        for name in ["LISTAGG", "array_agg", "collect", "json_arrayagg"] {
            assert!(order_sensitive(name), "{name}");
        }
        for name in ["count", "sum", "max"] {
            assert!(!order_sensitive(name), "{name}");
        }
    }
}

#[cfg(test)]
mod restore_tests {
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
    use datafusion_physical_expr::aggregate::AggregateExprBuilder;
    use weir_runtime::ManualClock;

    use super::*;
    use crate::changelog::RowKind::Insert as I;
    use crate::stream::operator_harness::{columns, feed_keyed, restore_all, rows, sorted, Harness};

    /// A nullable millisecond timestamp field.
    pub(super) fn ts(name: &str) -> Field {
        Field::new(name, DataType::Timestamp(TimeUnit::Millisecond, None), true)
    }

    /// `(k, v, window_start, window_end)`.
    pub(super) fn input() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, true),
            Field::new("v", DataType::Int64, true),
            ts("window_start"),
            ts("window_end"),
        ]))
    }

    /// `SUM(v), COUNT(DISTINCT v) … GROUP BY k, window_start, window_end`.
    fn operator() -> WindowAggOperator {
        let input = input();
        let v = columns(&input, &[1]);
        let sum = AggregateExprBuilder::new(datafusion_functions_aggregate::sum::sum_udaf(), v.clone())
            .schema(input.clone())
            .alias("s")
            .build()
            .unwrap();
        let distinct = AggregateExprBuilder::new(datafusion_functions_aggregate::count::count_udaf(), v)
            .schema(input.clone())
            .alias("d")
            .with_distinct(true)
            .build()
            .unwrap();
        let calls = [sum, distinct].map(|f| AggCall { function: Arc::new(f), filter: None, plain: None }).to_vec();
        let out = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, true),
            ts("window_start"),
            ts("window_end"),
            Field::new("s", DataType::Int64, true),
            Field::new("d", DataType::Int64, false),
        ]));
        let keys = KeyEncoder::new(columns(&input, &[0]), &input).unwrap();
        WindowAggOperator::new(keys, 2, 3, vec![GroupColumn::Key(0), GroupColumn::Start, GroupColumn::End], calls, out)
    }

    /// Rows `(k, v)` in the window `[start, start + 10)`.
    fn batch(values: &[(i64, i64)], start: i64) -> Changes {
        let owned: Vec<[i64; 4]> = values.iter().map(|&(k, v)| [k, v, start, start + 10]).collect();
        let r: Vec<_> = owned.iter().map(|r| (I, r.as_slice())).collect();
        rows(&input(), &r)
    }

    #[test]
    fn restored_windows_fire_as_the_uninterrupted_ones() {
        let clock = ManualClock::new(0);
        let first: Vec<(i64, i64)> = (0..50).map(|i| (i % 7, i % 5)).collect();
        let mut reference = Harness::new(operator(), &clock);
        reference.feed(batch(&first, 0));
        reference.feed(batch(&first, 10));
        assert_eq!(reference.watermark(9).len(), 7, "the first window fires");
        let snapshot = reference.snapshot();
        let second: Vec<(i64, i64)> = (0..30).map(|i| (i % 11, i)).collect();
        let late = batch(&[(1, 1000)], 0);
        let expected = sorted(
            [reference.feed(batch(&second, 10)), reference.feed(late.clone()), reference.watermark(100)].concat(),
        );
        assert_eq!(expected.len(), 11);
        for parallelism in [1, 2, 3] {
            let mut restored = restore_all(operator, &clock, &snapshot, parallelism);
            let mut got = feed_keyed(&mut restored, &[0], batch(&second, 10));
            // Still late after the restore: the watermark came back with the state.
            got.extend(feed_keyed(&mut restored, &[0], late.clone()));
            for h in &mut restored {
                got.extend(h.watermark(100));
            }
            assert_eq!(sorted(got), expected, "at parallelism {parallelism}");
        }
    }

    /// `ARRAY_AGG(v) … GROUP BY k, window_start` over HOP(2 s, 4 s) windows.
    fn array_agg_over_hop() -> WindowAggOperator {
        let input = input();
        let agg = AggregateExprBuilder::new(
            datafusion_functions_aggregate::array_agg::array_agg_udaf(),
            columns(&input, &[1]),
        )
        .schema(input.clone())
        .alias("a")
        .build()
        .unwrap();
        let list = agg.field().data_type().clone();
        let out = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, true),
            ts("window_start"),
            Field::new("a", list, true),
        ]));
        let keys = KeyEncoder::new(columns(&input, &[0]), &input).unwrap();
        let calls = vec![AggCall { function: Arc::new(agg), filter: None, plain: None }];
        WindowAggOperator::new(keys, 2, 3, vec![GroupColumn::Key(0), GroupColumn::Start], calls, out)
            .with_window_kind(&WindowKind::Hop { slide: 2_000, size: 4_000, offset: 0 })
    }

    /// One row `(k, v)` at time `t` as the HOP(2 s, 4 s) TVF emits it: once per window,
    /// earliest end first.
    fn hop_row(k: i64, v: i64, t: i64) -> Changes {
        let slice_start = t - t.rem_euclid(2_000);
        let owned = [[k, v, slice_start - 2_000, slice_start + 2_000], [k, v, slice_start, slice_start + 4_000]];
        rows(&input(), &[(I, owned[0].as_slice()), (I, owned[1].as_slice())])
    }

    #[test]
    fn hop_windows_merge_their_slices_latest_first_across_a_restore() {
        // Flink 2.3: rows v=1 @0.1 s, v=2 @2.1 s, v=3 @1.5 s give [2, 1, 3] in [0 s, 4 s): the
        // slice [2 s, 4 s) first, then [0 s, 2 s) in arrival order.
        let clock = ManualClock::new(0);
        let mut reference = Harness::new(array_agg_over_hop(), &clock);
        reference.feed(hop_row(7, 1, 100));
        reference.feed(hop_row(7, 2, 2_100));
        let snapshot = reference.snapshot();
        reference.feed(hop_row(7, 3, 1_500));
        let expected = reference.watermark(10_000);
        assert!(expected.iter().any(|l| l.contains("[2, 1, 3]")), "{expected:?}");
        assert!(expected.iter().any(|l| l.contains("[1, 3]")), "{expected:?}");
        let mut restored = restore_all(array_agg_over_hop, &clock, &snapshot, 1);
        restored[0].feed(hop_row(7, 3, 1_500));
        assert_eq!(restored[0].watermark(10_000), expected);
    }
}

#[cfg(test)]
mod retraction_tests {
    use arrow::datatypes::{DataType, Field, Schema};
    use datafusion_physical_expr::aggregate::AggregateExprBuilder;
    use weir_runtime::ManualClock;

    use super::restore_tests::{input, ts};
    use super::*;
    use crate::changelog::RowKind::{self, Delete as D, Insert as I, UpdateAfter as UA, UpdateBefore as UB};
    use crate::stream::operator_harness::{columns, feed_keyed, restore_all, rows, sorted, Harness};

    /// `SUM(v), COUNT(v), MAX(v) … GROUP BY k, window_start` over an updating input.
    fn operator() -> WindowAggOperator {
        let input = input();
        let v = columns(&input, &[1]);
        let call = |udaf, alias: &str| {
            let f = AggregateExprBuilder::new(udaf, v.clone()).schema(input.clone()).alias(alias).build().unwrap();
            AggCall { function: Arc::new(f), filter: None, plain: None }
        };
        let calls = vec![
            call(datafusion_functions_aggregate::sum::sum_udaf(), "s"),
            call(datafusion_functions_aggregate::count::count_udaf(), "n"),
            call(datafusion_functions_aggregate::min_max::max_udaf(), "m"),
        ];
        let out = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, true),
            ts("window_start"),
            Field::new("s", DataType::Int64, true),
            Field::new("n", DataType::Int64, false),
            Field::new("m", DataType::Int64, true),
        ]));
        let keys = KeyEncoder::new(columns(&input, &[0]), &input).unwrap();
        WindowAggOperator::new(keys, 2, 3, vec![GroupColumn::Key(0), GroupColumn::Start], calls, out)
            .with_retraction(true)
    }

    /// Changes `(kind, k, v)` in the window `[start, start + 10)`.
    fn changes(values: &[(RowKind, i64, i64)], start: i64) -> Changes {
        let owned: Vec<(RowKind, [i64; 4])> =
            values.iter().map(|&(kind, k, v)| (kind, [k, v, start, start + 10])).collect();
        let r: Vec<_> = owned.iter().map(|(kind, r)| (*kind, r.as_slice())).collect();
        rows(&input(), &r)
    }

    #[test]
    fn retractions_take_their_rows_back_and_an_emptied_group_emits_nothing() {
        let clock = ManualClock::new(0);
        let mut h = Harness::new(operator(), &clock);
        assert!(h.feed(changes(&[(I, 1, 5), (I, 1, 7), (I, 2, 3)], 0)).is_empty());
        // The 7 becomes a 9, and key 2 loses its only row.
        h.feed(changes(&[(UB, 1, 7), (UA, 1, 9), (D, 2, 3)], 0));
        // A retraction of a row never seen takes nothing back.
        h.feed(changes(&[(D, 3, 4), (I, 3, 4)], 0));
        let fired = sorted(h.watermark(9));
        assert_eq!(fired.len(), 2, "{fired:?}");
        assert!(fired[0].starts_with("+I[1, ") && fired[0].ends_with(", 14, 2, 9]"), "{fired:?}");
        assert!(fired[1].starts_with("+I[3, ") && fired[1].ends_with(", 4, 1, 4]"), "{fired:?}");
        // A retraction for a window already fired is late: dropped.
        assert!(h.feed(changes(&[(D, 1, 5)], 0)).is_empty());
        assert!(h.watermark(100).is_empty());
    }

    #[test]
    fn retracting_windows_restore_at_any_parallelism() {
        let clock = ManualClock::new(0);
        let mut reference = Harness::new(operator(), &clock);
        let first: Vec<(RowKind, i64, i64)> = (0..40).map(|i| (I, i % 7, i)).collect();
        reference.feed(changes(&first, 0));
        reference.feed(changes(&first, 10));
        let snapshot = reference.snapshot();
        // Take back every row of keys 0 and 1 in the first window, and one of key 2.
        let second: Vec<(RowKind, i64, i64)> =
            (0..40).filter(|i| i % 7 < 2 || *i == 2).map(|i| (D, i % 7, i)).collect();
        let expected = sorted([reference.feed(changes(&second, 0)), reference.watermark(100)].concat());
        assert_eq!(expected.len(), 5 + 7, "{expected:?}");
        for parallelism in [1, 2, 3] {
            let mut restored = restore_all(operator, &clock, &snapshot, parallelism);
            let mut got = feed_keyed(&mut restored, &[0], changes(&second, 0));
            for h in &mut restored {
                got.extend(h.watermark(100));
            }
            assert_eq!(sorted(got), expected, "at parallelism {parallelism}");
        }
    }
}
