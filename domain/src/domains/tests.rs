use chrono::TimeZone;
use cqrs_es::test::TestFramework;

use super::*;
use crate::contact::ContactInput;
use crate::money::Currency;

type DomainTester = TestFramework<Domain>;

fn client(n: u128) -> ClientId {
    ClientId::from_uuid(Uuid::from_u128(n))
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn at(year: i32, month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, 0, 0, 0).unwrap()
}

fn eur(amount: &str) -> Money {
    Money::parse(amount, Currency::parse("EUR").unwrap()).unwrap()
}

fn snapshot(owner: ClientId) -> ContactSnapshot {
    let input = ContactInput {
        kind: "person".to_string(),
        name: "Ada Lovelace".to_string(),
        organisation: None,
        email: "ada@example.com".to_string(),
        phone: "+4930123456".to_string(),
        street: "Ring 1".to_string(),
        city: "Berlin".to_string(),
        region: None,
        postal_code: "10115".to_string(),
        country: "DE".to_string(),
        birth_date: None,
        passport: None,
    };
    ContactSnapshot {
        contact_id: ContactId::from_uuid(Uuid::from_u128(0x60)),
        client_id: owner,
        details: input.parse(day("2027-01-01")).unwrap(),
    }
}

fn contacts(owner: ClientId) -> DomainContactsSnapshot {
    DomainContactsSnapshot {
        registrant: snapshot(owner),
        admin: snapshot(owner),
        tech: snapshot(owner),
    }
}

fn operation(n: u128, kind: RegistrarOperationKind, years: u32) -> DomainOperation {
    DomainOperation {
        operation_id: OperationId::from_uuid(Uuid::from_u128(n)),
        kind,
        years,
        price: eur("10.00"),
        contacts: contacts(client(0x20)),
        requested_on: day("2027-01-01"),
    }
}

fn order(name: &str, operation: DomainOperation) -> DomainCommand {
    DomainCommand::OrderDomain {
        domain_id: DomainId::from_uuid(Uuid::from_u128(0x70)),
        client_id: client(0x20),
        provider_id: ProviderId::from_uuid(Uuid::from_u128(0x10)),
        account_id: AccountId::from_uuid(Uuid::from_u128(0x30)),
        name: DomainName::parse(name).unwrap(),
        tld: TldName::parse("com").unwrap(),
        auto_renew: true,
        operation,
    }
}

fn ordered() -> DomainEvent {
    let DomainCommand::OrderDomain {
        domain_id,
        client_id,
        provider_id,
        account_id,
        name,
        tld,
        auto_renew,
        operation,
    } = order(
        "example.com",
        operation(1, RegistrarOperationKind::Register, 1),
    )
    else {
        unreachable!()
    };
    DomainEvent::DomainOrdered {
        domain_id,
        client_id,
        provider_id,
        account_id,
        name,
        tld,
        auto_renew,
        operation,
    }
}

fn registered(expires_at: DateTime<Utc>) -> DomainEvent {
    DomainEvent::RegistrarOperationDone {
        operation_id: OperationId::from_uuid(Uuid::from_u128(1)),
        kind: RegistrarOperationKind::Register,
        expires_at,
    }
}

#[test]
fn a_name_under_the_tld_ordered_is_ordered_pending() {
    DomainTester::with(())
        .given_no_previous_events()
        .when(order(
            "example.com",
            operation(1, RegistrarOperationKind::Register, 1),
        ))
        .then_expect_events(vec![ordered()]);
}

#[test]
fn a_name_under_another_tld_or_a_third_level_name_is_refused() {
    for name in ["example.org", "www.example.com"] {
        DomainTester::with(())
            .given_no_previous_events()
            .when(order(
                name,
                operation(1, RegistrarOperationKind::Register, 1),
            ))
            .then_expect_error(DomainError::NameNotUnderTld {
                tld: "com".to_string(),
            });
    }
}

#[test]
fn eleven_years_are_refused() {
    DomainTester::with(())
        .given_no_previous_events()
        .when(order(
            "example.com",
            operation(1, RegistrarOperationKind::Register, 11),
        ))
        .then_expect_error(DomainError::YearsOutOfRange { years: 11 });
}

#[test]
fn a_contact_of_another_client_is_refused() {
    let mut op = operation(1, RegistrarOperationKind::Register, 1);
    op.contacts.tech = snapshot(client(0x21));
    DomainTester::with(())
        .given_no_previous_events()
        .when(order("example.com", op))
        .then_expect_error(DomainError::ContactOfAnotherClient { role: "tech" });
}

#[test]
fn the_expiry_is_the_registrars_answer() {
    let mut domain = Domain::default();
    for event in [ordered(), registered(at(2028, 1, 3))] {
        domain.apply(event);
    }
    assert_eq!(domain.status(), Some(DomainStatus::Active));
    assert_eq!(domain.expires_at(), Some(at(2028, 1, 3)));
}

#[test]
fn a_failed_registration_names_the_charge_to_give_back() {
    let op = operation(1, RegistrarOperationKind::Register, 1);
    DomainTester::with(())
        .given(vec![ordered()])
        .when(DomainCommand::RecordRegistrarAnswer {
            operation_id: op.operation_id,
            answer: RegistrarAnswer::Failed {
                reason: " taken ".to_string(),
            },
        })
        .then_expect_events(vec![DomainEvent::RegistrarOperationFailed {
            operation_id: op.operation_id,
            kind: RegistrarOperationKind::Register,
            reason: "taken".to_string(),
            expense_id: op.expense_id(),
            refund_id: op.refund_id(),
        }]);
}

#[test]
fn the_same_answer_again_records_nothing_and_another_is_refused() {
    let answer = RegistrarAnswer::Done {
        expires_at: at(2028, 1, 3),
    };
    DomainTester::with(())
        .given(vec![ordered(), registered(at(2028, 1, 3))])
        .when(DomainCommand::RecordRegistrarAnswer {
            operation_id: OperationId::from_uuid(Uuid::from_u128(1)),
            answer,
        })
        .then_expect_events(vec![]);
    DomainTester::with(())
        .given(vec![ordered(), registered(at(2028, 1, 3))])
        .when(DomainCommand::RecordRegistrarAnswer {
            operation_id: OperationId::from_uuid(Uuid::from_u128(1)),
            answer: RegistrarAnswer::Failed {
                reason: "no".to_string(),
            },
        })
        .then_expect_error(DomainError::AlreadyAnswered);
}

#[test]
fn a_pending_domain_is_not_renewed() {
    DomainTester::with(())
        .given(vec![ordered()])
        .when(DomainCommand::RenewDomain {
            operation: operation(2, RegistrarOperationKind::Renew, 1),
            automatic: false,
        })
        .then_expect_error(DomainError::NotActive { status: "pending" });
}

#[test]
fn a_renewal_reaching_more_than_ten_years_ahead_is_refused() {
    DomainTester::with(())
        .given(vec![ordered(), registered(at(2028, 1, 3))])
        .when(DomainCommand::RenewDomain {
            operation: operation(2, RegistrarOperationKind::Renew, 10),
            automatic: false,
        })
        .then_expect_error(DomainError::TooFarAhead);
}

#[test]
fn renewal_is_due_thirty_days_before_expiry_and_expiry_after_it() {
    let mut domain = Domain::default();
    for event in [ordered(), registered(at(2028, 1, 31))] {
        domain.apply(event);
    }
    assert!(!domain.renewal_due(day("2027-12-31")));
    assert!(domain.renewal_due(day("2028-01-01")));
    assert!(!domain.renewal_due(day("2028-01-31")));
    assert!(!domain.expiry_due(at(2028, 1, 30)));
    assert!(domain.expiry_due(at(2028, 1, 31)));
}

#[test]
fn the_client_is_told_thirty_then_seven_days_before_expiry_once_each() {
    let expiry = at(2028, 1, 31);
    DomainTester::with(())
        .given(vec![ordered(), registered(expiry)])
        .when(DomainCommand::NoticeExpiry {
            on: day("2027-12-31"),
        })
        .then_expect_events(vec![]);
    DomainTester::with(())
        .given(vec![ordered(), registered(expiry)])
        .when(DomainCommand::NoticeExpiry {
            on: day("2028-01-02"),
        })
        .then_expect_events(vec![DomainEvent::DomainExpiryNoticed {
            expires_at: expiry,
            within_days: 30,
            days_left: 29,
        }]);
    let thirty = DomainEvent::DomainExpiryNoticed {
        expires_at: expiry,
        within_days: 30,
        days_left: 30,
    };
    DomainTester::with(())
        .given(vec![ordered(), registered(expiry), thirty.clone()])
        .when(DomainCommand::NoticeExpiry {
            on: day("2028-01-20"),
        })
        .then_expect_events(vec![]);
    DomainTester::with(())
        .given(vec![ordered(), registered(expiry), thirty])
        .when(DomainCommand::NoticeExpiry {
            on: day("2028-01-25"),
        })
        .then_expect_events(vec![DomainEvent::DomainExpiryNoticed {
            expires_at: expiry,
            within_days: 7,
            days_left: 6,
        }]);
}

#[test]
fn a_renewed_expiry_is_noticed_again_and_a_clock_jump_sends_one_notice() {
    let first = at(2028, 1, 31);
    let noticed = |within_days, days_left| DomainEvent::DomainExpiryNoticed {
        expires_at: first,
        within_days,
        days_left,
    };
    // Jumping straight to five days before: one notice, the seven-day one.
    DomainTester::with(())
        .given(vec![ordered(), registered(first)])
        .when(DomainCommand::NoticeExpiry {
            on: day("2028-01-26"),
        })
        .then_expect_events(vec![noticed(7, 5)]);
    // Renewed to 2029: the new expiry gets its own notices.
    let second = at(2029, 1, 31);
    DomainTester::with(())
        .given(vec![
            ordered(),
            registered(first),
            noticed(30, 30),
            noticed(7, 7),
            DomainEvent::DomainRenewalRequested {
                operation: operation(2, RegistrarOperationKind::Renew, 1),
                automatic: true,
            },
            DomainEvent::RegistrarOperationDone {
                operation_id: OperationId::from_uuid(Uuid::from_u128(2)),
                kind: RegistrarOperationKind::Renew,
                expires_at: second,
            },
        ])
        .when(DomainCommand::NoticeExpiry {
            on: day("2029-01-01"),
        })
        .then_expect_events(vec![DomainEvent::DomainExpiryNoticed {
            expires_at: second,
            within_days: 30,
            days_left: 30,
        }]);
}

fn transfer_to(to: ClientId, provider: u128) -> DomainCommand {
    DomainCommand::TransferDomain {
        to_client: to,
        provider_id: ProviderId::from_uuid(Uuid::from_u128(provider)),
        to_account: AccountId::from_uuid(Uuid::from_u128(0x31)),
        merge_id: MergeId::from_uuid(Uuid::from_u128(0x90)),
    }
}

fn transferred_to(to: ClientId) -> DomainEvent {
    DomainEvent::DomainTransferred {
        from_client: client(0x20),
        to_client: to,
        to_account: AccountId::from_uuid(Uuid::from_u128(0x31)),
        merge_id: MergeId::from_uuid(Uuid::from_u128(0x90)),
    }
}

#[test]
fn a_merge_moves_the_domain_and_its_renewal_charges_the_new_clients_account() {
    DomainTester::with(())
        .given(vec![ordered(), registered(at(2028, 1, 3))])
        .when(transfer_to(client(0x21), 0x10))
        .then_expect_events(vec![transferred_to(client(0x21))]);
    let mut domain = Domain::default();
    for event in [
        ordered(),
        registered(at(2028, 1, 3)),
        transferred_to(client(0x21)),
    ] {
        domain.apply(event);
    }
    assert_eq!(domain.client_id(), Some(client(0x21)));
    assert_eq!(
        domain.account_id(),
        Some(AccountId::from_uuid(Uuid::from_u128(0x31)))
    );
    assert_eq!(domain.status(), Some(DomainStatus::Active));
    // The contacts moved with the merge: a renewal sends them again as the new client's own.
    let sent = domain.contacts().cloned().unwrap();
    assert!(
        sent.roles()
            .iter()
            .all(|(_, contact)| contact.client_id == client(0x21))
    );
    let mut renewal = operation(2, RegistrarOperationKind::Renew, 1);
    renewal.contacts = sent;
    assert_eq!(
        domain.decide(DomainCommand::RenewDomain {
            operation: renewal,
            automatic: true,
        }),
        Ok(vec![DomainEvent::DomainRenewalRequested {
            operation: {
                let mut renewal = operation(2, RegistrarOperationKind::Renew, 1);
                renewal.contacts = contacts(client(0x21));
                renewal
            },
            automatic: true,
        }])
    );
}

#[test]
fn a_domain_already_the_clients_records_nothing_and_another_providers_client_is_refused() {
    DomainTester::with(())
        .given(vec![ordered(), transferred_to(client(0x21))])
        .when(transfer_to(client(0x21), 0x10))
        .then_expect_events(vec![]);
    DomainTester::with(())
        .given(vec![ordered()])
        .when(transfer_to(client(0x21), 0x11))
        .then_expect_error(DomainError::OtherProvider);
    DomainTester::with(())
        .given_no_previous_events()
        .when(transfer_to(client(0x21), 0x10))
        .then_expect_error(DomainError::NotFound);
}

#[test]
fn each_event_says_the_status_it_leaves_the_domain_in() {
    let failed = |kind| DomainEvent::RegistrarOperationFailed {
        operation_id: OperationId::from_uuid(Uuid::from_u128(1)),
        kind,
        reason: "no".to_string(),
        expense_id: ExpenseId::from_uuid(Uuid::from_u128(2)),
        refund_id: Uuid::from_u128(3),
    };
    assert_eq!(ordered().status_after(), Some(DomainStatus::Pending));
    assert_eq!(
        registered(at(2028, 1, 3)).status_after(),
        Some(DomainStatus::Active)
    );
    assert_eq!(
        failed(RegistrarOperationKind::Register).status_after(),
        Some(DomainStatus::Failed)
    );
    assert_eq!(
        failed(RegistrarOperationKind::Transfer).status_after(),
        Some(DomainStatus::Failed)
    );
    assert_eq!(failed(RegistrarOperationKind::Renew).status_after(), None);
    assert_eq!(transferred_to(client(0x21)).status_after(), None);
    let mut domain = Domain::default();
    for event in [
        ordered(),
        registered(at(2028, 1, 3)),
        failed(RegistrarOperationKind::Renew),
    ] {
        domain.apply(event);
    }
    assert_eq!(domain.status(), Some(DomainStatus::Active));
}
