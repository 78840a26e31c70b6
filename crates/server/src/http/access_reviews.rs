//! `authorization.k8s.io/v1` SelfSubjectAccessReview and SubjectAccessReview: ask the RBAC
//! authorizer whether the caller (or a named user and groups) may do something; what
//! `kubectl auth can-i` and `tagplane auth can-i` send. SelfSubjectRulesReview lists the
//! caller's rules in a namespace (`kubectl auth can-i --list`).

use std::sync::Arc;

use axum::Router;
use axum::routing::post;
use k8s_openapi::api::authorization::v1::{
    NonResourceAttributes, NonResourceRule, ResourceAttributes, ResourceRule,
    SelfSubjectAccessReview, SelfSubjectRulesReview, SubjectAccessReview,
    SubjectAccessReviewStatus, SubjectRulesReviewStatus,
};
use tagplane_api::validation::FieldError;

use super::BodyKind;
use super::prelude::*;
use crate::auth::UserInfo;
use crate::auth::attributes::Attributes;
use crate::auth::authz::current_caller;

const GROUP: &str = "authorization.k8s.io";

/// Routes of the two reviews.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            post(self_review),
        )
        .route(
            "/apis/authorization.k8s.io/v1/subjectaccessreviews",
            post(subject_review),
        )
        .route(
            "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
            post(rules_review),
        )
}

/// The attributes a review asks about; 422 unless exactly one kind of attributes is given.
fn review_attributes(
    kind: &str,
    resource: Option<&ResourceAttributes>,
    non_resource: Option<&NonResourceAttributes>,
) -> ApiResult<Attributes> {
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    match (resource, non_resource) {
        (Some(r), None) => {
            let mut a = Attributes::resource(
                &s(&r.verb),
                &s(&r.group),
                &s(&r.resource),
                &s(&r.subresource),
                &s(&r.namespace),
                &s(&r.name),
            );
            a.version = s(&r.version);
            Ok(a)
        }
        (None, Some(n)) => Ok(Attributes {
            verb: s(&n.verb),
            resource_request: false,
            path: s(&n.path),
            ..Default::default()
        }),
        (Some(_), Some(_)) => Err(ApiError::invalid(
            GROUP,
            kind,
            "",
            &[FieldError::invalid(
                "spec.nonResourceAttributes",
                "",
                "cannot be specified in combination with resourceAttributes",
            )],
        )),
        (None, None) => Err(ApiError::invalid(
            GROUP,
            kind,
            "",
            &[FieldError::new(
                tagplane_api::validation::ErrorType::Invalid,
                "spec.resourceAttributes",
                tagplane_api::validation::BadValue::Literal("null".into()),
                "exactly one of nonResourceAttributes or resourceAttributes must be specified",
            )],
        )),
    }
}

/// Whether `user` may do what a review of `kind` names (resource or non-resource attributes).
async fn decide(
    st: &AppState,
    user: &UserInfo,
    kind: &str,
    resource: Option<&ResourceAttributes>,
    non_resource: Option<&NonResourceAttributes>,
) -> ApiResult<SubjectAccessReviewStatus> {
    let a = review_attributes(kind, resource, non_resource)?;
    let d = st.service.authorize(user, &a).await?;
    Ok(SubjectAccessReviewStatus {
        allowed: d.allowed,
        denied: None,
        evaluation_error: None,
        reason: (!d.reason.is_empty()).then_some(d.reason),
    })
}

fn caller() -> Arc<UserInfo> {
    current_caller().unwrap_or_else(|| Arc::new(UserInfo::anonymous()))
}

/// A review (nothing is stored): the decoded body with the status `review` fills in, 201.
async fn review_response<T, F>(w: WriteRequest, review: impl FnOnce(T) -> F) -> Response
where
    T: serde::de::DeserializeOwned + serde::Serialize + BodyKind,
    F: Future<Output = ApiResult<T>>,
{
    w.write(StatusCode::CREATED, |_, r| review(r)).await
}

async fn self_review(State(st): State<AppState>, w: WriteRequest) -> Response {
    review_response(w, |mut r: SelfSubjectAccessReview| async move {
        let (kind, spec) = ("SelfSubjectAccessReview", &r.spec);
        let (res, non_res) = (
            spec.resource_attributes.as_ref(),
            spec.non_resource_attributes.as_ref(),
        );
        r.status = Some(decide(&st, &caller(), kind, res, non_res).await?);
        r.metadata.creation_timestamp = None;
        Ok(r)
    })
    .await
}

async fn subject_review(State(st): State<AppState>, w: WriteRequest) -> Response {
    review_response(w, |mut r: SubjectAccessReview| async move {
        let (kind, spec) = ("SubjectAccessReview", &r.spec);
        let user = UserInfo {
            name: spec.user.clone().unwrap_or_default(),
            uid: spec.uid.clone().unwrap_or_default(),
            groups: spec.groups.clone().unwrap_or_default(),
        };
        if user.name.is_empty() && user.groups.is_empty() {
            return Err(ApiError::invalid(
                GROUP,
                kind,
                "",
                &[FieldError::invalid(
                    "spec.user",
                    "",
                    "at least one of user or group must be specified",
                )],
            ));
        }
        let (res, non_res) = (
            spec.resource_attributes.as_ref(),
            spec.non_resource_attributes.as_ref(),
        );
        r.status = Some(decide(&st, &user, kind, res, non_res).await?);
        Ok(r)
    })
    .await
}

/// `kubectl auth can-i --list`: every rule that applies to the caller in a namespace.
async fn rules_review(State(st): State<AppState>, w: WriteRequest) -> Response {
    review_response(w, |mut review: SelfSubjectRulesReview| async move {
        let ns = review.spec.namespace.clone().unwrap_or_default();
        if ns.is_empty() {
            return Err(ApiError::invalid(
                GROUP,
                "SelfSubjectRulesReview",
                "",
                &[FieldError::required("spec.namespace", "")],
            ));
        }
        let snapshot = st.service.rbac.snapshot(&st.service.objects).await?;
        let (rules, errors) = snapshot.rules_for(&caller(), &ns);
        let mut status = SubjectRulesReviewStatus {
            incomplete: !errors.is_empty(),
            evaluation_error: (!errors.is_empty()).then(|| errors.join(", ")),
            ..Default::default()
        };
        for r in rules {
            match r.non_resource_urls.filter(|u| !u.is_empty()) {
                Some(urls) => status.non_resource_rules.push(NonResourceRule {
                    non_resource_urls: Some(urls),
                    verbs: r.verbs,
                }),
                None => status.resource_rules.push(ResourceRule {
                    api_groups: r.api_groups,
                    resource_names: r.resource_names,
                    resources: r.resources,
                    verbs: r.verbs,
                }),
            }
        }
        review.status = Some(status);
        Ok(review)
    })
    .await
}
