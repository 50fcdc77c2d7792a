//! The peers' Nexmark files: writing them ([`write_dir`]) and finding them
//! ([`NexmarkFileLayout`]).
//!
//! Two layouts, both of JSON lines in Flink's camelCase form (see [`model`](super::model)):
//! - **single**: `DIR/persons.jsonl`, `DIR/auctions.jsonl`, `DIR/bids.jsonl` (+ `meta.json`),
//!   as `gen_nexmark.py` and [`write_dir`] write them;
//! - **parts**: `DIR/parts<P>/{persons,auctions,bids}/part-<i>.jsonl`, `i < P`, as
//!   `split_parts.py` cuts them for parallelism `P` (each part spans the whole
//!   event-time range).

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::config::NexmarkConfig;
use super::generator::NexmarkGenerator;
use super::model::Event;
use super::tables::NexmarkTables;
use crate::error::ConnectorError;
use crate::line_reader::FilePosition;

/// File names of the three streams, in merge order (persons, auctions, bids).
pub const STREAM_NAMES: [&str; 3] = ["persons", "auctions", "bids"];
/// The parameters file written beside the data.
pub const META_FILE: &str = "meta.json";
/// Bytes collected per stream before one write to its file.
const WRITE_CHUNK_BYTES: usize = 1 << 20;

/// What `meta.json` records: the parameters and what was written. Keys follow
/// `gen_nexmark.py`'s where they mean the same.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NexmarkMeta {
    /// Who wrote the files.
    pub generator: String,
    /// Number of events.
    pub events: u64,
    /// Seed.
    pub seed: u64,
    /// Event-time rate (events per event-time second).
    pub rate_events_per_s: u64,
    /// Number of generator blocks merged into the files.
    pub num_generators: usize,
    /// Event time of the first event (epoch ms).
    pub base_ms: i64,
    /// Id of the first event.
    pub first_event_id: i64,
    /// Lines in `persons.jsonl`.
    pub persons: u64,
    /// Lines in `auctions.jsonl`.
    pub auctions: u64,
    /// Lines in `bids.jsonl`.
    pub bids: u64,
    /// Smallest event time (epoch ms), when there are events.
    pub min_event_time_ms: Option<i64>,
    /// Largest event time (epoch ms), when there are events.
    pub max_event_time_ms: Option<i64>,
    /// Size of each file in bytes.
    pub bytes: BTreeMap<String, u64>,
    /// Wall-clock seconds spent.
    pub seconds: f64,
}

/// Writes the events of `config` to `dir` as `persons.jsonl`, `auctions.jsonl` and
/// `bids.jsonl` (in event-time order; with several generator blocks their streams are
/// merged by event time, ties to the lower block) and `meta.json`. Each data file is
/// written under a temporary name and renamed when complete. Used by
/// `weir nexmark generate`.
///
/// # Errors
/// [`ConnectorError::Config`] for an invalid configuration, [`ConnectorError::Io`] when
/// the directory or a file cannot be written.
///
/// ```
/// use weir_connectors::nexmark::{write_dir, NexmarkConfig};
/// let dir = tempfile::tempdir().unwrap();
/// let meta = write_dir(&NexmarkConfig::new(1_000), dir.path()).unwrap();
/// assert_eq!((meta.persons, meta.auctions, meta.bids), (20, 60, 920));
/// assert!(dir.path().join("bids.jsonl").exists());
/// ```
pub fn write_dir(config: &NexmarkConfig, dir: &Path) -> Result<NexmarkMeta, ConnectorError> {
    config.validate()?;
    let started = Instant::now();
    fs::create_dir_all(dir).map_err(|e| ConnectorError::io("create directory", dir, e))?;
    let finals: Vec<PathBuf> = STREAM_NAMES.iter().map(|name| dir.join(format!("{name}.jsonl"))).collect();
    let temps: Vec<PathBuf> = STREAM_NAMES.iter().map(|name| dir.join(format!(".{name}.jsonl.inprogress"))).collect();
    let mut files = Vec::with_capacity(3);
    for path in &temps {
        files.push(File::create(path).map_err(|e| ConnectorError::io("create", path, e))?);
    }
    let mut buffers: Vec<Vec<u8>> = (0..3).map(|_| Vec::with_capacity(WRITE_CHUNK_BYTES + 4096)).collect();
    let mut counts = [0u64; 3];
    let mut min_time: Option<i64> = None;
    let mut max_time: Option<i64> = None;

    let mut write_event = |event: &Event| -> Result<(), ConnectorError> {
        let stream = match event {
            Event::Person(_) => 0,
            Event::Auction(_) => 1,
            Event::Bid(_) => 2,
        };
        let ts = event.timestamp();
        min_time = Some(min_time.map_or(ts, |m| m.min(ts)));
        max_time = Some(max_time.map_or(ts, |m| m.max(ts)));
        counts[stream] += 1;
        let buffer = &mut buffers[stream];
        event.write_json_line(buffer);
        if buffer.len() >= WRITE_CHUNK_BYTES {
            files[stream].write_all(buffer).map_err(|e| ConnectorError::io("write", &temps[stream], e))?;
            buffer.clear();
        }
        Ok(())
    };

    let num_generators = config.generator_count(1);
    let tables = std::sync::Arc::new(NexmarkTables::new(config.seed));
    let mut generators: Vec<NexmarkGenerator> = config
        .blocks(num_generators)
        .into_iter()
        .map(|block| NexmarkGenerator::for_block(config, block, tables.clone()))
        .collect();
    if let [generator] = generators.as_mut_slice() {
        for event in generator {
            write_event(&event)?;
        }
    } else {
        // Merge the blocks' timelines: always write the earliest head.
        let mut heads: Vec<Option<Event>> = generators.iter_mut().map(NexmarkGenerator::next_event).collect();
        loop {
            let mut best: Option<(usize, i64)> = None;
            for (i, head) in heads.iter().enumerate() {
                if let Some(event) = head {
                    if best.is_none_or(|(_, ts)| event.timestamp() < ts) {
                        best = Some((i, event.timestamp()));
                    }
                }
            }
            let Some((i, _)) = best else { break };
            let event = std::mem::replace(&mut heads[i], generators[i].next_event());
            write_event(event.as_ref().expect("the chosen head is an event"))?;
        }
    }

    let mut bytes = BTreeMap::new();
    for (stream, name) in STREAM_NAMES.iter().enumerate() {
        files[stream].write_all(&buffers[stream]).map_err(|e| ConnectorError::io("write", &temps[stream], e))?;
        files[stream].flush().map_err(|e| ConnectorError::io("write", &temps[stream], e))?;
        fs::rename(&temps[stream], &finals[stream]).map_err(|e| ConnectorError::io("rename", &temps[stream], e))?;
        let size = fs::metadata(&finals[stream]).map_err(|e| ConnectorError::io("stat", &finals[stream], e))?.len();
        bytes.insert(format!("{name}.jsonl"), size);
    }
    let meta = NexmarkMeta {
        generator: format!("weir-connectors {} (nexmark generator)", env!("CARGO_PKG_VERSION")),
        events: config.events,
        seed: config.seed,
        rate_events_per_s: config.first_event_rate,
        num_generators,
        base_ms: config.base_time_ms,
        first_event_id: config.first_event_id,
        persons: counts[0],
        auctions: counts[1],
        bids: counts[2],
        min_event_time_ms: min_time,
        max_event_time_ms: max_time,
        bytes,
        seconds: (started.elapsed().as_secs_f64() * 100.0).round() / 100.0,
    };
    let meta_path = dir.join(META_FILE);
    let json = serde_json::to_vec_pretty(&meta).expect("serializing plain data cannot fail");
    fs::write(&meta_path, json).map_err(|e| ConnectorError::io("write", &meta_path, e))?;
    Ok(meta)
}

/// Which of the two layouts a directory holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NexmarkFileLayout {
    /// `DIR/{persons,auctions,bids}.jsonl`: one split.
    Single,
    /// `DIR/parts<P>/{persons,auctions,bids}/part-<i>.jsonl`: `P` splits.
    Parts(usize),
}

/// One split of Nexmark files: the three files of one part (or the three single
/// files), read together and merged by event time.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NexmarkFileSplit {
    /// 0-based part number (0 for the single layout).
    pub index: usize,
    /// The persons file.
    pub persons: PathBuf,
    /// The auctions file.
    pub auctions: PathBuf,
    /// The bids file.
    pub bids: PathBuf,
    /// Where to continue each of the three files, in merge order (a checkpointed
    /// position: `None` for a file read to its end); from the start when `None`.
    pub resume: Option<[Option<FilePosition>; 3]>,
}

impl NexmarkFileSplit {
    /// The three files in merge order: persons, auctions, bids.
    pub fn files(&self) -> [&Path; 3] {
        [&self.persons, &self.auctions, &self.bids]
    }
}

impl NexmarkFileLayout {
    /// The layout to read `dir` with at `parallelism`: `parts<parallelism>` when that
    /// directory exists, else the single files.
    ///
    /// # Errors
    /// [`ConnectorError::Layout`] naming the missing files, when neither layout is
    /// complete.
    pub fn detect(dir: &Path, parallelism: usize) -> Result<Self, ConnectorError> {
        let p = parallelism.max(1);
        let parts_dir = dir.join(format!("parts{p}"));
        if parts_dir.is_dir() {
            let layout = NexmarkFileLayout::Parts(p);
            let missing: Vec<String> = layout
                .splits(dir)
                .iter()
                .flat_map(|s| s.files().map(Path::to_path_buf))
                .filter(|f| !f.is_file())
                .map(|f| f.display().to_string())
                .collect();
            if !missing.is_empty() {
                return Err(ConnectorError::Layout {
                    path: parts_dir,
                    message: format!("incomplete parts directory, missing: {}", missing.join(", ")),
                });
            }
            return Ok(layout);
        }
        let single = NexmarkFileLayout::Single.splits(dir);
        let missing: Vec<&Path> = single[0].files().into_iter().filter(|f| !f.is_file()).collect();
        if missing.is_empty() {
            return Ok(NexmarkFileLayout::Single);
        }
        Err(ConnectorError::Layout {
            path: dir.to_path_buf(),
            message: format!(
                "no Nexmark data: expected persons.jsonl, auctions.jsonl and bids.jsonl (missing: {}) \
                 or parts{p}/{{persons,auctions,bids}}/part-<i>.jsonl",
                missing.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", ")
            ),
        })
    }

    /// The splits of this layout under `dir`.
    pub fn splits(&self, dir: &Path) -> Vec<NexmarkFileSplit> {
        match *self {
            NexmarkFileLayout::Single => {
                let [persons, auctions, bids] = STREAM_NAMES.map(|name| dir.join(format!("{name}.jsonl")));
                vec![NexmarkFileSplit { index: 0, persons, auctions, bids, resume: None }]
            }
            NexmarkFileLayout::Parts(p) => (0..p)
                .map(|index| {
                    let [persons, auctions, bids] = STREAM_NAMES
                        .map(|name| dir.join(format!("parts{p}")).join(name).join(format!("part-{index}.jsonl")));
                    NexmarkFileSplit { index, persons, auctions, bids, resume: None }
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_dir_writes_three_ordered_files_and_meta() {
        let dir = tempfile::tempdir().unwrap();
        let config = NexmarkConfig::new(5_000).with_num_generators(2);
        let meta = write_dir(&config, dir.path()).unwrap();
        assert_eq!((meta.persons, meta.auctions, meta.bids), (100, 300, 4_600));
        assert_eq!(meta.num_generators, 2);
        assert_eq!(meta.min_event_time_ms, Some(config.base_time_ms));
        let mut names: Vec<String> =
            fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        assert_eq!(names, ["auctions.jsonl", "bids.jsonl", "meta.json", "persons.jsonl"]);
        let bids = fs::read_to_string(dir.path().join("bids.jsonl")).unwrap();
        assert_eq!(bids.len() as u64, meta.bytes["bids.jsonl"]);
        let times: Vec<&str> = bids.lines().map(|l| &l[l.find("\"dateTime\":\"").unwrap() + 12..][..23]).collect();
        assert_eq!(times.len(), 4_600);
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "bids are in event-time order");
        let back: NexmarkMeta = serde_json::from_slice(&fs::read(dir.path().join(META_FILE)).unwrap()).unwrap();
        assert_eq!(back, meta);
    }

    #[test]
    fn detects_layouts() {
        let dir = tempfile::tempdir().unwrap();
        let err = NexmarkFileLayout::detect(dir.path(), 2).unwrap_err().to_string();
        assert!(err.contains("no Nexmark data") && err.contains("persons.jsonl"), "{err}");
        for name in STREAM_NAMES {
            fs::write(dir.path().join(format!("{name}.jsonl")), "").unwrap();
        }
        assert_eq!(NexmarkFileLayout::detect(dir.path(), 2).unwrap(), NexmarkFileLayout::Single);
        for name in STREAM_NAMES {
            let d = dir.path().join("parts2").join(name);
            fs::create_dir_all(&d).unwrap();
            fs::write(d.join("part-0.jsonl"), "").unwrap();
        }
        let err = NexmarkFileLayout::detect(dir.path(), 2).unwrap_err().to_string();
        assert!(err.contains("incomplete parts directory") && err.contains("part-1.jsonl"), "{err}");
        for name in STREAM_NAMES {
            fs::write(dir.path().join("parts2").join(name).join("part-1.jsonl"), "").unwrap();
        }
        assert_eq!(NexmarkFileLayout::detect(dir.path(), 2).unwrap(), NexmarkFileLayout::Parts(2));
        assert_eq!(NexmarkFileLayout::detect(dir.path(), 3).unwrap(), NexmarkFileLayout::Single);
        let splits = NexmarkFileLayout::Parts(2).splits(dir.path());
        assert_eq!(splits[1].bids, dir.path().join("parts2/bids/part-1.jsonl"));
    }
}
