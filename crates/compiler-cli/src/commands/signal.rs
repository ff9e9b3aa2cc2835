//! `runtara signal`: pause, resume or cancel an instance, or deliver a custom signal, through
//! a core (`--core`) or the local store of `run --state-dir`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use runtara_protocol::wire::SignalRequest;
use runtara_sdk::local::LocalStore;
use runtara_sdk::Signal;
use serde_json::Value;

use crate::args::CoreArgs;
use crate::core_client::encode;
use crate::error::{CliError, Result};

/// Pause, resume or cancel an instance, or deliver a custom signal.
///
/// Works on the instance's local state store (`run --state-dir`) or on a core (`--core`).
/// Pause and cancel take effect at the next step boundary; a custom signal completes the
/// WaitForSignal step waiting for it.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The instance id (as given to `run --instance`).
    pub instance: String,
    /// `pause`, `resume` or `cancel` (omit with --custom).
    #[arg(value_enum)]
    pub action: Option<Control>,
    /// The signal id the WaitForSignal step waits for
    /// (`<instance>/<workflow>/<step>[/[indices]]`, see its `external_input_requested` event).
    #[arg(long = "custom", value_name = "SIGNAL_ID")]
    pub custom: Option<String>,
    /// The payload JSON.
    #[arg(long, default_value = "null")]
    pub payload: String,
    /// The local state store of the run (`run --state-dir`).
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    #[command(flatten)]
    pub core: CoreArgs,
}

/// The control signals.
#[derive(Clone, Copy, ValueEnum, PartialEq, Debug)]
pub enum Control {
    Pause,
    Resume,
    Cancel,
}

impl Control {
    /// The protocol's signal.
    pub fn signal(self) -> Signal {
        match self {
            Control::Pause => Signal::Pause,
            Control::Resume => Signal::Resume,
            Control::Cancel => Signal::Cancel,
        }
    }
}

/// What to deliver, once the flags are checked.
enum Delivery {
    Control(Control),
    Custom { signal_id: String, payload: Value },
}

/// Delivers the signal. Errors: 2 for contradictory flags or a payload that is not JSON,
/// 1 when the store or core refuses or cannot be reached.
pub fn run(args: Args) -> Result<ExitCode> {
    let delivery = match (args.action, args.custom) {
        (Some(a), None) => Delivery::Control(a),
        (None, Some(signal_id)) => {
            let payload = serde_json::from_str(&args.payload)
                .map_err(|e| CliError::usage(format!("--payload is not JSON: {e}")))?;
            Delivery::Custom { signal_id, payload }
        }
        _ => return Err(CliError::usage("give either pause|resume|cancel or --custom SIGNAL_ID")),
    };
    if let Some(core) = args.core.target() {
        let body = match delivery {
            Delivery::Control(a) => {
                SignalRequest { signal: Some(a.signal().as_str().to_string()), signal_id: None, payload: Value::Null }
            }
            Delivery::Custom { signal_id, payload } => {
                SignalRequest { signal: None, signal_id: Some(signal_id), payload }
            }
        };
        let body = serde_json::to_value(body).map_err(|e| CliError::failed(e.to_string()))?;
        core.post(&format!("instances/{}/signals", encode(&args.instance)), &body).map_err(CliError::failed)?;
        return Ok(ExitCode::SUCCESS);
    }
    let state_dir = args.state_dir.ok_or_else(|| CliError::usage("give --core URL or --state-dir DIR"))?;
    let mut store = LocalStore::open(&state_dir, &args.instance).map_err(|e| CliError::failed(e.0))?;
    let sent = match delivery {
        Delivery::Control(a) => store.send_control(a.signal()),
        Delivery::Custom { signal_id, payload } => store.send_signal(&signal_id, &payload),
    };
    sent.map_err(|e| CliError::failed(e.0))?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use crate::{Cli, Cmd};
    use clap::Parser;

    #[test]
    fn control_or_custom() {
        let Cmd::Signal(a) =
            Cli::try_parse_from(["runtara", "signal", "i1", "pause", "--state-dir", "s"]).unwrap().command
        else {
            panic!()
        };
        assert_eq!(a.action, Some(super::Control::Pause));
        let Cmd::Signal(a) =
            Cli::try_parse_from(["runtara", "signal", "i1", "--custom", "i1/wf/wait", "--payload", "{\"ok\":true}"])
                .unwrap()
                .command
        else {
            panic!()
        };
        assert_eq!((a.action, a.custom.as_deref()), (None, Some("i1/wf/wait")));
        assert!(Cli::try_parse_from(["runtara", "signal", "i1", "stop"]).is_err());
    }

    #[test]
    fn both_or_neither_is_a_usage_error() {
        for argv in [
            &["runtara", "signal", "i1", "pause", "--custom", "x", "--state-dir", "s"][..],
            &["runtara", "signal", "i1", "--state-dir", "s"],
        ] {
            let Cmd::Signal(a) = Cli::try_parse_from(argv).unwrap().command else { panic!() };
            assert_eq!(super::run(a).unwrap_err().code, 2);
        }
    }
}
