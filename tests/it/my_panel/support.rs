//! Support in the customer panel: a ticket opened with a file, answered by staff, replied to,
//! closed and reopened; another client's user finds none of it; bad files and forged forms
//! write nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::TestServer;

use super::{MyPanel, PASSWORD, csrf, user};

/// A tiny PNG: the signature and an empty IHDR is enough for the type check.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR";

/// The ticket id in a `/my/tickets/{id}?at=…` address.
fn ticket_in(location: &str) -> String {
    location
        .trim_start_matches("/my/tickets/")
        .split('?')
        .next()
        .unwrap()
        .to_owned()
}

/// The key of the form with `id` on a page.
fn key_of(html: &str, form: &str) -> String {
    let start = html
        .find(&format!("id=\"{form}\""))
        .unwrap_or_else(|| panic!("no form #{form} in {html}"));
    let marker = "name=\"key\" value=\"";
    let at = html[start..].find(marker).unwrap() + start + marker.len();
    html[at..].split('"').next().unwrap().to_owned()
}

async fn ticket(server: &TestServer, id: &str) -> Value {
    let head = server.settled().await;
    let answer = server
        .get(&format!("/v1/tickets/{id}?min_position={head}"))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    answer.body
}

#[tokio::test]
async fn a_client_opens_a_ticket_with_a_file_reads_the_answer_replies_closes_and_reopens_it_and_nobody_else_sees_it()
 {
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let ada = server.client(&provider, "Ada Lovelace").await;
    let bob = server.client(&provider, "Bob Owing").await;
    let ada_owner = user(&server, &ada, &["owner"]).await;
    let bob_owner = user(&server, &bob, &["owner"]).await;
    let my = MyPanel::sign_in(&server, &ada_owner, PASSWORD).await;

    let list = my.get("/my/tickets").await;
    assert_eq!(list.status, StatusCode::OK, "{list:?}");
    assert!(list.body.contains("No open tickets."), "{}", list.body);
    let key = key_of(&list.body, "open-ticket");
    let fields = [
        ("key", key.as_str()),
        ("subject", "Server does not boot"),
        ("body", "Since the kernel update.\nScreenshot attached."),
    ];
    let files: [(&str, &str, &[u8]); 1] = [("screen.png", "image/png", PNG)];
    let events = server.event_count().await;
    let opened = my
        .post_files("/my/tickets", "/my/tickets", &fields, &files)
        .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{opened:?}");
    let id = ticket_in(opened.location.as_deref().unwrap());
    // The same form sent again (a double click) opens nothing more and leads to the same ticket.
    let again = my
        .post_files("/my/tickets", "/my/tickets", &fields, &files)
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{again:?}");
    assert_eq!(ticket_in(again.location.as_deref().unwrap()), id);
    let written = server.event_count().await - events;

    let over_api = ticket(&server, &id).await;
    assert_eq!(over_api["subject"], "Server does not boot");
    assert_eq!(over_api["client_id"], ada.as_str());
    let files_sent = &over_api["messages"][0]["attachments"];
    assert_eq!(files_sent[0]["file_name"], "screen.png");
    assert_eq!(files_sent[0]["size_bytes"], PNG.len());
    let page = my.get(opened.location.as_deref().unwrap()).await;
    assert_eq!(page.status, StatusCode::OK, "{page:?}");
    assert!(
        page.body.contains("Since the kernel update."),
        "{}",
        page.body
    );
    let sha = files_sent[0]["sha256"].as_str().unwrap();
    let link = format!("/my/tickets/{id}/attachments/{sha}");
    assert!(page.body.contains(&link), "{}", page.body);
    let download = my.get(&link).await;
    assert_eq!(download.status, StatusCode::OK, "{download:?}");
    assert_eq!(download.content_type, "image/png");

    // Staff answer over the API; the client reads it and replies with a text file.
    let answered = server
        .post(
            &format!("/v1/tickets/{id}/messages"),
            json!({"body": "Boot the rescue image, please."}),
        )
        .await;
    assert_eq!(answered.status, StatusCode::CREATED, "{answered:?}");
    server.settled().await;
    let home = my.get("/my").await;
    assert!(home.body.contains("Server does not boot"), "{}", home.body);
    let page = my.get(&format!("/my/tickets/{id}")).await;
    assert!(page.body.contains("Boot the rescue image, please."));
    assert!(page.body.contains("Support ·"), "{}", page.body);
    let reply_key = key_of(&page.body, "reply");
    let replied = my
        .post_files(
            &format!("/my/tickets/{id}"),
            &format!("/my/tickets/{id}/messages"),
            &[("key", &reply_key), ("body", "It boots now, thank you.")],
            &[(
                "dmesg.txt",
                "text/plain",
                b"[    0.000000] Linux version 6.1",
            )],
        )
        .await;
    assert_eq!(replied.status, StatusCode::SEE_OTHER, "{replied:?}");
    let thread = ticket(&server, &id).await;
    let messages = thread["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3, "{thread}");
    assert_eq!(messages[2]["body"], "It boots now, thank you.");
    assert_eq!(messages[2]["author_side"], "client");
    assert_eq!(messages[2]["attachments"][0]["file_name"], "dmesg.txt");

    // Bob's user finds none of it: the ticket, its file, its forms all answer 404.
    let bobs = MyPanel::sign_in(&server, &bob_owner, PASSWORD).await;
    let events = server.event_count().await;
    for path in [format!("/my/tickets/{id}"), link.clone()] {
        let seen = bobs.get(&path).await;
        assert_eq!(seen.status, StatusCode::NOT_FOUND, "{path}: {seen:?}");
        assert!(!seen.body.contains("Server does not boot"));
    }
    let bob_list = bobs.get("/my/tickets").await;
    assert!(!bob_list.body.contains(&id));
    let key = uuid::Uuid::now_v7().to_string();
    let pushed = bobs
        .post_files(
            "/my/tickets",
            &format!("/my/tickets/{id}/messages"),
            &[("key", &key), ("body", "Mine now")],
            &[],
        )
        .await;
    assert_eq!(pushed.status, StatusCode::NOT_FOUND, "{pushed:?}");
    let closed_by_bob = bobs
        .post(
            "/my/tickets",
            &format!("/my/tickets/{id}/close"),
            &[("key", &key)],
        )
        .await;
    assert_eq!(
        closed_by_bob.status,
        StatusCode::NOT_FOUND,
        "{closed_by_bob:?}"
    );
    assert_eq!(server.event_count().await, events, "nothing written");

    // Ada closes it: it moves to the archive; she reopens it.
    let page = my.get(&format!("/my/tickets/{id}")).await;
    let close_key = key_of(&page.body, "close");
    let closed = my
        .post(
            &format!("/my/tickets/{id}"),
            &format!("/my/tickets/{id}/close"),
            &[("key", &close_key)],
        )
        .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER, "{closed:?}");
    assert_eq!(ticket(&server, &id).await["status"], "closed");
    let archive = my.get("/my/tickets?view=archived").await;
    assert!(archive.body.contains(&id), "{}", archive.body);
    assert!(!my.get("/my/tickets").await.body.contains(&id));
    let page = my.get(&format!("/my/tickets/{id}")).await;
    assert!(
        !page.body.contains("id=\"reply\""),
        "no reply to a closed ticket"
    );
    let reopen_key = key_of(&page.body, "reopen");
    let reopened = my
        .post(
            &format!("/my/tickets/{id}"),
            &format!("/my/tickets/{id}/reopen"),
            &[("key", &reopen_key)],
        )
        .await;
    assert_eq!(reopened.status, StatusCode::SEE_OTHER, "{reopened:?}");
    assert_ne!(ticket(&server, &id).await["status"], "closed");
    assert!(written > 0);
}

#[tokio::test]
async fn a_file_that_is_not_what_it_says_a_forged_form_and_a_missing_subject_write_nothing() {
    let server = TestServer::start().await;
    let provider = server.provider("EUR").await;
    let ada = server.client(&provider, "Ada Lovelace").await;
    let owner = user(&server, &ada, &["technical"]).await;
    let my = MyPanel::sign_in(&server, &owner, PASSWORD).await;
    let list = my.get("/my/tickets").await;
    let key = key_of(&list.body, "open-ticket");
    let events = server.event_count().await;

    let fake = my
        .post_files(
            "/my/tickets",
            "/my/tickets",
            &[
                ("key", &key),
                ("subject", "Invoice"),
                ("body", "See the file."),
            ],
            &[("invoice.png", "image/png", b"MZ\x90\x00 not an image")],
        )
        .await;
    assert_eq!(fake.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{fake:?}");
    assert!(fake.body.contains("is not image/png"), "{}", fake.body);
    // The form is shown again with the problem, ready to be sent once mended.
    assert!(fake.body.contains("id=\"open-ticket\""));

    let empty = my
        .post_files(
            "/my/tickets",
            "/my/tickets",
            &[("key", &key), ("subject", "  "), ("body", "No subject.")],
            &[],
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY, "{empty:?}");

    let forged = my
        .post_files(
            "/my/tickets",
            "/my/tickets",
            &[
                ("csrf", "0123abcd"),
                ("key", &key),
                ("subject", "Forged"),
                ("body", "From another site."),
            ],
            &[],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{forged:?}");
    let six: Vec<(&str, &str, &[u8])> = (0..6).map(|_| ("a.png", "image/png", PNG)).collect();
    let too_many = my
        .post_files(
            "/my/tickets",
            "/my/tickets",
            &[
                ("key", &key),
                ("subject", "Six files"),
                ("body", "Too many."),
            ],
            &six,
        )
        .await;
    assert_eq!(
        too_many.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{too_many:?}"
    );
    assert_eq!(server.event_count().await, events, "nothing written");
    // The CSRF token of the page really is the session's: the same form with it goes through.
    assert!(!csrf(&list.body).is_empty());
}
