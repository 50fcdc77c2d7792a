//! A Confluent-compatible schema registry for tests: `crabka-schema-registry` on a free
//! loopback port, keeping its schemas in the `_schemas` topic of a [`KafkaBroker`] (tansu),
//! stopped when the [`SchemaRegistry`] is dropped.
//!
//! `.ci/setup-schema-registry` installs it; a test that does not find it fails and says to run
//! that script — it never skips.
//!
//! ```no_run
//! let broker = weir_testkit::kafka::KafkaBroker::start();
//! let registry = weir_testkit::schema_registry::SchemaRegistry::start(&broker, &[]);
//! let url = registry.url(); // "http://127.0.0.1:<port>"
//! ```

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::kafka::KafkaBroker;

/// The binary's name.
const BINARY: &str = "crabka-schema-registry";

/// How long the registry may take to answer after it was started (it joins a group on the
/// broker and reads `_schemas` to its end first).
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Where the registry's binary is: on `PATH` or in `~/.cargo/bin`.
pub fn registry_binary() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(BINARY))
        .find(|p| p.is_file());
    on_path.or_else(|| {
        let home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
        Some(home.join("bin").join(BINARY)).filter(|p| p.is_file())
    })
}

/// A running schema registry on 127.0.0.1.
#[derive(Debug)]
pub struct SchemaRegistry {
    child: Child,
    port: u16,
    log: PathBuf,
    /// `Authorization` header for the helper's own requests, when the registry wants one.
    authorization: Option<String>,
    _dir: tempfile::TempDir,
}

impl SchemaRegistry {
    /// Starts a registry over `broker` on a free port, with the extra command-line `args`
    /// (e.g. `["--require-auth", "--basic-user", "u:p"]`, whose credentials the helper's own
    /// requests then send), and waits until it answers `GET /subjects`.
    ///
    /// # Panics
    /// When the registry is not installed ("run .ci/setup-schema-registry") or does not
    /// start; the message carries its log.
    pub fn start(broker: &KafkaBroker, args: &[&str]) -> SchemaRegistry {
        let binary = registry_binary().unwrap_or_else(|| {
            panic!("{BINARY} (the schema registry for tests) is not installed: run .ci/setup-schema-registry")
        });
        let authorization = args
            .iter()
            .position(|a| *a == "--basic-user")
            .and_then(|i| args.get(i + 1))
            .map(|info| format!("Basic {}", base64(info.as_bytes())));
        let dir = tempfile::tempdir().expect("a temporary directory for the registry's log");
        let log = dir.path().join("schema-registry.log");
        let port = free_port();
        let out = std::fs::File::create(&log).expect("the registry's log file");
        let err = out.try_clone().expect("the registry's log file");
        let mut command = Command::new(&binary);
        crate::dies_with_parent(&mut command);
        let listen = format!("127.0.0.1:{port}");
        let child = command
            .args(["--bootstrap-servers", &broker.bootstrap_servers(), "--listen-addr", &listen])
            .args(["--schemas-topic-rf", "1", "--group-id", &format!("schema-registry-{port}")])
            .args(args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let mut registry = SchemaRegistry { child, port, log, authorization, _dir: dir };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = registry.child.try_wait() {
                panic!("{BINARY} exited with {status}: {}", registry.log());
            }
            // 401: it answers, but wants credentials the helper was not given (bearer tokens).
            if let Ok((200 | 401, _)) = registry.request("GET", "/subjects", None) {
                return registry;
            }
            if Instant::now() > deadline {
                panic!("{BINARY} did not answer on port {port} within {START_TIMEOUT:?}: {}", registry.log());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What the registry logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Registers `schema` (Avro JSON) under `subject`; its id.
    ///
    /// # Panics
    /// When the registry refuses (the answer and the log in the message).
    pub fn register(&self, subject: &str, schema: &str) -> u32 {
        let body = format!("{{\"schema\":{}}}", json_string(schema));
        let (status, answer) = self
            .request("POST", &format!("/subjects/{subject}/versions"), Some(&body))
            .unwrap_or_else(|e| panic!("registering under '{subject}': {e}"));
        assert_eq!(status, 200, "registering under '{subject}': {answer}\nregistry log:\n{}", self.log());
        let digits: String = answer
            .split("\"id\"")
            .nth(1)
            .unwrap_or_default()
            .chars()
            .skip_while(|c| !c.is_ascii_digit())
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().unwrap_or_else(|_| panic!("no id in the registry's answer: {answer}"))
    }

    /// One request to the registry: the status and the body.
    ///
    /// # Errors
    /// When the registry cannot be reached or its answer is not HTTP.
    pub fn request(&self, method: &str, path: &str, body: Option<&str>) -> Result<(u16, String), String> {
        let mut s = TcpStream::connect_timeout(&([127, 0, 0, 1], self.port).into(), Duration::from_secs(2))
            .map_err(|e| e.to_string())?;
        s.set_read_timeout(Some(Duration::from_secs(30))).map_err(|e| e.to_string())?;
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
        if let Some(a) = &self.authorization {
            req.push_str(&format!("Authorization: {a}\r\n"));
        }
        if let Some(b) = body {
            req.push_str(&format!(
                "Content-Type: application/vnd.schemaregistry.v1+json\r\nContent-Length: {}\r\n",
                b.len()
            ));
        }
        req.push_str("\r\n");
        req.push_str(body.unwrap_or(""));
        s.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
        let mut answer = String::new();
        s.read_to_string(&mut answer).map_err(|e| e.to_string())?;
        let (head, rest) = answer.split_once("\r\n\r\n").ok_or_else(|| format!("not HTTP: {answer}"))?;
        let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| format!("not HTTP: {head}"))?;
        let chunked = head.to_ascii_lowercase().contains("transfer-encoding: chunked");
        let body = if chunked { dechunk(rest) } else { rest.to_string() };
        Ok((status, body))
    }
}

impl Drop for SchemaRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The body of a chunked answer.
fn dechunk(mut rest: &str) -> String {
    let mut body = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || after.len() < n {
            break;
        }
        body.push_str(&after[..n]);
        rest = after.get(n + 2..).unwrap_or_default();
    }
    body
}

/// `s` as a JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Standard base64 with padding.
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (*b as u32) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() { ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char } else { '=' });
        }
    }
    out
}

/// A port nobody listens on now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free loopback port")
}
