//! Completion indexes of an Indexed Job as `status.completedIndexes` writes them: sorted,
//! consecutive runs folded (`"0-2,4,6-7"`).

use std::collections::BTreeSet;

/// Parses `"0-2,4"`; malformed parts are skipped (the field is ours to write).
pub fn parse(text: &str) -> BTreeSet<i32> {
    let mut set = BTreeSet::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<i32>(), b.parse::<i32>()) {
                    set.extend(a..=b);
                }
            }
            None => {
                if let Ok(n) = part.parse() {
                    set.insert(n);
                }
            }
        }
    }
    set
}

/// Formats a set as `"0-2,4"`.
pub fn format(set: &BTreeSet<i32>) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut run: Option<(i32, i32)> = None;
    for &n in set {
        run = match run {
            Some((a, b)) if n == b + 1 => Some((a, n)),
            Some(done) => {
                parts.push(range(done));
                Some((n, n))
            }
            None => Some((n, n)),
        };
    }
    if let Some(done) = run {
        parts.push(range(done));
    }
    parts.join(",")
}

fn range((a, b): (i32, i32)) -> String {
    if a == b {
        a.to_string()
    } else {
        format!("{a}-{b}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_fold_and_unfold() {
        let set = parse("0-2,4,6-7");
        assert_eq!(set, BTreeSet::from([0, 1, 2, 4, 6, 7]));
        assert_eq!(format(&set), "0-2,4,6-7");
        assert_eq!(format(&BTreeSet::new()), "");
    }
}
