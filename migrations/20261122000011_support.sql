-- Issue 8: the support center (tickets, categories, answer templates, announcements) and
-- notifications (message templates, clients' notice settings, the e-mail outbox).
--
-- Every table here is a read model written only by its projection, except two:
-- `ticket_attachments` holds the bytes of attached files, written by the API before the
-- message that names them (content-addressed, never changed), and `notifications` is the
-- notifier's outbox, filled by its projection and worked off by its sender (ADR 9). Neither is
-- emptied by a rebuild.

ALTER TABLE departments ADD COLUMN business_hours jsonb;

CREATE TABLE tickets
(
    ticket_id       uuid PRIMARY KEY,
    client_id       uuid        NOT NULL,
    provider_id     uuid        NOT NULL,
    department_id   uuid        NOT NULL,
    staff_id        uuid,
    category_id     uuid,
    subject         text        NOT NULL,
    status          text        NOT NULL,
    awaiting_since  timestamptz,
    opened_by       text        NOT NULL,
    opened_at       timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    closed_at       timestamptz,
    messages        integer     NOT NULL,
    position        bigint      NOT NULL
);
CREATE INDEX tickets_client ON tickets (client_id, updated_at DESC, ticket_id);
-- The unanswered queue: oldest waiting first, per department.
CREATE INDEX tickets_queue ON tickets (department_id, awaiting_since, ticket_id)
    WHERE awaiting_since IS NOT NULL;

CREATE TABLE ticket_messages
(
    message_id       uuid PRIMARY KEY,
    ticket_id        uuid        NOT NULL,
    -- The ticket's department when the message was written: response times count there.
    department_id    uuid        NOT NULL,
    author_side      text        NOT NULL,
    author           text        NOT NULL,
    body             text        NOT NULL,
    attachments      jsonb       NOT NULL,
    at               timestamptz NOT NULL,
    response_seconds bigint,
    position         bigint      NOT NULL
);
CREATE INDEX ticket_messages_ticket ON ticket_messages (ticket_id, position);
CREATE INDEX ticket_messages_responses ON ticket_messages (department_id, at)
    WHERE response_seconds IS NOT NULL;

CREATE TABLE ticket_attachments
(
    sha256       text PRIMARY KEY,
    content_type text        NOT NULL,
    size_bytes   bigint      NOT NULL,
    content      bytea       NOT NULL,
    stored_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ticket_categories
(
    category_id   uuid PRIMARY KEY,
    name          text        NOT NULL,
    department_id uuid,
    archived      boolean     NOT NULL,
    created_at    timestamptz NOT NULL,
    position      bigint      NOT NULL
);

CREATE TABLE answer_templates
(
    template_id uuid PRIMARY KEY,
    name        text        NOT NULL,
    body        text        NOT NULL,
    updated_at  timestamptz NOT NULL,
    position    bigint      NOT NULL
);

CREATE TABLE announcements
(
    announcement_id uuid PRIMARY KEY,
    provider_id     uuid        NOT NULL,
    title           text        NOT NULL,
    body            text        NOT NULL,
    language        text,
    valid_from      timestamptz NOT NULL,
    valid_until     timestamptz NOT NULL,
    withdrawn_at    timestamptz,
    position        bigint      NOT NULL
);
CREATE INDEX announcements_valid ON announcements (provider_id, valid_until, valid_from);

CREATE TABLE message_templates
(
    kind       text        NOT NULL,
    language   text        NOT NULL,
    subject    text        NOT NULL,
    body       text        NOT NULL,
    updated_at timestamptz NOT NULL,
    position   bigint      NOT NULL,
    PRIMARY KEY (kind, language)
);

CREATE TABLE notice_settings
(
    client_id     uuid PRIMARY KEY,
    language      text   NOT NULL,
    subscriptions jsonb  NOT NULL,
    position      bigint NOT NULL
);
CREATE INDEX notice_settings_language ON notice_settings (language);

-- The notifier's outbox: one row per notice event, keyed by the event's id, so that a notice is
-- queued once however often the log is read. A row is claimed (`sending`, with a lease) before
-- its e-mail is sent and marked `sent` after; see ADR 9.
CREATE TABLE notifications
(
    event_id        uuid PRIMARY KEY,
    kind            text        NOT NULL,
    subject_type    text        NOT NULL,
    subject_id      uuid        NOT NULL,
    params          jsonb       NOT NULL,
    tx_id           bigint      NOT NULL,
    position        bigint      NOT NULL,
    -- When the database recorded the event: notices older than a few days are not sent.
    recorded_at     timestamptz NOT NULL,
    queued_at       timestamptz NOT NULL DEFAULT now(),
    status          text        NOT NULL DEFAULT 'pending',
    attempts        integer     NOT NULL DEFAULT 0,
    lease_until     timestamptz,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    client_id       uuid,
    to_address      text,
    language        text,
    mail_subject    text,
    mail_body       text,
    message_id      text        NOT NULL,
    sent_at         timestamptz,
    last_error      text
);
CREATE INDEX notifications_due ON notifications (tx_id, position)
    WHERE status IN ('pending', 'sending');
CREATE INDEX notifications_client ON notifications (client_id, queued_at);
