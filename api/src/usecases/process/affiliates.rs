//! Affiliate commission (issue 20.1): every payment credited to (`PaymentPosted`) and every
//! charge of (`ExpenseCharged`) a referred client's account accrues its affiliate the
//! commission its rule gives ([`domain::affiliate::CommissionRule::commission`]), in the account's
//! currency, dated by the source event. Each accrual is keyed by its affiliate and its source
//! (`commission`, `<affiliate>/payment:<id>` or `<affiliate>/charge:<id>`), so a replay, a
//! restart or a crash in the middle of a batch accrues nothing twice.
//!
//! Money the client gets back takes the commission on it back (`TakeBackCommission`): a credit
//! of a charge (`ExpenseCredited` naming it: a tariff change) or its correction
//! (`ExpenseCorrected`), a refund (`PaymentRefunded`) or a reversal (`PaymentReversed`) of a
//! payment, keyed by `commission-back` and its own id. Without it, changing tariff back and forth
//! accrued a commission on every new charge while the client paid nothing more.
//!
//! It also finishes a payout to an affiliate's account (`CommissionPaidOut` to `Account`) that a
//! crash interrupted between the affiliate's event and the account's credit: the credit is keyed
//! by the payout id, so the use case's own credit and this one make one.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use cqrs_es::Aggregate;
use domain::account::{Account, AccountEvent};
use domain::affiliate::{
    Affiliate, AffiliateCommand, AffiliateEvent, CommissionBasis, CommissionSource,
    PayoutDestination, Referral, ReferralEvent,
};
use domain::ids::ClientId;
use domain::money::Money;
use domain::service::Service;
use domain::tariff::ItemType;
use eventstore::log::StoredEvent;
use eventstore::metadata::{Actor, CommandContext};
use eventstore::{CommandError, CommandKey, EventStore};
use sqlx::PgConnection;

use projections::{Projection, ProjectionError};

/// The process that accrues affiliate commission and finishes payouts to accounts.
pub struct Commissions {
    store: Arc<EventStore>,
}

impl Commissions {
    /// The process, writing through `store`.
    pub fn new(store: Arc<EventStore>) -> Self {
        Self { store }
    }
}

fn failed(e: &dyn std::fmt::Display) -> ProjectionError {
    ProjectionError::Malformed(e.to_string())
}

/// The owner of each of `accounts`, from each one's first event (`AccountOpened`).
async fn clients_of(
    store: &EventStore,
    accounts: &[&str],
) -> Result<HashMap<String, ClientId>, ProjectionError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT aggregate_id, payload::text FROM events
          WHERE aggregate_type = $1 AND aggregate_id = ANY($2) AND sequence = 1",
    )
    .bind(Account::TYPE)
    .bind(accounts)
    .fetch_all(store.pool())
    .await?;
    let mut clients = HashMap::with_capacity(rows.len());
    for (id, payload) in rows {
        if let AccountEvent::AccountOpened { client_id, .. } =
            serde_json::from_str(&payload).map_err(|e| failed(&e))?
        {
            clients.insert(id, client_id);
        }
    }
    Ok(clients)
}

/// The referral of each of `clients` that was referred, from its one event.
async fn referrals_of(
    store: &EventStore,
    clients: &[String],
) -> Result<HashMap<ClientId, Referral>, ProjectionError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT aggregate_id, payload::text FROM events
          WHERE aggregate_type = $1 AND aggregate_id = ANY($2) AND sequence = 1",
    )
    .bind(Referral::TYPE)
    .bind(clients)
    .fetch_all(store.pool())
    .await?;
    let mut referrals = HashMap::with_capacity(rows.len());
    for (id, payload) in rows {
        let event: ReferralEvent = serde_json::from_str(&payload).map_err(|e| failed(&e))?;
        let mut referral = Referral::default();
        referral.apply(event);
        let client = id.parse().map_err(|e| failed(&e))?;
        referrals.insert(ClientId::from_uuid(client), referral);
    }
    Ok(referrals)
}

/// Money a referred client got back, as the process reads it: what it gives back part of.
struct Returned {
    source: CommissionSource,
    of: CommissionSource,
    amount: Money,
}

fn returned_of(event: &StoredEvent) -> Result<Option<Returned>, ProjectionError> {
    let charge = |id: uuid::Uuid| CommissionSource {
        basis: CommissionBasis::Charges,
        id,
    };
    let payment = |id: uuid::Uuid| CommissionSource {
        basis: CommissionBasis::Payments,
        id,
    };
    Ok(
        match event.decode::<AccountEvent>().map_err(|e| failed(&e))? {
            AccountEvent::ExpenseCredited {
                expense,
                of_expense: Some(of),
                ..
            } => Some(Returned {
                source: charge(expense.expense_id.as_uuid()),
                of: charge(of.as_uuid()),
                amount: expense.amount,
            }),
            AccountEvent::ExpenseCorrected {
                correction_id,
                expense_id,
                amount,
                ..
            } => Some(Returned {
                source: charge(correction_id.as_uuid()),
                of: charge(expense_id.as_uuid()),
                amount,
            }),
            AccountEvent::PaymentRefunded {
                refund_id,
                payment_id,
                amount,
                ..
            } => Some(Returned {
                source: payment(refund_id.as_uuid()),
                of: payment(payment_id.as_uuid()),
                amount,
            }),
            AccountEvent::PaymentReversed {
                payment_id, amount, ..
            } => Some(Returned {
                source: payment(payment_id.as_uuid()),
                of: payment(payment_id.as_uuid()),
                amount,
            }),
            _ => None,
        },
    )
}

/// The commission `affiliate` accrued on `of` (its base and its commission), if any, and what
/// was taken back of it so far, from the affiliate's own events.
async fn accrual_on(
    store: &EventStore,
    affiliate: &str,
    of: CommissionSource,
    currency: domain::money::Currency,
) -> Result<(Option<(Money, Money)>, Money), ProjectionError> {
    let payloads: Vec<String> = sqlx::query_scalar(
        "SELECT payload::text FROM events
          WHERE aggregate_type = $1 AND aggregate_id = $2
            AND (payload->'CommissionAccrued'->'source'->>'id' = $3
                 OR payload->'CommissionTakenBack'->'of'->>'id' = $3)
          ORDER BY sequence",
    )
    .bind(Affiliate::TYPE)
    .bind(affiliate)
    .bind(of.id.to_string())
    .fetch_all(store.pool())
    .await?;
    let mut accrued = None;
    let mut taken_back = Money::zero(currency);
    for payload in payloads {
        match serde_json::from_str::<AffiliateEvent>(&payload).map_err(|e| failed(&e))? {
            AffiliateEvent::CommissionAccrued {
                source,
                base,
                commission,
                ..
            } if source == of => accrued = Some((base, commission)),
            AffiliateEvent::CommissionTakenBack {
                of: taken_of,
                commission,
                ..
            } if taken_of == of => {
                taken_back = taken_back.checked_add(commission).map_err(|e| failed(&e))?;
            }
            _ => {}
        }
    }
    Ok((accrued, taken_back))
}

/// A payment or charge of a referred client's account, as the process reads it.
struct Source {
    source: CommissionSource,
    amount: Money,
    service: Option<domain::ids::ServiceId>,
}

fn source_of(event: &StoredEvent) -> Result<Option<Source>, ProjectionError> {
    Ok(
        match event.decode::<AccountEvent>().map_err(|e| failed(&e))? {
            AccountEvent::PaymentPosted {
                payment_id, amount, ..
            } => Some(Source {
                source: CommissionSource {
                    basis: CommissionBasis::Payments,
                    id: payment_id.as_uuid(),
                },
                amount,
                service: None,
            }),
            AccountEvent::ExpenseCharged { expense, .. } => Some(Source {
                source: CommissionSource {
                    basis: CommissionBasis::Charges,
                    id: expense.expense_id.as_uuid(),
                },
                amount: expense.amount,
                service: Some(expense.service_id),
            }),
            _ => None,
        },
    )
}

impl Commissions {
    async fn accrue(
        &self,
        event: &StoredEvent,
        referred_client: ClientId,
        referral: &Referral,
        context: &CommandContext,
    ) -> Result<(), ProjectionError> {
        let Some(referred) = referral.referred() else {
            return Ok(());
        };
        let Some(Source {
            source,
            amount,
            service,
        }) = source_of(event)?
        else {
            return Ok(());
        };
        let affiliate_id = referred.affiliate_id;
        let affiliate = self
            .store
            .load::<Affiliate>(&affiliate_id.to_string())
            .await
            .map_err(|e| failed(&e))?
            .aggregate;
        let Some(rule) = affiliate.rule() else {
            return Ok(());
        };
        if rule.basis != source.basis {
            return Ok(());
        }
        let item_type: Option<ItemType> = match service {
            Some(service) if !rule.item_types.is_empty() => self
                .store
                .load::<Service>(&service.to_string())
                .await
                .map_err(|e| failed(&e))?
                .aggregate
                .terms()
                .map(|terms| terms.item_type),
            _ => None,
        };
        let on = event.metadata()?.occurred_at.date_naive();
        let key = CommandKey::new(
            "commission",
            format!("{affiliate_id}/{}", source.key()),
            &(
                source,
                amount.amount().to_string(),
                amount.currency().code(),
            ),
            serde_json::json!({ "id": affiliate_id.as_uuid() }),
        )
        .map_err(|e| failed(&e))?;
        let accrued = self
            .store
            .execute::<Affiliate>(
                &affiliate_id.to_string(),
                AffiliateCommand::AccrueCommission {
                    source,
                    referred_client,
                    amount,
                    item_type,
                    referred_on: referred.referred_on,
                    on,
                },
                context,
                &[key],
            )
            .await;
        match accrued {
            Ok(_) => Ok(()),
            Err(CommandError::Rejected(error)) => {
                // A source the rule cannot weigh (money out of range) must not stop the process
                // for every later payment; it is logged for staff.
                tracing::error!(%affiliate_id, source = %source.key(), %error,
                    "affiliate commission cannot be accrued");
                Ok(())
            }
            Err(error) => Err(failed(&error)),
        }
    }

    async fn take_back(
        &self,
        event: &StoredEvent,
        referred_client: ClientId,
        referral: &Referral,
        context: &CommandContext,
    ) -> Result<(), ProjectionError> {
        let (Some(referred), Some(returned)) = (referral.referred(), returned_of(event)?) else {
            return Ok(());
        };
        let affiliate_id = referred.affiliate_id;
        let (accrued, taken_back) = accrual_on(
            &self.store,
            &affiliate_id.to_string(),
            returned.of,
            returned.amount.currency(),
        )
        .await?;
        if accrued.is_none() {
            return Ok(());
        }
        let key = CommandKey::new(
            "commission-back",
            format!("{affiliate_id}/{}", returned.source.key()),
            &(returned.source, returned.of),
            serde_json::json!({ "id": affiliate_id.as_uuid() }),
        )
        .map_err(|e| failed(&e))?;
        let taken = self
            .store
            .execute::<Affiliate>(
                &affiliate_id.to_string(),
                AffiliateCommand::TakeBackCommission {
                    source: returned.source,
                    of: returned.of,
                    referred_client,
                    returned: returned.amount,
                    accrued,
                    taken_back,
                },
                context,
                &[key],
            )
            .await;
        match taken {
            Ok(_) => Ok(()),
            Err(CommandError::Rejected(error)) => {
                tracing::error!(%affiliate_id, source = %returned.source.key(), %error,
                    "affiliate commission cannot be taken back");
                Ok(())
            }
            Err(error) => Err(failed(&error)),
        }
    }

    async fn finish_payout(
        &self,
        event: &StoredEvent,
        context: &CommandContext,
    ) -> Result<(), ProjectionError> {
        let AffiliateEvent::CommissionPaidOut {
            payout_id,
            amount,
            destination: PayoutDestination::Account,
            ..
        } = event.decode::<AffiliateEvent>().map_err(|e| failed(&e))?
        else {
            return Ok(());
        };
        let affiliate = self
            .store
            .load::<Affiliate>(&event.aggregate_id)
            .await
            .map_err(|e| failed(&e))?
            .aggregate;
        let (Some(client_id), Some(provider_id)) = (affiliate.client_id(), affiliate.provider_id())
        else {
            return Ok(());
        };
        match crate::usecases::affiliates::credit_payout(
            &self.store,
            context,
            client_id,
            provider_id,
            payout_id,
            amount,
        )
        .await
        {
            Ok(()) => Ok(()),
            Err(error) if error.kind == crate::usecases::Kind::Unavailable => Err(failed(&error)),
            Err(error) => {
                tracing::error!(%payout_id, %error, "an affiliate payout cannot be credited");
                Ok(())
            }
        }
    }
}

#[async_trait]
impl Projection for Commissions {
    fn name(&self) -> &'static str {
        "affiliate_commissions"
    }

    fn version(&self) -> i32 {
        // 2: money given back takes its commission back; run again from the log's start, it
        // takes back what the history gave back (every accrual and payout is keyed: nothing
        // twice).
        2
    }

    fn tables(&self) -> &'static [&'static str] {
        &[]
    }

    fn runs_alone(&self) -> bool {
        true
    }

    async fn apply_batch(
        &self,
        _tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        let context = CommandContext::new(Actor::System("affiliate-commissions".to_owned()));
        let sources: Vec<&StoredEvent> = events
            .iter()
            .filter(|e| {
                e.aggregate_type == Account::TYPE
                    && matches!(
                        e.event_type.as_str(),
                        "PaymentPosted"
                            | "ExpenseCharged"
                            | "ExpenseCredited"
                            | "ExpenseCorrected"
                            | "PaymentRefunded"
                            | "PaymentReversed"
                    )
            })
            .collect();
        if !sources.is_empty() {
            // Most payments are of clients nobody referred: one query finds each account's
            // client and one the referrals of those clients, and the rest go no further.
            let accounts: Vec<&str> = sources.iter().map(|e| e.aggregate_id.as_str()).collect();
            let clients = clients_of(&self.store, &accounts).await?;
            let client_ids: Vec<String> = clients.values().map(ToString::to_string).collect();
            let referrals = referrals_of(&self.store, &client_ids).await?;
            if !referrals.is_empty() {
                for event in &sources {
                    let Some(client) = clients.get(&event.aggregate_id) else {
                        continue;
                    };
                    if let Some(referral) = referrals.get(client) {
                        let step = match event.event_type.as_str() {
                            "PaymentPosted" | "ExpenseCharged" => {
                                self.accrue(event, *client, referral, &context).await
                            }
                            _ => self.take_back(event, *client, referral, &context).await,
                        };
                        step.map_err(|e| e.at(event))?;
                    }
                }
            }
        }
        for event in events
            .iter()
            .filter(|e| e.aggregate_type == Affiliate::TYPE && e.event_type == "CommissionPaidOut")
        {
            self.finish_payout(event, &context)
                .await
                .map_err(|e| e.at(event))?;
        }
        Ok(())
    }
}
