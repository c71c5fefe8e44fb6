use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;
use crate::ids::MergeId;

type PayerTester = TestFramework<Payer>;

fn payer_id() -> PayerId {
    PayerId::from_uuid(Uuid::from_u128(0x50))
}

fn client(n: u128) -> ClientId {
    ClientId::from_uuid(Uuid::from_u128(n))
}

fn provider_id() -> ProviderId {
    ProviderId::from_uuid(Uuid::from_u128(0x10))
}

fn profile() -> PayerProfile {
    PayerProfile {
        kind: ClientKind::Company,
        name: ClientName::parse("Acme GmbH").unwrap(),
        country: Country::parse("AT").unwrap(),
        vat_number: Some(VatNumber::parse("ATU12345678").unwrap()),
        registration_number: Some(" FN 123456a ".to_string()),
        address: Some("Ring 1\n1010 Wien".to_string()),
        email: None,
    }
}

fn created() -> PayerEvent {
    PayerEvent::PayerCreated {
        payer_id: payer_id(),
        client_id: client(0x20),
        provider_id: provider_id(),
        profile: PayerProfile {
            registration_number: Some("FN 123456a".to_string()),
            ..profile()
        },
        source: None,
    }
}

#[test]
fn creating_a_payer_trims_its_registration_number() {
    PayerTester::with(())
        .given_no_previous_events()
        .when(PayerCommand::CreatePayer {
            payer_id: payer_id(),
            client_id: client(0x20),
            provider_id: provider_id(),
            profile: profile(),
            requested_by: RequestedBy::Staff,
        })
        .then_expect_events(vec![created()]);
}

#[test]
fn a_blank_registration_number_is_refused() {
    PayerTester::with(())
        .given_no_previous_events()
        .when(PayerCommand::CreatePayer {
            payer_id: payer_id(),
            client_id: client(0x20),
            provider_id: provider_id(),
            profile: PayerProfile {
                registration_number: Some("  ".to_string()),
                ..profile()
            },
            requested_by: RequestedBy::Staff,
        })
        .then_expect_error(PayerError::InvalidRegistrationNumber);
}

#[test]
fn updating_with_the_same_details_records_nothing() {
    PayerTester::with(())
        .given(vec![created()])
        .when(PayerCommand::UpdatePayer {
            profile: profile(),
            requested_by: RequestedBy::Staff,
        })
        .then_expect_events(vec![]);
}

#[test]
fn updating_an_unknown_payer_is_refused() {
    PayerTester::with(())
        .given_no_previous_events()
        .when(PayerCommand::UpdatePayer {
            profile: profile(),
            requested_by: RequestedBy::Staff,
        })
        .then_expect_error(PayerError::NotFound);
}

#[test]
fn a_payer_moves_to_the_merge_target_once() {
    let merge_id = MergeId::from_uuid(Uuid::from_u128(0x90));
    let moved = PayerEvent::PayerTransferred {
        from_client: client(0x20),
        to_client: client(0x21),
        merge_id,
    };
    PayerTester::with(())
        .given(vec![created()])
        .when(PayerCommand::TransferPayer {
            to_client: client(0x21),
            merge_id,
        })
        .then_expect_events(vec![moved.clone()]);
    PayerTester::with(())
        .given(vec![created(), moved])
        .when(PayerCommand::TransferPayer {
            to_client: client(0x21),
            merge_id,
        })
        .then_expect_events(vec![]);
}

#[test]
fn a_client_user_creating_a_payer_with_a_vat_number_is_refused() {
    PayerTester::with(())
        .given_no_previous_events()
        .when(PayerCommand::CreatePayer {
            payer_id: payer_id(),
            client_id: client(0x20),
            provider_id: provider_id(),
            profile: PayerProfile {
                vat_number: Some(VatNumber::parse("ATU12345678").unwrap()),
                ..profile()
            },
            requested_by: RequestedBy::ClientUser,
        })
        .then_expect_error(PayerError::VatNumberByStaffOnly);
}

#[test]
fn a_client_user_creates_a_payer_without_a_vat_number() {
    PayerTester::with(())
        .given_no_previous_events()
        .when(PayerCommand::CreatePayer {
            payer_id: payer_id(),
            client_id: client(0x20),
            provider_id: provider_id(),
            profile: PayerProfile {
                vat_number: None,
                ..profile()
            },
            requested_by: RequestedBy::ClientUser,
        })
        .then_expect_events(vec![PayerEvent::PayerCreated {
            payer_id: payer_id(),
            client_id: client(0x20),
            provider_id: provider_id(),
            profile: PayerProfile {
                vat_number: None,
                ..profile()
            }
            .checked()
            .unwrap(),
            source: None,
        }]);
}

#[test]
fn a_client_user_changing_a_payers_vat_number_is_refused() {
    PayerTester::with(())
        .given(vec![created()])
        .when(PayerCommand::UpdatePayer {
            profile: PayerProfile {
                vat_number: None,
                ..profile()
            },
            requested_by: RequestedBy::ClientUser,
        })
        .then_expect_error(PayerError::VatNumberByStaffOnly);
}

#[test]
fn a_client_user_changing_the_country_of_a_payer_with_a_vat_number_is_refused() {
    PayerTester::with(())
        .given(vec![created()])
        .when(PayerCommand::UpdatePayer {
            profile: PayerProfile {
                country: Country::parse("DE").unwrap(),
                ..profile()
            },
            requested_by: RequestedBy::ClientUser,
        })
        .then_expect_error(PayerError::TaxIdentityByStaffOnly);
}

#[test]
fn a_client_user_renames_its_payer_and_changes_the_kind_of_one_without_a_vat_number() {
    let without_vat = PayerProfile {
        vat_number: None,
        registration_number: None,
        ..profile()
    };
    let renamed = PayerProfile {
        kind: ClientKind::SoleProprietor,
        name: ClientName::parse("Acme e.U.").unwrap(),
        ..without_vat.clone()
    };
    PayerTester::with(())
        .given(vec![PayerEvent::PayerCreated {
            payer_id: payer_id(),
            client_id: client(0x20),
            provider_id: provider_id(),
            profile: without_vat,
            source: None,
        }])
        .when(PayerCommand::UpdatePayer {
            profile: renamed.clone(),
            requested_by: RequestedBy::ClientUser,
        })
        .then_expect_events(vec![PayerEvent::PayerUpdated { profile: renamed }]);
}
