//! Split (dsl-spec §7.4): the body as its own graph function, the static config, schemas.

use proc_macro2::{Literal, TokenStream};
use quote::quote;
use runtara_dsl::SplitStep;

use super::{failing, StepCx};
use crate::emit::values::{input_mapping, mapping_value, opt};
use crate::emit::Emitter;
use crate::CodegenError;
use runtara_protocol::defaults;

impl Emitter<'_> {
    /// The return type and body of the step function of Split step `sc.id`.
    pub(super) fn split_step(
        &mut self,
        sc: &StepCx<'_, '_>,
        s: &SplitStep,
    ) -> Result<(TokenStream, TokenStream), CodegenError> {
        let StepCx { lv, id, info, ptr, hosted, .. } = *sc;
        let err = |m: String| sc.err(m);
        let body = self.graph_fn(&s.subgraph, id, &format!("{ptr}/subgraph"), lv.durable)?;
        let Some(cfg) = &s.config else {
            let msg = format!("Split step '{id}' config missing value");
            return Ok((quote!(Result<(), Failure>), failing(id, msg)));
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
        let max_retries = cfg.max_retries.unwrap_or(defaults::SPLIT_MAX_RETRIES);
        let retry_delay = cfg.retry_delay.unwrap_or(defaults::SPLIT_RETRY_DELAY_MS);
        Ok((
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
        ))
    }
}
