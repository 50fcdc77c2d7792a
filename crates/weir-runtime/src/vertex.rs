//! The runtime's [`VertexFactory`] implementations: one for operators (and sinks, which
//! are operators with no output), one for sources. The typed API makes them with the
//! record types known; the runtime uses them erased.

use std::any::Any;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};

use crate::chain::Chained;
use crate::graph::{downcast_output, BuiltVertex, ErasedOutput, VertexBuild, VertexFactory};
use crate::operator::{Emitter, Operator};
use crate::output::{FanOut, Output};
use crate::source::Source;
use crate::task::input::InputAdapter;
use crate::task::input_task::InputTask;
use crate::task::source_task::{SourceTask, SourceWatermarks};
use crate::watermark::WatermarkStrategy;
use crate::{BoxError, JobError, SubtaskInfo};

/// Combines a vertex's erased main outputs into one typed output.
///
/// # Errors
/// When an output is of another type (a Weir bug).
pub fn main_output<T: Clone + Send + 'static>(outputs: Vec<ErasedOutput>) -> Result<Box<dyn Output<T>>, JobError> {
    let typed = outputs.into_iter().map(downcast_output::<T>).collect::<Result<Vec<_>, _>>()?;
    Ok(FanOut::combine(typed))
}

/// A vertex running an operator made by `make` for each subtask (making it may fail:
/// a sink that cannot open its destination); `inputs[i]` adapts the channels of input
/// `i` to the operator's input type.
pub struct OperatorVertex<O: Operator, F> {
    make: F,
    inputs: Vec<Arc<dyn InputAdapter<O::In>>>,
    _op: PhantomData<fn() -> O>,
}

impl<O: Operator, F> OperatorVertex<O, F>
where
    F: Fn(&SubtaskInfo) -> Result<O, BoxError> + Send + Sync + 'static,
{
    /// A vertex with one adapter per input.
    pub fn new(make: F, inputs: Vec<Arc<dyn InputAdapter<O::In>>>) -> Self {
        OperatorVertex { make, inputs, _op: PhantomData }
    }
}

impl<O, F> VertexFactory for OperatorVertex<O, F>
where
    O: Operator,
    O::Out: Clone,
    F: Fn(&SubtaskInfo) -> Result<O, BoxError> + Send + Sync + 'static,
{
    fn inputs(&self) -> usize {
        self.inputs.len()
    }

    fn build(&self, b: VertexBuild) -> Result<BuiltVertex, JobError> {
        let main = main_output::<O::Out>(b.main)?;
        let mut operator = None;
        crate::chain::guard(&b.location, || {
            operator = Some((self.make)(&b.subtask)?);
            Ok(())
        })?;
        let operator = operator.expect("set when guard returned Ok");
        let mut chained = Chained::new(operator, Emitter::new(b.sides, b.clock), main, b.location);
        chained.open(&b.subtask)?;
        let head: Box<dyn Output<O::In>> = Box::new(chained);
        match b.inputs {
            None => Ok(BuiltVertex::Chained(Box::new(head))),
            Some(inputs) => {
                let channels = inputs
                    .into_iter()
                    .map(|(input, rx)| {
                        let adapter = self.inputs.get(input).ok_or_else(|| {
                            JobError::Internal(format!(
                                "edge into input {input} of a vertex with {} inputs",
                                self.inputs.len()
                            ))
                        })?;
                        adapter.adapt(rx)
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(BuiltVertex::Task(Box::new(InputTask::new(channels, head))))
            }
        }
    }
}

/// A vertex reading a [`Source`], with event time by a [`WatermarkStrategy`].
pub struct SourceVertex<S: Source> {
    source: Arc<S>,
    strategy: WatermarkStrategy<S::Out>,
    watermark_interval_ms: i64,
}

impl<S: Source> SourceVertex<S> {
    /// A vertex reading `source`, generating watermarks per split by `strategy` every
    /// `watermark_interval_ms` of processing time.
    pub fn new(source: S, strategy: WatermarkStrategy<S::Out>, watermark_interval_ms: i64) -> Self {
        SourceVertex { source: Arc::new(source), strategy, watermark_interval_ms }
    }
}

impl<S: Source> VertexFactory for SourceVertex<S>
where
    S::Out: Clone,
{
    fn inputs(&self) -> usize {
        0
    }

    fn coordinator(&self, parallelism: usize) -> Result<Option<Arc<dyn Any + Send + Sync>>, BoxError> {
        let enumerator = self.source.create_enumerator(parallelism)?;
        Ok(Some(Arc::new(Arc::new(Mutex::new(enumerator)))))
    }

    fn build(&self, b: VertexBuild) -> Result<BuiltVertex, JobError> {
        let head = main_output::<S::Out>(b.main)?;
        let enumerator = b
            .coordinator
            .as_ref()
            .and_then(|c| c.downcast_ref::<Arc<Mutex<S::Enumerator>>>())
            .cloned()
            .ok_or_else(|| JobError::Internal("source vertex built without its split enumerator".into()))?;
        let mut reader = None;
        let source = &self.source;
        crate::chain::guard(&b.location, || {
            reader = Some(source.create_reader(&b.subtask)?);
            Ok(())
        })?;
        let reader = reader.expect("set when guard returned Ok");
        let watermarks = SourceWatermarks::new(self.strategy.clone(), self.watermark_interval_ms);
        Ok(BuiltVertex::Task(Box::new(SourceTask::new(
            reader,
            enumerator,
            head,
            b.subtask.index,
            b.location,
            watermarks,
        ))))
    }
}
