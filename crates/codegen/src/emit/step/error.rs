//! Error (dsl-spec §7.11): the step returns its structured failure.

use proc_macro2::TokenStream;
use quote::quote;
use runtara_dsl::{ErrorCategory, ErrorStep, Severity};

use super::StepCx;
use crate::emit::values::input_mapping;
use crate::emit::Emitter;
use crate::CodegenError;

impl Emitter<'_> {
    /// The return type and body of the step function of Error step `sc.id`.
    pub(super) fn error_step(
        &mut self,
        sc: &StepCx<'_, '_>,
        s: &ErrorStep,
    ) -> Result<(TokenStream, TokenStream), CodegenError> {
        let StepCx { id, info, hosted, .. } = *sc;
        let err = |m: String| sc.err(m);
        let category = match s.category.unwrap_or(ErrorCategory::Permanent) {
            ErrorCategory::Permanent => "permanent",
            ErrorCategory::Transient => "transient",
        };
        let severity = match s.severity.unwrap_or(Severity::Error) {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
            Severity::Critical => "critical",
        };
        let (code, message) = (&s.code, &s.message);
        let ctx = input_mapping(s.context.as_ref(), hosted).map_err(err)?;
        Ok((
            quote!(Failure),
            quote! {
                let r = run_step(cx, scope, &#info, |cx, scope| -> Result<(), Failure> {
                    let context = #ctx;
                    Err(steps::error(cx, &#info, #category, #code, #message, #severity, context))
                });
                match r {
                    Err(failure) => failure,
                    Ok(()) => Failure::msg("Error step completed").at(#id),
                }
            },
        ))
    }
}
