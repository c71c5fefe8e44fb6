//! Given/when/then tests of the Tariff aggregate, one rule per test. Kept in one file, however
//! long, because they share one set of small fixtures and are read by searching for a rule.

use cqrs_es::DomainEvent;
use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;
use crate::money::MoneyError;

type TariffTester = TestFramework<Tariff>;

fn tariff_id() -> TariffId {
    TariffId::from_uuid(Uuid::from_u128(0x60))
}

fn provider_id() -> ProviderId {
    ProviderId::from_uuid(Uuid::from_u128(0x10))
}

fn eur(amount: &str) -> Money {
    Money::parse(amount, Currency::EUR).unwrap()
}

fn usd(amount: &str) -> Money {
    Money::parse(amount, Currency::USD).unwrap()
}

fn code(text: &str) -> AddonCode {
    AddonCode::parse(text).unwrap()
}

fn monthly(price: Money) -> PeriodPrice {
    PeriodPrice {
        period: BillingPeriod::Month,
        price,
    }
}

fn yearly(price: Money) -> PeriodPrice {
    PeriodPrice {
        period: BillingPeriod::Year,
        price,
    }
}

fn ram() -> AddonSpec {
    AddonSpec {
        code: code("ram_gb"),
        name: "RAM".to_string(),
        kind: AddonKind::Quantity {
            unit: "GB".to_string(),
            min: 1,
            max: 64,
            prices: vec![monthly(eur("2.00")), yearly(eur("20.00"))],
        },
    }
}

fn ips() -> AddonSpec {
    AddonSpec {
        code: code("ipv4"),
        name: "IPv4 addresses".to_string(),
        kind: AddonKind::Quantity {
            unit: "address".to_string(),
            min: 0,
            max: 8,
            prices: vec![monthly(eur("1.50"))],
        },
    }
}

fn backup() -> AddonSpec {
    AddonSpec {
        code: code("backup"),
        name: "Daily backup".to_string(),
        kind: AddonKind::Toggle {
            prices: vec![monthly(eur("3.00"))],
        },
    }
}

fn os() -> AddonSpec {
    AddonSpec {
        code: code("os"),
        name: "Operating system".to_string(),
        kind: AddonKind::Choice {
            options: vec![
                ChoiceOption {
                    code: code("ubuntu"),
                    name: "Ubuntu 24.04".to_string(),
                    prices: vec![monthly(eur("0.00")), yearly(eur("0.00"))],
                },
                ChoiceOption {
                    code: code("windows"),
                    name: "Windows Server".to_string(),
                    prices: vec![monthly(eur("15.00"))],
                },
            ],
        },
    }
}

fn create_with(
    name: &str,
    prices: Vec<PeriodPrice>,
    setup_fees: Vec<Money>,
    addons: Vec<AddonSpec>,
) -> TariffCommand {
    TariffCommand::CreateTariff {
        tariff_id: tariff_id(),
        provider_id: provider_id(),
        name: name.to_string(),
        item_type: ItemType::Vds,
        prices,
        setup_fees,
        addons,
    }
}

fn prices() -> Vec<PeriodPrice> {
    vec![
        monthly(eur("10.00")),
        yearly(eur("100.00")),
        monthly(usd("12.00")),
    ]
}

fn addons() -> Vec<AddonSpec> {
    vec![ram(), ips(), backup(), os()]
}

fn create() -> TariffCommand {
    create_with("VDS S", prices(), vec![eur("5.00")], addons())
}

fn created_with_addons(addons: Vec<AddonSpec>) -> TariffEvent {
    TariffEvent::TariffCreated {
        tariff_id: tariff_id(),
        provider_id: provider_id(),
        name: "VDS S".to_string(),
        item_type: ItemType::Vds,
        prices: prices(),
        setup_fees: vec![eur("5.00")],
        addons,
        source: None,
    }
}

fn created() -> TariffEvent {
    created_with_addons(addons())
}

fn tariff(events: Vec<TariffEvent>) -> Tariff {
    let mut tariff = Tariff::default();
    for event in events {
        tariff.apply(event);
    }
    tariff
}

fn order(
    period: BillingPeriod,
    currency: Currency,
    addons: &[(&str, AddonValue)],
) -> OrderSelection {
    OrderSelection {
        period,
        currency,
        addons: addons
            .iter()
            .map(|(code, value)| AddonSelection {
                code: (*code).to_string(),
                value: value.clone(),
            })
            .collect(),
    }
}

fn monthly_eur(addons: &[(&str, AddonValue)]) -> OrderSelection {
    order(BillingPeriod::Month, Currency::EUR, addons)
}

fn quote(selection: &OrderSelection) -> Result<ServiceTerms, TariffError> {
    tariff(vec![created()]).quote(selection)
}

fn invalid_addon(addon: AddonSpec) {
    let expected = TariffError::InvalidAddon(addon.code.to_string());
    TariffTester::with(())
        .given_no_previous_events()
        .when(create_with("VDS S", prices(), vec![], vec![addon]))
        .then_expect_error(expected);
}

// Creating.

#[test]
fn creating_a_tariff_records_it_with_a_trimmed_name() {
    TariffTester::with(())
        .given_no_previous_events()
        .when(create_with(
            "  VDS S \t",
            prices(),
            vec![eur("5.00")],
            addons(),
        ))
        .then_expect_events(vec![created()]);
}

#[test]
fn creating_a_tariff_twice_is_rejected() {
    TariffTester::with(())
        .given(vec![created()])
        .when(create())
        .then_expect_error(TariffError::AlreadyCreated);
}

#[test]
fn a_blank_tariff_name_is_rejected() {
    TariffTester::with(())
        .given_no_previous_events()
        .when(create_with("  ", prices(), vec![], vec![]))
        .then_expect_error(TariffError::InvalidName);
}

#[test]
fn a_tariff_name_over_200_characters_is_rejected() {
    TariffTester::with(())
        .given_no_previous_events()
        .when(create_with(&"n".repeat(201), prices(), vec![], vec![]))
        .then_expect_error(TariffError::InvalidName);
}

#[test]
fn a_tariff_without_prices_is_rejected() {
    TariffTester::with(())
        .given_no_previous_events()
        .when(create_with("VDS S", vec![], vec![], vec![]))
        .then_expect_error(TariffError::NoPrices);
}

#[test]
fn a_negative_price_is_rejected() {
    TariffTester::with(())
        .given_no_previous_events()
        .when(create_with(
            "VDS S",
            vec![monthly(eur("-1"))],
            vec![],
            vec![],
        ))
        .then_expect_error(TariffError::NegativePrice);
}

#[test]
fn a_zero_price_is_allowed() {
    let command = create_with("Free DNS", vec![monthly(eur("0"))], vec![], vec![]);
    let events = Tariff::default().decide(command).unwrap();
    assert_eq!(events.len(), 1);
}

#[test]
fn two_prices_for_the_same_period_and_currency_are_rejected() {
    TariffTester::with(())
        .given_no_previous_events()
        .when(create_with(
            "VDS S",
            vec![monthly(eur("10")), monthly(usd("12")), monthly(eur("11"))],
            vec![],
            vec![],
        ))
        .then_expect_error(TariffError::DuplicatePrice {
            period: BillingPeriod::Month,
            currency: Currency::EUR,
        });
}

#[test]
fn a_currency_may_be_priced_for_several_periods() {
    let command = create_with(
        "VDS S",
        vec![monthly(eur("10")), yearly(eur("100"))],
        vec![],
        vec![],
    );
    assert!(Tariff::default().decide(command).is_ok());
}

#[test]
fn a_negative_setup_fee_is_rejected() {
    TariffTester::with(())
        .given_no_previous_events()
        .when(create_with("VDS S", prices(), vec![eur("-5")], vec![]))
        .then_expect_error(TariffError::NegativePrice);
}

#[test]
fn two_setup_fees_in_one_currency_are_rejected() {
    TariffTester::with(())
        .given_no_previous_events()
        .when(create_with(
            "VDS S",
            prices(),
            vec![eur("5"), usd("6"), eur("7")],
            vec![],
        ))
        .then_expect_error(TariffError::DuplicateSetupFee(Currency::EUR));
}

#[test]
fn two_addons_with_the_same_code_are_rejected() {
    TariffTester::with(())
        .given_no_previous_events()
        .when(create_with("VDS S", prices(), vec![], vec![ram(), ram()]))
        .then_expect_error(TariffError::DuplicateAddon("ram_gb".to_string()));
}

#[test]
fn addon_and_option_names_are_stored_trimmed() {
    let mut spaced = os();
    spaced.name = " Operating system ".to_string();
    if let AddonKind::Choice { options } = &mut spaced.kind {
        options[0].name = "Ubuntu 24.04  ".to_string();
    }
    TariffTester::with(())
        .given_no_previous_events()
        .when(create_with(
            "VDS S",
            prices(),
            vec![eur("5.00")],
            vec![spaced],
        ))
        .then_expect_events(vec![created_with_addons(vec![os()])]);
}

// Add-on rules.

#[test]
fn an_addon_with_a_blank_name_is_invalid() {
    let mut addon = backup();
    addon.name = " ".to_string();
    invalid_addon(addon);
}

#[test]
fn a_quantity_addon_with_min_above_max_is_invalid() {
    let mut addon = ram();
    addon.kind = AddonKind::Quantity {
        unit: "GB".to_string(),
        min: 5,
        max: 4,
        prices: vec![monthly(eur("1"))],
    };
    invalid_addon(addon);
}

#[test]
fn a_quantity_addon_with_max_above_100000_is_invalid() {
    let mut addon = ram();
    addon.kind = AddonKind::Quantity {
        unit: "GB".to_string(),
        min: 0,
        max: 100_001,
        prices: vec![monthly(eur("1"))],
    };
    invalid_addon(addon);
}

#[test]
fn a_quantity_addon_with_a_blank_unit_is_invalid() {
    let mut addon = ram();
    addon.kind = AddonKind::Quantity {
        unit: String::new(),
        min: 0,
        max: 4,
        prices: vec![monthly(eur("1"))],
    };
    invalid_addon(addon);
}

#[test]
fn an_addon_without_prices_is_invalid() {
    let mut addon = backup();
    addon.kind = AddonKind::Toggle { prices: vec![] };
    invalid_addon(addon);
}

#[test]
fn an_addon_with_a_negative_price_is_invalid() {
    let mut addon = backup();
    addon.kind = AddonKind::Toggle {
        prices: vec![monthly(eur("-3"))],
    };
    invalid_addon(addon);
}

#[test]
fn an_addon_pricing_a_period_and_currency_twice_is_invalid() {
    let mut addon = backup();
    addon.kind = AddonKind::Toggle {
        prices: vec![monthly(eur("3")), monthly(eur("4"))],
    };
    invalid_addon(addon);
}

#[test]
fn a_choice_without_options_is_invalid() {
    let mut addon = os();
    addon.kind = AddonKind::Choice { options: vec![] };
    invalid_addon(addon);
}

#[test]
fn a_choice_with_repeated_option_codes_is_invalid() {
    let option = ChoiceOption {
        code: code("ubuntu"),
        name: "Ubuntu".to_string(),
        prices: vec![monthly(eur("0"))],
    };
    let mut addon = os();
    addon.kind = AddonKind::Choice {
        options: vec![option.clone(), option],
    };
    invalid_addon(addon);
}

#[test]
fn a_choice_option_without_prices_is_invalid() {
    let mut addon = os();
    addon.kind = AddonKind::Choice {
        options: vec![ChoiceOption {
            code: code("ubuntu"),
            name: "Ubuntu".to_string(),
            prices: vec![],
        }],
    };
    invalid_addon(addon);
}

#[test]
fn addon_codes_are_short_lowercase_machine_names() {
    for text in ["ram_gb", "os", "ipv4", &"c".repeat(32)] {
        assert_eq!(AddonCode::parse(text).unwrap().as_str(), text);
    }
    for text in ["", "RAM", "ram-gb", "ram gb", &"c".repeat(33)] {
        assert_eq!(
            AddonCode::parse(text),
            Err(TariffError::InvalidAddon(text.to_string()))
        );
    }
}

#[test]
fn an_addon_code_deserializes_only_when_valid() {
    assert_eq!(
        serde_json::from_str::<AddonCode>(r#""ram_gb""#).unwrap(),
        code("ram_gb")
    );
    assert!(serde_json::from_str::<AddonCode>(r#""Ram""#).is_err());
}

// Changing.

#[test]
fn setting_a_price_for_a_new_period_adds_it() {
    let price = monthly(Money::parse("1500", Currency::JPY).unwrap());
    TariffTester::with(())
        .given(vec![created()])
        .when(TariffCommand::SetPrice {
            price: price.clone(),
        })
        .then_expect_events(vec![TariffEvent::PriceSet { price }]);
}

#[test]
fn setting_a_price_replaces_the_one_for_the_same_period_and_currency() {
    let tariff = tariff(vec![
        created(),
        TariffEvent::PriceSet {
            price: monthly(eur("11.00")),
        },
    ]);
    assert_eq!(
        tariff.prices(),
        [
            monthly(eur("11.00")),
            yearly(eur("100.00")),
            monthly(usd("12.00"))
        ]
    );
}

#[test]
fn setting_a_negative_price_is_rejected() {
    TariffTester::with(())
        .given(vec![created()])
        .when(TariffCommand::SetPrice {
            price: monthly(eur("-0.01")),
        })
        .then_expect_error(TariffError::NegativePrice);
}

#[test]
fn setting_a_price_on_an_archived_tariff_is_rejected() {
    TariffTester::with(())
        .given(vec![created(), TariffEvent::TariffArchived])
        .when(TariffCommand::SetPrice {
            price: monthly(eur("1")),
        })
        .then_expect_error(TariffError::Archived);
}

#[test]
fn setting_a_price_on_an_uncreated_tariff_is_rejected() {
    TariffTester::with(())
        .given_no_previous_events()
        .when(TariffCommand::SetPrice {
            price: monthly(eur("1")),
        })
        .then_expect_error(TariffError::NotCreated);
}

#[test]
fn setting_a_setup_fee_records_it() {
    TariffTester::with(())
        .given(vec![created()])
        .when(TariffCommand::SetSetupFee { fee: usd("7.00") })
        .then_expect_events(vec![TariffEvent::SetupFeeSet { fee: usd("7.00") }]);
}

#[test]
fn setting_a_setup_fee_replaces_the_one_in_the_same_currency() {
    let tariff = tariff(vec![
        created(),
        TariffEvent::SetupFeeSet { fee: eur("9.00") },
        TariffEvent::SetupFeeSet { fee: usd("7.00") },
    ]);
    assert_eq!(tariff.setup_fees(), [eur("9.00"), usd("7.00")]);
}

#[test]
fn setting_a_negative_setup_fee_is_rejected() {
    TariffTester::with(())
        .given(vec![created()])
        .when(TariffCommand::SetSetupFee { fee: eur("-1") })
        .then_expect_error(TariffError::NegativePrice);
}

#[test]
fn setting_a_setup_fee_on_an_archived_tariff_is_rejected() {
    TariffTester::with(())
        .given(vec![created(), TariffEvent::TariffArchived])
        .when(TariffCommand::SetSetupFee { fee: eur("1") })
        .then_expect_error(TariffError::Archived);
}

#[test]
fn setting_a_setup_fee_on_an_uncreated_tariff_is_rejected() {
    TariffTester::with(())
        .given_no_previous_events()
        .when(TariffCommand::SetSetupFee { fee: eur("1") })
        .then_expect_error(TariffError::NotCreated);
}

#[test]
fn adding_an_addon_records_it() {
    TariffTester::with(())
        .given(vec![created_with_addons(vec![ram()])])
        .when(TariffCommand::AddAddon { addon: backup() })
        .then_expect_events(vec![TariffEvent::AddonAdded { addon: backup() }]);
}

#[test]
fn adding_an_addon_with_an_existing_code_is_rejected() {
    TariffTester::with(())
        .given(vec![created()])
        .when(TariffCommand::AddAddon { addon: backup() })
        .then_expect_error(TariffError::DuplicateAddon("backup".to_string()));
}

#[test]
fn adding_an_invalid_addon_is_rejected() {
    let mut addon = backup();
    addon.kind = AddonKind::Toggle { prices: vec![] };
    TariffTester::with(())
        .given(vec![created_with_addons(vec![])])
        .when(TariffCommand::AddAddon { addon })
        .then_expect_error(TariffError::InvalidAddon("backup".to_string()));
}

#[test]
fn adding_an_addon_to_an_archived_tariff_is_rejected() {
    TariffTester::with(())
        .given(vec![
            created_with_addons(vec![]),
            TariffEvent::TariffArchived,
        ])
        .when(TariffCommand::AddAddon { addon: backup() })
        .then_expect_error(TariffError::Archived);
}

#[test]
fn adding_an_addon_to_an_uncreated_tariff_is_rejected() {
    TariffTester::with(())
        .given_no_previous_events()
        .when(TariffCommand::AddAddon { addon: backup() })
        .then_expect_error(TariffError::NotCreated);
}

#[test]
fn archiving_a_tariff_records_it() {
    TariffTester::with(())
        .given(vec![created()])
        .when(TariffCommand::ArchiveTariff)
        .then_expect_events(vec![TariffEvent::TariffArchived]);
}

#[test]
fn archiving_a_tariff_twice_is_rejected() {
    TariffTester::with(())
        .given(vec![created(), TariffEvent::TariffArchived])
        .when(TariffCommand::ArchiveTariff)
        .then_expect_error(TariffError::Archived);
}

#[test]
fn archiving_an_uncreated_tariff_is_rejected() {
    TariffTester::with(())
        .given_no_previous_events()
        .when(TariffCommand::ArchiveTariff)
        .then_expect_error(TariffError::NotCreated);
}

// Quoting.

#[test]
fn a_quote_without_addons_is_the_base_price_plus_minimum_quantities() {
    let terms = quote(&monthly_eur(&[])).unwrap();
    assert_eq!(
        terms,
        ServiceTerms {
            tariff_id: tariff_id(),
            tariff_name: "VDS S".to_string(),
            item_type: ItemType::Vds,
            period: BillingPeriod::Month,
            base_price: eur("10.00"),
            setup_fee: eur("5.00"),
            addons: vec![AddonLine {
                code: "ram_gb".to_string(),
                name: "RAM".to_string(),
                value: AddonValue::Quantity(1),
                price: eur("2.00"),
            }],
            price_per_period: eur("12.00"),
            deletion_delay_days: 7,
            hourly: None,
        }
    );
    assert_eq!(terms.currency(), Currency::EUR);
}

#[test]
fn a_quantity_addon_costs_the_unit_price_times_the_quantity() {
    let terms = quote(&monthly_eur(&[("ram_gb", AddonValue::Quantity(4))])).unwrap();
    assert_eq!(terms.addons[0].value, AddonValue::Quantity(4));
    assert_eq!(terms.addons[0].price, eur("8.00"));
    assert_eq!(terms.price_per_period, eur("18.00"));
}

#[test]
fn a_quantity_of_zero_makes_no_line() {
    let terms = quote(&monthly_eur(&[("ipv4", AddonValue::Quantity(0))])).unwrap();
    assert!(terms.addons.iter().all(|line| line.code != "ipv4"));
}

#[test]
fn a_quantity_outside_its_range_is_rejected() {
    assert_eq!(
        quote(&monthly_eur(&[("ram_gb", AddonValue::Quantity(65))])),
        Err(TariffError::AddonOutOfRange {
            code: "ram_gb".to_string(),
            min: 1,
            max: 64,
            value: 65,
        })
    );
    assert_eq!(
        quote(&monthly_eur(&[("ram_gb", AddonValue::Quantity(0))])),
        Err(TariffError::AddonOutOfRange {
            code: "ram_gb".to_string(),
            min: 1,
            max: 64,
            value: 0,
        })
    );
}

#[test]
fn a_toggle_that_is_on_adds_its_price() {
    let terms = quote(&monthly_eur(&[("backup", AddonValue::Toggle(true))])).unwrap();
    assert_eq!(
        terms.addons[1],
        AddonLine {
            code: "backup".to_string(),
            name: "Daily backup".to_string(),
            value: AddonValue::Toggle(true),
            price: eur("3.00"),
        }
    );
    assert_eq!(terms.price_per_period, eur("15.00"));
}

#[test]
fn a_toggle_that_is_off_makes_no_line() {
    let terms = quote(&monthly_eur(&[("backup", AddonValue::Toggle(false))])).unwrap();
    assert_eq!(terms.addons.len(), 1);
    assert_eq!(terms.price_per_period, eur("12.00"));
}

#[test]
fn a_choice_adds_the_price_of_the_chosen_option() {
    let terms = quote(&monthly_eur(&[(
        "os",
        AddonValue::Choice("windows".to_string()),
    )]))
    .unwrap();
    assert_eq!(
        terms.addons[1],
        AddonLine {
            code: "os".to_string(),
            name: "Operating system: Windows Server".to_string(),
            value: AddonValue::Choice("windows".to_string()),
            price: eur("15.00"),
        }
    );
    assert_eq!(terms.price_per_period, eur("27.00"));
}

#[test]
fn a_choice_of_an_unknown_option_is_rejected() {
    assert_eq!(
        quote(&monthly_eur(&[(
            "os",
            AddonValue::Choice("bsd".to_string())
        )])),
        Err(TariffError::UnknownChoice {
            code: "os".to_string(),
            option: "bsd".to_string(),
        })
    );
}

#[test]
fn a_value_of_the_wrong_kind_is_rejected() {
    for (code, value) in [
        ("ram_gb", AddonValue::Toggle(true)),
        ("backup", AddonValue::Quantity(1)),
        ("os", AddonValue::Quantity(1)),
    ] {
        assert_eq!(
            quote(&monthly_eur(&[(code, value)])),
            Err(TariffError::AddonValueMismatch(code.to_string()))
        );
    }
}

#[test]
fn addon_lines_follow_the_tariffs_addon_order() {
    let terms = quote(&monthly_eur(&[
        ("os", AddonValue::Choice("ubuntu".to_string())),
        ("backup", AddonValue::Toggle(true)),
        ("ipv4", AddonValue::Quantity(2)),
        ("ram_gb", AddonValue::Quantity(2)),
    ]))
    .unwrap();
    let codes: Vec<&str> = terms.addons.iter().map(|line| line.code.as_str()).collect();
    assert_eq!(codes, ["ram_gb", "ipv4", "backup", "os"]);
    // 10 + 2 × 2 + 2 × 1.50 + 3 + 0.
    assert_eq!(terms.price_per_period, eur("20.00"));
}

#[test]
fn an_unknown_addon_is_rejected() {
    assert_eq!(
        quote(&monthly_eur(&[("gpu", AddonValue::Toggle(true))])),
        Err(TariffError::UnknownAddon("gpu".to_string()))
    );
}

#[test]
fn an_addon_selected_twice_is_rejected() {
    assert_eq!(
        quote(&monthly_eur(&[
            ("backup", AddonValue::Toggle(true)),
            ("backup", AddonValue::Toggle(false)),
        ])),
        Err(TariffError::DuplicateAddon("backup".to_string()))
    );
}

#[test]
fn a_period_without_a_base_price_is_not_offered() {
    assert_eq!(
        quote(&order(BillingPeriod::Quarter, Currency::EUR, &[])),
        Err(TariffError::PeriodNotOffered {
            period: BillingPeriod::Quarter,
            currency: Currency::EUR,
        })
    );
    assert_eq!(
        quote(&order(BillingPeriod::Year, Currency::USD, &[])),
        Err(TariffError::PeriodNotOffered {
            period: BillingPeriod::Year,
            currency: Currency::USD,
        })
    );
}

#[test]
fn an_addon_without_a_price_for_the_period_and_currency_is_rejected() {
    let selection = order(
        BillingPeriod::Year,
        Currency::EUR,
        &[("backup", AddonValue::Toggle(true))],
    );
    assert_eq!(
        quote(&selection),
        Err(TariffError::AddonNotPriced {
            code: "backup".to_string(),
            period: BillingPeriod::Year,
            currency: Currency::EUR,
        })
    );
}

#[test]
fn a_minimum_quantity_without_a_price_is_rejected() {
    // The RAM add-on is added at its minimum of 1 GB, but it has no USD price.
    assert_eq!(
        quote(&order(BillingPeriod::Month, Currency::USD, &[])),
        Err(TariffError::AddonNotPriced {
            code: "ram_gb".to_string(),
            period: BillingPeriod::Month,
            currency: Currency::USD,
        })
    );
}

#[test]
fn a_chosen_option_without_a_price_is_rejected() {
    let selection = order(
        BillingPeriod::Year,
        Currency::EUR,
        &[("os", AddonValue::Choice("windows".to_string()))],
    );
    assert_eq!(
        quote(&selection),
        Err(TariffError::AddonNotPriced {
            code: "os".to_string(),
            period: BillingPeriod::Year,
            currency: Currency::EUR,
        })
    );
}

#[test]
fn a_quote_without_a_setup_fee_in_the_currency_has_a_zero_fee() {
    let tariff = tariff(vec![created_with_addons(vec![])]);
    let terms = tariff
        .quote(&order(BillingPeriod::Month, Currency::USD, &[]))
        .unwrap();
    assert_eq!(terms.setup_fee, usd("0"));
    assert_eq!(terms.price_per_period, usd("12.00"));
}

#[test]
fn an_archived_tariff_cannot_be_quoted() {
    let tariff = tariff(vec![created(), TariffEvent::TariffArchived]);
    assert_eq!(tariff.quote(&monthly_eur(&[])), Err(TariffError::Archived));
}

#[test]
fn an_uncreated_tariff_cannot_be_quoted() {
    assert_eq!(
        Tariff::default().quote(&monthly_eur(&[])),
        Err(TariffError::NotCreated)
    );
}

#[test]
fn a_quote_that_overflows_is_rejected() {
    let huge = AddonSpec {
        code: code("huge"),
        name: "Huge".to_string(),
        kind: AddonKind::Quantity {
            unit: "unit".to_string(),
            min: 0,
            max: 100_000,
            prices: vec![monthly(eur("999999999999.00"))],
        },
    };
    let tariff = tariff(vec![created_with_addons(vec![huge])]);
    assert_eq!(
        tariff.quote(&monthly_eur(&[("huge", AddonValue::Quantity(100_000))])),
        Err(TariffError::Money(MoneyError::Overflow))
    );
}

#[test]
fn quoting_a_later_price_uses_it() {
    let tariff = tariff(vec![
        created_with_addons(vec![]),
        TariffEvent::PriceSet {
            price: monthly(eur("9.00")),
        },
        TariffEvent::SetupFeeSet { fee: eur("0") },
    ]);
    let terms = tariff.quote(&monthly_eur(&[])).unwrap();
    assert_eq!(terms.price_per_period, eur("9.00"));
    assert_eq!(terms.setup_fee, eur("0"));
}

// Items.

#[test]
fn each_item_type_has_its_deletion_delay() {
    let cases = [
        (ItemType::Domain, "domain", 30),
        (ItemType::SharedHosting, "shared_hosting", 14),
        (ItemType::Vds, "vds", 7),
        (ItemType::DedicatedServer, "dedicated_server", 7),
        (ItemType::SslCertificate, "ssl_certificate", 30),
        (ItemType::DnsHosting, "dns_hosting", 14),
        (ItemType::Other, "other", 14),
    ];
    for (item_type, name, days) in cases {
        assert_eq!(item_type.as_str(), name);
        assert_eq!(item_type.deletion_delay_days(), days);
        assert_eq!(
            serde_json::to_value(item_type).unwrap(),
            serde_json::json!(name)
        );
    }
}

// State, events and errors.

#[test]
fn a_created_tariff_exposes_its_fields() {
    let tariff = tariff(vec![created()]);
    assert!(tariff.is_created());
    assert!(!tariff.is_archived());
    assert_eq!(tariff.tariff_id(), Some(tariff_id()));
    assert_eq!(tariff.provider_id(), Some(provider_id()));
    assert_eq!(tariff.name(), Some("VDS S"));
    assert_eq!(tariff.item_type(), Some(ItemType::Vds));
    assert_eq!(tariff.addons().len(), 4);
}

#[test]
fn a_new_tariff_has_no_state() {
    let tariff = Tariff::default();
    assert!(!tariff.is_created());
    assert!(!tariff.is_archived());
    assert_eq!(tariff.name(), None);
    assert!(tariff.prices().is_empty());
}

#[test]
fn the_tariff_state_round_trips_through_json() {
    let tariff = tariff(vec![created(), TariffEvent::TariffArchived]);
    let json = serde_json::to_string(&tariff).unwrap();
    assert_eq!(serde_json::from_str::<Tariff>(&json).unwrap(), tariff);
}

#[test]
fn addons_have_a_stable_json_shape() {
    let json = serde_json::to_value(vec![ram(), os()]).unwrap();
    assert_eq!(
        json,
        serde_json::json!([
            {
                "code": "ram_gb",
                "name": "RAM",
                "kind": "quantity",
                "unit": "GB",
                "min": 1,
                "max": 64,
                "prices": [
                    {"period": "P1M", "price": {"amount": "2.00", "currency": "EUR"}},
                    {"period": "P12M", "price": {"amount": "20.00", "currency": "EUR"}},
                ],
            },
            {
                "code": "os",
                "name": "Operating system",
                "kind": "choice",
                "options": [
                    {"code": "ubuntu", "name": "Ubuntu 24.04", "prices": [
                        {"period": "P1M", "price": {"amount": "0.00", "currency": "EUR"}},
                        {"period": "P12M", "price": {"amount": "0.00", "currency": "EUR"}},
                    ]},
                    {"code": "windows", "name": "Windows Server", "prices": [
                        {"period": "P1M", "price": {"amount": "15.00", "currency": "EUR"}},
                    ]},
                ],
            },
        ])
    );
    assert_eq!(
        serde_json::from_value::<Vec<AddonSpec>>(json).unwrap(),
        vec![ram(), os()]
    );
}

#[test]
fn an_addon_missing_a_field_of_its_kind_does_not_deserialize() {
    let json = serde_json::json!({
        "code": "ram_gb", "name": "RAM", "kind": "quantity", "unit": "GB", "min": 1,
        "prices": [],
    });
    let error = serde_json::from_value::<AddonSpec>(json).unwrap_err();
    assert!(error.to_string().contains("missing field `max`"), "{error}");
}

#[test]
fn an_order_selection_reads_plain_json_values() {
    let selection: OrderSelection = serde_json::from_value(serde_json::json!({
        "period": "P1M",
        "currency": "EUR",
        "addons": [
            {"code": "backup", "value": true},
            {"code": "ram_gb", "value": 4},
            {"code": "os", "value": "ubuntu"},
        ],
    }))
    .unwrap();
    assert_eq!(
        selection,
        monthly_eur(&[
            ("backup", AddonValue::Toggle(true)),
            ("ram_gb", AddonValue::Quantity(4)),
            ("os", AddonValue::Choice("ubuntu".to_string())),
        ])
    );
}

#[test]
fn tariff_events_have_literal_names_and_version_one() {
    let cases = [
        (created(), "TariffCreated"),
        (
            TariffEvent::PriceSet {
                price: monthly(eur("1")),
            },
            "PriceSet",
        ),
        (TariffEvent::SetupFeeSet { fee: eur("1") }, "SetupFeeSet"),
        (TariffEvent::AddonAdded { addon: backup() }, "AddonAdded"),
        (TariffEvent::TariffArchived, "TariffArchived"),
    ];
    for (event, name) in cases {
        assert_eq!(event.event_type(), name);
        assert_eq!(event.event_version(), "1.0");
    }
    assert_eq!(Tariff::TYPE, "Tariff");
}

#[test]
fn tariff_error_codes_are_stable() {
    let (period, currency) = (BillingPeriod::Month, Currency::EUR);
    let text = String::new;
    let cases = [
        (TariffError::AlreadyCreated, "tariff_exists"),
        (TariffError::NotCreated, "tariff_not_found"),
        (TariffError::Archived, "tariff_archived"),
        (TariffError::InvalidName, "invalid_name"),
        (TariffError::NoPrices, "no_prices"),
        (TariffError::NegativePrice, "negative_price"),
        (
            TariffError::DuplicatePrice { period, currency },
            "duplicate_price",
        ),
        (TariffError::DuplicateAddon(text()), "duplicate_addon"),
        (TariffError::InvalidAddon(text()), "invalid_addon"),
        (
            TariffError::PeriodNotOffered { period, currency },
            "period_not_offered",
        ),
        (TariffError::UnknownAddon(text()), "unknown_addon"),
        (
            TariffError::AddonOutOfRange {
                code: text(),
                min: 0,
                max: 1,
                value: 2,
            },
            "addon_out_of_range",
        ),
        (
            TariffError::UnknownChoice {
                code: text(),
                option: text(),
            },
            "unknown_choice",
        ),
        (
            TariffError::AddonValueMismatch(text()),
            "addon_value_mismatch",
        ),
        (
            TariffError::AddonNotPriced {
                code: text(),
                period,
                currency,
            },
            "addon_not_priced",
        ),
        (
            TariffError::DuplicateSetupFee(currency),
            "duplicate_setup_fee",
        ),
        (
            TariffError::Money(MoneyError::Overflow),
            "amount_out_of_range",
        ),
    ];
    for (error, code) in cases {
        assert_eq!(error.code(), code);
    }
}

// Price changes.

fn day(text: &str) -> chrono::NaiveDate {
    text.parse().unwrap()
}

fn change_price(price: Money, effective_on: &str) -> TariffCommand {
    TariffCommand::ChangePrice {
        price: monthly(price),
        effective_on: day(effective_on),
        announced_on: day("2026-01-10"),
    }
}

#[test]
fn a_price_change_30_days_ahead_is_announced_with_the_price_it_replaces() {
    TariffTester::with(())
        .given(vec![created()])
        .when(change_price(eur("12.00"), "2026-02-09"))
        .then_expect_events(vec![TariffEvent::PriceChangeAnnounced {
            price: monthly(eur("12.00")),
            previous: eur("10.00"),
            effective_on: day("2026-02-09"),
            announced_on: day("2026-01-10"),
        }]);
}

#[test]
fn a_price_change_less_than_30_days_ahead_is_rejected() {
    TariffTester::with(())
        .given(vec![created()])
        .when(change_price(eur("12.00"), "2026-02-08"))
        .then_expect_error(TariffError::PriceChangeTooSoon {
            effective_on: day("2026-02-08"),
            earliest: day("2026-02-09"),
        });
}

#[test]
fn a_price_change_of_a_period_not_offered_or_to_the_same_price_is_rejected() {
    TariffTester::with(())
        .given(vec![created()])
        .when(TariffCommand::ChangePrice {
            price: PeriodPrice {
                period: BillingPeriod::Quarter,
                price: eur("25.00"),
            },
            effective_on: day("2026-03-01"),
            announced_on: day("2026-01-10"),
        })
        .then_expect_error(TariffError::PeriodNotOffered {
            period: BillingPeriod::Quarter,
            currency: Currency::EUR,
        });
    TariffTester::with(())
        .given(vec![created()])
        .when(change_price(eur("10.00"), "2026-03-01"))
        .then_expect_error(TariffError::PriceUnchanged {
            period: BillingPeriod::Month,
            currency: Currency::EUR,
        });
}

#[test]
fn new_orders_pay_the_changed_price_at_once() {
    let tariff = tariff(vec![
        created(),
        TariffEvent::PriceChangeAnnounced {
            price: monthly(eur("12.00")),
            previous: eur("10.00"),
            effective_on: day("2026-02-09"),
            announced_on: day("2026-01-10"),
        },
    ]);
    let terms = quote(&monthly_eur(&[])).unwrap();
    assert_eq!(terms.base_price, eur("10.00"));
    assert_eq!(
        tariff.quote(&monthly_eur(&[])).unwrap().base_price,
        eur("12.00")
    );
}

#[test]
fn an_imported_tariff_is_created_with_its_source_by_the_rules_of_a_new_one() {
    let source = crate::import::ImportSource::parse("whmcs", "12").unwrap();
    TariffTester::with(())
        .given_no_previous_events()
        .when(TariffCommand::ImportTariff {
            tariff_id: tariff_id(),
            provider_id: provider_id(),
            name: "VDS S".to_string(),
            item_type: ItemType::Vds,
            prices: prices(),
            setup_fees: vec![eur("5.00")],
            source: source.clone(),
        })
        .then_expect_events(vec![TariffEvent::TariffCreated {
            tariff_id: tariff_id(),
            provider_id: provider_id(),
            name: "VDS S".to_string(),
            item_type: ItemType::Vds,
            prices: prices(),
            setup_fees: vec![eur("5.00")],
            addons: Vec::new(),
            source: Some(source),
        }]);
    TariffTester::with(())
        .given_no_previous_events()
        .when(TariffCommand::ImportTariff {
            tariff_id: tariff_id(),
            provider_id: provider_id(),
            name: "VDS S".to_string(),
            item_type: ItemType::Vds,
            prices: Vec::new(),
            setup_fees: Vec::new(),
            source: crate::import::ImportSource::parse("whmcs", "13").unwrap(),
        })
        .then_expect_error(TariffError::NoPrices);
}

// Trials (issue 19.2).

#[test]
fn setting_a_trial_records_it_and_the_tariff_holds_it() {
    TariffTester::with(())
        .given(vec![created()])
        .when(TariffCommand::SetTrial {
            trial: Some(Trial::Days(14)),
        })
        .then_expect_events(vec![TariffEvent::TrialSet {
            trial: Some(Trial::Days(14)),
        }]);
    let mut with_trial = tariff(vec![created()]);
    with_trial.apply(TariffEvent::TrialSet {
        trial: Some(Trial::Period(BillingPeriod::Month)),
    });
    assert_eq!(
        with_trial.trial(),
        Some(Trial::Period(BillingPeriod::Month))
    );
}

#[test]
fn setting_the_trial_a_tariff_has_records_nothing() {
    TariffTester::with(())
        .given(vec![
            created(),
            TariffEvent::TrialSet {
                trial: Some(Trial::Days(14)),
            },
        ])
        .when(TariffCommand::SetTrial {
            trial: Some(Trial::Days(14)),
        })
        .then_expect_events(vec![]);
}

#[test]
fn a_trial_can_be_switched_off() {
    TariffTester::with(())
        .given(vec![
            created(),
            TariffEvent::TrialSet {
                trial: Some(Trial::Days(14)),
            },
        ])
        .when(TariffCommand::SetTrial { trial: None })
        .then_expect_events(vec![TariffEvent::TrialSet { trial: None }]);
}

#[test]
fn a_trial_of_zero_days_or_over_a_year_is_rejected() {
    for trial in [
        Trial::Days(0),
        Trial::Days(367),
        Trial::Period(BillingPeriod::Day),
        Trial::Period(BillingPeriod::of_months(13).unwrap()),
    ] {
        TariffTester::with(())
            .given(vec![created()])
            .when(TariffCommand::SetTrial { trial: Some(trial) })
            .then_expect_error(TariffError::InvalidTrial);
    }
}

#[test]
fn an_archived_tariff_takes_no_trial() {
    TariffTester::with(())
        .given(vec![created(), TariffEvent::TariffArchived])
        .when(TariffCommand::SetTrial {
            trial: Some(Trial::Days(7)),
        })
        .then_expect_error(TariffError::Archived);
}

#[test]
fn a_trial_is_spelt_in_days_or_as_a_period() {
    assert_eq!(
        serde_json::to_value(Trial::Days(14)).unwrap(),
        serde_json::json!({"days": 14})
    );
    assert_eq!(
        serde_json::from_value::<Trial>(serde_json::json!({"period": "P1M"})).unwrap(),
        Trial::Period(BillingPeriod::Month)
    );
}

// Hourly billing (issue 20.3, ADR 37): prices per hour, one per currency the tariff is priced in.

fn per_hour(amount: &str, currency: Currency, cap: Option<Money>) -> crate::hourly::HourlyPrice {
    crate::hourly::HourlyPrice {
        per_hour: amount.parse().unwrap(),
        currency,
        monthly_cap: cap,
    }
}

fn set_hourly(prices: Vec<crate::hourly::HourlyPrice>) -> TariffCommand {
    TariffCommand::SetHourlyPrices { prices }
}

#[test]
fn an_hourly_price_is_set_once_and_setting_it_again_records_nothing() {
    let price = per_hour("0.0137", Currency::EUR, Some(eur("10.00")));
    TariffTester::with(())
        .given(vec![created()])
        .when(set_hourly(vec![price]))
        .then_expect_events(vec![TariffEvent::HourlyPricesSet {
            prices: vec![price],
        }]);
    TariffTester::with(())
        .given(vec![
            created(),
            TariffEvent::HourlyPricesSet {
                prices: vec![price],
            },
        ])
        .when(set_hourly(vec![price]))
        .then_expect_events(vec![]);
}

#[test]
fn hourly_prices_are_refused_twice_in_a_currency_in_an_unpriced_one_or_badly_formed() {
    let eur_price = per_hour("0.0137", Currency::EUR, None);
    let cases = [
        (
            vec![eur_price, eur_price],
            TariffError::DuplicateHourlyPrice(Currency::EUR),
        ),
        (
            vec![per_hour("0.01", Currency::JPY, None)],
            TariffError::HourlyCurrencyNotPriced(Currency::JPY),
        ),
        (
            vec![per_hour("-0.01", Currency::EUR, None)],
            TariffError::Hourly(crate::hourly::HourlyError::InvalidPrice(
                "-0.01".parse().unwrap(),
            )),
        ),
        (
            vec![per_hour("0.0000001", Currency::EUR, None)],
            TariffError::Hourly(crate::hourly::HourlyError::InvalidPrice(
                "0.0000001".parse().unwrap(),
            )),
        ),
        (
            vec![per_hour("0.01", Currency::EUR, Some(usd("5.00")))],
            TariffError::Hourly(crate::hourly::HourlyError::InvalidCap(usd("5.00"))),
        ),
    ];
    for (prices, error) in cases {
        TariffTester::with(())
            .given(vec![created()])
            .when(set_hourly(prices))
            .then_expect_error(error);
    }
}

#[test]
fn a_domain_tariff_is_not_billed_by_the_hour() {
    let domain = TariffEvent::TariffCreated {
        tariff_id: tariff_id(),
        provider_id: provider_id(),
        name: ".com".to_string(),
        item_type: ItemType::Domain,
        prices: prices(),
        setup_fees: vec![],
        addons: vec![],
        source: None,
    };
    TariffTester::with(())
        .given(vec![domain])
        .when(set_hourly(vec![per_hour("0.01", Currency::EUR, None)]))
        .then_expect_error(TariffError::NotHourly(ItemType::Domain));
}

#[test]
fn an_order_in_the_hourly_currency_carries_the_price_per_hour_into_its_terms() {
    let price = per_hour("0.0137", Currency::EUR, Some(eur("10.00")));
    let hourly = tariff(vec![
        created(),
        TariffEvent::HourlyPricesSet {
            prices: vec![price],
        },
    ]);
    let terms = hourly.quote(&monthly_eur(&[])).unwrap();
    assert_eq!(terms.hourly, Some(price));
    assert_eq!(hourly.hourly_price(Currency::EUR), Some(price));
    // Without an hourly price the terms carry none, and no price is made up for USD.
    assert_eq!(
        tariff(vec![created()])
            .quote(&monthly_eur(&[]))
            .unwrap()
            .hourly,
        None
    );
    assert_eq!(hourly.hourly_price(Currency::USD), None);
}

#[test]
fn a_tariff_sold_by_the_hour_has_no_free_trial() {
    let price = per_hour("0.0137", Currency::EUR, None);
    TariffTester::with(())
        .given(vec![
            created(),
            TariffEvent::HourlyPricesSet {
                prices: vec![price],
            },
        ])
        .when(TariffCommand::SetTrial {
            trial: Some(Trial::Days(14)),
        })
        .then_expect_error(TariffError::TrialOfHourlyTariff);
    TariffTester::with(())
        .given(vec![
            created(),
            TariffEvent::TrialSet {
                trial: Some(Trial::Days(14)),
            },
        ])
        .when(set_hourly(vec![price]))
        .then_expect_error(TariffError::TrialOfHourlyTariff);
    // Switching either off stays possible.
    TariffTester::with(())
        .given(vec![
            created(),
            TariffEvent::HourlyPricesSet {
                prices: vec![price],
            },
            TariffEvent::TrialSet {
                trial: Some(Trial::Days(14)),
            },
        ])
        .when(set_hourly(vec![]))
        .then_expect_events(vec![TariffEvent::HourlyPricesSet { prices: vec![] }]);
}
