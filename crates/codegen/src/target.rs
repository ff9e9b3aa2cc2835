//! Compilation targets and the per-target `main()` (DESIGN §5).

use proc_macro2::TokenStream;
use quote::quote;

/// The target triples runtara compiles for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompilationTarget {
    /// The host triple (a native executable).
    Native,
    /// A WASI Preview 2 component.
    Wasip2,
    /// A WASI Preview 2 component without Rust's std: what `wasm32-wasip2` compiles to
    /// when the graph needs nothing std gives (no template, AiAgent, network, file, clock
    /// or random capability), a third the size (issue 18). Not a triple of its own, so not
    /// in [`CompilationTarget::ALL`].
    Wasip2NoStd,
    /// A WASI Preview 1 module.
    Wasip1,
    /// no_std firmware for Cortex-M4F (thumbv7em-none-eabihf).
    Thumbv7em,
    /// A browser/Node module with JS bindings (wasm32-unknown-unknown, wasm-bindgen).
    WasmJs,
    /// A browser/Node module without Rust's std: what `wasm32-unknown-unknown` (and
    /// `cloudflare`) compiles to when the graph needs nothing std gives, as
    /// [`CompilationTarget::Wasip2NoStd`] does for components. Not in
    /// [`CompilationTarget::ALL`].
    WasmJsNoStd,
}

impl CompilationTarget {
    /// Every target, in the order the docs list them.
    pub const ALL: [CompilationTarget; 5] = [
        CompilationTarget::Native,
        CompilationTarget::Wasip2,
        CompilationTarget::Wasip1,
        CompilationTarget::WasmJs,
        CompilationTarget::Thumbv7em,
    ];

    /// Whether the target has `std` (templates, clock, stdin/stdout).
    pub fn is_hosted(self) -> bool {
        !matches!(self, CompilationTarget::Thumbv7em | CompilationTarget::Wasip2NoStd | CompilationTarget::WasmJsNoStd)
    }

    /// The target's name in messages: `native` or the triple.
    pub fn name(self) -> &'static str {
        match self.with_std() {
            CompilationTarget::Native => "native",
            CompilationTarget::Wasip2 => "wasm32-wasip2",
            CompilationTarget::Wasip1 => "wasm32-wasip1",
            CompilationTarget::Thumbv7em => "thumbv7em-none-eabihf",
            _ => "wasm32-unknown-unknown",
        }
    }

    /// The target this is a build of: the std one for a no_std build
    /// ([`CompilationTarget::without_std`] reversed), else itself.
    pub fn with_std(self) -> CompilationTarget {
        match self {
            CompilationTarget::Wasip2NoStd => CompilationTarget::Wasip2,
            CompilationTarget::WasmJsNoStd => CompilationTarget::WasmJs,
            other => other,
        }
    }

    /// Whether this is the no_std build of a target that also has a std one
    /// ([`CompilationTarget::without_std`]): what it cannot do, the compiler builds with std.
    pub fn is_nostd_build(self) -> bool {
        matches!(self, CompilationTarget::Wasip2NoStd | CompilationTarget::WasmJsNoStd)
    }

    /// The no_std build of a target that has one (wasm32-wasip2 components, browser
    /// modules): what a graph that needs nothing std gives compiles to.
    pub fn without_std(self) -> Option<CompilationTarget> {
        match self {
            CompilationTarget::Wasip2 => Some(CompilationTarget::Wasip2NoStd),
            CompilationTarget::WasmJs => Some(CompilationTarget::WasmJsNoStd),
            _ => None,
        }
    }

    /// Whether artifacts for the target can use the network (the `http` agent, AiAgent,
    /// forwarded agents, the http backend; `fetch` in browsers and Node).
    pub fn has_network(self) -> bool {
        matches!(self, CompilationTarget::Native | CompilationTarget::Wasip2 | CompilationTarget::WasmJs)
    }

    /// Whether artifacts for the target have a file system for the `file` agent's workspace
    /// (natively, and through a WASI preopen).
    pub fn has_filesystem(self) -> bool {
        matches!(self, CompilationTarget::Native | CompilationTarget::Wasip2 | CompilationTarget::Wasip1)
    }

    /// Why capability `cap` cannot run in artifacts for this target (the platform matrix of
    /// the README's "Agents" section), or `None` when it can.
    pub fn refusal(self, cap: &runtara_agents::CapabilityMeta) -> Option<&'static str> {
        if cap.native_only && self != CompilationTarget::Native {
            Some("it needs native artifacts (raw TCP sockets and an SSH stack)")
        } else if cap.needs_network && !self.has_network() {
            Some("it uses the network, which these artifacts lack")
        } else if cap.needs_filesystem && !self.has_filesystem() {
            Some("it needs a file system for its workspace, which browsers, Workers and firmware lack")
        } else if cap.needs_std && self.is_nostd_build() {
            Some("it needs std, which this build leaves out")
        } else if cap.needs_std && !self.is_hosted() {
            Some(
                "it needs std (a clock, randomness, or a library that needs an operating system), which firmware lacks",
            )
        } else {
            None
        }
    }

    /// The stdlib cargo feature of this target.
    pub fn stdlib_feature(self) -> &'static str {
        match self {
            CompilationTarget::Native => "native",
            CompilationTarget::Wasip2 => "wasi-p2",
            CompilationTarget::Wasip2NoStd => "wasi-p2-nostd",
            CompilationTarget::Wasip1 => "wasi",
            CompilationTarget::Thumbv7em => "embedded",
            CompilationTarget::WasmJs => "wasm-js",
            CompilationTarget::WasmJsNoStd => "wasm-js-nostd",
        }
    }
}

/// The compile-time facts of a workflow every target's entry point hands to the stdlib.
pub struct Meta<'a> {
    /// `variables._workflow_id`.
    pub workflow_id: &'a str,
    /// Emit step debug events.
    pub track_events: bool,
    /// Declared variables, flattened, as JSON text (dsl-spec §1.3).
    pub declared_variables: &'a str,
    /// What graph this is (hardening item 7: resumes with another graph are refused).
    pub identity: &'a runtara_protocol::GraphIdentity,
}

/// `META` and the declared-variables function.
fn workflow_meta(meta: &Meta<'_>) -> TokenStream {
    let Meta { workflow_id, track_events, declared_variables, identity } = meta;
    // Named only when tracked, so the event code is linked only then.
    let track_events = match track_events {
        true => quote!(Some(&runtara_workflow_stdlib::runtime::TRACK_EVENTS)),
        false => quote!(None),
    };
    let graph_hash = &identity.graph;
    let steps = identity.steps.iter().map(|(id, hash)| quote!((#id, #hash)));
    quote! {
        static META: runtara_workflow_stdlib::meta::WorkflowMeta =
            runtara_workflow_stdlib::meta::WorkflowMeta {
                workflow_id: #workflow_id,
                track_events: #track_events,
                declared_variables,
                graph_hash: #graph_hash,
                step_hashes: &[#(#steps),*],
            };

        /// Declared variables flattened to their values (dsl-spec §1.3).
        fn declared_variables() -> Value {
            lit(#declared_variables)
        }
    }
}

/// The checkpoint stores a hosted artifact links (`runtara_workflow_stdlib::host::Stores`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Stores {
    /// The http backend (`runtara core`): `Some(tls)`, where `tls` links rustls for
    /// `https://` URLs on native. On wasm32-wasip2 it makes the component import wasi:http.
    pub core: Option<bool>,
    /// The local SQLite store (`RUNTARA_STATE_DIR`, native).
    pub local: bool,
}

/// The crate-level attributes and `main()` of a hosted artifact: the stdlib's hosted entry
/// reads input, runs [`run`] and maps the outcome to exit codes, with the checkpoint
/// `stores` linked.
pub fn hosted_main(meta: &Meta<'_>, stores: Stores) -> TokenStream {
    let meta = workflow_meta(meta);
    let stores = stores_value(stores);
    quote! {
        #meta

        fn main() {
            runtara_workflow_stdlib::entry::hosted_main(&META, run, #stores)
        }
    }
}

/// `runtara_workflow_stdlib::host::Stores { … }` naming the linked stores.
fn stores_value(stores: Stores) -> TokenStream {
    let core = match stores.core {
        Some(true) => quote!(Some(runtara_workflow_stdlib::host::core_client_tls)),
        Some(false) => quote!(Some(runtara_workflow_stdlib::host::core_client)),
        None => quote!(None),
    };
    let local = if stores.local { quote!(Some(runtara_workflow_stdlib::host::local_store)) } else { quote!(None) };
    quote!(runtara_workflow_stdlib::host::Stores { core: #core, local: #local })
}

/// The crate root of a no_std wasm32-wasip2 component ([`CompilationTarget::Wasip2NoStd`]):
/// `wasi:cli/run` exported with the `wasip2` bindings, running
/// `runtara_workflow_stdlib::component::run_main` with the linked `stores`.
pub fn component_main(meta: &Meta<'_>, stores: Stores) -> TokenStream {
    let meta = workflow_meta(meta);
    let stores = stores_value(stores);
    quote! {
        #meta

        struct Command;

        impl runtara_workflow_stdlib::component::wasip2::exports::cli::run::Guest for Command {
            fn run() -> Result<(), ()> {
                runtara_workflow_stdlib::component::run_main(&META, run, #stores)
            }
        }

        runtara_workflow_stdlib::component::wasip2::cli::command::export!(
            Command with_types_in runtara_workflow_stdlib::component::wasip2
        );
    }
}

/// The entry of an HTTP-handler component (wasm32-wasip2, `--world http`): the
/// `wasi:http/incoming-handler` export answers each request with
/// `runtara_workflow_stdlib::http_world::handle`; `main` is never called by such hosts.
pub fn http_main(meta: &Meta<'_>) -> TokenStream {
    let meta = workflow_meta(meta);
    quote! {
        #meta

        struct HttpHandler;

        impl runtara_workflow_stdlib::http_world::Guest for HttpHandler {
            fn handle(
                request: runtara_workflow_stdlib::http_world::IncomingRequest,
                out: runtara_workflow_stdlib::http_world::ResponseOutparam,
            ) {
                runtara_workflow_stdlib::http_world::handle(&META, run, request, out)
            }
        }

        runtara_workflow_stdlib::http_world::wasip2::http::proxy::export!(
            HttpHandler with_types_in runtara_workflow_stdlib::http_world::wasip2
        );

        fn main() {}
    }
}

/// The entry of a browser/Node module (wasm32-unknown-unknown): the stdlib's exported
/// `run(input, options)` reaches the workflow through these symbols. `fetches`: a step
/// uses the network; `waits`: a step sleeps or waits for a signal. Either stops a browser
/// run for its host, after which the run starts again from its checkpoints.
pub fn browser_main(meta: &Meta<'_>, fetches: bool, waits: bool) -> TokenStream {
    let meta = workflow_meta(meta);
    quote! {
        #meta

        /// Whether a step of the workflow uses the network.
        #[no_mangle]
        pub fn __runtara_workflow_fetches() -> bool {
            #fetches
        }

        /// Whether a step of the workflow sleeps or waits for a signal.
        #[no_mangle]
        pub fn __runtara_workflow_waits() -> bool {
            #waits
        }

        /// The workflow's compile-time facts, for `runtara_workflow_stdlib::browser::run`.
        #[no_mangle]
        pub fn __runtara_workflow_meta() -> &'static runtara_workflow_stdlib::meta::WorkflowMeta {
            &META
        }

        /// The workflow, for `runtara_workflow_stdlib::browser::run`.
        #[no_mangle]
        pub fn __runtara_workflow_run(cx: &mut Ctx, scope: &mut Scope) -> Result<Value, Failure> {
            run(cx, scope)
        }
    }
}

/// The entry of firmware (thumbv7em-none-eabihf): a heap of `heap_bytes`, and either the
/// cortex-m-rt `main` (an ELF for qemu / a board) or the C-ABI `runtara_run` (a staticlib).
/// No proc macros: `main` is exported by name, as cortex-m-rt's `#[entry]` would.
pub fn embedded_main(meta: &Meta<'_>, heap_bytes: usize, staticlib: bool) -> TokenStream {
    let entry = if staticlib {
        quote! {
            /// Runs the workflow on `input[..len]`; writes the output (or the structured error)
            /// JSON into `out[..cap]`. Returns 0 completed, 1 failed, 2 bad input, or the
            /// negated size needed when `cap` is too small.
            ///
            /// # Safety
            /// `input` must be valid for `len` bytes and `out` for `cap` bytes.
            #[no_mangle]
            pub unsafe extern "C" fn runtara_run(input: *const u8, len: usize, out: *mut u8, cap: usize) -> i32 {
                let input = unsafe { core::slice::from_raw_parts(input, len) };
                let out = unsafe { core::slice::from_raw_parts_mut(out, cap) };
                let heap = unsafe { &mut *core::ptr::addr_of_mut!(HEAP) };
                runtara_workflow_stdlib::embedded::run_buffer(&META, run, heap, input, out)
            }

            /// Registers checkpoint callbacks: `save(key, key_len, value, value_len)` returns 0
            /// on success; `load(key, key_len, out, cap)` returns the length, -1 when absent or
            /// -N when N bytes are needed. Values are JSON text.
            #[no_mangle]
            pub extern "C" fn runtara_set_checkpoint_store(
                save: runtara_workflow_stdlib::embedded::SaveFn,
                load: runtara_workflow_stdlib::embedded::LoadFn,
            ) {
                runtara_workflow_stdlib::embedded::set_checkpoint_store(save, load)
            }
        }
    } else {
        quote! {
            // The reset handler and vector table.
            extern crate cortex_m_rt as _;

            /// The reset handler of cortex-m-rt jumps here.
            #[export_name = "main"]
            pub unsafe extern "C" fn firmware_main() -> ! {
                let heap = unsafe { &mut *core::ptr::addr_of_mut!(HEAP) };
                runtara_workflow_stdlib::embedded::firmware_main(&META, run, heap)
            }
        }
    };
    let meta = workflow_meta(meta);
    quote! {
        #meta

        /// The heap (`--heap-kb`).
        static mut HEAP: [core::mem::MaybeUninit<u8>; #heap_bytes] = [core::mem::MaybeUninit::uninit(); #heap_bytes];

        #entry
    }
}
