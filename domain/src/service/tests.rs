//! Given/when/then tests of the Service aggregate, one rule per test. Kept in one file, however
//! long, because they share one set of small fixtures and are read by searching for a rule.

use cqrs_es::test::TestFramework;
use cqrs_es::{Aggregate, DomainEvent};
use uuid::Uuid;

use super::*;
use crate::discount::{DiscountPercent, DiscountSource, StandingDiscount};
use crate::ids::TariffId;
use crate::item_type::SuspensionRule;
use crate::money::{Currency, Money, MoneyError};
use crate::period::BillingPeriod;
use crate::tariff::{AddonLine, AddonValue, ItemType};

type ServiceTester = TestFramework<Service>;

fn service_id() -> ServiceId {
    ServiceId::from_uuid(Uuid::from_u128(0x50))
}

fn client_id() -> ClientId {
    ClientId::from_uuid(Uuid::from_u128(0x20))
}

fn provider_id() -> ProviderId {
    ProviderId::from_uuid(Uuid::from_u128(0x10))
}

fn account_id() -> AccountId {
    AccountId::of(client_id(), provider_id(), Currency::EUR)
}

fn op(n: u128) -> OperationId {
    OperationId::from_uuid(Uuid::from_u128(0x70 + n))
}

fn d(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn eur(amount: &str) -> Money {
    Money::parse(amount, Currency::EUR).unwrap()
}

fn expense(start: &str) -> ExpenseId {
    ExpenseId::for_period(service_id(), d(start))
}

/// The id of the order's first charge: it names the order (placed on 2025-01-30), whatever day
/// the charge is made.
fn first_charge() -> ExpenseId {
    expense("2025-01-30")
}

/// The id of the charge resuming the service suspended for non-payment since `since`.
fn resumption(since: &str) -> ExpenseId {
    ExpenseId::for_resumption(service_id(), d(since))
}

/// `due` with the expense id `expense_id`.
fn named(due: Option<DuePeriod>, expense_id: ExpenseId) -> Option<DuePeriod> {
    due.map(|due| DuePeriod { expense_id, ..due })
}

/// A monthly VDS at 30.00 a month (25.00 base + 5.00 for 1 GB of RAM) with a 5.00 setup fee.
fn terms() -> ServiceTerms {
    ServiceTerms {
        tariff_id: TariffId::from_uuid(Uuid::from_u128(0x60)),
        tariff_name: "VDS S".to_string(),
        item_type: ItemType::Vds,
        period: BillingPeriod::Month,
        base_price: eur("25.00"),
        setup_fee: eur("5.00"),
        addons: vec![AddonLine {
            code: "ram_gb".to_string(),
            name: "RAM".to_string(),
            value: AddonValue::Quantity(1),
            price: eur("5.00"),
        }],
        price_per_period: eur("30.00"),
        deletion_delay_days: 7,
        hourly: None,
    }
}

fn terms_at(price_per_period: &str) -> ServiceTerms {
    ServiceTerms {
        tariff_id: TariffId::from_uuid(Uuid::from_u128(0x61)),
        tariff_name: "VDS M".to_string(),
        base_price: eur(price_per_period),
        addons: vec![],
        price_per_period: eur(price_per_period),
        ..terms()
    }
}

fn order_with(auto_prolong: bool) -> ServiceCommand {
    ServiceCommand::OrderService {
        trial: None,
        service_id: service_id(),
        client_id: client_id(),
        provider_id: provider_id(),
        account_id: account_id(),
        terms: terms(),
        auto_prolong,
        ordered_on: d("2025-01-30"),
        discount: None,
        domain: None,
        required_agreement: None,
        accepted_agreement: None,
    }
}

fn ordered_with(auto_prolong: bool) -> ServiceEvent {
    ServiceEvent::ServiceOrdered {
        trial: None,
        status: ServiceStatus::Ordered,
        service_id: service_id(),
        client_id: client_id(),
        provider_id: provider_id(),
        account_id: account_id(),
        terms: terms(),
        auto_prolong,
        ordered_on: d("2025-01-30"),
        discount: None,
        domain: None,
        agreement: None,
    }
}

fn ordered() -> ServiceEvent {
    ordered_with(true)
}

fn requested(
    n: u128,
    kind: OperationKind,
    suspend_reason: Option<SuspendReason>,
    on: &str,
) -> ServiceEvent {
    ServiceEvent::OperationRequested {
        operation_id: op(n),
        kind,
        attempt: 1,
        suspend_reason,
        requested_on: d(on),
    }
}

/// The first charge, on 2025-01-31: the periods keep to the 31st.
fn charged() -> ServiceEvent {
    ServiceEvent::ServiceCharged {
        status: ServiceStatus::Provisioning,
        expense_id: expense("2025-01-31"),
        period_start: d("2025-01-31"),
        period_end: d("2025-02-28"),
        amount: eur("35.00"),
    }
}

fn prolonged(start: &str, end: &str) -> ServiceEvent {
    ServiceEvent::ServiceProlonged {
        expense_id: expense(start),
        period_start: d(start),
        period_end: d(end),
        amount: eur("30.00"),
    }
}

fn provisioning() -> Vec<ServiceEvent> {
    vec![
        ordered(),
        charged(),
        requested(1, OperationKind::Activate, None, "2025-01-31"),
    ]
}

/// Active and paid until 2025-02-28.
fn active() -> Vec<ServiceEvent> {
    let mut events = provisioning();
    events.push(ServiceEvent::ServiceActivated {
        status: ServiceStatus::Active,
        operation_id: op(1),
    });
    events
}

fn with(mut events: Vec<ServiceEvent>, more: Vec<ServiceEvent>) -> Vec<ServiceEvent> {
    events.extend(more);
    events
}

fn suspended_by(reason: SuspendReason, since: &str) -> Vec<ServiceEvent> {
    with(
        active(),
        vec![
            requested(2, OperationKind::Suspend, Some(reason), since),
            ServiceEvent::ServiceSuspended {
                status: ServiceStatus::Suspended,
                operation_id: op(2),
                reason,
                since: d(since),
            },
            ServiceEvent::NoticeDue {
                notice: Notice::Suspended,
            },
        ],
    )
}

/// Suspended for non-payment since the paid time ended, on 2025-02-28.
fn suspended_for_non_payment() -> Vec<ServiceEvent> {
    suspended_by(SuspendReason::NonPayment, "2025-02-28")
}

fn service(events: Vec<ServiceEvent>) -> Service {
    let mut service = Service::default();
    for event in events {
        service.apply(event);
    }
    service
}

fn record(start: &str, end: &str, amount: &str, n: u128, on: &str) -> ServiceCommand {
    ServiceCommand::RecordCharge {
        expense_id: expense(start),
        period_start: d(start),
        period_end: d(end),
        amount: eur(amount),
        operation_id: op(n),
        on: d(on),
    }
}

fn run(on: &str) -> ServiceCommand {
    ServiceCommand::RunBillingDay {
        promised_until: None,
        in_debt: false,
        on: d(on),
        operation_id: op(9),
        policy: None,
    }
}

fn expires_in(days: u32, paid_until: &str) -> ServiceEvent {
    ServiceEvent::NoticeDue {
        notice: Notice::ExpiresIn {
            days,
            paid_until: d(paid_until),
        },
    }
}

/// The id of a line of the service's `n`th tariff change, made on `on` (which does not name it).
fn change_id(on: &str, part: &str, n: u32) -> ExpenseId {
    let _ = d(on);
    ExpenseId::for_change(service_id(), n, part)
}

/// The service's `n`th tariff change, with nothing given back by corrections.
fn change_tariff_n(new_terms: ServiceTerms, on: &str, n: u32) -> ServiceCommand {
    ServiceCommand::ChangeTariff {
        new_terms,
        on: d(on),
        returned: eur("0"),
        credit_expense_id: change_id(on, "credit", n),
        charge_expense_id: change_id(on, "charge", n),
    }
}

fn change_tariff(new_terms: ServiceTerms, on: &str) -> ServiceCommand {
    change_tariff_n(new_terms, on, 1)
}

fn tariff_changed(
    new_terms: ServiceTerms,
    on: &str,
    credit: &str,
    charge: &str,
    n: u32,
) -> ServiceEvent {
    ServiceEvent::TariffChanged {
        new_terms,
        on: d(on),
        credit: eur(credit),
        charge: eur(charge),
        credit_expense_id: change_id(on, "credit", n),
        charge_expense_id: change_id(on, "charge", n),
    }
}

fn due(start: &str, end: &str, amount: &str, first: bool) -> Option<DuePeriod> {
    Some(DuePeriod {
        trial: false,
        period_start: d(start),
        period_end: d(end),
        amount: eur(amount),
        list_amount: eur(amount),
        discount: None,
        discount_label: None,
        expense_id: expense(start),
        first,
    })
}

/// A due period whose list price `list` is discounted by `discount` to `amount`.
fn discounted(
    start: &str,
    end: &str,
    list: &str,
    discount: &str,
    amount: &str,
    first: bool,
) -> Option<DuePeriod> {
    Some(DuePeriod {
        trial: false,
        period_start: d(start),
        period_end: d(end),
        amount: eur(amount),
        list_amount: eur(list),
        discount: Some(eur(discount)),
        discount_label: Some("SPRING25".to_string()),
        expense_id: expense(start),
        first,
    })
}

/// `due` with its discount named `label`.
fn labelled(due: Option<DuePeriod>, label: &str) -> Option<DuePeriod> {
    due.map(|due| DuePeriod {
        discount_label: Some(label.to_string()),
        ..due
    })
}

fn percent_off(percent: &str, recurring: bool) -> ServiceDiscount {
    ServiceDiscount {
        code: "SPRING25".to_string(),
        discount: crate::promo::Discount::Percent {
            percent: percent.parse().unwrap(),
        },
        recurring,
        tariffs: vec![],
        item_types: vec![],
    }
}

fn fixed_off(amount: Money, recurring: bool) -> ServiceDiscount {
    ServiceDiscount {
        code: "FIXED".to_string(),
        discount: crate::promo::Discount::Fixed { amount },
        recurring,
        tariffs: vec![],
        item_types: vec![],
    }
}

/// `events` with the order replaced by one sold with `discount`.
fn sold_with(mut events: Vec<ServiceEvent>, discount: ServiceDiscount) -> Vec<ServiceEvent> {
    if let Some(ServiceEvent::ServiceOrdered {
        discount: ordered, ..
    }) = events.first_mut()
    {
        *ordered = Some(discount);
    }
    events
}

// Ordering.

#[test]
fn ordering_a_service_records_it() {
    ServiceTester::with(())
        .given_no_previous_events()
        .when(order_with(true))
        .then_expect_events(vec![ordered()]);
}

#[test]
fn ordering_a_service_twice_is_rejected() {
    ServiceTester::with(())
        .given(vec![ordered()])
        .when(order_with(false))
        .then_expect_error(ServiceError::AlreadyOrdered);
}

#[test]
fn commands_for_a_service_never_ordered_are_rejected() {
    let commands = [
        record("2025-01-31", "2025-02-28", "35.00", 1, "2025-01-31"),
        ServiceCommand::CompleteOperation {
            operation_id: op(1),
        },
        run("2025-01-31"),
        ServiceCommand::CloseService {
            at_period_end: false,
            operation_id: op(1),
            on: d("2025-01-31"),
        },
        change_tariff(terms(), "2025-01-31"),
    ];
    for command in commands {
        assert_eq!(
            Service::default().decide(command),
            Err(ServiceError::NotOrdered)
        );
    }
}

#[test]
fn an_ordered_service_awaits_its_first_charge() {
    let service = service(vec![ordered()]);
    assert!(service.is_ordered());
    assert_eq!(service.status(), Some(ServiceStatus::Ordered));
    assert_eq!(service.service_id(), Some(service_id()));
    assert_eq!(service.client_id(), Some(client_id()));
    assert_eq!(service.provider_id(), Some(provider_id()));
    assert_eq!(service.account_id(), Some(account_id()));
    assert_eq!(service.terms(), Some(&terms()));
    assert!(service.auto_prolong());
    assert_eq!(service.paid_until(), None);
    assert_eq!(service.operation(), None);
}

// Due periods.

#[test]
fn an_order_is_due_for_its_first_period_with_the_setup_fee() {
    let service = service(vec![ordered()]);
    assert_eq!(
        service.due_period(d("2025-01-31")),
        named(
            due("2025-01-31", "2025-02-28", "35.00", true),
            first_charge()
        )
    );
}

#[test]
fn an_order_and_a_resumption_name_their_charge_by_what_they_pay_for_not_by_the_day() {
    // A charge cut off by a crash before the service recorded it, made again the next day,
    // names the same expense: its key finds the first one.
    let ordered = service(vec![ordered()]);
    let suspended = service(suspended_for_non_payment());
    assert_eq!(
        ordered.due_period(d("2025-01-31")).unwrap().expense_id,
        ordered.due_period(d("2025-02-01")).unwrap().expense_id
    );
    assert_eq!(
        suspended.due_period(d("2025-03-10")).unwrap().expense_id,
        suspended.due_period(d("2025-03-11")).unwrap().expense_id
    );
    // Each is still its own charge, apart from the renewals' (named by their period's start).
    assert_ne!(first_charge(), resumption("2025-02-28"));
    assert_ne!(resumption("2025-02-28"), expense("2025-02-28"));
}

#[test]
fn an_order_is_no_longer_due_once_it_has_lapsed() {
    let service = service(vec![ordered()]);
    assert!(service.due_period(d("2025-02-28")).is_some());
    assert_eq!(service.due_period(d("2025-03-01")), None);
}

#[test]
fn an_active_service_is_due_for_the_next_period_when_its_paid_time_ends() {
    let service = service(active());
    assert_eq!(
        service.due_period(d("2025-02-28")),
        due("2025-02-28", "2025-03-31", "30.00", false)
    );
    // A late run still charges from the end of the paid time.
    assert_eq!(
        service.due_period(d("2025-03-03")),
        due("2025-02-28", "2025-03-31", "30.00", false)
    );
}
/// A domain ordered for three years (`P36M`) on 2024-02-29 at 36.00 per period, no setup fee.
fn three_year_domain() -> ServiceTerms {
    ServiceTerms {
        item_type: ItemType::Domain,
        period: BillingPeriod::of_years(3).unwrap(),
        base_price: eur("36.00"),
        setup_fee: eur("0.00"),
        addons: vec![],
        price_per_period: eur("36.00"),
        ..terms()
    }
}

#[test]
fn a_three_year_period_is_due_for_three_years_from_february_29_and_renews_on_the_28th() {
    let ordered = ServiceEvent::ServiceOrdered {
        trial: None,
        status: ServiceStatus::Ordered,
        service_id: service_id(),
        client_id: client_id(),
        provider_id: provider_id(),
        account_id: account_id(),
        terms: three_year_domain(),
        auto_prolong: true,
        ordered_on: d("2024-02-29"),
        discount: None,
        domain: None,
        agreement: None,
    };
    let first = service(vec![ordered.clone()])
        .due_period(d("2024-02-29"))
        .unwrap();
    assert_eq!(
        (first.period_start, first.period_end, first.amount),
        (d("2024-02-29"), d("2027-02-28"), eur("36.00"))
    );
    let active = service(vec![
        ordered,
        ServiceEvent::ServiceCharged {
            status: ServiceStatus::Provisioning,
            expense_id: expense("2024-02-29"),
            period_start: d("2024-02-29"),
            period_end: d("2027-02-28"),
            amount: eur("36.00"),
        },
        requested(1, OperationKind::Activate, None, "2024-02-29"),
        ServiceEvent::ServiceActivated {
            status: ServiceStatus::Active,
            operation_id: op(1),
        },
    ]);
    assert_eq!(active.due_period(d("2027-02-27")), None);
    let next = active.due_period(d("2027-02-28")).unwrap();
    // The anchor stays the 29th: 2030 is no leap year, so the period ends on Feb 28.
    assert_eq!(
        (next.period_start, next.period_end, next.amount),
        (d("2027-02-28"), d("2030-02-28"), eur("36.00"))
    );
}

#[test]
fn an_active_service_is_not_due_before_its_paid_time_ends() {
    assert_eq!(service(active()).due_period(d("2025-02-27")), None);
}

#[test]
fn a_service_without_auto_prolong_is_not_due() {
    let mut events = active();
    events[0] = ordered_with(false);
    assert_eq!(service(events).due_period(d("2025-02-28")), None);
}

#[test]
fn a_service_closing_at_the_period_end_is_not_due() {
    let events = with(
        active(),
        vec![ServiceEvent::ClosureScheduled {
            at: d("2025-02-28"),
        }],
    );
    assert_eq!(service(events).due_period(d("2025-02-28")), None);
}

#[test]
fn a_service_whose_activation_failed_is_due_when_its_paid_time_ends() {
    let events = with(
        provisioning(),
        vec![ServiceEvent::OperationFailed {
            operation_id: op(1),
            kind: OperationKind::Activate,
            reason: "hypervisor full".to_string(),
            attempt: 1,
        }],
    );
    assert_eq!(
        service(events).due_period(d("2025-02-28")),
        due("2025-02-28", "2025-03-31", "30.00", false)
    );
}

#[test]
fn a_service_suspended_for_non_payment_is_due_for_a_new_period_from_the_day_it_is_paid() {
    assert_eq!(
        service(suspended_for_non_payment()).due_period(d("2025-03-10")),
        named(
            due("2025-03-10", "2025-04-10", "30.00", false),
            resumption("2025-02-28")
        )
    );
}

#[test]
fn a_service_suspended_for_non_payment_is_not_due_while_its_deletion_is_under_way() {
    let events = with(
        suspended_for_non_payment(),
        vec![requested(3, OperationKind::Delete, None, "2025-03-07")],
    );
    assert_eq!(service(events).due_period(d("2025-03-08")), None);
}

#[test]
fn a_service_suspended_by_staff_is_not_due() {
    let events = suspended_by(SuspendReason::Staff, "2025-02-10");
    assert_eq!(service(events).due_period(d("2025-03-01")), None);
}

#[test]
fn a_closed_service_is_not_due() {
    let events = with(
        active(),
        vec![
            ServiceEvent::ServiceClosed {
                status: ServiceStatus::Closed,
                on: d("2025-02-10"),
            },
            requested(2, OperationKind::Delete, None, "2025-02-10"),
        ],
    );
    assert_eq!(service(events).due_period(d("2025-03-01")), None);
}

#[test]
fn a_manual_prolongation_charges_the_next_period_whatever_the_date() {
    let mut events = active();
    events[0] = ordered_with(false);
    assert_eq!(
        service(events).prolong_period(),
        due("2025-02-28", "2025-03-31", "30.00", false)
    );
}

#[test]
fn a_suspended_service_cannot_be_prolonged_manually() {
    assert_eq!(service(suspended_for_non_payment()).prolong_period(), None);
}

// Discounts.

#[test]
fn ordering_with_a_discount_records_it() {
    let ServiceCommand::OrderService {
        service_id,
        client_id,
        provider_id,
        account_id,
        terms,
        auto_prolong,
        ordered_on,
        ..
    } = order_with(true)
    else {
        unreachable!("order_with builds an order");
    };
    ServiceTester::with(())
        .given_no_previous_events()
        .when(ServiceCommand::OrderService {
            trial: None,
            service_id,
            client_id,
            provider_id,
            account_id,
            terms,
            auto_prolong,
            ordered_on,
            discount: Some(percent_off("10", false)),
            domain: None,
            required_agreement: None,
            accepted_agreement: None,
        })
        .then_expect_events(sold_with(vec![ordered()], percent_off("10", false)));
}

#[test]
fn ordering_with_a_fixed_discount_in_another_currency_is_rejected() {
    let usd = Money::parse("5.00", Currency::USD).unwrap();
    let ServiceCommand::OrderService {
        service_id,
        client_id,
        provider_id,
        account_id,
        terms,
        auto_prolong,
        ordered_on,
        ..
    } = order_with(true)
    else {
        unreachable!("order_with builds an order");
    };
    ServiceTester::with(())
        .given_no_previous_events()
        .when(ServiceCommand::OrderService {
            trial: None,
            service_id,
            client_id,
            provider_id,
            account_id,
            terms,
            auto_prolong,
            ordered_on,
            discount: Some(fixed_off(usd, false)),
            domain: None,
            required_agreement: None,
            accepted_agreement: None,
        })
        .then_expect_error(ServiceError::Discount(
            crate::promo::PromoError::CurrencyMismatch {
                expected: Currency::EUR,
                found: Currency::USD,
            },
        ));
}

#[test]
fn the_first_charge_is_discounted_on_the_price_per_period_and_later_ones_are_not() {
    // 10 % of the 30.00 price per period is 3.00; the 5.00 setup fee is never discounted.
    let ordered = service(sold_with(vec![ordered()], percent_off("10", false)));
    let active = service(sold_with(active(), percent_off("10", false)));
    assert_eq!(
        ordered.due_period(d("2025-01-31")),
        named(
            discounted("2025-01-31", "2025-02-28", "35.00", "3.00", "32.00", true),
            first_charge()
        )
    );
    assert_eq!(
        active.due_period(d("2025-02-28")),
        due("2025-02-28", "2025-03-31", "30.00", false)
    );
    assert_eq!(
        active.prolong_period(),
        due("2025-02-28", "2025-03-31", "30.00", false)
    );
}

#[test]
fn a_recurring_discount_is_taken_off_every_charge() {
    let discount = percent_off("12.5", true);
    // 12.5 % of 30.00 is 3.75.
    assert_eq!(
        service(sold_with(active(), discount.clone())).due_period(d("2025-02-28")),
        discounted("2025-02-28", "2025-03-31", "30.00", "3.75", "26.25", false)
    );
    assert_eq!(
        service(sold_with(active(), discount.clone())).prolong_period(),
        discounted("2025-02-28", "2025-03-31", "30.00", "3.75", "26.25", false)
    );
    assert_eq!(
        service(sold_with(suspended_for_non_payment(), discount)).due_period(d("2025-03-10")),
        named(
            discounted("2025-03-10", "2025-04-10", "30.00", "3.75", "26.25", false),
            resumption("2025-02-28")
        )
    );
}

#[test]
fn a_percent_discount_is_rounded_half_away_from_zero() {
    // 10 % of 9.99 is 0.999, which rounds to 1.00.
    let mut events = sold_with(vec![ordered()], percent_off("10", false));
    if let Some(ServiceEvent::ServiceOrdered { terms, .. }) = events.first_mut() {
        *terms = ServiceTerms {
            setup_fee: eur("0.00"),
            ..terms_at("9.99")
        };
    }
    assert_eq!(
        service(events).due_period(d("2025-01-31")),
        named(
            discounted("2025-01-31", "2025-02-28", "9.99", "1.00", "8.99", true),
            first_charge()
        )
    );
}

#[test]
fn a_discount_never_takes_more_than_the_price_per_period() {
    // A fixed 50.00 off a 30.00 price takes 30.00: the first charge is the setup fee alone and
    // a later charge of a recurring code is zero, never negative.
    let discount = fixed_off(eur("50.00"), true);
    assert_eq!(
        service(sold_with(vec![ordered()], discount.clone())).due_period(d("2025-01-31")),
        named(
            labelled(
                discounted("2025-01-31", "2025-02-28", "35.00", "30.00", "5.00", true),
                "FIXED"
            ),
            first_charge()
        )
    );
    assert_eq!(
        service(sold_with(active(), discount)).due_period(d("2025-02-28")),
        labelled(
            discounted("2025-02-28", "2025-03-31", "30.00", "30.00", "0.00", false),
            "FIXED"
        )
    );
    let whole = percent_off("100", true);
    assert_eq!(
        service(sold_with(active(), whole)).due_period(d("2025-02-28")),
        discounted("2025-02-28", "2025-03-31", "30.00", "30.00", "0.00", false)
    );
}

#[test]
fn a_service_keeps_the_discount_it_was_sold_with() {
    let service = service(sold_with(active(), percent_off("10", true)));
    assert_eq!(service.discount(), Some(&percent_off("10", true)));
    assert_eq!(self::service(active()).discount(), None);
}

#[test]
fn an_order_stored_before_promo_codes_reads_without_a_discount() {
    let stored = serde_json::to_value(ordered()).unwrap();
    assert!(stored["ServiceOrdered"].get("discount").is_none());
    let read: ServiceEvent = serde_json::from_value(stored).unwrap();
    assert_eq!(read, ordered());
}

// Charges.

#[test]
fn the_first_charge_requests_the_activation() {
    ServiceTester::with(())
        .given(vec![ordered()])
        .when(record("2025-01-31", "2025-02-28", "35.00", 1, "2025-01-31"))
        .then_expect_events(vec![
            charged(),
            requested(1, OperationKind::Activate, None, "2025-01-31"),
        ]);
}

#[test]
fn the_first_charge_anchors_the_periods_to_its_day() {
    let service = service(provisioning());
    assert_eq!(service.status(), Some(ServiceStatus::Provisioning));
    assert_eq!(service.anchor_day(), Some(31));
    assert_eq!(service.current_period_start(), Some(d("2025-01-31")));
    assert_eq!(service.paid_until(), Some(d("2025-02-28")));
    assert_eq!(
        service.operation(),
        Some(&Operation {
            operation_id: op(1),
            kind: OperationKind::Activate,
            status: OperationStatus::Pending,
            attempt: 1,
        })
    );
}

#[test]
fn a_charge_for_a_period_already_recorded_changes_nothing() {
    ServiceTester::with(())
        .given(active())
        .when(record("2025-01-31", "2025-02-28", "35.00", 5, "2025-02-01"))
        .then_expect_events(vec![]);
}

#[test]
fn a_charge_of_an_active_service_prolongs_it() {
    ServiceTester::with(())
        .given(active())
        .when(record("2025-02-28", "2025-03-31", "30.00", 2, "2025-02-28"))
        .then_expect_events(vec![prolonged("2025-02-28", "2025-03-31")]);
}

#[test]
fn a_prolonged_service_keeps_to_its_anchor_day() {
    let service = service(with(active(), vec![prolonged("2025-02-28", "2025-03-31")]));
    assert_eq!(service.anchor_day(), Some(31));
    assert_eq!(
        service.due_period(d("2025-03-31")),
        due("2025-03-31", "2025-04-30", "30.00", false)
    );
}

#[test]
fn a_charge_that_does_not_continue_the_paid_time_is_out_of_order() {
    ServiceTester::with(())
        .given(active())
        .when(record("2025-03-01", "2025-04-01", "30.00", 2, "2025-03-01"))
        .then_expect_error(ServiceError::PeriodOutOfOrder);
}

#[test]
fn a_charge_of_an_empty_period_is_out_of_order() {
    ServiceTester::with(())
        .given(vec![ordered()])
        .when(record("2025-01-31", "2025-01-31", "35.00", 1, "2025-01-31"))
        .then_expect_error(ServiceError::PeriodOutOfOrder);
}

#[test]
fn a_charge_in_another_currency_is_rejected() {
    ServiceTester::with(())
        .given(vec![ordered()])
        .when(ServiceCommand::RecordCharge {
            expense_id: expense("2025-01-31"),
            period_start: d("2025-01-31"),
            period_end: d("2025-02-28"),
            amount: Money::parse("35.00", Currency::USD).unwrap(),
            operation_id: op(1),
            on: d("2025-01-31"),
        })
        .then_expect_error(ServiceError::Money(MoneyError::CurrencyMismatch {
            expected: Currency::EUR,
            found: Currency::USD,
        }));
}

#[test]
fn a_charge_of_a_service_suspended_for_non_payment_resumes_it() {
    ServiceTester::with(())
        .given(suspended_for_non_payment())
        .when(record("2025-03-10", "2025-04-10", "30.00", 3, "2025-03-10"))
        .then_expect_events(vec![
            prolonged("2025-03-10", "2025-04-10"),
            requested(3, OperationKind::Resume, None, "2025-03-10"),
        ]);
}

#[test]
fn a_service_paid_after_a_suspension_for_non_payment_keeps_to_the_day_it_was_paid() {
    let service = service(with(
        suspended_for_non_payment(),
        vec![
            prolonged("2025-03-10", "2025-04-10"),
            requested(3, OperationKind::Resume, None, "2025-03-10"),
            ServiceEvent::ServiceResumed {
                status: ServiceStatus::Active,
                operation_id: op(3),
            },
        ],
    ));
    assert_eq!(service.status(), Some(ServiceStatus::Active));
    assert_eq!(service.suspension(), None);
    assert_eq!(service.anchor_day(), Some(10));
    assert_eq!(
        service.due_period(d("2025-04-10")),
        due("2025-04-10", "2025-05-10", "30.00", false)
    );
}

#[test]
fn a_charge_overlapping_the_paid_time_of_a_suspended_service_is_out_of_order() {
    ServiceTester::with(())
        .given(suspended_for_non_payment())
        .when(record("2025-02-20", "2025-03-20", "30.00", 3, "2025-02-20"))
        .then_expect_error(ServiceError::PeriodOutOfOrder);
}

#[test]
fn a_charge_of_a_service_suspended_by_staff_only_prolongs_it() {
    ServiceTester::with(())
        .given(suspended_by(SuspendReason::Staff, "2025-02-10"))
        .when(record("2025-02-28", "2025-03-31", "30.00", 3, "2025-02-28"))
        .then_expect_events(vec![prolonged("2025-02-28", "2025-03-31")]);
}

#[test]
fn a_charge_of_a_closed_service_is_rejected() {
    ServiceTester::with(())
        .given(with(
            active(),
            vec![
                ServiceEvent::ServiceClosed {
                    status: ServiceStatus::Closed,
                    on: d("2025-02-10"),
                },
                requested(2, OperationKind::Delete, None, "2025-02-10"),
            ],
        ))
        .when(record("2025-02-28", "2025-03-31", "30.00", 3, "2025-02-28"))
        .then_expect_error(ServiceError::ServiceClosed);
}

// Operations.

#[test]
fn completing_the_activation_activates_the_service() {
    ServiceTester::with(())
        .given(provisioning())
        .when(ServiceCommand::CompleteOperation {
            operation_id: op(1),
        })
        .then_expect_events(vec![ServiceEvent::ServiceActivated {
            status: ServiceStatus::Active,
            operation_id: op(1),
        }]);
}

#[test]
fn completing_a_suspension_suspends_the_service_since_its_request_and_notices_the_client() {
    ServiceTester::with(())
        .given(with(
            active(),
            vec![requested(
                2,
                OperationKind::Suspend,
                Some(SuspendReason::NonPayment),
                "2025-02-28",
            )],
        ))
        .when(ServiceCommand::CompleteOperation {
            operation_id: op(2),
        })
        .then_expect_events(vec![
            ServiceEvent::ServiceSuspended {
                status: ServiceStatus::Suspended,
                operation_id: op(2),
                reason: SuspendReason::NonPayment,
                since: d("2025-02-28"),
            },
            ServiceEvent::NoticeDue {
                notice: Notice::Suspended,
            },
        ]);
}

#[test]
fn a_suspended_service_knows_why_and_since_when() {
    let service = service(suspended_for_non_payment());
    assert_eq!(service.status(), Some(ServiceStatus::Suspended));
    assert_eq!(
        service.suspension(),
        Some((SuspendReason::NonPayment, d("2025-02-28")))
    );
    assert_eq!(service.operation(), None);
}

#[test]
fn completing_a_resumption_resumes_the_service() {
    ServiceTester::with(())
        .given(with(
            suspended_by(SuspendReason::Abuse, "2025-02-10"),
            vec![requested(3, OperationKind::Resume, None, "2025-02-12")],
        ))
        .when(ServiceCommand::CompleteOperation {
            operation_id: op(3),
        })
        .then_expect_events(vec![ServiceEvent::ServiceResumed {
            status: ServiceStatus::Active,
            operation_id: op(3),
        }]);
}

#[test]
fn completing_a_deletion_deletes_the_service_and_notices_the_client() {
    ServiceTester::with(())
        .given(with(
            suspended_for_non_payment(),
            vec![requested(3, OperationKind::Delete, None, "2025-03-07")],
        ))
        .when(ServiceCommand::CompleteOperation {
            operation_id: op(3),
        })
        .then_expect_events(vec![
            ServiceEvent::ServiceDeleted {
                status: ServiceStatus::Deleted,
                operation_id: op(3),
            },
            ServiceEvent::NoticeDue {
                notice: Notice::Deleted,
            },
        ]);
}

#[test]
fn a_deleted_service_is_terminal() {
    let service = service(with(
        suspended_for_non_payment(),
        vec![
            requested(3, OperationKind::Delete, None, "2025-03-07"),
            ServiceEvent::ServiceDeleted {
                status: ServiceStatus::Deleted,
                operation_id: op(3),
            },
        ],
    ));
    assert_eq!(service.status(), Some(ServiceStatus::Deleted));
    assert_eq!(service.due_period(d("2025-04-01")), None);
    assert_eq!(service.decide(run("2025-04-01")), Ok(vec![]));
}

#[test]
fn completing_an_unknown_operation_is_rejected() {
    ServiceTester::with(())
        .given(provisioning())
        .when(ServiceCommand::CompleteOperation {
            operation_id: op(8),
        })
        .then_expect_error(ServiceError::UnknownOperation);
}

#[test]
fn completing_an_operation_again_changes_nothing() {
    ServiceTester::with(())
        .given(active())
        .when(ServiceCommand::CompleteOperation {
            operation_id: op(1),
        })
        .then_expect_events(vec![]);
}

#[test]
fn completing_a_failed_operation_is_accepted() {
    ServiceTester::with(())
        .given(with(
            provisioning(),
            vec![ServiceEvent::OperationFailed {
                operation_id: op(1),
                kind: OperationKind::Activate,
                reason: "timeout".to_string(),
                attempt: 1,
            }],
        ))
        .when(ServiceCommand::CompleteOperation {
            operation_id: op(1),
        })
        .then_expect_events(vec![ServiceEvent::ServiceActivated {
            status: ServiceStatus::Active,
            operation_id: op(1),
        }]);
}

#[test]
fn failing_an_operation_records_the_trimmed_reason_and_attempt() {
    ServiceTester::with(())
        .given(provisioning())
        .when(ServiceCommand::FailOperation {
            operation_id: op(1),
            reason: "  hypervisor full \n".to_string(),
        })
        .then_expect_events(vec![ServiceEvent::OperationFailed {
            operation_id: op(1),
            kind: OperationKind::Activate,
            reason: "hypervisor full".to_string(),
            attempt: 1,
        }]);
}

#[test]
fn a_failed_operation_is_kept_with_its_reason() {
    let service = service(with(
        provisioning(),
        vec![ServiceEvent::OperationFailed {
            operation_id: op(1),
            kind: OperationKind::Activate,
            reason: "timeout".to_string(),
            attempt: 1,
        }],
    ));
    assert_eq!(
        service.operation().map(|operation| &operation.status),
        Some(&OperationStatus::Failed {
            reason: "timeout".to_string()
        })
    );
}

#[test]
fn failing_an_unknown_operation_is_rejected() {
    ServiceTester::with(())
        .given(active())
        .when(ServiceCommand::FailOperation {
            operation_id: op(1),
            reason: "late".to_string(),
        })
        .then_expect_error(ServiceError::UnknownOperation);
}

#[test]
fn failing_a_failed_operation_is_rejected() {
    ServiceTester::with(())
        .given(with(
            provisioning(),
            vec![ServiceEvent::OperationFailed {
                operation_id: op(1),
                kind: OperationKind::Activate,
                reason: "timeout".to_string(),
                attempt: 1,
            }],
        ))
        .when(ServiceCommand::FailOperation {
            operation_id: op(1),
            reason: "again".to_string(),
        })
        .then_expect_error(ServiceError::OperationNotPending);
}

#[test]
fn a_blank_failure_reason_is_rejected() {
    ServiceTester::with(())
        .given(provisioning())
        .when(ServiceCommand::FailOperation {
            operation_id: op(1),
            reason: " ".to_string(),
        })
        .then_expect_error(ServiceError::InvalidReason);
}

#[test]
fn a_failure_reason_over_500_characters_is_rejected() {
    ServiceTester::with(())
        .given(provisioning())
        .when(ServiceCommand::FailOperation {
            operation_id: op(1),
            reason: "r".repeat(501),
        })
        .then_expect_error(ServiceError::InvalidReason);
}

#[test]
fn retrying_a_failed_operation_requests_it_again_as_the_next_attempt() {
    ServiceTester::with(())
        .given(with(
            active(),
            vec![
                requested(
                    2,
                    OperationKind::Suspend,
                    Some(SuspendReason::Abuse),
                    "2025-02-10",
                ),
                ServiceEvent::OperationFailed {
                    operation_id: op(2),
                    kind: OperationKind::Suspend,
                    reason: "timeout".to_string(),
                    attempt: 1,
                },
            ],
        ))
        .when(ServiceCommand::RetryOperation {
            operation_id: op(2),
            new_operation_id: op(3),
        })
        .then_expect_events(vec![ServiceEvent::OperationRequested {
            operation_id: op(3),
            kind: OperationKind::Suspend,
            attempt: 2,
            suspend_reason: Some(SuspendReason::Abuse),
            requested_on: d("2025-02-10"),
        }]);
}

#[test]
fn retrying_a_pending_operation_is_rejected() {
    ServiceTester::with(())
        .given(provisioning())
        .when(ServiceCommand::RetryOperation {
            operation_id: op(1),
            new_operation_id: op(3),
        })
        .then_expect_error(ServiceError::OperationNotFailed);
}

#[test]
fn retrying_an_unknown_operation_is_rejected() {
    ServiceTester::with(())
        .given(provisioning())
        .when(ServiceCommand::RetryOperation {
            operation_id: op(8),
            new_operation_id: op(3),
        })
        .then_expect_error(ServiceError::UnknownOperation);
}

// Suspending and resuming.

#[test]
fn suspending_an_active_service_requests_the_suspension() {
    ServiceTester::with(())
        .given(active())
        .when(ServiceCommand::SuspendService {
            reason: SuspendReason::Abuse,
            operation_id: op(2),
            on: d("2025-02-10"),
        })
        .then_expect_events(vec![requested(
            2,
            OperationKind::Suspend,
            Some(SuspendReason::Abuse),
            "2025-02-10",
        )]);
}

#[test]
fn suspending_a_service_that_is_not_active_is_rejected() {
    ServiceTester::with(())
        .given(vec![ordered()])
        .when(ServiceCommand::SuspendService {
            reason: SuspendReason::Staff,
            operation_id: op(2),
            on: d("2025-02-10"),
        })
        .then_expect_error(ServiceError::NotActive);
}

#[test]
fn suspending_a_closed_service_is_rejected() {
    ServiceTester::with(())
        .given(vec![
            ordered(),
            ServiceEvent::ServiceClosed {
                status: ServiceStatus::Closed,
                on: d("2025-01-31"),
            },
            ServiceEvent::ServiceDeleted {
                status: ServiceStatus::Deleted,
                operation_id: op(1),
            },
        ])
        .when(ServiceCommand::SuspendService {
            reason: SuspendReason::Staff,
            operation_id: op(2),
            on: d("2025-02-10"),
        })
        .then_expect_error(ServiceError::ServiceClosed);
}

#[test]
fn suspending_during_another_operation_is_rejected() {
    ServiceTester::with(())
        .given(with(
            active(),
            vec![requested(
                2,
                OperationKind::Suspend,
                Some(SuspendReason::Staff),
                "2025-02-10",
            )],
        ))
        .when(ServiceCommand::SuspendService {
            reason: SuspendReason::Abuse,
            operation_id: op(3),
            on: d("2025-02-11"),
        })
        .then_expect_error(ServiceError::OperationInProgress);
}

#[test]
fn resuming_a_service_suspended_by_staff_requests_the_resumption() {
    ServiceTester::with(())
        .given(suspended_by(SuspendReason::Staff, "2025-02-10"))
        .when(ServiceCommand::ResumeService {
            operation_id: op(3),
            on: d("2025-02-12"),
        })
        .then_expect_events(vec![requested(
            3,
            OperationKind::Resume,
            None,
            "2025-02-12",
        )]);
}

#[test]
fn resuming_a_service_that_is_not_suspended_is_rejected() {
    ServiceTester::with(())
        .given(active())
        .when(ServiceCommand::ResumeService {
            operation_id: op(3),
            on: d("2025-02-12"),
        })
        .then_expect_error(ServiceError::NotSuspended);
}

#[test]
fn resuming_an_unpaid_service_suspended_for_non_payment_is_rejected() {
    ServiceTester::with(())
        .given(suspended_for_non_payment())
        .when(ServiceCommand::ResumeService {
            operation_id: op(3),
            on: d("2025-03-01"),
        })
        .then_expect_error(ServiceError::Unpaid);
}

#[test]
fn resuming_a_paid_service_suspended_for_non_payment_is_allowed() {
    // Suspended for non-payment while a charge was recorded: the paid time runs again.
    ServiceTester::with(())
        .given(with(
            suspended_for_non_payment(),
            vec![prolonged("2025-03-01", "2025-04-01")],
        ))
        .when(ServiceCommand::ResumeService {
            operation_id: op(3),
            on: d("2025-03-02"),
        })
        .then_expect_events(vec![requested(
            3,
            OperationKind::Resume,
            None,
            "2025-03-02",
        )]);
}

#[test]
fn resuming_a_closed_service_is_rejected() {
    ServiceTester::with(())
        .given(with(
            suspended_for_non_payment(),
            vec![
                ServiceEvent::ServiceClosed {
                    status: ServiceStatus::Closed,
                    on: d("2025-03-01"),
                },
                requested(3, OperationKind::Delete, None, "2025-03-01"),
            ],
        ))
        .when(ServiceCommand::ResumeService {
            operation_id: op(4),
            on: d("2025-03-02"),
        })
        .then_expect_error(ServiceError::ServiceClosed);
}

#[test]
fn resuming_during_another_operation_is_rejected() {
    ServiceTester::with(())
        .given(with(
            suspended_by(SuspendReason::Staff, "2025-02-10"),
            vec![requested(3, OperationKind::Resume, None, "2025-02-11")],
        ))
        .when(ServiceCommand::ResumeService {
            operation_id: op(4),
            on: d("2025-02-12"),
        })
        .then_expect_error(ServiceError::OperationInProgress);
}

// Closing.

fn close(at_period_end: bool, on: &str) -> ServiceCommand {
    ServiceCommand::CloseService {
        at_period_end,
        operation_id: op(5),
        on: d(on),
    }
}

#[test]
fn closing_an_order_deletes_it_at_once() {
    ServiceTester::with(())
        .given(vec![ordered()])
        .when(close(true, "2025-01-30"))
        .then_expect_events(vec![
            ServiceEvent::ServiceClosed {
                status: ServiceStatus::Closed,
                on: d("2025-01-30"),
            },
            ServiceEvent::ServiceDeleted {
                status: ServiceStatus::Deleted,
                operation_id: op(5),
            },
        ]);
}

#[test]
fn closing_an_active_service_now_requests_its_deletion() {
    ServiceTester::with(())
        .given(active())
        .when(close(false, "2025-02-10"))
        .then_expect_events(vec![
            ServiceEvent::ServiceClosed {
                status: ServiceStatus::Closed,
                on: d("2025-02-10"),
            },
            requested(5, OperationKind::Delete, None, "2025-02-10"),
        ]);
}

#[test]
fn a_closed_service_awaits_its_deletion() {
    let service = service(with(
        active(),
        vec![
            ServiceEvent::ServiceClosed {
                status: ServiceStatus::Closed,
                on: d("2025-02-10"),
            },
            requested(5, OperationKind::Delete, None, "2025-02-10"),
        ],
    ));
    assert_eq!(service.status(), Some(ServiceStatus::Closed));
    assert_eq!(
        service.operation().map(|operation| operation.kind),
        Some(OperationKind::Delete)
    );
}

#[test]
fn closing_at_the_period_end_schedules_the_closure() {
    ServiceTester::with(())
        .given(active())
        .when(close(true, "2025-02-10"))
        .then_expect_events(vec![ServiceEvent::ClosureScheduled {
            at: d("2025-02-28"),
        }]);
}

#[test]
fn scheduling_a_closure_twice_records_nothing() {
    ServiceTester::with(())
        .given(with(
            active(),
            vec![ServiceEvent::ClosureScheduled {
                at: d("2025-02-28"),
            }],
        ))
        .when(close(true, "2025-02-11"))
        .then_expect_events(vec![]);
}

#[test]
fn closing_at_the_period_end_after_the_paid_time_closes_now() {
    ServiceTester::with(())
        .given(suspended_for_non_payment())
        .when(close(true, "2025-03-01"))
        .then_expect_events(vec![
            ServiceEvent::ServiceClosed {
                status: ServiceStatus::Closed,
                on: d("2025-03-01"),
            },
            requested(5, OperationKind::Delete, None, "2025-03-01"),
        ]);
}

#[test]
fn closing_a_closed_service_is_rejected() {
    ServiceTester::with(())
        .given(with(
            active(),
            vec![
                ServiceEvent::ServiceClosed {
                    status: ServiceStatus::Closed,
                    on: d("2025-02-10"),
                },
                requested(5, OperationKind::Delete, None, "2025-02-10"),
            ],
        ))
        .when(close(false, "2025-02-11"))
        .then_expect_error(ServiceError::ServiceClosed);
}

#[test]
fn closing_during_a_pending_operation_is_rejected() {
    ServiceTester::with(())
        .given(provisioning())
        .when(close(false, "2025-02-01"))
        .then_expect_error(ServiceError::OperationInProgress);
}

#[test]
fn closing_abandons_a_failed_operation() {
    ServiceTester::with(())
        .given(with(
            provisioning(),
            vec![ServiceEvent::OperationFailed {
                operation_id: op(1),
                kind: OperationKind::Activate,
                reason: "timeout".to_string(),
                attempt: 1,
            }],
        ))
        .when(close(false, "2025-02-01"))
        .then_expect_events(vec![
            ServiceEvent::ServiceClosed {
                status: ServiceStatus::Closed,
                on: d("2025-02-01"),
            },
            requested(5, OperationKind::Delete, None, "2025-02-01"),
        ]);
}

// Tariff changes.

#[test]
fn a_tariff_change_credits_the_old_price_and_charges_the_new_for_the_remaining_days() {
    // The period [Jan 31, Feb 28) has 28 days; 18 remain from Feb 10. The first charge was
    // 35.00: the 5.00 setup fee (never given back) and 30.00 for the period.
    // Credit: 30.00 × 18 / 28 = 19.2857… → 19.29. Charge: 45.00 × 18 / 28 = 28.9285… → 28.93.
    ServiceTester::with(())
        .given(active())
        .when(change_tariff(terms_at("45.00"), "2025-02-10"))
        .then_expect_events(vec![tariff_changed(
            terms_at("45.00"),
            "2025-02-10",
            "19.29",
            "28.93",
            1,
        )]);
}

#[test]
fn a_tariff_change_rounds_each_amount_half_away_from_zero() {
    // 14 of 28 days remain: 30.01 / 2 = 15.005 → 15.01, and 0.07 / 2 = 0.035 → 0.04.
    let quote = service(active())
        .quote_tariff_change(&terms_at("0.07"), d("2025-02-14"), eur("0"))
        .unwrap();
    assert_eq!(quote.charge, eur("0.04"));
    let mut events = active();
    events[0] = ServiceEvent::ServiceOrdered {
        trial: None,
        status: ServiceStatus::Ordered,
        service_id: service_id(),
        client_id: client_id(),
        provider_id: provider_id(),
        account_id: account_id(),
        terms: ServiceTerms {
            tariff_name: "VDS S".to_string(),
            ..terms_at("30.01")
        },
        auto_prolong: true,
        ordered_on: d("2025-01-30"),
        discount: None,
        domain: None,
        agreement: None,
    };
    // 5.00 setup fee + 30.01 for the period.
    events[1] = ServiceEvent::ServiceCharged {
        status: ServiceStatus::Provisioning,
        expense_id: expense("2025-01-31"),
        period_start: d("2025-01-31"),
        period_end: d("2025-02-28"),
        amount: eur("35.01"),
    };
    let quote = service(events)
        .quote_tariff_change(&terms_at("10.00"), d("2025-02-14"), eur("0"))
        .unwrap();
    assert_eq!(
        quote,
        TariffChangeQuote {
            current_start: d("2025-01-31"),
            period_end: d("2025-02-28"),
            credit: eur("15.01"),
            charge: eur("5.00"),
            charge_list: eur("5.00"),
            charge_discount: None,
            credited_expense_id: expense("2025-01-31"),
            credited_paid: eur("30.01"),
            credit_expense_id: change_id("2025-02-14", "credit", 1),
            charge_expense_id: change_id("2025-02-14", "charge", 1),
        }
    );
}

#[test]
fn a_tariff_change_on_the_first_day_swaps_the_whole_price() {
    // The setup fee of the 35.00 first charge stays paid: 30.00 comes back.
    let quote = service(active())
        .quote_tariff_change(&terms_at("45.00"), d("2025-01-31"), eur("0"))
        .unwrap();
    assert_eq!((quote.credit, quote.charge), (eur("30.00"), eur("45.00")));
}

#[test]
fn a_tariff_change_replaces_the_terms() {
    let service = service(with(
        active(),
        vec![tariff_changed(
            terms_at("45.00"),
            "2025-02-10",
            "19.29",
            "28.93",
            1,
        )],
    ));
    assert_eq!(service.terms(), Some(&terms_at("45.00")));
    assert_eq!(
        service.due_period(d("2025-02-28")),
        due("2025-02-28", "2025-03-31", "45.00", false)
    );
}

/// An order of `price` a month sold with `discount`, charged on 2025-01-31 the setup fee plus
/// `first_charge` for the period [Jan 31, Feb 28), and active.
fn active_at(price: &str, discount: ServiceDiscount, first_charge: &str) -> Vec<ServiceEvent> {
    let mut events = sold_with(active(), discount);
    if let Some(ServiceEvent::ServiceOrdered { terms, .. }) = events.first_mut() {
        *terms = ServiceTerms {
            tariff_name: "VDS S".to_string(),
            ..terms_at(price)
        };
    }
    let period = eur(first_charge);
    events[1] = ServiceEvent::ServiceCharged {
        status: ServiceStatus::Provisioning,
        expense_id: expense("2025-01-31"),
        period_start: d("2025-01-31"),
        period_end: d("2025-02-28"),
        amount: eur("5.00").checked_add(period).unwrap(),
    };
    events
}

/// A tariff named `name` at `price` a month, with its own tariff id.
fn tariff(name: &str, id: u128, price: &str) -> ServiceTerms {
    ServiceTerms {
        tariff_id: TariffId::from_uuid(Uuid::from_u128(id)),
        tariff_name: name.to_string(),
        ..terms_at(price)
    }
}

#[test]
fn a_tariff_change_gives_back_only_what_the_discounted_charge_paid() {
    // Issue 14 (a): 100.00 a month with a one-time 50 % code: the first charge paid
    // 100.00 − 50 % = 50.00 for the period (plus the 5.00 setup fee, never given back).
    // Changed the same day to 10.00: all 28 of 28 days remain.
    // Credit: 50.00 × 28 / 28 = 50.00 (not the 100.00 list price).
    // Charge: within the first period the one-time code still applies: 10.00 − 50 % = 5.00.
    ServiceTester::with(())
        .given(active_at("100.00", percent_off("50", false), "50.00"))
        .when(change_tariff(tariff("Small", 0x62, "10.00"), "2025-01-31"))
        .then_expect_events(vec![tariff_changed(
            tariff("Small", 0x62, "10.00"),
            "2025-01-31",
            "50.00",
            "5.00",
            1,
        )]);
}

#[test]
fn a_tariff_change_keeps_a_recurring_discount_on_both_sides() {
    // Issue 14 (b): 8.00 a month with a recurring 50 % code, charged 8.00 − 50 % = 4.00.
    // Changed the same day to 12.00. Credit: 4.00 × 28 / 28 = 4.00. Charge: 12.00 − 50 % = 6.00.
    let quote = service(active_at("8.00", percent_off("50", true), "4.00"))
        .quote_tariff_change(&tariff("Big", 0x62, "12.00"), d("2025-01-31"), eur("0"))
        .unwrap();
    assert_eq!((quote.credit, quote.charge), (eur("4.00"), eur("6.00")));
    // The charge line shows its discount: 12.00 list, 6.00 off.
    assert_eq!(
        (quote.charge_list, quote.charge_discount),
        (eur("12.00"), Some(eur("6.00")))
    );
}

#[test]
fn a_one_time_discount_does_not_reach_a_change_after_the_first_period() {
    // The first period had the one-time 50 % code; the second, [Feb 28, Mar 31), was charged the
    // full 30.00. A change to 60.00 on Mar 17 (14 of 31 days left) charges the list price:
    // credit 30.00 × 14 / 31 = 13.548… → 13.55, charge 60.00 × 14 / 31 = 27.096… → 27.10.
    let events = with(
        active_at("30.00", percent_off("50", false), "15.00"),
        vec![prolonged("2025-02-28", "2025-03-31")],
    );
    let quote = service(events)
        .quote_tariff_change(&tariff("Big", 0x62, "60.00"), d("2025-03-17"), eur("0"))
        .unwrap();
    assert_eq!((quote.credit, quote.charge), (eur("13.55"), eur("27.10")));
    assert_eq!(quote.charge_discount, None);
}

#[test]
fn a_fixed_discount_never_takes_a_changed_charge_below_zero() {
    // A recurring 20.00 off on 30.00 (charged 10.00), changed the same day to 8.00: the 20.00
    // takes at most the 8.00 price, so the charge is 0.00 and the credit the 10.00 paid.
    let quote = service(active_at("30.00", fixed_off(eur("20.00"), true), "10.00"))
        .quote_tariff_change(&tariff("Tiny", 0x62, "8.00"), d("2025-01-31"), eur("0"))
        .unwrap();
    assert_eq!((quote.credit, quote.charge), (eur("10.00"), eur("0.00")));
}

#[test]
fn a_tariff_outside_the_codes_limits_gets_no_discount() {
    // The recurring 50 % code is limited to the ordered tariff (0x61): the 12.00 tariff (0x62)
    // is charged in full, and so are its later periods.
    let discount = ServiceDiscount {
        tariffs: vec![TariffId::from_uuid(Uuid::from_u128(0x61))],
        ..percent_off("50", true)
    };
    let events = active_at("8.00", discount, "4.00");
    let quote = service(events.clone())
        .quote_tariff_change(&tariff("Big", 0x62, "12.00"), d("2025-01-31"), eur("0"))
        .unwrap();
    assert_eq!((quote.credit, quote.charge), (eur("4.00"), eur("12.00")));
    let changed = service(with(
        events,
        vec![tariff_changed(
            tariff("Big", 0x62, "12.00"),
            "2025-01-31",
            "4.00",
            "12.00",
            1,
        )],
    ));
    assert_eq!(
        changed.due_period(d("2025-02-28")),
        due("2025-02-28", "2025-03-31", "12.00", false)
    );
}

/// Runs `commands` one after another on `events`, and returns the events recorded.
fn run_all(events: Vec<ServiceEvent>, commands: Vec<ServiceCommand>) -> Vec<ServiceEvent> {
    let mut state = service(events);
    let mut recorded = Vec::new();
    for command in commands {
        for event in state.decide(command).unwrap() {
            state.apply(event.clone());
            recorded.push(event);
        }
    }
    recorded
}

/// What the client paid in all for the period: the first charge's period part less the
/// credits plus the charges of the tariff changes.
fn paid_in_the_end(first_period_part: &str, changes: &[ServiceEvent]) -> Money {
    changes.iter().fold(eur(first_period_part), |paid, event| {
        let ServiceEvent::TariffChanged { credit, charge, .. } = event else {
            return paid;
        };
        paid.checked_sub(*credit)
            .unwrap()
            .checked_add(*charge)
            .unwrap()
    })
}

#[test]
fn changing_back_and_forth_on_one_day_never_creates_money() {
    // Issue 14: 100.00 with a one-time 50 % code (paid 50.00), then A → B → A → B on the first
    // day. Every round gives back exactly the last change's charge, so the client ends having
    // paid B's net price for the whole period: 10.00 − 50 % = 5.00.
    let a = ServiceTerms {
        tariff_name: "VDS S".to_string(),
        ..terms_at("100.00")
    };
    let b = tariff("Small", 0x62, "10.00");
    let changes = run_all(
        active_at("100.00", percent_off("50", false), "50.00"),
        vec![
            change_tariff_n(b.clone(), "2025-01-31", 1),
            change_tariff_n(a.clone(), "2025-01-31", 2),
            change_tariff_n(b.clone(), "2025-01-31", 3),
            change_tariff_n(a, "2025-01-31", 4),
            change_tariff_n(b, "2025-01-31", 5),
        ],
    );
    let credits: Vec<Money> = changes
        .iter()
        .filter_map(|event| match event {
            ServiceEvent::TariffChanged { credit, .. } => Some(*credit),
            _ => None,
        })
        .collect();
    // 50.00 paid; then each credit is the charge before it: 5.00, 50.00, 5.00, 50.00.
    assert_eq!(
        credits,
        vec![
            eur("50.00"),
            eur("5.00"),
            eur("50.00"),
            eur("5.00"),
            eur("50.00")
        ]
    );
    assert_eq!(paid_in_the_end("50.00", &changes), eur("5.00"));
}

#[test]
fn changing_back_and_forth_mid_period_leaves_the_final_tariffs_price_for_the_rest() {
    // 30.00 a month (paid 30.00), 18 of 28 days left on Feb 10. A → B (45.00) → A → B:
    // first credit 30.00 × 18 / 28 = 19.2857… → 19.29; each later credit is the charge before it.
    // The client pays the 10 used days of A (30.00 − 19.29 = 10.71) and B for the 18 days left,
    // 45.00 × 18 / 28 = 28.9285… → 28.93: 10.71 + 28.93 = 39.64.
    let b = terms_at("45.00");
    let changes = run_all(
        active(),
        vec![
            change_tariff_n(b.clone(), "2025-02-10", 1),
            change_tariff_n(terms(), "2025-02-10", 2),
            change_tariff_n(b, "2025-02-10", 3),
        ],
    );
    assert_eq!(
        changes,
        vec![
            tariff_changed(terms_at("45.00"), "2025-02-10", "19.29", "28.93", 1),
            // Back to A: 30.00 × 18 / 28 = 19.2857… → 19.29.
            tariff_changed(terms(), "2025-02-10", "28.93", "19.29", 2),
            tariff_changed(terms_at("45.00"), "2025-02-10", "19.29", "28.93", 3),
        ]
    );
    assert_eq!(paid_in_the_end("30.00", &changes), eur("39.64"));
}

#[test]
fn a_later_change_gives_back_the_unused_days_of_the_last_changes_charge() {
    // Feb 10: to 45.00, charged 28.93 for the 18 days [Feb 10, Feb 28). Feb 19: 9 of those 18
    // days are left: credit 28.93 × 9 / 18 = 14.465 → 14.47; charge 30.00 × 9 / 28 = 9.642… →
    // 9.64.
    let changes = run_all(
        active(),
        vec![
            change_tariff_n(terms_at("45.00"), "2025-02-10", 1),
            change_tariff_n(terms(), "2025-02-19", 2),
        ],
    );
    assert_eq!(
        changes[1],
        tariff_changed(terms(), "2025-02-19", "14.47", "9.64", 2)
    );
}

#[test]
fn a_correction_of_the_charge_lowers_what_a_change_gives_back() {
    // The period part of the first charge was 30.00; staff gave back 20.00 of it. A change on
    // the first day would give back 30.00, but only 30.00 − 20.00 = 10.00 is left.
    let quote = service(active())
        .quote_tariff_change(&terms_at("45.00"), d("2025-01-31"), eur("20.00"))
        .unwrap();
    assert_eq!(quote.credit, eur("10.00"));
    assert_eq!(quote.credited_expense_id, expense("2025-01-31"));
    assert_eq!(quote.credited_paid, eur("30.00"));
    // Voided in full (35.00 back, more than the 30.00 period part): nothing is left to give back.
    let quote = service(active())
        .quote_tariff_change(&terms_at("45.00"), d("2025-01-31"), eur("35.00"))
        .unwrap();
    assert_eq!(quote.credit, eur("0.00"));
}

#[test]
fn a_change_quoted_before_another_change_is_refused() {
    // The first change took the ids of change 1; a second request still naming them was quoted
    // on the state before it.
    ServiceTester::with(())
        .given(with(
            active(),
            vec![tariff_changed(
                terms_at("45.00"),
                "2025-02-10",
                "19.29",
                "28.93",
                1,
            )],
        ))
        .when(change_tariff_n(terms(), "2025-02-10", 1))
        .then_expect_error(ServiceError::TariffChangeNotAllowed(
            "another tariff change was made meanwhile".to_string(),
        ));
}

#[test]
fn a_tariff_change_to_the_same_terms_is_not_allowed() {
    ServiceTester::with(())
        .given(active())
        .when(change_tariff(terms(), "2025-02-10"))
        .then_expect_error(ServiceError::TariffChangeNotAllowed(
            "the service is already on these terms".to_string(),
        ));
}

#[test]
fn a_tariff_change_to_another_billing_period_is_not_allowed() {
    let new_terms = ServiceTerms {
        period: BillingPeriod::Year,
        ..terms_at("300.00")
    };
    ServiceTester::with(())
        .given(active())
        .when(change_tariff(new_terms, "2025-02-10"))
        .then_expect_error(ServiceError::TariffChangeNotAllowed(
            "the new terms have another billing period".to_string(),
        ));
}

#[test]
fn a_tariff_change_to_another_currency_is_not_allowed() {
    let usd = Money::parse("45.00", Currency::USD).unwrap();
    let new_terms = ServiceTerms {
        base_price: usd,
        setup_fee: Money::zero(Currency::USD),
        price_per_period: usd,
        ..terms_at("45.00")
    };
    ServiceTester::with(())
        .given(active())
        .when(change_tariff(new_terms, "2025-02-10"))
        .then_expect_error(ServiceError::TariffChangeNotAllowed(
            "the new terms are in another currency".to_string(),
        ));
}

#[test]
fn a_tariff_change_after_the_paid_time_is_not_allowed() {
    ServiceTester::with(())
        .given(active())
        .when(change_tariff(terms_at("45.00"), "2025-02-28"))
        .then_expect_error(ServiceError::TariffChangeNotAllowed(
            "the paid period has ended".to_string(),
        ));
}

#[test]
fn a_tariff_change_of_a_suspended_service_is_not_allowed() {
    ServiceTester::with(())
        .given(suspended_by(SuspendReason::Staff, "2025-02-10"))
        .when(change_tariff(terms_at("45.00"), "2025-02-12"))
        .then_expect_error(ServiceError::TariffChangeNotAllowed(
            "the service is not active".to_string(),
        ));
}

#[test]
fn a_tariff_change_of_an_order_is_not_allowed() {
    ServiceTester::with(())
        .given(vec![ordered()])
        .when(change_tariff(terms_at("45.00"), "2025-01-30"))
        .then_expect_error(ServiceError::TariffChangeNotAllowed(
            "the service is not active".to_string(),
        ));
}

#[test]
fn a_tariff_change_of_a_service_paid_ahead_is_not_allowed() {
    ServiceTester::with(())
        .given(with(active(), vec![prolonged("2025-02-28", "2025-03-31")]))
        .when(change_tariff(terms_at("45.00"), "2025-02-10"))
        .then_expect_error(ServiceError::TariffChangeNotAllowed(
            "the service is paid more than one period ahead".to_string(),
        ));
}

// The billing day.

#[test]
fn ten_days_before_the_paid_time_ends_the_client_is_noticed() {
    ServiceTester::with(())
        .given(active())
        .when(run("2025-02-18"))
        .then_expect_events(vec![expires_in(10, "2025-02-28")]);
}

#[test]
fn more_than_ten_days_before_the_paid_time_ends_nothing_is_noticed() {
    ServiceTester::with(())
        .given(active())
        .when(run("2025-02-17"))
        .then_expect_events(vec![]);
}

#[test]
fn only_the_smallest_notice_due_is_sent() {
    // Two days left: both the 10-day and the 5-day notices are due; only the 5-day one is sent.
    ServiceTester::with(())
        .given(active())
        .when(run("2025-02-26"))
        .then_expect_events(vec![expires_in(5, "2025-02-28")]);
}

#[test]
fn a_notice_already_sent_is_not_sent_again() {
    ServiceTester::with(())
        .given(with(active(), vec![expires_in(10, "2025-02-28")]))
        .when(run("2025-02-20"))
        .then_expect_events(vec![]);
}

#[test]
fn a_smaller_notice_sent_covers_the_larger_ones() {
    ServiceTester::with(())
        .given(with(active(), vec![expires_in(5, "2025-02-28")]))
        .when(run("2025-02-24"))
        .then_expect_events(vec![]);
}

#[test]
fn the_next_notice_is_sent_when_its_day_comes() {
    ServiceTester::with(())
        .given(with(active(), vec![expires_in(10, "2025-02-28")]))
        .when(run("2025-02-27"))
        .then_expect_events(vec![expires_in(1, "2025-02-28")]);
}

#[test]
fn notices_start_over_when_the_paid_time_moves() {
    ServiceTester::with(())
        .given(with(
            active(),
            vec![
                expires_in(1, "2025-02-28"),
                prolonged("2025-02-28", "2025-03-31"),
            ],
        ))
        .when(run("2025-03-21"))
        .then_expect_events(vec![expires_in(10, "2025-03-31")]);
}

/// `events` with the order's terms at 0.00 a period (as an hourly VDS's month is), renewed by
/// itself or not.
fn free(events: Vec<ServiceEvent>, renewed: bool) -> Vec<ServiceEvent> {
    ordered_as(
        events,
        |terms| ServiceTerms {
            base_price: eur("0.00"),
            setup_fee: eur("0.00"),
            addons: vec![],
            price_per_period: eur("0.00"),
            ..terms
        },
        Some(renewed),
    )
}

#[test]
fn a_service_that_renews_by_itself_for_nothing_gets_no_expiry_notice() {
    ServiceTester::with(())
        .given(free(active(), true))
        .when(run("2025-02-26"))
        .then_expect_events(vec![]);
}

#[test]
fn a_free_service_that_will_not_be_renewed_is_still_noticed_that_it_ends() {
    ServiceTester::with(())
        .given(free(active(), false))
        .when(run("2025-02-26"))
        .then_expect_events(vec![expires_in(5, "2025-02-28")]);
}

#[test]
fn a_service_being_provisioned_gets_no_expiry_notice() {
    ServiceTester::with(())
        .given(provisioning())
        .when(run("2025-02-27"))
        .then_expect_events(vec![]);
}

#[test]
fn an_unpaid_service_is_suspended_for_non_payment_from_the_end_of_its_paid_time() {
    ServiceTester::with(())
        .given(active())
        .when(run("2025-03-02"))
        .then_expect_events(vec![requested(
            9,
            OperationKind::Suspend,
            Some(SuspendReason::NonPayment),
            "2025-02-28",
        )]);
}

#[test]
fn an_unpaid_service_with_an_operation_in_progress_is_left_alone() {
    ServiceTester::with(())
        .given(provisioning())
        .when(run("2025-02-28"))
        .then_expect_events(vec![]);
}

#[test]
fn a_service_closing_at_the_period_end_is_closed_when_its_paid_time_ends() {
    ServiceTester::with(())
        .given(with(
            active(),
            vec![ServiceEvent::ClosureScheduled {
                at: d("2025-02-28"),
            }],
        ))
        .when(run("2025-02-28"))
        .then_expect_events(vec![
            ServiceEvent::ServiceClosed {
                status: ServiceStatus::Closed,
                on: d("2025-02-28"),
            },
            requested(9, OperationKind::Delete, None, "2025-02-28"),
        ]);
}

#[test]
fn a_service_suspended_for_non_payment_is_deleted_after_its_delay() {
    // A VDS waits 7 days: suspended since Feb 28, deleted on Mar 7.
    ServiceTester::with(())
        .given(suspended_for_non_payment())
        .when(run("2025-03-07"))
        .then_expect_events(vec![requested(
            9,
            OperationKind::Delete,
            None,
            "2025-03-07",
        )]);
}

#[test]
fn a_service_suspended_for_non_payment_is_kept_until_its_delay_has_passed() {
    ServiceTester::with(())
        .given(suspended_for_non_payment())
        .when(run("2025-03-06"))
        .then_expect_events(vec![]);
}

#[test]
fn a_service_suspended_by_staff_is_not_deleted_by_the_billing_day() {
    ServiceTester::with(())
        .given(suspended_by(SuspendReason::Staff, "2025-02-10"))
        .when(run("2025-06-01"))
        .then_expect_events(vec![]);
}

#[test]
fn a_service_paid_while_its_suspension_was_under_way_is_resumed_by_the_billing_day() {
    ServiceTester::with(())
        .given(with(
            active(),
            vec![
                requested(
                    2,
                    OperationKind::Suspend,
                    Some(SuspendReason::NonPayment),
                    "2025-02-28",
                ),
                prolonged("2025-02-28", "2025-03-31"),
                ServiceEvent::ServiceSuspended {
                    status: ServiceStatus::Suspended,
                    operation_id: op(2),
                    reason: SuspendReason::NonPayment,
                    since: d("2025-02-28"),
                },
            ],
        ))
        .when(run("2025-03-02"))
        .then_expect_events(vec![requested(
            9,
            OperationKind::Resume,
            None,
            "2025-03-02",
        )]);
}

#[test]
fn an_order_unpaid_for_30_days_lapses() {
    ServiceTester::with(())
        .given(vec![ordered()])
        .when(run("2025-03-01"))
        .then_expect_events(vec![
            ServiceEvent::ServiceClosed {
                status: ServiceStatus::Closed,
                on: d("2025-03-01"),
            },
            ServiceEvent::ServiceDeleted {
                status: ServiceStatus::Deleted,
                operation_id: op(9),
            },
        ]);
}

#[test]
fn an_order_waits_30_days_for_its_first_charge() {
    ServiceTester::with(())
        .given(vec![ordered()])
        .when(run("2025-02-28"))
        .then_expect_events(vec![]);
}

#[test]
fn running_the_billing_day_twice_records_nothing_the_second_time() {
    let cases = [
        (active(), "2025-02-18"),
        (active(), "2025-02-27"),
        (active(), "2025-03-02"),
        (
            with(
                active(),
                vec![ServiceEvent::ClosureScheduled {
                    at: d("2025-02-28"),
                }],
            ),
            "2025-02-28",
        ),
        (suspended_for_non_payment(), "2025-03-07"),
        (
            with(
                suspended_for_non_payment(),
                vec![prolonged("2025-03-01", "2025-04-01")],
            ),
            "2025-03-02",
        ),
        (vec![ordered()], "2025-03-01"),
    ];
    for (events, on) in cases {
        let mut service = service(events);
        let first = service.decide(run(on)).unwrap();
        assert!(
            !first.is_empty(),
            "{on}: the first run should decide something"
        );
        for event in first {
            service.apply(event);
        }
        assert_eq!(service.decide(run(on)), Ok(vec![]), "{on}");
    }
}

// Events, state and errors.

#[test]
fn service_ordered_has_a_stable_json_shape() {
    let json = serde_json::to_value(ordered()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"ServiceOrdered": {
            "service_id": "00000000-0000-0000-0000-000000000050",
            "client_id": "00000000-0000-0000-0000-000000000020",
            "provider_id": "00000000-0000-0000-0000-000000000010",
            "account_id": account_id().to_string(),
            "terms": {
                "tariff_id": "00000000-0000-0000-0000-000000000060",
                "tariff_name": "VDS S",
                "item_type": "vds",
                "period": "P1M",
                "base_price": {"amount": "25.00", "currency": "EUR"},
                "setup_fee": {"amount": "5.00", "currency": "EUR"},
                "addons": [{
                    "code": "ram_gb",
                    "name": "RAM",
                    "value": 1,
                    "price": {"amount": "5.00", "currency": "EUR"},
                }],
                "price_per_period": {"amount": "30.00", "currency": "EUR"},
                "deletion_delay_days": 7,
            },
            "auto_prolong": true,
            "ordered_on": "2025-01-30",
            "status": "ordered",
        }})
    );
    assert_eq!(
        serde_json::from_value::<ServiceEvent>(json).unwrap(),
        ordered()
    );
}

#[test]
fn events_stored_before_statuses_were_recorded_read_as_the_status_their_type_implies() {
    let old = |payload: serde_json::Value| {
        serde_json::from_value::<ServiceEvent>(payload)
            .unwrap()
            .status()
    };
    let mut ordered_json = serde_json::to_value(ordered()).unwrap();
    ordered_json["ServiceOrdered"]
        .as_object_mut()
        .unwrap()
        .remove("status");
    assert_eq!(old(ordered_json), Some(ServiceStatus::Ordered));
    let operation = op(1).to_string();
    assert_eq!(
        old(serde_json::json!({"ServiceCharged": {
            "expense_id": expense("2025-01-30").to_string(),
            "period_start": "2025-01-30",
            "period_end": "2025-03-02",
            "amount": {"amount": "35.00", "currency": "EUR"},
        }})),
        Some(ServiceStatus::Provisioning)
    );
    assert_eq!(
        old(serde_json::json!({"ServiceActivated": {"operation_id": operation}})),
        Some(ServiceStatus::Active)
    );
    assert_eq!(
        old(serde_json::json!({"ServiceSuspended": {
            "operation_id": operation,
            "reason": "non_payment",
            "since": "2025-03-02",
        }})),
        Some(ServiceStatus::Suspended)
    );
    assert_eq!(
        old(serde_json::json!({"ServiceResumed": {"operation_id": operation}})),
        Some(ServiceStatus::Active)
    );
    assert_eq!(
        old(serde_json::json!({"ServiceClosed": {"on": "2025-03-02"}})),
        Some(ServiceStatus::Closed)
    );
    assert_eq!(
        old(serde_json::json!({"ServiceDeleted": {"operation_id": operation}})),
        Some(ServiceStatus::Deleted)
    );
}

#[test]
fn the_status_an_event_records_is_the_status_the_service_is_left_in() {
    let histories = [
        vec![ordered()],
        provisioning(),
        active(),
        suspended_for_non_payment(),
    ];
    for events in histories {
        let status = events.iter().rev().find_map(ServiceEvent::status);
        assert_eq!(status, Some(service(events).status().unwrap()));
    }
}

#[test]
fn events_that_keep_the_status_record_none() {
    assert_eq!(prolonged("2025-03-02", "2025-04-02").status(), None);
    assert_eq!(
        ServiceEvent::ClosureScheduled {
            at: d("2025-02-28")
        }
        .status(),
        None
    );
}

#[test]
fn an_operation_request_leaves_out_a_missing_suspend_reason() {
    let activation =
        serde_json::to_value(requested(1, OperationKind::Activate, None, "2025-01-31")).unwrap();
    assert_eq!(
        activation,
        serde_json::json!({"OperationRequested": {
            "operation_id": op(1).to_string(),
            "kind": "activate",
            "attempt": 1,
            "requested_on": "2025-01-31",
        }})
    );
    let suspension = requested(
        2,
        OperationKind::Suspend,
        Some(SuspendReason::NonPayment),
        "2025-02-28",
    );
    let json = serde_json::to_value(&suspension).unwrap();
    assert_eq!(
        json["OperationRequested"]["suspend_reason"],
        serde_json::json!("non_payment")
    );
    assert_eq!(
        serde_json::from_value::<ServiceEvent>(json).unwrap(),
        suspension
    );
}

#[test]
fn notices_and_operations_have_a_stable_json_shape() {
    assert_eq!(
        serde_json::to_value(expires_in(5, "2025-02-28")).unwrap(),
        serde_json::json!({"NoticeDue": {"notice": {
            "notice": "expires_in", "days": 5, "paid_until": "2025-02-28",
        }}})
    );
    let operation = Operation {
        operation_id: op(1),
        kind: OperationKind::Delete,
        status: OperationStatus::Failed {
            reason: "timeout".to_string(),
        },
        attempt: 2,
    };
    assert_eq!(
        serde_json::to_value(&operation).unwrap(),
        serde_json::json!({
            "operation_id": op(1).to_string(),
            "kind": "delete",
            "status": {"status": "failed", "reason": "timeout"},
            "attempt": 2,
        })
    );
}

#[test]
fn the_service_state_round_trips_through_json() {
    let service = service(with(
        suspended_for_non_payment(),
        vec![expires_in(10, "2025-02-28")],
    ));
    let json = serde_json::to_string(&service).unwrap();
    assert_eq!(serde_json::from_str::<Service>(&json).unwrap(), service);
}

#[test]
fn a_new_service_has_no_state() {
    let service = Service::default();
    assert!(!service.is_ordered());
    assert_eq!(service.status(), None);
    assert_eq!(service.terms(), None);
    assert_eq!(service.due_period(d("2025-01-01")), None);
    assert_eq!(service.prolong_period(), None);
}

#[test]
fn service_events_have_literal_names_and_version_one() {
    let cases = [
        (ordered(), "ServiceOrdered"),
        (charged(), "ServiceCharged"),
        (prolonged("2025-02-28", "2025-03-31"), "ServiceProlonged"),
        (
            requested(1, OperationKind::Activate, None, "2025-01-31"),
            "OperationRequested",
        ),
        (
            ServiceEvent::OperationFailed {
                operation_id: op(1),
                kind: OperationKind::Activate,
                reason: "x".to_string(),
                attempt: 1,
            },
            "OperationFailed",
        ),
        (
            ServiceEvent::ServiceActivated {
                status: ServiceStatus::Active,
                operation_id: op(1),
            },
            "ServiceActivated",
        ),
        (
            ServiceEvent::ServiceSuspended {
                status: ServiceStatus::Suspended,
                operation_id: op(1),
                reason: SuspendReason::Staff,
                since: d("2025-01-31"),
            },
            "ServiceSuspended",
        ),
        (
            ServiceEvent::ServiceResumed {
                status: ServiceStatus::Active,
                operation_id: op(1),
            },
            "ServiceResumed",
        ),
        (
            ServiceEvent::ServiceDeleted {
                status: ServiceStatus::Deleted,
                operation_id: op(1),
            },
            "ServiceDeleted",
        ),
        (
            ServiceEvent::ServiceClosed {
                status: ServiceStatus::Closed,
                on: d("2025-01-31"),
            },
            "ServiceClosed",
        ),
        (
            ServiceEvent::ClosureScheduled {
                at: d("2025-01-31"),
            },
            "ClosureScheduled",
        ),
        (
            ServiceEvent::TariffChanged {
                new_terms: terms(),
                on: d("2025-01-31"),
                credit: eur("0"),
                charge: eur("0"),
                credit_expense_id: expense("2025-01-31"),
                charge_expense_id: expense("2025-01-31"),
            },
            "TariffChanged",
        ),
        (
            ServiceEvent::AutoProlongSet {
                auto_prolong: false,
            },
            "AutoProlongSet",
        ),
        (expires_in(1, "2025-01-31"), "NoticeDue"),
    ];
    for (event, name) in cases {
        assert_eq!(event.event_type(), name);
        assert_eq!(event.event_version(), "1.0");
    }
    assert_eq!(Service::TYPE, "Service");
}

#[test]
fn service_error_codes_are_stable() {
    let cases = [
        (ServiceError::AlreadyOrdered, "service_exists"),
        (ServiceError::NotOrdered, "service_not_found"),
        (ServiceError::ServiceClosed, "service_closed"),
        (ServiceError::NotActive, "service_not_active"),
        (ServiceError::NotSuspended, "service_not_suspended"),
        (ServiceError::Unpaid, "service_unpaid"),
        (ServiceError::OperationInProgress, "operation_in_progress"),
        (ServiceError::UnknownOperation, "unknown_operation"),
        (ServiceError::OperationNotPending, "operation_not_pending"),
        (ServiceError::OperationNotFailed, "operation_not_failed"),
        (ServiceError::PeriodOutOfOrder, "period_out_of_order"),
        (ServiceError::PeriodBeforeOrder, "period_before_order"),
        (
            ServiceError::TariffChangeNotAllowed(String::new()),
            "tariff_change_not_allowed",
        ),
        (ServiceError::InvalidReason, "invalid_reason"),
        (
            ServiceError::Money(MoneyError::Overflow),
            "amount_out_of_range",
        ),
    ];
    for (error, code) in cases {
        assert_eq!(error.code(), code);
    }
}

#[test]
fn statuses_serialize_as_snake_case() {
    for status in [
        ServiceStatus::Ordered,
        ServiceStatus::Provisioning,
        ServiceStatus::Active,
        ServiceStatus::Suspended,
        ServiceStatus::Closed,
        ServiceStatus::Deleted,
    ] {
        assert_eq!(
            serde_json::to_value(status).unwrap(),
            serde_json::json!(status.as_str())
        );
    }
}

// Transfers.

fn new_owner() -> ClientId {
    ClientId::from_uuid(Uuid::from_u128(0x77))
}

fn new_account() -> AccountId {
    AccountId::from_uuid(Uuid::from_u128(0x78))
}

fn transfer() -> ServiceCommand {
    ServiceCommand::TransferService {
        to_client: new_owner(),
        provider_id: provider_id(),
        to_account: new_account(),
        merge_id: None,
        on: d("2025-02-10"),
    }
}

fn transferred() -> ServiceEvent {
    ServiceEvent::ServiceTransferred {
        from_client: client_id(),
        from_account: account_id(),
        to_client: new_owner(),
        to_account: new_account(),
        merge_id: None,
        on: d("2025-02-10"),
    }
}

#[test]
fn a_transferred_service_is_charged_to_its_new_owner() {
    ServiceTester::with(())
        .given(active())
        .when(transfer())
        .then_expect_events(vec![transferred()]);
    let moved = service(with(active(), vec![transferred()]));
    assert_eq!(moved.client_id(), Some(new_owner()));
    assert_eq!(moved.account_id(), Some(new_account()));
}

#[test]
fn transferring_a_service_to_its_owner_records_nothing() {
    ServiceTester::with(())
        .given(with(active(), vec![transferred()]))
        .when(transfer())
        .then_expect_events(vec![]);
}

#[test]
fn a_service_cannot_move_to_another_provider() {
    ServiceTester::with(())
        .given(active())
        .when(ServiceCommand::TransferService {
            to_client: new_owner(),
            provider_id: ProviderId::from_uuid(Uuid::from_u128(0x99)),
            to_account: new_account(),
            merge_id: None,
            on: d("2025-02-10"),
        })
        .then_expect_error(ServiceError::OtherProvider);
}

// No time before the order.

#[test]
fn no_period_is_due_before_the_order() {
    // Issue 13: ordered on Jan 30; a billing day run for Jan 20 finds nothing due, and on the
    // day of the order the first period starts that day.
    let order = service(vec![ordered()]);
    assert_eq!(order.due_period(d("2025-01-20")), None);
    assert_eq!(
        order.due_period(d("2025-01-30")),
        discounted("2025-01-30", "2025-02-28", "35.00", "0", "35.00", true).map(|due| {
            DuePeriod {
                discount: None,
                discount_label: None,
                ..due
            }
        })
    );
}

#[test]
fn a_charge_for_a_period_before_the_order_is_rejected() {
    ServiceTester::with(())
        .given(vec![ordered()])
        .when(record("2025-01-20", "2025-02-20", "35.00", 1, "2025-01-20"))
        .then_expect_error(ServiceError::PeriodBeforeOrder);
}

// Automatic renewal.

#[test]
fn auto_prolong_can_be_switched_off_and_on() {
    ServiceTester::with(())
        .given(active())
        .when(ServiceCommand::SetAutoProlong {
            auto_prolong: false,
        })
        .then_expect_events(vec![ServiceEvent::AutoProlongSet {
            auto_prolong: false,
        }]);
    let off = service(with(
        active(),
        vec![ServiceEvent::AutoProlongSet {
            auto_prolong: false,
        }],
    ));
    assert!(!off.auto_prolong());
    assert_eq!(off.due_period(d("2025-02-28")), None);
    let on = service(with(
        active(),
        vec![
            ServiceEvent::AutoProlongSet {
                auto_prolong: false,
            },
            ServiceEvent::AutoProlongSet { auto_prolong: true },
        ],
    ));
    assert_eq!(
        on.due_period(d("2025-02-28")),
        due("2025-02-28", "2025-03-31", "30.00", false)
    );
}

#[test]
fn setting_auto_prolong_to_what_it_is_records_nothing() {
    ServiceTester::with(())
        .given(active())
        .when(ServiceCommand::SetAutoProlong { auto_prolong: true })
        .then_expect_events(vec![]);
}

#[test]
fn setting_auto_prolong_of_a_closed_service_is_rejected() {
    ServiceTester::with(())
        .given(with(
            active(),
            vec![
                ServiceEvent::ServiceClosed {
                    status: ServiceStatus::Closed,
                    on: d("2025-02-10"),
                },
                requested(5, OperationKind::Delete, None, "2025-02-10"),
            ],
        ))
        .when(ServiceCommand::SetAutoProlong { auto_prolong: true })
        .then_expect_error(ServiceError::ServiceClosed);
}

/// Active, paid until 2025-02-28, without automatic renewal.
fn active_not_renewed() -> Vec<ServiceEvent> {
    let mut events = active();
    events[0] = ordered_with(false);
    events
}

#[test]
fn a_service_that_is_not_renewed_ends_with_its_paid_time() {
    // Issue 14: closed as of its paid-until date (not suspended, so no payment resumes it).
    ServiceTester::with(())
        .given(active_not_renewed())
        .when(run("2025-03-02"))
        .then_expect_events(vec![ServiceEvent::ServiceClosed {
            status: ServiceStatus::Closed,
            on: d("2025-02-28"),
        }]);
}

#[test]
fn a_service_that_ended_is_deleted_once_its_delay_has_passed() {
    // Closed on Feb 28 with a 7-day delay: kept through Mar 6, deleted on Mar 7.
    let ended = with(
        active_not_renewed(),
        vec![ServiceEvent::ServiceClosed {
            status: ServiceStatus::Closed,
            on: d("2025-02-28"),
        }],
    );
    ServiceTester::with(())
        .given(ended.clone())
        .when(run("2025-03-06"))
        .then_expect_events(vec![]);
    ServiceTester::with(())
        .given(ended.clone())
        .when(run("2025-03-07"))
        .then_expect_events(vec![requested(
            9,
            OperationKind::Delete,
            None,
            "2025-03-07",
        )]);
    assert_eq!(service(ended.clone()).due_period(d("2025-03-01")), None);
    ServiceTester::with(())
        .given(ended)
        .when(record("2025-03-01", "2025-04-01", "30.00", 3, "2025-03-01"))
        .then_expect_error(ServiceError::ServiceClosed);
}

#[test]
fn a_service_that_ended_waits_for_its_deletion_once_requested() {
    ServiceTester::with(())
        .given(with(
            active_not_renewed(),
            vec![
                ServiceEvent::ServiceClosed {
                    status: ServiceStatus::Closed,
                    on: d("2025-02-28"),
                },
                requested(9, OperationKind::Delete, None, "2025-03-07"),
            ],
        ))
        .when(run("2025-03-08"))
        .then_expect_events(vec![]);
}

#[test]
fn a_service_not_renewed_can_still_be_prolonged_by_hand_before_it_ends() {
    assert_eq!(
        service(active_not_renewed()).prolong_period(),
        due("2025-02-28", "2025-03-31", "30.00", false)
    );
}

#[test]
fn a_service_suspended_for_non_payment_is_not_renewed_once_auto_prolong_is_off() {
    // Neither the billing day nor a payment charges it; it is deleted after its delay as before.
    let events = with(
        suspended_for_non_payment(),
        vec![ServiceEvent::AutoProlongSet {
            auto_prolong: false,
        }],
    );
    assert_eq!(service(events.clone()).due_period(d("2025-03-03")), None);
    ServiceTester::with(())
        .given(events)
        .when(run("2025-03-07"))
        .then_expect_events(vec![requested(
            9,
            OperationKind::Delete,
            None,
            "2025-03-07",
        )]);
}

#[test]
fn a_service_suspended_by_staff_that_is_not_renewed_ends_with_its_paid_time() {
    let mut events = suspended_by(SuspendReason::Abuse, "2025-02-10");
    events[0] = ordered_with(false);
    ServiceTester::with(())
        .given(events)
        .when(run("2025-03-01"))
        .then_expect_events(vec![ServiceEvent::ServiceClosed {
            status: ServiceStatus::Closed,
            on: d("2025-02-28"),
        }]);
}

#[test]
fn a_service_moved_to_another_client_changes_tariff_from_its_next_period() {
    // The period was paid from the old owner's account: a credit on the new owner's account
    // could not be weighed against corrections of that charge on the old one.
    ServiceTester::with(())
        .given(with(active(), vec![transferred()]))
        .when(change_tariff(terms_at("45.00"), "2025-02-12"))
        .then_expect_error(ServiceError::TariffChangeNotAllowed(
            "the current period was paid by another account; change from the next period"
                .to_string(),
        ));
}

#[test]
fn a_retried_charge_of_the_paid_period_records_nothing() {
    ServiceTester::with(())
        .given(active())
        .when(record("2025-01-31", "2025-02-28", "35.00", 2, "2025-01-31"))
        .then_expect_events(vec![]);
}

#[test]
fn a_charge_of_other_days_inside_the_paid_time_is_refused_so_it_is_given_back() {
    // Paid [2025-01-31, 2025-02-28); a billing day that computed its period from a stale view
    // charged [2025-02-01, 2025-02-28) as well: two charges for the same days.
    ServiceTester::with(())
        .given(active())
        .when(record("2025-02-01", "2025-02-28", "35.00", 2, "2025-02-01"))
        .then_expect_error(ServiceError::PeriodOutOfOrder);
}

/// The command standing for `action` on 2025-02-10, moving the service to another client of the
/// same provider for a transfer.
fn command_of(action: ServiceAction) -> ServiceCommand {
    let on = d("2025-02-10");
    match action {
        ServiceAction::Suspend => ServiceCommand::SuspendService {
            reason: SuspendReason::Staff,
            operation_id: op(9),
            on,
        },
        ServiceAction::Resume => ServiceCommand::ResumeService {
            operation_id: op(9),
            on,
        },
        ServiceAction::Close => ServiceCommand::CloseService {
            at_period_end: false,
            operation_id: op(9),
            on,
        },
        ServiceAction::Transfer => {
            let to_client = ClientId::from_uuid(Uuid::from_u128(0x21));
            ServiceCommand::TransferService {
                to_client,
                provider_id: provider_id(),
                to_account: AccountId::of(to_client, provider_id(), Currency::EUR),
                merge_id: None,
                on,
            }
        }
    }
}

#[test]
fn the_actions_a_status_allows_are_those_the_service_accepts_when_no_operation_is_pending() {
    let closed = {
        let running = service(active());
        let closing = running
            .decide(command_of(ServiceAction::Close))
            .expect("an active service closes");
        let mut events = active();
        events.extend(closing);
        // The deletion requested is still pending: a closed service waiting for it.
        events
    };
    let deleted = with(
        vec![ordered()],
        service(vec![ordered()])
            .decide(command_of(ServiceAction::Close))
            .expect("an order closes"),
    );
    let all = [
        ServiceAction::Suspend,
        ServiceAction::Resume,
        ServiceAction::Close,
        ServiceAction::Transfer,
    ];
    for (events, status) in [
        (vec![ordered()], ServiceStatus::Ordered),
        (active(), ServiceStatus::Active),
        (
            suspended_by(SuspendReason::Staff, "2025-02-05"),
            ServiceStatus::Suspended,
        ),
        (closed, ServiceStatus::Closed),
        (deleted, ServiceStatus::Deleted),
    ] {
        let service = service(events);
        assert_eq!(service.status(), Some(status));
        for action in all {
            let accepted = service.decide(command_of(action)).is_ok();
            assert_eq!(
                accepted,
                status.allowed_actions().contains(&action),
                "{} of a {} service",
                action.as_str(),
                status.as_str()
            );
        }
    }
}

#[test]
fn a_status_is_parsed_from_its_name() {
    for status in [
        ServiceStatus::Ordered,
        ServiceStatus::Provisioning,
        ServiceStatus::Active,
        ServiceStatus::Suspended,
        ServiceStatus::Closed,
        ServiceStatus::Deleted,
    ] {
        assert_eq!(ServiceStatus::parse(status.as_str()), Some(status));
    }
    assert_eq!(ServiceStatus::parse("running"), None);
}

// Domain services: the domain name and contacts an order of a domain carries.

fn contact(n: u128) -> crate::ids::ContactId {
    crate::ids::ContactId::from_uuid(Uuid::from_u128(0x900 + n))
}

fn contacts(registrant: u128, admin: u128, tech: u128) -> crate::contact::DomainContacts {
    crate::contact::DomainContacts {
        registrant: contact(registrant),
        admin: contact(admin),
        tech: contact(tech),
    }
}

fn registration() -> crate::contact::DomainRegistration {
    crate::contact::DomainRegistration {
        domain_name: crate::contact::DomainName::parse("example.com").unwrap(),
        contacts: contacts(1, 1, 2),
    }
}

fn domain_terms() -> ServiceTerms {
    ServiceTerms {
        tariff_name: "Domain .com".to_string(),
        item_type: ItemType::Domain,
        addons: vec![],
        ..terms_at("12.00")
    }
}

fn order_domain(
    domain: Option<crate::contact::DomainRegistration>,
    terms: ServiceTerms,
) -> ServiceCommand {
    ServiceCommand::OrderService {
        trial: None,
        service_id: service_id(),
        client_id: client_id(),
        provider_id: provider_id(),
        account_id: account_id(),
        terms,
        auto_prolong: true,
        ordered_on: d("2025-01-30"),
        discount: None,
        domain,
        required_agreement: None,
        accepted_agreement: None,
    }
}

fn domain_ordered() -> ServiceEvent {
    ServiceEvent::ServiceOrdered {
        trial: None,
        status: ServiceStatus::Ordered,
        service_id: service_id(),
        client_id: client_id(),
        provider_id: provider_id(),
        account_id: account_id(),
        terms: domain_terms(),
        auto_prolong: true,
        ordered_on: d("2025-01-30"),
        discount: None,
        domain: Some(registration()),
        agreement: None,
    }
}

#[test]
fn a_domain_is_ordered_with_its_name_and_contacts() {
    ServiceTester::with(())
        .given_no_previous_events()
        .when(order_domain(Some(registration()), domain_terms()))
        .then_expect_events(vec![domain_ordered()]);
}

#[test]
fn a_service_that_is_not_a_domain_takes_no_domain_details() {
    ServiceTester::with(())
        .given_no_previous_events()
        .when(order_domain(Some(registration()), terms()))
        .then_expect_error(ServiceError::NotADomainItem);
}

#[test]
fn an_order_stored_before_domain_contacts_folds_without_a_domain() {
    let mut stored = serde_json::to_value(ordered()).unwrap();
    assert!(stored["ServiceOrdered"].get("domain").is_none());
    stored["ServiceOrdered"]
        .as_object_mut()
        .unwrap()
        .remove("domain");
    let event: ServiceEvent = serde_json::from_value(stored).unwrap();
    let mut service = Service::default();
    service.apply(event);
    assert_eq!(service.domain(), None);
    assert!(service.is_ordered());
}

#[test]
fn a_domain_service_is_given_other_contacts() {
    ServiceTester::with(())
        .given(vec![domain_ordered()])
        .when(ServiceCommand::SetDomainContacts {
            contacts: contacts(3, 1, 3),
        })
        .then_expect_events(vec![ServiceEvent::DomainContactsChanged {
            from: contacts(1, 1, 2),
            to: contacts(3, 1, 3),
        }]);
}

#[test]
fn setting_the_same_contacts_records_nothing() {
    ServiceTester::with(())
        .given(vec![domain_ordered()])
        .when(ServiceCommand::SetDomainContacts {
            contacts: contacts(1, 1, 2),
        })
        .then_expect_events(vec![]);
}

#[test]
fn a_service_without_a_domain_takes_no_contacts() {
    ServiceTester::with(())
        .given(vec![ordered()])
        .when(ServiceCommand::SetDomainContacts {
            contacts: contacts(1, 1, 1),
        })
        .then_expect_error(ServiceError::NoDomain);
}

#[test]
fn a_closed_domain_service_takes_no_contacts() {
    ServiceTester::with(())
        .given(vec![
            domain_ordered(),
            ServiceEvent::ServiceClosed {
                on: d("2025-02-01"),
                status: ServiceStatus::Closed,
            },
        ])
        .when(ServiceCommand::SetDomainContacts {
            contacts: contacts(3, 3, 3),
        })
        .then_expect_error(ServiceError::ServiceClosed);
}

// The item type's policy, as the billing day passes it (ADR 15).

fn run_with(
    on: &str,
    suspension: SuspensionRule,
    grace_days: u32,
    deletion: u32,
) -> ServiceCommand {
    ServiceCommand::RunBillingDay {
        promised_until: None,
        in_debt: false,
        on: d(on),
        operation_id: op(9),
        policy: Some(crate::item_type::ItemTypePolicy {
            deletion_delay_days: deletion,
            suspension,
            grace_days,
            auto_prolong: true,
        }),
    }
}

fn overdue(paid_until: &str, grace_until: &str) -> ServiceEvent {
    ServiceEvent::NoticeDue {
        notice: Notice::Overdue {
            paid_until: d(paid_until),
            grace_until: d(grace_until),
        },
    }
}

#[test]
fn an_unpaid_service_keeps_running_through_its_grace_days_and_the_client_is_told_once() {
    // Paid until Feb 28, three days of grace: running on Feb 28, Mar 1 and Mar 2.
    ServiceTester::with(())
        .given(active())
        .when(run_with("2025-02-28", SuspensionRule::Suspend, 3, 7))
        .then_expect_events(vec![overdue("2025-02-28", "2025-03-03")]);
    ServiceTester::with(())
        .given(with(active(), vec![overdue("2025-02-28", "2025-03-03")]))
        .when(run_with("2025-03-02", SuspensionRule::Suspend, 3, 7))
        .then_expect_events(vec![]);
}

#[test]
fn an_unpaid_service_is_suspended_when_its_grace_days_are_over() {
    ServiceTester::with(())
        .given(with(active(), vec![overdue("2025-02-28", "2025-03-03")]))
        .when(run_with("2025-03-03", SuspensionRule::Suspend, 3, 7))
        .then_expect_events(vec![requested(
            9,
            OperationKind::Suspend,
            Some(SuspendReason::NonPayment),
            "2025-03-03",
        )]);
}

#[test]
fn a_charge_inside_the_grace_pays_from_the_due_date() {
    // No free days: the period paid in the grace starts where the paid time ended.
    let in_grace = service(with(active(), vec![overdue("2025-02-28", "2025-03-03")]));
    assert_eq!(
        in_grace.due_period(d("2025-03-02")),
        due("2025-02-28", "2025-03-31", "30.00", false)
    );
    ServiceTester::with(())
        .given(with(active(), vec![overdue("2025-02-28", "2025-03-03")]))
        .when(record("2025-02-28", "2025-03-31", "30.00", 5, "2025-03-02"))
        .then_expect_events(vec![prolonged("2025-02-28", "2025-03-31")]);
}

#[test]
fn an_item_type_deleting_without_suspension_closes_and_deletes_after_the_grace() {
    ServiceTester::with(())
        .given(active())
        .when(run_with("2025-02-28", SuspensionRule::Delete, 0, 7))
        .then_expect_events(vec![
            ServiceEvent::ServiceClosed {
                status: ServiceStatus::Closed,
                on: d("2025-02-28"),
            },
            requested(9, OperationKind::Delete, None, "2025-02-28"),
        ]);
}

#[test]
fn an_item_type_never_suspended_keeps_an_unpaid_service_running() {
    ServiceTester::with(())
        .given(active())
        .when(run_with("2025-04-15", SuspensionRule::Never, 0, 7))
        .then_expect_events(vec![]);
}

#[test]
fn the_item_types_current_deletion_delay_overrides_the_one_of_the_terms() {
    // The terms say 7 days; staff set 2 since: deleted two days after the suspension.
    ServiceTester::with(())
        .given(suspended_for_non_payment())
        .when(run_with("2025-03-02", SuspensionRule::Suspend, 0, 2))
        .then_expect_events(vec![requested(
            9,
            OperationKind::Delete,
            None,
            "2025-03-02",
        )]);
    ServiceTester::with(())
        .given(suspended_for_non_payment())
        .when(run_with("2025-03-01", SuspensionRule::Suspend, 0, 2))
        .then_expect_events(vec![]);
}

#[test]
fn a_billing_day_stored_without_a_policy_reads_as_before() {
    let command: ServiceCommand = serde_json::from_value(serde_json::json!({
        "RunBillingDay": {"on": "2025-03-01", "operation_id": op(9)}
    }))
    .unwrap();
    assert_eq!(command, run("2025-03-01"));
}

// Price changes.

fn schedule(base: &str, effective_on: &str) -> ServiceCommand {
    ServiceCommand::SchedulePriceChange {
        tariff_id: terms().tariff_id,
        period: BillingPeriod::Month,
        base_price: eur(base),
        effective_on: d(effective_on),
    }
}

fn scheduled(base: &str, per_period: &str, effective_on: &str) -> Vec<ServiceEvent> {
    vec![
        ServiceEvent::PriceChangeScheduled {
            base_price: eur(base),
            price_per_period: eur(per_period),
            effective_on: d(effective_on),
        },
        ServiceEvent::NoticeDue {
            notice: Notice::PriceChange {
                effective_on: d(effective_on),
                old_price: eur("30.00"),
                new_price: eur(per_period),
            },
        },
    ]
}

#[test]
fn a_price_change_is_scheduled_with_the_add_ons_kept_and_the_client_noticed() {
    ServiceTester::with(())
        .given(active())
        .when(schedule("28.00", "2025-03-15"))
        .then_expect_events(scheduled("28.00", "33.00", "2025-03-15"));
}

#[test]
fn a_price_change_of_another_tariff_or_period_or_a_repeat_records_nothing() {
    let other_tariff = ServiceCommand::SchedulePriceChange {
        tariff_id: TariffId::from_uuid(Uuid::from_u128(0x99)),
        period: BillingPeriod::Month,
        base_price: eur("28.00"),
        effective_on: d("2025-03-15"),
    };
    let other_period = ServiceCommand::SchedulePriceChange {
        tariff_id: terms().tariff_id,
        period: BillingPeriod::Year,
        base_price: eur("280.00"),
        effective_on: d("2025-03-15"),
    };
    for command in [other_tariff, other_period] {
        ServiceTester::with(())
            .given(active())
            .when(command)
            .then_expect_events(vec![]);
    }
    ServiceTester::with(())
        .given(with(active(), scheduled("28.00", "33.00", "2025-03-15")))
        .when(schedule("28.00", "2025-03-15"))
        .then_expect_events(vec![]);
}

#[test]
fn the_old_price_holds_until_the_first_period_starting_on_or_after_the_day() {
    // Paid until 2025-02-28; the change takes effect on 2025-03-15.
    let events = with(active(), scheduled("28.00", "33.00", "2025-03-15"));
    assert_eq!(
        service(events.clone()).due_period(d("2025-02-28")),
        due("2025-02-28", "2025-03-31", "30.00", false)
    );
    let renewed = with(events, vec![prolonged("2025-02-28", "2025-03-31")]);
    assert_eq!(
        service(renewed).due_period(d("2025-03-31")),
        due("2025-03-31", "2025-04-30", "33.00", false)
    );
}

#[test]
fn recording_the_first_period_at_the_new_price_makes_it_the_services_price() {
    let events = with(
        with(active(), scheduled("28.00", "33.00", "2025-02-28")),
        vec![],
    );
    let mut new_terms = terms();
    new_terms.base_price = eur("28.00");
    new_terms.price_per_period = eur("33.00");
    ServiceTester::with(())
        .given(events)
        .when(record("2025-02-28", "2025-03-31", "33.00", 2, "2025-02-28"))
        .then_expect_events(vec![
            ServiceEvent::ServiceProlonged {
                expense_id: expense("2025-02-28"),
                period_start: d("2025-02-28"),
                period_end: d("2025-03-31"),
                amount: eur("33.00"),
            },
            ServiceEvent::PriceChanged {
                terms: new_terms,
                from: d("2025-02-28"),
            },
        ]);
}

fn import_source() -> crate::import::ImportSource {
    crate::import::ImportSource::parse("whmcs", "1234").unwrap()
}

fn import(paid_until: &str, suspended: Option<SuspendReason>) -> ServiceCommand {
    ServiceCommand::ImportService {
        service_id: service_id(),
        client_id: client_id(),
        provider_id: provider_id(),
        account_id: account_id(),
        terms: terms(),
        auto_prolong: true,
        ordered_on: d("2025-03-15"),
        period_start: d("2027-01-15"),
        paid_until: d(paid_until),
        anchor_day: 15,
        suspended,
        source: import_source(),
    }
}

fn imported(paid_until: &str) -> ServiceEvent {
    ServiceEvent::ServiceImported {
        service_id: service_id(),
        client_id: client_id(),
        provider_id: provider_id(),
        account_id: account_id(),
        terms: terms(),
        auto_prolong: true,
        ordered_on: d("2025-03-15"),
        period_start: d("2027-01-15"),
        paid_until: d(paid_until),
        anchor_day: 15,
        suspended: None,
        status: ServiceStatus::Active,
        source: import_source(),
    }
}

#[test]
fn an_imported_service_runs_with_its_paid_time_and_nothing_charged() {
    ServiceTester::with(())
        .given_no_previous_events()
        .when(import("2027-02-15", None))
        .then_expect_events(vec![imported("2027-02-15")]);
}

#[test]
fn importing_a_service_again_records_nothing() {
    ServiceTester::with(())
        .given(vec![imported("2027-02-15")])
        .when(import("2027-02-15", None))
        .then_expect_events(vec![]);
}

#[test]
fn an_imported_service_is_due_its_next_period_from_its_paid_until_at_its_price_without_setup_fee() {
    let service = service(vec![imported("2027-02-15")]);
    assert_eq!(service.due_period(d("2027-02-14")), None);
    assert_eq!(
        service.due_period(d("2027-02-15")),
        due("2027-02-15", "2027-03-15", "30.00", false)
    );
}

#[test]
fn an_imported_period_must_end_after_it_starts() {
    ServiceTester::with(())
        .given_no_previous_events()
        .when(import("2027-01-15", None))
        .then_expect_error(ServiceError::PeriodOutOfOrder);
}

#[test]
fn a_service_imported_suspended_by_staff_is_not_charged() {
    let events = Service::default()
        .decide(import("2027-01-20", Some(SuspendReason::Staff)))
        .unwrap();
    let service = service(events);
    assert_eq!(service.status(), Some(ServiceStatus::Suspended));
    assert_eq!(service.due_period(d("2027-02-01")), None);
}

fn agreement_version(version: u32) -> crate::agreement::AgreementVersion {
    crate::agreement::AgreementVersion {
        agreement_id: crate::ids::AgreementId::of_tariff(TariffId::from_uuid(Uuid::from_u128(
            0x30,
        ))),
        version,
    }
}

fn order_accepting(
    required: Option<u32>,
    accepted: Option<crate::agreement::AgreementVersion>,
) -> ServiceCommand {
    let ServiceCommand::OrderService {
        service_id,
        client_id,
        provider_id,
        account_id,
        terms,
        auto_prolong,
        ordered_on,
        ..
    } = order_with(true)
    else {
        unreachable!("order_with builds an order");
    };
    ServiceCommand::OrderService {
        trial: None,
        service_id,
        client_id,
        provider_id,
        account_id,
        terms,
        auto_prolong,
        ordered_on,
        discount: None,
        domain: None,
        required_agreement: required.map(agreement_version),
        accepted_agreement: accepted,
    }
}

#[test]
fn an_order_an_agreement_covers_records_the_version_it_accepted() {
    let ServiceEvent::ServiceOrdered {
        service_id,
        client_id,
        provider_id,
        account_id,
        terms,
        auto_prolong,
        ordered_on,
        ..
    } = ordered()
    else {
        unreachable!("ordered builds an order");
    };
    ServiceTester::with(())
        .given_no_previous_events()
        .when(order_accepting(Some(2), Some(agreement_version(2))))
        .then_expect_events(vec![ServiceEvent::ServiceOrdered {
            trial: None,
            status: ServiceStatus::Ordered,
            service_id,
            client_id,
            provider_id,
            account_id,
            terms,
            auto_prolong,
            ordered_on,
            discount: None,
            domain: None,
            agreement: Some(agreement_version(2)),
        }]);
}

#[test]
fn an_order_without_accepting_the_agreement_is_refused() {
    ServiceTester::with(())
        .given_no_previous_events()
        .when(order_accepting(Some(1), None))
        .then_expect_error(ServiceError::AgreementNotAccepted { current: 1 });
    let other = crate::agreement::AgreementVersion {
        agreement_id: crate::ids::AgreementId::of_item_type(provider_id(), "vds"),
        version: 1,
    };
    ServiceTester::with(())
        .given_no_previous_events()
        .when(order_accepting(Some(1), Some(other)))
        .then_expect_error(ServiceError::AgreementNotAccepted { current: 1 });
}

#[test]
fn an_order_accepting_an_older_version_is_refused_as_outdated() {
    ServiceTester::with(())
        .given_no_previous_events()
        .when(order_accepting(Some(3), Some(agreement_version(2))))
        .then_expect_error(ServiceError::AgreementOutdated {
            accepted: 2,
            current: 3,
        });
    assert_eq!(
        ServiceError::AgreementOutdated {
            accepted: 2,
            current: 3
        }
        .code(),
        "agreement_outdated"
    );
}

#[test]
fn an_order_no_agreement_covers_records_none_even_if_it_accepted_one() {
    let events = Service::default()
        .decide(order_accepting(None, Some(agreement_version(1))))
        .unwrap();
    assert!(matches!(
        events.as_slice(),
        [ServiceEvent::ServiceOrdered {
            agreement: None,
            ..
        }]
    ));
}

#[test]
fn ordered_events_stored_before_agreements_read_as_accepting_none() {
    let mut json = serde_json::to_value(ordered()).unwrap();
    json["ServiceOrdered"]
        .as_object_mut()
        .unwrap()
        .remove("agreement");
    let decoded: ServiceEvent = serde_json::from_value(json).unwrap();
    assert_eq!(decoded, ordered());
}

// Standing discounts (a client group's per item type, a client's personal one): the best single
// discount of those and the promo code's.

fn standing(source: DiscountSource, percent: &str, until: Option<&str>) -> StandingDiscount {
    StandingDiscount {
        source,
        percent: DiscountPercent::parse(percent.parse().unwrap()).unwrap(),
        item_types: vec![],
        until: until.map(d),
    }
}

fn group_off(percent: &str) -> StandingDiscount {
    standing(
        DiscountSource::Group {
            group_id: crate::ids::ClientGroupId::from_uuid(Uuid::from_u128(70)),
            name: "VIP".to_string(),
        },
        percent,
        None,
    )
}

fn personal_off(percent: &str, until: Option<&str>) -> StandingDiscount {
    standing(DiscountSource::Personal, percent, until)
}

#[test]
fn a_group_discount_takes_its_percent_off_a_renewal() {
    assert_eq!(
        service(active()).due_period_with(d("2025-02-28"), &[group_off("10")]),
        labelled(
            discounted("2025-02-28", "2025-03-31", "30.00", "3.00", "27.00", false),
            "group:VIP"
        )
    );
}

#[test]
fn a_standing_discount_never_touches_the_setup_fee() {
    assert_eq!(
        service(vec![ordered()]).due_period_with(d("2025-01-31"), &[personal_off("10", None)]),
        named(
            labelled(
                discounted("2025-01-31", "2025-02-28", "35.00", "3.00", "32.00", true),
                "personal"
            ),
            first_charge()
        )
    );
}

#[test]
fn the_best_single_discount_wins_and_discounts_never_add_up() {
    // The promo code takes 12.5 % (3.75); a 20 % personal discount (6.00) beats it, a 10 % group
    // discount (3.00) does not; none is added to another.
    let sold = sold_with(active(), percent_off("12.5", true));
    assert_eq!(
        service(sold.clone()).due_period_with(
            d("2025-02-28"),
            &[personal_off("20", None), group_off("10")]
        ),
        labelled(
            discounted("2025-02-28", "2025-03-31", "30.00", "6.00", "24.00", false),
            "personal"
        )
    );
    assert_eq!(
        service(sold).due_period_with(d("2025-02-28"), &[group_off("10")]),
        discounted("2025-02-28", "2025-03-31", "30.00", "3.75", "26.25", false)
    );
}

#[test]
fn on_a_tie_the_promo_code_then_the_earlier_standing_discount_wins() {
    let sold = sold_with(active(), percent_off("10", true));
    assert_eq!(
        service(sold).due_period_with(d("2025-02-28"), &[personal_off("10", None)]),
        discounted("2025-02-28", "2025-03-31", "30.00", "3.00", "27.00", false)
    );
    assert_eq!(
        service(active()).due_period_with(
            d("2025-02-28"),
            &[personal_off("10", None), group_off("10")]
        ),
        labelled(
            discounted("2025-02-28", "2025-03-31", "30.00", "3.00", "27.00", false),
            "personal"
        )
    );
}

#[test]
fn a_discount_that_ended_or_is_for_another_item_type_takes_nothing() {
    // The period starts on Feb 28: a discount until Feb 27 has ended, one until Feb 28 applies.
    assert_eq!(
        service(active())
            .due_period_with(d("2025-02-28"), &[personal_off("10", Some("2025-02-27"))]),
        due("2025-02-28", "2025-03-31", "30.00", false)
    );
    assert_eq!(
        service(active())
            .due_period_with(d("2025-02-28"), &[personal_off("10", Some("2025-02-28"))]),
        labelled(
            discounted("2025-02-28", "2025-03-31", "30.00", "3.00", "27.00", false),
            "personal"
        )
    );
    let domains_only = StandingDiscount {
        item_types: vec![ItemType::Domain],
        ..group_off("50")
    };
    assert_eq!(
        service(active()).due_period_with(d("2025-02-28"), &[domains_only]),
        due("2025-02-28", "2025-03-31", "30.00", false)
    );
}

#[test]
fn a_manual_prolongation_takes_the_standing_discount_too() {
    assert_eq!(
        service(active()).prolong_period_with(&[group_off("25")]),
        labelled(
            discounted("2025-02-28", "2025-03-31", "30.00", "7.50", "22.50", false),
            "group:VIP"
        )
    );
}

// Trials (issue 19.2): a free first period, then the tariff's price from the day it ends.

fn ordered_with_trial(trial: crate::tariff::Trial) -> ServiceEvent {
    let ServiceEvent::ServiceOrdered {
        status,
        service_id,
        client_id,
        provider_id,
        account_id,
        terms,
        auto_prolong,
        ordered_on,
        discount,
        domain,
        agreement,
        ..
    } = ordered()
    else {
        unreachable!("ordered() is an order");
    };
    ServiceEvent::ServiceOrdered {
        status,
        service_id,
        client_id,
        provider_id,
        account_id,
        terms,
        auto_prolong,
        ordered_on,
        discount,
        domain,
        agreement,
        trial: Some(trial),
    }
}

#[test]
fn an_order_with_a_trial_is_due_for_a_free_trial_period_without_the_setup_fee() {
    let due = service(vec![ordered_with_trial(crate::tariff::Trial::Days(14))])
        .due_period(d("2025-01-30"))
        .unwrap();
    assert_eq!(due.period_start, d("2025-01-30"));
    assert_eq!(due.period_end, d("2025-02-13"));
    assert_eq!(due.amount, eur("0.00"));
    assert_eq!(due.list_amount, eur("0.00"));
    assert_eq!(due.discount_label.as_deref(), Some(TRIAL_LABEL));
    assert!(due.trial);
}

#[test]
fn a_trial_of_a_period_lasts_its_calendar_months() {
    let due = service(vec![ordered_with_trial(crate::tariff::Trial::Period(
        BillingPeriod::Month,
    ))])
    .due_period(d("2025-01-31"))
    .unwrap();
    assert_eq!(due.period_end, d("2025-02-28"));
}

#[test]
fn the_free_charge_of_a_trial_starts_it_and_activates_the_service() {
    ServiceTester::with(())
        .given(vec![ordered_with_trial(crate::tariff::Trial::Days(14))])
        .when(record("2025-01-30", "2025-02-13", "0.00", 1, "2025-01-30"))
        .then_expect_events(vec![
            ServiceEvent::ServiceCharged {
                status: ServiceStatus::Provisioning,
                expense_id: expense("2025-01-30"),
                period_start: d("2025-01-30"),
                period_end: d("2025-02-13"),
                amount: eur("0.00"),
            },
            ServiceEvent::TrialStarted {
                from: d("2025-01-30"),
                until: d("2025-02-13"),
            },
            requested(1, OperationKind::Activate, None, "2025-01-30"),
        ]);
}

#[test]
fn after_a_trial_the_next_period_is_charged_at_the_price_from_its_end() {
    let after = service(vec![
        ordered_with_trial(crate::tariff::Trial::Days(14)),
        ServiceEvent::ServiceCharged {
            status: ServiceStatus::Provisioning,
            expense_id: expense("2025-01-30"),
            period_start: d("2025-01-30"),
            period_end: d("2025-02-13"),
            amount: eur("0.00"),
        },
        ServiceEvent::TrialStarted {
            from: d("2025-01-30"),
            until: d("2025-02-13"),
        },
    ]);
    assert_eq!(after.due_period(d("2025-02-12")), None);
    let due = after.due_period(d("2025-02-13")).unwrap();
    assert_eq!(
        (due.period_start, due.period_end, due.amount, due.trial),
        (d("2025-02-13"), d("2025-03-13"), eur("30.00"), false)
    );
}

#[test]
fn no_tariff_change_within_a_trial_and_one_after_it() {
    let mut events = vec![
        ordered_with_trial(crate::tariff::Trial::Days(14)),
        ServiceEvent::ServiceCharged {
            status: ServiceStatus::Provisioning,
            expense_id: expense("2025-01-30"),
            period_start: d("2025-01-30"),
            period_end: d("2025-02-13"),
            amount: eur("0.00"),
        },
        ServiceEvent::TrialStarted {
            from: d("2025-01-30"),
            until: d("2025-02-13"),
        },
    ];
    assert!(matches!(
        service(events.clone()).quote_tariff_change(&terms_at("100.00"), d("2025-01-31"), eur("0")),
        Err(ServiceError::TariffChangeNotAllowed(reason)) if reason.contains("trial")
    ));
    events.push(ServiceEvent::ServiceProlonged {
        expense_id: expense("2025-02-13"),
        period_start: d("2025-02-13"),
        period_end: d("2025-03-13"),
        amount: eur("30.00"),
    });
    let after = service(events).quote_tariff_change(&terms_at("100.00"), d("2025-02-14"), eur("0"));
    assert!(after.is_ok(), "{after:?}");
}

#[test]
fn an_order_without_a_trial_is_due_for_its_price_and_setup_fee() {
    let due = service(vec![ordered()])
        .due_period(d("2025-01-30"))
        .unwrap();
    assert_eq!((due.amount, due.trial), (eur("35.00"), false));
}

// Promised payments (issue 19.2): the account's promise holds off a suspension for lack of money.

fn run_promised(on: &str, until: &str) -> ServiceCommand {
    ServiceCommand::RunBillingDay {
        on: d(on),
        operation_id: op(9),
        policy: None,
        promised_until: Some(d(until)),
        in_debt: false,
    }
}

#[test]
fn an_unpaid_service_is_not_suspended_while_a_promise_holds() {
    ServiceTester::with(())
        .given(active())
        .when(run_promised("2025-03-01", "2025-03-05"))
        .then_expect_events(vec![]);
}

#[test]
fn an_unpaid_service_is_suspended_when_its_promise_has_expired_dated_at_its_end() {
    ServiceTester::with(())
        .given(active())
        .when(run_promised("2025-03-06", "2025-03-05"))
        .then_expect_events(vec![requested(
            9,
            OperationKind::Suspend,
            Some(SuspendReason::NonPayment),
            "2025-03-05",
        )]);
}

#[test]
fn an_old_promise_does_not_move_a_suspension() {
    ServiceTester::with(())
        .given(active())
        .when(run_promised("2025-03-01", "2025-01-05"))
        .then_expect_events(vec![requested(
            9,
            OperationKind::Suspend,
            Some(SuspendReason::NonPayment),
            "2025-02-28",
        )]);
}

// A promise resumes a service suspended for non-payment (ADR 29).

fn resume_on_promise(on: &str, until: &str) -> ServiceCommand {
    ServiceCommand::ResumeOnPromise {
        promised_until: d(until),
        operation_id: op(7),
        on: d(on),
    }
}

#[test]
fn a_promise_resumes_a_service_suspended_for_non_payment() {
    ServiceTester::with(())
        .given(suspended_for_non_payment())
        .when(resume_on_promise("2025-03-03", "2025-03-10"))
        .then_expect_events(vec![requested(
            7,
            OperationKind::Resume,
            None,
            "2025-03-03",
        )]);
}

#[test]
fn a_promise_does_not_resume_a_service_staff_suspended() {
    ServiceTester::with(())
        .given(suspended_by(SuspendReason::Staff, "2025-02-10"))
        .when(resume_on_promise("2025-03-03", "2025-03-10"))
        .then_expect_events(vec![]);
}

#[test]
fn a_promise_that_has_ended_resumes_nothing() {
    ServiceTester::with(())
        .given(suspended_for_non_payment())
        .when(resume_on_promise("2025-03-10", "2025-03-10"))
        .then_expect_events(vec![]);
}

#[test]
fn a_promise_asked_again_while_the_resumption_is_under_way_records_nothing() {
    ServiceTester::with(())
        .given(with(
            suspended_for_non_payment(),
            vec![requested(7, OperationKind::Resume, None, "2025-03-03")],
        ))
        .when(resume_on_promise("2025-03-03", "2025-03-10"))
        .then_expect_events(vec![]);
}

#[test]
fn a_service_resumed_by_a_promise_is_suspended_again_when_it_ends_unpaid() {
    let resumed = with(
        suspended_for_non_payment(),
        vec![
            requested(7, OperationKind::Resume, None, "2025-03-03"),
            ServiceEvent::ServiceResumed {
                status: ServiceStatus::Active,
                operation_id: op(7),
            },
        ],
    );
    ServiceTester::with(())
        .given(resumed.clone())
        .when(run_promised("2025-03-09", "2025-03-10"))
        .then_expect_events(vec![]);
    ServiceTester::with(())
        .given(resumed)
        .when(run_promised("2025-03-10", "2025-03-10"))
        .then_expect_events(vec![requested(
            9,
            OperationKind::Suspend,
            Some(SuspendReason::NonPayment),
            "2025-03-10",
        )]);
}

// A one-time promo code is not spent on a trial (ADR 29).

#[test]
fn a_one_time_promo_code_discounts_the_first_paid_period_after_a_trial_once() {
    let events = sold_with(
        vec![
            ordered_with_trial(crate::tariff::Trial::Days(14)),
            ServiceEvent::ServiceCharged {
                status: ServiceStatus::Provisioning,
                expense_id: expense("2025-01-30"),
                period_start: d("2025-01-30"),
                period_end: d("2025-02-13"),
                amount: eur("0.00"),
            },
            ServiceEvent::TrialStarted {
                from: d("2025-01-30"),
                until: d("2025-02-13"),
            },
        ],
        percent_off("25", false),
    );
    let after_trial = service(events.clone()).due_period(d("2025-02-13")).unwrap();
    assert_eq!(
        (
            after_trial.amount,
            after_trial.list_amount,
            after_trial.discount
        ),
        (eur("22.50"), eur("30.00"), Some(eur("7.50")))
    );
    let paid = with(
        events,
        vec![ServiceEvent::ServiceProlonged {
            expense_id: expense("2025-02-13"),
            period_start: d("2025-02-13"),
            period_end: d("2025-03-13"),
            amount: eur("22.50"),
        }],
    );
    let next = service(paid).due_period(d("2025-03-13")).unwrap();
    assert_eq!((next.amount, next.discount), (eur("30.00"), None));
}

#[test]
fn a_promise_does_not_resume_a_service_that_is_not_renewed() {
    ServiceTester::with(())
        .given(with(
            suspended_for_non_payment(),
            vec![ServiceEvent::AutoProlongSet {
                auto_prolong: false,
            }],
        ))
        .when(resume_on_promise("2025-03-03", "2025-03-10"))
        .then_expect_events(vec![]);
}

// Hourly billing (ADR 37): a service billed by the hour is unpaid while its account is in debt.

pub(crate) fn hourly_terms() -> ServiceTerms {
    ServiceTerms {
        hourly: Some(crate::hourly::HourlyPrice {
            per_hour: "0.0137".parse().unwrap(),
            currency: Currency::EUR,
            monthly_cap: None,
        }),
        ..terms()
    }
}

/// `events` with the order's terms billed by the hour.
fn hourly(events: Vec<ServiceEvent>) -> Vec<ServiceEvent> {
    ordered_as(events, |_| hourly_terms(), None)
}

/// `events` with the order's terms as `change` makes them, and renewed by itself or not when
/// `renewed` says.
fn ordered_as(
    events: Vec<ServiceEvent>,
    change: impl Fn(ServiceTerms) -> ServiceTerms,
    renewed: Option<bool>,
) -> Vec<ServiceEvent> {
    events
        .into_iter()
        .map(|event| match event {
            ServiceEvent::ServiceOrdered {
                trial,
                status,
                service_id,
                client_id,
                provider_id,
                account_id,
                ordered_on,
                discount,
                domain,
                agreement,
                terms,
                auto_prolong,
            } => ServiceEvent::ServiceOrdered {
                trial,
                status,
                service_id,
                client_id,
                provider_id,
                account_id,
                terms: change(terms),
                auto_prolong: renewed.unwrap_or(auto_prolong),
                ordered_on,
                discount,
                domain,
                agreement,
            },
            other => other,
        })
        .collect()
}

fn run_in_debt(on: &str, grace_days: u32) -> ServiceCommand {
    match run_with(on, SuspensionRule::Suspend, grace_days, 7) {
        ServiceCommand::RunBillingDay {
            on,
            operation_id,
            policy,
            promised_until,
            ..
        } => ServiceCommand::RunBillingDay {
            on,
            operation_id,
            policy,
            promised_until,
            in_debt: true,
        },
        other => other,
    }
}

/// Active, billed by the hour, its account found in debt on 2025-02-10 and suspended for it on
/// 2025-02-12.
fn suspended_for_debt() -> Vec<ServiceEvent> {
    with(
        hourly(active()),
        vec![
            ServiceEvent::DebtFound {
                since: d("2025-02-10"),
            },
            overdue("2025-02-10", "2025-02-12"),
            requested(
                9,
                OperationKind::Suspend,
                Some(SuspendReason::NonPayment),
                "2025-02-12",
            ),
            ServiceEvent::ServiceSuspended {
                status: ServiceStatus::Suspended,
                operation_id: op(9),
                reason: SuspendReason::NonPayment,
                since: d("2025-02-12"),
            },
        ],
    )
}

#[test]
fn an_hourly_service_in_debt_runs_its_grace_from_the_day_found_and_is_then_suspended() {
    // Paid for its period until Feb 28, but its account owes its hours from Feb 10.
    ServiceTester::with(())
        .given(hourly(active()))
        .when(run_in_debt("2025-02-10", 2))
        .then_expect_events(vec![
            ServiceEvent::DebtFound {
                since: d("2025-02-10"),
            },
            overdue("2025-02-10", "2025-02-12"),
        ]);
    let found = with(
        hourly(active()),
        vec![
            ServiceEvent::DebtFound {
                since: d("2025-02-10"),
            },
            overdue("2025-02-10", "2025-02-12"),
        ],
    );
    ServiceTester::with(())
        .given(found.clone())
        .when(run_in_debt("2025-02-11", 2))
        .then_expect_events(vec![]);
    ServiceTester::with(())
        .given(found)
        .when(run_in_debt("2025-02-12", 2))
        .then_expect_events(vec![requested(
            9,
            OperationKind::Suspend,
            Some(SuspendReason::NonPayment),
            "2025-02-12",
        )]);
}

#[test]
fn a_service_not_billed_by_the_hour_pays_no_heed_to_its_accounts_debt() {
    ServiceTester::with(())
        .given(active())
        .when(run_in_debt("2025-02-10", 0))
        .then_expect_events(vec![]);
}

#[test]
fn a_paid_debt_resumes_the_hourly_service_it_suspended() {
    ServiceTester::with(())
        .given(suspended_for_debt())
        .when(run("2025-02-15"))
        .then_expect_events(vec![
            ServiceEvent::DebtPaid {
                on: d("2025-02-15"),
            },
            requested(9, OperationKind::Resume, None, "2025-02-15"),
        ]);
    // Still owed: it stays suspended, and is deleted after its delay from the suspension.
    ServiceTester::with(())
        .given(suspended_for_debt())
        .when(run_in_debt("2025-02-15", 2))
        .then_expect_events(vec![]);
    ServiceTester::with(())
        .given(suspended_for_debt())
        .when(run_in_debt("2025-02-19", 2))
        .then_expect_events(vec![requested(
            9,
            OperationKind::Delete,
            None,
            "2025-02-19",
        )]);
}

#[test]
fn a_free_period_does_not_resume_an_hourly_service_suspended_for_its_debt() {
    // The next period of an hourly tariff priced 0.00 a month is charged while its hours are
    // owed: the paid time moves, the service stays suspended.
    ServiceTester::with(())
        .given(suspended_for_debt())
        .when(record("2025-02-28", "2025-03-31", "0.00", 10, "2025-02-28"))
        .then_expect_events(vec![ServiceEvent::ServiceProlonged {
            expense_id: expense("2025-02-28"),
            period_start: d("2025-02-28"),
            period_end: d("2025-03-31"),
            amount: eur("0.00"),
        }]);
}

fn settle(in_debt: bool, on: &str) -> ServiceCommand {
    ServiceCommand::SettleDebt {
        in_debt,
        operation_id: op(8),
        on: d(on),
    }
}

#[test]
fn money_that_clears_the_debt_resumes_the_hourly_service_at_once() {
    ServiceTester::with(())
        .given(suspended_for_debt())
        .when(settle(false, "2025-02-14"))
        .then_expect_events(vec![
            ServiceEvent::DebtPaid {
                on: d("2025-02-14"),
            },
            requested(8, OperationKind::Resume, None, "2025-02-14"),
        ]);
}

#[test]
fn money_that_leaves_a_debt_or_a_service_without_one_records_nothing() {
    ServiceTester::with(())
        .given(suspended_for_debt())
        .when(settle(true, "2025-02-14"))
        .then_expect_events(vec![]);
    // Suspended for an unpaid period, not for an hourly debt: the period's charge resumes it.
    ServiceTester::with(())
        .given(suspended_for_non_payment())
        .when(settle(false, "2025-03-02"))
        .then_expect_events(vec![]);
    // Found in debt but still running: the debt is paid, nothing to resume.
    ServiceTester::with(())
        .given(with(
            hourly(active()),
            vec![ServiceEvent::DebtFound {
                since: d("2025-02-10"),
            }],
        ))
        .when(settle(false, "2025-02-11"))
        .then_expect_events(vec![ServiceEvent::DebtPaid {
            on: d("2025-02-11"),
        }]);
}
