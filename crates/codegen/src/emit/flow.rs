//! Control flow of one graph level (dsl-spec §8.1–8.2): regions in plan order, branches
//! with their merge point, routing switches, guarded edges and onError routes. [`Code`]
//! tracks whether emitted statements always return, so nothing unreachable follows them.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::quote;
use runtara_dsl::{EdgeLabel, Step};

use super::{unsupported, values, Emitter, Level};
use crate::CodegenError;

/// Emitted statements, and whether they always `return` (so nothing may follow them:
/// generated code is built with unreachable-code warnings denied in the golden tests).
pub(crate) struct Code {
    pub tokens: TokenStream,
    pub diverges: bool,
}

impl Code {
    fn empty() -> Self {
        Code { tokens: TokenStream::new(), diverges: false }
    }

    /// `self` then `return Ok(Value::Null);` unless it already returns.
    fn then_return_null(self) -> TokenStream {
        let tokens = self.tokens;
        if self.diverges {
            tokens
        } else {
            quote!(#tokens return Ok(Value::Null);)
        }
    }
}

impl Emitter<'_> {
    /// Emits the code of the region rooted at `root` (dsl-spec §8.1).
    pub(super) fn region<'g>(
        &mut self,
        lv: &Level<'g>,
        root: &'g str,
        stops: &BTreeSet<&'g str>,
        in_handler: bool,
    ) -> Result<Code, CodegenError> {
        let order = lv.view.region(root, stops);
        let terminal = |s: &str| match lv.view.step(s) {
            Some(Step::Finish(_)) | Some(Step::Error(_)) => true,
            _ => !lv.view.is_branching(s) && lv.view.normal_succs(s).is_empty(),
        };
        let terminals: Vec<&str> = order.iter().copied().filter(|s| terminal(s)).collect();
        if terminals.len() > 1 {
            return Err(unsupported(Some(root), lv.step_pointer(root), "execution-plan-routing",
                format!("the fan-out from '{root}' never re-converges: '{}' and '{}' both end the graph; join the branches at one step",
                    terminals[0], terminals[1])));
        }
        let mut outer: BTreeSet<&str> = stops.clone();
        outer.extend(order.iter().copied());
        let mut out = Code::empty();
        for (i, s) in order.iter().enumerate() {
            let call = self.step_call(lv, s, &outer, in_handler)?;
            out.tokens.extend(call.tokens);
            out.diverges = call.diverges;
            let last = i + 1 == order.len();
            let plain = !matches!(lv.view.step(s), Some(Step::Finish(_)) | Some(Step::Error(_)));
            if plain && !lv.view.is_branching(s) && lv.view.normal_succs(s).is_empty() && last && !out.diverges {
                out.tokens.extend(quote!(return Ok(Value::Null);));
                out.diverges = true;
            }
        }
        Ok(out)
    }

    /// A branch region: empty when the target is already covered by `stops`.
    fn branch<'g>(
        &mut self,
        lv: &Level<'g>,
        target: &'g str,
        stops: &BTreeSet<&'g str>,
        in_handler: bool,
    ) -> Result<Code, CodegenError> {
        if stops.contains(target) {
            Ok(Code::empty())
        } else {
            self.region(lv, target, stops, in_handler)
        }
    }

    /// Branches to `targets` selected by `selector`, then the merge region (dsl-spec §8.2).
    /// The returned flag: whether the whole construct always returns (the merge region
    /// does, or there is none and every branch does).
    fn branches<'g>(
        &mut self,
        lv: &Level<'g>,
        targets: &[&'g str],
        outer: &BTreeSet<&'g str>,
        in_handler: bool,
    ) -> Result<(Vec<TokenStream>, TokenStream, bool), CodegenError> {
        let merge = lv.view.merge_point(targets);
        let mut stops = outer.clone();
        stops.extend(merge);
        let bodies = targets.iter().map(|t| self.branch(lv, t, &stops, in_handler)).collect::<Result<Vec<_>, _>>()?;
        let after = match merge {
            Some(m) if !outer.contains(m) => self.region(lv, m, outer, in_handler)?,
            _ => Code::empty(),
        };
        let diverges = after.diverges || (after.tokens.is_empty() && bodies.iter().all(|b| b.diverges));
        Ok((bodies.into_iter().map(|b| b.tokens).collect(), after.tokens, diverges))
    }

    /// The call of one step inside a region, with its branches and onError routes.
    fn step_call<'g>(
        &mut self,
        lv: &Level<'g>,
        id: &'g str,
        outer: &BTreeSet<&'g str>,
        in_handler: bool,
    ) -> Result<Code, CodegenError> {
        let step = lv.view.step(id).expect("region steps exist");
        self.called.insert(id.to_string());
        let f = &lv.names[id].func;
        let returns = |tokens| Ok(Code { tokens, diverges: true });
        match step {
            Step::Finish(_) => return returns(quote!(return #f(cx, scope);)),
            Step::Error(_) => return returns(quote!(return Err(#f(cx, scope));)),
            Step::Conditional(_) => {
                let pick = |label: &str| -> Result<&'g str, CodegenError> {
                    let edges = lv.view.out(id, label);
                    match edges.as_slice() {
                        [e] => Ok(e.to_step.as_str()),
                        _ => Err(unsupported(
                            Some(id),
                            lv.step_pointer(id),
                            "execution-plan-routing",
                            format!("Conditional '{id}' needs exactly one \"{label}\" edge, found {}", edges.len()),
                        )),
                    }
                };
                let targets = [pick("true")?, pick("false")?];
                let (b, after, diverges) = self.branches(lv, &targets, outer, in_handler)?;
                let (t, e) = (&b[0], &b[1]);
                let tokens = quote! {
                    if #f(cx, scope)? { #t } else { #e }
                    #after
                };
                return Ok(Code { tokens, diverges });
            }
            _ if lv.view.is_routing_switch(id) => return self.routing_switch(lv, id, outer, in_handler),
            _ => {}
        }
        let mut out = TokenStream::new();
        let on_error = lv.view.out(id, EdgeLabel::OnError.as_str());
        if !on_error.is_empty() && !in_handler {
            let mut handlers = TokenStream::new();
            let mut fallback = quote!(return Err(failure););
            for e in &on_error {
                let body = self.region(lv, &e.to_step, &BTreeSet::new(), true)?.then_return_null();
                match &e.condition {
                    Some(c) => {
                        let c = self.cond(lv, id, c)?;
                        handlers.extend(quote! {
                            if steps::guard(#id, || Ok(#c))? {
                                #body
                            }
                        });
                    }
                    None => fallback = body,
                }
            }
            out.extend(quote! {
                if let Err(failure) = #f(cx, scope) {
                    if !steps::enter_error(scope, &failure, #id) {
                        return Err(failure);
                    }
                    #handlers
                    #fallback
                }
            });
        } else {
            out.extend(quote!(#f(cx, scope)?;));
        }
        let normal = lv.view.out(id, "");
        if normal.iter().any(|e| e.condition.is_some()) {
            let defaults: Vec<_> = normal.iter().filter(|e| e.condition.is_none()).collect();
            if defaults.len() != 1 {
                return Err(unsupported(
                    Some(id),
                    lv.step_pointer(id),
                    "execution-plan-routing",
                    format!(
                        "step '{id}' has guarded edges and {} unguarded ones; exactly one default edge is needed",
                        defaults.len()
                    ),
                ));
            }
            let guarded: Vec<_> = normal.iter().filter(|e| e.condition.is_some()).collect();
            let mut targets: Vec<&str> = guarded.iter().map(|e| e.to_step.as_str()).collect();
            targets.push(defaults[0].to_step.as_str());
            let (bodies, after, diverges) = self.branches(lv, &targets, outer, in_handler)?;
            let mut chain = bodies.last().cloned().unwrap_or_default();
            chain = quote!({ #chain });
            for (e, body) in guarded.iter().zip(&bodies).rev() {
                let c = self.cond(lv, id, e.condition.as_ref().expect("guarded"))?;
                chain = quote! {
                    if steps::guard(#id, || Ok(#c))? { #body } else #chain
                };
            }
            out.extend(quote!(#chain #after));
            return Ok(Code { tokens: out, diverges });
        }
        Ok(Code { tokens: out, diverges: false })
    }

    fn routing_switch<'g>(
        &mut self,
        lv: &Level<'g>,
        id: &'g str,
        outer: &BTreeSet<&'g str>,
        in_handler: bool,
    ) -> Result<Code, CodegenError> {
        let Some(Step::Switch(s)) = lv.view.step(id) else { unreachable!("checked by caller") };
        let mut routes: Vec<&str> = Vec::new();
        for c in s.config.iter().flat_map(|c| &c.cases) {
            if let Some(r) = c.route.as_deref() {
                if !routes.contains(&r) && r != "default" {
                    routes.push(r);
                }
            }
        }
        routes.push("default");
        let mut targets = Vec::new();
        for r in &routes {
            let edges = lv.view.out(id, r);
            match edges.as_slice() {
                [e] if e.condition.is_none() => targets.push(e.to_step.as_str()),
                _ => {
                    return Err(unsupported(
                        Some(id),
                        lv.step_pointer(id),
                        "execution-plan-routing",
                        format!(
                            "routing Switch '{id}' needs exactly one unguarded \"{r}\" edge, found {}",
                            edges.len()
                        ),
                    ))
                }
            }
        }
        let extra = lv.view.all_out(id).into_iter().filter(|e| !routes.contains(&e.label_kind())).count();
        if extra > 0 {
            return Err(unsupported(
                Some(id),
                lv.step_pointer(id),
                "execution-plan-routing",
                format!(
                    "routing Switch '{id}' has {extra} edge(s) whose label is not one of its routes ({})",
                    routes.join(", ")
                ),
            ));
        }
        let (bodies, after, diverges) = self.branches(lv, &targets, outer, in_handler)?;
        let f = &lv.names[id].func;
        let arms = routes[..routes.len() - 1].iter().zip(&bodies).map(|(r, b)| quote!(#r => { #b }));
        let default = bodies.last().cloned().unwrap_or_default();
        let tokens = quote! {
            match #f(cx, scope)? {
                #(#arms)*
                _ => { #default }
            }
            #after
        };
        Ok(Code { tokens, diverges })
    }

    /// A condition owned by step `id`, as a bool expression.
    fn cond(&self, lv: &Level<'_>, id: &str, c: &runtara_dsl::Condition) -> Result<TokenStream, CodegenError> {
        values::condition(c, self.hosted()).map_err(|m| unsupported(Some(id), lv.step_pointer(id), "target-feature", m))
    }
}
