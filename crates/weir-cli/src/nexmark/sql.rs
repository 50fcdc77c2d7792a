//! Nexmark in SQL: the queries q0–q22 as Flink SQL scripts (`queries/nexmark/` at the
//! repository root, built into the binary), run on a SQL session and measured like the
//! DataStream queries.
//!
//! Each script is complete on its own (`weir run queries/nexmark/q5.sql` works): it creates
//! the Nexmark tables it reads with the `nexmark` connector, a `blackhole` result table
//! `nexmark_qN`, and inserts into it. The runner keeps the statements and replaces the
//! tables' `WITH` options: the sources follow `--events/--seed/--rate`, or read the JSON
//! files of `--input`; with `--output` the result goes to JSON lines, an updating result
//! with an `"op"` field (`+I`, `-U`, `+U`, `-D`) on every row.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use arrow::array::{Array, ArrayRef, Int64Array, StringArray};
use arrow::datatypes::DataType;
use weir_sql::catalog::UserFunction;
use weir_sql::session::{JobSettings, ResultSink, Session};

use super::runner::{NexmarkInput, RunReport};
use crate::cpu::{peak_rss_mib, process_cpu_time};

/// The SQL text of each query, by name.
pub const QUERIES: [(&str, &str); 23] = [
    ("q0", include_str!("../../../../queries/nexmark/q0.sql")),
    ("q1", include_str!("../../../../queries/nexmark/q1.sql")),
    ("q2", include_str!("../../../../queries/nexmark/q2.sql")),
    ("q3", include_str!("../../../../queries/nexmark/q3.sql")),
    ("q4", include_str!("../../../../queries/nexmark/q4.sql")),
    ("q5", include_str!("../../../../queries/nexmark/q5.sql")),
    ("q6", include_str!("../../../../queries/nexmark/q6.sql")),
    ("q7", include_str!("../../../../queries/nexmark/q7.sql")),
    ("q8", include_str!("../../../../queries/nexmark/q8.sql")),
    ("q9", include_str!("../../../../queries/nexmark/q9.sql")),
    ("q10", include_str!("../../../../queries/nexmark/q10.sql")),
    ("q11", include_str!("../../../../queries/nexmark/q11.sql")),
    ("q12", include_str!("../../../../queries/nexmark/q12.sql")),
    ("q13", include_str!("../../../../queries/nexmark/q13.sql")),
    ("q14", include_str!("../../../../queries/nexmark/q14.sql")),
    ("q15", include_str!("../../../../queries/nexmark/q15.sql")),
    ("q16", include_str!("../../../../queries/nexmark/q16.sql")),
    ("q17", include_str!("../../../../queries/nexmark/q17.sql")),
    ("q18", include_str!("../../../../queries/nexmark/q18.sql")),
    ("q19", include_str!("../../../../queries/nexmark/q19.sql")),
    ("q20", include_str!("../../../../queries/nexmark/q20.sql")),
    ("q21", include_str!("../../../../queries/nexmark/q21.sql")),
    ("q22", include_str!("../../../../queries/nexmark/q22.sql")),
];

/// The script of `query` (`q0` … `q22`).
pub fn script(query: &str) -> Option<&'static str> {
    QUERIES.iter().find(|(name, _)| *name == query).map(|(_, sql)| *sql)
}

/// One SQL run.
#[derive(Debug, Clone)]
pub struct SqlRunSpec {
    /// `q0` … `q22`.
    pub query: String,
    /// Events from.
    pub input: NexmarkInput,
    /// Default parallelism of the job.
    pub parallelism: usize,
    /// Result rows as JSON lines into this directory, or dropped.
    pub output: Option<PathBuf>,
    /// Checkpointing (with it, `--output` is written exactly once).
    pub checkpoints: crate::checkpoint_options::CheckpointArgs,
}

fn options(pairs: &[(&str, String)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

/// `count_char(s, c)`: how often the character `c` occurs in `s` (Nexmark q14's user
/// function, `weir.nexmark.CountChar`).
pub fn count_char() -> UserFunction {
    UserFunction::scalar("count_char", vec![DataType::Utf8, DataType::Utf8], DataType::Int64, |args: &[ArrayRef]| {
        let text = args[0].as_any().downcast_ref::<StringArray>().ok_or("count_char: the text is not a string")?;
        let chars = args[1].as_any().downcast_ref::<StringArray>().ok_or("count_char: the char is not a string")?;
        let counts: Int64Array = (0..text.len())
            .map(|i| {
                if text.is_null(i) || chars.is_null(i) {
                    return None;
                }
                let c = chars.value(i).chars().next()?;
                Some(occurrences(text.value(i), c) as i64)
            })
            .collect();
        Ok(Arc::new(counts) as ArrayRef)
    })
}

/// How often `c` occurs in `text`. An ASCII character is one byte of UTF-8 and never part of
/// another character, so it is counted over the bytes (a loop the compiler vectorizes).
fn occurrences(text: &str, c: char) -> usize {
    if c.is_ascii() {
        let b = c as u8;
        text.bytes().filter(|x| *x == b).count()
    } else {
        text.chars().filter(|x| *x == c).count()
    }
}

/// The session that runs `spec`'s script: tables pointed at its input and output.
fn session(spec: &SqlRunSpec) -> Session {
    let mut session = Session::new(JobSettings { parallelism: spec.parallelism.max(1), ..Default::default() });
    session.register_function("weir.nexmark.CountChar", count_char());
    for (table, file) in [("person", "persons"), ("auction", "auctions"), ("bid", "bids")] {
        let with = match &spec.input {
            NexmarkInput::Generate(config) => options(&[
                ("connector", "nexmark".into()),
                ("event-type", table.into()),
                ("events.num", config.events.to_string()),
                ("seed", config.seed.to_string()),
                ("first-event.rate", config.first_event_rate.to_string()),
            ]),
            NexmarkInput::Files(dir) => options(&[
                ("connector", "filesystem".into()),
                ("path", files_of(dir, file).display().to_string()),
                ("format", "json".into()),
            ]),
        };
        session.override_table_options(table, with);
    }
    if let Some(out) = &spec.output {
        session.override_table_options(
            &format!("nexmark_{}", spec.query),
            options(&[
                ("connector", "filesystem".into()),
                ("path", out.display().to_string()),
                ("format", "json".into()),
                ("sink.changelog-mode", "all".into()),
            ]),
        );
    }
    session
}

/// `DIR/bids.jsonl`, or the directory `DIR/bids/` of part files when that is the layout.
fn files_of(dir: &Path, stream: &str) -> PathBuf {
    let split = dir.join(stream);
    if split.is_dir() {
        split
    } else {
        dir.join(format!("{stream}.jsonl"))
    }
}

/// Messages to stderr; a script's SELECT rows (none in the Nexmark scripts) to stdout.
struct Console;

impl ResultSink for Console {
    fn row(&mut self, line: &str) {
        println!("{line}");
    }
    fn message(&mut self, _: &str) {}
}

/// Runs `spec` and measures it.
///
/// # Errors
/// An unknown query, or the script's first error (planning or execution), shown with its
/// position in the script.
pub fn run(spec: &SqlRunSpec) -> anyhow::Result<RunReport> {
    let sql = script(&spec.query)
        .ok_or_else(|| anyhow::anyhow!("unknown Nexmark query '{}': the SQL queries are q0 … q22", spec.query))?;
    if let Some(out) = &spec.output {
        std::fs::create_dir_all(out).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", out.display()))?;
    }
    let mut session = session(spec);
    session.set_checkpointing(spec.checkpoints.settings()?);
    session.set_restart_strategy(spec.checkpoints.restart_strategy()?);
    session.on_job_started(crate::checkpoint_options::savepoint_hook(spec.checkpoints.checkpoint_dir.clone()));
    let cpu_before = process_cpu_time();
    let started = Instant::now();
    session
        .execute_script(sql, &mut Console)
        .map_err(|e| anyhow::anyhow!("Nexmark {} (SQL): {}", spec.query, e.render(sql)))?;
    let elapsed = started.elapsed();
    let cpu = process_cpu_time().saturating_sub(cpu_before);
    let events = match &spec.input {
        NexmarkInput::Generate(config) => config.events,
        // A layout of part files (the peers' `parts2/`) sits inside the data set's folder.
        NexmarkInput::Files(dir) => super::runner::data_set_events(dir)
            .or_else(|| dir.parent().and_then(super::runner::data_set_events))
            .unwrap_or(0),
    };
    Ok(RunReport {
        query: format!("{}-sql", spec.query),
        parallelism: spec.parallelism,
        events,
        events_read: events,
        rows: session.rows_written(),
        elapsed_s: elapsed.as_secs_f64(),
        cpu_s: cpu.as_secs_f64(),
        peak_rss_mib: peak_rss_mib(),
        checkpoints: session.last_job().map_or(0, |j| j.completed_checkpoints.len()),
        checkpoint_stats: session.last_job().map(|j| j.checkpoint_stats.clone()).unwrap_or_default(),
        restored_from: session.last_job().and_then(|j| j.restored_from).map(|c| c.0),
        restarts: session.last_job().map_or(0, |j| j.restarts),
        failures: session.last_job().map(|j| j.failures.clone()).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_query_has_a_script_that_parses() {
        for (name, sql) in QUERIES {
            let statements =
                weir_sql::parser::parse_script(sql).unwrap_or_else(|e| panic!("{name}: {}", e.render(sql)));
            assert!(statements.len() >= 3, "{name}: tables and an INSERT");
            assert!(sql.contains(&format!("INSERT INTO nexmark_{name}")), "{name} inserts into nexmark_{name}");
        }
    }

    #[test]
    fn count_char_counts_one_character() {
        let UserFunction::Scalar(f) = count_char() else { panic!("a scalar function") };
        assert_eq!(f.name(), "count_char");
        for (text, c, want) in [("abcabc", 'c', 2), ("", 'c', 0), ("écé", 'c', 1), ("éçé", 'é', 2), ("xçc", 'ç', 1)]
        {
            assert_eq!(occurrences(text, c), want, "{c} in {text}");
        }
    }
}
