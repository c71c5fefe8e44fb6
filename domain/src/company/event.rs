use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::{DocumentTemplate, InvoiceNumbering, TaxDocument};
use crate::account::{PaymentMethod, PaymentMethodKind};
use crate::client::Country;
use crate::ids::{CompanyId, ProviderId};
use crate::import::ImportSource;
use crate::tax::{TaxRules, VatNumber};

/// What has happened to a company. Stored forever: variants and fields are never renamed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CompanyEvent {
    /// The company was created.
    CompanyCreated {
        /// The company's id.
        company_id: CompanyId,
        /// The provider the company belongs to.
        provider_id: ProviderId,
        /// The trimmed legal name.
        name: String,
        /// The country the company is registered in.
        country: Country,
        /// The company's VAT number, if it has one.
        vat_number: Option<VatNumber>,
        /// The trimmed postal address, lines separated by `\n`.
        address: String,
        /// How the company numbers its invoices.
        numbering: InvoiceNumbering,
        /// Where an imported company came from; absent for one created here, and in every
        /// event older than imports.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<ImportSource>,
    },
    /// The company's tax rules were replaced.
    TaxRulesSet {
        /// The new rules, in their canonical order.
        rules: TaxRules,
    },
    /// The tax document prepaid clients get was changed (before any such event it is
    /// `on_payment`).
    TaxDocumentSet {
        /// The new setting.
        tax_document: TaxDocument,
    },
    /// A payment method was added or changed.
    PaymentMethodConfigured {
        /// The method.
        method: PaymentMethod,
        /// Who confirms payments by it.
        kind: PaymentMethodKind,
        /// The trimmed name clients see.
        display_name: String,
        /// Whether clients can pay by it now.
        enabled: bool,
        /// For a card gateway: the address template the customer panel sends the client to.
        /// Absent from the events written before there was one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        redirect_url: Option<String>,
    },
    /// The company's document template was replaced (before any such event it is empty).
    CompanyDocumentTemplateSet {
        /// The new template, checked; its logo named by digest, never its bytes.
        template: DocumentTemplate,
    },
}

impl DomainEvent for CompanyEvent {
    fn event_type(&self) -> String {
        // Literal names, not derived from the variant, so that a rename in code cannot orphan
        // stored rows.
        match self {
            Self::CompanyCreated { .. } => "CompanyCreated".to_string(),
            Self::TaxRulesSet { .. } => "TaxRulesSet".to_string(),
            Self::PaymentMethodConfigured { .. } => "PaymentMethodConfigured".to_string(),
            Self::TaxDocumentSet { .. } => "TaxDocumentSet".to_string(),
            Self::CompanyDocumentTemplateSet { .. } => "CompanyDocumentTemplateSet".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}
