//! The built-in texts of the notices in the languages other than English that the billing core
//! speaks (English is [`NoticeKind::default_template`]): what a client reading that language
//! gets while staff have written no template of the kind in it; and how those languages write
//! the amounts and dates a notice's values carry ([`localize`]).

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::{Language, NoticeKind};

/// The placeholders whose values are amounts (decimal strings such as `-1234.50`).
const AMOUNTS: [&str; 4] = ["amount", "balance", "old_price", "new_price"];
/// The placeholders whose values are dates (`YYYY-MM-DD`).
const DATES: [&str; 3] = ["paid_until", "effective_on", "expires_on"];
/// The no-break space Russian groups thousands with.
const NBSP: char = '\u{a0}';

/// The values of a notice with its amounts and dates written the way `language` writes them:
/// `1,234.50` and `2027-02-01` in English, `1 234,50` (no-break spaces) and `01.02.2027` in
/// Russian; as they are in a language without built-in texts, and any value that is no amount or
/// date.
pub fn localize(language: Language, values: &mut BTreeMap<String, String>) {
    for (name, value) in values.iter_mut() {
        if AMOUNTS.contains(&name.as_str()) {
            *value = amount(language, value);
        } else if DATES.contains(&name.as_str()) {
            *value = date(language, value);
        }
    }
}

/// `text`, a decimal amount, grouped in thousands with the language's separators.
fn amount(language: Language, text: &str) -> String {
    let (group, decimal) = match language.as_str() {
        "en" => (',', '.'),
        "ru" => (NBSP, ','),
        _ => return text.to_owned(),
    };
    let (sign, digits) = text
        .strip_prefix('-')
        .map_or(("", text), |rest| ("-", rest));
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty()
        || !whole
            .chars()
            .chain(fraction.chars())
            .all(|c| c.is_ascii_digit())
    {
        return text.to_owned();
    }
    let mut out = String::from(sign);
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            out.push(group);
        }
        out.push(digit);
    }
    if !fraction.is_empty() {
        out.push(decimal);
        out.push_str(fraction);
    }
    out
}

/// `text`, a `YYYY-MM-DD` date, as the language writes dates.
fn date(language: Language, text: &str) -> String {
    let pattern = match language.as_str() {
        "ru" => "%d.%m.%Y",
        _ => return text.to_owned(),
    };
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_or_else(|_| text.to_owned(), |day| day.format(pattern).to_string())
}

impl NoticeKind {
    /// The built-in text of the kind in `language`: (subject, body), `None` for a language
    /// without one (English and Russian have one).
    pub fn built_in(self, language: Language) -> Option<(&'static str, &'static str)> {
        match language.as_str() {
            "en" => Some(self.default_template()),
            "ru" => Some(self.russian()),
            _ => None,
        }
    }

    fn russian(self) -> (&'static str, &'static str) {
        match self {
            NoticeKind::ServiceActivated => (
                "Ваша услуга {{service}} активна",
                "Здравствуйте, {{client_name}}!\n\nВаша услуга {{service}} активирована.",
            ),
            NoticeKind::ServiceExpiring => (
                "Срок действия услуги {{service}} истекает через {{days}} дн.",
                "Здравствуйте, {{client_name}}!\n\nВаша услуга {{service}} оплачена до \
                 {{paid_until}}. Пожалуйста, пополните баланс, чтобы она продолжала работать.",
            ),
            NoticeKind::ServiceOverdue => (
                "Услуга {{service}} не оплачена",
                "Здравствуйте, {{client_name}}!\n\nВаша услуга {{service}} была оплачена до \
                 {{paid_until}}. Она продолжит работать до {{grace_until}}; пожалуйста, пополните \
                 баланс до этого дня.",
            ),
            NoticeKind::ServiceSuspended => (
                "Ваша услуга {{service}} приостановлена",
                "Здравствуйте, {{client_name}}!\n\nВаша услуга {{service}} приостановлена.",
            ),
            NoticeKind::ServiceDeleted => (
                "Ваша услуга {{service}} удалена",
                "Здравствуйте, {{client_name}}!\n\nВаша услуга {{service}} удалена.",
            ),
            NoticeKind::PaymentCredited => (
                "Получен платёж на {{amount}} {{currency}}",
                "Здравствуйте, {{client_name}}!\n\nНа ваш счёт зачислено {{amount}} {{currency}}. \
                 Ваш баланс: {{balance}} {{currency}}.",
            ),
            NoticeKind::InvoiceIssued => (
                "Счёт {{number}}",
                "Здравствуйте, {{client_name}}!\n\nВыставлен счёт {{number}}.",
            ),
            NoticeKind::LowBalance => (
                "Низкий баланс",
                "Здравствуйте, {{client_name}}!\n\nВаш баланс: {{balance}} {{currency}}.",
            ),
            NoticeKind::TicketAnswered => (
                "Re: {{ticket_subject}}",
                "Здравствуйте, {{client_name}}!\n\nСлужба поддержки ответила на ваше обращение \
                 «{{ticket_subject}}».",
            ),
            NoticeKind::PriceChange => (
                "Цена услуги {{service}} меняется с {{effective_on}}",
                "Здравствуйте, {{client_name}}!\n\nЦена одного периода вашей услуги {{service}} \
                 меняется с {{old_price}} {{currency}} на {{new_price}} {{currency}}, начиная с \
                 первого периода, который начнётся {{effective_on}} или позже. Уже оплаченные \
                 периоды сохраняют свою цену.",
            ),
            NoticeKind::DomainExpiring => (
                "Срок регистрации домена {{domain}} истекает через {{days}} дн.",
                "Здравствуйте, {{client_name}}!\n\nВаш домен {{domain}} зарегистрирован до \
                 {{expires_on}}. Пожалуйста, пополните баланс для его продления или продлите \
                 его, чтобы не потерять.",
            ),
            NoticeKind::DomainExpired => (
                "Срок регистрации домена {{domain}} истёк",
                "Здравствуйте, {{client_name}}!\n\nВаш домен {{domain}} не был продлён, срок \
                 его регистрации истёк {{expires_on}}.",
            ),
        }
    }
}
