//! Log (dsl-spec §7.10).

use proc_macro2::TokenStream;
use quote::quote;
use runtara_dsl::{LogLevel, LogStep};

use super::StepCx;
use crate::emit::values::input_mapping;
use crate::emit::Emitter;
use crate::CodegenError;

impl Emitter<'_> {
    /// The return type and body of the step function of Log step `sc.id`.
    pub(super) fn log_step(
        &mut self,
        sc: &StepCx<'_, '_>,
        s: &LogStep,
    ) -> Result<(TokenStream, TokenStream), CodegenError> {
        let StepCx { info, hosted, .. } = *sc;
        let err = |m: String| sc.err(m);
        let level = match s.level.unwrap_or(LogLevel::Info) {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        };
        let message = &s.message;
        let ctx = input_mapping(s.context.as_ref(), hosted).map_err(err)?;
        Ok((
            quote!(Result<(), Failure>),
            quote! {
                run_step(cx, scope, &#info, |cx, scope| {
                    let context = #ctx;
                    steps::log(cx, scope, &#info, #level, #message, context);
                    Ok(())
                })
            },
        ))
    }
}
