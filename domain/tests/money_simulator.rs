// Over 800 lines: one property, its generator of command sequences and its checks read together.
//! The money simulator (issue 13): money conservation as a property the test suite proves.
//!
//! Thousands of seeded random command sequences drive the aggregates' pure `decide` and `apply`
//! the way the process managers and HTTP handlers chain them (an order is `OrderService`, then
//! `ChargeExpense` on the account and `RecordCharge` on the service; a tariff change is
//! `ReplaceCharge`, then `ChangeTariff`; a merge is `TransferBalanceOut`, then
//! `TransferBalanceIn` with what the source recorded, and `TransferService`; money arriving on
//! an account settles what waits for it). After every step the invariants below are checked
//! against the events recorded so far, recomputed from the events' amounts rather than taken
//! from their `balance_after`. A failing seed is shrunk (steps are dropped while it still fails)
//! and the shortest sequence is printed.
//!
//! `cargo test -p domain --test money_simulator` runs 10,000 short sequences;
//! `BILLING_LONG_TESTS=1` runs 20,000 more sequences of up to 100 steps.
//!
//! Some invariants are broken by known bugs. Each has a `CHECK_*` switch below, off until its fix
//! is merged, and the seed that found the bug is a named test running its shortest sequence:
//! while the switch is off, the test asserts that the sequence still breaks the invariant, so it
//! fails as soon as the fix arrives and says to turn the switch on; with the switch on, it
//! asserts that the invariant holds.
//!
//! One file however long: the simulator, its model of the expected sums and its checks are one
//! program that is read and changed together.

#![expect(
    clippy::expect_used,
    reason = "a test: an expectation that does not hold is a failed test"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{Days, NaiveDate};
use domain::account::{
    Account, AccountCommand, AccountError, AccountEvent, CreditedCharge, ExpenseDiscount,
    ExpenseLine, PaymentMethod, PaymentMethodKind,
};
use domain::ids::{
    AccountId, AdjustmentId, ClientId, CompanyId, CorrectionId, ExpenseId, MergeId, OperationId,
    PaymentId, ProviderId, RefundId, ServiceId, TariffId,
};
use domain::money::{Currency, Money};
use domain::payment::{Payment, PaymentCommand};
use domain::period::BillingPeriod;
use domain::promo::Discount;
use domain::service::{
    OperationStatus, Service, ServiceCommand, ServiceDiscount, ServiceEvent, SuspendReason,
};
use domain::tariff::{ItemType, ServiceTerms};
use domain::tax::{TaxMode, TaxRate, TaxTreatment};
use rust_decimal::Decimal;
use uuid::Uuid;

/// A tariff change gives back at most what was charged for the days it gives back: with a promo
/// code the credit is the discounted price, and a voided or corrected charge is not given back
/// twice. Off until the tariff-change proration fix is merged.
const CHECK_TARIFF_CREDIT_CAP: bool = true;

/// No charged period starts before the service's order (a back-dated billing day must not
/// charge an order for days before it existed). Off until the "no period before the order" fix
/// is merged.
const CHECK_NO_PERIOD_BEFORE_ORDER: bool = true;

/// A service ordered without auto-renewal is never charged again by the billing day or by
/// settlement once its paid time ends; only a manual prolongation extends it. Off until the
/// "auto-renew off really ends a service" fix is merged.
const CHECK_AUTO_RENEW_OFF_ENDS: bool = true;

/// A payment confirmation never credits more than the client paid. Off until the payment
/// confirmation fix is merged.
const CHECK_CONFIRMED_CREDIT_CAP: bool = true;

/// A merged client's account stays empty after its merge: a correction of one of its old
/// expenses, or a refund or fraud reversal of one of its old payments, must not strand money on
/// an account nobody uses. Found by this simulator; fixed by forwarding (ADR 6, addendum).
const CHECK_MERGED_ACCOUNT_STAYS_EMPTY: bool = true;

/// A billing day that loaded a service before a concurrent charge of it charges nothing twice:
/// the order's charge `[today, ...)` and the billing day's `[as_of, ...)` must not both stay.
/// Off: a race found over HTTP (a billing day dated tomorrow while orders are placed), not one
/// of the bugs being fixed; the account is charged before the service records the period, and
/// the service ignores a period it already covers, so the account keeps both.
const CHECK_NO_STALE_DOUBLE_CHARGE: bool = true;

/// Which of the switched invariants a run checks.
#[derive(Debug, Clone, Copy, Default)]
struct Switches {
    tariff_credit_cap: bool,
    no_period_before_order: bool,
    auto_renew_off_ends: bool,
    confirmed_credit_cap: bool,
    merged_account_stays_empty: bool,
    no_stale_double_charge: bool,
}

impl Switches {
    /// The switches as set above: what the normal suite checks.
    const CONFIGURED: Switches = Switches {
        tariff_credit_cap: CHECK_TARIFF_CREDIT_CAP,
        no_period_before_order: CHECK_NO_PERIOD_BEFORE_ORDER,
        auto_renew_off_ends: CHECK_AUTO_RENEW_OFF_ENDS,
        confirmed_credit_cap: CHECK_CONFIRMED_CREDIT_CAP,
        merged_account_stays_empty: CHECK_MERGED_ACCOUNT_STAYS_EMPTY,
        no_stale_double_charge: CHECK_NO_STALE_DOUBLE_CHARGE,
    };
}

/// Sequences and their longest length in the normal suite: a few seconds in a debug build.
const SEQUENCES: u64 = 10_000;
const STEPS_MAX: usize = 24;

/// The same with `BILLING_LONG_TESTS=1`.
const LONG_SEQUENCES: u64 = 20_000;
const LONG_STEPS_MAX: usize = 100;

const CLIENTS: usize = 4;

fn eur() -> Currency {
    Currency::EUR
}

fn cents(amount: i64) -> Money {
    Money::from_decimal(Decimal::new(amount, 2), eur()).expect("two decimals fit EUR")
}

fn provider() -> ProviderId {
    ProviderId::from_uuid(Uuid::from_u128(0xF00D))
}

fn client(index: usize) -> ClientId {
    ClientId::from_uuid(Uuid::from_u128(
        0xC0_0000 + u128::try_from(index).expect("a small index"),
    ))
}

/// How a client is taxed: untaxed, VAT added or VAT included by turns, so that every rule about
/// credits and corrections is checked with gross amounts as well.
fn treatment_of(client: ClientId) -> TaxTreatment {
    let rate = TaxRate::parse("19").expect("a rate");
    match client.as_uuid().as_u128() % 3 {
        0 => TaxTreatment::NotTaxed,
        1 => TaxTreatment::Standard {
            rate,
            mode: TaxMode::Added,
        },
        _ => TaxTreatment::Standard {
            rate,
            mode: TaxMode::Included,
        },
    }
}

fn account_of(client: ClientId) -> AccountId {
    AccountId::of(client, provider(), eur())
}

fn start_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 1, 28).expect("a real day")
}

/// The tariffs of the simulated provider: (name, price per period, setup fee, period).
const TARIFFS: [(&str, i64, i64, BillingPeriod); 5] = [
    ("Start", 1_000, 0, BillingPeriod::Month),
    ("Pro", 2_550, 500, BillingPeriod::Month),
    ("Cheap", 799, 0, BillingPeriod::Month),
    ("Big", 10_000, 2_500, BillingPeriod::Month),
    ("Quarterly", 2_700, 0, BillingPeriod::Quarter),
];

fn terms(tariff: usize) -> ServiceTerms {
    let (name, price, setup, period) = TARIFFS[tariff % TARIFFS.len()];
    ServiceTerms {
        tariff_id: TariffId::from_uuid(Uuid::from_u128(
            0x7A_0000 + u128::try_from(tariff).expect("a small index"),
        )),
        tariff_name: name.to_string(),
        item_type: ItemType::Vds,
        period,
        base_price: cents(price),
        setup_fee: cents(setup),
        addons: vec![],
        price_per_period: cents(price),
        deletion_delay_days: 15,
        hourly: None,
    }
}

/// The promo codes: none, 20 %, 100 %, 5.00 EUR fixed; each once or recurring.
fn promo(kind: u8) -> Option<ServiceDiscount> {
    let (code, discount) = match kind % 4 {
        0 => return None,
        1 => (
            "TWENTY",
            Discount::Percent {
                percent: Decimal::new(20, 0),
            },
        ),
        2 => (
            "FREE",
            Discount::Percent {
                percent: Decimal::new(100, 0),
            },
        ),
        _ => ("FIVE", Discount::Fixed { amount: cents(500) }),
    };
    Some(ServiceDiscount {
        code: code.to_string(),
        discount,
        recurring: kind >= 4,
        tariffs: Vec::new(),
        item_types: Vec::new(),
    })
}

/// One step a user, staff or a scheduled job takes. Indices pick among what exists when the step
/// runs (modulo its count), so a step keeps a meaning when earlier steps are dropped.
#[derive(Debug, Clone, PartialEq)]
enum Op {
    /// `POST /v1/clients/{id}/payments`: a payment credited directly.
    Pay { client: usize, cents: i64 },
    /// A payment with a lifecycle: created, confirmed with what arrived (`cents + delta`),
    /// credited to the account.
    PayLifecycle {
        client: usize,
        cents: i64,
        delta: i64,
    },
    /// A refund of part of a credited payment.
    Refund { payment: usize, cents: i64 },
    /// A payment marked as fraud: what is left of it is taken back.
    Fraud { payment: usize },
    /// Staff correct the balance by a signed amount.
    Adjust { client: usize, cents: i64 },
    /// Staff set a credit limit.
    CreditLimit { client: usize, cents: i64 },
    /// An order, with a promo code, charged at once if the money is there.
    Order {
        client: usize,
        tariff: usize,
        promo: u8,
        auto_prolong: bool,
    },
    /// A manual prolongation by one period.
    Prolong { service: usize },
    /// A tariff change today.
    ChangeTariff { service: usize, tariff: usize },
    /// Staff suspend a service.
    Suspend { service: usize, abuse: bool },
    /// Staff resume a service.
    Resume { service: usize },
    /// The client closes a service, now or at the end of its paid time.
    Close { service: usize, at_period_end: bool },
    /// The provisioning system completes (or fails, and it is retried) a service's operation.
    Provision { service: usize, fail: bool },
    /// Staff give back part (or, with `None`, all that is left) of a charged expense.
    Correct { expense: usize, cents: Option<i64> },
    /// Time passes by `advance` days, and the billing day runs for `back` days before today.
    BillingDay { advance: u64, back: u64 },
    /// A billing day dated `ahead` days after today loads a new order before the order's own
    /// charge lands, and charges the period it computed then: the interleaving of the order
    /// route and a concurrent billing day (`Order`, then the two charges).
    OrderDuringBillingDay {
        client: usize,
        tariff: usize,
        ahead: u64,
    },
    /// A service moves to another client.
    TransferService { service: usize, client: usize },
    /// Client `from` is merged into client `to`.
    Merge { from: usize, to: usize },
}

fn random_op(rng: &mut fastrand::Rng) -> Op {
    let client = rng.usize(0..CLIENTS);
    let index = rng.usize(0..64);
    match rng.u8(0..100) {
        0..=11 => Op::Pay {
            client,
            cents: random_cents(rng),
        },
        12..=17 => Op::PayLifecycle {
            client,
            cents: random_cents(rng),
            delta: match rng.u8(0..4) {
                0 => -rng.i64(1..500),
                1 => rng.i64(1..500),
                _ => 0,
            },
        },
        18..=23 => Op::Refund {
            payment: index,
            cents: random_cents(rng),
        },
        24..=26 => Op::Fraud { payment: index },
        27..=30 => Op::Adjust {
            client,
            cents: if rng.bool() {
                random_cents(rng)
            } else {
                -random_cents(rng)
            },
        },
        31..=33 => Op::CreditLimit {
            client,
            cents: rng.i64(0..5_000),
        },
        34..=47 => Op::Order {
            client,
            tariff: rng.usize(0..TARIFFS.len()),
            promo: rng.u8(0..8),
            auto_prolong: rng.u8(0..4) != 0,
        },
        48..=52 => Op::Prolong { service: index },
        53..=59 => Op::ChangeTariff {
            service: index,
            tariff: rng.usize(0..TARIFFS.len()),
        },
        60..=62 => Op::Suspend {
            service: index,
            abuse: rng.bool(),
        },
        63..=65 => Op::Resume { service: index },
        66..=68 => Op::Close {
            service: index,
            at_period_end: rng.bool(),
        },
        69..=75 => Op::Provision {
            service: index,
            fail: rng.u8(0..5) == 0,
        },
        76..=80 => Op::Correct {
            expense: index,
            cents: rng.bool().then(|| rng.i64(1..3_000)),
        },
        81..=92 => Op::BillingDay {
            advance: rng.u64(0..40),
            back: if rng.u8(0..4) == 0 { rng.u64(1..40) } else { 0 },
        },
        93..=95 => Op::TransferService {
            service: index,
            client,
        },
        96 => Op::OrderDuringBillingDay {
            client,
            tariff: rng.usize(0..TARIFFS.len()),
            ahead: rng.u64(0..3),
        },
        _ => Op::Merge {
            from: client,
            to: rng.usize(0..CLIENTS),
        },
    }
}

fn random_cents(rng: &mut fastrand::Rng) -> i64 {
    match rng.u8(0..4) {
        0 => rng.i64(1..100),
        1 => rng.i64(100..2_000),
        _ => rng.i64(2_000..20_000),
    }
}

/// A broken invariant: its name, stable across shrinking, and what was found.
#[derive(Debug, Clone, PartialEq)]
struct Violation {
    invariant: &'static str,
    detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.invariant, self.detail)
    }
}

/// A payment credited to an account, as the callers know it.
#[derive(Debug, Clone)]
struct Credited {
    payment_id: PaymentId,
    account: AccountId,
    credited: Money,
    /// `Some` for a payment with a lifecycle.
    paid: Option<Money>,
}

/// The simulated system: the aggregates, their logs, and what the event store would remember.
#[derive(Default)]
struct World {
    today: Option<NaiveDate>,
    next_id: u128,
    accounts: BTreeMap<AccountId, Account>,
    account_log: BTreeMap<AccountId, Vec<AccountEvent>>,
    services: Vec<ServiceId>,
    service_state: BTreeMap<ServiceId, Service>,
    service_log: BTreeMap<ServiceId, Vec<ServiceEvent>>,
    payments: Vec<Credited>,
    lifecycle: BTreeMap<PaymentId, Payment>,
    /// Command keys taken: the event store answers a repeat with the first answer.
    keys: BTreeSet<String>,
    /// Expenses charged by a manual prolongation.
    manual: BTreeSet<ExpenseId>,
    merged: BTreeSet<usize>,
    /// The client each merge merged into, for the forwards its merged accounts make later.
    merge_targets: BTreeMap<MergeId, usize>,
    /// Expenses charged by a billing day from a due period computed before a concurrent charge.
    stale: BTreeSet<ExpenseId>,
}

impl World {
    fn today(&self) -> NaiveDate {
        self.today.unwrap_or_else(start_day)
    }

    fn fresh(&mut self) -> Uuid {
        self.next_id += 1;
        Uuid::from_u128(0xA000_0000 + self.next_id)
    }

    fn account(
        &mut self,
        id: AccountId,
        command: AccountCommand,
    ) -> Result<Vec<AccountEvent>, AccountError> {
        let state = self.accounts.entry(id).or_default();
        let events = state.decide(command)?;
        for event in &events {
            cqrs_es::Aggregate::apply(state, event.clone());
        }
        self.account_log
            .entry(id)
            .or_default()
            .extend(events.iter().cloned());
        for event in &events {
            self.receive_forward(id, event);
        }
        Ok(events)
    }

    /// `process::merging::receive_forward`: what a merged account forwarded arrives on the
    /// account it was merged into, and settles what waits there.
    fn receive_forward(&mut self, from_account: AccountId, event: &AccountEvent) {
        let AccountEvent::BalanceTransferredOut {
            merge_id,
            to_account,
            amount,
            forward: Some(forward),
            ..
        } = event
        else {
            return;
        };
        let Some(to) = self.merge_targets.get(merge_id).copied() else {
            return;
        };
        let _ = self.account(
            *to_account,
            AccountCommand::TransferBalanceIn {
                client_id: client(to),
                provider_id: provider(),
                merge_id: *merge_id,
                from_account,
                amount: *amount,
                forward: Some(*forward),
            },
        );
        if amount.is_positive() {
            self.settle(*to_account);
        }
    }

    fn service(&mut self, id: ServiceId, command: ServiceCommand) -> Option<Vec<ServiceEvent>> {
        let state = self.service_state.entry(id).or_default();
        let events = state.decide(command).ok()?;
        for event in &events {
            cqrs_es::Aggregate::apply(state, event.clone());
        }
        self.service_log
            .entry(id)
            .or_default()
            .extend(events.iter().cloned());
        Some(events)
    }

    fn pick_service(&self, index: usize) -> Option<ServiceId> {
        (!self.services.is_empty()).then(|| self.services[index % self.services.len()])
    }

    fn live_client(&self, index: usize) -> Option<usize> {
        (0..CLIENTS)
            .map(|offset| (index + offset) % CLIENTS)
            .find(|candidate| !self.merged.contains(candidate))
    }

    /// `settlement::charge_period`: the account is charged (keyed by the expense id), then the
    /// service records the period. Returns whether the account paid it.
    fn charge(&mut self, service_id: ServiceId, due: domain::service::DuePeriod) -> bool {
        let service = &self.service_state[&service_id];
        let (Some(client_id), Some(account_id), Some(terms)) =
            (service.client_id(), service.account_id(), service.terms())
        else {
            return false;
        };
        let line = ExpenseLine {
            expense_id: due.expense_id,
            service_id,
            period_start: due.period_start,
            period_end: due.period_end,
            amount: due.amount,
            description: format!(
                "{}, {} to {}",
                terms.tariff_name, due.period_start, due.period_end
            ),
            discount: due
                .discount
                .zip(service.discount())
                .map(|(amount, discount)| ExpenseDiscount {
                    code: discount.code.clone(),
                    list_amount: due.list_amount,
                    amount,
                }),
            tax: None,
        };
        let key = format!("expense/{}", due.expense_id);
        let treatment = treatment_of(client_id);
        if !self.keys.contains(&key) {
            let charged = self.account(
                account_id,
                AccountCommand::ChargeExpense {
                    client_id,
                    provider_id: provider(),
                    expense: line,
                    treatment,
                },
            );
            match charged {
                Ok(_) => {
                    self.keys.insert(key);
                }
                Err(_) => return false,
            }
        }
        let operation_id = OperationId::from_uuid(self.fresh());
        let recorded = self.service(
            service_id,
            ServiceCommand::RecordCharge {
                expense_id: due.expense_id,
                period_start: due.period_start,
                period_end: due.period_end,
                amount: due.amount,
                operation_id,
                on: due.period_start,
            },
        );
        if recorded.is_none() {
            // The service refused the period (its state moved on meanwhile): settlement voids
            // the charge it just made.
            let Ok(charged) = domain::tax::tax_amount(due.amount, &treatment) else {
                return false;
            };
            let correction_id = CorrectionId::from_uuid(self.fresh());
            let _ = self.account(
                account_id,
                AccountCommand::CorrectExpense {
                    client_id,
                    provider_id: provider(),
                    correction_id,
                    expense_id: due.expense_id,
                    charged: charged.gross,
                    give_back: None,
                    charged_tax_rate: charged.rate,
                    reason: "charged for days the service had already been paid for".to_string(),
                },
            );
            return false;
        }
        true
    }

    /// `settlement::charge_due`.
    fn charge_due(&mut self, service_id: ServiceId, on: NaiveDate) -> bool {
        match self.service_state[&service_id].due_period(on) {
            Some(due) => self.charge(service_id, due),
            None => false,
        }
    }

    /// The settlement process after money arrived on `account`: what waits for money is charged,
    /// oldest order first, until the money runs out.
    fn settle(&mut self, account: AccountId) {
        let today = self.today();
        let waiting: Vec<ServiceId> = self
            .services
            .iter()
            .copied()
            .filter(|id| {
                let service = &self.service_state[id];
                service.account_id() == Some(account)
                    && match service.status() {
                        Some(domain::service::ServiceStatus::Ordered) => true,
                        Some(domain::service::ServiceStatus::Suspended) => {
                            matches!(service.suspension(), Some((SuspendReason::NonPayment, _)))
                        }
                        _ => false,
                    }
            })
            .collect();
        for id in waiting {
            if self.service_state[&id].due_period(today).is_some() && !self.charge_due(id, today) {
                break;
            }
        }
    }

    fn run(&mut self, op: &Op) -> Result<(), Violation> {
        let today = self.today();
        match *op {
            Op::Pay {
                client: index,
                cents: amount,
            } => {
                let Some(index) = self.live_client(index) else {
                    return Ok(());
                };
                let payment_id = PaymentId::from_uuid(self.fresh());
                let account = account_of(client(index));
                if self
                    .account(
                        account,
                        AccountCommand::PostPayment {
                            client_id: client(index),
                            provider_id: provider(),
                            payment_id,
                            amount: cents(amount),
                            method: method(),
                            conversion: None,
                        },
                    )
                    .is_ok()
                {
                    self.payments.push(Credited {
                        payment_id,
                        account,
                        credited: cents(amount),
                        paid: None,
                    });
                    self.settle(account);
                }
            }
            Op::PayLifecycle {
                client: index,
                cents: amount,
                delta,
            } => {
                let Some(index) = self.live_client(index) else {
                    return Ok(());
                };
                let payment_id = PaymentId::from_uuid(self.fresh());
                let mut payment = Payment::default();
                let steps = [
                    PaymentCommand::CreatePayment {
                        payment_id,
                        client_id: client(index),
                        provider_id: provider(),
                        company_id: CompanyId::from_uuid(Uuid::from_u128(0xC0C0)),
                        method: method(),
                        method_kind: PaymentMethodKind::BankTransfer,
                        amount: cents(amount),
                        account_currency: eur(),
                        invoice_id: None,
                        created_on: today,
                        payer_id: None,
                        initiated_by: domain::payment::Initiator::Staff,
                        to_gateway_module: false,
                    },
                    PaymentCommand::ConfirmPayment {
                        external_id: None,
                        credited: cents((amount + delta).max(1)),
                        conversion: None,
                        confirmed_on: today,
                    },
                ];
                for step in steps {
                    let Ok(events) = payment.decide(step) else {
                        self.lifecycle.insert(payment_id, payment);
                        return Ok(());
                    };
                    for event in events {
                        cqrs_es::Aggregate::apply(&mut payment, event);
                    }
                }
                let (Some(credited), Some(paid)) = (payment.credited(), payment.amount()) else {
                    return Ok(());
                };
                self.lifecycle.insert(payment_id, payment);
                // `process::payments::credit`.
                let account = account_of(client(index));
                if self
                    .account(
                        account,
                        AccountCommand::PostPayment {
                            client_id: client(index),
                            provider_id: provider(),
                            payment_id,
                            amount: credited,
                            method: method(),
                            conversion: None,
                        },
                    )
                    .is_ok()
                {
                    self.payments.push(Credited {
                        payment_id,
                        account,
                        credited,
                        paid: Some(paid),
                    });
                    self.settle(account);
                }
            }
            Op::Refund {
                payment,
                cents: amount,
            } => {
                if self.payments.is_empty() {
                    return Ok(());
                }
                let paid = self.payments[payment % self.payments.len()].clone();
                let Some(client_id) = self.accounts[&paid.account].client_id() else {
                    return Ok(());
                };
                let refund_id = RefundId::from_uuid(self.fresh());
                let refunded = self.account(
                    paid.account,
                    AccountCommand::RefundPayment {
                        client_id,
                        provider_id: provider(),
                        refund_id,
                        payment_id: paid.payment_id,
                        credited: paid.credited,
                        amount: cents(amount),
                        reason: "asked for".to_string(),
                    },
                );
                // `process::payments::mirror_refund` on a payment with a lifecycle.
                if let (Ok(_), Some(payment)) = (refunded, self.lifecycle.get_mut(&paid.payment_id))
                    && let Ok(events) = payment.decide(PaymentCommand::RecordRefund {
                        refund_id,
                        amount: cents(amount),
                        reason: "asked for".to_string(),
                    })
                {
                    for event in events {
                        cqrs_es::Aggregate::apply(payment, event);
                    }
                }
            }
            Op::Fraud { payment } => {
                if self.payments.is_empty() {
                    return Ok(());
                }
                let paid = self.payments[payment % self.payments.len()].clone();
                if let Some(lifecycle) = self.lifecycle.get_mut(&paid.payment_id) {
                    let Ok(events) = lifecycle.decide(PaymentCommand::MarkFraud {
                        reason: "chargeback".to_string(),
                    }) else {
                        return Ok(());
                    };
                    for event in events {
                        cqrs_es::Aggregate::apply(lifecycle, event);
                    }
                }
                let Some(client_id) = self.accounts[&paid.account].client_id() else {
                    return Ok(());
                };
                let _ = self.account(
                    paid.account,
                    AccountCommand::ReversePayment {
                        client_id,
                        provider_id: provider(),
                        payment_id: paid.payment_id,
                        credited: paid.credited,
                        reason: "chargeback".to_string(),
                    },
                );
            }
            Op::Adjust {
                client: index,
                cents: amount,
            } => {
                let Some(index) = self.live_client(index) else {
                    return Ok(());
                };
                let account = account_of(client(index));
                let adjustment_id = AdjustmentId::from_uuid(self.fresh());
                let adjusted = self.account(
                    account,
                    AccountCommand::AdjustBalance {
                        client_id: client(index),
                        provider_id: provider(),
                        adjustment_id,
                        amount: cents(amount),
                        reason: "goodwill".to_string(),
                    },
                );
                if adjusted.is_ok() && amount > 0 {
                    self.settle(account);
                }
            }
            Op::CreditLimit {
                client: index,
                cents: amount,
            } => {
                let Some(index) = self.live_client(index) else {
                    return Ok(());
                };
                let account = account_of(client(index));
                let set = self.account(
                    account,
                    AccountCommand::SetCreditLimit {
                        client_id: client(index),
                        provider_id: provider(),
                        limit: cents(amount),
                    },
                );
                if set.is_ok_and(|events| !events.is_empty()) {
                    self.settle(account);
                }
            }
            Op::Order {
                client: index,
                tariff,
                promo: kind,
                auto_prolong,
            } => {
                let Some(index) = self.live_client(index) else {
                    return Ok(());
                };
                let service_id = ServiceId::from_uuid(self.fresh());
                let ordered = self.service(
                    service_id,
                    ServiceCommand::OrderService {
                        trial: None,
                        service_id,
                        client_id: client(index),
                        provider_id: provider(),
                        account_id: account_of(client(index)),
                        terms: terms(tariff),
                        auto_prolong,
                        ordered_on: today,
                        discount: promo(kind),
                        domain: None,
                        required_agreement: None,
                        accepted_agreement: None,
                    },
                );
                if ordered.is_some() {
                    self.services.push(service_id);
                    self.charge_due(service_id, today);
                }
            }
            Op::Prolong { service } => {
                let Some(service_id) = self.pick_service(service) else {
                    return Ok(());
                };
                if let Some(due) = self.service_state[&service_id].prolong_period() {
                    let expense_id = due.expense_id;
                    if self.charge(service_id, due) {
                        self.manual.insert(expense_id);
                    }
                }
            }
            Op::ChangeTariff { service, tariff } => {
                let Some(service_id) = self.pick_service(service) else {
                    return Ok(());
                };
                self.change_tariff(service_id, tariff, today);
            }
            Op::Suspend { service, abuse } => {
                let Some(service_id) = self.pick_service(service) else {
                    return Ok(());
                };
                let operation_id = OperationId::from_uuid(self.fresh());
                self.service(
                    service_id,
                    ServiceCommand::SuspendService {
                        reason: if abuse {
                            SuspendReason::Abuse
                        } else {
                            SuspendReason::Staff
                        },
                        operation_id,
                        on: today,
                    },
                );
            }
            Op::Resume { service } => {
                let Some(service_id) = self.pick_service(service) else {
                    return Ok(());
                };
                let operation_id = OperationId::from_uuid(self.fresh());
                self.service(
                    service_id,
                    ServiceCommand::ResumeService {
                        operation_id,
                        on: today,
                    },
                );
            }
            Op::Close {
                service,
                at_period_end,
            } => {
                let Some(service_id) = self.pick_service(service) else {
                    return Ok(());
                };
                let operation_id = OperationId::from_uuid(self.fresh());
                self.service(
                    service_id,
                    ServiceCommand::CloseService {
                        at_period_end,
                        operation_id,
                        on: today,
                    },
                );
            }
            Op::Provision { service, fail } => {
                let Some(service_id) = self.pick_service(service) else {
                    return Ok(());
                };
                let Some(operation) = self.service_state[&service_id].operation().cloned() else {
                    return Ok(());
                };
                let operation_id = operation.operation_id;
                if operation.status != OperationStatus::Pending {
                    let new_operation_id = OperationId::from_uuid(self.fresh());
                    self.service(
                        service_id,
                        ServiceCommand::RetryOperation {
                            operation_id,
                            new_operation_id,
                        },
                    );
                } else if fail {
                    self.service(
                        service_id,
                        ServiceCommand::FailOperation {
                            operation_id,
                            reason: "timeout".to_string(),
                        },
                    );
                } else {
                    self.service(
                        service_id,
                        ServiceCommand::CompleteOperation { operation_id },
                    );
                }
            }
            Op::Correct {
                expense,
                cents: amount,
            } => {
                let charged: Vec<(AccountId, ExpenseId, Money, TaxRate)> = self
                    .account_log
                    .iter()
                    .flat_map(|(account, events)| {
                        events.iter().filter_map(move |event| match event {
                            AccountEvent::ExpenseCharged { expense, .. } => Some((
                                *account,
                                expense.expense_id,
                                expense.amount,
                                expense.taxed().rate,
                            )),
                            _ => None,
                        })
                    })
                    .collect();
                if charged.is_empty() {
                    return Ok(());
                }
                let (account, expense_id, amount_charged, charged_tax_rate) =
                    charged[expense % charged.len()];
                let Some(client_id) = self.accounts[&account].client_id() else {
                    return Ok(());
                };
                let correction_id = CorrectionId::from_uuid(self.fresh());
                let corrected = self.account(
                    account,
                    AccountCommand::CorrectExpense {
                        client_id,
                        provider_id: provider(),
                        correction_id,
                        expense_id,
                        charged: amount_charged,
                        give_back: amount.map(cents),
                        charged_tax_rate,
                        reason: "outage".to_string(),
                    },
                );
                if corrected.is_ok() {
                    self.settle(account);
                }
            }
            Op::BillingDay { advance, back } => {
                let today = today
                    .checked_add_days(Days::new(advance))
                    .expect("the simulation stays within the calendar");
                self.today = Some(today);
                let as_of = today
                    .checked_sub_days(Days::new(back))
                    .expect("the simulation stays within the calendar");
                for service_id in self.services.clone() {
                    // `process::billing_day::one_service`.
                    for _ in 0..400 {
                        if !self.charge_due(service_id, as_of) {
                            break;
                        }
                    }
                    let operation_id = OperationId::from_uuid(self.fresh());
                    self.service(
                        service_id,
                        ServiceCommand::RunBillingDay {
                            promised_until: None,
                            in_debt: false,
                            on: as_of,
                            operation_id,
                            policy: None,
                        },
                    );
                }
            }
            Op::OrderDuringBillingDay {
                client: index,
                tariff,
                ahead,
            } => {
                let Some(index) = self.live_client(index) else {
                    return Ok(());
                };
                let service_id = ServiceId::from_uuid(self.fresh());
                let ordered = self.service(
                    service_id,
                    ServiceCommand::OrderService {
                        trial: None,
                        service_id,
                        client_id: client(index),
                        provider_id: provider(),
                        account_id: account_of(client(index)),
                        terms: terms(tariff),
                        auto_prolong: true,
                        ordered_on: today,
                        discount: None,
                        domain: None,
                        required_agreement: None,
                        accepted_agreement: None,
                    },
                );
                if ordered.is_none() {
                    return Ok(());
                }
                self.services.push(service_id);
                let as_of = today
                    .checked_add_days(Days::new(ahead))
                    .expect("the simulation stays within the calendar");
                let stale = self.service_state[&service_id].due_period(as_of);
                self.charge_due(service_id, today);
                if let Some(due) = stale {
                    let expense_id = due.expense_id;
                    if self.charge(service_id, due) {
                        self.stale.insert(expense_id);
                    }
                }
            }
            Op::TransferService {
                service,
                client: index,
            } => {
                let (Some(service_id), Some(index)) =
                    (self.pick_service(service), self.live_client(index))
                else {
                    return Ok(());
                };
                let to_account = account_of(client(index));
                let transferred = self.service(
                    service_id,
                    ServiceCommand::TransferService {
                        to_client: client(index),
                        provider_id: provider(),
                        to_account,
                        merge_id: None,
                        on: today,
                    },
                );
                if transferred.is_some_and(|events| !events.is_empty()) {
                    self.settle(to_account);
                }
            }
            Op::Merge { from, to } => {
                let (Some(from), Some(to)) = (self.live_client(from), self.live_client(to)) else {
                    return Ok(());
                };
                if from == to {
                    return Ok(());
                }
                return self.merge(from, to, today);
            }
        }
        Ok(())
    }

    /// `POST /v1/services/{id}/change-tariff`: `ReplaceCharge` on the account (keyed by the
    /// service and the day), then `ChangeTariff` on the service.
    fn change_tariff(&mut self, service_id: ServiceId, tariff: usize, today: NaiveDate) {
        let service = &self.service_state[&service_id];
        let (Some(client_id), Some(account_id)) = (service.client_id(), service.account_id())
        else {
            return;
        };
        let new_terms = terms(tariff);
        // As the route does: the service prices the change with what corrections already gave
        // back of the charge the credit draws on (the account's fact).
        let zero = Money::zero(new_terms.currency());
        let Ok(rest) = service.quote_tariff_change(&new_terms, today, zero) else {
            return;
        };
        let treatment = treatment_of(client_id);
        let returned = match self.accounts.get(&account_id) {
            Some(account) => {
                match account.returned_of_expense_priced(rest.credited_expense_id, zero, &treatment)
                {
                    Ok(returned) => returned,
                    Err(_) => return,
                }
            }
            None => zero,
        };
        let Ok(change) = service.quote_tariff_change(&new_terms, today, returned) else {
            return;
        };
        let key = format!("tariff-change/{service_id}/{}", change.charge_expense_id);
        if self.keys.contains(&key) {
            return;
        }
        let line = |expense_id, part: &str, amount| ExpenseLine {
            expense_id,
            service_id,
            period_start: today,
            period_end: change.period_end,
            amount,
            description: format!("{part}, {today} to {}", change.period_end),
            discount: None,
            tax: None,
        };
        let credit = line(change.credit_expense_id, "credit", change.credit);
        let charge = ExpenseLine {
            discount: change
                .charge_discount
                .zip(service.discount())
                .map(|(amount, discount)| ExpenseDiscount {
                    code: discount.code.clone(),
                    list_amount: change.charge_list,
                    amount,
                }),
            ..line(change.charge_expense_id, "charge", change.charge)
        };
        let (credit_expense_id, charge_expense_id) = (credit.expense_id, charge.expense_id);
        let replaced = self.account(
            account_id,
            AccountCommand::ReplaceCharge {
                client_id,
                provider_id: provider(),
                credit,
                charge,
                treatment,
                // A simulated client's treatment never changes: the charge's is today's.
                credited_charge: Some(CreditedCharge {
                    expense_id: change.credited_expense_id,
                    charged: change.credited_paid,
                    treatment,
                }),
            },
        );
        if replaced.is_err() {
            return;
        }
        self.keys.insert(key);
        self.service(
            service_id,
            ServiceCommand::ChangeTariff {
                new_terms,
                on: today,
                returned,
                credit_expense_id,
                charge_expense_id,
            },
        );
        self.settle(account_id);
    }

    /// `process::merging`: the source's services move to the target, then its balance: out,
    /// then in with what the source recorded as moved out. Checks that the merge moved exactly
    /// the source's balance before settlement spends any of it.
    fn merge(&mut self, from: usize, to: usize, today: NaiveDate) -> Result<(), Violation> {
        let merge_id = MergeId::from_uuid(self.fresh());
        let (source, target) = (account_of(client(from)), account_of(client(to)));
        self.merged.insert(from);
        self.merge_targets.insert(merge_id, to);
        for service_id in self.services.clone() {
            if self.service_state[&service_id].client_id() == Some(client(from)) {
                self.service(
                    service_id,
                    ServiceCommand::TransferService {
                        to_client: client(to),
                        provider_id: provider(),
                        to_account: target,
                        merge_id: Some(merge_id),
                        on: today,
                    },
                );
            }
        }
        let balance = |world: &World, account: AccountId| {
            world
                .accounts
                .get(&account)
                .and_then(Account::balance)
                .unwrap_or_else(|| Money::zero(eur()))
        };
        let (source_before, target_before) = (balance(self, source), balance(self, target));
        let _ = self.account(
            source,
            AccountCommand::TransferBalanceOut {
                client_id: client(from),
                provider_id: provider(),
                currency: eur(),
                merge_id,
                to_account: target,
            },
        );
        if let Some(amount) = self.accounts[&source]
            .transferred_out(merge_id)
            .filter(|amount| !amount.is_zero())
        {
            let _ = self.account(
                target,
                AccountCommand::TransferBalanceIn {
                    client_id: client(to),
                    provider_id: provider(),
                    merge_id,
                    from_account: source,
                    amount,
                    forward: None,
                },
            );
        }
        let (source_after, target_after) = (balance(self, source), balance(self, target));
        let expected = add(target_before, source_before);
        if !source_after.is_zero() || target_after != expected {
            return Err(Violation {
                invariant: "merge_moves_exactly_the_source_balance",
                detail: format!(
                    "source {source_before} -> {source_after}, target {target_before} -> \
                     {target_after}, expected {expected}"
                ),
            });
        }
        self.settle(target);
        Ok(())
    }
}

fn method() -> PaymentMethod {
    PaymentMethod::parse("bank_transfer").expect("a valid method")
}

/// The signed effect of an account event on the balance, from its amount (never from its
/// `balance_after`).
fn effect(event: &AccountEvent) -> Option<Money> {
    match event {
        AccountEvent::AccountOpened { .. }
        | AccountEvent::CreditLimitSet { .. }
        | AccountEvent::PaymentPromised { .. } => None,
        AccountEvent::PaymentPosted { amount, .. }
        | AccountEvent::BalanceImported { amount, .. }
        | AccountEvent::BalanceAdjusted { amount, .. }
        | AccountEvent::ExpenseCorrected { amount, .. }
        | AccountEvent::BalanceTransferredIn { amount, .. } => Some(*amount),
        AccountEvent::ExpenseCredited { expense, .. } => Some(expense.amount),
        AccountEvent::ExpenseCharged { expense, .. } => Some(expense.amount.negated()),
        AccountEvent::PaymentRefunded { amount, .. }
        | AccountEvent::PaymentReversed { amount, .. }
        | AccountEvent::BalanceTransferredOut { amount, .. } => Some(amount.negated()),
    }
}

fn balance_after(event: &AccountEvent) -> Option<Money> {
    match event {
        AccountEvent::AccountOpened { .. }
        | AccountEvent::CreditLimitSet { .. }
        | AccountEvent::PaymentPromised { .. } => None,
        AccountEvent::PaymentPosted { balance_after, .. }
        | AccountEvent::BalanceImported { balance_after, .. }
        | AccountEvent::BalanceAdjusted { balance_after, .. }
        | AccountEvent::ExpenseCharged { balance_after, .. }
        | AccountEvent::ExpenseCredited { balance_after, .. }
        | AccountEvent::PaymentRefunded { balance_after, .. }
        | AccountEvent::PaymentReversed { balance_after, .. }
        | AccountEvent::ExpenseCorrected { balance_after, .. }
        | AccountEvent::BalanceTransferredOut { balance_after, .. }
        | AccountEvent::BalanceTransferredIn { balance_after, .. } => Some(*balance_after),
    }
}

/// An expense line as the checks read it: service, period start, period end, amount.
type Line = (ServiceId, NaiveDate, NaiveDate, Money);

fn add(a: Money, b: Money) -> Money {
    a.checked_add(b).expect("simulated amounts stay in range")
}

fn violation(invariant: &'static str, detail: String) -> Result<(), Violation> {
    Err(Violation { invariant, detail })
}

/// Every invariant, written once, checked over everything recorded so far; the switched ones
/// only where `switches` says.
fn check(world: &World, switches: Switches) -> Result<(), Violation> {
    let zero = Money::zero(eur());
    // Each account's balance is its credits less its charges, event by event.
    for (account, events) in &world.account_log {
        let mut running = zero;
        for event in events {
            let Some(effect) = effect(event) else {
                continue;
            };
            running = add(running, effect);
            if balance_after(event) != Some(running) {
                return violation(
                    "balance_is_credits_less_charges",
                    format!(
                        "{account}: {event:?} says {:?}, the sum is {running}",
                        balance_after(event)
                    ),
                );
            }
        }
        let state = world.accounts[account].balance().unwrap_or(zero);
        if state != running {
            return violation(
                "balance_is_credits_less_charges",
                format!("{account}: the aggregate holds {state}, the events sum to {running}"),
            );
        }
    }
    // A merged client's account stays empty.
    if switches.merged_account_stays_empty {
        for index in &world.merged {
            let account = account_of(client(*index));
            let balance = world.accounts.get(&account).and_then(Account::balance);
            if balance.is_some_and(|balance| !balance.is_zero()) {
                return violation(
                    "a_merged_account_stays_empty",
                    format!("client {index} was merged, its account holds {balance:?}"),
                );
            }
        }
    }
    // Everything the accounts recorded, by id.
    let mut posted: BTreeMap<PaymentId, Money> = BTreeMap::new();
    let mut returned: BTreeMap<PaymentId, Money> = BTreeMap::new();
    let mut lines: BTreeMap<ExpenseId, Line> = BTreeMap::new();
    let mut credits: Vec<ExpenseLine> = Vec::new();
    let mut corrected: BTreeMap<ExpenseId, Money> = BTreeMap::new();
    // Transfers by (merge, source account, forward): the merge's own has no forward.
    type Transfer = (MergeId, AccountId, Option<u32>);
    let mut outs: BTreeMap<Transfer, (AccountId, Money)> = BTreeMap::new();
    let mut ins: Vec<(Transfer, AccountId, Money)> = Vec::new();
    for (account, events) in &world.account_log {
        for event in events {
            match event {
                AccountEvent::PaymentPosted {
                    payment_id, amount, ..
                } => {
                    let again = posted.insert(*payment_id, *amount).is_some();
                    if again {
                        return violation(
                            "a_payment_is_credited_once",
                            format!("{payment_id} credited twice"),
                        );
                    }
                }
                AccountEvent::PaymentRefunded {
                    payment_id, amount, ..
                }
                | AccountEvent::PaymentReversed {
                    payment_id, amount, ..
                } => {
                    let total = add(returned.get(payment_id).copied().unwrap_or(zero), *amount);
                    returned.insert(*payment_id, total);
                }
                AccountEvent::ExpenseCharged { expense, .. } => {
                    let line = (
                        expense.service_id,
                        expense.period_start,
                        expense.period_end,
                        expense.amount,
                    );
                    if lines.insert(expense.expense_id, line).is_some() {
                        return violation(
                            "no_expense_charged_twice",
                            format!("{} charged twice", expense.expense_id),
                        );
                    }
                }
                AccountEvent::ExpenseCredited { expense, .. } => credits.push(expense.clone()),
                AccountEvent::ExpenseCorrected {
                    expense_id, amount, ..
                } => {
                    let total = add(corrected.get(expense_id).copied().unwrap_or(zero), *amount);
                    corrected.insert(*expense_id, total);
                }
                AccountEvent::BalanceTransferredOut {
                    merge_id,
                    to_account,
                    amount,
                    forward,
                    ..
                } => {
                    outs.insert((*merge_id, *account, *forward), (*to_account, *amount));
                }
                AccountEvent::BalanceTransferredIn {
                    merge_id,
                    from_account,
                    amount,
                    forward,
                    ..
                } => ins.push(((*merge_id, *from_account, *forward), *account, *amount)),
                _ => {}
            }
        }
    }
    // No refund or reversal above what the payment credited.
    for (payment_id, total) in &returned {
        let credited = posted.get(payment_id).copied().unwrap_or(zero);
        if total.amount() > credited.amount() {
            return violation(
                "no_refund_above_the_credited_payment",
                format!("{payment_id}: credited {credited}, given back {total}"),
            );
        }
    }
    // A payment confirmation credits at most what was paid.
    if switches.confirmed_credit_cap {
        for payment in &world.payments {
            if let Some(paid) = payment.paid
                && payment.credited.amount() > paid.amount()
            {
                return violation(
                    "no_confirmation_above_the_payment",
                    format!(
                        "{}: paid {paid}, credited {}",
                        payment.payment_id, payment.credited
                    ),
                );
            }
        }
    }
    // A correction gives back at most what its expense charged.
    for (expense_id, total) in &corrected {
        let charged = lines.get(expense_id).map_or(zero, |line| line.3);
        if total.amount() > charged.amount() {
            return violation(
                "no_correction_above_the_expense",
                format!("{expense_id}: charged {charged}, given back {total}"),
            );
        }
    }
    // A merge, and each forward after it, moves into the target exactly what left the source,
    // once; and what left arrives (the merging process runs between the steps here).
    for (transfer, to, amount) in &ins {
        if outs.get(transfer) != Some(&(*to, *amount)) {
            return violation(
                "merge_moves_exactly_the_source_balance",
                format!(
                    "{transfer:?}: {amount} arrived in {to}, which the source recorded as {:?}",
                    outs.get(transfer)
                ),
            );
        }
    }
    for (transfer, (to, amount)) in &outs {
        let arrived = ins.iter().filter(|(t, _, _)| t == transfer).count();
        if arrived != usize::from(!amount.is_zero()) {
            return violation(
                "merge_moves_exactly_the_source_balance",
                format!("{transfer:?}: {amount} left for {to} and arrived {arrived} times"),
            );
        }
    }
    // Per service: its periods, its ordering day, and what was charged and given back.
    for service_id in &world.services {
        let service = &world.service_state[service_id];
        let log = world
            .service_log
            .get(service_id)
            .map_or(&[][..], Vec::as_slice);
        let Some(ordered_on) = service.ordered_on() else {
            continue;
        };
        let mut periods: Vec<(ExpenseId, NaiveDate, NaiveDate)> = Vec::new();
        for event in log {
            if let ServiceEvent::ServiceCharged {
                expense_id,
                period_start,
                period_end,
                ..
            }
            | ServiceEvent::ServiceProlonged {
                expense_id,
                period_start,
                period_end,
                ..
            } = event
            {
                periods.push((*expense_id, *period_start, *period_end));
            }
        }
        let regular: Vec<(&ExpenseId, &Line)> = lines
            .iter()
            .filter(|(id, line)| {
                line.0 == *service_id && **id == ExpenseId::for_period(*service_id, line.1)
            })
            .collect();
        // Every period charged to an account is recorded on the service, once, unless the
        // whole charge was given back (settlement voids a charge its service refused).
        for (expense_id, line) in &regular {
            let raced = world.stale.contains(*expense_id) && !switches.no_stale_double_charge;
            let voided = corrected
                .get(*expense_id)
                .is_some_and(|total| total.amount() == line.3.amount());
            if !raced && !voided && !periods.iter().any(|period| period.0 == **expense_id) {
                return violation(
                    "every_charge_is_recorded_on_its_service",
                    format!(
                        "{service_id}: {expense_id} ({} to {}) charged, not recorded",
                        line.1, line.2
                    ),
                );
            }
        }
        // No expense charged twice for a period: the periods of the charges that stand (not
        // given back whole) never overlap.
        let mut sorted: Vec<(NaiveDate, NaiveDate, ExpenseId)> = regular
            .iter()
            .filter(|(id, line)| {
                corrected
                    .get(*id)
                    .is_none_or(|total| total.amount() != line.3.amount())
            })
            .map(|(id, line)| (line.1, line.2, **id))
            .collect();
        sorted.sort();
        for pair in sorted.windows(2) {
            // A charge made from a stale due period is the race behind its own switch.
            let raced = pair.iter().any(|period| world.stale.contains(&period.2));
            if pair[1].0 < pair[0].1 && (switches.no_stale_double_charge || !raced) {
                return violation(
                    "no_expense_charged_twice",
                    format!("{service_id}: {:?} overlaps {:?}", pair[0], pair[1]),
                );
            }
        }
        // No period before the order.
        if switches.no_period_before_order
            && let Some(period) = sorted.first()
            && period.0 < ordered_on
        {
            return violation(
                "no_period_before_the_order",
                format!(
                    "{service_id}: ordered on {ordered_on}, charged from {}",
                    period.0
                ),
            );
        }
        // Auto-renewal off: only the first period and manual prolongations are charged.
        if switches.auto_renew_off_ends
            && !first_auto_prolong(log)
            && let Some(first) = regular.iter().map(|(_, line)| line.1).min()
        {
            for (expense_id, line) in &regular {
                if line.1 != first && !world.manual.contains(*expense_id) {
                    return violation(
                        "auto_renew_off_ends_the_service",
                        format!("{service_id}: renewed {} to {} by itself", line.1, line.2),
                    );
                }
            }
        }
        // No credit above what was charged for the same service period.
        if switches.tariff_credit_cap {
            for (_, start, end) in &periods {
                let within = |day: NaiveDate| *start <= day && day < *end;
                let mut charged = zero;
                let mut given_back = zero;
                for (expense_id, line) in &lines {
                    if line.0 == *service_id && within(line.1) {
                        charged = add(charged, line.3);
                        if let Some(total) = corrected.get(expense_id) {
                            given_back = add(given_back, *total);
                        }
                    }
                }
                for credit in &credits {
                    if credit.service_id == *service_id && within(credit.period_start) {
                        given_back = add(given_back, credit.amount);
                    }
                }
                if given_back.amount() > charged.amount() {
                    return violation(
                        "no_credit_above_the_charge_of_its_period",
                        format!(
                            "{service_id}: {start} to {end} charged {charged}, given back {given_back}"
                        ),
                    );
                }
            }
        }
    }
    Ok(())
}

fn first_auto_prolong(log: &[ServiceEvent]) -> bool {
    log.iter().any(|event| {
        matches!(
            event,
            ServiceEvent::ServiceOrdered {
                auto_prolong: true,
                ..
            }
        )
    })
}

/// Runs `ops` from an empty world, checking after every step; the first violation and the
/// step it happened at.
fn replay(ops: &[Op], switches: Switches) -> Option<(usize, Violation)> {
    let mut world = World::default();
    for (step, op) in ops.iter().enumerate() {
        let checked = world.run(op).and_then(|()| check(&world, switches));
        if let Err(violation) = checked {
            return Some((step, violation));
        }
    }
    None
}

fn sequence(seed: u64, steps_max: usize) -> Vec<Op> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let length = rng.usize(1..=steps_max);
    (0..length).map(|_| random_op(&mut rng)).collect()
}

/// Drops steps while the same invariant still breaks: first everything after the failing step,
/// then chunks, then single steps, until no step can go.
fn shrink(ops: &[Op], invariant: &'static str, switches: Switches) -> Vec<Op> {
    let fails = |candidate: &[Op]| {
        replay(candidate, switches).is_some_and(|(_, violation)| violation.invariant == invariant)
    };
    let mut current = ops.to_vec();
    if let Some((step, _)) = replay(&current, switches) {
        current.truncate(step + 1);
    }
    let mut chunk = current.len().div_ceil(2).max(1);
    loop {
        let mut index = 0;
        let mut dropped = false;
        while index < current.len() {
            let end = (index + chunk).min(current.len());
            let candidate: Vec<Op> = current[..index]
                .iter()
                .chain(&current[end..])
                .cloned()
                .collect();
            if !candidate.is_empty() && fails(&candidate) {
                current = candidate;
                dropped = true;
            } else {
                index += chunk;
            }
        }
        if chunk == 1 && !dropped {
            return current;
        }
        if !dropped {
            chunk = (chunk / 2).max(1);
        }
    }
}

/// The first failing seed among `seeds`, shrunk, as a report; `None` when every seed holds.
fn first_failure(
    seeds: std::ops::Range<u64>,
    steps_max: usize,
    switches: Switches,
) -> Option<String> {
    for seed in seeds {
        let ops = sequence(seed, steps_max);
        if let Some((_, violation)) = replay(&ops, switches) {
            let shortest = shrink(&ops, violation.invariant, switches);
            let (_, last) = replay(&shortest, switches)?;
            let steps: Vec<String> = shortest
                .iter()
                .enumerate()
                .map(|(step, op)| format!("  {step}: {op:?}"))
                .collect();
            return Some(format!(
                "seed {seed} breaks {}\nshortest sequence ({} steps):\n{}\nbreaks: {last}",
                violation.invariant,
                shortest.len(),
                steps.join("\n")
            ));
        }
    }
    None
}

fn long_tests() -> bool {
    std::env::var("BILLING_LONG_TESTS").is_ok_and(|value| value == "1")
}

#[test]
fn money_is_conserved_over_ten_thousand_random_sequences() {
    let failure = first_failure(0..SEQUENCES, STEPS_MAX, Switches::CONFIGURED);
    assert!(failure.is_none(), "{}", failure.unwrap_or_default());
}

#[test]
fn money_is_conserved_over_long_random_sequences_with_billing_long_tests() {
    if !long_tests() {
        return;
    }
    let failure = first_failure(
        1_000_000..1_000_000 + LONG_SEQUENCES,
        LONG_STEPS_MAX,
        Switches::CONFIGURED,
    );
    assert!(failure.is_none(), "{}", failure.unwrap_or_default());
}

/// A seed that found a bug, as its shortest sequence: with its switch on, the invariant must
/// hold; while the switch is off, the sequence must still break it, so that the test says when
/// the fix has arrived and the switch can be turned on.
fn assert_found_bug(ops: &[Op], invariant: &str, switch_on: bool, switches: Switches) {
    let broken = replay(ops, switches);
    if switch_on {
        assert!(broken.is_none(), "{ops:?} breaks {broken:?}");
    } else {
        assert!(
            broken
                .as_ref()
                .is_some_and(|(_, violation)| violation.invariant == invariant),
            "{ops:?} no longer breaks {invariant} ({broken:?}): the fix is in, turn its switch on"
        );
    }
}

const TARIFF_CREDIT_CAP: Switches = Switches {
    tariff_credit_cap: true,
    no_period_before_order: false,
    auto_renew_off_ends: false,
    confirmed_credit_cap: false,
    merged_account_stays_empty: false,
    no_stale_double_charge: false,
};

/// Seed 448: a service sold with a 100 % promo code was charged its setup fee only; a tariff
/// change gave back the full undiscounted price of the rest of the period.
#[test]
fn a_tariff_change_gives_back_no_more_than_the_discounted_charge() {
    let ops = [
        Op::Order {
            client: 0,
            tariff: 1,
            promo: 2,
            auto_prolong: true,
        },
        Op::Pay {
            client: 0,
            cents: 15_339,
        },
        Op::ChangeTariff {
            service: 0,
            tariff: 0,
        },
    ];
    assert_found_bug(
        &ops,
        "no_credit_above_the_charge_of_its_period",
        CHECK_TARIFF_CREDIT_CAP,
        TARIFF_CREDIT_CAP,
    );
}

/// Seed 85: a charge voided by staff was given back a second time by a tariff change.
#[test]
fn a_tariff_change_does_not_give_back_a_voided_charge_again() {
    let ops = [
        Op::Pay {
            client: 0,
            cents: 12_747,
        },
        Op::Order {
            client: 0,
            tariff: 0,
            promo: 0,
            auto_prolong: true,
        },
        Op::Correct {
            expense: 0,
            cents: None,
        },
        Op::ChangeTariff {
            service: 0,
            tariff: 2,
        },
    ];
    assert_found_bug(
        &ops,
        "no_credit_above_the_charge_of_its_period",
        CHECK_TARIFF_CREDIT_CAP,
        TARIFF_CREDIT_CAP,
    );
}

/// Seed 1424: a tariff change's charge was corrected, the service moved to another client by a
/// merge, and a second change gave the corrected charge back again from the new account, which
/// knew nothing of the correction. A moved service now changes tariff from its next period.
#[test]
fn a_moved_service_does_not_give_back_a_corrected_change_again() {
    let ops = [
        Op::Pay {
            client: 1,
            cents: 16_711,
        },
        Op::Order {
            client: 1,
            tariff: 1,
            promo: 4,
            auto_prolong: true,
        },
        Op::ChangeTariff {
            service: 23,
            tariff: 3,
        },
        Op::Correct {
            expense: 41,
            cents: None,
        },
        Op::Merge { from: 1, to: 3 },
        Op::ChangeTariff {
            service: 18,
            tariff: 1,
        },
    ];
    assert_found_bug(
        &ops,
        "no_credit_above_the_charge_of_its_period",
        CHECK_TARIFF_CREDIT_CAP,
        TARIFF_CREDIT_CAP,
    );
}

/// Seed 2803: after a merge, a tariff change on the new account gave back part of a charge made
/// on the old one, and a correction there then gave back more of it: 44.71 of 31.79.
#[test]
fn a_correction_on_the_old_account_cannot_add_to_a_credit_given_on_the_new_one() {
    let ops = [
        Op::Order {
            client: 1,
            tariff: 3,
            promo: 0,
            auto_prolong: true,
        },
        Op::CreditLimit {
            client: 0,
            cents: 4_226,
        },
        Op::Order {
            client: 0,
            tariff: 1,
            promo: 5,
            auto_prolong: true,
        },
        Op::Order {
            client: 2,
            tariff: 3,
            promo: 0,
            auto_prolong: true,
        },
        Op::OrderDuringBillingDay {
            client: 0,
            tariff: 3,
            ahead: 2,
        },
        Op::Merge { from: 0, to: 1 },
        Op::ChangeTariff {
            service: 29,
            tariff: 2,
        },
        Op::Correct {
            expense: 60,
            cents: Some(2_431),
        },
    ];
    assert_found_bug(
        &ops,
        "no_credit_above_the_charge_of_its_period",
        CHECK_TARIFF_CREDIT_CAP,
        TARIFF_CREDIT_CAP,
    );
}

/// Seed 1513: an order that waited for money was charged by a billing day run for a day
/// before the order, for a period that started before the service existed.
#[test]
fn a_back_dated_billing_day_charges_no_period_before_the_order() {
    let ops = [
        Op::Order {
            client: 0,
            tariff: 3,
            promo: 0,
            auto_prolong: true,
        },
        Op::Order {
            client: 0,
            tariff: 1,
            promo: 2,
            auto_prolong: true,
        },
        Op::CreditLimit {
            client: 0,
            cents: 3_641,
        },
        Op::BillingDay {
            advance: 5,
            back: 31,
        },
    ];
    assert_found_bug(
        &ops,
        "no_period_before_the_order",
        CHECK_NO_PERIOD_BEFORE_ORDER,
        Switches {
            no_period_before_order: true,
            ..Switches::default()
        },
    );
}

/// Seed 8333: a service ordered without auto-renewal was suspended for non-payment when its
/// period ended, and the next billing day charged it a new period and resumed it.
#[test]
fn a_service_without_auto_renewal_is_not_renewed_by_the_billing_day() {
    let ops = [
        Op::Pay {
            client: 0,
            cents: 19_383,
        },
        Op::Order {
            client: 0,
            tariff: 2,
            promo: 1,
            auto_prolong: false,
        },
        Op::Provision {
            service: 0,
            fail: false,
        },
        Op::BillingDay {
            advance: 37,
            back: 0,
        },
        Op::Provision {
            service: 0,
            fail: false,
        },
        Op::BillingDay {
            advance: 34,
            back: 0,
        },
    ];
    assert_found_bug(
        &ops,
        "auto_renew_off_ends_the_service",
        CHECK_AUTO_RENEW_OFF_ENDS,
        Switches {
            auto_renew_off_ends: true,
            ..Switches::default()
        },
    );
}

/// Seed 2: a bank transfer of 0.62 EUR was confirmed as 3.53 EUR and credited so.
#[test]
fn a_payment_confirmation_credits_no_more_than_was_paid() {
    let ops = [Op::PayLifecycle {
        client: 0,
        cents: 62,
        delta: 291,
    }];
    assert_found_bug(
        &ops,
        "no_confirmation_above_the_payment",
        CHECK_CONFIRMED_CREDIT_CAP,
        Switches {
            confirmed_credit_cap: true,
            ..Switches::default()
        },
    );
}

/// The simulator's own check: a sequence that moves money in every way the simulator knows
/// keeps every invariant, so the invariants do not hold only because nothing happened.
#[test]
fn an_ordinary_history_keeps_every_invariant() {
    let ops = [
        Op::Pay {
            client: 0,
            cents: 50_000,
        },
        Op::Order {
            client: 0,
            tariff: 1,
            promo: 1,
            auto_prolong: true,
        },
        Op::Provision {
            service: 0,
            fail: false,
        },
        Op::ChangeTariff {
            service: 0,
            tariff: 3,
        },
        Op::Refund {
            payment: 0,
            cents: 1_000,
        },
        Op::BillingDay {
            advance: 31,
            back: 0,
        },
        Op::Correct {
            expense: 0,
            cents: Some(100),
        },
        Op::PayLifecycle {
            client: 1,
            cents: 2_000,
            delta: -100,
        },
        Op::Fraud { payment: 1 },
        Op::Merge { from: 0, to: 1 },
    ];
    let mut world = World::default();
    for op in &ops {
        world.run(op).expect("the merge moves the balance");
        check(&world, Switches::default()).expect("every invariant holds");
    }
    let kinds: BTreeSet<&str> = world
        .account_log
        .values()
        .flatten()
        .map(|event| match event {
            AccountEvent::PaymentPosted { .. } => "posted",
            AccountEvent::ExpenseCharged { .. } => "charged",
            AccountEvent::ExpenseCredited { .. } => "credited",
            AccountEvent::PaymentRefunded { .. } => "refunded",
            AccountEvent::PaymentReversed { .. } => "reversed",
            AccountEvent::ExpenseCorrected { .. } => "corrected",
            AccountEvent::BalanceTransferredOut { .. } => "out",
            AccountEvent::BalanceTransferredIn { .. } => "in",
            _ => "other",
        })
        .collect();
    for kind in [
        "posted",
        "charged",
        "credited",
        "refunded",
        "reversed",
        "corrected",
        "out",
        "in",
    ] {
        assert!(kinds.contains(kind), "no {kind} event in {kinds:?}");
    }
}

const MERGED_ACCOUNT_STAYS_EMPTY: Switches = Switches {
    tariff_credit_cap: false,
    no_period_before_order: false,
    auto_renew_off_ends: false,
    confirmed_credit_cap: false,
    merged_account_stays_empty: true,
    no_stale_double_charge: false,
};

/// Seed 32: a payment of a client merged into another was marked as fraud after the merge;
/// the reversal left a debt on the merged client's account, which nobody can pay any more.
#[test]
fn a_fraud_reversal_after_a_merge_leaves_no_debt_on_the_merged_account() {
    let ops = [
        Op::Pay {
            client: 0,
            cents: 727,
        },
        Op::Merge { from: 0, to: 1 },
        Op::Fraud { payment: 0 },
    ];
    assert_found_bug(
        &ops,
        "a_merged_account_stays_empty",
        CHECK_MERGED_ACCOUNT_STAYS_EMPTY,
        MERGED_ACCOUNT_STAYS_EMPTY,
    );
}

/// Found over HTTP: staff corrected an expense of a client merged into another after the merge;
/// the money given back stayed on the merged client's account, which nobody can spend.
#[test]
fn a_correction_after_a_merge_leaves_no_money_on_the_merged_account() {
    let ops = [
        Op::Pay {
            client: 0,
            cents: 5_000,
        },
        Op::Order {
            client: 0,
            tariff: 0,
            promo: 0,
            auto_prolong: true,
        },
        Op::Merge { from: 0, to: 1 },
        Op::Correct {
            expense: 0,
            cents: None,
        },
    ];
    assert_found_bug(
        &ops,
        "a_merged_account_stays_empty",
        CHECK_MERGED_ACCOUNT_STAYS_EMPTY,
        MERGED_ACCOUNT_STAYS_EMPTY,
    );
}

/// Seed 11 (found over HTTP first): a billing day dated two days ahead loaded a new order before
/// the order's own charge landed, then charged the period it had computed; the service ignored
/// that period as already paid, and the account kept both charges for the same days.
#[test]
fn a_billing_day_racing_an_order_does_not_charge_it_twice() {
    let ops = [
        Op::Pay {
            client: 0,
            cents: 18_567,
        },
        Op::OrderDuringBillingDay {
            client: 0,
            tariff: 4,
            ahead: 2,
        },
    ];
    assert_found_bug(
        &ops,
        "every_charge_is_recorded_on_its_service",
        CHECK_NO_STALE_DOUBLE_CHARGE,
        Switches {
            no_stale_double_charge: true,
            ..Switches::default()
        },
    );
}
