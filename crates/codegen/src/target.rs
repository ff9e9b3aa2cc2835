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
    /// A WASI Preview 1 module.
    Wasip1,
}

impl CompilationTarget {
    /// Whether the target has `std` (templates, clock, stdin/stdout).
    pub fn is_hosted(self) -> bool {
        true
    }

    /// The stdlib cargo feature of this target.
    pub fn stdlib_feature(self) -> &'static str {
        match self {
            CompilationTarget::Native => "native",
            CompilationTarget::Wasip2 | CompilationTarget::Wasip1 => "wasi",
        }
    }
}

/// The crate-level attributes and `main()` of a hosted artifact: the stdlib's hosted entry
/// reads input, runs [`run`] and maps the outcome to exit codes.
pub fn hosted_main(workflow_id: &str, track_events: bool, declared_variables: &str) -> TokenStream {
    quote! {
        static META: runtara_workflow_stdlib::entry::WorkflowMeta =
            runtara_workflow_stdlib::entry::WorkflowMeta {
                workflow_id: #workflow_id,
                track_events: #track_events,
                declared_variables,
            };

        /// Declared variables flattened to their values (dsl-spec §1.3).
        fn declared_variables() -> Value {
            lit(#declared_variables)
        }

        fn main() {
            runtara_workflow_stdlib::entry::hosted_main(&META, run)
        }
    }
}
