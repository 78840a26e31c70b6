//! core/v1 ServiceAccounts: per-namespace robot identities (`default`, `builder`, `deployer` in
//! every namespace) and their tokens (TokenRequest), which die with the account.

use std::time::Duration;

use k8s_openapi::api::core::v1::ServiceAccount;
use tagplane_api::meta::ObjectMeta;
use tagplane_api::validation::{FieldError, is_dns1123_subdomain};

use super::Service;
use super::simple::SimpleObject;
use super::tokens::IssuedToken;
use crate::auth::UserInfo;
use crate::auth::tokens::BoundServiceAccount;
use crate::error::{ApiError, ApiResult};
use crate::objects::StoredObject;

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

impl SimpleObject for ServiceAccount {
    const FIELDS: &'static [&'static str] = SERVICE_ACCOUNT_FIELDS;
    fn validate_create(&self) -> Vec<FieldError> {
        let name = self.metadata.name.as_deref().unwrap_or("");
        if name.is_empty() {
            vec![FieldError::required(
                "metadata.name",
                "name or generateName is required",
            )]
        } else if !is_dns1123_subdomain(name) {
            vec![FieldError::invalid(
                "metadata.name",
                name,
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
            )]
        } else {
            Vec::new()
        }
    }
    /// Its tokens stop working at once.
    fn deleted(service: &Service, ns: Option<&str>, name: &str) {
        service
            .access
            .tokens
            .forget_service_account(ns.unwrap_or(""), name);
    }
}

impl Service {
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
        let sa: ServiceAccount = self.get_object(Some(ns), name).await?;
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
