//! [`CoProcessFunction`]: processing two connected streams in one operator.

use weir_runtime::{BoxError, SubtaskInfo};

use crate::functions::{Collector, Context};

/// Processes the records of two connected streams, one callback per input (Flink's
/// `CoProcessFunction`). The instance sees both inputs, so it can share fields between
/// them; the order between the two inputs is not defined.
///
/// # Errors
/// An error fails the job, naming the operator and subtask.
///
/// # Example
/// ```
/// use weir::prelude::*;
/// #[derive(Clone)]
/// struct Tag;
/// impl CoProcessFunction<i64, String, String> for Tag {
///     fn process_element1(&mut self, v: i64, _: &mut Context, out: &mut Collector<String>) -> Result<(), BoxError> {
///         out.collect(format!("n{v}")); Ok(())
///     }
///     fn process_element2(&mut self, v: String, _: &mut Context, out: &mut Collector<String>) -> Result<(), BoxError> {
///         out.collect(format!("s{v}")); Ok(())
///     }
/// }
/// let env = StreamExecutionEnvironment::new();
/// let a = env.from_collection(vec![1i64]);
/// let b = env.from_collection(vec!["x".to_string()]);
/// let got = a.connect(&b).process(Tag).collect();
/// env.execute("co").unwrap();
/// let mut got = got.take(); got.sort();
/// assert_eq!(got, vec!["n1", "sx"]);
/// ```
pub trait CoProcessFunction<A, B, O>: Send + 'static {
    /// Prepares the function for `subtask`.
    fn open(&mut self, _subtask: &SubtaskInfo) -> Result<(), BoxError> {
        Ok(())
    }

    /// Processes a record of the first stream.
    fn process_element1(&mut self, value: A, ctx: &mut Context<'_>, out: &mut Collector<'_, O>)
        -> Result<(), BoxError>;

    /// Processes a record of the second stream.
    fn process_element2(&mut self, value: B, ctx: &mut Context<'_>, out: &mut Collector<'_, O>)
        -> Result<(), BoxError>;
}
