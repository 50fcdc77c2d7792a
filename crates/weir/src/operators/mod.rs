//! The runtime operators behind the API's transformations. Each drives user code over a
//! whole batch in a loop the compiler can inline: the only dynamic call is per batch.

pub mod broadcast;
pub mod co;
pub mod filter;
pub mod flat_map;
pub(crate) mod key_group_blobs;
pub mod keyed_process;
pub mod map;
pub mod process;
pub mod reduce;
pub mod sink;
