//! The order of a service: the rule of the agreement an order accepts, and the decision of
//! `OrderService`.

use chrono::NaiveDate;

use super::{Service, ServiceDiscount, ServiceError, ServiceEvent, ServiceStatus};
use crate::agreement::AgreementVersion;
use crate::contact::DomainRegistration;
use crate::ids::{AccountId, ClientId, ProviderId, ServiceId};
use crate::tariff::{ItemType, ServiceTerms};

/// Who an order is for: the ids of `OrderService`.
pub(super) struct OrderIds {
    pub(super) service_id: ServiceId,
    pub(super) client_id: ClientId,
    pub(super) provider_id: ProviderId,
    pub(super) account_id: AccountId,
}

impl Service {
    /// The agreement version an order records: when an agreement covers the order
    /// (`required`, its current version), the order must have accepted exactly that version —
    /// none (or another agreement) is `AgreementNotAccepted`, an older version
    /// `AgreementOutdated`. An order no agreement covers records none. Public so that the order's
    /// use case asks it before it redeems a promo code or attaches contacts.
    pub fn accepted_agreement(
        required: Option<AgreementVersion>,
        accepted: Option<AgreementVersion>,
    ) -> Result<Option<AgreementVersion>, ServiceError> {
        let Some(required) = required else {
            return Ok(None);
        };
        match accepted {
            Some(accepted) if accepted == required => Ok(Some(accepted)),
            Some(accepted)
                if accepted.agreement_id == required.agreement_id
                    && accepted.version < required.version =>
            {
                Err(ServiceError::AgreementOutdated {
                    accepted: accepted.version,
                    current: required.version,
                })
            }
            _ => Err(ServiceError::AgreementNotAccepted {
                current: required.version,
            }),
        }
    }

    /// Decides [`ServiceCommand::OrderService`].
    #[expect(
        clippy::too_many_arguments,
        reason = "the fields of the command, one to one"
    )]
    pub(super) fn order_service(
        &self,
        ids: OrderIds,
        terms: ServiceTerms,
        auto_prolong: bool,
        ordered_on: NaiveDate,
        discount: Option<ServiceDiscount>,
        domain: Option<DomainRegistration>,
        agreement: Option<AgreementVersion>,
        trial: Option<crate::tariff::Trial>,
    ) -> Result<Vec<ServiceEvent>, ServiceError> {
        if self.is_ordered() {
            return Err(ServiceError::AlreadyOrdered);
        }
        if domain.is_some() && terms.item_type != ItemType::Domain {
            return Err(ServiceError::NotADomainItem);
        }
        // A discount that cannot be computed on the terms (a fixed amount in another
        // currency) would leave every charge uncomputable: refuse it now.
        if let Some(discount) = &discount {
            discount.discount.of(terms.price_per_period)?;
        }
        Ok(vec![ServiceEvent::ServiceOrdered {
            status: ServiceStatus::Ordered,
            service_id: ids.service_id,
            client_id: ids.client_id,
            provider_id: ids.provider_id,
            account_id: ids.account_id,
            terms,
            auto_prolong,
            ordered_on,
            discount,
            domain,
            agreement,
            trial,
        }])
    }
}
