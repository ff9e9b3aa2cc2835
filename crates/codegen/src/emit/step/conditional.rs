//! Conditional (dsl-spec §7.3): the condition as a bool-returning step.

use proc_macro2::TokenStream;
use quote::quote;
use runtara_dsl::ConditionalStep;

use super::StepCx;
use crate::emit::values::condition;
use crate::emit::Emitter;
use crate::CodegenError;

impl Emitter<'_> {
    /// The return type and body of the step function of Conditional step `sc.id`.
    pub(super) fn conditional_step(
        &mut self,
        sc: &StepCx<'_, '_>,
        s: &ConditionalStep,
    ) -> Result<(TokenStream, TokenStream), CodegenError> {
        let StepCx { info, hosted, .. } = *sc;
        let err = |m: String| sc.err(m);
        let c = condition(&s.condition, hosted).map_err(err)?;
        Ok((
            quote!(Result<bool, Failure>),
            quote! {
                run_step(cx, scope, &#info, |cx, scope| Ok(#c))
            },
        ))
    }
}
