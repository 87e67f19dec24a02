//! Discovery: what kubectl reads to learn resources, short names, scopes and verbs.
//!
//! Both forms are served from the catalogue: aggregated (`apidiscovery.k8s.io/v2`, chosen when
//! the Accept header asks for it, answered with its exact Content-Type) and legacy
//! (`APIVersions`, `APIGroupList`, and `APIResourceList` per group version, which kubectl also
//! fetches directly).

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use berth_api::catalogue::{self, groups, resources_of};
use berth_api::{ResourceType, Subresource};
use serde_json::{Value, json};

pub const AGGREGATED_CONTENT_TYPE: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// Whether the client accepts aggregated discovery v2.
pub fn wants_aggregated(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|media| {
            let media = media.replace(' ', "");
            media.contains("g=apidiscovery.k8s.io")
                && media.contains("v=v2;")
                && media.contains("as=APIGroupDiscoveryList")
        })
}

fn json_response(body: Value, content_type: &'static str) -> Response {
    let mut response = serde_json::to_vec(&body)
        .unwrap_or_default()
        .into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::VARY, HeaderValue::from_static("Accept"));
    response
}

fn subresource_kind(rt: &ResourceType, sub: &Subresource) -> (String, String, String) {
    if sub.kind.is_empty() || (sub.group.is_empty() && sub.kind == rt.kind) {
        (
            rt.group.to_string(),
            rt.version.to_string(),
            rt.kind.to_string(),
        )
    } else {
        (
            sub.group.to_string(),
            sub.version.to_string(),
            sub.kind.to_string(),
        )
    }
}

fn aggregated_resource(rt: &ResourceType) -> Value {
    let mut resource = json!({
        "resource": rt.plural,
        "singularResource": rt.singular,
        "scope": if rt.namespaced() { "Namespaced" } else { "Cluster" },
        "responseKind": {"group": rt.group, "version": rt.version, "kind": rt.kind},
        "verbs": rt.verbs,
    });
    if !rt.short_names.is_empty() {
        resource["shortNames"] = json!(rt.short_names);
    }
    if !rt.categories.is_empty() {
        resource["categories"] = json!(rt.categories);
    }
    if !rt.subresources.is_empty() {
        resource["subresources"] = rt
            .subresources
            .iter()
            .map(|sub| {
                let (group, version, kind) = subresource_kind(rt, sub);
                json!({"subresource": sub.name, "responseKind": {"group": group, "version": version, "kind": kind}, "verbs": sub.verbs})
            })
            .collect();
    }
    resource
}

fn aggregated(core: bool) -> Value {
    let items: Vec<Value> = groups()
        .into_iter()
        .filter(|(group, _)| group.is_empty() == core)
        .map(|(group, versions)| {
            let versions: Vec<Value> = versions
                .iter()
                .map(|version| {
                    let resources: Vec<Value> = resources_of(group, version)
                        .map(aggregated_resource)
                        .collect();
                    json!({"version": version, "resources": resources, "freshness": "Current"})
                })
                .collect();
            json!({"metadata": {"name": group, "creationTimestamp": null}, "versions": versions})
        })
        .collect();
    json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items})
}

/// `GET /api`.
pub fn core(headers: &HeaderMap) -> Response {
    if wants_aggregated(headers) {
        return json_response(aggregated(true), AGGREGATED_CONTENT_TYPE);
    }
    json_response(
        json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": ""}]}),
        "application/json",
    )
}

/// `GET /apis`.
pub fn groups_list(headers: &HeaderMap) -> Response {
    if wants_aggregated(headers) {
        return json_response(aggregated(false), AGGREGATED_CONTENT_TYPE);
    }
    let list: Vec<Value> = groups()
        .into_iter()
        .filter(|(group, _)| !group.is_empty())
        .map(|(group, versions)| {
            let gvs: Vec<Value> = versions
                .iter()
                .map(|v| json!({"groupVersion": format!("{group}/{v}"), "version": v}))
                .collect();
            json!({"name": group, "versions": gvs, "preferredVersion": gvs[0]})
        })
        .collect();
    json_response(
        json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": list}),
        "application/json",
    )
}

/// `GET /apis/<group>` (legacy APIGroup), if the group exists.
pub fn group(name: &str) -> Option<Response> {
    let (_, versions) = groups()
        .into_iter()
        .find(|(g, _)| *g == name && !g.is_empty())?;
    let gvs: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": format!("{name}/{v}"), "version": v}))
        .collect();
    Some(json_response(
        json!({"kind": "APIGroup", "apiVersion": "v1", "name": name, "versions": gvs, "preferredVersion": gvs[0]}),
        "application/json",
    ))
}

/// `GET /api/v1` or `/apis/<group>/<version>`, if served.
pub fn resource_list(group: &str, version: &str) -> Option<Response> {
    let mut resources = Vec::new();
    for rt in resources_of(group, version) {
        let mut entry = json!({
            "name": rt.plural,
            "singularName": rt.singular,
            "namespaced": rt.namespaced(),
            "kind": rt.kind,
            "verbs": rt.verbs,
        });
        if !rt.short_names.is_empty() {
            entry["shortNames"] = json!(rt.short_names);
        }
        if !rt.categories.is_empty() {
            entry["categories"] = json!(rt.categories);
        }
        resources.push(entry);
        for sub in rt.subresources {
            let (g, v, kind) = subresource_kind(rt, sub);
            let mut entry = json!({
                "name": format!("{}/{}", rt.plural, sub.name),
                "singularName": "",
                "namespaced": rt.namespaced(),
                "kind": kind,
                "verbs": sub.verbs,
            });
            if g != rt.group || v != rt.version {
                entry["group"] = json!(g);
                entry["version"] = json!(v);
            }
            resources.push(entry);
        }
    }
    if resources.is_empty() {
        return None;
    }
    let group_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(json_response(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}),
        "application/json",
    ))
}

/// Whether a group version is served (for 404s on unknown ones).
pub fn serves(group: &str, version: &str) -> bool {
    catalogue::CATALOGUE
        .iter()
        .any(|r| r.group == group && r.version == version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregated_accept_is_recognised() {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"));
        assert!(wants_aggregated(&headers));
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/json, */*"),
        );
        assert!(!wants_aggregated(&headers));
    }

    #[test]
    fn aggregated_lists_deployments_with_scale() {
        let doc = aggregated(false);
        let apps = doc["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|g| g["metadata"]["name"] == "apps")
            .expect("apps");
        let deploy = apps["versions"][0]["resources"]
            .as_array()
            .expect("resources")
            .iter()
            .find(|r| r["resource"] == "deployments")
            .expect("deployments");
        assert_eq!(deploy["shortNames"], json!(["deploy"]));
        assert_eq!(deploy["scope"], "Namespaced");
        let scale = deploy["subresources"]
            .as_array()
            .expect("subs")
            .iter()
            .find(|s| s["subresource"] == "scale")
            .expect("scale");
        assert_eq!(scale["responseKind"]["kind"], "Scale");
        assert_eq!(scale["responseKind"]["group"], "autoscaling");
    }
}
