//! The documented shapes that more than one route module answers or reads: a token shown once
//! (login, service tokens, acting as a client), a new client user (its own route and a client's
//! registration), an announcement (their list and a client user's login) and a provisioning
//! operation (their list and a service's). Kept here so that no route module imports another.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use domain::access::ClientRole;
use projections::services::OperationRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::usecases::access::{self, IssuedToken};

/// A token, shown once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TokenIssued {
    /// The token's id, for revoking it.
    pub token_id: Uuid,
    /// The bearer string: send it as `Authorization: Bearer <token>`. It is shown only now.
    pub token: String,
    /// `staff`, `user`, `service`, `acting_as`, or `administrator` (a dashboard session of the
    /// bootstrap administrator).
    pub kind: String,
    /// When it stops working; absent for service tokens.
    pub expires_at: Option<DateTime<Utc>>,
    /// The global position of the token's event.
    pub position: i64,
}

impl From<IssuedToken> for TokenIssued {
    fn from(issued: IssuedToken) -> Self {
        Self {
            token_id: issued.token_id.as_uuid(),
            token: issued.token,
            kind: issued.kind,
            expires_at: issued.expires_at,
            position: issued.position,
        }
    }
}

/// A new user of a client.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserRequest {
    /// The e-mail address the user logs in with; one staff member or user per address.
    pub email: String,
    /// The password, 8 to 1024 bytes; only its argon2 hash is kept.
    pub password: String,
    /// The user's name; the e-mail address when absent.
    pub name: Option<String>,
    /// `owner`, `billing`, `technical`; `owner` when absent.
    #[schema(value_type = Option<Vec<String>>, example = json!(["billing"]))]
    pub roles: Option<BTreeSet<ClientRole>>,
}

impl From<&UserRequest> for access::UserRequest {
    fn from(request: &UserRequest) -> Self {
        Self {
            email: request.email.clone(),
            password: request.password.clone(),
            name: request.name.clone(),
            roles: request.roles.clone(),
        }
    }
}

/// An announcement.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AnnouncementView {
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

impl From<projections::support::AnnouncementRow> for AnnouncementView {
    fn from(row: projections::support::AnnouncementRow) -> Self {
        Self {
            announcement_id: row.announcement_id,
            provider_id: row.provider_id,
            title: row.title,
            body: row.body,
            language: row.language,
            valid_from: row.valid_from,
            valid_until: row.valid_until,
            withdrawn_at: row.withdrawn_at,
        }
    }
}

/// A provisioning operation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OperationView {
    /// Its id.
    pub id: Uuid,
    /// The service.
    pub service_id: Uuid,
    /// The service's client.
    pub client_id: Uuid,
    /// `activate`, `suspend`, `resume` or `delete`.
    pub kind: String,
    /// `pending`, `failed`, `retried` or `done`.
    pub status: String,
    /// Which attempt this is.
    pub attempt: i32,
    /// Why it failed.
    pub reason: Option<String>,
    /// The day it was requested for.
    pub requested_on: NaiveDate,
    /// When it was requested.
    pub created_at: DateTime<Utc>,
}

impl From<OperationRecord> for OperationView {
    fn from(row: OperationRecord) -> Self {
        OperationView {
            id: row.id,
            service_id: row.service_id,
            client_id: row.client_id,
            kind: row.kind,
            status: row.status,
            attempt: row.attempt,
            reason: row.reason,
            requested_on: row.requested_on,
            created_at: row.created_at,
        }
    }
}
