//! runtara-compiler: the compile pipeline as a library (DESIGN §1).
//!
//! [`compile_scenario`] parses, validates, generates Rust and drives rustc against the
//! prebuilt stdlib; the `runtara` binary (crate `runtara-cli`) is a thin CLI over it.
//! [`validate_scenario`] is the same front half for `runtara validate`. This crate never
//! runs artifacts or serves anything: no async runtime, no wasmtime, no state service.
//!
//! ```no_run
//! use runtara_compiler::{compile_scenario, CompileOptions, Scenario, Target};
//! let opts = CompileOptions::new(Target::parse("wasm32-wasip2").unwrap());
//! let result = compile_scenario(Scenario::Path("flow.json".into()), &opts).unwrap();
//! println!("{}", result.artifact.unwrap().display());
//! ```

mod browser;
pub mod cache;
pub mod catalog;
mod check;
pub mod children;
mod cloudflare;
pub mod diagnostics;
pub mod ide;
pub mod prebuilt;
pub mod rustc;
pub mod source_map;
mod strip;
pub mod target;
pub mod wasm_opt;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use runtara_codegen::{CodegenError, CodegenOptions};
use runtara_dsl::{Diagnostics, ParseError, Workflow};

pub use target::Target;

/// The graph to compile: a file, or JSON text with a display name.
#[derive(Debug, Clone)]
pub enum Scenario {
    Path(PathBuf),
    Text { name: String, json: String },
}

/// Options of one compilation.
#[derive(Debug, Clone)]
pub struct CompileOptions {
    pub target: Target,
    /// Output path; default: `<stem>` or `<stem>.wasm` next to the input (or cwd).
    pub output: Option<PathBuf>,
    /// Optimise for size/speed (LTO, stripped) instead of compile speed.
    pub release: bool,
    /// Only generate Rust source; no rustc, no artifact.
    pub emit_rust_only: bool,
    /// Workflow id baked in as `variables._workflow_id`; default: the file stem.
    pub workflow_id: Option<String>,
    /// Emit step debug events even when the document does not set `trackEvents`.
    pub track_events: bool,
    /// Directories searched for EmbedWorkflow children (`--workflows DIR`).
    pub workflow_dirs: Vec<PathBuf>,
    /// Firmware heap in KiB (thumbv7em-none-eabihf).
    pub heap_kb: Option<u32>,
    /// thumbv7em-none-eabihf: a `.a` with `runtara_run` and a C header instead of an ELF.
    pub staticlib: bool,
    /// wasm32-wasip2: link the http backend (`runtara core`) even when the graph is not
    /// durable and does not use the network (the component then imports wasi:http).
    pub core_client: bool,
    /// wasm32-wasip2: leave the http backend out of a durable graph's component (no
    /// wasi:http import unless the graph uses the network).
    pub stateless: bool,
    /// Native: the http backend reaches `https://` cores too (links rustls, ~1 MB, unless
    /// the graph uses the network and has it anyway).
    pub core_tls: bool,
    /// Native: link the local SQLite store (`RUNTARA_STATE_DIR`, `runtara run --state-dir`;
    /// ~1.5 MB).
    pub local_store: bool,
    /// wasm32-wasip2: an HTTP-handler component (`wasi:http/incoming-handler`) instead of
    /// a command.
    pub http_world: bool,
}

impl CompileOptions {
    /// Debug-profile defaults for `target`.
    pub fn new(target: Target) -> Self {
        CompileOptions {
            target,
            output: None,
            release: false,
            emit_rust_only: false,
            workflow_id: None,
            track_events: false,
            workflow_dirs: Vec::new(),
            heap_kb: None,
            staticlib: false,
            core_client: false,
            stateless: false,
            core_tls: false,
            local_store: false,
            http_world: false,
        }
    }
}

/// What a successful compilation produced.
#[derive(Debug, Clone)]
pub struct CompilationResult {
    /// The artifact path (`None` with `emit_rust_only`).
    pub artifact: Option<PathBuf>,
    /// The generated, formatted Rust source.
    pub rust_source: String,
    /// Validation warnings (errors abort the compilation).
    pub warnings: Diagnostics,
    /// Wall time of the whole pipeline.
    pub duration: Duration,
    pub target: Target,
    /// The graph identity the artifact's instances register (a graph's whole closure and
    /// each top-level step, hashed): what `runtara serve` compares to migrate instances.
    pub identity: runtara_protocol::GraphIdentity,
}

/// Why a compilation failed. Every variant says what to fix; none leaves an artifact.
#[derive(Debug)]
pub enum CompileError {
    /// The input file cannot be read.
    Read {
        path: PathBuf,
        message: String,
    },
    /// The document is not valid JSON or not a valid workflow (line:column, pointer).
    Parse {
        file: String,
        error: ParseError,
    },
    /// The graph breaks validation rules (dsl-spec §9).
    Validation {
        file: String,
        diagnostics: Diagnostics,
    },
    /// The graph has a shape the compiler cannot lower (dsl-spec §9.3).
    Unsupported {
        file: String,
        error: CodegenError,
    },
    /// rustc, cargo or rustup are missing or failed around the stdlib.
    Toolchain(String),
    /// rustc rejected the generated code: a compiler bug.
    /// `rendered` holds rustc's full diagnostics (for tests and bug reports).
    Rustc {
        summary: String,
        error_count: usize,
        rendered: String,
    },
    /// The artifact failed its structural check.
    Artifact(String),
    /// The output path cannot be used without destroying something runtara did not write
    /// (the input graph, a non-module directory): a usage error, nothing was written.
    Output(String),
    Io(String),
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompileError::Read { path, message } => write!(f, "cannot read {}: {message}", path.display()),
            CompileError::Parse { file, error } => write!(f, "{file}:{error}"),
            CompileError::Validation { file, diagnostics } => {
                write!(f, "{file}: {} validation error(s)", diagnostics.errors.len())?;
                for d in &diagnostics.errors {
                    write!(f, "\n{}", diagnostics::render_one("error", d, "  "))?;
                }
                Ok(())
            }
            CompileError::Unsupported { file, error } => write!(f, "{file}: {error}"),
            CompileError::Toolchain(m) | CompileError::Artifact(m) | CompileError::Output(m) | CompileError::Io(m) => f.write_str(m),
            CompileError::Rustc { summary, error_count, .. } => write!(
                f,
                "internal compiler error: the generated Rust did not compile ({error_count} error(s); first: {summary}). \
                 Please report this with the workflow file; `runtara compile --emit rust` shows the source"
            ),
        }
    }
}

impl std::error::Error for CompileError {}

/// Reads and parses a scenario. Errors: [`CompileError::Read`], [`CompileError::Parse`].
pub fn load(scenario: &Scenario) -> Result<(String, Workflow), CompileError> {
    load_text(scenario).map(|(name, _, wf)| (name, wf))
}

/// [`load`], also returning the document's text.
fn load_text(scenario: &Scenario) -> Result<(String, String, Workflow), CompileError> {
    let (name, text) = match scenario {
        Scenario::Path(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| CompileError::Read { path: p.clone(), message: e.to_string() })?;
            (p.display().to_string(), text)
        }
        Scenario::Text { name, json } => (name.clone(), json.clone()),
    };
    let wf = runtara_dsl::parse_workflow(&text).map_err(|error| CompileError::Parse { file: name.clone(), error })?;
    Ok((name, text, wf))
}

fn stem(scenario: &Scenario) -> String {
    match scenario {
        Scenario::Path(p) => {
            p.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| "workflow".into())
        }
        // A display name may be a path (the artifact cache passes the file's): its stem.
        Scenario::Text { name, .. } => {
            Path::new(name).file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| name.clone())
        }
    }
}

/// The whole pipeline: parse → validate → generate → rustc → check → move into place.
///
/// The artifact appears at its path only when complete: rustc writes into a temporary
/// directory beside it and the file is renamed into place.
pub fn compile_scenario(scenario: Scenario, opts: &CompileOptions) -> Result<CompilationResult, CompileError> {
    let started = Instant::now();
    let (file, mut wf) = load(&scenario)?;
    children::resolve_published(&mut wf.graph, &opts.workflow_dirs);
    let stem = stem(&scenario);
    let (diagnostics, children) = validate_with_children(&stem, &wf, &opts.workflow_dirs)?;
    if !diagnostics.is_ok() {
        return Err(CompileError::Validation { file, diagnostics });
    }
    let cg = CodegenOptions {
        target: opts.target.kind,
        workflow_id: opts.workflow_id.clone().unwrap_or_else(|| stem.clone()),
        track_events: wf.track_events || opts.track_events,
        children,
        heap_kb: opts.heap_kb,
        staticlib: opts.staticlib,
        core_client: opts.core_client,
        stateless: opts.stateless,
        core_tls: opts.core_tls,
        local_store: opts.local_store,
        http_world: opts.http_world,
    };
    if (opts.core_tls || opts.local_store) && !opts.target.is_native() {
        return Err(CompileError::Toolchain(format!(
            "--core-tls and --local-store are for native artifacts, not {}",
            opts.target
        )));
    }
    if opts.staticlib && !opts.target.is_embedded() {
        return Err(CompileError::Toolchain("--emit staticlib is for --target thumbv7em-none-eabihf".into()));
    }
    if opts.http_world && opts.target.kind != runtara_codegen::CompilationTarget::Wasip2 {
        return Err(CompileError::Toolchain(
            "--world http makes a WASI HTTP component: it is for --target wasm32-wasip2".into(),
        ));
    }
    let identity = runtara_codegen::graph_identity(&wf.graph, &cg.children);
    let (source, target) = generate(&wf.graph, cg, &opts.target)
        .map_err(|error| CompileError::Unsupported { file: file.clone(), error })?;
    if opts.emit_rust_only {
        return Ok(CompilationResult {
            artifact: None,
            rust_source: source,
            warnings: diagnostics,
            duration: started.elapsed(),
            target: opts.target.clone(),
            identity,
        });
    }
    let mut out = opts.output.clone().unwrap_or_else(|| default_output(&scenario, &stem, &opts.target));
    if opts.target.is_browser() && opts.output.is_none() {
        out.set_file_name(format!("{stem}-{}", if opts.target.cloudflare { "worker" } else { "web" }));
    }
    if opts.staticlib && opts.output.is_none() {
        out.set_extension("a");
    }
    check_output(&scenario, &out, opts)?;
    build_artifact(&source, &stem, &out, &target, opts)?;
    Ok(CompilationResult {
        artifact: Some(out),
        rust_source: source,
        warnings: diagnostics,
        duration: started.elapsed(),
        target: opts.target.clone(),
        identity,
    })
}

/// The compile gate: [`validate_closure`] with the runtime-defined errors demoted to
/// warnings (`Diagnostics::for_compilation`, see ARCHITECTURE "Departures").
///
/// Errors: a child file that does not parse.
pub fn validate_with_children(
    workflow_id: &str,
    wf: &Workflow,
    dirs: &[PathBuf],
) -> Result<(Diagnostics, runtara_dsl::closure::Children), CompileError> {
    let (diagnostics, children) = validate_closure(workflow_id, wf, dirs)?;
    Ok((diagnostics.for_compilation(), children))
}

/// The graph's own rules plus the closure of its EmbedWorkflow children found in `dirs`
/// (dsl-spec §9), against the built-in agent catalogue: every finding, nothing demoted.
///
/// Errors: a child file that cannot be read or does not parse.
pub fn validate_closure(
    workflow_id: &str,
    wf: &Workflow,
    dirs: &[PathBuf],
) -> Result<(Diagnostics, runtara_dsl::closure::Children), CompileError> {
    let catalog = catalog::builtin_catalog();
    let mut diagnostics = runtara_dsl::validate(&wf.graph, &catalog);
    let children = children::load_children(&wf.graph, dirs)?;
    let closure = runtara_dsl::closure::validate_closure(workflow_id, &wf.graph, &children, &catalog);
    diagnostics.errors.extend(closure.errors);
    diagnostics.warnings.extend(closure.warnings);
    Ok((diagnostics, children))
}

/// What `runtara validate FILE` checks: parse, then [`validate_closure`] under the file's
/// stem as workflow id. Errors: [`CompileError::Read`], [`CompileError::Parse`], a child
/// that does not parse.
pub fn validate_scenario(scenario: &Scenario, dirs: &[PathBuf]) -> Result<Diagnostics, CompileError> {
    let (_, text, mut wf) = load_text(scenario)?;
    children::resolve_published(&mut wf.graph, dirs);
    let mut diagnostics = validate_closure(&stem(scenario), &wf, dirs)?.0;
    source_map::locate_all(&mut diagnostics, &text, wf.wrapped);
    Ok(diagnostics)
}

/// The C header written beside a staticlib.
pub const C_HEADER: &str = r#"/* Generated by runtara: the C ABI of a compiled workflow (thumbv7em-none-eabihf). */
#ifndef RUNTARA_WORKFLOW_H
#define RUNTARA_WORKFLOW_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

#define RUNTARA_COMPLETED 0 /* `out` holds the output JSON */
#define RUNTARA_FAILED 1    /* `out` holds the structured error JSON */
#define RUNTARA_BAD_INPUT 2 /* the input is not JSON; `out` holds a message */

/* Runs the workflow on the JSON in input[0..len). Writes the result JSON (NUL-terminated
 * when it fits) into out[0..cap). Returns RUNTARA_COMPLETED, RUNTARA_FAILED,
 * RUNTARA_BAD_INPUT, or -N when the result needs N bytes and cap is smaller. */
int32_t runtara_run(const uint8_t *input, size_t len, uint8_t *out, size_t cap);

/* Checkpoint store callbacks (checkpoint-as-memo: a rerun returns stored step outputs
 * without redoing their side effects). Values are JSON text. Without callbacks,
 * checkpoints live in RAM for as long as the firmware runs.
 * save: returns 0 on success. load: returns the value length, -1 when absent, or -N when
 * N bytes are needed and cap is smaller. */
typedef int32_t (*runtara_save_fn)(const uint8_t *key, size_t key_len, const uint8_t *value, size_t value_len);
typedef int32_t (*runtara_load_fn)(const uint8_t *key, size_t key_len, uint8_t *out, size_t cap);
void runtara_set_checkpoint_store(runtara_save_fn save, runtara_load_fn load);

#ifdef __cplusplus
}
#endif
#endif
"#;

/// Refuses output paths that would destroy what runtara did not write, before any work:
/// a file artifact onto a directory, or onto the input graph itself (`-o flow.json`, or the
/// staticlib's header beside it). Module directories are checked when they are replaced.
fn check_output(scenario: &Scenario, out: &Path, opts: &CompileOptions) -> Result<(), CompileError> {
    if !opts.target.is_browser() && out.is_dir() {
        return Err(CompileError::Output(format!(
            "the output {} is a directory; `-o` names the artifact file for {}",
            out.display(),
            opts.target.triple
        )));
    }
    let Scenario::Path(input) = scenario else { return Ok(()) };
    let Ok(input) = input.canonicalize() else { return Ok(()) };
    let mut written = vec![out.to_path_buf()];
    if opts.staticlib {
        written.push(out.with_extension("h"));
    }
    for path in written {
        if path.canonicalize().is_ok_and(|p| p == input) {
            return Err(CompileError::Output(format!(
                "the output {} is the input graph; choose another `-o` path",
                path.display()
            )));
        }
    }
    Ok(())
}

fn default_output(scenario: &Scenario, stem: &str, target: &Target) -> PathBuf {
    let dir = match scenario {
        Scenario::Path(p) => p.parent().map(Path::to_path_buf).unwrap_or_default(),
        Scenario::Text { .. } => PathBuf::new(),
    };
    let mut p = dir.join(stem);
    if !target.extension().is_empty() {
        p.set_extension(target.extension());
    }
    p
}

/// The generated source and the target to build it for: a wasm32-wasip2 or
/// wasm32-unknown-unknown graph that compiles without std (codegen refuses what needs it)
/// is built no_std (`CompilationTarget::without_std`, a third the size); any other graph,
/// and an HTTP-world component, is built as asked.
///
/// Errors: the graph cannot be compiled for `target` (the std build's error).
fn generate(
    graph: &runtara_dsl::ExecutionGraph,
    mut cg: CodegenOptions,
    target: &Target,
) -> Result<(String, Target), runtara_codegen::CodegenError> {
    if let (Some(nostd), false) = (target.without_std(), cg.http_world) {
        cg.target = nostd.kind;
        if let Ok(source) = runtara_codegen::generate(graph, &cg) {
            return Ok((source, nostd));
        }
        cg.target = target.kind;
    }
    Ok((runtara_codegen::generate(graph, &cg)?, target.clone()))
}

/// rustc into a temp dir next to `out`, structural check, atomic rename (plus the C header
/// for a staticlib).
fn build_artifact(
    source: &str,
    stem: &str,
    out: &Path,
    target: &Target,
    opts: &CompileOptions,
) -> Result<(), CompileError> {
    let release = opts.release;
    let prebuilt = prebuilt::ensure(target)?;
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .map_err(|e| CompileError::Io(format!("cannot create {}: {e}", parent.display())))?;
    let tmp = tempfile::Builder::new()
        .prefix(".runtara-build-")
        .tempdir_in(parent)
        .map_err(|e| CompileError::Io(format!("cannot create a temporary directory in {}: {e}", parent.display())))?;
    let main_rs = tmp.path().join("main.rs");
    std::fs::write(&main_rs, source).map_err(|e| CompileError::Io(e.to_string()))?;
    let crate_name = format!("wf_{}", runtara_codegen::ident::slug(stem));
    let built = tmp.path().join(if target.is_wasm() || target.is_browser() { "artifact.wasm" } else { "artifact" });
    rustc::compile_with(
        &main_rs,
        &built,
        &crate_name,
        target,
        &prebuilt,
        rustc::BuildFlags { release, staticlib: opts.staticlib, deny_warnings: false },
    )?;
    if target.is_browser() {
        let staging = tmp.path().join("pkg");
        browser::generate(&built, stem, &staging, release)?;
        if target.cloudflare {
            cloudflare::add_worker(&staging, stem)?;
        }
        return browser::replace_dir(&staging, out);
    }
    if release && target.is_wasm() {
        wasm_opt::optimise(&built);
    }
    if release && target.is_component() {
        let stripped = std::fs::read(&built).ok().and_then(|c| strip::component_names(&c));
        if let Some(component) = stripped {
            std::fs::write(&built, component)
                .map_err(|e| CompileError::Io(format!("cannot write the artifact: {e}")))?;
        }
    }
    if target.is_wasm() {
        check::wasm_artifact(&built, target)?;
    }
    if opts.staticlib {
        let header = out.with_extension("h");
        std::fs::write(&header, C_HEADER)
            .map_err(|e| CompileError::Io(format!("cannot write {}: {e}", header.display())))?;
    }
    std::fs::rename(&built, out)
        .map_err(|e| CompileError::Io(format!("cannot move the artifact to {}: {e}", out.display())))?;
    Ok(())
}
