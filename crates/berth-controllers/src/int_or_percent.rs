//! `IntOrString` fields that are a count or a percentage of a total (`maxSurge`,
//! `maxUnavailable`, `minAvailable`, `partition`…), resolved as upstream's
//! `GetScaledValueFromIntOrPercent`.

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// `value` as a count of `total`: an integer as is, `"N%"` as N percent of `total` rounded
/// up or down. Validation rejects anything else before it is stored; it counts as 0.
pub fn resolve(value: &IntOrString, total: i32, round_up: bool) -> i32 {
    match value {
        IntOrString::Int(n) => *n,
        IntOrString::String(s) => {
            let Some(pct) = s.strip_suffix('%').and_then(|p| p.parse::<i64>().ok()) else {
                return 0;
            };
            let scaled = pct * i64::from(total);
            let value = if round_up {
                (scaled + 99).div_euclid(100)
            } else {
                scaled.div_euclid(100)
            };
            i32::try_from(value).unwrap_or(i32::MAX)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_round_as_asked() {
        let pct = IntOrString::String("25%".into());
        assert_eq!(resolve(&pct, 10, true), 3);
        assert_eq!(resolve(&pct, 10, false), 2);
        assert_eq!(resolve(&pct, 4, true), 1);
        assert_eq!(resolve(&IntOrString::Int(2), 10, false), 2);
        assert_eq!(resolve(&IntOrString::String("x".into()), 10, true), 0);
    }
}
