use chrono::NaiveDate;
use cqrs_es::test::TestFramework;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::*;
use crate::tariff::ItemType;

type AffiliateTester = TestFramework<Affiliate>;
type ReferralTester = TestFramework<Referral>;
type ProgramTester = TestFramework<AffiliateProgram>;

fn program_id() -> AffiliateProgramId {
    AffiliateProgramId::from_uuid(Uuid::from_u128(0x70))
}

fn provider_id() -> ProviderId {
    ProviderId::from_uuid(Uuid::from_u128(0x10))
}

fn affiliate_client() -> ClientId {
    ClientId::from_uuid(Uuid::from_u128(0x20))
}

fn referred_client() -> ClientId {
    ClientId::from_uuid(Uuid::from_u128(0x21))
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn eur(amount: &str) -> Money {
    Money::parse(amount, Currency::EUR).unwrap()
}

fn rule(basis: CommissionBasis, months: Option<u32>, item_types: Vec<ItemType>) -> CommissionRule {
    CommissionRule {
        basis,
        percent: "12.5".parse::<Decimal>().unwrap(),
        months,
        item_types,
    }
}

fn joined(rule: CommissionRule) -> AffiliateEvent {
    AffiliateEvent::AffiliateJoined {
        affiliate_id: AffiliateId::of(program_id(), affiliate_client()),
        program_id: program_id(),
        provider_id: provider_id(),
        client_id: affiliate_client(),
        rule,
    }
}

fn source(n: u128) -> CommissionSource {
    CommissionSource {
        basis: CommissionBasis::Payments,
        id: Uuid::from_u128(n),
    }
}

fn accrue(amount: &str, on: &str) -> AffiliateCommand {
    AffiliateCommand::AccrueCommission {
        source: source(1),
        referred_client: referred_client(),
        amount: eur(amount),
        item_type: None,
        referred_on: date("2026-01-15"),
        on: date(on),
    }
}

fn accrued(commission: &str, after: &str) -> AffiliateEvent {
    AffiliateEvent::CommissionAccrued {
        source: source(1),
        referred_client: referred_client(),
        base: eur("100.00"),
        commission: eur(commission),
        accrued_after: eur(after),
    }
}

fn payout(amount: &str, destination: PayoutDestination, by_affiliate: bool) -> AffiliateCommand {
    AffiliateCommand::PayOut {
        payout_id: PayoutId::from_uuid(Uuid::from_u128(0x90)),
        amount: eur(amount),
        destination,
        by_affiliate,
    }
}

#[test]
fn a_payment_accrues_its_percent_rounded_half_away_from_zero() {
    AffiliateTester::with(())
        .given(vec![joined(rule(CommissionBasis::Payments, None, vec![]))])
        .when(AffiliateCommand::AccrueCommission {
            source: source(1),
            referred_client: referred_client(),
            amount: eur("0.20"),
            item_type: None,
            referred_on: date("2026-01-15"),
            on: date("2030-01-01"),
        })
        .then_expect_events(vec![AffiliateEvent::CommissionAccrued {
            source: source(1),
            referred_client: referred_client(),
            base: eur("0.20"),
            commission: eur("0.03"),
            accrued_after: eur("0.03"),
        }]);
}

#[test]
fn commission_stops_after_the_rules_months() {
    let rule = rule(CommissionBasis::Payments, Some(1), vec![]);
    AffiliateTester::with(())
        .given(vec![joined(rule.clone())])
        .when(accrue("100.00", "2026-02-14"))
        .then_expect_events(vec![accrued("12.50", "12.50")]);
    AffiliateTester::with(())
        .given(vec![joined(rule)])
        .when(accrue("100.00", "2026-02-15"))
        .then_expect_events(vec![]);
}

#[test]
fn a_rule_on_charges_ignores_payments_and_unlisted_item_types() {
    let rule = rule(CommissionBasis::Charges, None, vec![ItemType::Vds]);
    AffiliateTester::with(())
        .given(vec![joined(rule.clone())])
        .when(accrue("100.00", "2026-02-01"))
        .then_expect_events(vec![]);
    let charge = CommissionSource {
        basis: CommissionBasis::Charges,
        id: Uuid::from_u128(2),
    };
    let command = |item_type| AffiliateCommand::AccrueCommission {
        source: charge,
        referred_client: referred_client(),
        amount: eur("10.00"),
        item_type: Some(item_type),
        referred_on: date("2026-01-15"),
        on: date("2026-02-01"),
    };
    AffiliateTester::with(())
        .given(vec![joined(rule.clone())])
        .when(command(ItemType::Domain))
        .then_expect_events(vec![]);
    AffiliateTester::with(())
        .given(vec![joined(rule)])
        .when(command(ItemType::Vds))
        .then_expect_events(vec![AffiliateEvent::CommissionAccrued {
            source: charge,
            referred_client: referred_client(),
            base: eur("10.00"),
            commission: eur("1.25"),
            accrued_after: eur("1.25"),
        }]);
}

#[test]
fn a_payout_of_what_was_accrued_is_recorded_with_the_totals() {
    AffiliateTester::with(())
        .given(vec![
            joined(rule(CommissionBasis::Payments, None, vec![])),
            accrued("12.50", "12.50"),
        ])
        .when(payout("12.50", PayoutDestination::Account, true))
        .then_expect_events(vec![AffiliateEvent::CommissionPaidOut {
            payout_id: PayoutId::from_uuid(Uuid::from_u128(0x90)),
            amount: eur("12.50"),
            destination: PayoutDestination::Account,
            paid_after: eur("12.50"),
            available_after: eur("0.00"),
        }]);
}

#[test]
fn a_payout_above_what_is_left_is_refused() {
    AffiliateTester::with(())
        .given(vec![
            joined(rule(CommissionBasis::Payments, None, vec![])),
            accrued("12.50", "12.50"),
        ])
        .when(payout("12.51", PayoutDestination::Account, false))
        .then_expect_error(AffiliateError::ExceedsAvailable {
            available: eur("12.50"),
        });
}

#[test]
fn a_repeated_payout_records_nothing() {
    AffiliateTester::with(())
        .given(vec![
            joined(rule(CommissionBasis::Payments, None, vec![])),
            accrued("12.50", "12.50"),
            AffiliateEvent::CommissionPaidOut {
                payout_id: PayoutId::from_uuid(Uuid::from_u128(0x90)),
                amount: eur("12.50"),
                destination: PayoutDestination::Account,
                paid_after: eur("12.50"),
                available_after: eur("0.00"),
            },
        ])
        .when(payout("12.50", PayoutDestination::Account, false))
        .then_expect_events(vec![]);
}

#[test]
fn an_affiliate_may_not_pay_itself_out_of_the_billing() {
    AffiliateTester::with(())
        .given(vec![
            joined(rule(CommissionBasis::Payments, None, vec![])),
            accrued("12.50", "12.50"),
        ])
        .when(payout(
            "1.00",
            PayoutDestination::External {
                reference: "IBAN".to_owned(),
            },
            true,
        ))
        .then_expect_error(AffiliateError::ExternalPayoutByAffiliate);
}

/// Takes back the commission on `returned` of the 100.00 payment `source(1)`, whose accrual
/// was 12.50, of which `before` was taken back already.
fn take_back(n: u128, returned: &str, before: &str) -> AffiliateCommand {
    AffiliateCommand::TakeBackCommission {
        source: source(n),
        of: source(1),
        referred_client: referred_client(),
        returned: eur(returned),
        accrued: Some((eur("100.00"), eur("12.50"))),
        taken_back: eur(before),
    }
}

#[test]
fn money_given_back_takes_back_its_share_of_the_commission_never_more_than_is_left() {
    let rule = joined(rule(CommissionBasis::Payments, None, vec![]));
    // 40.00 of the 100.00 refunded: 12.50 × 40 ÷ 100 = 5.00 taken back, 7.50 left accrued.
    AffiliateTester::with(())
        .given(vec![rule.clone(), accrued("12.50", "12.50")])
        .when(take_back(2, "40.00", "0.00"))
        .then_expect_events(vec![AffiliateEvent::CommissionTakenBack {
            source: source(2),
            of: source(1),
            referred_client: referred_client(),
            base: eur("40.00"),
            commission: eur("5.00"),
            accrued_after: eur("7.50"),
        }]);
    // After 12.49 taken back, a reversal of the whole 100.00 takes the 0.01 left.
    AffiliateTester::with(())
        .given(vec![rule.clone(), accrued("12.50", "12.50")])
        .when(take_back(3, "100.00", "12.49"))
        .then_expect_events(vec![AffiliateEvent::CommissionTakenBack {
            source: source(3),
            of: source(1),
            referred_client: referred_client(),
            base: eur("100.00"),
            commission: eur("0.01"),
            accrued_after: eur("12.49"),
        }]);
    // Nothing accrued on the payment (outside the rule's months): nothing to take back.
    AffiliateTester::with(())
        .given(vec![rule])
        .when(AffiliateCommand::TakeBackCommission {
            source: source(4),
            of: source(1),
            referred_client: referred_client(),
            returned: eur("40.00"),
            accrued: None,
            taken_back: eur("0.00"),
        })
        .then_expect_events(vec![]);
}

fn refer(affiliate_client: ClientId) -> ReferralCommand {
    ReferralCommand::ReferClient {
        referred_client: referred_client(),
        affiliate_id: AffiliateId::of(program_id(), affiliate_client),
        affiliate_client,
        program_id: program_id(),
        code: ReferralCode::parse("ABCDEF12").unwrap(),
        on: date("2026-01-15"),
    }
}

#[test]
fn a_client_cannot_refer_itself() {
    ReferralTester::with(())
        .given_no_previous_events()
        .when(refer(referred_client()))
        .then_expect_error(AffiliateError::SelfReferral);
}

#[test]
fn a_client_is_referred_once() {
    let first = ReferralEvent::ClientReferred {
        referred_client: referred_client(),
        affiliate_id: AffiliateId::of(program_id(), affiliate_client()),
        affiliate_client: affiliate_client(),
        program_id: program_id(),
        code: ReferralCode::parse("ABCDEF12").unwrap(),
        referred_on: date("2026-01-15"),
    };
    ReferralTester::with(())
        .given(vec![first.clone()])
        .when(refer(affiliate_client()))
        .then_expect_events(vec![]);
    ReferralTester::with(())
        .given(vec![first])
        .when(refer(ClientId::from_uuid(Uuid::from_u128(0x22))))
        .then_expect_error(AffiliateError::AlreadyReferred);
}

#[test]
fn a_rule_on_payments_cannot_name_item_types() {
    ProgramTester::with(())
        .given_no_previous_events()
        .when(ProgramCommand::CreateProgram {
            program_id: program_id(),
            provider_id: provider_id(),
            name: "Partners".to_owned(),
            rule: rule(CommissionBasis::Payments, None, vec![ItemType::Vds]),
        })
        .then_expect_error(AffiliateError::ItemTypesNeedCharges);
}

#[test]
fn a_percent_above_100_is_refused() {
    let mut rule = rule(CommissionBasis::Payments, None, vec![]);
    rule.percent = "100.01".parse().unwrap();
    assert_eq!(rule.check(), Err(AffiliateError::InvalidPercent));
}
