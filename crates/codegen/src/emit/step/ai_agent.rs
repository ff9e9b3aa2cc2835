//! AiAgent steps (dsl-spec §7.14): the static config, the evaluated prompts, and a tool
//! dispatcher — one `match` arm per tool label, each an ordinary generated call of the tool
//! target (Agent capability, child workflow, or signal wait).

use proc_macro2::{Ident, TokenStream};
use quote::quote;
use runtara_dsl::catalog::normalize_agent_id;
use runtara_dsl::{AiAgentStep, Connection, Step};

use crate::emit::values::{mapping_value, opt};
use crate::emit::{unsupported, Emitter, Level};
use crate::ident::slug;
use crate::CodegenError;
use runtara_protocol::defaults;

impl Emitter<'_> {
    /// The return type and body of an AiAgent step function; emits its tool dispatcher.
    pub(crate) fn ai_agent_step(
        &mut self,
        lv: &Level<'_>,
        id: &str,
        s: &AiAgentStep,
    ) -> Result<(TokenStream, TokenStream), CodegenError> {
        let ptr = lv.step_pointer(id);
        let err = |m: String| unsupported(Some(id), ptr.clone(), "target-feature", m);
        if !self.opts.target.has_network() {
            return Err(err(format!("AiAgent step '{id}' calls an LLM over the network, which {} artifacts lack; compile for native, wasm32-wasip2 or wasm32-unknown-unknown", self.opts.target.name())));
        }
        self.uses_network = true;
        let Some(cfg) = &s.config else {
            return Err(unsupported(
                Some(id),
                format!("{ptr}/config"),
                "step-config",
                format!("AiAgent step '{id}' has no config"),
            ));
        };
        let hosted = true;
        let value = |m: Option<&runtara_dsl::MappingValue>| -> Result<TokenStream, CodegenError> {
            match m {
                Some(m) => mapping_value(m, hosted).map_err(err),
                None => Ok(quote!(Value::Null)),
            }
        };
        let (system, user) = (value(Some(&cfg.system_prompt))?, value(Some(&cfg.user_prompt))?);
        let (model, temperature, max_tokens) =
            (value(cfg.model.as_ref())?, value(cfg.temperature.as_ref())?, value(cfg.max_tokens.as_ref())?);
        let conversation = value(cfg.memory.as_ref().map(|m| &m.conversation_id))?;
        let connection = match s.connection() {
            Connection::Ref(r) => value(Some(r))?,
            Connection::Id(c) => quote!(Value::from(#c)),
            Connection::None => quote!(Value::Null),
        };

        let (tools, arms) = self.ai_tools(lv, id)?;
        let memory = self.ai_memory(lv, id, cfg)?;
        let dispatcher = self.names.fresh("ai_tools", id);
        self.items.push(quote! {
            /// The tools of the AiAgent step: the model's calls by name.
            fn #dispatcher(cx: &mut Ctx, scope: &mut Scope, call: &runtara_workflow_stdlib::ai::ToolCall<'_>) -> Result<Value, Value> {
                match call.name {
                    #(#arms)*
                    other => Err(Value::from(format!("unknown tool '{other}'"))),
                }
            }
        });
        let max_iterations = cfg.max_iterations.unwrap_or(defaults::AI_MAX_ITERATIONS);
        let max_retries = cfg.max_retries.unwrap_or(defaults::AI_MAX_RETRIES);
        let retry_delay = cfg.retry_delay.unwrap_or(defaults::AI_RETRY_DELAY_MS);
        let turn_timeout = cfg.turn_timeout.unwrap_or(defaults::AI_TURN_TIMEOUT_MS);
        let schema = opt(cfg.output_schema.as_ref().map(|s| serde_json::to_string(s).unwrap_or_default()));
        let info = &lv.names[id].info;
        Ok((
            quote!(Result<(), Failure>),
            quote! {
                const CONFIG: runtara_workflow_stdlib::ai::AiConfig = runtara_workflow_stdlib::ai::AiConfig {
                    max_iterations: #max_iterations,
                    max_retries: #max_retries,
                    retry_delay_ms: #retry_delay,
                    turn_timeout_ms: #turn_timeout,
                    output_schema: #schema,
                    memory: #memory,
                    tools: &[#(#tools),*],
                };
                run_durable_step(cx, scope, &#info, |cx, scope| {
                    let inputs = runtara_workflow_stdlib::ai::AiInputs {
                        system_prompt: #system,
                        user_prompt: #user,
                        model: #model,
                        temperature: #temperature,
                        max_tokens: #max_tokens,
                        connection: #connection,
                        conversation_id: #conversation,
                    };
                    runtara_workflow_stdlib::ai::ai_agent(cx, scope, &#info, &CONFIG, inputs, #dispatcher)
                })
            },
        ))
    }

    /// `ai::Tool` literals and the dispatcher's match arms, in edge order.
    fn ai_tools(&mut self, lv: &Level<'_>, id: &str) -> Result<(Vec<TokenStream>, Vec<TokenStream>), CodegenError> {
        let (mut tools, mut arms) = (Vec::new(), Vec::new());
        for e in lv.view.all_out(id) {
            if !e.label().is_tool() {
                continue;
            }
            let label = e.label().as_str();
            let target = lv.view.step(&e.to_step).expect("edges name existing steps");
            let description = target.name().unwrap_or(label).to_string();
            let ptr = lv.step_pointer(&e.to_step);
            if let Some(toolset) = label.strip_prefix("mcp.") {
                let conn = opt(agent_connection(target));
                for suffix in ["search", "invoke"] {
                    let name = format!("{toolset}_{suffix}");
                    let desc = format!("{description}: {suffix} the '{toolset}' MCP toolset");
                    tools.push(quote!(runtara_workflow_stdlib::ai::Tool { name: #name, description: #desc }));
                    arms.push(quote!(#name => runtara_workflow_stdlib::ai::mcp_tool(call, #conn),));
                }
                continue;
            }
            tools.push(quote!(runtara_workflow_stdlib::ai::Tool { name: #label, description: #description }));
            let arm = match target {
                Step::Agent(a) => {
                    let Some(meta) = runtara_agents::find(&normalize_agent_id(&a.agent_id), &a.capability_id) else {
                        // The model sees the error of a tool that does not exist (dsl-spec §7.14).
                        let msg = format!("tool '{label}': no built-in capability '{}/{}'", a.agent_id, a.capability_id);
                        arms.push(quote!(#label => Err(Value::from(#msg)),));
                        continue;
                    };
                    if meta.needs_network {
                        self.uses_network = true;
                    }
                    let (module, cap) = (quote::format_ident!("{}", slug(meta.agent)), quote::format_ident!("{}", slug(meta.id)));
                    let timeout = opt(a.timeout);
                    let conn = opt(agent_connection(target));
                    quote!(runtara_workflow_stdlib::ai::agent_tool(&call.args, #timeout, #conn, agents::#module::#cap))
                }
                Step::WaitForSignal(w) => {
                    let timeout = match &w.timeout_ms {
                        Some(m) => mapping_value(m, true).map_err(|m| unsupported(Some(&e.to_step), ptr.clone(), "target-feature", m))?,
                        None => quote!(Value::Null),
                    };
                    let poll = w.poll_interval_ms.unwrap_or(defaults::WAIT_POLL_INTERVAL_MS);
                    quote! {{
                        let timeout = (|| -> Result<Value, Failure> { Ok(#timeout) })().map_err(|f| f.payload)?;
                        runtara_workflow_stdlib::ai::wait_tool(cx, scope, #id, call, #poll, timeout.as_u64())
                    }}
                }
                Step::EmbedWorkflow(w) => {
                    let key = runtara_dsl::closure::child_key(w);
                    let (child_fn, vars_fn): (Ident, Ident) = self
                        .child_fns(&key)
                        .map_err(|m| unsupported(Some(&e.to_step), format!("{ptr}/childWorkflowId"), "child-workflow", m))?;
                    // A tool-only step has no step function, so its StepInfo is local here.
                    let (to, durable, name) = (e.to_step.as_str(), target.durable(lv.durable), opt(target.name()));
                    let child = &self.opts.children[&key];
                    let required: Vec<&str> = child.input_schema.iter().filter(|(_, f)| f.required).map(|(k, _)| k.as_str()).collect();
                    let child_id = &w.child_workflow_id;
                    let own_id = crate::emit::values::opt(w.agent_workflow_id.as_deref());
                    let (retries, delay) = (
                        w.max_retries.unwrap_or(defaults::EMBED_MAX_RETRIES),
                        w.retry_delay.unwrap_or(defaults::EMBED_RETRY_DELAY_MS),
                    );
                    quote! {{
                        const CALL: steps::EmbedCall = steps::EmbedCall {
                            child_workflow_id: #child_id, agent_workflow_id: #own_id, max_retries: #retries, retry_delay_ms: #delay, required_inputs: &[#(#required),*],
                        };
                        const INFO: StepInfo = StepInfo { id: #to, durable: #durable, name: #name, step_type: "EmbedWorkflow", input_mapping: None };
                        runtara_workflow_stdlib::ai::embed_tool(cx, scope, &INFO, &CALL, &call.args, #child_fn, #vars_fn)
                    }}
                }
                other => {
                    return Err(unsupported(Some(&e.to_step), ptr, "step-type", format!(
                        "AiAgent tool '{label}' targets a {} step; tools must be Agent, EmbedWorkflow or WaitForSignal steps",
                        other.step_type()
                    )))
                }
            };
            arms.push(quote!(#label => #arm,));
        }
        Ok((tools, arms))
    }

    /// `Some(ai::MemoryConfig { … })` when the step has a memory edge.
    fn ai_memory(
        &mut self,
        lv: &Level<'_>,
        id: &str,
        cfg: &runtara_dsl::AiAgentConfig,
    ) -> Result<TokenStream, CodegenError> {
        let Some(edge) = lv.view.out(id, "memory").into_iter().next() else { return Ok(quote!(None)) };
        let target = lv.view.step(&edge.to_step).expect("edges name existing steps");
        let compaction = cfg.memory.as_ref().and_then(|m| m.compaction.as_ref());
        let max = compaction
            .and_then(|c| c.get("maxMessages"))
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(defaults::AI_MEMORY_MAX_MESSAGES) as usize;
        let summarize =
            compaction.and_then(|c| c.get("strategy")).and_then(serde_json::Value::as_str) == Some("summarize");
        let conn = opt(agent_connection(target));
        Ok(
            quote!(Some(runtara_workflow_stdlib::ai::MemoryConfig { max_messages: #max, summarize: #summarize, connection_id: #conn })),
        )
    }
}

/// The literal `connectionId` of an Agent step (tools and providers are not given
/// `connectionRef` values: they run outside the normal flow).
fn agent_connection(step: &Step) -> Option<String> {
    match step {
        Step::Agent(a) => match a.connection() {
            Connection::Id(c) => Some(c.to_string()),
            _ => None,
        },
        _ => None,
    }
}
