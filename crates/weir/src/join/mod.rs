//! Joins of two streams: window joins, co-groups, interval joins (being built).
