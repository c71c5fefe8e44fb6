//! Issuing documents: an invoice is drafted, then numbered by its company's numbering book, then
//! issued with that number.
//!
//! The number is taken in a second step so that a number is only ever consumed by an invoice
//! that already exists: the book's sequence has no gaps, and an invoice whose number was taken
//! but not yet written onto it (a crash between the two appends) gets exactly that number when
//! the step is repeated, because the book's command is keyed by the invoice id and a repeated key
//! answers with the event its first run recorded. The [`Invoicing`] process repeats the step for
//! every draft the log shows, so nothing a crash interrupted stays unnumbered.

use std::time::Duration;

use async_trait::async_trait;
use domain::client::Client;
use domain::company::Company;
use domain::ids::{ClientId, InvoiceId, ProviderId};
use domain::invoice::PayerDetails;
use domain::invoice::{Invoice, InvoiceBook, InvoiceBookEvent, InvoiceCommand, InvoiceEvent};
use domain::tax::TaxTreatment;
use eventstore::log::StoredEvent;
use eventstore::metadata::{Actor, CommandContext};
use eventstore::{CommandError, CommandKey, EventStore};
use sqlx::PgConnection;
use std::sync::Arc;

use projections::{Projection, ProjectionError};

/// Why a document could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// The event store failed.
    #[error(transparent)]
    Store(#[from] eventstore::StoreError),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// A command was refused; the message says which and why.
    #[error("{0}")]
    Refused(String),
    /// The invoice was refused by its rules.
    #[error(transparent)]
    Invoice(#[from] domain::invoice::InvoiceError),
}

impl From<CommandError<domain::invoice::InvoiceError>> for IssueError {
    fn from(error: CommandError<domain::invoice::InvoiceError>) -> Self {
        match error {
            CommandError::Store(e) => Self::Store(e),
            CommandError::Rejected(e) => Self::Invoice(e),
            other => Self::Refused(other.to_string()),
        }
    }
}

impl From<IssueError> for ProjectionError {
    fn from(error: IssueError) -> Self {
        match error {
            IssueError::Database(e) => Self::Database(e),
            other => Self::Malformed(other.to_string()),
        }
    }
}

/// An issued document: its number and the position of its `InvoiceIssued` event (or of the
/// invoice's last event when it was issued before).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// The formatted number.
    pub number: String,
    /// Pass as `min_position` to read the invoice.
    pub position: i64,
}

/// Drafts `draft` (a `DraftInvoice`, keyed by its invoice id) unless the invoice is drafted
/// already, and numbers it. `keys` are extra keys of the caller's (an `Idempotency-Key`).
pub async fn issue(
    store: &EventStore,
    invoice_id: InvoiceId,
    draft: InvoiceCommand,
    context: &CommandContext,
    keys: &[CommandKey],
) -> Result<Issued, IssueError> {
    // A draft is written once; a retry (of a request, of a run) only finishes its numbering, even
    // on another day when the same request would draft other dates.
    let existing = store.load::<Invoice>(&invoice_id.to_string()).await?;
    if !existing.aggregate.is_drafted() {
        let fingerprint =
            serde_json::to_value(&draft).map_err(|e| IssueError::Refused(e.to_string()))?;
        let key = CommandKey::new(
            "invoice",
            invoice_id.to_string(),
            &fingerprint,
            serde_json::json!({ "id": invoice_id }),
        )
        .map_err(|e| IssueError::Refused(e.to_string()))?;
        let keys: Vec<CommandKey> = std::iter::once(key).chain(keys.iter().cloned()).collect();
        store
            .execute::<Invoice>(&invoice_id.to_string(), draft, context, &keys)
            .await?;
    }
    number(store, invoice_id, context).await
}

/// Gives the drafted invoice `invoice_id` its number from its company's book and issues it.
/// Idempotent: an issued invoice keeps its number, and a number taken but not yet written is
/// found again.
pub async fn number(
    store: &EventStore,
    invoice_id: InvoiceId,
    context: &CommandContext,
) -> Result<Issued, IssueError> {
    let loaded = store.load::<Invoice>(&invoice_id.to_string()).await?;
    let invoice = loaded.aggregate;
    if let Some(number) = invoice.number() {
        return Ok(Issued {
            number: number.to_string(),
            position: loaded.position,
        });
    }
    let company_id = invoice
        .company_id()
        .ok_or_else(|| IssueError::Refused(format!("invoice {invoice_id} is not drafted")))?;
    let company = store
        .load::<Company>(&company_id.to_string())
        .await?
        .aggregate;
    let numbering = company
        .numbering()
        .ok_or_else(|| IssueError::Refused(format!("company {company_id} does not exist")))?;
    let Some((book_id, command)) = invoice.numbering_command(numbering) else {
        return Err(IssueError::Refused(format!(
            "invoice {invoice_id} cannot be numbered"
        )));
    };
    let key = CommandKey::new(
        "invoice-number",
        invoice_id.to_string(),
        &invoice_id,
        serde_json::Value::Null,
    )
    .map_err(|e| IssueError::Refused(e.to_string()))?;
    let committed = store
        .execute::<InvoiceBook>(
            &book_id.to_string(),
            command,
            context,
            std::slice::from_ref(&key),
        )
        .await
        .map_err(|e| IssueError::Refused(e.to_string()))?;
    let numbered = match committed.events.into_iter().next() {
        Some(event) => event,
        // A repeated key: the first run's event is at the key's position.
        None => {
            let event = eventstore::log::event_at(store.pool(), committed.position)
                .await?
                .ok_or_else(|| {
                    IssueError::Refused(format!(
                        "the number of invoice {invoice_id} is not in the log"
                    ))
                })?;
            event
                .decode::<InvoiceBookEvent>()
                .map_err(|e| IssueError::Refused(e.to_string()))?
        }
    };
    let InvoiceBookEvent::DocumentNumbered {
        invoice_id: numbered_id,
        sequence,
        number,
    } = numbered;
    if numbered_id != invoice_id {
        return Err(IssueError::Refused(format!(
            "the book answered for invoice {numbered_id}, not {invoice_id}"
        )));
    }
    let issued = store
        .execute::<Invoice>(
            &invoice_id.to_string(),
            InvoiceCommand::AssignNumber {
                sequence,
                number: number.clone(),
            },
            context,
            &[],
        )
        .await?;
    Ok(Issued {
        number,
        position: issued.position,
    })
}

/// The company that issues a provider's documents and decides how its clients are taxed: its
/// first company. `None` while the provider has none.
pub async fn issuer_of(
    store: &EventStore,
    provider_id: ProviderId,
) -> Result<Option<Company>, IssueError> {
    let company_id: Option<uuid::Uuid> = sqlx::query_scalar(
        "SELECT company_id FROM companies WHERE provider_id = $1
          ORDER BY created_at, company_id LIMIT 1",
    )
    .bind(provider_id.as_uuid())
    .fetch_optional(store.pool())
    .await?;
    match company_id {
        Some(id) => Ok(Some(
            store.load::<Company>(&id.to_string()).await?.aggregate,
        )),
        None => Ok(None),
    }
}

/// How `client` is taxed on what it is charged: by the issuing company's rules for the client
/// as it is now (`TaxRules::treatment_for`); not taxed while the provider has no company.
pub async fn treatment_for_client(
    store: &EventStore,
    provider_id: ProviderId,
    client_id: ClientId,
) -> Result<TaxTreatment, IssueError> {
    let Some(company) = issuer_of(store, provider_id).await? else {
        return Ok(TaxTreatment::NotTaxed);
    };
    let client = store
        .load::<Client>(&client_id.to_string())
        .await?
        .aggregate;
    Ok(treatment_by(&company, &client, client_id))
}

/// How `company` taxes `client` as a payer: the one composition of the rules that
/// [`treatment_for_client`] and the billing day's batches both use.
pub fn treatment_by(company: &Company, client: &Client, client_id: ClientId) -> TaxTreatment {
    PayerDetails::of_client(client, client_id).map_or(TaxTreatment::NotTaxed, |payer| {
        company.treatment_for(&payer)
    })
}

/// The process that numbers every drafted invoice a crash left unnumbered. The API numbers its
/// drafts itself; this only finishes what was interrupted.
pub struct Invoicing {
    store: Arc<EventStore>,
}

impl Invoicing {
    /// The process, writing through `store`.
    pub fn new(store: Arc<EventStore>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl Projection for Invoicing {
    fn name(&self) -> &'static str {
        "invoicing"
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
        let context = CommandContext::new(Actor::System("invoicing".to_owned()));
        for event in events
            .iter()
            .filter(|e| e.aggregate_type == "Invoice" && e.event_type == "InvoiceDrafted")
        {
            let InvoiceEvent::InvoiceDrafted { invoice_id, .. } = event
                .decode()
                .map_err(|e| ProjectionError::from(e).at(event))?
            else {
                continue;
            };
            // A draft can be numbered only while its company exists; a short wait covers a
            // company created in the same breath.
            let mut tries = 0;
            loop {
                match number(&self.store, invoice_id, &context).await {
                    Ok(_) => break,
                    Err(IssueError::Store(e)) => {
                        return Err(ProjectionError::Malformed(e.to_string()).at(event));
                    }
                    Err(error) if tries < 3 => {
                        tries += 1;
                        tracing::warn!(%invoice_id, %error, "numbering an invoice failed; retrying");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    Err(error) => {
                        // A draft that can never be numbered (its company is gone) must not
                        // stop the process for every later invoice; it is logged for staff.
                        tracing::error!(%invoice_id, %error, "an invoice cannot be numbered");
                        break;
                    }
                }
            }
        }
        Ok(())
    }
}
