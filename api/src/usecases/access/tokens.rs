//! Tokens: issued at sign-in, for machines and for acting as a client; revoked by id.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use domain::access::{
    AccessToken, ClientUser, DisplayName, Login, Permissions, Scope, StaffMember, TokenCommand,
    TokenSubject, acting_permissions,
};
use domain::ids::{ClientId, StaffId, TokenId, UserId};
use eventstore::Committed;
use eventstore::metadata::{Actor, CommandContext};

use super::{Principal, secret, users};
use crate::usecases::{Core, Error};

/// How long a login's token works.
pub const LOGIN_TOKEN_HOURS: i64 = 12;

/// How long an act-as token works.
pub const ACT_AS_MINUTES: i64 = 60;

/// A token as handed out, once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    /// The token's id, for revoking it.
    pub token_id: TokenId,
    /// The bearer string; shown only now.
    pub token: String,
    /// `staff`, `user`, `service`, `acting_as` or `administrator`.
    pub kind: String,
    /// When it stops working; `None` for service tokens.
    pub expires_at: Option<DateTime<Utc>>,
    /// The global position of the token's event.
    pub position: i64,
    /// The client of a client's user's token, or of an acting token.
    pub client_id: Option<ClientId>,
}

/// Issues a token for `subject`, caused by `context`'s actor.
pub async fn issue_token(
    core: &Core,
    context: &CommandContext,
    subject: TokenSubject,
    lifetime: Option<Duration>,
) -> Result<IssuedToken, Error> {
    let token = secret::new_token()?;
    let now = core.store.clock().now();
    let expires_at = lifetime.map(|lifetime| now + lifetime);
    let (kind, client_id) = match &subject {
        TokenSubject::Staff { .. } => ("staff", None),
        TokenSubject::User { client_id, .. } => ("user", Some(*client_id)),
        TokenSubject::Service { .. } => ("service", None),
        TokenSubject::Administrator {} => ("administrator", None),
        TokenSubject::ActingAs { client_id, .. } => ("acting_as", Some(*client_id)),
    };
    let committed = core
        .store
        .execute::<AccessToken>(
            &token.id.to_string(),
            TokenCommand::IssueToken {
                token_id: token.id,
                subject,
                secret_sha256: token.secret_sha256,
                issued_at: now,
                expires_at,
            },
            context,
            &[],
        )
        .await?;
    Ok(IssuedToken {
        token_id: token.id,
        token: token.bearer,
        kind: kind.to_owned(),
        expires_at,
        position: committed.position,
        client_id,
    })
}

/// Checks a login and issues its token: a staff member's, or a client's user's. `None` when the
/// e-mail address or the password is wrong, or the account is disabled: all the same answer, in
/// about the same time. The caller limits failures and the argon2 work (`http::auth::throttle`).
pub async fn sign_in(
    core: &Core,
    email: &str,
    password: &str,
) -> Result<Option<IssuedToken>, Error> {
    let Ok(login) = Login::parse(email) else {
        secret::verify_password(password, None).await;
        return Ok(None);
    };
    let staff_id = StaffId::for_login(&login);
    let staff = core
        .store
        .load::<StaffMember>(&staff_id.to_string())
        .await?
        .aggregate;
    if staff.is_created() {
        let hash = secret::stored_password::<StaffMember>(core, &staff_id.to_string()).await?;
        let matches = secret::verify_password(password, hash.as_ref()).await;
        if !matches || !staff.is_active() {
            return Ok(None);
        }
        return issue_token(
            core,
            &CommandContext::new(Actor::Staff(staff_id.to_string())),
            TokenSubject::Staff {
                staff_id,
                generation: staff.generation(),
            },
            Some(Duration::hours(LOGIN_TOKEN_HOURS)),
        )
        .await
        .map(Some);
    }
    let user_id = UserId::for_login(&login);
    let user = core
        .store
        .load::<ClientUser>(&user_id.to_string())
        .await?
        .aggregate;
    let hash = secret::stored_password::<ClientUser>(core, &user_id.to_string()).await?;
    let matches = secret::verify_password(password, hash.as_ref()).await;
    let (true, Some(client_id)) = (matches && user.is_active(), user.client_id()) else {
        return Ok(None);
    };
    issue_token(
        core,
        &CommandContext::new(Actor::User(user_id.to_string())),
        TokenSubject::User {
            user_id,
            client_id,
            generation: user.generation(),
        },
        Some(Duration::hours(LOGIN_TOKEN_HOURS)),
    )
    .await
    .map(Some)
}

/// Revokes a token (or finds it revoked already).
pub async fn revoke_token(
    core: &Core,
    context: &CommandContext,
    token: TokenId,
) -> Result<Committed<AccessToken>, Error> {
    Ok(core
        .store
        .execute::<AccessToken>(
            &token.to_string(),
            TokenCommand::RevokeToken {
                revoked_at: core.store.clock().now(),
            },
            context,
            &[],
        )
        .await?)
}

/// Issues a token for a machine with `scopes` (checked against the known scopes by the caller).
pub async fn create_service_token(
    core: &Core,
    context: &CommandContext,
    name: DisplayName,
    scopes: BTreeSet<Scope>,
) -> Result<IssuedToken, Error> {
    issue_token(
        core,
        context,
        TokenSubject::Service {
            name: name.as_str().to_owned(),
            scopes,
        },
        None,
    )
    .await
}

/// Gives the staff member `principal` a short-lived token acting as `client`: what the
/// client's owner may do, never more than the staff member itself may. The bootstrap
/// administrator's session cannot act as a client.
pub async fn act_as_client(
    core: &Core,
    context: &CommandContext,
    principal: &Principal,
    client: ClientId,
) -> Result<IssuedToken, Error> {
    users::active_client(core, client.as_uuid()).await?;
    let staff_login_needed = || {
        Error::refused(
            "staff_login_needed",
            "only a staff member who logged in can act as a client",
        )
    };
    let (staff_id, held) = match principal {
        Principal::Staff {
            staff_id,
            permissions,
            ..
        } => (*staff_id, permissions.clone()),
        // The bootstrap administrator's dashboard session (`staff:admin`) is no staff member.
        Principal::Administrator {
            actor: Actor::Staff(staff),
            token: Some(_),
        } => (
            staff.parse::<StaffId>().map_err(|_| staff_login_needed())?,
            Permissions::all(),
        ),
        _ => return Err(staff_login_needed()),
    };
    let generation = core
        .store
        .load::<StaffMember>(&staff_id.to_string())
        .await?
        .aggregate
        .generation();
    issue_token(
        core,
        context,
        TokenSubject::ActingAs {
            staff_id,
            client_id: client,
            generation,
            permissions: Some(acting_permissions(&held)),
        },
        Some(Duration::minutes(ACT_AS_MINUTES)),
    )
    .await
}
