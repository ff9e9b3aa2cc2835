//! EmbedWorkflow (dsl-spec §7.6): the child graph emitted once and called.

use proc_macro2::TokenStream;
use quote::quote;
use runtara_dsl::EmbedWorkflowStep;

use super::StepCx;
use crate::emit::unsupported;
use crate::emit::values::input_mapping;
use crate::emit::Emitter;
use crate::CodegenError;
use runtara_protocol::defaults;

impl Emitter<'_> {
    /// The return type and body of the step function of EmbedWorkflow step `sc.id`.
    pub(super) fn embed_step(
        &mut self,
        sc: &StepCx<'_, '_>,
        s: &EmbedWorkflowStep,
    ) -> Result<(TokenStream, TokenStream), CodegenError> {
        let StepCx { id, info, ptr, hosted, .. } = *sc;
        let err = |m: String| sc.err(m);
        let key = runtara_dsl::closure::child_key(s);
        let (child_fn, vars_fn) = self
            .child_fns(&key)
            .map_err(|m| unsupported(Some(id), format!("{ptr}/childWorkflowId"), "child-workflow", m))?;
        let child = &self.opts.children[&key];
        let required: Vec<&str> =
            child.input_schema.iter().filter(|(_, f)| f.required).map(|(k, _)| k.as_str()).collect();
        let m = input_mapping(s.input_mapping.as_ref(), hosted).map_err(err)?;
        let child_id = &s.child_workflow_id;
        let own_id = crate::emit::values::opt(s.agent_workflow_id.as_deref());
        let max_retries = s.max_retries.unwrap_or(defaults::EMBED_MAX_RETRIES);
        let retry_delay = s.retry_delay.unwrap_or(defaults::EMBED_RETRY_DELAY_MS);
        Ok((
            quote!(Result<(), Failure>),
            quote! {
                const CALL: steps::EmbedCall = steps::EmbedCall {
                    child_workflow_id: #child_id,
                    agent_workflow_id: #own_id,
                    max_retries: #max_retries,
                    retry_delay_ms: #retry_delay,
                    required_inputs: &[#(#required),*],
                };
                run_durable_step(cx, scope, &#info, |cx, scope| {
                    let data = #m;
                    steps::embed(cx, scope, &#info, &CALL, data, #child_fn, #vars_fn)
                })
            },
        ))
    }
}
