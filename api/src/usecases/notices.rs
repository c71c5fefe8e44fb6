//! Notifications: the message templates of each notice kind and language, and each client's
//! language and subscriptions.

use std::collections::BTreeSet;

use domain::ids::{ClientId, MessageTemplateId};
use domain::notice::{
    Language, MessageTemplate, MessageTemplateCommand, NoticeKind, NoticeSettings,
    NoticeSettingsCommand, template_id,
};
use eventstore::Committed;
use eventstore::metadata::CommandContext;
use uuid::Uuid;

use crate::usecases::{Core, Error, clients};

/// Writes the template of `kind` in `language`.
pub async fn set_message_template(
    core: &Core,
    context: &CommandContext,
    kind: NoticeKind,
    language: Language,
    subject: String,
    body: String,
) -> Result<(MessageTemplateId, Committed<MessageTemplate>), Error> {
    let id = template_id(kind, language);
    let committed = core
        .store
        .execute::<MessageTemplate>(
            &id.to_string(),
            MessageTemplateCommand::SetMessageTemplate {
                kind,
                language,
                subject,
                body,
            },
            context,
            &[],
        )
        .await?;
    Ok((id, committed))
}

/// Sets the language and the subscriptions of a client that exists and is neither deleted nor
/// merged.
pub async fn set_notice_settings(
    core: &Core,
    context: &CommandContext,
    client_id: Uuid,
    language: Language,
    subscriptions: BTreeSet<NoticeKind>,
) -> Result<Committed<NoticeSettings>, Error> {
    clients::active(core, client_id).await?;
    Ok(core
        .store
        .execute::<NoticeSettings>(
            &client_id.to_string(),
            NoticeSettingsCommand::SetNoticeSettings {
                client_id: ClientId::from_uuid(client_id),
                language,
                subscriptions,
            },
            context,
            &[],
        )
        .await?)
}

/// A client's settings, from the store (a client sees its own change at once).
pub async fn notice_settings(core: &Core, client_id: Uuid) -> Result<NoticeSettings, Error> {
    clients::active(core, client_id).await?;
    Ok(core
        .store
        .load::<NoticeSettings>(&client_id.to_string())
        .await?
        .aggregate)
}
