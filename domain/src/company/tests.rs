use cqrs_es::DomainEvent;
use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;
use crate::account::PaymentMethodKind;
use crate::tax::{TaxMode, TaxRate, TaxRule};

type CompanyTester = TestFramework<Company>;

fn company_id() -> CompanyId {
    CompanyId::from_uuid(Uuid::from_u128(0xC0))
}

fn provider_id() -> ProviderId {
    ProviderId::from_uuid(Uuid::from_u128(0x10))
}

fn germany() -> Country {
    Country::parse("DE").unwrap()
}

fn vat() -> VatNumber {
    VatNumber::parse("DE123456789").unwrap()
}

fn numbering() -> InvoiceNumbering {
    InvoiceNumbering::new("INV", NumberingReset::Yearly).unwrap()
}

fn create(name: &str, address: &str) -> CompanyCommand {
    CompanyCommand::CreateCompany {
        company_id: company_id(),
        provider_id: provider_id(),
        name: name.to_string(),
        country: germany(),
        vat_number: Some(vat()),
        address: address.to_string(),
        numbering: numbering(),
    }
}

fn created() -> CompanyEvent {
    CompanyEvent::CompanyCreated {
        company_id: company_id(),
        provider_id: provider_id(),
        name: "Acme Hosting GmbH".to_string(),
        country: germany(),
        vat_number: Some(vat()),
        address: "Main St 1\n10115 Berlin".to_string(),
        numbering: numbering(),
        source: None,
    }
}

fn rules() -> TaxRules {
    TaxRules::new(vec![TaxRule {
        country: Some(germany()),
        rate: TaxRate::parse("19").unwrap(),
        mode: TaxMode::Added,
        reverse_charge: false,
    }])
    .unwrap()
}

fn bank() -> PaymentMethod {
    PaymentMethod::parse("bank_transfer").unwrap()
}

fn configure(display_name: &str, enabled: bool) -> CompanyCommand {
    CompanyCommand::ConfigurePaymentMethod {
        method: bank(),
        kind: PaymentMethodKind::BankTransfer,
        display_name: display_name.to_string(),
        enabled,
        redirect_url: None,
    }
}

fn configured(display_name: &str, enabled: bool) -> CompanyEvent {
    CompanyEvent::PaymentMethodConfigured {
        method: bank(),
        kind: PaymentMethodKind::BankTransfer,
        display_name: display_name.to_string(),
        enabled,
        redirect_url: None,
    }
}

/// The state after `events`.
fn company(events: Vec<CompanyEvent>) -> Company {
    let mut company = Company::default();
    for event in events {
        company.apply(event);
    }
    company
}

// Creating.

#[test]
fn a_company_is_created_with_trimmed_name_and_address() {
    CompanyTester::with(())
        .given_no_previous_events()
        .when(create(
            "  Acme Hosting GmbH ",
            "\n Main St 1\r\n10115 Berlin  ",
        ))
        .then_expect_events(vec![created()]);
}

#[test]
fn a_company_is_created_only_once() {
    CompanyTester::with(())
        .given(vec![created()])
        .when(create("Acme Hosting GmbH", "Main St 1"))
        .then_expect_error(CompanyError::AlreadyCreated);
}

#[test]
fn a_company_needs_a_name_without_control_characters() {
    for name in ["   ", "Acme\nHosting", &"x".repeat(201)] {
        CompanyTester::with(())
            .given_no_previous_events()
            .when(create(name, "Main St 1"))
            .then_expect_error(CompanyError::InvalidName);
    }
}

#[test]
fn an_address_may_span_lines_but_holds_no_other_control_characters() {
    for address in ["  ", "Main St 1\t10115 Berlin", &"x".repeat(501)] {
        CompanyTester::with(())
            .given_no_previous_events()
            .when(create("Acme Hosting GmbH", address))
            .then_expect_error(CompanyError::InvalidAddress);
    }
}

#[test]
fn a_new_company_taxes_nobody_and_accepts_no_payment_method() {
    let company = company(vec![created()]);
    assert_eq!(company.tax_rules(), Some(&TaxRules::none()));
    assert!(company.payment_methods().is_empty());
    assert_eq!(company.provider_id(), Some(provider_id()));
    assert_eq!(company.numbering(), Some(&numbering()));
}

#[test]
fn the_seller_details_are_the_company_legal_details() {
    assert_eq!(Company::default().seller(), None);
    assert_eq!(
        company(vec![created()]).seller(),
        Some(SellerDetails {
            company_id: company_id(),
            name: "Acme Hosting GmbH".to_string(),
            country: germany(),
            vat_number: Some(vat()),
            address: "Main St 1\n10115 Berlin".to_string(),
            template: None,
        })
    );
}

// Tax rules.

#[test]
fn tax_rules_are_set_on_a_created_company() {
    CompanyTester::with(())
        .given(vec![created()])
        .when(CompanyCommand::SetTaxRules {
            rules: rules(),
            tax_document: None,
        })
        .then_expect_events(vec![CompanyEvent::TaxRulesSet { rules: rules() }]);
}

#[test]
fn setting_the_same_tax_rules_again_records_nothing() {
    CompanyTester::with(())
        .given(vec![
            created(),
            CompanyEvent::TaxRulesSet { rules: rules() },
        ])
        .when(CompanyCommand::SetTaxRules {
            rules: rules(),
            tax_document: None,
        })
        .then_expect_events(vec![]);
}

#[test]
fn tax_rules_can_be_cleared() {
    CompanyTester::with(())
        .given(vec![
            created(),
            CompanyEvent::TaxRulesSet { rules: rules() },
        ])
        .when(CompanyCommand::SetTaxRules {
            rules: TaxRules::none(),
            tax_document: None,
        })
        .then_expect_events(vec![CompanyEvent::TaxRulesSet {
            rules: TaxRules::none(),
        }]);
}

#[test]
fn tax_rules_need_a_created_company() {
    CompanyTester::with(())
        .given_no_previous_events()
        .when(CompanyCommand::SetTaxRules {
            rules: rules(),
            tax_document: None,
        })
        .then_expect_error(CompanyError::NotCreated);
}

#[test]
fn the_latest_tax_rules_apply() {
    let company = company(vec![
        created(),
        CompanyEvent::TaxRulesSet { rules: rules() },
    ]);
    assert_eq!(company.tax_rules(), Some(&rules()));
}

// Payment methods.

#[test]
fn a_payment_method_is_configured_with_a_trimmed_name() {
    CompanyTester::with(())
        .given(vec![created()])
        .when(configure("  Bank transfer (SEPA) ", true))
        .then_expect_events(vec![configured("Bank transfer (SEPA)", true)]);
}

#[test]
fn configuring_a_payment_method_as_it_is_records_nothing() {
    CompanyTester::with(())
        .given(vec![created(), configured("Bank transfer", true)])
        .when(configure("Bank transfer ", true))
        .then_expect_events(vec![]);
}

#[test]
fn a_payment_method_can_be_disabled() {
    CompanyTester::with(())
        .given(vec![created(), configured("Bank transfer", true)])
        .when(configure("Bank transfer", false))
        .then_expect_events(vec![configured("Bank transfer", false)]);
}

#[test]
fn a_payment_method_needs_a_display_name() {
    for name in ["", "Bank\ttransfer", &"x".repeat(101)] {
        CompanyTester::with(())
            .given(vec![created()])
            .when(configure(name, true))
            .then_expect_error(CompanyError::InvalidDisplayName);
    }
}

#[test]
fn a_payment_method_needs_a_created_company() {
    CompanyTester::with(())
        .given_no_previous_events()
        .when(configure("Bank transfer", true))
        .then_expect_error(CompanyError::NotCreated);
}

#[test]
fn a_company_has_at_most_50_payment_methods() {
    let mut events = vec![created()];
    for index in 0..PAYMENT_METHODS_MAX {
        events.push(CompanyEvent::PaymentMethodConfigured {
            method: PaymentMethod::parse(&format!("method-{index}")).unwrap(),
            kind: PaymentMethodKind::Manual,
            display_name: format!("Method {index}"),
            enabled: true,
            redirect_url: None,
        });
    }
    CompanyTester::with(())
        .given(events.clone())
        .when(configure("Bank transfer", true))
        .then_expect_error(CompanyError::TooManyPaymentMethods);
    // Changing one that exists is still allowed.
    CompanyTester::with(())
        .given(events)
        .when(CompanyCommand::ConfigurePaymentMethod {
            method: PaymentMethod::parse("method-0").unwrap(),
            kind: PaymentMethodKind::Manual,
            display_name: "Method 0".to_string(),
            enabled: false,
            redirect_url: None,
        })
        .then_expect_events(vec![CompanyEvent::PaymentMethodConfigured {
            method: PaymentMethod::parse("method-0").unwrap(),
            kind: PaymentMethodKind::Manual,
            display_name: "Method 0".to_string(),
            enabled: false,
            redirect_url: None,
        }]);
}

#[test]
fn a_reconfigured_payment_method_replaces_its_old_configuration() {
    let card = PaymentMethod::parse("card").unwrap();
    let company = company(vec![
        created(),
        configured("Bank transfer", true),
        CompanyEvent::PaymentMethodConfigured {
            method: card.clone(),
            kind: PaymentMethodKind::CardGateway,
            display_name: "Card".to_string(),
            enabled: true,
            redirect_url: None,
        },
        configured("SEPA transfer", false),
    ]);
    assert_eq!(company.payment_methods().len(), 2);
    assert_eq!(
        company.payment_method(&bank()),
        Some(&PaymentMethodConfig {
            kind: PaymentMethodKind::BankTransfer,
            display_name: "SEPA transfer".to_string(),
            enabled: false,
            redirect_url: None,
        })
    );
    assert_eq!(company.payment_methods()[1].0, card);
    assert_eq!(
        company.payment_method(&PaymentMethod::parse("cash").unwrap()),
        None
    );
}

// Numbering.

#[test]
fn a_yearly_number_carries_the_year() {
    assert_eq!(numbering().format(42, 2026), "INV2026-000042");
    assert_eq!(numbering().book_year(2026), Some(2026));
}

#[test]
fn a_never_resetting_number_has_no_year() {
    let numbering = InvoiceNumbering::new("AC/", NumberingReset::Never).unwrap();
    assert_eq!(numbering.format(7, 2026), "AC/000007");
    assert_eq!(numbering.format(1_234_567, 2026), "AC/1234567");
    assert_eq!(numbering.book_year(2026), None);
}

#[test]
fn a_numbering_prefix_may_be_empty() {
    let numbering = InvoiceNumbering::new("", NumberingReset::Yearly).unwrap();
    assert_eq!(numbering.format(1, 2026), "2026-000001");
}

#[test]
fn a_numbering_prefix_is_up_to_16_of_a_z_digits_dash_and_slash() {
    assert!(InvoiceNumbering::new("AB-12/CD-34/EF-5", NumberingReset::Never).is_ok());
    for bad in ["inv", "INV ", "INV_", "ÄB", "ABCDEFGHIJKLMNOPQ"] {
        let error = InvoiceNumbering::new(bad, NumberingReset::Never).unwrap_err();
        assert_eq!(error, CompanyError::InvalidNumberingPrefix(bad.to_string()));
        assert_eq!(error.code(), "invalid_numbering_prefix");
    }
}

#[test]
fn a_numbering_is_checked_again_when_deserialized() {
    let json = serde_json::to_string(&numbering()).unwrap();
    assert_eq!(json, r#"{"prefix":"INV","reset":"yearly"}"#);
    assert_eq!(
        serde_json::from_str::<InvoiceNumbering>(&json).unwrap(),
        numbering()
    );
    assert!(
        serde_json::from_str::<InvoiceNumbering>(r#"{"prefix":"inv","reset":"never"}"#).is_err()
    );
}

// Events.

#[test]
fn event_names_are_stable_literals_at_version_1_0() {
    let cases = [
        (created(), "CompanyCreated"),
        (CompanyEvent::TaxRulesSet { rules: rules() }, "TaxRulesSet"),
        (configured("Bank", true), "PaymentMethodConfigured"),
    ];
    for (event, name) in cases {
        assert_eq!(event.event_type(), name);
        assert_eq!(event.event_version(), "1.0");
    }
}

#[test]
fn events_round_trip_through_json() {
    for event in [
        created(),
        CompanyEvent::TaxRulesSet { rules: rules() },
        configured("Bank", true),
    ] {
        let json = serde_json::to_string(&event).unwrap();
        assert_eq!(serde_json::from_str::<CompanyEvent>(&json).unwrap(), event);
    }
}

#[test]
fn error_codes_are_stable() {
    assert_eq!(CompanyError::AlreadyCreated.code(), "company_exists");
    assert_eq!(CompanyError::NotCreated.code(), "company_not_found");
    assert_eq!(CompanyError::InvalidAddress.code(), "invalid_address");
    assert_eq!(
        CompanyError::InvalidAddress.to_string(),
        "address: must be 1 to 500 characters without control characters other than newlines"
    );
}

// The tax document of prepaid clients.

#[test]
fn a_company_issues_a_tax_invoice_on_payment_until_told_otherwise() {
    assert_eq!(
        company(vec![created()]).tax_document(),
        Some(TaxDocument::OnPayment)
    );
}

#[test]
fn the_tax_document_is_set_with_the_tax_rules_and_only_when_it_changes() {
    CompanyTester::with(())
        .given(vec![created()])
        .when(CompanyCommand::SetTaxRules {
            rules: rules(),
            tax_document: Some(TaxDocument::MonthlyConsumption),
        })
        .then_expect_events(vec![
            CompanyEvent::TaxRulesSet { rules: rules() },
            CompanyEvent::TaxDocumentSet {
                tax_document: TaxDocument::MonthlyConsumption,
            },
        ]);
    CompanyTester::with(())
        .given(vec![
            created(),
            CompanyEvent::TaxRulesSet { rules: rules() },
        ])
        .when(CompanyCommand::SetTaxRules {
            rules: rules(),
            tax_document: Some(TaxDocument::OnPayment),
        })
        .then_expect_events(vec![]);
}

#[test]
fn a_set_tax_document_is_kept() {
    let company = company(vec![
        created(),
        CompanyEvent::TaxDocumentSet {
            tax_document: TaxDocument::MonthlyConsumption,
        },
    ]);
    assert_eq!(
        company.tax_document(),
        Some(TaxDocument::MonthlyConsumption)
    );
    assert_eq!(
        CompanyEvent::TaxDocumentSet {
            tax_document: TaxDocument::MonthlyConsumption,
        }
        .event_type(),
        "TaxDocumentSet"
    );
}

#[test]
fn only_a_prepaid_account_payment_under_on_payment_gets_its_own_tax_document() {
    // Prepaid (no credit limit): a prepayment invoice for each payment under `on_payment`; a
    // monthly invoice of the consumption instead under `monthly_consumption`.
    assert!(TaxDocument::OnPayment.documents_payment(true));
    assert!(!TaxDocument::MonthlyConsumption.documents_payment(true));
    // Post-paid: the monthly invoice is the tax document whatever the setting.
    assert!(!TaxDocument::OnPayment.documents_payment(false));
    assert!(!TaxDocument::MonthlyConsumption.documents_payment(false));
}

#[test]
fn only_a_card_gateway_has_a_redirect_address_and_it_names_the_payment() {
    let card = |url: &str| CompanyCommand::ConfigurePaymentMethod {
        method: PaymentMethod::parse("card").unwrap(),
        kind: PaymentMethodKind::CardGateway,
        display_name: "Card".to_string(),
        enabled: true,
        redirect_url: Some(url.to_string()),
    };
    let good = "https://pay.example.com/checkout/{payment_id}?back={return_url}";
    CompanyTester::with(())
        .given(vec![created()])
        .when(card(good))
        .then_expect_events(vec![CompanyEvent::PaymentMethodConfigured {
            method: PaymentMethod::parse("card").unwrap(),
            kind: PaymentMethodKind::CardGateway,
            display_name: "Card".to_string(),
            enabled: true,
            redirect_url: Some(good.to_string()),
        }]);
    for bad in [
        "ftp://pay.example.com/{payment_id}",
        "https://pay.example.com/checkout",
        "https://pay.example.com/ {payment_id}",
        "javascript:alert(1)//{payment_id}",
    ] {
        CompanyTester::with(())
            .given(vec![created()])
            .when(card(bad))
            .then_expect_error(CompanyError::InvalidRedirectUrl);
    }
    CompanyTester::with(())
        .given(vec![created()])
        .when(CompanyCommand::ConfigurePaymentMethod {
            method: bank(),
            kind: PaymentMethodKind::BankTransfer,
            display_name: "Bank".to_string(),
            enabled: true,
            redirect_url: Some(good.to_string()),
        })
        .then_expect_error(CompanyError::InvalidRedirectUrl);
}
