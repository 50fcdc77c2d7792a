//! The one in-band element type that flows over channels between tasks.

use crate::{CheckpointBarrier, StreamRecord, Watermark, WatermarkStatus};

/// What a task sends to another task over a channel.
///
/// Records always travel in batches so that per-record channel cost disappears; a
/// watermark or the end of input is sent only after the records before it, so order on
/// one channel is preserved. A checkpoint barrier, too, follows the records before it:
/// it cuts the channel into "in checkpoint *n*" and "after it".
#[derive(Debug)]
pub enum StreamElement<T> {
    /// A batch of records, in the order they were produced.
    Records(Vec<StreamRecord<T>>),
    /// Event-time progress on this channel.
    Watermark(Watermark),
    /// The channel became idle or active again.
    WatermarkStatus(WatermarkStatus),
    /// Checkpoint barrier: everything before it on this channel belongs to the checkpoint.
    Barrier(CheckpointBarrier),
    /// The producer will send nothing more on this channel.
    EndOfInput,
}
