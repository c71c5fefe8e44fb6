//! Documents and e-mails in the reader's language (issue 18, item 8), and the logo uploaded from
//! the staff panel's document-template form (item 9): a Russian client's invoice and credit note
//! print in Russian with a decimal comma and Russian dates, an English client's in English, staff
//! may ask for another language; a Russian user's reset e-mail and a Russian client's notice
//! arrive in Russian; a logo file uploaded from the form is printed, and a file too large or no
//! picture is refused on the form, writing nothing.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use eventstore::clock::SystemClock;
use reqwest::{Method, StatusCode};
use serde_json::json;
use tests::smtp::SmtpSink;
use tests::{ADMIN_TOKEN, TestDb, TestServer};
use uuid::Uuid;

use crate::documents::{client_token, pdf_text, poppler, tiny_png};
use crate::my_panel::{MyPanel, PASSWORD, user};
use crate::panel::{Panel, hidden};

/// `text` with no-break spaces as plain ones, as a reader compares amounts.
fn plain(text: &str) -> String {
    text.replace('\u{a0}', " ")
}

/// Sets `client`'s notice language to `language` (every kind subscribed).
async fn speaks(server: &TestServer, client: &str, language: &str) {
    let set = server
        .call(
            Method::PUT,
            &format!("/v1/clients/{client}/notice-settings"),
            Some(json!({"language": language, "subscriptions": [
                "service_activated", "service_expiring", "service_suspended", "service_deleted",
                "payment_credited", "invoice_issued", "low_balance", "ticket_answered"]})),
        )
        .await;
    assert!(set.status.is_success(), "{set:?}");
}

/// An invoice of two lines (one over a thousand) to `client`: its id.
async fn invoice(server: &TestServer, client: &str, company: &str) -> String {
    let id = Uuid::now_v7().to_string();
    let issued = server
        .post(
            "/v1/invoices",
            json!({"invoice_id": id, "client_id": client, "company_id": company, "lines": [
                {"description": "Хостинг «Старт»", "quantity": "1.5", "unit_price": "1234.50"},
                {"description": "Domain", "quantity": "1", "unit_price": "10.00"}]}),
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{issued:?}");
    server.settled().await;
    id
}

/// The document `path` (`/v1/invoices/{id}` with a query) read with `token`: status and bytes.
async fn fetch(server: &TestServer, token: &str, path: &str) -> (StatusCode, Vec<u8>) {
    let answer = server
        .http
        .get(format!("{}{path}", server.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (answer.status(), answer.bytes().await.unwrap().to_vec())
}

/// The text of the PDF of `invoice` read with `token` and `query` (after `format=pdf`).
async fn pdf_of(server: &TestServer, token: &str, invoice: &str, query: &str) -> String {
    let (status, bytes) = fetch(
        server,
        token,
        &format!("/v1/invoices/{invoice}?format=pdf{query}"),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    plain(&pdf_text(&bytes))
}

/// The day `invoice` was issued on.
async fn issued_on(server: &TestServer, invoice: &str) -> NaiveDate {
    let read = server.get(&format!("/v1/invoices/{invoice}")).await;
    read.body["issued_on"].as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_russian_clients_invoice_and_credit_note_print_in_russian_and_an_english_clients_in_english()
 {
    // Arrange: a Russian-speaking client and one who chose no language.
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let company = crate::invoicing::company(&server, &provider, "NL", "yearly").await;
    let russian = server.client(&provider, "Boris Ivanov").await;
    let english = server.client(&provider, "Jane Doe").await;
    speaks(&server, &russian, "ru").await;

    // Act
    let theirs = invoice(&server, &russian, &company).await;
    let other = invoice(&server, &english, &company).await;
    let credit_note = Uuid::now_v7().to_string();
    let credited = server
        .post(
            &format!("/v1/invoices/{theirs}/credit-notes"),
            json!({"credit_note_id": credit_note, "reason": "отмена заказа"}),
        )
        .await;
    assert_eq!(credited.status, StatusCode::CREATED, "{credited:?}");
    server.settled().await;
    let token = client_token(&server, &russian).await;
    let staff_ru = pdf_of(&server, ADMIN_TOKEN, &theirs, "").await;
    let client_ru = pdf_of(&server, &token, &theirs, "").await;
    let client_asks_en = pdf_of(&server, &token, &theirs, "&lang=en").await;
    let staff_asks_en = pdf_of(&server, ADMIN_TOKEN, &theirs, "&lang=en").await;
    let note_ru = pdf_of(&server, ADMIN_TOKEN, &credit_note, "").await;
    let staff_en = pdf_of(&server, ADMIN_TOKEN, &other, "").await;
    let (html_status, html) = fetch(
        &server,
        ADMIN_TOKEN,
        &format!("/v1/invoices/{credit_note}?format=html"),
    )
    .await;
    let html = plain(&String::from_utf8(html).unwrap());
    let (unknown, problem) = fetch(
        &server,
        ADMIN_TOKEN,
        &format!("/v1/invoices/{theirs}?format=pdf&lang=xx"),
    )
    .await;

    // Assert: Russian words, a decimal comma grouped by spaces, a Russian date.
    let day = issued_on(&server, &theirs).await;
    let russian_day = day.format("%d.%m.%Y").to_string();
    for text in [&staff_ru, &client_ru, &client_asks_en] {
        for expected in [
            "Счёт №",
            "Дата выставления",
            russian_day.as_str(),
            "Покупатель",
            "Наименование",
            "1 234,50",
            "1,5",
            "Итого, EUR",
        ] {
            assert!(text.contains(expected), "{expected:?} in {text}");
        }
        assert!(!text.contains("Invoice"), "{text}");
        assert!(!text.contains("1,234.50"), "{text}");
    }
    assert!(staff_ru.contains("Статус") && staff_ru.contains("выставлен"));
    assert!(
        !client_ru.contains("Статус"),
        "the client's copy: {client_ru}"
    );
    // Staff may ask for English; the client's copy stays in the client's language.
    for expected in ["Invoice INV", "Date of issue", "1,234.50", "Bill to"] {
        assert!(
            staff_asks_en.contains(expected),
            "{expected:?} in {staff_asks_en}"
        );
    }
    // The credit note says which invoice it corrects, in Russian.
    for expected in ["Кредит-нота №", "Корректирует счёт"] {
        assert!(note_ru.contains(expected), "{expected:?} in {note_ru}");
    }
    assert_eq!(html_status, StatusCode::OK);
    assert!(html.contains("<html lang=\"ru\">"), "{html}");
    assert!(html.contains("Кредит-нота №"), "{html}");
    assert!(
        html.contains("Эта кредит-нота корректирует счёт № INV"),
        "{html}"
    );
    assert!(html.contains("<td class=\"n\">1 234,50</td>"), "{html}");
    // The English client's reads English, with ISO dates and a decimal point.
    for expected in [
        "Invoice INV",
        "Date of issue",
        day.to_string().as_str(),
        "1,234.50",
        "Total EUR",
    ] {
        assert!(staff_en.contains(expected), "{expected:?} in {staff_en}");
    }
    assert!(!staff_en.contains("Счёт"), "{staff_en}");
    assert_eq!(unknown, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&problem).contains("lang"));
    // The numbers stay right-aligned: the gross amount ends where its heading does.
    let (_, bytes) = fetch(
        &server,
        ADMIN_TOKEN,
        &format!("/v1/invoices/{theirs}?format=pdf"),
    )
    .await;
    let boxes = poppler("pdftotext", &["-bbox"], &bytes);
    let x_max = |word: &str| -> Vec<f64> {
        boxes
            .lines()
            .filter(|line| line.ends_with(&format!(">{word}</word>")))
            .map(|line| {
                let at = line.find("xMax=\"").unwrap() + 6;
                line[at..].split('"').next().unwrap().parse().unwrap()
            })
            .collect()
    };
    let heading = x_max("Всего")[0];
    let ends = x_max("10,00");
    assert!(
        ends.iter().any(|end| (end - heading).abs() < 0.5),
        "{ends:?} vs {heading}: {boxes}"
    );
}

#[tokio::test]
async fn the_staff_panel_shows_a_document_in_the_clients_language_or_the_one_asked_for() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let company = crate::invoicing::company(&server, &provider, "NL", "yearly").await;
    let russian = server.client(&provider, "Anna Petrova").await;
    speaks(&server, &russian, "ru").await;
    let id = invoice(&server, &russian, &company).await;
    let panel = Panel::sign_in(&server, "admin", ADMIN_TOKEN).await;

    // Act
    let (status, page) = panel.get(&format!("/dashboard/invoices/{id}")).await;
    let (_, asked) = panel
        .get(&format!("/dashboard/invoices/{id}?lang=en"))
        .await;

    // Assert
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Счёт №"), "{page}");
    assert!(asked.contains("Invoice INV"), "{asked}");
}

#[tokio::test]
async fn a_russian_users_reset_mail_and_a_russian_clients_notice_arrive_in_russian() {
    // Arrange: a client who chose no language with a user who chose Russian, and a
    // Russian-speaking client.
    let sink = SmtpSink::start().await;
    let server = TestServer::start_mailing(
        TestDb::new().await,
        Arc::new(SystemClock),
        Some(&sink.url()),
    )
    .await;
    let provider = server.provider("EUR").await;
    let client = server.client(&provider, "Ada Lovelace").await;
    let email = user(&server, &client, &["owner"]).await;
    let my = MyPanel::sign_in(&server, &email, PASSWORD).await;
    let chosen = my
        .post(
            "/my/account",
            "/my/account/preferences",
            &[("language", "ru"), ("zone", "Europe/Moscow")],
        )
        .await;
    assert_eq!(chosen.status, StatusCode::SEE_OTHER, "{chosen:?}");
    let russian = server.client(&provider, "Ivan Petrov").await;
    speaks(&server, &russian, "ru").await;
    server.settled().await;

    // Act: the user forgot its password; the Russian client pays 1,234.50 EUR.
    let asked = reqwest::Client::new()
        .post(format!("{}/my/password-reset", server.url))
        .form(&[("email", email.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), StatusCode::OK);
    let reset = sink.wait_for(1, Duration::from_secs(20)).await;
    let paid = server
        .post(
            &format!("/v1/clients/{russian}/payments"),
            json!({"payment_id": Uuid::now_v7(), "amount": "1234.50", "currency": "EUR",
                   "method": "bank_transfer"}),
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let notice = loop {
        let mails = sink.mails();
        if let Some(mail) = mails
            .iter()
            .find(|m| m.to == vec!["ivan.petrov@example.com"])
        {
            break mail.clone();
        }
        assert!(tokio::time::Instant::now() < deadline, "{mails:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    // Assert: the reset e-mail in Russian, with a link that works.
    let mail = &reset[0];
    assert_eq!(mail.subject(), "Сброс пароля");
    let body = mail.body();
    assert!(body.contains("Здравствуйте"), "{body}");
    let start = body.find("/my/password-reset/").expect("a link");
    let link = body[start..].split_whitespace().next().unwrap();
    let param = |name: &str| {
        let marker = format!("{name}=");
        let at = link.find(&marker).unwrap() + marker.len();
        link[at..].split('&').next().unwrap().to_owned()
    };
    let used = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}{}", server.url, link.split('?').next().unwrap()))
        .form(&[
            ("user", param("user").as_str()),
            ("mac", param("mac").as_str()),
            ("password", "a brand new passphrase"),
            ("again", "a brand new passphrase"),
        ])
        .send()
        .await
        .unwrap();
    let used_status = used.status();
    let used_page = used.text().await.unwrap();
    assert_eq!(used_status, StatusCode::OK, "{used_page}");
    assert!(used_page.contains("id=\"reset-done\""), "{used_page}");
    // The notice in Russian, the amount with a decimal comma.
    assert_eq!(plain(&notice.subject()), "Получен платёж на 1 234,50 EUR");
    let text = plain(&notice.body());
    assert!(text.contains("Здравствуйте, Ivan Petrov!"), "{text}");
    assert!(text.contains("зачислено 1 234,50 EUR"), "{text}");
}

/// A `multipart/form-data` body of `fields` and one file `logo`: (content type, body).
fn multipart(fields: &[(&str, &str)], logo: (&str, &str, &[u8])) -> (String, Vec<u8>) {
    let boundary = format!("----template-{}", Uuid::now_v7().simple());
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    let (file_name, content_type, bytes) = logo;
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"logo\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn a_logo_uploaded_from_the_form_is_printed_and_a_bad_file_is_refused_on_the_form() {
    // Arrange
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let company = crate::invoicing::company(&server, &provider, "NL", "yearly").await;
    let client = server.client(&provider, "Jane Doe").await;
    let panel = Panel::sign_in(&server, "admin", ADMIN_TOKEN).await;
    server.settled().await;
    let path = format!("/dashboard/companies/{company}/document-template");
    let (_, form) = panel.get(&path).await;
    assert!(form.contains("enctype=\"multipart/form-data\""), "{form}");
    assert!(form.contains("type=\"file\" name=\"logo\""), "{form}");
    let csrf = hidden(&form, "id=\"document-template\"", "csrf");
    let key = hidden(&form, "id=\"document-template\"", "key");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let post = |logo: (&'static str, &'static str, Vec<u8>)| {
        let (content_type, body) = multipart(
            &[
                ("csrf", &csrf),
                ("key", &key),
                ("footer", "Hosting Europe B.V."),
            ],
            (logo.0, logo.1, &logo.2),
        );
        http.post(format!("{}{path}", server.url))
            .header("cookie", &panel.cookie)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let files = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM ticket_attachments")
            .fetch_one(&server.db.pool)
            .await
            .unwrap()
    };
    let events = server.event_count().await;
    let stored = files().await;
    let mut too_big = tiny_png();
    too_big.resize(300 * 1024, 0);
    let mut far_too_big = tiny_png();
    far_too_big.resize(2 * 1024 * 1024, 0);

    // Act: too large, far too large, no picture, then the right one.
    let mut refusals = Vec::new();
    for logo in [
        ("logo.png", "image/png", too_big),
        ("huge.png", "image/png", far_too_big),
        ("logo.png", "image/png", b"GIF89a not a logo".to_vec()),
        (
            "logo.svg",
            "image/svg+xml",
            b"<svg onload=alert(1)>".to_vec(),
        ),
    ] {
        let answer = post(logo).await.unwrap();
        refusals.push((answer.status(), answer.text().await.unwrap()));
    }
    let events_after_refusals = server.event_count().await;
    let files_after_refusals = files().await;
    let saved = post(("logo.png", "image/png", tiny_png())).await.unwrap();
    let saved_status = saved.status();
    server.settled().await;
    let id = invoice(&server, &client, &company).await;
    let (_, pdf) = fetch(
        &server,
        ADMIN_TOKEN,
        &format!("/v1/invoices/{id}?format=pdf"),
    )
    .await;

    // Assert: each refusal is the form again with its reason, and nothing was written.
    let statuses: Vec<StatusCode> = refusals.iter().map(|(status, _)| *status).collect();
    assert_eq!(
        statuses,
        vec![
            StatusCode::PAYLOAD_TOO_LARGE,
            StatusCode::PAYLOAD_TOO_LARGE,
            StatusCode::UNPROCESSABLE_ENTITY,
            StatusCode::UNPROCESSABLE_ENTITY,
        ]
    );
    for (_, page) in &refusals {
        assert!(
            page.contains("id=\"document-template\""),
            "the form: {page}"
        );
        assert!(page.contains("id=\"error\""), "{page}");
        assert!(page.contains("Nothing was saved."), "{page}");
    }
    assert!(refusals[0].1.contains("307200 bytes"), "{}", refusals[0].1);
    assert!(
        refusals[2].1.contains("not a PNG or JPEG"),
        "{}",
        refusals[2].1
    );
    assert_eq!(events_after_refusals, events, "no event");
    assert_eq!(files_after_refusals, stored, "no file");
    assert_eq!(saved_status, StatusCode::SEE_OTHER);
    let (_, shown) = panel.get(&format!("{path}?done=saved")).await;
    assert!(shown.contains("image/png"), "{shown}");
    let images = poppler("pdfimages", &["-list"], &pdf);
    let rows: Vec<&str> = images.lines().skip(2).collect();
    assert_eq!(rows.len(), 1, "{images}");
    let columns: Vec<&str> = rows[0].split_whitespace().collect();
    assert_eq!((columns[3], columns[4]), ("2", "1"), "{images}");
}
