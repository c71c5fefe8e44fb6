//! Passwords changed and reset, and a user's own preferences.
//!
//! A change checks the current password first; a reset checks the link's MAC (under the key of
//! `node_keys`, see `projections::reset_link`) and the `ClientUser` aggregate accepts it only for
//! its latest unused, unexpired request. Either way the new hash goes to the credential table
//! beside the event (ADR 11) and the user's generation moves on, so every token issued before
//! (every session) stops working.

use chrono::Duration;
use domain::access::{ClientUser, Login, StaffCommand, StaffMember, UserCommand};
use domain::ids::{StaffId, UserId};
use domain::notice::Language;
use eventstore::Committed;
use eventstore::metadata::{Actor, CommandContext};
use projections::reset_link::ResetKey;
use uuid::Uuid;

use super::{Principal, secret};
use crate::usecases::{Core, Error};

/// How long a reset link works.
pub const RESET_LINK_MINUTES: i64 = 60;

/// What a reset link carries besides the request's id.
#[derive(Debug, Clone)]
pub struct ResetLink {
    /// The request the link names.
    pub request_id: Uuid,
    /// The user it is for.
    pub user_id: Uuid,
    /// HMAC-SHA-256 of the request, the user and the expiry, in hex.
    pub mac: String,
}

fn wrong_password() -> Error {
    Error::refused(
        "wrong_password",
        "current_password: this is not your current password",
    )
}

/// Changes the password of the client user signed in as `principal`, after checking `current`
/// (else `wrong_password`, nothing written). Its tokens, the caller's included, stop working.
pub async fn change_password(
    core: &Core,
    principal: &Principal,
    current: &str,
    new: &str,
) -> Result<Committed<ClientUser>, Error> {
    let context = principal.context();
    match (principal, principal.actor()) {
        (Principal::Client { acting: false, .. }, Actor::User(user)) => {
            let user: UserId = user
                .parse()
                .map_err(|_| Error::internal(&"a user actor without a user id"))?;
            let hash = secret::stored_password::<ClientUser>(core, &user.to_string()).await?;
            if !secret::verify_password(current, hash.as_ref()).await {
                return Err(wrong_password());
            }
            let password_hash = secret::hash_password(new).await?;
            Ok(core
                .store
                .execute::<ClientUser>(
                    &user.to_string(),
                    UserCommand::ChangePassword { password_hash },
                    &context,
                    &[],
                )
                .await?)
        }
        _ => Err(Error::refused(
            "not_a_user",
            "only a client's user who signed in changes its password here",
        )),
    }
}

/// Changes the password of the staff member who signed in as `principal`, after checking
/// `current`; its tokens stop working (its generation moves on).
pub async fn change_staff_password(
    core: &Core,
    principal: &Principal,
    current: &str,
    new: &str,
) -> Result<Committed<StaffMember>, Error> {
    let staff = match principal {
        Principal::Staff { staff_id, .. } => *staff_id,
        Principal::Administrator {
            actor: Actor::Staff(staff),
            token: Some(_),
        } => staff
            .parse::<StaffId>()
            .map_err(|_| Error::refused("not_a_user", "the bootstrap token has no password"))?,
        _ => {
            return Err(Error::refused(
                "not_a_user",
                "only a staff member or user who signed in changes its password",
            ));
        }
    };
    let hash = secret::stored_password::<StaffMember>(core, &staff.to_string()).await?;
    if !secret::verify_password(current, hash.as_ref()).await {
        return Err(wrong_password());
    }
    let password_hash = secret::hash_password(new).await?;
    Ok(core
        .store
        .execute::<StaffMember>(
            &staff.to_string(),
            StaffCommand::SetPassword { password_hash },
            &principal.context(),
            &[],
        )
        .await?)
}

/// Records a reset request for the client user whose login is `email`, whose link the notifier
/// e-mails to that address. Whether the address is known, disabled or a staff member's, the
/// answer is the same `Ok(())` and nothing tells them apart; only a known, active user gets a
/// request (and an e-mail).
pub async fn request_password_reset(core: &Core, email: &str) -> Result<(), Error> {
    let Ok(login) = Login::parse(email.trim()) else {
        return Ok(());
    };
    let user_id = UserId::for_login(&login);
    let user = core
        .store
        .load::<ClientUser>(&user_id.to_string())
        .await?
        .aggregate;
    if !user.is_active() {
        return Ok(());
    }
    let expires_at = core.store.clock().now() + Duration::minutes(RESET_LINK_MINUTES);
    let context = CommandContext::new(Actor::System("password-reset".to_owned()));
    let requested = core
        .store
        .execute::<ClientUser>(
            &user_id.to_string(),
            UserCommand::RequestPasswordReset {
                request_id: Uuid::now_v7(),
                expires_at,
            },
            &context,
            &[],
        )
        .await;
    match requested {
        Ok(_) => Ok(()),
        // Disabled in between: the same answer.
        Err(eventstore::CommandError::Rejected(_)) => Ok(()),
        Err(error) => Err(error.into()),
    }
}

/// Sets a new password through a reset link: the MAC must be the one of the user's latest
/// request, which must be unused and unexpired. The user's sessions stop working.
pub async fn reset_password(
    core: &Core,
    link: &ResetLink,
    new: &str,
) -> Result<Committed<ClientUser>, Error> {
    let invalid = || Error::from(domain::access::AccessError::ResetLinkInvalid);
    let user_id = UserId::from_uuid(link.user_id);
    let user = core
        .store
        .load::<ClientUser>(&user_id.to_string())
        .await?
        .aggregate;
    let Some(request) = user.reset_request() else {
        return Err(invalid());
    };
    let key = ResetKey::load(&core.pool).await?;
    if request.request_id != link.request_id
        || !key.verify(link.request_id, link.user_id, request.expires_at, &link.mac)
    {
        return Err(invalid());
    }
    let password_hash = secret::hash_password(new).await?;
    let context = CommandContext::new(Actor::User(user_id.to_string()));
    Ok(core
        .store
        .execute::<ClientUser>(
            &user_id.to_string(),
            UserCommand::ResetPassword {
                request_id: link.request_id,
                password_hash,
                at: core.store.clock().now(),
            },
            &context,
            &[],
        )
        .await?)
}

/// Sets the signed-in user's own language and time zone.
pub async fn set_preferences(
    core: &Core,
    principal: &Principal,
    language: &str,
    time_zone: &str,
) -> Result<Committed<ClientUser>, Error> {
    let (Principal::Client { acting: false, .. }, Actor::User(user)) =
        (principal, principal.actor())
    else {
        return Err(Error::refused(
            "not_a_user",
            "only a client's user has preferences here",
        ));
    };
    let language = Language::parse(language)?;
    Ok(core
        .store
        .execute::<ClientUser>(
            &user,
            UserCommand::SetPreferences {
                language,
                time_zone: time_zone.to_owned(),
            },
            &principal.context(),
            &[],
        )
        .await?)
}

/// The client user signed in as `principal` (its profile and preferences), from the store;
/// `None` for anyone else (a staff member acting as the client, staff, machines).
pub async fn own_user(core: &Core, principal: &Principal) -> Result<Option<ClientUser>, Error> {
    match (principal, principal.actor()) {
        (Principal::Client { acting: false, .. }, Actor::User(user)) => {
            Ok(Some(core.store.load::<ClientUser>(&user).await?.aggregate))
        }
        _ => Ok(None),
    }
}
