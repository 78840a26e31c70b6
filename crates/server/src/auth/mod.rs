//! Identity and access: who is calling (authentication) and what they may do (authorization).
//!
//! The HTTP edge authenticates every request into a [`UserInfo`] (stored in the request's
//! extensions), then authorizes it against RBAC before any handler runs.

pub mod attributes;
pub mod audit;
pub mod authn;
pub mod authz;
pub mod bootstrap_roles;
pub mod tls;
pub mod tokens;
pub mod users;

/// The authenticated caller of a request, as Kubernetes' `user.Info`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserInfo {
    /// User name, e.g. `alice`, `system:admin`, `system:serviceaccount:ns:default`,
    /// `system:anonymous`.
    pub name: String,
    /// Stable identifier (empty when there is none).
    pub uid: String,
    /// Group names, e.g. `system:authenticated`, `system:serviceaccounts:ns`.
    pub groups: Vec<String>,
}

impl UserInfo {
    /// The anonymous caller (no or no valid credentials were presented).
    pub fn anonymous() -> Self {
        UserInfo {
            name: "system:anonymous".into(),
            uid: String::new(),
            groups: vec!["system:unauthenticated".into()],
        }
    }

    /// Whether this is the anonymous caller.
    pub fn is_anonymous(&self) -> bool {
        self.name == "system:anonymous"
    }
}
