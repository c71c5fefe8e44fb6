//! Contracts between a provider's company and a client (issue 20.2, ADR 31): staff publish a
//! company's contract templates, create a client's contract from one (numbered by the company's
//! `ContractBook`, dated), sign it (its text rendered for the parties and frozen in
//! `ContractSigned`) and terminate it (`domain::contract`).

use chrono::{Datelike, NaiveDate};
use domain::client::Client;
use domain::company::{Company, SellerDetails};
use domain::contract::{
    Contract, ContractBook, ContractBookCommand, ContractBookEvent, ContractCommand, ContractFacts,
    ContractTemplate, ContractTemplateCommand, ContractText, DraftedContract,
    PublishedContractTemplate,
};
use domain::ids::{ClientId, CompanyId, ContractBookId, ContractId, ContractTemplateId};
use domain::invoice::PayerDetails;
use eventstore::metadata::CommandContext;
use eventstore::{CommandKey, Committed};
use uuid::Uuid;

use crate::usecases::{Core, Error};

/// The company `id`, created, or `company_not_found`.
async fn company(core: &Core, id: CompanyId) -> Result<Company, Error> {
    let company = core.store.load::<Company>(&id.to_string()).await?.aggregate;
    if company.is_created() {
        Ok(company)
    } else {
        Err(Error::not_found(
            "company_not_found",
            format!("company_id: no company {id}"),
        ))
    }
}

/// The published template `id`, or `contract_template_not_found`.
pub async fn template(core: &Core, id: Uuid) -> Result<PublishedContractTemplate, Error> {
    core.store
        .load::<ContractTemplate>(&id.to_string())
        .await?
        .aggregate
        .published()
        .cloned()
        .ok_or_else(|| {
            Error::not_found(
                "contract_template_not_found",
                format!("template_id: no contract template {id}"),
            )
        })
}

/// Publishes the next version of the contract template `template_id` of `company_id` (the first
/// creates it). The same name, prefix and texts again record nothing.
#[expect(
    clippy::too_many_arguments,
    reason = "the fields of the command, one to one"
)]
pub async fn publish_template(
    core: &Core,
    context: &CommandContext,
    key: Option<CommandKey>,
    template_id: Uuid,
    company_id: Uuid,
    name: String,
    prefix: String,
    texts: Vec<ContractText>,
) -> Result<Committed<ContractTemplate>, Error> {
    let company_id = CompanyId::from_uuid(company_id);
    let own = company(core, company_id).await?;
    let provider = own.provider_id().ok_or_else(|| {
        Error::not_found(
            "company_not_found",
            format!("company_id: no company {company_id}"),
        )
    })?;
    let when = core.time_of(provider).await?;
    let context = &when.stamp(context);
    Ok(core
        .store
        .execute::<ContractTemplate>(
            &template_id.to_string(),
            ContractTemplateCommand::PublishContractTemplate {
                template_id: ContractTemplateId::from_uuid(template_id),
                company_id,
                name,
                prefix,
                texts,
                published_on: when.today(),
            },
            context,
            key.as_slice(),
        )
        .await?)
}

/// What [`create`] made: the contract's number and the commit of its draft.
pub struct Created {
    /// The number its company's book gave it.
    pub number: String,
    /// The draft's commit.
    pub committed: Committed<Contract>,
}

/// Creates `client_id`'s contract `contract_id` from the template `template_id`: the template's
/// company must be the client's provider's; the contract is dated `dated_on` (today by the
/// provider's clock when absent) and numbered by the company's book of that year.
///
/// A retry with the same `contract_id` gets the same number (the book's command key on the
/// contract) and the same contract (the `Contract` records the same draft once), so a crash
/// between numbering and drafting leaves no gap once retried; the id of another client's or
/// another template's contract is `contract_exists`, decided by the `Contract`.
pub async fn create(
    core: &Core,
    context: &CommandContext,
    client_id: Uuid,
    template_id: Uuid,
    contract_id: Uuid,
    dated_on: Option<NaiveDate>,
) -> Result<Created, Error> {
    let template = template(core, template_id).await?;
    let client = core
        .store
        .load::<Client>(&client_id.to_string())
        .await?
        .aggregate;
    // A contract names a client that may trade (the `Client`'s rule): a merged or deleted one
    // would take a number of the company's gap-free book for a client nobody can sign for.
    let (provider, _) = client
        .active(ClientId::from_uuid(client_id))
        .map_err(Error::from)?;
    let own = company(core, template.company_id).await?;
    if own.provider_id() != Some(provider) {
        return Err(Error::refused(
            "contract_template_mismatch",
            "template_id: the template's company is not the client's provider's",
        ));
    }
    let when = core.time_of(provider).await?;
    let context = &when.stamp(context);
    let dated_on = dated_on.unwrap_or_else(|| when.today());
    let id = ContractId::from_uuid(contract_id);
    let key = CommandKey::new(
        "contract-number",
        contract_id.to_string(),
        &(template.company_id, dated_on.year()),
        serde_json::Value::Null,
    )
    .map_err(|e| Error::internal(&e))?;
    let book = ContractBookId::of(template.company_id, dated_on.year());
    let numbered = core
        .store
        .execute::<ContractBook>(
            &book.to_string(),
            ContractBookCommand::NumberContract {
                contract_id: id,
                company_id: template.company_id,
                year: dated_on.year(),
                prefix: template.prefix.clone(),
            },
            context,
            std::slice::from_ref(&key),
        )
        .await?;
    let event = match numbered.events.into_iter().next() {
        Some(event) => event,
        // A repeated key: the first run's event is at the key's position.
        None => eventstore::log::event_at(core.store.pool(), numbered.position)
            .await?
            .ok_or_else(|| Error::internal(&"the contract's number is not in the log"))?
            .decode::<ContractBookEvent>()
            .map_err(|e| Error::internal(&e))?,
    };
    let ContractBookEvent::ContractNumbered {
        contract_id: numbered_id,
        sequence,
        number,
    } = event;
    if numbered_id != id {
        return Err(Error::internal(&"the book answered for another contract"));
    }
    let committed = core
        .store
        .execute::<Contract>(
            &contract_id.to_string(),
            ContractCommand::DraftContract {
                contract_id: id,
                provider_id: provider,
                company_id: template.company_id,
                client_id: ClientId::from_uuid(client_id),
                template_id: template.template_id,
                template_version: template.version,
                number: number.clone(),
                sequence,
                dated_on,
            },
            context,
            &[],
        )
        .await?;
    Ok(Created { number, committed })
}

/// `client_id`'s contract `contract_id`, or `contract_not_found` (also for another client's).
pub async fn of_client(
    core: &Core,
    client_id: Uuid,
    contract_id: Uuid,
) -> Result<DraftedContract, Error> {
    core.store
        .load::<Contract>(&contract_id.to_string())
        .await?
        .aggregate
        .drafted()
        .filter(|drafted| drafted.client_id.as_uuid() == client_id)
        .cloned()
        .ok_or_else(|| {
            Error::not_found(
                "contract_not_found",
                format!("the client has no contract {contract_id}"),
            )
        })
}

/// What a contract says: its template version, texts and parties. A signed (or terminated)
/// contract's as frozen at signing; a draft's rendered now from its template's current version
/// and the parties as they are.
pub struct Wording {
    /// The template version.
    pub template_version: u32,
    /// The texts, one per language.
    pub texts: Vec<ContractText>,
    /// The company.
    pub company: SellerDetails,
    /// The client.
    pub client: PayerDetails,
}

/// The wording of `contract` (see [`Wording`]).
pub async fn wording(core: &Core, contract: &DraftedContract) -> Result<Wording, Error> {
    if let (Some(company), Some(client)) = (&contract.company, &contract.client) {
        return Ok(Wording {
            template_version: contract.template_version,
            texts: contract.texts.clone(),
            company: company.clone(),
            client: client.clone(),
        });
    }
    let template = template(core, contract.template_id.as_uuid()).await?;
    let company = company(core, contract.company_id)
        .await?
        .seller()
        .ok_or_else(|| Error::internal(&"a created company without details"))?;
    let client_state = core
        .store
        .load::<Client>(&contract.client_id.to_string())
        .await?
        .aggregate;
    let client = PayerDetails::of_client(&client_state, contract.client_id).ok_or_else(|| {
        Error::not_found(
            "client_not_found",
            format!("no client {}", contract.client_id),
        )
    })?;
    let texts = template.render(&ContractFacts {
        company: &company,
        client: &client,
        number: &contract.number,
        dated_on: contract.dated_on,
    });
    Ok(Wording {
        template_version: template.version,
        texts,
        company,
        client,
    })
}

/// The document template (header, footer) of `contract`'s company as it is now, which its
/// printed copy wears; `None` while the company has none.
pub async fn document_template(
    core: &Core,
    contract: &DraftedContract,
) -> Result<Option<domain::company::DocumentTemplate>, Error> {
    Ok(company(core, contract.company_id)
        .await?
        .document_template()
        .cloned())
}

/// Signs `client_id`'s draft `contract_id` on `signed_on` (today by the provider's clock when
/// absent): its text rendered now from the template's current version is frozen in the event.
pub async fn sign(
    core: &Core,
    context: &CommandContext,
    key: Option<CommandKey>,
    client_id: Uuid,
    contract_id: Uuid,
    signed_on: Option<NaiveDate>,
) -> Result<Committed<Contract>, Error> {
    let contract = of_client(core, client_id, contract_id).await?;
    let when = core.time_of(contract.provider_id).await?;
    let context = &when.stamp(context);
    // A signed contract's wording is its own; the aggregate refuses to sign it again.
    let wording = wording(core, &contract).await?;
    Ok(core
        .store
        .execute::<Contract>(
            &contract_id.to_string(),
            ContractCommand::SignContract {
                signed_on: signed_on.unwrap_or_else(|| when.today()),
                template_version: wording.template_version,
                texts: wording.texts,
                company: Box::new(wording.company),
                client: Box::new(wording.client),
            },
            context,
            key.as_slice(),
        )
        .await?)
}

/// Terminates `client_id`'s signed contract `contract_id` on `terminated_on` (today by the
/// provider's clock when absent) for `reason`.
pub async fn terminate(
    core: &Core,
    context: &CommandContext,
    key: Option<CommandKey>,
    client_id: Uuid,
    contract_id: Uuid,
    terminated_on: Option<NaiveDate>,
    reason: String,
) -> Result<Committed<Contract>, Error> {
    let contract = of_client(core, client_id, contract_id).await?;
    let when = core.time_of(contract.provider_id).await?;
    let context = &when.stamp(context);
    Ok(core
        .store
        .execute::<Contract>(
            &contract_id.to_string(),
            ContractCommand::TerminateContract {
                terminated_on: terminated_on.unwrap_or_else(|| when.today()),
                reason,
            },
            context,
            key.as_slice(),
        )
        .await?)
}
