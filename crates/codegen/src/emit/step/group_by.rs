//! GroupBy (dsl-spec §7.9).

use proc_macro2::TokenStream;
use quote::quote;
use runtara_dsl::GroupByStep;

use super::StepCx;
use crate::emit::values::mapping_value;
use crate::emit::Emitter;
use crate::CodegenError;

impl Emitter<'_> {
    /// The return type and body of the step function of GroupBy step `sc.id`.
    pub(super) fn group_by_step(
        &mut self,
        sc: &StepCx<'_, '_>,
        s: &GroupByStep,
    ) -> Result<(TokenStream, TokenStream), CodegenError> {
        let StepCx { info, hosted, .. } = *sc;
        let err = |m: String| sc.err(m);
        let value = mapping_value(&s.config.value, hosted).map_err(err)?;
        let key = runtara_dsl::path::tokenize(&s.config.key);
        let expected = s.config.expected_keys.clone().unwrap_or_default();
        Ok((
            quote!(Result<(), Failure>),
            quote! {
                run_step(cx, scope, &#info, |cx, scope| {
                    let value = #value;
                    steps::group_by(scope, &#info, value, &[#(#key),*], &[#(#expected),*]);
                    Ok(())
                })
            },
        ))
    }
}
