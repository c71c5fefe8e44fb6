//! Affiliate programs: a provider's program pays its affiliates (clients that joined it) a
//! commission on the payments or charges of the clients they referred.
//!
//! Three small aggregates share these values:
//! - [`AffiliateProgram`] (one per program) holds the rule and whether it takes new affiliates;
//! - [`Affiliate`] (one per client and program, [`AffiliateId::of`]) holds the rule it joined
//!   with, its referral links, and what was accrued and paid out per currency, with the rule that
//!   a payout is never more than what was accrued and not yet paid out;
//! - [`Referral`] (one per referred client, under the client's id) holds the rules that a client
//!   is referred once and never by itself.
//!
//! Commission is accrued by a process manager on the referred client's `PaymentPosted` or
//! `ExpenseCharged`, keyed by that source, in the currency of the referred client's account
//! ([`CommissionRule::commission`] decides how much), and taken back in proportion when the
//! client gets that money back (a credit or a correction of the charge, a refund or a reversal
//! of the payment): commission is earned on what the client keeps paying, never on money that
//! goes back and forth.

mod command;
mod error;
mod event;
mod value;

#[cfg(test)]
mod tests;

use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use crate::ids::{AffiliateId, AffiliateProgramId, ClientId, PayoutId, ProviderId};
use crate::money::{Currency, Money};

pub use command::*;
pub use error::*;
pub use event::*;
pub use value::*;

/// The most referral links an affiliate may have.
pub const AFFILIATE_LINKS_MAX: usize = 20;

/// The state of one affiliate program, rebuilt from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AffiliateProgram {
    created: Option<CreatedProgram>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CreatedProgram {
    program_id: AffiliateProgramId,
    provider_id: ProviderId,
    name: String,
    rule: CommissionRule,
    closed: bool,
}

impl AffiliateProgram {
    /// The program's provider, once created.
    pub fn provider_id(&self) -> Option<ProviderId> {
        self.created.as_ref().map(|program| program.provider_id)
    }

    /// The program's rule, once created.
    pub fn rule(&self) -> Option<&CommissionRule> {
        self.created.as_ref().map(|program| &program.rule)
    }

    /// The rule a client of `provider_id` joins with or is referred under: refused when the
    /// program does not exist, is another provider's or is closed.
    pub fn admits(&self, provider_id: ProviderId) -> Result<&CommissionRule, AffiliateError> {
        let program = self
            .created
            .as_ref()
            .filter(|program| program.provider_id == provider_id)
            .ok_or(AffiliateError::ProgramNotFound)?;
        if program.closed {
            return Err(AffiliateError::ProgramClosed);
        }
        Ok(&program.rule)
    }

    /// Applies the business rules to `command` and returns the events it causes.
    pub fn decide(&self, command: ProgramCommand) -> Result<Vec<ProgramEvent>, AffiliateError> {
        match command {
            ProgramCommand::CreateProgram {
                program_id,
                provider_id,
                name,
                rule,
            } => {
                if self.created.is_some() {
                    return Err(AffiliateError::ProgramExists);
                }
                let name = crate::text::display_name(&name, 200)
                    .ok_or(AffiliateError::InvalidName)?
                    .to_owned();
                rule.check()?;
                Ok(vec![ProgramEvent::AffiliateProgramCreated {
                    program_id,
                    provider_id,
                    name,
                    rule,
                }])
            }
            ProgramCommand::CloseProgram => {
                let program = self
                    .created
                    .as_ref()
                    .ok_or(AffiliateError::ProgramNotFound)?;
                if program.closed {
                    return Ok(vec![]);
                }
                Ok(vec![ProgramEvent::AffiliateProgramClosed])
            }
        }
    }
}

impl Aggregate for AffiliateProgram {
    const TYPE: &'static str = "AffiliateProgram";
    type Command = ProgramCommand;
    type Event = ProgramEvent;
    type Error = AffiliateError;
    type Services = ();

    async fn handle(
        &mut self,
        command: ProgramCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), AffiliateError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: ProgramEvent) {
        match event {
            ProgramEvent::AffiliateProgramCreated {
                program_id,
                provider_id,
                name,
                rule,
            } => {
                self.created = Some(CreatedProgram {
                    program_id,
                    provider_id,
                    name,
                    rule,
                    closed: false,
                });
            }
            ProgramEvent::AffiliateProgramClosed => {
                if let Some(program) = &mut self.created {
                    program.closed = true;
                }
            }
        }
    }
}

/// The state of one affiliate, rebuilt from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Affiliate {
    joined: Option<Joined>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Joined {
    affiliate_id: AffiliateId,
    program_id: AffiliateProgramId,
    provider_id: ProviderId,
    client_id: ClientId,
    rule: CommissionRule,
    links: Vec<ReferralCode>,
    /// Everything accrued, one total per currency.
    accrued: Vec<Money>,
    /// Everything paid out, one total per currency.
    paid: Vec<Money>,
    /// Every payout with its amount, so that a repeat is recognised.
    payouts: Vec<(PayoutId, Money)>,
}

/// The total of `currency` in `totals`, zero when absent.
fn total(totals: &[Money], currency: Currency) -> Money {
    totals
        .iter()
        .copied()
        .find(|money| money.currency() == currency)
        .unwrap_or_else(|| Money::zero(currency))
}

/// Replaces (or adds) the total of `money`'s currency.
fn set_total(totals: &mut Vec<Money>, money: Money) {
    match totals
        .iter_mut()
        .find(|total| total.currency() == money.currency())
    {
        Some(total) => *total = money,
        None => totals.push(money),
    }
}

impl Affiliate {
    /// The affiliate's id, once joined.
    pub fn affiliate_id(&self) -> Option<AffiliateId> {
        self.joined.as_ref().map(|joined| joined.affiliate_id)
    }

    /// The affiliate's client, once joined.
    pub fn client_id(&self) -> Option<ClientId> {
        self.joined.as_ref().map(|joined| joined.client_id)
    }

    /// The program's provider, once joined.
    pub fn provider_id(&self) -> Option<ProviderId> {
        self.joined.as_ref().map(|joined| joined.provider_id)
    }

    /// The program, once joined.
    pub fn program_id(&self) -> Option<AffiliateProgramId> {
        self.joined.as_ref().map(|joined| joined.program_id)
    }

    /// The rule the affiliate earns by, once joined.
    pub fn rule(&self) -> Option<&CommissionRule> {
        self.joined.as_ref().map(|joined| &joined.rule)
    }

    /// Whether the affiliate has the link `code`.
    pub fn has_link(&self, code: &ReferralCode) -> bool {
        self.joined
            .as_ref()
            .is_some_and(|joined| joined.links.contains(code))
    }

    /// What may be paid out in `currency`: accrued less paid out.
    pub fn available(&self, currency: Currency) -> Result<Money, AffiliateError> {
        let joined = self.joined.as_ref().ok_or(AffiliateError::NotAnAffiliate)?;
        Ok(total(&joined.accrued, currency).checked_sub(total(&joined.paid, currency))?)
    }

    /// Applies the business rules to `command` and returns the events it causes.
    pub fn decide(&self, command: AffiliateCommand) -> Result<Vec<AffiliateEvent>, AffiliateError> {
        match command {
            AffiliateCommand::JoinProgram {
                program_id,
                provider_id,
                client_id,
                rule,
            } => {
                if self.joined.is_some() {
                    return Ok(vec![]);
                }
                Ok(vec![AffiliateEvent::AffiliateJoined {
                    affiliate_id: AffiliateId::of(program_id, client_id),
                    program_id,
                    provider_id,
                    client_id,
                    rule,
                }])
            }
            AffiliateCommand::AddLink { code } => {
                let joined = self.joined.as_ref().ok_or(AffiliateError::NotAnAffiliate)?;
                if joined.links.contains(&code) {
                    return Ok(vec![]);
                }
                if joined.links.len() >= AFFILIATE_LINKS_MAX {
                    return Err(AffiliateError::TooManyLinks {
                        max: AFFILIATE_LINKS_MAX,
                    });
                }
                Ok(vec![AffiliateEvent::ReferralLinkAdded { code }])
            }
            AffiliateCommand::AccrueCommission {
                source,
                referred_client,
                amount,
                item_type,
                referred_on,
                on,
            } => {
                let joined = self.joined.as_ref().ok_or(AffiliateError::NotAnAffiliate)?;
                let Some(commission) =
                    joined
                        .rule
                        .commission(source.basis, amount, item_type, referred_on, on)?
                else {
                    return Ok(vec![]);
                };
                let accrued_after =
                    total(&joined.accrued, commission.currency()).checked_add(commission)?;
                Ok(vec![AffiliateEvent::CommissionAccrued {
                    source,
                    referred_client,
                    base: amount,
                    commission,
                    accrued_after,
                }])
            }
            AffiliateCommand::TakeBackCommission {
                source,
                of,
                referred_client,
                returned,
                accrued,
                taken_back,
            } => {
                let joined = self.joined.as_ref().ok_or(AffiliateError::NotAnAffiliate)?;
                let Some((base, commission)) = accrued else {
                    return Ok(vec![]);
                };
                if !returned.is_positive() || !base.is_positive() {
                    return Ok(vec![]);
                }
                // The share of the commission that the money given back is of its base, rounded
                // once, and never more than is left of that commission.
                let share = commission.share(returned, base)?;
                let left = commission.checked_sub(taken_back)?;
                let take = if share.amount() > left.amount() {
                    left
                } else {
                    share
                };
                if !take.is_positive() {
                    return Ok(vec![]);
                }
                let accrued_after = total(&joined.accrued, take.currency()).checked_sub(take)?;
                Ok(vec![AffiliateEvent::CommissionTakenBack {
                    source,
                    of,
                    referred_client,
                    base: returned,
                    commission: take,
                    accrued_after,
                }])
            }
            AffiliateCommand::PayOut {
                payout_id,
                amount,
                destination,
                by_affiliate,
            } => {
                let joined = self.joined.as_ref().ok_or(AffiliateError::NotAnAffiliate)?;
                if let Some((_, paid)) = joined.payouts.iter().find(|(id, _)| *id == payout_id) {
                    return if *paid == amount {
                        Ok(vec![])
                    } else {
                        Err(AffiliateError::PayoutIdReused)
                    };
                }
                if !amount.is_positive() {
                    return Err(AffiliateError::InvalidAmount);
                }
                let destination = match destination {
                    PayoutDestination::Account => PayoutDestination::Account,
                    PayoutDestination::External { .. } if by_affiliate => {
                        return Err(AffiliateError::ExternalPayoutByAffiliate);
                    }
                    PayoutDestination::External { reference } => {
                        let reference = crate::text::trimmed_within(&reference, 200)
                            .ok_or(AffiliateError::InvalidReference)?
                            .to_owned();
                        PayoutDestination::External { reference }
                    }
                };
                let available = self.available(amount.currency())?;
                if amount.amount() > available.amount() {
                    return Err(AffiliateError::ExceedsAvailable { available });
                }
                Ok(vec![AffiliateEvent::CommissionPaidOut {
                    payout_id,
                    amount,
                    destination,
                    paid_after: total(&joined.paid, amount.currency()).checked_add(amount)?,
                    available_after: available.checked_sub(amount)?,
                }])
            }
        }
    }
}

impl Aggregate for Affiliate {
    const TYPE: &'static str = "Affiliate";
    type Command = AffiliateCommand;
    type Event = AffiliateEvent;
    type Error = AffiliateError;
    type Services = ();

    async fn handle(
        &mut self,
        command: AffiliateCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), AffiliateError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: AffiliateEvent) {
        match event {
            AffiliateEvent::AffiliateJoined {
                affiliate_id,
                program_id,
                provider_id,
                client_id,
                rule,
            } => {
                self.joined = Some(Joined {
                    affiliate_id,
                    program_id,
                    provider_id,
                    client_id,
                    rule,
                    links: Vec::new(),
                    accrued: Vec::new(),
                    paid: Vec::new(),
                    payouts: Vec::new(),
                });
            }
            AffiliateEvent::ReferralLinkAdded { code } => {
                if let Some(joined) = &mut self.joined {
                    joined.links.push(code);
                }
            }
            AffiliateEvent::CommissionAccrued { accrued_after, .. }
            | AffiliateEvent::CommissionTakenBack { accrued_after, .. } => {
                if let Some(joined) = &mut self.joined {
                    set_total(&mut joined.accrued, accrued_after);
                }
            }
            AffiliateEvent::CommissionPaidOut {
                payout_id,
                amount,
                paid_after,
                ..
            } => {
                if let Some(joined) = &mut self.joined {
                    set_total(&mut joined.paid, paid_after);
                    joined.payouts.push((payout_id, amount));
                }
            }
        }
    }
}

/// The state of a referred client's referral, rebuilt from its events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Referral {
    referred: Option<Referred>,
}

/// A referral as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referred {
    /// The affiliate that referred the client.
    pub affiliate_id: AffiliateId,
    /// The affiliate's client.
    pub affiliate_client: ClientId,
    /// The program.
    pub program_id: AffiliateProgramId,
    /// The day of the referral.
    pub referred_on: chrono::NaiveDate,
}

impl Referral {
    /// The referral, once recorded.
    pub fn referred(&self) -> Option<&Referred> {
        self.referred.as_ref()
    }

    /// Applies the business rules to `command` and returns the events it causes.
    pub fn decide(&self, command: ReferralCommand) -> Result<Vec<ReferralEvent>, AffiliateError> {
        match command {
            ReferralCommand::ReferClient {
                referred_client,
                affiliate_id,
                affiliate_client,
                program_id,
                code,
                on,
            } => {
                if referred_client == affiliate_client {
                    return Err(AffiliateError::SelfReferral);
                }
                if let Some(referred) = &self.referred {
                    return if referred.affiliate_id == affiliate_id {
                        Ok(vec![])
                    } else {
                        Err(AffiliateError::AlreadyReferred)
                    };
                }
                Ok(vec![ReferralEvent::ClientReferred {
                    referred_client,
                    affiliate_id,
                    affiliate_client,
                    program_id,
                    code,
                    referred_on: on,
                }])
            }
        }
    }
}

impl Aggregate for Referral {
    const TYPE: &'static str = "Referral";
    type Command = ReferralCommand;
    type Event = ReferralEvent;
    type Error = AffiliateError;
    type Services = ();

    async fn handle(
        &mut self,
        command: ReferralCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), AffiliateError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: ReferralEvent) {
        match event {
            ReferralEvent::ClientReferred {
                affiliate_id,
                affiliate_client,
                program_id,
                referred_on,
                ..
            } => {
                self.referred = Some(Referred {
                    affiliate_id,
                    affiliate_client,
                    program_id,
                    referred_on,
                });
            }
        }
    }
}
