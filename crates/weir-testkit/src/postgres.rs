//! A PostgreSQL server for tests, on loopback.
//!
//! [`PostgresServer::shared`] starts one server per test binary (the first test that asks
//! starts it, ~3.5 s; the others reuse it) on a free `127.0.0.1` port, with trust
//! authentication for the `postgres` user and `fsync` off. Each test then takes a database
//! of its own ([`PostgresServer::create_database`]) and a JDBC URL for it
//! (`jdbc:postgresql://127.0.0.1:PORT/weir_test_N`), so tests never see each other's
//! tables.
//!
//! The server is stopped and its data directory removed when the test binary exits —
//! even when it is killed: a small watchdog process waits for the test process to go away.
//! A server from [`PostgresServer::start`] is also stopped when dropped.
//!
//! PostgreSQL is found on `PATH` or under `/usr/lib/postgresql/*/bin`; when it is missing,
//! starting fails with the command that installs it (`.ci/setup-postgres`) — a test never
//! skips silently. As root (CI), the server runs as the `postgres` system user, which
//! PostgreSQL requires.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// A running PostgreSQL server on loopback.
#[derive(Debug)]
pub struct PostgresServer {
    port: u16,
    data_dir: PathBuf,
    bin_dir: PathBuf,
    /// Run server commands as the `postgres` user (we are root).
    as_postgres: bool,
    /// Stop the server when dropped (not for the shared server, which a watchdog stops).
    stop_on_drop: bool,
}

/// A database of its own for one test, on a [`PostgresServer`].
#[derive(Debug, Clone)]
pub struct TestDatabase {
    /// The database name (`weir_test_N_PID`).
    pub name: String,
    /// The server's port on 127.0.0.1.
    pub port: u16,
}

impl TestDatabase {
    /// The JDBC URL of the database, as Flink's JDBC connector takes it.
    pub fn jdbc_url(&self) -> String {
        format!("jdbc:postgresql://127.0.0.1:{}/{}", self.port, self.name)
    }

    /// A client connected to the database as `postgres`.
    ///
    /// # Panics
    /// When the server does not accept the connection (the test fails, saying why).
    pub fn connect(&self) -> postgres::Client {
        connect(self.port, &self.name)
    }
}

fn connect(port: u16, database: &str) -> postgres::Client {
    postgres::Config::new()
        .host("127.0.0.1")
        .port(port)
        .user("postgres")
        .dbname(database)
        .connect(postgres::NoTls)
        .unwrap_or_else(|e| panic!("cannot connect to the test PostgreSQL on 127.0.0.1:{port}/{database}: {e}"))
}

impl PostgresServer {
    /// The server every test of this binary shares, started on first use.
    ///
    /// # Panics
    /// When PostgreSQL is not installed ("run .ci/setup-postgres") or does not start.
    pub fn shared() -> &'static PostgresServer {
        static SHARED: OnceLock<PostgresServer> = OnceLock::new();
        SHARED.get_or_init(|| {
            let mut server = PostgresServer::start();
            server.stop_on_drop = false;
            server.watch_parent();
            server
        })
    }

    /// Starts a server of its own, stopped when dropped.
    ///
    /// # Panics
    /// When PostgreSQL is not installed ("run .ci/setup-postgres") or does not start.
    pub fn start() -> PostgresServer {
        let bin_dir = find_bin_dir().unwrap_or_else(|| {
            panic!(
                "PostgreSQL is not installed here (no initdb/pg_ctl on PATH or under /usr/lib/postgresql/*/bin): \
                 run .ci/setup-postgres"
            )
        });
        let as_postgres = is_root();
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let data_dir = std::env::temp_dir().join(format!(
            "weir-postgres-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&data_dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", data_dir.display()));
        if as_postgres {
            run(Command::new("chown").arg("postgres:postgres").arg(&data_dir), "chown the data directory");
        }
        let mut server = PostgresServer { port: 0, data_dir, bin_dir, as_postgres, stop_on_drop: true };
        let mut initdb = server.command("initdb");
        initdb.args(["-A", "trust", "-U", "postgres", "--no-sync", "-D"]).arg(server.pg_data());
        run(&mut initdb, "initdb");
        // A port another process takes between our probe and the server's bind makes
        // pg_ctl fail: try a few ports.
        let mut last_error = String::new();
        for _ in 0..5 {
            server.port = free_port();
            let options = format!(
                "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off -c max_connections=200",
                server.port,
                server.data_dir.display()
            );
            let mut start = server.command("pg_ctl");
            start.arg("-D").arg(server.pg_data()).args(["-o", &options, "-w", "-t", "30", "-l"]);
            start.arg(server.data_dir.join("server.log")).arg("start");
            match start.output() {
                Ok(out) if out.status.success() => return server,
                Ok(out) => {
                    let log = std::fs::read_to_string(server.data_dir.join("server.log")).unwrap_or_default();
                    last_error = format!(
                        "{}{}\nserver log:\n{log}",
                        String::from_utf8_lossy(&out.stdout),
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
                Err(e) => last_error = e.to_string(),
            }
        }
        panic!("PostgreSQL did not start on 127.0.0.1: {last_error}");
    }

    /// The server's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A fresh, empty database for one test.
    ///
    /// # Panics
    /// When the server refuses to create it.
    pub fn create_database(&self) -> TestDatabase {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!("weir_test_{}_{}", NEXT.fetch_add(1, Ordering::Relaxed), std::process::id());
        let mut admin = connect(self.port, "postgres");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("cannot create database {name} on the test PostgreSQL: {e}"));
        TestDatabase { name, port: self.port }
    }

    fn pg_data(&self) -> PathBuf {
        self.data_dir.join("data")
    }

    /// A PostgreSQL program, run as the `postgres` user when we are root.
    fn command(&self, program: &str) -> Command {
        let path = self.bin_dir.join(program);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        };
        command.stdin(Stdio::null());
        command
    }

    /// Starts a process that stops the server and removes its files once this process
    /// has gone (statics are never dropped, and a killed test runs no destructor).
    fn watch_parent(&self) {
        let stop = self.stop_command_line();
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {stop} >/dev/null 2>&1; rm -rf '{dir}'",
            pid = std::process::id(),
            dir = self.data_dir.display()
        );
        let spawned = Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        if let Err(e) = spawned {
            panic!("cannot start the watchdog that stops the test PostgreSQL: {e}");
        }
    }

    fn stop_command_line(&self) -> String {
        let pg_ctl =
            format!("'{}' -D '{}' -m immediate stop", self.bin_dir.join("pg_ctl").display(), self.pg_data().display());
        if self.as_postgres {
            format!("runuser -u postgres -- {pg_ctl}")
        } else {
            pg_ctl
        }
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        if self.stop_on_drop {
            let _ = Command::new("sh").args(["-c", &self.stop_command_line()]).output();
            let _ = std::fs::remove_dir_all(&self.data_dir);
        }
    }
}

/// Runs `command`, panicking with its output when it fails.
fn run(command: &mut Command, what: &str) {
    match command.output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "{what} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => panic!("cannot run {what}: {e}"),
    }
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0 gives a free port");
    listener.local_addr().expect("a bound socket has an address").port()
}

/// The directory holding `initdb` and `pg_ctl`: on `PATH`, else the newest
/// `/usr/lib/postgresql/*/bin`.
fn find_bin_dir() -> Option<PathBuf> {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(path) = std::env::var_os("PATH") {
        if let Some(dir) = std::env::split_paths(&path).find(|d| has_both(d)) {
            return Some(dir);
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|d| has_both(d))
        .collect();
    versions.sort_by_key(|d| {
        d.parent().and_then(|v| v.file_name()).and_then(|v| v.to_str()).and_then(|v| v.parse::<u32>().ok())
    });
    versions.pop()
}
