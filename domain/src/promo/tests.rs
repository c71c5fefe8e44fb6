use chrono::NaiveDate;
use cqrs_es::DomainEvent;
use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;
use crate::money::{Currency, MoneyError};

type PromoTester = TestFramework<PromoCode>;

fn provider_id() -> ProviderId {
    ProviderId::from_uuid(Uuid::from_u128(0x10))
}

fn tariff_id() -> TariffId {
    TariffId::from_uuid(Uuid::from_u128(0x60))
}

fn other_tariff_id() -> TariffId {
    TariffId::from_uuid(Uuid::from_u128(0x61))
}

fn service_id(n: u128) -> ServiceId {
    ServiceId::from_uuid(Uuid::from_u128(0x50 + n))
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn eur(amount: &str) -> Money {
    Money::parse(amount, Currency::EUR).unwrap()
}

fn usd(amount: &str) -> Money {
    Money::parse(amount, Currency::USD).unwrap()
}

fn jpy(amount: &str) -> Money {
    Money::parse(amount, Currency::JPY).unwrap()
}

fn code() -> PromoCodeText {
    PromoCodeText::parse("SPRING25").unwrap()
}

fn percent(text: &str) -> Discount {
    Discount::Percent {
        percent: text.parse().unwrap(),
    }
}

fn fixed(amount: Money) -> Discount {
    Discount::Fixed { amount }
}

/// A 25 % code for the VDS tariff, monthly, valid in March 2025, for at most two services.
fn create() -> PromoCommand {
    PromoCommand::CreatePromoCode {
        provider_id: provider_id(),
        code: code(),
        discount: percent("25"),
        tariffs: vec![tariff_id()],
        item_types: vec![ItemType::Vds],
        periods: vec![BillingPeriod::Month],
        valid_from: Some(date("2025-03-01")),
        valid_until: Some(date("2025-03-31")),
        max_uses: Some(2),
        recurring: false,
    }
}

fn created() -> PromoEvent {
    PromoEvent::PromoCodeCreated {
        promo_code_id: PromoCodeId::of(provider_id(), "SPRING25"),
        provider_id: provider_id(),
        code: code(),
        discount: percent("25"),
        tariffs: vec![tariff_id()],
        item_types: vec![ItemType::Vds],
        periods: vec![BillingPeriod::Month],
        valid_from: Some(date("2025-03-01")),
        valid_until: Some(date("2025-03-31")),
        max_uses: Some(2),
        recurring: false,
    }
}

/// A code without any limits, with `discount`.
fn created_unlimited(discount: Discount) -> PromoEvent {
    PromoEvent::PromoCodeCreated {
        promo_code_id: PromoCodeId::of(provider_id(), "SPRING25"),
        provider_id: provider_id(),
        code: code(),
        discount,
        tariffs: vec![],
        item_types: vec![],
        periods: vec![],
        valid_from: None,
        valid_until: None,
        max_uses: None,
        recurring: true,
    }
}

fn create_with(change: impl FnOnce(&mut PromoCommand)) -> PromoCommand {
    let mut command = create();
    change(&mut command);
    command
}

fn redeem(n: u128, on: &str, price: Money) -> PromoCommand {
    PromoCommand::RedeemPromoCode {
        service_id: service_id(n),
        tariff_id: tariff_id(),
        item_type: ItemType::Vds,
        period: BillingPeriod::Month,
        on: date(on),
        price,
    }
}

fn redeemed(n: u128, discount: Money, uses: u32) -> PromoEvent {
    PromoEvent::PromoCodeRedeemed {
        service_id: service_id(n),
        discount,
        uses,
    }
}

fn promo(events: Vec<PromoEvent>) -> PromoCode {
    let mut promo = PromoCode::default();
    for event in events {
        promo.apply(event);
    }
    promo
}

// Creating.

#[test]
fn creating_a_promo_code_records_it_with_its_derived_id() {
    PromoTester::with(())
        .given_no_previous_events()
        .when(create())
        .then_expect_events(vec![created()]);
}

#[test]
fn creating_a_promo_code_twice_is_rejected() {
    PromoTester::with(())
        .given(vec![created()])
        .when(create())
        .then_expect_error(PromoError::AlreadyCreated);
}

#[test]
fn an_invalid_discount_is_rejected() {
    for discount in [
        percent("0"),
        percent("-5"),
        percent("100.01"),
        percent("12.345"),
        fixed(eur("0")),
        fixed(eur("-1")),
    ] {
        PromoTester::with(())
            .given_no_previous_events()
            .when(create_with(|command| {
                if let PromoCommand::CreatePromoCode { discount: d, .. } = command {
                    *d = discount.clone();
                }
            }))
            .then_expect_error(PromoError::InvalidDiscount);
    }
}

#[test]
fn a_validity_ending_before_it_starts_is_rejected() {
    PromoTester::with(())
        .given_no_previous_events()
        .when(create_with(|command| {
            if let PromoCommand::CreatePromoCode { valid_until, .. } = command {
                *valid_until = Some(date("2025-02-28"));
            }
        }))
        .then_expect_error(PromoError::InvalidValidity);
}

#[test]
fn a_one_day_validity_is_allowed() {
    let command = create_with(|command| {
        if let PromoCommand::CreatePromoCode { valid_until, .. } = command {
            *valid_until = Some(date("2025-03-01"));
        }
    });
    assert!(PromoCode::default().decide(command).is_ok());
}

#[test]
fn zero_max_uses_is_rejected() {
    PromoTester::with(())
        .given_no_previous_events()
        .when(create_with(|command| {
            if let PromoCommand::CreatePromoCode { max_uses, .. } = command {
                *max_uses = Some(0);
            }
        }))
        .then_expect_error(PromoError::InvalidMaxUses);
}

#[test]
fn a_limit_listing_an_entry_twice_is_rejected() {
    PromoTester::with(())
        .given_no_previous_events()
        .when(create_with(|command| {
            if let PromoCommand::CreatePromoCode { periods, .. } = command {
                periods.push(BillingPeriod::Month);
            }
        }))
        .then_expect_error(PromoError::DuplicateLimit { field: "periods" });
    PromoTester::with(())
        .given_no_previous_events()
        .when(create_with(|command| {
            if let PromoCommand::CreatePromoCode { tariffs, .. } = command {
                tariffs.push(tariff_id());
            }
        }))
        .then_expect_error(PromoError::DuplicateLimit { field: "tariffs" });
}

#[test]
fn more_than_200_tariffs_are_rejected() {
    PromoTester::with(())
        .given_no_previous_events()
        .when(create_with(|command| {
            if let PromoCommand::CreatePromoCode { tariffs, .. } = command {
                *tariffs = (0..=200)
                    .map(|n| TariffId::from_uuid(Uuid::from_u128(0x1000 + n)))
                    .collect();
            }
        }))
        .then_expect_error(PromoError::TooManyLimits {
            field: "tariffs",
            max: 200,
        });
}

// Redeeming.

#[test]
fn redeeming_records_the_discount_and_the_uses() {
    PromoTester::with(())
        .given(vec![created()])
        .when(redeem(1, "2025-03-15", eur("9.99")))
        .then_expect_events(vec![redeemed(1, eur("2.50"), 1)]);
}

#[test]
fn a_second_service_counts_a_second_use() {
    PromoTester::with(())
        .given(vec![created(), redeemed(1, eur("2.50"), 1)])
        .when(redeem(2, "2025-03-15", eur("20.00")))
        .then_expect_events(vec![redeemed(2, eur("5.00"), 2)]);
}

#[test]
fn redeeming_again_for_the_same_service_records_nothing() {
    PromoTester::with(())
        .given(vec![created(), redeemed(1, eur("2.50"), 1)])
        .when(redeem(1, "2025-03-20", eur("9.99")))
        .then_expect_events(vec![]);
}

#[test]
fn a_repeat_is_recognised_even_after_the_code_is_used_up_and_disabled() {
    PromoTester::with(())
        .given(vec![
            created(),
            redeemed(1, eur("2.50"), 1),
            redeemed(2, eur("2.50"), 2),
            PromoEvent::PromoCodeDisabled,
        ])
        .when(redeem(1, "2025-04-20", eur("9.99")))
        .then_expect_events(vec![]);
}

#[test]
fn redeeming_an_uncreated_code_is_rejected() {
    PromoTester::with(())
        .given_no_previous_events()
        .when(redeem(1, "2025-03-15", eur("9.99")))
        .then_expect_error(PromoError::NotFound);
}

#[test]
fn redeeming_a_disabled_code_is_rejected() {
    PromoTester::with(())
        .given(vec![created(), PromoEvent::PromoCodeDisabled])
        .when(redeem(1, "2025-03-15", eur("9.99")))
        .then_expect_error(PromoError::Disabled);
}

#[test]
fn redeeming_before_the_first_valid_day_is_rejected() {
    PromoTester::with(())
        .given(vec![created()])
        .when(redeem(1, "2025-02-28", eur("9.99")))
        .then_expect_error(PromoError::NotYetValid {
            valid_from: date("2025-03-01"),
        });
}

#[test]
fn redeeming_after_the_last_valid_day_is_rejected() {
    PromoTester::with(())
        .given(vec![created()])
        .when(redeem(1, "2025-04-01", eur("9.99")))
        .then_expect_error(PromoError::Expired {
            valid_until: date("2025-03-31"),
        });
}

#[test]
fn the_first_and_last_valid_days_are_included() {
    for on in ["2025-03-01", "2025-03-31"] {
        PromoTester::with(())
            .given(vec![created()])
            .when(redeem(1, on, eur("10")))
            .then_expect_events(vec![redeemed(1, eur("2.50"), 1)]);
    }
}

#[test]
fn redeeming_for_another_tariff_item_type_or_period_is_not_applicable() {
    let cases = [
        (
            other_tariff_id(),
            ItemType::Vds,
            BillingPeriod::Month,
            "tariff_id",
        ),
        (
            tariff_id(),
            ItemType::Domain,
            BillingPeriod::Month,
            "item_type",
        ),
        (tariff_id(), ItemType::Vds, BillingPeriod::Year, "period"),
    ];
    for (tariff_id, item_type, period, field) in cases {
        PromoTester::with(())
            .given(vec![created()])
            .when(PromoCommand::RedeemPromoCode {
                service_id: service_id(1),
                tariff_id,
                item_type,
                period,
                on: date("2025-03-15"),
                price: eur("10"),
            })
            .then_expect_error(PromoError::NotApplicable { field });
    }
}

#[test]
fn a_code_without_limits_applies_to_anything_at_any_time() {
    PromoTester::with(())
        .given(vec![created_unlimited(percent("10"))])
        .when(PromoCommand::RedeemPromoCode {
            service_id: service_id(1),
            tariff_id: other_tariff_id(),
            item_type: ItemType::Domain,
            period: BillingPeriod::Year,
            on: date("2031-12-31"),
            price: eur("15.00"),
        })
        .then_expect_events(vec![redeemed(1, eur("1.50"), 1)]);
}

#[test]
fn redeeming_a_used_up_code_is_rejected() {
    PromoTester::with(())
        .given(vec![
            created(),
            redeemed(1, eur("2.50"), 1),
            redeemed(2, eur("2.50"), 2),
        ])
        .when(redeem(3, "2025-03-15", eur("10")))
        .then_expect_error(PromoError::Exhausted);
}

#[test]
fn a_fixed_discount_in_another_currency_than_the_price_is_rejected() {
    PromoTester::with(())
        .given(vec![created_unlimited(fixed(eur("5")))])
        .when(redeem(1, "2025-03-15", usd("10")))
        .then_expect_error(PromoError::CurrencyMismatch {
            expected: Currency::USD,
            found: Currency::EUR,
        });
}

#[test]
fn redeeming_against_a_negative_price_is_rejected() {
    PromoTester::with(())
        .given(vec![created_unlimited(percent("10"))])
        .when(redeem(1, "2025-03-15", eur("-10")))
        .then_expect_error(PromoError::NegativePrice);
}

// Disabling.

#[test]
fn disabling_a_code_records_it() {
    PromoTester::with(())
        .given(vec![created()])
        .when(PromoCommand::DisablePromoCode)
        .then_expect_events(vec![PromoEvent::PromoCodeDisabled]);
}

#[test]
fn disabling_a_disabled_code_records_nothing() {
    PromoTester::with(())
        .given(vec![created(), PromoEvent::PromoCodeDisabled])
        .when(PromoCommand::DisablePromoCode)
        .then_expect_events(vec![]);
}

#[test]
fn disabling_an_uncreated_code_is_rejected() {
    PromoTester::with(())
        .given_no_previous_events()
        .when(PromoCommand::DisablePromoCode)
        .then_expect_error(PromoError::NotFound);
}

// Discounts.

#[test]
fn a_percent_discount_rounds_half_away_from_zero() {
    // 12.5 % of 9.99 is 1.24875; 25 % of 0.10 is 0.025; 50 % of 1 JPY is 0.5.
    assert_eq!(percent("12.5").of(eur("9.99")), Ok(eur("1.25")));
    assert_eq!(percent("25").of(eur("0.10")), Ok(eur("0.03")));
    assert_eq!(percent("50").of(jpy("1")), Ok(jpy("1")));
    assert_eq!(percent("33.33").of(eur("100")), Ok(eur("33.33")));
}

#[test]
fn a_full_percent_discount_is_the_whole_price() {
    assert_eq!(percent("100").of(eur("12.34")), Ok(eur("12.34")));
    assert_eq!(percent("100.00").of(eur("12.34")), Ok(eur("12.34")));
}

#[test]
fn a_fixed_discount_never_exceeds_the_price() {
    assert_eq!(fixed(eur("5")).of(eur("12.34")), Ok(eur("5.00")));
    assert_eq!(fixed(eur("50")).of(eur("12.34")), Ok(eur("12.34")));
}

#[test]
fn a_free_price_gets_no_discount() {
    assert_eq!(percent("10").of(eur("0")), Ok(eur("0")));
    assert_eq!(fixed(eur("5")).of(eur("0")), Ok(eur("0")));
}

#[test]
fn an_invalid_discount_computes_nothing() {
    assert_eq!(
        percent("150").of(eur("10")),
        Err(PromoError::InvalidDiscount)
    );
    assert_eq!(
        fixed(eur("0")).of(eur("10")),
        Err(PromoError::InvalidDiscount)
    );
}

#[test]
fn a_discount_has_a_tagged_json_shape() {
    let percent_json = serde_json::to_value(percent("12.5")).unwrap();
    assert_eq!(
        percent_json,
        serde_json::json!({"kind": "percent", "percent": "12.5"})
    );
    assert_eq!(
        serde_json::from_value::<Discount>(percent_json).unwrap(),
        percent("12.5")
    );
    let fixed_json = serde_json::to_value(fixed(eur("5"))).unwrap();
    assert_eq!(
        fixed_json,
        serde_json::json!({"kind": "fixed", "amount": {"amount": "5.00", "currency": "EUR"}})
    );
    assert_eq!(
        serde_json::from_value::<Discount>(fixed_json).unwrap(),
        fixed(eur("5"))
    );
}

#[test]
fn an_invalid_discount_does_not_deserialize() {
    for json in [
        serde_json::json!({"kind": "percent", "percent": "0"}),
        serde_json::json!({"kind": "percent", "percent": "101"}),
        serde_json::json!({"kind": "fixed", "amount": {"amount": "0", "currency": "EUR"}}),
        serde_json::json!({"kind": "free"}),
    ] {
        assert!(
            serde_json::from_value::<Discount>(json.clone()).is_err(),
            "{json}"
        );
    }
}

// Codes.

#[test]
fn promo_codes_are_uppercase_machine_names() {
    for text in ["ABC", "SPRING25", "BLACK-FRIDAY_2025", &"X".repeat(32)] {
        assert_eq!(PromoCodeText::parse(text).unwrap().as_str(), text);
    }
    for text in [
        "AB",
        "spring25",
        "Spring25",
        "SPRING 25",
        " ABC",
        "ÄBC",
        &"X".repeat(33),
    ] {
        assert_eq!(
            PromoCodeText::parse(text),
            Err(PromoError::InvalidCode(text.to_string())),
            "{text:?}"
        );
    }
}

#[test]
fn a_promo_code_serializes_as_a_validated_string() {
    assert_eq!(serde_json::to_string(&code()).unwrap(), r#""SPRING25""#);
    assert_eq!(
        serde_json::from_str::<PromoCodeText>(r#""SPRING25""#).unwrap(),
        code()
    );
    assert!(serde_json::from_str::<PromoCodeText>(r#""spring25""#).is_err());
}

// State and queries.

#[test]
fn a_created_code_exposes_its_terms() {
    let promo = promo(vec![created(), redeemed(1, eur("2.50"), 1)]);
    assert!(promo.is_created());
    assert_eq!(
        promo.promo_code_id(),
        Some(PromoCodeId::of(provider_id(), "SPRING25"))
    );
    assert_eq!(promo.provider_id(), Some(provider_id()));
    assert_eq!(promo.code(), Some(&code()));
    assert_eq!(promo.discount(), Some(&percent("25")));
    assert_eq!(promo.recurring(), Some(false));
    assert_eq!(promo.uses(), 1);
    assert_eq!(promo.max_uses(), Some(2));
    assert!(!promo.is_disabled());
    assert!(promo.is_redeemed_by(service_id(1)));
    assert!(!promo.is_redeemed_by(service_id(2)));
    assert_eq!(
        promo.limits(),
        Some(&PromoLimits {
            tariffs: vec![tariff_id()],
            item_types: vec![ItemType::Vds],
            periods: vec![BillingPeriod::Month],
            valid_from: Some(date("2025-03-01")),
            valid_until: Some(date("2025-03-31")),
        })
    );
}

#[test]
fn an_uncreated_code_exposes_nothing() {
    let promo = PromoCode::default();
    assert!(!promo.is_created());
    assert_eq!(promo.code(), None);
    assert_eq!(promo.uses(), 0);
    assert_eq!(promo.max_uses(), None);
    assert!(!promo.is_disabled());
    assert_eq!(promo.limits(), None);
}

#[test]
fn a_disabled_code_says_so() {
    assert!(promo(vec![created(), PromoEvent::PromoCodeDisabled]).is_disabled());
}

#[test]
fn a_quote_checks_the_rules_without_recording_anything() {
    let promo = promo(vec![created()]);
    let quote = |on: &str| {
        promo.quote(
            tariff_id(),
            ItemType::Vds,
            BillingPeriod::Month,
            date(on),
            eur("10"),
        )
    };
    assert_eq!(quote("2025-03-15"), Ok(eur("2.50")));
    assert_eq!(quote("2025-03-15"), Ok(eur("2.50")));
    assert_eq!(
        quote("2025-04-01"),
        Err(PromoError::Expired {
            valid_until: date("2025-03-31")
        })
    );
    assert_eq!(promo.uses(), 0);
}

#[test]
fn the_promo_state_round_trips_through_json() {
    let promo = promo(vec![created(), redeemed(1, eur("2.50"), 1)]);
    let json = serde_json::to_string(&promo).unwrap();
    assert_eq!(serde_json::from_str::<PromoCode>(&json).unwrap(), promo);
}

// Events and errors.

#[test]
fn a_created_event_has_a_stable_json_shape() {
    let json = serde_json::to_value(created()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"PromoCodeCreated": {
            "promo_code_id": PromoCodeId::of(provider_id(), "SPRING25").to_string(),
            "provider_id": "00000000-0000-0000-0000-000000000010",
            "code": "SPRING25",
            "discount": {"kind": "percent", "percent": "25"},
            "tariffs": ["00000000-0000-0000-0000-000000000060"],
            "item_types": ["vds"],
            "periods": ["P1M"],
            "valid_from": "2025-03-01",
            "valid_until": "2025-03-31",
            "max_uses": 2,
            "recurring": false,
        }})
    );
    assert_eq!(
        serde_json::from_value::<PromoEvent>(json).unwrap(),
        created()
    );
}

#[test]
fn a_redeemed_event_has_a_stable_json_shape() {
    let event = redeemed(1, eur("2.50"), 1);
    let json = serde_json::to_value(&event).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"PromoCodeRedeemed": {
            "service_id": "00000000-0000-0000-0000-000000000051",
            "discount": {"amount": "2.50", "currency": "EUR"},
            "uses": 1,
        }})
    );
    assert_eq!(serde_json::from_value::<PromoEvent>(json).unwrap(), event);
}

#[test]
fn promo_events_have_literal_names_and_version_one() {
    let cases = [
        (created(), "PromoCodeCreated"),
        (redeemed(1, eur("1"), 1), "PromoCodeRedeemed"),
        (PromoEvent::PromoCodeDisabled, "PromoCodeDisabled"),
    ];
    for (event, name) in cases {
        assert_eq!(event.event_type(), name);
        assert_eq!(event.event_version(), "1.0");
    }
    assert_eq!(PromoCode::TYPE, "PromoCode");
}

#[test]
fn promo_error_codes_are_stable() {
    let on = date("2025-03-01");
    let field = "period";
    let cases = [
        (PromoError::AlreadyCreated, "promo_code_exists"),
        (PromoError::NotFound, "promo_code_not_found"),
        (PromoError::Disabled, "promo_code_disabled"),
        (
            PromoError::NotYetValid { valid_from: on },
            "promo_code_not_yet_valid",
        ),
        (
            PromoError::Expired { valid_until: on },
            "promo_code_expired",
        ),
        (
            PromoError::NotApplicable { field },
            "promo_code_not_applicable",
        ),
        (PromoError::Exhausted, "promo_code_exhausted"),
        (
            PromoError::CurrencyMismatch {
                expected: Currency::EUR,
                found: Currency::USD,
            },
            "promo_currency_mismatch",
        ),
        (PromoError::InvalidCode(String::new()), "invalid_promo_code"),
        (PromoError::InvalidDiscount, "invalid_discount"),
        (PromoError::InvalidValidity, "invalid_validity"),
        (PromoError::InvalidMaxUses, "invalid_max_uses"),
        (PromoError::DuplicateLimit { field }, "duplicate_limit"),
        (
            PromoError::TooManyLimits { field, max: 1 },
            "too_many_limits",
        ),
        (PromoError::NegativePrice, "negative_price"),
        (
            PromoError::Money(MoneyError::Overflow),
            "amount_out_of_range",
        ),
    ];
    for (error, code) in cases {
        assert_eq!(error.code(), code);
    }
}

#[test]
fn promo_error_messages_name_the_field() {
    assert_eq!(
        PromoError::NotApplicable { field: "tariff_id" }.to_string(),
        "tariff_id: promo code does not apply"
    );
    assert_eq!(
        PromoError::InvalidMaxUses.to_string(),
        "max_uses: must be at least 1"
    );
    assert_eq!(
        PromoError::Expired {
            valid_until: date("2025-03-31")
        }
        .to_string(),
        "on: promo code expired after 2025-03-31"
    );
}
