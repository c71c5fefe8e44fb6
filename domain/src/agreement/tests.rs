use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;

type AgreementTester = TestFramework<Agreement>;

fn provider() -> ProviderId {
    ProviderId::from_uuid(Uuid::from_u128(0x10))
}

fn scope() -> AgreementScope {
    AgreementScope::Tariff {
        tariff_id: TariffId::from_uuid(Uuid::from_u128(0x30)),
    }
}

fn text(language: &str, body: &str) -> AgreementText {
    AgreementText {
        language: Language::parse(language).unwrap(),
        title: " Public offer ".to_string(),
        body: body.to_string(),
    }
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn publish(texts: Vec<AgreementText>) -> AgreementCommand {
    AgreementCommand::PublishAgreement {
        agreement_id: scope().agreement_id(provider()),
        provider_id: provider(),
        scope: scope(),
        texts,
        published_on: day("2026-12-01"),
    }
}

fn published(version: u32, body: &str) -> AgreementEvent {
    AgreementEvent::AgreementPublished {
        agreement_id: scope().agreement_id(provider()),
        provider_id: provider(),
        scope: scope(),
        version,
        texts: vec![AgreementText {
            title: "Public offer".to_string(),
            ..text("en", body)
        }],
        published_on: day("2026-12-01"),
    }
}

#[test]
fn the_first_publication_is_version_one_with_trimmed_texts() {
    AgreementTester::with(())
        .given_no_previous_events()
        .when(publish(vec![text("en", "Terms.\r\nPay first.")]))
        .then_expect_events(vec![published(1, "Terms.\nPay first.")]);
}

#[test]
fn a_new_text_publishes_the_next_version() {
    AgreementTester::with(())
        .given(vec![published(1, "Old terms.")])
        .when(publish(vec![text("en", "New terms.")]))
        .then_expect_events(vec![published(2, "New terms.")]);
}

#[test]
fn the_same_texts_again_publish_nothing() {
    AgreementTester::with(())
        .given(vec![published(1, "Terms.")])
        .when(publish(vec![text("en", "Terms.")]))
        .then_expect_events(vec![]);
}

#[test]
fn texts_are_one_per_language_with_a_title_and_a_body() {
    AgreementTester::with(())
        .given_no_previous_events()
        .when(publish(vec![]))
        .then_expect_error(AgreementError::NoTexts);
    AgreementTester::with(())
        .given_no_previous_events()
        .when(publish(vec![text("en", "A"), text("EN", "B")]))
        .then_expect_error(AgreementError::DuplicateLanguage("en".to_string()));
    AgreementTester::with(())
        .given_no_previous_events()
        .when(publish(vec![text("ru", "  ")]))
        .then_expect_error(AgreementError::InvalidBody);
    AgreementTester::with(())
        .given_no_previous_events()
        .when(publish(vec![AgreementText {
            title: "Two\nlines".to_string(),
            ..text("en", "Body")
        }]))
        .then_expect_error(AgreementError::InvalidTitle);
}

#[test]
fn the_id_must_be_the_scope_s_at_its_provider() {
    let item_type = AgreementScope::ItemType {
        item_type: ItemType::Vds,
    };
    AgreementTester::with(())
        .given_no_previous_events()
        .when(AgreementCommand::PublishAgreement {
            agreement_id: scope().agreement_id(provider()),
            provider_id: provider(),
            scope: item_type,
            texts: vec![text("en", "Terms.")],
            published_on: day("2026-12-01"),
        })
        .then_expect_error(AgreementError::OtherAgreement);
    assert_ne!(
        item_type.agreement_id(provider()),
        item_type.agreement_id(ProviderId::from_uuid(Uuid::from_u128(0x11)))
    );
}

#[test]
fn the_current_version_is_what_orders_must_accept() {
    let mut agreement = Agreement::default();
    assert_eq!(agreement.current(), None);
    agreement.apply(published(1, "A"));
    agreement.apply(published(2, "B"));
    assert_eq!(
        agreement.current(),
        Some(AgreementVersion {
            agreement_id: scope().agreement_id(provider()),
            version: 2
        })
    );
}
