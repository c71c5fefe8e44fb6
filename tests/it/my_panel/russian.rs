//! The customer panel in Russian: a user who chose Russian in its preferences sees every `/my`
//! page's title and labels in Russian, amounts written the Russian way (`1 234,50 EUR`, no-break
//! spaces) and none of the English labels; a user who chose nothing sees English.

use reqwest::StatusCode;
use serde_json::json;
use tests::TestServer;

use super::{MyPanel, PASSWORD, user};

/// A no-break space, as the panel writes between thousands and before the currency.
const NBSP: char = '\u{a0}';

/// A client who paid 2000.00 EUR and has a "VDS Big" (1234.50 EUR a month), provisioned; and
/// an open ticket of its owner: the server, the owner's e-mail, the service and the ticket.
async fn scene() -> (TestServer, String, String, String) {
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let tariff = server
        .post(
            "/v1/tariffs",
            json!({"provider_id": provider, "name": "VDS Big", "item_type": "vds",
                   "prices": [{"period": "P1M",
                               "price": {"amount": "1234.50", "currency": "EUR"}}]}),
        )
        .await;
    assert_eq!(tariff.status, StatusCode::CREATED, "{tariff:?}");
    let client = server.client(&provider, "Ада Лавлейс").await;
    let paid = server
        .post(
            &format!("/v1/clients/{client}/payments"),
            json!({"payment_id": uuid::Uuid::now_v7(), "amount": "2000.00",
                   "currency": "EUR", "method": "bank_transfer"}),
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
    let ordered = server
        .post(
            &format!("/v1/clients/{client}/services"),
            json!({"tariff_id": tariff.body["id"], "period": "P1M"}),
        )
        .await;
    assert_eq!(ordered.status, StatusCode::CREATED, "{ordered:?}");
    crate::panel::robot(&server).await;
    let email = user(&server, &client, &["owner"]).await;
    let my = MyPanel::sign_in(&server, &email, PASSWORD).await;
    let list = my.get("/my/tickets").await;
    let form = &list.body[list.body.find("id=\"open-ticket\"").unwrap()..];
    let key = form.split("name=\"key\" value=\"").nth(1).unwrap();
    let key = key.split('"').next().unwrap();
    let fields = [
        ("key", key),
        ("subject", "Сервер не загружается"),
        ("body", "После обновления ядра."),
    ];
    let opened = my
        .post_files("/my/tickets", "/my/tickets", &fields, &[])
        .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{opened:?}");
    let ticket = opened.location.unwrap();
    let ticket = ticket.split('?').next().unwrap().to_owned();
    server.settled().await;
    (
        server,
        email,
        ordered.body["id"].as_str().unwrap().to_owned(),
        ticket,
    )
}

/// The English labels of the pages, as element texts: none may show on a Russian page.
const ENGLISH: [&str; 19] = [
    "Payment (",
    ">active<",
    ">bank_transfer<",
    ">Status<",
    ">Type<",
    ">Period<",
    ">Amount<",
    ">Service<",
    ">Balance<",
    ">Paid until<",
    ">Price<",
    ">Save<",
    ">Send<",
    ">See the price<",
    ">Prolong<",
    ">Top up your account<",
    ">Your payments<",
    ">Opening balance<",
    ">Change your password<",
];

#[tokio::test]
async fn a_user_who_chose_russian_sees_every_my_page_in_russian_with_russian_amounts() {
    // Arrange
    let (server, email, service, ticket) = scene().await;
    let my = MyPanel::sign_in(&server, &email, PASSWORD).await;
    let english = my.get("/my/services").await;

    // Act: Russian in the account's preferences.
    let saved = my
        .post(
            "/my/account",
            "/my/account/preferences",
            &[("language", "ru"), ("zone", "UTC")],
        )
        .await;

    // Assert: English before, with English amounts.
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{saved:?}");
    assert_eq!(english.status, StatusCode::OK, "{english:?}");
    assert!(english.body.contains(">Paid until<"), "{}", english.body);
    assert!(english.body.contains("1,234.50 EUR"), "{}", english.body);
    let big = format!("1{NBSP}234,50{NBSP}EUR");
    let service_page = format!("/my/services/{service}");
    let pages: [(&str, &[&str]); 11] = [
        (
            "/my",
            &["Ваш кабинет", "Лицевые счета", "Ближайшие списания"],
        ),
        (
            "/my/order",
            &[
                "Заказ услуги",
                "Виртуальные серверы (VDS)",
                "Узнать цену",
                "1 месяц",
            ],
        ),
        (
            "/my/services",
            &["Услуги", "Оплачено до", "Заказать услугу", "активно", &big],
        ),
        (
            &service_page,
            &[
                "Цена за период",
                "Автопродление",
                "Продлить",
                "Все услуги",
                &big,
            ],
        ),
        (
            "/my/payments",
            &[
                "Платежи",
                "Пополнить баланс",
                "Ваши платежи",
                "банковский перевод",
            ],
        ),
        (
            "/my/expenses",
            &["Расходы", "Цена по прайсу", "Налог", &big],
        ),
        (
            "/my/statement",
            &[
                "Выписка",
                "Лицевой счёт, EUR",
                "Входящий остаток",
                "Исходящий остаток",
                "Платёж (банковский перевод)",
            ],
        ),
        ("/my/invoices", &["Счета"]),
        (
            "/my/tickets",
            &[
                "Поддержка",
                "Открытые",
                "Создать тикет",
                "Сервер не загружается",
            ],
        ),
        (&ticket, &["Все тикеты", "Закрыть тикет", "Вы"]),
        (
            "/my/account",
            &[
                "Ваш аккаунт",
                "Язык и часовой пояс",
                "Сменить пароль",
                "Плательщики",
            ],
        ),
    ];
    for (path, texts) in pages {
        let page = my.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {page:?}");
        assert!(
            page.body.contains("<html lang=\"ru\""),
            "{path}: {}",
            page.body
        );
        for text in texts {
            assert!(
                page.body.contains(text),
                "{path}: no {text:?} in {}",
                page.body
            );
        }
        for label in ENGLISH {
            assert!(
                !page.body.contains(label),
                "{path}: {label} in {}",
                page.body
            );
        }
    }
    let payments = my.get("/my/payments").await;
    assert!(
        payments.body.contains(&format!("2{NBSP}000,00{NBSP}EUR")),
        "{}",
        payments.body
    );
    // Signed out, the password reset page follows the browser's language.
    let reset = super::client()
        .get(format!("{}/my/password-reset", server.url))
        .header("accept-language", "ru-RU,ru;q=0.9")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(reset.contains("Забыли пароль?"), "{reset}");
    assert!(reset.contains("Отправить ссылку"), "{reset}");
    assert!(!reset.contains(">Send the link<"), "{reset}");
}
