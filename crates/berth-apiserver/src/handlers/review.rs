//! Review resources: requests answered from the caller's identity, never stored.
//! `SelfSubjectReview` (`kubectl auth whoami`) returns who the caller is; the access reviews
//! (`kubectl auth can-i`) answer "allowed", because until authorisation exists every
//! authenticated user may do everything — the reason says so.

use axum::body::Body;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use super::{json, read_object};
use crate::authn::User;
use crate::routes::Target;
use crate::status::ApiError;

const NO_AUTHORIZER: &str =
    "no authorization is configured: every authenticated user may do everything";

/// Whether a resource is a review that this module answers.
pub fn is_review(target: &Target) -> bool {
    matches!(
        (target.rt.group, target.rt.plural),
        ("authentication.k8s.io", "selfsubjectreviews")
            | (
                "authorization.k8s.io",
                "selfsubjectaccessreviews"
                    | "selfsubjectrulesreviews"
                    | "subjectaccessreviews"
                    | "localsubjectaccessreviews"
            )
    )
}

fn groups(user: &User) -> Vec<String> {
    let mut groups = user.groups.clone();
    if !groups.iter().any(|g| g == "system:authenticated") {
        groups.push("system:authenticated".into());
    }
    groups
}

pub async fn review(
    target: &Target,
    user: Option<&User>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let user = user.ok_or_else(ApiError::unauthorized)?;
    let object = read_object(headers, body).await?;
    let mut value = object.to_value();
    let status: Value = match target.rt.plural {
        "selfsubjectreviews" => {
            json!({"userInfo": {"username": user.name, "groups": groups(user)}})
        }
        "selfsubjectrulesreviews" => json!({
            "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
            "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
            "incomplete": false,
        }),
        _ => json!({"allowed": true, "reason": NO_AUTHORIZER}),
    };
    value["apiVersion"] = json!(target.rt.group_version().api_version());
    value["kind"] = json!(target.rt.kind);
    value["metadata"] = json!({"creationTimestamp": null});
    value["status"] = status;
    Ok(json(201, &value))
}
