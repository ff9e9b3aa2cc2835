//! WaitForSignal (dsl-spec §7.13): the onWait graph, timeout, action and response schema.

use proc_macro2::TokenStream;
use quote::quote;
use runtara_dsl::WaitForSignalStep;

use super::StepCx;
use crate::emit::values::{input_mapping, mapping_value, opt};
use crate::emit::Emitter;
use crate::CodegenError;
use runtara_protocol::defaults;

impl Emitter<'_> {
    /// The return type and body of the step function of WaitForSignal step `sc.id`.
    pub(super) fn wait_step(
        &mut self,
        sc: &StepCx<'_, '_>,
        s: &WaitForSignalStep,
    ) -> Result<(TokenStream, TokenStream), CodegenError> {
        let StepCx { lv, id, info, ptr, hosted, .. } = *sc;
        let err = |m: String| sc.err(m);
        let on_wait =
            s.on_wait.as_ref().map(|g| self.graph_fn(g, &format!("{id} onWait"), &format!("{ptr}/onWait"), lv.durable));
        let on_wait = opt(on_wait.transpose()?);
        let timeout = match &s.timeout_ms {
            Some(m) => mapping_value(m, hosted).map_err(err)?,
            None => quote!(Value::Null),
        };
        let action = s.action.as_ref();
        let correlation = input_mapping(action.and_then(|a| a.correlation.as_ref()), hosted).map_err(err)?;
        let context = input_mapping(action.and_then(|a| a.context.as_ref()), hosted).map_err(err)?;
        let key = opt(action.and_then(|a| a.key.as_deref()).filter(|k| !k.trim().is_empty()));
        let schema = opt(s.response_schema.as_ref().map(|sc| serde_json::to_string(sc).unwrap_or_default()));
        let poll = s.poll_interval_ms.unwrap_or(defaults::WAIT_POLL_INTERVAL_MS);
        Ok((
            quote!(Result<(), Failure>),
            quote! {
                const CONFIG: steps::WaitConfig = steps::WaitConfig { poll_interval_ms: #poll, action_key: #key, response_schema: #schema };
                run_durable_step(cx, scope, &#info, |cx, scope| {
                    let timeout = #timeout;
                    let correlation = #correlation;
                    let context = #context;
                    steps::wait_for_signal(cx, scope, &#info, &CONFIG, timeout, correlation, context, #on_wait)
                })
            },
        ))
    }
}
