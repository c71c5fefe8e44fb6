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

fn eur(text: &str) -> Money {
    Money::parse(text, Currency::parse("EUR").unwrap()).unwrap()
}

fn service() -> ServiceId {
    ServiceId::from_uuid(Uuid::from_u128(0x51))
}

fn record<'a>(id: &'a str, quantity: &str, key: Option<&'a str>, when: &str) -> MeasuredRecord<'a> {
    MeasuredRecord {
        id,
        quantity: dec(quantity),
        unique_key: key,
        at: at(when),
    }
}

fn parameter(
    code: &str,
    aggregation: Aggregation,
    included: &str,
    price: &str,
) -> MeteredParameter {
    MeteredParameter {
        code: MetricCode::parse(code).unwrap(),
        aggregation,
        included: dec(included),
        unit_price: eur(price),
    }
}

#[test]
fn every_aggregation_of_the_same_records() {
    let records = [
        record("c", "2.5", Some("10.0.0.1"), "2026-01-03T00:00:00Z"),
        record("a", "7", Some("10.0.0.2"), "2026-01-01T00:00:00Z"),
        // The latest by time; "b" and "d" share it and "d" sorts last.
        record("b", "1", Some("10.0.0.1"), "2026-01-05T00:00:00Z"),
        record("d", "0.25", None, "2026-01-05T00:00:00Z"),
    ];
    let stats = UsageStats::of(&records).unwrap();
    assert_eq!(stats.records, 4);
    assert_eq!(stats.quantity(Aggregation::Sum), dec("10.75"));
    assert_eq!(stats.quantity(Aggregation::Max), dec("7"));
    assert_eq!(stats.quantity(Aggregation::Last), dec("0.25"));
    // 10.0.0.1 twice, 10.0.0.2, and the quantity 0.25 of the record without a key.
    assert_eq!(stats.quantity(Aggregation::CountUnique), dec("3"));
}

#[test]
fn no_records_make_zero() {
    let stats = UsageStats::of(&[]).unwrap();
    for aggregation in [
        Aggregation::Sum,
        Aggregation::Max,
        Aggregation::Last,
        Aggregation::CountUnique,
    ] {
        assert_eq!(stats.quantity(aggregation), Decimal::ZERO);
    }
}

#[test]
fn overage_beyond_the_included_quantity_is_charged_rounded_to_the_cent() {
    let line = parameter("traffic_gb", Aggregation::Sum, "1000", "0.05")
        .charge(UsageStats {
            records: 3,
            sum: dec("1234.567"),
            ..UsageStats::default()
        })
        .unwrap();
    assert_eq!(line.quantity, dec("1234.567"));
    assert_eq!(line.overage, dec("234.567"));
    // 234.567 × 0.05 = 11.72835 → 11.73.
    assert_eq!(line.amount, eur("11.73"));
    assert!(
        line.description((day("2026-01-01"), day("2026-02-01")))
            .contains("1234.567")
    );
}

#[test]
fn usage_within_the_included_quantity_costs_nothing() {
    let line = parameter("ips", Aggregation::CountUnique, "4", "2.00")
        .charge(UsageStats {
            records: 10,
            unique: 3,
            ..UsageStats::default()
        })
        .unwrap();
    assert_eq!(line.overage, Decimal::ZERO);
    assert!(line.amount.is_zero());
}

fn charge(start: &str, end: &str, as_of: &str, sum: &str) -> UsageCommand {
    UsageCommand::ChargeUsage {
        service_id: service(),
        period_start: day(start),
        period_end: day(end),
        as_of: day(as_of),
        parameters: vec![
            parameter("traffic_gb", Aggregation::Sum, "100", "0.10"),
            parameter("storage_gb", Aggregation::Max, "10", "1.00"),
        ],
        measured: vec![(
            MetricCode::parse("traffic_gb").unwrap(),
            UsageStats {
                records: 2,
                sum: dec(sum),
                max: dec(sum),
                last: dec(sum),
                unique: 1,
            },
        )],
    }
}

fn folded(commands: Vec<UsageCommand>) -> ServiceUsage {
    let mut usage = ServiceUsage::default();
    for command in commands {
        for event in usage.decide(command).unwrap() {
            usage.apply(event);
        }
    }
    usage
}

#[test]
fn a_period_is_charged_once_with_a_line_per_parameter() {
    let usage = ServiceUsage::default();
    let events = usage
        .decide(charge("2026-01-01", "2026-02-01", "2026-02-01", "150.5"))
        .unwrap();
    let [UsageEvent::UsageCharged { lines, .. }] = events.as_slice() else {
        panic!("one UsageCharged: {events:?}");
    };
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].amount, eur("5.05"));
    assert_eq!(lines[1].stats.records, 0);
    assert!(lines[1].amount.is_zero());

    let usage = folded(vec![charge(
        "2026-01-01",
        "2026-02-01",
        "2026-02-01",
        "150.5",
    )]);
    assert_eq!(usage.charged_until(), Some(day("2026-02-01")));
    // Again: nothing.
    assert_eq!(
        usage.decide(charge("2026-01-01", "2026-02-01", "2026-02-03", "999")),
        Ok(vec![])
    );
}

#[test]
fn a_period_not_ended_or_not_next_is_refused() {
    assert_eq!(
        ServiceUsage::default().decide(charge("2026-01-01", "2026-02-01", "2026-01-31", "1")),
        Err(UsageError::PeriodNotEnded(
            day("2026-01-01"),
            day("2026-02-01")
        ))
    );
    let usage = folded(vec![charge("2026-01-01", "2026-02-01", "2026-02-01", "1")]);
    assert_eq!(
        usage.decide(charge("2026-02-05", "2026-03-01", "2026-03-01", "1")),
        Err(UsageError::NotNextPeriod {
            charged_until: day("2026-02-01"),
            start: day("2026-02-05"),
        })
    );
    assert!(
        usage
            .decide(charge("2026-02-01", "2026-03-01", "2026-03-01", "1"))
            .is_ok_and(|events| events.len() == 1)
    );
}

#[test]
fn metered_parameters_are_checked() {
    let twice = [
        parameter("ips", Aggregation::CountUnique, "1", "1.00"),
        parameter("ips", Aggregation::Max, "1", "1.00"),
    ];
    assert_eq!(
        MeteredParameter::check_all(&twice),
        Err(UsageError::DuplicateMetric("ips".into()))
    );
    let negative = [parameter("ips", Aggregation::Max, "-1", "1.00")];
    assert!(MeteredParameter::check_all(&negative).is_err());
    assert!(MetricCode::parse("Traffic").is_err());
    assert!(MetricCode::parse("traffic_gb").is_ok());
    assert!(Aggregation::parse("avg").is_err());
}
