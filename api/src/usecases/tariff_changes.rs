//! Tariff changes: the price of a change today (the quote the customer panel shows), and the
//! change itself, in two keyed steps: the account moves the money, then the service records
//! the change. The rule (what is credited and charged) is the `Service`'s
//! (`Service::quote_tariff_change`); this is the order of the steps and how a change cut off
//! between them is finished.

use domain::account::{
    Account, AccountCommand, AccountError, AccountEvent, CreditedCharge, ExpenseDiscount,
    ExpenseLine,
};
use domain::ids::{AccountId, ClientId, ProviderId, ServiceId};
use domain::money::Money;
use domain::service::{Service, ServiceCommand, TariffChangeQuote};
use domain::tariff::{AddonSelection, ServiceTerms};
use domain::tax::TaxTreatment;
use eventstore::metadata::CommandContext;
use eventstore::{CommandError, CommandKey, Committed};
use uuid::Uuid;

use crate::usecases::services::{load, run};
use crate::usecases::{Core, Error, clocks};

/// A tariff change priced for today: what the service's rule (`Service::quote_tariff_change`)
/// credits and charges, as the two expense lines the account would record. The change itself
/// ([`change_tariff`]) and the customer panel's quote of it both start here, so the quote shown
/// is the change made.
#[derive(Debug, Clone)]
pub struct TariffChangePlan {
    client_id: ClientId,
    provider_id: ProviderId,
    account_id: AccountId,
    on: chrono::NaiveDate,
    account: Account,
    new_terms: ServiceTerms,
    change: TariffChangeQuote,
    returned: Money,
    treatment: TaxTreatment,
    /// How the charge the credit gives back part of was taxed.
    credited_treatment: TaxTreatment,
    /// The credit for the unused rest of the period, as its line (before tax).
    pub credit: ExpenseLine,
    /// The charge of the new terms for the rest of the period, as its line (before tax).
    pub charge: ExpenseLine,
}

/// What the account would record for a [`TariffChangePlan`], decided by the account itself
/// without recording it.
#[derive(Debug, Clone)]
pub struct TariffChangeFigures {
    /// What is given back, tax included as the account records it.
    pub credit: Money,
    /// What is charged, tax included as the account records it.
    pub charge: Money,
    /// What the balance and credit limit lack, when the account would refuse the change.
    pub missing: Option<Money>,
}

impl TariffChangePlan {
    /// The new terms.
    pub fn new_terms(&self) -> &ServiceTerms {
        &self.new_terms
    }

    /// The day the changed period ends.
    pub fn period_end(&self) -> chrono::NaiveDate {
        self.change.period_end
    }

    fn replace_charge(&self) -> AccountCommand {
        AccountCommand::ReplaceCharge {
            client_id: self.client_id,
            provider_id: self.provider_id,
            credit: self.credit.clone(),
            charge: self.charge.clone(),
            treatment: self.treatment,
            credited_charge: Some(CreditedCharge {
                expense_id: self.change.credited_expense_id,
                charged: self.change.credited_paid,
                treatment: self.credited_treatment,
            }),
        }
    }

    /// What the account decides for the change now, without recording it: the amounts it would
    /// record, or what is missing when its balance and credit limit do not cover the change.
    pub fn figures(&self) -> Result<TariffChangeFigures, Error> {
        let mut figures = TariffChangeFigures {
            credit: self.credit.amount,
            charge: self.charge.amount,
            missing: None,
        };
        match self.account.decide(self.replace_charge()) {
            Ok(events) => {
                for event in events {
                    match event {
                        AccountEvent::ExpenseCredited { expense, .. } => {
                            figures.credit = expense.amount;
                        }
                        AccountEvent::ExpenseCharged { expense, .. } => {
                            figures.charge = expense.amount;
                        }
                        _ => {}
                    }
                }
            }
            Err(AccountError::InsufficientFunds { needed, available }) => {
                figures.missing = Some(needed.checked_sub(available)?);
            }
            Err(other) => return Err(other.into()),
        }
        Ok(figures)
    }
}

/// Prices moving the service `id` to `tariff_id` with `addons` today (see [`TariffChangePlan`]).
pub async fn plan_tariff_change(
    core: &Core,
    id: Uuid,
    tariff_id: Uuid,
    addons: Vec<AddonSelection>,
) -> Result<TariffChangePlan, Error> {
    let service = load(core, id).await?;
    let (Some(client_id), Some(provider_id), Some(account_id), Some(terms)) = (
        service.client_id(),
        service.provider_id(),
        service.account_id(),
        service.terms(),
    ) else {
        return Err(Error::not_found(
            "service_not_found",
            format!("no service {id}"),
        ));
    };
    let today = core.time_of(provider_id).await?.today();
    // A change whose money the account moved but which the service never recorded (a crash
    // between the two) is planned again as it was made: on its day, and with what corrections
    // had given back before its own credit. Its key then replays the money instead of moving it
    // again, and the service records the change the money paid for.
    let (credit_id, charge_id) = service
        .next_tariff_change_ids()
        .ok_or_else(|| Error::not_found("service_not_found", format!("no service {id}")))?;
    let moved =
        crate::usecases::accounts::recorded_lines(&core.store, account_id, &[credit_id, charge_id])
            .await?;
    let today = moved.first().map_or(today, |(line, _)| line.period_start);
    let own_credit = moved
        .iter()
        .find(|(line, charged)| !charged && line.expense_id == credit_id)
        .map(|(line, _)| line.amount);
    let new_terms = crate::usecases::catalog::quote(
        core,
        tariff_id,
        provider_id,
        terms.period,
        terms.currency(),
        addons,
    )
    .await?;
    // What corrections already gave back of the charge the credit draws on is the account's
    // fact; the service prices the change with it, and the account refuses a credit above it.
    // The charge was made on the service's own account: a moved service changes tariff only
    // from its next period.
    let currency = terms.currency();
    let zero = Money::zero(currency);
    let rest = service.quote_tariff_change(&new_terms, today, zero)?;
    let account = core
        .store
        .load::<Account>(&account_id.to_string())
        .await?
        .aggregate;
    let treatment = crate::usecases::process::invoicing::treatment_for_client(
        &core.store,
        provider_id,
        client_id,
    )
    .await
    .map_err(|e| Error::internal(&e))?;
    // The credit gives back part of a charge under the treatment it was charged with, whatever
    // the client's is today (a client who moved to a country with VAT since paid none).
    let credited_treatment =
        crate::usecases::accounts::charged_treatment(core, rest.credited_expense_id.as_uuid())
            .await?
            .unwrap_or(treatment);
    let returned_gross = account.returned_of_expense(rest.credited_expense_id, zero);
    let returned_gross = match own_credit {
        Some(credit) => returned_gross
            .checked_sub(credit)
            .map_err(|e| Error::internal(&e))?,
        None => returned_gross,
    };
    let returned = domain::tax::untaxed(returned_gross, &credited_treatment)
        .map_err(|e| Error::internal(&e))?;
    let change = service.quote_tariff_change(&new_terms, today, returned)?;
    let service_id = ServiceId::from_uuid(id);
    let line = |expense_id, amount, what: &str| ExpenseLine {
        expense_id,
        service_id,
        period_start: today,
        period_end: change.period_end,
        amount,
        description: format!("{what}, {today} to {}", change.period_end),
        discount: None,
        tax: None,
    };
    let credit = line(
        change.credit_expense_id,
        change.credit,
        &format!("unused part of {}", terms.tariff_name),
    );
    let charge = ExpenseLine {
        discount: change
            .charge_discount
            .zip(service.discount())
            .map(|(amount, discount)| ExpenseDiscount {
                code: discount.code.clone(),
                list_amount: change.charge_list,
                amount,
            }),
        ..line(
            change.charge_expense_id,
            change.charge,
            &new_terms.tariff_name,
        )
    };
    Ok(TariffChangePlan {
        client_id,
        provider_id,
        account_id,
        on: today,
        account,
        new_terms,
        change,
        returned,
        treatment,
        credited_treatment,
        credit,
        charge,
    })
}

/// Moves a service to another tariff today: the account credits what was paid for the rest of
/// the period and charges the new price for it (one command, keyed by the change), then the
/// service records the change.
pub async fn change_tariff(
    core: &Core,
    context: &CommandContext,
    idempotency: Option<CommandKey>,
    id: Uuid,
    tariff_id: Uuid,
    addons: Vec<AddonSelection>,
) -> Result<Committed<Service>, Error> {
    let context = &clocks::of_service(&core.store, ServiceId::from_uuid(id))
        .await?
        .stamp(context);
    let plan = move_tariff_change_money(core, context, id, tariff_id, addons).await?;
    let command = ServiceCommand::ChangeTariff {
        new_terms: plan.new_terms,
        on: plan.on,
        returned: plan.returned,
        credit_expense_id: plan.credit.expense_id,
        charge_expense_id: plan.charge.expense_id,
    };
    run(core, context, idempotency, id, command).await
}

/// The first step of [`change_tariff`]: the account credits what was paid for the rest of the
/// period and charges the new price for it, in one command keyed by the change. Answers the
/// plan the service then records. On its own, it is what a crash before that record leaves.
pub async fn move_tariff_change_money(
    core: &Core,
    context: &CommandContext,
    id: Uuid,
    tariff_id: Uuid,
    addons: Vec<AddonSelection>,
) -> Result<TariffChangePlan, Error> {
    let plan = plan_tariff_change(core, id, tariff_id, addons).await?;
    // The key names this change (the service's next one), so a retry after the account moved the
    // money but before the service recorded the change replays the money instead of moving it
    // again.
    let key = CommandKey::new(
        "tariff-change",
        format!("{id}/{}", plan.change.charge_expense_id),
        &(&tariff_id, &plan.credit.amount, &plan.charge.amount),
        serde_json::Value::Null,
    )
    .map_err(|e| Error::internal(&e))?;
    let replaced = core
        .store
        .execute::<Account>(
            &plan.account_id.to_string(),
            plan.replace_charge(),
            context,
            std::slice::from_ref(&key),
        )
        .await;
    match replaced {
        Ok(_) => {}
        Err(CommandError::Rejected(AccountError::InsufficientFunds { needed, available })) => {
            return Err(Error::refused(
                "insufficient_funds",
                format!("the change needs {needed}, the account has {available}"),
            ));
        }
        // The key is this change's: the account moved its money for other terms, and the
        // service never recorded it (a crash). That change is finished by asking for it again.
        Err(CommandError::KeyReused { .. }) => {
            return Err(Error::conflict(
                "tariff_change_interrupted",
                format!(
                    "a change of this service on {} moved its money but was not recorded; \
                     ask for that same tariff again to finish it",
                    plan.on
                ),
            ));
        }
        Err(other) => return Err(other.into()),
    }
    Ok(plan)
}
