//! Given/when/then tests of the Invoice aggregate, one rule per test. Kept in one file, however
//! long, because they share one set of small fixtures and are read by searching for a rule.

use std::str::FromStr;

use cqrs_es::DomainEvent;
use cqrs_es::test::TestFramework;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::*;
use crate::client::{ClientKind, Country};
use crate::company::NumberingReset;
use crate::money::MoneyError;
use crate::tax::{
    LineInput, REVERSE_CHARGE_NOTICE, TaxBreakdown, TaxError, TaxMode, TaxRate, VatNumber,
};

type InvoiceTester = TestFramework<Invoice>;

fn invoice_id() -> InvoiceId {
    InvoiceId::from_uuid(Uuid::from_u128(0x100))
}

fn original_id() -> InvoiceId {
    InvoiceId::from_uuid(Uuid::from_u128(0x101))
}

fn credit_note_id(n: u128) -> InvoiceId {
    InvoiceId::from_uuid(Uuid::from_u128(0x200 + n))
}

fn provider_id() -> ProviderId {
    ProviderId::from_uuid(Uuid::from_u128(0x10))
}

fn company_id() -> CompanyId {
    CompanyId::from_uuid(Uuid::from_u128(0xC0))
}

fn client_id() -> ClientId {
    ClientId::from_uuid(Uuid::from_u128(0x20))
}

fn payment_id() -> PaymentId {
    PaymentId::from_uuid(Uuid::from_u128(0x30))
}

fn other_payment_id() -> PaymentId {
    PaymentId::from_uuid(Uuid::from_u128(0x31))
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn eur(amount: &str) -> Money {
    Money::parse(amount, Currency::EUR).unwrap()
}

fn country(code: &str) -> Country {
    Country::parse(code).unwrap()
}

fn seller() -> SellerDetails {
    SellerDetails {
        company_id: company_id(),
        name: "Acme Hosting GmbH".to_string(),
        country: country("DE"),
        vat_number: Some(VatNumber::parse("DE123456789").unwrap()),
        address: "Main St 1\n10115 Berlin".to_string(),
        template: None,
    }
}

fn payer() -> PayerDetails {
    PayerDetails {
        client_id: client_id(),
        name: "Jane Doe".to_string(),
        email: "jane@example.com".to_string(),
        country: country("DE"),
        kind: ClientKind::Individual,
        vat_number: None,
        address: None,
        payer_id: None,
    }
}

fn business_payer() -> PayerDetails {
    PayerDetails {
        name: "Example SARL".to_string(),
        country: country("FR"),
        kind: ClientKind::Company,
        vat_number: Some(VatNumber::parse("FR12345678901").unwrap()),
        ..payer()
    }
}

fn added_19() -> TaxTreatment {
    TaxTreatment::Standard {
        rate: TaxRate::parse("19").unwrap(),
        mode: TaxMode::Added,
    }
}

fn line(quantity: &str, unit_price: &str) -> LineInput {
    LineInput::new(
        "VDS S, March",
        Decimal::from_str(quantity).unwrap(),
        eur(unit_price),
    )
}

/// Every field of `DraftInvoice`, so that a test changes only the one it is about.
#[derive(Clone)]
struct Draft {
    invoice_id: InvoiceId,
    kind: InvoiceKind,
    seller: SellerDetails,
    payer: PayerDetails,
    lines: Vec<LineInput>,
    recorded: Vec<tax::RecordedLine>,
    drafted_on: NaiveDate,
    treatment: TaxTreatment,
    issued_on: NaiveDate,
    due_on: NaiveDate,
    payment_id: Option<PaymentId>,
    period: Option<InvoicePeriod>,
    corrects: Option<InvoiceId>,
    note: Option<String>,
}

impl Draft {
    fn command(self) -> InvoiceCommand {
        InvoiceCommand::DraftInvoice {
            invoice_id: self.invoice_id,
            kind: self.kind,
            provider_id: provider_id(),
            company_id: company_id(),
            client_id: client_id(),
            seller: self.seller,
            payer: self.payer,
            currency: Currency::EUR,
            lines: self.lines,
            recorded: self.recorded,
            drafted_on: self.drafted_on,
            treatment: self.treatment,
            issued_on: self.issued_on,
            due_on: self.due_on,
            payment_id: self.payment_id,
            period: self.period,
            corrects: self.corrects,
            note: self.note,
        }
    }

    /// The event drafting prices into; the pricing itself is tested in `tax`.
    fn drafted(self) -> InvoiceEvent {
        let (lines, totals) = tax::price_lines(self.lines, &self.treatment, Currency::EUR).unwrap();
        InvoiceEvent::InvoiceDrafted {
            invoice_id: self.invoice_id,
            kind: self.kind,
            provider_id: provider_id(),
            company_id: company_id(),
            client_id: client_id(),
            seller: self.seller,
            payer: self.payer,
            currency: Currency::EUR,
            lines,
            totals,
            treatment: self.treatment,
            tax_notice: self.treatment.notice().map(str::to_string),
            issued_on: self.issued_on,
            due_on: self.due_on,
            payment_id: self.payment_id,
            period: self.period,
            corrects: self.corrects,
            note: self.note.map(|note| note.trim().to_string()),
        }
    }
}

/// A manual invoice of 3 × 9.99 at 19 % added: 29.97 net, 5.69 tax, 35.66 gross.
fn manual() -> Draft {
    Draft {
        invoice_id: invoice_id(),
        kind: InvoiceKind::Manual,
        seller: seller(),
        payer: payer(),
        lines: vec![line("3", "9.99")],
        recorded: Vec::new(),
        drafted_on: date("2026-03-01"),
        treatment: added_19(),
        issued_on: date("2026-03-01"),
        due_on: date("2026-03-15"),
        payment_id: None,
        period: None,
        corrects: None,
        note: None,
    }
}

fn proforma() -> Draft {
    Draft {
        kind: InvoiceKind::Proforma,
        payment_id: Some(payment_id()),
        ..manual()
    }
}

fn monthly() -> Draft {
    Draft {
        kind: InvoiceKind::Monthly,
        period: Some(InvoicePeriod {
            start: date("2026-02-01"),
            end: date("2026-03-01"),
        }),
        ..manual()
    }
}

fn credit_note() -> Draft {
    Draft {
        kind: InvoiceKind::CreditNote,
        corrects: Some(original_id()),
        ..manual()
    }
}

fn issued() -> InvoiceEvent {
    InvoiceEvent::InvoiceIssued {
        sequence: 42,
        number: "INV2026-000042".to_string(),
    }
}

fn assign(sequence: u64, number: &str) -> InvoiceCommand {
    InvoiceCommand::AssignNumber {
        sequence,
        number: number.to_string(),
    }
}

fn mark_paid(payment_id: PaymentId) -> InvoiceCommand {
    InvoiceCommand::MarkPaid {
        payment_id,
        paid_on: date("2026-03-05"),
    }
}

fn paid(payment_id: PaymentId) -> InvoiceEvent {
    InvoiceEvent::InvoicePaid {
        payment_id,
        paid_on: date("2026-03-05"),
    }
}

fn credit(n: u128, gross: &str) -> InvoiceCommand {
    InvoiceCommand::RecordCreditNote {
        credit_note_id: credit_note_id(n),
        gross: eur(gross),
    }
}

fn credited(n: u128, gross: &str, credited_total: &str) -> InvoiceEvent {
    InvoiceEvent::InvoiceCredited {
        credit_note_id: credit_note_id(n),
        gross: eur(gross),
        credited_total: eur(credited_total),
    }
}

fn cancel(reason: &str) -> InvoiceCommand {
    InvoiceCommand::CancelInvoice {
        reason: reason.to_string(),
    }
}

fn cancelled() -> InvoiceEvent {
    InvoiceEvent::InvoiceCancelled {
        reason: "client chose another plan".to_string(),
    }
}

fn send(recipient: Option<&str>) -> InvoiceCommand {
    InvoiceCommand::RequestSend {
        recipient: recipient.map(str::to_string),
        requested_by: "staff:anna".to_string(),
    }
}

fn send_requested(recipient: Option<&str>) -> InvoiceEvent {
    InvoiceEvent::InvoiceSendRequested {
        number: "INV2026-000042".to_string(),
        recipient: recipient.map(str::to_string),
        requested_by: "staff:anna".to_string(),
    }
}

/// The state after `events`.
fn invoice(events: Vec<InvoiceEvent>) -> Invoice {
    let mut invoice = Invoice::default();
    for event in events {
        invoice.apply(event);
    }
    invoice
}

// Drafting.

#[test]
fn a_draft_carries_its_priced_lines_and_totals() {
    let InvoiceEvent::InvoiceDrafted { lines, totals, .. } = manual().drafted() else {
        panic!("not a draft");
    };
    assert_eq!(lines[0].net, eur("29.97"));
    assert_eq!(lines[0].tax, eur("5.69"));
    assert_eq!(lines[0].gross, eur("35.66"));
    assert_eq!(
        totals,
        Totals {
            net: eur("29.97"),
            tax: eur("5.69"),
            gross: eur("35.66"),
            by_rate: vec![TaxBreakdown {
                rate: TaxRate::parse("19").unwrap(),
                net: eur("29.97"),
                tax: eur("5.69"),
            }],
        }
    );
    InvoiceTester::with(())
        .given_no_previous_events()
        .when(manual().command())
        .then_expect_events(vec![manual().drafted()]);
}

#[test]
fn every_kind_can_be_drafted_with_what_it_needs() {
    for draft in [proforma(), monthly(), credit_note()] {
        InvoiceTester::with(())
            .given_no_previous_events()
            .when(draft.clone().command())
            .then_expect_events(vec![draft.drafted()]);
    }
}

#[test]
fn an_invoice_is_drafted_only_once() {
    InvoiceTester::with(())
        .given(vec![manual().drafted()])
        .when(manual().command())
        .then_expect_error(InvoiceError::AlreadyDrafted);
}

#[test]
fn a_reverse_charge_draft_carries_the_notice_and_no_tax() {
    let draft = Draft {
        payer: business_payer(),
        treatment: TaxTreatment::ReverseCharge,
        ..manual()
    };
    let InvoiceEvent::InvoiceDrafted {
        totals, tax_notice, ..
    } = draft.clone().drafted()
    else {
        panic!("not a draft");
    };
    assert_eq!(tax_notice.as_deref(), Some(REVERSE_CHARGE_NOTICE));
    assert_eq!(totals.tax, eur("0.00"));
    assert_eq!(totals.gross, eur("29.97"));
    InvoiceTester::with(())
        .given_no_previous_events()
        .when(draft.clone().command())
        .then_expect_events(vec![draft.drafted()]);
}

#[test]
fn reverse_charge_needs_a_business_payer_with_a_vat_number() {
    InvoiceTester::with(())
        .given_no_previous_events()
        .when(
            Draft {
                treatment: TaxTreatment::ReverseCharge,
                ..manual()
            }
            .command(),
        )
        .then_expect_error(InvoiceError::ReverseChargeNotApplicable);
}

#[test]
fn the_due_date_is_not_before_the_issue_date() {
    InvoiceTester::with(())
        .given_no_previous_events()
        .when(
            Draft {
                due_on: date("2026-02-28"),
                ..manual()
            }
            .command(),
        )
        .then_expect_error(InvoiceError::DueBeforeIssue);
}

#[test]
fn a_due_date_on_the_issue_date_is_accepted() {
    let draft = Draft {
        due_on: date("2026-03-01"),
        ..manual()
    };
    InvoiceTester::with(())
        .given_no_previous_events()
        .when(draft.clone().command())
        .then_expect_events(vec![draft.drafted()]);
}

#[test]
fn a_credit_note_must_name_the_invoice_it_corrects() {
    InvoiceTester::with(())
        .given_no_previous_events()
        .when(
            Draft {
                corrects: None,
                ..credit_note()
            }
            .command(),
        )
        .then_expect_error(InvoiceError::InvalidCorrects);
}

#[test]
fn only_a_credit_note_corrects_an_invoice() {
    InvoiceTester::with(())
        .given_no_previous_events()
        .when(
            Draft {
                corrects: Some(original_id()),
                ..manual()
            }
            .command(),
        )
        .then_expect_error(InvoiceError::InvalidCorrects);
}

#[test]
fn a_credit_note_cannot_correct_itself() {
    InvoiceTester::with(())
        .given_no_previous_events()
        .when(
            Draft {
                corrects: Some(invoice_id()),
                ..credit_note()
            }
            .command(),
        )
        .then_expect_error(InvoiceError::InvalidCorrects);
}

#[test]
fn a_proforma_needs_its_payment() {
    InvoiceTester::with(())
        .given_no_previous_events()
        .when(
            Draft {
                payment_id: None,
                ..proforma()
            }
            .command(),
        )
        .then_expect_error(InvoiceError::ProformaWithoutPayment);
}

#[test]
fn a_monthly_invoice_needs_its_period() {
    InvoiceTester::with(())
        .given_no_previous_events()
        .when(
            Draft {
                period: None,
                ..monthly()
            }
            .command(),
        )
        .then_expect_error(InvoiceError::MonthlyWithoutPeriod);
}

#[test]
fn a_period_ends_after_it_starts() {
    InvoiceTester::with(())
        .given_no_previous_events()
        .when(
            Draft {
                period: Some(InvoicePeriod {
                    start: date("2026-02-01"),
                    end: date("2026-02-01"),
                }),
                ..monthly()
            }
            .command(),
        )
        .then_expect_error(InvoiceError::InvalidPeriod);
}

#[test]
fn the_seller_must_be_the_issuing_company() {
    InvoiceTester::with(())
        .given_no_previous_events()
        .when(
            Draft {
                seller: SellerDetails {
                    company_id: CompanyId::from_uuid(Uuid::from_u128(0xC1)),
                    ..seller()
                },
                ..manual()
            }
            .command(),
        )
        .then_expect_error(InvoiceError::SellerMismatch);
}

#[test]
fn the_payer_must_be_the_billed_client() {
    InvoiceTester::with(())
        .given_no_previous_events()
        .when(
            Draft {
                payer: PayerDetails {
                    client_id: ClientId::from_uuid(Uuid::from_u128(0x21)),
                    ..payer()
                },
                ..manual()
            }
            .command(),
        )
        .then_expect_error(InvoiceError::PayerMismatch);
}

#[test]
fn a_note_is_trimmed_and_may_span_lines() {
    let draft = Draft {
        note: Some("  Thank you!\nPay within 14 days.  ".to_string()),
        ..manual()
    };
    InvoiceTester::with(())
        .given_no_previous_events()
        .when(draft.clone().command())
        .then_expect_events(vec![draft.drafted()]);
}

#[test]
fn a_blank_or_too_long_note_is_refused() {
    for note in ["   ", "tab\there", &"x".repeat(2001)] {
        InvoiceTester::with(())
            .given_no_previous_events()
            .when(
                Draft {
                    note: Some(note.to_string()),
                    ..manual()
                }
                .command(),
            )
            .then_expect_error(InvoiceError::InvalidNote);
    }
}

#[test]
fn lines_that_cannot_be_priced_refuse_the_draft() {
    InvoiceTester::with(())
        .given_no_previous_events()
        .when(
            Draft {
                lines: vec![],
                ..manual()
            }
            .command(),
        )
        .then_expect_error(InvoiceError::Tax(TaxError::NoLines));
    let error = Invoice::default()
        .decide(
            Draft {
                lines: vec![line("1", "1.00").with_discount(eur("2.00"))],
                ..manual()
            }
            .command(),
        )
        .unwrap_err();
    assert_eq!(error.code(), "discount_exceeds_amount");
}

#[test]
fn a_draft_has_no_number_and_cannot_be_paid_or_credited() {
    let draft = invoice(vec![manual().drafted()]);
    assert_eq!(draft.status(), Some(InvoiceStatus::Draft));
    assert_eq!(draft.number(), None);
    assert_eq!(draft.remaining_creditable(), None);
    InvoiceTester::with(())
        .given(vec![manual().drafted()])
        .when(mark_paid(payment_id()))
        .then_expect_error(InvoiceError::NotIssued);
    InvoiceTester::with(())
        .given(vec![manual().drafted()])
        .when(credit(1, "1.00"))
        .then_expect_error(InvoiceError::NotIssued);
}

#[test]
fn a_draft_exposes_what_it_prints() {
    let draft = invoice(vec![manual().drafted()]);
    assert_eq!(draft.invoice_id(), Some(invoice_id()));
    assert_eq!(draft.kind(), Some(InvoiceKind::Manual));
    assert_eq!(draft.company_id(), Some(company_id()));
    assert_eq!(draft.client_id(), Some(client_id()));
    assert_eq!(draft.provider_id(), Some(provider_id()));
    assert_eq!(draft.seller(), Some(&seller()));
    assert_eq!(draft.payer(), Some(&payer()));
    assert_eq!(draft.currency(), Some(Currency::EUR));
    assert_eq!(draft.lines().len(), 1);
    assert_eq!(
        draft.totals().map(|totals| totals.gross),
        Some(eur("35.66"))
    );
    assert_eq!(draft.issued_on(), Some(date("2026-03-01")));
    assert_eq!(draft.due_on(), Some(date("2026-03-15")));
    assert_eq!(draft.treatment(), Some(added_19()));
    assert_eq!(draft.tax_notice(), None);
    assert_eq!(Invoice::default().status(), None);
    assert!(Invoice::default().lines().is_empty());
}

// Numbering.

#[test]
fn a_number_issues_the_draft() {
    InvoiceTester::with(())
        .given(vec![manual().drafted()])
        .when(assign(42, "INV2026-000042"))
        .then_expect_events(vec![issued()]);
    let issued = invoice(vec![manual().drafted(), issued()]);
    assert_eq!(issued.status(), Some(InvoiceStatus::Issued));
    assert_eq!(issued.number(), Some("INV2026-000042"));
    assert_eq!(issued.sequence(), Some(42));
}

#[test]
fn the_same_number_again_records_nothing() {
    InvoiceTester::with(())
        .given(vec![manual().drafted(), issued()])
        .when(assign(42, "INV2026-000042"))
        .then_expect_events(vec![]);
}

#[test]
fn another_number_for_a_numbered_invoice_is_refused() {
    InvoiceTester::with(())
        .given(vec![manual().drafted(), issued()])
        .when(assign(43, "INV2026-000043"))
        .then_expect_error(InvoiceError::AlreadyNumbered("INV2026-000042".to_string()));
}

#[test]
fn a_number_needs_a_draft() {
    InvoiceTester::with(())
        .given_no_previous_events()
        .when(assign(1, "INV2026-000001"))
        .then_expect_error(InvoiceError::NotDrafted);
}

#[test]
fn a_malformed_number_is_refused() {
    for (sequence, number) in [(0, "INV2026-000000"), (1, ""), (1, " INV1"), (1, "INV\n1")] {
        InvoiceTester::with(())
            .given(vec![manual().drafted()])
            .when(assign(sequence, number))
            .then_expect_error(InvoiceError::InvalidNumber);
    }
}

#[test]
fn a_draft_asks_its_company_book_for_a_number() {
    let numbering = InvoiceNumbering::new("INV", NumberingReset::Yearly).unwrap();
    let (book_id, command) = invoice(vec![manual().drafted()])
        .numbering_command(&numbering)
        .unwrap();
    assert_eq!(
        book_id,
        InvoiceBookId::of(company_id(), "invoice", Some(2026))
    );
    assert_eq!(
        command,
        InvoiceBookCommand::NumberDocument {
            invoice_id: invoice_id(),
            company_id: company_id(),
            series: "invoice".to_string(),
            year: 2026,
            numbering: numbering.clone(),
        }
    );
    let credit = invoice(vec![credit_note().drafted()]);
    let never = InvoiceNumbering::new("CN", NumberingReset::Never).unwrap();
    assert_eq!(
        credit.numbering_command(&never).map(|(book, _)| book),
        Some(InvoiceBookId::of(company_id(), "credit_note", None))
    );
    let numbered = invoice(vec![manual().drafted(), issued()]);
    assert_eq!(numbered.numbering_command(&numbering), None);
    assert_eq!(Invoice::default().numbering_command(&numbering), None);
}

#[test]
fn the_book_number_and_the_invoice_agree() {
    let numbering = InvoiceNumbering::new("INV", NumberingReset::Yearly).unwrap();
    let (_, command) = invoice(vec![manual().drafted()])
        .numbering_command(&numbering)
        .unwrap();
    let events = InvoiceBook::default().decide(command).unwrap();
    let [
        InvoiceBookEvent::DocumentNumbered {
            sequence, number, ..
        },
    ] = events.as_slice()
    else {
        panic!("expected one number");
    };
    assert_eq!(number, "INV2026-000001");
    InvoiceTester::with(())
        .given(vec![manual().drafted()])
        .when(assign(*sequence, number))
        .then_expect_events(vec![InvoiceEvent::InvoiceIssued {
            sequence: 1,
            number: "INV2026-000001".to_string(),
        }]);
}

// Payment.

#[test]
fn an_issued_invoice_is_paid() {
    InvoiceTester::with(())
        .given(vec![manual().drafted(), issued()])
        .when(mark_paid(payment_id()))
        .then_expect_events(vec![paid(payment_id())]);
    let paid = invoice(vec![manual().drafted(), issued(), paid(payment_id())]);
    assert_eq!(paid.status(), Some(InvoiceStatus::Paid));
    assert_eq!(paid.paid(), Some((payment_id(), date("2026-03-05"))));
}

#[test]
fn paying_a_paid_invoice_records_nothing() {
    InvoiceTester::with(())
        .given(vec![manual().drafted(), issued(), paid(payment_id())])
        .when(mark_paid(other_payment_id()))
        .then_expect_events(vec![]);
}

#[test]
fn a_proforma_is_paid_only_by_its_payment() {
    InvoiceTester::with(())
        .given(vec![proforma().drafted(), issued()])
        .when(mark_paid(other_payment_id()))
        .then_expect_error(InvoiceError::PaymentMismatch {
            expected: payment_id(),
            found: other_payment_id(),
        });
    InvoiceTester::with(())
        .given(vec![proforma().drafted(), issued()])
        .when(mark_paid(payment_id()))
        .then_expect_events(vec![paid(payment_id())]);
}

#[test]
fn a_credit_note_is_not_paid() {
    InvoiceTester::with(())
        .given(vec![credit_note().drafted(), issued()])
        .when(mark_paid(payment_id()))
        .then_expect_error(InvoiceError::IsCreditNote);
}

#[test]
fn a_cancelled_proforma_is_not_paid() {
    InvoiceTester::with(())
        .given(vec![proforma().drafted(), issued(), cancelled()])
        .when(mark_paid(payment_id()))
        .then_expect_error(InvoiceError::Cancelled);
}

// Sending a document to the client.

#[test]
fn an_issued_invoice_is_sent_to_the_client_or_to_an_address_given() {
    InvoiceTester::with(())
        .given(vec![manual().drafted(), issued()])
        .when(send(None))
        .then_expect_events(vec![send_requested(None)]);
    // The address is checked like a client's, and its domain lowercased.
    InvoiceTester::with(())
        .given(vec![manual().drafted(), issued()])
        .when(send(Some(" jane@EXAMPLE.org ")))
        .then_expect_events(vec![send_requested(Some("jane@example.org"))]);
}

#[test]
fn every_request_to_send_is_recorded_and_changes_nothing_else() {
    InvoiceTester::with(())
        .given(vec![manual().drafted(), issued(), send_requested(None)])
        .when(send(None))
        .then_expect_events(vec![send_requested(None)]);
    let sent = invoice(vec![manual().drafted(), issued(), send_requested(None)]);
    assert_eq!(sent, invoice(vec![manual().drafted(), issued()]));
}

#[test]
fn paid_credited_and_credit_note_documents_are_sent_too() {
    for given in [
        vec![manual().drafted(), issued(), paid(payment_id())],
        vec![manual().drafted(), issued(), credited(1, "1.00", "1.00")],
        vec![credit_note().drafted(), issued()],
    ] {
        InvoiceTester::with(())
            .given(given)
            .when(send(None))
            .then_expect_events(vec![send_requested(None)]);
    }
}

#[test]
fn a_draft_or_a_cancelled_proforma_is_not_sent() {
    InvoiceTester::with(())
        .given(vec![manual().drafted()])
        .when(send(None))
        .then_expect_error(InvoiceError::NotIssued);
    InvoiceTester::with(())
        .given(vec![proforma().drafted(), issued(), cancelled()])
        .when(send(None))
        .then_expect_error(InvoiceError::Cancelled);
    InvoiceTester::with(())
        .given(vec![])
        .when(send(None))
        .then_expect_error(InvoiceError::NotDrafted);
}

#[test]
fn a_bad_address_or_no_requester_is_refused() {
    for bad in ["", "nobody", "a@b", "two words@example.com"] {
        InvoiceTester::with(())
            .given(vec![manual().drafted(), issued()])
            .when(send(Some(bad)))
            .then_expect_error(InvoiceError::InvalidRecipient(bad.to_string()));
    }
    InvoiceTester::with(())
        .given(vec![manual().drafted(), issued()])
        .when(InvoiceCommand::RequestSend {
            recipient: None,
            requested_by: " ".to_string(),
        })
        .then_expect_error(InvoiceError::InvalidRequester);
    assert_eq!(
        InvoiceError::InvalidRecipient("x".to_string()).code(),
        "invalid_recipient"
    );
}

// Credit notes.

#[test]
fn a_credit_note_reserves_part_of_the_invoice() {
    InvoiceTester::with(())
        .given(vec![manual().drafted(), issued()])
        .when(credit(1, "10.00"))
        .then_expect_events(vec![credited(1, "10.00", "10.00")]);
    let partly = invoice(vec![
        manual().drafted(),
        issued(),
        credited(1, "10.00", "10.00"),
    ]);
    assert_eq!(partly.status(), Some(InvoiceStatus::PartiallyCredited));
    assert_eq!(partly.remaining_creditable(), Some(eur("25.66")));
    assert_eq!(partly.credit_notes(), &[credit_note_id(1)]);
}

#[test]
fn credit_notes_add_up_to_the_credited_total() {
    InvoiceTester::with(())
        .given(vec![
            manual().drafted(),
            issued(),
            paid(payment_id()),
            credited(1, "10.00", "10.00"),
        ])
        .when(credit(2, "25.66"))
        .then_expect_events(vec![credited(2, "25.66", "35.66")]);
    let fully = invoice(vec![
        manual().drafted(),
        issued(),
        paid(payment_id()),
        credited(1, "10.00", "10.00"),
        credited(2, "25.66", "35.66"),
    ]);
    assert_eq!(fully.status(), Some(InvoiceStatus::Credited));
    assert_eq!(fully.remaining_creditable(), Some(eur("0.00")));
}

#[test]
fn credit_notes_cannot_give_back_more_than_the_invoice() {
    InvoiceTester::with(())
        .given(vec![
            manual().drafted(),
            issued(),
            credited(1, "30.00", "30.00"),
        ])
        .when(credit(2, "5.67"))
        .then_expect_error(InvoiceError::CreditExceedsInvoice {
            requested: eur("5.67"),
            remaining: eur("5.66"),
        });
    assert_eq!(
        InvoiceError::CreditExceedsInvoice {
            requested: eur("5.67"),
            remaining: eur("5.66"),
        }
        .code(),
        "credit_exceeds_invoice"
    );
}

#[test]
fn recording_the_same_credit_note_again_records_nothing() {
    InvoiceTester::with(())
        .given(vec![
            manual().drafted(),
            issued(),
            credited(1, "30.00", "30.00"),
        ])
        .when(credit(1, "30.00"))
        .then_expect_events(vec![]);
}

#[test]
fn a_credit_must_be_positive_and_in_the_invoice_currency() {
    InvoiceTester::with(())
        .given(vec![manual().drafted(), issued()])
        .when(credit(1, "0.00"))
        .then_expect_error(InvoiceError::CreditNotPositive);
    InvoiceTester::with(())
        .given(vec![manual().drafted(), issued()])
        .when(InvoiceCommand::RecordCreditNote {
            credit_note_id: credit_note_id(1),
            gross: Money::parse("1.00", Currency::USD).unwrap(),
        })
        .then_expect_error(InvoiceError::CurrencyMismatch {
            expected: Currency::EUR,
            found: Currency::USD,
        });
}

#[test]
fn a_credit_note_is_not_credited() {
    InvoiceTester::with(())
        .given(vec![credit_note().drafted(), issued()])
        .when(credit(1, "1.00"))
        .then_expect_error(InvoiceError::IsCreditNote);
    assert_eq!(
        invoice(vec![credit_note().drafted(), issued()]).remaining_creditable(),
        None
    );
}

#[test]
fn an_invoice_does_not_credit_itself() {
    InvoiceTester::with(())
        .given(vec![manual().drafted(), issued()])
        .when(InvoiceCommand::RecordCreditNote {
            credit_note_id: invoice_id(),
            gross: eur("1.00"),
        })
        .then_expect_error(InvoiceError::CreditsItself(invoice_id()));
}

#[test]
fn credits_need_a_drafted_invoice() {
    InvoiceTester::with(())
        .given_no_previous_events()
        .when(credit(1, "1.00"))
        .then_expect_error(InvoiceError::NotDrafted);
}

// Cancelling.

#[test]
fn an_unpaid_proforma_is_cancelled_with_a_trimmed_reason() {
    for given in [
        vec![proforma().drafted()],
        vec![proforma().drafted(), issued()],
    ] {
        InvoiceTester::with(())
            .given(given)
            .when(cancel("  client chose another plan "))
            .then_expect_events(vec![cancelled()]);
    }
    let cancelled = invoice(vec![proforma().drafted(), issued(), cancelled()]);
    assert_eq!(cancelled.status(), Some(InvoiceStatus::Cancelled));
    assert_eq!(cancelled.remaining_creditable(), None);
}

#[test]
fn cancelling_a_cancelled_proforma_records_nothing() {
    InvoiceTester::with(())
        .given(vec![proforma().drafted(), cancelled()])
        .when(cancel("again"))
        .then_expect_events(vec![]);
}

#[test]
fn a_paid_proforma_is_not_cancellable() {
    InvoiceTester::with(())
        .given(vec![proforma().drafted(), issued(), paid(payment_id())])
        .when(cancel("too late"))
        .then_expect_error(InvoiceError::NotCancellable);
}

#[test]
fn a_tax_document_is_never_cancelled() {
    for draft in [manual(), monthly(), credit_note()] {
        for given in [
            vec![draft.clone().drafted()],
            vec![draft.drafted(), issued()],
        ] {
            InvoiceTester::with(())
                .given(given)
                .when(cancel("mistake"))
                .then_expect_error(InvoiceError::NotCancellable);
        }
    }
    assert_eq!(
        InvoiceError::NotCancellable.code(),
        "invoice_not_cancellable"
    );
}

#[test]
fn a_cancellation_needs_a_reason() {
    InvoiceTester::with(())
        .given(vec![proforma().drafted()])
        .when(cancel("  "))
        .then_expect_error(InvoiceError::InvalidReason);
}

#[test]
fn a_cancelled_draft_still_takes_the_number_it_was_given() {
    InvoiceTester::with(())
        .given(vec![proforma().drafted(), cancelled()])
        .when(assign(42, "INV2026-000042"))
        .then_expect_events(vec![issued()]);
    let numbered = invoice(vec![proforma().drafted(), cancelled(), issued()]);
    assert_eq!(numbered.status(), Some(InvoiceStatus::Cancelled));
    assert_eq!(numbered.number(), Some("INV2026-000042"));
}

// Values and events.

#[test]
fn kinds_have_series_and_snake_case_names() {
    assert_eq!(InvoiceKind::Manual.series(), "invoice");
    assert_eq!(InvoiceKind::Monthly.series(), "invoice");
    assert_eq!(InvoiceKind::Proforma.series(), "proforma");
    assert_eq!(InvoiceKind::CreditNote.series(), "credit_note");
    for kind in [
        InvoiceKind::Proforma,
        InvoiceKind::Monthly,
        InvoiceKind::Manual,
        InvoiceKind::CreditNote,
    ] {
        let json = serde_json::to_string(&kind).unwrap();
        assert_eq!(json, format!("\"{}\"", kind.as_str()));
    }
}

#[test]
fn statuses_serialize_as_their_names() {
    for status in [
        InvoiceStatus::Draft,
        InvoiceStatus::Issued,
        InvoiceStatus::Paid,
        InvoiceStatus::PartiallyCredited,
        InvoiceStatus::Credited,
        InvoiceStatus::Cancelled,
    ] {
        let json = serde_json::to_string(&status).unwrap();
        assert_eq!(json, format!("\"{}\"", status.as_str()));
    }
}

#[test]
fn a_payer_is_a_tax_customer() {
    let customer = business_payer().tax_customer();
    assert_eq!(customer.country, country("FR"));
    assert_eq!(customer.kind, ClientKind::Company);
    assert!(business_payer().is_business_with_vat_number());
    assert!(!payer().is_business_with_vat_number());
}

#[test]
fn event_names_are_stable_literals_at_version_1_0() {
    let cases = [
        (manual().drafted(), "InvoiceDrafted"),
        (issued(), "InvoiceIssued"),
        (paid(payment_id()), "InvoicePaid"),
        (
            partly(payment_id(), "1.00", "1.00", "2.00"),
            "InvoicePartlyPaid",
        ),
        (credited(1, "1.00", "1.00"), "InvoiceCredited"),
        (cancelled(), "InvoiceCancelled"),
        (send_requested(None), "InvoiceSendRequested"),
    ];
    for (event, name) in cases {
        assert_eq!(event.event_type(), name);
        assert_eq!(event.event_version(), "1.0");
    }
}

#[test]
fn events_round_trip_through_json() {
    for event in [
        manual().drafted(),
        monthly().drafted(),
        Draft {
            payer: business_payer(),
            treatment: TaxTreatment::ReverseCharge,
            ..credit_note()
        }
        .drafted(),
        issued(),
        paid(payment_id()),
        partly(payment_id(), "1.00", "1.00", "2.00"),
        credited(1, "1.00", "1.00"),
        cancelled(),
        send_requested(Some("jane@example.com")),
    ] {
        let json = serde_json::to_string(&event).unwrap();
        assert_eq!(serde_json::from_str::<InvoiceEvent>(&json).unwrap(), event);
    }
}

#[test]
fn wrapped_errors_keep_their_codes() {
    assert_eq!(InvoiceError::Tax(TaxError::NoLines).code(), "no_lines");
    assert_eq!(
        InvoiceError::Money(MoneyError::Overflow).code(),
        "amount_out_of_range"
    );
    assert_eq!(
        InvoiceError::DueBeforeIssue.to_string(),
        "due_on: must not be before issued_on"
    );
}

// A period is invoiced only once it has ended.

#[test]
fn a_month_that_has_not_ended_is_not_invoiced() {
    // February 2026 ends on 2026-03-01; on 2026-02-27 it has not.
    InvoiceTester::with(())
        .given_no_previous_events()
        .when(
            Draft {
                drafted_on: date("2026-02-27"),
                ..monthly()
            }
            .command(),
        )
        .then_expect_error(InvoiceError::PeriodNotEnded {
            end: date("2026-03-01"),
            today: date("2026-02-27"),
        });
}

#[test]
fn a_month_is_invoiced_from_the_day_after_its_last_day() {
    let february = InvoicePeriod {
        start: date("2026-02-01"),
        end: date("2026-03-01"),
    };
    assert!(february.ensure_ended(date("2026-02-28")).is_err());
    assert_eq!(february.ensure_ended(date("2026-03-01")), Ok(()));
    assert_eq!(
        InvoiceError::PeriodNotEnded {
            end: date("2026-03-01"),
            today: date("2026-02-28"),
        }
        .code(),
        "period_not_ended"
    );
}

// A monthly invoice copies what the account recorded, credits included.

fn recorded(description: &str, net: &str, rate: &str, tax: &str, gross: &str) -> tax::RecordedLine {
    tax::RecordedLine {
        description: description.to_string(),
        amounts: tax::TaxedAmount {
            rate: TaxRate::parse(rate).unwrap(),
            net: eur(net),
            tax: eur(tax),
            gross: eur(gross),
        },
    }
}

fn monthly_of(recorded: Vec<tax::RecordedLine>) -> InvoiceCommand {
    Draft {
        lines: Vec::new(),
        recorded,
        ..monthly()
    }
    .command()
}

fn drafted_totals(events: &[InvoiceEvent]) -> (Vec<InvoiceLine>, Totals) {
    match events {
        [InvoiceEvent::InvoiceDrafted { lines, totals, .. }] => (lines.clone(), totals.clone()),
        other => panic!("expected one draft, got {other:?}"),
    }
}

#[test]
fn a_monthly_invoice_has_every_movement_of_the_month_with_credits_as_negative_lines() {
    // 22.99 + 11.50 − 6.50 = 27.99, not taxed.
    let events = Invoice::default()
        .decide(monthly_of(vec![
            recorded("VDS S renewal", "22.99", "0", "0.00", "22.99"),
            recorded("VDS M, remaining days", "11.50", "0", "0.00", "11.50"),
            recorded("unused part of VDS S", "-6.50", "0", "0.00", "-6.50"),
        ]))
        .unwrap();
    let (lines, totals) = drafted_totals(&events);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2].gross, eur("-6.50"));
    assert_eq!(totals.gross, eur("27.99"));
}

#[test]
fn a_monthly_invoice_takes_each_line_tax_as_the_account_recorded_it() {
    // 8.00 + 1.52 = 9.52; a void of it −8.00 − 1.52 = −9.52; 11.50 + 2.19 = 13.69.
    // Totals: net 8.00 − 8.00 + 11.50 = 11.50, tax 1.52 − 1.52 + 2.19 = 2.19, gross 13.69.
    let events = Invoice::default()
        .decide(monthly_of(vec![
            recorded("VDS S", "8.00", "19", "1.52", "9.52"),
            recorded("void: outage", "-8.00", "19", "-1.52", "-9.52"),
            recorded("VDS M", "11.50", "19", "2.19", "13.69"),
        ]))
        .unwrap();
    let (lines, totals) = drafted_totals(&events);
    assert_eq!(lines[0].tax, eur("1.52"));
    assert_eq!(lines[1].tax, eur("-1.52"));
    assert_eq!(totals.net, eur("11.50"));
    assert_eq!(totals.tax, eur("2.19"));
    assert_eq!(totals.gross, eur("13.69"));
}

#[test]
fn a_recorded_line_must_add_up() {
    InvoiceTester::with(())
        .given_no_previous_events()
        .when(monthly_of(vec![recorded(
            "VDS S", "8.00", "19", "1.52", "9.53",
        )]))
        .then_expect_error(InvoiceError::Tax(TaxError::LineDoesNotAddUp { line: 0 }));
}

#[test]
fn lines_to_price_and_recorded_lines_do_not_mix() {
    InvoiceTester::with(())
        .given_no_previous_events()
        .when(
            Draft {
                recorded: vec![recorded("VDS S", "8.00", "0", "0.00", "8.00")],
                ..monthly()
            }
            .command(),
        )
        .then_expect_error(InvoiceError::MixedLines);
}

// A prepaid client's payment gets a tax invoice.

fn prepayment() -> Draft {
    Draft {
        kind: InvoiceKind::Prepayment,
        payment_id: Some(payment_id()),
        lines: vec![line("1", "9.52")],
        ..manual()
    }
}

#[test]
fn a_prepayment_invoice_takes_the_tax_out_of_the_payment_even_where_tax_is_added() {
    // Paid 9.52 under 19 % added: the payment holds the tax, net = 9.52 / 1.19 = 8.00,
    // tax = 9.52 − 8.00 = 1.52.
    let events = Invoice::default().decide(prepayment().command()).unwrap();
    let (lines, totals) = drafted_totals(&events);
    assert_eq!(lines[0].net, eur("8.00"));
    assert_eq!(totals.tax, eur("1.52"));
    assert_eq!(totals.gross, eur("9.52"));
    assert_eq!(InvoiceKind::Prepayment.series(), "invoice");
}

#[test]
fn a_prepayment_invoice_names_its_payment() {
    InvoiceTester::with(())
        .given_no_previous_events()
        .when(
            Draft {
                payment_id: None,
                ..prepayment()
            }
            .command(),
        )
        .then_expect_error(InvoiceError::PrepaymentWithoutPayment);
}

#[test]
fn a_payment_has_one_prepayment_invoice_id_of_its_own() {
    let other = PaymentId::from_uuid(uuid::Uuid::from_u128(0xBEEF));
    assert_eq!(
        InvoiceId::prepayment(payment_id()),
        InvoiceId::prepayment(payment_id())
    );
    assert_ne!(
        InvoiceId::prepayment(payment_id()),
        InvoiceId::prepayment(other)
    );
    assert_ne!(
        InvoiceId::prepayment(payment_id()),
        InvoiceId::proforma(payment_id())
    );
}

// A payment that names an invoice pays it if it covers what is left of it (ADR 29).

fn pay_with(payment_id: PaymentId, credited: &str) -> InvoiceCommand {
    InvoiceCommand::PayInvoice {
        payment_id,
        paid_on: date("2026-03-05"),
        credited: eur(credited),
    }
}

#[test]
fn a_payment_covering_an_issued_invoice_pays_it() {
    InvoiceTester::with(())
        .given(vec![manual().drafted(), issued()])
        .when(pay_with(payment_id(), "35.66"))
        .then_expect_events(vec![paid(payment_id())]);
}

#[test]
fn a_payment_above_the_invoice_pays_it_and_the_rest_stays_on_the_balance() {
    InvoiceTester::with(())
        .given(vec![manual().drafted(), issued()])
        .when(pay_with(payment_id(), "50.00"))
        .then_expect_events(vec![paid(payment_id())]);
}

fn partly(payment_id: PaymentId, amount: &str, paid_total: &str, left: &str) -> InvoiceEvent {
    InvoiceEvent::InvoicePartlyPaid {
        payment_id,
        paid_on: date("2026-03-05"),
        amount: eur(amount),
        paid_total: eur(paid_total),
        left: eur(left),
    }
}

fn third_payment_id() -> PaymentId {
    PaymentId::from_uuid(Uuid::from_u128(0x32))
}

#[test]
fn a_payment_short_of_the_invoice_pays_that_part_and_the_invoice_is_partially_paid() {
    InvoiceTester::with(())
        .given(vec![manual().drafted(), issued()])
        .when(pay_with(payment_id(), "35.65"))
        .then_expect_events(vec![partly(payment_id(), "35.65", "35.65", "0.01")]);
    let mut invoice = Invoice::default();
    for event in [
        manual().drafted(),
        issued(),
        partly(payment_id(), "35.65", "35.65", "0.01"),
    ] {
        invoice.apply(event);
    }
    assert_eq!(invoice.status(), Some(InvoiceStatus::PartiallyPaid));
    assert_eq!(invoice.left_to_pay(), Ok(eur("0.01")));
    assert_eq!(invoice.paid_in_part(), Some(eur("35.65")));
    assert!(invoice.was_paid_by(payment_id()));
    assert!(!invoice.was_paid_by(other_payment_id()));
}

#[test]
fn instalments_pay_the_invoice_once_they_cover_it_and_a_repeated_one_records_nothing() {
    let first = || partly(payment_id(), "10.00", "10.00", "25.66");
    let second = || partly(other_payment_id(), "20.00", "30.00", "5.66");
    InvoiceTester::with(())
        .given(vec![manual().drafted(), issued(), first()])
        .when(pay_with(other_payment_id(), "20.00"))
        .then_expect_events(vec![second()]);
    // The first instalment sent again is a replay.
    InvoiceTester::with(())
        .given(vec![manual().drafted(), issued(), first(), second()])
        .when(pay_with(payment_id(), "10.00"))
        .then_expect_events(vec![]);
    // The third covers the 5.66 left (and more, which stays on the balance): paid.
    InvoiceTester::with(())
        .given(vec![manual().drafted(), issued(), first(), second()])
        .when(pay_with(third_payment_id(), "6.00"))
        .then_expect_events(vec![InvoiceEvent::InvoicePaid {
            payment_id: third_payment_id(),
            paid_on: date("2026-03-05"),
        }]);
    // Once paid, an instalment sent again is still a replay, and a new payment is refused.
    let settled = || {
        vec![
            manual().drafted(),
            issued(),
            first(),
            second(),
            paid(third_payment_id()),
        ]
    };
    InvoiceTester::with(())
        .given(settled())
        .when(pay_with(payment_id(), "10.00"))
        .then_expect_events(vec![]);
    InvoiceTester::with(())
        .given(settled())
        .when(pay_with(
            PaymentId::from_uuid(Uuid::from_u128(0x33)),
            "1.00",
        ))
        .then_expect_error(InvoiceError::AlreadyPaid);
}

#[test]
fn credit_notes_and_instalments_together_leave_what_is_left_to_pay() {
    // 35.66 less a 10.00 credit note less a 20.00 instalment: 5.66 left, which 5.66 pays.
    InvoiceTester::with(())
        .given(vec![
            manual().drafted(),
            issued(),
            credited(1, "10.00", "10.00"),
        ])
        .when(pay_with(payment_id(), "20.00"))
        .then_expect_events(vec![partly(payment_id(), "20.00", "20.00", "5.66")]);
    InvoiceTester::with(())
        .given(vec![
            manual().drafted(),
            issued(),
            credited(1, "10.00", "10.00"),
            partly(payment_id(), "20.00", "20.00", "5.66"),
        ])
        .when(pay_with(other_payment_id(), "5.66"))
        .then_expect_events(vec![paid(other_payment_id())]);
}

#[test]
fn a_payment_of_nothing_or_in_another_currency_is_refused() {
    InvoiceTester::with(())
        .given(vec![manual().drafted(), issued()])
        .when(pay_with(payment_id(), "0.00"))
        .then_expect_error(InvoiceError::PaymentNotPositive);
    InvoiceTester::with(())
        .given(vec![manual().drafted(), issued()])
        .when(InvoiceCommand::PayInvoice {
            payment_id: payment_id(),
            paid_on: date("2026-03-05"),
            credited: Money::parse("35.66", Currency::USD).unwrap(),
        })
        .then_expect_error(InvoiceError::CurrencyMismatch {
            expected: Currency::EUR,
            found: Currency::USD,
        });
}

#[test]
fn a_payment_pays_what_credit_notes_left_of_the_invoice() {
    InvoiceTester::with(())
        .given(vec![
            manual().drafted(),
            issued(),
            credited(1, "10.00", "10.00"),
        ])
        .when(pay_with(payment_id(), "25.66"))
        .then_expect_events(vec![paid(payment_id())]);
}

#[test]
fn the_same_payment_again_records_nothing_and_another_is_refused() {
    InvoiceTester::with(())
        .given(vec![manual().drafted(), issued(), paid(payment_id())])
        .when(pay_with(payment_id(), "35.66"))
        .then_expect_events(vec![]);
    InvoiceTester::with(())
        .given(vec![manual().drafted(), issued(), paid(payment_id())])
        .when(pay_with(other_payment_id(), "35.66"))
        .then_expect_error(InvoiceError::AlreadyPaid);
}

#[test]
fn a_proforma_is_not_paid_by_a_payment_that_names_it() {
    InvoiceTester::with(())
        .given(vec![proforma().drafted(), issued()])
        .when(pay_with(other_payment_id(), "35.66"))
        .then_expect_error(InvoiceError::ProformaNotPayable);
}

#[test]
fn a_draft_is_not_paid_by_a_payment_that_names_it() {
    InvoiceTester::with(())
        .given(vec![manual().drafted()])
        .when(pay_with(payment_id(), "35.66"))
        .then_expect_error(InvoiceError::NotIssued);
}

#[test]
fn a_proforma_is_not_credited_and_offers_nothing_to_credit() {
    // A proforma asks for a payment; it is not a tax document, so no credit note corrects it.
    InvoiceTester::with(())
        .given(vec![proforma().drafted(), issued()])
        .when(credit(1, "10.00"))
        .then_expect_error(InvoiceError::ProformaNotCreditable);
    let mut issued_proforma = Invoice::default();
    for event in [proforma().drafted(), issued()] {
        issued_proforma.apply(event);
    }
    assert_eq!(issued_proforma.remaining_creditable(), None);
}
