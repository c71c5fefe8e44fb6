//! Crash and fault tests.
