//! Agent (dsl-spec §7.2): a built-in capability call with retries, connection and checks of what the target can run.

use proc_macro2::TokenStream;
use quote::quote;
use runtara_dsl::{AgentStep, Connection};

use super::{failing, StepCx};
use crate::emit::unsupported;
use crate::emit::values::{input_mapping, mapping_value, opt};
use crate::emit::Emitter;
use crate::ident::slug;
use crate::{CodegenError, CompilationTarget};
use runtara_dsl::catalog::normalize_agent_id;
use runtara_protocol::defaults;

impl Emitter<'_> {
    /// The return type and body of the step function of Agent step `sc.id`.
    pub(super) fn agent_step(
        &mut self,
        sc: &StepCx<'_, '_>,
        s: &AgentStep,
    ) -> Result<(TokenStream, TokenStream), CodegenError> {
        let StepCx { lv, id, info, ptr, hosted, .. } = *sc;
        let err = |m: String| sc.err(m);
        let agent = normalize_agent_id(&s.agent_id);
        let Some(meta) = runtara_agents::find(&agent, &s.capability_id) else {
            let msg = format!("no built-in capability '{}/{}'", s.agent_id, s.capability_id);
            if !lv.view.graph.is_ai_side_target(id) {
                return Err(unsupported(Some(id), format!("{ptr}/capabilityId"), "unknown-capability", msg));
            }
            // An AiAgent tool that does not exist: its calls fail (ai_tools), and the step
            // never runs in the normal flow.
            return Ok((quote!(Result<(), Failure>), failing(id, msg)));
        };
        let target = self.opts.target;
        if let Some(why) = target.refusal(meta) {
            let able: Vec<&str> =
                CompilationTarget::ALL.iter().filter(|t| t.refusal(meta).is_none()).map(|t| t.name()).collect();
            return Err(err(format!(
                "capability '{}/{}' cannot run in {} artifacts: {why}; compile for {}",
                meta.agent,
                meta.id,
                target.name(),
                able.join(", ")
            )));
        }
        if target.is_nostd_build() && !matches!(s.connection(), Connection::None) {
            // The connection table is std's; the std build gives the step its descriptor.
            return Err(err("connections need std, which this build leaves out".into()));
        }
        self.uses_network |= meta.needs_network;
        let connection = match s.connection() {
            Connection::Ref(r) => mapping_value(r, hosted).map_err(err)?,
            Connection::Id(c) => quote!(Value::from(#c)),
            Connection::None => quote!(Value::Null),
        };
        let module = quote::format_ident!("{}", slug(meta.agent));
        let cap = quote::format_ident!("{}", slug(meta.id));
        let (agent_id, cap_id) = (meta.agent, meta.id);
        let max_retries = s.max_retries.unwrap_or(if meta.rate_limited {
            defaults::AGENT_RATE_LIMITED_MAX_RETRIES
        } else {
            defaults::AGENT_MAX_RETRIES
        });
        let retry_delay = s.retry_delay.unwrap_or(if meta.rate_limited {
            defaults::AGENT_RATE_LIMITED_RETRY_DELAY_MS
        } else {
            defaults::AGENT_RETRY_DELAY_MS
        });
        let timeout = opt(s.timeout);
        let budget = lv.view.graph.rate_limit_budget_ms.unwrap_or(defaults::RATE_LIMIT_BUDGET_MS);
        let required: Vec<&str> = meta.inputs.iter().filter(|f| f.required).map(|f| f.name).collect();
        let m = input_mapping(s.input_mapping.as_ref(), hosted).map_err(err)?;
        Ok((
            quote!(Result<(), Failure>),
            quote! {
                const CALL: steps::AgentCall = steps::AgentCall {
                    agent_id: #agent_id,
                    capability_id: #cap_id,
                    max_retries: #max_retries,
                    retry_delay_ms: #retry_delay,
                    timeout_ms: #timeout,
                    rate_limit_budget_ms: #budget,
                    required: &[#(#required),*],
                };
                run_durable_step(cx, scope, &#info, |cx, scope| {
                    let input = #m;
                    let connection = #connection;
                    steps::agent(cx, scope, &#info, &CALL, input, connection, agents::#module::#cap)
                })
            },
        ))
    }
}
