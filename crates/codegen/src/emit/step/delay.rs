//! Delay (dsl-spec §7.12).

use proc_macro2::TokenStream;
use quote::quote;
use runtara_dsl::DelayStep;

use super::StepCx;
use crate::emit::values::mapping_value;
use crate::emit::Emitter;
use crate::CodegenError;

impl Emitter<'_> {
    /// The return type and body of the step function of Delay step `sc.id`.
    pub(super) fn delay_step(
        &mut self,
        sc: &StepCx<'_, '_>,
        s: &DelayStep,
    ) -> Result<(TokenStream, TokenStream), CodegenError> {
        let StepCx { info, hosted, .. } = *sc;
        let err = |m: String| sc.err(m);
        let d = mapping_value(&s.duration_ms, hosted).map_err(err)?;
        Ok((
            quote!(Result<(), Failure>),
            quote! {
                run_durable_step(cx, scope, &#info, |cx, scope| {
                    let duration = #d;
                    steps::delay(cx, scope, &#info, duration)
                })
            },
        ))
    }
}
