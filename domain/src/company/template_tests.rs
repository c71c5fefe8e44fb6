//! The rules of a company's document template.

use cqrs_es::DomainEvent;
use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;

type CompanyTester = TestFramework<Company>;

fn created() -> CompanyEvent {
    CompanyEvent::CompanyCreated {
        company_id: CompanyId::from_uuid(Uuid::from_u128(0xC0)),
        provider_id: ProviderId::from_uuid(Uuid::from_u128(0x10)),
        name: "Acme Hosting GmbH".to_string(),
        country: Country::parse("DE").unwrap(),
        vat_number: None,
        address: "Main St 1\n10115 Berlin".to_string(),
        numbering: InvoiceNumbering::new("INV", NumberingReset::Yearly).unwrap(),
        source: None,
    }
}

fn logo(size_bytes: u64) -> Logo {
    Logo {
        sha256: "AB".repeat(32),
        content_type: LogoType::Png,
        size_bytes,
    }
}

fn template() -> DocumentTemplate {
    DocumentTemplate {
        header: Some("  Thank you for your business.  ".to_string()),
        footer: Some("Acme Hosting GmbH · Amtsgericht Berlin HRB 1".to_string()),
        logo: Some(logo(1000)),
        payment: Some(PaymentDetails {
            bank_name: Some("Berliner Bank".to_string()),
            iban: Some("de89 3704 0044 0532 0130 00".to_string()),
            bic: Some("cobadeffxxx".to_string()),
            account_holder: Some("Acme Hosting GmbH".to_string()),
            text: None,
        }),
    }
}

fn checked() -> DocumentTemplate {
    DocumentTemplate {
        header: Some("Thank you for your business.".to_string()),
        logo: Some(Logo {
            sha256: "ab".repeat(32),
            ..logo(1000)
        }),
        payment: Some(PaymentDetails {
            iban: Some("DE89370400440532013000".to_string()),
            bic: Some("COBADEFFXXX".to_string()),
            ..template().payment.unwrap()
        }),
        ..template()
    }
}

#[test]
fn a_template_is_set_checked_and_normalised() {
    CompanyTester::with(())
        .given(vec![created()])
        .when(CompanyCommand::SetDocumentTemplate {
            template: template(),
        })
        .then_expect_events(vec![CompanyEvent::CompanyDocumentTemplateSet {
            template: checked(),
        }]);
}

#[test]
fn setting_the_same_template_again_records_nothing() {
    CompanyTester::with(())
        .given(vec![
            created(),
            CompanyEvent::CompanyDocumentTemplateSet {
                template: checked(),
            },
        ])
        .when(CompanyCommand::SetDocumentTemplate {
            template: template(),
        })
        .then_expect_events(vec![]);
}

#[test]
fn a_template_needs_a_company() {
    CompanyTester::with(())
        .given_no_previous_events()
        .when(CompanyCommand::SetDocumentTemplate {
            template: template(),
        })
        .then_expect_error(CompanyError::NotCreated);
}

#[test]
fn a_logo_over_256_kib_is_refused() {
    let template = DocumentTemplate {
        logo: Some(logo(LOGO_BYTES_MAX + 1)),
        ..template()
    };
    CompanyTester::with(())
        .given(vec![created()])
        .when(CompanyCommand::SetDocumentTemplate { template })
        .then_expect_error(CompanyError::LogoTooLarge {
            size_bytes: LOGO_BYTES_MAX + 1,
            limit_bytes: LOGO_BYTES_MAX,
        });
}

#[test]
fn a_wrong_iban_or_bic_is_refused() {
    // One digit changed: the check digits no longer match.
    let mut wrong = template();
    wrong.payment.as_mut().unwrap().iban = Some("DE89370400440532013001".to_string());
    let error = Company::default()
        .decide(CompanyCommand::SetDocumentTemplate { template: wrong })
        .unwrap_err();
    assert_eq!(error, CompanyError::NotCreated);
    let mut company = Company::default();
    company.apply(created());
    let mut wrong = template();
    wrong.payment.as_mut().unwrap().iban = Some("DE89370400440532013001".to_string());
    let error = company
        .decide(CompanyCommand::SetDocumentTemplate { template: wrong })
        .unwrap_err();
    assert_eq!(error.code(), "invalid_document_template");
    assert!(error.to_string().starts_with("payment.iban:"), "{error}");
    let mut wrong = template();
    wrong.payment.as_mut().unwrap().bic = Some("COBA-DE".to_string());
    let error = company
        .decide(CompanyCommand::SetDocumentTemplate { template: wrong })
        .unwrap_err();
    assert!(error.to_string().starts_with("payment.bic:"), "{error}");
    assert_eq!(
        iban("GB82 WEST 1234 5698 7654 32").unwrap(),
        "GB82WEST12345698765432"
    );
}

#[test]
fn blank_fields_are_dropped_and_a_header_too_long_is_refused() {
    let mut company = Company::default();
    company.apply(created());
    let blank = DocumentTemplate {
        header: Some("   ".to_string()),
        footer: None,
        logo: None,
        payment: Some(PaymentDetails {
            bank_name: Some(" ".to_string()),
            ..PaymentDetails::default()
        }),
    };
    assert_eq!(
        company.decide(CompanyCommand::SetDocumentTemplate { template: blank }),
        Ok(vec![])
    );
    let long = DocumentTemplate {
        header: Some("x".repeat(TEMPLATE_TEXT_CHARS_MAX + 1)),
        ..DocumentTemplate::default()
    };
    let error = company
        .decide(CompanyCommand::SetDocumentTemplate { template: long })
        .unwrap_err();
    assert!(error.to_string().starts_with("header:"), "{error}");
}

#[test]
fn invoices_drafted_after_the_template_is_set_copy_it() {
    let mut company = Company::default();
    company.apply(created());
    assert_eq!(company.seller().unwrap().template, None);
    company.apply(CompanyEvent::CompanyDocumentTemplateSet {
        template: checked(),
    });
    assert_eq!(company.seller().unwrap().template, Some(checked()));
    assert_eq!(company.document_template(), Some(&checked()));
    assert_eq!(
        CompanyEvent::CompanyDocumentTemplateSet {
            template: checked()
        }
        .event_type(),
        "CompanyDocumentTemplateSet"
    );
}

#[test]
fn only_png_and_jpeg_are_logos() {
    assert_eq!(
        LogoType::sniff(b"\x89PNG\r\n\x1a\nrest"),
        Some(LogoType::Png)
    );
    assert_eq!(
        LogoType::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]),
        Some(LogoType::Jpeg)
    );
    assert_eq!(LogoType::sniff(b"GIF89a"), None);
    assert_eq!(LogoType::sniff(b"<svg"), None);
}
