//! The money lists of the customer panel page by keyset with "N of M" (payments newest first,
//! expenses newest first, each account's statement in its order), show kinds by their catalogue
//! names, group the statement by the user's own days, and say the API's problems in the user's
//! language.

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use super::money::{Scene, form_key, top_up};
use super::{MyPanel, PASSWORD, user};

/// The `href` of the link with `id` (`first`, `next`) of a page's pager.
fn link(html: &str, id: &str) -> Option<String> {
    let at = html.find(&format!("id=\"{id}\" href=\""))?;
    let rest = &html[at + format!("id=\"{id}\" href=\"").len()..];
    Some(rest.split('"').next()?.replace("&#38;", "&"))
}

/// The pager's count.
fn count(html: &str) -> String {
    let at = html.find("id=\"count\">").expect("a pager") + "id=\"count\">".len();
    html[at..].split('<').next().unwrap().to_owned()
}

/// Credits Ada `amounts`, one direct payment each, over the API: their ids, in order.
async fn paid(scene: &Scene, amounts: &[&str]) -> Vec<String> {
    let mut ids = Vec::new();
    for amount in amounts {
        let id = Uuid::now_v7().to_string();
        let paid = scene
            .server
            .post(
                &format!("/v1/clients/{}/payments", scene.ada),
                json!({"payment_id": id, "amount": amount, "currency": "EUR",
                       "method": "bank_transfer"}),
            )
            .await;
        assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
        ids.push(id);
    }
    scene.server.settled().await;
    ids
}

#[tokio::test]
async fn payments_and_the_statement_page_by_keyset_with_n_of_m_and_name_the_kinds() {
    // Arrange: three payments for Ada.
    let scene = Scene::new().await;
    let ids = paid(&scene, &["1.00", "2.00", "3.00"]).await;
    let my = MyPanel::sign_in(
        &scene.server,
        &user(&scene.server, &scene.ada, &["owner"]).await,
        PASSWORD,
    )
    .await;

    // Act and assert: payments two a page, newest first.
    let first = my.get("/my/payments?limit=2").await;
    assert_eq!(first.status, StatusCode::OK, "{first:?}");
    assert_eq!(count(&first.body), "2 of 3", "{}", first.body);
    let newest = first.body.find(&ids[2]).unwrap();
    let middle = first.body.find(&ids[1]).unwrap();
    assert!(newest < middle, "newest first");
    assert!(!first.body.contains(&ids[0]));
    assert!(link(&first.body, "first").is_none());
    let next = link(&first.body, "next").expect("a next page");
    let second = my.get(&next).await;
    assert_eq!(count(&second.body), "1 of 3", "{}", second.body);
    assert!(second.body.contains(&ids[0]));
    assert!(!second.body.contains(&ids[2]));
    assert!(link(&second.body, "next").is_none());
    assert_eq!(
        link(&second.body, "first").as_deref(),
        Some("/my/payments?limit=2")
    );
    let forged = my.get("/my/payments?before=nonsense").await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST, "{forged:?}");

    // The statement: two movements a page, in order, its kinds by name.
    let statement = my.get("/my/statement?limit=2").await;
    assert_eq!(statement.status, StatusCode::OK, "{statement:?}");
    assert!(statement.body.contains(">2 of 3<"), "{}", statement.body);
    assert!(
        statement.body.contains("<td class=\"kind\">payment</td>"),
        "{}",
        statement.body
    );
    assert!(statement.body.contains("Balance after this page"));
    let at = statement.body.find("class=\"next\" href=\"").unwrap() + 19;
    let next = statement.body[at..]
        .split('"')
        .next()
        .unwrap()
        .replace("&#38;", "&");
    assert!(next.contains("currency=EUR"), "{next}");
    let rest = my.get(&next).await;
    assert!(rest.body.contains(">1 of 3<"), "{}", rest.body);
    assert!(
        rest.body
            .contains("<td class=\"n\">3.00</td><td class=\"n\">6.00</td>"),
        "{}",
        rest.body
    );
    assert!(
        rest.body
            .contains("Closing balance</td><td class=\"n\">6.00 EUR")
    );
}

#[tokio::test]
async fn the_statement_groups_and_bounds_its_days_in_the_users_time_zone() {
    // Arrange: a payment, and its moment as the API records it.
    let scene = Scene::new().await;
    paid(&scene, &["12.34"]).await;
    let api = scene
        .api(&format!("/v1/clients/{}/statement", scene.ada))
        .await;
    let at: DateTime<Utc> = api["items"][0]["occurred_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let my = MyPanel::sign_in(
        &scene.server,
        &user(&scene.server, &scene.ada, &["owner"]).await,
        PASSWORD,
    )
    .await;
    // Fourteen hours east of UTC the payment's day is never the day twelve hours west of it.
    let set = my
        .post("/my", "/my/time-zone", &[("zone", "Etc/GMT-14")])
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{set:?}");
    let east = (at + Duration::hours(14)).date_naive();
    let west = (at - Duration::hours(12)).date_naive();
    let row = "<td class=\"n\">12.34</td><td class=\"n\">12.34</td>";

    // Act
    let own_day = my
        .get(&format!("/my/statement?from={east}&to={east}"))
        .await;
    let other_day = my
        .get(&format!("/my/statement?from={west}&to={west}"))
        .await;

    // Assert: the user's day holds the payment, under that day's heading; the other does not.
    assert_eq!(own_day.status, StatusCode::OK, "{own_day:?}");
    assert!(own_day.body.contains(row), "{}", own_day.body);
    assert!(
        own_day.body.contains(&format!(
            "<tr class=\"day\"><th colspan=\"5\">{east}</th></tr>"
        )),
        "{}",
        own_day.body
    );
    assert!(own_day.body.contains("Etc/GMT-14"), "{}", own_day.body);
    assert!(!other_day.body.contains(row), "{}", other_day.body);
}

#[tokio::test]
async fn expenses_page_newest_first_and_name_their_kinds() {
    // Arrange: Ada pays and orders two services.
    let scene = Scene::new().await;
    paid(&scene, &["50.00"]).await;
    for _ in 0..2 {
        let ordered = scene
            .server
            .post(
                &format!("/v1/clients/{}/services", scene.ada),
                json!({"tariff_id": scene.vds(), "period": "P1M"}),
            )
            .await;
        assert_eq!(ordered.status, StatusCode::CREATED, "{ordered:?}");
    }
    crate::panel::robot(&scene.server).await;
    let my = MyPanel::sign_in(
        &scene.server,
        &user(&scene.server, &scene.ada, &["billing"]).await,
        PASSWORD,
    )
    .await;

    // Act
    let first = my.get("/my/expenses?limit=1").await;
    let next = link(&first.body, "next").expect("a next page");
    let second = my.get(&next).await;

    // Assert
    assert_eq!(first.status, StatusCode::OK, "{first:?}");
    assert_eq!(count(&first.body), "1 of 2", "{}", first.body);
    assert!(first.body.contains("<td class=\"kind\">charge</td>"));
    assert_eq!(count(&second.body), "1 of 2", "{}", second.body);
    assert!(link(&second.body, "next").is_none());
    assert!(link(&second.body, "first").is_some());
}

#[tokio::test]
async fn a_russian_user_reads_the_apis_problems_and_the_kinds_in_russian() {
    // Arrange: Ada's owner, who chose Russian.
    let scene = Scene::new().await;
    paid(&scene, &["5.00"]).await;
    let my = MyPanel::sign_in(
        &scene.server,
        &user(&scene.server, &scene.ada, &["owner"]).await,
        PASSWORD,
    )
    .await;
    let chosen = my.post("/my", "/my/language", &[("language", "ru")]).await;
    assert_eq!(chosen.status, StatusCode::SEE_OTHER, "{chosen:?}");

    // Act: a top-up of nothing, one by a staff-only method, an order of no tariff and a
    // statement from no day.
    let key = form_key(&my.get("/my/payments").await.body);
    let zero = top_up(&my, &scene, &key, "bank_transfer", "0").await;
    let cash = top_up(&my, &scene, &Uuid::now_v7().to_string(), "cash", "5.00").await;
    let order = my
        .get("/my/order/quote?tariff_id=nonsense&period=P1M")
        .await;
    let statement = my.get("/my/statement").await;
    let bad_day = my.get("/my/statement?from=yesterday").await;

    // Assert
    assert_eq!(zero.status, StatusCode::UNPROCESSABLE_ENTITY, "{zero:?}");
    assert!(
        zero.body.contains("Сумма должна быть больше нуля."),
        "{}",
        zero.body
    );
    assert_eq!(cash.status, StatusCode::UNPROCESSABLE_ENTITY, "{cash:?}");
    assert!(
        cash.body
            .contains("Этот способ оплаты недоступен; выберите другой."),
        "{}",
        cash.body
    );
    assert!(cash.body.contains("payment_method_not_available"));
    assert_eq!(order.status, StatusCode::UNPROCESSABLE_ENTITY, "{order:?}");
    assert!(
        order.body.contains("Такого тарифа в каталоге нет."),
        "{}",
        order.body
    );
    assert!(
        statement.body.contains("<td class=\"kind\">платёж</td>"),
        "{}",
        statement.body
    );
    assert!(statement.body.contains("1 из 1"), "{}", statement.body);
    assert_eq!(bad_day.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad_day.body.contains("Укажите день в виде 2026-12-01."));
    assert_eq!(scene.ada_payments().await, 1, "nothing more was written");
}
