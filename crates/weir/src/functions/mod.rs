//! The functions users implement, and the contexts they receive.
//!
//! Simple transformations take closures (`map`, `filter`, `flat_map`, `reduce`). Richer
//! ones take a trait object a user implements, Flink-style: [`ProcessFunction`],
//! [`KeyedProcessFunction`], [`CoProcessFunction`], [`BroadcastProcessFunction`]. Each
//! trait's callbacks get an explicit context (timestamp, side outputs, the current key
//! and its state) and a [`Collector`] for results. Closures can stand in for the traits
//! through [`ProcessFn`] and [`KeyedProcessFn`].

pub mod broadcast_process;
pub mod co_process;
pub mod collector;
pub mod keyed_process;
pub mod process;

pub use broadcast_process::{BroadcastContext, BroadcastProcessFunction, ReadOnlyBroadcastContext};
pub use co_process::CoProcessFunction;
pub use collector::Collector;
pub use keyed_process::{KeyTimers, KeyedContext, KeyedProcessFn, KeyedProcessFunction, RuntimeContext, TimeDomain};
pub use process::{Context, ProcessFn, ProcessFunction};
