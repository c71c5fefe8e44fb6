//! Affiliate programs (issue 20.1): staff create programs, clients join them and get referral
//! links, a sign-up with a link's code refers the new client, and accrued commission is paid out
//! to the affiliate's account or recorded as paid outside the billing. Commission itself is
//! accrued by `process::affiliates`. The rules are the `domain::affiliate` aggregates'.

use domain::account::{Account, AccountCommand};
use domain::affiliate::Referral;
use domain::affiliate::{
    Affiliate, AffiliateCommand, AffiliateProgram, CommissionRule, PayoutDestination,
    ProgramCommand, ReferralCode, ReferralCommand,
};
use domain::ids::{AdjustmentId, AffiliateId, AffiliateProgramId, ClientId, PayoutId, ProviderId};
use domain::money::Money;
use eventstore::metadata::{Actor, CommandContext};
use eventstore::{CommandKey, Committed};
use uuid::Uuid;

use crate::usecases::{Core, Error};

/// The most clicks of one link counted per UTC day: past it, clicks are answered and not
/// counted, so a flood costs nothing but the answer.
pub const CLICKS_PER_LINK_AND_DAY_MAX: i64 = 10_000;

/// A program to create.
#[derive(Debug, Clone)]
pub struct NewProgram {
    /// The caller's id for it.
    pub program_id: Uuid,
    /// Its provider (must exist).
    pub provider_id: Uuid,
    /// Its name.
    pub name: String,
    /// How it pays.
    pub rule: CommissionRule,
}

/// Creates an affiliate program of an existing provider.
pub async fn create_program(
    core: &Core,
    context: &CommandContext,
    key: Option<CommandKey>,
    program: NewProgram,
) -> Result<Committed<AffiliateProgram>, Error> {
    crate::usecases::providers::named(core, program.provider_id).await?;
    Ok(core
        .store
        .execute::<AffiliateProgram>(
            &program.program_id.to_string(),
            ProgramCommand::CreateProgram {
                program_id: AffiliateProgramId::from_uuid(program.program_id),
                provider_id: ProviderId::from_uuid(program.provider_id),
                name: program.name,
                rule: program.rule,
            },
            context,
            key.as_slice(),
        )
        .await?)
}

/// Closes a program to new affiliates and referrals.
pub async fn close_program(
    core: &Core,
    context: &CommandContext,
    key: Option<CommandKey>,
    program_id: Uuid,
) -> Result<Committed<AffiliateProgram>, Error> {
    Ok(core
        .store
        .execute::<AffiliateProgram>(
            &program_id.to_string(),
            ProgramCommand::CloseProgram,
            context,
            key.as_slice(),
        )
        .await?)
}

/// The client `client_id` joins the program `program_id` of its provider. Returns the
/// affiliate's id.
pub async fn join(
    core: &Core,
    context: &CommandContext,
    key: Option<CommandKey>,
    client_id: Uuid,
    program_id: Uuid,
) -> Result<(AffiliateId, Committed<Affiliate>), Error> {
    let (provider_id, _) = crate::usecases::clients::active(core, client_id).await?;
    let program = core
        .store
        .load::<AffiliateProgram>(&program_id.to_string())
        .await?
        .aggregate;
    let rule = program.admits(provider_id)?.clone();
    let program_id = AffiliateProgramId::from_uuid(program_id);
    let client_id = ClientId::from_uuid(client_id);
    let affiliate_id = AffiliateId::of(program_id, client_id);
    let committed = core
        .store
        .execute::<Affiliate>(
            &affiliate_id.to_string(),
            AffiliateCommand::JoinProgram {
                program_id,
                provider_id,
                client_id,
                rule,
            },
            context,
            key.as_slice(),
        )
        .await?;
    Ok((affiliate_id, committed))
}

/// Gives the affiliate of `client_id` in `program_id` a new referral link with a fresh code.
pub async fn add_link(
    core: &Core,
    context: &CommandContext,
    key: Option<CommandKey>,
    client_id: Uuid,
    program_id: Uuid,
) -> Result<(ReferralCode, Committed<Affiliate>), Error> {
    let affiliate_id = AffiliateId::of(
        AffiliateProgramId::from_uuid(program_id),
        ClientId::from_uuid(client_id),
    );
    // Twelve hexadecimal digits of a random UUID: 2^48 codes, so a collision is not a concern
    // for any number of links a provider gives out.
    let random = Uuid::new_v4().simple().to_string().to_ascii_uppercase();
    let code = ReferralCode::parse(random.get(..12).unwrap_or(&random))?;
    let committed = core
        .store
        .execute::<Affiliate>(
            &affiliate_id.to_string(),
            AffiliateCommand::AddLink { code: code.clone() },
            context,
            key.as_slice(),
        )
        .await?;
    Ok((code, committed))
}

/// A click of a referral link: whether the code is a link and whether the click was counted.
#[derive(Debug, Clone)]
pub struct Click {
    /// The link's owner.
    pub owner: projections::affiliates::LinkOwner,
    /// Whether it was counted (false past the day's cap).
    pub counted: bool,
}

/// Counts a click of the link `code`; `None` for no such link.
pub async fn click(core: &Core, code: &str) -> Result<Option<Click>, Error> {
    let code = ReferralCode::parse(code)?;
    let Some(owner) = projections::affiliates::link_owner(&core.pool, code.as_str()).await? else {
        return Ok(None);
    };
    // A click is counted by a write, which a query's replica cannot take: the primary counts it.
    let counted = projections::affiliates::count_click(
        core.pool.primary(),
        code.as_str(),
        core.today(),
        CLICKS_PER_LINK_AND_DAY_MAX,
    )
    .await?;
    Ok(Some(Click { owner, counted }))
}

/// Records that `client_id` signed up through the link `code`: the client must be of the
/// program's provider, the program open, and the client not the affiliate.
pub async fn refer(
    core: &Core,
    context: &CommandContext,
    key: Option<CommandKey>,
    client_id: Uuid,
    code: &str,
) -> Result<Committed<Referral>, Error> {
    let code = ReferralCode::parse(code)?;
    let (provider_id, _) = crate::usecases::clients::active(core, client_id).await?;
    let Some(owner) = projections::affiliates::link_owner(&core.pool, code.as_str()).await? else {
        return Err(Error::refused(
            "referral_code_not_found",
            format!("code: no referral link {code}"),
        ));
    };
    let program = core
        .store
        .load::<AffiliateProgram>(&owner.program_id.to_string())
        .await?
        .aggregate;
    program.admits(provider_id)?;
    Ok(core
        .store
        .execute::<Referral>(
            &client_id.to_string(),
            ReferralCommand::ReferClient {
                referred_client: ClientId::from_uuid(client_id),
                affiliate_id: AffiliateId::from_uuid(owner.affiliate_id),
                affiliate_client: ClientId::from_uuid(owner.client_id),
                program_id: AffiliateProgramId::from_uuid(owner.program_id),
                code,
                on: core.today(),
            },
            context,
            key.as_slice(),
        )
        .await?)
}

/// A sign-up's referral code, checked before the client is written: the link exists, is of the
/// provider the client registers with, and its program is open.
#[derive(Debug, Clone)]
pub struct SignUpCode {
    code: ReferralCode,
    owner: projections::affiliates::LinkOwner,
}

/// Checks the code a client registering with `provider_id` signed up through. A bad code is a
/// refusal naming `referral_code`, so the registration writes nothing and the shop can show it.
pub async fn sign_up_code(core: &Core, provider_id: Uuid, code: &str) -> Result<SignUpCode, Error> {
    let not_found = || {
        Error::refused(
            "referral_code_not_found",
            format!("referral_code: no referral link {code:?} of this provider"),
        )
    };
    let code = ReferralCode::parse(code).map_err(|_| {
        Error::refused(
            "invalid_referral_code",
            format!(
                "referral_code: 6 to 32 letters and digits, not {:?}",
                code.chars().take(40).collect::<String>()
            ),
        )
    })?;
    let owner = projections::affiliates::link_owner(&core.pool, code.as_str())
        .await?
        .filter(|owner| owner.provider_id == provider_id)
        .ok_or_else(not_found)?;
    let program = core
        .store
        .load::<AffiliateProgram>(&owner.program_id.to_string())
        .await?
        .aggregate;
    program.admits(ProviderId::from_uuid(provider_id))?;
    Ok(SignUpCode { code, owner })
}

/// Refers the client `client_id` just registered through the checked `sign_up` code, on `on`
/// (the provider's business day). The Referral aggregate's rule holds: once, never the
/// affiliate itself; a repeated registration refers the same client to the same affiliate again,
/// which changes nothing.
pub async fn refer_signed_up(
    core: &Core,
    context: &CommandContext,
    client_id: Uuid,
    sign_up: SignUpCode,
    on: chrono::NaiveDate,
) -> Result<Committed<Referral>, Error> {
    let owner = sign_up.owner;
    Ok(core
        .store
        .execute::<Referral>(
            &client_id.to_string(),
            ReferralCommand::ReferClient {
                referred_client: ClientId::from_uuid(client_id),
                affiliate_id: AffiliateId::from_uuid(owner.affiliate_id),
                affiliate_client: ClientId::from_uuid(owner.client_id),
                program_id: AffiliateProgramId::from_uuid(owner.program_id),
                code: sign_up.code,
                on,
            },
            context,
            &[],
        )
        .await?)
}

/// A payout to make.
#[derive(Debug, Clone)]
pub struct NewPayout {
    /// The caller's id for it: its key.
    pub payout_id: Uuid,
    /// The program whose commission is paid out.
    pub program_id: Uuid,
    /// What is paid out.
    pub amount: Money,
    /// Where it goes.
    pub destination: PayoutDestination,
}

/// Pays out accrued commission of `client_id` in a program: the affiliate records it (never more
/// than accrued less paid), then a payout to the account credits it there (an adjustment whose id
/// is the payout's, so the rerun of a request a crash interrupted credits it once;
/// `process::affiliates` also finishes it).
pub async fn pay_out(
    core: &Core,
    context: &CommandContext,
    key: Option<CommandKey>,
    client_id: Uuid,
    payout: NewPayout,
) -> Result<Committed<Affiliate>, Error> {
    let affiliate_id = AffiliateId::of(
        AffiliateProgramId::from_uuid(payout.program_id),
        ClientId::from_uuid(client_id),
    );
    let to_account = payout.destination == PayoutDestination::Account;
    if to_account {
        // The account must exist in the payout's currency before anything is recorded.
        let (_, currency) = crate::usecases::clients::active(core, client_id).await?;
        if currency != payout.amount.currency() {
            return Err(Error::refused(
                "currency_mismatch",
                format!(
                    "currency: the client's account is in {currency}, not {}",
                    payout.amount.currency()
                ),
            ));
        }
    }
    let payout_key = CommandKey::new(
        "affiliate_payout",
        payout.payout_id.to_string(),
        &(
            affiliate_id,
            payout.amount.amount().to_string(),
            payout.amount.currency().code(),
            &payout.destination,
        ),
        serde_json::json!({ "id": payout.payout_id }),
    )
    .map_err(|e| Error::internal(&e))?;
    let keys: Vec<CommandKey> = std::iter::once(payout_key).chain(key).collect();
    let committed = core
        .store
        .execute::<Affiliate>(
            &affiliate_id.to_string(),
            AffiliateCommand::PayOut {
                payout_id: PayoutId::from_uuid(payout.payout_id),
                amount: payout.amount,
                destination: payout.destination,
                by_affiliate: matches!(context.actor, Actor::User(_)),
            },
            context,
            &keys,
        )
        .await?;
    if to_account {
        let provider_id = core
            .store
            .load::<Affiliate>(&affiliate_id.to_string())
            .await?
            .aggregate
            .provider_id()
            .ok_or_else(|| Error::refused("not_an_affiliate", "program_id: not an affiliate"))?;
        credit_payout(
            core.store.as_ref(),
            context,
            ClientId::from_uuid(client_id),
            provider_id,
            PayoutId::from_uuid(payout.payout_id),
            payout.amount,
        )
        .await?;
    }
    Ok(committed)
}

/// Credits the payout `payout_id` to the affiliate's account: a balance adjustment whose id is
/// the payout's, keyed by it, so it is credited once however often it is asked.
pub async fn credit_payout(
    store: &eventstore::EventStore,
    context: &CommandContext,
    client_id: ClientId,
    provider_id: ProviderId,
    payout_id: PayoutId,
    amount: Money,
) -> Result<(), Error> {
    let account = domain::ids::AccountId::of(client_id, provider_id, amount.currency());
    let key = CommandKey::new(
        "adjustment",
        payout_id.to_string(),
        &("affiliate_payout", payout_id, amount.amount().to_string()),
        serde_json::json!({ "id": payout_id }),
    )
    .map_err(|e| Error::internal(&e))?;
    store
        .execute::<Account>(
            &account.to_string(),
            AccountCommand::AdjustBalance {
                client_id,
                provider_id,
                adjustment_id: AdjustmentId::from_uuid(payout_id.as_uuid()),
                amount,
                reason: format!("Affiliate commission payout {payout_id}"),
            },
            context,
            &[key],
        )
        .await?;
    Ok(())
}
