use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;

type ContactTester = TestFramework<DomainContact>;

fn contact_id() -> ContactId {
    ContactId::from_uuid(Uuid::from_u128(0x60))
}

fn client(n: u128) -> ClientId {
    ClientId::from_uuid(Uuid::from_u128(n))
}

fn provider_id() -> ProviderId {
    ProviderId::from_uuid(Uuid::from_u128(0x10))
}

fn service(n: u128) -> ServiceId {
    ServiceId::from_uuid(Uuid::from_u128(n))
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 3, 1).unwrap()
}

fn input() -> ContactInput {
    ContactInput {
        kind: "person".to_string(),
        name: " Ivan Petrov ".to_string(),
        organisation: None,
        email: "ivan@Example.RU".to_string(),
        phone: "+7 (495) 123-45-67".to_string(),
        street: "Tverskaya 1".to_string(),
        city: "Moscow".to_string(),
        region: Some(String::new()),
        postal_code: "125009".to_string(),
        country: "RU".to_string(),
        birth_date: Some("1980-05-17".to_string()),
        passport: Some(PassportInput {
            number: "45 01 123456".to_string(),
            issued_by: "OVD Tverskoy".to_string(),
            issued_on: "2001-06-01".to_string(),
        }),
    }
}

fn created() -> ContactEvent {
    ContactEvent::ContactCreated {
        contact_id: contact_id(),
        client_id: client(0x20),
        provider_id: provider_id(),
        details: input().parse(today()).unwrap(),
    }
}

fn create(input: ContactInput) -> ContactCommand {
    ContactCommand::CreateContact {
        contact_id: contact_id(),
        client_id: client(0x20),
        provider_id: provider_id(),
        input,
        on: today(),
    }
}

fn refused(input: ContactInput, error: ContactError) {
    ContactTester::with(())
        .given_no_previous_events()
        .when(create(input))
        .then_expect_error(error);
}

#[test]
fn creating_a_contact_records_its_details_in_one_spelling() {
    let details = input().parse(today()).unwrap();
    assert_eq!(details.name.as_str(), "Ivan Petrov");
    assert_eq!(details.email.as_str(), "ivan@example.ru");
    assert_eq!(details.phone.as_str(), "+74951234567");
    assert_eq!(details.address.region, None);
    ContactTester::with(())
        .given_no_previous_events()
        .when(create(input()))
        .then_expect_events(vec![created()]);
}

#[test]
fn a_phone_not_in_e164_form_is_refused() {
    for phone in [
        "84951234567",
        "+0495123456",
        "+7 495",
        "+7495123456789012",
        "+7495abc4567",
    ] {
        refused(
            ContactInput {
                phone: phone.to_string(),
                ..input()
            },
            ContactError::InvalidPhone,
        );
    }
}

#[test]
fn a_country_not_in_iso_3166_is_refused() {
    refused(
        ContactInput {
            country: "XX".to_string(),
            ..input()
        },
        ContactError::InvalidCountry,
    );
}

#[test]
fn field_errors_name_their_field() {
    assert!(
        ContactError::InvalidPhone
            .to_string()
            .starts_with("phone: ")
    );
    assert!(
        ContactError::InvalidCountry
            .to_string()
            .starts_with("address.country: ")
    );
}

#[test]
fn an_organisation_needs_its_name() {
    refused(
        ContactInput {
            kind: "organisation".to_string(),
            birth_date: None,
            passport: None,
            ..input()
        },
        ContactError::OrganisationRequired,
    );
}

#[test]
fn an_organisation_has_no_passport() {
    refused(
        ContactInput {
            kind: "organisation".to_string(),
            organisation: Some("OOO Romashka".to_string()),
            ..input()
        },
        ContactError::PersonalDataOfOrganisation,
    );
}

#[test]
fn a_birth_date_in_the_future_is_refused() {
    refused(
        ContactInput {
            birth_date: Some("2027-03-02".to_string()),
            passport: None,
            ..input()
        },
        ContactError::InvalidBirthDate,
    );
}

#[test]
fn a_passport_issued_before_the_birth_is_refused() {
    refused(
        ContactInput {
            passport: Some(PassportInput {
                issued_on: "1979-01-01".to_string(),
                ..input().passport.unwrap()
            }),
            ..input()
        },
        ContactError::InvalidPassportDate,
    );
}

#[test]
fn a_passport_needs_the_birth_date() {
    refused(
        ContactInput {
            birth_date: None,
            ..input()
        },
        ContactError::PassportWithoutBirthDate,
    );
}

#[test]
fn a_person_without_birth_date_and_passport_is_taken() {
    let details = ContactInput {
        birth_date: Some(" ".to_string()),
        passport: Some(PassportInput::default()),
        ..input()
    }
    .parse(today())
    .unwrap();
    assert_eq!((details.birth_date, details.passport), (None, None));
}

#[test]
fn updating_with_the_same_details_records_nothing() {
    ContactTester::with(())
        .given(vec![created()])
        .when(ContactCommand::UpdateContact {
            client_id: client(0x20),
            input: input(),
            on: today(),
        })
        .then_expect_events(vec![]);
}

#[test]
fn another_clients_contact_reads_as_unknown() {
    ContactTester::with(())
        .given(vec![created()])
        .when(ContactCommand::UpdateContact {
            client_id: client(0x21),
            input: input(),
            on: today(),
        })
        .then_expect_error(ContactError::NotFound);
    ContactTester::with(())
        .given(vec![created()])
        .when(ContactCommand::AttachContact {
            client_id: client(0x21),
            service_id: service(0x70),
            at: noon(),
        })
        .then_expect_error(ContactError::NotFound);
}

fn noon() -> DateTime<Utc> {
    today().and_hms_opt(12, 0, 0).unwrap().and_utc()
}

fn attached(n: u128, at: Option<DateTime<Utc>>) -> ContactEvent {
    ContactEvent::ContactAttached {
        service_id: service(n),
        at,
    }
}

fn delete(ordered: &[u128], now: DateTime<Utc>) -> ContactCommand {
    ContactCommand::DeleteContact {
        client_id: client(0x20),
        ordered: ordered.iter().map(|n| service(*n)).collect(),
        now,
    }
}

#[test]
fn a_contact_in_use_cannot_be_deleted() {
    ContactTester::with(())
        .given(vec![created(), attached(0x70, Some(noon()))])
        .when(delete(&[0x70], noon() + TimeDelta::days(400)))
        .then_expect_error(ContactError::InUse { services: 1 });
}

#[test]
fn a_contact_agreed_to_an_order_still_in_flight_cannot_be_deleted() {
    ContactTester::with(())
        .given(vec![created(), attached(0x70, Some(noon()))])
        .when(delete(&[], noon() + TimeDelta::minutes(5)))
        .then_expect_error(ContactError::InUse { services: 1 });
}

#[test]
fn a_deletion_lets_go_of_an_order_that_never_came_and_keeps_one_that_did() {
    let later = noon() + ABANDONED_AFTER + TimeDelta::seconds(1);
    ContactTester::with(())
        .given(vec![created(), attached(0x70, Some(noon()))])
        .when(delete(&[], later))
        .then_expect_events(vec![
            ContactEvent::ContactDetached {
                service_id: service(0x70),
            },
            ContactEvent::ContactDeleted {},
        ]);
    ContactTester::with(())
        .given(vec![
            created(),
            attached(0x70, Some(noon())),
            attached(0x71, Some(noon())),
        ])
        .when(delete(&[0x71], later))
        .then_expect_error(ContactError::InUse { services: 1 });
}

#[test]
fn an_attachment_recorded_without_its_time_folds_and_counts_as_old() {
    let stored: ContactEvent = serde_json::from_value(serde_json::json!({
        "ContactAttached": { "service_id": service(0x70) }
    }))
    .unwrap();
    assert_eq!(stored, attached(0x70, None));
    ContactTester::with(())
        .given(vec![created(), stored.clone()])
        .when(delete(&[0x70], noon()))
        .then_expect_error(ContactError::InUse { services: 1 });
    ContactTester::with(())
        .given(vec![created(), stored])
        .when(delete(&[], noon()))
        .then_expect_events(vec![
            ContactEvent::ContactDetached {
                service_id: service(0x70),
            },
            ContactEvent::ContactDeleted {},
        ]);
}

#[test]
fn a_contact_no_longer_used_can_be_deleted() {
    ContactTester::with(())
        .given(vec![
            created(),
            attached(0x70, Some(noon())),
            ContactEvent::ContactDetached {
                service_id: service(0x70),
            },
        ])
        .when(delete(&[], noon()))
        .then_expect_events(vec![ContactEvent::ContactDeleted {}]);
}

#[test]
fn a_deleted_contact_cannot_be_attached() {
    ContactTester::with(())
        .given(vec![created(), ContactEvent::ContactDeleted {}])
        .when(ContactCommand::AttachContact {
            client_id: client(0x20),
            service_id: service(0x70),
            at: noon(),
        })
        .then_expect_error(ContactError::NotFound);
}

#[test]
fn attaching_and_detaching_twice_records_once() {
    ContactTester::with(())
        .given(vec![created(), attached(0x70, Some(noon()))])
        .when(ContactCommand::AttachContact {
            client_id: client(0x20),
            service_id: service(0x70),
            at: noon(),
        })
        .then_expect_events(vec![]);
    ContactTester::with(())
        .given(vec![created()])
        .when(ContactCommand::DetachContact {
            service_id: service(0x70),
        })
        .then_expect_events(vec![]);
}

#[test]
fn domain_names_are_lowercase_without_the_final_dot() {
    assert_eq!(
        DomainName::parse(" Example.COM. ").unwrap().as_str(),
        "example.com"
    );
    assert_eq!(
        DomainName::parse("пример.рф").unwrap().as_str(),
        "пример.рф"
    );
    for bad in ["example", "-a.com", "a..com", "a b.com", "example.123"] {
        assert_eq!(DomainName::parse(bad), Err(ContactError::InvalidDomainName));
    }
}

#[test]
fn one_contact_in_several_roles_counts_once() {
    let a = ContactId::from_uuid(Uuid::from_u128(1));
    let b = ContactId::from_uuid(Uuid::from_u128(2));
    let contacts = DomainContacts {
        registrant: a,
        admin: b,
        tech: a,
    };
    assert_eq!(contacts.distinct(), vec![a, b]);
}

fn merge_id() -> crate::ids::MergeId {
    crate::ids::MergeId::from_uuid(Uuid::from_u128(0x90))
}

fn transfer_to(to: ClientId, provider: ProviderId) -> ContactCommand {
    ContactCommand::TransferContact {
        to_client: to,
        provider_id: provider,
        merge_id: merge_id(),
    }
}

#[test]
fn a_merge_moves_the_contact_and_only_the_new_client_may_change_it_then() {
    let moved = ContactEvent::ContactTransferred {
        from_client: client(0x20),
        to_client: client(0x21),
        merge_id: merge_id(),
    };
    ContactTester::with(())
        .given(vec![created()])
        .when(transfer_to(client(0x21), provider_id()))
        .then_expect_events(vec![moved.clone()]);
    let mut changed = input();
    changed.city = "Tver".to_string();
    ContactTester::with(())
        .given(vec![created(), moved.clone()])
        .when(ContactCommand::UpdateContact {
            client_id: client(0x20),
            input: changed.clone(),
            on: today(),
        })
        .then_expect_error(ContactError::NotFound);
    ContactTester::with(())
        .given(vec![created(), moved.clone()])
        .when(ContactCommand::UpdateContact {
            client_id: client(0x21),
            input: changed.clone(),
            on: today(),
        })
        .then_expect_events(vec![ContactEvent::ContactUpdated {
            details: changed.parse(today()).unwrap(),
        }]);
    // Moved again by the same step: nothing more.
    ContactTester::with(())
        .given(vec![created(), moved])
        .when(transfer_to(client(0x21), provider_id()))
        .then_expect_events(vec![]);
}

#[test]
fn a_deleted_contact_stays_and_another_providers_client_is_refused() {
    ContactTester::with(())
        .given(vec![created(), ContactEvent::ContactDeleted {}])
        .when(transfer_to(client(0x21), provider_id()))
        .then_expect_events(vec![]);
    ContactTester::with(())
        .given(vec![created()])
        .when(transfer_to(
            client(0x21),
            ProviderId::from_uuid(Uuid::from_u128(0x11)),
        ))
        .then_expect_error(ContactError::OtherProvider);
    ContactTester::with(())
        .given_no_previous_events()
        .when(transfer_to(client(0x21), provider_id()))
        .then_expect_error(ContactError::NotFound);
}
