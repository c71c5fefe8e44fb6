use std::collections::BTreeSet;

use chrono::{DateTime, TimeZone, Utc};
use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;
use crate::ids::{ClientId, DepartmentId, StaffId, TokenId, UserId};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, 1, 9, 0, 0).unwrap()
}

fn login(text: &str) -> Login {
    Login::parse(text).unwrap()
}

fn name(text: &str) -> DisplayName {
    DisplayName::parse(text).unwrap()
}

fn hash() -> PasswordHash {
    PasswordHash::from_phc("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned()).unwrap()
}

fn read(resource: Resource) -> Permission {
    Permission::new(resource, Action::Read)
}

fn write(resource: Resource) -> Permission {
    Permission::new(resource, Action::Write)
}

fn sales() -> DepartmentId {
    DepartmentId::named("Sales")
}

fn create_sales() -> DepartmentCommand {
    DepartmentCommand::CreateDepartment {
        department_id: sales(),
        name: name("Sales"),
        accepts_tickets: true,
        permissions: Permissions::of([write(Resource::Clients)]),
    }
}

fn sales_created() -> DepartmentEvent {
    DepartmentEvent::DepartmentCreated {
        department_id: sales(),
        name: name("Sales"),
        accepts_tickets: true,
        permissions: Permissions::of([write(Resource::Clients)]),
    }
}

#[test]
fn a_write_permission_allows_reading_but_not_the_other_way_round() {
    let permissions = Permissions::of([write(Resource::Clients), read(Resource::Payments)]);
    assert!(permissions.allows(read(Resource::Clients)));
    assert!(permissions.allows(write(Resource::Clients)));
    assert!(permissions.allows(read(Resource::Payments)));
    assert!(!permissions.allows(write(Resource::Payments)));
    assert!(!permissions.allows(read(Resource::Invoices)));
}

#[test]
fn logins_are_lowercased_whole_and_derive_one_id() {
    assert_eq!(login(" Anna@Example.COM ").as_str(), "anna@example.com");
    assert_eq!(
        StaffId::for_login(&login("ANNA@example.com")),
        StaffId::for_login(&login("anna@example.com"))
    );
    assert_ne!(
        StaffId::for_login(&login("anna@example.com")).as_uuid(),
        UserId::for_login(&login("anna@example.com")).as_uuid()
    );
    assert_eq!(
        Login::parse("not an address"),
        Err(AccessError::InvalidLogin("not an address".to_owned()))
    );
}

#[test]
fn a_password_hash_never_shows_in_debug_output() {
    assert_eq!(format!("{:?}", hash()), "PasswordHash(..)");
    assert_eq!(
        PasswordHash::from_phc("plain text".to_owned()),
        Err(AccessError::InvalidPasswordHash)
    );
}

#[test]
fn a_department_is_created_with_its_permissions() {
    TestFramework::<Department>::with(())
        .given_no_previous_events()
        .when(create_sales())
        .then_expect_events(vec![sales_created()]);
}

#[test]
fn creating_a_default_department_again_changes_nothing() {
    TestFramework::<Department>::with(())
        .given(vec![sales_created()])
        .when(create_sales())
        .then_expect_events(vec![]);
}

#[test]
fn another_department_under_a_taken_id_is_refused() {
    TestFramework::<Department>::with(())
        .given(vec![sales_created()])
        .when(DepartmentCommand::CreateDepartment {
            department_id: sales(),
            name: name("Marketing"),
            accepts_tickets: false,
            permissions: Permissions::default(),
        })
        .then_expect_error(AccessError::AlreadyExists);
}

#[test]
fn setting_the_permissions_of_an_unknown_department_is_refused() {
    TestFramework::<Department>::with(())
        .given_no_previous_events()
        .when(DepartmentCommand::SetPermissions {
            permissions: Permissions::default(),
        })
        .then_expect_error(AccessError::DepartmentNotFound);
}

fn staff_id() -> StaffId {
    StaffId::for_login(&login("bob@example.com"))
}

fn staff_created() -> StaffEvent {
    StaffEvent::StaffMemberCreated {
        staff_id: staff_id(),
        name: name("Bob"),
        login: login("bob@example.com"),
        departments: BTreeSet::from([sales()]),
        grants: Permissions::default(),
        administrator: false,
    }
}

#[test]
fn a_second_staff_member_with_the_same_login_is_refused() {
    TestFramework::<StaffMember>::with(())
        .given(vec![staff_created()])
        .when(StaffCommand::CreateStaffMember {
            staff_id: staff_id(),
            name: name("Another Bob"),
            login: login("bob@example.com"),
            password_hash: hash(),
            departments: BTreeSet::new(),
            grants: Permissions::default(),
            administrator: false,
        })
        .then_expect_error(AccessError::LoginTaken);
}

#[test]
fn disabling_a_staff_member_twice_records_it_once() {
    TestFramework::<StaffMember>::with(())
        .given(vec![staff_created(), StaffEvent::StaffMemberDisabled])
        .when(StaffCommand::DisableStaffMember)
        .then_expect_events(vec![]);
}

#[test]
fn a_staff_token_stops_working_when_its_staff_member_is_disabled() {
    let mut staff = StaffMember::default();
    cqrs_es::Aggregate::apply(&mut staff, staff_created());
    let issued_in = staff.generation();
    assert!(staff.honours(issued_in));
    cqrs_es::Aggregate::apply(&mut staff, StaffEvent::StaffMemberDisabled);
    assert!(!staff.honours(issued_in));
}

#[test]
fn enabling_a_staff_member_again_does_not_bring_its_old_tokens_back() {
    let mut staff = StaffMember::default();
    cqrs_es::Aggregate::apply(&mut staff, staff_created());
    let before = staff.generation();
    cqrs_es::Aggregate::apply(&mut staff, StaffEvent::StaffMemberDisabled);
    cqrs_es::Aggregate::apply(&mut staff, StaffEvent::StaffMemberEnabled);
    assert!(staff.is_active());
    assert!(!staff.honours(before));
    assert!(staff.honours(staff.generation()));
}

#[test]
fn a_staff_token_issued_before_generations_existed_reads_as_the_first() {
    let stored = serde_json::json!({"kind": "staff", "staff_id": staff_id()});
    let subject: TokenSubject = serde_json::from_value(stored).unwrap();
    assert_eq!(
        subject,
        TokenSubject::Staff {
            staff_id: staff_id(),
            generation: 0
        }
    );
}

#[test]
fn acting_as_a_client_gives_at_most_the_staff_members_own_permissions() {
    let support = Permissions::of([read(Resource::Clients), write(Resource::Services)]);
    assert_eq!(
        acting_permissions(&support),
        Permissions::of([read(Resource::Clients), write(Resource::Services)])
    );
    let reader = Permissions::of([read(Resource::Clients)]);
    assert!(!acting_permissions(&reader).allows(write(Resource::Clients)));
    assert!(!acting_permissions(&reader).allows(read(Resource::Payments)));
}

#[test]
fn an_administrator_acting_as_a_client_gets_what_the_owner_has() {
    assert_eq!(
        acting_permissions(&Permissions::all()),
        ClientRole::Owner.permissions()
    );
}

#[test]
fn a_write_meeting_a_read_intersects_to_a_read() {
    let a = Permissions::of([write(Resource::Payments), read(Resource::Invoices)]);
    let b = Permissions::of([read(Resource::Payments), write(Resource::Invoices)]);
    assert_eq!(
        a.intersection(&b),
        Permissions::of([read(Resource::Payments), read(Resource::Invoices)])
    );
}

#[test]
fn a_disabled_staff_member_is_not_active() {
    let mut staff = StaffMember::default();
    cqrs_es::Aggregate::apply(&mut staff, staff_created());
    assert!(staff.is_active());
    cqrs_es::Aggregate::apply(&mut staff, StaffEvent::StaffMemberDisabled);
    assert!(!staff.is_active());
}

#[test]
fn a_client_user_needs_a_role() {
    TestFramework::<ClientUser>::with(())
        .given_no_previous_events()
        .when(UserCommand::CreateClientUser {
            user_id: UserId::for_login(&login("eve@example.com")),
            client_id: ClientId::from_uuid(Uuid::from_u128(7)),
            name: name("Eve"),
            login: login("eve@example.com"),
            password_hash: hash(),
            roles: BTreeSet::new(),
        })
        .then_expect_error(AccessError::NoRoles);
}

#[test]
fn a_billing_user_may_pay_but_not_manage_services() {
    let permissions = ClientRole::Billing.permissions();
    assert!(permissions.allows(write(Resource::Payments)));
    assert!(!permissions.allows(read(Resource::Services)));
    assert!(!permissions.allows(write(Resource::Clients)));
    assert!(
        ClientRole::Owner
            .permissions()
            .allows(write(Resource::Clients))
    );
}

fn token_issued() -> TokenEvent {
    TokenEvent::TokenIssued {
        token_id: TokenId::from_uuid(Uuid::from_u128(9)),
        subject: TokenSubject::Staff {
            staff_id: staff_id(),
            generation: 0,
        },
        issued_at: t0(),
        expires_at: Some(t0() + chrono::Duration::hours(1)),
    }
}

#[test]
fn a_service_token_needs_a_scope() {
    TestFramework::<AccessToken>::with(())
        .given_no_previous_events()
        .when(TokenCommand::IssueToken {
            token_id: TokenId::from_uuid(Uuid::from_u128(9)),
            subject: TokenSubject::Service {
                name: "gateway".to_owned(),
                scopes: BTreeSet::new(),
            },
            secret_sha256: "ab".repeat(32),
            issued_at: t0(),
            expires_at: None,
        })
        .then_expect_error(AccessError::NoScopes);
}

#[test]
fn revoking_a_revoked_token_changes_nothing() {
    TestFramework::<AccessToken>::with(())
        .given(vec![
            token_issued(),
            TokenEvent::TokenRevoked { revoked_at: t0() },
        ])
        .when(TokenCommand::RevokeToken { revoked_at: t0() })
        .then_expect_events(vec![]);
}

#[test]
fn revoking_an_unknown_token_is_refused() {
    TestFramework::<AccessToken>::with(())
        .given_no_previous_events()
        .when(TokenCommand::RevokeToken { revoked_at: t0() })
        .then_expect_error(AccessError::TokenNotFound);
}

#[test]
fn a_token_works_until_it_expires_or_is_revoked() {
    let mut token = AccessToken::default();
    cqrs_es::Aggregate::apply(&mut token, token_issued());
    assert!(token.is_usable_at(t0()));
    assert!(!token.is_usable_at(t0() + chrono::Duration::hours(1)));
    cqrs_es::Aggregate::apply(&mut token, TokenEvent::TokenRevoked { revoked_at: t0() });
    assert!(!token.is_usable_at(t0()));
}

#[test]
fn scopes_are_lowercase_names() {
    assert!(Scope::parse("payments.confirm").is_ok());
    assert!(Scope::parse("payments:write").is_ok());
    assert_eq!(
        Scope::parse("Payments confirm"),
        Err(AccessError::InvalidScope("Payments confirm".to_owned()))
    );
}

#[test]
fn permissions_are_written_resource_colon_action() {
    assert_eq!("clients:read".parse(), Ok(read(Resource::Clients)));
    assert_eq!(write(Resource::Tickets).to_string(), "tickets:write");
    assert_eq!(
        "clients:delete".parse::<Permission>(),
        Err(AccessError::InvalidPermission("clients:delete".to_owned()))
    );
}

// Issue 13.4: no secret in events (ADR 11). The hash and the digest travel in the commands, which
// name them for the store's credential table; the events and the state have neither.

fn create_bob() -> StaffCommand {
    StaffCommand::CreateStaffMember {
        staff_id: staff_id(),
        name: name("Bob"),
        login: login("bob@example.com"),
        password_hash: hash(),
        departments: BTreeSet::from([sales()]),
        grants: Permissions::default(),
        administrator: false,
    }
}

/// The serialized event, as the log would store it.
fn stored<E: serde::Serialize>(event: &E) -> String {
    serde_json::to_string(event).unwrap()
}

#[test]
fn creating_a_staff_member_records_version_2_without_the_password_hash() {
    TestFramework::<StaffMember>::with(())
        .given_no_previous_events()
        .when(create_bob())
        .then_expect_events(vec![staff_created()]);
    let event = staff_created();
    assert_eq!(cqrs_es::DomainEvent::event_version(&event), "2.0");
    assert!(!stored(&event).contains("password_hash"));
    assert!(!stored(&event).contains("$argon2"));
}

#[test]
fn a_staff_command_names_the_hash_it_sets_for_the_credential_store() {
    assert_eq!(create_bob().password_hash(), Some(&hash()));
    let set = StaffCommand::SetPassword {
        password_hash: hash(),
    };
    assert_eq!(set.password_hash(), Some(&hash()));
    assert_eq!(StaffCommand::DisableStaffMember.password_hash(), None);
}

#[test]
fn setting_a_password_records_version_2_without_the_hash() {
    TestFramework::<StaffMember>::with(())
        .given(vec![staff_created()])
        .when(StaffCommand::SetPassword {
            password_hash: hash(),
        })
        .then_expect_events(vec![StaffEvent::StaffPasswordSet {}]);
    let event = StaffEvent::StaffPasswordSet {};
    assert_eq!(cqrs_es::DomainEvent::event_version(&event), "2.0");
    assert_eq!(stored(&event), r#"{"StaffPasswordSet":{}}"#);
}

#[test]
fn setting_the_password_of_an_unknown_staff_member_is_refused() {
    TestFramework::<StaffMember>::with(())
        .given_no_previous_events()
        .when(StaffCommand::SetPassword {
            password_hash: hash(),
        })
        .then_expect_error(AccessError::StaffNotFound);
}

#[test]
fn version_1_staff_events_with_a_hash_still_read_and_the_state_keeps_no_hash() {
    // Given the payloads version 1.0 stored, hash included.
    let created = format!(
        r#"{{"StaffMemberCreated":{{"staff_id":"{}","name":"Bob","login":"bob@example.com","password_hash":"{}","departments":["{}"],"grants":[],"administrator":false}}}}"#,
        staff_id().as_uuid(),
        hash().as_phc(),
        sales().as_uuid(),
    );
    let password_set = format!(
        r#"{{"StaffPasswordSet":{{"password_hash":"{}"}}}}"#,
        hash().as_phc()
    );

    // When they are read and applied.
    let created: StaffEvent = serde_json::from_str(&created).unwrap();
    let password_set: StaffEvent = serde_json::from_str(&password_set).unwrap();
    let mut staff = StaffMember::default();
    cqrs_es::Aggregate::apply(&mut staff, created.clone());
    cqrs_es::Aggregate::apply(&mut staff, password_set.clone());

    // Then they are the version 2 events, and nothing of the hash is left in the state.
    assert_eq!(created, staff_created());
    assert_eq!(password_set, StaffEvent::StaffPasswordSet {});
    assert!(staff.is_active());
    assert!(!serde_json::to_string(&staff).unwrap().contains("$argon2"));
}

fn eve_created() -> UserEvent {
    UserEvent::ClientUserCreated {
        user_id: UserId::for_login(&login("eve@example.com")),
        client_id: ClientId::from_uuid(Uuid::from_u128(7)),
        name: name("Eve"),
        login: login("eve@example.com"),
        roles: BTreeSet::from([ClientRole::Owner]),
    }
}

#[test]
fn creating_a_client_user_records_version_2_without_the_password_hash() {
    let command = UserCommand::CreateClientUser {
        user_id: UserId::for_login(&login("eve@example.com")),
        client_id: ClientId::from_uuid(Uuid::from_u128(7)),
        name: name("Eve"),
        login: login("eve@example.com"),
        password_hash: hash(),
        roles: BTreeSet::from([ClientRole::Owner]),
    };
    assert_eq!(command.password_hash(), Some(&hash()));
    TestFramework::<ClientUser>::with(())
        .given_no_previous_events()
        .when(command)
        .then_expect_events(vec![eve_created()]);
    assert_eq!(cqrs_es::DomainEvent::event_version(&eve_created()), "2.0");
    assert!(!stored(&eve_created()).contains("password_hash"));
}

#[test]
fn a_version_1_client_user_event_with_a_hash_still_reads() {
    let v1 = format!(
        r#"{{"ClientUserCreated":{{"user_id":"{}","client_id":"{}","name":"Eve","login":"eve@example.com","password_hash":"{}","roles":["owner"]}}}}"#,
        UserId::for_login(&login("eve@example.com")).as_uuid(),
        Uuid::from_u128(7),
        hash().as_phc(),
    );
    let event: UserEvent = serde_json::from_str(&v1).unwrap();
    assert_eq!(event, eve_created());
}

#[test]
fn issuing_a_token_records_version_2_without_the_digest() {
    let command = TokenCommand::IssueToken {
        token_id: TokenId::from_uuid(Uuid::from_u128(9)),
        subject: TokenSubject::Staff {
            staff_id: staff_id(),
            generation: 0,
        },
        secret_sha256: "ab".repeat(32),
        issued_at: t0(),
        expires_at: Some(t0() + chrono::Duration::hours(1)),
    };
    assert_eq!(command.secret_sha256(), Some("ab".repeat(32).as_str()));
    TestFramework::<AccessToken>::with(())
        .given_no_previous_events()
        .when(command)
        .then_expect_events(vec![token_issued()]);
    assert_eq!(cqrs_es::DomainEvent::event_version(&token_issued()), "2.0");
    assert!(!stored(&token_issued()).contains(&"ab".repeat(32)));
    assert_eq!(
        TokenCommand::RevokeToken { revoked_at: t0() }.secret_sha256(),
        None
    );
}

#[test]
fn a_version_1_token_event_with_a_digest_still_reads_and_works() {
    let v1 = format!(
        r#"{{"TokenIssued":{{"token_id":"{}","subject":{{"kind":"staff","staff_id":"{}"}},"secret_sha256":"{}","issued_at":"2027-01-01T09:00:00Z","expires_at":"2027-01-01T10:00:00Z"}}}}"#,
        Uuid::from_u128(9),
        staff_id().as_uuid(),
        "ab".repeat(32),
    );
    let event: TokenEvent = serde_json::from_str(&v1).unwrap();
    assert_eq!(event, token_issued());
    let mut token = AccessToken::default();
    cqrs_es::Aggregate::apply(&mut token, event);
    assert!(token.is_usable_at(t0()));
    assert!(
        !serde_json::to_string(&token)
            .unwrap()
            .contains(&"ab".repeat(32))
    );
}
