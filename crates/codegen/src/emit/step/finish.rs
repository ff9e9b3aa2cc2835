//! Finish (dsl-spec §7.1): the mapped result.

use proc_macro2::TokenStream;
use quote::quote;
use runtara_dsl::FinishStep;

use super::StepCx;
use crate::emit::values::finish_mapping;
use crate::emit::Emitter;
use crate::CodegenError;

impl Emitter<'_> {
    /// The return type and body of the step function of Finish step `sc.id`.
    pub(super) fn finish_step(
        &mut self,
        sc: &StepCx<'_, '_>,
        s: &FinishStep,
    ) -> Result<(TokenStream, TokenStream), CodegenError> {
        let StepCx { info, hosted, .. } = *sc;
        let err = |m: String| sc.err(m);
        let m = finish_mapping(s.input_mapping.as_ref(), hosted).map_err(err)?;
        Ok((
            quote!(Result<Value, Failure>),
            quote! {
                run_step(cx, scope, &#info, |cx, scope| {
                    let mapped = #m;
                    Ok(steps::finish(cx, scope, &#info, mapped))
                })
            },
        ))
    }
}
