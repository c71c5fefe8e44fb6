//! The user directory's rule (a client keeps an enabled owner) and the user stream's enabling.

use std::collections::BTreeSet;

use cqrs_es::Aggregate;
use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;
use crate::ids::{ClientId, UserId};

fn ann() -> UserId {
    UserId::from_uuid(Uuid::from_u128(1))
}

fn bob() -> UserId {
    UserId::from_uuid(Uuid::from_u128(2))
}

fn member(roles: &[ClientRole], enabled: bool) -> Member {
    Member {
        roles: roles.iter().copied().collect(),
        enabled,
    }
}

fn owner() -> Member {
    member(&[ClientRole::Owner], true)
}

fn billing() -> Member {
    member(&[ClientRole::Billing], true)
}

/// Ann an owner, Bob a billing contact, as their streams say.
fn ann_owner_bob_billing() -> Members {
    Members::from([(ann(), owner()), (bob(), billing())])
}

/// Both owners, as their streams say.
fn two_owners() -> Members {
    Members::from([(ann(), owner()), (bob(), owner())])
}

fn roles(roles: &[ClientRole]) -> BTreeSet<ClientRole> {
    roles.iter().copied().collect()
}

#[test]
fn the_last_enabled_owner_cannot_lose_the_owner_role() {
    TestFramework::<UserDirectory>::with(())
        .given_no_previous_events()
        .when(DirectoryCommand::SetUserRoles {
            user_id: ann(),
            roles: roles(&[ClientRole::Billing]),
            users: ann_owner_bob_billing(),
        })
        .then_expect_error(AccessError::LastOwner);
}

#[test]
fn the_last_enabled_owner_cannot_be_disabled() {
    TestFramework::<UserDirectory>::with(())
        .given_no_previous_events()
        .when(DirectoryCommand::DisableUser {
            user_id: ann(),
            users: ann_owner_bob_billing(),
        })
        .then_expect_error(AccessError::LastOwner);
}

#[test]
fn an_owner_may_be_demoted_while_another_enabled_owner_remains() {
    TestFramework::<UserDirectory>::with(())
        .given_no_previous_events()
        .when(DirectoryCommand::SetUserRoles {
            user_id: ann(),
            roles: roles(&[ClientRole::Billing, ClientRole::Technical]),
            users: two_owners(),
        })
        .then_expect_events(vec![DirectoryEvent::DirectoryUserRolesSet {
            user_id: ann(),
            member: member(&[ClientRole::Billing, ClientRole::Technical], true),
        }]);
}

#[test]
fn of_two_owners_the_second_demoted_is_refused_even_if_the_callers_facts_are_stale() {
    // Both requests loaded the users before either ran: the directory remembers the first.
    TestFramework::<UserDirectory>::with(())
        .given(vec![DirectoryEvent::DirectoryUserRolesSet {
            user_id: ann(),
            member: billing(),
        }])
        .when(DirectoryCommand::DisableUser {
            user_id: bob(),
            users: two_owners(),
        })
        .then_expect_error(AccessError::LastOwner);
}

#[test]
fn a_disabled_owner_does_not_count_as_the_remaining_owner() {
    let users = Members::from([
        (ann(), owner()),
        (bob(), member(&[ClientRole::Owner], false)),
    ]);
    TestFramework::<UserDirectory>::with(())
        .given_no_previous_events()
        .when(DirectoryCommand::SetUserRoles {
            user_id: ann(),
            roles: roles(&[ClientRole::Technical]),
            users,
        })
        .then_expect_error(AccessError::LastOwner);
}

#[test]
fn a_promotion_the_users_stream_has_not_followed_yet_does_not_count() {
    // The directory made Bob an owner, but Bob's stream does not say so yet (the follow-up was
    // lost): Ann is still the only owner that counts.
    TestFramework::<UserDirectory>::with(())
        .given(vec![DirectoryEvent::DirectoryUserRolesSet {
            user_id: bob(),
            member: owner(),
        }])
        .when(DirectoryCommand::DisableUser {
            user_id: ann(),
            users: ann_owner_bob_billing(),
        })
        .then_expect_error(AccessError::LastOwner);
}

#[test]
fn a_user_that_is_not_the_clients_is_not_found() {
    TestFramework::<UserDirectory>::with(())
        .given_no_previous_events()
        .when(DirectoryCommand::EnableUser {
            user_id: UserId::from_uuid(Uuid::from_u128(99)),
            users: ann_owner_bob_billing(),
        })
        .then_expect_error(AccessError::UserNotFound);
}

#[test]
fn a_user_keeps_at_least_one_role() {
    TestFramework::<UserDirectory>::with(())
        .given_no_previous_events()
        .when(DirectoryCommand::SetUserRoles {
            user_id: bob(),
            roles: BTreeSet::new(),
            users: ann_owner_bob_billing(),
        })
        .then_expect_error(AccessError::NoRoles);
}

#[test]
fn disabling_and_enabling_a_billing_user_is_recorded_and_a_repeat_records_nothing() {
    TestFramework::<UserDirectory>::with(())
        .given_no_previous_events()
        .when(DirectoryCommand::DisableUser {
            user_id: bob(),
            users: ann_owner_bob_billing(),
        })
        .then_expect_events(vec![DirectoryEvent::DirectoryUserDisabled {
            user_id: bob(),
            member: member(&[ClientRole::Billing], false),
        }]);
    TestFramework::<UserDirectory>::with(())
        .given(vec![DirectoryEvent::DirectoryUserDisabled {
            user_id: bob(),
            member: member(&[ClientRole::Billing], false),
        }])
        .when(DirectoryCommand::DisableUser {
            user_id: bob(),
            users: ann_owner_bob_billing(),
        })
        .then_expect_events(vec![]);
    TestFramework::<UserDirectory>::with(())
        .given(vec![DirectoryEvent::DirectoryUserDisabled {
            user_id: bob(),
            member: member(&[ClientRole::Billing], false),
        }])
        .when(DirectoryCommand::EnableUser {
            user_id: bob(),
            users: ann_owner_bob_billing(),
        })
        .then_expect_events(vec![DirectoryEvent::DirectoryUserEnabled {
            user_id: bob(),
            member: billing(),
        }]);
}

#[test]
fn the_same_roles_again_record_nothing() {
    TestFramework::<UserDirectory>::with(())
        .given_no_previous_events()
        .when(DirectoryCommand::SetUserRoles {
            user_id: ann(),
            roles: roles(&[ClientRole::Owner]),
            users: ann_owner_bob_billing(),
        })
        .then_expect_events(vec![]);
}

fn eve() -> UserEvent {
    UserEvent::ClientUserCreated {
        user_id: UserId::from_uuid(Uuid::from_u128(5)),
        client_id: ClientId::from_uuid(Uuid::from_u128(7)),
        name: DisplayName::parse("Eve").unwrap(),
        login: Login::parse("eve@example.com").unwrap(),
        roles: roles(&[ClientRole::Owner]),
    }
}

#[test]
fn enabling_a_disabled_user_voids_the_tokens_it_had() {
    let mut user = ClientUser::default();
    user.apply(eve());
    let before = user.generation();
    user.apply(UserEvent::ClientUserDisabled);
    assert!(
        !user.honours(before),
        "a disabled user's tokens stop at once"
    );
    user.apply(UserEvent::ClientUserEnabled);
    assert!(user.is_active());
    assert!(!user.honours(before), "its old tokens stay void");
    assert!(user.honours(user.generation()));
}

#[test]
fn enabling_a_user_that_is_not_disabled_records_nothing() {
    TestFramework::<ClientUser>::with(())
        .given(vec![eve()])
        .when(UserCommand::EnableClientUser)
        .then_expect_events(vec![]);
}

#[test]
fn an_old_stream_without_the_new_events_folds_as_before() {
    let mut directory = UserDirectory::default();
    assert!(directory.members().is_empty());
    directory.apply(DirectoryEvent::DirectoryUserDisabled {
        user_id: bob(),
        member: member(&[ClientRole::Billing], false),
    });
    assert_eq!(directory.members().len(), 1);
    let mut user = ClientUser::default();
    user.apply(eve());
    user.apply(UserEvent::ClientUserRolesSet {
        roles: roles(&[ClientRole::Billing]),
    });
    user.apply(UserEvent::ClientUserDisabled);
    assert!(!user.is_active());
    assert_eq!(user.roles(), &roles(&[ClientRole::Billing]));
}
