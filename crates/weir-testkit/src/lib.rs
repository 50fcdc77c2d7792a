//! Real systems for Weir's tests, started on loopback addresses only.
//!
//! * [`kafka`]: a Kafka-protocol broker (`tansu`).
//! * [`postgres`]: a PostgreSQL server from Debian's packages.
//! * [`schema_registry`]: a Confluent-compatible schema registry (`crabka-schema-registry`)
//!   over the Kafka broker.
//!
//! The `.ci/` set-up scripts install the servers; a test that finds a server missing fails
//! with the command that installs it — it never passes silently.

pub mod kafka;
pub mod postgres;
pub mod schema_registry;

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::Command;

/// Makes the server `command` starts die with the test process: a test that is killed (or
/// whose thread ends) takes its broker or registry with it.
pub(crate) fn dies_with_parent(command: &mut Command) -> &mut Command {
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        })
    }
}

/// Says loudly, in the test run's output, that a test could not verify something here (the
/// test broker lacks a feature, say) — so a pass never hides it.
///
/// libtest captures `print!`/`eprint!` of passing tests; this writes to the process's
/// standard error directly, which it does not capture, so the banner shows in every run
/// (`cargo test` and CI alike).
pub fn report_unverified(what: &str, why: &str) {
    let rule = "#".repeat(80);
    let banner = format!("\n{rule}\n## {what} NOT VERIFIED\n## {why}\n{rule}\n");
    let mut err = std::io::stderr().lock();
    // A banner that cannot be written cannot be reported either.
    let _ = err.write_all(banner.as_bytes());
    let _ = err.flush();
}
