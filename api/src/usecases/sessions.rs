//! The staff dashboard's sessions: a session is an API token kept in a cookie, ended by revoking
//! it.

use domain::access::{AccessToken, TokenCommand};
use domain::ids::TokenId;
use eventstore::metadata::CommandContext;

use crate::usecases::{Core, Error};

/// Ends a session: revokes its token now, so that a copy of the cookie is worth nothing.
pub async fn end_session(
    core: &Core,
    context: &CommandContext,
    token: TokenId,
) -> Result<(), Error> {
    core.store
        .execute::<AccessToken>(
            &token.to_string(),
            TokenCommand::RevokeToken {
                revoked_at: core.store.clock().now(),
            },
            context,
            &[],
        )
        .await?;
    Ok(())
}
