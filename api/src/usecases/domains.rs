//! Domains (issue 20.4): the prices of top-level domains (`domain::tld`), a client's order of a
//! domain, its renewals and the registrar's answers (`domain::domains`).
//!
//! Money moves by keyed steps, as a service's charge does (ADR 3): the `Domain` names the next
//! operation's id from its own state, the account charges it under an expense key derived from
//! that id, then the domain records the operation. A rerun after a crash between the two names
//! the same operation, finds the charge's key and charges nothing twice. A failed registration,
//! transfer or renewal gives the charge back with a correction keyed by the operation, so a
//! repeated answer gives back nothing more.

use chrono::{DateTime, Days, Months, NaiveDate, Utc};
use domain::account::{AccountCommand, ExpenseLine};
use domain::contact::{DomainContact, DomainContacts, DomainName};
use domain::domains::{
    ContactSnapshot, Domain, DomainCommand, DomainContactsSnapshot, DomainError, DomainOperation,
    RENEW_DAYS_BEFORE, RegistrarAnswer,
};
use domain::ids::{AccountId, ClientId, ContactId, DomainId, OperationId, ServiceId, TldId};
use domain::money::{Currency, Money};
use domain::tld::{RegistrarOperationKind, Tld, TldCommand, TldError, TldName, TldPrice};
use eventstore::metadata::CommandContext;
use eventstore::{CommandError, CommandKey, Committed};
use projections::ReadModel;
use uuid::Uuid;

use crate::usecases::clocks::BusinessTime;
use crate::usecases::error::Kind;
use crate::usecases::process::billing_day::Scope;
use crate::usecases::process::settlement;
use crate::usecases::{Core, Error};

impl From<DomainError> for Error {
    fn from(error: DomainError) -> Self {
        let kind = match error {
            DomainError::NotFound
            | DomainError::ContactOfAnotherClient { .. }
            | DomainError::UnknownOperation => Kind::NotFound,
            DomainError::AlreadyOrdered
            | DomainError::OperationPending
            | DomainError::AlreadyAnswered => Kind::Conflict,
            _ => Kind::Refused,
        };
        Self::new(kind, error.code(), error.to_string())
    }
}

impl From<TldError> for Error {
    fn from(error: TldError) -> Self {
        let kind = match error {
            TldError::NotSold { .. } => Kind::NotFound,
            _ => Kind::Refused,
        };
        Self::new(kind, error.code(), error.to_string())
    }
}

/// Sets the prices of `tld` at `provider_id` in `currency`; the provider must exist. Returns
/// the id of the TLD's prices.
pub async fn set_tld_prices(
    core: &Core,
    context: &CommandContext,
    key: Option<CommandKey>,
    provider_id: Uuid,
    tld: TldName,
    currency: Currency,
    prices: Vec<TldPrice>,
) -> Result<(TldId, Committed<Tld>), Error> {
    crate::usecases::providers::named(core, provider_id).await?;
    let provider = domain::ids::ProviderId::from_uuid(provider_id);
    let when = core.time_of(provider).await?;
    let context = &when.stamp(context);
    let id = TldId::of(provider, &tld, currency);
    let committed = core
        .store
        .execute::<Tld>(
            &id.to_string(),
            TldCommand::SetTldPrices {
                tld,
                provider_id: provider,
                currency,
                prices,
            },
            context,
            key.as_slice(),
        )
        .await?;
    Ok((id, committed))
}

/// The price of `kind` of `years` years of `tld` at `provider` in `currency`, as the TLD says.
async fn price(
    core: &Core,
    provider: domain::ids::ProviderId,
    tld: &TldName,
    currency: Currency,
    kind: RegistrarOperationKind,
    years: u32,
) -> Result<Money, Error> {
    let id = TldId::of(provider, tld, currency);
    let prices = core.store.load::<Tld>(&id.to_string()).await?.aggregate;
    Ok(prices.price(tld, kind, years)?)
}

/// The contacts as they are now, each with the client it belongs to (the `Domain` decides that
/// they are the client's). A contact unknown or deleted is not found.
async fn snapshot(core: &Core, contacts: &DomainContacts) -> Result<DomainContactsSnapshot, Error> {
    let one = |role: &'static str, id: ContactId| async move {
        let contact = core
            .store
            .load::<DomainContact>(&id.to_string())
            .await?
            .aggregate;
        match (contact.client_id(), contact.details(), contact.is_deleted()) {
            (Some(client_id), Some(details), false) => Ok(ContactSnapshot {
                contact_id: id,
                client_id,
                details: details.clone(),
            }),
            _ => Err(Error::not_found(
                "domain_contact_not_found",
                format!("contacts.{role}: no domain contact {id}"),
            )),
        }
    };
    Ok(DomainContactsSnapshot {
        registrant: one("registrant", contacts.registrant).await?,
        admin: one("admin", contacts.admin).await?,
        tech: one("tech", contacts.tech).await?,
    })
}

/// Who and what a charge of a domain's operation is for.
struct Charge<'a> {
    domain_id: DomainId,
    client_id: ClientId,
    provider_id: domain::ids::ProviderId,
    account_id: AccountId,
    name: &'a DomainName,
    on: NaiveDate,
}

/// Charges `operation` to the account under its expense key; a repeated charge of the same
/// operation is a replay that moves nothing. A free operation charges nothing. Answers the
/// operation as charged, for the domain to record: `operation` itself, or, when its key finds
/// it charged before with other terms, the operation as that charge made it. That is a charge
/// the domain never recorded (a crash between the two), asked again on a later day or at
/// another price: it is recorded as made, not made again nor refused for ever.
async fn charge(
    core: &Core,
    context: &CommandContext,
    charge: &Charge<'_>,
    operation: DomainOperation,
) -> Result<DomainOperation, Error> {
    if operation.price.is_zero() {
        return Ok(operation);
    }
    let period_end = charge
        .on
        .checked_add_months(Months::new(operation.years * 12))
        .ok_or_else(|| Error::refused("years_out_of_range", "years: too far ahead"))?;
    let line = ExpenseLine {
        expense_id: operation.expense_id(),
        service_id: ServiceId::from_uuid(charge.domain_id.as_uuid()),
        period_start: charge.on,
        period_end,
        amount: operation.price,
        description: format!(
            "Domain {}: {} for {} year(s)",
            charge.name.as_str(),
            operation.kind.as_str(),
            operation.years
        ),
        discount: None,
        tax: None,
    };
    let key = settlement::expense_key(&line)?;
    let key_name = key.key.clone();
    let treatment = crate::usecases::process::invoicing::treatment_for_client(
        &core.store,
        charge.provider_id,
        charge.client_id,
    )
    .await
    .map_err(|e| Error::internal(&e))?;
    let charged = core
        .store
        .execute::<domain::account::Account>(
            &charge.account_id.to_string(),
            AccountCommand::ChargeExpense {
                client_id: charge.client_id,
                provider_id: charge.provider_id,
                expense: line,
                treatment,
            },
            context,
            &[key],
        )
        .await;
    match charged {
        Ok(_) => Ok(operation),
        Err(CommandError::KeyReused { key }) if key == key_name => {
            charged_before(core, charge.account_id, operation).await
        }
        Err(other) => Err(other.into()),
    }
}

/// `operation` as the account charged it before under its expense id: its day, its price (in
/// the TLD's prices, before any tax the treatment added) and its years.
async fn charged_before(
    core: &Core,
    account_id: AccountId,
    operation: DomainOperation,
) -> Result<DomainOperation, Error> {
    let expense_id = operation.expense_id();
    let line = crate::usecases::accounts::charged_line(&core.store, account_id, expense_id)
        .await?
        .ok_or_else(|| {
            Error::internal(&format!(
                "the key of expense {expense_id} is taken but account {account_id} has no such charge"
            ))
        })?;
    // The TLD's price the charge was made at, before the tax a treatment adds.
    let price = line.price();
    use chrono::Datelike;
    let months = (line.period_end.year() - line.period_start.year()) * 12
        + i32::try_from(line.period_end.month()).unwrap_or_default()
        - i32::try_from(line.period_start.month()).unwrap_or_default();
    tracing::warn!(%expense_id, charged_on = %line.period_start,
        "a domain's charge made before and not recorded on it is recorded as it was made");
    Ok(DomainOperation {
        requested_on: line.period_start,
        price,
        years: u32::try_from(months / 12).unwrap_or(operation.years),
        ..operation
    })
}

/// Gives back the charge of the failed operation `operation_id` of a domain (a void of the
/// expense, keyed by the operation). Nothing for a free operation or one not failed.
async fn give_back(
    core: &Core,
    context: &CommandContext,
    domain: &Domain,
    operation_id: OperationId,
) -> Result<(), Error> {
    let Some(asked) = domain.operation(operation_id) else {
        return Ok(());
    };
    let Some(RegistrarAnswer::Failed { reason }) = &asked.answer else {
        return Ok(());
    };
    if asked.price.is_zero() {
        return Ok(());
    }
    let name = domain.name().map(DomainName::as_str).unwrap_or_default();
    crate::usecases::accounts::correct_expense(
        core,
        context,
        None,
        domain::domains::charge_of(operation_id).as_uuid(),
        crate::usecases::accounts::CorrectExpense {
            correction_id: domain::domains::refund_of(operation_id),
            amount: None,
            reason: format!(
                "The registrar refused the {} of {name}: {reason}",
                asked.kind.as_str()
            )
            .chars()
            .take(500)
            .collect(),
        },
    )
    .await?;
    Ok(())
}

/// An order of a domain.
#[derive(Debug, Clone)]
pub struct DomainOrder {
    /// The client ordering (must be trading).
    pub client_id: Uuid,
    /// The id the domain is ordered under.
    pub domain_id: Uuid,
    /// The name.
    pub name: DomainName,
    /// The TLD it is under.
    pub tld: TldName,
    /// How many years.
    pub years: u32,
    /// Register or transfer.
    pub kind: RegistrarOperationKind,
    /// The client's contacts by role.
    pub contacts: DomainContacts,
    /// Whether the billing day renews it.
    pub auto_renew: bool,
}

/// Orders a domain: the TLD prices it, the contacts are snapshot, the `Domain` decides the order
/// in memory (nothing is written if it refuses), the account is charged (refused for want of
/// money, writing nothing), then the order is recorded with the operation the registrar polls.
pub async fn order_domain(
    core: &Core,
    context: &CommandContext,
    key: Option<CommandKey>,
    order: DomainOrder,
) -> Result<Committed<Domain>, Error> {
    let (provider_id, currency) = crate::usecases::clients::trading(core, order.client_id).await?;
    let when = core.time_of(provider_id).await?;
    let context = &when.stamp(context);
    let domain_id = DomainId::from_uuid(order.domain_id);
    let client_id = ClientId::from_uuid(order.client_id);
    let account_id = AccountId::of(client_id, provider_id, currency);
    let state = core
        .store
        .load::<Domain>(&domain_id.to_string())
        .await?
        .aggregate;
    let price = price(
        core,
        provider_id,
        &order.tld,
        currency,
        order.kind,
        order.years,
    )
    .await?;
    let operation = DomainOperation {
        operation_id: state.next_operation_id(domain_id),
        kind: order.kind,
        years: order.years,
        price,
        contacts: snapshot(core, &order.contacts).await?,
        requested_on: when.today(),
    };
    let ordered = |operation| DomainCommand::OrderDomain {
        domain_id,
        client_id,
        provider_id,
        account_id,
        name: order.name.clone(),
        tld: order.tld.clone(),
        auto_renew: order.auto_renew,
        operation,
    };
    let mut command = ordered(operation.clone());
    // A domain already ordered is answered by the store: the first request's answer for a
    // repeated key, `domain_exists` for another.
    if !state.is_ordered() {
        state.decide(command.clone())?;
        let of = Charge {
            domain_id,
            client_id,
            provider_id,
            account_id,
            name: &order.name,
            on: when.today(),
        };
        command = ordered(charge(core, context, &of, operation).await?);
    }
    Ok(core
        .store
        .execute::<Domain>(&domain_id.to_string(), command, context, key.as_slice())
        .await?)
}

/// The domain `id`, which must have been ordered (`domain_not_found`).
pub async fn load(core: &Core, id: Uuid) -> Result<Domain, Error> {
    let domain = core.store.load::<Domain>(&id.to_string()).await?.aggregate;
    if !domain.is_ordered() {
        return Err(DomainError::NotFound.into());
    }
    Ok(domain)
}

/// Renews the domain `id` for `years` at the TLD's renewal price, charged first; the registrar
/// is asked with the contacts of the last operation. `automatic` marks the billing day's.
pub async fn renew_domain(
    core: &Core,
    context: &CommandContext,
    key: Option<CommandKey>,
    id: Uuid,
    years: u32,
    automatic: bool,
) -> Result<Committed<Domain>, Error> {
    renew_at(core, context, key, id, years, automatic, None).await
}

/// [`renew_domain`] dated `at` (a sandbox's billing day), or by the provider's time for `None`.
async fn renew_at(
    core: &Core,
    context: &CommandContext,
    key: Option<CommandKey>,
    id: Uuid,
    years: u32,
    automatic: bool,
    at: Option<BusinessTime>,
) -> Result<Committed<Domain>, Error> {
    let (command, context) = charge_renewal(core, context, id, years, automatic, at).await?;
    Ok(core
        .store
        .execute::<Domain>(&id.to_string(), command, &context, key.as_slice())
        .await?)
}

/// The first step of a renewal of the domain `id` for `years`: the domain's checks, then the
/// charge. Answers the renewal the domain then records, with the context dated by `at` (or the
/// provider's time). On its own, it is what a crash before that record leaves.
pub async fn charge_renewal(
    core: &Core,
    context: &CommandContext,
    id: Uuid,
    years: u32,
    automatic: bool,
    at: Option<BusinessTime>,
) -> Result<(DomainCommand, CommandContext), Error> {
    let state = load(core, id).await?;
    let (Some(client_id), Some(provider_id), Some(account_id), Some(currency)) = (
        state.client_id(),
        state.provider_id(),
        state.account_id(),
        state.currency(),
    ) else {
        return Err(DomainError::NotFound.into());
    };
    let (Some(name), Some(tld), Some(contacts)) = (
        state.name().cloned(),
        state.tld().cloned(),
        state.contacts().cloned(),
    ) else {
        return Err(DomainError::NotFound.into());
    };
    let when = match at {
        Some(at) => at,
        None => core.time_of(provider_id).await?,
    };
    let context = when.stamp(context);
    let domain_id = DomainId::from_uuid(id);
    let kind = RegistrarOperationKind::Renew;
    let operation = DomainOperation {
        operation_id: state.next_operation_id(domain_id),
        kind,
        years,
        price: price(core, provider_id, &tld, currency, kind, years).await?,
        contacts,
        requested_on: when.today(),
    };
    state.decide(DomainCommand::RenewDomain {
        operation: operation.clone(),
        automatic,
    })?;
    let of = Charge {
        domain_id,
        client_id,
        provider_id,
        account_id,
        name: &name,
        on: when.today(),
    };
    let command = DomainCommand::RenewDomain {
        operation: charge(core, &context, &of, operation).await?,
        automatic,
    };
    Ok((command, context))
}

/// Records the registrar's answer to the operation `operation_id` of the domain `id`. A failure
/// gives the operation's charge back; a repeated failure answer finishes a give-back a crash
/// interrupted and moves nothing more.
pub async fn record_answer(
    core: &Core,
    context: &CommandContext,
    key: Option<CommandKey>,
    id: Uuid,
    operation_id: Uuid,
    answer: RegistrarAnswer,
) -> Result<Committed<Domain>, Error> {
    let state = load(core, id).await?;
    let Some(provider_id) = state.provider_id() else {
        return Err(DomainError::NotFound.into());
    };
    let when = core.time_of(provider_id).await?;
    let context = &when.stamp(context);
    let operation_id = OperationId::from_uuid(operation_id);
    let committed = core
        .store
        .execute::<Domain>(
            &id.to_string(),
            DomainCommand::RecordRegistrarAnswer {
                operation_id,
                answer,
            },
            context,
            key.as_slice(),
        )
        .await?;
    let now = load(core, id).await?;
    give_back(core, context, &now, operation_id).await?;
    Ok(committed)
}

/// What a billing day did to domains.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DomainsDay {
    /// Renewals asked (and charged).
    pub renewed: u64,
    /// Renewals charged a price above zero.
    pub charged: u64,
    /// Renewals the accounts could not pay.
    pub refused: u64,
    /// Domains expired.
    pub expired: u64,
    /// Expiry notices recorded (before an expiry; an expiry is told by itself).
    pub notices: u64,
}

/// The domains' part of the billing day of `as_of` over the providers of `scope`, dated `when`
/// (the real time for the live day, a sandbox's clock for its days): records the expiry notice
/// due on each active domain whose expiry is less than [`RENEW_DAYS_BEFORE`] days away, renews
/// for one year every such domain set to renew itself (if the money is there), and expires
/// every active domain whose expiry has passed by the end of the day with no renewal pending.
/// Each domain decides; a rerun of the day names the same operations and changes nothing.
pub async fn billing_day(
    core: &Core,
    context: &CommandContext,
    as_of: NaiveDate,
    scope: Scope,
    when: BusinessTime,
) -> Result<DomainsDay, Error> {
    let head = eventstore::log::head_position(core.pool.primary()).await?;
    core.consistent(&[ReadModel::Domains], Some(head)).await?;
    let end_of_day: DateTime<Utc> = as_of
        .checked_add_days(Days::new(1))
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| Error::invalid("invalid_date", "as_of: out of range"))?;
    let horizon = end_of_day
        .checked_add_days(Days::new(RENEW_DAYS_BEFORE))
        .unwrap_or(end_of_day);
    let (providers, only) = match scope {
        Scope::Live => (projections::clients::sandbox_ids(&core.pool).await?, false),
        Scope::Sandbox(provider) => (vec![provider.as_uuid()], true),
    };
    let candidates = projections::domains::expiring(&core.pool, horizon, &providers, only).await?;
    let context = &when.stamp(context);
    let mut day = DomainsDay::default();
    for id in candidates {
        let state = load(core, id).await?;
        if state.expiry_notice_due(as_of).is_some() {
            let noticed = core
                .store
                .execute::<Domain>(
                    &id.to_string(),
                    DomainCommand::NoticeExpiry { on: as_of },
                    context,
                    &[],
                )
                .await?;
            day.notices += u64::try_from(noticed.events.len()).unwrap_or(0);
        }
        if state.renewal_due(as_of) {
            match renew_at(core, context, None, id, 1, true, Some(when)).await {
                Ok(committed) => {
                    if !committed.events.is_empty() {
                        day.renewed += 1;
                        let free = load(core, id)
                            .await?
                            .pending()
                            .is_none_or(|p| p.price.is_zero());
                        if !free {
                            day.charged += 1;
                        }
                    }
                    continue;
                }
                Err(e) if e.code == "insufficient_funds" => day.refused += 1,
                Err(e) if e.kind == Kind::Refused || e.kind == Kind::NotFound => {
                    tracing::warn!(domain = %id, error = %e, "a domain's automatic renewal was refused");
                }
                Err(e) => return Err(e),
            }
        }
        if state.expiry_due(end_of_day) {
            let expired = core
                .store
                .execute::<Domain>(
                    &id.to_string(),
                    DomainCommand::ExpireDomain { now: end_of_day },
                    context,
                    &[],
                )
                .await;
            match expired {
                Ok(committed) if !committed.events.is_empty() => day.expired += 1,
                Ok(_) => {}
                Err(CommandError::Rejected(e)) => return Err(e.into()),
                Err(other) => return Err(other.into()),
            }
        }
    }
    Ok(day)
}
