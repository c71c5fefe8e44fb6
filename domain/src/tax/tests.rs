use std::str::FromStr;

use super::*;
use crate::client::ClientKind;

fn eur(amount: &str) -> Money {
    Money::parse(amount, Currency::EUR).unwrap()
}

fn jpy(amount: &str) -> Money {
    Money::parse(amount, Currency::JPY).unwrap()
}

fn rate(text: &str) -> TaxRate {
    TaxRate::parse(text).unwrap()
}

fn decimal(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn country(code: &str) -> Country {
    Country::parse(code).unwrap()
}

fn vat(number: &str) -> VatNumber {
    VatNumber::parse(number).unwrap()
}

fn added(percent: &str) -> TaxTreatment {
    TaxTreatment::Standard {
        rate: rate(percent),
        mode: TaxMode::Added,
    }
}

fn included(percent: &str) -> TaxTreatment {
    TaxTreatment::Standard {
        rate: rate(percent),
        mode: TaxMode::Included,
    }
}

fn line(quantity: &str, unit_price: &str) -> LineInput {
    LineInput::new("VDS S, March", decimal(quantity), eur(unit_price))
}

/// Prices one EUR line and returns (net, tax, gross) as strings.
fn priced(line: LineInput, treatment: TaxTreatment) -> (String, String, String) {
    let (lines, _) = price_lines(vec![line], &treatment, Currency::EUR).unwrap();
    let line = &lines[0];
    (
        line.net.amount().to_string(),
        line.tax.amount().to_string(),
        line.gross.amount().to_string(),
    )
}

fn strings(net: &str, tax: &str, gross: &str) -> (String, String, String) {
    (net.to_string(), tax.to_string(), gross.to_string())
}

fn rule(code: Option<&str>, percent: &str, reverse_charge: bool) -> TaxRule {
    TaxRule {
        country: code.map(country),
        rate: rate(percent),
        mode: TaxMode::Added,
        reverse_charge,
    }
}

fn customer(code: &str, kind: ClientKind, vat_number: Option<&str>) -> TaxCustomer {
    TaxCustomer {
        country: country(code),
        kind,
        vat_number: vat_number.map(vat),
    }
}

// VAT numbers.

#[test]
fn a_vat_number_is_a_prefix_and_2_to_13_letters_or_digits() {
    assert_eq!(VatNumber::parse("DE123456789").unwrap().prefix(), "DE");
    assert!(VatNumber::parse("ATU12345678").is_ok());
    for bad in [
        "",
        "DE",
        "DE1",
        "de123456789",
        "DE 123456789",
        "1E123456",
        "DE12345678901234",
    ] {
        assert!(VatNumber::parse(bad).is_err(), "{bad:?} accepted");
    }
}

// Rates.

#[test]
fn a_rate_is_a_percentage_from_0_to_100_with_at_most_4_decimals() {
    for good in ["0", "19", "7.7", "100", "2.1234", "19.0", "007"] {
        assert!(TaxRate::parse(good).is_ok(), "{good:?} refused");
    }
    for bad in [
        "", "-1", "100.01", "101", "7.", ".5", "1.23456", "19%", " 19", "1e1", "+19", "0019",
    ] {
        assert_eq!(
            TaxRate::parse(bad),
            Err(TaxError::InvalidTaxRate(bad.to_string())),
            "{bad:?} accepted"
        );
    }
}

#[test]
fn a_rate_is_normalised_and_serialized_as_a_string() {
    assert_eq!(rate("19.00"), rate("19"));
    assert_eq!(serde_json::to_string(&rate("19.00")).unwrap(), r#""19""#);
    assert_eq!(serde_json::to_string(&rate("7.70")).unwrap(), r#""7.7""#);
    assert_eq!(
        serde_json::from_str::<TaxRate>(r#""7.7""#).unwrap(),
        rate("7.7")
    );
    assert!(serde_json::from_str::<TaxRate>(r#""120""#).is_err());
    assert!(serde_json::from_str::<TaxRate>("19").is_err());
}

#[test]
fn a_decimal_rate_is_checked_like_a_parsed_one() {
    assert_eq!(TaxRate::new(decimal("19.0000")).unwrap(), rate("19"));
    assert!(TaxRate::new(decimal("0.00001")).is_err());
    assert!(TaxRate::new(decimal("-0.5")).is_err());
    assert_eq!(TaxRate::new(decimal("-0")).unwrap(), TaxRate::ZERO);
}

// Rules.

#[test]
fn rules_allow_one_rule_per_country_and_one_default() {
    assert_eq!(
        TaxRules::new(vec![
            rule(Some("DE"), "19", false),
            rule(Some("DE"), "7", false)
        ]),
        Err(TaxError::DuplicateTaxRule {
            country: Some(country("DE"))
        })
    );
    let error = TaxRules::new(vec![rule(None, "19", false), rule(None, "0", false)]);
    assert_eq!(error, Err(TaxError::DuplicateTaxRule { country: None }));
    assert_eq!(error.unwrap_err().code(), "duplicate_tax_rule");
}

#[test]
fn rules_are_kept_in_one_order_so_equal_sets_compare_equal() {
    let first = TaxRules::new(vec![
        rule(None, "0", false),
        rule(Some("FR"), "20", true),
        rule(Some("DE"), "19", false),
    ])
    .unwrap();
    let second = TaxRules::new(vec![
        rule(Some("DE"), "19", false),
        rule(None, "0", false),
        rule(Some("FR"), "20", true),
    ])
    .unwrap();
    assert_eq!(first, second);
    assert_eq!(first.rules()[0].country, Some(country("DE")));
    assert_eq!(first.rules()[2].country, None);
}

#[test]
fn rules_serialize_as_a_list_and_are_checked_on_the_way_in() {
    let rules = TaxRules::new(vec![rule(Some("DE"), "19", false)]).unwrap();
    let json = serde_json::to_string(&rules).unwrap();
    assert_eq!(
        json,
        r#"[{"country":"DE","rate":"19","mode":"added","reverse_charge":false}]"#
    );
    assert_eq!(serde_json::from_str::<TaxRules>(&json).unwrap(), rules);
    let twice = r#"[{"country":null,"rate":"0","mode":"added","reverse_charge":false},
                    {"country":null,"rate":"1","mode":"added","reverse_charge":false}]"#;
    assert!(serde_json::from_str::<TaxRules>(twice).is_err());
}

#[test]
fn a_country_rule_wins_over_the_default() {
    let rules =
        TaxRules::new(vec![rule(None, "20", false), rule(Some("DE"), "19", false)]).unwrap();
    assert_eq!(
        rules.treatment_for(&customer("DE", ClientKind::Individual, None)),
        added("19")
    );
}

#[test]
fn the_default_rule_applies_to_countries_without_their_own() {
    let rules =
        TaxRules::new(vec![rule(None, "20", false), rule(Some("DE"), "19", false)]).unwrap();
    assert_eq!(
        rules.treatment_for(&customer("US", ClientKind::Individual, None)),
        added("20")
    );
}

#[test]
fn without_an_applicable_rule_nothing_is_taxed() {
    let rules = TaxRules::new(vec![rule(Some("DE"), "19", false)]).unwrap();
    assert_eq!(
        rules.treatment_for(&customer("US", ClientKind::Company, None)),
        TaxTreatment::NotTaxed
    );
    assert_eq!(
        TaxRules::none().treatment_for(&customer("DE", ClientKind::Individual, None)),
        TaxTreatment::NotTaxed
    );
}

#[test]
fn a_business_with_a_vat_number_gets_reverse_charge_where_the_rule_allows_it() {
    let rules = TaxRules::new(vec![rule(Some("FR"), "20", true)]).unwrap();
    for kind in [ClientKind::Company, ClientKind::SoleProprietor] {
        assert_eq!(
            rules.treatment_for(&customer("FR", kind, Some("FR12345678901"))),
            TaxTreatment::ReverseCharge
        );
    }
}

#[test]
fn reverse_charge_needs_a_business_a_vat_number_and_the_rule() {
    let reverse = TaxRules::new(vec![rule(Some("FR"), "20", true)]).unwrap();
    let domestic = TaxRules::new(vec![rule(Some("FR"), "20", false)]).unwrap();
    assert_eq!(
        reverse.treatment_for(&customer(
            "FR",
            ClientKind::Individual,
            Some("FR12345678901")
        )),
        added("20")
    );
    assert_eq!(
        reverse.treatment_for(&customer("FR", ClientKind::Company, None)),
        added("20")
    );
    assert_eq!(
        domestic.treatment_for(&customer("FR", ClientKind::Company, Some("FR12345678901"))),
        added("20")
    );
}

#[test]
fn only_reverse_charge_carries_a_notice() {
    assert_eq!(
        TaxTreatment::ReverseCharge.notice(),
        Some(REVERSE_CHARGE_NOTICE)
    );
    assert!(REVERSE_CHARGE_NOTICE.contains("Article 196"));
    assert_eq!(TaxTreatment::NotTaxed.notice(), None);
    assert_eq!(added("19").notice(), None);
}

#[test]
fn a_treatment_serializes_with_a_type_tag() {
    assert_eq!(
        serde_json::to_string(&included("7.7")).unwrap(),
        r#"{"type":"standard","rate":"7.7","mode":"included"}"#
    );
    assert_eq!(
        serde_json::to_string(&TaxTreatment::ReverseCharge).unwrap(),
        r#"{"type":"reverse_charge"}"#
    );
    let json = r#"{"type":"not_taxed"}"#;
    assert_eq!(
        serde_json::from_str::<TaxTreatment>(json).unwrap(),
        TaxTreatment::NotTaxed
    );
}

// Pricing one line.

#[test]
fn added_tax_is_computed_on_the_rounded_net() {
    assert_eq!(
        priced(line("3", "9.99"), added("19")),
        strings("29.97", "5.69", "35.66")
    );
}

#[test]
fn included_tax_is_taken_out_of_the_gross() {
    assert_eq!(
        priced(line("1", "10.00"), included("20")),
        strings("8.33", "1.67", "10.00")
    );
    assert_eq!(
        priced(line("1", "119.00"), included("19")),
        strings("100.00", "19.00", "119.00")
    );
}

#[test]
fn a_fractional_quantity_is_rounded_half_away_from_zero() {
    // 1.5 × 0.01 = 0.015, a midpoint: it goes up to 0.02.
    assert_eq!(
        priced(line("1.5", "0.01"), TaxTreatment::NotTaxed),
        strings("0.02", "0.00", "0.02")
    );
    // 0.3333 × 10.00 = 3.333 goes down to 3.33.
    assert_eq!(
        priced(line("0.3333", "10.00"), TaxTreatment::NotTaxed),
        strings("3.33", "0.00", "3.33")
    );
}

#[test]
fn added_tax_on_a_midpoint_goes_up() {
    // 0.50 × 1 % = 0.005 → 0.01; 2.50 × 19 % = 0.475 → 0.48.
    assert_eq!(
        priced(line("1", "0.50"), added("1")),
        strings("0.50", "0.01", "0.51")
    );
    assert_eq!(
        priced(line("1", "2.50"), added("19")),
        strings("2.50", "0.48", "2.98")
    );
}

#[test]
fn included_tax_on_a_midpoint_goes_up() {
    // 1.05 × 100 / 105 = 1.00 exactly; 0.21 × 100 / 105 = 0.2 exactly;
    // 0.01 × 100 / 110 = 0.00909… → 0.01; 0.03 × 100 / 120 = 0.025 → 0.03.
    assert_eq!(
        priced(line("1", "1.05"), included("5")),
        strings("1.00", "0.05", "1.05")
    );
    assert_eq!(
        priced(line("1", "0.01"), included("10")),
        strings("0.01", "0.00", "0.01")
    );
    assert_eq!(
        priced(line("1", "0.03"), included("20")),
        strings("0.03", "0.00", "0.03")
    );
}

#[test]
fn a_fractional_rate_is_applied_exactly() {
    // 100.00 × 7.7 % = 7.70; 33.33 × 2.1234 % = 0.707729… → 0.71.
    assert_eq!(
        priced(line("1", "100.00"), added("7.7")),
        strings("100.00", "7.70", "107.70")
    );
    assert_eq!(
        priced(line("1", "33.33"), added("2.1234")),
        strings("33.33", "0.71", "34.04")
    );
}

#[test]
fn a_discount_is_taken_before_tax() {
    let discounted = line("2", "10.00").with_discount(eur("5.00"));
    assert_eq!(
        priced(discounted, added("19")),
        strings("15.00", "2.85", "17.85")
    );
}

#[test]
fn reverse_charge_and_no_tax_leave_the_amount_untaxed() {
    for treatment in [TaxTreatment::ReverseCharge, TaxTreatment::NotTaxed] {
        let (lines, totals) =
            price_lines(vec![line("3", "9.99")], &treatment, Currency::EUR).unwrap();
        assert_eq!(lines[0].net, eur("29.97"));
        assert_eq!(lines[0].gross, eur("29.97"));
        assert_eq!(lines[0].tax, eur("0"));
        assert_eq!(lines[0].tax_rate, TaxRate::ZERO);
        assert_eq!(totals.by_rate[0].rate, TaxRate::ZERO);
    }
}

#[test]
fn a_currency_without_minor_units_rounds_to_whole_units() {
    let line = LineInput::new("VPS", decimal("1"), jpy("1050"));
    let (lines, _) = price_lines(vec![line], &included("10"), Currency::JPY).unwrap();
    // 1050 × 100 / 110 = 954.5454… → 955.
    assert_eq!(lines[0].net, jpy("955"));
    assert_eq!(lines[0].tax, jpy("95"));
}

#[test]
fn a_priced_line_keeps_its_inputs_trimmed_and_normalised() {
    let input = LineInput::new("  VDS S  ", decimal("2.000"), eur("1.00"));
    let (lines, _) = price_lines(vec![input], &added("19"), Currency::EUR).unwrap();
    assert_eq!(lines[0].description, "VDS S");
    assert_eq!(lines[0].quantity.to_string(), "2");
    assert_eq!(lines[0].tax_rate, rate("19"));
    assert_eq!(lines[0].discount, eur("0"));
}

// Totals.

#[test]
fn totals_are_the_sums_of_the_rounded_lines() {
    // Each line's tax is 0.005 → 0.01; taxing the 1.50 total at once would give 0.02.
    let lines = vec![line("1", "0.50"), line("1", "0.50"), line("1", "0.50")];
    let (lines, totals) = price_lines(lines, &added("1"), Currency::EUR).unwrap();
    assert_eq!(totals.net, eur("1.50"));
    assert_eq!(totals.tax, eur("0.03"));
    assert_eq!(totals.gross, eur("1.53"));
    let sum = |pick: fn(&InvoiceLine) -> Money| {
        lines
            .iter()
            .fold(eur("0"), |sum, line| sum.checked_add(pick(line)).unwrap())
    };
    assert_eq!(sum(|line| line.net), totals.net);
    assert_eq!(sum(|line| line.tax), totals.tax);
    assert_eq!(sum(|line| line.gross), totals.gross);
    assert_eq!(
        totals.by_rate,
        vec![TaxBreakdown {
            rate: rate("1"),
            net: eur("1.50"),
            tax: eur("0.03"),
        }]
    );
}

#[test]
fn included_totals_add_up_line_by_line() {
    let lines = vec![line("1", "10.00"), line("2", "4.99"), line("0.5", "3.33")];
    let (lines, totals) = price_lines(lines, &included("20"), Currency::EUR).unwrap();
    for line in &lines {
        assert_eq!(line.net.checked_add(line.tax).unwrap(), line.gross);
    }
    assert_eq!(totals.gross, eur("21.65"));
    assert_eq!(totals.net.checked_add(totals.tax).unwrap(), totals.gross);
}

// Refused lines.

#[test]
fn an_invoice_needs_1_to_1000_lines() {
    assert_eq!(
        price_lines(vec![], &added("19"), Currency::EUR),
        Err(TaxError::NoLines)
    );
    let many = vec![line("1", "1.00"); 1001];
    assert_eq!(
        price_lines(many, &added("19"), Currency::EUR),
        Err(TaxError::TooManyLines(1001))
    );
    assert!(price_lines(vec![line("1", "1.00"); 1000], &added("19"), Currency::EUR).is_ok());
}

#[test]
fn a_line_needs_a_description() {
    let error = price_lines(
        vec![
            line("1", "1.00"),
            LineInput::new("  ", decimal("1"), eur("1.00")),
        ],
        &added("19"),
        Currency::EUR,
    )
    .unwrap_err();
    assert_eq!(error, TaxError::InvalidDescription { line: 1 });
    assert_eq!(
        error.to_string(),
        "lines[1].description: must be 1 to 500 characters"
    );
}

#[test]
fn a_quantity_must_be_positive_bounded_and_at_most_4_decimals() {
    for bad in ["0", "-1", "0.00001", "1000000.0001", "1000001"] {
        let error = price_lines(vec![line(bad, "1.00")], &added("19"), Currency::EUR);
        assert_eq!(
            error.map_err(|error| error.code()),
            Err("invalid_quantity"),
            "{bad:?} accepted"
        );
    }
    assert!(price_lines(vec![line("1000000", "1.00")], &added("19"), Currency::EUR).is_ok());
    assert!(price_lines(vec![line("0.0001", "1.00")], &added("19"), Currency::EUR).is_ok());
}

#[test]
fn negative_prices_and_discounts_are_refused() {
    assert_eq!(
        price_lines(vec![line("1", "-1.00")], &added("19"), Currency::EUR),
        Err(TaxError::NegativeAmount {
            line: 0,
            field: "unit_price"
        })
    );
    let discounted = line("1", "1.00").with_discount(eur("-0.50"));
    assert_eq!(
        price_lines(vec![discounted], &added("19"), Currency::EUR),
        Err(TaxError::NegativeAmount {
            line: 0,
            field: "discount"
        })
    );
}

#[test]
fn a_discount_above_the_line_amount_is_refused() {
    let discounted = line("3", "1.00").with_discount(eur("3.01"));
    let error = price_lines(vec![discounted], &added("19"), Currency::EUR).unwrap_err();
    assert_eq!(
        error,
        TaxError::DiscountExceedsAmount {
            line: 0,
            discount: eur("3.01"),
            amount: eur("3.00"),
        }
    );
    assert_eq!(error.code(), "discount_exceeds_amount");
    let whole = line("3", "1.00").with_discount(eur("3.00"));
    let (lines, _) = price_lines(vec![whole], &added("19"), Currency::EUR).unwrap();
    assert!(lines[0].gross.is_zero());
}

#[test]
fn every_amount_must_be_in_the_invoice_currency() {
    assert_eq!(
        price_lines(vec![line("1", "1.00")], &added("19"), Currency::USD),
        Err(TaxError::CurrencyMismatch {
            line: 0,
            field: "unit_price",
            expected: Currency::USD,
            found: Currency::EUR,
        })
    );
    let input = LineInput::new("VPS", decimal("1"), jpy("100")).with_discount(eur("0"));
    assert_eq!(
        price_lines(vec![input], &added("19"), Currency::JPY).map_err(|error| error.code()),
        Err("currency_mismatch")
    );
}

#[test]
fn amounts_out_of_range_are_refused() {
    let huge = line("1000000", "999999999999.99");
    assert_eq!(
        price_lines(vec![huge], &added("19"), Currency::EUR),
        Err(TaxError::Money(MoneyError::Overflow))
    );
    let big = line("1", "999999999999999.99");
    assert_eq!(
        price_lines(vec![big.clone(), big], &added("0"), Currency::EUR),
        Err(TaxError::Money(MoneyError::Overflow))
    );
}

#[test]
fn a_line_without_a_discount_deserializes_with_a_zero_one() {
    let json =
        r#"{"description":"VPS","quantity":"2","unit_price":{"amount":"5.00","currency":"EUR"}}"#;
    let line: LineInput = serde_json::from_str(json).unwrap();
    assert_eq!(line.discount, eur("0"));
    assert_eq!(line.quantity, decimal("2"));
}

#[test]
fn one_amount_is_taxed_like_an_invoice_line() {
    // 8.00 + 19 % = 8.00 + 1.52 = 9.52.
    let taxed = tax_amount(eur("8.00"), &added("19")).unwrap();
    assert_eq!(
        (taxed.net, taxed.tax, taxed.gross),
        (eur("8.00"), eur("1.52"), eur("9.52"))
    );
    // 9.52 with 19 % included: 9.52 / 1.19 = 8.00, tax 1.52.
    let taxed = tax_amount(eur("9.52"), &included("19")).unwrap();
    assert_eq!(
        (taxed.net, taxed.tax, taxed.gross),
        (eur("8.00"), eur("1.52"), eur("9.52"))
    );
    let taxed = tax_amount(eur("8.00"), &TaxTreatment::ReverseCharge).unwrap();
    assert_eq!(
        (taxed.net, taxed.tax, taxed.gross),
        (eur("8.00"), eur("0.00"), eur("8.00"))
    );
    assert_eq!(taxed.rate, TaxRate::ZERO);
}

#[test]
fn a_gross_amount_with_added_tax_splits_back_into_its_net_and_tax() {
    // Every net from 0.01 to 20.00 at 19 %, 7.7 % and 21 %: net + round(net × rate) split
    // at the rate gives back the same net and tax, so a void gives back exactly the tax.
    for rate in ["19", "7.7", "21"] {
        for cents in 1..=2000 {
            let net = Money::from_decimal(Decimal::new(cents, 2), Currency::EUR).unwrap();
            let charged = tax_amount(net, &added(rate)).unwrap();
            let split = tax_included(charged.gross, TaxRate::parse(rate).unwrap()).unwrap();
            assert_eq!(split, charged, "{net} at {rate} %");
        }
    }
}

#[test]
fn recorded_lines_are_copied_and_summed_without_rounding_again() {
    let line = |net: &str, tax: &str, gross: &str| RecordedLine {
        description: " VDS S ".to_string(),
        amounts: TaxedAmount {
            rate: rate("19"),
            net: eur(net),
            tax: eur(tax),
            gross: eur(gross),
        },
    };
    // 9.52 − 7.74 = 1.78 gross; 8.00 − 6.50 = 1.50 net; 1.52 − 1.24 = 0.28 tax.
    let (lines, totals) = recorded_lines(
        vec![
            line("8.00", "1.52", "9.52"),
            line("-6.50", "-1.24", "-7.74"),
        ],
        Currency::EUR,
    )
    .unwrap();
    assert_eq!(lines[0].description, "VDS S");
    assert_eq!(lines[1].unit_price, eur("-6.50"));
    assert_eq!(
        (totals.net, totals.tax, totals.gross),
        (eur("1.50"), eur("0.28"), eur("1.78"))
    );
    assert_eq!(
        recorded_lines(vec![line("8.00", "1.52", "9.50")], Currency::EUR),
        Err(TaxError::LineDoesNotAddUp { line: 0 })
    );
    assert_eq!(
        recorded_lines(vec![], Currency::EUR),
        Err(TaxError::NoLines)
    );
}
