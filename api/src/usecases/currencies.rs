//! Exchange rates: each base currency's rates by the day they take effect. Converting money at
//! them is part of crediting a payment (`accounts::convert`).

use chrono::NaiveDate;
use domain::money::Currency;
use domain::rates::{ExchangeRates, ExchangeRatesCommand, QuotedRate};
use eventstore::Committed;
use eventstore::metadata::CommandContext;

use crate::usecases::{Core, Error};

/// Sets the rates of `base` from `effective_from` on. The same set again records nothing;
/// another set for the same day replaces it.
pub async fn set_rates(
    core: &Core,
    context: &CommandContext,
    base: Currency,
    effective_from: NaiveDate,
    rates: Vec<QuotedRate>,
) -> Result<Committed<ExchangeRates>, Error> {
    Ok(core
        .store
        .execute::<ExchangeRates>(
            base.code(),
            ExchangeRatesCommand::SetRates {
                base,
                effective_from,
                rates,
            },
            context,
            &[],
        )
        .await?)
}
