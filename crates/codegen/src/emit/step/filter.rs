//! Filter (dsl-spec §7.8).

use proc_macro2::TokenStream;
use quote::quote;
use runtara_dsl::FilterStep;

use super::StepCx;
use crate::emit::values::{condition, mapping_value};
use crate::emit::Emitter;
use crate::CodegenError;

impl Emitter<'_> {
    /// The return type and body of the step function of Filter step `sc.id`.
    pub(super) fn filter_step(
        &mut self,
        sc: &StepCx<'_, '_>,
        s: &FilterStep,
    ) -> Result<(TokenStream, TokenStream), CodegenError> {
        let StepCx { info, hosted, .. } = *sc;
        let err = |m: String| sc.err(m);
        let value = mapping_value(&s.config.value, hosted).map_err(err)?;
        let c = condition(&s.config.condition, hosted).map_err(err)?;
        Ok((
            quote!(Result<(), Failure>),
            quote! {
                run_step(cx, scope, &#info, |cx, scope| {
                    let value = #value;
                    steps::filter(scope, &#info, value, |scope| Ok(#c))
                })
            },
        ))
    }
}
