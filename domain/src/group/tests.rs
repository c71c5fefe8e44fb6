use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;

fn created() -> ClientGroupEvent {
    ClientGroupEvent::ClientGroupCreated {
        group_id: ClientGroupId::from_uuid(Uuid::from_u128(1)),
        provider_id: ProviderId::from_uuid(Uuid::from_u128(2)),
        name: ClientName::parse("Resellers").unwrap(),
    }
}

#[test]
fn a_group_is_created_once() {
    let create = ClientGroupCommand::CreateClientGroup {
        group_id: ClientGroupId::from_uuid(Uuid::from_u128(1)),
        provider_id: ProviderId::from_uuid(Uuid::from_u128(2)),
        name: ClientName::parse("Resellers").unwrap(),
    };
    TestFramework::<ClientGroup>::with(())
        .given_no_previous_events()
        .when(create.clone())
        .then_expect_events(vec![created()]);
    TestFramework::<ClientGroup>::with(())
        .given(vec![created()])
        .when(create)
        .then_expect_error(ClientGroupError::AlreadyCreated);
}

fn percent(value: &str) -> DiscountPercent {
    DiscountPercent::parse(value.parse().unwrap()).unwrap()
}

fn discount_set(item_type: ItemType, value: Option<&str>) -> ClientGroupEvent {
    ClientGroupEvent::ClientGroupDiscountSet {
        item_type,
        percent: value.map(percent),
    }
}

#[test]
fn a_group_discount_is_set_changed_and_removed_per_item_type() {
    TestFramework::<ClientGroup>::with(())
        .given(vec![created()])
        .when(ClientGroupCommand::SetGroupDiscount {
            item_type: ItemType::Vds,
            percent: Some(percent("10")),
        })
        .then_expect_events(vec![discount_set(ItemType::Vds, Some("10"))]);
    TestFramework::<ClientGroup>::with(())
        .given(vec![created(), discount_set(ItemType::Vds, Some("10"))])
        .when(ClientGroupCommand::SetGroupDiscount {
            item_type: ItemType::Vds,
            percent: None,
        })
        .then_expect_events(vec![discount_set(ItemType::Vds, None)]);
}

#[test]
fn setting_the_discount_a_group_has_records_nothing() {
    TestFramework::<ClientGroup>::with(())
        .given(vec![created(), discount_set(ItemType::Vds, Some("10"))])
        .when(ClientGroupCommand::SetGroupDiscount {
            item_type: ItemType::Vds,
            percent: Some(percent("10.00")),
        })
        .then_expect_events(vec![]);
    TestFramework::<ClientGroup>::with(())
        .given(vec![created()])
        .when(ClientGroupCommand::SetGroupDiscount {
            item_type: ItemType::Vds,
            percent: None,
        })
        .then_expect_events(vec![]);
}

#[test]
fn a_discount_of_a_group_never_created_is_refused() {
    TestFramework::<ClientGroup>::with(())
        .given_no_previous_events()
        .when(ClientGroupCommand::SetGroupDiscount {
            item_type: ItemType::Vds,
            percent: Some(percent("10")),
        })
        .then_expect_error(ClientGroupError::NotFound);
}

#[test]
fn the_discounts_of_a_group_are_kept_per_item_type() {
    let mut group = ClientGroup::default();
    for event in [
        created(),
        discount_set(ItemType::Vds, Some("10")),
        discount_set(ItemType::Domain, Some("5")),
        discount_set(ItemType::Vds, Some("12.5")),
    ] {
        group.apply(event);
    }
    assert_eq!(group.discount_on(ItemType::Vds), Some(percent("12.5")));
    assert_eq!(group.discount_on(ItemType::Domain), Some(percent("5")));
    assert_eq!(group.discount_on(ItemType::Other), None);
}
