//! One function per step (dsl-spec §7), one module per step kind. Every step function
//! evaluates its mappings and calls the stdlib's step semantics inside `run_step`, which
//! attributes failures to the step and emits debug events. This module holds what all
//! kinds share: the step's names and pointer ([`StepCx`]), durability and debug-event
//! settings, and the `StepInfo` constant plus function every step becomes.

mod agent;
mod ai_agent;
mod conditional;
mod delay;
mod embed;
mod error;
mod filter;
mod finish;
mod group_by;
mod log;
mod split;
mod switch;
mod wait;
mod while_loop;

use proc_macro2::{Ident, TokenStream};
use quote::quote;
use runtara_dsl::Step;

use crate::emit::values::opt;
use crate::emit::{unsupported, Emitter, Level};
use crate::CodegenError;

/// What the emitter of one step kind knows about the step it emits.
#[derive(Clone, Copy)]
pub(crate) struct StepCx<'a, 'g> {
    /// The graph level the step belongs to.
    pub lv: &'a Level<'g>,
    /// The step id (a user string: only ever a literal).
    pub id: &'a str,
    /// The step's `StepInfo` constant.
    pub info: &'a Ident,
    /// The step's JSON pointer.
    pub ptr: &'a str,
    /// Whether the target has `std`.
    pub hosted: bool,
}

impl StepCx<'_, '_> {
    /// A `target-feature` error at this step: `m` says what the target lacks.
    pub fn err(&self, m: String) -> CodegenError {
        unsupported(Some(self.id), self.ptr.to_string(), "target-feature", m)
    }
}

impl Emitter<'_> {
    /// Emits `const STEP_<slug>: StepInfo` and `fn step_<slug>` for one step.
    pub(crate) fn step_fn(&mut self, lv: &Level<'_>, id: &str, step: &Step) -> Result<(), CodegenError> {
        let names = &lv.names[id];
        let (func, info) = (&names.func, &names.info);
        let ptr = lv.step_pointer(id);
        let sc = StepCx { lv, id, info, ptr: &ptr, hosted: self.hosted() };
        self.current_durable = step.durable(lv.durable);
        self.current_mapping = None;
        if self.opts.track_events {
            let m = match step {
                Step::Finish(s) => s.input_mapping.as_ref(),
                Step::Agent(s) => s.input_mapping.as_ref(),
                _ => None,
            };
            self.current_mapping = m.and_then(|m| serde_json::to_string(m).ok());
        }
        self.waits |= matches!(step, Step::Delay(_) | Step::WaitForSignal(_));
        let (ret, body) = match step {
            Step::Finish(s) => self.finish_step(&sc, s)?,
            Step::Agent(s) => self.agent_step(&sc, s)?,
            Step::Conditional(s) => self.conditional_step(&sc, s)?,
            Step::Switch(s) => self.switch_step(&sc, s)?,
            Step::Log(s) => self.log_step(&sc, s)?,
            Step::Error(s) => self.error_step(&sc, s)?,
            Step::Filter(s) => self.filter_step(&sc, s)?,
            Step::GroupBy(s) => self.group_by_step(&sc, s)?,
            Step::Delay(s) => self.delay_step(&sc, s)?,
            Step::Split(s) => self.split_step(&sc, s)?,
            Step::While(s) => self.while_step(&sc, s)?,
            Step::EmbedWorkflow(s) => self.embed_step(&sc, s)?,
            Step::WaitForSignal(s) => self.wait_step(&sc, s)?,
            Step::AiAgent(s) => self.ai_agent_step(lv, id, s)?,
        };
        // Breakpoints are honoured only in durable graphs (dsl-spec §7).
        let body = if step.breakpoint() && lv.durable {
            quote! { breakpoint(cx, scope, &#info)?; #body }
        } else {
            body
        };
        let step_type = step.step_type();
        let doc = match step.name() {
            Some(n) => format!(" {step_type} `{id}` ({n})."),
            None => format!(" {step_type} `{id}`."),
        };
        let (durable, name) = (self.current_durable, opt(step.name()));
        let mapping = opt(self.current_mapping.take());
        self.items.push(quote! {
            const #info: StepInfo = StepInfo { id: #id, durable: #durable, name: #name, step_type: #step_type, input_mapping: #mapping };

            #[doc = #doc]
            fn #func(cx: &mut Ctx, scope: &mut Scope) -> #ret {
                #body
            }
        });
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
}

/// A body that fails the step with `msg` (a step whose config cannot run).
fn failing(id: &str, msg: String) -> TokenStream {
    quote!(Err(Failure::msg(#msg).at(#id)))
}
