//! Bearer tokens: opaque random strings handed to clients once, stored only as SHA-256 hashes
//! (with user, groups, expiry, revocation and an optional service-account binding).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tagplane_api::meta::ObjectMeta;

use super::UserInfo;
use crate::objects::StoredObject;

/// Prefix of every token tagplane issues (as OpenShift's `sha256~` tokens).
pub const TOKEN_PREFIX: &str = "sha256~";

/// A new opaque token: [`TOKEN_PREFIX`] + 32 random bytes, base64url without padding.
pub fn new_token() -> String {
    let mut b = [0u8; 32];
    if getrandom::fill(&mut b).is_err() {
        // Linux always has an OS RNG; never hand out a predictable token.
        panic!("the operating system's random number generator is unavailable");
    }
    format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
    )
}

/// The hex SHA-256 of `token`: the only form in which a token is stored.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// The service account a token was issued for; the token dies with that account (its uid).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BoundServiceAccount {
    /// Namespace of the account.
    pub namespace: String,
    /// Name of the account.
    pub name: String,
    /// Uid of the account when the token was issued.
    pub uid: String,
}

/// A stored token (cluster-scoped, named by the token's hash; never served over the API).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRecord {
    /// `tagplane.dev/v1`.
    #[serde(default)]
    pub api_version: String,
    /// `AccessToken`.
    #[serde(default)]
    pub kind: String,
    /// Name = [`token_hash`] of the token.
    pub metadata: ObjectMeta,
    /// User name the token authenticates as.
    pub user_name: String,
    /// User uid (empty when none).
    #[serde(default)]
    pub user_uid: String,
    /// Groups of the user (without `system:authenticated`, which is always added).
    #[serde(default)]
    pub groups: Vec<String>,
    /// Expiry in seconds since the Unix epoch; `None` never expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<i64>,
    /// Revoked tokens authenticate no one.
    #[serde(default)]
    pub revoked: bool,
    /// The service account the token is bound to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account: Option<BoundServiceAccount>,
}

impl StoredObject for TokenRecord {
    const GROUP: &'static str = "tagplane.dev";
    const RESOURCE: &'static str = "accesstokens";
    const KIND: &'static str = "AccessToken";
    const API_VERSION: &'static str = "tagplane.dev/v1";
    const NAMESPACED: bool = false;
    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
    fn set_type_meta(&mut self) {
        self.api_version = Self::API_VERSION.to_owned();
        self.kind = Self::KIND.to_owned();
    }
}

impl TokenRecord {
    /// Whether the token still authenticates at `now` (seconds since the epoch).
    pub fn valid_at(&self, now: i64) -> bool {
        !self.revoked && self.expires.is_none_or(|e| now < e)
    }

    /// The caller this token authenticates, with `system:authenticated` added.
    pub fn user(&self) -> UserInfo {
        let mut groups = self.groups.clone();
        if !groups.iter().any(|g| g == "system:authenticated") {
            groups.push("system:authenticated".into());
        }
        UserInfo {
            name: self.user_name.clone(),
            uid: self.user_uid.clone(),
            groups,
        }
    }
}

/// How long a looked-up token is trusted without asking the store again. Revocation through
/// this process drops the entry at once; other processes sharing the store see it after this.
pub const CACHE_TTL: Duration = Duration::from_secs(5);
/// Most tokens kept in the cache.
const CACHE_MAX: usize = 10_000;

/// A small cache of recent token lookups, by hash.
#[derive(Debug, Default)]
pub struct TokenCache {
    entries: Mutex<HashMap<String, (TokenRecord, Instant)>>,
}

impl TokenCache {
    /// A fresh cached record for `hash`.
    pub fn get(&self, hash: &str) -> Option<TokenRecord> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(hash)
            .filter(|(_, at)| at.elapsed() < CACHE_TTL)
            .map(|(r, _)| r.clone())
    }

    /// Remember `record` under `hash`.
    pub fn put(&self, hash: &str, record: TokenRecord) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CACHE_MAX {
                entries.retain(|_, (_, at)| at.elapsed() < CACHE_TTL);
                if entries.len() >= CACHE_MAX {
                    entries.clear();
                }
            }
            entries.insert(hash.to_owned(), (record, Instant::now()));
        }
    }

    /// Forget `hash` (revocation).
    pub fn forget(&self, hash: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(hash);
        }
    }

    /// Forget every token bound to a service account of namespace `ns` (namespace deletion).
    pub fn forget_namespace(&self, ns: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, (r, _)| {
                r.service_account
                    .as_ref()
                    .is_none_or(|sa| sa.namespace != ns)
            });
        }
    }

    /// Forget every token bound to the service account `ns`/`name`.
    pub fn forget_service_account(&self, ns: &str, name: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, (r, _)| {
                r.service_account
                    .as_ref()
                    .is_none_or(|sa| sa.namespace != ns || sa.name != name)
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_long_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX));
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 43);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), token_hash(&b));
    }

    #[test]
    fn expiry_and_revocation() {
        let mut r = TokenRecord {
            user_name: "alice".into(),
            expires: Some(100),
            ..Default::default()
        };
        assert!(r.valid_at(99));
        assert!(!r.valid_at(100));
        r.expires = None;
        assert!(r.valid_at(i64::MAX));
        r.revoked = true;
        assert!(!r.valid_at(0));
        assert_eq!(r.user().groups, vec!["system:authenticated".to_owned()]);
    }
}
