//! The payer aggregate: a person or legal entity of a client's (the client itself, its company,
//! its accountant's firm) to whom payments and documents are made out. An invoice for a payer
//! freezes the payer's details and is taxed by the payer's country, kind and VAT number.
//!
//! A payer belongs to one client; a merge moves it to the merge's target.

mod command;
mod error;
mod event;

#[cfg(test)]
mod tests;

use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use crate::client::{ClientKind, ClientName, Country, Email, RequestedBy};
use crate::ids::{ClientId, PayerId, ProviderId};
use crate::tax::VatNumber;
use crate::text;

pub use command::*;
pub use error::*;
pub use event::*;

/// The longest registration number, in characters.
pub const REGISTRATION_NUMBER_CHARS_MAX: usize = 64;

/// The longest address, in characters.
pub const PAYER_ADDRESS_CHARS_MAX: usize = 500;

/// A payer's legal details, as printed on documents and used for taxes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PayerProfile {
    /// A private person, a company or a sole proprietor.
    pub kind: ClientKind,
    /// The legal name.
    pub name: ClientName,
    /// The country the payer is taxed in.
    pub country: Country,
    /// The VAT identification number, if it has one.
    #[serde(default)]
    pub vat_number: Option<VatNumber>,
    /// The company registration number, if it has one; trimmed, 1 to 64 characters.
    #[serde(default)]
    pub registration_number: Option<String>,
    /// The postal address; trimmed, 1 to 500 characters, newlines allowed.
    #[serde(default)]
    pub address: Option<String>,
    /// Where documents are sent; the client's address when absent.
    #[serde(default)]
    pub email: Option<Email>,
}

impl PayerProfile {
    /// The profile with its free-text fields checked and trimmed.
    pub fn checked(self) -> Result<PayerProfile, PayerError> {
        let registration_number = match self.registration_number {
            Some(number) => Some(
                text::display_name(&number, REGISTRATION_NUMBER_CHARS_MAX)
                    .ok_or(PayerError::InvalidRegistrationNumber)?
                    .to_string(),
            ),
            None => None,
        };
        let address = match self.address {
            Some(address) => Some(
                text::multiline(&address, PAYER_ADDRESS_CHARS_MAX)
                    .ok_or(PayerError::InvalidAddress)?,
            ),
            None => None,
        };
        Ok(PayerProfile {
            registration_number,
            address,
            ..self
        })
    }
}

/// The state of one payer, rebuilt from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Payer {
    created: Option<CreatedPayer>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CreatedPayer {
    payer_id: PayerId,
    client_id: ClientId,
    provider_id: ProviderId,
    profile: PayerProfile,
}

impl Payer {
    /// Whether `PayerCreated` has happened.
    pub fn is_created(&self) -> bool {
        self.created.is_some()
    }

    /// The client the payer belongs to now, once created.
    pub fn client_id(&self) -> Option<ClientId> {
        self.created.as_ref().map(|p| p.client_id)
    }

    /// The client's provider, once created.
    pub fn provider_id(&self) -> Option<ProviderId> {
        self.created.as_ref().map(|p| p.provider_id)
    }

    /// The payer's id, once created.
    pub fn payer_id(&self) -> Option<PayerId> {
        self.created.as_ref().map(|p| p.payer_id)
    }

    /// The payer's details, once created.
    pub fn profile(&self) -> Option<&PayerProfile> {
        self.created.as_ref().map(|p| &p.profile)
    }

    /// Applies the business rules to `command` and returns the events it causes.
    pub fn decide(&self, command: PayerCommand) -> Result<Vec<PayerEvent>, PayerError> {
        match command {
            PayerCommand::CreatePayer {
                payer_id,
                client_id,
                provider_id,
                profile,
                requested_by,
            } => {
                if self.is_created() {
                    return Err(PayerError::AlreadyCreated);
                }
                if requested_by == RequestedBy::ClientUser && profile.vat_number.is_some() {
                    return Err(PayerError::VatNumberByStaffOnly);
                }
                Ok(vec![PayerEvent::PayerCreated {
                    payer_id,
                    client_id,
                    provider_id,
                    profile: profile.checked()?,
                    source: None,
                }])
            }
            PayerCommand::ImportPayer {
                payer_id,
                client_id,
                provider_id,
                profile,
                source,
            } => {
                if self.is_created() {
                    return Err(PayerError::AlreadyCreated);
                }
                Ok(vec![PayerEvent::PayerCreated {
                    payer_id,
                    client_id,
                    provider_id,
                    profile: profile.checked()?,
                    source: Some(source),
                }])
            }
            PayerCommand::UpdatePayer {
                profile,
                requested_by,
            } => {
                let created = self.created.as_ref().ok_or(PayerError::NotFound)?;
                if requested_by == RequestedBy::ClientUser {
                    let current = &created.profile;
                    if profile.vat_number != current.vat_number {
                        return Err(PayerError::VatNumberByStaffOnly);
                    }
                    if current.vat_number.is_some()
                        && (profile.country != current.country || profile.kind != current.kind)
                    {
                        return Err(PayerError::TaxIdentityByStaffOnly);
                    }
                }
                let profile = profile.checked()?;
                if profile == created.profile {
                    return Ok(vec![]);
                }
                Ok(vec![PayerEvent::PayerUpdated { profile }])
            }
            PayerCommand::TransferPayer {
                to_client,
                merge_id,
            } => {
                let created = self.created.as_ref().ok_or(PayerError::NotFound)?;
                if created.client_id == to_client {
                    return Ok(vec![]);
                }
                Ok(vec![PayerEvent::PayerTransferred {
                    from_client: created.client_id,
                    to_client,
                    merge_id,
                }])
            }
        }
    }
}

impl Aggregate for Payer {
    const TYPE: &'static str = "Payer";
    type Command = PayerCommand;
    type Event = PayerEvent;
    type Error = PayerError;
    type Services = ();

    async fn handle(
        &mut self,
        command: PayerCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), PayerError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: PayerEvent) {
        match event {
            PayerEvent::PayerCreated {
                payer_id,
                client_id,
                provider_id,
                profile,
                source: _,
            } => {
                self.created = Some(CreatedPayer {
                    payer_id,
                    client_id,
                    provider_id,
                    profile,
                });
            }
            PayerEvent::PayerUpdated { profile } => {
                if let Some(created) = &mut self.created {
                    created.profile = profile;
                }
            }
            PayerEvent::PayerTransferred { to_client, .. } => {
                if let Some(created) = &mut self.created {
                    created.client_id = to_client;
                }
            }
        }
    }
}
