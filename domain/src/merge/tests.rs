use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;

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
