//! Who is calling and what it may do: resolving a bearer token to a [`Principal`] through the
//! event store, signing in, issuing and revoking tokens, client users, departments and staff.
//!
//! Tokens are checked through the event store on every request (the token, then the staff member
//! or user behind it), never through a read model: a token works the moment its login answers,
//! and a revocation or a disabled staff member takes effect on the next request on every node.
//! Passwords and token secrets never leave this module but as argon2 hashes and SHA-256 digests
//! kept in the store's credential table (ADR 11).

pub mod argon;
mod password;
pub mod secret;
mod staff;
mod tokens;
mod users;

use std::collections::BTreeSet;

use domain::access::{
    AccessToken, ClientUser, Department, DepartmentCommand, DisplayName, Permission, Permissions,
    Scope, StaffMember, TokenSubject, acting_permissions,
};
use domain::ids::{ClientId, DepartmentId, StaffId, TokenId, UserId};
use domain::invoice::Invoice;
use domain::payment::Payment;
use domain::service::Service;
use domain::ticket::Ticket;
use eventstore::EventStore;
use eventstore::metadata::{Actor, CommandContext};
use uuid::Uuid;

use crate::usecases::{Core, Error};

pub use password::{
    RESET_LINK_MINUTES, ResetLink, change_password, change_staff_password, own_user,
    request_password_reset, reset_password, set_preferences,
};
pub use staff::{
    StaffChange, StaffInput, change_staff_member, create_department, create_staff_member,
    set_department_permissions,
};
pub use tokens::{
    ACT_AS_MINUTES, IssuedToken, LOGIN_TOKEN_HOURS, act_as_client, create_service_token,
    issue_token, revoke_token, sign_in,
};
pub use users::{
    NewUser, UserChange, UserRequest, change_client_user, create_client_user, ensure_login_free,
    user_of_client,
};

/// Who is calling, as its token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// Full access: the bootstrap token, or a staff member with the administrator flag.
    Administrator {
        /// `staff:admin` for the bootstrap token, else `staff:<id>`.
        actor: Actor,
        /// The token, when it is one the store issued.
        token: Option<TokenId>,
    },
    /// A staff member with the permissions of its departments and its own grants.
    Staff {
        /// The staff member.
        staff_id: StaffId,
        /// What it may do.
        permissions: Permissions,
        /// Its departments: the ticket queues it sees.
        departments: Vec<DepartmentId>,
        /// Its token.
        token: TokenId,
    },
    /// A machine with scopes.
    Service {
        /// Its token (and its actor id).
        token: TokenId,
        /// Its scopes.
        scopes: BTreeSet<Scope>,
    },
    /// A client's user, or a staff member acting as a client: only that client's data, with
    /// the permissions of the user's roles (an owner's when acting).
    Client {
        /// The client.
        client_id: ClientId,
        /// What it may do inside the client.
        permissions: Permissions,
        /// `user:<id>`, or `staff:<id>` when a staff member acts as the client.
        actor: Actor,
        /// Whether a staff member acts as the client.
        acting: bool,
        /// Its token.
        token: TokenId,
    },
}

impl Principal {
    /// The actor written into the metadata of the events it causes.
    pub fn actor(&self) -> Actor {
        match self {
            Principal::Administrator { actor, .. } | Principal::Client { actor, .. } => {
                actor.clone()
            }
            Principal::Staff { staff_id, .. } => Actor::Staff(staff_id.to_string()),
            Principal::Service { token, .. } => Actor::Service(token.to_string()),
        }
    }

    /// `client:<id>` when a staff member acts as a client.
    pub fn on_behalf_of(&self) -> Option<String> {
        match self {
            Principal::Client {
                client_id,
                acting: true,
                ..
            } => Some(format!("client:{client_id}")),
            _ => None,
        }
    }

    /// The token it called with, when the store issued it.
    pub fn token(&self) -> Option<TokenId> {
        match self {
            Principal::Administrator { token, .. } => *token,
            Principal::Staff { token, .. }
            | Principal::Service { token, .. }
            | Principal::Client { token, .. } => Some(*token),
        }
    }

    /// The one client it may see, for a client's user or a staff member acting as a client.
    pub fn client(&self) -> Option<ClientId> {
        match self {
            Principal::Client { client_id, .. } => Some(*client_id),
            _ => None,
        }
    }

    /// The kind, for answers: `administrator`, `staff`, `service`, `user` or `acting_as`.
    pub fn kind(&self) -> &'static str {
        match self {
            Principal::Administrator { .. } => "administrator",
            Principal::Staff { .. } => "staff",
            Principal::Service { .. } => "service",
            Principal::Client { acting: false, .. } => "user",
            Principal::Client { acting: true, .. } => "acting_as",
        }
    }

    /// Whether it holds `wanted` (administrators hold everything) without a narrow service
    /// scope.
    pub fn allows(&self, wanted: Permission) -> bool {
        self.holds(wanted, None)
    }

    /// Whether it holds `wanted`, or, for a service token, the narrow `scope`.
    pub fn holds(&self, wanted: Permission, scope: Option<&str>) -> bool {
        match self {
            Principal::Administrator { .. } => true,
            Principal::Staff { permissions, .. } | Principal::Client { permissions, .. } => {
                permissions.allows(wanted)
            }
            Principal::Service { scopes, .. } => scopes.iter().any(|held| {
                Some(held.as_str()) == scope
                    || held
                        .as_str()
                        .parse::<Permission>()
                        .is_ok_and(|p| p.covers(wanted))
            }),
        }
    }

    /// The command context for the events it causes.
    pub fn context(&self) -> CommandContext {
        let mut context = CommandContext::new(self.actor());
        context.on_behalf_of = self.on_behalf_of();
        context
    }
}

/// Resolves a bearer string the store issued, or `None` when it is unknown, revoked, expired,
/// or its staff member or user is disabled. (The bootstrap token is configuration: the HTTP
/// layer knows it.)
pub async fn authenticate(core: &Core, bearer: &str) -> Result<Option<Principal>, Error> {
    let Some((token_id, digest)) = secret::parse_bearer(bearer) else {
        return Ok(None);
    };
    let token = core
        .store
        .load::<AccessToken>(&token_id.to_string())
        .await?
        .aggregate;
    let now = core.store.clock().now();
    if !token.is_usable_at(now) {
        return Ok(None);
    }
    // The digest is kept beside the log, never in it (ADR 11).
    let stored = core
        .store
        .credential::<AccessToken>(&token_id.to_string())
        .await?;
    if !stored.is_some_and(|stored| secret::same_digest(&stored, &digest)) {
        return Ok(None);
    }
    let Some(subject) = token.subject() else {
        return Ok(None);
    };
    Ok(match subject {
        TokenSubject::Staff {
            staff_id,
            generation,
        } => staff_principal(&core.store, *staff_id, *generation, token_id).await?,
        TokenSubject::User {
            user_id,
            client_id,
            generation,
        } => {
            let user = load_user(&core.store, *user_id).await?;
            (user.honours(*generation) && user.client_id() == Some(*client_id)).then(|| {
                Principal::Client {
                    client_id: *client_id,
                    permissions: user.permissions(),
                    actor: Actor::User(user_id.to_string()),
                    acting: false,
                    token: token_id,
                }
            })
        }
        TokenSubject::Administrator {} => Some(Principal::Administrator {
            actor: Actor::Staff("admin".to_owned()),
            token: Some(token_id),
        }),
        TokenSubject::Service { scopes, .. } => Some(Principal::Service {
            token: token_id,
            scopes: scopes.clone(),
        }),
        TokenSubject::ActingAs {
            staff_id,
            client_id,
            generation,
            permissions: carried,
        } => {
            // Never more than the staff member may do now, nor than the token was issued with.
            let staff = staff_principal(&core.store, *staff_id, *generation, token_id).await?;
            let held = match staff {
                None => return Ok(None),
                Some(Principal::Staff { permissions, .. }) => permissions,
                Some(_) => Permissions::all(),
            };
            let mut permissions = acting_permissions(&held);
            if let Some(carried) = carried {
                permissions = permissions.intersection(carried);
            }
            Some(Principal::Client {
                client_id: *client_id,
                permissions,
                actor: Actor::Staff(staff_id.to_string()),
                acting: true,
                token: token_id,
            })
        }
    })
}

async fn load_user(store: &EventStore, user_id: UserId) -> Result<ClientUser, Error> {
    Ok(store
        .load::<ClientUser>(&user_id.to_string())
        .await?
        .aggregate)
}

/// The principal of an active staff member whose token of `generation` it still honours: an
/// administrator, or its departments' permissions plus its grants.
pub async fn staff_principal(
    store: &EventStore,
    staff_id: StaffId,
    generation: u32,
    token: TokenId,
) -> Result<Option<Principal>, Error> {
    let staff = store
        .load::<StaffMember>(&staff_id.to_string())
        .await?
        .aggregate;
    if !staff.honours(generation) {
        return Ok(None);
    }
    if staff.is_administrator() {
        return Ok(Some(Principal::Administrator {
            actor: Actor::Staff(staff_id.to_string()),
            token: Some(token),
        }));
    }
    let mut permissions = staff.grants().clone();
    for department in staff.departments() {
        let department = store
            .load::<Department>(&department.to_string())
            .await?
            .aggregate;
        permissions = permissions.union(department.permissions());
    }
    Ok(Some(Principal::Staff {
        staff_id,
        permissions,
        departments: staff.departments().iter().copied().collect(),
        token,
    }))
}

/// What a route's `{id}` names, for finding the client that owns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owned {
    /// A client itself.
    Client,
    /// A service.
    Service,
    /// A payment.
    Payment,
    /// An invoice.
    Invoice,
    /// An expense (owned through the service it charged).
    Expense,
    /// A provisioning operation.
    Operation,
    /// A ticket.
    Ticket,
    /// A payer.
    Payer,
}

/// The client that owns the thing `id` names, if it exists.
// The three lookups by read model belong to the projections that write `payments`, `expenses`
// and `operations`; they move there with the queries of those modules.
pub async fn owner_of(core: &Core, owned: Owned, id: Uuid) -> Result<Option<Uuid>, Error> {
    let key = id.to_string();
    let store = &core.store;
    Ok(match owned {
        Owned::Client => Some(id),
        Owned::Service => store
            .load::<Service>(&key)
            .await?
            .aggregate
            .client_id()
            .map(|c| c.as_uuid()),
        Owned::Payment => {
            let payment = store.load::<Payment>(&key).await?.aggregate;
            match payment.client_id() {
                Some(client) => Some(client.as_uuid()),
                // A payment credited directly has no `Payment` stream: the payments read model
                // names its client.
                None => projections::payments::client_of(&core.pool, id).await?,
            }
        }
        Owned::Invoice => store
            .load::<Invoice>(&key)
            .await?
            .aggregate
            .client_id()
            .map(|c| c.as_uuid()),
        Owned::Expense => {
            // An expense belongs to the client of the service it charged.
            let service = projections::expenses::service_of(&core.pool, id).await?;
            match service {
                None => None,
                Some(service) => store
                    .load::<Service>(&service.to_string())
                    .await?
                    .aggregate
                    .client_id()
                    .map(|c| c.as_uuid()),
            }
        }
        Owned::Operation => projections::services::client_of_operation(&core.pool, id).await?,
        Owned::Ticket => store
            .load::<Ticket>(&key)
            .await?
            .aggregate
            .client_id()
            .map(|c| c.as_uuid()),
        Owned::Payer => store
            .load::<domain::payer::Payer>(&key)
            .await?
            .aggregate
            .client_id()
            .map(|c| c.as_uuid()),
    })
}

/// The departments every installation starts with, with ids derived from their names.
pub fn default_departments() -> Vec<(DepartmentId, &'static str, Permissions)> {
    use domain::access::Action::{Read, Write};
    use domain::access::Resource::{
        Clients, Expenses, Invoices, Payments, Reports, Services, Tariffs, Tickets,
    };
    let p = Permission::new;
    vec![
        (
            DepartmentId::named("Sales"),
            "Sales",
            Permissions::of([
                p(Clients, Write),
                p(Services, Write),
                p(Tariffs, Read),
                p(Payments, Read),
                p(Invoices, Read),
                p(Expenses, Read),
                p(Reports, Read),
                p(Tickets, Write),
            ]),
        ),
        (
            DepartmentId::named("Technical support"),
            "Technical support",
            Permissions::of([
                p(Clients, Read),
                p(Services, Write),
                p(Tariffs, Read),
                p(Tickets, Write),
            ]),
        ),
    ]
}

/// Creates the default departments if they do not exist yet, with the first department or staff
/// member an administrator creates (so that an installation without staff, such as one using only
/// the bootstrap token, has no events it did not ask for); a no-op every later time.
pub async fn ensure_default_departments(store: &EventStore) -> Result<(), Error> {
    let context = CommandContext::new(Actor::System("bootstrap".to_owned()));
    for (id, name, permissions) in default_departments() {
        store
            .execute::<Department>(
                &id.to_string(),
                DepartmentCommand::CreateDepartment {
                    department_id: id,
                    name: DisplayName::parse(name)?,
                    accepts_tickets: true,
                    permissions,
                },
                &context,
                &[],
            )
            .await?;
    }
    Ok(())
}
