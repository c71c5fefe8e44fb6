//! The import bundle as it arrives (JSON, or the CSV files `billing import` reads into the same
//! shape): plain text fields, checked whole by [`super::plan`] before anything is written. The
//! format is documented in `docs/import.md`.

use serde::{Deserialize, Serialize};

/// Everything one import brings over from one source system.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    /// The system the data comes from: `whmcs`, `billmanager`, or any lowercase word. With the
    /// rows' ids it names every imported thing, so the same bundle imported again names the
    /// same things.
    pub source: String,
    /// The providers (BILLmanager's providers, a WHMCS installation's own company).
    #[serde(default)]
    pub providers: Vec<ProviderRow>,
    /// The tariffs (WHMCS products, BILLmanager price lists).
    #[serde(default)]
    pub tariffs: Vec<TariffRow>,
    /// The clients, each with its balance and credit limit.
    #[serde(default)]
    pub clients: Vec<ClientRow>,
    /// The services (WHMCS tblhosting, BILLmanager items).
    #[serde(default)]
    pub services: Vec<ServiceRow>,
    /// The providers' legal entities, which issue the invoices (WHMCS's own company,
    /// BILLmanager `company`).
    #[serde(default)]
    pub companies: Vec<CompanyRow>,
    /// The clients' payers (BILLmanager `profile`).
    #[serde(default)]
    pub payers: Vec<PayerRow>,
    /// The clients' users, who sign in (WHMCS tblusers, BILLmanager `user`).
    #[serde(default)]
    pub users: Vec<UserRow>,
    /// The invoices left unpaid there (WHMCS tblinvoices `Unpaid`, BILLmanager unpaid `invoice`).
    #[serde(default)]
    pub invoices: Vec<InvoiceRow>,
}

/// A provider's legal entity.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompanyRow {
    /// Its id in the source system.
    pub id: String,
    /// The source id of its provider.
    pub provider: String,
    /// Its legal name.
    pub name: String,
    /// Its country, ISO 3166-1 alpha-2.
    pub country: String,
    /// Its VAT number, if any.
    #[serde(default)]
    pub vat_number: Option<String>,
    /// Its postal address (lines separated by `\n`).
    pub address: String,
    /// The prefix of the invoice numbers it gives here (`A-Z`, `0-9`, `-`, `/`); `INV` when
    /// absent. Choose one the source's numbers do not start with.
    #[serde(default)]
    pub invoice_prefix: Option<String>,
}

/// A client's payer: the legal details its documents are made out to.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayerRow {
    /// Its id in the source system.
    pub id: String,
    /// The source id of its client.
    pub client: String,
    /// `individual` (the default), `company` or `sole_proprietor`.
    #[serde(default)]
    pub kind: Option<String>,
    /// Its legal name.
    pub name: String,
    /// Its country, ISO 3166-1 alpha-2.
    pub country: String,
    /// Its VAT number, if any.
    #[serde(default)]
    pub vat_number: Option<String>,
    /// Its registration number, if any.
    #[serde(default)]
    pub registration_number: Option<String>,
    /// Its postal address, if known.
    #[serde(default)]
    pub address: Option<String>,
    /// The address its documents go to, if not the client's.
    #[serde(default)]
    pub email: Option<String>,
}

/// A client's user.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserRow {
    /// Its id in the source system.
    pub id: String,
    /// The source id of its client.
    pub client: String,
    /// The e-mail address it signs in with.
    pub email: String,
    /// Its name; the e-mail address when absent.
    #[serde(default)]
    pub name: Option<String>,
    /// Its password hash there. An argon2 PHC string (`$argon2id$…`, `$argon2i$…`) is kept and
    /// the user signs in with its password; anything else (WHMCS md5 or bcrypt, BILLmanager's
    /// hashes) or nothing imports the user with a forced reset.
    #[serde(default)]
    pub password_hash: Option<String>,
    /// Its roles: `owner`, `billing`, `technical`; `[owner]` when absent.
    #[serde(default)]
    pub roles: Option<Vec<String>>,
}

/// An invoice left unpaid in the source system.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvoiceRow {
    /// Its id in the source system.
    pub id: String,
    /// The source id of its client.
    pub client: String,
    /// The source id of the company that issued it (of the client's provider).
    pub company: String,
    /// Its number there.
    pub number: String,
    /// The day of issue, `YYYY-MM-DD`.
    pub issued_on: String,
    /// The day it is due, `YYYY-MM-DD`.
    pub due_on: String,
    /// The tax rate in percent (`"19"`); not taxed when absent.
    #[serde(default)]
    pub tax_rate: Option<String>,
    /// `added` (the default: the lines' prices are net) or `included`.
    #[serde(default)]
    pub tax_mode: Option<String>,
    /// Its lines, 1 to 1000.
    #[serde(default)]
    pub lines: Vec<InvoiceLineRow>,
    /// Its total there (gross); when given, the lines must add up to it.
    #[serde(default)]
    pub total: Option<String>,
}

/// One line of an imported invoice.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvoiceLineRow {
    /// What was sold.
    pub description: String,
    /// How many units; 1 when absent.
    #[serde(default)]
    pub quantity: Option<String>,
    /// The price of one unit, in the client's currency.
    pub unit_price: String,
}

/// A provider.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderRow {
    /// Its id in the source system.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its currency, ISO 4217.
    pub currency: String,
}

/// A tariff and its prices.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TariffRow {
    /// Its id in the source system.
    pub id: String,
    /// The source id of the provider selling it.
    pub provider: String,
    /// Its name.
    pub name: String,
    /// `domain`, `shared_hosting`, `vds`, `dedicated_server`, `ssl_certificate`, `dns_hosting`
    /// or `other`.
    pub item_type: String,
    /// Its prices, at least one.
    #[serde(default)]
    pub prices: Vec<PriceRow>,
    /// The one-off fee of a new order, if any.
    #[serde(default)]
    pub setup_fee: Option<String>,
}

/// One price of a tariff.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceRow {
    /// `P1D`, `P1M`, `P3M`, `P6M` or `P12M`.
    pub period: String,
    /// The price per period, in the provider's currency (`"9.90"`).
    pub price: String,
}

/// A client with its personal account's balance and credit limit.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientRow {
    /// Its id in the source system.
    pub id: String,
    /// The source id of its provider.
    pub provider: String,
    /// Its name (a person's or a company's).
    pub name: String,
    /// Its e-mail address.
    pub email: String,
    /// `individual` (the default), `company` or `sole_proprietor`.
    #[serde(default)]
    pub kind: Option<String>,
    /// Its country, ISO 3166-1 alpha-2.
    pub country: String,
    /// Whether it is active (the default); an inactive client takes no orders or payments.
    #[serde(default)]
    pub active: Option<bool>,
    /// The day it signed up there, `YYYY-MM-DD`.
    #[serde(default)]
    pub registered_on: Option<String>,
    /// Its balance there, signed (negative: it owes money); zero when absent.
    #[serde(default)]
    pub balance: Option<String>,
    /// Its credit limit there; zero when absent.
    #[serde(default)]
    pub credit_limit: Option<String>,
}

/// A service with its paid time.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceRow {
    /// Its id in the source system.
    pub id: String,
    /// The source id of its client.
    pub client: String,
    /// The source id of its tariff (of the client's provider).
    pub tariff: String,
    /// Its billing period: `P1D`, `P1M`, `P3M`, `P6M` or `P12M`.
    pub period: String,
    /// Its base price per period, if not the tariff's price for the period.
    #[serde(default)]
    pub price: Option<String>,
    /// Its add-ons, each with its price per period.
    #[serde(default)]
    pub addons: Vec<AddonRow>,
    /// The day it was first ordered there, `YYYY-MM-DD`; the current period's start when
    /// absent.
    #[serde(default)]
    pub ordered_on: Option<String>,
    /// The start of the current paid period; one period before `paid_until` when absent.
    #[serde(default)]
    pub period_start: Option<String>,
    /// The first day not paid (WHMCS `nextduedate`, BILLmanager `expiredate` plus one day).
    pub paid_until: String,
    /// `active` (the default), `suspended`, or `closed` (WHMCS `Terminated`/`Cancelled`,
    /// BILLmanager `deleted`): a closed service is checked and left out (`services.skipped`).
    #[serde(default)]
    pub status: Option<String>,
    /// Why it is suspended: `non_payment` (the default for a suspended service), `staff` or
    /// `abuse`.
    #[serde(default)]
    pub suspend_reason: Option<String>,
    /// Whether it renews by itself (the default).
    #[serde(default)]
    pub auto_prolong: Option<bool>,
}

/// An add-on of a service.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddonRow {
    /// Its code (`a-z`, `0-9`, `_`, `-`; at most 32).
    pub code: String,
    /// Its name as the client sees it.
    pub name: String,
    /// How many units (1 when absent).
    #[serde(default)]
    pub quantity: Option<u32>,
    /// The line's price per period (all units).
    pub price: String,
}

/// One thing wrong with a bundle: which row of which list, which field, and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadRow {
    /// `bundle`, `providers`, `tariffs`, `clients` or `services`.
    pub entity: String,
    /// The row's place in its list, from 1 (0 for the bundle itself).
    pub row: usize,
    /// The row's id in the source system, as given.
    pub source_id: String,
    /// The field.
    pub field: String,
    /// What is wrong with it.
    pub problem: String,
}
