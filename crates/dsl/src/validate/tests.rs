//! Tests of the validator rules, on small documents.

mod rules {
    use crate::parse::parse_workflow;
    use crate::validate::references::condition_shape_ok;
    use crate::validate::*;

    fn codes(doc: &str) -> Vec<&'static str> {
        let w = parse_workflow(doc).unwrap();
        let d = validate(&w.graph, &AgentCatalog::default());
        d.errors.iter().map(|e| e.code).collect()
    }

    #[test]
    fn typed_inputs_and_connections_are_checked_against_the_catalogue() {
        use crate::catalog::{AgentInfo, CapabilityInfo, InputField};
        let field = |name: &str, ty: FieldType, allowed: &[&str]| InputField {
            name: name.into(),
            required: false,
            ty: Some(ty),
            allowed: allowed.iter().map(|a| a.to_string()).collect(),
        };
        let catalog = AgentCatalog {
            agents: vec![AgentInfo {
                id: "http".into(),
                capabilities: vec![CapabilityInfo {
                    id: "http-request".into(),
                    inputs: vec![
                        field("url", FieldType::String, &[]),
                        field("timeout_ms", FieldType::Integer, &[]),
                        field("method", FieldType::String, &["GET", "POST"]),
                    ],
                    needs_connection: true,
                }],
            }],
        };
        let doc = r#"{"entryPoint":"a","steps":{
            "a":{"stepType":"Agent","id":"a","agentId":"http","capabilityId":"http-request","inputMapping":{
                "url":{"valueType":"immediate","value":42},
                "timeout_ms":{"valueType":"immediate","value":1.5},
                "method":{"valueType":"immediate","value":"FETCH"}}},
            "f":{"stepType":"Finish","id":"f"}},"executionPlan":[{"fromStep":"a","toStep":"f"}]}"#;
        let d = validate(&parse_workflow(doc).unwrap().graph, &catalog);
        let found: Vec<(&str, &str)> = d.errors.iter().map(|e| (e.code, e.path.as_str())).collect();
        assert_eq!(
            found,
            vec![
                ("E026", "/steps/a"),
                ("E024", "/steps/a/inputMapping/method/value"),
                ("E023", "/steps/a/inputMapping/timeout_ms/value"),
                ("E023", "/steps/a/inputMapping/url/value"),
            ]
        );
        assert!(d.errors[3].message.contains("must be a string, got an integer"), "{}", d.errors[3].message);
        assert!(condition_shape_ok(
            &serde_json::json!({"op": "AND", "arguments": [{"op": "EQ", "arguments": ["sku", 1]}]})
        ));
        assert!(!condition_shape_ok(&serde_json::json!({"op": "AND", "arguments": [{"op": 3}]})));
        assert!(!condition_shape_ok(&serde_json::json!({"field": "sku"})));
        assert!(d.errors[1].hint.contains("GET, POST"), "{}", d.errors[1].hint);
    }

    #[test]
    fn unverifiable_template_references_are_w052_warnings() {
        let doc = r#"{"entryPoint":"a","steps":{
            "a":{"stepType":"Finish","id":"a","inputMapping":{
                "t":{"valueType":"template","value":"{{ steps.ghost.outputs }} {{ data.x | upper }}"}}}}}"#;
        let d = validate(&parse_workflow(doc).unwrap().graph, &AgentCatalog::default());
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        let w: Vec<(&str, &str)> = d.warnings.iter().map(|w| (w.code, w.message.as_str())).collect();
        assert!(w.iter().any(|(c, m)| *c == "W052" && m.contains("steps.ghost.outputs")), "{w:?}");
    }

    #[test]
    fn missing_entry_point_is_e001() {
        let c = codes(r#"{"entryPoint":"nope","steps":{"f":{"stepType":"Finish","id":"f"}}}"#);
        assert!(c.contains(&"E001"), "{c:?}");
    }

    #[test]
    fn edge_to_unknown_step_is_e014_and_unreachable_is_e002() {
        let c = codes(
            r#"{"entryPoint":"a","steps":{
            "a":{"stepType":"Log","id":"a","message":"m"},
            "b":{"stepType":"Log","id":"b","message":"m"}},
            "executionPlan":[{"fromStep":"a","toStep":"ghost"}]}"#,
        );
        assert!(c.contains(&"E014") && c.contains(&"E002"), "{c:?}");
    }

    #[test]
    fn reference_to_a_later_step_is_e012_and_unknown_is_e010() {
        let c = codes(
            r#"{"entryPoint":"a","steps":{
            "a":{"stepType":"Log","id":"a","message":"m","context":{"x":{"valueType":"reference","value":"steps.f.outputs"}}},
            "f":{"stepType":"Finish","id":"f","inputMapping":{"y":{"valueType":"reference","value":"steps.zz.outputs"}}}},
            "executionPlan":[{"fromStep":"a","toStep":"f"}]}"#,
        );
        assert!(c.contains(&"E012") && c.contains(&"E010"), "{c:?}");
    }

    #[test]
    fn query_operator_and_bad_labels() {
        let c = codes(
            r#"{"entryPoint":"c","steps":{
            "c":{"stepType":"Conditional","id":"c","condition":{"type":"operation","op":"MATCH","arguments":[]}},
            "t":{"stepType":"Finish","id":"t"},"f":{"stepType":"Finish","id":"f"}},
            "executionPlan":[{"fromStep":"c","toStep":"t","label":"yes"},{"fromStep":"c","toStep":"f","label":"false"}]}"#,
        );
        assert!(c.contains(&"E027") && c.contains(&"E072"), "{c:?}");
    }

    #[test]
    fn two_default_edges_with_guards_are_e071() {
        let c = codes(
            r#"{"entryPoint":"l","steps":{
            "l":{"stepType":"Log","id":"l","message":"m"},
            "a":{"stepType":"Finish","id":"a"},"b":{"stepType":"Finish","id":"b"},"x":{"stepType":"Finish","id":"x"}},
            "executionPlan":[{"fromStep":"l","toStep":"a"},{"fromStep":"l","toStep":"b"},
              {"fromStep":"l","toStep":"x","condition":{"type":"value","valueType":"immediate","value":true}}]}"#,
        );
        assert!(c.contains(&"E071"), "{c:?}");
    }
}

mod scope {

    use crate::parse::parse_workflow;
    use crate::validate::*;

    fn diags(doc: &str) -> Diagnostics {
        validate(&parse_workflow(doc).unwrap().graph, &AgentCatalog::default())
    }

    fn has(d: &Diagnostics, code: &str) -> bool {
        d.errors.iter().chain(&d.warnings).any(|x| x.code == code)
    }

    #[test]
    fn data_references_follow_the_input_schema() {
        let d = diags(
            r#"{"entryPoint":"f","inputSchema":{"o":{"type":"object","properties":{"a":{"type":"string"}}},"n":{"type":"number"}},
          "steps":{"f":{"stepType":"Finish","id":"f","inputMapping":{
            "ok":{"valueType":"reference","value":"data.o.a"},
            "x":{"valueType":"reference","value":"data.nope"},
            "y":{"valueType":"reference","value":"data.o.b"},
            "z":{"valueType":"reference","value":"data.n.deeper"}}}}}"#,
        );
        assert!(has(&d, "E051") && has(&d, "E058") && has(&d, "E059"), "{d:?}");
        assert_eq!(d.errors.len(), 3, "{d:?}");
        let d = diags(
            r#"{"entryPoint":"f","steps":{"f":{"stepType":"Finish","id":"f","inputMapping":{
            "x":{"valueType":"reference","value":"data.a"}}}}}"#,
        );
        assert!(has(&d, "E052"));
    }

    #[test]
    fn variables_must_be_declared_or_built_in() {
        let d = diags(
            r#"{"entryPoint":"f","variables":{"region":{"type":"string","value":"eu"}},
          "steps":{"f":{"stepType":"Finish","id":"f","inputMapping":{
            "a":{"valueType":"reference","value":"variables.region"},
            "b":{"valueType":"reference","value":"variables._instance_id"},
            "c":{"valueType":"reference","value":"variables.zone"}}}}}"#,
        );
        assert_eq!(d.errors.iter().map(|e| e.code).collect::<Vec<_>>(), ["E013"]);
    }

    #[test]
    fn limits_and_closed_outputs() {
        let d = diags(
            r#"{"entryPoint":"a","inputSchema":{"xs":{"type":"array"}},"steps":{
            "a":{"stepType":"Agent","id":"a","agentId":"utils","capabilityId":"x","maxRetries":99,"timeout":5},
            "flt":{"stepType":"Filter","id":"flt","config":{"value":{"valueType":"reference","value":"data.xs"},
               "condition":{"type":"value","valueType":"reference","value":"item"}}},
            "f":{"stepType":"Finish","id":"f","inputMapping":{"x":{"valueType":"reference","value":"steps.flt.outputs.rows"}}}},
            "executionPlan":[{"fromStep":"a","toStep":"flt"},{"fromStep":"flt","toStep":"f"}]}"#,
        );
        assert!(has(&d, "W030") && has(&d, "W071") && has(&d, "E058"), "{d:?}");
    }

    #[test]
    fn ai_agent_edge_rules() {
        let d = diags(
            r#"{"entryPoint":"ai","steps":{
            "ai":{"stepType":"AiAgent","id":"ai","connectionId":"c","config":{
               "systemPrompt":{"valueType":"immediate","value":"s"},"userPrompt":{"valueType":"immediate","value":"u"}}},
            "t":{"stepType":"Agent","id":"t","agentId":"utils","capabilityId":"return-input"},
            "m":{"stepType":"Agent","id":"m","agentId":"utils","capabilityId":"return-input"}},
            "executionPlan":[{"fromStep":"ai","toStep":"t","label":"bad label"},{"fromStep":"ai","toStep":"m","label":"mcp.gh"},
              {"fromStep":"ai","toStep":"t","label":"memory"}]}"#,
        );
        assert!(has(&d, "E111") && has(&d, "E121") && has(&d, "E116"), "{d:?}");
    }

    #[test]
    fn step_ids_with_checkpoint_separators_are_e075() {
        for bad in ["a::b", "ask.turn.1", "ai.tool.echo.1", "ai.memory_load"] {
            let doc = format!(
                r#"{{"entryPoint":"{bad}","steps":{{"{bad}":{{"stepType":"Log","id":"{bad}","message":"x"}},"f":{{"stepType":"Finish","id":"f"}}}},"executionPlan":[{{"fromStep":"{bad}","toStep":"f"}}]}}"#
            );
            assert!(diags(&doc).errors.iter().any(|d| d.code == "E075" && d.step_id.as_deref() == Some(bad)), "{bad}");
        }
        let ok = r#"{"entryPoint":"fetch.orders","steps":{"fetch.orders":{"stepType":"Log","id":"fetch.orders","message":"x"},"f":{"stepType":"Finish","id":"f"}},"executionPlan":[{"fromStep":"fetch.orders","toStep":"f"}]}"#;
        assert!(!has(&diags(ok), "E075"), "dots alone are fine");
    }

    /// Hardening item 11: a 100,000-step chain is a clear error (E128), found without deep
    /// recursion, instead of a compile that overflows the stack.
    #[test]
    fn a_huge_chain_is_e128() {
        let n = 100_000;
        let steps: Vec<String> =
            (0..n).map(|i| format!(r#""a{i}":{{"stepType":"Log","id":"a{i}","message":""}}"#)).collect();
        let plan: Vec<String> = (0..n)
            .map(|i| {
                let next = if i + 1 < n { format!("a{}", i + 1) } else { "end".into() };
                format!(r#"{{"fromStep":"a{i}","toStep":"{next}"}}"#)
            })
            .collect();
        let doc = format!(
            r#"{{"entryPoint":"a0","steps":{{{},"end":{{"stepType":"Finish","id":"end"}}}},"executionPlan":[{}]}}"#,
            steps.join(","),
            plan.join(",")
        );
        let d = diags(&doc);
        assert!(d.errors.iter().any(|e| e.code == "E128" && e.message.contains("100001 steps")), "{:?}", d.errors);
    }
}
