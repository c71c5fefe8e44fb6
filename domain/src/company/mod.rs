//! The company aggregate: one of a provider's legal entities, which receives payments and issues
//! invoices.
//!
//! A company holds what its invoices need and what may change over its life: its legal details
//! (frozen into each invoice as [`SellerDetails`] when the invoice is drafted), its tax rules per
//! client country, how it numbers invoices, and the payment methods it accepts. It issues no
//! invoice itself: the `invoice` module's aggregates do, from the details a caller reads here.
//!
//! Setting the rules or a payment method to what it already is records nothing, so that a form
//! saved twice leaves one event.

mod command;
mod error;
mod event;
mod template;
mod value;

#[cfg(test)]
mod template_tests;
#[cfg(test)]
mod tests;

use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use crate::account::{PaymentMethod, PaymentMethodKind};
use crate::client::Country;
use crate::ids::{CompanyId, ProviderId};
use crate::tax::{TaxRules, VatNumber};
use crate::text;

pub use command::*;
pub use error::*;
pub use event::*;
pub use template::*;
pub use value::*;

/// The longest company name, in characters.
pub const COMPANY_NAME_CHARS_MAX: usize = 200;

/// The longest company address, in characters.
pub const COMPANY_ADDRESS_CHARS_MAX: usize = 500;

/// The longest display name of a payment method, in characters.
pub const PAYMENT_METHOD_DISPLAY_NAME_CHARS_MAX: usize = 100;

/// The most payment methods one company may configure; a bound keeps the state small.
pub const PAYMENT_METHODS_MAX: usize = 50;

/// The longest redirect address template of a card gateway, in characters.
pub const REDIRECT_URL_CHARS_MAX: usize = 500;

/// A card gateway's redirect address template, checked: only a card gateway has one, an
/// `http(s)://` address without spaces or control characters that names `{payment_id}`.
fn redirect_url(
    kind: PaymentMethodKind,
    url: Option<String>,
) -> Result<Option<String>, CompanyError> {
    let Some(url) = url.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    let shaped = (url.starts_with("https://") || url.starts_with("http://"))
        && url.chars().count() <= REDIRECT_URL_CHARS_MAX
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
        && url.contains("{payment_id}");
    if kind == PaymentMethodKind::CardGateway && shaped {
        Ok(Some(url))
    } else {
        Err(CompanyError::InvalidRedirectUrl)
    }
}

/// The state of one company, rebuilt from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Company {
    /// `None` until `CompanyCreated`, so that "created but without a name" is unrepresentable.
    created: Option<CreatedCompany>,
}

/// The state of a company that has been created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CreatedCompany {
    company_id: CompanyId,
    provider_id: ProviderId,
    name: String,
    country: Country,
    vat_number: Option<VatNumber>,
    address: String,
    numbering: InvoiceNumbering,
    tax_rules: TaxRules,
    /// At most one entry per method, in the order they were first configured.
    payment_methods: Vec<(PaymentMethod, PaymentMethodConfig)>,
    /// The tax document prepaid clients get.
    #[serde(default)]
    tax_document: TaxDocument,
    /// What documents print besides the legal details.
    #[serde(default)]
    template: DocumentTemplate,
}

impl Company {
    /// How this company taxes what `payer` buys: under its tax rules, or not taxed when it has
    /// none.
    pub fn treatment_for(&self, payer: &crate::invoice::PayerDetails) -> crate::tax::TaxTreatment {
        self.tax_rules()
            .map_or(crate::tax::TaxTreatment::NotTaxed, |rules| {
                rules.treatment_for(&payer.tax_customer())
            })
    }

    /// Whether `CompanyCreated` has happened.
    pub fn is_created(&self) -> bool {
        self.created.is_some()
    }

    /// The company's id, once created.
    pub fn company_id(&self) -> Option<CompanyId> {
        self.created.as_ref().map(|company| company.company_id)
    }

    /// The provider the company belongs to, once created.
    pub fn provider_id(&self) -> Option<ProviderId> {
        self.created.as_ref().map(|company| company.provider_id)
    }

    /// The details an invoice prints about its issuer, once created.
    pub fn seller(&self) -> Option<SellerDetails> {
        self.created.as_ref().map(|company| SellerDetails {
            company_id: company.company_id,
            name: company.name.clone(),
            country: company.country,
            vat_number: company.vat_number.clone(),
            address: company.address.clone(),
            template: (company.template != DocumentTemplate::default())
                .then(|| company.template.clone()),
        })
    }

    /// The document template, once created; empty until one is set.
    pub fn document_template(&self) -> Option<&DocumentTemplate> {
        self.created.as_ref().map(|company| &company.template)
    }

    /// The tax rules, once created; no rules until some are set.
    pub fn tax_rules(&self) -> Option<&TaxRules> {
        self.created.as_ref().map(|company| &company.tax_rules)
    }

    /// The tax document prepaid clients get, once created.
    pub fn tax_document(&self) -> Option<TaxDocument> {
        self.created.as_ref().map(|company| company.tax_document)
    }

    /// How the company numbers its invoices, once created.
    pub fn numbering(&self) -> Option<&InvoiceNumbering> {
        self.created.as_ref().map(|company| &company.numbering)
    }

    /// How the company takes a payment by `method`: only by a method configured and enabled.
    /// What every way of asking for a payment (a payment, a top-up) asks.
    pub fn method_taking_payments(&self, method: &PaymentMethod) -> Option<&PaymentMethodConfig> {
        self.payment_method(method).filter(|config| config.enabled)
    }

    /// How the company receives money by `method`, if it is configured.
    pub fn payment_method(&self, method: &PaymentMethod) -> Option<&PaymentMethodConfig> {
        self.payment_methods()
            .iter()
            .find(|(configured, _)| configured == method)
            .map(|(_, config)| config)
    }

    /// Every configured payment method, enabled or not, in the order first configured.
    pub fn payment_methods(&self) -> &[(PaymentMethod, PaymentMethodConfig)] {
        self.created
            .as_ref()
            .map_or(&[], |company| company.payment_methods.as_slice())
    }

    /// Decides [`CompanyCommand::CreateCompany`] and [`CompanyCommand::ImportCompany`].
    #[expect(
        clippy::too_many_arguments,
        reason = "the fields of the command, one to one"
    )]
    fn create(
        &self,
        company_id: CompanyId,
        provider_id: ProviderId,
        name: String,
        country: Country,
        vat_number: Option<VatNumber>,
        address: String,
        numbering: InvoiceNumbering,
        source: Option<crate::import::ImportSource>,
    ) -> Result<Vec<CompanyEvent>, CompanyError> {
        if self.is_created() {
            return Err(CompanyError::AlreadyCreated);
        }
        let name =
            text::display_name(&name, COMPANY_NAME_CHARS_MAX).ok_or(CompanyError::InvalidName)?;
        let address = text::multiline(&address, COMPANY_ADDRESS_CHARS_MAX)
            .ok_or(CompanyError::InvalidAddress)?;
        Ok(vec![CompanyEvent::CompanyCreated {
            company_id,
            provider_id,
            name: name.to_string(),
            country,
            vat_number,
            address,
            numbering,
            source,
        }])
    }

    /// Applies the business rules to `command` and returns the events it causes.
    pub fn decide(&self, command: CompanyCommand) -> Result<Vec<CompanyEvent>, CompanyError> {
        match command {
            CompanyCommand::CreateCompany {
                company_id,
                provider_id,
                name,
                country,
                vat_number,
                address,
                numbering,
            } => self.create(
                company_id,
                provider_id,
                name,
                country,
                vat_number,
                address,
                numbering,
                None,
            ),
            CompanyCommand::ImportCompany {
                company_id,
                provider_id,
                name,
                country,
                vat_number,
                address,
                numbering,
                source,
            } => self.create(
                company_id,
                provider_id,
                name,
                country,
                vat_number,
                address,
                numbering,
                Some(source),
            ),
            CompanyCommand::SetTaxRules {
                rules,
                tax_document,
            } => {
                let company = self.created()?;
                let mut events = Vec::new();
                if company.tax_rules != rules {
                    events.push(CompanyEvent::TaxRulesSet { rules });
                }
                if let Some(tax_document) = tax_document
                    && tax_document != company.tax_document
                {
                    events.push(CompanyEvent::TaxDocumentSet { tax_document });
                }
                Ok(events)
            }
            CompanyCommand::ConfigurePaymentMethod {
                method,
                kind,
                display_name,
                enabled,
                redirect_url: url,
            } => {
                let company = self.created()?;
                let display_name =
                    text::display_name(&display_name, PAYMENT_METHOD_DISPLAY_NAME_CHARS_MAX)
                        .ok_or(CompanyError::InvalidDisplayName)?
                        .to_string();
                let config = PaymentMethodConfig {
                    kind,
                    display_name,
                    enabled,
                    redirect_url: redirect_url(kind, url)?,
                };
                match self.payment_method(&method) {
                    Some(current) if *current == config => return Ok(vec![]),
                    Some(_) => {}
                    None if company.payment_methods.len() >= PAYMENT_METHODS_MAX => {
                        return Err(CompanyError::TooManyPaymentMethods);
                    }
                    None => {}
                }
                Ok(vec![CompanyEvent::PaymentMethodConfigured {
                    method,
                    kind: config.kind,
                    display_name: config.display_name,
                    enabled: config.enabled,
                    redirect_url: config.redirect_url,
                }])
            }
            CompanyCommand::SetDocumentTemplate { template } => {
                let company = self.created()?;
                let template = template.checked()?;
                if template == company.template {
                    return Ok(vec![]);
                }
                Ok(vec![CompanyEvent::CompanyDocumentTemplateSet { template }])
            }
        }
    }

    /// The created company, or `NotCreated`.
    fn created(&self) -> Result<&CreatedCompany, CompanyError> {
        self.created.as_ref().ok_or(CompanyError::NotCreated)
    }
}

impl Aggregate for Company {
    const TYPE: &'static str = "Company";
    type Command = CompanyCommand;
    type Event = CompanyEvent;
    type Error = CompanyError;
    type Services = ();

    async fn handle(
        &mut self,
        command: CompanyCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), CompanyError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: CompanyEvent) {
        match event {
            CompanyEvent::CompanyCreated {
                company_id,
                provider_id,
                name,
                country,
                vat_number,
                address,
                numbering,
                source: _,
            } => {
                self.created = Some(CreatedCompany {
                    company_id,
                    provider_id,
                    name,
                    country,
                    vat_number,
                    address,
                    numbering,
                    tax_rules: TaxRules::none(),
                    payment_methods: Vec::new(),
                    tax_document: TaxDocument::default(),
                    template: DocumentTemplate::default(),
                });
            }
            CompanyEvent::TaxDocumentSet { tax_document } => {
                if let Some(company) = &mut self.created {
                    company.tax_document = tax_document;
                }
            }
            CompanyEvent::CompanyDocumentTemplateSet { template } => {
                if let Some(company) = &mut self.created {
                    company.template = template;
                }
            }
            CompanyEvent::TaxRulesSet { rules } => {
                if let Some(company) = &mut self.created {
                    company.tax_rules = rules;
                }
            }
            CompanyEvent::PaymentMethodConfigured {
                method,
                kind,
                display_name,
                enabled,
                redirect_url,
            } => {
                if let Some(company) = &mut self.created {
                    let config = PaymentMethodConfig {
                        kind,
                        display_name,
                        enabled,
                        redirect_url,
                    };
                    match company
                        .payment_methods
                        .iter_mut()
                        .find(|(configured, _)| *configured == method)
                    {
                        Some((_, current)) => *current = config,
                        None => company.payment_methods.push((method, config)),
                    }
                }
            }
        }
    }
}
