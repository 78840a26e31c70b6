//! PATCH bodies: JSON patch (RFC 6902), JSON merge patch (RFC 7396); strategic merge patch and
//! server-side apply are answered by the caller.

use serde_json::Value;

use crate::error::{ApiError, ApiResult};

/// Which patch format a request uses, from its Content-Type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatchKind {
    /// `application/json-patch+json`.
    Json,
    /// `application/merge-patch+json`.
    Merge,
    /// `application/strategic-merge-patch+json`.
    Strategic,
    /// `application/apply-patch+yaml` (server-side apply).
    Apply,
}

impl PatchKind {
    /// Recognise a Content-Type.
    pub fn from_content_type(ct: &str) -> ApiResult<PatchKind> {
        let base = ct.split(';').next().unwrap_or("").trim();
        match base {
            "application/json-patch+json" => Ok(PatchKind::Json),
            "application/merge-patch+json" => Ok(PatchKind::Merge),
            "application/strategic-merge-patch+json" => Ok(PatchKind::Strategic),
            "application/apply-patch+yaml" | "application/apply-patch+cbor" => Ok(PatchKind::Apply),
            other => Err(ApiError::unsupported_media_type(format!(
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got {other:?})"
            ))),
        }
    }
}

/// Apply a JSON patch document to `target`.
pub fn json_patch(mut target: Value, patch: &[u8]) -> ApiResult<Value> {
    let ops: json_patch::Patch = serde_json::from_slice(patch)
        .map_err(|e| ApiError::bad_request(format!("invalid JSON patch: {e}")))?;
    json_patch::patch(&mut target, &ops)
        .map_err(|e| ApiError::unprocessable_patch(e.to_string()))?;
    Ok(target)
}

/// Apply a JSON merge patch to `target`.
pub fn merge_patch(mut target: Value, patch: &[u8]) -> ApiResult<Value> {
    let p: Value = serde_json::from_slice(patch)
        .map_err(|e| ApiError::bad_request(format!("invalid merge patch: {e}")))?;
    json_patch::merge(&mut target, &p);
    Ok(target)
}
