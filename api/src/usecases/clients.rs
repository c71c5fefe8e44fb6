//! Clients as the other use cases need them: one that exists and may be named.

use domain::client::Client;
use domain::ids::{ClientId, ProviderId};
use domain::money::Currency;
use uuid::Uuid;

use crate::usecases::{Core, Error};

/// The provider and currency of a client that exists and is neither deleted nor merged: the
/// client a money command or a document may name (the rule is `Client::active`).
pub async fn active(core: &Core, client_id: Uuid) -> Result<(ProviderId, Currency), Error> {
    Ok(load(core, client_id)
        .await?
        .active(ClientId::from_uuid(client_id))?)
}

/// Like [`active`], and the client must not be marked as not active: the client an order or a
/// payment may name (the rule is `Client::trading`).
pub async fn trading(core: &Core, client_id: Uuid) -> Result<(ProviderId, Currency), Error> {
    Ok(load(core, client_id)
        .await?
        .trading(ClientId::from_uuid(client_id))?)
}

async fn load(core: &Core, client_id: Uuid) -> Result<Client, Error> {
    Ok(core
        .store
        .load::<Client>(&client_id.to_string())
        .await?
        .aggregate)
}
