//! Given/when/then tests of the Client aggregate, one rule per test. Kept in one file, however
//! long, because they share one set of small fixtures and are read by searching for a rule.

use cqrs_es::DomainEvent;
use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;
use crate::tax::VatNumber;

type ClientTester = TestFramework<Client>;

fn client_id() -> ClientId {
    ClientId::from_uuid(Uuid::from_u128(0x20))
}

fn provider_id() -> ProviderId {
    ProviderId::from_uuid(Uuid::from_u128(0x10))
}

fn name(text: &str) -> ClientName {
    ClientName::parse(text).unwrap()
}

fn email(text: &str) -> Email {
    Email::parse(text).unwrap()
}

fn country(code: &str) -> Country {
    Country::parse(code).unwrap()
}

fn register() -> ClientCommand {
    ClientCommand::RegisterClient {
        client_id: client_id(),
        provider_id: provider_id(),
        currency: Currency::EUR,
        name: name("Jane Doe"),
        email: email("jane@example.com"),
        kind: ClientKind::Individual,
        country: country("DE"),
    }
}

fn registered() -> ClientEvent {
    ClientEvent::ClientRegistered {
        client_id: client_id(),
        provider_id: provider_id(),
        currency: Currency::EUR,
        name: name("Jane Doe"),
        email: email("jane@example.com"),
        kind: ClientKind::Individual,
        country: country("DE"),
    }
}

fn update() -> ClientCommand {
    ClientCommand::UpdateClient {
        name: None,
        email: None,
        kind: None,
        country: None,
        requested_by: RequestedBy::Staff,
    }
}

fn update_email(text: &str) -> ClientCommand {
    ClientCommand::UpdateClient {
        name: None,
        email: Some(email(text)),
        kind: None,
        country: None,
        requested_by: RequestedBy::Staff,
    }
}

fn email_updated(text: &str) -> ClientEvent {
    ClientEvent::ClientUpdated {
        name: None,
        email: Some(email(text)),
        kind: None,
        country: None,
    }
}

fn delete(reason: &str) -> ClientCommand {
    ClientCommand::DeleteClient {
        reason: reason.to_string(),
    }
}

fn deleted() -> ClientEvent {
    ClientEvent::ClientDeleted {
        reason: "asked to be forgotten".to_string(),
    }
}

// Registration.

#[test]
fn registering_a_client_records_the_profile_and_currency() {
    ClientTester::with(())
        .given_no_previous_events()
        .when(register())
        .then_expect_events(vec![registered()]);
}

#[test]
fn registering_a_client_twice_is_rejected() {
    ClientTester::with(())
        .given(vec![registered()])
        .when(register())
        .then_expect_error(ClientError::AlreadyRegistered);
}

#[test]
fn registering_a_deleted_client_again_is_rejected() {
    ClientTester::with(())
        .given(vec![registered(), deleted()])
        .when(register())
        .then_expect_error(ClientError::AlreadyRegistered);
}

// Updates.

#[test]
fn updating_a_client_records_the_changed_fields() {
    ClientTester::with(())
        .given(vec![registered()])
        .when(update_email("jane@example.org"))
        .then_expect_events(vec![email_updated("jane@example.org")]);
}

#[test]
fn an_update_records_only_the_fields_that_change() {
    ClientTester::with(())
        .given(vec![registered()])
        .when(ClientCommand::UpdateClient {
            name: Some(name("Jane Doe")),
            email: Some(email("jane@example.com")),
            kind: Some(ClientKind::Company),
            country: Some(country("DE")),
            requested_by: RequestedBy::Staff,
        })
        .then_expect_events(vec![ClientEvent::ClientUpdated {
            name: None,
            email: None,
            kind: Some(ClientKind::Company),
            country: None,
        }]);
}

#[test]
fn an_update_that_changes_nothing_emits_no_event() {
    ClientTester::with(())
        .given(vec![registered()])
        .when(ClientCommand::UpdateClient {
            name: Some(name("Jane Doe")),
            email: Some(email("jane@example.com")),
            kind: Some(ClientKind::Individual),
            country: Some(country("DE")),
            requested_by: RequestedBy::Staff,
        })
        .then_expect_events(vec![]);
}

#[test]
fn an_empty_update_emits_no_event() {
    ClientTester::with(())
        .given(vec![registered()])
        .when(update())
        .then_expect_events(vec![]);
}

#[test]
fn a_retried_update_is_harmless() {
    ClientTester::with(())
        .given(vec![registered(), email_updated("jane@example.org")])
        .when(update_email("jane@example.org"))
        .then_expect_events(vec![]);
}

#[test]
fn updating_an_unregistered_client_is_rejected() {
    ClientTester::with(())
        .given_no_previous_events()
        .when(update_email("jane@example.org"))
        .then_expect_error(ClientError::NotRegistered);
}

#[test]
fn updating_a_deleted_client_is_rejected() {
    ClientTester::with(())
        .given(vec![registered(), deleted()])
        .when(update_email("jane@example.org"))
        .then_expect_error(ClientError::IsDeleted {
            client_id: client_id(),
        });
}

// Deletion.

#[test]
fn deleting_a_client_records_the_trimmed_reason() {
    ClientTester::with(())
        .given(vec![registered()])
        .when(delete("  asked to be forgotten\n"))
        .then_expect_events(vec![deleted()]);
}

#[test]
fn deleting_with_a_blank_reason_is_rejected() {
    ClientTester::with(())
        .given(vec![registered()])
        .when(delete(" \t "))
        .then_expect_error(ClientError::InvalidReason);
}

#[test]
fn deleting_with_a_reason_over_500_characters_is_rejected() {
    ClientTester::with(())
        .given(vec![registered()])
        .when(delete(&"x".repeat(501)))
        .then_expect_error(ClientError::InvalidReason);
}

#[test]
fn deleting_with_a_reason_of_500_characters_is_accepted() {
    let reason = "x".repeat(500);
    ClientTester::with(())
        .given(vec![registered()])
        .when(delete(&reason))
        .then_expect_events(vec![ClientEvent::ClientDeleted { reason }]);
}

#[test]
fn deleting_an_unregistered_client_is_rejected() {
    ClientTester::with(())
        .given_no_previous_events()
        .when(delete("gone"))
        .then_expect_error(ClientError::NotRegistered);
}

#[test]
fn deleting_a_deleted_client_is_rejected() {
    ClientTester::with(())
        .given(vec![registered(), deleted()])
        .when(delete("again"))
        .then_expect_error(ClientError::IsDeleted {
            client_id: client_id(),
        });
}

// State.

#[test]
fn applying_events_keeps_the_current_profile() {
    let mut client = Client::default();
    assert!(!client.is_registered());
    client.apply(registered());
    client.apply(email_updated("jane@example.org"));
    assert!(client.is_registered());
    assert!(!client.is_deleted());
    assert_eq!(client.client_id(), Some(client_id()));
    assert_eq!(client.provider_id(), Some(provider_id()));
    assert_eq!(client.currency(), Some(Currency::EUR));
    assert_eq!(client.name(), Some(&name("Jane Doe")));
    assert_eq!(client.email(), Some(&email("jane@example.org")));
    assert_eq!(client.kind(), Some(ClientKind::Individual));
    assert_eq!(client.country(), Some(country("DE")));
    client.apply(deleted());
    assert!(client.is_deleted());
}

// Client names.

#[test]
fn a_client_name_is_trimmed() {
    assert_eq!(name("  Jane Doe ").as_str(), "Jane Doe");
}

#[test]
fn a_blank_client_name_is_rejected() {
    assert_eq!(
        ClientName::parse("  "),
        Err(ClientError::InvalidName("  ".to_string()))
    );
}

#[test]
fn a_client_name_over_200_characters_is_rejected() {
    assert!(ClientName::parse(&"ü".repeat(200)).is_ok());
    assert!(ClientName::parse(&"ü".repeat(201)).is_err());
}

#[test]
fn a_client_name_with_control_characters_is_rejected() {
    assert!(ClientName::parse("Jane\u{0}Doe").is_err());
}

// E-mail addresses.

#[test]
fn an_email_domain_is_lowercased_and_the_local_part_kept() {
    assert_eq!(
        email(" Jane.Doe@Example.COM ").as_str(),
        "Jane.Doe@example.com"
    );
}

#[test]
fn malformed_emails_are_rejected() {
    for text in [
        "",
        "jane",
        "@example.com",
        "jane@",
        "jane@example",
        "jane@@example.com",
        "jane@doe@example.com",
        "ja ne@example.com",
        "jane@exa\tmple.com",
        "jane\u{7}@example.com",
        "jane@.example.com",
        "jane@example.com.",
        "jane@example..com",
    ] {
        assert_eq!(
            Email::parse(text),
            Err(ClientError::InvalidEmail(text.to_string())),
            "{text:?}"
        );
    }
}

#[test]
fn an_email_over_254_characters_is_rejected() {
    let domain = "@example.com";
    let fits = format!("{}{domain}", "a".repeat(254 - domain.len()));
    let too_long = format!("a{fits}");
    assert!(Email::parse(&fits).is_ok());
    assert!(Email::parse(&too_long).is_err());
}

// Countries.

#[test]
fn an_assigned_country_code_is_accepted() {
    for code in ["DE", "US", "AD", "ZW"] {
        assert_eq!(country(code).as_str(), code);
    }
}

#[test]
fn unassigned_or_reserved_country_codes_are_rejected() {
    for code in ["XK", "UK", "EU", "AN", "ZZ", "AA"] {
        assert_eq!(
            Country::parse(code),
            Err(ClientError::InvalidCountry(code.to_string())),
            "{code}"
        );
    }
}

#[test]
fn a_lowercase_or_padded_country_code_is_rejected() {
    for code in ["de", "De", " DE", "DE ", "DEU", "D", ""] {
        assert!(Country::parse(code).is_err(), "{code:?}");
    }
}

#[test]
fn the_country_list_is_sorted_and_complete() {
    assert!(COUNTRY_CODES.windows(2).all(|pair| pair[0] < pair[1]));
    assert!(
        COUNTRY_CODES
            .iter()
            .all(|code| { code.len() == 2 && code.bytes().all(|byte| byte.is_ascii_uppercase()) })
    );
    assert_eq!(COUNTRY_CODES.len(), 249);
}

// Serde.

#[test]
fn value_types_serialize_as_plain_strings() {
    assert_eq!(serde_json::to_string(&name("Jane")).unwrap(), r#""Jane""#);
    assert_eq!(
        serde_json::to_string(&email("j@example.com")).unwrap(),
        r#""j@example.com""#
    );
    assert_eq!(serde_json::to_string(&country("FR")).unwrap(), r#""FR""#);
    assert_eq!(
        serde_json::to_string(&ClientKind::SoleProprietor).unwrap(),
        r#""sole_proprietor""#
    );
}

#[test]
fn value_types_validate_when_deserialized() {
    assert!(serde_json::from_str::<ClientName>(r#""   ""#).is_err());
    assert!(serde_json::from_str::<Email>(r#""nobody""#).is_err());
    assert!(serde_json::from_str::<Country>(r#""fr""#).is_err());
    assert!(serde_json::from_str::<ClientKind>(r#""Company""#).is_err());
    assert_eq!(
        serde_json::from_str::<Email>(r#""j@EXAMPLE.com""#).unwrap(),
        email("j@example.com")
    );
    assert_eq!(
        serde_json::from_str::<ClientKind>(r#""company""#).unwrap(),
        ClientKind::Company
    );
}

#[test]
fn client_kinds_name_themselves_in_snake_case() {
    assert_eq!(ClientKind::Individual.as_str(), "individual");
    assert_eq!(ClientKind::Company.as_str(), "company");
    assert_eq!(ClientKind::SoleProprietor.as_str(), "sole_proprietor");
}

#[test]
fn a_client_update_serializes_only_the_changed_fields() {
    let json = serde_json::to_value(email_updated("j@example.com")).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"ClientUpdated": {"email": "j@example.com"}})
    );
    assert_eq!(
        serde_json::from_value::<ClientEvent>(json).unwrap(),
        email_updated("j@example.com")
    );
}

#[test]
fn client_registered_round_trips_through_json() {
    let json = serde_json::to_value(registered()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"ClientRegistered": {
            "client_id": "00000000-0000-0000-0000-000000000020",
            "provider_id": "00000000-0000-0000-0000-000000000010",
            "currency": "EUR",
            "name": "Jane Doe",
            "email": "jane@example.com",
            "kind": "individual",
            "country": "DE",
        }})
    );
    assert_eq!(
        serde_json::from_value::<ClientEvent>(json).unwrap(),
        registered()
    );
}

#[test]
fn client_events_have_literal_names_and_version_one() {
    assert_eq!(registered().event_type(), "ClientRegistered");
    assert_eq!(email_updated("j@example.com").event_type(), "ClientUpdated");
    assert_eq!(deleted().event_type(), "ClientDeleted");
    assert_eq!(deleted().event_version(), "1.0");
    assert_eq!(Client::TYPE, "Client");
}

#[test]
fn client_error_codes_are_stable() {
    let cases = [
        (ClientError::AlreadyRegistered, "client_exists"),
        (ClientError::NotRegistered, "client_not_found"),
        (ClientError::Deleted, "client_deleted"),
        (
            ClientError::IsDeleted {
                client_id: client_id(),
            },
            "client_deleted",
        ),
        (
            ClientError::NotFound {
                client_id: client_id(),
            },
            "client_not_found",
        ),
        (merged_error(), "client_merged"),
        (ClientError::MergedElsewhere, "client_merged"),
        (ClientError::MergedIntoItself, "client_merged"),
        (
            ClientError::Inactive {
                client_id: client_id(),
            },
            "client_inactive",
        ),
        (ClientError::InvalidName(String::new()), "invalid_name"),
        (ClientError::InvalidEmail(String::new()), "invalid_email"),
        (
            ClientError::InvalidCountry(String::new()),
            "invalid_country",
        ),
        (ClientError::InvalidReason, "invalid_reason"),
    ];
    for (error, code) in cases {
        assert_eq!(error.code(), code);
    }
}

// Billing details.

fn details(vat: Option<&str>, address: Option<&str>) -> ClientCommand {
    ClientCommand::SetBillingDetails {
        vat_number: vat.map(|v| VatNumber::parse(v).unwrap()),
        address: address.map(str::to_string),
        requested_by: RequestedBy::Staff,
    }
}

#[test]
fn billing_details_are_recorded_trimmed_and_read_back() {
    ClientTester::with(())
        .given(vec![registered()])
        .when(details(
            Some("DE123456789"),
            Some("  Hauptstr. 1\n10115 Berlin "),
        ))
        .then_expect_events(vec![ClientEvent::BillingDetailsSet {
            vat_number: Some(VatNumber::parse("DE123456789").unwrap()),
            address: Some("Hauptstr. 1\n10115 Berlin".to_string()),
        }]);
    let mut client = Client::default();
    client.apply(registered());
    client.apply(ClientEvent::BillingDetailsSet {
        vat_number: Some(VatNumber::parse("DE123456789").unwrap()),
        address: None,
    });
    assert_eq!(
        client.vat_number().map(VatNumber::as_str),
        Some("DE123456789")
    );
    assert_eq!(client.address(), None);
}

#[test]
fn unchanged_billing_details_record_nothing() {
    ClientTester::with(())
        .given(vec![
            registered(),
            ClientEvent::BillingDetailsSet {
                vat_number: Some(VatNumber::parse("DE123456789").unwrap()),
                address: None,
            },
        ])
        .when(details(Some("DE123456789"), None))
        .then_expect_events(vec![]);
}

#[test]
fn an_address_with_control_characters_is_refused() {
    ClientTester::with(())
        .given(vec![registered()])
        .when(details(None, Some("Main St\u{7}")))
        .then_expect_error(ClientError::InvalidAddress);
}

#[test]
fn a_deleted_client_takes_no_billing_details() {
    ClientTester::with(())
        .given(vec![registered(), deleted()])
        .when(details(None, Some("Main St")))
        .then_expect_error(ClientError::IsDeleted {
            client_id: client_id(),
        });
}

// Status, groups and merges.

fn merge_id(n: u128) -> crate::ids::MergeId {
    crate::ids::MergeId::from_uuid(Uuid::from_u128(n))
}

fn target() -> ClientId {
    ClientId::from_uuid(Uuid::from_u128(0x21))
}

fn merged() -> ClientEvent {
    ClientEvent::ClientMerged {
        merge_id: merge_id(0x90),
        into: target(),
    }
}

fn merged_error() -> ClientError {
    ClientError::Merged {
        client_id: client_id(),
        merge_id: merge_id(0x90),
        into: target(),
    }
}

fn client_after(events: Vec<ClientEvent>) -> Client {
    let mut client = Client::default();
    for event in events {
        client.apply(event);
    }
    client
}

#[test]
fn an_active_client_names_its_provider_and_currency() {
    let client = client_after(vec![registered()]);
    assert_eq!(
        client.active(client_id()),
        Ok((provider_id(), Currency::EUR))
    );
    assert_eq!(
        client.trading(client_id()),
        Ok((provider_id(), Currency::EUR))
    );
}

#[test]
fn an_unregistered_client_is_not_found_under_the_id_asked_for() {
    let error = ClientError::NotFound {
        client_id: client_id(),
    };
    assert_eq!(Client::default().active(client_id()), Err(error.clone()));
    assert_eq!(Client::default().trading(client_id()), Err(error.clone()));
    assert_eq!(
        error.to_string(),
        "no client 00000000-0000-0000-0000-000000000020"
    );
}

#[test]
fn a_merged_client_is_not_active_and_names_its_merge() {
    let client = client_after(vec![registered(), merged()]);
    assert_eq!(client.active(client_id()), Err(merged_error()));
    assert_eq!(client.trading(client_id()), Err(merged_error()));
    assert_eq!(
        merged_error().to_string(),
        "client 00000000-0000-0000-0000-000000000020 was merged into client \
         00000000-0000-0000-0000-000000000021 by merge 00000000-0000-0000-0000-000000000090"
    );
}

#[test]
fn a_merged_client_is_reported_merged_even_once_deleted() {
    let client = client_after(vec![registered(), merged(), deleted()]);
    assert_eq!(client.active(client_id()), Err(merged_error()));
}

#[test]
fn a_deleted_client_is_not_active() {
    let client = client_after(vec![registered(), deleted()]);
    let error = ClientError::IsDeleted {
        client_id: client_id(),
    };
    assert_eq!(client.active(client_id()), Err(error.clone()));
    assert_eq!(client.trading(client_id()), Err(error.clone()));
    assert_eq!(
        error.to_string(),
        "client 00000000-0000-0000-0000-000000000020 is deleted"
    );
}

#[test]
fn a_client_marked_not_active_is_active_but_does_not_trade() {
    let client = client_after(vec![
        registered(),
        ClientEvent::ClientStatusSet { active: false },
    ]);
    let error = ClientError::Inactive {
        client_id: client_id(),
    };
    assert_eq!(
        client.active(client_id()),
        Ok((provider_id(), Currency::EUR))
    );
    assert_eq!(client.trading(client_id()), Err(error.clone()));
    assert_eq!(
        error.to_string(),
        "client 00000000-0000-0000-0000-000000000020 is not active: it takes no new orders or payments"
    );
}

#[test]
fn a_client_marked_active_again_trades_again() {
    let client = client_after(vec![
        registered(),
        ClientEvent::ClientStatusSet { active: false },
        ClientEvent::ClientStatusSet { active: true },
    ]);
    assert_eq!(
        client.trading(client_id()),
        Ok((provider_id(), Currency::EUR))
    );
}

#[test]
fn a_deleted_client_cannot_be_marked_merged() {
    ClientTester::with(())
        .given(vec![registered(), deleted()])
        .when(ClientCommand::MarkMerged {
            merge_id: merge_id(0x90),
            into: target(),
            then: Vec::new(),
        })
        .then_expect_error(ClientError::Deleted);
}

#[test]
fn a_client_cannot_be_merged_into_itself() {
    ClientTester::with(())
        .given(vec![registered()])
        .when(ClientCommand::MarkMerged {
            merge_id: merge_id(0x90),
            into: client_id(),
            then: Vec::new(),
        })
        .then_expect_error(ClientError::MergedIntoItself);
}

#[test]
fn a_client_cannot_be_merged_into_a_client_merged_into_it_since() {
    // Merges asked at once: the target was merged into this client (or further along, into a
    // client merged into it) before this merge's turn came.
    ClientTester::with(())
        .given(vec![registered()])
        .when(ClientCommand::MarkMerged {
            merge_id: merge_id(0x91),
            into: target(),
            then: vec![
                ClientId::from_uuid(uuid::Uuid::from_u128(0x77)),
                client_id(),
            ],
        })
        .then_expect_error(ClientError::MergedIntoItself);
}

#[test]
fn a_client_marked_not_active_is_no_longer_active() {
    ClientTester::with(())
        .given(vec![registered()])
        .when(ClientCommand::SetClientStatus { active: false })
        .then_expect_events(vec![ClientEvent::ClientStatusSet { active: false }]);
    let mut client = Client::default();
    client.apply(registered());
    client.apply(ClientEvent::ClientStatusSet { active: false });
    assert!(!client.is_active());
}

#[test]
fn setting_the_status_a_client_has_records_nothing() {
    ClientTester::with(())
        .given(vec![registered()])
        .when(ClientCommand::SetClientStatus { active: true })
        .then_expect_events(vec![]);
}

#[test]
fn setting_the_same_groups_records_nothing() {
    let groups: std::collections::BTreeSet<_> =
        [crate::ids::ClientGroupId::from_uuid(Uuid::from_u128(7))].into();
    ClientTester::with(())
        .given(vec![
            registered(),
            ClientEvent::ClientGroupsSet {
                groups: groups.clone(),
            },
        ])
        .when(ClientCommand::SetClientGroups { groups })
        .then_expect_events(vec![]);
}

#[test]
fn marking_a_client_merged_again_by_the_same_merge_records_nothing() {
    ClientTester::with(())
        .given(vec![registered()])
        .when(ClientCommand::MarkMerged {
            merge_id: merge_id(0x90),
            into: target(),
            then: Vec::new(),
        })
        .then_expect_events(vec![merged()]);
    ClientTester::with(())
        .given(vec![registered(), merged()])
        .when(ClientCommand::MarkMerged {
            merge_id: merge_id(0x90),
            into: target(),
            then: Vec::new(),
        })
        .then_expect_events(vec![]);
}

#[test]
fn a_client_merged_by_another_merge_is_refused() {
    ClientTester::with(())
        .given(vec![registered(), merged()])
        .when(ClientCommand::MarkMerged {
            merge_id: merge_id(0x91),
            into: target(),
            then: Vec::new(),
        })
        .then_expect_error(ClientError::MergedElsewhere);
}

#[test]
fn a_merged_client_refuses_every_change() {
    ClientTester::with(())
        .given(vec![registered(), merged()])
        .when(update_email("new@example.com"))
        .then_expect_error(merged_error());
    ClientTester::with(())
        .given(vec![registered(), merged()])
        .when(ClientCommand::SetClientStatus { active: false })
        .then_expect_error(merged_error());
}

// Tax identity: the country, the kind and the VAT number decide a client's VAT.

fn by_client_user(command: ClientCommand) -> ClientCommand {
    match command {
        ClientCommand::UpdateClient {
            name,
            email,
            kind,
            country,
            ..
        } => ClientCommand::UpdateClient {
            name,
            email,
            kind,
            country,
            requested_by: RequestedBy::ClientUser,
        },
        ClientCommand::SetBillingDetails {
            vat_number,
            address,
            ..
        } => ClientCommand::SetBillingDetails {
            vat_number,
            address,
            requested_by: RequestedBy::ClientUser,
        },
        other => other,
    }
}

#[test]
fn a_client_user_changing_the_country_is_refused() {
    ClientTester::with(())
        .given(vec![registered()])
        .when(by_client_user(ClientCommand::UpdateClient {
            name: None,
            email: None,
            kind: None,
            country: Some(country("AT")),
            requested_by: RequestedBy::Staff,
        }))
        .then_expect_error(ClientError::TaxIdentityByStaffOnly);
}

#[test]
fn a_client_user_changing_the_kind_is_refused() {
    ClientTester::with(())
        .given(vec![registered()])
        .when(by_client_user(ClientCommand::UpdateClient {
            name: None,
            email: None,
            kind: Some(ClientKind::Company),
            country: None,
            requested_by: RequestedBy::Staff,
        }))
        .then_expect_error(ClientError::TaxIdentityByStaffOnly);
}

#[test]
fn a_client_user_setting_a_vat_number_is_refused() {
    ClientTester::with(())
        .given(vec![registered()])
        .when(by_client_user(details(Some("DE123456789"), None)))
        .then_expect_error(ClientError::TaxIdentityByStaffOnly);
}

#[test]
fn a_client_user_may_change_its_name_and_address_and_repeat_its_tax_identity() {
    ClientTester::with(())
        .given(vec![registered()])
        .when(by_client_user(ClientCommand::UpdateClient {
            name: None,
            email: Some(email("jane@example.org")),
            kind: Some(ClientKind::Individual),
            country: Some(country("DE")),
            requested_by: RequestedBy::Staff,
        }))
        .then_expect_events(vec![email_updated("jane@example.org")]);
    ClientTester::with(())
        .given(vec![registered()])
        .when(by_client_user(details(None, Some("Hauptstr. 1"))))
        .then_expect_events(vec![ClientEvent::BillingDetailsSet {
            vat_number: None,
            address: Some("Hauptstr. 1".to_owned()),
        }]);
}

#[test]
fn staff_change_the_tax_identity() {
    ClientTester::with(())
        .given(vec![registered()])
        .when(details(Some("DE123456789"), None))
        .then_expect_events(vec![ClientEvent::BillingDetailsSet {
            vat_number: Some(VatNumber::parse("DE123456789").unwrap()),
            address: None,
        }]);
}

fn import_client(active: bool) -> ClientCommand {
    ClientCommand::ImportClient {
        client_id: client_id(),
        provider_id: provider_id(),
        currency: Currency::EUR,
        name: name("Jane Doe"),
        email: email("jane@example.com"),
        kind: ClientKind::Individual,
        country: country("DE"),
        registered_on: None,
        active,
        source: crate::import::ImportSource::parse("billmanager", "42").unwrap(),
    }
}

fn client_imported(active: bool) -> ClientEvent {
    ClientEvent::ClientImported {
        client_id: client_id(),
        provider_id: provider_id(),
        currency: Currency::EUR,
        name: name("Jane Doe"),
        email: email("jane@example.com"),
        kind: ClientKind::Individual,
        country: country("DE"),
        registered_on: None,
        active,
        source: crate::import::ImportSource::parse("billmanager", "42").unwrap(),
    }
}

#[test]
fn an_imported_client_keeps_whether_it_was_active() {
    ClientTester::with(())
        .given_no_previous_events()
        .when(import_client(false))
        .then_expect_events(vec![client_imported(false)]);
    let mut client = Client::default();
    client.apply(client_imported(false));
    assert!(client.is_registered());
    assert!(!client.is_active());
}

#[test]
fn importing_a_client_again_records_nothing() {
    ClientTester::with(())
        .given(vec![client_imported(true)])
        .when(import_client(true))
        .then_expect_events(vec![]);
}

// Trials (issue 19.2): once per client and tariff.

fn trial_tariff() -> crate::ids::TariffId {
    crate::ids::TariffId::from_uuid(Uuid::from_u128(0x60))
}

fn trial_service(n: u128) -> crate::ids::ServiceId {
    crate::ids::ServiceId::from_uuid(Uuid::from_u128(0x500 + n))
}

fn claim(n: u128) -> ClientCommand {
    ClientCommand::ClaimTrial {
        tariff_id: trial_tariff(),
        service_id: trial_service(n),
    }
}

fn claimed(n: u128) -> ClientEvent {
    ClientEvent::TrialClaimed {
        tariff_id: trial_tariff(),
        service_id: trial_service(n),
    }
}

#[test]
fn the_first_order_of_a_tariff_claims_its_trial() {
    ClientTester::with(())
        .given(vec![registered()])
        .when(claim(1))
        .then_expect_events(vec![claimed(1)]);
}

#[test]
fn a_second_service_of_the_same_tariff_gets_no_trial() {
    ClientTester::with(())
        .given(vec![registered(), claimed(1)])
        .when(claim(2))
        .then_expect_error(ClientError::TrialAlreadyClaimed {
            tariff_id: trial_tariff(),
            service_id: trial_service(1),
        });
}

#[test]
fn the_same_service_claiming_again_records_nothing() {
    ClientTester::with(())
        .given(vec![registered(), claimed(1)])
        .when(claim(1))
        .then_expect_events(vec![]);
}

#[test]
fn the_trial_of_another_tariff_is_still_free_to_claim() {
    ClientTester::with(())
        .given(vec![registered(), claimed(1)])
        .when(ClientCommand::ClaimTrial {
            tariff_id: crate::ids::TariffId::from_uuid(Uuid::from_u128(0x61)),
            service_id: trial_service(2),
        })
        .then_expect_events(vec![ClientEvent::TrialClaimed {
            tariff_id: crate::ids::TariffId::from_uuid(Uuid::from_u128(0x61)),
            service_id: trial_service(2),
        }]);
}

#[test]
fn a_deleted_client_claims_no_trial() {
    ClientTester::with(())
        .given(vec![registered(), deleted()])
        .when(claim(1))
        .then_expect_error(ClientError::IsDeleted {
            client_id: client_id(),
        });
}
