//! [`OutputTag`]: names a side output and its record type.

use std::marker::PhantomData;

/// Names a side output of records of type `T` (Flink's `OutputTag`). Functions emit to
/// it through their context; `get_side_output` on the resulting stream reads it.
///
/// ```
/// use weir::prelude::*;
/// let small = OutputTag::<i64>::new("small");
/// let env = StreamExecutionEnvironment::new();
/// let main = env.from_collection(vec![1i64, 50, 2, 70]).process(ProcessFn::new({
///     let small = small.clone();
///     move |v: i64, ctx: &mut Context, out: &mut Collector<i64>| {
///         if v < 10 { ctx.output(&small, v) } else { out.collect(v) }
///         Ok(())
///     }
/// }));
/// let big = main.collect();
/// let smalls = main.get_side_output(&small).collect();
/// env.execute("split").unwrap();
/// assert_eq!(big.take(), vec![50, 70]);
/// assert_eq!(smalls.take(), vec![1, 2]);
/// ```
#[derive(Debug)]
pub struct OutputTag<T> {
    id: String,
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for OutputTag<T> {
    fn clone(&self) -> Self {
        OutputTag { id: self.id.clone(), _t: PhantomData }
    }
}

impl<T> OutputTag<T> {
    /// A tag called `id` (unique within the job for this record type).
    pub fn new(id: impl Into<String>) -> Self {
        OutputTag { id: id.into(), _t: PhantomData }
    }

    /// The tag's name.
    pub fn id(&self) -> &str {
        &self.id
    }
}
