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

/// How a run ended, as its exit code says (and, where WASI P2 can only exit 0 or 1, as the
/// `code` of its structured error says: `BAD_INPUT`, `SUSPENDED`, `CANCELLED`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Exit [`COMPLETED`].
    Completed,
    /// Exit [`FAILED`].
    Failed,
    /// Exit [`SUSPENDED`].
    Suspended,
    /// Exit [`CANCELLED`].
    Cancelled,
    /// Exit [`BAD_INPUT`]: the artifact rejected its input.
    BadInput,
    /// Exit [`SUSPENDED`] with error code `SLEEPING`: the run left its host during a durable
    /// Delay (`RUNTARA_YIELD_AFTER_MS`) and is relaunched at its deadline.
    Sleeping,
    /// Exit [`SUSPENDED`] with error code `WAITING`: the run left its host in a
    /// WaitForSignal and is relaunched when the signal arrives (or the timeout passes).
    Waiting,
}

impl RunStatus {
    /// The exit code of this status.
    pub const fn code(self) -> u8 {
        match self {
            RunStatus::Completed => COMPLETED,
            RunStatus::Failed => FAILED,
            RunStatus::Suspended | RunStatus::Sleeping | RunStatus::Waiting => SUSPENDED,
            RunStatus::Cancelled => CANCELLED,
            RunStatus::BadInput => BAD_INPUT,
        }
    }

    /// The status an exit code means on its own: 1 and unknown codes are failures.
    pub const fn from_code(code: i32) -> Self {
        match code {
            0 => RunStatus::Completed,
            2 => RunStatus::BadInput,
            3 => RunStatus::Suspended,
            4 => RunStatus::Cancelled,
            _ => RunStatus::Failed,
        }
    }

    /// The status a failure's error `code` stands for (`BAD_INPUT`, `SUSPENDED`,
    /// `SLEEPING`, `WAITING`, `CANCELLED`); anything else is a failure.
    pub fn from_error_code(code: Option<&str>) -> Self {
        match code {
            Some("BAD_INPUT") => RunStatus::BadInput,
            Some("SUSPENDED") => RunStatus::Suspended,
            Some("SLEEPING") => RunStatus::Sleeping,
            Some("WAITING") => RunStatus::Waiting,
            Some("CANCELLED") => RunStatus::Cancelled,
            _ => RunStatus::Failed,
        }
    }

    /// The lower-case name of `--format envelope` and of instance statuses; bad input is a
    /// failed run (its error code says why).
    pub const fn as_str(self) -> &'static str {
        match self {
            RunStatus::Completed => "completed",
            RunStatus::Failed | RunStatus::BadInput => "failed",
            RunStatus::Suspended => "suspended",
            RunStatus::Sleeping => "sleeping",
            RunStatus::Waiting => "waiting",
            RunStatus::Cancelled => "cancelled",
        }
    }
}
