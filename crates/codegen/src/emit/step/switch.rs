//! Switch (dsl-spec §7.7): value switches and routing switches.

use proc_macro2::TokenStream;
use quote::quote;
use runtara_dsl::SwitchStep;

use super::{failing, StepCx};
use crate::emit::values::{json_lit, mapping_value, opt};
use crate::emit::Emitter;
use crate::CodegenError;

impl Emitter<'_> {
    /// The return type and body of the step function of Switch step `sc.id`.
    pub(super) fn switch_step(
        &mut self,
        sc: &StepCx<'_, '_>,
        s: &SwitchStep,
    ) -> Result<(TokenStream, TokenStream), CodegenError> {
        let StepCx { lv, id, info, hosted, .. } = *sc;
        let err = |m: String| sc.err(m);
        let routing = lv.view.is_routing_switch(id);
        let Some(cfg) = &s.config else {
            let msg = format!("Switch step '{id}' has no config");
            let ret = if routing { quote!(Result<&'static str, Failure>) } else { quote!(Result<(), Failure>) };
            return Ok((ret, failing(id, msg)));
        };
        let value = mapping_value(&cfg.value, hosted).map_err(err)?;
        let cases = cfg.cases.iter().map(|c| {
            let mt = quote::format_ident!("{}", c.match_type.variant_name());
            let mv = json_lit(&c.match_value);
            let out = json_lit(&c.output);
            let route = opt(c.route.as_ref());
            quote!(steps::SwitchCase { match_type: steps::MatchType::#mt, match_value: #mv, output: #out, route: #route })
        });
        let default = json_lit(cfg.default.as_ref().unwrap_or(&serde_json::json!({})));
        let call = quote! {
            let value = #value;
            let cases = [#(#cases),*];
            Ok(steps::switch(scope, &#info, value, &cases, #default, #routing))
        };
        Ok(if routing {
            (quote!(Result<&'static str, Failure>), quote!(run_step(cx, scope, &#info, |cx, scope| { #call })))
        } else {
            (quote!(Result<(), Failure>), quote!(run_step(cx, scope, &#info, |cx, scope| { #call }).map(|_| ())))
        })
    }
}
