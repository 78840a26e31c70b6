//! Which real peer programs are installed, and the skip-or-fail rule for tests that need them.
//!
//! A test that needs a missing peer prints why and returns early, unless
//! `TAGPLANE_REQUIRE_PEERS=1`, in which case it fails.

use std::path::Path;

/// The programs the registry tests run.
pub const REGISTRY_PEERS: &[&str] = &["docker-registry", "skopeo", "umoci"];

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| is_executable(&dir.join(program)))
    })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Whether every program in `programs` is installed. When one is missing this prints the
/// reason and returns false, or panics when `TAGPLANE_REQUIRE_PEERS=1`.
pub fn available(test: &str, programs: &[&str]) -> bool {
    let missing: Vec<&str> = programs.iter().copied().filter(|p| !on_path(p)).collect();
    if missing.is_empty() {
        return true;
    }
    if std::env::var("TAGPLANE_REQUIRE_PEERS").as_deref() == Ok("1") {
        panic!("{test}: required test peers are not installed: {missing:?}");
    }
    eprintln!(
        "SKIPPED {test}: test peers not installed: {missing:?} (set TAGPLANE_REQUIRE_PEERS=1 to \
         make this a failure)"
    );
    false
}

/// Return early from a test (after printing why) when a peer is missing.
#[macro_export]
macro_rules! require_peers {
    ($test:expr, $($program:expr),+ $(,)?) => {
        if !$crate::peers::available($test, &[$($program),+]) {
            return;
        }
    };
    ($test:expr) => {
        if !$crate::peers::available($test, $crate::peers::REGISTRY_PEERS) {
            return;
        }
    };
}
