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
    ("protobuf-compiler", "protoc"),
];

/// Fuzz targets compiled and smoke-run by `cargo xtask test`.
const FUZZ_TARGETS: &[&str] = &["image_reference"];

const USAGE: &str = "usage: cargo xtask <command>

commands:
  test                 install missing test peers (as root), then fmt check, clippy -D warnings,
                       nextest on the whole workspace, doc tests, rustdoc -D warnings, and the fuzz
                       targets' build + smoke run
  fuzz <target> [secs] run a cargo-fuzz target (installs cargo-fuzz if missing; default 60 s)";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
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
        cargo().args(["test", "--doc", "--workspace", "--locked"]),
    )?;
    run(
        "cargo doc -D warnings",
        cargo()
            .args(["doc", "--workspace", "--no-deps", "--locked"])
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

/// Compile every fuzz target with stable cargo and run each over a bounded number of inputs.
fn fuzz_smoke() -> Result<()> {
    let manifest = root().join("fuzz/Cargo.toml");
    run(
        "build fuzz targets",
        cargo()
            .args(["build", "--locked", "--manifest-path"])
            .arg(&manifest)
            .args(["--bins"]),
    )?;
    for target in FUZZ_TARGETS {
        let bin = root().join("fuzz/target/debug").join(target);
        run(
            &format!("fuzz smoke {target}"),
            Command::new(bin).args(["-runs=20000", "-seed=1"]),
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
