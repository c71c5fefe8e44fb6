//! A client's payers as the other use cases need them.
//
// Created by the money engineer with `payer_details` (moved from `http::routes::payers`) and
// `payer_of` (moved from `http::routes::invoices`); the services engineer owns this module.

use domain::client::Client;
use domain::ids::{ClientId, PayerId};
use domain::invoice::PayerDetails;
use domain::payer::Payer;
use uuid::Uuid;

use crate::usecases::{Core, Error};

/// The payer's details as they are now, frozen into a document.
pub fn payer_of(client: &Client, client_id: Uuid) -> Result<PayerDetails, Error> {
    let (Some(name), Some(email), Some(country), Some(kind)) = (
        client.name(),
        client.email(),
        client.country(),
        client.kind(),
    ) else {
        return Err(Error::not_found(
            "client_not_found",
            format!("no client {client_id}"),
        ));
    };
    Ok(PayerDetails {
        client_id: ClientId::from_uuid(client_id),
        name: name.as_str().to_string(),
        email: email.as_str().to_string(),
        country,
        kind,
        vat_number: client.vat_number().cloned(),
        address: client.address().map(str::to_string),
        payer_id: None,
    })
}

/// The details a document for `client_id` is made out to: the payer's when `payer_id` names
/// one (it must belong to the client), the client's otherwise.
pub async fn payer_details(
    core: &Core,
    client: &Client,
    client_id: Uuid,
    payer_id: Option<Uuid>,
) -> Result<PayerDetails, Error> {
    let own = payer_of(client, client_id)?;
    let Some(payer_id) = payer_id else {
        return Ok(own);
    };
    let payer = core
        .store
        .load::<Payer>(&payer_id.to_string())
        .await?
        .aggregate;
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
