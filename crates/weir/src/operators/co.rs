//! Two-input operators over `Either<A, B>`: co-map, co-flat-map, co-process.

use std::marker::PhantomData;

use weir_core::{Either, StreamRecord};
use weir_runtime::{BoxError, Emitter, Operator, SubtaskInfo};

use crate::functions::{CoProcessFunction, Collector, Context};

/// `map(f1, f2)` on connected streams.
pub struct CoMapOperator<A, B, O, F1, F2> {
    f1: F1,
    f2: F2,
    _t: PhantomData<fn(A, B) -> O>,
}

impl<A, B, O, F1, F2> CoMapOperator<A, B, O, F1, F2> {
    /// Maps the first input with `f1`, the second with `f2`.
    pub fn new(f1: F1, f2: F2) -> Self {
        CoMapOperator { f1, f2, _t: PhantomData }
    }
}

impl<A, B, O, F1, F2> Operator for CoMapOperator<A, B, O, F1, F2>
where
    A: Send + 'static,
    B: Send + 'static,
    O: Send + 'static,
    F1: FnMut(A) -> O + Send + 'static,
    F2: FnMut(B) -> O + Send + 'static,
{
    type In = Either<A, B>;
    type Out = O;

    fn process(&mut self, batch: &mut Vec<StreamRecord<Either<A, B>>>, out: &mut Emitter<O>) -> Result<(), BoxError> {
        let (f1, f2) = (&mut self.f1, &mut self.f2);
        out.records().extend(batch.drain(..).map(|r| StreamRecord {
            value: match r.value {
                Either::Left(a) => f1(a),
                Either::Right(b) => f2(b),
            },
            timestamp: r.timestamp,
        }));
        Ok(())
    }
}

/// `flat_map(f1, f2)` on connected streams.
pub struct CoFlatMapOperator<A, B, O, F1, F2> {
    f1: F1,
    f2: F2,
    _t: PhantomData<fn(A, B) -> O>,
}

impl<A, B, O, F1, F2> CoFlatMapOperator<A, B, O, F1, F2> {
    /// Flat-maps the first input with `f1`, the second with `f2`.
    pub fn new(f1: F1, f2: F2) -> Self {
        CoFlatMapOperator { f1, f2, _t: PhantomData }
    }
}

impl<A, B, O, F1, F2> Operator for CoFlatMapOperator<A, B, O, F1, F2>
where
    A: Send + 'static,
    B: Send + 'static,
    O: Send + 'static,
    F1: FnMut(A, &mut Collector<'_, O>) + Send + 'static,
    F2: FnMut(B, &mut Collector<'_, O>) + Send + 'static,
{
    type In = Either<A, B>;
    type Out = O;

    fn process(&mut self, batch: &mut Vec<StreamRecord<Either<A, B>>>, out: &mut Emitter<O>) -> Result<(), BoxError> {
        let records = out.records();
        for r in batch.drain(..) {
            let mut c = Collector::new(records, r.timestamp);
            match r.value {
                Either::Left(a) => (self.f1)(a, &mut c),
                Either::Right(b) => (self.f2)(b, &mut c),
            }
        }
        Ok(())
    }
}

/// Drives a [`CoProcessFunction`].
pub struct CoProcessOperator<A, B, O, P> {
    function: P,
    subtask: SubtaskInfo,
    _t: PhantomData<fn(A, B) -> O>,
}

impl<A, B, O, P> CoProcessOperator<A, B, O, P> {
    /// Runs `function` as `subtask`.
    pub fn new(function: P, subtask: SubtaskInfo) -> Self {
        CoProcessOperator { function, subtask, _t: PhantomData }
    }
}

impl<A, B, O, P> Operator for CoProcessOperator<A, B, O, P>
where
    A: Send + 'static,
    B: Send + 'static,
    O: Send + 'static,
    P: CoProcessFunction<A, B, O>,
{
    type In = Either<A, B>;
    type Out = O;

    fn open(&mut self, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        self.function.open(subtask)
    }

    fn process(&mut self, batch: &mut Vec<StreamRecord<Either<A, B>>>, out: &mut Emitter<O>) -> Result<(), BoxError> {
        let (records, sides) = out.parts();
        for r in batch.drain(..) {
            let mut ctx = Context { timestamp: r.timestamp, sides, subtask: &self.subtask };
            let mut c = Collector::new(records, r.timestamp);
            match r.value {
                Either::Left(a) => self.function.process_element1(a, &mut ctx, &mut c)?,
                Either::Right(b) => self.function.process_element2(b, &mut ctx, &mut c)?,
            }
        }
        Ok(())
    }
}
