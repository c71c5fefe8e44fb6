use cqrs_es::DomainEvent;
use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;
use crate::company::{InvoiceNumbering, NumberingReset};
use crate::ids::CompanyId;

type BookTester = TestFramework<InvoiceBook>;

fn invoice(n: u128) -> InvoiceId {
    InvoiceId::from_uuid(Uuid::from_u128(0x100 + n))
}

fn yearly() -> InvoiceNumbering {
    InvoiceNumbering::new("INV", NumberingReset::Yearly).unwrap()
}

fn number(invoice_id: InvoiceId, numbering: InvoiceNumbering) -> InvoiceBookCommand {
    InvoiceBookCommand::NumberDocument {
        invoice_id,
        company_id: CompanyId::from_uuid(Uuid::from_u128(0xC0)),
        series: "invoice".to_string(),
        year: 2026,
        numbering,
    }
}

fn numbered(invoice_id: InvoiceId, sequence: u64, number: &str) -> InvoiceBookEvent {
    InvoiceBookEvent::DocumentNumbered {
        invoice_id,
        sequence,
        number: number.to_string(),
    }
}

#[test]
fn the_first_document_gets_sequence_1() {
    BookTester::with(())
        .given_no_previous_events()
        .when(number(invoice(1), yearly()))
        .then_expect_events(vec![numbered(invoice(1), 1, "INV2026-000001")]);
}

#[test]
fn each_next_document_gets_the_next_sequence() {
    BookTester::with(())
        .given(vec![
            numbered(invoice(1), 1, "INV2026-000001"),
            numbered(invoice(2), 2, "INV2026-000002"),
        ])
        .when(number(invoice(3), yearly()))
        .then_expect_events(vec![numbered(invoice(3), 3, "INV2026-000003")]);
}

#[test]
fn a_never_resetting_numbering_has_no_year_in_the_number() {
    let never = InvoiceNumbering::new("A/", NumberingReset::Never).unwrap();
    BookTester::with(())
        .given(vec![numbered(invoice(1), 41, "A/000041")])
        .when(number(invoice(2), never))
        .then_expect_events(vec![numbered(invoice(2), 42, "A/000042")]);
}

#[test]
fn numbering_the_last_document_again_records_nothing() {
    BookTester::with(())
        .given(vec![numbered(invoice(1), 1, "INV2026-000001")])
        .when(number(invoice(1), yearly()))
        .then_expect_events(vec![]);
}

#[test]
fn the_book_keeps_only_the_last_document() {
    let mut book = InvoiceBook::default();
    assert_eq!(book.last_sequence(), 0);
    assert_eq!(book.last_invoice_id(), None);
    book.apply(numbered(invoice(1), 1, "INV2026-000001"));
    book.apply(numbered(invoice(2), 2, "INV2026-000002"));
    assert_eq!(book.last_sequence(), 2);
    assert_eq!(book.last_invoice_id(), Some(invoice(2)));
    assert_eq!(book.last_number(), Some("INV2026-000002"));
}

#[test]
fn a_series_is_1_to_32_of_a_z_and_underscore() {
    for series in ["", "Invoice", "credit-note", &"a".repeat(33)] {
        BookTester::with(())
            .given_no_previous_events()
            .when(InvoiceBookCommand::NumberDocument {
                invoice_id: invoice(1),
                company_id: CompanyId::from_uuid(Uuid::from_u128(0xC0)),
                series: series.to_string(),
                year: 2026,
                numbering: yearly(),
            })
            .then_expect_error(InvoiceBookError::InvalidSeries(series.to_string()));
    }
}

#[test]
fn a_year_is_from_1_to_9999() {
    for year in [0, -1, 10_000] {
        BookTester::with(())
            .given_no_previous_events()
            .when(InvoiceBookCommand::NumberDocument {
                invoice_id: invoice(1),
                company_id: CompanyId::from_uuid(Uuid::from_u128(0xC0)),
                series: "invoice".to_string(),
                year,
                numbering: yearly(),
            })
            .then_expect_error(InvoiceBookError::InvalidYear(year));
    }
}

#[test]
fn an_exhausted_sequence_is_refused() {
    BookTester::with(())
        .given(vec![numbered(invoice(1), u64::MAX, "INV")])
        .when(number(invoice(2), yearly()))
        .then_expect_error(InvoiceBookError::SequenceExhausted);
}

#[test]
fn the_event_name_is_a_stable_literal_at_version_1_0() {
    let event = numbered(invoice(1), 1, "INV2026-000001");
    assert_eq!(event.event_type(), "DocumentNumbered");
    assert_eq!(event.event_version(), "1.0");
    assert_eq!(
        InvoiceBookError::SequenceExhausted.code(),
        "sequence_exhausted"
    );
    assert_eq!(InvoiceBookError::InvalidYear(0).code(), "invalid_year");
}

#[test]
fn proformas_and_credit_notes_print_their_series_marker() {
    for (series, expected) in [
        ("proforma", "PF-INV2026-000001"),
        ("credit_note", "CN-INV2026-000001"),
        ("invoice", "INV2026-000001"),
    ] {
        let InvoiceBookCommand::NumberDocument {
            invoice_id,
            company_id,
            year,
            numbering,
            ..
        } = number(invoice(1), yearly());
        BookTester::with(())
            .given_no_previous_events()
            .when(InvoiceBookCommand::NumberDocument {
                invoice_id,
                company_id,
                series: series.to_string(),
                year,
                numbering,
            })
            .then_expect_events(vec![numbered(invoice(1), 1, expected)]);
    }
}
