//! [`ProcessFunction`]: the most general per-record function on a (non-keyed) stream.

use weir_core::record::NO_TIMESTAMP;
use weir_core::StreamRecord;
use weir_runtime::{BoxError, SideOutputs, SubtaskInfo};

use crate::functions::Collector;
use crate::OutputTag;

/// What a process function knows about the record it processes.
pub struct Context<'a> {
    pub(crate) timestamp: i64,
    pub(crate) sides: &'a mut SideOutputs,
    pub(crate) subtask: &'a SubtaskInfo,
}

impl Context<'_> {
    /// The record's event-time timestamp, if it has one.
    pub fn timestamp(&self) -> Option<i64> {
        (self.timestamp != NO_TIMESTAMP).then_some(self.timestamp)
    }

    /// Emits `value` to the side output `tag` (dropped when nobody reads that output).
    pub fn output<X: 'static>(&mut self, tag: &OutputTag<X>, value: X) {
        if let Some(buffer) = self.sides.get::<X>(tag.id()) {
            buffer.push(StreamRecord { value, timestamp: self.timestamp });
        }
    }

    /// The subtask running this function.
    pub fn subtask(&self) -> &SubtaskInfo {
        self.subtask
    }
}

/// Processes each record of a stream, with access to its timestamp and side outputs
/// (Flink's `ProcessFunction`).
///
/// # Contract
/// One instance per parallel subtask (cloned from the one given to `process`); `open`
/// runs before the first record.
///
/// # Errors
/// An error fails the job, naming the operator and subtask.
///
/// # Example
/// ```
/// use weir::prelude::*;
/// #[derive(Clone)]
/// struct Evens;
/// impl ProcessFunction<i64, i64> for Evens {
///     fn process_element(&mut self, v: i64, _ctx: &mut Context, out: &mut Collector<i64>) -> Result<(), BoxError> {
///         if v % 2 == 0 { out.collect(v) }
///         Ok(())
///     }
/// }
/// let env = StreamExecutionEnvironment::new();
/// let got = env.from_sequence(1, 6).process(Evens).collect();
/// env.execute("evens").unwrap();
/// assert_eq!(got.take(), vec![2, 4, 6]);
/// ```
pub trait ProcessFunction<I, O>: Send + 'static {
    /// Prepares the function for `subtask`.
    fn open(&mut self, _subtask: &SubtaskInfo) -> Result<(), BoxError> {
        Ok(())
    }

    /// Processes one record.
    fn process_element(&mut self, value: I, ctx: &mut Context<'_>, out: &mut Collector<'_, O>) -> Result<(), BoxError>;
}

/// A closure as a [`ProcessFunction`].
#[derive(Clone)]
pub struct ProcessFn<F>(F);

impl<F> ProcessFn<F> {
    /// Wraps `f(value, ctx, out)`.
    pub fn new<I, O>(f: F) -> Self
    where
        F: FnMut(I, &mut Context<'_>, &mut Collector<'_, O>) -> Result<(), BoxError>,
    {
        ProcessFn(f)
    }
}

impl<I, O, F> ProcessFunction<I, O> for ProcessFn<F>
where
    F: FnMut(I, &mut Context<'_>, &mut Collector<'_, O>) -> Result<(), BoxError> + Send + 'static,
{
    fn process_element(&mut self, value: I, ctx: &mut Context<'_>, out: &mut Collector<'_, O>) -> Result<(), BoxError> {
        (self.0)(value, ctx, out)
    }
}
