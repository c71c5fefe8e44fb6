//! Companies: a provider's legal entities, their tax rules and the payment methods they accept.

use domain::account::PaymentMethod;
use domain::client::Country;
use domain::company::{
    Company, CompanyCommand, CompanyError, DocumentTemplate, InvoiceNumbering, Logo, LogoType,
    PaymentMethodConfig, TaxDocument,
};
use domain::ids::{CompanyId, ProviderId};
use domain::provider::Provider;
use domain::tax::{TaxRules, VatNumber};
use eventstore::metadata::CommandContext;
use eventstore::{CommandKey, Committed};

use domain::ticket::{Attachment, AttachmentType};

use crate::usecases::attachments::File;
use crate::usecases::{Core, Error};

/// A new company, parsed.
pub struct NewCompany {
    /// The caller's id for it.
    pub company_id: CompanyId,
    /// Its provider, which must exist.
    pub provider_id: ProviderId,
    /// Its name.
    pub name: String,
    /// Its country.
    pub country: Country,
    /// Its VAT number.
    pub vat_number: Option<VatNumber>,
    /// Its address.
    pub address: String,
    /// How its invoices are numbered.
    pub numbering: InvoiceNumbering,
}

/// Creates a company of a provider that exists, without tax rules or payment methods.
pub async fn create_company(
    core: &Core,
    context: &CommandContext,
    key: Option<CommandKey>,
    company: NewCompany,
) -> Result<Committed<Company>, Error> {
    let provider = core
        .store
        .load::<Provider>(&company.provider_id.to_string())
        .await?
        .aggregate;
    if !provider.is_created() {
        return Err(Error::not_found(
            "provider_not_found",
            format!("provider_id: no provider {}", company.provider_id),
        ));
    }
    Ok(core
        .store
        .execute::<Company>(
            &company.company_id.to_string(),
            CompanyCommand::CreateCompany {
                company_id: company.company_id,
                provider_id: company.provider_id,
                name: company.name,
                country: company.country,
                vat_number: company.vat_number,
                address: company.address,
                numbering: company.numbering,
            },
            context,
            key.as_slice(),
        )
        .await?)
}

/// Replaces a company's tax rules (and the tax document prepaid clients get, if given).
pub async fn set_tax_rules(
    core: &Core,
    context: &CommandContext,
    id: CompanyId,
    rules: TaxRules,
    tax_document: Option<TaxDocument>,
) -> Result<Committed<Company>, Error> {
    Ok(core
        .store
        .execute::<Company>(
            &id.to_string(),
            CompanyCommand::SetTaxRules {
                rules,
                tax_document,
            },
            context,
            &[],
        )
        .await?)
}

/// Adds or changes one payment method of a company, configured as `config` (which the company
/// checks: the display name, and a redirect address only for a card gateway).
pub async fn configure_payment_method(
    core: &Core,
    context: &CommandContext,
    id: CompanyId,
    method: PaymentMethod,
    config: PaymentMethodConfig,
) -> Result<Committed<Company>, Error> {
    Ok(core
        .store
        .execute::<Company>(
            &id.to_string(),
            CompanyCommand::ConfigurePaymentMethod {
                method,
                kind: config.kind,
                display_name: config.display_name,
                enabled: config.enabled,
                redirect_url: config.redirect_url,
            },
            context,
            &[],
        )
        .await?)
}

/// Where a card gateway method of the company sends a client to pay: its redirect address
/// template, `None` when the method has none (or is no method of the company).
pub async fn gateway_redirect(
    core: &Core,
    company_id: uuid::Uuid,
    method: &PaymentMethod,
) -> Result<Option<String>, Error> {
    let company = core
        .store
        .load::<Company>(&company_id.to_string())
        .await?
        .aggregate;
    Ok(company
        .payment_method(method)
        .and_then(|config| config.redirect_url.clone()))
}

/// What happens to a company's logo when its document template is set.
pub enum LogoChange {
    /// The logo it has stays.
    Keep,
    /// No logo.
    Remove,
    /// A new logo: its type (sniffed from its bytes) and its bytes.
    Replace(LogoType, Vec<u8>),
}

/// Replaces a company's document template. A new logo's bytes are stored (under their digest,
/// where ticket files are) only once the whole template passed the company's rules, just before
/// the command that names them; a refused template writes nothing.
pub async fn set_document_template(
    core: &Core,
    context: &CommandContext,
    id: CompanyId,
    mut template: DocumentTemplate,
    logo: LogoChange,
) -> Result<Committed<Company>, Error> {
    let company = core.store.load::<Company>(&id.to_string()).await?.aggregate;
    let current = company
        .document_template()
        .ok_or(CompanyError::NotCreated)?;
    let mut file = None;
    template.logo = match logo {
        LogoChange::Keep => current.logo.clone(),
        LogoChange::Remove => None,
        LogoChange::Replace(kind, bytes) => {
            let logo = Logo {
                sha256: crate::usecases::attachments::digest_of(&bytes),
                content_type: kind,
                size_bytes: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
            };
            file = Some(File {
                attachment: Attachment {
                    sha256: logo.sha256.clone(),
                    file_name: format!(
                        "logo.{}",
                        if kind == LogoType::Png { "png" } else { "jpg" }
                    ),
                    content_type: match kind {
                        LogoType::Png => AttachmentType::Png,
                        LogoType::Jpeg => AttachmentType::Jpeg,
                    },
                    size_bytes: logo.size_bytes,
                },
                bytes,
            });
            Some(logo)
        }
    };
    // The company decides before any byte is written, so that a refused template leaves no
    // file behind; the command decides again on the stored state.
    let command = CompanyCommand::SetDocumentTemplate { template };
    company.decide(command.clone())?;
    if let Some(file) = file {
        crate::usecases::attachments::store(&core.pool, &[file]).await?;
    }
    Ok(core
        .store
        .execute::<Company>(&id.to_string(), command, context, &[])
        .await?)
}

/// The document template of company `id`, read from the company itself (the read model keeps
/// none); empty until one is set.
pub async fn document_template(core: &Core, id: CompanyId) -> Result<DocumentTemplate, Error> {
    let company = core.store.load::<Company>(&id.to_string()).await?.aggregate;
    Ok(company
        .document_template()
        .ok_or(CompanyError::NotCreated)?
        .clone())
}
