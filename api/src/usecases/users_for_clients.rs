//! The first user a client is registered with (`POST /v1/clients` with `user`).
//!
//! TODO(lead): made by the services engineer while `usecases::access` was being written; it has
//! the same names and signatures as `usecases::access::{UserRequest, NewUser, ensure_login_free}`
//! (the support engineer's), so that this file goes and `users_for_clients` becomes `access` in
//! `usecases::clients` and `http::routes::clients`. Its `hash_password` copies
//! `http::auth::secret::hash_password` onto a blocking thread rather than the argon2 workers,
//! which `usecases` cannot reach from here.

use std::collections::BTreeSet;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, SaltString};
use domain::access::{
    ClientRole, ClientUser, DisplayName, Login, PasswordHash, StaffMember, UserCommand,
};
use domain::ids::{ClientId, StaffId, UserId};
use eventstore::metadata::CommandContext;
use eventstore::{CommandKey, Committed};
use uuid::Uuid;

use crate::usecases::{Core, Error};

/// The shortest password accepted, in characters (`http::auth::secret::PASSWORD_CHARS_MIN`).
const PASSWORD_CHARS_MIN: usize = 8;
/// The longest password accepted, in bytes (`http::auth::secret::PASSWORD_BYTES_MAX`).
const PASSWORD_BYTES_MAX: usize = 1024;

/// A new user of a client, as asked for.
#[derive(Debug, Clone)]
pub struct UserRequest {
    /// The e-mail address the user logs in with.
    pub email: String,
    /// The password; only its argon2 hash is kept.
    pub password: String,
    /// The user's name; the e-mail address when absent.
    pub name: Option<String>,
    /// Its roles; `owner` when absent.
    pub roles: Option<BTreeSet<ClientRole>>,
}

/// Refuses a login a staff member or a user already has (`login_taken`).
pub async fn ensure_login_free(core: &Core, login: &Login) -> Result<(), Error> {
    let staff = core
        .store
        .load::<StaffMember>(&StaffId::for_login(login).to_string())
        .await?
        .aggregate;
    let user = core
        .store
        .load::<ClientUser>(&UserId::for_login(login).to_string())
        .await?
        .aggregate;
    if staff.is_created() || user.is_created() {
        return Err(Error::conflict("login_taken", "email: this login is taken"));
    }
    Ok(())
}

/// Checks a new password's length and hashes it with argon2id and a random salt, off the async
/// runtime.
async fn hash_password(password: &str) -> Result<PasswordHash, Error> {
    if password.chars().count() < PASSWORD_CHARS_MIN || password.len() > PASSWORD_BYTES_MAX {
        return Err(Error::refused(
            "invalid_password",
            format!("password: must be {PASSWORD_CHARS_MIN} to {PASSWORD_BYTES_MAX} bytes long"),
        ));
    }
    let password = password.to_owned();
    let phc = tokio::task::spawn_blocking(move || -> Result<String, String> {
        let mut salt = [0_u8; 16];
        getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
        let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| Error::internal(&e))?
    .map_err(|e| Error::internal(&e))?;
    PasswordHash::from_phc(phc).map_err(|e| Error::internal(&e))
}

/// A user checked and ready to be created: the password is hashed and dropped here.
pub struct NewUser {
    login: Login,
    name: DisplayName,
    roles: BTreeSet<ClientRole>,
    password_hash: PasswordHash,
}

impl NewUser {
    /// Checks the request (login free, password long enough) and hashes the password.
    pub async fn prepare(core: &Core, request: &UserRequest) -> Result<NewUser, Error> {
        let login = Login::parse(&request.email)?;
        let name = DisplayName::parse(request.name.as_deref().unwrap_or(login.as_str()))?;
        let roles = request
            .roles
            .clone()
            .unwrap_or_else(|| BTreeSet::from([ClientRole::Owner]));
        ensure_login_free(core, &login).await?;
        let password_hash = hash_password(&request.password).await?;
        Ok(NewUser {
            login,
            name,
            roles,
            password_hash,
        })
    }

    /// Creates the user of `client`, keyed by (client, login) so that a retried request creates
    /// it once.
    pub async fn create(
        self,
        core: &Core,
        context: &CommandContext,
        client: Uuid,
    ) -> Result<(UserId, Committed<ClientUser>), Error> {
        let user_id = UserId::for_login(&self.login);
        let key = CommandKey::new(
            "client-user",
            format!("{client}/{}", self.login.as_str()),
            &(client, self.login.as_str()),
            serde_json::json!({ "id": user_id.as_uuid() }),
        )
        .map_err(|e| Error::internal(&e))?;
        let committed = core
            .store
            .execute::<ClientUser>(
                &user_id.to_string(),
                UserCommand::CreateClientUser {
                    user_id,
                    client_id: ClientId::from_uuid(client),
                    name: self.name,
                    login: self.login,
                    password_hash: self.password_hash,
                    roles: self.roles,
                },
                context,
                &[key],
            )
            .await?;
        Ok((user_id, committed))
    }
}
