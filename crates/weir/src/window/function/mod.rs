//! The functions a window applies, and how the window operators keep their input.
//!
//! Users write an [`AggregateFunction`] (incremental: one accumulator per window), a
//! [`ProcessWindowFunction`] (all of a window's elements plus its metadata and state),
//! or a plain reduce closure; `reduce_with` / `aggregate_with` combine an incremental
//! function with a process function that receives the single pre-aggregated value.
//! Each of these becomes a [`WindowContents`]: the operators' view of "what a window
//! holds, how it turns into output, and how it is written into a checkpoint" (elements
//! kept whole are written by an [`ElementCodec`]).

pub mod aggregate_function;
pub mod contents;
pub mod element_codec;
pub mod process_window_function;

pub use aggregate_function::AggregateFunction;
pub use contents::{FireScope, WindowContents};
pub use element_codec::ElementCodec;
pub use process_window_function::{
    KeyedStateStore, ProcessWindowFn, ProcessWindowFunction, WindowContext, WindowStateKey,
};
