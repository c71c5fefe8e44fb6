//! Affiliate commission (issue 20.1): every payment credited to (`PaymentPosted`) and every
//! charge of (`ExpenseCharged`) a referred client's account accrues its affiliate the
//! commission its rule gives ([`domain::affiliate::CommissionRule::commission`]), in the account's
//! currency, dated by the source event. Each accrual is keyed by its affiliate and its source
//! (`commission`, `<affiliate>/payment:<id>` or `<affiliate>/charge:<id>`), so a replay, a
//! restart or a crash in the middle of a batch accrues nothing twice.
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
        1
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
                    && (e.event_type == "PaymentPosted" || e.event_type == "ExpenseCharged")
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
                        self.accrue(event, *client, referral, &context)
                            .await
                            .map_err(|e| e.at(event))?;
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
