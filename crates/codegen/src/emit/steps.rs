//! One function per step (dsl-spec §7). Every step function evaluates its mappings and
//! calls the stdlib's step semantics inside `run_step`, which attributes failures to the
//! step and emits debug events.

use proc_macro2::{Literal, TokenStream};
use quote::quote;
use runtara_dsl::catalog::normalize_agent_id;
use runtara_dsl::{ErrorCategory, LogLevel, Severity, Step, SwitchMatchType};

use super::values::{condition, finish_mapping, input_mapping, json_lit, mapping_value, opt};
use super::{unsupported, Emitter, Level};
use crate::ident::slug;
use crate::CodegenError;

impl Emitter<'_> {
    /// Emits `const STEP_<n>: StepInfo` and `fn step_<n>_<slug>` for one step.
    pub(crate) fn step_fn(&mut self, lv: &Level<'_>, id: &str, step: &Step) -> Result<(), CodegenError> {
        let names = &lv.names[id];
        let (func, info) = (&names.func, &names.info);
        let ptr = lv.step_pointer(id);
        let hosted = self.hosted();
        let err = |m: String| unsupported(Some(id), ptr.clone(), "target-feature", m);
        let name = opt(step.name());
        let step_type = step.step_type();
        self.current_mapping = None;
        // dsl-spec §8.10: the graph's setting, which a step may turn off for itself.
        let own = match step {
            Step::Agent(s) => Some(s.durable),
            Step::Split(s) => Some(s.durable),
            Step::EmbedWorkflow(s) => Some(s.durable),
            Step::Delay(s) => Some(s.durable),
            Step::WaitForSignal(s) => Some(s.durable),
            Step::AiAgent(s) => Some(s.durable),
            _ => None,
        };
        self.current_durable = own.is_some_and(|d| lv.durable && d != Some(false));
        if self.opts.track_events {
            let m = match step {
                Step::Finish(s) => s.input_mapping.as_ref(),
                Step::Agent(s) => s.input_mapping.as_ref(),
                _ => None,
            };
            self.current_mapping = m.and_then(|m| serde_json::to_string(m).ok());
        }
        let doc = match step.name() {
            Some(n) => format!(" {step_type} `{id}` ({n})."),
            None => format!(" {step_type} `{id}`."),
        };
        let (ret, body) = match step {
            Step::Finish(s) => {
                let m = finish_mapping(s.input_mapping.as_ref(), hosted).map_err(err)?;
                (
                    quote!(Result<Value, Failure>),
                    quote! {
                        run_step(cx, scope, &#info, |cx, scope| {
                            let mapped = #m;
                            Ok(steps::finish(cx, scope, &#info, mapped))
                        })
                    },
                )
            }
            Step::Agent(s) => {
                let agent = normalize_agent_id(&s.agent_id);
                let Some(meta) = runtara_agents::find(&agent, &s.capability_id) else {
                    let msg = format!("no built-in capability '{}/{}'", s.agent_id, s.capability_id);
                    if !lv.view.graph.is_ai_side_target(id) {
                        return Err(unsupported(Some(id), format!("{ptr}/capabilityId"), "unknown-capability", msg));
                    }
                    // An AiAgent tool that does not exist: its calls fail (ai_tools), and the step
                    // never runs in the normal flow.
                    self.push(
                        id,
                        func,
                        info,
                        &doc,
                        name,
                        step_type,
                        quote!(Result<(), Failure>),
                        quote!(Err(Failure::msg(#msg).at(#id))),
                    );
                    return Ok(());
                };
                if meta.needs_network && !self.opts.target.has_network() {
                    return Err(err(format!("capability '{}/{}' uses the network, which {} artifacts lack; compile for native, wasm32-wasip2 or wasm32-unknown-unknown", meta.agent, meta.id, self.opts.target.name())));
                }
                if meta.needs_std && !hosted {
                    return Err(err(format!(
                        "capability '{}/{}' needs a clock or randomness, which thumbv7em-none-eabihf lacks",
                        meta.agent, meta.id
                    )));
                }
                self.uses_network |= meta.needs_network;
                let connection =
                    match (&s.connection_ref, s.connection_id.as_deref().filter(|c| !c.is_empty() && *c != "__none__"))
                    {
                        (Some(r), _) => mapping_value(r, hosted).map_err(err)?,
                        (None, Some(c)) => quote!(Value::from(#c)),
                        (None, None) => quote!(Value::Null),
                    };
                let module = quote::format_ident!("{}", slug(meta.agent));
                let cap = quote::format_ident!("{}", slug(meta.id));
                let (agent_id, cap_id) = (meta.agent, meta.id);
                let max_retries = s.max_retries.unwrap_or(if meta.rate_limited { 5 } else { 3 });
                let retry_delay = s.retry_delay.unwrap_or(if meta.rate_limited { 2000 } else { 1000 });
                let timeout = opt(s.timeout);
                let budget = lv.view.graph.rate_limit_budget_ms.unwrap_or(60_000);
                let required: Vec<&str> = meta.inputs.iter().filter(|f| f.required).map(|f| f.name).collect();
                let m = input_mapping(s.input_mapping.as_ref(), hosted).map_err(err)?;
                (
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
                )
            }
            Step::Conditional(s) => {
                let c = condition(&s.condition, hosted).map_err(err)?;
                (
                    quote!(Result<bool, Failure>),
                    quote! {
                        run_step(cx, scope, &#info, |cx, scope| Ok(#c))
                    },
                )
            }
            Step::Switch(s) => {
                let routing = lv.view.is_routing_switch(id);
                let Some(cfg) = &s.config else {
                    let msg = format!("Switch step '{id}' has no config");
                    let ret = if routing { quote!(Result<&'static str, Failure>) } else { quote!(Result<(), Failure>) };
                    self.push(id, func, info, &doc, name, step_type, ret, quote!(Err(Failure::msg(#msg).at(#id))));
                    return Ok(());
                };
                let value = mapping_value(&cfg.value, hosted).map_err(err)?;
                let cases = cfg.cases.iter().map(|c| {
                    let mt = quote::format_ident!("{}", match_type(c.match_type));
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
                if routing {
                    (quote!(Result<&'static str, Failure>), quote!(run_step(cx, scope, &#info, |cx, scope| { #call })))
                } else {
                    (
                        quote!(Result<(), Failure>),
                        quote!(run_step(cx, scope, &#info, |cx, scope| { #call }).map(|_| ())),
                    )
                }
            }
            Step::Log(s) => {
                let level = match s.level.unwrap_or(LogLevel::Info) {
                    LogLevel::Debug => "debug",
                    LogLevel::Info => "info",
                    LogLevel::Warn => "warn",
                    LogLevel::Error => "error",
                };
                let message = &s.message;
                let ctx = input_mapping(s.context.as_ref(), hosted).map_err(err)?;
                (
                    quote!(Result<(), Failure>),
                    quote! {
                        run_step(cx, scope, &#info, |cx, scope| {
                            let context = #ctx;
                            steps::log(cx, scope, &#info, #level, #message, context);
                            Ok(())
                        })
                    },
                )
            }
            Step::Error(s) => {
                let category = match s.category.unwrap_or(ErrorCategory::Permanent) {
                    ErrorCategory::Permanent => "permanent",
                    ErrorCategory::Transient => "transient",
                };
                let severity = match s.severity.unwrap_or(Severity::Error) {
                    Severity::Info => "info",
                    Severity::Warning => "warning",
                    Severity::Error => "error",
                    Severity::Critical => "critical",
                };
                let (code, message) = (&s.code, &s.message);
                let ctx = input_mapping(s.context.as_ref(), hosted).map_err(err)?;
                (
                    quote!(Failure),
                    quote! {
                        let r = run_step(cx, scope, &#info, |cx, scope| -> Result<(), Failure> {
                            let context = #ctx;
                            Err(steps::error(cx, &#info, #category, #code, #message, #severity, context))
                        });
                        match r {
                            Err(failure) => failure,
                            Ok(()) => Failure::msg("Error step completed").at(#id),
                        }
                    },
                )
            }
            Step::Filter(s) => {
                let value = mapping_value(&s.config.value, hosted).map_err(err)?;
                let c = condition(&s.config.condition, hosted).map_err(err)?;
                (
                    quote!(Result<(), Failure>),
                    quote! {
                        run_step(cx, scope, &#info, |cx, scope| {
                            let value = #value;
                            steps::filter(scope, &#info, value, |scope| Ok(#c))
                        })
                    },
                )
            }
            Step::GroupBy(s) => {
                let value = mapping_value(&s.config.value, hosted).map_err(err)?;
                let key = runtara_dsl::path::tokenize(&s.config.key);
                let expected = s.config.expected_keys.clone().unwrap_or_default();
                (
                    quote!(Result<(), Failure>),
                    quote! {
                        run_step(cx, scope, &#info, |cx, scope| {
                            let value = #value;
                            steps::group_by(scope, &#info, value, &[#(#key),*], &[#(#expected),*]);
                            Ok(())
                        })
                    },
                )
            }
            Step::Delay(s) => {
                let d = mapping_value(&s.duration_ms, hosted).map_err(err)?;
                (
                    quote!(Result<(), Failure>),
                    quote! {
                        run_durable_step(cx, scope, &#info, |cx, scope| {
                            let duration = #d;
                            steps::delay(cx, scope, &#info, duration)
                        })
                    },
                )
            }
            Step::Split(s) => {
                let body = self.graph_fn(&s.subgraph, id, &format!("{ptr}/subgraph"), lv.durable)?;
                let Some(cfg) = &s.config else {
                    let msg = format!("Split step '{id}' config missing value");
                    self.push(
                        id,
                        func,
                        info,
                        &doc,
                        name,
                        step_type,
                        quote!(Result<(), Failure>),
                        quote!(Err(Failure::msg(#msg).at(#id))),
                    );
                    return Ok(());
                };
                let value = mapping_value(&cfg.value, hosted).map_err(err)?;
                let vars = input_mapping(cfg.variables.as_ref(), hosted).map_err(err)?;
                let schema = |s: &Option<runtara_dsl::Schema>| {
                    let rows = s.iter().flatten().map(|(k, f)| {
                        let ty = serde_json::to_value(f.field_type)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default();
                        let req = f.required;
                        quote!((#k, #ty, #req))
                    });
                    quote!(&[#(#rows),*])
                };
                let (ins, outs) = (schema(&s.input_schema), schema(&s.output_schema));
                let dont_stop = cfg.dont_stop_on_failed.unwrap_or(false);
                let allow_null = cfg.allow_null.unwrap_or(false);
                let single = cfg.convert_single_value.unwrap_or(false);
                let batch = Literal::usize_unsuffixed(cfg.batch_size.unwrap_or(0) as usize);
                let timeout = opt(cfg.timeout);
                let parallelism = opt(cfg.parallelism);
                let max_retries = cfg.max_retries.unwrap_or(0);
                let retry_delay = cfg.retry_delay.unwrap_or(1000);
                (
                    quote!(Result<(), Failure>),
                    quote! {
                        const CONFIG: steps::SplitConfig = steps::SplitConfig {
                            max_retries: #max_retries,
                            retry_delay_ms: #retry_delay,
                            parallelism: #parallelism,
                            dont_stop_on_failed: #dont_stop,
                            allow_null: #allow_null,
                            convert_single_value: #single,
                            batch_size: #batch,
                            timeout_ms: #timeout,
                            input_schema: #ins,
                            output_schema: #outs,
                        };
                        run_durable_step(cx, scope, &#info, |cx, scope| {
                            let value = #value;
                            let variables = #vars;
                            steps::split(cx, scope, &#info, &CONFIG, value, variables, #body)
                        })
                    },
                )
            }
            Step::While(s) => {
                let body = self.graph_fn(&s.subgraph, id, &format!("{ptr}/subgraph"), lv.durable)?;
                let c = condition(&s.condition, hosted).map_err(err)?;
                let cfg = s.config.as_ref();
                let vars = input_mapping(cfg.and_then(|c| c.variables.as_ref()), hosted).map_err(err)?;
                let max = cfg.and_then(|c| c.max_iterations).unwrap_or(10);
                let timeout = opt(cfg.and_then(|c| c.timeout));
                (
                    quote!(Result<(), Failure>),
                    quote! {
                        const CONFIG: steps::WhileConfig = steps::WhileConfig { max_iterations: #max, timeout_ms: #timeout };
                        run_step(cx, scope, &#info, |cx, scope| {
                            let variables = #vars;
                            steps::while_loop(cx, scope, &#info, &CONFIG, variables, |scope| Ok(#c), #body)
                        })
                    },
                )
            }
            Step::EmbedWorkflow(s) => {
                let key = runtara_dsl::closure::child_key(s);
                let (child_fn, vars_fn) = self
                    .child_fns(&key)
                    .map_err(|m| unsupported(Some(id), format!("{ptr}/childWorkflowId"), "child-workflow", m))?;
                let child = &self.opts.children[&key];
                let required: Vec<&str> =
                    child.input_schema.iter().filter(|(_, f)| f.required).map(|(k, _)| k.as_str()).collect();
                let m = input_mapping(s.input_mapping.as_ref(), hosted).map_err(err)?;
                let child_id = &s.child_workflow_id;
                let max_retries = s.max_retries.unwrap_or(3);
                let retry_delay = s.retry_delay.unwrap_or(1000);
                (
                    quote!(Result<(), Failure>),
                    quote! {
                        const CALL: steps::EmbedCall = steps::EmbedCall {
                            child_workflow_id: #child_id,
                            max_retries: #max_retries,
                            retry_delay_ms: #retry_delay,
                            required_inputs: &[#(#required),*],
                        };
                        run_durable_step(cx, scope, &#info, |cx, scope| {
                            let data = #m;
                            steps::embed(cx, scope, &#info, &CALL, data, #child_fn, #vars_fn)
                        })
                    },
                )
            }
            Step::WaitForSignal(s) => {
                let on_wait = s
                    .on_wait
                    .as_ref()
                    .map(|g| self.graph_fn(g, &format!("{id} onWait"), &format!("{ptr}/onWait"), lv.durable));
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
                let poll = s.poll_interval_ms.unwrap_or(1000);
                (
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
                )
            }
            Step::AiAgent(s) => self.ai_agent_step(lv, id, s)?,
        };
        self.push(id, func, info, &doc, name, step_type, ret, body);
        Ok(())
    }

    /// The graph function and declared-variables function of a child workflow, emitted on
    /// first use.
    pub(crate) fn child_fns(
        &mut self,
        key: &runtara_dsl::closure::ChildKey,
    ) -> Result<(proc_macro2::Ident, proc_macro2::Ident), String> {
        if let Some(f) = self.child_fns.get(key) {
            return Ok(f.clone());
        }
        let Some(child) = self.opts.children.get(key) else {
            return Err(format!(
                "child workflow '{}' (version {}) was not supplied; pass --workflows DIR",
                key.0, key.1
            ));
        };
        let child = child.clone();
        let child_name = format!("{}_v{}", key.0, key.1);
        let label = format!("child {child_name}");
        let vars_fn = self.names.fresh("child_variables", &child_name);
        // Registered before emitting the body so recursion (rejected by validation) cannot loop.
        let graph_ident = self.names.fresh("child", &child_name);
        self.child_fns.insert(key.clone(), (graph_ident.clone(), vars_fn.clone()));
        let body_fn =
            self.graph_fn(&child, &label, &format!("child:{}@{}", key.0, key.1), true).map_err(|e| e.to_string())?;
        let vars = super::declared_variables(&child).to_string();
        let doc = format!(" Child workflow `{}` (version {}).", key.0, key.1);
        self.items.push(quote! {
            #[doc = #doc]
            fn #graph_ident(cx: &mut Ctx, scope: &mut Scope) -> Result<Value, Failure> {
                #body_fn(cx, scope)
            }

            fn #vars_fn() -> Value {
                lit(#vars)
            }
        });
        Ok((graph_ident, vars_fn))
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        step_id: &str,
        func: &proc_macro2::Ident,
        info: &proc_macro2::Ident,
        doc: &str,
        name: TokenStream,
        step_type: &str,
        ret: TokenStream,
        body: TokenStream,
    ) {
        let durable = self.current_durable;
        let mapping = opt(self.current_mapping.take());
        self.items.push(quote! {
            const #info: StepInfo = StepInfo { id: #step_id, durable: #durable, name: #name, step_type: #step_type, input_mapping: #mapping };

            #[doc = #doc]
            fn #func(cx: &mut Ctx, scope: &mut Scope) -> #ret {
                #body
            }
        });
    }
}

fn match_type(m: SwitchMatchType) -> &'static str {
    use SwitchMatchType::*;
    match m {
        Gt => "Gt",
        Gte => "Gte",
        Lt => "Lt",
        Lte => "Lte",
        Eq => "Eq",
        Ne => "Ne",
        StartsWith => "StartsWith",
        EndsWith => "EndsWith",
        Contains => "Contains",
        In => "In",
        NotIn => "NotIn",
        IsDefined => "IsDefined",
        IsEmpty => "IsEmpty",
        IsNotEmpty => "IsNotEmpty",
        Between => "Between",
        Range => "Range",
    }
}
