//! How checkpoint ids are built (README "Durability"): `<prefix>::<stepId>[::<indices>]`
//! for steps, plus synthetic ids derived from a step's: `<id>.turn.<n>`,
//! `<id>.tool.<name>.<n>`, `<id>.memory_load`, `<id>.memory_save`, `<id>.memory.compact`
//! (AiAgent), `<id>::attempt::<n>` and `<id>::sleep`.

/// Joins a checkpoint id's prefix, step id and loop indices.
pub const SEPARATOR: &str = "::";

/// Pieces that synthetic checkpoint ids append to a step id. A step id containing one of
/// them (or [`SEPARATOR`]) could name another step's synthetic checkpoint, so the validator
/// rejects it (E075).
pub const RESERVED: [&str; 4] = [SEPARATOR, ".turn.", ".tool.", ".memory"];

/// The reserved piece `step_id` contains, if any.
pub fn reserved_piece(step_id: &str) -> Option<&'static str> {
    RESERVED.into_iter().find(|r| step_id.contains(r))
}
