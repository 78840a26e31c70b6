//! Users with passwords from an htpasswd-style identity file (`name:bcrypt-hash[:group,...]`,
//! what `htpasswd -B` writes plus optional groups), and the failed-login rate limiter.

use std::collections::HashMap;
use std::net::IpAddr;
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

/// A limiter key: a hash of `user + source` or of a source, so that its size is fixed however
/// long the user name is.
pub type LimitKey = [u8; 16];

fn limit_key(parts: &[&[u8]]) -> LimitKey {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p);
    }
    let digest = h.finalize();
    let mut key = [0; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

/// The source a limit applies to: an IPv4 address, or the /64 of an IPv6 one (one host
/// usually holds a whole /64).
fn source_bytes(ip: IpAddr) -> Vec<u8> {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets()[..8].to_vec(),
    }
}

fn lockout(count: u32) -> Duration {
    let doublings = count.saturating_sub(FREE_FAILURES).min(10);
    (FIRST_LOCKOUT * 2u32.pow(doublings)).min(MAX_LOCKOUT)
}

#[derive(Debug)]
struct Failures {
    /// Failed attempts plus attempts still being checked.
    count: u32,
    /// Attempts reserved and not yet finished.
    pending: u32,
    locked_until: Option<Instant>,
    last: Instant,
}

impl Failures {
    fn locked(&self, now: Instant) -> Option<Duration> {
        self.locked_until.filter(|u| *u > now).map(|u| u - now)
    }
}

/// Counts login attempts per key and locks a key out exponentially after [`FREE_FAILURES`]
/// failures. An attempt is counted as failed when it is reserved ([`LoginLimiter::begin`],
/// before the password is checked), so a burst of parallel attempts gets no more than
/// [`FREE_FAILURES`] password checks; only a correct password takes its reservation back.
///
/// The keys of a login are (user, source) and source: an attacker hammering a user name
/// locks out only their own sources, never the user logging in from elsewhere.
#[derive(Debug)]
pub struct LoginLimiter {
    keys: Mutex<HashMap<LimitKey, Failures>>,
    max_keys: usize,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        LoginLimiter::with_capacity(MAX_KEYS)
    }
}

/// A reserved login attempt; dropping it unfinished (e.g. the client went away) counts it as
/// a failure.
#[derive(Debug)]
pub struct Attempt<'a> {
    limiter: &'a LoginLimiter,
    keys: Vec<LimitKey>,
    done: bool,
}

impl Attempt<'_> {
    /// The password was right: take this attempt back and forgive the finished failures of
    /// its keys (attempts of the same keys still being checked stay counted).
    pub fn succeeded(mut self, now: Instant) {
        self.done = true;
        self.limiter.finish(&self.keys, true, now);
    }

    /// The password was wrong: the attempt stays counted.
    pub fn failed(mut self, now: Instant) {
        self.done = true;
        self.limiter.finish(&self.keys, false, now);
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.limiter.finish(&self.keys, false, Instant::now());
        }
    }
}

impl LoginLimiter {
    /// A limiter that keeps at most `max_keys` keys (the oldest are forgotten first).
    pub fn with_capacity(max_keys: usize) -> Self {
        LoginLimiter {
            keys: Mutex::new(HashMap::new()),
            max_keys: max_keys.max(1),
        }
    }

    /// The keys of a login of `user` from `source`: (user, source) and source.
    pub fn keys_for(user: &str, source: Option<IpAddr>) -> Vec<LimitKey> {
        let src = source.map(source_bytes).unwrap_or_default();
        vec![
            limit_key(&[b"user", user.as_bytes(), &src]),
            limit_key(&[b"source", &src]),
        ]
    }

    /// Reserve an attempt of `keys` at `now`: refused with the time to wait if one of them is
    /// locked out; otherwise the attempt counts as a failure of every key until
    /// [`Attempt::succeeded`].
    pub fn begin(&self, keys: &[LimitKey], now: Instant) -> Result<Attempt<'_>, Duration> {
        let mut map = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(wait) = keys.iter().filter_map(|k| map.get(k)?.locked(now)).max() {
            return Err(wait);
        }
        let new = keys.iter().filter(|k| !map.contains_key(*k)).count();
        if map.len() + new > self.max_keys {
            self.make_room(&mut map, new, now);
        }
        for k in keys {
            let f = map.entry(*k).or_insert(Failures {
                count: 0,
                pending: 0,
                locked_until: None,
                last: now,
            });
            // Failures long ago are forgiven.
            if f.pending == 0 && now.saturating_duration_since(f.last) > MAX_LOCKOUT {
                f.count = 0;
            }
            f.count += 1;
            f.pending += 1;
            f.last = now;
            if f.count >= FREE_FAILURES {
                f.locked_until = Some(now + lockout(f.count));
            }
        }
        Ok(Attempt {
            limiter: self,
            keys: keys.to_vec(),
            done: false,
        })
    }

    /// How long until any of `keys` may try again, if one is locked out.
    pub fn locked(&self, keys: &[LimitKey], now: Instant) -> Option<Duration> {
        let map = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        keys.iter().filter_map(|k| map.get(k)?.locked(now)).max()
    }

    /// Keys held (for tests and metrics).
    pub fn len(&self) -> usize {
        self.keys.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn finish(&self, keys: &[LimitKey], ok: bool, now: Instant) {
        let mut map = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        for k in keys {
            let Some(f) = map.get_mut(k) else {
                continue;
            };
            f.pending = f.pending.saturating_sub(1);
            f.last = now;
            if ok {
                f.count = f.pending;
                if f.count < FREE_FAILURES {
                    f.locked_until = None;
                }
                if f.count == 0 {
                    map.remove(k);
                }
            }
        }
    }

    /// Make room for `new` keys: drop what is expired; if the map is still full, forget the
    /// least recently used unlocked keys, then (only if everything is locked) the oldest
    /// locked ones. Forgetting is safer for real users than refusing every new source, which
    /// would let a flood of sources lock everyone out.
    fn make_room(&self, map: &mut HashMap<LimitKey, Failures>, new: usize, now: Instant) {
        map.retain(|_, f| {
            f.pending > 0
                || f.locked(now).is_some()
                || now.saturating_duration_since(f.last) <= MAX_LOCKOUT
        });
        if map.len() + new <= self.max_keys {
            return;
        }
        // Free a tenth at once so that a flood does not scan the map on every attempt.
        let excess = map.len() + new - self.max_keys;
        let drop = excess.max(self.max_keys / 10).min(map.len());
        let mut by_age: Vec<(bool, Instant, LimitKey)> = map
            .iter()
            .map(|(k, f)| (f.locked(now).is_some() || f.pending > 0, f.last, *k))
            .collect();
        if drop < by_age.len() {
            by_age.select_nth_unstable(drop);
        }
        for (_, _, k) in by_age.iter().take(drop) {
            map.remove(k);
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

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn locks_out_after_five_failures_doubling_up_to_the_maximum() {
        let l = LoginLimiter::default();
        let keys = LoginLimiter::keys_for("alice", ip("10.0.0.1"));
        let t0 = Instant::now();
        for _ in 0..FREE_FAILURES {
            l.begin(&keys, t0).unwrap().failed(t0);
        }
        assert_eq!(l.begin(&keys, t0).unwrap_err(), FIRST_LOCKOUT);
        // Each failure after a lockout doubles it, up to MAX_LOCKOUT.
        let mut now = t0;
        let mut wait = FIRST_LOCKOUT;
        for expect in [60, 120, 240, 480, 900, 900] {
            now += wait;
            l.begin(&keys, now).unwrap().failed(now);
            wait = l.locked(&keys, now).unwrap();
            assert_eq!(wait, Duration::from_secs(expect));
            assert_eq!(l.begin(&keys, now + wait / 2).unwrap_err(), wait / 2);
        }
        // A success after the lockout forgives everything.
        now += wait;
        l.begin(&keys, now).unwrap().succeeded(now);
        assert!(l.locked(&keys, now).is_none());
        assert!(l.is_empty());
    }

    #[test]
    fn a_parallel_burst_gets_only_five_checks_and_a_success_keeps_pending_ones() {
        let l = LoginLimiter::default();
        let keys = LoginLimiter::keys_for("alice", ip("10.0.0.1"));
        let now = Instant::now();
        // 20 attempts arrive before any password check finishes.
        let results: Vec<_> = (0..20).map(|_| l.begin(&keys, now)).collect();
        let admitted = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(admitted, FREE_FAILURES as usize);
        assert!(
            results
                .iter()
                .filter_map(|r| r.as_ref().err())
                .all(|w| *w == FIRST_LOCKOUT)
        );
        let mut admitted: Vec<_> = results.into_iter().filter_map(Result::ok).collect();
        // One of them was right: its reservation is taken back, the four still being checked
        // stay counted, so only one more attempt gets through.
        admitted.pop().unwrap().succeeded(now);
        assert!(l.begin(&keys, now).is_ok_and(|a| {
            a.failed(now);
            true
        }));
        assert_eq!(l.begin(&keys, now).unwrap_err(), FIRST_LOCKOUT);
        for a in admitted {
            a.failed(now);
        }
        assert_eq!(l.locked(&keys, now), Some(FIRST_LOCKOUT));
    }

    #[test]
    fn an_abandoned_attempt_counts_as_failed() {
        let l = LoginLimiter::default();
        let keys = LoginLimiter::keys_for("alice", ip("10.0.0.1"));
        let now = Instant::now();
        for _ in 0..FREE_FAILURES {
            drop(l.begin(&keys, now).unwrap());
        }
        assert!(l.begin(&keys, now).is_err());
    }

    #[test]
    fn an_attacker_locks_out_only_their_own_source() {
        let l = LoginLimiter::default();
        let now = Instant::now();
        let attacker = LoginLimiter::keys_for("alice", ip("203.0.113.9"));
        for _ in 0..FREE_FAILURES {
            l.begin(&attacker, now).unwrap().failed(now);
        }
        assert!(l.begin(&attacker, now).is_err());
        // The same source is locked for every user name (the per-source limit)...
        assert!(
            l.begin(&LoginLimiter::keys_for("bob", ip("203.0.113.9")), now)
                .is_err()
        );
        // ...and so is its whole IPv6 /64, while alice from elsewhere still gets in.
        let v6 = LoginLimiter::keys_for("alice", ip("2001:db8:1:2::1"));
        for _ in 0..FREE_FAILURES {
            l.begin(&v6, now).unwrap().failed(now);
        }
        assert!(
            l.begin(
                &LoginLimiter::keys_for("carol", ip("2001:db8:1:2::ffff")),
                now
            )
            .is_err()
        );
        let alice = LoginLimiter::keys_for("alice", ip("198.51.100.7"));
        l.begin(&alice, now).unwrap().succeeded(now);
        assert!(
            l.locked(&attacker, now).is_some(),
            "the attacker stays locked"
        );
    }

    #[test]
    fn failures_long_ago_are_forgiven() {
        let l = LoginLimiter::default();
        let keys = LoginLimiter::keys_for("alice", ip("10.0.0.1"));
        let t0 = Instant::now();
        for _ in 0..FREE_FAILURES - 1 {
            l.begin(&keys, t0).unwrap().failed(t0);
        }
        let later = t0 + MAX_LOCKOUT + Duration::from_secs(1);
        for _ in 0..FREE_FAILURES - 1 {
            l.begin(&keys, later).unwrap().failed(later);
        }
        assert!(l.locked(&keys, later).is_none());
    }

    #[test]
    fn keys_have_a_fixed_size_and_the_map_never_grows_past_its_capacity() {
        let long = "x".repeat(1 << 20);
        let k = LoginLimiter::keys_for(&long, ip("10.0.0.1"));
        assert_eq!(k[0].len(), 16);
        assert_ne!(k[0], LoginLimiter::keys_for("x", ip("10.0.0.1"))[0]);
        assert_ne!(k[0], LoginLimiter::keys_for(&long, ip("10.0.0.2"))[0]);

        let l = LoginLimiter::with_capacity(100);
        let t0 = Instant::now();
        // A locked-out source, then a flood of fresh sources filling the map.
        let locked = LoginLimiter::keys_for("alice", ip("10.9.9.9"));
        for _ in 0..FREE_FAILURES {
            l.begin(&locked, t0).unwrap().failed(t0);
        }
        for i in 0..1000u32 {
            let now = t0 + Duration::from_millis(u64::from(i) + 1);
            let keys = LoginLimiter::keys_for("u", Some(IpAddr::from(i.to_be_bytes())));
            l.begin(&keys, now).unwrap().failed(now);
            assert!(l.len() <= 100, "{} keys", l.len());
        }
        // Unlocked keys are forgotten first: the lockout survives the flood.
        assert!(l.locked(&locked, t0 + Duration::from_secs(2)).is_some());
    }
}
