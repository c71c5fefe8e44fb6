//! Payers: the people and legal entities of a client's to whom payments and documents are made
//! out, and the details a document is made out to (`payer_of`, `payer_details`: what the money
//! use cases call).

use domain::client::{Client, ClientKind, ClientName, Country, Email};
use domain::ids::{ClientId, PayerId};
use domain::invoice::PayerDetails;
use domain::payer::{Payer, PayerCommand, PayerProfile};
use domain::tax::VatNumber;
use eventstore::metadata::CommandContext;
use eventstore::{CommandKey, Committed};
use uuid::Uuid;

use crate::usecases::{Core, Error};

/// Creates the payer `payer_id` of an active client, idempotent by that id (a repeated request
/// creates nothing more; another request, told apart by `fingerprint`, with the same id is
/// refused).
pub async fn create_payer<R: serde::Serialize>(
    core: &Core,
    context: &CommandContext,
    client_id: Uuid,
    payer_id: Uuid,
    profile: PayerProfile,
    fingerprint: &R,
) -> Result<Committed<Payer>, Error> {
    let (provider_id, _) = crate::usecases::clients::active(core, client_id).await?;
    let key = CommandKey::new(
        "payer",
        payer_id.to_string(),
        &(client_id, fingerprint),
        serde_json::json!({ "id": payer_id }),
    )
    .map_err(|e| Error::internal(&e))?;
    Ok(core
        .store
        .execute::<Payer>(
            &payer_id.to_string(),
            PayerCommand::CreatePayer {
                payer_id: PayerId::from_uuid(payer_id),
                client_id: ClientId::from_uuid(client_id),
                provider_id,
                profile,
                requested_by: crate::usecases::clients::requested_by(context),
            },
            context,
            &[key],
        )
        .await?)
}

/// A change of a payer's details: each field absent keeps the payer's; for an optional one,
/// `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct PayerChange {
    /// A new kind.
    pub kind: Option<ClientKind>,
    /// A new legal name.
    pub name: Option<ClientName>,
    /// A new country.
    pub country: Option<Country>,
    /// A new VAT number, or none.
    pub vat_number: Option<Option<VatNumber>>,
    /// A new registration number, or none.
    pub registration_number: Option<Option<String>>,
    /// A new address, or none.
    pub address: Option<Option<String>>,
    /// A new e-mail address, or none (the client's).
    pub email: Option<Option<Email>>,
}

/// Changes a payer's details (of a client that is active).
pub async fn update_payer(
    core: &Core,
    context: &CommandContext,
    payer_id: Uuid,
    change: PayerChange,
) -> Result<Committed<Payer>, Error> {
    let payer = core
        .store
        .load::<Payer>(&payer_id.to_string())
        .await?
        .aggregate;
    let (Some(current), Some(client_id)) = (payer.profile(), payer.client_id()) else {
        return Err(Error::not_found(
            "payer_not_found",
            format!("no payer {payer_id}"),
        ));
    };
    crate::usecases::clients::active(core, client_id.as_uuid()).await?;
    let profile = PayerProfile {
        kind: change.kind.unwrap_or(current.kind),
        name: change.name.unwrap_or_else(|| current.name.clone()),
        country: change.country.unwrap_or(current.country),
        vat_number: change
            .vat_number
            .unwrap_or_else(|| current.vat_number.clone()),
        registration_number: change
            .registration_number
            .unwrap_or_else(|| current.registration_number.clone()),
        address: change.address.unwrap_or_else(|| current.address.clone()),
        email: change.email.unwrap_or_else(|| current.email.clone()),
    };
    Ok(core
        .store
        .execute::<Payer>(
            &payer_id.to_string(),
            PayerCommand::UpdatePayer {
                profile,
                requested_by: crate::usecases::clients::requested_by(context),
            },
            context,
            &[],
        )
        .await?)
}

/// The payer `payer_id` of the client `client_id` as its stream says now, or `None` when it
/// does not exist or is another client's.
pub async fn payer_of_client(
    core: &Core,
    client_id: Uuid,
    payer_id: Uuid,
) -> Result<Option<Payer>, Error> {
    let payer = core
        .store
        .load::<Payer>(&payer_id.to_string())
        .await?
        .aggregate;
    Ok((payer.client_id() == Some(ClientId::from_uuid(client_id))).then_some(payer))
}

/// The payer's details as they are now, frozen into a document: the client's own
/// (`client_not_found` for a client never registered).
pub fn payer_of(client: &Client, client_id: Uuid) -> Result<PayerDetails, Error> {
    PayerDetails::of_client(client, ClientId::from_uuid(client_id))
        .ok_or_else(|| Error::not_found("client_not_found", format!("no client {client_id}")))
}

/// The details a document for `client_id` is made out to: the payer's when `payer_id` names
/// one (it must belong to the client), the client's otherwise.
pub async fn payer_details(
    core: &Core,
    client: &Client,
    client_id: Uuid,
    payer_id: Option<Uuid>,
) -> Result<PayerDetails, Error> {
    payer_details_in(&core.store, client, client_id, payer_id).await
}

/// [`payer_details`] read through `store`, for a process that has no [`Core`].
pub async fn payer_details_in(
    store: &eventstore::EventStore,
    client: &Client,
    client_id: Uuid,
    payer_id: Option<Uuid>,
) -> Result<PayerDetails, Error> {
    let own = payer_of(client, client_id)?;
    let Some(payer_id) = payer_id else {
        return Ok(own);
    };
    let payer = store.load::<Payer>(&payer_id.to_string()).await?.aggregate;
    let Some(profile) = payer.profile() else {
        return Err(Error::refused(
            "payer_not_found",
            format!("payer_id: no payer {payer_id}"),
        ));
    };
    if payer.client_id() != Some(ClientId::from_uuid(client_id)) {
        return Err(Error::refused(
            "payer_of_another_client",
            format!("payer_id: payer {payer_id} belongs to another client"),
        ));
    }
    Ok(PayerDetails {
        client_id: own.client_id,
        name: profile.name.as_str().to_string(),
        email: profile
            .email
            .as_ref()
            .map_or(own.email, |e| e.as_str().to_string()),
        country: profile.country,
        kind: profile.kind,
        vat_number: profile.vat_number.clone(),
        address: profile.address.clone(),
        payer_id: Some(PayerId::from_uuid(payer_id)),
    })
}
