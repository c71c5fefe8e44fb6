use cqrs_es::test::TestFramework;

use super::*;

type TldTester = TestFramework<Tld>;

fn eur(amount: &str) -> Money {
    Money::parse(amount, Currency::parse("EUR").unwrap()).unwrap()
}

fn line(years: u32) -> TldPrice {
    TldPrice {
        years,
        register: eur("10.00"),
        renew: eur("12.00"),
        transfer: eur("8.00"),
    }
}

fn set(prices: Vec<TldPrice>) -> TldCommand {
    TldCommand::SetTldPrices {
        tld: TldName::parse(".COM").unwrap(),
        provider_id: ProviderId::from_uuid(Uuid::from_u128(0x10)),
        currency: Currency::parse("EUR").unwrap(),
        prices,
    }
}

#[test]
fn a_tld_is_spelled_lowercase_without_its_dot() {
    assert_eq!(TldName::parse(".Co.UK").unwrap().as_str(), "co.uk");
    assert_eq!(TldName::parse("a.b.c"), Err(TldError::InvalidTld));
    assert_eq!(TldName::parse("-com"), Err(TldError::InvalidTld));
}

#[test]
fn prices_are_kept_by_years_and_asked_by_operation() {
    let mut tld = Tld::default();
    for event in tld.decide(set(vec![line(2), line(1)])).unwrap() {
        tld.apply(event);
    }
    let com = TldName::parse("com").unwrap();
    assert_eq!(
        tld.price(&com, RegistrarOperationKind::Renew, 2),
        Ok(eur("12.00"))
    );
    assert_eq!(
        tld.price(&com, RegistrarOperationKind::Register, 3),
        Err(TldError::NotSold {
            tld: "com".to_string(),
            years: 3
        })
    );
}

#[test]
fn two_lines_for_the_same_years_are_refused() {
    TldTester::with(())
        .given_no_previous_events()
        .when(set(vec![line(1), line(1)]))
        .then_expect_error(TldError::DuplicateYears { years: 1 });
}

#[test]
fn eleven_years_are_refused() {
    TldTester::with(())
        .given_no_previous_events()
        .when(set(vec![line(11)]))
        .then_expect_error(TldError::YearsOutOfRange { years: 11 });
}
