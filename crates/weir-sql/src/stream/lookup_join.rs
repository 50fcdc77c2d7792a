//! Lookup join (`JOIN t FOR SYSTEM_TIME AS OF s.proctime AS d ON s.k = d.k`): each row of
//! the probe side is joined, when it arrives, with the rows of a dimension table that match
//! its key. The output is insert-only, and the probe side needs no exchange. Where the
//! dimension rows come from:
//! * a bounded table is read whole before the first probe row is joined ([`LookupTable`])
//!   and does not change afterwards ([`LookupJoinOperator`]);
//! * a `jdbc` table is queried: the distinct keys of each probe batch not in the cache are
//!   looked up in one statement, and the answers kept by the cache until they expire
//!   (Flink's `lookup.cache`), so changes in the database are seen after expiry
//!   ([`JdbcLookupJoinOperator`]).
//!
//! A batch is joined with Arrow kernels: its keys are encoded once, the matching table
//! rows found by hash, and the output taken from both sides by index; conditions of `ON`
//! besides the key equalities are evaluated over the joined candidates. In a `LEFT` join a
//! probe row without a match that passes them is padded with NULLs.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch, UInt32Array};
use arrow::datatypes::SchemaRef;
use datafusion_physical_expr::PhysicalExpr;
use weir_core::StreamRecord;
use weir_runtime::{BoxError, Emitter, Operator};

use super::batch::{to_array, Changes};
use super::exchange::KeyEncoder;
use crate::stream::KeyMap;

/// A dimension table, whole, indexed by its join key.
pub struct LookupTable {
    rows: RecordBatch,
    /// Encoded key → the rows holding it, in table order (rows with a NULL key are left
    /// out: NULL equals nothing).
    index: KeyMap<Vec<u32>>,
}

impl LookupTable {
    /// The table `rows` (one or more batches of one schema) keyed by `keys`.
    pub fn new(schema: SchemaRef, batches: &[RecordBatch], keys: &KeyEncoder) -> Result<Self, BoxError> {
        let rows = arrow::compute::concat_batches(&schema, batches)?;
        let encoded = keys.encode(&rows)?;
        let key_columns = keys_null_mask(keys, &rows)?;
        let mut index: KeyMap<Vec<u32>> = KeyMap::default();
        for i in 0..rows.num_rows() {
            if key_columns.as_ref().is_some_and(|nulls| !nulls.value(i)) {
                continue;
            }
            let key = encoded.row(i);
            match index.get_mut(key.as_ref()) {
                Some(matches) => matches.push(i as u32),
                None => {
                    index.insert(key.as_ref().into(), vec![i as u32]);
                }
            }
        }
        Ok(LookupTable { rows, index })
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.rows.num_rows()
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.num_rows() == 0
    }
}

/// `true` where every key of `batch` is set; `None` when no key is NULL anywhere.
fn keys_null_mask(keys: &KeyEncoder, batch: &RecordBatch) -> Result<Option<BooleanArray>, BoxError> {
    let mut mask: Option<BooleanArray> = None;
    for e in keys.exprs() {
        let column = to_array(e.evaluate(batch)?, batch.num_rows())?;
        if column.null_count() == 0 {
            continue;
        }
        let set = arrow::compute::is_not_null(&column)?;
        mask = Some(match mask {
            Some(m) => arrow::compute::and(&m, &set)?,
            None => set,
        });
    }
    Ok(mask)
}

/// Joins probe rows with a [`LookupTable`] as they arrive.
pub struct LookupJoinOperator {
    table: Arc<LookupTable>,
    join: ProbeJoin,
}

/// How probe rows meet table rows: keys, condition, join kind, output schema.
pub struct ProbeJoin {
    probe_keys: KeyEncoder,
    /// Conditions of `ON` besides the key equalities, over the output columns.
    residual: Option<Arc<dyn PhysicalExpr>>,
    /// `LEFT` join: probe rows without a match are padded with NULLs.
    left: bool,
    /// Probe columns, then table columns.
    schema: SchemaRef,
}

impl LookupJoinOperator {
    /// A join of probe rows keyed by `probe_keys` with `table`; `left` for a `LEFT` join;
    /// output `schema` is the probe's columns followed by the table's.
    pub fn new(
        table: Arc<LookupTable>,
        probe_keys: KeyEncoder,
        residual: Option<Arc<dyn PhysicalExpr>>,
        left: bool,
        schema: SchemaRef,
    ) -> Self {
        LookupJoinOperator { table, join: ProbeJoin::new(probe_keys, residual, left, schema) }
    }

    /// The joined rows of one probe batch; `None` when there are none.
    pub fn join(&self, probe: &RecordBatch) -> Result<Option<RecordBatch>, BoxError> {
        self.join.join(&self.table, probe)
    }
}

impl ProbeJoin {
    /// Probe rows keyed by `probe_keys`; `residual`: the conditions of `ON` besides the
    /// key equalities; `left` for a `LEFT` join; output `schema`: the probe's columns
    /// followed by the table's.
    pub fn new(probe_keys: KeyEncoder, residual: Option<Arc<dyn PhysicalExpr>>, left: bool, schema: SchemaRef) -> Self {
        ProbeJoin { probe_keys, residual, left, schema }
    }

    /// The joined rows of `probe` with `table`; `None` when there are none.
    pub fn join(&self, table: &LookupTable, probe: &RecordBatch) -> Result<Option<RecordBatch>, BoxError> {
        let n = probe.num_rows();
        let encoded = self.probe_keys.encode(probe)?;
        let set = keys_null_mask(&self.probe_keys, probe)?;
        // Candidate pairs (probe row, table row), probe rows in order.
        let mut probe_idx: Vec<u32> = Vec::with_capacity(n);
        let mut table_idx: Vec<Option<u32>> = Vec::with_capacity(n);
        for i in 0..n {
            let matches =
                if set.as_ref().is_some_and(|s| !s.value(i)) { None } else { table.index.get(encoded.row(i).as_ref()) };
            match matches {
                Some(rows) => {
                    for &r in rows {
                        probe_idx.push(i as u32);
                        table_idx.push(Some(r));
                    }
                }
                None if self.left => {
                    probe_idx.push(i as u32);
                    table_idx.push(None);
                }
                None => {}
            }
        }
        let mut joined = self.take(table, probe, &probe_idx, &table_idx)?;
        if let Some(residual) = &self.residual {
            if joined.num_rows() == 0 {
                return Ok(None);
            }
            let mask = to_array(residual.evaluate(&joined)?, joined.num_rows())?;
            let mask = mask.as_any().downcast_ref::<BooleanArray>().ok_or("a join condition must be boolean")?;
            // NULL counts as false.
            let mask = if mask.null_count() > 0 { arrow::compute::prep_null_mask_filter(mask) } else { mask.clone() };
            if self.left {
                // A probe row keeps its padded row, and only it, when no candidate passes
                // (an unmatched row's candidate is its padded row, which always stays).
                let mut passed = vec![false; n];
                for (k, &i) in probe_idx.iter().enumerate() {
                    if mask.value(k) && table_idx[k].is_some() {
                        passed[i as usize] = true;
                    }
                }
                let mut keep_probe = Vec::with_capacity(probe_idx.len());
                let mut keep_table = Vec::with_capacity(probe_idx.len());
                let mut padded = vec![false; n];
                for (k, &i) in probe_idx.iter().enumerate() {
                    if table_idx[k].is_some() && mask.value(k) {
                        keep_probe.push(i);
                        keep_table.push(table_idx[k]);
                    } else if !passed[i as usize] && !padded[i as usize] {
                        padded[i as usize] = true;
                        keep_probe.push(i);
                        keep_table.push(None);
                    }
                }
                joined = self.take(table, probe, &keep_probe, &keep_table)?;
            } else {
                joined = arrow::compute::filter_record_batch(&joined, &mask)?;
            }
        }
        Ok((joined.num_rows() > 0).then_some(joined))
    }

    fn take(
        &self,
        table: &LookupTable,
        probe: &RecordBatch,
        probe_idx: &[u32],
        table_idx: &[Option<u32>],
    ) -> Result<RecordBatch, BoxError> {
        let probe_idx = UInt32Array::from(probe_idx.to_vec());
        let table_idx = UInt32Array::from(table_idx.to_vec());
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(self.schema.fields().len());
        for c in probe.columns() {
            columns.push(arrow::compute::take(c.as_ref(), &probe_idx, None)?);
        }
        for c in table.rows.columns() {
            columns.push(arrow::compute::take(c.as_ref(), &table_idx, None)?);
        }
        let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(probe_idx.len()));
        Ok(RecordBatch::try_new_with_options(self.schema.clone(), columns, &options)?)
    }
}

impl Operator for LookupJoinOperator {
    type In = Changes;
    type Out = Changes;

    fn process(&mut self, batch: &mut Vec<StreamRecord<Changes>>, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        for record in batch.drain(..) {
            if let Some(rows) = self.join(&record.value.rows)? {
                out.emit(StreamRecord { value: Changes::inserts(rows), timestamp: record.timestamp });
            }
        }
        Ok(())
    }
}

/// One step from a `jdbc` dimension table's rows to the rows the join sees: the
/// projections and filters the query puts over the table.
#[derive(Clone)]
pub enum DimStep {
    /// Computes these columns (of `schema`).
    Project(Vec<Arc<dyn PhysicalExpr>>, SchemaRef),
    /// Keeps the rows where the condition holds.
    Filter(Arc<dyn PhysicalExpr>),
}

/// What a [`JdbcLookupJoinOperator`] is built from (cloned into each subtask).
#[derive(Clone)]
pub struct JdbcLookupPlan {
    /// The probe key expressions, each with the type of the table column it is looked up in.
    pub probe_to_table: Vec<(Arc<dyn PhysicalExpr>, arrow::datatypes::DataType)>,
    /// The table columns looked up by (indexes in the table's columns), in key order.
    pub lookup_columns: Vec<usize>,
    /// The table's physical columns, as the database rows come.
    pub table_schema: SchemaRef,
    /// From the table's rows to the join's right side.
    pub steps: Vec<DimStep>,
    /// The join's right side.
    pub right_schema: SchemaRef,
    /// The key expressions over the right side (typed as the probe keys).
    pub right_keys: Vec<Arc<dyn PhysicalExpr>>,
}

/// Joins probe rows with the rows of a `jdbc` table, queried per batch and cached.
pub struct JdbcLookupJoinOperator {
    plan: JdbcLookupPlan,
    join: ProbeJoin,
    right_keys: KeyEncoder,
    lookup: weir_connectors::jdbc::JdbcLookup,
    cache: Option<weir_connectors::jdbc::LookupCache>,
    clock: Arc<dyn weir_runtime::Clock>,
}

impl JdbcLookupJoinOperator {
    /// The join of probe rows with the table `lookup` reads, by `plan`, answers kept in
    /// `cache` (none: every batch queries) by the times of `clock`.
    pub fn new(
        plan: JdbcLookupPlan,
        join: ProbeJoin,
        lookup: weir_connectors::jdbc::JdbcLookup,
        cache: Option<weir_connectors::jdbc::LookupCache>,
        clock: Arc<dyn weir_runtime::Clock>,
    ) -> Result<Self, BoxError> {
        let right_keys = KeyEncoder::new(plan.right_keys.clone(), &plan.right_schema)?;
        Ok(JdbcLookupJoinOperator { plan, join, right_keys, lookup, cache, clock })
    }

    /// The table rows (all columns) of the keys of `probe`: from the cache, the others
    /// queried at once.
    fn table_rows(&mut self, probe: &RecordBatch) -> Result<Vec<weir_connectors::jdbc::JdbcRow>, BoxError> {
        use weir_connectors::jdbc::{JdbcRow, JdbcValue};
        let n = probe.num_rows();
        let mut keys: Vec<JdbcRow> = vec![Vec::with_capacity(self.plan.probe_to_table.len()); n];
        for (expr, data_type) in &self.plan.probe_to_table {
            let column = super::batch::cast_to(to_array(expr.evaluate(probe)?, n)?, data_type)?;
            crate::connectors::jdbc::append_values(&column, &mut keys)?;
        }
        let now = self.clock.now_ms();
        let mut seen: HashMap<Vec<u8>, ()> = HashMap::new();
        let mut rows: Vec<JdbcRow> = Vec::new();
        let mut missing: Vec<(Vec<u8>, JdbcRow)> = Vec::new();
        for key in keys {
            if key.contains(&JdbcValue::Null) {
                continue; // NULL equals nothing.
            }
            let mut encoded = Vec::new();
            key.iter().for_each(|v| v.write_key(&mut encoded));
            if seen.insert(encoded.clone(), ()).is_some() {
                continue;
            }
            match self.cache.as_mut().and_then(|c| c.get(&encoded, now)) {
                Some(cached) => rows.extend(cached.iter().cloned()),
                None => missing.push((encoded, key)),
            }
        }
        if missing.is_empty() {
            return Ok(rows);
        }
        let asked: Vec<JdbcRow> = missing.iter().map(|(_, k)| k.clone()).collect();
        let fetched = self.lookup.lookup(&asked)?;
        match &mut self.cache {
            None => rows.extend(fetched),
            Some(cache) => {
                let mut by_key: HashMap<Vec<u8>, Vec<JdbcRow>> = HashMap::new();
                for row in fetched {
                    let mut encoded = Vec::new();
                    self.plan.lookup_columns.iter().for_each(|&i| row[i].write_key(&mut encoded));
                    by_key.entry(encoded).or_default().push(row);
                }
                for (encoded, _) in missing {
                    let found = by_key.remove(&encoded).unwrap_or_default();
                    rows.extend(found.iter().cloned());
                    cache.put(encoded, found, now);
                }
            }
        }
        Ok(rows)
    }

    /// The joined rows of one probe batch; `None` when there are none.
    pub fn join(&mut self, probe: &RecordBatch) -> Result<Option<RecordBatch>, BoxError> {
        let rows = self.table_rows(probe)?;
        let mut batch = crate::connectors::jdbc::rows_to_batch(&rows, &self.plan.table_schema)?;
        for step in &self.plan.steps {
            batch = match step {
                DimStep::Project(exprs, schema) => {
                    let n = batch.num_rows();
                    let columns =
                        exprs.iter().map(|e| to_array(e.evaluate(&batch)?, n)).collect::<Result<Vec<_>, _>>()?;
                    let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(n));
                    RecordBatch::try_new_with_options(schema.clone(), columns, &options)?
                }
                DimStep::Filter(condition) => {
                    let mask = to_array(condition.evaluate(&batch)?, batch.num_rows())?;
                    let mask = mask.as_any().downcast_ref::<BooleanArray>().ok_or("a filter must be boolean")?;
                    arrow::compute::filter_record_batch(&batch, mask)?
                }
            };
        }
        let batch = RecordBatch::try_new_with_options(
            self.plan.right_schema.clone(),
            batch.columns().to_vec(),
            &arrow::array::RecordBatchOptions::new().with_row_count(Some(batch.num_rows())),
        )?;
        let table = LookupTable::new(self.plan.right_schema.clone(), &[batch], &self.right_keys)?;
        self.join.join(&table, probe)
    }
}

impl Operator for JdbcLookupJoinOperator {
    type In = Changes;
    type Out = Changes;

    fn process(&mut self, batch: &mut Vec<StreamRecord<Changes>>, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        for record in batch.drain(..) {
            if let Some(rows) = self.join(&record.value.rows)? {
                out.emit(StreamRecord { value: Changes::inserts(rows), timestamp: record.timestamp });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use datafusion_expr::Operator as BinaryOp;
    use datafusion_physical_expr::expressions::{binary, lit, Column};

    fn dim() -> (SchemaRef, RecordBatch) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, true),
            Field::new("name", DataType::Utf8, true),
        ]));
        let rows = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from(vec![Some(1), Some(2), Some(2), None])),
                Arc::new(StringArray::from(vec!["one", "two", "deux", "none"])),
            ],
        )
        .unwrap();
        (schema, rows)
    }

    fn probe() -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, true),
            Field::new("v", DataType::Int64, false),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(vec![Some(2), Some(3), None, Some(1)])),
                Arc::new(Int64Array::from(vec![20, 30, 0, 10])),
            ],
        )
        .unwrap()
    }

    /// The join; `excluded`: the condition `name <> excluded`.
    fn operator(left: bool, excluded: Option<&'static str>) -> LookupJoinOperator {
        let (dim_schema, rows) = dim();
        let key = |i| Arc::new(Column::new("k", i)) as Arc<dyn PhysicalExpr>;
        let table = LookupTable::new(dim_schema.clone(), &[rows], &KeyEncoder::new(vec![key(0)], &dim_schema).unwrap())
            .unwrap();
        let probe = probe();
        let mut fields: Vec<Field> = probe.schema().fields().iter().map(|f| f.as_ref().clone()).collect();
        fields.extend(dim_schema.fields().iter().map(|f| f.as_ref().clone().with_nullable(true)));
        let schema = Arc::new(Schema::new(fields));
        let residual =
            excluded.map(|x| binary(Arc::new(Column::new("name", 3)), BinaryOp::NotEq, lit(x), &schema).unwrap());
        LookupJoinOperator::new(
            Arc::new(table),
            KeyEncoder::new(vec![key(0)], &probe.schema()).unwrap(),
            residual,
            left,
            schema,
        )
    }

    fn rows(batch: Option<RecordBatch>) -> Vec<String> {
        let Some(batch) = batch else { return Vec::new() };
        let v = batch.column(1).as_any().downcast_ref::<Int64Array>().unwrap();
        let name = batch.column(3).as_any().downcast_ref::<StringArray>().unwrap();
        (0..batch.num_rows())
            .map(|i| format!("{}:{}", v.value(i), if name.is_null(i) { "NULL" } else { name.value(i) }))
            .collect()
    }

    #[test]
    fn joins_each_probe_row_with_its_matches() {
        struct Case {
            name: &'static str,
            left: bool,
            excluded: Option<&'static str>,
            expected: Vec<&'static str>,
        }
        let cases = [
            Case { name: "inner", left: false, excluded: None, expected: vec!["20:two", "20:deux", "10:one"] },
            Case {
                name: "left: unmatched and NULL keys padded",
                left: true,
                excluded: None,
                expected: vec!["20:two", "20:deux", "30:NULL", "0:NULL", "10:one"],
            },
            Case {
                name: "inner with a condition",
                left: false,
                excluded: Some("deux"),
                expected: vec!["20:two", "10:one"],
            },
            Case {
                name: "left with a condition",
                left: true,
                excluded: Some("deux"),
                expected: vec!["20:two", "30:NULL", "0:NULL", "10:one"],
            },
        ];
        for case in cases {
            let op = operator(case.left, case.excluded);
            assert_eq!(rows(op.join(&probe()).unwrap()), case.expected, "{}", case.name);
        }
    }

    #[test]
    fn left_join_pads_a_row_whose_matches_all_fail_the_condition() {
        let op = operator(true, Some("one"));
        assert_eq!(rows(op.join(&probe()).unwrap()), vec!["20:two", "20:deux", "30:NULL", "0:NULL", "10:NULL"]);
        let op = operator(false, Some("one"));
        assert_eq!(rows(op.join(&probe()).unwrap()), vec!["20:two", "20:deux"]);
        assert_eq!(op.table.len(), 4);
    }
}
