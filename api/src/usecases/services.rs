//! Services (ordered items): order, prolong, suspend, resume, close, change tariff, switch
//! automatic renewal, move to another client; and the provisioning operations' reports.

use domain::account::{
    Account, AccountCommand, AccountError, CreditedCharge, ExpenseDiscount, ExpenseLine,
};
use domain::ids::{AccountId, ClientId, OperationId, PromoCodeId, ProviderId, ServiceId};
use domain::period::BillingPeriod;
use domain::promo::{PromoCode, PromoCodeText, PromoCommand, PromoError};
use domain::service::{Service, ServiceCommand, ServiceDiscount, SuspendReason};
use domain::tariff::{AddonSelection, ServiceTerms};
use eventstore::metadata::CommandContext;
use eventstore::{CommandError, CommandKey, Committed};
use uuid::Uuid;

use crate::usecases::process::settlement::{self, Charged};
use crate::usecases::{Core, Error};

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
    /// Whether it prolongs itself.
    pub auto_prolong: bool,
    /// A promo code redeemed with the order.
    pub promo_code: Option<PromoCodeText>,
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
    let terms = crate::usecases::catalog::quote(
        core,
        order.tariff_id,
        provider_id,
        order.period,
        currency,
        order.addons,
    )
    .await?;
    let mut id = service_id;
    let discount = match order.promo_code {
        None => None,
        Some(code) => {
            let (redeemed_for, discount) = redeem(
                core,
                context,
                idempotency.clone(),
                code,
                provider_id,
                &terms,
                id,
            )
            .await?;
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
                auto_prolong: order.auto_prolong,
                ordered_on: core.today(),
                discount,
            },
            context,
            key.as_slice(),
        )
        .await?;
    if !committed.replayed {
        // Charge it now if the money is there; the settlement process does it otherwise.
        settlement::charge_due(&core.store, ServiceId::from_uuid(id), core.today(), context)
            .await?;
    }
    Ok((id, committed))
}

/// Redeems `code` for the service `id` ordered on `terms`, and returns the id the service is
/// ordered under with the discount it keeps.
///
/// The redemption is keyed by the service id (scope `promo`), and with an `Idempotency-Key` also
/// by that key (`idempotency`, the order's own key, moved to a scope of its own): a retried
/// request gets the first request's service id back instead of redeeming the code again, and
/// then finishes that order if the first request stopped after redeeming.
async fn redeem(
    core: &Core,
    context: &CommandContext,
    idempotency: Option<CommandKey>,
    code: PromoCodeText,
    provider_id: ProviderId,
    terms: &ServiceTerms,
    id: Uuid,
) -> Result<(Uuid, ServiceDiscount), Error> {
    let promo_id = PromoCodeId::of(provider_id, code.as_str()).to_string();
    let promo = core.store.load::<PromoCode>(&promo_id).await?.aggregate;
    let (Some(discount), Some(recurring), Some(limits)) =
        (promo.discount().cloned(), promo.recurring(), promo.limits())
    else {
        return Err(PromoError::NotFound.into());
    };
    // The service keeps the code's tariff and item-type limits, so that a tariff change can
    // recheck them.
    let (tariffs, item_types) = (limits.tariffs.clone(), limits.item_types.clone());
    let answer = serde_json::json!({ "id": id });
    let mut keys = vec![
        CommandKey::new("promo", id.to_string(), &(&promo_id, id), answer.clone())
            .map_err(|e| Error::internal(&e))?,
    ];
    if let Some(key) = idempotency {
        keys.push(CommandKey {
            scope: format!("promo:{}", key.scope),
            answer,
            ..key
        });
    }
    let committed = core
        .store
        .execute::<PromoCode>(
            &promo_id,
            PromoCommand::RedeemPromoCode {
                service_id: ServiceId::from_uuid(id),
                tariff_id: terms.tariff_id,
                item_type: terms.item_type,
                period: terms.period,
                on: core.today(),
                price: terms.price_per_period,
            },
            context,
            &keys,
        )
        .await?;
    let id = committed
        .answer
        .get("id")
        .and_then(|v| v.as_str())
        .and_then(|v| Uuid::parse_str(v).ok())
        .unwrap_or(id);
    Ok((
        id,
        ServiceDiscount {
            code: code.as_str().to_owned(),
            discount,
            recurring,
            tariffs,
            item_types,
        },
    ))
}

/// The service `id`, which must have been ordered (`service_not_found`).
async fn load(core: &Core, id: Uuid) -> Result<Service, Error> {
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
async fn run(
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
    let Some(due) = service.prolong_period() else {
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
    load(core, id).await?;
    let command = ServiceCommand::SuspendService {
        reason,
        operation_id: OperationId::from_uuid(Uuid::now_v7()),
        on: core.today(),
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
    load(core, id).await?;
    let command = ServiceCommand::ResumeService {
        operation_id: OperationId::from_uuid(Uuid::now_v7()),
        on: core.today(),
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
    load(core, id).await?;
    let command = ServiceCommand::CloseService {
        at_period_end,
        operation_id: OperationId::from_uuid(Uuid::now_v7()),
        on: core.today(),
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
    load(core, id).await?;
    let committed = run(
        core,
        context,
        idempotency,
        id,
        ServiceCommand::SetAutoProlong { auto_prolong },
    )
    .await?;
    if auto_prolong {
        settlement::charge_due(&core.store, ServiceId::from_uuid(id), core.today(), context)
            .await?;
    }
    Ok(committed)
}

/// Moves a service to another tariff today: the account credits what was paid for the rest of
/// the period and charges the new price for it (one command, keyed by the change), then the
/// service records the change.
pub async fn change_tariff(
    core: &Core,
    context: &CommandContext,
    idempotency: Option<CommandKey>,
    id: Uuid,
    tariff_id: Uuid,
    addons: Vec<AddonSelection>,
) -> Result<Committed<Service>, Error> {
    let service = load(core, id).await?;
    let (Some(client_id), Some(provider_id), Some(account_id), Some(terms)) = (
        service.client_id(),
        service.provider_id(),
        service.account_id(),
        service.terms(),
    ) else {
        return Err(Error::not_found(
            "service_not_found",
            format!("no service {id}"),
        ));
    };
    let today = core.today();
    let new_terms = crate::usecases::catalog::quote(
        core,
        tariff_id,
        provider_id,
        terms.period,
        terms.currency(),
        addons,
    )
    .await?;
    // What corrections already gave back of the charge the credit draws on is the account's
    // fact; the service prices the change with it, and the account refuses a credit above it.
    // The charge was made on the service's own account: a moved service changes tariff only
    // from its next period.
    let currency = terms.currency();
    let zero = domain::money::Money::zero(currency);
    let rest = service.quote_tariff_change(&new_terms, today, zero)?;
    let charged_on = core
        .store
        .load::<Account>(&account_id.to_string())
        .await?
        .aggregate;
    let treatment = crate::usecases::process::invoicing::treatment_for_client(
        &core.store,
        provider_id,
        client_id,
    )
    .await
    .map_err(|e| Error::internal(&e))?;
    let returned =
        charged_on.returned_of_expense_priced(rest.credited_expense_id, zero, &treatment)?;
    let change = service.quote_tariff_change(&new_terms, today, returned)?;
    let service_id = ServiceId::from_uuid(id);
    let line = |expense_id, amount, what: &str| ExpenseLine {
        expense_id,
        service_id,
        period_start: today,
        period_end: change.period_end,
        amount,
        description: format!("{what}, {today} to {}", change.period_end),
        discount: None,
        tax: None,
    };
    let credit = line(
        change.credit_expense_id,
        change.credit,
        &format!("unused part of {}", terms.tariff_name),
    );
    let charge = ExpenseLine {
        discount: change
            .charge_discount
            .zip(service.discount())
            .map(|(amount, discount)| ExpenseDiscount {
                code: discount.code.clone(),
                list_amount: change.charge_list,
                amount,
            }),
        ..line(
            change.charge_expense_id,
            change.charge,
            &new_terms.tariff_name,
        )
    };
    // The key names this change (the service's next one), so a retry after the account moved the
    // money but before the service recorded the change replays the money instead of moving it
    // again.
    let key = CommandKey::new(
        "tariff-change",
        format!("{id}/{}", change.charge_expense_id),
        &(&tariff_id, &credit.amount, &charge.amount),
        serde_json::Value::Null,
    )
    .map_err(|e| Error::internal(&e))?;
    let replaced = core
        .store
        .execute::<Account>(
            &account_id.to_string(),
            AccountCommand::ReplaceCharge {
                client_id,
                provider_id,
                credit: credit.clone(),
                charge: charge.clone(),
                treatment,
                credited_charge: Some(CreditedCharge {
                    expense_id: change.credited_expense_id,
                    charged: change.credited_paid,
                }),
            },
            context,
            std::slice::from_ref(&key),
        )
        .await;
    match replaced {
        Ok(_) => {}
        Err(CommandError::Rejected(AccountError::InsufficientFunds { needed, available })) => {
            return Err(Error::refused(
                "insufficient_funds",
                format!("the change needs {needed}, the account has {available}"),
            ));
        }
        Err(other) => return Err(other.into()),
    }
    let command = ServiceCommand::ChangeTariff {
        new_terms,
        on: today,
        returned,
        credit_expense_id: credit.expense_id,
        charge_expense_id: charge.expense_id,
    };
    run(core, context, idempotency, id, command).await
}

/// Moves a service to another client of the same provider; returns the position of its move.
pub async fn transfer_service(
    core: &Core,
    context: &CommandContext,
    idempotency: Option<CommandKey>,
    id: Uuid,
    to_client_id: Uuid,
) -> Result<i64, Error> {
    let service = load(core, id).await?;
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
    let (provider_id, currency) = crate::usecases::clients::active(core, to_client_id).await?;
    if service.provider_id() != Some(provider_id) {
        return Err(Error::refused(
            "service_of_another_provider",
            format!(
                "client_id: client {to_client_id} belongs to another provider than the service"
            ),
        ));
    }
    let to_client = ClientId::from_uuid(to_client_id);
    Ok(crate::usecases::process::merging::transfer_service(
        &core.store,
        ServiceId::from_uuid(id),
        to_client,
        AccountId::of(to_client, provider_id, currency),
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
