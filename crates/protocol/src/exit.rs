//! Exit codes: what a compiled artifact returns (README "The artifact contract"), what
//! `runtara run` passes through, and what the CLI's own commands use.

/// The run completed; its output is on stdout.
pub const COMPLETED: u8 = 0;
/// The run failed (its structured error is on stderr); for CLI commands: the workflow is
/// invalid or the work failed.
pub const FAILED: u8 = 1;
/// The input was not usable (not JSON, unreadable); for CLI commands: a usage error.
pub const BAD_INPUT: u8 = 2;
/// The run stopped at a step boundary because it was paused; rerun to continue.
pub const SUSPENDED: u8 = 3;
/// The run was cancelled.
pub const CANCELLED: u8 = 4;
