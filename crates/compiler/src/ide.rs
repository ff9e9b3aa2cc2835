//! What an editor asks about a workflow document as it is typed (issue 17; `runtara lsp`
//! speaks the protocol): its findings with ranges, completions at a position, hover text.
//! Positions are LSP's: 0-based lines and UTF-16 code units.

use std::sync::OnceLock;

use regex::Regex;
use runtara_dsl::{parse_workflow, AgentCatalog};

/// The step types of DSL 3.x (dsl-spec §7).
pub const STEP_TYPES: [&str; 14] = [
    "Agent",
    "AiAgent",
    "Conditional",
    "Delay",
    "EmbedWorkflow",
    "Error",
    "Filter",
    "Finish",
    "GroupBy",
    "Log",
    "Split",
    "Switch",
    "WaitForSignal",
    "While",
];

/// One finding: the range it covers, whether it is an error (else a warning), its code
/// (`E001`…, `PARSE` for invalid JSON) and its message with the hint.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub start: (u32, u32),
    pub end: (u32, u32),
    pub error: bool,
    pub code: String,
    pub message: String,
}

/// One completion: the text to insert and what it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub label: String,
    pub detail: String,
}

fn catalog() -> &'static AgentCatalog {
    static CATALOG: OnceLock<AgentCatalog> = OnceLock::new();
    CATALOG.get_or_init(crate::catalog::builtin_catalog)
}

/// The findings of `text`: a parse error, else the validator's errors and warnings
/// (dsl-spec §9) against the built-in agents, each on the value its pointer names.
pub fn findings(text: &str) -> Vec<Finding> {
    let wf = match parse_workflow(text) {
        Ok(wf) => wf,
        Err(e) => {
            let offset = offset_of(text, e.line, e.column);
            let (start, end) = (position(text, offset), position(text, next_char(text, offset)));
            return vec![Finding { start, end, error: true, code: "PARSE".into(), message: e.message }];
        }
    };
    let mut d = runtara_dsl::validate::validate(&wf.graph, catalog());
    crate::source_map::locate_all(&mut d, text, wf.wrapped);
    let both = d.errors.iter().map(|x| (true, x)).chain(d.warnings.iter().map(|x| (false, x)));
    both.map(|(error, x)| {
        let span = x.span.clone().unwrap_or(0..0);
        Finding {
            start: position(text, span.start),
            end: position(text, span.end.max(next_char(text, span.start))),
            error,
            code: x.code.to_string(),
            message: format!("{} (hint: {})", x.message, x.hint),
        }
    })
    .collect()
}

/// Completions at `(line, character)`: step types after `"stepType": "`, agent ids after
/// `"agentId": "`, the capabilities of the step's agent after `"capabilityId": "`, the
/// document's step ids after `"toStep"`, `"fromStep"`, `"entryPoint"` or in a `steps.`
/// reference, and the capability's input names when a key starts inside `inputMapping`.
pub fn completions(text: &str, line: u32, character: u32) -> Vec<Completion> {
    static VALUE: OnceLock<Regex> = OnceLock::new();
    let value = VALUE.get_or_init(|| Regex::new(r#""(\w+)"\s*:\s*"[^"]*$"#).expect("valid regex"));
    let cursor = offset_at(text, line, character);
    let before = &text[..cursor];
    let line_text = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
    let step_ids = || step_ids(text).into_iter().map(|id| Completion { label: id, detail: "step".into() }).collect();
    if let Some(key) = value.captures(line_text).map(|c| c[1].to_string()) {
        return match key.as_str() {
            "stepType" => {
                STEP_TYPES.iter().map(|t| Completion { label: t.to_string(), detail: "step type".into() }).collect()
            }
            "agentId" => catalog()
                .agents
                .iter()
                .map(|a| Completion { label: a.id.clone(), detail: format!("{} capabilities", a.capabilities.len()) })
                .collect(),
            "capabilityId" => capabilities(last_value(before, "agentId").as_deref()),
            "toStep" | "fromStep" | "entryPoint" => step_ids(),
            _ if line_text.rsplit('"').next().is_some_and(|v| v.starts_with("steps.") && !v[6..].contains('.')) => {
                step_ids()
            }
            _ => Vec::new(),
        };
    }
    let key_start = line_text.trim_start().starts_with('"') && !line_text.trim_start()[1..].contains('"');
    let in_mapping = before
        .rfind("\"inputMapping\"")
        .is_some_and(|m| before[m..].matches('{').count() > before[m..].matches('}').count());
    if key_start && in_mapping {
        if let (Some(agent), Some(cap)) = (last_value(before, "agentId"), last_value(before, "capabilityId")) {
            if let Some(c) = catalog().capability(&agent, &cap) {
                return c
                    .inputs
                    .iter()
                    .map(|i| Completion { label: i.name.clone(), detail: input_detail(i) })
                    .collect();
            }
        }
    }
    Vec::new()
}

/// Hover on a `"capabilityId": "…"` line: the capability's inputs (markdown).
pub fn hover(text: &str, line: u32, character: u32) -> Option<String> {
    let cursor = offset_at(text, line, character);
    let line_start = text[..cursor].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[cursor..].find('\n').map_or(text.len(), |i| cursor + i);
    let cap = last_value(&text[..line_end], "capabilityId")
        .filter(|_| text[line_start..line_end].contains("\"capabilityId\""))?;
    let agent = last_value(&text[..line_end], "agentId")?;
    let c = catalog().capability(&agent, &cap)?;
    let rows: Vec<String> = c.inputs.iter().map(|i| format!("- `{}`{}", i.name, input_detail(i))).collect();
    Some(format!("**{agent}.{cap}** inputs:\n{}", rows.join("\n")))
}

fn input_detail(i: &runtara_dsl::catalog::InputField) -> String {
    let ty = i.ty.as_ref().map(|t| format!(": {t:?}").to_lowercase()).unwrap_or_default();
    format!("{ty}{}", if i.required { " (required)" } else { "" })
}

fn capabilities(agent: Option<&str>) -> Vec<Completion> {
    let agents: Vec<_> = match agent.and_then(|a| catalog().agent(a)) {
        Some(a) => vec![a],
        None => catalog().agents.iter().collect(),
    };
    agents
        .iter()
        .flat_map(|a| {
            a.capabilities
                .iter()
                .map(move |c| Completion { label: c.id.clone(), detail: format!("{} capability", a.id) })
        })
        .collect()
}

/// The value of the last `"key": "value"` in `text`.
fn last_value(text: &str, key: &str) -> Option<String> {
    let re = Regex::new(&format!(r#""{}"\s*:\s*"([^"]*)""#, regex::escape(key))).ok()?;
    re.captures_iter(text).last().map(|c| c[1].to_string())
}

/// The step ids of a document (its `"id": "…"` values), in order, without repeats.
fn step_ids(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in Regex::new(r#""id"\s*:\s*"([^"]+)""#).expect("valid regex").captures_iter(text).map(|c| c[1].to_string())
    {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// The byte offset of a 1-based line and column (characters), clamped to the text.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    let rest = &text[start.min(text.len())..];
    start + rest.char_indices().nth(column.saturating_sub(1)).map_or(rest.len(), |(i, _)| i)
}

/// The byte offset of an LSP position, clamped to its line.
fn offset_at(text: &str, line: u32, character: u32) -> usize {
    let start: usize = text.split_inclusive('\n').take(line as usize).map(str::len).sum();
    let start = start.min(text.len());
    let mut units = 0u32;
    for (i, c) in text[start..].char_indices() {
        if units >= character || c == '\n' {
            return start + i;
        }
        units += c.len_utf16() as u32;
    }
    text.len()
}

/// The LSP position of a byte offset.
fn position(text: &str, offset: usize) -> (u32, u32) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() as u32;
    let col = before.rsplit('\n').next().map_or(0, |l| l.encode_utf16().count()) as u32;
    (line, col)
}

fn next_char(text: &str, offset: usize) -> usize {
    text[offset.min(text.len())..].chars().next().map_or(text.len(), |c| offset + c.len_utf8())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "{\n  \"entryPoint\": \"a\",\n  \"steps\": {\n    \"a\": { \"stepType\": \"Agent\", \"id\": \"a\", \"agentId\": \"utils\", \"capabilityId\": \"nope\" },\n    \"b\": { \"stepType\": \"Finish\", \"id\": \"b\" }\n  },\n  \"executionPlan\": [ { \"fromStep\": \"a\", \"toStep\": \"zz\" } ]\n}\n";

    #[test]
    fn findings_sit_on_the_offending_values() {
        let f = findings(DOC);
        let codes: Vec<&str> = f.iter().filter(|x| x.error).map(|x| x.code.as_str()).collect();
        assert!(codes.len() >= 2, "{f:?}");
        let zz = f.iter().find(|x| x.message.contains("zz")).expect("the unknown toStep is reported");
        assert_eq!(zz.start.0, 6, "{zz:?}");
        let bad = findings("{\n  \"steps\": [\n");
        assert_eq!((bad.len(), bad[0].code.as_str()), (1, "PARSE"), "{bad:?}");
    }

    #[test]
    fn completes_step_types_agents_capabilities_and_step_ids() {
        let labels = |t: &str, line: u32, ch: u32| -> Vec<String> {
            completions(t, line, ch).into_iter().map(|c| c.label).collect()
        };
        assert!(labels("{ \"stepType\": \"Fi", 0, 17).contains(&"Finish".to_string()));
        assert!(labels("{ \"agentId\": \"", 0, 14).contains(&"utils".to_string()));
        let caps = labels("{ \"agentId\": \"http\", \"capabilityId\": \"", 0, 38);
        assert!(caps.contains(&"http-request".to_string()) && !caps.contains(&"random-double".to_string()), "{caps:?}");
        let line = DOC.lines().nth(6).unwrap();
        let at = line.find("\"zz\"").unwrap() as u32 + 1;
        assert_eq!(labels(DOC, 6, at), vec!["a".to_string(), "b".to_string()]);
        let mapping = "{ \"agentId\": \"http\", \"capabilityId\": \"http-request\", \"inputMapping\": {\n  \"u";
        let inputs = labels(mapping, 1, 4);
        assert!(inputs.contains(&"url".to_string()) && inputs.contains(&"method".to_string()), "{inputs:?}");
        let reference = "{ \"id\": \"first\" }, { \"value\": \"steps.fi";
        assert_eq!(labels(reference, 0, reference.len() as u32), vec!["first".to_string()]);
    }

    #[test]
    fn hover_lists_a_capabilitys_inputs() {
        let text = "{ \"agentId\": \"http\",\n  \"capabilityId\": \"http-request\" }";
        let md = hover(text, 1, 20).expect("a hover");
        assert!(md.starts_with("**http.http-request** inputs:") && md.contains("- `url`"), "{md}");
    }
}
