//! Services (ordered items): order, prolong, suspend, resume, close, change tariff, switch
//! automatic renewal, move to another client; and the provisioning operations' reports.

use cqrs_es::Aggregate;
use domain::account::{Account, AccountCommand, AccountError, AccountEvent};
use domain::agreement::AgreementVersion;
use domain::contact::DomainRegistration;
use domain::ids::{AccountId, ClientId, OperationId, PromoCodeId, ServiceId};
use domain::money::Money;
use domain::period::BillingPeriod;
use domain::promo::{PromoCode, PromoCodeText};
use domain::service::{DuePeriod, Service, ServiceCommand, SuspendReason};
use domain::tariff::{AddonSelection, ServiceTerms};
use eventstore::metadata::CommandContext;
use eventstore::{CommandKey, Committed};
use uuid::Uuid;

use crate::usecases::process::settlement::{self, Charged};
use crate::usecases::{Core, Error, agreements, clocks, domain_contacts, redemptions};

/// An order of a service.
#[derive(Debug, Clone)]
pub struct Order {
    /// The client ordering (must be trading).
    pub client_id: Uuid,
    /// The tariff ordered (of the client's provider).
    pub tariff_id: Uuid,
    /// The billing period.
    pub period: BillingPeriod,
    /// The add-ons chosen.
    pub addons: Vec<AddonSelection>,
    /// Whether it prolongs itself; `None` takes the item type's default.
    pub auto_prolong: Option<bool>,
    /// A promo code redeemed with the order.
    pub promo_code: Option<PromoCodeText>,
    /// For a domain: its name and contacts, the client's own.
    pub domain: Option<DomainRegistration>,
    /// The agreement version the client accepted with the order; an order an agreement covers
    /// must name its current version.
    pub accepted_agreement: Option<AgreementVersion>,
}

/// Orders a service for a client at the tariff's current prices, and charges it at once if the
/// money is there. With a promo code, the order is first priced completely, then the code is
/// redeemed (one use), then the service is ordered with the discount.
///
/// `service_id` is the id the service is ordered under, and `idempotency` the request's key
/// answering it; a retried request redeemed for before answers the first request's service.
/// Returns the id the service was ordered under with the order's commit.
pub async fn order_service(
    core: &Core,
    context: &CommandContext,
    idempotency: Option<CommandKey>,
    service_id: Uuid,
    order: Order,
) -> Result<(Uuid, Committed<Service>), Error> {
    let (provider_id, currency) = crate::usecases::clients::trading(core, order.client_id).await?;
    let when = core.time_of(provider_id).await?;
    let context = &when.stamp(context);
    let terms = crate::usecases::catalog::quote(
        core,
        order.tariff_id,
        provider_id,
        order.period,
        currency,
        order.addons,
    )
    .await?;
    let auto_prolong = crate::usecases::item_types::policy_of(core, terms.item_type)
        .await?
        .auto_prolong_of(order.auto_prolong);
    // The service's agreement rule, asked before a promo code is redeemed or a contact attached,
    // so that a refused order writes nothing; the order itself asks it again.
    let required_agreement =
        agreements::required(core, provider_id, terms.tariff_id, terms.item_type).await?;
    Service::accepted_agreement(required_agreement, order.accepted_agreement)?;
    // The service and the contacts agree to the domain before anything is written.
    if let Some(domain) = &order.domain {
        let client = (order.client_id, provider_id);
        domain_contacts::check_order(core, client, service_id, &terms, domain).await?;
    }
    let mut id = service_id;
    let discount = match order.promo_code {
        None => None,
        Some(code) => {
            let redemption = redemptions::Redemption {
                code,
                provider_id,
                terms: &terms,
                id,
                on: when.today(),
            };
            let (redeemed_for, discount) =
                redemptions::redeem(core, context, idempotency.clone(), redemption).await?;
            id = redeemed_for;
            Some(discount)
        }
    };
    // The request's key answers the id the service is ordered under.
    let key = idempotency.map(|key| CommandKey {
        answer: serde_json::json!({ "id": id }),
        ..key
    });
    let client = ClientId::from_uuid(order.client_id);
    // The tariff's trial, once per client and tariff (the client's rule), claimed for this
    // service before it is ordered with it.
    let trial = crate::usecases::trials::claim(
        core,
        context,
        terms.tariff_id,
        client,
        ServiceId::from_uuid(id),
    )
    .await?;
    let attached = match &order.domain {
        Some(domain) => {
            domain_contacts::attach(core, context, order.client_id, id, &domain.contacts).await?
        }
        None => Vec::new(),
    };
    let committed = core
        .store
        .execute::<Service>(
            &id.to_string(),
            ServiceCommand::OrderService {
                service_id: ServiceId::from_uuid(id),
                client_id: client,
                provider_id,
                account_id: AccountId::of(client, provider_id, currency),
                terms,
                auto_prolong,
                ordered_on: when.today(),
                discount,
                domain: order.domain,
                required_agreement,
                accepted_agreement: order.accepted_agreement,
                trial,
            },
            context,
            key.as_slice(),
        )
        .await;
    let committed = match committed {
        Ok(committed) => committed,
        Err(error) => {
            domain_contacts::release(&core.store, context, id, &attached).await;
            return Err(error.into());
        }
    };
    if !committed.replayed {
        // Charge it now if the money is there; the settlement process does it otherwise.
        settlement::charge_due(&core.store, ServiceId::from_uuid(id), when.today(), context)
            .await?;
    }
    Ok((id, committed))
}

/// What an order would charge if it were placed now, decided by the rules that decide the order
/// itself, without recording anything: the tariff prices the terms (`catalog::quote`), the promo
/// code previews its discount (`PromoCode::quote`, the checks of a redemption), the service
/// computes its first period from the order (`Service::due_period`, on a service folded from
/// the `OrderService` decision in memory), and the account decides the charge of that period
/// (`ChargeExpense`, tax included) or refuses it for want of money.
#[derive(Debug, Clone)]
pub struct OrderQuote {
    /// The terms the service would be sold at.
    pub terms: ServiceTerms,
    /// The first period: the set-up fee and the price per period, less the promo discount.
    pub due: DuePeriod,
    /// What the account would charge for it (tax included as the account records it).
    pub charge: Money,
    /// What the balance and the credit limit lack, when the account would refuse the charge.
    pub missing: Option<Money>,
}

/// Quotes `order` (see [`OrderQuote`]).
pub async fn quote_order(core: &Core, order: &Order) -> Result<OrderQuote, Error> {
    let (provider_id, currency) = crate::usecases::clients::trading(core, order.client_id).await?;
    let terms = crate::usecases::catalog::quote(
        core,
        order.tariff_id,
        provider_id,
        order.period,
        currency,
        order.addons.clone(),
    )
    .await?;
    let auto_prolong = crate::usecases::item_types::policy_of(core, terms.item_type)
        .await?
        .auto_prolong_of(order.auto_prolong);
    let today = core.time_of(provider_id).await?.today();
    let discount = match &order.promo_code {
        None => None,
        Some(code) => {
            let promo_id = PromoCodeId::of(provider_id, code.as_str()).to_string();
            let promo = core.store.load::<PromoCode>(&promo_id).await?.aggregate;
            promo.quote(
                terms.tariff_id,
                terms.item_type,
                terms.period,
                today,
                terms.price_per_period,
            )?;
            Some(redemptions::service_discount(&promo, code)?)
        }
    };
    let client = ClientId::from_uuid(order.client_id);
    let account_id = AccountId::of(client, provider_id, currency);
    let service_id = ServiceId::from_uuid(Uuid::now_v7());
    if let Some(domain) = &order.domain {
        domain_contacts::check(
            core,
            order.client_id,
            service_id.as_uuid(),
            &domain.contacts,
        )
        .await?;
    }
    let mut service = Service::default();
    for event in service.decide(ServiceCommand::OrderService {
        service_id,
        client_id: client,
        provider_id,
        account_id,
        terms: terms.clone(),
        auto_prolong,
        ordered_on: today,
        discount,
        domain: order.domain.clone(),
        required_agreement: None,
        accepted_agreement: None,
        trial: crate::usecases::trials::offered(core, terms.tariff_id, client).await?,
    })? {
        service.apply(event);
    }
    let standing = crate::usecases::discounts::in_effect(&core.store, client).await?;
    let Some(due) = service.due_period_with(today, &standing) else {
        return Err(Error::refused(
            "order_not_priced",
            "the order's first period cannot be priced",
        ));
    };
    let line = settlement::expense_line(service_id, &terms, &due);
    let treatment =
        crate::usecases::process::invoicing::treatment_for_client(&core.store, provider_id, client)
            .await
            .map_err(|e| Error::internal(&e))?;
    let account = core
        .store
        .load::<Account>(&account_id.to_string())
        .await?
        .aggregate;
    let mut charge = due.amount;
    let mut missing = None;
    match account.decide(AccountCommand::ChargeExpense {
        client_id: client,
        provider_id,
        expense: line,
        treatment,
    }) {
        Ok(events) => {
            for event in events {
                if let AccountEvent::ExpenseCharged { expense, .. } = event {
                    charge = expense.amount;
                }
            }
        }
        Err(AccountError::InsufficientFunds { needed, available }) => {
            charge = needed;
            missing = Some(needed.checked_sub(available)?);
        }
        Err(other) => return Err(other.into()),
    }
    Ok(OrderQuote {
        terms,
        due,
        charge,
        missing,
    })
}

/// How far the log is written: the position a page waits for before it reads what was just
/// done (read-your-writes).
pub async fn written(core: &Core) -> Result<i64, Error> {
    Ok(eventstore::log::head_position(core.pool.primary()).await?)
}

/// The service `id` as it is now (an empty one when it was never ordered).
pub async fn service(core: &Core, id: Uuid) -> Result<Service, Error> {
    Ok(core.store.load::<Service>(&id.to_string()).await?.aggregate)
}

/// The service `id`, which must have been ordered (`service_not_found`).
pub(crate) async fn load(core: &Core, id: Uuid) -> Result<Service, Error> {
    let service = core.store.load::<Service>(&id.to_string()).await?.aggregate;
    if service.status().is_none() {
        return Err(Error::not_found(
            "service_not_found",
            format!("no service {id}"),
        ));
    }
    Ok(service)
}

/// Runs `command` on the service `id`.
pub(crate) async fn run(
    core: &Core,
    context: &CommandContext,
    idempotency: Option<CommandKey>,
    id: Uuid,
    command: ServiceCommand,
) -> Result<Committed<Service>, Error> {
    Ok(core
        .store
        .execute::<Service>(&id.to_string(), command, context, idempotency.as_slice())
        .await?)
}

/// Prolongs a service by one period now, charging the personal account; returns the service's
/// position after it.
pub async fn prolong_service(
    core: &Core,
    context: &CommandContext,
    idempotency: Option<CommandKey>,
    id: Uuid,
) -> Result<i64, Error> {
    let service = load(core, id).await?;
    // Dated by the provider's clock, as every other service action: a sandbox's prolongation
    // belongs to its own time, in the statement and the reports.
    let when = clocks::of(&core.store, service.provider_id()).await?;
    let context = &when.stamp(context);
    let standing = match service.client_id() {
        Some(client_id) => crate::usecases::discounts::in_effect(&core.store, client_id).await?,
        None => Vec::new(),
    };
    let Some(due) = service.prolong_period_with(&standing) else {
        return Err(Error::refused(
            "service_not_active",
            format!("service {id} cannot be prolonged in its state"),
        ));
    };
    match settlement::charge_period_keyed(
        &core.store,
        &service,
        ServiceId::from_uuid(id),
        due,
        context,
        idempotency,
    )
    .await?
    {
        Charged::Refused => Err(Error::refused(
            "insufficient_funds",
            "the balance and credit limit do not cover the next period",
        )),
        Charged::Charged | Charged::NothingDue => {
            Ok(core.store.load::<Service>(&id.to_string()).await?.position)
        }
    }
}

/// Suspends a service (staff decision or abuse); the provisioning service carries it out.
pub async fn suspend_service(
    core: &Core,
    context: &CommandContext,
    idempotency: Option<CommandKey>,
    id: Uuid,
    reason: SuspendReason,
) -> Result<Committed<Service>, Error> {
    let when = clocks::of(&core.store, load(core, id).await?.provider_id()).await?;
    let context = &when.stamp(context);
    let command = ServiceCommand::SuspendService {
        reason,
        operation_id: OperationId::from_uuid(Uuid::now_v7()),
        on: when.today(),
    };
    run(core, context, idempotency, id, command).await
}

/// Resumes a suspended service.
pub async fn resume_service(
    core: &Core,
    context: &CommandContext,
    idempotency: Option<CommandKey>,
    id: Uuid,
) -> Result<Committed<Service>, Error> {
    let when = clocks::of(&core.store, load(core, id).await?.provider_id()).await?;
    let context = &when.stamp(context);
    let command = ServiceCommand::ResumeService {
        operation_id: OperationId::from_uuid(Uuid::now_v7()),
        on: when.today(),
    };
    run(core, context, idempotency, id, command).await
}

/// Closes a service now or at the end of its paid period.
pub async fn close_service(
    core: &Core,
    context: &CommandContext,
    idempotency: Option<CommandKey>,
    id: Uuid,
    at_period_end: bool,
) -> Result<Committed<Service>, Error> {
    let when = clocks::of(&core.store, load(core, id).await?.provider_id()).await?;
    let context = &when.stamp(context);
    let command = ServiceCommand::CloseService {
        at_period_end,
        operation_id: OperationId::from_uuid(Uuid::now_v7()),
        on: when.today(),
    };
    run(core, context, idempotency, id, command).await
}

/// Switches a service's automatic renewal; switched on, the service is charged at once if it is
/// due and the money is there.
pub async fn set_auto_prolong(
    core: &Core,
    context: &CommandContext,
    idempotency: Option<CommandKey>,
    id: Uuid,
    auto_prolong: bool,
) -> Result<Committed<Service>, Error> {
    let when = clocks::of(&core.store, load(core, id).await?.provider_id()).await?;
    let context = &when.stamp(context);
    let committed = run(
        core,
        context,
        idempotency,
        id,
        ServiceCommand::SetAutoProlong { auto_prolong },
    )
    .await?;
    if auto_prolong {
        settlement::charge_due(&core.store, ServiceId::from_uuid(id), when.today(), context)
            .await?;
    }
    Ok(committed)
}

/// Moves a service to another client of the same provider; returns the position of its move.
pub async fn transfer_service(
    core: &Core,
    context: &CommandContext,
    idempotency: Option<CommandKey>,
    id: Uuid,
    to_client_id: Uuid,
) -> Result<i64, Error> {
    load(core, id).await?;
    let client = core
        .store
        .load::<domain::client::Client>(&to_client_id.to_string())
        .await?
        .aggregate;
    if !client.is_registered() {
        return Err(Error::refused(
            "client_not_found",
            format!("client_id: no client {to_client_id}"),
        ));
    }
    // A client of another provider is refused by the service itself (`OtherProvider`).
    let (provider_id, currency) = crate::usecases::clients::active(core, to_client_id).await?;
    let context = &core.time_of(provider_id).await?.stamp(context);
    let to_client = ClientId::from_uuid(to_client_id);
    Ok(crate::usecases::process::merging::transfer_service(
        &core.store,
        ServiceId::from_uuid(id),
        crate::usecases::process::merging::NewOwner {
            client: to_client,
            provider: provider_id,
            account: AccountId::of(to_client, provider_id, currency),
        },
        None,
        context,
        idempotency.as_slice(),
    )
    .await?)
}

/// A page of a client's services as they were at `as_of`: the services read model names the
/// services ordered by then (after the `(created_at, id)` cursor `after`, at most `limit`), and
/// each one is folded from its own events up to that moment. Returns them in order with the
/// cursor of the next page (the last service looked at, when more remain).
pub async fn services_as_of(
    core: &Core,
    client_id: Uuid,
    as_of: chrono::DateTime<chrono::Utc>,
    after: Option<(chrono::DateTime<chrono::Utc>, Uuid)>,
    limit: i64,
) -> Result<
    (
        Vec<(Uuid, Service)>,
        Option<(chrono::DateTime<chrono::Utc>, Uuid)>,
    ),
    Error,
> {
    let mut ids = projections::services::of_client_ordered_by(
        &core.pool,
        client_id,
        as_of,
        after,
        limit.saturating_add(1),
    )
    .await?;
    let next = if ids.len() > usize::try_from(limit).unwrap_or(usize::MAX) {
        ids.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        ids.last().map(|(id, at)| (*at, *id))
    } else {
        None
    };
    let mut services = Vec::with_capacity(ids.len());
    for (id, _) in ids {
        let service = core
            .store
            .load_as_of::<Service>(&id.to_string(), as_of)
            .await?
            .aggregate;
        services.push((id, service));
    }
    Ok((services, next))
}
