//! [`ProcessWindowFunction`]: a window function that sees all of a window's elements
//! and its metadata — the window, event and processing time, per-window and per-key
//! state, side outputs (Flink's `ProcessWindowFunction`).

use weir_core::StreamRecord;
use weir_runtime::{BoxError, SideOutputs};
use weir_state::{AsBackendRef, BackendRef, KeyedStateContext, StateBackend};

use crate::functions::{Collector, RuntimeContext};
use crate::window::Window;
use crate::OutputTag;

/// The key under which a window function's state is stored: `(key, Some(window))` for
/// per-window state, `(key, None)` for the key's global state. State declared in
/// [`ProcessWindowFunction::open`] can be used in either scope.
pub type WindowStateKey<K, W> = (K, Option<W>);

/// What a [`ProcessWindowFunction`] knows when its window fires (Flink's
/// `ProcessWindowFunction.Context`).
pub struct WindowContext<'a, K, W> {
    pub(crate) key: &'a K,
    pub(crate) key_group: usize,
    pub(crate) window: &'a W,
    pub(crate) backend: &'a mut StateBackend<WindowStateKey<K, W>>,
    pub(crate) sides: &'a mut SideOutputs,
    pub(crate) watermark: i64,
    pub(crate) processing_time: i64,
    pub(crate) merging: bool,
}

impl<K: Clone, W: Window> WindowContext<'_, K, W> {
    /// The window being emitted.
    pub fn window(&self) -> &W {
        self.window
    }

    /// The operator's current watermark.
    pub fn current_watermark(&self) -> i64 {
        self.watermark
    }

    /// The current processing time (epoch ms).
    pub fn current_processing_time(&self) -> i64 {
        self.processing_time
    }

    /// State of this key and this window, kept across firings of the window until
    /// [`ProcessWindowFunction::clear`] (which should clear it).
    ///
    /// # Errors
    /// With merging (session) windows, as in Flink: per-window state cannot follow a
    /// merge.
    pub fn window_state(&mut self) -> Result<KeyedStateStore<'_, K, W>, BoxError> {
        if self.merging {
            return Err("per-window state is not allowed with merging (session) windows".into());
        }
        Ok(KeyedStateStore {
            backend: self.backend,
            key: (self.key.clone(), Some(self.window.clone())),
            key_group: self.key_group,
        })
    }

    /// State of this key, shared by all its windows.
    pub fn global_state(&mut self) -> KeyedStateStore<'_, K, W> {
        KeyedStateStore { backend: self.backend, key: (self.key.clone(), None), key_group: self.key_group }
    }

    /// Emits `value` to the side output `tag`, stamped with the window's max timestamp.
    pub fn output<X: 'static>(&mut self, tag: &OutputTag<X>, value: X) {
        if let Some(buffer) = self.sides.get::<X>(tag.id()) {
            buffer.push(StreamRecord { value, timestamp: self.window.max_timestamp() });
        }
    }
}

/// A scope of keyed state — one window of a key, or the whole key — to pass to
/// `ValueState`, `ListState` and `MapState` handles (Flink's `KeyedStateStore`).
pub struct KeyedStateStore<'c, K, W> {
    backend: &'c mut StateBackend<WindowStateKey<K, W>>,
    key: WindowStateKey<K, W>,
    key_group: usize,
}

impl<K, W> KeyedStateContext<WindowStateKey<K, W>> for KeyedStateStore<'_, K, W> {
    fn state_parts(&mut self) -> (BackendRef<'_, WindowStateKey<K, W>>, &WindowStateKey<K, W>, usize) {
        (self.backend.backend_ref(), &self.key, self.key_group)
    }
}

/// Computes a window's result from all its elements, with access to the window, time,
/// state and side outputs (Flink's `ProcessWindowFunction`).
///
/// # Contract
/// One instance per parallel subtask; `open` declares state; `process` runs on every
/// firing with the window's elements (after eviction, if an evictor is set; with
/// `reduce_with`/`aggregate_with`, the single pre-aggregated result). Its output
/// carries the window's max timestamp. `clear` runs when the window is cleaned up
/// (end + allowed lateness), to clear per-window state.
///
/// # Errors
/// An error fails the job, naming the operator and subtask.
///
/// # Example
/// Emits (key, window start, count, firing number of this window):
/// ```
/// use std::time::Duration;
/// use weir::prelude::*;
/// use weir::window::{ProcessWindowFunction, TimeWindow, TumblingEventTimeWindows, WindowContext, WindowStateKey};
/// use weir::functions::RuntimeContext;
/// #[derive(Clone, Default)]
/// struct CountWithFirings { firings: Option<ValueState<u32>> }
/// impl ProcessWindowFunction<String, (String, i64), (String, i64, usize, u32), TimeWindow> for CountWithFirings {
///     fn open(&mut self, ctx: &mut RuntimeContext<WindowStateKey<String, TimeWindow>>) -> Result<(), BoxError> {
///         self.firings = Some(ctx.get_state(&ValueStateDescriptor::new("firings"))?);
///         Ok(())
///     }
///     fn process(&mut self, key: &String, ctx: &mut WindowContext<String, TimeWindow>, elements: &[(String, i64)],
///                out: &mut Collector<(String, i64, usize, u32)>) -> Result<(), BoxError> {
///         let firings = self.firings.expect("opened");
///         let mut state = ctx.window_state()?;
///         let n = firings.value(&mut state)?.unwrap_or(0) + 1;
///         firings.update(&mut state, n)?;
///         out.collect((key.clone(), ctx.window().start, elements.len(), n));
///         Ok(())
///     }
///     fn clear(&mut self, ctx: &mut WindowContext<String, TimeWindow>) -> Result<(), BoxError> {
///         Ok(self.firings.expect("opened").clear(&mut ctx.window_state()?)?)
///     }
/// }
/// let env = StreamExecutionEnvironment::new();
/// let events = vec![("a".to_string(), 1i64), ("a".to_string(), 2), ("b".to_string(), 12)];
/// let got = env
///     .from_collection(events)
///     .assign_timestamps_and_watermarks(WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|e: &(String, i64), _| e.1))
///     .key_by(|e: &(String, i64)| e.0.clone())
///     .window(TumblingEventTimeWindows::of(Duration::from_millis(10)))
///     .process(CountWithFirings::default())
///     .collect();
/// env.execute("process window").unwrap();
/// assert_eq!(got.take(), vec![("a".to_string(), 0, 2, 1), ("b".to_string(), 10, 1, 1)]);
/// ```
pub trait ProcessWindowFunction<K, I, O, W>: Send + 'static {
    /// Prepares the function; declare state here.
    fn open(&mut self, _ctx: &mut RuntimeContext<'_, WindowStateKey<K, W>>) -> Result<(), BoxError> {
        Ok(())
    }

    /// Emits the result of the window `ctx.window()` of `key` from its `elements`.
    fn process(
        &mut self,
        key: &K,
        ctx: &mut WindowContext<'_, K, W>,
        elements: &[I],
        out: &mut Collector<'_, O>,
    ) -> Result<(), BoxError>;

    /// The window is cleaned up: clear its per-window state.
    fn clear(&mut self, _ctx: &mut WindowContext<'_, K, W>) -> Result<(), BoxError> {
        Ok(())
    }
}

/// A closure as a [`ProcessWindowFunction`] (for functions without state).
///
/// ```
/// use std::time::Duration;
/// use weir::prelude::*;
/// use weir::window::{ProcessWindowFn, TimeWindow, TumblingEventTimeWindows, WindowContext};
/// let env = StreamExecutionEnvironment::new();
/// let got = env
///     .from_collection(vec![(1u8, 5i64), (1, 7), (2, 15)])
///     .assign_timestamps_and_watermarks(WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|e: &(u8, i64), _| e.1))
///     .key_by(|e: &(u8, i64)| e.0)
///     .window(TumblingEventTimeWindows::of(Duration::from_millis(10)))
///     .process(ProcessWindowFn::new(
///         |key: &u8, ctx: &mut WindowContext<u8, TimeWindow>, elements: &[(u8, i64)], out: &mut Collector<String>| {
///             out.collect(format!("{key}@{}: {}", ctx.window().start, elements.len()));
///             Ok(())
///         },
///     ))
///     .collect();
/// env.execute("closure").unwrap();
/// assert_eq!(got.take(), vec!["1@0: 2", "2@10: 1"]);
/// ```
#[derive(Clone)]
pub struct ProcessWindowFn<F>(F);

impl<F> ProcessWindowFn<F> {
    /// Wraps `f(key, ctx, elements, out)`.
    pub fn new<K, I, O, W>(f: F) -> Self
    where
        F: FnMut(&K, &mut WindowContext<'_, K, W>, &[I], &mut Collector<'_, O>) -> Result<(), BoxError>,
    {
        ProcessWindowFn(f)
    }
}

impl<K, I, O, W, F> ProcessWindowFunction<K, I, O, W> for ProcessWindowFn<F>
where
    F: FnMut(&K, &mut WindowContext<'_, K, W>, &[I], &mut Collector<'_, O>) -> Result<(), BoxError> + Send + 'static,
{
    fn process(
        &mut self,
        key: &K,
        ctx: &mut WindowContext<'_, K, W>,
        elements: &[I],
        out: &mut Collector<'_, O>,
    ) -> Result<(), BoxError> {
        (self.0)(key, ctx, elements, out)
    }
}
