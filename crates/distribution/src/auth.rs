//! Registry authentication pieces: `WWW-Authenticate` challenge parsing and the Bearer token
//! response (Docker token protocol), plus the token cache key.
//!
//! The request flow itself lives in [`crate::client`]; this module is pure parsing.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

/// Token lifetime assumed when the token server does not say (`expires_in` absent or 0).
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(60);

/// How a registry wants to be authenticated, from its `WWW-Authenticate` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Challenge {
    /// HTTP Basic with the registry credential.
    Basic {
        /// The `realm` parameter (informational).
        realm: String,
    },
    /// Docker token flow: get a token from `realm` and send it as `Bearer`.
    Bearer {
        /// Token endpoint URL.
        realm: String,
        /// `service` parameter to pass to the token endpoint.
        service: Option<String>,
    },
}

/// Which authentication a registry asked for at ping time; see [`crate::Ping`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthKind {
    /// No challenge: anonymous access.
    None,
    /// HTTP Basic.
    Basic,
    /// Bearer tokens.
    Bearer,
}

impl Challenge {
    /// The kind of this challenge.
    pub fn kind(&self) -> AuthKind {
        match self {
            Challenge::Basic { .. } => AuthKind::Basic,
            Challenge::Bearer { .. } => AuthKind::Bearer,
        }
    }
}

/// One parsed challenge: scheme (lower-cased) and parameters (keys lower-cased).
#[derive(Debug, PartialEq, Eq)]
struct RawChallenge {
    scheme: String,
    params: BTreeMap<String, String>,
}

/// Parse every challenge in the given `WWW-Authenticate` header values and pick the one to use:
/// Bearer (with a realm) before Basic. Unknown schemes are ignored.
pub fn select_challenge<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<Challenge> {
    let mut basic = None;
    for value in values {
        for raw in parse_challenges(value) {
            match raw.scheme.as_str() {
                "bearer" => {
                    if let Some(realm) = raw.params.get("realm").filter(|r| !r.is_empty()) {
                        return Some(Challenge::Bearer {
                            realm: realm.clone(),
                            service: raw.params.get("service").cloned(),
                        });
                    }
                }
                "basic" => {
                    basic.get_or_insert(Challenge::Basic {
                        realm: raw.params.get("realm").cloned().unwrap_or_default(),
                    });
                }
                _ => {}
            }
        }
    }
    basic
}

/// RFC 7235 challenges: `scheme param=value, param="quoted, value", other-scheme ...`.
fn parse_challenges(header: &str) -> Vec<RawChallenge> {
    let mut out: Vec<RawChallenge> = Vec::new();
    let s = header.as_bytes();
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < s.len() && (s[*i] == b' ' || s[*i] == b'\t' || s[*i] == b',') {
            *i += 1;
        }
    };
    let token = |i: &mut usize| {
        let start = *i;
        while *i < s.len() && !matches!(s[*i], b' ' | b'\t' | b',' | b'=' | b'"') {
            *i += 1;
        }
        header[start..*i].to_owned()
    };
    loop {
        skip_ws(&mut i);
        if i >= s.len() {
            break;
        }
        let word = token(&mut i);
        if word.is_empty() {
            // Stray quote or '=': skip one byte so we always make progress.
            i += 1;
            continue;
        }
        // Is this a parameter (word followed by '=') or a new scheme?
        let mut j = i;
        while j < s.len() && (s[j] == b' ' || s[j] == b'\t') {
            j += 1;
        }
        if j < s.len() && s[j] == b'=' && !out.is_empty() {
            i = j + 1;
            while i < s.len() && (s[i] == b' ' || s[i] == b'\t') {
                i += 1;
            }
            let value = if i < s.len() && s[i] == b'"' {
                i += 1;
                let mut v = String::new();
                while i < s.len() && s[i] != b'"' {
                    if s[i] == b'\\' && i + 1 < s.len() {
                        i += 1;
                    }
                    // Push whole UTF-8 characters.
                    let ch_len = utf8_len(s[i]);
                    let end = (i + ch_len).min(s.len());
                    v.push_str(&String::from_utf8_lossy(&s[i..end]));
                    i = end;
                }
                i += 1; // closing quote
                v
            } else {
                token(&mut i)
            };
            if let Some(last) = out.last_mut() {
                last.params.insert(word.to_ascii_lowercase(), value);
            }
        } else {
            out.push(RawChallenge {
                scheme: word.to_ascii_lowercase(),
                params: BTreeMap::new(),
            });
        }
    }
    out
}

fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => 1,
    }
}

/// A token server's JSON answer.
#[derive(Deserialize)]
pub(crate) struct TokenResponse {
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub access_token: Option<String>,
    #[serde(default)]
    pub expires_in: Option<i64>,
}

impl TokenResponse {
    /// The token (`token`, else `access_token`) and its lifetime (default 60 s).
    pub fn into_token(self) -> Option<(String, Duration)> {
        let token = self
            .token
            .filter(|t| !t.is_empty())
            .or(self.access_token.filter(|t| !t.is_empty()))?;
        let lifetime = match self.expires_in {
            Some(s) if s > 0 => Duration::from_secs(s.unsigned_abs()),
            _ => DEFAULT_TOKEN_LIFETIME,
        };
        Some((token, lifetime))
    }
}

/// What a cached Bearer token is valid for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct TokenKey {
    pub registry: String,
    pub realm: String,
    pub service: String,
    pub scope: String,
    /// `anonymous` or the credential's fingerprint.
    pub identity: String,
}

/// The pull scope of a repository.
pub(crate) fn pull_scope(repository: &str) -> String {
    format!("repository:{repository}:pull")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_distribution_bearer_challenge() {
        let h = r#"Bearer realm="http://127.0.0.1:5100/token",service="test-registry",scope="repository:ns/app:pull""#;
        assert_eq!(
            select_challenge([h]),
            Some(Challenge::Bearer {
                realm: "http://127.0.0.1:5100/token".into(),
                service: Some("test-registry".into()),
            })
        );
    }

    #[test]
    fn parses_basic_and_prefers_bearer() {
        assert_eq!(
            select_challenge([r#"Basic realm="basic-realm""#]),
            Some(Challenge::Basic {
                realm: "basic-realm".into()
            })
        );
        let both = r#"Basic realm="x", Bearer realm="https://auth.example.com/token", service=reg"#;
        assert_eq!(
            select_challenge([both]),
            Some(Challenge::Bearer {
                realm: "https://auth.example.com/token".into(),
                service: Some("reg".into()),
            })
        );
        assert_eq!(
            select_challenge(["Basic realm=\"a\"", "bearer realm=\"https://t\""]),
            Some(Challenge::Bearer {
                realm: "https://t".into(),
                service: None
            })
        );
    }

    #[test]
    fn odd_headers_do_not_panic() {
        for h in [
            "",
            "Bearer",
            "Bearer realm=",
            "Bearer realm=\"unterminated",
            "=\"x\"",
            "Negotiate abc==, Basic",
            "Bearer realm=\"a\\\"b\", scope=\"é\"",
        ] {
            let _ = select_challenge([h]);
        }
        assert_eq!(select_challenge(["Bearer"]), None);
        assert_eq!(
            select_challenge(["Negotiate abc==, Basic"]),
            Some(Challenge::Basic {
                realm: String::new()
            })
        );
    }

    #[test]
    fn token_response_defaults() {
        let t: TokenResponse = serde_json::from_str(r#"{"access_token":"a"}"#).unwrap();
        assert_eq!(t.into_token(), Some(("a".into(), DEFAULT_TOKEN_LIFETIME)));
        let t: TokenResponse =
            serde_json::from_str(r#"{"token":"t","access_token":"a","expires_in":300}"#).unwrap();
        assert_eq!(t.into_token(), Some(("t".into(), Duration::from_secs(300))));
        let t: TokenResponse = serde_json::from_str(r#"{"token":""}"#).unwrap();
        assert_eq!(t.into_token(), None);
    }
}
