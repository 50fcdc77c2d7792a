//! How SQL batches are stored when unaligned checkpoints catch them between tasks: each
//! [`Changes`] as an Arrow IPC stream (schema and batch) with its row kinds and route, so
//! any schema round-trips without the edge having to know it.
//!
//! [`register`] gives every record type a SQL job sends between tasks its codec.

use std::io::Cursor;

use arrow::array::{Int8Array, RecordBatch};
use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::StreamWriter;
use serde::{Deserialize, Serialize};
use weir::StreamExecutionEnvironment;
use weir_core::StreamRecord;
use weir_runtime::in_flight::RecordCodec;
use weir_runtime::BoxError;

use super::batch::Changes;
use super::join::{JoinInput, Side};

/// One stored batch of [`Changes`].
#[derive(Serialize, Deserialize)]
struct StoredChanges {
    timestamp: i64,
    route: u32,
    kinds: Option<Vec<i8>>,
    /// An Arrow IPC stream holding the schema and the one batch.
    rows: Vec<u8>,
    /// Join input only: whether the batch is the left input's.
    left: Option<bool>,
}

fn store(changes: &Changes, timestamp: i64, left: Option<bool>) -> Result<StoredChanges, BoxError> {
    let mut rows = Vec::new();
    let mut writer = StreamWriter::try_new(&mut rows, changes.rows.schema_ref())?;
    writer.write(&changes.rows)?;
    writer.finish()?;
    drop(writer);
    let kinds = changes.kinds.as_ref().map(|k| k.values().to_vec());
    Ok(StoredChanges { timestamp, route: changes.route, kinds, rows, left })
}

fn load(stored: StoredChanges) -> Result<(Changes, i64, Option<bool>), BoxError> {
    let mut reader = StreamReader::try_new(Cursor::new(stored.rows), None)?;
    let rows: RecordBatch = reader.next().ok_or("a stored batch without rows")??;
    let kinds = stored.kinds.map(Int8Array::from);
    if kinds.as_ref().is_some_and(|k| k.len() != rows.num_rows()) {
        return Err("a stored batch whose row kinds do not match its rows".into());
    }
    Ok((Changes { rows, kinds, route: stored.route }, stored.timestamp, stored.left))
}

/// The codec of [`Changes`].
pub fn changes_codec() -> RecordCodec<Changes> {
    RecordCodec::new(
        |batch| {
            let stored = batch.iter().map(|r| store(&r.value, r.timestamp, None)).collect::<Result<Vec<_>, _>>()?;
            Ok(bincode::serialize(&stored)?)
        },
        |bytes| {
            let stored: Vec<StoredChanges> = bincode::deserialize(bytes)?;
            stored.into_iter().map(|s| load(s).map(|(value, timestamp, _)| StreamRecord { value, timestamp })).collect()
        },
    )
}

/// The codec of [`JoinInput`].
pub fn join_input_codec() -> RecordCodec<JoinInput> {
    RecordCodec::new(
        |batch| {
            let stored = batch
                .iter()
                .map(|r| store(&r.value.changes, r.timestamp, Some(r.value.side == Side::Left)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(bincode::serialize(&stored)?)
        },
        |bytes| {
            let stored: Vec<StoredChanges> = bincode::deserialize(bytes)?;
            stored
                .into_iter()
                .map(|s| {
                    let (changes, timestamp, left) = load(s)?;
                    let side = match left {
                        Some(true) => Side::Left,
                        Some(false) => Side::Right,
                        None => return Err(BoxError::from("a stored join batch without its side")),
                    };
                    Ok(StreamRecord { value: JoinInput { side, changes }, timestamp })
                })
                .collect()
        },
    )
}

/// Registers with `env` the codecs of the record types SQL jobs send between tasks, so
/// that they can take part in unaligned checkpoints.
pub fn register(env: &StreamExecutionEnvironment) {
    env.register_record_codec(changes_codec());
    env.register_record_codec(join_input_codec());
    env.register_record_codec(RecordCodec::<weir_connectors::nexmark::Event>::serde());
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;
    use crate::changelog::RowKind;

    fn changes() -> Changes {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("name", DataType::Utf8, true),
        ]));
        let rows = RecordBatch::try_new(
            schema,
            vec![Arc::new(Int64Array::from(vec![1, 2])), Arc::new(StringArray::from(vec![Some("a"), None]))],
        )
        .unwrap();
        let mut c = Changes::with_kinds(rows, vec![RowKind::UpdateBefore, RowKind::UpdateAfter]);
        c.route = 3;
        c
    }

    #[test]
    fn changes_round_trip_with_schema_kinds_route_and_time() {
        let codec = changes_codec();
        let batch =
            vec![StreamRecord::with_timestamp(changes(), 42), StreamRecord::new(Changes::inserts(changes().rows))];
        let back = codec.decode(&codec.encode(&batch).unwrap()).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].timestamp, 42);
        assert_eq!(back[0].value.rows, batch[0].value.rows);
        assert_eq!(back[0].value.kinds, batch[0].value.kinds);
        assert_eq!(back[0].value.route, 3);
        assert!(back[1].value.kinds.is_none());
        assert_eq!(back[1].timestamp, batch[1].timestamp);
    }

    #[test]
    fn join_inputs_keep_their_side_and_garbage_is_refused() {
        let codec = join_input_codec();
        let batch = vec![
            StreamRecord::new(JoinInput { side: Side::Right, changes: changes() }),
            StreamRecord::new(JoinInput { side: Side::Left, changes: changes() }),
        ];
        let back = codec.decode(&codec.encode(&batch).unwrap()).unwrap();
        assert_eq!(back.iter().map(|r| r.value.side).collect::<Vec<_>>(), vec![Side::Right, Side::Left]);
        assert!(codec.decode(b"\x01\x00\x00\x00\x00\x00\x00\x00garbage").is_err());
        // A Changes batch is not a join input: its side is missing.
        let plain = changes_codec().encode(&[StreamRecord::new(changes())]).unwrap();
        assert!(codec.decode(&plain).unwrap_err().to_string().contains("side"));
    }
}
