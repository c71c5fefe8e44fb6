use serde::{Deserialize, Serialize};

use super::{DocumentTemplate, InvoiceNumbering, TaxDocument};
use crate::account::{PaymentMethod, PaymentMethodKind};
use crate::client::Country;
use crate::ids::{CompanyId, ProviderId};
use crate::import::ImportSource;
use crate::tax::{TaxRules, VatNumber};

/// What can be asked of a company.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CompanyCommand {
    /// Creates the company, without tax rules (nobody is taxed) and without payment methods.
    CreateCompany {
        /// The caller-chosen id.
        company_id: CompanyId,
        /// The provider the company belongs to.
        provider_id: ProviderId,
        /// The legal name; trimmed, 1 to 200 characters without control characters.
        name: String,
        /// The country the company is registered in.
        country: Country,
        /// The company's VAT number, if it has one.
        vat_number: Option<VatNumber>,
        /// The postal address; trimmed, 1 to 500 characters, newlines allowed.
        address: String,
        /// How the company numbers its invoices.
        numbering: InvoiceNumbering,
    },
    /// Brings over a company from the billing system a provider moves from, by the rules of
    /// [`CompanyCommand::CreateCompany`]; its `CompanyCreated` names its source.
    ImportCompany {
        /// Its id, derived from its source.
        company_id: CompanyId,
        /// The provider the company belongs to.
        provider_id: ProviderId,
        /// The legal name.
        name: String,
        /// The country the company is registered in.
        country: Country,
        /// The company's VAT number, if it has one.
        vat_number: Option<VatNumber>,
        /// The postal address.
        address: String,
        /// How the company numbers the invoices issued here.
        numbering: InvoiceNumbering,
        /// Where it came from.
        source: ImportSource,
    },
    /// Replaces the company's tax rules, and its tax document for prepaid clients when one is
    /// given. Setting what it already has records nothing.
    SetTaxRules {
        /// The new rules.
        rules: TaxRules,
        /// The tax document prepaid clients get; `None` keeps the current one.
        tax_document: Option<TaxDocument>,
    },
    /// Adds or changes how the company receives money by one payment method. Configuring it as
    /// it already is records nothing.
    ConfigurePaymentMethod {
        /// The method.
        method: PaymentMethod,
        /// Who confirms payments by it.
        kind: PaymentMethodKind,
        /// What clients see; trimmed, 1 to 100 characters without control characters.
        display_name: String,
        /// Whether clients can pay by it now.
        enabled: bool,
        /// For a card gateway: the address template the customer panel sends the client to
        /// (see [`crate::company::PaymentMethodConfig::redirect_url`]).
        redirect_url: Option<String>,
    },
    /// Replaces the company's document template (header, footer, logo, payment details), which
    /// invoices drafted from now on copy. Setting the template it already has records nothing.
    SetDocumentTemplate {
        /// The new template, as received (checked by the aggregate).
        template: DocumentTemplate,
    },
}
