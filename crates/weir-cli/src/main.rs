//! `weir` — the single binary. See `weir --help`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use weir_cli::checkpoint_options::CheckpointArgs;
use weir_cli::nexmark::{self, NexmarkInput, Query, RunSpec};
use weir_cli::state_backend_options::StateBackendArgs;
use weir_connectors::nexmark::{write_dir, NexmarkConfig};

/// Weir: stream processing in the spirit of Apache Flink, in one binary.
#[derive(Parser)]
#[command(name = "weir", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log level of the messages written to stderr: error, warn, info (completed and
    /// aborted checkpoints, restarts), debug or trace; or a filter such as
    /// `weir_runtime=info`. The RUST_LOG environment variable takes precedence.
    #[arg(long, global = true, default_value = "warn")]
    log_level: String,
}

#[derive(Subcommand)]
enum Command {
    /// Run a Nexmark query on the embedded runtime and report its throughput, or
    /// generate Nexmark event files.
    Nexmark(Box<NexmarkArgs>),
    /// Ask a running job (started with --checkpoint-dir) for a savepoint: it is written
    /// as a `chk-N` directory in the job's checkpoint directory, and the job prints its
    /// path. Resume from it with `--restore DIR/chk-N`, at any --parallelism.
    Savepoint(SavepointArgs),
    /// Run a Flink SQL script: DDL changes the session's catalog, each INSERT INTO (or
    /// statement set) runs as a streaming job, and a plain SELECT prints its result as a
    /// changelog (`+I[…]`, `-U[…]`, `+U[…]`, `-D[…]`) on stdout.
    Run(SqlRunArgs),
    /// The interactive SQL client (multi-line statements, history, result modes table /
    /// tableau / changelog); with `-f FILE` it runs a script like `weir run`.
    Sql(SqlClientArgs),
}

#[derive(Args)]
struct SqlRunArgs {
    /// The SQL script.
    file: PathBuf,
    /// Default parallelism of the script's jobs (`SET 'parallelism.default'` overrides it).
    #[arg(short = 'p', long, default_value_t = 1)]
    parallelism: usize,
    /// Checkpointing of the script's INSERT jobs (`SET 'execution.checkpointing.*'` in the
    /// script goes over these). With it, filesystem sinks write exactly once.
    #[command(flatten)]
    checkpoints: CheckpointArgs,
}

#[derive(Args)]
struct SqlClientArgs {
    /// Run this script and exit.
    #[arg(short = 'f', long = "file")]
    file: Option<PathBuf>,
    /// Default parallelism of the session's jobs.
    #[arg(short = 'p', long, default_value_t = 1)]
    parallelism: usize,
}

#[derive(Args)]
struct SavepointArgs {
    /// The process id of the running `weir` job.
    pid: i32,
}

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
struct NexmarkArgs {
    #[command(subcommand)]
    action: Option<NexmarkAction>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand)]
enum NexmarkAction {
    /// Write persons.jsonl, auctions.jsonl and bids.jsonl (the schema Apache Flink's
    /// peers harness reads) into a directory.
    Generate(GenerateArgs),
}

#[derive(Args)]
struct GenerateArgs {
    /// Number of events (persons, auctions and bids together).
    #[arg(long, default_value_t = 1_000_000)]
    events: u64,
    /// Generator seed: the same seed gives the same events.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Events per event-time second.
    #[arg(long, default_value_t = 10_000)]
    rate: u64,
    /// Output directory.
    #[arg(long)]
    out: PathBuf,
}

/// Which implementation of the Nexmark queries runs.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Api {
    /// The queries written with the DataStream API.
    Datastream,
    /// The queries as Flink SQL scripts (`queries/nexmark/qN.sql`).
    Sql,
}

#[derive(Args)]
struct RunArgs {
    /// The query. DataStream API: q0, q1, q2, q5, q7, q8, q11, q12, or `sliding` (bids per
    /// auction in windows of --window-ms sliding by --slide-ms: the sliding-window cost
    /// benchmark). SQL: q0 … q22.
    #[arg(long)]
    query: Option<String>,
    /// Run the DataStream implementation of the query or its SQL script.
    #[arg(long, value_enum, default_value = "datastream")]
    api: Api,
    /// Window size of `--query sliding`, in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    window_ms: u64,
    /// Slide of `--query sliding`, in milliseconds.
    #[arg(long, default_value_t = 2_000)]
    slide_ms: u64,
    /// Number of generated events (ignored with --input).
    #[arg(long, default_value_t = 10_000_000)]
    events: u64,
    /// Generator seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Generated events per event-time second.
    #[arg(long, default_value_t = 10_000)]
    rate: u64,
    /// Read events from JSON-lines files in this directory instead of generating them.
    #[arg(long, conflicts_with_all = ["events", "seed", "rate"])]
    input: Option<PathBuf>,
    /// Parallelism of every operator.
    #[arg(long, short = 'p', default_value_t = 1)]
    parallelism: usize,
    /// Write the result rows as JSON lines (one part file per subtask) into this directory.
    #[arg(long)]
    output: Option<PathBuf>,
    #[command(flatten)]
    checkpoints: CheckpointArgs,
    /// Keyed state of the DataStream queries (the SQL queries keep theirs on the heap).
    #[command(flatten)]
    state_backend: StateBackendArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = init_logging(&cli.log_level) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    let result = match cli.command {
        Command::Nexmark(args) => match args.action {
            Some(NexmarkAction::Generate(g)) => generate(g),
            None => run_nexmark(args.run),
        },
        Command::Savepoint(args) => savepoint(args),
        Command::Run(args) => run_sql_file(&args.file, args.parallelism, &args.checkpoints),
        Command::Sql(args) => match args.file {
            Some(file) => run_sql_file(&file, args.parallelism, &CheckpointArgs::default()),
            None => weir_cli::sql_client::run(args.parallelism),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Writes the runtime's log messages to stderr, filtered by RUST_LOG when it is set and by
/// `level` otherwise.
fn init_logging(level: &str) -> Result<(), String> {
    use std::io::IsTerminal;
    let (source, filter) = match std::env::var("RUST_LOG") {
        Ok(v) if !v.trim().is_empty() => ("RUST_LOG", v),
        _ => ("--log-level", level.to_string()),
    };
    // A bare word would be taken as a module name (every level of module `loud`): only the
    // levels are bare words here.
    let bare = !filter.contains(['=', ',', ':', '[']);
    if bare && !["off", "error", "warn", "info", "debug", "trace"].contains(&filter.trim().to_lowercase().as_str()) {
        return Err(format!("{source} '{filter}' is not a log level: use error, warn, info, debug or trace"));
    }
    let filter = tracing_subscriber::EnvFilter::try_new(&filter).map_err(|e| {
        format!("{source} '{filter}' is not a log level or filter ({e}); use error, warn, info, debug or trace")
    })?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    Ok(())
}

fn generate(args: GenerateArgs) -> anyhow::Result<()> {
    let config = NexmarkConfig::new(args.events).with_seed(args.seed).with_first_event_rate(args.rate);
    let started = std::time::Instant::now();
    let meta = write_dir(&config, &args.out)?;
    println!(
        "wrote {} events ({} persons, {} auctions, {} bids) to {} in {:.2} s",
        meta.events,
        meta.persons,
        meta.auctions,
        meta.bids,
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn savepoint(args: SavepointArgs) -> anyhow::Result<()> {
    // SAFETY: kill(2) with a valid signal number has no memory-safety preconditions.
    let rc = unsafe { libc::kill(args.pid, libc::SIGUSR1) };
    if rc != 0 {
        anyhow::bail!("cannot signal process {}: {}", args.pid, std::io::Error::last_os_error());
    }
    println!("asked process {} for a savepoint; it prints `savepoint DIR/chk-N` when done", args.pid);
    Ok(())
}

fn run_nexmark(args: RunArgs) -> anyhow::Result<()> {
    let name = args
        .query
        .clone()
        .ok_or_else(|| anyhow::anyhow!("--query is required (q0 … q22), or use `weir nexmark generate`"))?;
    let (input, source) = match &args.input {
        Some(dir) => (NexmarkInput::Files(dir.clone()), format!("files in {}", dir.display())),
        None => (
            NexmarkInput::Generate(
                NexmarkConfig::new(args.events).with_seed(args.seed).with_first_event_rate(args.rate),
            ),
            format!("generator: {} events, seed {}, {} events/s of event time", args.events, args.seed, args.rate),
        ),
    };
    if args.api == Api::Sql {
        if args.state_backend.config()?.kind != weir::StateBackendKind::HashMap {
            anyhow::bail!("--state-backend embedded applies to the DataStream queries; SQL operators keep their state on the heap");
        }
        eprintln!("Nexmark {name} (SQL) · parallelism {} · {source}", args.parallelism);
        let spec = nexmark::sql::SqlRunSpec {
            query: name,
            input,
            parallelism: args.parallelism,
            output: args.output.clone(),
            checkpoints: args.checkpoints.clone(),
        };
        let report = nexmark::sql::run(&spec)?;
        print_report(&report, &args, args.checkpoints.checkpoint_dir.is_some());
        return Ok(());
    }
    let mut query: Query = name.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Query::Sliding { .. } = query {
        if args.slide_ms == 0 || args.window_ms == 0 {
            anyhow::bail!("--window-ms and --slide-ms must be positive");
        }
        query = Query::Sliding { size_ms: args.window_ms, slide_ms: args.slide_ms };
    }
    let spec = RunSpec {
        query,
        input,
        parallelism: args.parallelism,
        output: args.output.clone(),
        checkpointing: args.checkpoints.settings()?,
        checkpoint_dir: args.checkpoints.checkpoint_dir.clone(),
        restart_strategy: args.checkpoints.restart_strategy()?,
        state_backend: args.state_backend.config()?,
    };
    eprintln!("Nexmark {query} · parallelism {} · {source}", args.parallelism);
    let r = nexmark::run(&spec)?;
    print_report(&r, &args, spec.checkpointing.is_some());
    Ok(())
}

/// The measurements of a run, for people and (the last `RESULT` line) for scripts.
fn print_report(r: &nexmark::RunReport, args: &RunArgs, checkpointing: bool) {
    let m = |x: f64| x / 1e6;
    println!("events           {:>14}", r.events);
    if r.events_read != r.events {
        println!("events read      {:>14}   (the query reads only the event types it uses)", r.events_read);
    }
    println!("result rows      {:>14}", r.rows);
    println!("elapsed          {:>12.3} s", r.elapsed_s);
    println!("throughput       {:>12.3} M events/s", m(r.events_per_s()));
    println!("cpu time         {:>12.3} s", r.cpu_s);
    println!("per cpu-second   {:>12.3} M events/s", m(r.events_per_cpu_s()));
    println!("peak memory      {:>12.1} MiB", r.peak_rss_mib);
    if let Some(out) = &args.output {
        println!("output           {}", out.display());
    }
    if checkpointing {
        let s = &r.checkpoint_stats;
        println!("checkpoints      {:>14}", r.checkpoints);
        if s.completed > 0 {
            println!(
                "checkpoint time  {:>12.1} ms mean, {} ms max (trigger to manifest)",
                s.total_duration_ms as f64 / s.completed as f64,
                s.max_duration_ms
            );
            println!(
                "checkpoint size  {:>12.1} KiB last, {:.1} KiB max",
                s.last_size_bytes as f64 / 1024.0,
                s.max_size_bytes as f64 / 1024.0
            );
        }
        if let Some(id) = r.restored_from {
            println!("restored from    {:>14}", format!("chk-{id}"));
        }
        if r.restarts > 0 {
            println!("restarts         {:>14}", r.restarts);
            for (i, why) in r.failures.iter().enumerate() {
                println!("  failure {}: {why}", i + 1);
            }
        }
    }
    println!(
        "RESULT query={} p={} events={} rows={} elapsed_s={:.3} events_per_s={:.0} cpu_s={:.3} events_per_cpu_s={:.0} peak_rss_mib={:.1}",
        r.query,
        r.parallelism,
        r.events,
        r.rows,
        r.elapsed_s,
        r.events_per_s(),
        r.cpu_s,
        r.events_per_cpu_s(),
        r.peak_rss_mib
    );
}

// Records are small, short-lived allocations made on one thread and freed on another;
// mimalloc handles that pattern markedly faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Runs a SQL script; errors show the statement's line with a caret.
fn run_sql_file(file: &std::path::Path, parallelism: usize, checkpoints: &CheckpointArgs) -> anyhow::Result<()> {
    let script = std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let settings = weir_sql::session::JobSettings { parallelism: parallelism.max(1), ..Default::default() };
    let mut session = weir_sql::session::Session::new(settings);
    session.set_checkpointing(checkpoints.settings()?);
    session.set_restart_strategy(checkpoints.restart_strategy()?);
    session.on_job_started(weir_cli::checkpoint_options::savepoint_hook(checkpoints.checkpoint_dir.clone()));
    let mut out = ScriptOutput(std::io::stdout().lock());
    session.execute_script(&script, &mut out).map_err(|e| anyhow::anyhow!("{}", e.render(&script)))
}

/// A script's output: result rows on stdout (to be piped and compared), messages on stderr.
struct ScriptOutput<W: std::io::Write>(W);

impl<W: std::io::Write> weir_sql::session::ResultSink for ScriptOutput<W> {
    fn row(&mut self, line: &str) {
        let _ = std::io::Write::write_fmt(&mut self.0, format_args!("{line}\n"));
    }
    fn message(&mut self, text: &str) {
        eprintln!("{text}");
    }
}
