//! The billing day's charges in batches: [`charge_due_batch`] runs, for many services at once,
//! the very commands [`super::charge_due`] runs for one.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use domain::account::{Account, AccountCommand, AccountError};
use domain::client::Client;
use domain::ids::{ClientId, ProviderId, ServiceId};
use domain::service::Service;
use domain::tax::TaxTreatment;
use eventstore::metadata::CommandContext;
use eventstore::{BatchCommand, CommandError, EventStore, Loaded};

use super::{
    Charged, SettleError, charged_before, expense_key, expense_line, give_back_refused_charge,
    record_charge,
};

/// [`super::charge_due`] for many services at once, in batches: the due period of each (on its state
/// in `services`, read from the log, which the caller keeps and this updates), then the charges
/// of them all with one statement, then their records on the services with another. Each charge
/// and each record is the same command, keyed the same way, as [`super::charge_due`] runs alone, and a
/// service that refuses the period it was charged for gets the charge back as there; each
/// account decides its services' charges in the order given (oldest order first within an
/// account, so that when the money runs out it is the newest that wait).
///
/// Services missing from `services` are read from the log with one query. The answer is one
/// [`Charged`] per service, in order.
pub async fn charge_due_batch(
    store: &EventStore,
    services: &mut HashMap<String, Loaded<Service>>,
    ids: &[ServiceId],
    on: NaiveDate,
    context: &CommandContext,
) -> Result<Vec<Charged>, SettleError> {
    let missing: Vec<String> = ids
        .iter()
        .map(ToString::to_string)
        .filter(|id| !services.contains_key(id))
        .collect();
    if !missing.is_empty() {
        services.extend(store.load_many::<Service>(&missing).await?);
    }
    let mut answers = vec![Charged::NothingDue; ids.len()];
    // What each service owes, and what it is charged with.
    let mut due_charges = Vec::new();
    let mut discounts = crate::usecases::discounts::InEffect::default();
    for (index, &service_id) in ids.iter().enumerate() {
        let Some(loaded) = services.get(&service_id.to_string()) else {
            continue;
        };
        let service = &loaded.aggregate;
        let Some(owner) = service.client_id() else {
            continue;
        };
        let standing = discounts.of(store, owner).await?;
        let Some(due) = service.due_period_with(on, standing) else {
            continue;
        };
        let (Some(client_id), Some(provider_id), Some(account_id), Some(terms)) = (
            service.client_id(),
            service.provider_id(),
            service.account_id(),
            service.terms(),
        ) else {
            continue;
        };
        let line = expense_line(service_id, terms, &due);
        let key = expense_key(&line)?;
        due_charges.push((
            index,
            service_id,
            due,
            (account_id, client_id, provider_id),
            line,
            key,
        ));
    }
    if due_charges.is_empty() {
        return Ok(answers);
    }
    let treatments = treatments_of(
        store,
        due_charges
            .iter()
            .map(|(_, _, _, (_, client_id, provider_id), _, _)| (*provider_id, *client_id)),
    )
    .await?;
    let charges: Vec<BatchCommand<Account>> = due_charges
        .iter()
        .map(
            |(_, _, _, (account_id, client_id, provider_id), line, key)| BatchCommand {
                id: account_id.to_string(),
                command: AccountCommand::ChargeExpense {
                    client_id: *client_id,
                    provider_id: *provider_id,
                    expense: line.clone(),
                    treatment: treatments
                        .get(&(*provider_id, *client_id))
                        .copied()
                        .unwrap_or(TaxTreatment::NotTaxed),
                },
                keys: vec![key.clone()],
            },
        )
        .collect();
    let charged = store
        .execute_batch::<Account>(charges, context, HashMap::new())
        .await;
    let mut to_record = Vec::new();
    for (mut charge, outcome) in due_charges.into_iter().zip(charged.outcomes) {
        match outcome {
            // Charged now, or before (a run that stopped before recording it): recorded now.
            Ok(_) => to_record.push(charge),
            Err(CommandError::KeyReused { key: reused }) if reused == charge.5.key => {
                charge.2 = charged_before(store, charge.3.0, &charge.2).await?;
                to_record.push(charge);
            }
            Err(CommandError::Rejected(AccountError::InsufficientFunds { .. })) => {
                if let Some(answer) = answers.get_mut(charge.0) {
                    *answer = Charged::Refused;
                }
            }
            Err(other) => return Err(other.into()),
        }
    }
    let records: Vec<BatchCommand<Service>> = to_record
        .iter()
        .map(|(_, service_id, due, _, _, _)| BatchCommand {
            id: service_id.to_string(),
            command: record_charge(due),
            keys: Vec::new(),
        })
        .collect();
    let read: HashMap<String, Loaded<Service>> = to_record
        .iter()
        .filter_map(|(_, service_id, _, _, _, _)| {
            let id = service_id.to_string();
            services.remove(&id).map(|loaded| (id, loaded))
        })
        .collect();
    let recorded = store.execute_batch::<Service>(records, context, read).await;
    services.extend(recorded.states);
    for ((index, service_id, due, (account_id, client_id, provider_id), _, _), outcome) in
        to_record.into_iter().zip(recorded.outcomes)
    {
        match outcome {
            Ok(_) => {
                if let Some(answer) = answers.get_mut(index) {
                    *answer = Charged::Charged;
                }
            }
            // As in `charge_period_keyed`: the service moved on; the account gives it back.
            Err(CommandError::Rejected(refusal)) => {
                let treatment = treatments
                    .get(&(provider_id, client_id))
                    .copied()
                    .unwrap_or(TaxTreatment::NotTaxed);
                give_back_refused_charge(
                    store,
                    (service_id, account_id, client_id, provider_id),
                    &due,
                    &treatment,
                    &refusal,
                    context,
                )
                .await?;
                // Its state is read again from the log the next time.
                services.remove(&service_id.to_string());
            }
            Err(other) => return Err(other.into()),
        }
    }
    Ok(answers)
}

/// How each (provider, client) pair is taxed, as
/// [`crate::usecases::process::invoicing::treatment_for_client`] answers it, with one read of
/// each provider's issuer and one query for the clients of providers that have one.
async fn treatments_of(
    store: &EventStore,
    pairs: impl Iterator<Item = (ProviderId, ClientId)>,
) -> Result<HashMap<(ProviderId, ClientId), TaxTreatment>, SettleError> {
    let pairs: BTreeSet<(ProviderId, ClientId)> = pairs.collect();
    let mut issuers = HashMap::new();
    for provider_id in pairs.iter().map(|(provider_id, _)| *provider_id) {
        if let std::collections::hash_map::Entry::Vacant(entry) = issuers.entry(provider_id) {
            let issuer = crate::usecases::process::invoicing::issuer_of(store, provider_id)
                .await
                .map_err(|e| SettleError::Refused(e.to_string()))?;
            entry.insert(issuer);
        }
    }
    let clients: Vec<String> = pairs
        .iter()
        .filter(|(provider_id, _)| issuers.get(provider_id).is_some_and(Option::is_some))
        .map(|(_, client_id)| client_id.to_string())
        .collect();
    let clients = if clients.is_empty() {
        HashMap::new()
    } else {
        store.load_many::<Client>(&clients).await?
    };
    Ok(pairs
        .into_iter()
        .map(|(provider_id, client_id)| {
            let treatment = issuers
                .get(&provider_id)
                .and_then(Option::as_ref)
                .zip(clients.get(&client_id.to_string()))
                .map_or(TaxTreatment::NotTaxed, |(company, client)| {
                    crate::usecases::process::invoicing::treatment_by(
                        company,
                        &client.aggregate,
                        client_id,
                    )
                });
            ((provider_id, client_id), treatment)
        })
        .collect())
}
