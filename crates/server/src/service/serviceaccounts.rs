//! core/v1 ServiceAccounts: per-namespace robot identities (`default`, `builder`, `deployer` in
//! every namespace) and their tokens (TokenRequest), which die with the account.

use std::time::Duration;

use k8s_openapi::api::core::v1::ServiceAccount;
use tagplane_api::meta::{ObjectMeta, Status};
use tagplane_api::validation::{FieldError, is_dns1123_subdomain};
use tagplane_store::{ListOptions, Revision};

use super::images::deleted_status;
use super::imagestreams::check_identity;
use super::tags::{MetaSelector, ObjectUpdate};
use super::tokens::IssuedToken;
use super::{Service, WriteOptions};
use crate::auth::UserInfo;
use crate::auth::tokens::BoundServiceAccount;
use crate::error::{ApiError, ApiResult};
use crate::objects::{Objects, StoredObject, TypedList};

impl StoredObject for ServiceAccount {
    const GROUP: &'static str = "";
    const RESOURCE: &'static str = "serviceaccounts";
    const KIND: &'static str = "ServiceAccount";
    const API_VERSION: &'static str = "v1";
    const NAMESPACED: bool = true;
    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

const SERVICEACCOUNTS: &str = "serviceaccounts";
/// The accounts every namespace gets (OpenShift's).
pub const DEFAULT_SERVICE_ACCOUNTS: &[&str] = &["default", "builder", "deployer"];
/// The field labels service accounts can be selected by.
pub const SERVICE_ACCOUNT_FIELDS: &[&str] = &["metadata.name", "metadata.namespace"];
/// TokenRequest lifetime when the request names none.
pub const DEFAULT_TOKEN_SECONDS: i64 = 3600;
/// Longest TokenRequest lifetime.
pub const MAX_TOKEN_SECONDS: i64 = 48 * 3600;
/// Shortest TokenRequest lifetime (Kubernetes' minimum).
pub const MIN_TOKEN_SECONDS: i64 = 600;
const MAX_ATTEMPTS: usize = 10;

/// The caller a token of `ns`/`name` authenticates as.
pub fn service_account_user(ns: &str, name: &str, uid: &str) -> UserInfo {
    UserInfo {
        name: format!("system:serviceaccount:{ns}:{name}"),
        uid: uid.to_owned(),
        groups: vec![
            "system:serviceaccounts".into(),
            format!("system:serviceaccounts:{ns}"),
            "system:authenticated".into(),
        ],
    }
}

fn validate(sa: &ServiceAccount) -> ApiResult<()> {
    let name = sa.metadata.name.as_deref().unwrap_or("");
    let err = if name.is_empty() {
        Some(FieldError::required(
            "metadata.name",
            "name or generateName is required",
        ))
    } else if !is_dns1123_subdomain(name) {
        Some(FieldError::invalid(
            "metadata.name",
            name,
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        ))
    } else {
        None
    };
    match err {
        Some(e) => Err(ApiError::invalid("", "ServiceAccount", name, &[e])),
        None => Ok(()),
    }
}

impl Service {
    /// POST `serviceaccounts`.
    pub async fn create_service_account(
        &self,
        ns: &str,
        mut sa: ServiceAccount,
        opts: WriteOptions,
    ) -> ApiResult<ServiceAccount> {
        check_identity(&sa.metadata, Some(ns), None)?;
        sa.metadata.namespace = Some(ns.to_owned());
        validate(&sa)?;
        self.require_namespace(ns).await?;
        let name = sa.metadata.name.clone().unwrap_or_default();
        if opts.dry_run {
            if self
                .objects
                .try_get::<ServiceAccount>(Some(ns), &name)
                .await?
                .is_some()
            {
                return Err(ApiError::already_exists("", SERVICEACCOUNTS, &name));
            }
            return Ok(sa);
        }
        self.objects.create(sa).await
    }

    /// Create `default`, `builder` and `deployer` in `ns` where missing.
    pub async fn ensure_default_service_accounts(&self, ns: &str) -> ApiResult<()> {
        for name in DEFAULT_SERVICE_ACCOUNTS {
            let sa = ServiceAccount {
                metadata: ObjectMeta {
                    name: Some((*name).to_owned()),
                    namespace: Some(ns.to_owned()),
                    ..Default::default()
                },
                ..Default::default()
            };
            match self.objects.create(sa).await {
                Ok(_) => {}
                Err(e) if e.reason() == "AlreadyExists" => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// GET `serviceaccounts/{name}`.
    pub async fn get_service_account(&self, ns: &str, name: &str) -> ApiResult<ServiceAccount> {
        self.objects.get(Some(ns), name).await
    }

    /// Selectors of a list or watch.
    pub fn service_account_selector(
        &self,
        labels: Option<&str>,
        fields: Option<&str>,
    ) -> ApiResult<MetaSelector> {
        MetaSelector::parse(labels, fields, SERVICE_ACCOUNT_FIELDS)
    }

    /// LIST `serviceaccounts` (one namespace or all, one page).
    pub async fn list_service_accounts(
        &self,
        ns: Option<&str>,
        opts: &ListOptions,
        selector: &MetaSelector,
    ) -> ApiResult<TypedList<ServiceAccount>> {
        let mut list = self.objects.list::<ServiceAccount>(ns, opts).await?;
        list.items
            .retain(|s| selector.matches(&s.metadata, |_| None::<String>));
        Ok(list)
    }

    /// PUT/PATCH `serviceaccounts/{name}` (name, namespace, uid and creation time are kept).
    pub async fn update_service_account(
        &self,
        ns: &str,
        name: &str,
        update: ObjectUpdate<'_, ServiceAccount>,
        opts: WriteOptions,
    ) -> ApiResult<ServiceAccount> {
        let attempts = if update.is_patch() { MAX_ATTEMPTS } else { 1 };
        for _ in 0..attempts {
            let old: ServiceAccount = self.objects.get(Some(ns), name).await?;
            let mut new = update.apply(&old, "ServiceAccount")?;
            check_identity(&new.metadata, Some(ns), Some(name))?;
            let requested = Objects::parse_rv(new.metadata.resource_version.as_deref())?;
            let current = Objects::parse_rv(old.metadata.resource_version.as_deref())?;
            if let Some(rv) = requested
                && Some(rv) != current
            {
                return Err(ApiError::conflict(
                    "",
                    SERVICEACCOUNTS,
                    name,
                    "the object has been modified; please apply your changes to the latest version and try again",
                ));
            }
            new.metadata.name = old.metadata.name.clone();
            new.metadata.namespace = old.metadata.namespace.clone();
            new.metadata.uid = old.metadata.uid.clone();
            new.metadata.creation_timestamp = old.metadata.creation_timestamp.clone();
            new.metadata.managed_fields = None;
            if opts.dry_run {
                return Ok(new);
            }
            match self.objects.update(new, current).await {
                Err(e) if e.reason() == "Conflict" && update.is_patch() => continue,
                other => return other,
            }
        }
        Err(ApiError::server_timeout("patch", SERVICEACCOUNTS))
    }

    /// DELETE `serviceaccounts/{name}`: its tokens stop working at once.
    pub async fn delete_service_account(
        &self,
        ns: &str,
        name: &str,
        rv: Option<Revision>,
        uid: Option<&str>,
        opts: WriteOptions,
    ) -> ApiResult<Status> {
        let deleted: ServiceAccount = if opts.dry_run {
            self.objects.get(Some(ns), name).await?
        } else {
            let d = self.objects.delete(Some(ns), name, rv, uid).await?;
            self.access.tokens.forget_service_account(ns, name);
            d
        };
        Ok(deleted_status(
            "",
            SERVICEACCOUNTS,
            name,
            deleted.metadata.uid,
        ))
    }

    /// POST `serviceaccounts/{name}/token`: a token of the account valid for
    /// `expiration_seconds` (default 1 h, 10 min to 48 h), bound to the account's uid.
    pub async fn request_service_account_token(
        &self,
        ns: &str,
        name: &str,
        expiration_seconds: Option<i64>,
    ) -> ApiResult<IssuedToken> {
        let seconds = expiration_seconds.unwrap_or(DEFAULT_TOKEN_SECONDS);
        if seconds < MIN_TOKEN_SECONDS {
            let e = FieldError::invalid(
                "spec.expirationSeconds",
                &seconds.to_string(),
                "may not specify a duration less than 10 minutes",
            );
            return Err(ApiError::invalid(
                "authentication.k8s.io",
                "TokenRequest",
                name,
                &[e],
            ));
        }
        let seconds = seconds.min(MAX_TOKEN_SECONDS);
        let sa = self.get_service_account(ns, name).await?;
        let uid = sa.metadata.uid.clone().unwrap_or_default();
        let user = service_account_user(ns, name, &uid);
        self.issue_token(
            &user,
            Some(Duration::from_secs(u64::try_from(seconds).unwrap_or(3600))),
            Some(BoundServiceAccount {
                namespace: ns.to_owned(),
                name: name.to_owned(),
                uid,
            }),
        )
        .await
    }
}
