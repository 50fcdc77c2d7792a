//! Real systems for Weir's tests, started on loopback addresses only.
//!
//! * [`kafka`]: a Kafka-protocol broker (`tansu`).
//! * [`postgres`]: a PostgreSQL server from Debian's packages.
//!
//! The `.ci/` set-up scripts install the servers; a test that finds a server missing fails
//! with the command that installs it — it never passes silently.

pub mod kafka;
pub mod postgres;
