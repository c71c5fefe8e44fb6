//! Invoices and credit notes: issued by staff, and monthly for post-paid clients; numbered
//! gap-free per company, series and year (`process::invoicing`). An invoice is never edited: a
//! credit note corrects it.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use chrono::{Days, NaiveDate};
use domain::client::Client;
use domain::company::{Company, SellerDetails, TaxDocument};
use domain::ids::{AccountId, ClientId, CompanyId, InvoiceId, ProviderId};
use domain::invoice::{Invoice, InvoiceCommand, InvoiceKind, InvoicePeriod};
use domain::money::{Currency, Money};
use domain::tax::{
    InvoiceLine, LineInput, QUANTITY_DECIMALS_MAX, QUANTITY_MAX, RecordedLine, TaxRate,
    TaxedAmount, price_lines, recorded_lines,
};
use eventstore::CommandKey;
use eventstore::metadata::CommandContext;
use projections::ReadModel;
use uuid::Uuid;

use crate::usecases::clocks::{self, BusinessTime};
use crate::usecases::process::invoicing::{self, Issued};
use crate::usecases::{Core, Error};

/// The company, checked to exist and to belong to `provider_id`.
pub async fn company_of(
    core: &Core,
    company_id: Uuid,
    provider_id: ProviderId,
) -> Result<Company, Error> {
    let company = core
        .store
        .load::<Company>(&company_id.to_string())
        .await?
        .aggregate;
    if company.provider_id() != Some(provider_id) {
        return Err(if company.is_created() {
            Error::refused(
                "company_of_another_provider",
                format!("company_id: company {company_id} belongs to another provider"),
            )
        } else {
            Error::not_found("company_not_found", format!("no company {company_id}"))
        });
    }
    Ok(company)
}

/// One line of an invoice as sent: its amounts are parsed in the invoice's currency, which the
/// client or the invoice corrected decides.
#[derive(Debug, Clone)]
pub struct LineText {
    /// What is sold.
    pub description: String,
    /// How many units.
    pub quantity: String,
    /// The price of one unit.
    pub unit_price: String,
    /// Taken off the line; zero when absent.
    pub discount: Option<String>,
}

fn parse_lines(lines: &[LineText], currency: Currency) -> Result<Vec<LineInput>, Error> {
    lines
        .iter()
        .enumerate()
        .map(|(index, line)| {
            let field = |name: &str, e: &dyn std::fmt::Display| {
                Error::refused("invalid_line", format!("lines[{index}].{name}: {e}"))
            };
            // Plain digits only (`Decimal`'s parser also takes `1e5` and `1_000`), as many as
            // the domain's largest quantity and its decimal places can use; the range is the
            // domain's rule.
            let quantity = domain::decimal::parse_plain(
                &line.quantity,
                QUANTITY_MAX.to_string().len(),
                usize::try_from(QUANTITY_DECIMALS_MAX).unwrap_or(usize::MAX),
            )
            .map_err(|e| field("quantity", &e))?;
            let unit_price =
                Money::parse(&line.unit_price, currency).map_err(|e| field("unit_price", &e))?;
            let discount = line
                .discount
                .as_deref()
                .map(|d| Money::parse(d, currency))
                .transpose()
                .map_err(|e| field("discount", &e))?
                .unwrap_or_else(|| Money::zero(currency));
            Ok(LineInput::new(&line.description, quantity, unit_price).with_discount(discount))
        })
        .collect()
}

/// The company of `company_id`, which must belong to the client's provider, with its details
/// as a seller.
async fn issuing_company(
    core: &Core,
    company_id: Uuid,
    provider_id: ProviderId,
) -> Result<(Company, SellerDetails), Error> {
    let company = company_of(core, company_id, provider_id).await?;
    let seller = company
        .seller()
        .ok_or_else(|| Error::not_found("company_not_found", format!("no company {company_id}")))?;
    Ok((company, seller))
}

/// An invoice issued by staff.
#[derive(Debug, Clone)]
pub struct IssueInvoice {
    /// The caller's id for the invoice.
    pub invoice_id: Uuid,
    /// The client invoiced.
    pub client_id: Uuid,
    /// The company issuing it.
    pub company_id: Uuid,
    /// The client's payer it is made out to; the client itself when absent.
    pub payer_id: Option<Uuid>,
    /// The client's account currency when absent.
    pub currency: Option<Currency>,
    /// The lines.
    pub lines: Vec<LineText>,
    /// The day of issue; today when absent.
    pub issued_on: Option<NaiveDate>,
    /// When it is due; 14 days after issue when absent.
    pub due_on: Option<NaiveDate>,
    /// A note printed on it.
    pub note: Option<String>,
}

/// Issues an invoice with the lines given, taxed by the company's rules for the payer, and
/// numbered gap-free in the company's book. Idempotent by `invoice_id`.
pub async fn issue_invoice(
    core: &Core,
    context: &CommandContext,
    key: Option<CommandKey>,
    input: IssueInvoice,
) -> Result<Issued, Error> {
    let (provider_id, account_currency) =
        crate::usecases::clients::active(core, input.client_id).await?;
    let when = core.time_of(provider_id).await?;
    let context = &when.stamp(context);
    let currency = input.currency.unwrap_or(account_currency);
    let lines = parse_lines(&input.lines, currency)?;
    let (company, seller) = issuing_company(core, input.company_id, provider_id).await?;
    let client = core
        .store
        .load::<Client>(&input.client_id.to_string())
        .await?
        .aggregate;
    let payer =
        crate::usecases::payers::payer_details(core, &client, input.client_id, input.payer_id)
            .await?;
    let issued_on = input.issued_on.unwrap_or_else(|| when.today());
    let due_on = input.due_on.unwrap_or_else(|| issued_on + Days::new(14));
    let invoice_id = InvoiceId::from_uuid(input.invoice_id);
    let draft = InvoiceCommand::DraftInvoice {
        invoice_id,
        kind: InvoiceKind::Manual,
        provider_id,
        company_id: CompanyId::from_uuid(input.company_id),
        client_id: ClientId::from_uuid(input.client_id),
        treatment: company.treatment_for(&payer),
        seller,
        payer,
        currency,
        lines,
        recorded: Vec::new(),
        drafted_on: when.today(),
        issued_on,
        due_on,
        payment_id: None,
        period: None,
        corrects: None,
        note: input.note,
    };
    let keys: Vec<CommandKey> = key.into_iter().collect();
    Ok(invoicing::issue(&core.store, invoice_id, draft, context, &keys).await?)
}

/// A credit note of an issued invoice.
#[derive(Debug, Clone)]
pub struct CreditNote {
    /// The caller's id for the credit note.
    pub credit_note_id: Uuid,
    /// The lines credited; absent credits the whole invoice.
    pub lines: Option<Vec<LineText>>,
    /// Why; printed on the credit note.
    pub reason: String,
}

/// Issues a credit note that corrects the issued invoice `id`, in its own numbering series: first
/// reserves its total on the invoice (two notes at once can never credit more than the invoice),
/// then drafts and numbers it. Idempotent by `credit_note_id`.
pub async fn credit_invoice(
    core: &Core,
    context: &CommandContext,
    key: Option<CommandKey>,
    id: Uuid,
    input: CreditNote,
) -> Result<Issued, Error> {
    let original = core.store.load::<Invoice>(&id.to_string()).await?.aggregate;
    let when = clocks::of(&core.store, original.provider_id()).await?;
    let context = &when.stamp(context);
    let (Some(kind), Some(currency), Some(seller), Some(payer), Some(treatment)) = (
        original.kind(),
        original.currency(),
        original.seller().cloned(),
        original.payer().cloned(),
        original.treatment(),
    ) else {
        return Err(Error::not_found(
            "invoice_not_found",
            format!("no invoice {id}"),
        ));
    };
    // A proforma is refused by the invoice itself (`RecordCreditNote`), before anything is
    // written.
    let credit_note_id = InvoiceId::from_uuid(input.credit_note_id);
    let whole = original.credit_notes().is_empty() || original.credit_notes() == [credit_note_id];
    // A monthly invoice's lines were copied from what the account recorded (credits negative);
    // crediting all of it copies them again rather than pricing them anew.
    let recorded: Vec<RecordedLine> =
        if input.lines.is_none() && whole && kind == InvoiceKind::Monthly {
            original.lines().iter().map(recorded_line).collect()
        } else {
            Vec::new()
        };
    let lines = match &input.lines {
        Some(lines) => parse_lines(lines, currency)?,
        None if !recorded.is_empty() => Vec::new(),
        None if whole => original.lines().iter().map(line_input).collect(),
        None => {
            return Err(Error::refused(
                "lines_required",
                "lines: the invoice was partly credited before; name the lines to credit",
            ));
        }
    };
    // Price the note as it will be drafted, then reserve its total on the invoice first: two
    // notes at once can never credit more than the invoice.
    let (_, totals) = if recorded.is_empty() {
        price_lines(lines.clone(), &treatment, currency)?
    } else {
        recorded_lines(recorded.clone(), currency)?
    };
    // The id names this invoice's note or nothing yet: another document's id would be taken
    // for a note of this invoice, reserved here and answered with that document's number.
    let existing = core
        .store
        .load::<Invoice>(&credit_note_id.to_string())
        .await?
        .aggregate;
    if existing.is_drafted() && existing.corrects() != Some(InvoiceId::from_uuid(id)) {
        return Err(Error::conflict(
            "credit_note_exists",
            format!("credit_note_id: {credit_note_id} names another document"),
        ));
    }
    let issued_on = when.today();
    let (Some(provider_id), Some(company_id), Some(client_id)) = (
        original.provider_id(),
        original.company_id(),
        original.client_id(),
    ) else {
        return Err(Error::not_found(
            "invoice_not_found",
            format!("no invoice {id}"),
        ));
    };
    let draft = InvoiceCommand::DraftInvoice {
        invoice_id: credit_note_id,
        kind: InvoiceKind::CreditNote,
        provider_id,
        company_id,
        client_id,
        seller,
        payer,
        currency,
        lines,
        recorded,
        drafted_on: issued_on,
        treatment,
        issued_on,
        due_on: issued_on,
        payment_id: None,
        period: None,
        corrects: Some(InvoiceId::from_uuid(id)),
        note: Some(input.reason),
    };
    // The note's own rules (its reason among them) are asked before anything is reserved: a
    // note that could not be drafted must leave the invoice as it was.
    if !existing.is_drafted() {
        Invoice::default().decide(draft.clone())?;
    }
    core.store
        .execute::<Invoice>(
            &id.to_string(),
            InvoiceCommand::RecordCreditNote {
                credit_note_id,
                gross: totals.gross,
            },
            context,
            &[],
        )
        .await?;
    let keys: Vec<CommandKey> = key.into_iter().collect();
    Ok(invoicing::issue(&core.store, credit_note_id, draft, context, &keys).await?)
}

/// Asks for the issued document `id` (an invoice or a credit note) to be e-mailed to `to`, or to
/// the client's address; the aggregate refuses a draft, a cancelled proforma and a bad address,
/// and the notifier sends the e-mail once per request. Returns the position of the request.
pub async fn send_invoice(
    core: &Core,
    context: &CommandContext,
    key: Option<CommandKey>,
    id: Uuid,
    to: Option<String>,
) -> Result<i64, Error> {
    let command = InvoiceCommand::RequestSend {
        recipient: to,
        requested_by: context.actor.to_string(),
    };
    let keys: Vec<CommandKey> = key.into_iter().collect();
    let committed = core
        .store
        .execute::<Invoice>(&id.to_string(), command, context, &keys)
        .await?;
    Ok(committed.position)
}

/// An issued line as it was recorded (for a credit note of a whole monthly invoice).
fn recorded_line(line: &InvoiceLine) -> RecordedLine {
    RecordedLine {
        description: line.description.clone(),
        amounts: TaxedAmount {
            rate: line.tax_rate,
            net: line.net,
            tax: line.tax,
            gross: line.gross,
        },
    }
}

/// An issued line as a line to price again (for a credit note of the whole invoice).
fn line_input(line: &InvoiceLine) -> LineInput {
    LineInput::new(&line.description, line.quantity, line.unit_price).with_discount(line.discount)
}

/// One document a monthly run issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthlyIssued {
    /// The invoice.
    pub invoice_id: InvoiceId,
    /// Its number and the position of its `InvoiceIssued` event.
    pub issued: Issued,
}

/// An account whose monthly invoice was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthlyRefused {
    /// The account.
    pub account_id: Uuid,
    /// The refusal's code and what it says.
    pub code: &'static str,
    /// What was refused, as the problem's detail says it.
    pub detail: String,
}

/// What a monthly run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthlyRun {
    /// Invoices issued by this run (a repeated run issues none again).
    pub issued: Vec<MonthlyIssued>,
    /// The accounts whose invoice the `Invoice` refused, each with why: the run goes on with
    /// the others, and a later run tries them again.
    pub refused: Vec<MonthlyRefused>,
    /// The global position after the run.
    pub position: i64,
}

/// Which providers' clocks show `period` ended, for a monthly run.
struct Ended {
    period: InvoicePeriod,
    /// Whether it ended by real time (live providers).
    live: bool,
    /// Each provider's business time, once looked up.
    times: HashMap<ProviderId, BusinessTime>,
}

impl Ended {
    /// The business time of `provider` when `period` has ended by it, else `None`.
    async fn when(
        &mut self,
        core: &Core,
        provider: ProviderId,
    ) -> Result<Option<BusinessTime>, Error> {
        let when = match self.times.get(&provider) {
            Some(when) => *when,
            None => {
                let when = core.time_of(provider).await?;
                self.times.insert(provider, when);
                when
            }
        };
        let ended = if when.is_sandbox() {
            self.period.ensure_ended(when.today()).is_ok()
        } else {
            self.live
        };
        Ok(ended.then_some(when))
    }
}

/// Refuses a run for a month no provider's clock shows ended: not by real time, nor by any
/// sandbox provider's clock.
async fn ended_for(core: &Core, period: InvoicePeriod) -> Result<Ended, Error> {
    let refusal = period.ensure_ended(core.today()).err();
    let mut ended = Ended {
        period,
        live: refusal.is_none(),
        times: HashMap::new(),
    };
    let Some(refused) = refusal else {
        return Ok(ended);
    };
    for sandbox in projections::clients::sandbox_ids(&core.pool).await? {
        if ended
            .when(core, ProviderId::from_uuid(sandbox))
            .await?
            .is_some()
        {
            return Ok(ended);
        }
    }
    Err(refused.into())
}

/// Issues the monthly invoices for `period` (a month that has ended), one per account, from the
/// provider's first company: to post-paid clients (accounts with a credit limit), and to prepaid
/// clients when the company's tax document is `monthly_consumption`. Every movement of the month
/// is a line, with the tax the account recorded. A repeated run issues nothing twice: each
/// invoice's id is derived from the account and the month.
pub async fn run_monthly(
    core: &Core,
    context: &CommandContext,
    period: InvoicePeriod,
) -> Result<MonthlyRun, Error> {
    // Refused before anything is read, even for a month without charges; each draft checks it
    // again.
    let mut ended = ended_for(core, period).await?;
    let head = eventstore::log::head_position(core.pool.primary()).await?;
    core.consistent(
        &[
            ReadModel::Balances,
            ReadModel::Expenses,
            ReadModel::Companies,
        ],
        Some(head),
    )
    .await?;
    let rows =
        projections::expenses::monthly_movements(&core.pool, period.start, period.end).await?;
    // The last moment of the month.
    let period_end =
        period.end.and_time(chrono::NaiveTime::MIN).and_utc() - chrono::Duration::microseconds(1);
    let mut issued = Vec::new();
    let mut refused = Vec::new();
    let mut position = head;
    // Each provider's issuing company, its details as they are now, and the tax document it
    // chose as it stood at the month's end (as it is now if it did not exist yet then).
    let mut issuers: HashMap<Uuid, Option<(Company, SellerDetails, Option<TaxDocument>)>> =
        HashMap::new();
    for group in rows.chunk_by(|a, b| a.account_id == b.account_id) {
        let first = &group[0];
        let provider_id = ProviderId::from_uuid(first.provider_id);
        // Each provider's month ends by its own clock: a sandbox's may be over before the real
        // one is, or not yet.
        let Some(when) = ended.when(core, provider_id).await? else {
            continue;
        };
        let context = &when.stamp(context);
        // Each provider's issuing company is looked up once per run, not once per account.
        if let Entry::Vacant(vacant) = issuers.entry(first.provider_id) {
            let issuer = match invoicing::issuer_of(&core.store, provider_id).await? {
                Some(company) => {
                    let seller = company.seller().ok_or_else(|| {
                        Error::not_found(
                            "company_not_found",
                            format!("no company of provider {provider_id}"),
                        )
                    })?;
                    let then = core
                        .store
                        .load_as_of::<Company>(&seller.company_id.to_string(), period_end)
                        .await?
                        .aggregate
                        .tax_document();
                    let document = then.or_else(|| company.tax_document());
                    Some((company, seller, document))
                }
                None => None,
            };
            vacant.insert(issuer);
        }
        let Some((company, seller, tax_document)) =
            issuers.get(&first.provider_id).cloned().flatten()
        else {
            tracing::warn!(provider_id = %first.provider_id, "no company to issue monthly invoices from");
            continue;
        };
        // A prepaid client gets its tax document on payment unless the company chose a monthly
        // invoice of its consumption. Prepaid or post-paid as the account stood at the month's
        // end (its credit limit then), not when the run comes: a limit set after the month must
        // not document the month's payments twice, nor one removed leave them undocumented.
        let post_paid = core
            .store
            .load_as_of::<domain::account::Account>(
                &AccountId::from_uuid(first.account_id).to_string(),
                period_end,
            )
            .await?
            .aggregate
            .credit_limit()
            .is_some_and(|limit| limit.is_positive());
        if tax_document.is_some_and(|document| document.documents_payment(!post_paid)) {
            continue;
        }
        let currency = Currency::parse(&first.currency).map_err(|e| Error::internal(&e))?;
        let client = core
            .store
            .load::<Client>(&first.client_id.to_string())
            .await?
            .aggregate;
        let payer = crate::usecases::payers::payer_of(&client, first.client_id)?;
        let money = |amount| Money::from_decimal(amount, currency).map_err(|e| Error::internal(&e));
        let recorded = group
            .iter()
            .map(|row| {
                Ok(RecordedLine {
                    description: row.description.clone(),
                    amounts: TaxedAmount {
                        rate: TaxRate::new(row.tax_rate).map_err(|e| Error::internal(&e))?,
                        net: money(row.net)?,
                        tax: money(row.tax)?,
                        gross: money(row.gross)?,
                    },
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let invoice_id = InvoiceId::monthly(AccountId::from_uuid(first.account_id), period.start);
        let already = core.store.load::<Invoice>(&invoice_id.to_string()).await?;
        if already.aggregate.is_drafted() {
            // Drafted by an earlier run: only finish its numbering, never draft it again with
            // lines that corrections since may have changed.
            let done = invoicing::number(&core.store, invoice_id, context).await?;
            position = position.max(done.position);
            continue;
        }
        let draft = InvoiceCommand::DraftInvoice {
            invoice_id,
            kind: InvoiceKind::Monthly,
            provider_id,
            company_id: seller.company_id,
            client_id: ClientId::from_uuid(first.client_id),
            treatment: company.treatment_for(&payer),
            seller,
            payer,
            currency,
            lines: Vec::new(),
            recorded,
            drafted_on: when.today(),
            issued_on: period.end,
            due_on: period.end + Days::new(14),
            payment_id: None,
            period: Some(period),
            corrects: None,
            note: None,
        };
        // One account's invoice refused by its rules (too many lines, say) must not keep every
        // later account's from being issued: it is reported, and the run goes on.
        let done = match invoicing::issue(&core.store, invoice_id, draft, context, &[]).await {
            Ok(done) => done,
            Err(error) => {
                let error = Error::from(error);
                if !matches!(
                    error.kind,
                    crate::usecases::Kind::Refused | crate::usecases::Kind::Invalid
                ) {
                    return Err(error);
                }
                tracing::error!(account = %first.account_id, code = error.code,
                    detail = %error.detail, "a monthly invoice was refused");
                refused.push(MonthlyRefused {
                    account_id: first.account_id,
                    code: error.code,
                    detail: error.detail,
                });
                continue;
            }
        };
        position = position.max(done.position);
        issued.push(MonthlyIssued {
            invoice_id,
            issued: done,
        });
    }
    Ok(MonthlyRun {
        issued,
        refused,
        position,
    })
}
