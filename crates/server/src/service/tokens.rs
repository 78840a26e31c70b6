//! Issuing, looking up and revoking bearer tokens (stored by hash only) and password logins.

use std::time::Duration;

use k8s_openapi::api::core::v1::ServiceAccount;

use super::Service;
use crate::auth::UserInfo;
use crate::auth::tokens::{BoundServiceAccount, TokenRecord, new_token, token_hash};
use crate::error::ApiResult;

/// A token just issued: the secret (shown once) and its expiry (seconds since the epoch).
#[derive(Debug)]
pub struct IssuedToken {
    /// The token itself; never stored.
    pub token: String,
    /// Expiry, `None` for never.
    pub expires: Option<i64>,
    /// The lifetime granted, in seconds (`None` for never).
    pub lifetime: Option<i64>,
}

/// How a password login ended.
#[derive(Debug)]
pub enum LoginOutcome {
    /// The credentials were right: a new token for the user.
    Issued(IssuedToken),
    /// Wrong user or password, or no identity file is configured.
    Failed,
    /// Too many failed attempts from this user and source; retry after the duration.
    LockedOut(std::time::Duration),
}

impl Service {
    /// Exchange a user's password from the identity file for a token (`POST /auth/login`).
    /// The attempt is reserved with the login limiter before the (queued, blocking) bcrypt
    /// check, so a burst gets no more password checks than a sequence would.
    pub async fn password_login(
        &self,
        name: &str,
        password: String,
        source: Option<std::net::IpAddr>,
    ) -> ApiResult<LoginOutcome> {
        use crate::auth::users::{LoginLimiter, verify_password};
        use std::time::Instant;
        let Some(identity) = self.access.identity.as_ref() else {
            return Ok(LoginOutcome::Failed);
        };
        let keys = LoginLimiter::keys_for(name, source);
        let attempt = match self.access.limiter.begin(&keys, Instant::now()) {
            Ok(a) => a,
            Err(wait) => {
                tracing::info!(user = %name, "login refused: locked out after failed attempts");
                return Ok(LoginOutcome::LockedOut(wait));
            }
        };
        let user = identity.users().get(name).cloned();
        let checked = user.clone();
        let Ok(_slot) = self.access.password_checks.acquire().await else {
            return Ok(LoginOutcome::Failed);
        };
        let ok = tokio::task::spawn_blocking(move || verify_password(checked.as_ref(), &password))
            .await
            .unwrap_or(false);
        let Some(user) = user.filter(|_| ok) else {
            attempt.failed(Instant::now());
            tracing::info!(user = %name, "login failed");
            return Ok(LoginOutcome::Failed);
        };
        attempt.succeeded(Instant::now());
        let info = UserInfo {
            name: name.to_owned(),
            uid: String::new(),
            groups: user.groups,
        };
        let issued = self
            .issue_token(&info, Some(self.access.token_ttl), None)
            .await?;
        tracing::info!(user = %name, "login succeeded");
        Ok(LoginOutcome::Issued(issued))
    }

    /// Seconds since the epoch by the system clock (token lifetimes are wall-clock time; the
    /// injectable object clock is for object timestamps).
    pub fn now_seconds(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    }

    /// Store the hash of `token` for `user` (groups without `system:authenticated`).
    pub async fn store_token(
        &self,
        token: &str,
        user: &UserInfo,
        expires: Option<i64>,
        service_account: Option<BoundServiceAccount>,
    ) -> ApiResult<()> {
        let mut record = TokenRecord {
            user_name: user.name.clone(),
            user_uid: user.uid.clone(),
            groups: user
                .groups
                .iter()
                .filter(|g| *g != "system:authenticated")
                .cloned()
                .collect(),
            expires,
            service_account,
            ..Default::default()
        };
        record.metadata.name = Some(token_hash(token));
        self.objects.create(record).await?;
        Ok(())
    }

    /// Issue a new token for `user`, valid for `ttl` (`None`: forever).
    pub async fn issue_token(
        &self,
        user: &UserInfo,
        ttl: Option<Duration>,
        service_account: Option<BoundServiceAccount>,
    ) -> ApiResult<IssuedToken> {
        let token = new_token();
        let lifetime = ttl.map(|t| i64::try_from(t.as_secs()).unwrap_or(i64::MAX));
        let expires = lifetime.map(|l| self.now_seconds().saturating_add(l));
        self.store_token(&token, user, expires, service_account)
            .await?;
        Ok(IssuedToken {
            token,
            expires,
            lifetime,
        })
    }

    /// Whether a token with this hash is stored (valid or not).
    pub async fn token_hash_exists(&self, hash: &str) -> ApiResult<bool> {
        Ok(self
            .objects
            .try_get::<TokenRecord>(None, hash)
            .await?
            .is_some())
    }

    /// The caller `token` authenticates, or `None` when it is unknown, expired, revoked, or
    /// bound to a service account that no longer exists.
    pub async fn authenticate_token(&self, token: &str) -> ApiResult<Option<UserInfo>> {
        let hash = token_hash(token);
        let now = self.now_seconds();
        let cache = &self.access.tokens;
        if let Some(record) = cache.get(&hash) {
            return Ok(record.valid_at(now).then(|| record.user()));
        }
        let Some(record) = self.objects.try_get::<TokenRecord>(None, &hash).await? else {
            return Ok(None);
        };
        if let Some(sa) = &record.service_account {
            let current = self
                .objects
                .try_get::<ServiceAccount>(Some(&sa.namespace), &sa.name)
                .await?;
            if current.and_then(|a| a.metadata.uid).as_deref() != Some(sa.uid.as_str()) {
                return Ok(None);
            }
        }
        let valid = record.valid_at(now);
        let user = record.user();
        cache.put(&hash, record);
        Ok(valid.then_some(user))
    }

    /// Revoke `token`; `false` when it is not known.
    pub async fn revoke_token(&self, token: &str) -> ApiResult<bool> {
        let hash = token_hash(token);
        self.access.tokens.forget(&hash);
        for _ in 0..10 {
            let Some(mut record) = self.objects.try_get::<TokenRecord>(None, &hash).await? else {
                return Ok(false);
            };
            if record.revoked {
                return Ok(true);
            }
            record.revoked = true;
            let expected =
                crate::objects::Objects::parse_rv(record.metadata.resource_version.as_deref())?;
            match self.objects.update(record, expected).await {
                Err(e) if e.reason() == "Conflict" => continue,
                Err(e) => return Err(e),
                Ok(_) => {
                    self.access.tokens.forget(&hash);
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// Delete the records of expired and revoked tokens (they authenticate no one either way);
    /// returns how many went.
    pub async fn sweep_tokens(&self) -> ApiResult<usize> {
        let now = self.now_seconds();
        let mut opts = tagplane_store::ListOptions {
            limit: Some(500),
            ..Default::default()
        };
        let mut dead = Vec::new();
        loop {
            let page = self.objects.list::<TokenRecord>(None, &opts).await?;
            dead.extend(
                page.items
                    .iter()
                    .filter(|r| !r.valid_at(now))
                    .filter_map(|r| r.metadata.name.clone()),
            );
            match page.meta.continue_ {
                Some(c) => opts.continue_token = Some(c),
                None => break,
            }
        }
        let mut removed = 0;
        for hash in dead {
            self.access.tokens.forget(&hash);
            match self
                .objects
                .delete::<TokenRecord>(None, &hash, None, None)
                .await
            {
                Ok(_) => removed += 1,
                Err(e) if e.reason() == "NotFound" => {}
                Err(e) => return Err(e),
            }
        }
        Ok(removed)
    }
}
