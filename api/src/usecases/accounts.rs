//! Personal accounts: payments credited directly, staff adjustments and corrections, credit
//! limits, and balances as they were at a moment.

use chrono::{DateTime, NaiveDate, Utc};
use domain::account::{Account, AccountCommand, PaymentMethod};
use domain::client::Client;
use domain::ids::{
    AccountId, AdjustmentId, ClientId, CorrectionId, ExpenseId, PaymentId, ProviderId,
};
use domain::money::{Currency, Money};
use domain::rates::{Conversion, ExchangeRates};
use eventstore::metadata::CommandContext;
use eventstore::{CommandKey, Committed};
use projections::ReadModel;
use serde::Serialize;
use uuid::Uuid;

use crate::usecases::{Core, Error};

/// A payment credited directly to the client's personal account.
#[derive(Debug, Clone)]
pub struct PostPayment {
    /// The caller's id for the payment: the command's key.
    pub payment_id: Uuid,
    /// What was paid, in any currency.
    pub paid: Money,
    /// How it was paid.
    pub method: PaymentMethod,
    /// The day the money arrived, for the exchange rate; today when absent.
    pub received_on: Option<NaiveDate>,
}

/// The scope of the key a payment credited straight to an account is recorded under, by its id.
pub const POSTED_PAYMENT_SCOPE: &str = "payment";

/// A payment id already taken by a payment of the other kind (one with a lifecycle, or one
/// credited straight to an account): every payment shares one id space.
pub(crate) fn payment_exists(payment_id: Uuid) -> Error {
    Error::conflict(
        "payment_exists",
        format!("a payment with the id {payment_id} exists"),
    )
}

/// Credits a payment to the client's personal account, converted at the rate in effect on the
/// day it arrived when it was paid in another currency. Idempotent by `payment_id`; `key` is the
/// caller's `Idempotency-Key`, a second key (the same key with another payment is refused). An
/// id a payment with a lifecycle holds is refused (`payment_exists`).
pub async fn post_payment(
    core: &Core,
    context: &CommandContext,
    key: Option<CommandKey>,
    client_id: Uuid,
    input: PostPayment,
) -> Result<Committed<Account>, Error> {
    let (provider, account_currency) = crate::usecases::clients::trading(core, client_id).await?;
    let when = core.time_of(provider).await?;
    let context = &when.stamp(context);
    let client = ClientId::from_uuid(client_id);
    let account = AccountId::of(client, provider, account_currency);
    // Money in another currency is credited converted at the rate in effect on the day it
    // arrived; the event keeps what was paid, the rate and its date.
    let (amount, conversion) = if input.paid.currency() == account_currency {
        (input.paid, None)
    } else {
        let on = input.received_on.unwrap_or_else(|| when.today());
        let conversion = convert(core, input.paid, account_currency, on).await?;
        (conversion.to, Some(conversion))
    };
    // One id space for every payment (see `payments::create_payment`): an id a payment with a
    // lifecycle holds is taken.
    if core
        .store
        .load::<domain::payment::Payment>(&input.payment_id.to_string())
        .await?
        .aggregate
        .status()
        .is_some()
    {
        return Err(payment_exists(input.payment_id));
    }
    let payment_key = CommandKey::new(
        POSTED_PAYMENT_SCOPE,
        input.payment_id.to_string(),
        &(
            client_id,
            input.paid.amount().to_string(),
            input.paid.currency().code(),
            input.method.as_str(),
        ),
        serde_json::json!({ "id": input.payment_id }),
    )
    .map_err(|e| Error::internal(&e))?;
    let keys: Vec<CommandKey> = std::iter::once(payment_key).chain(key).collect();
    Ok(core
        .store
        .execute::<Account>(
            &account.to_string(),
            AccountCommand::PostPayment {
                client_id: client,
                provider_id: provider,
                payment_id: PaymentId::from_uuid(input.payment_id),
                amount,
                method: input.method,
                conversion,
            },
            context,
            &keys,
        )
        .await?)
}

/// Converts `amount` into `to` at the rate in effect `on`, from the rates set on `amount`'s
/// currency.
pub async fn convert(
    core: &Core,
    amount: Money,
    to: Currency,
    on: NaiveDate,
) -> Result<Conversion, Error> {
    let rates = core
        .store
        .load::<ExchangeRates>(amount.currency().code())
        .await?
        .aggregate;
    Ok(rates.convert(amount, to, on)?)
}

/// The client's account for money in `currency`, checking that the client exists and takes money.
async fn account_of(
    core: &Core,
    client_id: Uuid,
    currency: Currency,
) -> Result<(ClientId, ProviderId, AccountId), Error> {
    let (provider_id, account_currency) = crate::usecases::clients::active(core, client_id).await?;
    if currency != account_currency {
        return Err(Error::refused(
            "currency_mismatch",
            format!("currency: the client's account is in {account_currency}, not {currency}"),
        ));
    }
    let client_id = ClientId::from_uuid(client_id);
    Ok((
        client_id,
        provider_id,
        AccountId::of(client_id, provider_id, currency),
    ))
}

/// A staff correction of a balance.
#[derive(Debug, Clone)]
pub struct AdjustBalance {
    /// The caller's id for the adjustment: the command's key.
    pub adjustment_id: Uuid,
    /// Signed: positive credits the client, negative debits it.
    pub amount: Money,
    /// Why.
    pub reason: String,
}

/// What an adjustment's key is fingerprinted with: the request as it was sent.
#[derive(Serialize)]
struct AdjustmentFingerprint<'a> {
    adjustment_id: Uuid,
    amount: String,
    currency: &'a str,
    reason: &'a str,
}

/// Staff correct a balance, with a reason. Idempotent by `adjustment_id`.
pub async fn adjust_balance(
    core: &Core,
    context: &CommandContext,
    key: Option<CommandKey>,
    client_id: Uuid,
    input: AdjustBalance,
) -> Result<Committed<Account>, Error> {
    let (client, provider, account) = account_of(core, client_id, input.amount.currency()).await?;
    let adjustment_key = CommandKey::new(
        "adjustment",
        input.adjustment_id.to_string(),
        &(
            client_id,
            AdjustmentFingerprint {
                adjustment_id: input.adjustment_id,
                amount: input.amount.amount().to_string(),
                currency: input.amount.currency().code(),
                reason: &input.reason,
            },
        ),
        serde_json::json!({ "id": input.adjustment_id }),
    )
    .map_err(|e| Error::internal(&e))?;
    let keys: Vec<CommandKey> = std::iter::once(adjustment_key).chain(key).collect();
    Ok(core
        .store
        .execute::<Account>(
            &account.to_string(),
            AccountCommand::AdjustBalance {
                client_id: client,
                provider_id: provider,
                adjustment_id: AdjustmentId::from_uuid(input.adjustment_id),
                amount: input.amount,
                reason: input.reason,
            },
            context,
            &keys,
        )
        .await?)
}

/// Sets how far the client's balance may go below zero.
pub async fn set_credit_limit(
    core: &Core,
    context: &CommandContext,
    client_id: Uuid,
    limit: Money,
) -> Result<Committed<Account>, Error> {
    let (client, provider, account) = account_of(core, client_id, limit.currency()).await?;
    Ok(core
        .store
        .execute::<Account>(
            &account.to_string(),
            AccountCommand::SetCreditLimit {
                client_id: client,
                provider_id: provider,
                limit,
            },
            context,
            &[],
        )
        .await?)
}

/// One account's balance at a moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalanceAt {
    /// The provider the account is kept at.
    pub provider_id: ProviderId,
    /// The balance.
    pub balance: Money,
    /// How far the balance may go below zero.
    pub credit_limit: Money,
}

/// The client's balances at `as_of`, by provider and currency, folded from the `Client` and
/// `Account` events that occurred by then. The read model only says which accounts the client
/// has.
pub async fn balances_as_of(
    core: &Core,
    client_id: Uuid,
    as_of: DateTime<Utc>,
) -> Result<Vec<BalanceAt>, Error> {
    let client = core
        .store
        .load_as_of::<Client>(&client_id.to_string(), as_of)
        .await?
        .aggregate;
    let (Some(provider_id), Some(currency)) = (client.provider_id(), client.currency()) else {
        return Err(Error::not_found(
            "client_not_found",
            format!("no client {client_id} at {}", as_of.to_rfc3339()),
        ));
    };
    // The personal account a client has from registration on, and any other it had by then.
    let mut accounts = vec![AccountId::of(
        ClientId::from_uuid(client_id),
        provider_id,
        currency,
    )];
    let others = projections::balances::account_ids_of_client(&core.pool, client_id).await?;
    for other in others.into_iter().map(AccountId::from_uuid) {
        if !accounts.contains(&other) {
            accounts.push(other);
        }
    }
    let mut balances = Vec::new();
    for (n, account_id) in accounts.into_iter().enumerate() {
        let account = core
            .store
            .load_as_of::<Account>(&account_id.to_string(), as_of)
            .await?
            .aggregate;
        let balance = match (
            account.provider_id(),
            account.balance(),
            account.credit_limit(),
        ) {
            (Some(provider_id), Some(balance), Some(credit_limit)) => BalanceAt {
                provider_id,
                balance,
                credit_limit,
            },
            // The registration's account, not opened yet: zero, as the read model shows it.
            _ if n == 0 => BalanceAt {
                provider_id,
                balance: Money::zero(currency),
                credit_limit: Money::zero(currency),
            },
            _ => continue,
        };
        balances.push(balance);
    }
    balances.sort_by(|a, b| {
        (a.provider_id.as_uuid(), a.balance.currency().code())
            .cmp(&(b.provider_id.as_uuid(), b.balance.currency().code()))
    });
    Ok(balances)
}

/// A staff correction of a charged expense.
#[derive(Debug, Clone)]
pub struct CorrectExpense {
    /// The caller's id for the correction: the command's key.
    pub correction_id: Uuid,
    /// What to give back, as sent, in the expense's currency (known only from the expense);
    /// `None` voids the expense.
    pub amount: Option<String>,
    /// Why.
    pub reason: String,
}

/// Staff give back part (an adjustment) or all (a void) of a charged expense; the money returns
/// to the balance. Idempotent by `correction_id`.
pub async fn correct_expense(
    core: &Core,
    context: &CommandContext,
    key: Option<CommandKey>,
    expense_id: Uuid,
    input: CorrectExpense,
) -> Result<Committed<Account>, Error> {
    // What the expense charged is an immutable fact of the log; the read model that holds it is
    // asked to be at least as recent as the log's head, so a just-charged expense is found.
    let head = eventstore::log::head_position(core.pool.primary()).await?;
    core.consistent(&[ReadModel::Balances, ReadModel::Expenses], Some(head))
        .await?;
    let Some(row) = projections::expenses::charged(&core.pool, expense_id).await? else {
        return Err(Error::not_found(
            "expense_not_found",
            format!("no expense {expense_id}"),
        ));
    };
    let currency = Currency::parse(&row.currency).map_err(|e| Error::internal(&e))?;
    let charged = Money::from_decimal(row.amount, currency).map_err(|e| Error::internal(&e))?;
    let charged_tax_rate =
        domain::tax::TaxRate::new(row.tax_rate).map_err(|e| Error::internal(&e))?;
    let give_back = input
        .amount
        .as_deref()
        .map(|amount| Money::parse_positive(amount, currency))
        .transpose()?;
    let correction_key = CommandKey::new(
        "correction",
        input.correction_id.to_string(),
        &(expense_id, &input.amount, &input.reason),
        serde_json::json!({ "id": input.correction_id }),
    )
    .map_err(|e| Error::internal(&e))?;
    let keys: Vec<CommandKey> = std::iter::once(correction_key).chain(key).collect();
    Ok(core
        .store
        .execute::<Account>(
            &AccountId::from_uuid(row.account_id).to_string(),
            AccountCommand::CorrectExpense {
                client_id: ClientId::from_uuid(row.client_id),
                provider_id: ProviderId::from_uuid(row.provider_id),
                correction_id: CorrectionId::from_uuid(input.correction_id),
                expense_id: ExpenseId::from_uuid(expense_id),
                charged,
                give_back,
                charged_tax_rate,
                reason: input.reason,
            },
            context,
            &keys,
        )
        .await?)
}

/// How the charge `expense_id` was taxed, as the account recorded it on its line (a line stored
/// before charges carried tax was not taxed): what a later credit of part of it is taxed with.
/// `None` when the log holds no such charge (a period brought over from another system).
pub async fn charged_treatment(
    core: &Core,
    expense_id: Uuid,
) -> Result<Option<domain::tax::TaxTreatment>, Error> {
    let head = eventstore::log::head_position(core.pool.primary()).await?;
    core.consistent(&[ReadModel::Balances, ReadModel::Expenses], Some(head))
        .await?;
    let Some(row) = projections::expenses::charged(&core.pool, expense_id).await? else {
        return Ok(None);
    };
    let Some(event) = eventstore::log::event_at(&*core.pool, row.position).await? else {
        return Ok(None);
    };
    Ok(match event.decode::<domain::account::AccountEvent>() {
        Ok(domain::account::AccountEvent::ExpenseCharged { expense, .. })
            if expense.expense_id.as_uuid() == expense_id =>
        {
            Some(
                expense
                    .tax
                    .map_or(domain::tax::TaxTreatment::NotTaxed, |tax| tax.treatment),
            )
        }
        _ => None,
    })
}

/// The lines the account `account_id` charged (`true`) or credited (`false`) under any of
/// `expense_ids`, in the log's order: how a step that runs again after a crash finds what the
/// account already did, when its service did not record it. A rare path (a crash, or a key
/// that answered with other terms): it reads the account's stream.
pub async fn recorded_lines(
    store: &eventstore::EventStore,
    account_id: AccountId,
    expense_ids: &[ExpenseId],
) -> Result<Vec<(domain::account::ExpenseLine, bool)>, sqlx::Error> {
    let ids: Vec<String> = expense_ids.iter().map(ToString::to_string).collect();
    let payloads: Vec<sqlx::types::Json<domain::account::AccountEvent>> = sqlx::query_scalar(
        "SELECT payload FROM events
          WHERE aggregate_type = $1 AND aggregate_id = $2
            AND event_type IN ('ExpenseCharged', 'ExpenseCredited')
            AND (payload -> 'ExpenseCharged' -> 'expense' ->> 'expense_id' = ANY($3)
                 OR payload -> 'ExpenseCredited' -> 'expense' ->> 'expense_id' = ANY($3))
          ORDER BY sequence",
    )
    .bind(<Account as cqrs_es::Aggregate>::TYPE)
    .bind(account_id.to_string())
    .bind(&ids)
    .fetch_all(store.pool())
    .await?;
    Ok(payloads
        .into_iter()
        .filter_map(|payload| match payload.0 {
            domain::account::AccountEvent::ExpenseCharged { expense, .. } => Some((expense, true)),
            domain::account::AccountEvent::ExpenseCredited { expense, .. } => {
                Some((expense, false))
            }
            _ => None,
        })
        .filter(|(line, _)| expense_ids.contains(&line.expense_id))
        .collect())
}

/// The charge the account `account_id` recorded under `expense_id`, if it did (see
/// [`recorded_lines`]).
pub async fn charged_line(
    store: &eventstore::EventStore,
    account_id: AccountId,
    expense_id: ExpenseId,
) -> Result<Option<domain::account::ExpenseLine>, sqlx::Error> {
    Ok(recorded_lines(store, account_id, &[expense_id])
        .await?
        .into_iter()
        .find_map(|(line, charged)| charged.then_some(line)))
}
