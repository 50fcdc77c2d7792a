//! A Kafka-protocol broker for tests: `tansu` on a free loopback port, with in-memory
//! storage, stopped when the [`KafkaBroker`] is dropped.
//!
//! `.ci/setup-kafka` installs tansu (`cargo install --locked tansu`); a test that does not
//! find it fails and says to run that script — it never skips.
//!
//! ```no_run
//! let broker = weir_testkit::kafka::KafkaBroker::start();
//! broker.create_topic("events", 3);
//! let servers = broker.bootstrap_servers(); // "127.0.0.1:<port>"
//! ```

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewPartitions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::ClientConfig;

/// Producer settings every test producer writing to tansu needs: one record per batch.
///
/// tansu 0.6 keeps record batches whole and answers by batch: a fetch from an offset inside a
/// batch returns the *next* batch (the records from that offset to the batch's end are
/// skipped), the end offset it reports is the last batch's base offset plus one, and a
/// lookup by timestamp finds the batch, not the record. Apache Kafka answers per record. With
/// one record per batch the two agree, so tests that resume from mid-stream positions check
/// Weir, not these gaps.
pub const PRODUCER_SETTINGS: [(&str, &str); 1] = [("batch.num.messages", "1")];

/// How long a broker may take to answer after it was started.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// Where the tansu binary is: on `PATH` or in `~/.cargo/bin`.
pub fn tansu_binary() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("tansu"))
        .find(|p| p.is_file());
    on_path.or_else(|| {
        let home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
        Some(home.join("bin").join("tansu")).filter(|p| p.is_file())
    })
}

/// A running tansu broker on 127.0.0.1.
#[derive(Debug)]
pub struct KafkaBroker {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl KafkaBroker {
    /// Starts a broker on a free port and waits until it answers.
    ///
    /// # Panics
    /// When tansu is not installed ("run .ci/setup-kafka") or does not start; the message
    /// carries the broker's log.
    pub fn start() -> KafkaBroker {
        let binary = tansu_binary()
            .unwrap_or_else(|| panic!("tansu (the Kafka-protocol test broker) is not installed: run .ci/setup-kafka"));
        let dir = tempfile::tempdir().expect("a temporary directory for the broker's log");
        let log = dir.path().join("tansu.log");
        let mut last = String::new();
        for _ in 0..3 {
            let port = free_port();
            let url = format!("tcp://127.0.0.1:{port}");
            let out = std::fs::File::create(&log).expect("the broker's log file");
            let err = out.try_clone().expect("the broker's log file");
            let mut command = Command::new(&binary);
            crate::dies_with_parent(&mut command);
            let mut child = command
                .args(["broker", "--listener-url", &url, "--advertised-listener-url", &url])
                .args(["--storage-engine", "memory://tansu/"])
                .env("RUST_LOG", "warn")
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
            let deadline = Instant::now() + START_TIMEOUT;
            loop {
                if let Ok(Some(status)) = child.try_wait() {
                    last = format!("tansu exited with {status}: {}", std::fs::read_to_string(&log).unwrap_or_default());
                    break;
                }
                if TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200)).is_ok() {
                    return KafkaBroker { child, port, log, _dir: dir };
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    last = format!(
                        "tansu did not answer on port {port} within {START_TIMEOUT:?}: {}",
                        std::fs::read_to_string(&log).unwrap_or_default()
                    );
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("the Kafka test broker did not start: {last}")
    }

    /// `127.0.0.1:<port>`.
    pub fn bootstrap_servers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The broker's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// What the broker logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn admin(&self) -> AdminClient<DefaultClientContext> {
        ClientConfig::new()
            .set("bootstrap.servers", self.bootstrap_servers())
            .create()
            .expect("an admin client for the test broker")
    }

    /// Creates `topic` with `partitions` partitions (tansu does not create topics on use).
    ///
    /// # Panics
    /// When the broker refuses.
    pub fn create_topic(&self, topic: &str, partitions: i32) {
        let admin = self.admin();
        let new = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
        let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
        let results = futures::executor::block_on(admin.create_topics([&new], &options))
            .unwrap_or_else(|e| panic!("creating topic '{topic}' failed: {e}\nbroker log:\n{}", self.log()));
        for r in results {
            if let Err((name, code)) = r {
                panic!("creating topic '{name}' failed: {code}\nbroker log:\n{}", self.log());
            }
        }
    }

    /// Grows `topic` to `partitions` partitions.
    ///
    /// # Errors
    /// The broker's answer when it refuses (not every Kafka-protocol broker can).
    pub fn add_partitions(&self, topic: &str, partitions: usize) -> Result<(), String> {
        let admin = self.admin();
        let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
        let grow = NewPartitions::new(topic, partitions);
        let results =
            futures::executor::block_on(admin.create_partitions([&grow], &options)).map_err(|e| e.to_string())?;
        for r in results {
            r.map_err(|(name, code)| format!("{name}: {code}"))?;
        }
        Ok(())
    }
}

impl Drop for KafkaBroker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nobody listens on now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free loopback port")
}
