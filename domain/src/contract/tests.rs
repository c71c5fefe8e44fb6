use chrono::NaiveDate;
use uuid::Uuid;

use super::*;
use crate::client::{ClientKind, Country};
use crate::ids::{ClientId, CompanyId, ContractId, ContractTemplateId, ProviderId};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
}

fn contract_id(n: u128) -> ContractId {
    ContractId::from_uuid(Uuid::from_u128(n))
}

fn company() -> CompanyId {
    CompanyId::from_uuid(Uuid::from_u128(0xC0))
}

fn client() -> ClientId {
    ClientId::from_uuid(Uuid::from_u128(0xC1))
}

fn template() -> ContractTemplateId {
    ContractTemplateId::from_uuid(Uuid::from_u128(0x7E))
}

fn number(book: &ContractBook, n: u128) -> Result<Vec<ContractBookEvent>, ContractError> {
    book.decide(ContractBookCommand::NumberContract {
        contract_id: contract_id(n),
        company_id: company(),
        year: 2026,
        prefix: "HC".to_string(),
    })
}

fn publish(
    state: &ContractTemplate,
    body: &str,
) -> Result<Vec<ContractTemplateEvent>, ContractError> {
    state.decide(ContractTemplateCommand::PublishContractTemplate {
        template_id: template(),
        company_id: company(),
        name: "Hosting contract".to_string(),
        prefix: "HC".to_string(),
        texts: vec![ContractText {
            language: Language::ENGLISH,
            title: "Contract {{contract_number}}".to_string(),
            body: body.to_string(),
        }],
        published_on: day(1),
    })
}

fn drafted() -> Contract {
    let mut contract = Contract::default();
    contract.apply(ContractEvent::ContractDrafted {
        contract_id: contract_id(1),
        provider_id: ProviderId::from_uuid(Uuid::from_u128(0xA)),
        company_id: company(),
        client_id: client(),
        template_id: template(),
        template_version: 1,
        number: "HC-2026-1".to_string(),
        sequence: 1,
        dated_on: day(7),
    });
    contract
}

fn seller() -> SellerDetails {
    SellerDetails {
        company_id: company(),
        name: "Acme Hosting".to_string(),
        country: Country::parse("DE").unwrap(),
        vat_number: None,
        address: "Berlin".to_string(),
        template: None,
    }
}

fn payer() -> PayerDetails {
    PayerDetails {
        client_id: client(),
        name: "Olga Berg".to_string(),
        email: "olga@example.com".to_string(),
        country: Country::parse("DE").unwrap(),
        kind: ClientKind::Individual,
        vat_number: None,
        address: None,
        payer_id: None,
    }
}

fn sign(contract: &Contract, on: NaiveDate) -> Result<Vec<ContractEvent>, ContractError> {
    contract.decide(ContractCommand::SignContract {
        signed_on: on,
        template_version: 1,
        texts: vec![ContractText {
            language: Language::ENGLISH,
            title: "Contract HC-2026-1".to_string(),
            body: "Between Acme Hosting and Olga Berg".to_string(),
        }],
        company: Box::new(seller()),
        client: Box::new(payer()),
    })
}

#[test]
fn a_book_numbers_contracts_one_after_another_without_gaps() {
    let mut book = ContractBook::default();
    for n in 1..=3 {
        let events = number(&book, n).unwrap();
        assert_eq!(
            events,
            vec![ContractBookEvent::ContractNumbered {
                contract_id: contract_id(n),
                sequence: u64::try_from(n).unwrap(),
                number: format!("HC-2026-{n}"),
            }]
        );
        for event in events {
            book.apply(event);
        }
    }
}

#[test]
fn numbering_the_last_contract_again_records_nothing() {
    let mut book = ContractBook::default();
    for event in number(&book, 1).unwrap() {
        book.apply(event);
    }
    assert_eq!(number(&book, 1).unwrap(), vec![]);
}

#[test]
fn a_prefix_outside_capitals_and_digits_is_refused() {
    let book = ContractBook::default();
    let refused = book.decide(ContractBookCommand::NumberContract {
        contract_id: contract_id(1),
        company_id: company(),
        year: 2026,
        prefix: "hc/1".to_string(),
    });
    assert_eq!(
        refused,
        Err(ContractError::InvalidPrefix("hc/1".to_string()))
    );
}

#[test]
fn a_template_with_an_unknown_placeholder_is_refused() {
    let refused = publish(&ContractTemplate::default(), "Dear {{client_nmae}}");
    assert_eq!(
        refused,
        Err(ContractError::UnknownPlaceholder("client_nmae".to_string()))
    );
}

#[test]
fn republishing_a_template_makes_the_next_version() {
    let mut state = ContractTemplate::default();
    for event in publish(&state, "One {{client_name}}").unwrap() {
        state.apply(event);
    }
    assert_eq!(publish(&state, "One {{client_name}}").unwrap(), vec![]);
    for event in publish(&state, "Two {{client_name}}").unwrap() {
        state.apply(event);
    }
    assert_eq!(state.published().unwrap().version, 2);
}

#[test]
fn a_template_renders_the_parties_number_and_date() {
    let mut state = ContractTemplate::default();
    for event in publish(
        &state,
        "{{company_name}} and {{client_name}} ({{client_email}}) on {{contract_date}}",
    )
    .unwrap()
    {
        state.apply(event);
    }
    let texts = state.published().unwrap().render(&ContractFacts {
        company: &seller(),
        client: &payer(),
        number: "HC-2026-1",
        dated_on: day(7),
    });
    assert_eq!(texts[0].title, "Contract HC-2026-1");
    assert_eq!(
        texts[0].body,
        "Acme Hosting and Olga Berg (olga@example.com) on 2026-12-07"
    );
}

#[test]
fn signing_a_draft_freezes_its_text() {
    let events = sign(&drafted(), day(8)).unwrap();
    let mut contract = drafted();
    for event in events {
        contract.apply(event);
    }
    let own = contract.drafted().unwrap();
    assert_eq!(own.status, ContractStatus::Signed);
    assert_eq!(own.texts[0].body, "Between Acme Hosting and Olga Berg");
}

#[test]
fn signing_a_signed_contract_is_refused() {
    let mut contract = drafted();
    for event in sign(&contract, day(8)).unwrap() {
        contract.apply(event);
    }
    assert_eq!(sign(&contract, day(9)), Err(ContractError::AlreadySigned));
}

#[test]
fn signing_before_the_contract_date_is_refused() {
    assert_eq!(
        sign(&drafted(), day(6)),
        Err(ContractError::BeforeContractDate(day(6)))
    );
}

#[test]
fn a_draft_cannot_be_terminated() {
    let refused = drafted().decide(ContractCommand::TerminateContract {
        terminated_on: day(9),
        reason: "moved away".to_string(),
    });
    assert_eq!(refused, Err(ContractError::NotSigned));
}

#[test]
fn a_signed_contract_is_terminated_once() {
    let mut contract = drafted();
    for event in sign(&contract, day(8)).unwrap() {
        contract.apply(event);
    }
    let terminate = ContractCommand::TerminateContract {
        terminated_on: day(9),
        reason: "moved away".to_string(),
    };
    for event in contract.decide(terminate.clone()).unwrap() {
        contract.apply(event);
    }
    assert_eq!(
        contract.drafted().unwrap().status,
        ContractStatus::Terminated
    );
    assert_eq!(contract.decide(terminate), Err(ContractError::Terminated));
}
