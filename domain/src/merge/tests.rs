use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;
use crate::client::{ClientEvent, ClientKind, ClientName, Country, Email};
use crate::money::Currency;

type MergeTester = TestFramework<Merge>;

fn client(n: u128) -> ClientId {
    ClientId::from_uuid(Uuid::from_u128(n))
}

fn source(n: u128) -> MergeSource {
    MergeSource {
        client_id: client(n),
        account_id: AccountId::from_uuid(Uuid::from_u128(n + 0x100)),
    }
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
}

fn start(sources: Vec<MergeSource>) -> MergeCommand {
    MergeCommand::StartMerge {
        merge_id: MergeId::from_uuid(Uuid::from_u128(0x90)),
        provider_id: ProviderId::from_uuid(Uuid::from_u128(0x10)),
        target: client(0x20),
        target_account: AccountId::from_uuid(Uuid::from_u128(0x120)),
        sources,
        started_on: day(),
    }
}

fn started() -> MergeEvent {
    MergeEvent::MergeStarted {
        merge_id: MergeId::from_uuid(Uuid::from_u128(0x90)),
        provider_id: ProviderId::from_uuid(Uuid::from_u128(0x10)),
        target: client(0x20),
        target_account: AccountId::from_uuid(Uuid::from_u128(0x120)),
        sources: vec![source(0x21), source(0x22)],
        started_on: day(),
    }
}

#[test]
fn a_merge_starts_with_its_sources() {
    MergeTester::with(())
        .given_no_previous_events()
        .when(start(vec![source(0x21), source(0x22)]))
        .then_expect_events(vec![started()]);
}

#[test]
fn starting_the_same_merge_again_records_nothing() {
    MergeTester::with(())
        .given(vec![started()])
        .when(start(vec![source(0x21), source(0x22)]))
        .then_expect_events(vec![]);
}

#[test]
fn the_same_merge_id_with_other_sources_is_refused() {
    MergeTester::with(())
        .given(vec![started()])
        .when(start(vec![source(0x21)]))
        .then_expect_error(MergeError::AlreadyStarted);
}

#[test]
fn the_target_cannot_be_a_source() {
    MergeTester::with(())
        .given_no_previous_events()
        .when(start(vec![source(0x21), source(0x20)]))
        .then_expect_error(MergeError::TargetInSources);
}

#[test]
fn a_source_named_twice_is_refused() {
    MergeTester::with(())
        .given_no_previous_events()
        .when(start(vec![source(0x21), source(0x21)]))
        .then_expect_error(MergeError::DuplicateSource(client(0x21)));
}

#[test]
fn a_merge_without_sources_is_refused() {
    MergeTester::with(())
        .given_no_previous_events()
        .when(start(vec![]))
        .then_expect_error(MergeError::NoSources);
}

#[test]
fn a_merge_completes_once() {
    let completed = MergeEvent::MergeCompleted {
        completed_on: day(),
    };
    MergeTester::with(())
        .given(vec![started()])
        .when(MergeCommand::CompleteMerge {
            completed_on: day(),
        })
        .then_expect_events(vec![completed.clone()]);
    MergeTester::with(())
        .given(vec![started(), completed])
        .when(MergeCommand::CompleteMerge {
            completed_on: day(),
        })
        .then_expect_events(vec![]);
}

// Planning a merge from the loaded clients.

fn merge_id() -> MergeId {
    MergeId::from_uuid(Uuid::from_u128(0x90))
}

fn provider() -> ProviderId {
    ProviderId::from_uuid(Uuid::from_u128(0x10))
}

fn registered(n: u128, provider_id: ProviderId) -> ClientEvent {
    ClientEvent::ClientRegistered {
        client_id: client(n),
        provider_id,
        currency: Currency::EUR,
        name: ClientName::parse("Jane Doe").unwrap(),
        email: Email::parse("jane@example.com").unwrap(),
        kind: ClientKind::Individual,
        country: Country::parse("DE").unwrap(),
    }
}

fn loaded(events: Vec<ClientEvent>) -> Client {
    let mut client = Client::default();
    for event in events {
        client.apply(event);
    }
    client
}

fn a_client(n: u128) -> Client {
    loaded(vec![registered(n, provider())])
}

fn merged_by(n: u128, merge: u128) -> Client {
    loaded(vec![
        registered(n, provider()),
        ClientEvent::ClientMerged {
            merge_id: MergeId::from_uuid(Uuid::from_u128(merge)),
            into: client(0x20),
        },
    ])
}

fn deleted(n: u128) -> Client {
    loaded(vec![
        registered(n, provider()),
        ClientEvent::ClientDeleted {
            reason: "gone".to_string(),
        },
    ])
}

fn plan(sources: &[u128]) -> Result<MergePlan, MergeError> {
    MergePlan::new(
        merge_id(),
        client(0x20),
        &a_client(0x20),
        sources.iter().map(|&n| client(n)).collect(),
    )
}

fn account(n: u128) -> AccountId {
    AccountId::of(client(n), provider(), Currency::EUR)
}

#[test]
fn a_plan_of_active_clients_starts_the_merge_with_their_accounts() {
    let command = plan(&[0x21, 0x22])
        .unwrap()
        .start(&[a_client(0x21), a_client(0x22)], day())
        .unwrap();
    assert_eq!(
        command,
        MergeCommand::StartMerge {
            merge_id: merge_id(),
            provider_id: provider(),
            target: client(0x20),
            target_account: account(0x20),
            sources: vec![
                MergeSource {
                    client_id: client(0x21),
                    account_id: account(0x21),
                },
                MergeSource {
                    client_id: client(0x22),
                    account_id: account(0x22),
                },
            ],
            started_on: day(),
        }
    );
}

#[test]
fn a_plan_names_its_sources_to_load_in_order() {
    assert_eq!(
        plan(&[0x22, 0x21]).unwrap().source_ids(),
        &[client(0x22), client(0x21)]
    );
}

#[test]
fn a_plan_needs_an_active_target() {
    let unknown = MergePlan::new(merge_id(), client(0x20), &Client::default(), vec![]);
    assert_eq!(
        unknown,
        Err(MergeError::Target(ClientError::NotFound {
            client_id: client(0x20)
        }))
    );
    let gone = MergePlan::new(merge_id(), client(0x20), &deleted(0x20), vec![client(0x21)]);
    assert_eq!(
        gone,
        Err(MergeError::Target(ClientError::IsDeleted {
            client_id: client(0x20)
        }))
    );
}

#[test]
fn an_inactive_target_may_take_a_merge() {
    let target = loaded(vec![
        registered(0x20, provider()),
        ClientEvent::ClientStatusSet { active: false },
    ]);
    assert!(MergePlan::new(merge_id(), client(0x20), &target, vec![client(0x21)]).is_ok());
}

#[test]
fn a_plan_refuses_a_malformed_list_before_loading_sources() {
    assert_eq!(plan(&[]), Err(MergeError::NoSources));
    let too_many: Vec<u128> = (0..=u128::try_from(MERGE_SOURCES_MAX).unwrap())
        .map(|n| 0x1000 + n)
        .collect();
    assert_eq!(plan(&too_many), Err(MergeError::TooManySources));
    assert_eq!(plan(&[0x21, 0x20]), Err(MergeError::TargetInSources));
    assert_eq!(
        plan(&[0x21, 0x22, 0x21]),
        Err(MergeError::DuplicateSource(client(0x21)))
    );
}

#[test]
fn a_source_that_does_not_exist_is_refused() {
    let result = plan(&[0x21, 0x22])
        .unwrap()
        .start(&[a_client(0x21), Client::default()], day());
    assert_eq!(result, Err(MergeError::SourceNotFound(client(0x22))));
    let missing = plan(&[0x21, 0x22]).unwrap().start(&[a_client(0x21)], day());
    assert_eq!(missing, Err(MergeError::SourceNotFound(client(0x22))));
}

#[test]
fn a_source_of_another_provider_is_refused() {
    let other = loaded(vec![registered(
        0x21,
        ProviderId::from_uuid(Uuid::from_u128(0x11)),
    )]);
    let result = plan(&[0x21]).unwrap().start(&[other], day());
    assert_eq!(
        result,
        Err(MergeError::SourceOfAnotherProvider(client(0x21)))
    );
}

#[test]
fn a_source_merged_by_another_merge_is_refused_naming_that_merge() {
    let result = plan(&[0x21])
        .unwrap()
        .start(&[merged_by(0x21, 0x91)], day());
    let error = MergeError::SourceMerged {
        client_id: client(0x21),
        merge_id: MergeId::from_uuid(Uuid::from_u128(0x91)),
        into: client(0x20),
    };
    assert_eq!(result, Err(error.clone()));
    assert_eq!(error.code(), "client_merged");
    assert_eq!(
        error.to_string(),
        "sources: client 00000000-0000-0000-0000-000000000021 was merged into client \
         00000000-0000-0000-0000-000000000020 by merge 00000000-0000-0000-0000-000000000091"
    );
}

#[test]
fn a_source_merged_by_this_merge_is_a_repeat() {
    assert!(
        plan(&[0x21])
            .unwrap()
            .start(&[merged_by(0x21, 0x90)], day())
            .is_ok()
    );
}

#[test]
fn a_deleted_source_is_refused() {
    let result = plan(&[0x21]).unwrap().start(&[deleted(0x21)], day());
    assert_eq!(result, Err(MergeError::SourceDeleted(client(0x21))));
}

#[test]
fn an_inactive_source_may_be_merged() {
    let source = loaded(vec![
        registered(0x21, provider()),
        ClientEvent::ClientStatusSet { active: false },
    ]);
    assert!(plan(&[0x21]).unwrap().start(&[source], day()).is_ok());
}

#[test]
fn merge_errors_keep_their_codes_and_texts() {
    let client_21 = client(0x21);
    for (error, code, detail) in [
        (
            MergeError::NoSources,
            "no_sources",
            "sources: at least one source client is needed".to_string(),
        ),
        (
            MergeError::TooManySources,
            "too_many_sources",
            "sources: at most 100 source clients".to_string(),
        ),
        (
            MergeError::TargetInSources,
            "target_in_sources",
            "sources: the target cannot be merged into itself".to_string(),
        ),
        (
            MergeError::SourceNotFound(client_21),
            "source_not_found",
            format!("sources: no client {client_21}"),
        ),
        (
            MergeError::SourceOfAnotherProvider(client_21),
            "source_of_another_provider",
            format!("sources: client {client_21} belongs to another provider"),
        ),
        (
            MergeError::SourceDeleted(client_21),
            "client_deleted",
            format!("sources: client {client_21} is deleted"),
        ),
        (
            MergeError::Target(ClientError::NotFound {
                client_id: client_21,
            }),
            "client_not_found",
            format!("no client {client_21}"),
        ),
    ] {
        assert_eq!((error.code(), error.to_string()), (code, detail));
    }
}
