//! Users with passwords from an htpasswd-style identity file (`name:bcrypt-hash[:group,...]`,
//! what `htpasswd -B` writes plus optional groups), and the failed-login rate limiter.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

/// One user of the identity file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityUser {
    /// The bcrypt hash (`$2y$`, `$2b$` or `$2a$`).
    pub hash: String,
    /// Groups from the optional third field.
    pub groups: Vec<String>,
}

/// Parse identity-file text; errors name the line to fix (never its hash).
pub fn parse_identity_file(text: &str) -> Result<HashMap<String, IdentityUser>, String> {
    let mut users = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.splitn(3, ':');
        let name = fields.next().unwrap_or("").trim();
        let hash = fields.next().unwrap_or("").trim();
        let groups = fields.next().unwrap_or("");
        if name.is_empty() {
            return Err(format!("line {}: the user name is empty", i + 1));
        }
        if !["$2y$", "$2b$", "$2a$"].iter().any(|p| hash.starts_with(p)) {
            return Err(format!(
                "line {}: the password of user {name:?} is not a bcrypt hash ($2y$, $2b$ or $2a$); create the file with `htpasswd -B`",
                i + 1
            ));
        }
        let groups = groups
            .split(',')
            .map(str::trim)
            .filter(|g| !g.is_empty())
            .map(str::to_owned)
            .collect();
        users.insert(
            name.to_owned(),
            IdentityUser {
                hash: hash.to_owned(),
                groups,
            },
        );
    }
    Ok(users)
}

type UserMap = Arc<HashMap<String, IdentityUser>>;

/// The identity file, re-read when its modification time changes.
#[derive(Debug)]
pub struct IdentityFile {
    path: PathBuf,
    state: Mutex<(Option<SystemTime>, UserMap)>,
}

fn mtime(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

impl IdentityFile {
    /// Load `path`; an unreadable or malformed file is an error.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let users = parse_identity_file(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(IdentityFile {
            path: path.to_owned(),
            state: Mutex::new((mtime(path), Arc::new(users))),
        })
    }

    /// The current users, re-reading the file if it changed (a broken edit keeps the old
    /// users and is logged).
    pub fn users(&self) -> UserMap {
        let Ok(mut state) = self.state.lock() else {
            return Arc::new(HashMap::new());
        };
        let now = mtime(&self.path);
        if now.is_some() && now != state.0 {
            match std::fs::read_to_string(&self.path)
                .map_err(|e| e.to_string())
                .and_then(|t| parse_identity_file(&t))
            {
                Ok(users) => {
                    tracing::info!(path = %self.path.display(), users = users.len(), "identity file reloaded");
                    *state = (now, Arc::new(users));
                }
                Err(e) => {
                    tracing::warn!(path = %self.path.display(), error = %e, "identity file not reloaded");
                    state.0 = now;
                }
            }
        }
        state.1.clone()
    }
}

/// A bcrypt hash of a random password, verified for unknown users so that a failed login
/// takes as long whether or not the user exists.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        bcrypt::hash(super::tokens::new_token(), 10).unwrap_or_else(|_| {
            "$2y$10$0000000000000000000000000000000000000000000000000000.".into()
        })
    })
}

/// Check `password` against `user` (or a dummy hash when the user is unknown). Blocking: call
/// it from `spawn_blocking`.
pub fn verify_password(user: Option<&IdentityUser>, password: &str) -> bool {
    match user {
        Some(u) => bcrypt::verify(password, &u.hash).unwrap_or(false),
        None => {
            let _ = bcrypt::verify(password, dummy_hash());
            false
        }
    }
}

/// Failures allowed before a key is locked out.
pub const FREE_FAILURES: u32 = 5;
/// The first lockout; each further failure doubles it, up to [`MAX_LOCKOUT`].
pub const FIRST_LOCKOUT: Duration = Duration::from_secs(30);
/// The longest lockout.
pub const MAX_LOCKOUT: Duration = Duration::from_secs(15 * 60);
const MAX_KEYS: usize = 100_000;

#[derive(Debug)]
struct Failures {
    count: u32,
    locked_until: Option<Instant>,
    last: Instant,
}

/// Counts failed logins per key (a user name, a source address) and locks a key out
/// exponentially after [`FREE_FAILURES`] failures.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    keys: Mutex<HashMap<String, Failures>>,
}

impl LoginLimiter {
    /// How long until any of `keys` may try again, if one is locked out.
    pub fn locked(&self, keys: &[String]) -> Option<Duration> {
        let map = self.keys.lock().ok()?;
        let now = Instant::now();
        keys.iter()
            .filter_map(|k| map.get(k)?.locked_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
            .max()
    }

    /// Record a failed login of every key.
    pub fn failed(&self, keys: &[String]) {
        let Ok(mut map) = self.keys.lock() else {
            return;
        };
        let now = Instant::now();
        if map.len() >= MAX_KEYS {
            map.retain(|_, f| {
                f.locked_until.is_some_and(|u| u > now) || now - f.last < MAX_LOCKOUT
            });
        }
        for k in keys {
            let f = map.entry(k.clone()).or_insert(Failures {
                count: 0,
                locked_until: None,
                last: now,
            });
            // Failures long ago are forgiven.
            if f.locked_until.is_none_or(|u| u <= now) && now - f.last > MAX_LOCKOUT {
                f.count = 0;
            }
            f.count += 1;
            f.last = now;
            if f.count >= FREE_FAILURES {
                let doublings = (f.count - FREE_FAILURES).min(10);
                let lock = (FIRST_LOCKOUT * 2u32.pow(doublings)).min(MAX_LOCKOUT);
                f.locked_until = Some(now + lock);
            }
        }
    }

    /// Forget the failures of `keys` (a successful login).
    pub fn succeeded(&self, keys: &[String]) {
        if let Ok(mut map) = self.keys.lock() {
            for k in keys {
                map.remove(k);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_htpasswd_lines_with_optional_groups() {
        let users =
            parse_identity_file("# comment\nalice:$2y$05$abc\nbob:$2b$10$def:devs, ops\n\n")
                .unwrap();
        assert_eq!(users["alice"].groups, Vec::<String>::new());
        assert_eq!(
            users["bob"].groups,
            vec!["devs".to_owned(), "ops".to_owned()]
        );
        let err = parse_identity_file("carol:{SHA}xyz\n").unwrap_err();
        assert!(
            err.contains("line 1") && err.contains("htpasswd -B"),
            "{err}"
        );
        assert!(!err.contains("xyz"), "the hash is not echoed: {err}");
    }

    #[test]
    fn verifies_bcrypt_and_rejects_unknown_users() {
        let hash = bcrypt::hash("s3cret", 4).unwrap();
        let u = IdentityUser {
            hash,
            groups: vec![],
        };
        assert!(verify_password(Some(&u), "s3cret"));
        assert!(!verify_password(Some(&u), "wrong"));
        assert!(!verify_password(None, "s3cret"));
    }

    #[test]
    fn locks_out_after_five_failures_and_resets_on_success() {
        let l = LoginLimiter::default();
        let keys = vec!["user:alice".to_owned(), "ip:127.0.0.1".to_owned()];
        for _ in 0..FREE_FAILURES - 1 {
            l.failed(&keys);
            assert!(l.locked(&keys).is_none());
        }
        l.failed(&keys);
        let wait = l.locked(&keys).unwrap();
        assert!(wait <= FIRST_LOCKOUT && wait > Duration::ZERO);
        assert!(l.locked(&["user:bob".to_owned()]).is_none());
        l.failed(&keys);
        assert!(l.locked(&keys).unwrap() > FIRST_LOCKOUT);
        l.succeeded(&keys);
        assert!(l.locked(&keys).is_none());
    }
}
