//! A private PostgreSQL server for one test, which the test may stop and start (outage tests).
//!
//! Uses `initdb`/`pg_ctl` from PATH or `/usr/lib/postgresql/<newest>/bin`. PostgreSQL refuses to run as root, so
//! when the tests run as root the cluster belongs to the `postgres` user and commands go through `runuser`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct PrivateCluster {
    pub port: u16,
    data_dir: PathBuf,
    bin_dir: PathBuf,
}

impl PrivateCluster {
    /// initdb + start on a free port of 127.0.0.1.
    pub fn start() -> Self {
        let bin_dir = find_bin_dir().expect("PostgreSQL server binaries (initdb, pg_ctl) are not installed");
        let root = std::env::temp_dir().join(format!("pf-cluster-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&root).expect("cluster dir");
        let data_dir = root.join("data");
        if is_root() {
            run_checked(Command::new("chown").arg("postgres:postgres").arg(&root));
        }
        let port = free_port();
        let cluster = Self { port, data_dir, bin_dir };
        cluster.as_owner(&["initdb", "-U", "postgres", "-A", "trust", "--no-sync", "-D"], &[&cluster.data_dir]);
        cluster.start_server();
        cluster
    }

    /// Maintenance-database URL.
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server (fast shutdown: connections are cut).
    pub fn stop(&self) {
        self.as_owner(&["pg_ctl", "stop", "-m", "fast", "-w", "-D"], &[&self.data_dir]);
    }

    /// Starts the server again on the same port.
    pub fn start_server(&self) {
        let options = format!("-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off", self.port, self.socket_dir());
        let log = self.data_dir.with_file_name("server.log");
        self.as_owner(
            &["pg_ctl", "start", "-w", "-t", "60", "-o", &options, "-l"],
            &[&log, Path::new("-D"), &self.data_dir],
        );
    }

    fn socket_dir(&self) -> String {
        self.data_dir.parent().unwrap_or(Path::new("/tmp")).display().to_string()
    }

    fn as_owner(&self, args: &[&str], paths: &[&Path]) {
        let program = self.bin_dir.join(args[0]);
        let mut command = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        command.args(&args[1..]).args(paths);
        run_checked(&mut command);
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let program = self.bin_dir.join("pg_ctl");
        let mut command = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        let _ = command.args(["stop", "-m", "immediate", "-D"]).arg(&self.data_dir).output();
        if let Some(root) = self.data_dir.parent() {
            let _ = std::fs::remove_dir_all(root);
        }
    }
}

fn run_checked(command: &mut Command) {
    let output = command.output().expect("run a PostgreSQL tool");
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0\n")).unwrap_or(false)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

fn find_bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("pg_ctl").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(PathBuf::from)
        .find(|dir| dir.join("pg_ctl").is_file() && dir.join("initdb").is_file())
}
