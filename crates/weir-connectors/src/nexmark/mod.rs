//! Nexmark: the auction-site event stream the benchmark queries run on.
//!
//! | file | what |
//! |---|---|
//! | [`model`] | [`Person`], [`Auction`], [`Bid`], [`Event`] and their JSON form |
//! | [`timestamp`] | epoch ms ↔ `yyyy-MM-dd HH:mm:ss.SSS` |
//! | [`config`] | [`NexmarkConfig`]: events, seed, rates; [`GeneratorBlock`]s |
//! | [`random`] | [`SplitMix64`](random::SplitMix64), the generator's PRNG |
//! | [`tables`] | per-seed channel/url table and `extra` pool |
//! | [`generator`] | [`NexmarkGenerator`]: the events of one block |
//! | [`source`] | [`NexmarkSource`]: generator blocks as splits |
//! | [`files`] | [`write_dir`] and the directory layouts of the peers' files |
//! | [`file_source`] | [`NexmarkFileSource`]: reads those files back |

pub mod config;
pub mod file_source;
pub mod files;
pub mod generator;
pub mod json;
pub mod model;
pub mod random;
pub mod source;
pub mod tables;
pub mod timestamp;

pub use config::{GeneratorBlock, NexmarkConfig};
pub use file_source::{NexmarkFileReader, NexmarkFileSource, NexmarkStreams};
pub use files::{write_dir, NexmarkFileLayout, NexmarkFileSplit, NexmarkMeta};
pub use generator::NexmarkGenerator;
pub use model::{Auction, Bid, Event, Person};
pub use source::{NexmarkReader, NexmarkSource};
pub use tables::NexmarkTables;
