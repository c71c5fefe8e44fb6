//! The tax document of a prepaid client's payment (issue 14.7).
//!
//! A payment credited to an account (`PaymentPosted`, whether posted directly or credited by a
//! `Payment` with a lifecycle, see [`super::payments`]) gets a `prepayment` invoice when its
//! company's `tax_document` is `on_payment` and the account is prepaid
//! (`TaxDocument::documents_payment`): the payment is the gross amount, the invoice takes the
//! tax of the company's rule for the client out of it (the `Invoice` aggregate's rule for the
//! `prepayment` kind), numbers it in the company's `invoice` series and marks it paid by the
//! payment, because it documents money already received.
//!
//! Each step is idempotent: the invoice's id is derived from the payment id
//! (`InvoiceId::prepayment`), its draft is keyed by that id, its number by the invoice id and a
//! paid invoice records nothing when marked paid again, so a replay or a restart issues one
//! invoice per payment.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::NaiveDate;
use cqrs_es::Aggregate;
use domain::account::{Account, AccountEvent};
use domain::client::Client;
use domain::company::Company;
use domain::ids::{AccountId, ClientId, InvoiceId, PaymentId, ProviderId};
use domain::invoice::{Invoice, InvoiceCommand, InvoiceKind};
use domain::money::Money;
use domain::payment::Payment;
use domain::tax::LineInput;
use eventstore::log::{LogPosition, StoredEvent};
use eventstore::metadata::{Actor, CommandContext};
use eventstore::{EventStore, StoredAggregate};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use tokio::sync::watch;

use super::invoicing::{IssueError, Issued, issue, issuer_of, number};
use projections::{Progress, Projection, ProjectionError};

/// A payment credited to an account (a `PaymentPosted`), as the prepayment process reads it.
#[derive(Debug, Clone, Copy)]
pub struct Posted {
    /// The account credited.
    pub account: AccountId,
    /// The account's provider.
    pub provider_id: ProviderId,
    /// The payment.
    pub payment_id: PaymentId,
    /// What it credited, in the account's currency.
    pub amount: Money,
    /// The day it was credited.
    pub received_on: NaiveDate,
    /// The place of the `PaymentPosted` in the log.
    pub at: LogPosition,
}

/// Issues the prepayment invoice of the payment `posted`, if it needs one, and marks it paid;
/// `issuer` is its provider's issuing company (its first). Returns the issued invoice, or `None`
/// when the payment gets no tax document of its own (a post-paid account, a company under
/// `monthly_consumption`, a company that did not exist yet, a payment that settles a tax
/// invoice), decided as things stood at `posted.at`. Idempotent.
pub async fn document_payment(
    store: &EventStore,
    posted: &Posted,
    issuer: &Company,
    payment: &Payment,
    context: &CommandContext,
) -> Result<Option<Issued>, IssueError> {
    let Posted {
        payment_id,
        amount,
        received_on,
        ..
    } = *posted;
    let invoice_id = InvoiceId::prepayment(payment_id);
    // Whether the payment gets a document is decided as things stood at `at`, so a replay decides
    // as the first run did: a payment that needs none never had a draft to finish.
    let Some(needed) = needed(store, posted, issuer, payment).await? else {
        return Ok(None);
    };
    let existing = store.load::<Invoice>(&invoice_id.to_string()).await?;
    // A draft an interrupted run left is finished whatever changed since.
    if existing.aggregate.is_drafted() {
        number(store, invoice_id, context).await?;
    } else {
        let draft = draft(store, needed, payment_id, amount, received_on).await?;
        issue(store, invoice_id, draft, context, &[]).await?;
    }
    let paid = store
        .execute::<Invoice>(
            &invoice_id.to_string(),
            InvoiceCommand::MarkPaid {
                payment_id,
                paid_on: received_on,
            },
            context,
            &[],
        )
        .await?;
    let loaded = store.load::<Invoice>(&invoice_id.to_string()).await?;
    Ok(Some(Issued {
        number: loaded
            .aggregate
            .number()
            .map(str::to_string)
            .unwrap_or_default(),
        position: paid.position.max(loaded.position),
    }))
}

/// The aggregate `id` as it was right after the event at `at`: its events up to `at` in the
/// safe order. A replay then decides as the first run did, whatever changed since.
async fn state_at<A: StoredAggregate>(
    store: &EventStore,
    id: &str,
    at: LogPosition,
) -> Result<A, IssueError> {
    let payloads: Vec<String> = sqlx::query_scalar(
        "SELECT payload::text FROM events
          WHERE aggregate_type = $1 AND aggregate_id = $2
            AND (tx_id, global_position) <= ($3::bigint::text::xid8, $4)
          ORDER BY sequence",
    )
    .bind(A::TYPE)
    .bind(id)
    .bind(at.tx_id)
    .bind(at.position)
    .fetch_all(store.pool())
    .await?;
    let mut state = A::default();
    for payload in payloads {
        state
            .apply(serde_json::from_str(&payload).map_err(|e| IssueError::Refused(e.to_string()))?);
    }
    Ok(state)
}

/// A lookup's failure as the worker reports it: a database error is retried as one.
fn into_projection_error(error: IssueError) -> ProjectionError {
    match error {
        IssueError::Database(e) => ProjectionError::Database(e),
        other => ProjectionError::Malformed(other.to_string()),
    }
}

/// The provider of each of `accounts` (their ids in the log), from each one's first event: the
/// provider is fixed when an account opens, and one query serves a whole batch of payments.
async fn providers_of(
    store: &EventStore,
    accounts: &[&str],
) -> Result<HashMap<String, ProviderId>, IssueError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT aggregate_id, payload::text FROM events
          WHERE aggregate_type = $1 AND aggregate_id = ANY($2) AND sequence = 1",
    )
    .bind(Account::TYPE)
    .bind(accounts)
    .fetch_all(store.pool())
    .await?;
    let mut providers = HashMap::with_capacity(rows.len());
    for (id, payload) in rows {
        let mut opened = Account::default();
        opened
            .apply(serde_json::from_str(&payload).map_err(|e| IssueError::Refused(e.to_string()))?);
        if let Some(provider_id) = opened.provider_id() {
            providers.insert(id, provider_id);
        }
    }
    Ok(providers)
}

/// Why a payment needs a prepayment invoice: what its draft is made of.
struct Needed {
    client_id: ClientId,
    provider_id: ProviderId,
    company: Company,
    /// The payer the payment was made by, when it names one (its proforma's buyer).
    payer_id: Option<domain::ids::PayerId>,
}

/// Whether the payment `posted` needs a prepayment invoice, as things stood at its place in the
/// log (the account prepaid or not, the company's setting then). The cheap questions come first:
/// most payments are answered by the company's setting, without folding the account's whole
/// history (which grows with every payment).
async fn needed(
    store: &EventStore,
    posted: &Posted,
    issuer: &Company,
    payment: &Payment,
) -> Result<Option<Needed>, IssueError> {
    let Posted {
        account,
        provider_id,
        at,
        ..
    } = *posted;
    // A payment made to a company is documented by it; a payment credited straight to the
    // account, by the provider's first company. If even that did not exist yet when the payment
    // was credited, the payment has no company to document it.
    let Some(issuer_id) = payment.company_id().or(issuer.company_id()) else {
        return Ok(None);
    };
    let company: Company = state_at(store, &issuer_id.to_string(), at).await?;
    let Some(document) = company.tax_document() else {
        return Ok(None);
    };
    if !document.documents_any_payment() {
        return Ok(None);
    }
    let account_state: Account = state_at(store, &account.to_string(), at).await?;
    let (Some(client_id), Some(credit_limit)) =
        (account_state.client_id(), account_state.credit_limit())
    else {
        return Err(IssueError::Refused(format!(
            "account {account} is not open"
        )));
    };
    if !document.documents_payment(credit_limit.is_zero()) {
        return Ok(None);
    }
    // A payment that settles a tax invoice (not a proforma) is documented by that invoice.
    if let Some(settled) = payment.invoice_id() {
        let kind = store
            .load::<Invoice>(&settled.to_string())
            .await?
            .aggregate
            .kind();
        if kind.is_some_and(|kind| kind != InvoiceKind::Proforma) {
            return Ok(None);
        }
    }
    if company.company_id().is_none() || company.seller().is_none() {
        return Ok(None);
    }
    Ok(Some(Needed {
        client_id,
        provider_id,
        company,
        payer_id: payment.payer_id(),
    }))
}

/// The draft of the prepayment invoice of a payment that [needs one](needed).
async fn draft(
    store: &EventStore,
    needed: Needed,
    payment_id: PaymentId,
    amount: Money,
    received_on: NaiveDate,
) -> Result<InvoiceCommand, IssueError> {
    let Needed {
        client_id,
        provider_id,
        company,
        payer_id,
    } = needed;
    let (Some(company_id), Some(seller)) = (company.company_id(), company.seller()) else {
        return Err(IssueError::Refused(
            "the issuing company has no details to print".to_owned(),
        ));
    };
    let client = store
        .load::<Client>(&client_id.to_string())
        .await?
        .aggregate;
    // Made out to whom the payment was made by: its payer's details (as its proforma was), or
    // the client's own.
    let payer = crate::usecases::payers::payer_details_in(
        store,
        &client,
        client_id.as_uuid(),
        payer_id.map(|payer| payer.as_uuid()),
    )
    .await
    .map_err(|e| IssueError::Refused(e.to_string()))?;
    let treatment = company.treatment_for(&payer);
    Ok(InvoiceCommand::DraftInvoice {
        invoice_id: InvoiceId::prepayment(payment_id),
        kind: InvoiceKind::Prepayment,
        provider_id,
        company_id,
        client_id,
        seller,
        payer,
        currency: amount.currency(),
        lines: vec![LineInput::new(
            &format!("Prepayment received (payment {payment_id})"),
            Decimal::ONE,
            amount,
        )],
        recorded: Vec::new(),
        drafted_on: received_on,
        treatment,
        issued_on: received_on,
        due_on: received_on,
        payment_id: Some(payment_id),
        period: None,
        corrects: None,
        note: None,
    })
}

/// The process that issues the prepayment invoice of every payment credited.
pub struct Prepayments {
    store: Arc<EventStore>,
    /// The worker's stop signal: a wait for the companies read model ends when it turns true.
    stop: Option<watch::Receiver<bool>>,
}

impl Prepayments {
    /// The process, writing through `store`.
    pub fn new(store: Arc<EventStore>) -> Self {
        Self { store, stop: None }
    }

    /// The same process, giving up its wait for the companies read model as soon as `stop`
    /// turns true (the server's shutdown, which stops that read model's worker too).
    pub fn stopping_on(self, stop: watch::Receiver<bool>) -> Self {
        Self {
            stop: Some(stop),
            ..self
        }
    }
}

#[async_trait]
impl Projection for Prepayments {
    fn name(&self) -> &'static str {
        "prepayment_invoices"
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
        let posted: Vec<&StoredEvent> = events
            .iter()
            .filter(|e| e.aggregate_type == "Account" && e.event_type == "PaymentPosted")
            .collect();
        let Some(last) = posted.last() else {
            return Ok(());
        };
        // The issuing company is found through the companies read model, which must know every
        // company created before these payments.
        let ready = projections::engine::wait_for_position_or_stop(
            self.store.pool(),
            &Progress::default(),
            "companies",
            last.position,
            Duration::from_secs(30),
            self.stop.as_ref(),
        )
        .await?;
        if !ready {
            return Err(ProjectionError::Malformed(
                "the companies read model is behind; prepayment invoices will retry".to_owned(),
            ));
        }
        // Most payments are to providers whose company documents no payment (or that have no
        // company): each account's provider, and each provider's issuing company, are looked up
        // once for the batch, and those payments go no further.
        let accounts: Vec<&str> = posted.iter().map(|e| e.aggregate_id.as_str()).collect();
        let providers = providers_of(&self.store, &accounts)
            .await
            .map_err(into_projection_error)?;
        let mut issuers: HashMap<ProviderId, Option<Company>> = HashMap::new();
        for &provider_id in providers.values() {
            if let Entry::Vacant(slot) = issuers.entry(provider_id) {
                slot.insert(
                    issuer_of(&self.store, provider_id)
                        .await
                        .map_err(into_projection_error)?,
                );
            }
        }
        // The payments with a lifecycle name the company and the payer they were made to and by;
        // they are read once for the batch (a payment credited straight to an account has none).
        let mut payment_ids = Vec::with_capacity(posted.len());
        for event in &posted {
            if let AccountEvent::PaymentPosted { payment_id, .. } = event
                .decode()
                .map_err(|e| ProjectionError::from(e).at(event))?
            {
                payment_ids.push(payment_id.to_string());
            }
        }
        let payments = self
            .store
            .load_many::<Payment>(&payment_ids)
            .await
            .map_err(|e| ProjectionError::Malformed(e.to_string()))?;
        let direct = Payment::default();
        let context = CommandContext::new(Actor::System("prepayment-invoices".to_owned()));
        for event in posted {
            let AccountEvent::PaymentPosted {
                payment_id, amount, ..
            } = event
                .decode()
                .map_err(|e| ProjectionError::from(e).at(event))?
            else {
                continue;
            };
            let Some(&provider_id) = providers.get(&event.aggregate_id) else {
                // Not possible: an account is opened before it is credited.
                tracing::error!(%payment_id, account = %event.aggregate_id,
                    "a prepayment invoice cannot be issued: the account was never opened");
                continue;
            };
            let Some(Some(issuer)) = issuers.get(&provider_id) else {
                continue;
            };
            let account = event
                .aggregate_id
                .parse::<AccountId>()
                .map_err(|e| ProjectionError::Malformed(format!("account id: {e}")).at(event))?;
            let received_on = event
                .metadata()
                .map_err(|e| ProjectionError::from(e).at(event))?
                .occurred_at
                .date_naive();
            let posted = Posted {
                account,
                provider_id,
                payment_id,
                amount,
                received_on,
                at: event.log_position(),
            };
            let payment = payments
                .get(&payment_id.to_string())
                .map_or(&direct, |loaded| &loaded.aggregate);
            match document_payment(&self.store, &posted, issuer, payment, &context).await {
                Ok(_) => {}
                Err(IssueError::Store(e)) => {
                    return Err(ProjectionError::Malformed(e.to_string()).at(event));
                }
                Err(IssueError::Database(e)) => {
                    return Err(ProjectionError::Database(e).at(event));
                }
                Err(error) => {
                    // A payment whose document can never be issued (its client's details are
                    // gone) must not stop the process for every later payment; it is logged
                    // for staff.
                    tracing::error!(%payment_id, %error, "a prepayment invoice cannot be issued");
                }
            }
        }
        Ok(())
    }
}
