//! Clients: register, change, delete, mark active or not; and clients as the other use cases
//! need them: one that exists and may be named.

use domain::client::{Client, ClientCommand, ClientKind, ClientName, Country, Email, RequestedBy};
use domain::ids::{ClientId, ProviderId};
use domain::money::Currency;
use domain::tax::VatNumber;
use eventstore::metadata::{Actor, CommandContext};
use eventstore::{CommandKey, Committed};
use uuid::Uuid;

use crate::usecases::access::{NewUser, UserRequest};
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

/// Who asks, for the client's rule on its tax identity: a client's own user, or anyone else
/// (staff, staff acting as the client, a service token).
pub fn requested_by(context: &CommandContext) -> RequestedBy {
    match context.actor {
        Actor::User(_) => RequestedBy::ClientUser,
        Actor::Staff(_) | Actor::Service(_) | Actor::System(_) => RequestedBy::Staff,
    }
}

/// A client to register.
#[derive(Debug, Clone)]
pub struct NewClient {
    /// The id it is registered under.
    pub client_id: Uuid,
    /// The provider it buys from (must exist).
    pub provider_id: Uuid,
    /// Its name.
    pub name: ClientName,
    /// Its e-mail address.
    pub email: Email,
    /// What kind of client it is.
    pub kind: ClientKind,
    /// Its country.
    pub country: Country,
    /// Its first user, if it is registered with one.
    pub user: Option<UserRequest>,
    /// The code of the referral link it signed up through, if any: checked before anything is
    /// written (a bad code refuses the registration), then the client is referred.
    pub referral_code: Option<String>,
}

/// A registered client: its id (the first request's on a replay), the position of the last
/// event written, and whether this was a repeated request.
#[derive(Debug, Clone, Copy)]
pub struct Registered {
    /// The client.
    pub client_id: Uuid,
    /// The position to read the client (and its first user) at.
    pub position: i64,
    /// True when the request was repeated and answered from the first one.
    pub replayed: bool,
}

/// Registers a client of a provider in the provider's currency, and its first user if given
/// (checked, and its password hashed, before anything is written: a login that is taken refuses
/// the registration).
pub async fn register_client(
    core: &Core,
    context: &CommandContext,
    idempotency: Option<CommandKey>,
    client: NewClient,
) -> Result<Registered, Error> {
    let user = match &client.user {
        Some(user) => Some(NewUser::prepare(core, user).await?),
        None => None,
    };
    let provider = core
        .store
        .load::<domain::provider::Provider>(&client.provider_id.to_string())
        .await?
        .aggregate;
    let currency = provider.currency().ok_or_else(|| {
        Error::refused(
            "provider_not_found",
            format!("provider_id: no provider {}", client.provider_id),
        )
    })?;
    let sign_up = match client.referral_code.as_deref() {
        Some(code) => {
            Some(crate::usecases::affiliates::sign_up_code(core, client.provider_id, code).await?)
        }
        None => None,
    };
    let id = client.client_id;
    let when = core
        .time_of(ProviderId::from_uuid(client.provider_id))
        .await?;
    let context = &when.stamp(context);
    let committed = core
        .store
        .execute::<Client>(
            &id.to_string(),
            ClientCommand::RegisterClient {
                client_id: ClientId::from_uuid(id),
                provider_id: ProviderId::from_uuid(client.provider_id),
                currency,
                name: client.name,
                email: client.email,
                kind: client.kind,
                country: client.country,
            },
            context,
            idempotency.as_slice(),
        )
        .await?;
    // A repeated request answers the first client's id: the user belongs to that one.
    let client_id = committed
        .answer
        .get("id")
        .and_then(|v| v.as_str())
        .and_then(|v| Uuid::parse_str(v).ok())
        .unwrap_or(id);
    let mut position = committed.position;
    if let Some(user) = user {
        let (_, created) = user.create(core, context, client_id).await?;
        position = position.max(created.position);
    }
    if let Some(sign_up) = sign_up {
        let referred = crate::usecases::affiliates::refer_signed_up(
            core,
            context,
            client_id,
            sign_up,
            when.today(),
        )
        .await?;
        position = position.max(referred.position);
    }
    Ok(Registered {
        client_id,
        position,
        replayed: committed.replayed,
    })
}

/// A change of a client's details: only the fields given change.
#[derive(Debug, Clone, Default)]
pub struct ClientChange {
    /// A new name.
    pub name: Option<ClientName>,
    /// A new e-mail address.
    pub email: Option<Email>,
    /// A new kind.
    pub kind: Option<ClientKind>,
    /// A new country.
    pub country: Option<Country>,
}

/// Changes a client's details.
pub async fn update_client(
    core: &Core,
    context: &CommandContext,
    client_id: Uuid,
    change: ClientChange,
) -> Result<Committed<Client>, Error> {
    let command = ClientCommand::UpdateClient {
        name: change.name,
        email: change.email,
        kind: change.kind,
        country: change.country,
        requested_by: requested_by(context),
    };
    Ok(core
        .store
        .execute::<Client>(&client_id.to_string(), command, context, &[])
        .await?)
}

/// Sets the details printed on the client's invoices and used for its taxes.
pub async fn set_billing_details(
    core: &Core,
    context: &CommandContext,
    client_id: Uuid,
    vat_number: Option<VatNumber>,
    address: Option<String>,
) -> Result<Committed<Client>, Error> {
    Ok(core
        .store
        .execute::<Client>(
            &client_id.to_string(),
            ClientCommand::SetBillingDetails {
                vat_number,
                address,
                requested_by: requested_by(context),
            },
            context,
            &[],
        )
        .await?)
}

/// Deletes a client, for `reason`.
pub async fn delete_client(
    core: &Core,
    context: &CommandContext,
    client_id: Uuid,
    reason: String,
) -> Result<Committed<Client>, Error> {
    Ok(core
        .store
        .execute::<Client>(
            &client_id.to_string(),
            ClientCommand::DeleteClient { reason },
            context,
            &[],
        )
        .await?)
}

/// Marks a client active or not active.
pub async fn set_client_status(
    core: &Core,
    context: &CommandContext,
    client_id: Uuid,
    active: bool,
) -> Result<Committed<Client>, Error> {
    Ok(core
        .store
        .execute::<Client>(
            &client_id.to_string(),
            ClientCommand::SetClientStatus { active },
            context,
            &[],
        )
        .await?)
}
