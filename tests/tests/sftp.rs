//! The `sftp` agent against a real OpenSSH server: `sshd` from Debian's `openssh-server`,
//! started on loopback with throwaway host and client keys (key authentication; a non-root
//! sshd cannot check passwords), its `internal-sftp` rooted at a drop directory. Runs the
//! cases of `tests/agents/sftp.json` on native artifacts (the only target the platform
//! matrix allows).

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use runtara_e2e::agent_cases::{load_case_files, run_everywhere};
use serde_json::json;

const SSHD: &str = "/usr/sbin/sshd";

struct Sshd(Child);

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn keygen(path: &Path) {
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "runtara-test", "-f"])
        .arg(path)
        .status()
        .expect("ssh-keygen runs");
    assert!(ok.success(), "ssh-keygen failed");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts sshd on a free loopback port; returns it, its port and the host key fingerprint.
fn start_sshd(dir: &Path, drop: &Path) -> (Sshd, u16, String) {
    keygen(&dir.join("host_key"));
    keygen(&dir.join("client_key"));
    std::fs::copy(dir.join("client_key.pub"), dir.join("authorized_keys")).unwrap();
    let port = free_port();
    let config = format!(
        "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\nAuthorizedKeysFile {d}/authorized_keys\n\
         PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n\
         PermitRootLogin prohibit-password\nPidFile {d}/sshd.pid\nSubsystem sftp internal-sftp -d {drop}\n",
        d = dir.display(),
        drop = drop.display()
    );
    std::fs::write(dir.join("sshd_config"), config).unwrap();
    // sshd running as root wants its privilege-separation directory.
    let _ = std::fs::create_dir_all("/run/sshd");
    let child = Command::new(SSHD)
        .args(["-D", "-e", "-f"])
        .arg(dir.join("sshd_config"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("sshd.log")).unwrap())
        .spawn()
        .expect("sshd starts");
    let sshd = Sshd(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "sshd did not listen on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let o =
        Command::new("ssh-keygen").args(["-l", "-E", "sha256", "-f"]).arg(dir.join("host_key.pub")).output().unwrap();
    let fingerprint = String::from_utf8_lossy(&o.stdout).split_whitespace().nth(1).expect("a fingerprint").to_string();
    (sshd, port, fingerprint)
}

#[test]
fn sftp_capabilities_against_openssh() {
    if !Path::new(SSHD).exists() {
        return runtara_e2e::tools::missing(SSHD, "apt-get install openssh-server");
    }
    let dir = tempfile::tempdir().unwrap();
    let drop = dir.path().join("drop");
    std::fs::create_dir(&drop).unwrap();
    let (_sshd, port, fingerprint) = start_sshd(dir.path(), &drop);
    keygen(&dir.path().join("other_key"));
    let key = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
    let user = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout).unwrap().trim().to_string();
    let server = |port: u16, key: String, fingerprint: &str| {
        json!({"integrationId": "sftp", "parameters": {"host": "127.0.0.1", "port": port, "username": user,
            "privateKey": key, "hostKeyFingerprint": fingerprint, "timeoutMs": 10000}})
    };
    let connections = json!({
        "drop": server(port, key("client_key"), &fingerprint),
        "wrong-key": server(port, key("other_key"), &fingerprint),
        "spoofed": server(port, key("client_key"), "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        "closed-port": server(free_port(), key("client_key"), &fingerprint),
    });
    let conn_file = dir.path().join("connections.json");
    std::fs::write(&conn_file, connections.to_string()).unwrap();
    let file = load_case_files().into_iter().find(|f| f.agent() == "sftp").expect("tests/agents/sftp.json");
    let failures = run_everywhere(&file, &["--connections", conn_file.to_str().unwrap()], &[]);
    let log = std::fs::read_to_string(dir.path().join("sshd.log")).unwrap_or_default();
    assert!(failures.is_empty(), "{} failure(s):\n{}\nsshd log:\n{log}", failures.len(), failures.join("\n"));
    // What the workflow uploaded is on the server's disk.
    assert_eq!(std::fs::read(drop.join("data.bin")).unwrap(), [0xff, 0x00]);
    assert!(!drop.join("report.txt").exists(), "sftp-delete-file removed it");
}
