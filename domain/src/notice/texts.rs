//! The built-in texts of the notices in the languages other than English that the billing core
//! speaks (English is [`NoticeKind::default_template`]): what a client reading that language
//! gets while staff have written no template of the kind in it.

use super::{Language, NoticeKind};

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
        }
    }
}
