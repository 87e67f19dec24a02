//! Label and field selectors, parsed once from their query-string form.
//!
//! Label selectors support every operator kubectl and controllers send: `k=v`, `k==v`, `k!=v`,
//! `k in (a,b)`, `k notin (a,b)`, `k` (exists) and `!k` (does not exist); requirements separated
//! by commas must all hold. Field selectors support `path=v`, `path==v` and `path!=v` on dotted
//! paths into the object (`metadata.name`, `spec.nodeName`, `involvedObject.uid`, …).

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    Equals(String),
    NotEquals(String),
    In(Vec<String>),
    NotIn(Vec<String>),
    Exists,
    DoesNotExist,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Requirement {
    key: String,
    op: Op,
}

/// A parsed label selector; the empty selector matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unable to parse requirement: {0}")]
pub struct SelectorError(pub String);

/// Splits on commas that are not inside parentheses.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 317
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

fn valid_value(value: &str) -> bool {
    value.len() <= 63
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn set_values(text: &str) -> Option<Vec<String>> {
    let inner = text.trim().strip_prefix('(')?.strip_suffix(')')?;
    let values: Vec<String> = inner.split(',').map(|v| v.trim().to_string()).collect();
    values.iter().all(|v| valid_value(v)).then_some(values)
}

impl LabelSelector {
    pub fn parse(text: &str) -> Result<LabelSelector, SelectorError> {
        let mut requirements = Vec::new();
        if text.trim().is_empty() {
            return Ok(LabelSelector { requirements });
        }
        for part in split_top_level(text) {
            let part = part.trim();
            let bad = || SelectorError(part.to_string());
            let requirement = if let Some(key) = part.strip_prefix('!') {
                Requirement {
                    key: key.trim().to_string(),
                    op: Op::DoesNotExist,
                }
            } else if let Some((key, value)) = part.split_once("!=") {
                Requirement {
                    key: key.trim().to_string(),
                    op: Op::NotEquals(value.trim().to_string()),
                }
            } else if let Some((key, value)) =
                part.split_once("==").or_else(|| part.split_once('='))
            {
                Requirement {
                    key: key.trim().to_string(),
                    op: Op::Equals(value.trim().to_string()),
                }
            } else if let Some((key, values)) = part.split_once(" notin ") {
                Requirement {
                    key: key.trim().to_string(),
                    op: Op::NotIn(set_values(values).ok_or_else(bad)?),
                }
            } else if let Some((key, values)) = part.split_once(" in ") {
                Requirement {
                    key: key.trim().to_string(),
                    op: Op::In(set_values(values).ok_or_else(bad)?),
                }
            } else {
                Requirement {
                    key: part.to_string(),
                    op: Op::Exists,
                }
            };
            let value_ok = match &requirement.op {
                Op::Equals(v) | Op::NotEquals(v) => valid_value(v),
                _ => true,
            };
            if !valid_key(&requirement.key) || !value_ok {
                return Err(bad());
            }
            requirements.push(requirement);
        }
        Ok(LabelSelector { requirements })
    }

    /// From a `metav1.LabelSelector` object (`matchLabels`, `matchExpressions` with `In`,
    /// `NotIn`, `Exists`, `DoesNotExist`). An empty object selects everything.
    pub fn from_json(selector: &Value) -> Result<LabelSelector, SelectorError> {
        let mut requirements = Vec::new();
        if selector.is_null() {
            return Ok(LabelSelector { requirements });
        }
        let bad = |what: &str| SelectorError(what.to_string());
        if let Some(labels) = selector.get("matchLabels").and_then(Value::as_object) {
            for (key, value) in labels {
                let value = value.as_str().ok_or_else(|| bad(key))?;
                requirements.push(Requirement {
                    key: key.clone(),
                    op: Op::Equals(value.to_string()),
                });
            }
        }
        for expression in selector
            .get("matchExpressions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = expression
                .get("key")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("matchExpressions[].key"))?
                .to_string();
            let values: Vec<String> = expression
                .get("values")
                .and_then(Value::as_array)
                .map(|v| {
                    v.iter()
                        .filter_map(Value::as_str)
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default();
            let op = match expression.get("operator").and_then(Value::as_str) {
                Some("In") => Op::In(values),
                Some("NotIn") => Op::NotIn(values),
                Some("Exists") => Op::Exists,
                Some("DoesNotExist") => Op::DoesNotExist,
                other => return Err(bad(&format!("{key}: operator {other:?}"))),
            };
            requirements.push(Requirement { key, op });
        }
        Ok(LabelSelector { requirements })
    }

    /// Both selectors' requirements.
    pub fn and(mut self, other: LabelSelector) -> LabelSelector {
        self.requirements.extend(other.requirements);
        self
    }

    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|r| {
            let value = labels.get(&r.key);
            match &r.op {
                Op::Equals(v) => value == Some(v),
                Op::NotEquals(v) => value != Some(v),
                Op::In(vs) => value.is_some_and(|x| vs.contains(x)),
                Op::NotIn(vs) => value.is_none_or(|x| !vs.contains(x)),
                Op::Exists => value.is_some(),
                Op::DoesNotExist => value.is_none(),
            }
        })
    }
}

/// A parsed field selector; the empty selector matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelector {
    requirements: Vec<(String, bool, String)>,
}

impl FieldSelector {
    pub fn parse(text: &str) -> Result<FieldSelector, SelectorError> {
        let mut requirements = Vec::new();
        if text.trim().is_empty() {
            return Ok(FieldSelector { requirements });
        }
        for part in text.split(',') {
            let part = part.trim();
            let (path, equal, value) = if let Some((p, v)) = part.split_once("!=") {
                (p, false, v)
            } else if let Some((p, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
                (p, true, v)
            } else {
                return Err(SelectorError(part.to_string()));
            };
            let path = path.trim();
            if path.is_empty() || !path.chars().all(|c| c.is_ascii_alphanumeric() || c == '.') {
                return Err(SelectorError(part.to_string()));
            }
            requirements.push((path.to_string(), equal, value.trim().to_string()));
        }
        Ok(FieldSelector { requirements })
    }

    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// The value `metadata.name` must equal, if the selector pins it (lets a list read one key).
    pub fn exact_name(&self) -> Option<&str> {
        self.requirements
            .iter()
            .find(|(p, eq, _)| p == "metadata.name" && *eq)
            .map(|(_, _, v)| v.as_str())
    }

    /// Whether `object` satisfies every requirement; a missing field reads as "".
    pub fn matches(&self, object: &Value) -> bool {
        self.matches_values(|path| Cow::Owned(field_string(object, path)))
    }

    /// [`FieldSelector::matches`] for an object of kind `plural`: unset fields read as
    /// upstream's selectable fields do ([`unset_field`]).
    pub fn matches_kind(&self, plural: &str, object: &Value) -> bool {
        self.matches_values(|path| match field_string(object, path) {
            unset if unset.is_empty() => Cow::Borrowed(unset_field(plural, path)),
            value => Cow::Owned(value),
        })
    }

    /// Whether every path this selector reads is one of `paths`.
    pub fn reads_only(&self, paths: &[&str]) -> bool {
        self.requirements
            .iter()
            .all(|(path, _, _)| paths.contains(&path.as_str()))
    }

    /// [`FieldSelector::matches`] against values looked up by path ("" when unset).
    pub fn matches_values<'a>(&self, value: impl Fn(&str) -> Cow<'a, str>) -> bool {
        self.requirements
            .iter()
            .all(|(path, equal, expected)| (value(path) == expected.as_str()) == *equal)
    }
}

/// A field's value as a field selector compares it: strings as they are, a missing field
/// as "", anything else as its JSON.
pub fn field_string(object: &Value, path: &str) -> String {
    let mut current = object;
    for segment in path.split('.') {
        current = current.get(segment).unwrap_or(&Value::Null);
    }
    value_string(current)
}

/// A field's value as [`field_string`] renders it.
pub fn value_string(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// What an unset field reads as for kind `plural`: upstream formats its boolean selectable
/// fields (a node's `spec.unschedulable`, a pod's `spec.hostNetwork`), so unset is "false";
/// anything else unset is "".
pub fn unset_field(plural: &str, path: &str) -> &'static str {
    match (plural, path) {
        ("nodes", "spec.unschedulable") | ("pods", "spec.hostNetwork") => "false",
        _ => "",
    }
}

/// The field paths selectors commonly read for a kind (upstream's selectable fields, as
/// kubelets, controllers and `kubectl get --field-selector` use them), which the watch
/// cache keeps beside each object so that matching needs no decoding.
pub fn indexed_fields(plural: &str) -> &'static [&'static str] {
    match plural {
        "pods" => &[
            "metadata.name",
            "metadata.namespace",
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "status.phase",
            "status.podIP",
            "status.nominatedNodeName",
        ],
        "events" => &[
            "metadata.name",
            "metadata.namespace",
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.fieldPath",
            "reason",
            "type",
        ],
        "secrets" => &["metadata.name", "metadata.namespace", "type"],
        "nodes" => &["metadata.name", "spec.unschedulable"],
        "namespaces" => &["metadata.name", "status.phase"],
        _ => &["metadata.name", "metadata.namespace"],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn label_selectors_match_like_kubernetes() {
        let l = labels(&[("app", "web"), ("tier", "front")]);
        for (selector, expected) in [
            ("", true),
            ("app=web", true),
            ("app==web", true),
            ("app!=web", false),
            ("app=db", false),
            ("app in (web,db)", true),
            ("app notin (web)", false),
            ("env notin (prod)", true),
            ("tier", true),
            ("!tier", false),
            ("!env", true),
            ("app=web,tier=front", true),
            ("app=web,tier in (back)", false),
            ("app in (a, web),!env", true),
        ] {
            let parsed = LabelSelector::parse(selector).expect(selector);
            assert_eq!(parsed.matches(&l), expected, "{selector}");
        }
        for bad in ["app in web", "a=b=c!", "=x", "app in (a b)"] {
            assert!(LabelSelector::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn label_selector_objects_match_like_strings() {
        let labels: BTreeMap<String, String> = [
            ("app".to_string(), "web".to_string()),
            ("tier".to_string(), "fe".to_string()),
        ]
        .into();
        let cases = [
            (serde_json::json!({}), true),
            (serde_json::json!({"matchLabels": {"app": "web"}}), true),
            (serde_json::json!({"matchLabels": {"app": "db"}}), false),
            (
                serde_json::json!({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["fe", "be"]}]}),
                true,
            ),
            (
                serde_json::json!({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["fe"]}]}),
                false,
            ),
            (
                serde_json::json!({"matchExpressions": [{"key": "zone", "operator": "DoesNotExist"}]}),
                true,
            ),
            (
                serde_json::json!({"matchExpressions": [{"key": "zone", "operator": "Exists"}]}),
                false,
            ),
        ];
        for (selector, expected) in cases {
            let parsed = LabelSelector::from_json(&selector).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(parsed.matches(&labels), expected, "{selector}");
        }
        assert!(
            LabelSelector::from_json(
                &serde_json::json!({"matchExpressions": [{"key": "a", "operator": "Gt"}]})
            )
            .is_err()
        );
    }

    #[test]
    fn field_selectors_read_dotted_paths() {
        let pod = json!({"metadata": {"name": "web-0", "namespace": "default"},
                         "spec": {"nodeName": "n1"}, "status": {"phase": "Running"}});
        for (selector, expected) in [
            ("metadata.name=web-0", true),
            ("metadata.name==web-1", false),
            ("spec.nodeName=n1,status.phase!=Failed", true),
            ("spec.nodeName=", false),
            ("spec.missing=", true),
        ] {
            let parsed = FieldSelector::parse(selector).expect(selector);
            assert_eq!(parsed.matches(&pod), expected, "{selector}");
        }
        assert_eq!(
            FieldSelector::parse("metadata.name=x")
                .expect("parse")
                .exact_name(),
            Some("x")
        );
        assert!(FieldSelector::parse("nonsense").is_err());
    }

    #[test]
    fn indexed_values_match_as_the_object_does() {
        let pod = json!({
            "metadata": {"name": "p", "namespace": "default"},
            "spec": {"nodeName": "n1", "hostNetwork": true},
            "status": {"phase": "Running"},
        });
        let paths = indexed_fields("pods");
        for selector in [
            "spec.nodeName=n1",
            "spec.nodeName!=n1",
            "spec.nodeName=",
            "status.phase=Running,metadata.namespace=default",
            "status.podIP=",
            "metadata.name!=p",
        ] {
            let parsed = FieldSelector::parse(selector).expect(selector);
            assert!(parsed.reads_only(paths), "{selector}");
            let indexed = parsed.matches_values(|path| Cow::Owned(field_string(&pod, path)));
            assert_eq!(indexed, parsed.matches(&pod), "{selector}");
        }
        let other = FieldSelector::parse("spec.hostNetwork=true").expect("parse");
        assert!(
            !other.reads_only(paths),
            "not indexed: read from the object"
        );
        assert!(other.matches(&pod));
    }
}
