//! The thumbv7em-none-eabihf target: firmware run under qemu-system-arm (mps2-an386) and
//! the C-ABI staticlib linked into a bare-metal C program.

use std::path::{Path, PathBuf};
use std::process::Command;

use runtara_e2e::cli::{runtara, runtara_command, runtara_stdin, workspace_root};
use runtara_e2e::tools::{can_run, have_program};
use serde_json::{json, Value};

const TARGET: &str = "thumbv7em-none-eabihf";

fn example_01() -> PathBuf {
    workspace_root().join("tests/fixtures/conditional.json")
}

fn compile(src: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["compile", "--target", TARGET, src.to_str().unwrap(), "-o", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    runtara(&args)
}

fn envelope(artifact: &Path, input: &[u8]) -> (Option<i32>, Value) {
    let o = runtara_stdin(&["run", artifact.to_str().unwrap(), "--format", "envelope"], input);
    (o.status.code(), serde_json::from_slice(&o.stdout).unwrap_or(Value::Null))
}

#[test]
fn firmware_runs_under_qemu_with_the_artifact_contract() {
    if !can_run("thumbv7em-none-eabihf") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let fw = dir.path().join("fw.elf");
    let o = compile(&example_01(), &fw, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        envelope(&fw, br#"{"amount": 150}"#),
        (Some(0), json!({"status": "completed", "output": {"tier": "high", "amount": 150}}))
    );
    assert_eq!(envelope(&fw, br#"{"data": {"amount": 5}}"#).1["output"]["tier"], "low");
    let (code, env) = envelope(&fw, b"{nope");
    assert_eq!(code, Some(2));
    assert_eq!(env["error"]["code"], "BAD_INPUT");

    let approval = workspace_root().join("examples/expense-approval.json");
    let fw2 = dir.path().join("approval.elf");
    assert!(compile(&approval, &fw2, &["--heap-kb", "96"]).status.success());
    let (code, env) = envelope(&fw2, br#"{"employee": "eve", "amount": 10, "receipt": false}"#);
    assert_eq!(code, Some(1));
    assert_eq!(env["error"]["code"], "RECEIPT_MISSING");
}

#[test]
fn templates_are_rejected_at_compile_time_naming_step_and_target() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fw.elf");
    let o = compile(&workspace_root().join("examples/order-routing.json"), &out, &[]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("step 'ticket'") && err.contains(TARGET) && err.contains("templates"), "{err}");
    assert!(!out.exists());
}

#[test]
fn missing_qemu_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let fw = dir.path().join("fw.elf");
    assert!(compile(&example_01(), &fw, &[]).status.success());
    let o = runtara_command()
        .args(["run", fw.to_str().unwrap(), "--input", "-"])
        .env("RUNTARA_QEMU", "/nonexistent/qemu-system-arm")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("apt-get install qemu-system-arm"));
}

/// Builds `program` (a C file of tests/fixtures/firmware) against the staticlib of
/// `workflow` with arm-none-eabi-gcc (installed by CI) and runs it under qemu; returns its
/// stdout, or `None` when the cross compiler is missing outside CI.
fn c_program_output(workflow: &Path, program: &str) -> Option<String> {
    if !have_program("arm-none-eabi-gcc", "apt-get install gcc-arm-none-eabi") || !can_run("thumbv7em-none-eabihf") {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("workflow.a");
    let o = compile(workflow, &lib, &["--emit", "staticlib", "--release"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(dir.path().join("workflow.h").is_file(), "the C header is written beside the library");
    let fixtures = workspace_root().join("tests/fixtures/firmware");
    let elf = dir.path().join("program.elf");
    let gcc = Command::new("arm-none-eabi-gcc")
        .args([
            "-mcpu=cortex-m4",
            "-mthumb",
            "-mfloat-abi=hard",
            "-mfpu=fpv4-sp-d16",
            "-nostdlib",
            "-ffreestanding",
            "-O1",
        ])
        .arg("-I")
        .arg(dir.path())
        .arg("-T")
        .arg(fixtures.join("harness.ld"))
        .arg(fixtures.join(program))
        .arg(&lib)
        .arg("-o")
        .arg(&elf)
        .output()
        .unwrap();
    assert!(gcc.status.success(), "{}", String::from_utf8_lossy(&gcc.stderr));
    let run = Command::new("qemu-system-arm")
        .args(["-cpu", "cortex-m4", "-machine", "mps2-an386", "-nographic", "-monitor", "none", "-serial", "none"])
        .args(["-semihosting-config", "enable=on,target=native", "-kernel"])
        .arg(&elf)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout).to_string();
    assert!(run.status.success(), "{stdout}{}", String::from_utf8_lossy(&run.stderr));
    Some(stdout)
}

#[test]
fn staticlib_links_into_a_c_program() {
    let Some(stdout) = c_program_output(&example_01(), "harness.c") else { return };
    assert_eq!(stdout.trim(), r#"rc=0 {"amount":150,"tier":"high"}"#);
}

/// Checkpoints through `runtara_set_checkpoint_store`: the second run restores the Agent
/// step's output from the firmware's store instead of running the step again.
#[test]
fn checkpoint_callbacks_make_a_rerun_skip_finished_steps() {
    let workflow = workspace_root().join("examples/expense-approval.json");
    let Some(stdout) = c_program_output(&workflow, "checkpoints.c") else { return };
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "first rc=0 saves=1 hits=0", "{stdout}");
    assert_eq!(lines[1], "second rc=0 saves=0 hits=1", "{stdout}");
    let expected = r#"{"decision":"escalated","employee":"ada","over":{"by":1200.0}}"#;
    assert_eq!((lines[2], lines[3]), (expected, expected));
}
