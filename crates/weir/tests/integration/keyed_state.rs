//! End to end: `key_by` + `KeyedProcessFunction` with `ValueState`, `ListState` and
//! `MapState` — every key sees only its own state, across many keys and at parallelism
//! 1, 2 and 4, and all records of a key are processed by one subtask.

use crate::harness;

use std::collections::BTreeMap;

use harness::{group_by_first, run};
use weir::functions::RuntimeContext;
use weir::prelude::*;

/// Per record of key `k` with value `v`, emits what the three states hold for `k` after
/// the record: the count (value state), the sum and length of the history (list state),
/// and how many values of each residue mod 3 were seen (map state), sorted.
#[derive(Clone, Default)]
struct ThreeStates {
    subtask: usize,
    count: Option<ValueState<u64>>,
    history: Option<ListState<i64>>,
    residues: Option<MapState<i64, u32>>,
}

#[derive(Debug, Clone, PartialEq)]
struct Snapshot {
    subtask: usize,
    count: u64,
    history_len: usize,
    history_sum: i64,
    residues: Vec<(i64, u32)>,
}

impl KeyedProcessFunction<String, (String, i64), (String, Snapshot)> for ThreeStates {
    fn open(&mut self, ctx: &mut RuntimeContext<String>) -> Result<(), BoxError> {
        self.subtask = ctx.subtask().index;
        self.count = Some(ctx.get_state(&ValueStateDescriptor::new("count"))?);
        self.history = Some(ctx.get_list_state(&ListStateDescriptor::new("history"))?);
        self.residues = Some(ctx.get_map_state(&MapStateDescriptor::new("residues"))?);
        Ok(())
    }

    fn process_element(
        &mut self,
        (key, v): (String, i64),
        ctx: &mut KeyedContext<String>,
        out: &mut Collector<(String, Snapshot)>,
    ) -> Result<(), BoxError> {
        assert_eq!(ctx.current_key(), &key, "the context's key is the record's key");
        let (count, history, residues) =
            (self.count.expect("opened"), self.history.expect("opened"), self.residues.expect("opened"));
        let n = count.value(ctx)?.unwrap_or(0) + 1;
        count.update(ctx, n)?;
        history.add(ctx, v)?;
        let r = v.rem_euclid(3);
        let seen = residues.get(ctx, &r)?.unwrap_or(0);
        residues.put(ctx, r, seen + 1)?;
        let list = history.get(ctx)?;
        let mut entries = residues.entries(ctx)?;
        entries.sort();
        out.collect((
            key,
            Snapshot {
                subtask: self.subtask,
                count: n,
                history_len: list.len(),
                history_sum: list.iter().sum(),
                residues: entries,
            },
        ));
        Ok(())
    }
}

/// 200 keys, 6 records each, interleaved: record `j` of key `k` has value `k * 10 + j`.
fn input() -> Vec<(String, i64)> {
    let mut records = Vec::new();
    for j in 0..6i64 {
        for k in 0..200i64 {
            records.push((format!("key-{k}"), k * 10 + j));
        }
    }
    records
}

/// What key `k` must show after its record `j`, from the definition of the states.
fn expected_after(k: i64, j: i64) -> (u64, usize, i64, Vec<(i64, u32)>) {
    let values: Vec<i64> = (0..=j).map(|i| k * 10 + i).collect();
    let mut residues: BTreeMap<i64, u32> = BTreeMap::new();
    for v in &values {
        *residues.entry(v.rem_euclid(3)).or_default() += 1;
    }
    ((j + 1) as u64, values.len(), values.iter().sum(), residues.into_iter().collect())
}

fn check_isolation(parallelism: usize) {
    check_isolation_in(StreamExecutionEnvironment::new().with_parallelism(parallelism), parallelism);
}

fn check_isolation_in(env: StreamExecutionEnvironment, parallelism: usize) {
    let got =
        env.from_collection(input()).key_by(|r: &(String, i64)| r.0.clone()).process(ThreeStates::default()).collect();
    run(&env, "three states");
    let groups = group_by_first(&got.take());
    assert_eq!(groups.len(), 200, "p={parallelism}");
    let mut subtasks_used = std::collections::BTreeSet::new();
    for k in 0..200i64 {
        let snapshots = &groups[&format!("key-{k}")];
        assert_eq!(snapshots.len(), 6, "p={parallelism} key-{k}");
        let owner = snapshots[0].subtask;
        subtasks_used.insert(owner);
        for (j, s) in snapshots.iter().enumerate() {
            let (count, len, sum, residues) = expected_after(k, j as i64);
            assert_eq!(s.subtask, owner, "p={parallelism} key-{k}: one subtask processes all of a key");
            assert_eq!(
                (s.count, s.history_len, s.history_sum, &s.residues),
                (count, len, sum, &residues),
                "p={parallelism} key-{k} record {j}"
            );
        }
    }
    assert_eq!(subtasks_used.len(), parallelism, "200 keys spread over every subtask at p={parallelism}");
}

#[test]
fn keyed_state_is_isolated_per_key_at_parallelism_1() {
    check_isolation(1);
}

#[test]
fn keyed_state_is_isolated_per_key_at_parallelism_2() {
    check_isolation(2);
}

#[test]
fn keyed_state_is_isolated_per_key_at_parallelism_4() {
    check_isolation(4);
}

#[test]
fn keyed_state_is_isolated_per_key_when_many_keys_share_a_key_group() {
    // 4 key groups over 4 subtasks: about 50 keys in every key group
    check_isolation_in(StreamExecutionEnvironment::new().with_parallelism(4).with_max_parallelism(4), 4);
}

#[test]
fn declaring_one_state_name_twice_with_different_kinds_fails_the_job() {
    #[derive(Clone)]
    struct Conflicting;
    impl KeyedProcessFunction<u32, u32, u32> for Conflicting {
        fn open(&mut self, ctx: &mut RuntimeContext<u32>) -> Result<(), BoxError> {
            ctx.get_state::<u64>(&ValueStateDescriptor::new("x"))?;
            ctx.get_list_state::<u64>(&ListStateDescriptor::new("x"))?;
            Ok(())
        }
        fn process_element(
            &mut self,
            v: u32,
            _ctx: &mut KeyedContext<u32>,
            out: &mut Collector<u32>,
        ) -> Result<(), BoxError> {
            out.collect(v);
            Ok(())
        }
    }
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    env.from_collection(vec![1u32, 2]).key_by(|v: &u32| *v).process(Conflicting).name("conflict").collect();
    let err = harness::run_expecting_failure(&env, "conflicting state", harness::DEADLINE).to_string();
    assert!(err.contains("conflict (") && err.contains("state 'x' is already declared"), "{err}");
}

/// Emits each key's previous value, then clears the state every third record — state
/// cleared for one key stays set for the others.
#[derive(Clone, Default)]
struct PreviousThenClear {
    last: Option<ValueState<i64>>,
    list: Option<ListState<i64>>,
    seen: Option<ValueState<u32>>,
}

impl KeyedProcessFunction<u32, (u32, i64), (u32, Option<i64>, Vec<i64>)> for PreviousThenClear {
    fn open(&mut self, ctx: &mut RuntimeContext<u32>) -> Result<(), BoxError> {
        self.last = Some(ctx.get_state(&ValueStateDescriptor::new("last"))?);
        self.list = Some(ctx.get_list_state(&ListStateDescriptor::new("list"))?);
        self.seen = Some(ctx.get_state(&ValueStateDescriptor::new("seen"))?);
        Ok(())
    }

    fn process_element(
        &mut self,
        (k, v): (u32, i64),
        ctx: &mut KeyedContext<u32>,
        out: &mut Collector<(u32, Option<i64>, Vec<i64>)>,
    ) -> Result<(), BoxError> {
        let (last, list, seen) = (self.last.expect("opened"), self.list.expect("opened"), self.seen.expect("opened"));
        let n = seen.value(ctx)?.unwrap_or(0) + 1;
        seen.update(ctx, n)?;
        out.collect((k, last.value(ctx)?, list.get(ctx)?));
        if n % 3 == 0 {
            last.clear(ctx)?;
            list.clear(ctx)?;
        } else {
            last.update(ctx, v)?;
            list.add(ctx, v)?;
        }
        Ok(())
    }
}

#[test]
fn clearing_one_keys_state_leaves_other_keys_alone() {
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    // keys 1 and 2 interleaved: 1→10, 2→20, 1→11, 2→21, …
    let input: Vec<(u32, i64)> = (0..5i64).flat_map(|j| [(1u32, 10 + j), (2u32, 20 + j)]).collect();
    let got = env.from_collection(input).key_by(|r: &(u32, i64)| r.0).process(PreviousThenClear::default()).collect();
    run(&env, "clear");
    let groups = group_by_first(&got.take().into_iter().map(|(k, prev, list)| (k, (prev, list))).collect::<Vec<_>>());
    // key 1 sees 10, 11, 12 (3rd: clears), 13, 14
    assert_eq!(
        groups[&1],
        vec![(None, vec![]), (Some(10), vec![10]), (Some(11), vec![10, 11]), (None, vec![]), (Some(13), vec![13])]
    );
    assert_eq!(
        groups[&2],
        vec![(None, vec![]), (Some(20), vec![20]), (Some(21), vec![20, 21]), (None, vec![]), (Some(23), vec![23])]
    );
}

#[test]
fn keyed_process_fn_closure_sees_the_current_key() {
    let env = StreamExecutionEnvironment::new().with_parallelism(3);
    let got = env
        .from_sequence(1, 30)
        .key_by(|x: &i64| x % 4)
        .process(KeyedProcessFn::new(|x: i64, ctx: &mut KeyedContext<i64>, out: &mut Collector<(i64, i64)>| {
            out.collect((*ctx.current_key(), x));
            Ok(())
        }))
        .collect();
    run(&env, "keyed process fn");
    let got = got.take();
    assert_eq!(got.len(), 30);
    assert!(got.iter().all(|(k, x)| *k == x % 4), "{got:?}");
}
