//! While (dsl-spec §7.5): the body as its own graph function and the loop condition.

use proc_macro2::TokenStream;
use quote::quote;
use runtara_dsl::WhileStep;

use super::StepCx;
use crate::emit::values::{condition, input_mapping, opt};
use crate::emit::Emitter;
use crate::CodegenError;
use runtara_protocol::defaults;

impl Emitter<'_> {
    /// The return type and body of the step function of While step `sc.id`.
    pub(super) fn while_step(
        &mut self,
        sc: &StepCx<'_, '_>,
        s: &WhileStep,
    ) -> Result<(TokenStream, TokenStream), CodegenError> {
        let StepCx { lv, id, info, ptr, hosted, .. } = *sc;
        let err = |m: String| sc.err(m);
        let body = self.graph_fn(&s.subgraph, id, &format!("{ptr}/subgraph"), lv.durable)?;
        let c = condition(&s.condition, hosted).map_err(err)?;
        let cfg = s.config.as_ref();
        let vars = input_mapping(cfg.and_then(|c| c.variables.as_ref()), hosted).map_err(err)?;
        let max = cfg.and_then(|c| c.max_iterations).unwrap_or(defaults::WHILE_MAX_ITERATIONS);
        let timeout = opt(cfg.and_then(|c| c.timeout));
        Ok((
            quote!(Result<(), Failure>),
            quote! {
                const CONFIG: steps::WhileConfig = steps::WhileConfig { max_iterations: #max, timeout_ms: #timeout };
                run_step(cx, scope, &#info, |cx, scope| {
                    let variables = #vars;
                    steps::while_loop(cx, scope, &#info, &CONFIG, variables, |scope| Ok(#c), #body)
                })
            },
        ))
    }
}
