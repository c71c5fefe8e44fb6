//! `billing demo`: a realistic data set, written through the same commands as production, so the
//! log, the action log and the balances of the demo are all genuine.

use crate::usecases::process::{invoicing, settlement};
use domain::access::{ClientRole, ClientUser, DisplayName, Login, UserCommand};
use domain::account::{Account, AccountCommand, PaymentMethod, PaymentMethodKind};
use domain::client::{Client, ClientCommand, ClientKind, ClientName, Country, Email};
use domain::company::{Company, CompanyCommand, InvoiceNumbering, NumberingReset};
use domain::ids::{
    AccountId, AdjustmentId, ClientId, CompanyId, InvoiceId, PaymentId, ProviderId, ServiceId,
    TariffId, UserId,
};
use domain::invoice::{InvoiceCommand, InvoiceKind};
use domain::money::{Currency, Money, MoneyError};
use domain::period::BillingPeriod;
use domain::provider::{Provider, ProviderCommand};
use domain::rates::{ExchangeRate, ExchangeRates, ExchangeRatesCommand, QuotedRate};
use domain::service::{Service, ServiceCommand};
use domain::tariff::{
    AddonCode, AddonKind, AddonSelection, AddonSpec, AddonValue, ItemType, OrderSelection,
    PeriodPrice, Tariff, TariffCommand,
};
use domain::tax::{LineInput, TaxMode, TaxRate, TaxRule, TaxRules, VatNumber};
use eventstore::metadata::{Actor, CommandContext};
use eventstore::{CommandError, EventStore, StoreError};
use rust_decimal::Decimal;
use uuid::Uuid;

/// Why the demo data could not be written.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A demo command broke a rule: a bug in the demo.
    #[error("demo command refused: {0}")]
    Refused(String),
}

impl<E: std::fmt::Display> From<CommandError<E>> for DemoError {
    fn from(error: CommandError<E>) -> Self {
        match error {
            CommandError::Store(e) => Self::Store(e),
            other => Self::Refused(other.to_string()),
        }
    }
}

impl From<MoneyError> for DemoError {
    fn from(error: MoneyError) -> Self {
        Self::Refused(error.to_string())
    }
}

/// What the demo wrote.
#[derive(Debug, Clone, Copy, Default)]
pub struct Seeded {
    /// Providers created.
    pub providers: usize,
    /// Clients registered.
    pub clients: usize,
    /// Payments posted.
    pub payments: usize,
    /// Tariffs created.
    pub tariffs: usize,
    /// Services ordered.
    pub services: usize,
    /// Companies created (one per provider).
    pub companies: usize,
    /// Invoices issued.
    pub invoices: usize,
    /// Client users made (one, to sign in to the customer panel with).
    pub client_users: usize,
    /// What the database already held when it was not empty (and nothing was written).
    pub kept: Option<Kept>,
}

/// What a database that already had providers held: the demo writes nothing into it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Kept {
    /// Providers in the log.
    pub providers: i64,
    /// Clients in the log.
    pub clients: i64,
    /// Services in the log.
    pub services: i64,
    /// Events in the log.
    pub events: i64,
}

/// The login of the demo's client user, for the customer panel at `/my`.
pub const DEMO_USER: &str = "client@example.com";
/// The password of the demo's client user. A demo's, and said in the log: never a real one.
pub const DEMO_PASSWORD: &str = "demo-password";

const FIRST: [&str; 16] = [
    "Anna", "Boris", "Clara", "Dmitri", "Elena", "Felix", "Greta", "Hugo", "Ines", "Jonas",
    "Katja", "Lukas", "Marta", "Nikolai", "Olga", "Pavel",
];
const LAST: [&str; 12] = [
    "Schmidt",
    "Ivanova",
    "Dubois",
    "Rossi",
    "Novak",
    "Berg",
    "Keller",
    "Moreau",
    "Lindqvist",
    "Kowalski",
    "Petrov",
    "Weber",
];
const COMPANIES: [&str; 10] = [
    "Nordlicht",
    "Bluefin",
    "Cobalt",
    "Driftwood",
    "Evergreen",
    "Foxglove",
    "Granite",
    "Harbor",
    "Ironbark",
    "Juniper",
];
const COUNTRIES: [&str; 8] = ["DE", "FR", "NL", "PL", "SE", "IT", "US", "GB"];
const METHODS: [&str; 3] = ["bank_transfer", "card", "manual"];

fn refused(error: impl std::fmt::Display) -> DemoError {
    DemoError::Refused(error.to_string())
}

/// Writes the demo data set unless the log already has providers. Deterministic for a given
/// `seed`.
pub async fn seed(store: &EventStore, clients: usize, seed: u64) -> Result<Seeded, DemoError> {
    let existing: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_type = 'Provider'")
            .fetch_one(store.pool())
            .await
            .map_err(StoreError::from)?;
    if existing > 0 {
        let (clients, services, events): (i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(DISTINCT aggregate_id) FROM events WHERE aggregate_type = 'Client'),
                    (SELECT count(DISTINCT aggregate_id) FROM events WHERE aggregate_type = 'Service'),
                    (SELECT count(*) FROM events)",
        )
        .fetch_one(store.pool())
        .await
        .map_err(StoreError::from)?;
        return Ok(Seeded {
            kept: Some(Kept {
                providers: existing,
                clients,
                services,
                events,
            }),
            ..Seeded::default()
        });
    }
    let mut rng = fastrand::Rng::with_seed(seed);
    let context = CommandContext::new(Actor::System("demo".to_owned()));
    let providers = [
        ("Hostmaster GmbH", Currency::parse("EUR")?),
        ("Example Hosting LLC", Currency::parse("USD")?),
    ];
    let mut provider_ids = Vec::new();
    for (name, currency) in providers {
        let id = ProviderId::from_uuid(Uuid::now_v7());
        store
            .execute::<Provider>(
                &id.to_string(),
                ProviderCommand::CreateProvider {
                    provider_id: id,
                    name: name.to_owned(),
                    currency,
                    sandbox: false,
                    created_at: store.clock().now(),
                },
                &context,
                &[],
            )
            .await?;
        provider_ids.push((id, currency));
    }
    let mut seeded = Seeded {
        providers: provider_ids.len(),
        ..Seeded::default()
    };
    let mut catalog = Vec::new();
    for (provider_id, currency) in &provider_ids {
        let tariffs = demo_tariffs(store, *provider_id, *currency, &context).await?;
        seeded.tariffs += tariffs.len();
        catalog.push(tariffs);
    }
    let today = store.clock().now().date_naive();
    let mut companies = Vec::new();
    for (index, (provider_id, currency)) in provider_ids.iter().enumerate() {
        companies.push(demo_company(store, *provider_id, index, &context).await?);
        demo_rates(store, *currency, today, &context).await?;
    }
    seeded.companies = companies.len();
    let mut registered = Vec::new();
    for n in 0..clients {
        let (provider_id, currency) = provider_ids[n % provider_ids.len()];
        let company = rng.u8(0..4) == 0;
        let (name, kind) = if company {
            let base = COMPANIES[rng.usize(0..COMPANIES.len())];
            (format!("{base} {} Ltd", n + 1), ClientKind::Company)
        } else {
            let first = FIRST[rng.usize(0..FIRST.len())];
            let last = LAST[rng.usize(0..LAST.len())];
            (format!("{first} {last}"), ClientKind::Individual)
        };
        let email = format!(
            "{}.{}@example.com",
            name.split_whitespace()
                .next()
                .unwrap_or("client")
                .to_lowercase(),
            n + 1
        );
        let client_id = ClientId::from_uuid(Uuid::now_v7());
        store
            .execute::<Client>(
                &client_id.to_string(),
                ClientCommand::RegisterClient {
                    client_id,
                    provider_id,
                    currency,
                    name: ClientName::parse(&name).map_err(refused)?,
                    email: Email::parse(&email).map_err(refused)?,
                    kind,
                    country: Country::parse(COUNTRIES[rng.usize(0..COUNTRIES.len())])
                        .map_err(refused)?,
                },
                &context,
                &[],
            )
            .await?;
        seeded.clients += 1;
        registered.push((client_id, n % provider_ids.len()));
        let account = AccountId::of(client_id, provider_id, currency).to_string();
        for _ in 0..rng.usize(0..6) {
            let cents = rng.u32(500..50_000);
            let amount = Money::parse(&format!("{}.{:02}", cents / 100, cents % 100), currency)?;
            store
                .execute::<Account>(
                    &account,
                    AccountCommand::PostPayment {
                        client_id,
                        provider_id,
                        payment_id: PaymentId::from_uuid(Uuid::now_v7()),
                        amount,
                        method: PaymentMethod::parse(METHODS[rng.usize(0..METHODS.len())])
                            .map_err(refused)?,
                        conversion: None,
                    },
                    &context,
                    &[],
                )
                .await?;
            seeded.payments += 1;
        }
        if rng.u8(0..10) == 0 {
            store
                .execute::<Account>(
                    &account,
                    AccountCommand::AdjustBalance {
                        client_id,
                        provider_id,
                        adjustment_id: AdjustmentId::from_uuid(Uuid::now_v7()),
                        amount: Money::parse("-3.50", currency)?,
                        reason: "bank fee for a returned transfer".to_owned(),
                    },
                    &context,
                    &[],
                )
                .await?;
        }
        let tariffs = &catalog[n % provider_ids.len()];
        for _ in 0..rng.usize(0..3) {
            let (tariff, period, addons) = &tariffs[rng.usize(0..tariffs.len())];
            let service_id = ServiceId::from_uuid(Uuid::now_v7());
            store
                .execute::<Service>(
                    &service_id.to_string(),
                    ServiceCommand::OrderService {
                        trial: None,
                        service_id,
                        client_id,
                        provider_id,
                        account_id: AccountId::of(client_id, provider_id, currency),
                        terms: tariff
                            .quote(&OrderSelection {
                                period: *period,
                                currency,
                                addons: addons.clone(),
                            })
                            .map_err(refused)?,
                        auto_prolong: true,
                        ordered_on: today,
                        discount: None,
                        domain: None,
                        required_agreement: None,
                        accepted_agreement: None,
                    },
                    &context,
                    &[],
                )
                .await?;
            seeded.services += 1;
            settlement::charge_due(store, service_id, today, &context)
                .await
                .map_err(refused)?;
            // The provisioning robot has done most activations; a few wait or failed.
            let pending = store
                .load::<Service>(&service_id.to_string())
                .await?
                .aggregate
                .operation()
                .map(|op| op.operation_id);
            if let Some(operation_id) = pending {
                let command = match rng.u8(0..10) {
                    0 => None,
                    1 => Some(ServiceCommand::FailOperation {
                        operation_id,
                        reason: "hypervisor node is full".to_owned(),
                    }),
                    _ => Some(ServiceCommand::CompleteOperation { operation_id }),
                };
                if let Some(command) = command {
                    store
                        .execute::<Service>(&service_id.to_string(), command, &context, &[])
                        .await?;
                }
            }
        }
        if rng.u8(0..40) == 0 {
            store
                .execute::<Client>(
                    &client_id.to_string(),
                    ClientCommand::DeleteClient {
                        reason: "asked to close the account".to_owned(),
                    },
                    &context,
                    &[],
                )
                .await?;
        }
    }
    // Every fifth client got an invoice from its provider's company for consulting work.
    for (client_id, provider) in registered.iter().step_by(5) {
        let (provider_id, currency) = provider_ids[*provider];
        let company = &companies[*provider];
        let client = store
            .load::<Client>(&client_id.to_string())
            .await?
            .aggregate;
        if client.is_deleted() {
            continue;
        }
        let payer = crate::usecases::payers::payer_of(&client, client_id.as_uuid())
            .map_err(|_| refused("a demo client without a profile"))?;
        let invoice_id = InvoiceId::from_uuid(Uuid::now_v7());
        let hours = Decimal::from(rng.u32(1..6));
        let draft = InvoiceCommand::DraftInvoice {
            invoice_id,
            kind: InvoiceKind::Manual,
            provider_id,
            company_id: company.company_id().ok_or_else(|| refused("no company"))?,
            client_id: *client_id,
            seller: company.seller().ok_or_else(|| refused("no company"))?,
            treatment: company.treatment_for(&payer),
            payer,
            currency,
            lines: vec![LineInput::new(
                "Server migration, hours",
                hours,
                Money::parse("45.00", currency)?,
            )],
            recorded: Vec::new(),
            drafted_on: today,
            issued_on: today,
            due_on: today + chrono::Days::new(14),
            payment_id: None,
            period: None,
            corrects: None,
            note: None,
        };
        invoicing::issue(store, invoice_id, draft, &context, &[])
            .await
            .map_err(refused)?;
        seeded.invoices += 1;
    }
    // A user of the first client that is still active, to sign in to the customer panel with.
    for (client_id, _) in &registered {
        let client = store
            .load::<Client>(&client_id.to_string())
            .await?
            .aggregate;
        if client.is_deleted() {
            continue;
        }
        demo_user(store, *client_id, &context).await?;
        seeded.client_users += 1;
        break;
    }
    Ok(seeded)
}

/// The demo's client user: [`DEMO_USER`] with the password [`DEMO_PASSWORD`], owner of `client`.
async fn demo_user(
    store: &EventStore,
    client_id: ClientId,
    context: &CommandContext,
) -> Result<(), DemoError> {
    let login = Login::parse(DEMO_USER).map_err(refused)?;
    let user_id = UserId::for_login(&login);
    let password_hash = crate::usecases::access::secret::hash_password(DEMO_PASSWORD)
        .await
        .map_err(refused)?;
    store
        .execute::<ClientUser>(
            &user_id.to_string(),
            UserCommand::CreateClientUser {
                user_id,
                client_id,
                name: DisplayName::parse("Demo client user").map_err(refused)?,
                login,
                password_hash,
                roles: std::collections::BTreeSet::from([ClientRole::Owner]),
            },
            context,
            &[],
        )
        .await?;
    Ok(())
}

/// The provider's legal entity: Dutch for the first provider, American for the second, with VAT
/// rules (reverse charge for EU businesses) and its payment methods.
async fn demo_company(
    store: &EventStore,
    provider_id: ProviderId,
    index: usize,
    context: &CommandContext,
) -> Result<Company, DemoError> {
    let company_id = CompanyId::from_uuid(Uuid::now_v7());
    let id = company_id.to_string();
    let (name, country, vat, address, prefix) = if index == 0 {
        (
            "Hostmaster Europe B.V.",
            "NL",
            Some("NL123456789B01"),
            "Keizersgracht 1\n1015 CJ Amsterdam",
            "HM",
        )
    } else {
        (
            "Example Hosting LLC",
            "US",
            None,
            "1 Main Street\nAustin, TX 78701",
            "EX",
        )
    };
    let country = Country::parse(country).map_err(refused)?;
    store
        .execute::<Company>(
            &id,
            CompanyCommand::CreateCompany {
                company_id,
                provider_id,
                name: name.to_owned(),
                country,
                vat_number: vat.map(VatNumber::parse).transpose().map_err(refused)?,
                address: address.to_owned(),
                numbering: InvoiceNumbering::new(prefix, NumberingReset::Yearly)
                    .map_err(refused)?,
            },
            context,
            &[],
        )
        .await?;
    if index == 0 {
        let rule =
            |country: Option<&str>, rate: &str, reverse_charge| -> Result<TaxRule, DemoError> {
                Ok(TaxRule {
                    country: country.map(Country::parse).transpose().map_err(refused)?,
                    rate: TaxRate::parse(rate).map_err(refused)?,
                    mode: TaxMode::Included,
                    reverse_charge,
                })
            };
        let rules = TaxRules::new(vec![
            rule(Some("NL"), "21", false)?,
            rule(Some("DE"), "19", true)?,
            rule(Some("FR"), "20", true)?,
            rule(Some("IT"), "22", true)?,
            rule(Some("PL"), "23", true)?,
            rule(Some("SE"), "25", true)?,
        ])
        .map_err(refused)?;
        store
            .execute::<Company>(
                &id,
                CompanyCommand::SetTaxRules {
                    rules,
                    tax_document: None,
                },
                context,
                &[],
            )
            .await?;
    }
    for (method, kind, display_name) in [
        ("card", PaymentMethodKind::CardGateway, "Card"),
        (
            "bank_transfer",
            PaymentMethodKind::BankTransfer,
            "Bank transfer",
        ),
        ("manual", PaymentMethodKind::Manual, "Cash at the office"),
    ] {
        store
            .execute::<Company>(
                &id,
                CompanyCommand::ConfigurePaymentMethod {
                    method: PaymentMethod::parse(method).map_err(refused)?,
                    kind,
                    display_name: display_name.to_owned(),
                    enabled: true,
                    redirect_url: None,
                },
                context,
                &[],
            )
            .await?;
    }
    Ok(store.load::<Company>(&id).await?.aggregate)
}

/// Today's rate between the two demo currencies, both ways.
async fn demo_rates(
    store: &EventStore,
    base: Currency,
    today: chrono::NaiveDate,
    context: &CommandContext,
) -> Result<(), DemoError> {
    let (quote, rate) = if base.code() == "EUR" {
        (Currency::parse("USD")?, "1.0830")
    } else {
        (Currency::parse("EUR")?, "0.9234")
    };
    store
        .execute::<ExchangeRates>(
            base.code(),
            ExchangeRatesCommand::SetRates {
                base,
                effective_from: today,
                rates: vec![QuotedRate {
                    quote,
                    rate: ExchangeRate::parse(rate).map_err(refused)?,
                }],
            },
            context,
            &[],
        )
        .await?;
    Ok(())
}

type DemoTariff = (Tariff, BillingPeriod, Vec<AddonSelection>);

/// A small catalog: a VDS with RAM, shared hosting with backups, a domain.
async fn demo_tariffs(
    store: &EventStore,
    provider_id: ProviderId,
    currency: Currency,
    context: &CommandContext,
) -> Result<Vec<DemoTariff>, DemoError> {
    let price = |period, amount: &str| -> Result<PeriodPrice, DemoError> {
        Ok(PeriodPrice {
            period,
            price: Money::parse(amount, currency)?,
        })
    };
    let code = |c: &str| AddonCode::parse(c).map_err(refused);
    let specs = vec![
        (
            "VDS Start",
            ItemType::Vds,
            vec![
                price(BillingPeriod::Month, "9.90")?,
                price(BillingPeriod::Year, "99.00")?,
            ],
            vec![Money::parse("5.00", currency)?],
            vec![AddonSpec {
                code: code("ram")?,
                name: "RAM".to_owned(),
                kind: AddonKind::Quantity {
                    unit: "GB".to_owned(),
                    min: 1,
                    max: 32,
                    prices: vec![
                        price(BillingPeriod::Month, "2.50")?,
                        price(BillingPeriod::Year, "25.00")?,
                    ],
                },
            }],
            vec![AddonSelection {
                code: "ram".to_owned(),
                value: AddonValue::Quantity(2),
            }],
            BillingPeriod::Month,
        ),
        (
            "Shared Hosting",
            ItemType::SharedHosting,
            vec![
                price(BillingPeriod::Month, "3.99")?,
                price(BillingPeriod::Year, "39.90")?,
            ],
            Vec::new(),
            vec![AddonSpec {
                code: code("backup")?,
                name: "Daily backups".to_owned(),
                kind: AddonKind::Toggle {
                    prices: vec![
                        price(BillingPeriod::Month, "1.00")?,
                        price(BillingPeriod::Year, "10.00")?,
                    ],
                },
            }],
            vec![AddonSelection {
                code: "backup".to_owned(),
                value: AddonValue::Toggle(true),
            }],
            BillingPeriod::Year,
        ),
        (
            "Domain .com",
            ItemType::Domain,
            vec![price(BillingPeriod::Year, "12.00")?],
            Vec::new(),
            Vec::new(),
            Vec::new(),
            BillingPeriod::Year,
        ),
    ];
    let mut tariffs = Vec::new();
    for (name, item_type, prices, setup_fees, addons, selection, period) in specs {
        let tariff_id = TariffId::from_uuid(Uuid::now_v7());
        store
            .execute::<Tariff>(
                &tariff_id.to_string(),
                TariffCommand::CreateTariff {
                    tariff_id,
                    provider_id,
                    name: name.to_owned(),
                    item_type,
                    prices,
                    setup_fees,
                    addons,
                },
                context,
                &[],
            )
            .await?;
        let tariff = store
            .load::<Tariff>(&tariff_id.to_string())
            .await?
            .aggregate;
        tariffs.push((tariff, period, selection));
    }
    Ok(tariffs)
}

/// `billing demo`: the command-by-command data set (or with `--events`, the bulk one), then
/// serve it (unless `--load-only`).
pub async fn command(
    cli: &crate::cli::args::Cli,
    args: &crate::cli::args::DemoArgs,
) -> anyhow::Result<()> {
    use crate::cli::database::print_out;
    use crate::cli::serve::{open_for_serving, serve};

    let database = open_for_serving(cli, &args.serve).await?;
    if let Some(events) = args.events {
        let loaded = crate::cli::bulk::load(&database.pool, events, 2026).await?;
        print_out(&serde_json::to_string_pretty(&loaded)?);
        if args.load_only {
            database.close().await;
            return Ok(());
        }
        return serve(database, &args.serve).await;
    }
    let store = EventStore::new(
        database.pool.clone(),
        std::sync::Arc::new(eventstore::clock::SystemClock),
    );
    let seeded = seed(&store, args.clients, 2026).await?;
    if let Some(kept) = seeded.kept {
        tracing::info!(
            providers = kept.providers,
            clients = kept.clients,
            services = kept.services,
            events = kept.events,
            "the database already holds data: kept as it is, no demo data written"
        );
        return serve(database, &args.serve).await;
    }
    tracing::info!(
        providers = seeded.providers,
        clients = seeded.clients,
        payments = seeded.payments,
        tariffs = seeded.tariffs,
        services = seeded.services,
        companies = seeded.companies,
        invoices = seeded.invoices,
        client_users = seeded.client_users,
        "demo data set ready"
    );
    if seeded.client_users > 0 {
        tracing::info!(
            "customer panel at /my: sign in as {DEMO_USER} with the password {DEMO_PASSWORD}"
        );
    }
    serve(database, &args.serve).await
}
