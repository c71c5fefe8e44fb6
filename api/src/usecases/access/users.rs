//! A client's users.

use std::collections::BTreeSet;

use domain::access::{
    ClientRole, ClientUser, DirectoryCommand, DisplayName, Login, Member, Members, PasswordHash,
    StaffMember, UserCommand, UserDirectory,
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
        // The checks that say nothing of other people's logins come first: a refusal for a
        // short password must not tell whether the address is someone's login.
        secret::check_length(&request.password)?;
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

/// A change of one of a client's users: its roles, or whether it may sign in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserChange {
    /// Replace its roles.
    Roles(BTreeSet<ClientRole>),
    /// Stop it signing in; its tokens stop working at once.
    Disable,
    /// Let it sign in again (with a new sign-in: its old tokens stay void).
    Enable,
}

/// The most users of one client counted in one page of the users read model.
const USERS_PAGE: i64 = 500;

/// Changes the roles or the status of the user `user` of the client `client` (which must exist
/// and be neither merged nor deleted). The client's [`UserDirectory`] decides, on the client's
/// users as their own streams say now, whether the change may be made (it refuses a user that
/// is not the client's, and the change that would leave the client without an enabled owner);
/// then the user's own stream, which authentication reads, follows. A repeat changes nothing;
/// after a crash between the two writes, `process::user_directory` completes the second.
pub async fn change_client_user(
    core: &Core,
    context: &CommandContext,
    client: Uuid,
    user: Uuid,
    change: UserChange,
) -> Result<Committed<ClientUser>, Error> {
    active_client(core, client).await?;
    let user_id = UserId::from_uuid(user);
    let users = members_of(core, client, user_id).await?;
    let command = match &change {
        UserChange::Roles(roles) => DirectoryCommand::SetUserRoles {
            user_id,
            roles: roles.clone(),
            users,
        },
        UserChange::Disable => DirectoryCommand::DisableUser { user_id, users },
        UserChange::Enable => DirectoryCommand::EnableUser { user_id, users },
    };
    core.store
        .execute::<UserDirectory>(&client.to_string(), command, context, &[])
        .await?;
    let follow = match change {
        UserChange::Roles(roles) => UserCommand::SetRoles { roles },
        UserChange::Disable => UserCommand::DisableClientUser,
        UserChange::Enable => UserCommand::EnableClientUser,
    };
    Ok(core
        .store
        .execute::<ClientUser>(&user_id.to_string(), follow, context, &[])
        .await?)
}

/// The users of `client` as their own streams say now, `also` among them if it is the client's:
/// the facts the directory decides on. The users read model names them (a user it has not
/// applied yet is not counted, which can only make the owner rule stricter); each one's stream
/// says what it is.
async fn members_of(core: &Core, client: Uuid, also: UserId) -> Result<Members, Error> {
    let mut ids = vec![also.to_string()];
    let mut after = None;
    loop {
        let rows =
            projections::access::users_of_client(&core.pool, client, after, USERS_PAGE).await?;
        let full = i64::try_from(rows.len()).unwrap_or(i64::MAX) == USERS_PAGE;
        after = rows.last().map(|row| (row.created_at, row.id));
        ids.extend(rows.iter().map(|row| row.id.to_string()));
        if !full {
            break;
        }
    }
    let loaded = core.store.load_many::<ClientUser>(&ids).await?;
    let client_id = ClientId::from_uuid(client);
    Ok(loaded
        .into_values()
        .map(|loaded| loaded.aggregate)
        .filter(|user| user.is_created() && user.client_id() == Some(client_id))
        .filter_map(|user| {
            let user_id = user.login().map(UserId::for_login)?;
            Some((
                user_id,
                Member {
                    roles: user.roles().clone(),
                    enabled: !user.is_disabled(),
                },
            ))
        })
        .collect())
}

/// The user `user` of the client `client` as its stream says now, or `None` when it does not
/// exist or is another client's.
pub async fn user_of_client(
    core: &Core,
    client: Uuid,
    user: Uuid,
) -> Result<Option<ClientUser>, Error> {
    let loaded = core
        .store
        .load::<ClientUser>(&user.to_string())
        .await?
        .aggregate;
    Ok(
        (loaded.is_created() && loaded.client_id() == Some(ClientId::from_uuid(client)))
            .then_some(loaded),
    )
}
