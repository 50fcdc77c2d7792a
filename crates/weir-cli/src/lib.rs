//! # weir-cli — the `weir` binary's commands, as a library
//!
//! The binary (`src/main.rs`) only parses arguments; the work lives here so that tests
//! and benchmarks call the same code:
//!
//! - [`nexmark`]: the Nexmark queries written with the DataStream API, and the runner
//!   that measures them (`weir nexmark`);
//! - [`checkpoint_options`]: `--checkpoint-dir`, `--checkpoint-interval`, `--restore`…,
//!   and savepoints on `SIGUSR1`;
//! - [`state_backend_options`]: `--state-backend hashmap|embedded` and its memory budget;
//! - [`cpu`]: process CPU time and peak memory, for events per CPU-second.

pub mod checkpoint_options;
pub mod cpu;
pub mod nexmark;
pub mod sql_client;
pub mod state_backend_options;
