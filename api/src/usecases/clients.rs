//! Clients as the other use cases need them: one that exists and may be named.

use domain::client::Client;
use domain::ids::ProviderId;
use domain::money::Currency;
use uuid::Uuid;

use crate::usecases::{Core, Error};

/// The provider and currency of a client that exists and is neither deleted nor merged: the
/// client a money command or a document may name.
pub async fn active(core: &Core, client_id: Uuid) -> Result<(ProviderId, Currency), Error> {
    let client = core
        .store
        .load::<Client>(&client_id.to_string())
        .await?
        .aggregate;
    checked_client(&client, client_id)
}

/// Like [`active`], and the client must not be marked as not active: the client an
/// order or a payment may name.
pub async fn trading(core: &Core, client_id: Uuid) -> Result<(ProviderId, Currency), Error> {
    let client = core
        .store
        .load::<Client>(&client_id.to_string())
        .await?
        .aggregate;
    let found = checked_client(&client, client_id)?;
    if client.is_marked_inactive() {
        return Err(Error::refused(
            "client_inactive",
            format!("client {client_id} is not active: it takes no new orders or payments"),
        ));
    }
    Ok(found)
}

/// The provider and currency of `client`, which must exist and be neither deleted nor merged.
fn checked_client(client: &Client, client_id: Uuid) -> Result<(ProviderId, Currency), Error> {
    let (Some(provider_id), Some(currency)) = (client.provider_id(), client.currency()) else {
        return Err(Error::not_found(
            "client_not_found",
            format!("no client {client_id}"),
        ));
    };
    if let Some((merge_id, into)) = client.merged_into() {
        return Err(Error::refused(
            "client_merged",
            format!("client {client_id} was merged into client {into} by merge {merge_id}"),
        ));
    }
    if client.is_deleted() {
        return Err(Error::refused(
            "client_deleted",
            format!("client {client_id} is deleted"),
        ));
    }
    Ok((provider_id, currency))
}
