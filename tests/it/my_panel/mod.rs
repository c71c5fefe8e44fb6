//! The customer panel (`/my`) over HTTP: a client's user signs in with the API's login, sees its
//! own client only, and signs out for good. [`MyPanel`] is the signed-in session of plain HTTP
//! (reqwest, redirects not followed) that the customer panel's tests share; the browser flows use
//! `crate::browser::Browser`.

mod account;
mod domain_contacts;
mod home;
mod isolation;
mod journey;
mod money;
mod money_pages;
mod password;
mod payers;
mod promise;
mod quotes;
mod russian;
mod shop;
mod support;
mod top_ups;
mod users;

use reqwest::StatusCode;
use serde_json::json;
use tests::TestServer;

/// The customer panel's session cookie.
pub(crate) const SESSION_COOKIE: &str = "billing_my_session";

/// The password every test user is given.
pub(crate) const PASSWORD: &str = "a long enough passphrase";

/// A user of `client`'s account with `roles`, created over the API and applied by the read
/// models: its e-mail address.
pub(crate) async fn user(server: &TestServer, client: &str, roles: &[&str]) -> String {
    let email = format!("{}@example.com", uuid::Uuid::now_v7().simple());
    let created = server
        .post(
            &format!("/v1/clients/{client}/users"),
            json!({ "email": email, "name": "Test User", "password": PASSWORD, "roles": roles }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    server.settled().await;
    email
}

/// A signed-in customer panel session: the session cookie.
pub(crate) struct MyPanel {
    http: reqwest::Client,
    url: String,
    pub(crate) cookie: String,
}

/// An answer of the panel: its status, its `Location` (for a redirect) and its body.
#[derive(Debug)]
pub(crate) struct Page {
    pub(crate) status: StatusCode,
    pub(crate) location: Option<String>,
    pub(crate) content_type: String,
    pub(crate) body: String,
}

impl MyPanel {
    /// Signs in at `/my/login`; panics unless the panel answers with the session cookie.
    pub(crate) async fn sign_in(server: &TestServer, email: &str, password: &str) -> MyPanel {
        let http = client();
        let signed_in = http
            .post(format!("{}/my/login", server.url))
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .unwrap();
        assert_eq!(signed_in.status(), StatusCode::SEE_OTHER, "{signed_in:?}");
        let set_cookie = signed_in.headers()["set-cookie"].to_str().unwrap();
        assert!(set_cookie.contains("Path=/my"), "{set_cookie}");
        assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
        let cookie = set_cookie.split(';').next().unwrap().to_owned();
        MyPanel {
            http,
            url: server.url.clone(),
            cookie,
        }
    }

    /// `GET path` with the session cookie.
    pub(crate) async fn get(&self, path: &str) -> Page {
        let answer = self
            .http
            .get(format!("{}{path}", self.url))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        page(answer).await
    }

    /// `POST path` of a form with the session cookie and, unless `fields` has one, the CSRF token
    /// of the page `from`.
    pub(crate) async fn post(&self, from: &str, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut form: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        if !fields.iter().any(|(k, _)| *k == "csrf") {
            let shown = self.get(from).await;
            form.push(("csrf".to_owned(), csrf(&shown.body)));
        }
        let answer = self
            .http
            .post(format!("{}{path}", self.url))
            .header("cookie", &self.cookie)
            .form(&form)
            .send()
            .await
            .unwrap();
        page(answer).await
    }
}

impl MyPanel {
    /// `POST path` of a `multipart/form-data` form (a form with files, as a browser sends it)
    /// with the session cookie and, unless `fields` has one, the CSRF token of the page `from`.
    /// `files` are (file name, content type, bytes), each sent as a part named `files`.
    pub(crate) async fn post_files(
        &self,
        from: &str,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Page {
        let mut fields: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        if !fields.iter().any(|(k, _)| k == "csrf") {
            let shown = self.get(from).await;
            fields.push(("csrf".to_owned(), csrf(&shown.body)));
        }
        let boundary = format!("----my-panel-{}", uuid::Uuid::now_v7().simple());
        let mut body = Vec::new();
        for (name, value) in &fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        for (file_name, content_type, bytes) in files {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let answer = self
            .http
            .post(format!("{}{path}", self.url))
            .header("cookie", &self.cookie)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        page(answer).await
    }
}

/// A client that does not follow redirects, so that a test sees them.
pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub(crate) async fn page(answer: reqwest::Response) -> Page {
    let header = |name: &str| {
        answer
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let location = header("location");
    let content_type = header("content-type").unwrap_or_default();
    Page {
        status: answer.status(),
        location,
        content_type,
        body: answer.text().await.unwrap(),
    }
}

/// The first CSRF token of a page's forms.
pub(crate) fn csrf(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a form with a CSRF token") + marker.len();
    html[start..]
        .split('"')
        .next()
        .expect("a closing quote")
        .to_owned()
}
