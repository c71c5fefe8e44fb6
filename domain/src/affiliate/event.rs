use chrono::NaiveDate;
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::{CommissionRule, CommissionSource, PayoutDestination, ReferralCode};
use crate::ids::{AffiliateId, AffiliateProgramId, ClientId, PayoutId, ProviderId};
use crate::money::Money;

/// What has happened to an affiliate program. Stored forever: variants and fields are never
/// renamed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ProgramEvent {
    /// The program was created.
    AffiliateProgramCreated {
        /// Its id.
        program_id: AffiliateProgramId,
        /// Its provider.
        provider_id: ProviderId,
        /// Its trimmed name.
        name: String,
        /// How it pays.
        rule: CommissionRule,
    },
    /// The program was closed to new affiliates and referrals.
    AffiliateProgramClosed,
}

impl DomainEvent for ProgramEvent {
    fn event_type(&self) -> String {
        match self {
            Self::AffiliateProgramCreated { .. } => "AffiliateProgramCreated".to_string(),
            Self::AffiliateProgramClosed => "AffiliateProgramClosed".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}

/// What has happened to an affiliate. Stored forever: variants and fields are never renamed.
/// Money events carry the totals they leave, so read models copy them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AffiliateEvent {
    /// The client joined the program.
    AffiliateJoined {
        /// `AffiliateId::of(program_id, client_id)`.
        affiliate_id: AffiliateId,
        /// The program.
        program_id: AffiliateProgramId,
        /// Its provider.
        provider_id: ProviderId,
        /// The affiliate's client.
        client_id: ClientId,
        /// The rule the affiliate earns by.
        rule: CommissionRule,
    },
    /// A referral link was added.
    ReferralLinkAdded {
        /// Its code.
        code: ReferralCode,
    },
    /// Commission was accrued on a referred client's payment or charge.
    CommissionAccrued {
        /// The payment or charge.
        source: CommissionSource,
        /// The referred client.
        referred_client: ClientId,
        /// What was paid or charged.
        base: Money,
        /// The commission, in the base's currency.
        commission: Money,
        /// Everything accrued in that currency, this included.
        accrued_after: Money,
    },
    /// Commission accrued on a payment or a charge was taken back, in part or whole, because the
    /// referred client got that money back.
    CommissionTakenBack {
        /// The credit, correction, refund or reversal.
        source: CommissionSource,
        /// The payment or charge whose commission it takes back.
        of: CommissionSource,
        /// The referred client.
        referred_client: ClientId,
        /// What the referred client got back.
        base: Money,
        /// The commission taken back, above zero.
        commission: Money,
        /// Everything accrued in that currency, less what was taken back, this included.
        accrued_after: Money,
    },
    /// Accrued commission was paid out.
    CommissionPaidOut {
        /// The payout.
        payout_id: PayoutId,
        /// What was paid out.
        amount: Money,
        /// Where it went.
        destination: PayoutDestination,
        /// Everything paid out in that currency, this included.
        paid_after: Money,
        /// What is left to pay out in that currency.
        available_after: Money,
    },
}

impl DomainEvent for AffiliateEvent {
    fn event_type(&self) -> String {
        match self {
            Self::AffiliateJoined { .. } => "AffiliateJoined".to_string(),
            Self::ReferralLinkAdded { .. } => "ReferralLinkAdded".to_string(),
            Self::CommissionAccrued { .. } => "CommissionAccrued".to_string(),
            Self::CommissionTakenBack { .. } => "CommissionTakenBack".to_string(),
            Self::CommissionPaidOut { .. } => "CommissionPaidOut".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}

/// What has happened to a referred client's referral. Stored forever.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ReferralEvent {
    /// The client signed up through an affiliate's link.
    ClientReferred {
        /// The referred client.
        referred_client: ClientId,
        /// The affiliate.
        affiliate_id: AffiliateId,
        /// The affiliate's client.
        affiliate_client: ClientId,
        /// The program.
        program_id: AffiliateProgramId,
        /// The link's code.
        code: ReferralCode,
        /// The day of the sign-up, from which the rule's months count.
        referred_on: NaiveDate,
    },
}

impl DomainEvent for ReferralEvent {
    fn event_type(&self) -> String {
        match self {
            Self::ClientReferred { .. } => "ClientReferred".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}
