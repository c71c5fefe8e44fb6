use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::*;
use crate::money::{Currency, Money};

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn eur_currency() -> Currency {
    Currency::parse("EUR").unwrap()
}

fn eur(text: &str) -> Money {
    Money::parse(text, eur_currency()).unwrap()
}

fn service() -> ServiceId {
    ServiceId::from_uuid(Uuid::from_u128(0x77))
}

fn span(from: &str, until: Option<&str>) -> ActiveSpan {
    ActiveSpan {
        from: at(from),
        until: until.map(at),
    }
}

fn price(per_hour: &str, cap: Option<&str>) -> HourlyPrice {
    HourlyPrice::new(dec(per_hour), eur_currency(), cap.map(eur)).unwrap()
}

/// Ordered at 10:30 on the 14th, suspended at 15:10 on the 15th, resumed at 09:05 on the 16th
/// and deleted at 18:40 the same day.
fn life() -> Vec<ActiveSpan> {
    vec![
        span("2027-01-14T10:30:00Z", Some("2027-01-15T15:10:00Z")),
        span("2027-01-16T09:05:00Z", Some("2027-01-16T18:40:00Z")),
    ]
}

fn charge(
    hours: &ServiceHours,
    on: &str,
    price: HourlyPrice,
) -> Result<Vec<HourlyEvent>, HourlyError> {
    let on = day(on);
    hours.decide(HourlyCommand::ChargeHours {
        service_id: service(),
        day: on,
        as_of: on.succ_opt().unwrap(),
        spans: life(),
        price,
    })
}

fn charged(hours: &mut ServiceHours, on: &str, price: HourlyPrice) -> (u32, Money) {
    let events = charge(hours, on, price).unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    let HourlyEvent::HoursCharged {
        hours: counted,
        amount,
        ..
    } = events[0].clone();
    for event in events {
        hours.apply(event);
    }
    (counted, amount)
}

#[test]
fn the_hour_a_service_starts_in_counts_whole() {
    let hours = active_hours(&life(), day("2027-01-14")).unwrap();
    // 10:00 to midnight: 14 clock hours, the first one begun at 10:30.
    assert_eq!(hours, 14);
}

#[test]
fn the_hour_a_service_is_suspended_in_counts_and_the_ones_after_do_not() {
    // Midnight to 15:10: hours 0 to 15, 16 of them.
    assert_eq!(active_hours(&life(), day("2027-01-15")).unwrap(), 16);
}

#[test]
fn a_span_ending_on_the_hour_does_not_touch_the_next_hour() {
    let spans = [span("2027-01-14T10:00:00Z", Some("2027-01-14T12:00:00Z"))];
    assert_eq!(active_hours(&spans, day("2027-01-14")).unwrap(), 2);
}

#[test]
fn an_hour_with_a_suspension_and_a_resumption_counts_once() {
    let spans = [
        span("2027-01-14T10:05:00Z", Some("2027-01-14T10:20:00Z")),
        span("2027-01-14T10:40:00Z", Some("2027-01-14T11:00:00Z")),
    ];
    assert_eq!(active_hours(&spans, day("2027-01-14")).unwrap(), 1);
}

#[test]
fn a_day_suspended_throughout_has_no_hours_and_an_active_one_has_24() {
    assert_eq!(active_hours(&life(), day("2027-01-20")).unwrap(), 0);
    let running = [span("2027-01-01T00:00:00Z", None)];
    assert_eq!(active_hours(&running, day("2027-01-20")).unwrap(), 24);
}

#[test]
fn a_span_that_ends_before_it_starts_is_refused() {
    let spans = [span("2027-01-14T10:00:00Z", Some("2027-01-14T09:00:00Z"))];
    assert!(matches!(
        active_hours(&spans, day("2027-01-14")),
        Err(HourlyError::BackwardSpan { .. })
    ));
}

#[test]
fn each_day_is_charged_its_hours_times_the_price_rounded_half_away_from_zero() {
    let mut hours = ServiceHours::default();
    let p = price("0.0137", None);
    // 14 × 0.0137 = 0.1918, 16 × 0.0137 = 0.2192, 10 × 0.0137 = 0.137.
    assert_eq!(charged(&mut hours, "2027-01-14", p), (14, eur("0.19")));
    assert_eq!(charged(&mut hours, "2027-01-15", p), (16, eur("0.22")));
    assert_eq!(charged(&mut hours, "2027-01-16", p), (10, eur("0.14")));
    assert_eq!(hours.last().unwrap().month_total, eur("0.55"));
    assert_eq!(hours.charged_until(), Some(day("2027-01-17")));
}

#[test]
fn a_half_cent_rounds_away_from_zero() {
    assert_eq!(price("0.0125", None).amount_for(2).unwrap(), eur("0.03"));
    assert_eq!(price("0.0125", None).amount_for(0).unwrap(), eur("0.00"));
}

#[test]
fn a_day_charged_already_records_nothing() {
    let mut hours = ServiceHours::default();
    let p = price("0.0137", None);
    charged(&mut hours, "2027-01-14", p);
    assert_eq!(charge(&hours, "2027-01-14", p).unwrap(), vec![]);
}

#[test]
fn a_day_before_the_last_charged_one_is_refused() {
    let mut hours = ServiceHours::default();
    let p = price("0.0137", None);
    charged(&mut hours, "2027-01-15", p);
    assert_eq!(
        charge(&hours, "2027-01-14", p),
        Err(HourlyError::DayBeforeCharged {
            charged_until: day("2027-01-16"),
            day: day("2027-01-14"),
        })
    );
}

#[test]
fn a_day_that_has_not_ended_is_not_charged() {
    let hours = ServiceHours::default();
    let result = hours.decide(HourlyCommand::ChargeHours {
        service_id: service(),
        day: day("2027-01-14"),
        as_of: day("2027-01-14"),
        spans: life(),
        price: price("0.0137", None),
    });
    assert_eq!(
        result,
        Err(HourlyError::DayNotEnded {
            day: day("2027-01-14"),
            as_of: day("2027-01-14"),
        })
    );
}

#[test]
fn the_monthly_cap_charges_only_what_it_leaves() {
    let mut hours = ServiceHours::default();
    // 14 × 0.02 = 0.28, then 16 × 0.02 = 0.32 of which the 0.50 cap leaves 0.22, then nothing.
    let p = price("0.02", Some("0.50"));
    assert_eq!(charged(&mut hours, "2027-01-14", p), (14, eur("0.28")));
    assert_eq!(charged(&mut hours, "2027-01-15", p), (16, eur("0.22")));
    assert_eq!(charged(&mut hours, "2027-01-16", p), (10, eur("0.00")));
    assert_eq!(hours.last().unwrap().month_total, eur("0.50"));
}

#[test]
fn a_new_month_starts_a_new_cap() {
    let mut hours = ServiceHours::default();
    let p = price("1", Some("5.00"));
    let running = vec![span("2027-01-31T00:00:00Z", None)];
    for on in ["2027-01-31", "2027-02-01"] {
        let on = day(on);
        let events = hours
            .decide(HourlyCommand::ChargeHours {
                service_id: service(),
                day: on,
                as_of: on.succ_opt().unwrap(),
                spans: running.clone(),
                price: p,
            })
            .unwrap();
        let HourlyEvent::HoursCharged { amount, .. } = events[0].clone();
        assert_eq!(amount, eur("5.00"), "{on}");
        for event in events {
            hours.apply(event);
        }
    }
}

#[test]
fn a_negative_or_too_precise_price_and_a_bad_cap_are_refused() {
    let eur_ = eur_currency();
    assert_eq!(
        HourlyPrice::new(dec("-0.01"), eur_, None),
        Err(HourlyError::InvalidPrice(dec("-0.01")))
    );
    assert_eq!(
        HourlyPrice::new(dec("0.0000001"), eur_, None),
        Err(HourlyError::InvalidPrice(dec("0.0000001")))
    );
    assert_eq!(
        HourlyPrice::new(dec("0.01"), eur_, Some(eur("0.00"))),
        Err(HourlyError::InvalidCap(eur("0.00")))
    );
    let usd = Money::parse("5.00", Currency::parse("USD").unwrap()).unwrap();
    assert_eq!(
        HourlyPrice::new(dec("0.01"), eur_, Some(usd)),
        Err(HourlyError::InvalidCap(usd))
    );
}

#[test]
fn another_services_hours_are_refused() {
    let mut hours = ServiceHours::default();
    charged(&mut hours, "2027-01-14", price("0.0137", None));
    let other = hours.decide(HourlyCommand::ChargeHours {
        service_id: ServiceId::from_uuid(Uuid::from_u128(0x78)),
        day: day("2027-01-15"),
        as_of: day("2027-01-16"),
        spans: life(),
        price: price("0.0137", None),
    });
    assert_eq!(other, Err(HourlyError::OtherService));
}

#[test]
fn the_expense_of_a_day_is_the_same_id_every_time_and_another_days_differs() {
    let first = hourly_expense_id(service(), day("2027-01-14"));
    assert_eq!(first, hourly_expense_id(service(), day("2027-01-14")));
    assert_ne!(first, hourly_expense_id(service(), day("2027-01-15")));
}

#[test]
fn the_event_round_trips_through_json_with_the_price_as_a_string() {
    let events = charge(
        &ServiceHours::default(),
        "2027-01-14",
        price("0.0137", None),
    )
    .unwrap();
    let json = serde_json::to_value(&events[0]).unwrap();
    assert_eq!(json["HoursCharged"]["price"]["per_hour"], "0.0137");
    let back: HourlyEvent = serde_json::from_value(json).unwrap();
    assert_eq!(back, events[0]);
}

// The spans come from the service's own statuses and terms (ADR 37).

/// The spans alone, for comparing with [`life`].
fn spans_of(billed: Vec<BilledSpan>) -> Vec<ActiveSpan> {
    billed.into_iter().map(|billed| billed.span).collect()
}

/// Terms named `name`, priced `per_hour` an hour (or not by the hour).
fn terms(name: &str, per_hour: Option<&str>) -> crate::tariff::ServiceTerms {
    let mut terms = crate::service::tests::hourly_terms();
    name.clone_into(&mut terms.tariff_name);
    terms.hourly = per_hour.map(|per_hour| price(per_hour, None));
    terms
}

/// The service as an event left it, with the one owner [`owner`].
fn moment<'t>(
    status: crate::service::ServiceStatus,
    terms: &'t crate::tariff::ServiceTerms,
    on: &str,
) -> Moment<'t> {
    Moment {
        status,
        terms: Some(terms),
        owner: Some(owner(1)),
        merged: false,
        at: at(on),
    }
}

/// The `n`th client and its account.
fn owner(n: u128) -> (crate::ids::ClientId, crate::ids::AccountId) {
    (
        crate::ids::ClientId::from_uuid(Uuid::from_u128(0x100 + n)),
        crate::ids::AccountId::from_uuid(Uuid::from_u128(0x200 + n)),
    )
}

#[test]
fn a_service_runs_from_each_activation_to_whatever_next_leaves_active() {
    use crate::service::ServiceStatus::{
        Active, Closed, Deleted, Ordered, Provisioning, Suspended,
    };
    let hourly = terms("VDS S", Some("0.0137"));
    let history = [
        moment(Ordered, &hourly, "2027-01-14T10:00:00Z"),
        moment(Provisioning, &hourly, "2027-01-14T10:01:00Z"),
        moment(Active, &hourly, "2027-01-14T10:30:00Z"),
        // A prolongation or a notice leaves the status and the terms as they were.
        moment(Active, &hourly, "2027-01-15T00:00:00Z"),
        moment(Suspended, &hourly, "2027-01-15T15:10:00Z"),
        moment(Active, &hourly, "2027-01-16T09:05:00Z"),
        moment(Closed, &hourly, "2027-01-16T18:40:00Z"),
        moment(Deleted, &hourly, "2027-01-16T18:41:00Z"),
    ];
    assert_eq!(spans_of(billed_spans(history)), life());
    assert_eq!(
        spans_of(billed_spans([moment(
            Active,
            &hourly,
            "2027-01-14T10:30:00Z"
        )])),
        vec![span("2027-01-14T10:30:00Z", None)]
    );
    assert_eq!(
        billed_spans([moment(Provisioning, &hourly, "2027-01-14T10:30:00Z")]),
        vec![]
    );
}

#[test]
fn only_the_time_on_terms_priced_per_hour_is_billed_by_the_hour() {
    use crate::service::ServiceStatus::Active;
    let monthly = terms("VDS monthly", None);
    let cheap = terms("VDS S", Some("0.0137"));
    let dear = terms("VDS M", Some("0.0300"));
    let history = [
        // A month paid in advance first: its hours are not charged again by the hour.
        moment(Active, &monthly, "2026-12-01T08:00:00Z"),
        // Changed onto an hourly tariff.
        moment(Active, &cheap, "2027-01-14T10:30:00Z"),
        // A notice on the same terms changes nothing.
        moment(Active, &cheap, "2027-01-15T00:00:00Z"),
        // Onto a dearer hourly tariff.
        moment(Active, &dear, "2027-01-16T12:00:00Z"),
        // Off hourly billing: the hours up to the change are still owed, none after.
        moment(Active, &monthly, "2027-01-17T06:20:00Z"),
    ];
    let billed = billed_spans(history);
    let (s, m) = (price("0.0137", None), price("0.0300", None));
    assert_eq!(
        billed,
        vec![
            BilledSpan {
                span: span("2027-01-14T10:30:00Z", Some("2027-01-16T12:00:00Z")),
                price: s,
                tariff_name: "VDS S".to_owned(),
                owner: Some(owner(1)),
            },
            BilledSpan {
                span: span("2027-01-16T12:00:00Z", Some("2027-01-17T06:20:00Z")),
                price: m,
                tariff_name: "VDS M".to_owned(),
                owner: Some(owner(1)),
            },
        ]
    );
    let spans = spans_of(billed.clone());
    let price_on = |on: &str| billed_on(&billed, day(on)).map(|billed| billed.price);
    // Nothing before the change onto the hourly tariff.
    assert_eq!(price_on("2027-01-13"), None);
    assert_eq!(active_hours(&spans, day("2027-01-13")).unwrap(), 0);
    assert_eq!(price_on("2027-01-14"), Some(s));
    assert_eq!(active_hours(&spans, day("2027-01-14")).unwrap(), 14);
    // The day of the price change is charged whole at the later price.
    assert_eq!(price_on("2027-01-16"), Some(m));
    assert_eq!(active_hours(&spans, day("2027-01-16")).unwrap(), 24);
    // The day it left hourly billing: 06:00 to 06:20 counts, so 7 hours, on VDS M.
    assert_eq!(price_on("2027-01-17"), Some(m));
    assert_eq!(
        billed_on(&billed, day("2027-01-17")).unwrap().tariff_name,
        "VDS M"
    );
    assert_eq!(active_hours(&spans, day("2027-01-17")).unwrap(), 7);
    assert_eq!(price_on("2027-01-18"), None);
    assert_eq!(active_hours(&spans, day("2027-01-18")).unwrap(), 0);
}

#[test]
fn the_days_before_a_transfer_are_the_old_owners_and_its_day_the_new_ones() {
    use crate::service::ServiceStatus::Active;
    let hourly = terms("VDS S", Some("0.0137"));
    let transferred = Moment {
        owner: Some(owner(2)),
        ..moment(Active, &hourly, "2027-01-16T15:00:00Z")
    };
    let billed = billed_spans([moment(Active, &hourly, "2027-01-14T10:30:00Z"), transferred]);
    assert_eq!(
        spans_of(billed.clone()),
        vec![
            span("2027-01-14T10:30:00Z", Some("2027-01-16T15:00:00Z")),
            span("2027-01-16T15:00:00Z", None),
        ]
    );
    let owner_on = |on: &str| billed_on(&billed, day(on)).and_then(|billed| billed.owner);
    assert_eq!(owner_on("2027-01-15"), Some(owner(1)));
    // The day of the transfer is one charge, the new owner's; its hours count once.
    assert_eq!(owner_on("2027-01-16"), Some(owner(2)));
    assert_eq!(
        active_hours(&spans_of(billed.clone()), day("2027-01-16")).unwrap(),
        24
    );
    assert_eq!(owner_on("2027-01-17"), Some(owner(2)));
}

#[test]
fn the_client_merged_into_takes_the_hours_the_merged_client_ran_the_service() {
    use crate::service::ServiceStatus::Active;
    let hourly = terms("VDS S", Some("0.0137"));
    let merged = Moment {
        owner: Some(owner(2)),
        merged: true,
        ..moment(Active, &hourly, "2027-01-16T15:00:00Z")
    };
    let transferred = Moment {
        owner: Some(owner(3)),
        ..moment(Active, &hourly, "2027-01-20T08:00:00Z")
    };
    let billed = billed_spans([
        moment(Active, &hourly, "2027-01-14T10:30:00Z"),
        merged,
        transferred,
    ]);
    // The merge does not split the time it ran; the later transfer does.
    assert_eq!(
        spans_of(billed.clone()),
        vec![
            span("2027-01-14T10:30:00Z", Some("2027-01-20T08:00:00Z")),
            span("2027-01-20T08:00:00Z", None),
        ]
    );
    let owner_on = |on: &str| billed_on(&billed, day(on)).and_then(|billed| billed.owner);
    assert_eq!(owner_on("2027-01-14"), Some(owner(2)));
    assert_eq!(owner_on("2027-01-19"), Some(owner(2)));
    assert_eq!(owner_on("2027-01-20"), Some(owner(3)));
}

#[test]
fn a_charged_day_says_its_hours_price_and_what_the_cap_took_off() {
    let mut hours = ServiceHours::default();
    for event in charge(&hours, "2027-01-14", price("0.0137", Some("0.10"))).unwrap() {
        hours.apply(event);
    }
    let last = hours.last().unwrap();
    assert_eq!(
        last.description("VDS S"),
        "VDS S: 14 h on 2027-01-14 at 0.0137 EUR/h (0.19 EUR before the monthly cap of 0.10 EUR)"
    );
    let mut hours = ServiceHours::default();
    for event in charge(&hours, "2027-01-14", price("0.0137", None)).unwrap() {
        hours.apply(event);
    }
    assert_eq!(
        hours.last().unwrap().description("VDS S"),
        "VDS S: 14 h on 2027-01-14 at 0.0137 EUR/h"
    );
}
