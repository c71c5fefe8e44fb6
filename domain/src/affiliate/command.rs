use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{CommissionRule, CommissionSource, PayoutDestination, ReferralCode};
use crate::ids::{AffiliateId, AffiliateProgramId, ClientId, PayoutId, ProviderId};
use crate::money::Money;
use crate::tariff::ItemType;

/// What can be asked of an affiliate program.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ProgramCommand {
    /// Creates the program `program_id` of `provider_id`.
    CreateProgram {
        /// The caller-chosen id; the aggregate's id.
        program_id: AffiliateProgramId,
        /// The provider whose clients join it and are referred.
        provider_id: ProviderId,
        /// What staff and clients call it; trimmed, 1 to 200 characters.
        name: String,
        /// How it pays its affiliates.
        rule: CommissionRule,
    },
    /// Closes the program to new affiliates and referrals; clients referred before keep
    /// earning their affiliates commission. Closing a closed program records nothing.
    CloseProgram,
}

/// What can be asked of an affiliate (a client's membership of a program).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AffiliateCommand {
    /// The client joins the program; the aggregate's id must be `AffiliateId::of(program,
    /// client)`. Joining again records nothing.
    JoinProgram {
        /// The program.
        program_id: AffiliateProgramId,
        /// Its provider.
        provider_id: ProviderId,
        /// The client that joins (a client of `provider_id`).
        client_id: ClientId,
        /// The program's rule, which the affiliate keeps for life.
        rule: CommissionRule,
    },
    /// Gives the affiliate another referral link. A code the affiliate has already records
    /// nothing.
    AddLink {
        /// The link's code, made by the caller (unique across all programs).
        code: ReferralCode,
    },
    /// Accrues the commission the rule gives for one payment or charge of a referred client.
    /// The caller keys it by `source`, so that it is accrued once.
    AccrueCommission {
        /// The payment or charge.
        source: CommissionSource,
        /// The referred client who paid or was charged.
        referred_client: ClientId,
        /// What was paid or charged, in the referred client's account currency.
        amount: Money,
        /// The item type of the charged service (charges only).
        item_type: Option<ItemType>,
        /// The day the client was referred.
        referred_on: NaiveDate,
        /// The day of the payment or charge.
        on: NaiveDate,
    },
    /// Takes back the commission on money the referred client got back (a credit or a
    /// correction of a charge, a refund or a reversal of a payment): the share of the accrual on
    /// `of` that `returned` is of that accrual's base, never more than is left of it. Nothing
    /// when nothing was accrued on `of`. The caller reads the accrual and what was taken back of
    /// it from this affiliate's events, and keys the command by `source`.
    TakeBackCommission {
        /// The credit, correction, refund or reversal.
        source: CommissionSource,
        /// The payment or charge it gives back part of.
        of: CommissionSource,
        /// The referred client.
        referred_client: ClientId,
        /// What the referred client got back, in its account's currency.
        returned: Money,
        /// The accrual on `of`, if there was one: its base and its commission.
        accrued: Option<(Money, Money)>,
        /// What was taken back of that accrual before.
        taken_back: Money,
    },
    /// Pays out accrued commission: never more than what was accrued and not yet paid out, in
    /// that currency. A payout id already paid records nothing.
    PayOut {
        /// The caller-chosen payout id.
        payout_id: PayoutId,
        /// What is paid out; above zero.
        amount: Money,
        /// Where it goes.
        destination: PayoutDestination,
        /// Whether the affiliate itself asks (not staff): it may only pay out to its account.
        by_affiliate: bool,
    },
}

/// What can be asked of a referral (one stream per referred client, under the client's id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ReferralCommand {
    /// Records that `referred_client` signed up through `code` of `affiliate_id`. A client is
    /// referred once: the same referral again records nothing, another one is refused.
    ReferClient {
        /// The client who signed up; the aggregate's id.
        referred_client: ClientId,
        /// The affiliate whose link it used.
        affiliate_id: AffiliateId,
        /// The affiliate's client.
        affiliate_client: ClientId,
        /// The program.
        program_id: AffiliateProgramId,
        /// The link's code.
        code: ReferralCode,
        /// The day of the sign-up.
        on: NaiveDate,
    },
}
