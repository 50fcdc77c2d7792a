//! A PostgreSQL server for tests, on loopback.
