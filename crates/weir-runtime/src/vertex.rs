//! The runtime's [`VertexFactory`] implementations: one for operators (and sinks, which
//! are operators with no output), one for sources. The typed API makes them with the
//! record types known; the runtime uses them erased.

use std::any::Any;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};

use crate::chain::Chained;
use crate::graph::{
    downcast_output, BuiltVertex, ErasedOutput, RestoredCoordinator, VertexBuild, VertexCoordinator, VertexFactory,
};
use crate::operator::{Emitter, Operator};
use crate::output::{FanOut, Output};
use crate::sink::Committer;
use crate::source::{Source, SplitEnumerator};
use crate::task::input::InputAdapter;
use crate::task::input_task::InputTask;
use crate::task::source_task::{SourceTask, SourceWatermarks};
use crate::task::unaligned::InFlightTarget;
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
    committer: Option<MakeCommitter>,
    _op: PhantomData<fn() -> O>,
}

/// Makes the committer of a two-phase-commit sink vertex.
pub type MakeCommitter = Arc<dyn Fn() -> Result<Option<Box<dyn Committer>>, BoxError> + Send + Sync>;

impl<O: Operator, F> OperatorVertex<O, F>
where
    F: Fn(&SubtaskInfo) -> Result<O, BoxError> + Send + Sync + 'static,
{
    /// A vertex with one adapter per input.
    pub fn new(make: F, inputs: Vec<Arc<dyn InputAdapter<O::In>>>) -> Self {
        OperatorVertex { make, inputs, committer: None, _op: PhantomData }
    }

    /// The vertex is a two-phase-commit sink whose committer `committer` makes.
    pub fn with_committer(mut self, committer: MakeCommitter) -> Self {
        self.committer = Some(committer);
        self
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
        let head_id = b.operator_id.clone();
        let mut chained = Chained::new(operator, Emitter::new(b.sides, b.clock), main, b.location, b.operator_id);
        if b.finished_on_restore {
            chained.set_finished_on_restore();
        }
        chained.open(&b.subtask, b.restored.as_ref())?;
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
                let target = InFlightTarget {
                    head_id,
                    subtask: b.subtask.index,
                    parallelism: b.subtask.parallelism,
                    sources: b.channel_sources,
                };
                let task = InputTask::new(channels, head).with_in_flight(target, b.in_flight);
                Ok(BuiltVertex::Task(Box::new(task)))
            }
        }
    }

    fn committer(&self) -> Result<Option<Arc<dyn Committer>>, BoxError> {
        match &self.committer {
            Some(make) => Ok(make()?.map(Arc::from)),
            None => Ok(None),
        }
    }
}

/// A source's split enumerator as the executor's coordinator thread sees it.
pub struct EnumeratorCoordinator<E>(pub Arc<Mutex<E>>);

impl<E: SplitEnumerator> VertexCoordinator for EnumeratorCoordinator<E> {
    fn as_any(&self) -> &dyn Any {
        &self.0
    }

    fn snapshot_and_inject(&self, inject: &mut dyn FnMut()) -> Result<Vec<u8>, BoxError> {
        let mut enumerator = self.0.lock().map_err(|_| "split enumerator poisoned by a panic")?;
        let state = enumerator.snapshot_state()?;
        inject();
        Ok(state)
    }
}

/// The name of the entry under which a source task stores its reader's unfinished splits.
pub const SPLITS: &str = "splits";

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

    fn coordinator(
        &self,
        parallelism: usize,
        restored: Option<&RestoredCoordinator>,
    ) -> Result<Option<Arc<dyn VertexCoordinator>>, BoxError> {
        let enumerator = match restored {
            None => self.source.create_enumerator(parallelism)?,
            Some(r) => {
                let mut enumerator = self.source.restore_enumerator(parallelism, &r.state)?;
                let splits = r
                    .subtasks
                    .list(SPLITS)
                    .iter()
                    .map(|b| bincode::deserialize::<S::Split>(b))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| format!("a reader's split in the checkpoint does not decode: {e}"))?;
                enumerator.add_splits_back(splits);
                enumerator
            }
        };
        Ok(Some(Arc::new(EnumeratorCoordinator(Arc::new(Mutex::new(enumerator))))))
    }

    fn build(&self, b: VertexBuild) -> Result<BuiltVertex, JobError> {
        let head = main_output::<S::Out>(b.main)?;
        let enumerator = b
            .coordinator
            .as_ref()
            .and_then(|c| c.as_any().downcast_ref::<Arc<Mutex<S::Enumerator>>>())
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
            b.operator_id,
        ))))
    }
}
