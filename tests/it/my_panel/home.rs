//! Signing in to the customer panel, its first page, and signing out.

use reqwest::StatusCode;
use serde_json::json;
use tests::TestServer;

use super::{MyPanel, PASSWORD, user};

/// A provider with a 10.00 EUR VDS tariff, and two clients: Ada, who paid 100.00, has a credit
/// limit of 50.00, a VDS renewing automatically, an answered ticket and an announcement showing;
/// and Bob, who paid 7.00.
struct Scene {
    server: TestServer,
    ada: String,
    bob: String,
    ticket: String,
}

impl Scene {
    async fn new() -> Scene {
        let server = TestServer::start().await;
        let provider = server.provider("EUR").await;
        let vds = crate::panel::tariff(&server, &provider).await;
        let ada = server.client(&provider, "Ada Lovelace").await;
        let bob = server.client(&provider, "Bob Owing").await;
        for (client, amount) in [(&ada, "100.00"), (&bob, "7.00")] {
            let paid = server
                .post(
                    &format!("/v1/clients/{client}/payments"),
                    json!({"payment_id": uuid::Uuid::now_v7(), "amount": amount,
                           "currency": "EUR", "method": "bank_transfer"}),
                )
                .await;
            assert_eq!(paid.status, StatusCode::CREATED, "{paid:?}");
        }
        let limit = server
            .call(
                reqwest::Method::PUT,
                &format!("/v1/clients/{ada}/credit-limit"),
                Some(json!({"amount": "50.00", "currency": "EUR"})),
            )
            .await;
        assert!(limit.status.is_success(), "{limit:?}");
        let ordered = server
            .post(
                &format!("/v1/clients/{ada}/services"),
                json!({"tariff_id": vds, "period": "P1M"}),
            )
            .await;
        assert_eq!(ordered.status, StatusCode::CREATED, "{ordered:?}");
        crate::panel::robot(&server).await;
        let opened = server
            .post(
                &format!("/v1/clients/{ada}/tickets"),
                json!({"subject": "Reverse DNS", "body": "Please set the PTR record."}),
            )
            .await;
        assert_eq!(opened.status, StatusCode::CREATED, "{opened:?}");
        let ticket = opened.body["id"].as_str().unwrap().to_owned();
        let answered = server
            .post(
                &format!("/v1/tickets/{ticket}/messages"),
                json!({"body": "Done: it points at vds.example.com."}),
            )
            .await;
        assert_eq!(answered.status, StatusCode::CREATED, "{answered:?}");
        let now = chrono::Utc::now();
        let announced = server
            .post(
                "/v1/announcements",
                json!({"announcement_id": uuid::Uuid::now_v7(), "provider_id": provider,
                       "title": "Maintenance on Saturday night", "body": "Network work 02:00–03:00 UTC.",
                       "valid_from": now - chrono::Duration::hours(1),
                       "valid_until": now + chrono::Duration::days(2)}),
            )
            .await;
        assert_eq!(announced.status, StatusCode::CREATED, "{announced:?}");
        server.settled().await;
        Scene {
            server,
            ada,
            bob,
            ticket,
        }
    }
}

#[tokio::test]
async fn a_clients_owner_signs_in_sees_balance_credit_renewals_announcements_and_answers_then_signs_out_for_good()
 {
    let scene = Scene::new().await;
    let server = &scene.server;
    let email = user(server, &scene.ada, &["owner"]).await;
    // Unsigned, the panel sends to its sign-in form.
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/my", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    assert_eq!(anonymous.headers()["location"], "/my/login");

    let my = MyPanel::sign_in(server, &email, PASSWORD).await;
    let home = my.get("/my").await;
    assert_eq!(home.status, StatusCode::OK, "{home:?}");
    assert!(home.content_type.starts_with("text/html"), "{home:?}");
    // 100.00 paid, 10.00 charged for the first month; 50.00 of credit on top.
    assert!(home.body.contains(">90.00 EUR</b>"), "{}", home.body);
    assert!(
        home.body.contains("Credit limit 50.00 EUR"),
        "{}",
        home.body
    );
    assert!(home.body.contains("available 140.00 EUR"), "{}", home.body);
    let due = section(&home.body, "due");
    assert!(due.contains("VDS Small"), "{due}");
    assert!(due.contains("10.00 EUR"), "{due}");
    let month = (chrono::Utc::now().date_naive() + chrono::Months::new(1)).to_string();
    assert!(due.contains(&month[..7]), "renews a month on: {due}");
    assert!(home.body.contains("Maintenance on Saturday night"));
    let answered = section(&home.body, "answered");
    assert!(answered.contains("Reverse DNS"), "{answered}");
    assert!(answered.contains(&scene.ticket), "{answered}");
    // Bob's account is nowhere on Ada's page.
    assert!(!home.body.contains("7.00 EUR"), "{}", home.body);
    assert!(!home.body.contains(&scene.bob));

    // Signing out needs the session's CSRF token: a forged form leaves the session alive.
    let forged = my.post("/my", "/my/logout", &[("csrf", "forged")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{forged:?}");
    assert_eq!(my.get("/my").await.status, StatusCode::OK);
    let out = my.post("/my", "/my/logout", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER, "{out:?}");
    assert_eq!(out.location.as_deref(), Some("/my/login"));
    // The token is revoked, not only the cookie cleared: a kept copy opens nothing.
    let again = my.get("/my").await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{again:?}");
    let token = my.cookie.split_once('=').unwrap().1;
    let api = reqwest::Client::new()
        .get(format!("{}/v1/auth/me", server.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_billing_user_sees_no_services_a_wrong_password_is_refused_and_staff_have_their_own_door()
{
    let scene = Scene::new().await;
    let server = &scene.server;
    // The billing role reads money, not services (as over the API).
    let email = user(server, &scene.ada, &["billing"]).await;
    let my = MyPanel::sign_in(server, &email, PASSWORD).await;
    let home = my.get("/my").await;
    assert_eq!(home.status, StatusCode::OK, "{home:?}");
    assert!(home.body.contains(">90.00 EUR</b>"), "{}", home.body);
    assert!(!home.body.contains("Due next"), "{}", home.body);
    assert!(!home.body.contains("VDS Small"), "{}", home.body);

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let sign_in = |email: String, password: &'static str| {
        let http = http.clone();
        let url = format!("{}/my/login", server.url);
        async move {
            http.post(url)
                .form(&[("email", email.as_str()), ("password", password)])
                .send()
                .await
                .unwrap()
        }
    };
    let wrong = sign_in(email.clone(), "not the passphrase").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.headers().get("set-cookie").is_none());
    assert!(wrong.text().await.unwrap().contains("is not right"));

    // A member of staff signs in at the staff panel, not here; nor does its session open `/my`.
    let staff = server
        .post(
            "/v1/staff",
            json!({"name": "Desk", "email": "desk@example.com", "password": PASSWORD,
                   "administrator": true}),
        )
        .await;
    assert_eq!(staff.status, StatusCode::CREATED, "{staff:?}");
    server.settled().await;
    let at_my = sign_in("desk@example.com".to_owned(), PASSWORD).await;
    assert_eq!(at_my.status(), StatusCode::UNAUTHORIZED);
    assert!(at_my.headers().get("set-cookie").is_none());
    let dashboard = http
        .post(format!("{}/dashboard/login", server.url))
        .form(&[("email", "desk@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(dashboard.status(), StatusCode::SEE_OTHER);
    let staff_cookie = dashboard.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .replace("billing_session=", "billing_my_session=");
    let borrowed = http
        .get(format!("{}/my", server.url))
        .header("cookie", staff_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(borrowed.status(), StatusCode::SEE_OTHER);
    assert_eq!(borrowed.headers()["location"], "/my/login");
    // And the client's user has no door into the staff panel.
    let client_at_staff = http
        .post(format!("{}/dashboard/login", server.url))
        .form(&[("email", email.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(client_at_staff.status(), StatusCode::UNAUTHORIZED);
}

/// The part of a page from the element with `id` to the end of its table.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let end = html[start..]
        .find("</table>")
        .map_or(html.len(), |e| start + e);
    &html[start..end]
}
