//! The notifier: e-mail to clients for notice events, once per event (ADR 9).
//!
//! Two halves, joined by the `notifications` outbox table:
//!
//! 1. [`Outbox`] runs in the projection engine like a process manager: for each notice event
//!    (a service activated, expiring, suspended or deleted, a payment credited, an invoice
//!    issued or sent again on request, a charge that took the balance below zero, a support
//!    answer) it inserts one row keyed by the event's id, in the same transaction that moves its
//!    checkpoint. So each request to send a document sends it once. Reading the log
//!    again (a restart, a rebuild from zero) meets the key and queues nothing twice. It is never
//!    emptied: it owns no table a rebuild would truncate.
//! 2. [`deliver_batch`] claims due rows (status `sending` with a lease, committed before
//!    anything is sent), renders each in the client's language from the message templates and
//!    sends it over SMTP with a `Message-ID` derived from the event id, then marks it `sent`. A
//!    crash between sending and marking leaves a `sending` row whose lease runs out; it is sent
//!    again with the same `Message-ID`, so a duplicate is recognisable (at least once, never
//!    lost). A client who does not subscribe to the kind gets nothing (`skipped`); without SMTP
//!    settings a row is rendered and marked `not_configured`.
//!
//! Rendering reads the `clients`, `services`, `balances`, `invoices` and `support` read models;
//! a row is claimed only once all of them have applied its event, so it is rendered from data
//! at least as new as the notice.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use domain::notice::{self, NoticeKind};
use eventstore::log::StoredEvent;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use tokio::sync::watch;
use uuid::Uuid;

use crate::engine::checkpoint;
use crate::{Projection, ProjectionError};
use notices::notice_of;

mod notices;

/// The read models a notice is rendered from.
pub const RENDERED_FROM: [&str; 7] = [
    "clients", "services", "balances", "invoices", "support", "access", "domains",
];

/// How long a claimed row is left to its sender before another may send it again.
const LEASE_SECS: i64 = 120;
/// After this many failed attempts a row is given up (`failed`).
const ATTEMPTS_MAX: i32 = 8;
/// Notices whose event is older than this when first claimed are not sent (`stale`): a notifier
/// deployed over a long log must not mail every client about years of history.
const STALE_AFTER_DAYS: i32 = 3;

/// The parameter marking a notice staff asked for: it goes out whatever the client subscribed
/// to (the client's subscriptions are about notices the billing core sends on its own).
const ON_REQUEST: &str = "on_request";
/// The parameter with the address staff asked a notice to be sent to, instead of the client's.
const ON_REQUEST_TO: &str = "on_request_to";

/// Fills the outbox from the log.
pub struct Outbox;

#[async_trait]
impl Projection for Outbox {
    fn name(&self) -> &'static str {
        "notifier"
    }

    fn version(&self) -> i32 {
        1
    }

    fn tables(&self) -> &'static [&'static str] {
        // The outbox is never emptied: its keys are what keeps a notice from going out twice.
        &[]
    }

    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        // Most events ask for no notice; those that do are queued with one statement per batch.
        let mut queued = Queued::default();
        for event in events {
            if let Some(params) = crate::reset_link::params_of(event).map_err(|e| e.at(event))? {
                queued
                    .push(event, crate::reset_link::KIND, params)
                    .map_err(|e| e.at(event))?;
                continue;
            }
            let Some((kind, params)) = notice_of(event).map_err(|e| e.at(event))? else {
                continue;
            };
            queued
                .push(event, kind.as_str(), params)
                .map_err(|e| e.at(event))?;
        }
        queued.insert(tx).await?;
        Ok(())
    }
}

/// The `Message-ID` of the e-mail of the notice of event `event_id`: the same on every attempt,
/// so that a resend after a crash is recognisable as the same message.
pub fn message_id(event_id: Uuid) -> String {
    format!("<{}@notice.billing>", event_id.simple())
}

/// Notices to queue, as columns.
#[derive(Default)]
struct Queued {
    event_ids: Vec<Uuid>,
    kinds: Vec<&'static str>,
    subject_types: Vec<String>,
    subject_ids: Vec<Uuid>,
    params: Vec<Value>,
    tx_ids: Vec<i64>,
    positions: Vec<i64>,
    recorded_at: Vec<chrono::DateTime<chrono::Utc>>,
    message_ids: Vec<String>,
}

impl Queued {
    fn push(
        &mut self,
        event: &StoredEvent,
        kind: &'static str,
        params: Value,
    ) -> Result<(), ProjectionError> {
        let event_id = event.metadata()?.event_id;
        let subject_id = Uuid::parse_str(&event.aggregate_id)
            .map_err(|e| ProjectionError::Malformed(format!("subject id: {e}")))?;
        self.event_ids.push(event_id);
        self.kinds.push(kind);
        self.subject_types.push(event.aggregate_type.clone());
        self.subject_ids.push(subject_id);
        self.params.push(params);
        self.tx_ids.push(event.tx_id);
        self.positions.push(event.position);
        self.recorded_at.push(event.recorded_at);
        self.message_ids.push(message_id(event_id));
        Ok(())
    }

    async fn insert(self, tx: &mut PgConnection) -> Result<(), sqlx::Error> {
        if self.event_ids.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO notifications (event_id, kind, subject_type, subject_id, params, tx_id,
                                        position, recorded_at, message_id)
             SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::jsonb[],
                                  $6::bigint[], $7::bigint[], $8::timestamptz[], $9::text[])
             ON CONFLICT (event_id) DO NOTHING",
        )
        .bind(&self.event_ids)
        .bind(&self.kinds)
        .bind(&self.subject_types)
        .bind(&self.subject_ids)
        .bind(&self.params)
        .bind(&self.tx_ids)
        .bind(&self.positions)
        .bind(&self.recorded_at)
        .bind(&self.message_ids)
        .execute(tx)
        .await?;
        Ok(())
    }
}

/// Why delivering failed; the sender logs it and tries again later.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The database refused or could not be reached.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The SMTP settings do not make sense.
    #[error("invalid SMTP settings: {0}")]
    Settings(String),
}

/// Where e-mail goes: an SMTP relay, or nowhere (notices are still rendered and recorded).
#[derive(Clone)]
pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Option<Mailbox>,
    /// The public base URL of the panels, for links in e-mail (`BILLING_PUBLIC_URL`); without
    /// one, links are paths.
    public_url: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("configured", &self.transport.is_some())
            .field("from", &self.from.as_ref().map(ToString::to_string))
            .finish()
    }
}

impl Mailer {
    /// A mailer that sends nothing: notices are rendered and recorded as `not_configured`.
    pub fn none() -> Mailer {
        Mailer {
            transport: None,
            from: None,
            public_url: String::new(),
        }
    }

    /// A mailer for `smtp_url` (`smtp://[user:password@]host[:port]`, plain SMTP to a relay;
    /// port 25 by default) sending from `from`; with no URL, nothing is sent.
    pub fn new(smtp_url: Option<&str>, from: &str) -> Result<Mailer, NotifyError> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| NotifyError::Settings(format!("from address {from:?}: {e}")))?;
        let Some(url) = smtp_url.filter(|u| !u.is_empty()) else {
            return Ok(Mailer {
                transport: None,
                from: Some(from),
                public_url: String::new(),
            });
        };
        let bad = |why: &str| NotifyError::Settings(format!("{why}; expected smtp://host:port"));
        let rest = url
            .strip_prefix("smtp://")
            .ok_or_else(|| bad("only smtp:// URLs are supported"))?;
        let rest = rest.trim_end_matches('/');
        let (credentials, address) = match rest.rsplit_once('@') {
            Some((credentials, address)) => (Some(credentials), address),
            None => (None, rest),
        };
        let (host, port) = match address.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse::<u16>()
                    .map_err(|_| bad("the port is not a number"))?,
            ),
            None => (address, 25),
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .timeout(Some(Duration::from_secs(15)));
        if let Some(credentials) = credentials {
            let (user, password) = credentials.split_once(':').unwrap_or((credentials, ""));
            builder = builder.credentials(Credentials::new(user.to_owned(), password.to_owned()));
        }
        Ok(Mailer {
            transport: Some(builder.build()),
            from: Some(from),
            public_url: String::new(),
        })
    }

    /// The same mailer, making links under `public_url` (such as `https://billing.example.com`).
    pub fn with_public_url(mut self, public_url: &str) -> Mailer {
        public_url
            .trim_end_matches('/')
            .clone_into(&mut self.public_url);
        self
    }

    /// Whether e-mail is sent at all.
    pub fn is_configured(&self) -> bool {
        self.transport.is_some()
    }
}

/// One claimed row of the outbox.
#[derive(sqlx::FromRow)]
struct Claimed {
    event_id: Uuid,
    kind: String,
    subject_type: String,
    subject_id: Uuid,
    params: Value,
    message_id: String,
    stale: bool,
}

/// What became of one notice.
enum Outcome {
    Sent(Rendered),
    NotConfigured(Rendered),
    Skipped(Option<Uuid>, &'static str),
    Failed(Rendered, String),
}

struct Rendered {
    client_id: Uuid,
    to: String,
    language: String,
    subject: String,
    /// The text recorded in the outbox.
    body: String,
    /// The text sent, when it differs from the one recorded (a reset link is sent, never kept).
    sent_body: Option<String>,
}

/// The lowest checkpoint of the read models notices are rendered from, or `None` while one of
/// them has none yet.
async fn rendered_up_to(pool: &PgPool) -> Result<Option<(i64, i64)>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let mut lowest: Option<(i64, i64)> = None;
    for name in RENDERED_FROM {
        let Some(found) = checkpoint(&mut conn, name).await? else {
            return Ok(None);
        };
        let at = (found.at.tx_id, found.at.position);
        lowest = Some(lowest.map_or(at, |low| low.min(at)));
    }
    Ok(lowest)
}

/// Claims up to `limit` due notices, renders and sends them, and records each outcome. Returns
/// how many it handled.
pub async fn deliver_batch(
    pool: &PgPool,
    mailer: &Mailer,
    limit: i64,
) -> Result<usize, NotifyError> {
    let Some((tx_id, position)) = rendered_up_to(pool).await? else {
        return Ok(0);
    };
    // The claim commits before anything is sent: a crash from here on leaves `sending` rows
    // whose lease runs out, and the next claim takes them again.
    let claimed: Vec<Claimed> = sqlx::query_as(
        "WITH due AS (
            SELECT event_id FROM notifications
             WHERE (status = 'pending' OR (status = 'sending' AND lease_until < now()))
               AND next_attempt_at <= now()
               AND (tx_id, position) <= ($1, $2)
             ORDER BY tx_id, position
             LIMIT $3
             FOR UPDATE SKIP LOCKED)
         UPDATE notifications n
            SET status = 'sending', attempts = n.attempts + 1,
                lease_until = now() + make_interval(secs => $4)
           FROM due WHERE n.event_id = due.event_id
         RETURNING n.event_id, n.kind, n.subject_type, n.subject_id, n.params, n.message_id,
                   n.recorded_at < now() - make_interval(days => $5) AS stale",
    )
    .bind(tx_id)
    .bind(position)
    .bind(limit)
    .bind(LEASE_SECS)
    .bind(STALE_AFTER_DAYS)
    .fetch_all(pool)
    .await?;
    let count = claimed.len();
    for row in claimed {
        let outcome = if row.stale {
            Outcome::Skipped(None, "stale")
        } else {
            handle(pool, mailer, &row).await?
        };
        record(pool, row.event_id, outcome).await?;
    }
    Ok(count)
}

async fn handle(pool: &PgPool, mailer: &Mailer, row: &Claimed) -> Result<Outcome, NotifyError> {
    if row.kind == crate::reset_link::KIND {
        return match reset_mail(pool, mailer, row).await? {
            Some(rendered) => send(mailer, row, rendered).await,
            None => Ok(Outcome::Skipped(None, "no_user")),
        };
    }
    let Ok(kind) = row.kind.parse::<NoticeKind>() else {
        return Ok(Outcome::Skipped(None, "unknown_kind"));
    };
    let mut values: BTreeMap<String, String> = row
        .params
        .as_object()
        .map(|params| {
            params
                .iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    let client: Option<Uuid> = match row.subject_type.as_str() {
        "Service" => {
            let found: Option<(Uuid, String)> =
                sqlx::query_as("SELECT client_id, tariff_name FROM services WHERE id = $1")
                    .bind(row.subject_id)
                    .fetch_optional(pool)
                    .await?;
            found.map(|(client, name)| {
                values.insert("service".to_owned(), name);
                values.insert("service_id".to_owned(), row.subject_id.to_string());
                client
            })
        }
        "Account" => {
            sqlx::query_scalar("SELECT client_id FROM balances WHERE account_id = $1")
                .bind(row.subject_id)
                .fetch_optional(pool)
                .await?
        }
        "Invoice" => {
            values.insert("invoice_id".to_owned(), row.subject_id.to_string());
            sqlx::query_scalar("SELECT client_id FROM invoices WHERE invoice_id = $1")
                .bind(row.subject_id)
                .fetch_optional(pool)
                .await?
        }
        "Domain" => {
            let found: Option<(Uuid, String)> =
                sqlx::query_as("SELECT client_id, name FROM domains WHERE domain_id = $1")
                    .bind(row.subject_id)
                    .fetch_optional(pool)
                    .await?;
            found.map(|(client, name)| {
                values.insert("domain".to_owned(), name);
                values.insert("domain_id".to_owned(), row.subject_id.to_string());
                client
            })
        }
        "Ticket" => {
            let found: Option<(Uuid, String)> =
                sqlx::query_as("SELECT client_id, subject FROM tickets WHERE ticket_id = $1")
                    .bind(row.subject_id)
                    .fetch_optional(pool)
                    .await?;
            found.map(|(client, subject)| {
                values.insert("ticket_subject".to_owned(), subject);
                values.insert("ticket_id".to_owned(), row.subject_id.to_string());
                client
            })
        }
        _ => None,
    };
    let Some(client_id) = client else {
        return Ok(Outcome::Skipped(None, "no_client"));
    };
    let found: Option<(String, String, String)> =
        sqlx::query_as("SELECT name, email, status FROM clients WHERE id = $1")
            .bind(client_id)
            .fetch_optional(pool)
            .await?;
    let Some((name, mut email, status)) = found else {
        return Ok(Outcome::Skipped(Some(client_id), "no_client"));
    };
    if status == "deleted" || status == "merged" {
        return Ok(Outcome::Skipped(Some(client_id), "client_gone"));
    }
    values.insert("client_name".to_owned(), name);
    let on_request = values.remove(ON_REQUEST).is_some();
    if let Some(to) = values.remove(ON_REQUEST_TO) {
        email = to;
    }
    let settings: Option<(String, sqlx::types::Json<Vec<NoticeKind>>)> =
        sqlx::query_as("SELECT language, subscriptions FROM notice_settings WHERE client_id = $1")
            .bind(client_id)
            .fetch_optional(pool)
            .await?;
    let language = match settings {
        Some((_, subscriptions)) if !on_request && !subscriptions.0.contains(&kind) => {
            return Ok(Outcome::Skipped(Some(client_id), "skipped"));
        }
        Some((language, _)) => language,
        None => notice::Language::ENGLISH.to_string(),
    };
    // Staff's template in the client's language, else the built-in text in that language
    // (English and Russian have one), else staff's English template, else the built-in English.
    let templates: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT language, subject, body FROM message_templates
          WHERE kind = $1 AND language IN ($2, 'en')",
    )
    .bind(kind.as_str())
    .bind(&language)
    .fetch_all(pool)
    .await?;
    let written = |code: &str| {
        templates
            .iter()
            .find(|(l, _, _)| l == code)
            .map(|(_, s, b)| (s.clone(), b.clone()))
    };
    let built_in = |code: &str| {
        notice::Language::parse(code)
            .ok()
            .and_then(|l| kind.built_in(l))
            .map(|(s, b)| (s.to_owned(), b.to_owned()))
    };
    let in_language = written(&language).or_else(|| built_in(&language));
    // Amounts and dates as the language of the text writes them.
    let written_in = if in_language.is_some() {
        notice::Language::parse(&language).unwrap_or(notice::Language::ENGLISH)
    } else {
        notice::Language::ENGLISH
    };
    notice::localize(written_in, &mut values);
    let (subject, body) = in_language.or_else(|| written("en")).unwrap_or_else(|| {
        let (subject, body) = kind.default_template();
        (subject.to_owned(), body.to_owned())
    });
    let rendered = Rendered {
        client_id,
        to: email,
        language,
        subject: notice::render(&subject, &values),
        body: notice::render(&body, &values),
        sent_body: None,
    };
    send(mailer, row, rendered).await
}

/// The e-mail of a reset link, to the user's login, with the link's MAC in the text sent and a
/// placeholder in the text recorded; `None` when the user is unknown to the read model.
async fn reset_mail(
    pool: &PgPool,
    mailer: &Mailer,
    row: &Claimed,
) -> Result<Option<Rendered>, NotifyError> {
    let found: Option<(Uuid, String, String, Option<String>)> =
        sqlx::query_as("SELECT client_id, name, login, language FROM client_users WHERE id = $1")
            .bind(row.subject_id)
            .fetch_optional(pool)
            .await?;
    let Some((client_id, name, login, own_language)) = found else {
        return Ok(None);
    };
    let param = |name: &str| row.params.get(name).and_then(Value::as_str).unwrap_or("");
    let (Ok(request_id), Ok(expires_at)) = (
        Uuid::parse_str(param("request_id")),
        param("expires_at").parse::<chrono::DateTime<chrono::Utc>>(),
    ) else {
        return Ok(None);
    };
    let key = crate::reset_link::ResetKey::load(pool).await?;
    let link = key.link(&mailer.public_url, request_id, row.subject_id, expires_at);
    let minutes = param("minutes").parse::<i64>().unwrap_or(60);
    // The user's own language, else its client's, else English: the first the mail is written
    // in.
    let client_language = crate::support::notice_language(pool, client_id).await?;
    let language = [own_language, client_language]
        .into_iter()
        .flatten()
        .find(|code| crate::reset_link::mail(code, "", "", 0).is_some())
        .unwrap_or_else(|| notice::Language::ENGLISH.to_string());
    let mail = |link: &str| {
        crate::reset_link::mail(&language, &name, link, minutes)
            .or_else(|| crate::reset_link::mail("en", &name, link, minutes))
            .unwrap_or_default()
    };
    let (subject, sent) = mail(&link);
    let (_, kept) = mail("[the link is not kept]");
    Ok(Some(Rendered {
        client_id,
        to: login,
        language,
        subject,
        body: kept,
        sent_body: Some(sent),
    }))
}

/// Sends a rendered notice, if e-mail is configured.
async fn send(mailer: &Mailer, row: &Claimed, rendered: Rendered) -> Result<Outcome, NotifyError> {
    let (Some(transport), Some(from)) = (&mailer.transport, &mailer.from) else {
        return Ok(Outcome::NotConfigured(rendered));
    };
    let message = rendered
        .to
        .parse::<Mailbox>()
        .map_err(|e| e.to_string())
        .and_then(|to| {
            lettre::Message::builder()
                .message_id(Some(row.message_id.clone()))
                .from(from.clone())
                .to(to)
                .subject(rendered.subject.clone())
                .header(ContentType::TEXT_PLAIN)
                .body(
                    rendered
                        .sent_body
                        .clone()
                        .unwrap_or_else(|| rendered.body.clone()),
                )
                .map_err(|e| e.to_string())
        });
    let message = match message {
        Ok(message) => message,
        Err(error) => return Ok(Outcome::Failed(rendered, error)),
    };
    Ok(match transport.send(message).await {
        Ok(_) => Outcome::Sent(rendered),
        Err(error) => Outcome::Failed(rendered, error.to_string()),
    })
}

async fn record(pool: &PgPool, event_id: Uuid, outcome: Outcome) -> Result<(), sqlx::Error> {
    let (status, rendered, error) = match outcome {
        Outcome::Sent(rendered) => ("sent", Some(rendered), None),
        Outcome::NotConfigured(rendered) => ("not_configured", Some(rendered), None),
        Outcome::Skipped(client, why) => {
            sqlx::query(
                "UPDATE notifications SET status = $2, client_id = $3, lease_until = NULL
                  WHERE event_id = $1",
            )
            .bind(event_id)
            .bind(if why == "stale" { "stale" } else { "skipped" })
            .bind(client)
            .execute(pool)
            .await?;
            return Ok(());
        }
        Outcome::Failed(rendered, error) => ("failed", Some(rendered), Some(error)),
    };
    let rendered = rendered.as_ref();
    // A failed attempt goes back to `pending` with a growing pause, until it has been tried
    // ATTEMPTS_MAX times.
    sqlx::query(
        "UPDATE notifications
            SET status = CASE WHEN $2 <> 'failed' THEN $2
                              WHEN attempts >= $10 THEN 'failed' ELSE 'pending' END,
                next_attempt_at = now() + make_interval(secs => least(3600, 5 * 2 ^ attempts)),
                lease_until = NULL,
                client_id = $3, to_address = $4, language = $5, mail_subject = $6,
                mail_body = $7, last_error = $8,
                sent_at = CASE WHEN $2 = 'sent' THEN $9 ELSE sent_at END
          WHERE event_id = $1",
    )
    .bind(event_id)
    .bind(status)
    .bind(rendered.map(|r| r.client_id))
    .bind(rendered.map(|r| r.to.as_str()))
    .bind(rendered.map(|r| r.language.as_str()))
    .bind(rendered.map(|r| r.subject.as_str()))
    .bind(rendered.map(|r| r.body.as_str()))
    .bind(error)
    .bind(chrono::Utc::now())
    .bind(ATTEMPTS_MAX)
    .execute(pool)
    .await?;
    Ok(())
}

/// Delivers notices until `stop` turns true: a batch whenever there is one, else a short nap.
/// A message being sent when the stop comes is finished and recorded first.
pub async fn run_sender(pool: PgPool, mailer: Mailer, mut stop: watch::Receiver<bool>) {
    let mut backoff = Duration::from_millis(250);
    while !*stop.borrow() {
        let nap = match deliver_batch(&pool, &mailer, 20).await {
            Ok(0) => Duration::from_millis(250),
            Ok(_) => {
                backoff = Duration::from_millis(250);
                Duration::ZERO
            }
            Err(error) => {
                tracing::warn!(%error, "notifier step failed; retrying");
                backoff = (backoff * 2).min(Duration::from_secs(10));
                backoff
            }
        };
        if !nap.is_zero() {
            let _ = tokio::time::timeout(nap, stop.wait_for(|stopped| *stopped)).await;
        }
    }
}

// Queries: what the HTTP layer and the dashboard read.

/// One notice of the outbox.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NotificationRow {
    /// The event it is about.
    pub event_id: Uuid,
    /// The notice kind.
    pub kind: String,
    /// What became of it.
    pub status: String,
    /// The client.
    pub client_id: Option<Uuid>,
    /// The address it went to.
    pub to_address: Option<String>,
    /// The language it was rendered in.
    pub language: Option<String>,
    /// The rendered subject.
    pub subject: Option<String>,
    /// The rendered text.
    pub body: Option<String>,
    /// The e-mail's `Message-ID`.
    pub message_id: String,
    /// How many times it was tried.
    pub attempts: i32,
    /// When it was queued.
    pub queued_at: chrono::DateTime<chrono::Utc>,
    /// When it was sent.
    pub sent_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

/// The outbox, newest first, of one client and in one status if asked, before `before`
/// (queued at, event id), at most `limit`.
pub async fn notifications(
    pool: &PgPool,
    (client_id, kinds): (Option<Uuid>, Option<&[&str]>),
    status: Option<&str>,
    before: Option<(chrono::DateTime<chrono::Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<NotificationRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT event_id, kind, status, client_id, to_address, language,
                mail_subject AS subject, mail_body AS body, message_id, attempts, queued_at,
                sent_at, last_error
           FROM notifications
          WHERE ($1::uuid IS NULL OR client_id = $1)
            AND ($2::text IS NULL OR status = $2)
            AND ($3::timestamptz IS NULL OR (queued_at, event_id) < ($3, $4))
            AND ($6::text[] IS NULL OR kind = ANY($6))
          ORDER BY queued_at DESC, event_id DESC
          LIMIT $5",
    )
    .bind(client_id)
    .bind(status)
    .bind(before.map(|(at, _)| at))
    .bind(before.map(|(_, id)| id))
    .bind(limit)
    .bind(kinds)
    .fetch_all(pool)
    .await
}
