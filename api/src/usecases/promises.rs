//! Promised payments (issue 19.2, BILLmanager's feature): a client short of money promises to
//! pay and its services keep running for `PROMISED_PAYMENT_DAYS` days. The `Account` holds the
//! rule of promises; the `Service` decides its suspension with the account's promise, which the
//! billing day reads here for the accounts of the services it may suspend.

use std::collections::HashMap;

use chrono::NaiveDate;
use domain::account::{Account, AccountCommand};
use domain::ids::{AccountId, ClientId};
use eventstore::metadata::CommandContext;
use eventstore::{CommandKey, Committed, EventStore, StoreError};
use uuid::Uuid;

use crate::usecases::{Core, Error};

/// Records a promise of the client's payment to its provider, dated by the provider's clock.
pub async fn promise_payment(
    core: &Core,
    context: &CommandContext,
    idempotency: Option<CommandKey>,
    client_id: Uuid,
) -> Result<(AccountId, Committed<Account>), Error> {
    let (provider_id, currency) = crate::usecases::clients::trading(core, client_id).await?;
    let when = core.time_of(provider_id).await?;
    let context = &when.stamp(context);
    let client = ClientId::from_uuid(client_id);
    let account_id = AccountId::of(client, provider_id, currency);
    let committed = core
        .store
        .execute::<Account>(
            &account_id.to_string(),
            AccountCommand::PromisePayment {
                client_id: client,
                provider_id,
                currency,
                on: when.today(),
            },
            context,
            idempotency.as_slice(),
        )
        .await?;
    Ok((account_id, committed))
}

/// The client's last promise at its provider, as (made on, holds until), if it made one.
pub async fn last_promise(
    core: &Core,
    client_id: Uuid,
) -> Result<Option<(NaiveDate, NaiveDate)>, Error> {
    let (provider_id, currency) = crate::usecases::clients::trading(core, client_id).await?;
    let account_id = AccountId::of(ClientId::from_uuid(client_id), provider_id, currency);
    Ok(core
        .store
        .load::<Account>(&account_id.to_string())
        .await?
        .aggregate
        .last_promise())
}

/// The client's promise holding today by its provider's clock, as (made on, the first day it
/// no longer holds); `None` when none holds (the `Account` says which holds).
pub async fn holding(
    core: &Core,
    client_id: Uuid,
) -> Result<Option<(NaiveDate, NaiveDate)>, Error> {
    let (provider_id, currency) = crate::usecases::clients::trading(core, client_id).await?;
    let today = core.time_of(provider_id).await?.today();
    let account_id = AccountId::of(ClientId::from_uuid(client_id), provider_id, currency);
    let account = core
        .store
        .load::<Account>(&account_id.to_string())
        .await?
        .aggregate;
    Ok(account
        .promised_until(today)
        .zip(account.last_promise())
        .map(|(until, (on, _))| (on, until)))
}

/// The end of the last promise of each of `accounts` that made one, read with one query.
pub async fn ends_of(
    store: &EventStore,
    accounts: impl Iterator<Item = AccountId>,
) -> Result<HashMap<AccountId, NaiveDate>, StoreError> {
    let mut ids: Vec<String> = accounts.map(|id| id.to_string()).collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let loaded = store.load_many::<Account>(&ids).await?;
    Ok(loaded
        .values()
        .filter_map(|loaded| {
            let account = &loaded.aggregate;
            account
                .account_id()
                .zip(account.last_promise().map(|(_, until)| until))
        })
        .collect())
}
