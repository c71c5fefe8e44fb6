use chrono::{DateTime, TimeZone, Utc};
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
        sandbox: false,
        created_at: t0(),
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 21, 9, 30, 0).unwrap()
}

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
}

fn sandbox_created() -> ProviderEvent {
    ProviderEvent::ProviderCreated {
        provider_id: provider_id(),
        name: "Sandbox".to_string(),
        currency: Currency::EUR,
        sandbox: true,
        clock: Some(t0()),
        source: None,
    }
}

fn created(name: &str) -> ProviderEvent {
    ProviderEvent::ProviderCreated {
        provider_id: provider_id(),
        name: name.to_string(),
        currency: Currency::EUR,
        sandbox: false,
        clock: None,
        source: None,
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

#[test]
fn a_sandbox_provider_s_clock_starts_at_its_creation() {
    ProviderTester::with(())
        .given_no_previous_events()
        .when(ProviderCommand::CreateProvider {
            provider_id: provider_id(),
            name: "Sandbox".to_string(),
            currency: Currency::EUR,
            sandbox: true,
            created_at: t0(),
        })
        .then_expect_events(vec![sandbox_created()]);
}

#[test]
fn a_sandbox_clock_moves_forward_recording_from_and_to() {
    ProviderTester::with(())
        .given(vec![sandbox_created()])
        .when(ProviderCommand::AdvanceClock { to: at(2027, 3, 1) })
        .then_expect_events(vec![ProviderEvent::ProviderClockAdvanced {
            from: t0(),
            to: at(2027, 3, 1),
        }]);
}

#[test]
fn a_sandbox_clock_never_moves_back() {
    ProviderTester::with(())
        .given(vec![
            sandbox_created(),
            ProviderEvent::ProviderClockAdvanced {
                from: t0(),
                to: at(2027, 3, 1),
            },
        ])
        .when(ProviderCommand::AdvanceClock { to: at(2027, 2, 1) })
        .then_expect_error(ProviderError::ClockBackwards {
            from: at(2027, 3, 1),
            to: at(2027, 2, 1),
        });
}

#[test]
fn moving_a_sandbox_clock_to_where_it_is_records_nothing() {
    ProviderTester::with(())
        .given(vec![sandbox_created()])
        .when(ProviderCommand::AdvanceClock { to: t0() })
        .then_expect_events(vec![]);
}

#[test]
fn a_live_provider_has_no_clock_to_move() {
    ProviderTester::with(())
        .given(vec![created("Acme Hosting")])
        .when(ProviderCommand::AdvanceClock { to: at(2027, 3, 1) })
        .then_expect_error(ProviderError::NotSandbox);
}

#[test]
fn the_clock_of_a_provider_not_created_cannot_move() {
    ProviderTester::with(())
        .given_no_previous_events()
        .when(ProviderCommand::AdvanceClock { to: at(2027, 3, 1) })
        .then_expect_error(ProviderError::NotFound);
}

#[test]
fn a_sandbox_provider_dates_by_its_clock_and_a_live_one_by_real_time() {
    let mut sandbox = Provider::default();
    sandbox.apply(sandbox_created());
    sandbox.apply(ProviderEvent::ProviderClockAdvanced {
        from: t0(),
        to: at(2027, 3, 1),
    });
    assert!(sandbox.is_sandbox());
    assert_eq!(sandbox.now(at(2030, 1, 1)), at(2027, 3, 1));
    let mut live = Provider::default();
    live.apply(created("Acme"));
    assert!(!live.is_sandbox());
    assert_eq!(live.now(at(2030, 1, 1)), at(2030, 1, 1));
}

#[test]
fn a_provider_created_before_sandboxes_decodes_as_live() {
    let old = serde_json::json!({"ProviderCreated": {
        "provider_id": "00000000-0000-0000-0000-000000000010",
        "name": "Acme",
        "currency": "EUR",
    }});
    let event: ProviderEvent = serde_json::from_value(old).unwrap();
    assert_eq!(event, created("Acme"));
}

#[test]
fn an_imported_provider_is_created_live_with_its_source() {
    let source = crate::import::ImportSource::parse("billmanager", "7").unwrap();
    ProviderTester::with(())
        .given_no_previous_events()
        .when(ProviderCommand::ImportProvider {
            provider_id: provider_id(),
            name: "  Moved Hosting ".to_string(),
            currency: Currency::EUR,
            source: source.clone(),
        })
        .then_expect_events(vec![ProviderEvent::ProviderCreated {
            provider_id: provider_id(),
            name: "Moved Hosting".to_string(),
            currency: Currency::EUR,
            sandbox: false,
            clock: None,
            source: Some(source),
        }]);
}

#[test]
fn an_imported_provider_is_not_imported_twice() {
    ProviderTester::with(())
        .given(vec![created("Acme")])
        .when(ProviderCommand::ImportProvider {
            provider_id: provider_id(),
            name: "Acme".to_string(),
            currency: Currency::EUR,
            source: crate::import::ImportSource::parse("whmcs", "1").unwrap(),
        })
        .then_expect_error(ProviderError::AlreadyCreated);
}
