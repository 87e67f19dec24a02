//! Object names, as Kubernetes validates them (apimachinery's `validation.IsDNS1123Subdomain`
//! and `IsDNS1123Label`), with upstream's messages so `kubectl` shows familiar errors.

/// Which naming rule a resource's names follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRule {
    /// Most resources: lowercase alphanumerics, '-' and '.', at most 253 characters.
    Subdomain,
    /// Namespaces and Services: lowercase alphanumerics and '-', at most 63 characters.
    Label,
}

impl NameRule {
    /// The rule for a resource's names.
    pub fn for_resource(group: &str, plural: &str) -> NameRule {
        match (group, plural) {
            ("", "namespaces") | ("", "services") => NameRule::Label,
            _ => NameRule::Subdomain,
        }
    }
}

fn alnum(c: u8) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// Checks `name`; the error is upstream's message for the rule.
pub fn validate(name: &str, rule: NameRule) -> Result<(), String> {
    let bytes = name.as_bytes();
    let ends_ok =
        bytes.first().is_some_and(|&c| alnum(c)) && bytes.last().is_some_and(|&c| alnum(c));
    match rule {
        NameRule::Label => {
            let chars_ok = bytes.iter().all(|&c| alnum(c) || c == b'-');
            if name.len() > 63 {
                return Err("must be no more than 63 characters".into());
            }
            if !(chars_ok && ends_ok) {
                return Err("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
                    .into());
            }
        }
        NameRule::Subdomain => {
            if name.len() > 253 {
                return Err("must be no more than 253 characters".into());
            }
            let labels_ok = name.split('.').all(|label| {
                let b = label.as_bytes();
                !b.is_empty()
                    && alnum(b[0])
                    && alnum(b[b.len() - 1])
                    && b.iter().all(|&c| alnum(c) || c == b'-')
            });
            if !(labels_ok && ends_ok) {
                return Err("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
                    .into());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_rfc_1123() {
        for (name, rule, ok) in [
            ("web-0", NameRule::Subdomain, true),
            ("a.b-c.d", NameRule::Subdomain, true),
            ("Web", NameRule::Subdomain, false),
            ("-web", NameRule::Subdomain, false),
            ("web.", NameRule::Subdomain, false),
            ("a..b", NameRule::Subdomain, false),
            ("", NameRule::Subdomain, false),
            ("kube-system", NameRule::Label, true),
            ("a.b", NameRule::Label, false),
            ("under_score", NameRule::Label, false),
        ] {
            assert_eq!(validate(name, rule).is_ok(), ok, "{name:?} {rule:?}");
        }
        assert!(validate(&"a".repeat(64), NameRule::Label).is_err());
        assert!(validate(&"a".repeat(253), NameRule::Subdomain).is_ok());
        assert!(validate(&"a".repeat(254), NameRule::Subdomain).is_err());
    }
}
