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
