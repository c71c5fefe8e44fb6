// Over 800 lines: the support center's writes, then the queries next to them (one read model).
//! The support center's read models: tickets and their messages (the unanswered queue, a
//! client's open and archived tickets, response times), ticket categories, answer templates,
//! announcements, message templates and clients' notice settings.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::desk::{AnnouncementEvent, AnswerTemplateEvent, CategoryEvent};
use domain::notice::{MessageTemplateEvent, NoticeSettingsEvent};
use domain::ticket::{Attachment, Author, TicketEvent};
use eventstore::log::StoredEvent;
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use crate::{Projection, ProjectionError};

/// The tables of the support center.
pub struct Support;

/// Every table [`Support`] owns.
pub const TABLES: &[&str] = &[
    "tickets",
    "ticket_messages",
    "ticket_categories",
    "answer_templates",
    "announcements",
    "message_templates",
    "notice_settings",
];

#[async_trait]
impl Projection for Support {
    fn name(&self) -> &'static str {
        crate::ReadModel::Support.name()
    }

    fn version(&self) -> i32 {
        1
    }

    fn tables(&self) -> &'static [&'static str] {
        TABLES
    }

    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        for event in events {
            let applied = match event.aggregate_type.as_str() {
                "Ticket" => apply_ticket(tx, event).await,
                "TicketCategory" => apply_category(tx, event).await,
                "AnswerTemplate" => apply_answer_template(tx, event).await,
                "Announcement" => apply_announcement(tx, event).await,
                "MessageTemplate" => apply_message_template(tx, event).await,
                "NoticeSettings" => apply_notice_settings(tx, event).await,
                _ => Ok(()),
            };
            applied.map_err(|e| e.at(event))?;
        }
        Ok(())
    }
}

fn id_of(event: &StoredEvent) -> Result<Uuid, ProjectionError> {
    Uuid::parse_str(&event.aggregate_id)
        .map_err(|e| ProjectionError::Malformed(format!("aggregate id: {e}")))
}

#[expect(
    clippy::too_many_arguments,
    reason = "one row of a message, each column a value"
)]
async fn insert_message(
    tx: &mut PgConnection,
    ticket: Uuid,
    message: Uuid,
    author: &Author,
    body: &str,
    attachments: &[Attachment],
    at: DateTime<Utc>,
    response_seconds: Option<i64>,
    position: i64,
) -> Result<(), sqlx::Error> {
    let side = match author.side {
        domain::ticket::Side::Client => "client",
        domain::ticket::Side::Staff => "staff",
    };
    sqlx::query(
        "INSERT INTO ticket_messages (message_id, ticket_id, department_id, author_side, author,
                                      body, attachments, at, response_seconds, position)
         SELECT $1, $2, t.department_id, $3, $4, $5, $6, $7, $8, $9
           FROM tickets t WHERE t.ticket_id = $2",
    )
    .bind(message)
    .bind(ticket)
    .bind(side)
    .bind(&author.actor)
    .bind(body)
    .bind(Json(attachments))
    .bind(at)
    .bind(response_seconds)
    .bind(position)
    .execute(tx)
    .await?;
    Ok(())
}

async fn apply_ticket(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    let id = id_of(event)?;
    match event.decode::<TicketEvent>()? {
        TicketEvent::TicketOpened {
            client_id,
            provider_id,
            department_id,
            category_id,
            subject,
            message_id,
            author,
            body,
            attachments,
            at,
            status,
            awaiting_since,
            ..
        } => {
            sqlx::query(
                "INSERT INTO tickets (ticket_id, client_id, provider_id, department_id, staff_id,
                                      category_id, subject, status, awaiting_since, opened_by,
                                      opened_at, updated_at, closed_at, messages, position)
                 VALUES ($1, $2, $3, $4, NULL, $5, $6, $7, $8, $9, $10, $10, NULL, 1, $11)",
            )
            .bind(id)
            .bind(client_id.as_uuid())
            .bind(provider_id.as_uuid())
            .bind(department_id.as_uuid())
            .bind(category_id.map(|c| c.as_uuid()))
            .bind(subject.as_str())
            .bind(status.as_str())
            .bind(awaiting_since)
            .bind(&author.actor)
            .bind(at)
            .bind(event.position)
            .execute(&mut *tx)
            .await?;
            insert_message(
                tx,
                id,
                message_id.as_uuid(),
                &author,
                &body,
                &attachments,
                at,
                None,
                event.position,
            )
            .await?;
        }
        TicketEvent::TicketReplied {
            message_id,
            author,
            body,
            attachments,
            at,
            response_seconds,
            status,
            awaiting_since,
        } => {
            insert_message(
                tx,
                id,
                message_id.as_uuid(),
                &author,
                &body,
                &attachments,
                at,
                response_seconds,
                event.position,
            )
            .await?;
            sqlx::query(
                "UPDATE tickets SET status = $2, awaiting_since = $3, updated_at = $4,
                        messages = messages + 1, position = $5
                  WHERE ticket_id = $1",
            )
            .bind(id)
            .bind(status.as_str())
            .bind(awaiting_since)
            .bind(at)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
        TicketEvent::TicketAssigned {
            department_id,
            staff_id,
            at,
            ..
        } => {
            sqlx::query(
                "UPDATE tickets SET department_id = $2, staff_id = $3, updated_at = $4,
                        position = $5
                  WHERE ticket_id = $1",
            )
            .bind(id)
            .bind(department_id.as_uuid())
            .bind(staff_id.map(|s| s.as_uuid()))
            .bind(at)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
        TicketEvent::TicketClosed { at, .. } => {
            sqlx::query(
                "UPDATE tickets SET status = 'closed', awaiting_since = NULL, closed_at = $2,
                        updated_at = $2, position = $3
                  WHERE ticket_id = $1",
            )
            .bind(id)
            .bind(at)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
        TicketEvent::TicketReopened {
            at,
            status,
            awaiting_since,
            ..
        } => {
            sqlx::query(
                "UPDATE tickets SET status = $2, awaiting_since = $3, closed_at = NULL,
                        updated_at = $4, position = $5
                  WHERE ticket_id = $1",
            )
            .bind(id)
            .bind(status.as_str())
            .bind(awaiting_since)
            .bind(at)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
    }
    Ok(())
}

async fn apply_category(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    let id = id_of(event)?;
    let at = event.metadata()?.occurred_at;
    match event.decode::<CategoryEvent>()? {
        CategoryEvent::TicketCategoryCreated {
            name,
            department_id,
            ..
        } => {
            sqlx::query(
                "INSERT INTO ticket_categories (category_id, name, department_id, archived,
                                                created_at, position)
                 VALUES ($1, $2, $3, false, $4, $5)",
            )
            .bind(id)
            .bind(name)
            .bind(department_id.map(|d| d.as_uuid()))
            .bind(at)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
        CategoryEvent::TicketCategoryArchived => {
            sqlx::query(
                "UPDATE ticket_categories SET archived = true, position = $2
                  WHERE category_id = $1",
            )
            .bind(id)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
    }
    Ok(())
}

async fn apply_answer_template(
    tx: &mut PgConnection,
    event: &StoredEvent,
) -> Result<(), ProjectionError> {
    let id = id_of(event)?;
    let at = event.metadata()?.occurred_at;
    match event.decode::<AnswerTemplateEvent>()? {
        AnswerTemplateEvent::AnswerTemplateSet { name, body, .. } => {
            sqlx::query(
                "INSERT INTO answer_templates (template_id, name, body, updated_at, position)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (template_id) DO UPDATE
                    SET name = $2, body = $3, updated_at = $4, position = $5",
            )
            .bind(id)
            .bind(name)
            .bind(body)
            .bind(at)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
        AnswerTemplateEvent::AnswerTemplateDeleted => {
            sqlx::query("DELETE FROM answer_templates WHERE template_id = $1")
                .bind(id)
                .execute(tx)
                .await?;
        }
    }
    Ok(())
}

async fn apply_announcement(
    tx: &mut PgConnection,
    event: &StoredEvent,
) -> Result<(), ProjectionError> {
    let id = id_of(event)?;
    match event.decode::<AnnouncementEvent>()? {
        AnnouncementEvent::AnnouncementPublished {
            provider_id,
            title,
            body,
            language,
            valid_from,
            valid_until,
            ..
        } => {
            sqlx::query(
                "INSERT INTO announcements (announcement_id, provider_id, title, body, language,
                                            valid_from, valid_until, withdrawn_at, position)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8)",
            )
            .bind(id)
            .bind(provider_id.as_uuid())
            .bind(title)
            .bind(body)
            .bind(language.map(|l| l.as_str().to_owned()))
            .bind(valid_from)
            .bind(valid_until)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
        AnnouncementEvent::AnnouncementWithdrawn { at } => {
            sqlx::query(
                "UPDATE announcements SET withdrawn_at = $2, position = $3
                  WHERE announcement_id = $1",
            )
            .bind(id)
            .bind(at)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
    }
    Ok(())
}

async fn apply_message_template(
    tx: &mut PgConnection,
    event: &StoredEvent,
) -> Result<(), ProjectionError> {
    let at = event.metadata()?.occurred_at;
    let MessageTemplateEvent::MessageTemplateSet {
        kind,
        language,
        subject,
        body,
    } = event.decode::<MessageTemplateEvent>()?;
    sqlx::query(
        "INSERT INTO message_templates (kind, language, subject, body, updated_at, position)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (kind, language) DO UPDATE
            SET subject = $3, body = $4, updated_at = $5, position = $6",
    )
    .bind(kind.as_str())
    .bind(language.as_str())
    .bind(subject)
    .bind(body)
    .bind(at)
    .bind(event.position)
    .execute(tx)
    .await?;
    Ok(())
}

async fn apply_notice_settings(
    tx: &mut PgConnection,
    event: &StoredEvent,
) -> Result<(), ProjectionError> {
    let NoticeSettingsEvent::NoticeSettingsSet {
        client_id,
        language,
        subscriptions,
    } = event.decode::<NoticeSettingsEvent>()?;
    sqlx::query(
        "INSERT INTO notice_settings (client_id, language, subscriptions, position)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (client_id) DO UPDATE
            SET language = $2, subscriptions = $3, position = $4",
    )
    .bind(client_id.as_uuid())
    .bind(language.as_str())
    .bind(Json(&subscriptions))
    .bind(event.position)
    .execute(tx)
    .await?;
    Ok(())
}

// Queries: what the HTTP layer and the dashboard read.

/// An announcement.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AnnouncementRow {
    /// Its id.
    pub announcement_id: Uuid,
    /// The provider whose clients see it.
    pub provider_id: Uuid,
    /// The title.
    pub title: String,
    /// The text.
    pub body: String,
    /// The language of the clients who see it, or every client.
    pub language: Option<String>,
    /// When it starts to show.
    pub valid_from: DateTime<Utc>,
    /// When it stops showing.
    pub valid_until: DateTime<Utc>,
    /// When it was taken down early.
    pub withdrawn_at: Option<DateTime<Utc>>,
}

/// Announcements, newest first (by start, then id), after the announcement `after` (its
/// start and id), at most `limit`: only those showing at `now` when `current`, and for `client`
/// only those of its provider in its language. Reads `clients` (the clients read model) for the
/// client's provider; `notice_settings` is ours.
pub async fn announcements(
    pool: &sqlx::PgPool,
    current: bool,
    client: Option<Uuid>,
    now: DateTime<Utc>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<AnnouncementRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT a.announcement_id, a.provider_id, a.title, a.body, a.language, a.valid_from,
                a.valid_until, a.withdrawn_at
           FROM announcements a
          WHERE (NOT $1 OR (a.withdrawn_at IS NULL AND a.valid_from <= $2 AND $2 < a.valid_until))
            AND ($3::uuid IS NULL OR (
                  a.provider_id = (SELECT provider_id FROM clients WHERE id = $3)
                  AND (a.language IS NULL OR a.language = coalesce(
                        (SELECT language FROM notice_settings WHERE client_id = $3), 'en'))))
            AND ($4::timestamptz IS NULL OR a.valid_from < $4
                 OR (a.valid_from = $4 AND a.announcement_id > $5))
          ORDER BY a.valid_from DESC, a.announcement_id
          LIMIT $6",
    )
    .bind(current)
    .bind(now)
    .bind(client)
    .bind(after.map(|(at, _)| at))
    .bind(after.map(|(_, id)| id))
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// A message template.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageTemplateRow {
    /// The notice kind.
    pub kind: String,
    /// The language.
    pub language: String,
    /// The subject.
    pub subject: String,
    /// The text.
    pub body: String,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// Every message template written, by kind and language.
pub async fn message_templates(
    pool: &sqlx::PgPool,
) -> Result<Vec<MessageTemplateRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT kind, language, subject, body, updated_at FROM message_templates
          ORDER BY kind, language",
    )
    .fetch_all(pool)
    .await
}

/// A ticket as listed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TicketRow {
    /// Its id.
    pub ticket_id: Uuid,
    /// The client.
    pub client_id: Uuid,
    /// The department it is in.
    pub department_id: Uuid,
    /// The staff member it is assigned to.
    pub staff_id: Option<Uuid>,
    /// Its category.
    pub category_id: Option<Uuid>,
    /// The subject.
    pub subject: String,
    /// `open`, `answered` or `closed`.
    pub status: String,
    /// Since when the client waits for an answer.
    pub awaiting_since: Option<DateTime<Utc>>,
    /// When it was opened.
    pub opened_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// How many messages it holds.
    pub messages: i32,
}

const TICKET_COLUMNS: &str = "ticket_id, client_id, department_id, staff_id, category_id, \
     subject, status, awaiting_since, opened_at, updated_at, closed_at, messages";

/// Which of a client's tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketFilter {
    /// Not closed.
    Open,
    /// Closed.
    Archived,
    /// Every one.
    All,
}

/// A client's tickets, the most recently changed first, before `before` (updated at, id), at
/// most `limit`.
pub async fn tickets_of_client(
    pool: &sqlx::PgPool,
    client_id: Uuid,
    filter: TicketFilter,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<TicketRow>, sqlx::Error> {
    let filter = match filter {
        TicketFilter::Open => "status <> 'closed'",
        TicketFilter::Archived => "status = 'closed'",
        TicketFilter::All => "true",
    };
    sqlx::query_as(&format!(
        "SELECT {TICKET_COLUMNS} FROM tickets
          WHERE client_id = $1 AND {filter}
            AND ($2::timestamptz IS NULL OR (updated_at, ticket_id) < ($2, $3))
          ORDER BY updated_at DESC, ticket_id DESC
          LIMIT $4"
    ))
    .bind(client_id)
    .bind(before.map(|(at, _)| at))
    .bind(before.map(|(_, id)| id))
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// One ticket.
pub async fn ticket(pool: &sqlx::PgPool, id: Uuid) -> Result<Option<TicketRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {TICKET_COLUMNS} FROM tickets WHERE ticket_id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// The unanswered queue: tickets whose client waits, longest waiting first, of `departments`
/// (every department's when `None`), after `after` (waiting since, id), at most `limit`.
pub async fn ticket_queue(
    pool: &sqlx::PgPool,
    departments: Option<Vec<Uuid>>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<TicketRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {TICKET_COLUMNS} FROM tickets
          WHERE awaiting_since IS NOT NULL
            AND ($1::uuid[] IS NULL OR department_id = ANY($1))
            AND ($2::timestamptz IS NULL OR (awaiting_since, ticket_id) > ($2, $3))
          ORDER BY awaiting_since, ticket_id
          LIMIT $4"
    ))
    .bind(departments)
    .bind(after.map(|(at, _)| at))
    .bind(after.map(|(_, id)| id))
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// How many tickets wait for an answer in each department (of `departments`, every
/// department's when `None`) and since when, the longest wait first.
pub async fn waiting_by_department(
    pool: &sqlx::PgPool,
    departments: Option<Vec<Uuid>>,
) -> Result<Vec<(Uuid, i64, DateTime<Utc>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT department_id, count(*), min(awaiting_since) FROM tickets
          WHERE awaiting_since IS NOT NULL
            AND ($1::uuid[] IS NULL OR department_id = ANY($1))
          GROUP BY 1 ORDER BY 3",
    )
    .bind(departments)
    .fetch_all(pool)
    .await
}

/// A message of a ticket.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRow {
    /// Its id.
    pub message_id: Uuid,
    /// `client` or `staff`.
    pub author_side: String,
    /// The author.
    pub author: String,
    /// The text.
    pub body: String,
    /// The files.
    pub attachments: Json<Vec<Attachment>>,
    /// When.
    pub at: DateTime<Utc>,
    /// The response time of a first staff answer, in business seconds.
    pub response_seconds: Option<i64>,
}

/// A ticket's messages, oldest first.
pub async fn messages_of_ticket(
    pool: &sqlx::PgPool,
    ticket_id: Uuid,
) -> Result<Vec<MessageRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT message_id, author_side, author, body, attachments, at, response_seconds
           FROM ticket_messages WHERE ticket_id = $1 ORDER BY position, message_id",
    )
    .bind(ticket_id)
    .fetch_all(pool)
    .await
}

/// The name of the file `sha256` as a message of `ticket_id` carries it: a digest alone opens
/// nothing.
pub async fn attachment_file_name(
    pool: &sqlx::PgPool,
    ticket_id: Uuid,
    sha256: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT a->>'file_name' FROM ticket_messages m,
                jsonb_array_elements(m.attachments) a
          WHERE m.ticket_id = $1 AND a->>'sha256' = $2
          LIMIT 1",
    )
    .bind(ticket_id)
    .bind(sha256)
    .fetch_optional(pool)
    .await
}

/// The bytes of the files the client's side has attached to `client_id`'s tickets.
pub async fn client_attachment_bytes(
    pool: &sqlx::PgPool,
    client_id: Uuid,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT coalesce(sum((a->>'size_bytes')::bigint), 0)::bigint
           FROM tickets t
           JOIN ticket_messages m ON m.ticket_id = t.ticket_id
          CROSS JOIN LATERAL jsonb_array_elements(m.attachments) a
          WHERE t.client_id = $1 AND m.author_side = 'client'",
    )
    .bind(client_id)
    .fetch_one(pool)
    .await
}

/// A ticket category.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CategoryRow {
    /// Its id.
    pub category_id: Uuid,
    /// Its name.
    pub name: String,
    /// Its default department.
    pub department_id: Option<Uuid>,
    /// Whether it is archived.
    pub archived: bool,
}

/// The ticket categories by name, after the category `after`, at most `limit`.
pub async fn categories(
    pool: &sqlx::PgPool,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<CategoryRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT category_id, name, department_id, archived FROM ticket_categories
          WHERE $1::uuid IS NULL
             OR (name, category_id) >
                (SELECT name, category_id FROM ticket_categories WHERE category_id = $1)
          ORDER BY name, category_id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// An answer template.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AnswerTemplateRow {
    /// Its id.
    pub template_id: Uuid,
    /// Its name.
    pub name: String,
    /// The text.
    pub body: String,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// The answer templates by name, after the template `after`, at most `limit`.
pub async fn answer_templates(
    pool: &sqlx::PgPool,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<AnswerTemplateRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT template_id, name, body, updated_at FROM answer_templates
          WHERE $1::uuid IS NULL
             OR (name, template_id) >
                (SELECT name, template_id FROM answer_templates WHERE template_id = $1)
          ORDER BY name, template_id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Response times of one department.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResponseTimes {
    /// The department.
    pub department_id: Uuid,
    /// Its name.
    pub department: String,
    /// How many first answers fell in the range.
    pub answers: i64,
    /// Their mean wait, in whole seconds (rounded half away from zero).
    pub average_seconds: i64,
    /// Their median wait (the lower middle for an even count).
    pub median_seconds: i64,
    /// The longest wait.
    pub max_seconds: i64,
    /// Tickets waiting for an answer now.
    pub waiting_now: i64,
}

/// Response times per department for first answers given in `[from, to)`, by department name.
/// Reads `departments` (the access read model) for the names.
pub async fn response_times(
    pool: &sqlx::PgPool,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> Result<Vec<ResponseTimes>, sqlx::Error> {
    sqlx::query_as(
        "WITH answered AS (
            SELECT department_id, count(*) AS answers,
                   round(avg(response_seconds))::bigint AS average_seconds,
                   percentile_disc(0.5) WITHIN GROUP (ORDER BY response_seconds) AS median_seconds,
                   max(response_seconds) AS max_seconds
              FROM ticket_messages
             WHERE response_seconds IS NOT NULL
               AND at >= $1::date::timestamp AT TIME ZONE 'UTC'
               AND at < $2::date::timestamp AT TIME ZONE 'UTC'
             GROUP BY department_id),
         waiting AS (
            SELECT department_id, count(*) AS waiting_now FROM tickets
             WHERE awaiting_since IS NOT NULL GROUP BY department_id)
         SELECT d.id AS department_id, d.name AS department,
                coalesce(a.answers, 0) AS answers,
                coalesce(a.average_seconds, 0) AS average_seconds,
                coalesce(a.median_seconds, 0) AS median_seconds,
                coalesce(a.max_seconds, 0) AS max_seconds,
                coalesce(w.waiting_now, 0) AS waiting_now
           FROM departments d
           LEFT JOIN answered a ON a.department_id = d.id
           LEFT JOIN waiting w ON w.department_id = d.id
          WHERE d.accepts_tickets OR a.answers IS NOT NULL OR w.waiting_now IS NOT NULL
          ORDER BY d.name, d.id",
    )
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await
}

/// The recipients of a message to a provider's clients: one client or all of them (not deleted
/// or merged), of one language if asked (`en` for a client who chose none), oldest first. Reads
/// `clients` (the clients read model) beside our `notice_settings`.
pub async fn message_recipients(
    pool: &sqlx::PgPool,
    provider_id: Uuid,
    client_id: Option<Uuid>,
    language: Option<&str>,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT c.id FROM clients c
           LEFT JOIN notice_settings s ON s.client_id = c.id
          WHERE c.provider_id = $1 AND c.status NOT IN ('deleted', 'merged')
            AND ($2::uuid IS NULL OR c.id = $2)
            AND ($3::text IS NULL OR coalesce(s.language, 'en') = $3)
          ORDER BY c.created_at, c.id",
    )
    .bind(provider_id)
    .bind(client_id)
    .bind(language)
    .fetch_all(pool)
    .await
}

/// The language a client chose for its messages and documents (its notice settings), `None`
/// for a client who chose none.
pub async fn notice_language(
    pool: &sqlx::PgPool,
    client_id: Uuid,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT language FROM notice_settings WHERE client_id = $1")
        .bind(client_id)
        .fetch_optional(pool)
        .await
}
