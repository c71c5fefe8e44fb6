//! A promo code redeemed with an order: the code's own rules decide, keyed so that a retried
//! order redeems it once and gets the first answer's service id back.

use chrono::NaiveDate;
use domain::ids::{PromoCodeId, ProviderId, ServiceId};
use domain::promo::{PromoCode, PromoCodeText, PromoCommand, PromoError};
use domain::service::ServiceDiscount;
use domain::tariff::ServiceTerms;
use eventstore::CommandKey;
use eventstore::metadata::CommandContext;
use uuid::Uuid;

use crate::usecases::{Core, Error};

/// What an order redeems: the code of `provider_id`, for the service `id` ordered on `terms`, on
/// the provider's business day `on`.
pub(crate) struct Redemption<'a> {
    /// The code as the client typed it.
    pub code: PromoCodeText,
    /// The provider whose code it is.
    pub provider_id: ProviderId,
    /// The order's terms.
    pub terms: &'a ServiceTerms,
    /// The service id the order was to be made under.
    pub id: Uuid,
    /// The day of the order.
    pub on: NaiveDate,
}

/// Redeems `code` for the service `id` ordered on `terms`, and returns the id the service is
/// ordered under with the discount it keeps.
///
/// The redemption is keyed by the service id (scope `promo`), and with an `Idempotency-Key` also
/// by that key (`idempotency`, the order's own key, moved to a scope of its own): a retried
/// request gets the first request's service id back instead of redeeming the code again, and
/// then finishes that order if the first request stopped after redeeming.
pub(crate) async fn redeem(
    core: &Core,
    context: &CommandContext,
    idempotency: Option<CommandKey>,
    redemption: Redemption<'_>,
) -> Result<(Uuid, ServiceDiscount), Error> {
    let Redemption {
        code,
        provider_id,
        terms,
        id,
        on,
    } = redemption;
    let promo_id = PromoCodeId::of(provider_id, code.as_str()).to_string();
    let promo = core.store.load::<PromoCode>(&promo_id).await?.aggregate;
    let discount = service_discount(&promo, &code)?;
    let answer = serde_json::json!({ "id": id });
    let mut keys = vec![
        CommandKey::new("promo", id.to_string(), &(&promo_id, id), answer.clone())
            .map_err(|e| Error::internal(&e))?,
    ];
    if let Some(key) = idempotency {
        keys.push(CommandKey {
            scope: format!("promo:{}", key.scope),
            answer,
            ..key
        });
    }
    let committed = core
        .store
        .execute::<PromoCode>(
            &promo_id,
            PromoCommand::RedeemPromoCode {
                service_id: ServiceId::from_uuid(id),
                tariff_id: terms.tariff_id,
                item_type: terms.item_type,
                period: terms.period,
                on,
                price: terms.price_per_period,
            },
            context,
            &keys,
        )
        .await?;
    let id = committed
        .answer
        .get("id")
        .and_then(|v| v.as_str())
        .and_then(|v| Uuid::parse_str(v).ok())
        .unwrap_or(id);
    Ok((id, discount))
}

/// The discount a service ordered with `code` keeps: the code's discount, whether it recurs, and
/// its tariff and item-type limits, so that a tariff change can recheck them.
pub(crate) fn service_discount(
    promo: &PromoCode,
    code: &PromoCodeText,
) -> Result<ServiceDiscount, Error> {
    let (Some(discount), Some(recurring), Some(limits)) =
        (promo.discount().cloned(), promo.recurring(), promo.limits())
    else {
        return Err(PromoError::NotFound.into());
    };
    Ok(ServiceDiscount {
        code: code.as_str().to_owned(),
        discount,
        recurring,
        tariffs: limits.tariffs.clone(),
        item_types: limits.item_types.clone(),
    })
}
