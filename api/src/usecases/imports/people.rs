//! The second half of checking a bundle: the providers' companies, the clients' payers and
//! users, and the invoices left open there, each turned into its import command once every row
//! is checked (see [`super::plan`]).
//!
//! A user's password hash is kept only when it is an argon2 PHC string (`$argon2id$…`,
//! `$argon2i$…`, `$argon2d$…`): the store writes it to `credentials`, never to an event
//! (ADR 0011). Any other format is not accepted as a hash: the user is imported with a forced
//! reset, recorded in `ClientUserImported` as `password_reset_required`.

use std::collections::{BTreeSet, HashMap};

use domain::access::{ClientRole, DisplayName, Login, PasswordHash, UserCommand};
use domain::client::{ClientKind, ClientName, Country, Email};
use domain::company::{Company, CompanyCommand, InvoiceNumbering, NumberingReset, SellerDetails};
use domain::ids::{CompanyId, InvoiceId, PayerId, ProviderId, UserId};
use domain::invoice::{Invoice, InvoiceCommand};
use domain::money::{Currency, Money};
use domain::payer::{Payer, PayerCommand, PayerProfile};
use domain::tax::{LineInput, QUANTITY_DECIMALS_MAX, QUANTITY_MAX, TaxMode, TaxRate, TaxTreatment};
use rust_decimal::Decimal;

use super::bundle::{BadRow, Bundle, InvoiceRow};
use super::plan::{KnownClient, Plan, Rows, day, named};

/// A company as the invoices refer to it.
struct KnownCompany {
    provider: String,
    seller: SellerDetails,
}

/// Whether `hash` is an argon2 PHC string, the one format kept as a credential.
pub fn is_argon2_phc(hash: &str) -> bool {
    ["$argon2id$", "$argon2i$", "$argon2d$"]
        .iter()
        .any(|prefix| hash.starts_with(prefix))
        && hash.split('$').count() >= 5
}

/// Checks the companies, payers, users and invoices of `bundle`, adding their commands to
/// `plan` and their problems to `bad`.
pub(super) fn plan(
    bundle: &Bundle,
    system: &str,
    providers: &HashMap<String, (ProviderId, Currency)>,
    clients: &HashMap<String, KnownClient>,
    bad: &mut Vec<BadRow>,
    plan: &mut Plan,
) {
    let companies = companies(bundle, system, providers, bad, plan);
    payers(bundle, system, clients, bad, plan);
    users(bundle, system, clients, bad, plan);
    let mut rows = Rows {
        entity: "invoices",
        bad,
    };
    let mut seen = HashMap::new();
    let mut numbers: HashMap<(String, String), usize> = HashMap::new();
    for (index, row) in bundle.invoices.iter().enumerate() {
        if let Some(command) = invoice(
            &mut rows,
            index + 1,
            row,
            system,
            &mut seen,
            &mut numbers,
            clients,
            &companies,
        ) {
            plan.invoices.push(command);
        }
    }
}

fn companies(
    bundle: &Bundle,
    system: &str,
    providers: &HashMap<String, (ProviderId, Currency)>,
    bad: &mut Vec<BadRow>,
    plan: &mut Plan,
) -> HashMap<String, KnownCompany> {
    let mut known = HashMap::new();
    let mut rows = Rows {
        entity: "companies",
        bad,
    };
    let mut seen = HashMap::new();
    for (index, c) in bundle.companies.iter().enumerate() {
        let row = index + 1;
        let id = c.id.as_str();
        let source = rows.source(row, system, id, &mut seen);
        let Some(&(provider_id, _)) = providers.get(&c.provider) else {
            rows.bad(
                row,
                id,
                "provider",
                format!("no provider {:?} in the bundle", c.provider),
            );
            continue;
        };
        let country = rows.ok(row, id, "country", Country::parse(c.country.trim()));
        let vat_number = match &c.vat_number {
            Some(text) => rows
                .ok(
                    row,
                    id,
                    "vat_number",
                    domain::tax::VatNumber::parse(text.trim()),
                )
                .map(Some),
            None => Some(None),
        };
        let numbering = rows.ok(
            row,
            id,
            "invoice_prefix",
            InvoiceNumbering::new(
                c.invoice_prefix.as_deref().unwrap_or("INV").trim(),
                NumberingReset::Yearly,
            ),
        );
        let (Some(source), Some(country), Some(vat_number), Some(numbering)) =
            (source, country, vat_number, numbering)
        else {
            continue;
        };
        let company_id = CompanyId::from_uuid(source.derived("company"));
        let command = CompanyCommand::ImportCompany {
            company_id,
            provider_id,
            name: c.name.clone(),
            country,
            vat_number,
            address: c.address.clone(),
            numbering,
            source,
        };
        let mut company = Company::default();
        let Some(events) = rows.ok(row, id, "name", company.decide(command.clone())) else {
            continue;
        };
        for event in events {
            cqrs_es::Aggregate::apply(&mut company, event);
        }
        if let Some(seller) = company.seller() {
            known.insert(
                c.id.clone(),
                KnownCompany {
                    provider: c.provider.clone(),
                    seller,
                },
            );
        }
        plan.companies.push((company_id.to_string(), command));
    }
    known
}

fn payers(
    bundle: &Bundle,
    system: &str,
    clients: &HashMap<String, KnownClient>,
    bad: &mut Vec<BadRow>,
    plan: &mut Plan,
) {
    let mut rows = Rows {
        entity: "payers",
        bad,
    };
    let mut seen = HashMap::new();
    for (index, p) in bundle.payers.iter().enumerate() {
        let row = index + 1;
        let id = p.id.as_str();
        let source = rows.source(row, system, id, &mut seen);
        let Some(client) = clients.get(&p.client) else {
            rows.bad(
                row,
                id,
                "client",
                format!("no client {:?} in the bundle", p.client),
            );
            continue;
        };
        let kind = match &p.kind {
            Some(kind) => rows.ok(row, id, "kind", named::<ClientKind>(kind, "client kind")),
            None => Some(ClientKind::Individual),
        };
        let name = rows.ok(row, id, "name", ClientName::parse(&p.name));
        let country = rows.ok(row, id, "country", Country::parse(p.country.trim()));
        let vat_number = match &p.vat_number {
            Some(text) => rows
                .ok(
                    row,
                    id,
                    "vat_number",
                    domain::tax::VatNumber::parse(text.trim()),
                )
                .map(Some),
            None => Some(None),
        };
        let email = match &p.email {
            Some(text) => rows.ok(row, id, "email", Email::parse(text)).map(Some),
            None => Some(None),
        };
        let (Some(source), Some(kind), Some(name), Some(country), Some(vat_number), Some(email)) =
            (source, kind, name, country, vat_number, email)
        else {
            continue;
        };
        let payer_id = PayerId::from_uuid(source.derived("payer"));
        let command = PayerCommand::ImportPayer {
            payer_id,
            client_id: client.id,
            provider_id: client.provider_id,
            profile: PayerProfile {
                kind,
                name,
                country,
                vat_number,
                registration_number: p.registration_number.clone(),
                address: p.address.clone(),
                email,
            },
            source,
        };
        if rows
            .ok(row, id, "profile", Payer::default().decide(command.clone()))
            .is_some()
        {
            plan.payers.push((payer_id.to_string(), command));
        }
    }
}

fn users(
    bundle: &Bundle,
    system: &str,
    clients: &HashMap<String, KnownClient>,
    bad: &mut Vec<BadRow>,
    plan: &mut Plan,
) {
    let mut rows = Rows {
        entity: "users",
        bad,
    };
    let mut seen = HashMap::new();
    let mut logins: HashMap<String, usize> = HashMap::new();
    for (index, u) in bundle.users.iter().enumerate() {
        let row = index + 1;
        let id = u.id.as_str();
        let source = rows.source(row, system, id, &mut seen);
        let Some(client) = clients.get(&u.client) else {
            rows.bad(
                row,
                id,
                "client",
                format!("no client {:?} in the bundle", u.client),
            );
            continue;
        };
        let Some(login) = rows.ok(row, id, "email", Login::parse(&u.email)) else {
            continue;
        };
        if let Some(first) = logins.insert(login.as_str().to_owned(), row) {
            rows.bad(row, id, "email", format!("the same login as row {first}"));
            continue;
        }
        let name = rows.ok(
            row,
            id,
            "name",
            DisplayName::parse(u.name.as_deref().unwrap_or(login.as_str())),
        );
        let roles = match &u.roles {
            Some(roles) => roles
                .iter()
                .map(|role| rows.ok(row, id, "roles", named::<ClientRole>(role, "client role")))
                .collect::<Option<BTreeSet<_>>>(),
            None => Some(BTreeSet::from([ClientRole::Owner])),
        };
        // Only an argon2 PHC string is kept; anything else means a forced reset.
        let password_hash = match u.password_hash.as_deref().map(str::trim) {
            Some(hash) if is_argon2_phc(hash) => rows
                .ok(
                    row,
                    id,
                    "password_hash",
                    PasswordHash::from_phc(hash.to_owned()),
                )
                .map(Some),
            _ => Some(None),
        };
        let (Some(source), Some(name), Some(roles), Some(password_hash)) =
            (source, name, roles, password_hash)
        else {
            continue;
        };
        let user_id = UserId::for_login(&login);
        let command = UserCommand::ImportClientUser {
            user_id,
            client_id: client.id,
            name,
            login,
            password_hash,
            roles,
            source,
        };
        if rows
            .ok(
                row,
                id,
                "roles",
                domain::access::ClientUser::default().decide(command.clone()),
            )
            .is_some()
        {
            plan.users.push((user_id.to_string(), command));
        }
    }
}

/// One invoice row as its `ImportInvoice` command, or `None` with its problems recorded.
#[expect(
    clippy::too_many_arguments,
    reason = "the row and what it is checked against"
)]
fn invoice(
    rows: &mut Rows<'_>,
    row: usize,
    i: &InvoiceRow,
    system: &str,
    seen: &mut HashMap<String, usize>,
    numbers: &mut HashMap<(String, String), usize>,
    clients: &HashMap<String, KnownClient>,
    companies: &HashMap<String, KnownCompany>,
) -> Option<(String, InvoiceCommand)> {
    let id = i.id.as_str();
    let source = rows.source(row, system, id, seen);
    let Some(client) = clients.get(&i.client) else {
        rows.bad(
            row,
            id,
            "client",
            format!("no client {:?} in the bundle", i.client),
        );
        return None;
    };
    let Some(company) = companies.get(&i.company) else {
        rows.bad(
            row,
            id,
            "company",
            format!("no company {:?} in the bundle", i.company),
        );
        return None;
    };
    if company.provider != client.provider {
        rows.bad(
            row,
            id,
            "company",
            "the company is another provider's than the client's",
        );
        return None;
    }
    if let Some(first) = numbers.insert((i.company.clone(), i.number.trim().to_owned()), row) {
        rows.bad(
            row,
            id,
            "number",
            format!("the same number of the same company as row {first}"),
        );
        return None;
    }
    let currency = client.currency;
    let issued_on = rows.ok(row, id, "issued_on", day(&i.issued_on));
    let due_on = rows.ok(row, id, "due_on", day(&i.due_on));
    let treatment = match &i.tax_rate {
        None => Some(TaxTreatment::NotTaxed),
        Some(rate) => {
            let rate = rows.ok(row, id, "tax_rate", TaxRate::parse(rate.trim()));
            let mode = match &i.tax_mode {
                Some(mode) => rows.ok(row, id, "tax_mode", named::<TaxMode>(mode, "tax mode")),
                None => Some(TaxMode::Added),
            };
            match (rate, mode) {
                (Some(rate), Some(mode)) => Some(TaxTreatment::Standard { rate, mode }),
                _ => None,
            }
        }
    };
    let mut lines = Vec::new();
    let mut lines_good = true;
    for (n, line) in i.lines.iter().enumerate() {
        let field = format!("lines[{n}]");
        let quantity = match &line.quantity {
            Some(text) => rows.ok(
                row,
                id,
                &format!("{field}.quantity"),
                domain::decimal::parse_plain(
                    text.trim(),
                    QUANTITY_MAX.to_string().len(),
                    usize::try_from(QUANTITY_DECIMALS_MAX).unwrap_or(usize::MAX),
                ),
            ),
            None => Some(Decimal::ONE),
        };
        let unit_price = rows.ok(
            row,
            id,
            &format!("{field}.unit_price"),
            Money::parse(line.unit_price.trim(), currency),
        );
        match (quantity, unit_price) {
            (Some(quantity), Some(unit_price)) => {
                lines.push(LineInput::new(&line.description, quantity, unit_price));
            }
            _ => lines_good = false,
        }
    }
    let total = match &i.total {
        Some(text) => rows
            .ok(row, id, "total", Money::parse(text.trim(), currency))
            .map(Some),
        None => Some(None),
    };
    let Some(payer) = client.payer.clone() else {
        // The client's own row is bad and listed already.
        return None;
    };
    let (Some(source), Some(issued_on), Some(due_on), Some(treatment), Some(total), true) =
        (source, issued_on, due_on, treatment, total, lines_good)
    else {
        return None;
    };
    let invoice_id = InvoiceId::from_uuid(source.derived("invoice"));
    let command = InvoiceCommand::ImportInvoice {
        invoice_id,
        provider_id: client.provider_id,
        company_id: company.seller.company_id,
        client_id: client.id,
        seller: company.seller.clone(),
        payer,
        currency,
        lines,
        treatment,
        number: i.number.trim().to_owned(),
        issued_on,
        due_on,
        source,
    };
    let events = rows.ok(row, id, "lines", Invoice::default().decide(command.clone()))?;
    if let (Some(total), Some(domain::invoice::InvoiceEvent::InvoiceImported { totals, .. })) =
        (total, events.first())
        && totals.gross != total
    {
        rows.bad(
            row,
            id,
            "total",
            format!(
                "the lines add up to {}, not {}",
                totals.gross.amount(),
                total.amount()
            ),
        );
        return None;
    }
    Some((invoice_id.to_string(), command))
}

/// The bundle's users whose login is someone else's here already: a staff member's, or a user
/// not imported from the same row for the same client. (A user this bundle imported before is
/// left alone as ever.) The one check that reads the store, two queries before anything is
/// written.
pub(super) async fn logins_taken(
    store: &eventstore::EventStore,
    bundle: &Bundle,
    plan: &Plan,
) -> Result<Vec<BadRow>, crate::usecases::Error> {
    let mut users = Vec::new();
    let mut staff = Vec::new();
    for row in &bundle.users {
        if let Ok(login) = Login::parse(&row.email) {
            users.push(UserId::for_login(&login).to_string());
            staff.push(domain::ids::StaffId::for_login(&login).to_string());
        }
    }
    if users.is_empty() {
        return Ok(Vec::new());
    }
    let first_events: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT aggregate_type, aggregate_id, payload::text FROM events
          WHERE sequence = 1
            AND ((aggregate_type = 'ClientUser' AND aggregate_id = ANY($1))
              OR (aggregate_type = 'StaffMember' AND aggregate_id = ANY($2)))",
    )
    .bind(&users)
    .bind(&staff)
    .fetch_all(store.pool())
    .await
    .map_err(|e| crate::usecases::Error::internal(&e))?;
    let mut existing: HashMap<String, Option<domain::access::UserEvent>> = HashMap::new();
    let mut staff_taken = std::collections::HashSet::new();
    for (kind, id, payload) in first_events {
        if kind == "StaffMember" {
            staff_taken.insert(id);
        } else {
            existing.insert(id, serde_json::from_str(&payload).ok());
        }
    }
    let planned: HashMap<&str, &UserCommand> = plan
        .users
        .iter()
        .map(|(id, command)| (id.as_str(), command))
        .collect();
    let mut bad = Vec::new();
    for (index, row) in bundle.users.iter().enumerate() {
        let Ok(login) = Login::parse(&row.email) else {
            continue;
        };
        let user_id = UserId::for_login(&login).to_string();
        let taken_by_staff =
            staff_taken.contains(&domain::ids::StaffId::for_login(&login).to_string());
        let taken_by_user = match (existing.get(&user_id), planned.get(user_id.as_str())) {
            (None, _) => false,
            (
                Some(Some(domain::access::UserEvent::ClientUserImported {
                    client_id, source, ..
                })),
                Some(UserCommand::ImportClientUser {
                    client_id: planned_client,
                    source: planned_source,
                    ..
                }),
            ) => client_id != planned_client || source != planned_source,
            _ => true,
        };
        if taken_by_staff || taken_by_user {
            bad.push(BadRow {
                entity: "users".to_owned(),
                row: index + 1,
                source_id: row.id.clone(),
                field: "email".to_owned(),
                problem: "this login is taken here by another user or a staff member".to_owned(),
            });
        }
    }
    Ok(bad)
}
