//! Windows on keyed and non-keyed streams (being built).
