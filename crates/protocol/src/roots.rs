//! The roots a reference path may start with (dsl-spec §4.4): `data.x`, `steps.a.outputs`, …

/// Every root, in the order the spec's table lists them.
pub const ALL: [&str; 7] = [DATA, VARIABLES, WORKFLOW, STEPS, ITERATION, LOOP, ITEM];

/// The current data (the input, or a Split item).
pub const DATA: &str = "data";
/// Declared and built-in variables.
pub const VARIABLES: &str = "variables";
/// `workflow.inputs.data…` / `workflow.inputs.variables…`.
pub const WORKFLOW: &str = "workflow";
/// Envelopes of the steps already run at this graph level.
pub const STEPS: &str = "steps";
/// `{index, indices, item}` inside Split/While bodies.
pub const ITERATION: &str = "iteration";
/// `{index, outputs}` inside While bodies and conditions.
pub const LOOP: &str = "loop";
/// The current element in Split bodies and Filter conditions.
pub const ITEM: &str = "item";

/// Whether `root` is one of [`ALL`].
pub fn is_root(root: &str) -> bool {
    ALL.contains(&root)
}
