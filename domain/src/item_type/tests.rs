use cqrs_es::test::TestFramework;

use super::*;

fn vds_settings(grace_days: u32) -> ItemTypeSettings {
    ItemTypeSettings {
        name: "Virtual server".to_string(),
        policy: ItemTypePolicy {
            deletion_delay_days: 3,
            suspension: SuspensionRule::Suspend,
            grace_days,
            auto_prolong: false,
        },
    }
}

fn defined(grace_days: u32) -> ItemTypeEvent {
    ItemTypeEvent::ItemTypeDefined {
        code: ItemType::Vds,
        settings: vds_settings(grace_days),
    }
}

#[test]
fn stored_codes_of_the_old_enum_decode_to_the_built_in_constants() {
    for (json, item_type) in [
        ("\"domain\"", ItemType::Domain),
        ("\"shared_hosting\"", ItemType::SharedHosting),
        ("\"vds\"", ItemType::Vds),
        ("\"dedicated_server\"", ItemType::DedicatedServer),
        ("\"ssl_certificate\"", ItemType::SslCertificate),
        ("\"dns_hosting\"", ItemType::DnsHosting),
        ("\"other\"", ItemType::Other),
    ] {
        let decoded: ItemType = serde_json::from_str(json).unwrap();
        assert_eq!(decoded, item_type);
        assert_eq!(serde_json::to_string(&decoded).unwrap(), json);
    }
}

#[test]
fn a_code_is_lowercase_letters_digits_and_underscores() {
    assert_eq!(
        ItemType::parse("game_server2").unwrap().as_str(),
        "game_server2"
    );
    for bad in ["", "VDS", "vds ", "v-ds", &"x".repeat(33)] {
        assert_eq!(
            ItemType::parse(bad),
            Err(ItemTypeError::InvalidCode(bad.to_string()))
        );
    }
    assert!(serde_json::from_str::<ItemType>("\"No\"").is_err());
}

#[test]
fn built_in_types_keep_todays_policy_until_staff_define_them() {
    let none = ItemTypeDefinition::default();
    let policy = none.policy_of(ItemType::Domain).unwrap();
    assert_eq!(policy.deletion_delay_days, 30);
    assert_eq!(policy.grace_days, 0);
    assert_eq!(policy.suspension, SuspensionRule::Suspend);
    assert!(policy.auto_prolong);
    assert_eq!(
        none.policy_of(ItemType::Vds).unwrap().deletion_delay_days,
        7
    );
    assert_eq!(
        none.policy_of(ItemType::parse("game").unwrap()),
        Err(ItemTypeError::Unknown("game".to_string()))
    );
}

#[test]
fn defining_a_type_replaces_its_policy() {
    TestFramework::<ItemTypeDefinition>::with(())
        .given_no_previous_events()
        .when(ItemTypeCommand::DefineItemType {
            code: ItemType::Vds,
            settings: ItemTypeSettings {
                name: "  Virtual server ".to_string(),
                ..vds_settings(5)
            },
        })
        .then_expect_events(vec![defined(5)]);
    let mut state = ItemTypeDefinition::default();
    state.apply(defined(5));
    assert_eq!(state.policy_of(ItemType::Vds).unwrap().grace_days, 5);
}

#[test]
fn the_same_settings_record_nothing() {
    TestFramework::<ItemTypeDefinition>::with(())
        .given(vec![defined(5)])
        .when(ItemTypeCommand::DefineItemType {
            code: ItemType::Vds,
            settings: vds_settings(5),
        })
        .then_expect_events(vec![]);
}

#[test]
fn days_above_ten_years_are_refused() {
    TestFramework::<ItemTypeDefinition>::with(())
        .given_no_previous_events()
        .when(ItemTypeCommand::DefineItemType {
            code: ItemType::Vds,
            settings: vds_settings(3651),
        })
        .then_expect_error(ItemTypeError::TooManyDays {
            field: "grace_days",
            days: 3651,
        });
}

#[test]
fn an_empty_name_is_refused() {
    TestFramework::<ItemTypeDefinition>::with(())
        .given_no_previous_events()
        .when(ItemTypeCommand::DefineItemType {
            code: ItemType::Vds,
            settings: ItemTypeSettings {
                name: " ".to_string(),
                ..vds_settings(0)
            },
        })
        .then_expect_error(ItemTypeError::InvalidName);
}

#[test]
fn the_order_may_override_the_types_auto_renewal() {
    let policy = vds_settings(0).policy;
    assert!(!policy.auto_prolong_of(None));
    assert!(policy.auto_prolong_of(Some(true)));
}
