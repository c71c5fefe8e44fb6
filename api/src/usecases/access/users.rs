//! A client's users.

use std::collections::BTreeSet;

use domain::access::{
    ClientRole, ClientUser, DisplayName, Login, PasswordHash, StaffMember, UserCommand,
};
use domain::client::Client;
use domain::ids::{ClientId, StaffId, UserId};
use eventstore::metadata::CommandContext;
use eventstore::{CommandKey, Committed};
use serde::Deserialize;
use uuid::Uuid;

use super::secret;
use crate::usecases::{Core, Error};

/// A new user of a client, as asked for.
#[derive(Debug, Clone, Deserialize)]
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

/// Refuses a login a staff member or a user already has.
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
        let password_hash = secret::hash_password(&request.password).await?;
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

/// A client that may be named (`Client::active`: it exists, is neither merged nor deleted): one
/// a user may be added to or acted as.
pub(super) async fn active_client(core: &Core, id: Uuid) -> Result<Client, Error> {
    let client = core.store.load::<Client>(&id.to_string()).await?.aggregate;
    client.active(ClientId::from_uuid(id))?;
    Ok(client)
}

/// Adds a user to the client `client`, which must exist and be neither merged nor deleted.
pub async fn create_client_user(
    core: &Core,
    context: &CommandContext,
    client: Uuid,
    request: &UserRequest,
) -> Result<(UserId, Committed<ClientUser>), Error> {
    active_client(core, client).await?;
    let user = NewUser::prepare(core, request).await?;
    user.create(core, context, client).await
}
