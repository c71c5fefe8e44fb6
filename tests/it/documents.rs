//! Documents that print any name (issue 18, item 9): an invoice's PDF embeds a Unicode font, so
//! Cyrillic, Polish, German and Greek text comes out of `pdftotext` exactly as it went in; it
//! prints the company's document template (header, footer, logo, payment details) as it was when
//! the invoice was drafted; the client's copy shows no internal status; a bad logo is refused
//! and writes nothing.

use std::process::{Command, Stdio};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::{ADMIN_TOKEN, Answer, TestServer, answer};
use uuid::Uuid;

const NAME: &str = "Борис Иванов — Łódź";
const HEADER: &str = "Спасибо за заказ! Dziękujemy.";
const LINES: [&str; 4] = [
    "Хостинг «Старт»",
    "Zażółć gęślą jaźń",
    "Größenänderung für Müller",
    "Φιλοξενία Αθήνα",
];

/// A call with `token` (the administrator's when `None`).
pub(crate) async fn call(
    server: &TestServer,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Answer {
    let mut request = server
        .http
        .request(method, format!("{}{path}", server.url))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    answer(request.send().await.unwrap()).await
}

/// `PUT /v1/companies/{company}/document-template` with `body`.
pub(crate) async fn set_template(server: &TestServer, company: &str, body: Value) -> Answer {
    let path = format!("/v1/companies/{company}/document-template");
    call(server, ADMIN_TOKEN, Method::PUT, &path, Some(body)).await
}

/// A 2×1 RGB PNG, its pixels stored uncompressed (a zlib stream of one stored block).
pub(crate) fn tiny_png() -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for byte in bytes {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    fn chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
        let mut out = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
        out
    }
    let raw = [0u8, 200, 30, 30, 30, 30, 200];
    let (mut a, mut b) = (1u32, 0u32);
    for byte in raw {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    let len = u16::try_from(raw.len()).unwrap();
    let mut zlib = vec![0x78, 0x01, 0x01];
    zlib.extend_from_slice(&len.to_le_bytes());
    zlib.extend_from_slice(&(!len).to_le_bytes());
    zlib.extend_from_slice(&raw);
    zlib.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut header = 2u32.to_be_bytes().to_vec();
    header.extend_from_slice(&1u32.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &header));
    png.extend(chunk(b"IDAT", &zlib));
    png.extend(chunk(b"IEND", &[]));
    png
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A poppler tool run on `pdf` (from a file: `pdfimages` reads no standard input).
pub(crate) fn poppler(tool: &str, args: &[&str], pdf: &[u8]) -> String {
    let path = std::env::temp_dir().join(format!("{}.pdf", Uuid::now_v7()));
    std::fs::write(&path, pdf).unwrap();
    let mut command = Command::new(tool);
    command.args(args).arg(&path);
    if tool == "pdftotext" {
        command.arg("-");
    }
    let output = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{tool} (poppler-utils) must be installed: {e}"));
    std::fs::remove_file(&path).ok();
    assert!(output.status.success(), "{tool}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// The text of `pdf` as `pdftotext` extracts it.
pub(crate) fn pdf_text(pdf: &[u8]) -> String {
    poppler("pdftotext", &["-enc", "UTF-8"], pdf)
}

/// The invoice `id` as a PDF, read with `token`.
pub(crate) async fn pdf(server: &TestServer, token: &str, id: &str) -> Vec<u8> {
    let response = server
        .http
        .get(format!("{}/v1/invoices/{id}?format=pdf", server.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.bytes().await.unwrap().to_vec();
    assert!(bytes.starts_with(b"%PDF-"));
    bytes
}

/// The invoice `id` as HTML, read with `token`.
pub(crate) async fn html(server: &TestServer, token: &str, id: &str) -> String {
    let response = server
        .http
        .get(format!("{}/v1/invoices/{id}?format=html", server.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

/// A provider, a company and a client named [`NAME`]: their ids.
pub(crate) async fn scene(server: &TestServer) -> (String, String) {
    let provider = server.provider("EUR").await;
    let company = crate::invoicing::company(server, &provider, "NL", "yearly").await;
    let client = server
        .post(
            "/v1/clients",
            json!({"provider_id": provider, "name": NAME, "email": "boris@example.com",
                   "kind": "individual", "country": "PL"}),
        )
        .await;
    assert_eq!(client.status, StatusCode::CREATED, "{client:?}");
    (company, client.body["id"].as_str().unwrap().to_owned())
}

/// Issues an invoice of [`LINES`] to `client`; answers its id.
pub(crate) async fn issue(server: &TestServer, client: &str, company: &str) -> String {
    let id = Uuid::now_v7().to_string();
    let lines: Vec<Value> = LINES
        .iter()
        .enumerate()
        .map(|(i, text)| json!({"description": text, "quantity": "1", "unit_price": format!("{}.50", 10 + 1000 * i)}))
        .collect();
    let issued = server
        .post(
            "/v1/invoices",
            json!({"invoice_id": id, "client_id": client, "company_id": company, "lines": lines}),
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{issued:?}");
    let position = issued.body["position"].as_i64().unwrap();
    let read = server
        .get(&format!("/v1/invoices/{id}?min_position={position}"))
        .await;
    assert_eq!(read.status, StatusCode::OK, "{read:?}");
    id
}

/// A signed-in user of `client` with the owner role: its bearer token.
pub(crate) async fn client_token(server: &TestServer, client: &str) -> String {
    let email = format!("{}@example.com", Uuid::now_v7().simple());
    let password = "a long enough passphrase";
    let created = server
        .post(
            &format!("/v1/clients/{client}/users"),
            json!({ "email": email, "password": password, "roles": ["owner"] }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let position = created.body["position"].as_i64().unwrap();
    let users = server
        .get(&format!(
            "/v1/clients/{client}/users?min_position={position}"
        ))
        .await;
    assert_eq!(users.status, StatusCode::OK, "{users:?}");
    let login = server
        .post(
            "/v1/auth/login",
            json!({ "email": email, "password": password }),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{login:?}");
    login.body["token"].as_str().unwrap().to_owned()
}

fn template() -> Value {
    json!({
        "header": HEADER,
        "footer": "Hosting Europe B.V. · KvK 12345678",
        "logo": {"content_base64": base64(&tiny_png())},
        "payment": {"bank_name": "ING Bank", "iban": "nl91 abna 0417 1643 00",
                    "bic": "INGBNL2A", "account_holder": "Hosting Europe B.V.",
                    "text": "Quote the invoice number."},
    })
}

#[tokio::test]
async fn an_invoice_pdf_prints_every_name_the_template_and_right_aligned_numbers() {
    // Arrange: a company with a template, a client with a Cyrillic and Polish name.
    let server = TestServer::start().await;
    let (company, client) = scene(&server).await;
    let set = set_template(&server, &company, template()).await;
    assert_eq!(set.status, StatusCode::OK, "{set:?}");

    // Act
    let invoice = issue(&server, &client, &company).await;
    let staff_pdf = pdf(&server, ADMIN_TOKEN, &invoice).await;
    let text = pdf_text(&staff_pdf);

    // Assert: every name as it went in, and the template.
    for expected in [NAME, HEADER] {
        assert!(text.contains(expected), "{expected:?} in {text}");
    }
    for line in LINES {
        assert!(text.contains(line), "{line:?} in {text}");
    }
    for detail in [
        "Payment details",
        "ING Bank",
        "NL91 ABNA 0417 1643 00",
        "INGBNL2A",
        "Hosting Europe B.V.",
        "Quote the invoice number.",
        "Hosting Europe B.V. · KvK 12345678",
    ] {
        assert!(text.contains(detail), "{detail:?} in {text}");
    }
    assert!(!text.contains('?'), "no character lost: {text}");
    assert!(
        staff_pdf.len() < 60 * 1024,
        "a one-page invoice stays small: {} bytes",
        staff_pdf.len()
    );
    println!("one-page invoice PDF with logo: {} bytes", staff_pdf.len());
    // The logo is drawn: one 2×1 picture.
    let images = poppler("pdfimages", &["-list"], &staff_pdf);
    let rows: Vec<&str> = images.lines().skip(2).collect();
    assert_eq!(rows.len(), 1, "{images}");
    let columns: Vec<&str> = rows[0].split_whitespace().collect();
    assert_eq!((columns[3], columns[4]), ("2", "1"), "{images}");
    // Numbers end where their column's heading ends.
    let boxes = poppler("pdftotext", &["-bbox"], &staff_pdf);
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
    let gross = x_max("Gross")[0];
    let amounts: Vec<f64> = ["10.50", "1,010.50", "2,010.50", "3,010.50"]
        .iter()
        .flat_map(|amount| x_max(amount))
        .collect();
    assert!(amounts.len() >= 4, "{boxes}");
    for right in amounts {
        // Unit price, net and gross columns each end at their own heading: one of them is
        // Gross's, and none of them is left-aligned at the heading's start.
        assert!(right <= gross + 0.5, "{right} ends past {gross}");
    }
    let gross_amounts = x_max("3,010.50");
    assert!(
        gross_amounts
            .iter()
            .any(|right| (right - gross).abs() < 0.5),
        "the gross amount ends at its heading's end: {gross_amounts:?} vs {gross}"
    );

    // The HTML copy prints the same template and the logo.
    let page = html(&server, ADMIN_TOKEN, &invoice).await;
    assert!(
        page.contains("id=\"logo\" src=\"data:image/png;base64,"),
        "{page}"
    );
    assert!(page.contains("NL91 ABNA 0417 1643 00"), "{page}");
    assert!(
        page.contains("Hosting Europe B.V. · KvK 12345678"),
        "{page}"
    );
}

#[tokio::test]
async fn the_client_copy_shows_no_internal_status_and_staff_copy_does() {
    // Arrange
    let server = TestServer::start().await;
    let (company, client) = scene(&server).await;
    let invoice = issue(&server, &client, &company).await;
    let token = client_token(&server, &client).await;

    // Act
    let staff = pdf_text(&pdf(&server, ADMIN_TOKEN, &invoice).await);
    let theirs = pdf_text(&pdf(&server, &token, &invoice).await);
    let their_page = html(&server, &token, &invoice).await;

    // Assert
    assert!(staff.contains("Status"), "{staff}");
    assert!(!theirs.contains("Status"), "{theirs}");
    assert!(!their_page.contains("Status"), "{their_page}");
    assert!(theirs.contains(NAME), "{theirs}");
    assert!(theirs.contains(LINES[0]), "{theirs}");
}

#[tokio::test]
async fn a_bad_logo_is_a_problem_and_writes_nothing() {
    // Arrange
    let server = TestServer::start().await;
    let (company, _) = scene(&server).await;
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
    let with_logo = |bytes: &[u8]| {
        let mut body = template();
        body["logo"] = json!({"content_base64": base64(bytes)});
        body
    };

    // Act
    let big = set_template(&server, &company, with_logo(&too_big)).await;
    let text = set_template(&server, &company, with_logo(b"GIF89a not a logo")).await;
    let script = set_template(&server, &company, with_logo(b"<svg onload=alert(1)>")).await;
    let bad_iban = {
        let mut body = template();
        body["payment"]["iban"] = json!("NL91 ABNA 0417 1643 01");
        set_template(&server, &company, body).await
    };

    // Assert
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE, "{big:?}");
    assert_eq!(big.body["code"], "logo_too_large", "{big:?}");
    assert_eq!(text.status, StatusCode::UNPROCESSABLE_ENTITY, "{text:?}");
    assert_eq!(text.body["code"], "invalid_logo", "{text:?}");
    assert_eq!(
        script.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{script:?}"
    );
    assert_eq!(
        bad_iban.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{bad_iban:?}"
    );
    assert_eq!(bad_iban.body["code"], "invalid_document_template");
    assert_eq!(server.event_count().await, events, "no event");
    assert_eq!(files().await, stored, "no file");
    let current = call(
        &server,
        ADMIN_TOKEN,
        Method::GET,
        &format!("/v1/companies/{company}/document-template"),
        None,
    )
    .await;
    assert_eq!(current.status, StatusCode::OK, "{current:?}");
    assert_eq!(current.body["logo"], Value::Null, "{current:?}");
}

#[tokio::test]
async fn a_template_edited_after_issue_leaves_the_issued_invoice_as_it_was() {
    // Arrange: an invoice issued under the first template.
    let server = TestServer::start().await;
    let (company, client) = scene(&server).await;
    let first = set_template(&server, &company, template()).await;
    assert_eq!(first.status, StatusCode::OK, "{first:?}");
    let issued = issue(&server, &client, &company).await;

    // Act: new footer and bank, the logo kept.
    let second = set_template(
        &server,
        &company,
        json!({"footer": "Neue Fußzeile", "keep_logo": true,
               "payment": {"bank_name": "Rabobank", "iban": "NL44RABO0123456789"}}),
    )
    .await;
    let later = issue(&server, &client, &company).await;

    // Assert
    assert_eq!(second.status, StatusCode::OK, "{second:?}");
    let old = pdf_text(&pdf(&server, ADMIN_TOKEN, &issued).await);
    assert!(old.contains("Hosting Europe B.V. · KvK 12345678"), "{old}");
    assert!(old.contains("ING Bank"), "{old}");
    assert!(
        !old.contains("Rabobank") && !old.contains("Neue Fußzeile"),
        "{old}"
    );
    let new = pdf(&server, ADMIN_TOKEN, &later).await;
    let new_text = pdf_text(&new);
    assert!(new_text.contains("Neue Fußzeile"), "{new_text}");
    assert!(new_text.contains("NL44 RABO 0123 4567 89"), "{new_text}");
    assert!(!new_text.contains("ING Bank"), "{new_text}");
    let images = poppler("pdfimages", &["-list"], &new);
    assert_eq!(
        images.lines().skip(2).count(),
        1,
        "the logo was kept: {images}"
    );
    let current = call(
        &server,
        ADMIN_TOKEN,
        Method::GET,
        &format!("/v1/companies/{company}/document-template"),
        None,
    )
    .await;
    assert_eq!(current.body["footer"], "Neue Fußzeile", "{current:?}");
    assert_eq!(current.body["header"], Value::Null, "{current:?}");
    assert_eq!(
        current.body["logo"]["content_type"], "image/png",
        "{current:?}"
    );
}

#[tokio::test]
async fn the_panel_form_saves_the_template_and_shows_a_refusal() {
    // Arrange
    let server = TestServer::start().await;
    let (company, _) = scene(&server).await;
    let panel = crate::panel::Panel::sign_in(&server, "admin", ADMIN_TOKEN).await;
    server.settled().await;
    let path = format!("/dashboard/companies/{company}/document-template");
    let companies = panel.get("/dashboard/companies").await.1;
    assert!(
        companies.contains(&path),
        "the companies page links the form"
    );
    let (status, form) = panel.get(&path).await;
    assert_eq!(status, StatusCode::OK, "{form}");
    let csrf = crate::panel::hidden(&form, "id=\"document-template\"", "csrf");
    let key = crate::panel::hidden(&form, "id=\"document-template\"", "key");
    let events = server.event_count().await;

    // Act: a wrong IBAN, then a right one.
    let refused = panel
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("key", &key),
                ("footer", "Fußzeile"),
                ("iban", "NL00 ABNA 0417 1643 00"),
            ],
        )
        .await;
    let refused_status = refused.status();
    let refused_page = refused.text().await.unwrap();
    let events_after_refusal = server.event_count().await;
    let saved = panel
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("key", &key),
                ("footer", "Fußzeile"),
                ("iban", "NL91 ABNA 0417 1643 00"),
            ],
        )
        .await;

    // Assert
    assert_eq!(
        refused_status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{refused_page}"
    );
    assert!(refused_page.contains("payment.iban"), "{refused_page}");
    assert_eq!(events_after_refusal, events, "a refusal writes nothing");
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let current = call(
        &server,
        ADMIN_TOKEN,
        Method::GET,
        &format!("/v1/companies/{company}/document-template"),
        None,
    )
    .await;
    assert_eq!(current.body["footer"], "Fußzeile", "{current:?}");
    assert_eq!(
        current.body["payment"]["iban"], "NL91ABNA0417164300",
        "{current:?}"
    );
    let (_, shown) = panel.get(&format!("{path}?done=saved")).await;
    assert!(shown.contains("id=\"saved\""), "{shown}");
    assert!(shown.contains("NL91ABNA0417164300"), "{shown}");
}
