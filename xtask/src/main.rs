//! Project automation: `cargo xtask test` (the one command CI runs) and `cargo xtask fuzz`.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{Context, Result, bail};

/// Debian packages of the real test peers (`shared/test-peers.md` §8), with a binary each
/// provides so we can tell whether it is installed.
const PEERS: &[(&str, &str)] = &[
    ("docker-registry", "docker-registry"),
    ("skopeo", "skopeo"),
    ("umoci", "umoci"),
    ("etcd-server", "etcd"),
    ("etcd-client", "etcdctl"),
    ("apache2-utils", "htpasswd"),
    ("openssl", "openssl"),
    ("protobuf-compiler", "protoc"),
    // etcd-client's build needs google/protobuf/*.proto, which only this package installs.
    (
        "libprotobuf-dev",
        "/usr/include/google/protobuf/descriptor.proto",
    ),
];

/// Fuzz targets compiled and smoke-run by `cargo xtask test`.
const FUZZ_TARGETS: &[&str] = &["image_reference", "selectors"];

const USAGE: &str = "usage: cargo xtask <command>

commands:
  test                 install missing test peers (as root), then fmt check, clippy -D warnings,
                       nextest on the whole workspace, doc tests, rustdoc -D warnings, and the fuzz
                       targets' build + smoke run
  bench api            istag GET, LIST 1,000 streams, tag updates at concurrency 64, and watch
                       fan-out, against a release `tagplane serve` on loopback
  bench import         ImageStreamImport of 1,000 tags from a loopback docker-registry vs. the
                       floor (bare reqwest GETs) and a skopeo inspect loop, then a re-check of the
                       unchanged tags (requests by method, writes, CPU, RSS)
  bench store          durable writes/s, reads/s and watch fan-out of the redb and etcd stores,
                       side by side (starts a local etcd)
  fuzz <target> [secs] run a cargo-fuzz target (installs cargo-fuzz if missing; default 60 s)";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("bench") => match args.get(1).map(String::as_str) {
            Some("store") => bench_store(),
            Some("api") => bench_api(),
            Some("import") => bench_import(),
            _ => Err(anyhow::anyhow!(
                "usage: cargo xtask bench store|api|import\n\n{USAGE}"
            )),
        },
        Some("fuzz") => match args.get(1) {
            Some(target) => fuzz(target, args.get(2).map(String::as_str).unwrap_or("60")),
            None => Err(anyhow::anyhow!("missing fuzz target\n\n{USAGE}")),
        },
        Some("-h" | "--help" | "help") | None => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(anyhow::anyhow!("unknown command {other:?}\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn cargo() -> Command {
    let mut c = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

/// Run a command, echoing it and its duration; fail if it fails.
fn run(step: &str, cmd: &mut Command) -> Result<()> {
    eprintln!("xtask: ==> {step}");
    let start = Instant::now();
    let status = cmd
        .status()
        .with_context(|| format!("could not start {cmd:?}"))?;
    eprintln!(
        "xtask: <== {step}: {status} in {:.1}s",
        start.elapsed().as_secs_f64()
    );
    if !status.success() {
        bail!("step `{step}` failed ({status})");
    }
    Ok(())
}

fn on_path(binary: &str) -> bool {
    if binary.starts_with('/') {
        return Path::new(binary).is_file();
    }
    env::var_os("PATH")
        .map(|p| env::split_paths(&p).any(|d| d.join(binary).is_file()))
        .unwrap_or(false)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

/// Install the Debian test peers that are missing, when we are root (CI and fresh machines).
fn install_peers() -> Result<()> {
    let missing: Vec<&str> = PEERS
        .iter()
        .filter(|(_, bin)| !on_path(bin))
        .map(|(pkg, _)| *pkg)
        .collect();
    if missing.is_empty() {
        eprintln!("xtask: all test peers present");
        return Ok(());
    }
    if !is_root() {
        eprintln!(
            "xtask: test peers missing ({}) and not root: install them with\n  sudo apt-get install -y --no-install-recommends {}",
            missing.join(", "),
            missing.join(" ")
        );
        return Ok(());
    }
    run(
        "apt-get update",
        Command::new("apt-get").args(["update", "-qq"]),
    )?;
    run(
        "apt-get install test peers",
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "--no-install-recommends"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

fn test() -> Result<()> {
    let start = Instant::now();
    install_peers()?;
    run(
        "cargo fmt --check",
        cargo().args(["fmt", "--all", "--", "--check"]),
    )?;
    run(
        "cargo clippy -D warnings",
        cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    single_crypto_provider()?;
    let nextest = cargo()
        .args(["nextest", "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if nextest {
        run(
            "cargo nextest run",
            cargo()
                .args([
                    "nextest",
                    "run",
                    "--workspace",
                    "--locked",
                    "--no-fail-fast",
                ])
                .env("TAGPLANE_REQUIRE_PEERS", "1"),
        )?;
    } else {
        eprintln!("xtask: cargo-nextest not installed; falling back to cargo test");
        run(
            "cargo test",
            cargo()
                .args([
                    "test",
                    "--workspace",
                    "--locked",
                    "--lib",
                    "--bins",
                    "--tests",
                ])
                .env("TAGPLANE_REQUIRE_PEERS", "1"),
        )?;
    }
    run(
        "cargo test --doc",
        cargo().args(["test", "--doc", "--workspace", "--all-features", "--locked"]),
    )?;
    run(
        "cargo doc -D warnings",
        cargo()
            .args([
                "doc",
                "--workspace",
                "--all-features",
                "--no-deps",
                "--locked",
            ])
            .env("RUSTDOCFLAGS", "-D warnings"),
    )?;
    fuzz_smoke()?;
    eprintln!(
        "xtask: all checks passed in {:.0}s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// stack.md §1.2: exactly one rustls crypto provider (aws-lc-rs); `ring` must not be in the tree.
fn single_crypto_provider() -> Result<()> {
    let out = cargo()
        .args([
            "tree",
            "--workspace",
            "--all-features",
            "-e",
            "normal",
            "-i",
            "ring",
        ])
        .output()?;
    if out.status.success() && !out.stdout.is_empty() {
        bail!(
            "`ring` is in the dependency tree; use the aws-lc-rs features instead:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    eprintln!("xtask: single crypto provider check passed (no ring)");
    Ok(())
}

/// Coverage instrumentation of libFuzzer (what `cargo fuzz -s none` passes), on stable.
const SANCOV_RUSTFLAGS: &str = "-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table -Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing";
/// Building for an explicit target keeps build scripts uninstrumented.
const FUZZ_TARGET_TRIPLE: &str = "x86_64-unknown-linux-gnu";

/// Compile every fuzz target with coverage instrumentation on stable cargo and run each,
/// coverage-guided, over a bounded number of inputs.
fn fuzz_smoke() -> Result<()> {
    let manifest = root().join("fuzz/Cargo.toml");
    run(
        "build fuzz targets (instrumented)",
        cargo()
            .args(["build", "--locked", "--manifest-path"])
            .arg(&manifest)
            .args(["--bins", "--target", FUZZ_TARGET_TRIPLE])
            .env("RUSTFLAGS", SANCOV_RUSTFLAGS),
    )?;
    for target in FUZZ_TARGETS {
        let bin = root()
            .join("fuzz/target")
            .join(FUZZ_TARGET_TRIPLE)
            .join("debug")
            .join(target);
        run(
            &format!("fuzz smoke {target}"),
            Command::new(bin).args(["-runs=50000", "-seed=1", "-max_total_time=60"]),
        )?;
    }
    Ok(())
}

fn fuzz(target: &str, secs: &str) -> Result<()> {
    let has_fuzz = cargo()
        .args(["fuzz", "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !has_fuzz {
        run(
            "install cargo-fuzz",
            cargo().args(["install", "cargo-fuzz", "--locked"]),
        )?;
    }
    run(
        &format!("cargo fuzz run {target}"),
        cargo()
            .current_dir(root().join("fuzz"))
            .args(["fuzz", "run", "-s", "none", target, "--"])
            .arg(format!("-max_total_time={secs}")),
    )
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// A local single-node etcd for benchmarks; killed by PID when dropped.
struct LocalEtcd {
    child: std::process::Child,
    endpoint: String,
    _dir: PathBuf,
}

impl LocalEtcd {
    fn start() -> Result<LocalEtcd> {
        if !on_path("etcd") {
            bail!(
                "etcd is not installed: run `cargo xtask test` as root once, or apt-get install etcd-server"
            );
        }
        let dir = env::temp_dir().join(format!("tagplane-bench-etcd-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let (client, peer) = (free_port()?, free_port()?);
        let endpoint = format!("http://127.0.0.1:{client}");
        let child = Command::new("etcd")
            .args(["--name", "bench", "--data-dir"])
            .arg(dir.join("data"))
            .args([
                "--listen-client-urls",
                &endpoint,
                "--advertise-client-urls",
                &endpoint,
            ])
            .args(["--listen-peer-urls", &format!("http://127.0.0.1:{peer}")])
            .args([
                "--initial-advertise-peer-urls",
                &format!("http://127.0.0.1:{peer}"),
            ])
            .args([
                "--initial-cluster",
                &format!("bench=http://127.0.0.1:{peer}"),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .context("starting etcd")?;
        let etcd = LocalEtcd {
            child,
            endpoint,
            _dir: dir,
        };
        let deadline = Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let ok = Command::new("etcdctl")
                .args(["--endpoints", &etcd.endpoint, "endpoint", "health"])
                .env("ETCDCTL_API", "3")
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false);
            if ok {
                return Ok(etcd);
            }
            if Instant::now() > deadline {
                bail!("etcd did not become healthy within 30 s");
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
}

impl Drop for LocalEtcd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self._dir);
    }
}

fn bench_store() -> Result<()> {
    run(
        "build store benchmark (release)",
        cargo().args([
            "build",
            "--release",
            "--locked",
            "-p",
            "tagplane-store",
            "--features",
            "etcd",
            "--bin",
            "tagplane-store-bench",
        ]),
    )?;
    let etcd = LocalEtcd::start()?;
    eprintln!("xtask: etcd {} ready", etcd.endpoint);
    run(
        "store benchmark",
        Command::new(root().join("target/release/tagplane-store-bench"))
            .args(["--etcd", &etcd.endpoint]),
    )
}

/// A `tagplane serve` child process on a free loopback port; killed by PID when dropped.
struct LocalServer {
    child: std::process::Child,
    url: String,
    dir: PathBuf,
}

impl LocalServer {
    /// Start the release `tagplane serve` over plain HTTP on a free loopback port with data in
    /// `dir` and `extra` flags, and wait until it listens.
    fn start(dir: PathBuf, extra: &[&str], rust_log: &str) -> Result<LocalServer> {
        let port = free_port()?;
        let child = Command::new(root().join("target/release/tagplane"))
            .args([
                "serve",
                "--plain-http",
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .args(extra)
            .arg("--data-dir")
            .arg(&dir)
            .env("RUST_LOG", rust_log)
            .spawn()
            .context("starting tagplane serve")?;
        let server = LocalServer {
            child,
            url: format!("http://127.0.0.1:{port}"),
            dir,
        };
        let deadline = Instant::now() + std::time::Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                bail!("tagplane serve did not start listening within 30 s");
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Ok(server)
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn bench_api() -> Result<()> {
    run(
        "build tagplane and the load generator (release)",
        cargo().args([
            "build",
            "--release",
            "--locked",
            "-p",
            "tagplane",
            "-p",
            "tagplane-bench",
        ]),
    )?;
    let dir = env::temp_dir().join(format!("tagplane-bench-api-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let server = LocalServer::start(dir, &[], "warn")?;
    let rss_before = rss_kib(server.child.id());
    run(
        "api benchmark",
        Command::new(root().join("target/release/tagplane-api-bench"))
            .arg(&server.url)
            .env("TAGPLANE_KUBECONFIG", server.dir.join("admin.kubeconfig")),
    )?;
    if let (Some(a), Some(b)) = (rss_before, rss_kib(server.child.id())) {
        println!(
            "\nserver RSS: {} MiB at start, {} MiB after the load",
            a / 1024,
            b / 1024
        );
    }
    Ok(())
}

/// Resident set size of a process in KiB, from /proc.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// A loopback `docker-registry` (plain HTTP, filesystem storage in its own temp dir) with its
/// output in `registry.log`; killed by PID when dropped.
struct LocalRegistry {
    child: std::process::Child,
    /// `127.0.0.1:PORT`.
    host: String,
    log: PathBuf,
}

impl Drop for LocalRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `test-peers.md` §2; `info` so that every request is logged with its method and URI.
const REGISTRY_CONFIG: &str = "version: 0.1
log: {level: info}
storage:
  filesystem: {rootdirectory: @DIR@/storage}
  delete: {enabled: true}
  cache: {blobdescriptor: inmemory}
http:
  addr: @ADDR@
  headers: {X-Content-Type-Options: [nosniff]}
";

impl LocalRegistry {
    fn start(dir: &Path) -> Result<LocalRegistry> {
        let host = format!("127.0.0.1:{}", free_port()?);
        let config = dir.join("registry.yml");
        std::fs::write(
            &config,
            REGISTRY_CONFIG
                .replace("@DIR@", &dir.display().to_string())
                .replace("@ADDR@", &host),
        )?;
        let log = dir.join("registry.log");
        let out = std::fs::File::create(&log)?;
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdin(std::process::Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .context("starting docker-registry")?;
        let mut registry = LocalRegistry { child, host, log };
        let deadline = Instant::now() + std::time::Duration::from_secs(20);
        while !http_ok(&registry.host, "/v2/") {
            if let Some(status) = registry.child.try_wait()? {
                bail!(
                    "docker-registry exited with {status}: {}",
                    std::fs::read_to_string(&registry.log).unwrap_or_default()
                );
            }
            if Instant::now() > deadline {
                bail!("docker-registry did not answer /v2/ within 20 s");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Ok(registry)
    }
}

/// Whether a blocking HTTP/1.0 GET of `path` on `addr` answers 200.
fn http_ok(addr: &str, path: &str) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(addr) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(2)));
    if write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").is_err() {
        return false;
    }
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf);
    buf.split_whitespace().nth(1) == Some("200")
}

/// Build the base image of the import benchmark as an OCI layout with umoci
/// (`test-peers.md` §3): one small gzip layer, a cmd and a label.
fn build_base_image(dir: &Path) -> Result<PathBuf> {
    let layout = dir.join("oci");
    let image = format!("{}:base", layout.display());
    let rootfs = dir.join("rootfs/etc");
    std::fs::create_dir_all(&rootfs)?;
    std::fs::write(
        rootfs.join("hello.txt"),
        "hello from the import benchmark\n",
    )?;
    let quiet = |c: &mut Command| -> Result<()> {
        let out = c
            .output()
            .with_context(|| format!("could not start {c:?}"))?;
        if !out.status.success() {
            bail!(
                "{c:?} failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(())
    };
    quiet(
        Command::new("umoci")
            .arg("init")
            .arg("--layout")
            .arg(&layout),
    )?;
    quiet(Command::new("umoci").args(["new", "--image", &image]))?;
    quiet(
        Command::new("umoci")
            .args(["insert", "--image", &image])
            .arg(rootfs.join("hello.txt"))
            .arg("/etc/hello.txt"),
    )?;
    quiet(Command::new("umoci").args([
        "config",
        "--image",
        &image,
        "--config.cmd",
        "/bin/hello",
        "--config.label",
        "app=bench",
    ]))?;
    Ok(layout)
}

/// Issue 5 §6: a loopback registry with 1,000 tags, a release `tagplane serve`, and the
/// import load generator (`tagplane-import-bench`), which prints the table.
fn bench_import() -> Result<()> {
    for p in ["docker-registry", "umoci", "skopeo"] {
        if !on_path(p) {
            bail!(
                "{p} is not installed: run `cargo xtask test` as root once, or apt-get install docker-registry umoci skopeo"
            );
        }
    }
    run(
        "build tagplane and the import load generator (release)",
        cargo().args([
            "build",
            "--release",
            "--locked",
            "-p",
            "tagplane",
            "-p",
            "tagplane-bench",
            "--bin",
            "tagplane",
            "--bin",
            "tagplane-import-bench",
        ]),
    )?;
    let work = env::temp_dir().join(format!("tagplane-bench-import-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let result = bench_import_in(&work);
    let _ = std::fs::remove_dir_all(&work);
    result
}

fn bench_import_in(work: &Path) -> Result<()> {
    let layout = build_base_image(work)?;
    let registry = LocalRegistry::start(work)?;
    eprintln!("xtask: docker-registry {} ready", registry.host);

    // The registry is ours and on loopback: lift the per-registry request budget (default
    // 20/s, kept for public registries) so the run measures the importer, not the politeness.
    // `TAGPLANE_BENCH_LOG=tagplane_server=debug` shows the import's phases.
    let server = LocalServer::start(
        work.join("tagplane-data"),
        &["--registry-requests-per-second", "0"],
        &env::var("TAGPLANE_BENCH_LOG").unwrap_or_else(|_| "warn".to_owned()),
    )?;
    run(
        "import benchmark",
        Command::new(root().join("target/release/tagplane-import-bench"))
            .args(["--registry", &registry.host, "--server", &server.url])
            .env("TAGPLANE_KUBECONFIG", server.dir.join("admin.kubeconfig"))
            .args(["--server-pid", &server.child.id().to_string()])
            .arg("--layout")
            .arg(&layout)
            .arg("--registry-log")
            .arg(&registry.log),
    )
}
