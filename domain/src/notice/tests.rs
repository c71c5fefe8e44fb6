use cqrs_es::test::TestFramework;

use super::*;

fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn a_template_is_rendered_with_its_values() {
    let text = "Ihr Dienst {{ service }} läuft in {{days}} Tagen ab{{missing}}.";
    assert_eq!(
        render(text, &values(&[("service", "VDS S"), ("days", "5")])),
        "Ihr Dienst VDS S läuft in 5 Tagen ab."
    );
}

#[test]
fn an_unclosed_placeholder_is_left_as_written() {
    assert_eq!(render("Hello {{name", &values(&[])), "Hello {{name");
}

#[test]
fn a_template_with_a_placeholder_its_kind_does_not_know_is_refused() {
    TestFramework::<MessageTemplate>::with(())
        .given_no_previous_events()
        .when(MessageTemplateCommand::SetMessageTemplate {
            kind: NoticeKind::ServiceExpiring,
            language: Language::parse("de").unwrap(),
            subject: "Rechnung {{number}}".to_owned(),
            body: "Text".to_owned(),
        })
        .then_expect_error(NoticeError::UnknownPlaceholder {
            kind: "service_expiring",
            placeholder: "number".to_owned(),
            known: "client_name, service, service_id, days, paid_until".to_owned(),
        });
}

#[test]
fn every_default_template_uses_only_known_placeholders() {
    for kind in NoticeKind::ALL {
        let (subject, body) = kind.default_template();
        assert_eq!(check_placeholders(kind, subject), Ok(()), "{kind:?}");
        assert_eq!(check_placeholders(kind, body), Ok(()), "{kind:?}");
    }
}

#[test]
fn every_built_in_text_uses_the_placeholders_of_its_english_one() {
    let russian = Language::parse("ru").unwrap_or(Language::ENGLISH);
    let german = Language::parse("de").unwrap_or(Language::ENGLISH);
    for kind in NoticeKind::ALL {
        assert_eq!(
            kind.built_in(Language::ENGLISH),
            Some(kind.default_template())
        );
        assert_eq!(kind.built_in(german), None);
        let Some((subject, body)) = kind.built_in(russian) else {
            panic!("no Russian text for {kind:?}");
        };
        assert_eq!(check_placeholders(kind, subject), Ok(()), "{kind:?}");
        assert_eq!(check_placeholders(kind, body), Ok(()), "{kind:?}");
        let names = |text: &str| -> std::collections::BTreeSet<String> {
            text.split("{{")
                .skip(1)
                .filter_map(|rest| rest.split_once("}}").map(|(name, _)| name.to_owned()))
                .collect()
        };
        let (en_subject, en_body) = kind.default_template();
        assert_eq!(names(body), names(en_body), "{kind:?}");
        assert_eq!(names(subject), names(en_subject), "{kind:?}");
    }
}

#[test]
fn a_client_without_settings_reads_english_and_subscribes_to_everything() {
    let settings = NoticeSettings::default();
    assert_eq!(settings.language(), Language::ENGLISH);
    assert_eq!(settings.subscriptions().len(), NoticeKind::ALL.len());
}

#[test]
fn languages_are_two_letters_lowercased() {
    assert_eq!(Language::parse("DE").unwrap().as_str(), "de");
    assert!(Language::parse("deu").is_err());
    assert!(Language::parse("d1").is_err());
}

#[test]
fn amounts_and_dates_are_written_the_way_the_language_writes_them() {
    let mut russian = values(&[
        ("amount", "-1234567.50"),
        ("paid_until", "2027-02-01"),
        ("days", "1000"),
    ]);
    localize(Language::parse("ru").unwrap(), &mut russian);
    assert_eq!(russian["amount"], "-1\u{a0}234\u{a0}567,50");
    assert_eq!(russian["paid_until"], "01.02.2027");
    assert_eq!(russian["days"], "1000", "a count is no amount");
    let mut english = values(&[("balance", "1234.50"), ("paid_until", "2027-02-01")]);
    localize(Language::ENGLISH, &mut english);
    assert_eq!(english["balance"], "1,234.50");
    assert_eq!(english["paid_until"], "2027-02-01");
    let mut german = values(&[("amount", "1234.50")]);
    localize(Language::parse("de").unwrap(), &mut german);
    assert_eq!(german["amount"], "1234.50", "no built-in way for German");
}
