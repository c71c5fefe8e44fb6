use chrono::NaiveDate;
use uuid::Uuid;

use super::*;

fn register(base_url: &str, serves: &[&str]) -> ModuleCommand {
    ModuleCommand::RegisterModule {
        module_id: ModuleId::from_uuid(Uuid::from_u128(1)),
        provider_id: ProviderId::from_uuid(Uuid::from_u128(2)),
        kind: ModuleKind::Provisioning,
        base_url: base_url.to_string(),
        serves: serves.iter().map(|s| (*s).to_string()).collect(),
        key_id: "k1".to_string(),
        fingerprint: "0123456789abcdef".to_string(),
        secret_hex: "ab".repeat(32),
        registered_on: NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
    }
}

#[test]
fn a_module_is_registered_once_without_its_secret_in_the_event() {
    // Arrange
    let mut module = Module::default();

    // Act
    let events = module
        .decide(register("http://127.0.0.1:9000/", &["vds", "vds"]))
        .unwrap();
    for event in events.clone() {
        module.apply(event);
    }

    // Assert
    let ModuleEvent::ModuleRegistered {
        base_url, serves, ..
    } = &events[0];
    assert_eq!(base_url, "http://127.0.0.1:9000");
    assert_eq!(serves, &vec!["vds".to_string()]);
    let json = serde_json::to_string(&events).unwrap();
    assert!(!json.contains(&"ab".repeat(32)), "{json}");
    assert_eq!(
        module.decide(register("http://127.0.0.1:9000", &["vds"])),
        Err(ModuleError::AlreadyRegistered)
    );
}

#[test]
fn a_module_needs_an_http_url_and_something_to_serve() {
    let module = Module::default();
    assert_eq!(
        module.decide(register("ftp://x", &["vds"])),
        Err(ModuleError::InvalidUrl)
    );
    assert_eq!(
        module.decide(register("http://", &["vds"])),
        Err(ModuleError::InvalidUrl)
    );
    assert_eq!(
        module.decide(register("http://x", &[])),
        Err(ModuleError::InvalidServes)
    );
}
