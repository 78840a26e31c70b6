//! Helpers built on the contract: retrying read-modify-write and UID-guarded deletes.

use crate::{Backend, Deleted, Key, Object, Result, Revision, StoreError};

/// Maximum attempts of [`guaranteed_update`] before giving up with the last conflict.
pub const MAX_UPDATE_ATTEMPTS: usize = 16;

/// Read `key`, let `f` compute the new value from the current object (or `None` to leave it),
/// and write it with compare-and-swap; on conflict re-read and retry. Returns the new revision,
/// or the current revision when `f` made no change.
pub async fn guaranteed_update<B, F>(backend: &B, key: &Key, mut f: F) -> Result<Revision>
where
    B: Backend,
    F: FnMut(&Object) -> Result<Option<Vec<u8>>> + Send,
{
    let mut last = StoreError::Conflict { current: None };
    for _ in 0..MAX_UPDATE_ATTEMPTS {
        let current = backend.get(key).await?.ok_or(StoreError::NotFound)?;
        let Some(value) = f(&current)? else {
            return Ok(current.mod_revision);
        };
        match backend.update(key, value, Some(current.mod_revision)).await {
            Err(e @ StoreError::Conflict { .. }) => last = e,
            other => return other,
        }
    }
    Err(last)
}

/// The `metadata.uid` of a stored JSON object, if any.
fn uid_of(value: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(value).ok()?;
    v.get("metadata")?.get("uid")?.as_str().map(str::to_owned)
}

/// Delete `key` only if its `metadata.uid` is `uid` (and, if given, its revision is `expected`).
/// `UidMismatch` when another object now lives at the key.
pub async fn delete_with_uid<B: Backend>(
    backend: &B,
    key: &Key,
    uid: &str,
    expected: Option<Revision>,
) -> Result<Deleted> {
    for _ in 0..MAX_UPDATE_ATTEMPTS {
        let current = backend.get(key).await?.ok_or(StoreError::NotFound)?;
        if uid_of(&current.value).as_deref() != Some(uid) {
            return Err(StoreError::UidMismatch);
        }
        if let Some(rv) = expected
            && rv != current.mod_revision
        {
            return Err(StoreError::Conflict {
                current: Some(current.mod_revision),
            });
        }
        match backend.delete(key, Some(current.mod_revision)).await {
            Err(StoreError::Conflict { .. }) if expected.is_none() => continue,
            other => return other,
        }
    }
    Err(StoreError::Conflict { current: None })
}
