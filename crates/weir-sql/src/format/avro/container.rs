//! Avro object container files: the header (`Obj\x01`, a metadata map holding `avro.schema`
//! and `avro.codec`, a 16-byte sync marker), then blocks of records — a record count, the
//! byte size, the records (compressed by the codec), the sync marker again.
//!
//! Codecs: `null`, `deflate` (raw RFC 1951 data, no zlib header) and `snappy` (each block
//! snappy-compressed and followed by the big-endian CRC-32 of its uncompressed bytes).

use std::io::{Read as _, Write as _};

use super::binary::{write_bytes, write_long, Reader};

/// Uncompressed bytes that end a block (Avro's `DataFileWriter` default sync interval).
pub(crate) const BLOCK_BYTES: usize = 64_000;

/// A container file's codec (`avro.codec`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AvroCodec {
    /// No compression.
    Null,
    /// Raw deflate.
    Deflate,
    /// Snappy with a CRC-32 per block (Flink's default).
    Snappy,
}

impl AvroCodec {
    /// The codec's name in `avro.codec` and in the file header.
    pub fn name(self) -> &'static str {
        match self {
            AvroCodec::Null => "null",
            AvroCodec::Deflate => "deflate",
            AvroCodec::Snappy => "snappy",
        }
    }

    /// The codec named `name`, if Weir has it.
    pub fn from_name(name: &str) -> Option<AvroCodec> {
        match name {
            "null" => Some(AvroCodec::Null),
            "deflate" => Some(AvroCodec::Deflate),
            "snappy" => Some(AvroCodec::Snappy),
            _ => None,
        }
    }

    fn compress(self, data: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
        match self {
            AvroCodec::Null => out.extend_from_slice(data),
            AvroCodec::Deflate => {
                let mut e = flate2::write::DeflateEncoder::new(out, flate2::Compression::default());
                e.write_all(data).and_then(|_| e.finish().map(|_| ())).map_err(|e| format!("deflate: {e}"))?;
            }
            AvroCodec::Snappy => {
                let compressed = snap::raw::Encoder::new().compress_vec(data).map_err(|e| format!("snappy: {e}"))?;
                out.extend_from_slice(&compressed);
                out.extend_from_slice(&crc32fast::hash(data).to_be_bytes());
            }
        }
        Ok(())
    }

    fn decompress(self, data: &[u8]) -> Result<Vec<u8>, String> {
        match self {
            AvroCodec::Null => Ok(data.to_vec()),
            AvroCodec::Deflate => {
                let mut out = Vec::new();
                flate2::read::DeflateDecoder::new(data).read_to_end(&mut out).map_err(|e| format!("deflate: {e}"))?;
                Ok(out)
            }
            AvroCodec::Snappy => {
                let (body, crc) = data.split_at_checked(data.len().saturating_sub(4)).ok_or("a short snappy block")?;
                let out = snap::raw::Decoder::new().decompress_vec(body).map_err(|e| format!("snappy: {e}"))?;
                if crc.len() != 4 || crc32fast::hash(&out).to_be_bytes() != crc {
                    return Err("snappy block fails its CRC-32 check".into());
                }
                Ok(out)
            }
        }
    }
}

/// Writes a container file: [`header`](ContainerWriter::header), then records gathered with
/// [`record_done`](ContainerWriter::record_done) into blocks, then [`finish`](ContainerWriter::finish).
#[derive(Debug)]
pub(crate) struct ContainerWriter {
    codec: AvroCodec,
    sync: [u8; 16],
    /// Encoded records of the open block.
    pub(crate) block: Vec<u8>,
    count: i64,
}

impl ContainerWriter {
    /// A writer with a fresh sync marker; appends the header to `out`.
    pub(crate) fn header(schema_json: &str, codec: AvroCodec, out: &mut Vec<u8>) -> ContainerWriter {
        let sync = new_sync_marker();
        out.extend_from_slice(b"Obj\x01");
        write_long(2, out);
        write_bytes(b"avro.schema", out);
        write_bytes(schema_json.as_bytes(), out);
        write_bytes(b"avro.codec", out);
        write_bytes(codec.name().as_bytes(), out);
        write_long(0, out);
        out.extend_from_slice(&sync);
        ContainerWriter { codec, sync, block: Vec::new(), count: 0 }
    }

    /// Counts the record just appended to `block`; writes the block out when it is full.
    pub(crate) fn record_done(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        self.count += 1;
        if self.block.len() >= BLOCK_BYTES {
            self.write_block(out)?;
        }
        Ok(())
    }

    fn write_block(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        if self.count == 0 {
            return Ok(());
        }
        let mut data = Vec::with_capacity(self.block.len());
        self.codec.compress(&self.block, &mut data)?;
        write_long(self.count, out);
        write_long(data.len() as i64, out);
        out.extend_from_slice(&data);
        out.extend_from_slice(&self.sync);
        self.block.clear();
        self.count = 0;
        Ok(())
    }

    /// Writes the last block.
    pub(crate) fn finish(mut self, out: &mut Vec<u8>) -> Result<(), String> {
        self.write_block(out)
    }
}

/// Sync markers need only differ between files: the clock, the process and a counter.
fn new_sync_marker() -> [u8; 16] {
    use std::hash::{BuildHasher, Hasher};
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut marker = [0u8; 16];
    for half in marker.chunks_mut(8) {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(N.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
        h.write_u32(std::process::id());
        half.copy_from_slice(&h.finish().to_le_bytes());
    }
    marker
}

/// A container file's header and the blocks after it.
pub(crate) struct ContainerFile<'a> {
    /// The writer's schema (`avro.schema`).
    pub(crate) schema: String,
    pub(crate) codec: AvroCodec,
    sync: [u8; 16],
    rest: Reader<'a>,
}

/// One block: its record count and its (decompressed) records.
pub(crate) struct Block {
    pub(crate) count: usize,
    pub(crate) data: Vec<u8>,
    /// The byte offset of the block in the file (for errors).
    pub(crate) offset: usize,
}

impl<'a> ContainerFile<'a> {
    /// Reads the header of `bytes`.
    pub(crate) fn open(bytes: &'a [u8]) -> Result<ContainerFile<'a>, String> {
        if !bytes.starts_with(b"Obj\x01") {
            return Err("not an Avro container file (no 'Obj\\x01' magic)".into());
        }
        let mut r = Reader::new(bytes);
        r.pos = 4;
        let (mut schema, mut codec) = (None, AvroCodec::Null);
        loop {
            let mut n = r.long()?;
            if n == 0 {
                break;
            }
            if n < 0 {
                r.long()?;
                n = -n;
            }
            for _ in 0..n {
                let key = r.bytes()?;
                let value = r.bytes()?;
                match key {
                    b"avro.schema" => schema = Some(String::from_utf8_lossy(value).into_owned()),
                    b"avro.codec" => {
                        let name = String::from_utf8_lossy(value);
                        codec = AvroCodec::from_name(&name)
                            .ok_or_else(|| format!("codec '{name}' is not supported (null, deflate, snappy are)"))?;
                    }
                    _ => {}
                }
            }
        }
        let sync: [u8; 16] = r.take(16)?.try_into().expect("16 bytes");
        let schema = schema.ok_or("the header has no avro.schema")?;
        Ok(ContainerFile { schema, codec, sync, rest: r })
    }

    /// The next block, or `None` at the end of the file.
    pub(crate) fn next_block(&mut self) -> Result<Option<Block>, String> {
        if self.rest.at_end() {
            return Ok(None);
        }
        let offset = self.rest.pos;
        let count = self.rest.long()?;
        let size = self.rest.long()?;
        let (Ok(count), Ok(size)) = (usize::try_from(count), usize::try_from(size)) else {
            return Err(format!("a block at byte {offset} with a negative count or size"));
        };
        let data = self.rest.take(size)?;
        if self.rest.take(16)? != self.sync {
            return Err(format!("the block at byte {offset} does not end with the file's sync marker"));
        }
        let data = self.codec.decompress(data)?;
        Ok(Some(Block { count, data, offset }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_codec_round_trips_a_block() {
        for codec in [AvroCodec::Null, AvroCodec::Deflate, AvroCodec::Snappy] {
            let mut out = Vec::new();
            let mut w = ContainerWriter::header("\"long\"", codec, &mut out);
            for n in [0i64, 1, -1] {
                write_long(n, &mut w.block);
                w.record_done(&mut out).unwrap();
            }
            w.finish(&mut out).unwrap();
            let mut f = ContainerFile::open(&out).unwrap();
            assert_eq!((f.schema.as_str(), f.codec), ("\"long\"", codec));
            let block = f.next_block().unwrap().unwrap();
            assert_eq!((block.count, block.data), (3, vec![0x00, 0x02, 0x01]));
            assert!(f.next_block().unwrap().is_none());
        }
    }
}
