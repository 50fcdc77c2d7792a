//! What the kill-and-restore tests of `weir run` share: starting the binary on a script with
//! checkpoints, waiting for it, reading the newest completed checkpoint, and seeded kill
//! delays. Each test binary uses a part of it.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The binary under test (`WEIR_BIN` overrides the one Cargo built, for a shared target
/// directory whose binary other builds replace).
pub fn weir() -> Command {
    Command::new(std::env::var_os("WEIR_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_weir").into()))
}

/// `weir run JOB -p P --checkpoint-dir DIR --checkpoint-interval INTERVAL [--restore latest]`.
pub fn run_args(job: &Path, checkpoints: &Path, parallelism: usize, interval: &str, restore: bool) -> Vec<String> {
    let mut args = vec![
        "run".to_string(),
        job.display().to_string(),
        "-p".into(),
        parallelism.to_string(),
        "--checkpoint-dir".into(),
        checkpoints.display().to_string(),
        "--checkpoint-interval".into(),
        interval.into(),
    ];
    if restore {
        args.extend(["--restore".into(), "latest".into()]);
    }
    args
}

/// Starts the binary with `args`, its stderr into the file `log`.
pub fn spawn(args: &[String], log: &Path) -> Child {
    let log = std::fs::File::create(log).expect("the run's log file is created");
    weir().args(args).stdout(Stdio::null()).stderr(log).spawn().expect("weir starts")
}

/// Waits up to 180 s for `child` to succeed; fails with its log otherwise.
pub fn wait(child: &mut Child, log: &Path, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let err = std::fs::read_to_string(log).unwrap_or_default();
            assert!(status.success(), "{what} failed: {err}");
            return;
        }
        if Instant::now() >= deadline {
            child.kill().unwrap();
            panic!("{what} did not finish in 180 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The highest id of a completed checkpoint (`chk-N` with `_metadata`) in `dir` (0: none).
pub fn newest_checkpoint(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|e| {
            e.flatten()
                .filter(|e| e.path().join("_metadata").is_file())
                .filter_map(|e| e.file_name().to_string_lossy().strip_prefix("chk-")?.parse::<u64>().ok())
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(0)
}

/// A small generator for kill delays, seeded from the clock; the seed is printed so a
/// failure can be replayed.
pub struct Lcg(u64);

impl Lcg {
    /// A generator seeded from the clock (printed).
    pub fn from_clock() -> Lcg {
        let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
        eprintln!("kill delays seeded with {seed}");
        Lcg(seed)
    }

    /// A number in `0..below`.
    pub fn next(&mut self, below: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}
