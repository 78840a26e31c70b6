//! A Docker token server for Distribution's `auth.token` mode: mints real ES256-signed JWTs.
//!
//! Distribution only verifies tokens: it needs the signing key's certificate in its
//! `rootcertbundle` and finds the key by the JWT header's `kid`, the libtrust key ID of the
//! public key (`base32(sha256(SPKI DER)[:30])` in 12 groups of 4 joined by `:`). Claims: `iss`,
//! `aud` (= service), `sub`, `exp`/`nbf`/`iat`, `jti`, and `access`. Authenticated callers get
//! the actions they ask for; anonymous callers get only `pull`, and nothing on repositories
//! under [`PRIVATE_PREFIX`]; bad Basic credentials get 401.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use rcgen::PublicKeyData as _;
use sha2::Digest as _;

use crate::server::BackgroundServer;

/// Service name the registry is configured with (`auth.token.service`).
pub const SERVICE: &str = "test-registry";
/// Issuer the registry trusts (`auth.token.issuer`).
pub const ISSUER: &str = "test-issuer";
/// Repositories under this prefix are not readable anonymously.
pub const PRIVATE_PREFIX: &str = "private/";

struct TokenState {
    key: EcdsaKeyPair,
    kid: String,
    user: String,
    password: String,
    requests: AtomicUsize,
    authenticated: AtomicUsize,
    counter: AtomicUsize,
}

/// A running token server.
pub struct TokenServer {
    /// `http://127.0.0.1:PORT/token`, the registry's `realm`.
    pub realm: String,
    /// PEM certificate of the signing key, for the registry's `rootcertbundle`.
    pub cert_pem: String,
    state: Arc<TokenState>,
    _server: BackgroundServer,
}

impl TokenServer {
    /// Start a token server accepting `user`/`password`.
    pub fn start(user: &str, password: &str) -> TokenServer {
        let key_pair = rcgen::KeyPair::generate().expect("generate signing key");
        let cert = rcgen::CertificateParams::new(vec!["tagplane-test-token-signer".to_owned()])
            .expect("certificate params")
            .self_signed(&key_pair)
            .expect("self-signed certificate");
        let kid = libtrust_key_id(&key_pair.subject_public_key_info());
        let key =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &key_pair.serialize_der())
                .expect("load signing key");
        let state = Arc::new(TokenState {
            key,
            kid,
            user: user.to_owned(),
            password: password.to_owned(),
            requests: AtomicUsize::new(0),
            authenticated: AtomicUsize::new(0),
            counter: AtomicUsize::new(0),
        });
        let app = axum::Router::new()
            .route("/token", axum::routing::get(token))
            .with_state(state.clone());
        let server = BackgroundServer::start(app);
        TokenServer {
            realm: format!("http://{}/token", server.addr),
            cert_pem: cert.pem(),
            state,
            _server: server,
        }
    }

    /// How many token requests were answered so far (any outcome).
    pub fn requests(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// How many tokens were issued to callers with the right credentials.
    pub fn authenticated_requests(&self) -> usize {
        self.state.authenticated.load(Ordering::SeqCst)
    }
}

/// The libtrust key ID of a public key.
fn libtrust_key_id(spki_der: &[u8]) -> String {
    let hash = sha2::Sha256::digest(spki_der);
    let encoded = base32(&hash[..30]);
    encoded
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(":")
}

/// RFC 4648 base32 without padding (30 bytes → 48 characters, so no padding is ever needed).
fn base32(data: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let mut buffer: u64 = 0;
    let mut bits = 0;
    for &b in data {
        buffer = (buffer << 8) | u64::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

fn b64url(data: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
}

/// Whether the request carried Basic credentials, and whether they were right.
fn basic_auth(headers: &HeaderMap, state: &TokenState) -> Option<Result<String, ()>> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    let Some((user, pass)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
        return Some(Err(()));
    };
    if user == state.user && pass == state.password {
        Some(Ok(user.to_owned()))
    } else {
        Some(Err(()))
    }
}

async fn token(
    State(state): State<Arc<TokenState>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    state.requests.fetch_add(1, Ordering::SeqCst);
    let subject = match basic_auth(&headers, &state) {
        Some(Ok(user)) => Some(user),
        Some(Err(())) => {
            return (
                StatusCode::UNAUTHORIZED,
                axum::Json(serde_json::json!({"details": "incorrect username or password"})),
            )
                .into_response();
        }
        None => None,
    };
    if subject.is_some() {
        state.authenticated.fetch_add(1, Ordering::SeqCst);
    }
    let url = reqwest::Url::parse(&format!("http://x/?{}", query.unwrap_or_default())).unwrap();
    let mut service = String::new();
    let mut access = Vec::new();
    for (k, v) in url.query_pairs() {
        match k.as_ref() {
            "service" => service = v.into_owned(),
            "scope" => {
                for scope in v.split(' ') {
                    // type:name:actions, where name may itself contain ':' (a port).
                    let Some((rest, actions)) = scope.rsplit_once(':') else {
                        continue;
                    };
                    let Some((kind, name)) = rest.split_once(':') else {
                        continue;
                    };
                    let actions: Vec<&str> = actions
                        .split(',')
                        .filter(|a| {
                            subject.is_some() || (*a == "pull" && !name.starts_with(PRIVATE_PREFIX))
                        })
                        .collect();
                    access
                        .push(serde_json::json!({"type": kind, "name": name, "actions": actions}));
                }
            }
            _ => {}
        }
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let jti = state.counter.fetch_add(1, Ordering::SeqCst);
    let header = serde_json::json!({"typ": "JWT", "alg": "ES256", "kid": state.kid});
    let claims = serde_json::json!({
        "iss": ISSUER,
        "sub": subject.unwrap_or_default(),
        "aud": if service.is_empty() { SERVICE.to_owned() } else { service },
        "exp": now + 300,
        "nbf": now - 10,
        "iat": now,
        "jti": format!("token-{jti}"),
        "access": access,
    });
    let signing_input = format!(
        "{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes())
    );
    let signature = state
        .key
        .sign(&SystemRandom::new(), signing_input.as_bytes())
        .expect("sign token");
    let jwt = format!("{signing_input}.{}", b64url(signature.as_ref()));
    axum::Json(serde_json::json!({
        "token": jwt,
        "access_token": jwt,
        "expires_in": 300,
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn base32_matches_rfc4648() {
        assert_eq!(super::base32(b"foobar"), "MZXW6YTBOI");
    }
}
