//! The client aggregate: a customer of one provider, with the profile invoices are made out to.
//!
//! A client is registered once, may be updated, and is deleted (softly: its history stays) with a
//! reason. The currency is the provider's, copied into the registration so that the client's
//! accounts never need to look the provider up.

mod command;
mod error;
mod event;
mod trial;
mod value;

#[cfg(test)]
mod tests;

use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use std::collections::{BTreeMap, BTreeSet};

use crate::discount::PersonalDiscount;
use crate::ids::{ClientGroupId, ClientId, MergeId, ProviderId, ServiceId, TariffId};
use crate::money::Currency;
use crate::tax::VatNumber;
use crate::text;

pub use command::*;
pub use error::*;
pub use event::*;
pub use value::*;

/// The longest postal address, in characters.
pub const ADDRESS_CHARS_MAX: usize = 500;

/// The longest deletion reason, in characters.
pub const DELETE_REASON_CHARS_MAX: usize = 500;

/// The state of one client, rebuilt from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Client {
    id: Option<ClientId>,
    provider_id: Option<ProviderId>,
    currency: Option<Currency>,
    name: Option<ClientName>,
    email: Option<Email>,
    kind: Option<ClientKind>,
    country: Option<Country>,
    #[serde(default)]
    vat_number: Option<VatNumber>,
    #[serde(default)]
    address: Option<String>,
    deleted: bool,
    /// Set by `ClientStatusSet { active: false }`; a client is active unless marked otherwise.
    #[serde(default)]
    inactive: bool,
    #[serde(default)]
    groups: BTreeSet<ClientGroupId>,
    /// The personal discount staff set, if any.
    #[serde(default)]
    personal_discount: Option<PersonalDiscount>,
    /// The merge that merged this client, and the client it was merged into.
    #[serde(default)]
    merged: Option<(MergeId, ClientId)>,
    /// The trials claimed: each tariff's, with the service that had it.
    #[serde(default)]
    trials: BTreeMap<TariffId, ServiceId>,
}

impl Client {
    /// Whether `ClientRegistered` has happened (a deleted client is still registered).
    pub fn is_registered(&self) -> bool {
        self.id.is_some()
    }

    /// Whether the client has been deleted.
    pub fn is_deleted(&self) -> bool {
        self.deleted
    }

    /// Whether the client is active: registered, not deleted, not merged and not marked as not
    /// active. Only an active client takes new orders and payments.
    pub fn is_active(&self) -> bool {
        self.id
            .is_some_and(|client_id| self.trading(client_id).is_ok())
    }

    /// Whether the client was marked as not active (a deleted or merged client may be either).
    pub fn is_marked_inactive(&self) -> bool {
        self.inactive
    }

    /// The merge that merged this client and the client it went into, if it was merged.
    pub fn merged_into(&self) -> Option<(MergeId, ClientId)> {
        self.merged
    }

    /// The groups the client is in.
    pub fn groups(&self) -> &BTreeSet<ClientGroupId> {
        &self.groups
    }

    /// The client's personal discount, if any (whatever its end date).
    pub fn personal_discount(&self) -> Option<&PersonalDiscount> {
        self.personal_discount.as_ref()
    }

    /// The client's id, once registered.
    pub fn client_id(&self) -> Option<ClientId> {
        self.id
    }

    /// The provider the client belongs to, once registered.
    pub fn provider_id(&self) -> Option<ProviderId> {
        self.provider_id
    }

    /// The provider's currency, frozen at registration.
    pub fn currency(&self) -> Option<Currency> {
        self.currency
    }

    /// The current name, once registered.
    pub fn name(&self) -> Option<&ClientName> {
        self.name.as_ref()
    }

    /// The current e-mail address, once registered.
    pub fn email(&self) -> Option<&Email> {
        self.email.as_ref()
    }

    /// The current kind, once registered.
    pub fn kind(&self) -> Option<ClientKind> {
        self.kind
    }

    /// The current country, once registered.
    pub fn country(&self) -> Option<Country> {
        self.country
    }

    /// The VAT number, if the client has one.
    pub fn vat_number(&self) -> Option<&VatNumber> {
        self.vat_number.as_ref()
    }

    /// The postal address printed on invoices, if set.
    pub fn address(&self) -> Option<&str> {
        self.address.as_deref()
    }

    /// Applies the business rules to `command` and returns the events it causes.
    pub fn decide(&self, command: ClientCommand) -> Result<Vec<ClientEvent>, ClientError> {
        match command {
            ClientCommand::RegisterClient {
                client_id,
                provider_id,
                currency,
                name,
                email,
                kind,
                country,
            } => self.register_client(client_id, provider_id, currency, name, email, kind, country),
            ClientCommand::ImportClient {
                client_id,
                provider_id,
                currency,
                name,
                email,
                kind,
                country,
                registered_on,
                active,
                source,
            } => Ok(self.import_client(ClientEvent::ClientImported {
                client_id,
                provider_id,
                currency,
                name,
                email,
                kind,
                country,
                registered_on,
                active,
                source,
            })),
            ClientCommand::UpdateClient {
                name,
                email,
                kind,
                country,
                requested_by,
            } => self.update_client(name, email, kind, country, requested_by),
            ClientCommand::SetBillingDetails {
                vat_number,
                address,
                requested_by,
            } => self.set_billing_details(vat_number, address, requested_by),
            ClientCommand::SetClientStatus { active } => self.set_client_status(active),
            ClientCommand::SetClientGroups { groups } => self.set_client_groups(groups),
            ClientCommand::SetPersonalDiscount { discount } => self.set_personal_discount(discount),
            ClientCommand::MarkMerged {
                merge_id,
                into,
                then,
            } => self.mark_merged(merge_id, into, &then),
            ClientCommand::DeleteClient { reason } => self.delete_client(reason),
            ClientCommand::ClaimTrial {
                tariff_id,
                service_id,
            } => self.claim_trial(tariff_id, service_id),
        }
    }

    /// Decides [`ClientCommand::RegisterClient`].
    #[expect(
        clippy::too_many_arguments,
        reason = "the fields of the command, one to one"
    )]
    fn register_client(
        &self,
        client_id: ClientId,
        provider_id: ProviderId,
        currency: Currency,
        name: ClientName,
        email: Email,
        kind: ClientKind,
        country: Country,
    ) -> Result<Vec<ClientEvent>, ClientError> {
        if self.is_registered() {
            return Err(ClientError::AlreadyRegistered);
        }
        Ok(vec![ClientEvent::ClientRegistered {
            client_id,
            provider_id,
            currency,
            name,
            email,
            kind,
            country,
        }])
    }

    /// Decides [`ClientCommand::ImportClient`], given as the event it records: a client that
    /// exists already (imported before: its id is derived from its source) records nothing, so a
    /// repeated import changes nothing.
    fn import_client(&self, imported: ClientEvent) -> Vec<ClientEvent> {
        if self.is_registered() {
            return vec![];
        }
        vec![imported]
    }

    /// Decides [`ClientCommand::UpdateClient`].
    fn update_client(
        &self,
        name: Option<ClientName>,
        email: Option<Email>,
        kind: Option<ClientKind>,
        country: Option<Country>,
        requested_by: RequestedBy,
    ) -> Result<Vec<ClientEvent>, ClientError> {
        self.ensure_active()?;
        // Only real changes are recorded, so a retried or redundant update is a no-op
        // and the history shows what actually changed.
        let name = name.filter(|name| self.name.as_ref() != Some(name));
        let email = email.filter(|email| self.email.as_ref() != Some(email));
        let kind = kind.filter(|kind| self.kind != Some(*kind));
        let country = country.filter(|country| self.country != Some(*country));
        if requested_by == RequestedBy::ClientUser && (kind.is_some() || country.is_some()) {
            return Err(ClientError::TaxIdentityByStaffOnly);
        }
        if name.is_none() && email.is_none() && kind.is_none() && country.is_none() {
            return Ok(vec![]);
        }
        Ok(vec![ClientEvent::ClientUpdated {
            name,
            email,
            kind,
            country,
        }])
    }

    /// Decides [`ClientCommand::SetBillingDetails`].
    fn set_billing_details(
        &self,
        vat_number: Option<VatNumber>,
        address: Option<String>,
        requested_by: RequestedBy,
    ) -> Result<Vec<ClientEvent>, ClientError> {
        self.ensure_active()?;
        if requested_by == RequestedBy::ClientUser && vat_number != self.vat_number {
            return Err(ClientError::TaxIdentityByStaffOnly);
        }
        let address = match address {
            Some(address) => Some(
                text::multiline(&address, ADDRESS_CHARS_MAX).ok_or(ClientError::InvalidAddress)?,
            ),
            None => None,
        };
        if vat_number == self.vat_number && address == self.address {
            return Ok(vec![]);
        }
        Ok(vec![ClientEvent::BillingDetailsSet {
            vat_number,
            address,
        }])
    }

    /// Decides [`ClientCommand::SetClientStatus`].
    fn set_client_status(&self, active: bool) -> Result<Vec<ClientEvent>, ClientError> {
        self.ensure_active()?;
        if active != self.inactive {
            return Ok(vec![]);
        }
        Ok(vec![ClientEvent::ClientStatusSet { active }])
    }

    /// Decides [`ClientCommand::SetClientGroups`].
    fn set_client_groups(
        &self,
        groups: BTreeSet<ClientGroupId>,
    ) -> Result<Vec<ClientEvent>, ClientError> {
        self.ensure_active()?;
        if groups == self.groups {
            return Ok(vec![]);
        }
        Ok(vec![ClientEvent::ClientGroupsSet { groups }])
    }

    /// Decides [`ClientCommand::SetPersonalDiscount`]: an active client only, a discount that
    /// names each item type once.
    fn set_personal_discount(
        &self,
        discount: Option<PersonalDiscount>,
    ) -> Result<Vec<ClientEvent>, ClientError> {
        self.ensure_active()?;
        if let Some(discount) = &discount {
            discount.check().map_err(ClientError::InvalidDiscount)?;
        }
        if discount == self.personal_discount {
            return Ok(vec![]);
        }
        Ok(vec![ClientEvent::PersonalDiscountSet { discount }])
    }

    /// Decides [`ClientCommand::MarkMerged`].
    fn mark_merged(
        &self,
        merge_id: MergeId,
        into: ClientId,
        then: &[ClientId],
    ) -> Result<Vec<ClientEvent>, ClientError> {
        if self.check_mergeable_by(merge_id)? {
            return Ok(vec![]);
        }
        // Directly or through the merges its target went through since: two merges asked at
        // once, each of the other's target, would merge each client into the other, and money
        // would be forwarded between their accounts for ever.
        if self.id.is_some_and(|id| id == into || then.contains(&id)) {
            return Err(ClientError::MergedIntoItself);
        }
        Ok(vec![ClientEvent::ClientMerged { merge_id, into }])
    }

    /// Decides [`ClientCommand::DeleteClient`].
    fn delete_client(&self, reason: String) -> Result<Vec<ClientEvent>, ClientError> {
        self.ensure_active()?;
        let reason = text::trimmed_within(&reason, DELETE_REASON_CHARS_MAX)
            .ok_or(ClientError::InvalidReason)?;
        Ok(vec![ClientEvent::ClientDeleted {
            reason: reason.to_string(),
        }])
    }

    /// The provider and currency of the client stored under `client_id`, which must exist and be
    /// neither merged nor deleted: the client a money command, a document or a merge target may
    /// name. A client marked as not active passes; see [`Client::trading`].
    pub fn active(&self, client_id: ClientId) -> Result<(ProviderId, Currency), ClientError> {
        let (Some(provider_id), Some(currency)) = (self.provider_id, self.currency) else {
            return Err(ClientError::NotFound { client_id });
        };
        if let Some((merge_id, into)) = self.merged {
            return Err(ClientError::Merged {
                client_id,
                merge_id,
                into,
            });
        }
        if self.deleted {
            return Err(ClientError::IsDeleted { client_id });
        }
        Ok((provider_id, currency))
    }

    /// Like [`Client::active`], and the client must not be marked as not active: the client an
    /// order or a payment may name.
    pub fn trading(&self, client_id: ClientId) -> Result<(ProviderId, Currency), ClientError> {
        let found = self.active(client_id)?;
        if self.inactive {
            return Err(ClientError::Inactive { client_id });
        }
        Ok(found)
    }

    /// Whether merge `merge_id` may mark this client merged: it exists, is not merged by another
    /// merge and is not deleted. `Ok(true)` when this very merge already marked it (a repeat),
    /// even if it was deleted since. Refusals are `NotRegistered`, `MergedElsewhere` and
    /// `Deleted`.
    pub fn check_mergeable_by(&self, merge_id: MergeId) -> Result<bool, ClientError> {
        if !self.is_registered() {
            return Err(ClientError::NotRegistered);
        }
        match self.merged {
            Some((merged_by, _)) if merged_by == merge_id => Ok(true),
            Some(_) => Err(ClientError::MergedElsewhere),
            None if self.deleted => Err(ClientError::Deleted),
            None => Ok(false),
        }
    }

    /// Checks that the client exists, has not been deleted and has not been merged: the rule of
    /// [`Client::active`], for a command sent to this client's own stream.
    fn ensure_active(&self) -> Result<(), ClientError> {
        match self.id {
            Some(client_id) => self.active(client_id).map(|_| ()),
            None => Err(ClientError::NotRegistered),
        }
    }
}

impl Aggregate for Client {
    const TYPE: &'static str = "Client";
    type Command = ClientCommand;
    type Event = ClientEvent;
    type Error = ClientError;
    type Services = ();

    async fn handle(
        &mut self,
        command: ClientCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), ClientError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: ClientEvent) {
        match event {
            ClientEvent::ClientRegistered {
                client_id,
                provider_id,
                currency,
                name,
                email,
                kind,
                country,
            } => {
                self.id = Some(client_id);
                self.provider_id = Some(provider_id);
                self.currency = Some(currency);
                self.name = Some(name);
                self.email = Some(email);
                self.kind = Some(kind);
                self.country = Some(country);
            }
            ClientEvent::ClientImported {
                client_id,
                provider_id,
                currency,
                name,
                email,
                kind,
                country,
                active,
                ..
            } => {
                self.id = Some(client_id);
                self.provider_id = Some(provider_id);
                self.currency = Some(currency);
                self.name = Some(name);
                self.email = Some(email);
                self.kind = Some(kind);
                self.country = Some(country);
                self.inactive = !active;
            }
            ClientEvent::ClientUpdated {
                name,
                email,
                kind,
                country,
            } => {
                if let Some(name) = name {
                    self.name = Some(name);
                }
                if let Some(email) = email {
                    self.email = Some(email);
                }
                if let Some(kind) = kind {
                    self.kind = Some(kind);
                }
                if let Some(country) = country {
                    self.country = Some(country);
                }
            }
            ClientEvent::BillingDetailsSet {
                vat_number,
                address,
            } => {
                self.vat_number = vat_number;
                self.address = address;
            }
            ClientEvent::ClientStatusSet { active } => self.inactive = !active,
            ClientEvent::ClientGroupsSet { groups } => self.groups = groups,
            ClientEvent::PersonalDiscountSet { discount } => self.personal_discount = discount,
            ClientEvent::ClientMerged { merge_id, into } => self.merged = Some((merge_id, into)),
            ClientEvent::ClientDeleted { .. } => self.deleted = true,
            ClientEvent::TrialClaimed {
                tariff_id,
                service_id,
            } => {
                self.trials.insert(tariff_id, service_id);
            }
        }
    }
}
