//! The users a client is registered with (`POST /v1/clients` with a first user).
//!
//! Made by the services engineer for `clients::register_client` while `usecases::access` was
//! being written; the lead folds it into `usecases::access` (the same `ensure_login_free` and
//! user creation as `routes::users`).

use std::collections::BTreeSet;

use domain::access::{
    ClientRole, ClientUser, DisplayName, Login, PasswordHash, StaffMember, UserCommand,
};
use domain::ids::{ClientId, StaffId, UserId};
use eventstore::metadata::CommandContext;
use eventstore::{CommandKey, Committed};
use uuid::Uuid;

use crate::usecases::{Core, Error};

/// A user to create, its password already hashed.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The login (an e-mail address).
    pub login: Login,
    /// The user's name.
    pub name: DisplayName,
    /// Its roles.
    pub roles: BTreeSet<ClientRole>,
    /// The password's hash; the password goes no further than the HTTP layer.
    pub password_hash: PasswordHash,
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

/// Creates the user of `client`, keyed by (client, login) so that a retried request creates it
/// once.
pub async fn create_user(
    core: &Core,
    context: &CommandContext,
    client: Uuid,
    user: NewUser,
) -> Result<(UserId, Committed<ClientUser>), Error> {
    let user_id = UserId::for_login(&user.login);
    let key = CommandKey::new(
        "client-user",
        format!("{client}/{}", user.login.as_str()),
        &(client, user.login.as_str()),
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
                name: user.name,
                login: user.login,
                password_hash: user.password_hash,
                roles: user.roles,
            },
            context,
            &[key],
        )
        .await?;
    Ok((user_id, committed))
}
