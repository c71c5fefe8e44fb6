//! A bundle checked whole and turned into the commands that import it: every row is parsed into
//! domain types, every reference resolved inside the bundle, and every command decided once on
//! an empty aggregate (the domain's own rules, in memory), so that a bundle with any bad row is
//! refused with the list of all of them before anything is written.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use domain::account::{Account, AccountCommand};
use domain::client::{Client, ClientCommand, ClientKind, ClientName, Country, Email};
use domain::ids::{AccountId, ClientId, ProviderId, ServiceId, TariffId};
use domain::import::ImportSource;
use domain::money::{Currency, Money};
use domain::period::BillingPeriod;
use domain::provider::{Provider, ProviderCommand};
use domain::service::{Service, ServiceCommand, SuspendReason};
use domain::tariff::{
    AddonCode, AddonLine, AddonValue, ItemType, PeriodPrice, ServiceTerms, Tariff, TariffCommand,
};

use super::bundle::{BadRow, Bundle, ServiceRow};

/// The commands of an import, in the order they are written, each with its aggregate's id.
#[derive(Debug, Default)]
pub struct Plan {
    /// The source system.
    pub system: String,
    /// `ImportProvider` for each provider.
    pub providers: Vec<(String, ProviderCommand)>,
    /// `ImportTariff` for each tariff.
    pub tariffs: Vec<(String, TariffCommand)>,
    /// `ImportClient` for each client.
    pub clients: Vec<(String, ClientCommand)>,
    /// `ImportBalance` for each client with a balance or a credit limit.
    pub balances: Vec<(String, AccountCommand)>,
    /// `ImportService` for each service.
    pub services: Vec<(String, ServiceCommand)>,
    /// `ImportCompany` for each company.
    pub companies: Vec<(String, domain::company::CompanyCommand)>,
    /// `ImportPayer` for each payer.
    pub payers: Vec<(String, domain::payer::PayerCommand)>,
    /// `ImportClientUser` for each user.
    pub users: Vec<(String, domain::access::UserCommand)>,
    /// `ImportInvoice` for each open invoice.
    pub invoices: Vec<(String, domain::invoice::InvoiceCommand)>,
    /// Closed services (status `closed`), checked and left out: their history stays in the
    /// source system, where the statements for their paid periods were made.
    pub closed_services: u64,
}

/// A tariff as the services refer to it.
struct KnownTariff {
    id: TariffId,
    provider: String,
    name: String,
    item_type: ItemType,
    prices: Vec<PeriodPrice>,
}

/// A client as the services refer to it.
pub(super) struct KnownClient {
    pub(super) id: ClientId,
    pub(super) provider: String,
    pub(super) provider_id: ProviderId,
    pub(super) currency: Currency,
    /// Its details as an invoice prints them, when its row is good.
    pub(super) payer: Option<domain::invoice::PayerDetails>,
}

/// Collects the bad rows of one list.
pub(super) struct Rows<'a> {
    pub(super) entity: &'static str,
    pub(super) bad: &'a mut Vec<BadRow>,
}

impl Rows<'_> {
    pub(super) fn bad(&mut self, row: usize, source_id: &str, field: &str, problem: impl ToString) {
        self.bad.push(BadRow {
            entity: self.entity.to_owned(),
            row,
            source_id: source_id.to_owned(),
            field: field.to_owned(),
            problem: problem.to_string(),
        });
    }

    /// `Some(value)` when `result` is `Ok`, otherwise records the problem.
    pub(super) fn ok<T, E: ToString>(
        &mut self,
        row: usize,
        source_id: &str,
        field: &str,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.bad(row, source_id, field, error);
                None
            }
        }
    }

    /// The row's source, recorded as bad when it is not valid or its id is taken.
    pub(super) fn source(
        &mut self,
        row: usize,
        system: &str,
        id: &str,
        seen: &mut HashMap<String, usize>,
    ) -> Option<ImportSource> {
        if let Some(first) = seen.insert(id.to_owned(), row) {
            self.bad(row, id, "id", format!("the same id as row {first}"));
            return None;
        }
        self.ok(row, id, "id", ImportSource::parse(system, id))
    }
}

pub(super) fn day(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| format!("{text:?} is not a date YYYY-MM-DD"))
}

/// A snake_case name as the domain's enum spells it.
pub(super) fn named<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(text.trim().to_owned()))
        .map_err(|_| format!("{text:?} is not a known {what}"))
}

/// Checks `bundle` whole: the plan, or every bad row.
pub fn plan(bundle: &Bundle) -> Result<Plan, Vec<BadRow>> {
    let mut bad = Vec::new();
    let system = bundle.source.trim().to_owned();
    if let Err(error) = ImportSource::parse(&system, "-") {
        bad.push(BadRow {
            entity: "bundle".to_owned(),
            row: 0,
            source_id: String::new(),
            field: "source".to_owned(),
            problem: error.to_string(),
        });
        return Err(bad);
    }
    let mut plan = Plan {
        system: system.clone(),
        ..Plan::default()
    };

    // Providers.
    let mut providers: HashMap<String, (ProviderId, Currency)> = HashMap::new();
    let mut rows = Rows {
        entity: "providers",
        bad: &mut bad,
    };
    let mut seen = HashMap::new();
    for (index, p) in bundle.providers.iter().enumerate() {
        let row = index + 1;
        let source = rows.source(row, &system, &p.id, &mut seen);
        let currency = rows.ok(row, &p.id, "currency", Currency::parse(p.currency.trim()));
        let (Some(source), Some(currency)) = (source, currency) else {
            continue;
        };
        let provider_id = ProviderId::from_uuid(source.derived("provider"));
        // An imported provider is live: its commands are dated by real time.
        let command = ProviderCommand::ImportProvider {
            provider_id,
            name: p.name.clone(),
            currency,
            source,
        };
        if rows
            .ok(
                row,
                &p.id,
                "name",
                Provider::default().decide(command.clone()),
            )
            .is_some()
        {
            providers.insert(p.id.clone(), (provider_id, currency));
            plan.providers.push((provider_id.to_string(), command));
        }
    }

    // Tariffs.
    let mut tariffs: HashMap<String, KnownTariff> = HashMap::new();
    let mut rows = Rows {
        entity: "tariffs",
        bad: &mut bad,
    };
    let mut seen = HashMap::new();
    for (index, t) in bundle.tariffs.iter().enumerate() {
        let row = index + 1;
        let source = rows.source(row, &system, &t.id, &mut seen);
        let Some(&(provider_id, currency)) = providers.get(&t.provider) else {
            rows.bad(
                row,
                &t.id,
                "provider",
                format!("no provider {:?} in the bundle", t.provider),
            );
            continue;
        };
        let item_type = rows.ok(
            row,
            &t.id,
            "item_type",
            named::<ItemType>(&t.item_type, "item type"),
        );
        let mut prices = Vec::new();
        for (n, price) in t.prices.iter().enumerate() {
            let field = format!("prices[{n}]");
            let period = rows.ok(
                row,
                &t.id,
                &format!("{field}.period"),
                BillingPeriod::parse(&price.period),
            );
            let amount = rows.ok(
                row,
                &t.id,
                &format!("{field}.price"),
                Money::parse(price.price.trim(), currency),
            );
            if let (Some(period), Some(price)) = (period, amount) {
                prices.push(PeriodPrice { period, price });
            }
        }
        let setup_fees = match &t.setup_fee {
            Some(fee) => rows
                .ok(row, &t.id, "setup_fee", Money::parse(fee.trim(), currency))
                .into_iter()
                .collect(),
            None => Vec::new(),
        };
        let (Some(source), Some(item_type)) = (source, item_type) else {
            continue;
        };
        let tariff_id = TariffId::from_uuid(source.derived("tariff"));
        tariffs.insert(
            t.id.clone(),
            KnownTariff {
                id: tariff_id,
                provider: t.provider.clone(),
                name: t.name.trim().to_owned(),
                item_type,
                prices: prices.clone(),
            },
        );
        let command = TariffCommand::ImportTariff {
            tariff_id,
            provider_id,
            name: t.name.clone(),
            item_type,
            prices: prices.clone(),
            setup_fees,
            source,
        };
        if rows
            .ok(
                row,
                &t.id,
                "prices",
                Tariff::default().decide(command.clone()),
            )
            .is_some()
        {
            plan.tariffs.push((tariff_id.to_string(), command));
        }
    }

    // Clients and their balances.
    let mut clients: HashMap<String, KnownClient> = HashMap::new();
    let mut rows = Rows {
        entity: "clients",
        bad: &mut bad,
    };
    let mut seen = HashMap::new();
    for (index, c) in bundle.clients.iter().enumerate() {
        let row = index + 1;
        let source = rows.source(row, &system, &c.id, &mut seen);
        let Some(&(provider_id, currency)) = providers.get(&c.provider) else {
            rows.bad(
                row,
                &c.id,
                "provider",
                format!("no provider {:?} in the bundle", c.provider),
            );
            continue;
        };
        let name = rows.ok(row, &c.id, "name", ClientName::parse(&c.name));
        let email = rows.ok(row, &c.id, "email", Email::parse(&c.email));
        let kind = match &c.kind {
            Some(kind) => rows.ok(row, &c.id, "kind", named::<ClientKind>(kind, "client kind")),
            None => Some(ClientKind::Individual),
        };
        let country = rows.ok(row, &c.id, "country", Country::parse(c.country.trim()));
        let registered_on = match &c.registered_on {
            Some(text) => rows.ok(row, &c.id, "registered_on", day(text)).map(Some),
            None => Some(None),
        };
        let zero = Money::zero(currency);
        let balance = match &c.balance {
            Some(text) => rows.ok(row, &c.id, "balance", Money::parse(text.trim(), currency)),
            None => Some(zero),
        };
        let credit_limit = match &c.credit_limit {
            Some(text) => rows.ok(
                row,
                &c.id,
                "credit_limit",
                Money::parse(text.trim(), currency),
            ),
            None => Some(zero),
        };
        // A client whose row is bad is still known to its services, which are checked on
        // their own rather than listed as naming an unknown client.
        let Some(source) = source else {
            continue;
        };
        let client_id = ClientId::from_uuid(source.derived("client"));
        let payer = match (&name, &email, kind, country) {
            (Some(name), Some(email), Some(kind), Some(country)) => {
                Some(domain::invoice::PayerDetails {
                    client_id,
                    name: name.as_str().to_owned(),
                    email: email.as_str().to_owned(),
                    country,
                    kind,
                    vat_number: None,
                    address: None,
                    payer_id: None,
                })
            }
            _ => None,
        };
        clients.insert(
            c.id.clone(),
            KnownClient {
                id: client_id,
                provider: c.provider.clone(),
                provider_id,
                currency,
                payer,
            },
        );
        let (
            Some(name),
            Some(email),
            Some(kind),
            Some(country),
            Some(registered_on),
            Some(balance),
            Some(credit_limit),
        ) = (
            name,
            email,
            kind,
            country,
            registered_on,
            balance,
            credit_limit,
        )
        else {
            continue;
        };
        let account = AccountCommand::ImportBalance {
            client_id,
            provider_id,
            balance,
            credit_limit,
            source: source.clone(),
        };
        if (!balance.is_zero() || !credit_limit.is_zero())
            && rows
                .ok(
                    row,
                    &c.id,
                    "balance",
                    Account::default().decide(account.clone()),
                )
                .is_some()
        {
            let account_id = AccountId::of(client_id, provider_id, currency);
            plan.balances.push((account_id.to_string(), account));
        }
        let command = ClientCommand::ImportClient {
            client_id,
            provider_id,
            currency,
            name,
            email,
            kind,
            country,
            registered_on,
            active: c.active.unwrap_or(true),
            source,
        };
        if rows
            .ok(row, &c.id, "id", Client::default().decide(command.clone()))
            .is_some()
        {
            plan.clients.push((client_id.to_string(), command));
        }
    }

    // Services.
    let mut rows = Rows {
        entity: "services",
        bad: &mut bad,
    };
    let mut seen = HashMap::new();
    for (index, s) in bundle.services.iter().enumerate() {
        let row = index + 1;
        if s.status.as_deref().map(str::trim) == Some("closed") {
            if rows.source(row, &system, &s.id, &mut seen).is_some() {
                plan.closed_services += 1;
            }
            continue;
        }
        if let Some((id, command)) =
            service(&mut rows, row, s, &system, &mut seen, &clients, &tariffs)
        {
            plan.services.push((id, command));
        }
    }

    super::people::plan(bundle, &system, &providers, &clients, &mut bad, &mut plan);

    if bad.is_empty() { Ok(plan) } else { Err(bad) }
}

/// One service row as its `ImportService` command, or `None` with its problems recorded.
fn service(
    rows: &mut Rows<'_>,
    row: usize,
    s: &ServiceRow,
    system: &str,
    seen: &mut HashMap<String, usize>,
    clients: &HashMap<String, KnownClient>,
    tariffs: &HashMap<String, KnownTariff>,
) -> Option<(String, ServiceCommand)> {
    let id = s.id.as_str();
    let source = rows.source(row, system, id, seen);
    let Some(client) = clients.get(&s.client) else {
        rows.bad(
            row,
            id,
            "client",
            format!("no client {:?} in the bundle", s.client),
        );
        return None;
    };
    let Some(tariff) = tariffs.get(&s.tariff) else {
        rows.bad(
            row,
            id,
            "tariff",
            format!("no tariff {:?} in the bundle", s.tariff),
        );
        return None;
    };
    if tariff.provider != client.provider {
        rows.bad(
            row,
            id,
            "tariff",
            "the tariff is another provider's than the client's",
        );
        return None;
    }
    let period = rows.ok(row, id, "period", BillingPeriod::parse(s.period.trim()))?;
    let currency = client.currency;
    let price = match &s.price {
        Some(text) => rows.ok(row, id, "price", Money::parse(text.trim(), currency)),
        None => {
            let listed = tariff
                .prices
                .iter()
                .find(|p| p.period == period)
                .map(|p| p.price);
            if listed.is_none() {
                rows.bad(
                    row,
                    id,
                    "price",
                    "no price given and the tariff has none for the period",
                );
            }
            listed
        }
    };
    let mut addons = Vec::new();
    for (n, addon) in s.addons.iter().enumerate() {
        let field = format!("addons[{n}]");
        let code = rows.ok(
            row,
            id,
            &format!("{field}.code"),
            AddonCode::parse(addon.code.trim()),
        );
        let line_price = rows.ok(
            row,
            id,
            &format!("{field}.price"),
            Money::parse(addon.price.trim(), currency),
        );
        if addon.name.trim().is_empty() {
            rows.bad(row, id, &format!("{field}.name"), "empty");
            continue;
        }
        if let (Some(code), Some(price)) = (code, line_price) {
            addons.push(AddonLine {
                code: code.as_str().to_owned(),
                name: addon.name.trim().to_owned(),
                value: AddonValue::Quantity(addon.quantity.unwrap_or(1)),
                price,
            });
        }
    }
    let paid_until = rows.ok(row, id, "paid_until", day(&s.paid_until))?;
    let period_start = match &s.period_start {
        Some(text) => rows.ok(row, id, "period_start", day(text))?,
        None => period.start_of(paid_until).or_else(|| {
            rows.bad(row, id, "paid_until", "out of the calendar");
            None
        })?,
    };
    let anchor_day = match &s.period_start {
        Some(_) => period_start.day(),
        None => paid_until.day(),
    };
    let ordered_on = match &s.ordered_on {
        Some(text) => rows.ok(row, id, "ordered_on", day(text))?,
        None => period_start,
    };
    let suspended = match s.status.as_deref().map(str::trim) {
        None | Some("active") => None,
        Some("suspended") => Some(match &s.suspend_reason {
            Some(reason) => rows.ok(
                row,
                id,
                "suspend_reason",
                named::<SuspendReason>(reason, "suspension reason"),
            )?,
            None => SuspendReason::NonPayment,
        }),
        Some(other) => {
            rows.bad(
                row,
                id,
                "status",
                format!("{other:?}: a service is active, suspended or closed"),
            );
            return None;
        }
    };
    let (source, price) = (source?, price?);
    let terms = rows.ok(
        row,
        id,
        "price",
        ServiceTerms::imported(
            tariff.id,
            tariff.name.clone(),
            tariff.item_type,
            period,
            price,
            addons,
        ),
    )?;
    let service_id = ServiceId::from_uuid(source.derived("service"));
    let command = ServiceCommand::ImportService {
        service_id,
        client_id: client.id,
        provider_id: client.provider_id,
        account_id: AccountId::of(client.id, client.provider_id, currency),
        terms,
        auto_prolong: s.auto_prolong.unwrap_or(true),
        ordered_on,
        period_start,
        paid_until,
        anchor_day,
        suspended,
        source,
    };
    rows.ok(
        row,
        id,
        "paid_until",
        Service::default().decide(command.clone()),
    )?;
    Some((service_id.to_string(), command))
}
