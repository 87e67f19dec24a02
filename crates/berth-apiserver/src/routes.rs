//! URL → [`Target`]: which resource, namespace, object and subresource a request addresses.
//!
//! `/api/v1/...` is the core group, `/apis/<group>/<version>/...` the others; below that
//! `<plural>[/<name>[/<sub>]]` or `namespaces/<ns>/<plural>[/<name>[/<sub>]]`.

use berth_api::ResourceType;
use berth_api::catalogue::lookup;

use crate::status::ApiError;

#[derive(Debug, Clone)]
pub struct Target {
    pub rt: &'static ResourceType,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub subresource: Option<String>,
}

impl Target {
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }
}

/// Parses a resource path; `None` when the path is not under `/api/v1` or `/apis/g/v` at all.
pub fn parse(path: &str) -> Option<Result<Target, ApiError>> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest) = match segments.as_slice() {
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return None,
    };
    if rest.is_empty() {
        return None;
    }
    let not_found = || ApiError::path_not_found(path);
    let resource = |plural: &str| lookup(group, version, plural).ok_or_else(not_found);
    let target = (|| {
        Ok(match rest {
            ["namespaces", ns, plural, more @ ..]
                if lookup(group, version, plural).is_some_and(|r| r.namespaced()) =>
            {
                let rt = resource(plural)?;
                let (name, subresource) = match more {
                    [] => (None, None),
                    [name] => (Some(*name), None),
                    [name, sub] => (Some(*name), Some(*sub)),
                    _ => return Err(not_found()),
                };
                Target {
                    rt,
                    namespace: Some((*ns).to_string()),
                    name: name.map(str::to_string),
                    subresource: subresource.map(str::to_string),
                }
            }
            [plural, more @ ..] => {
                let rt = resource(plural)?;
                let (name, subresource) = match more {
                    [] => (None, None),
                    [name] => (Some(*name), None),
                    [name, sub] => (Some(*name), Some(*sub)),
                    _ => return Err(not_found()),
                };
                if rt.namespaced() && name.is_some() {
                    // A namespaced object needs its namespace in the path.
                    return Err(not_found());
                }
                Target {
                    rt,
                    namespace: None,
                    name: name.map(str::to_string),
                    subresource: subresource.map(str::to_string),
                }
            }
            [] => return Err(not_found()),
        })
    })();
    let target = target.and_then(|t| match &t.subresource {
        Some(sub) if t.rt.subresource(sub).is_none() => Err(not_found()),
        _ => Ok(t),
    });
    Some(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    type Parts<'a> = (&'a str, Option<&'a str>, Option<&'a str>, Option<&'a str>);

    fn check(path: &str, expected: Option<Parts<'_>>) {
        let got = parse(path).and_then(Result::ok).map(|t| {
            (
                t.rt.plural,
                t.namespace.clone(),
                t.name.clone(),
                t.subresource.clone(),
            )
        });
        let expected = expected.map(|(p, ns, n, s)| {
            (
                p,
                ns.map(str::to_string),
                n.map(str::to_string),
                s.map(str::to_string),
            )
        });
        assert_eq!(got, expected, "{path}");
    }

    #[test]
    fn paths_address_resources() {
        check("/api/v1/pods", Some(("pods", None, None, None)));
        check(
            "/api/v1/namespaces/default/pods",
            Some(("pods", Some("default"), None, None)),
        );
        check(
            "/api/v1/namespaces/default/pods/web-0",
            Some(("pods", Some("default"), Some("web-0"), None)),
        );
        check(
            "/api/v1/namespaces/default/pods/web-0/status",
            Some(("pods", Some("default"), Some("web-0"), Some("status"))),
        );
        check("/api/v1/namespaces", Some(("namespaces", None, None, None)));
        check(
            "/api/v1/namespaces/kube-system",
            Some(("namespaces", None, Some("kube-system"), None)),
        );
        check(
            "/api/v1/namespaces/kube-system/status",
            Some(("namespaces", None, Some("kube-system"), Some("status"))),
        );
        check(
            "/apis/apps/v1/namespaces/x/deployments/web/scale",
            Some(("deployments", Some("x"), Some("web"), Some("scale"))),
        );
        check("/api/v1/nodes/n1", Some(("nodes", None, Some("n1"), None)));
        check("/api/v1/pods/web-0", None);
        check("/api/v1/namespaces/default/widgets", None);
        check("/api/v1/namespaces/default/pods/web-0/nonsense", None);
        assert!(parse("/version").is_none());
        assert!(parse("/api").is_none());
    }
}
