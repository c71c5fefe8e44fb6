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

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::NaiveDate;
use domain::account::{Account, AccountEvent};
use domain::client::Client;
use domain::company::Company;
use domain::ids::{AccountId, ClientId, InvoiceId, PaymentId, ProviderId};
use domain::invoice::{Invoice, InvoiceCommand, InvoiceKind, PayerDetails};
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

/// Issues the prepayment invoice of the payment `payment_id` of `amount` credited to `account`
/// on `received_on`, if the payment needs one, and marks it paid. Returns the issued invoice, or
/// `None` when the payment gets no tax document of its own (a post-paid account, a company under
/// `monthly_consumption`, a provider without a company, a payment that settles a tax invoice),
/// decided as things stood at `at`, the place of the `PaymentPosted` in the log. Idempotent.
pub async fn document_payment(
    store: &EventStore,
    account: AccountId,
    payment_id: PaymentId,
    amount: Money,
    received_on: NaiveDate,
    at: LogPosition,
    context: &CommandContext,
) -> Result<Option<Issued>, IssueError> {
    let invoice_id = InvoiceId::prepayment(payment_id);
    // Whether the payment gets a document is decided as things stood at `at`, so a replay decides
    // as the first run did: a payment that needs none never had a draft to finish.
    let Some(needed) = needed(store, account, payment_id, at).await? else {
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
/// safe order (only the first `first` of them, when given). A replay then decides as the first
/// run did, whatever changed since.
async fn state_at<A: StoredAggregate>(
    store: &EventStore,
    id: &str,
    at: LogPosition,
    first: Option<i64>,
) -> Result<A, IssueError> {
    let payloads: Vec<String> = sqlx::query_scalar(
        "SELECT payload::text FROM events
          WHERE aggregate_type = $1 AND aggregate_id = $2
            AND (tx_id, global_position) <= ($3::bigint::text::xid8, $4)
          ORDER BY sequence
          LIMIT $5",
    )
    .bind(A::TYPE)
    .bind(id)
    .bind(at.tx_id)
    .bind(at.position)
    .bind(first)
    .fetch_all(store.pool())
    .await?;
    let mut state = A::default();
    for payload in payloads {
        state
            .apply(serde_json::from_str(&payload).map_err(|e| IssueError::Refused(e.to_string()))?);
    }
    Ok(state)
}

/// Why a payment needs a prepayment invoice: what its draft is made of.
struct Needed {
    client_id: ClientId,
    provider_id: ProviderId,
    company: Company,
}

/// Whether the payment `payment_id` credited to `account` needs a prepayment invoice, as things
/// stood at `at` (the account prepaid or not, the company's setting). The cheap questions come
/// first: most payments are answered by the account's first event and the provider's company,
/// without folding the account's whole history (which grows with every payment).
async fn needed(
    store: &EventStore,
    account: AccountId,
    payment_id: PaymentId,
    at: LogPosition,
) -> Result<Option<Needed>, IssueError> {
    let not_open = || IssueError::Refused(format!("account {account} is not open"));
    // The account's provider is fixed when it opens.
    let opened: Account = state_at(store, &account.to_string(), at, Some(1)).await?;
    let provider_id = opened.provider_id().ok_or_else(not_open)?;
    // The provider's issuing company is its first; if even that one did not exist yet when the
    // payment was credited, the payment has no company to document it.
    let Some(issuer) = issuer_of(store, provider_id).await? else {
        return Ok(None);
    };
    let Some(issuer_id) = issuer.company_id() else {
        return Ok(None);
    };
    let company: Company = state_at(store, &issuer_id.to_string(), at, None).await?;
    let Some(document) = company.tax_document() else {
        return Ok(None);
    };
    if !document.documents_any_payment() {
        return Ok(None);
    }
    let account_state: Account = state_at(store, &account.to_string(), at, None).await?;
    let (Some(client_id), Some(credit_limit)) =
        (account_state.client_id(), account_state.credit_limit())
    else {
        return Err(not_open());
    };
    if !document.documents_payment(credit_limit.is_zero()) {
        return Ok(None);
    }
    // A payment that settles a tax invoice (not a proforma) is documented by that invoice.
    let payment = store.load::<Payment>(&payment_id.to_string()).await?;
    if let Some(settled) = payment.aggregate.invoice_id() {
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
    let payer = PayerDetails::of_client(&client, client_id).ok_or_else(|| {
        IssueError::Refused(format!("client {client_id} has no details to print"))
    })?;
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
            let account = event
                .aggregate_id
                .parse::<AccountId>()
                .map_err(|e| ProjectionError::Malformed(format!("account id: {e}")).at(event))?;
            let received_on = event
                .metadata()
                .map_err(|e| ProjectionError::from(e).at(event))?
                .occurred_at
                .date_naive();
            match document_payment(
                &self.store,
                account,
                payment_id,
                amount,
                received_on,
                event.log_position(),
                &context,
            )
            .await
            {
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
