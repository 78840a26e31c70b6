//! core/v1 ServiceAccounts: per-namespace robot identities (`default`, `builder`, `deployer` in
//! every namespace) whose tokens die with them.

use k8s_openapi::api::core::v1::ServiceAccount;
use tagplane_api::meta::ObjectMeta;

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
