use cqrs_es::DomainEvent;
use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;

type ProviderTester = TestFramework<Provider>;

fn provider_id() -> ProviderId {
    ProviderId::from_uuid(Uuid::from_u128(0x10))
}

fn create(name: &str) -> ProviderCommand {
    ProviderCommand::CreateProvider {
        provider_id: provider_id(),
        name: name.to_string(),
        currency: Currency::EUR,
    }
}

fn created(name: &str) -> ProviderEvent {
    ProviderEvent::ProviderCreated {
        provider_id: provider_id(),
        name: name.to_string(),
        currency: Currency::EUR,
    }
}

#[test]
fn creating_a_provider_records_its_name_and_currency() {
    ProviderTester::with(())
        .given_no_previous_events()
        .when(create("Acme Hosting"))
        .then_expect_events(vec![created("Acme Hosting")]);
}

#[test]
fn the_provider_name_is_stored_trimmed() {
    ProviderTester::with(())
        .given_no_previous_events()
        .when(create("  Acme Hosting \t"))
        .then_expect_events(vec![created("Acme Hosting")]);
}

#[test]
fn creating_a_provider_twice_is_rejected() {
    ProviderTester::with(())
        .given(vec![created("Acme Hosting")])
        .when(create("Acme Hosting"))
        .then_expect_error(ProviderError::AlreadyCreated);
}

#[test]
fn a_blank_provider_name_is_rejected() {
    ProviderTester::with(())
        .given_no_previous_events()
        .when(create("   "))
        .then_expect_error(ProviderError::InvalidName("   ".to_string()));
}

#[test]
fn a_provider_name_of_200_characters_is_accepted() {
    let name = "é".repeat(200);
    ProviderTester::with(())
        .given_no_previous_events()
        .when(create(&name))
        .then_expect_events(vec![created(&name)]);
}

#[test]
fn a_provider_name_over_200_characters_is_rejected() {
    let name = "a".repeat(201);
    ProviderTester::with(())
        .given_no_previous_events()
        .when(create(&name))
        .then_expect_error(ProviderError::InvalidName(name));
}

#[test]
fn a_provider_name_with_control_characters_is_rejected() {
    ProviderTester::with(())
        .given_no_previous_events()
        .when(create("Acme\nHosting"))
        .then_expect_error(ProviderError::InvalidName("Acme\nHosting".to_string()));
}

#[test]
fn applying_provider_created_fills_the_state() {
    let mut provider = Provider::default();
    assert!(!provider.is_created());
    provider.apply(created("Acme Hosting"));
    assert!(provider.is_created());
    assert_eq!(provider.provider_id(), Some(provider_id()));
    assert_eq!(provider.name(), "Acme Hosting");
    assert_eq!(provider.currency(), Some(Currency::EUR));
}

#[test]
fn provider_events_are_externally_tagged_with_literal_names() {
    let event = created("Acme");
    let json = serde_json::to_value(&event).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"ProviderCreated": {
            "provider_id": "00000000-0000-0000-0000-000000000010",
            "name": "Acme",
            "currency": "EUR",
        }})
    );
    assert_eq!(event.event_type(), "ProviderCreated");
    assert_eq!(event.event_version(), "1.0");
    assert_eq!(
        serde_json::from_value::<ProviderEvent>(json).unwrap(),
        event
    );
}

#[test]
fn provider_error_codes_are_stable() {
    assert_eq!(ProviderError::AlreadyCreated.code(), "provider_exists");
    assert_eq!(
        ProviderError::InvalidName(String::new()).code(),
        "invalid_name"
    );
    assert_eq!(Provider::TYPE, "Provider");
}
