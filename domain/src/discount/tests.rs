use super::*;

fn percent(text: &str) -> Decimal {
    text.parse().unwrap()
}

#[test]
fn a_percent_above_zero_and_at_most_one_hundred_with_two_places_is_accepted() {
    for text in ["0.01", "10", "12.5", "100", "100.00"] {
        assert!(DiscountPercent::parse(percent(text)).is_ok(), "{text}");
    }
}

#[test]
fn a_percent_out_of_range_or_too_precise_is_refused() {
    for text in ["0", "-5", "100.01", "12.345"] {
        let error = DiscountPercent::parse(percent(text)).unwrap_err();
        assert_eq!(
            error,
            DiscountError::InvalidPercent(percent(text)),
            "{text}"
        );
        assert_eq!(error.code(), "invalid_discount_percent");
    }
}

#[test]
fn a_percent_is_taken_off_once_rounded_half_away_from_zero() {
    let price = Money::parse("9.99", crate::money::Currency::EUR).unwrap();
    let off = DiscountPercent::parse(percent("12.5")).unwrap().of(price);
    assert_eq!(
        off,
        Money::parse("1.25", crate::money::Currency::EUR).unwrap()
    );
}

#[test]
fn a_personal_discount_naming_an_item_type_twice_is_refused() {
    let discount = PersonalDiscount {
        percent: DiscountPercent::parse(percent("10")).unwrap(),
        item_types: vec![ItemType::Vds, ItemType::Vds],
        until: None,
    };
    assert_eq!(
        discount.check(),
        Err(DiscountError::DuplicateItemType("vds".to_string()))
    );
}

#[test]
fn a_percent_reads_from_json_with_its_rules() {
    let read: Result<DiscountPercent, _> = serde_json::from_str("\"12.5\"");
    assert_eq!(read.unwrap().value(), percent("12.5"));
    let refused: Result<DiscountPercent, _> = serde_json::from_str("\"0\"");
    assert!(refused.is_err());
}
