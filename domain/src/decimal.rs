//! Plain decimals as people write them in forms and machines send them in JSON strings: digits,
//! at most one point, no sign, exponent, underscore or whitespace. `Decimal`'s own parser also
//! takes `1e5` and `1_000`, spellings of numbers nobody means in a quantity or a percent, and an
//! exponent would let a short string name a huge number.

use rust_decimal::Decimal;

/// Why a text is no plain decimal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlainDecimalError {
    /// Something other than digits and one point, or a point without digits on both sides.
    #[error("{0:?} is not a plain decimal (digits with an optional point, no sign or exponent)")]
    NotPlain(String),
    /// More digits before or after the point than the field allows.
    #[error(
        "{text:?} has more than {integer_digits_max} digits before the point or more than {fraction_digits_max} after it"
    )]
    TooManyDigits {
        /// The text as given.
        text: String,
        /// The most digits before the point (leading zeros not counted).
        integer_digits_max: usize,
        /// The most digits after the point.
        fraction_digits_max: usize,
    },
}

/// Parses an unsigned plain decimal with at most `integer_digits_max` digits before the point
/// (leading zeros not counted) and at most `fraction_digits_max` after it. Ranges (above zero, at
/// most 100) stay with the rule that owns the value.
pub fn parse_plain(
    text: &str,
    integer_digits_max: usize,
    fraction_digits_max: usize,
) -> Result<Decimal, PlainDecimalError> {
    let not_plain = || PlainDecimalError::NotPlain(text.to_owned());
    let (integer, fraction) = match text.split_once('.') {
        Some((integer, fraction)) => (integer, Some(fraction)),
        None => (text, None),
    };
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !digits(integer) || fraction.is_some_and(|fraction| !digits(fraction)) {
        return Err(not_plain());
    }
    if integer.trim_start_matches('0').len() > integer_digits_max
        || fraction.map_or(0, str::len) > fraction_digits_max
    {
        return Err(PlainDecimalError::TooManyDigits {
            text: text.to_owned(),
            integer_digits_max,
            fraction_digits_max,
        });
    }
    // Bounded digits: `Decimal` holds them exactly (callers ask for far fewer than 28).
    Decimal::from_str_exact(text).map_err(|_| not_plain())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Decimal, PlainDecimalError> {
        parse_plain(text, 7, 4)
    }

    #[test]
    fn digits_with_an_optional_point_are_a_plain_decimal() {
        assert_eq!(parse("2").unwrap(), Decimal::new(2, 0));
        assert_eq!(parse("1.5").unwrap(), Decimal::new(15, 1));
        assert_eq!(
            parse("0001000000.0000").unwrap(),
            Decimal::new(10_000_000_000, 4)
        );
    }

    #[test]
    fn an_exponent_is_refused() {
        for text in ["1e5", "1E5", "1.5e2", "1e-3"] {
            assert_eq!(
                parse(text),
                Err(PlainDecimalError::NotPlain(text.to_owned()))
            );
        }
    }

    #[test]
    fn signs_underscores_spaces_and_bare_points_are_refused() {
        for text in [
            "", "-1", "+1", "1_000", " 1", "1 ", ".5", "5.", "1.2.3", "NaN", "½",
        ] {
            assert_eq!(
                parse(text),
                Err(PlainDecimalError::NotPlain(text.to_owned())),
                "{text:?}"
            );
        }
    }

    #[test]
    fn too_many_digits_are_refused_not_rounded() {
        assert!(matches!(
            parse("12345678"),
            Err(PlainDecimalError::TooManyDigits { .. })
        ));
        assert!(matches!(
            parse("1.00001"),
            Err(PlainDecimalError::TooManyDigits { .. })
        ));
        assert!(matches!(
            parse(&"9".repeat(40)),
            Err(PlainDecimalError::TooManyDigits { .. })
        ));
    }
}
