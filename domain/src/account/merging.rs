//! What a merge does to an account (ADR 6 and its addendum): its balance moves out to the
//! account merged into and arrives there, and a merged account stays empty, forwarding whatever
//! reaches it later.

use super::{Account, AccountError, AccountEvent};
use crate::ids::{AccountId, ClientId, MergeId, ProviderId};
use crate::money::Money;

impl Account {
    /// What `merge` moved out of this account, if it moved anything.
    pub fn transferred_out(&self, merge: MergeId) -> Option<Money> {
        self.open
            .as_ref()
            .and_then(|open| open.transfers_out.get(&merge).copied())
    }

    /// The account this one was merged into, and the merge, once a merge has moved its balance.
    pub fn merged_into(&self) -> Option<(MergeId, AccountId)> {
        self.open.as_ref().and_then(|open| open.merged_into)
    }

    /// A merged account stays empty (ADR 6, addendum): what reaches it after its merge (a
    /// payment confirmed late, a refund or reversal of an old payment, a correction of an old
    /// charge, a merge into it finishing late) moves on to the account it was merged into in the
    /// same decision, as the merge moved its balance: a debt as a negative amount. The merging
    /// process receives it there.
    pub(super) fn forwarding(&self, mut events: Vec<AccountEvent>) -> Vec<AccountEvent> {
        let Some(open) = &self.open else {
            return events;
        };
        let Some((merge_id, to_account)) = open.merged_into else {
            return events;
        };
        let Some(left) = events.iter().rev().find_map(AccountEvent::balance_after) else {
            return events;
        };
        if !left.is_zero() {
            events.push(AccountEvent::BalanceTransferredOut {
                merge_id,
                to_account,
                amount: left,
                balance_after: Money::zero(left.currency()),
                forward: Some(open.forwarded.saturating_add(1)),
            });
        }
        events
    }

    /// Decides [`AccountCommand::TransferBalanceOut`]: `zero` is zero in the account's
    /// currency, which opens an account never opened, so that it is marked merged too.
    pub(super) fn transfer_balance_out(
        &self,
        client_id: ClientId,
        provider_id: ProviderId,
        zero: Money,
        merge_id: MergeId,
        to_account: AccountId,
    ) -> Result<Vec<AccountEvent>, AccountError> {
        let (mut events, balance) = self.open_for(client_id, provider_id, zero)?;
        let account_id = AccountId::of(client_id, provider_id, zero.currency());
        if to_account == self.account_id().unwrap_or(account_id) {
            return Err(AccountError::InvalidTransfer);
        }
        if self
            .open
            .as_ref()
            .is_some_and(|open| open.transfers_out.contains_key(&merge_id))
        {
            return Ok(vec![]);
        }
        events.push(AccountEvent::BalanceTransferredOut {
            merge_id,
            to_account,
            amount: balance,
            balance_after: zero,
            forward: None,
        });
        Ok(events)
    }

    /// Decides [`AccountCommand::TransferBalanceIn`] of what `from_account` moved out, by its
    /// merge or as its `forward`-th forward.
    pub(super) fn transfer_balance_in(
        &self,
        client_id: ClientId,
        provider_id: ProviderId,
        merge_id: MergeId,
        (from_account, forward): (AccountId, Option<u32>),
        amount: Money,
    ) -> Result<Vec<AccountEvent>, AccountError> {
        let (mut events, balance) = self.open_for(client_id, provider_id, amount)?;
        if amount.is_zero() || self.account_id() == Some(from_account) {
            return Err(AccountError::InvalidTransfer);
        }
        let received = self.open.as_ref().is_some_and(|open| match forward {
            None => open.transfers_in.contains(&(merge_id, from_account)),
            Some(n) => open.forwards_in.contains(&(merge_id, from_account, n)),
        });
        if received {
            return Ok(vec![]);
        }
        events.push(AccountEvent::BalanceTransferredIn {
            merge_id,
            from_account,
            amount,
            balance_after: balance.checked_add(amount)?,
            forward,
        });
        Ok(events)
    }
}
