//! Resource quantities (`500m`, `1.5`, `128Mi`, `1e3`, `2G`) as exact integers.
//!
//! A [`Quantity`] keeps the amount in thousandths of the unit ("milli"), which is exact for
//! every CPU amount Kubernetes accepts and for memory down to the byte. Arithmetic saturates
//! instead of overflowing; rounding goes up, as upstream's `Value()` and `MilliValue()` do.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct Quantity {
    milli: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': {0:?}"
)]
pub struct QuantityError(pub String);

impl Quantity {
    pub const ZERO: Quantity = Quantity { milli: 0 };

    pub fn from_milli(milli: i64) -> Quantity {
        Quantity { milli }
    }

    pub fn from_units(units: i64) -> Quantity {
        Quantity {
            milli: units.saturating_mul(1000),
        }
    }

    pub fn parse(text: &str) -> Result<Quantity, QuantityError> {
        let bad = || QuantityError(text.to_string());
        let text_trimmed = text.trim();
        let (negative, rest) = match text_trimmed.as_bytes().first() {
            Some(b'-') => (true, &text_trimmed[1..]),
            Some(b'+') => (false, &text_trimmed[1..]),
            _ => (false, text_trimmed),
        };
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, suffix) = rest.split_at(number_len);
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(bad());
        }
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        // mantissa × 10^exp10 × 2^exp2 units
        let mut mantissa: i128 = 0;
        for digit in whole.bytes().chain(fraction.bytes()) {
            mantissa = mantissa
                .saturating_mul(10)
                .saturating_add(i128::from(digit - b'0'));
        }
        let mut exp10: i32 = -(fraction.len() as i32);
        let mut exp2: u32 = 0;
        match suffix {
            "" => {}
            "Ki" => exp2 = 10,
            "Mi" => exp2 = 20,
            "Gi" => exp2 = 30,
            "Ti" => exp2 = 40,
            "Pi" => exp2 = 50,
            "Ei" => exp2 = 60,
            "n" => exp10 -= 9,
            "u" => exp10 -= 6,
            "m" => exp10 -= 3,
            "k" => exp10 += 3,
            "M" => exp10 += 6,
            "G" => exp10 += 9,
            "T" => exp10 += 12,
            "P" => exp10 += 15,
            "E" => exp10 += 18,
            s if s.starts_with(['e', 'E']) => {
                let exponent: i32 = s[1..].parse().map_err(|_| bad())?;
                if !(-64..=64).contains(&exponent) {
                    return Err(bad());
                }
                exp10 += exponent;
            }
            _ => return Err(bad()),
        }
        // To milli-units, rounding up.
        exp10 += 3;
        let mut value = mantissa.saturating_mul(1i128 << exp2.min(100));
        if exp10 >= 0 {
            for _ in 0..exp10 {
                value = value.saturating_mul(10);
            }
        } else {
            let divisor = 10i128
                .checked_pow(exp10.unsigned_abs())
                .unwrap_or(i128::MAX);
            value = if value == 0 {
                0
            } else {
                (value + divisor - 1) / divisor
            };
        }
        let milli = i64::try_from(value).unwrap_or(i64::MAX);
        Ok(Quantity {
            milli: if negative { -milli } else { milli },
        })
    }

    /// Thousandths of the unit (millicores for CPU).
    pub fn milli(self) -> i64 {
        self.milli
    }

    /// Whole units, rounded up (bytes for memory).
    pub fn units(self) -> i64 {
        self.milli.div_euclid(1000) + i64::from(self.milli.rem_euclid(1000) != 0)
    }

    pub fn saturating_add(self, other: Quantity) -> Quantity {
        Quantity {
            milli: self.milli.saturating_add(other.milli),
        }
    }

    pub fn saturating_sub(self, other: Quantity) -> Quantity {
        Quantity {
            milli: self.milli.saturating_sub(other.milli),
        }
    }
}

impl fmt::Display for Quantity {
    /// Canonical-ish form: millis when fractional, else the plain number.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.milli % 1000 == 0 {
            write!(f, "{}", self.milli / 1000)
        } else {
            write!(f, "{}m", self.milli)
        }
    }
}

impl std::str::FromStr for Quantity {
    type Err = QuantityError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Quantity::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_upstream_forms() {
        let cases = [
            ("1", 1000),
            ("500m", 500),
            ("0.5", 500),
            ("1.5", 1500),
            ("100m", 100),
            ("2k", 2_000_000),
            ("128Mi", 128 * 1024 * 1024 * 1000),
            ("1Gi", 1024 * 1024 * 1024 * 1000),
            ("1G", 1_000_000_000_000),
            ("1e3", 1_000_000),
            ("1E-3", 1),
            ("1n", 1),
            ("-1", -1000),
            ("+2", 2000),
            ("0", 0),
            ("32Gi", 32 * 1024 * 1024 * 1024 * 1000),
        ];
        for (text, milli) in cases {
            assert_eq!(
                Quantity::parse(text).map(Quantity::milli),
                Ok(milli),
                "{text}"
            );
        }
    }

    #[test]
    fn refuses_garbage() {
        for text in ["", "abc", "1x", "1..2", ".", "1Qi", "--1", "1e", "1e999"] {
            assert!(Quantity::parse(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn units_round_up_and_huge_values_saturate() {
        assert_eq!(Quantity::parse("1500m").map(Quantity::units), Ok(2));
        assert_eq!(
            Quantity::parse("128974848").map(Quantity::units),
            Ok(128974848)
        );
        assert_eq!(
            Quantity::parse("99999Ei").map(Quantity::milli),
            Ok(i64::MAX)
        );
    }
}
