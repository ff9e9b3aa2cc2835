//! `runtara serve`: the execution environment (crate runtara-serve) — the state API, the
//! management API, the scheduler and the workers in one process.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use runtara_serve::{ServeConfig, ServerLimits};

use crate::error::Result;

/// What `runtara serve --help` adds after the flags.
const AFTER_HELP: &str = "Deploy with `runtara deploy FILE --server URL`, start with `runtara start WORKFLOW_ID`,\n\
watch with `runtara instance ID`, signal with `runtara signal ID`.\n\
Limits per instance: --memory-mb, --fuel and --wall-time-secs are defaults; a deployment may set its own\n\
(memory at most --max-memory-mb). A guest over a limit fails with MEMORY_LIMIT_EXCEEDED,\n\
CPU_LIMIT_EXCEEDED or TIMEOUT; a guest that traps is relaunched up to --max-restarts times, then crashed.";

/// Run workflows: deploy graphs or components, start instances, wake sleepers, relaunch
/// crashed runs; the state API of `runtara core serve` included. SIGTERM drains.
#[derive(clap::Args, Debug)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// Address to listen on (port 0: any free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8003")]
    pub listen: String,
    /// Database: sqlite:PATH (WAL) or postgres://user:password@host/db; tables are created
    /// on start.
    #[arg(long, default_value = "sqlite:runtara-serve.sqlite3")]
    pub db: String,
    /// Where artifacts (content-addressed) and compiled code are kept.
    #[arg(long, value_name = "DIR", default_value = "runtara-data")]
    pub data_dir: PathBuf,
    /// Instances that run at the same time.
    #[arg(long, default_value_t = 4)]
    pub workers: usize,
    /// Linear memory per instance, MiB (default: RUNTARA_INSTANCE_MEMORY_MAX_BYTES, else 256).
    #[arg(long)]
    pub memory_mb: Option<u64>,
    /// The most memory a deployment may ask for, MiB.
    #[arg(long, default_value_t = 4096)]
    pub max_memory_mb: u64,
    /// CPU budget per launch in fuel units (about one per wasm instruction); 0: unlimited.
    #[arg(long, default_value_t = 20_000_000_000)]
    pub fuel: u64,
    /// Wall time per launch, seconds; 0: unlimited.
    #[arg(long, default_value_t = 900)]
    pub wall_time_secs: u64,
    /// Relaunches of a guest that traps before the instance is marked crashed.
    #[arg(long, default_value_t = 3)]
    pub max_restarts: u32,
    /// A durable Delay longer than this many ms leaves its worker (a shorter one sleeps in
    /// it); the scheduler relaunches the instance at the deadline. A WaitForSignal whose
    /// signal has not arrived always leaves, relaunched when the signal (or timeout) arrives.
    #[arg(long, default_value_t = 1000)]
    pub yield_after_ms: u64,
    /// On SIGTERM, how long running instances get to reach a step boundary and suspend.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub grace: u64,
    /// Remove finished instances (with checkpoints and events) this long after they
    /// finished: `30s`, `15m`, `12h`, `7d`. Default: keep them.
    #[arg(long, value_name = "AGE", value_parser = parse_age)]
    pub retain: Option<Duration>,
    /// How long a server's claim on a running instance holds without renewal; after that
    /// another server sharing the PostgreSQL database takes the instance over.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub lease_secs: u64,
    /// Require `Authorization: Bearer <token>`, the token read from FILE (or set
    /// RUNTARA_CORE_TOKEN).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Listen on a non-loopback address without credentials.
    #[arg(long)]
    pub insecure: bool,
    /// Connections agents may name: a JSON file {"<id>": {"integrationId", "parameters":
    /// {"baseUrl", "apiKey", "headers"}}}. The HTTP proxy applies their credentials and
    /// refuses a request naming any other connection; instances never see the secrets.
    #[arg(long, value_name = "FILE")]
    pub connections: Option<PathBuf>,
}

/// Serves until SIGTERM/SIGINT (then drains). Errors: 2 for a bad `--db` or a public
/// address without credentials, 1 when the database, data directory or address cannot be used.
pub fn run(args: Args) -> Result<ExitCode> {
    crate::server::check_db(&args.db)?;
    let token = crate::server::credentials(&args.listen, &args.db, args.token_file.as_deref(), args.insecure)?;
    let mut limits = ServerLimits::default();
    if let Some(mb) = args.memory_mb {
        limits.memory_bytes = mb << 20;
    }
    limits.max_memory_bytes = (args.max_memory_mb << 20).max(limits.memory_bytes);
    limits.fuel = (args.fuel > 0).then_some(args.fuel);
    limits.wall_time = (args.wall_time_secs > 0).then(|| Duration::from_secs(args.wall_time_secs));
    limits.max_restarts = args.max_restarts;
    let connections = match &args.connections {
        Some(file) => super::run::read_connections(file).map_err(crate::error::CliError::usage)?,
        None => Default::default(),
    };
    let config = ServeConfig {
        listen: args.listen,
        db: args.db,
        data_dir: args.data_dir,
        workers: args.workers.max(1),
        token,
        limits,
        yield_after_ms: args.yield_after_ms,
        grace: Duration::from_secs(args.grace),
        lease: Duration::from_secs(args.lease_secs.max(1)),
        retain: args.retain,
        connections,
    };
    crate::server::serve_until_stopped(runtara_serve::serve(config))
}

/// `N` followed by `s`, `m`, `h` or `d`.
fn parse_age(text: &str) -> std::result::Result<Duration, String> {
    let (n, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: u64 = n.parse().map_err(|_| format!("'{text}' is not an age such as 30s, 15m, 12h or 7d"))?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => return Err(format!("'{text}' is not an age such as 30s, 15m, 12h or 7d")),
    };
    Ok(Duration::from_secs(n * secs))
}

#[cfg(test)]
mod tests {
    use crate::{Cli, Cmd};
    use clap::Parser;

    #[test]
    fn defaults_and_flags() {
        let Cmd::Serve(a) =
            Cli::try_parse_from(["runtara", "serve", "--workers", "2", "--listen", "127.0.0.1:0"]).unwrap().command
        else {
            panic!()
        };
        assert_eq!((a.workers, a.listen.as_str(), a.yield_after_ms), (2, "127.0.0.1:0", 1000));
        assert!(Cli::try_parse_from(["runtara", "serve", "--token", "x"]).is_err(), "no secrets on argv");
        let Cmd::Serve(a) = Cli::try_parse_from(["runtara", "serve", "--retain", "7d"]).unwrap().command else {
            panic!()
        };
        assert_eq!(a.retain, Some(std::time::Duration::from_secs(7 * 86400)));
        assert!(Cli::try_parse_from(["runtara", "serve", "--retain", "7 days"]).is_err());
    }

    #[test]
    fn a_public_address_without_credentials_is_refused() {
        let Cmd::Serve(a) = Cli::try_parse_from(["runtara", "serve", "--listen", "0.0.0.0:8003"]).unwrap().command
        else {
            panic!()
        };
        assert_eq!(super::run(a).unwrap_err().code, 2);
    }
}
