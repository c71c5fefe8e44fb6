//! Group and personal discounts: staff set them on a client group (per item type) and on a
//! client; the charges of the client's services read them here and hand them to the service,
//! which takes the best single discount of them and its promo code's
//! (`Service::due_period_with`, rule in `domain::discount`).

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use domain::client::{Client, ClientCommand};
use domain::discount::{DiscountPercent, DiscountSource, PersonalDiscount, StandingDiscount};
use domain::group::{ClientGroup, ClientGroupCommand};
use domain::ids::ClientId;
use domain::item_type::ItemType;
use eventstore::metadata::CommandContext;
use eventstore::{Committed, EventStore, StoreError};
use uuid::Uuid;

use crate::usecases::{Core, Error};

/// Sets (or, `percent` absent, removes) the discount of the group `group_id` on services of
/// `item_type`, a type staff defined or a built-in one (`unknown_item_type` otherwise). A PUT:
/// setting what is set records nothing, so a retry needs no key.
pub async fn set_group_discount(
    core: &Core,
    context: &CommandContext,
    group_id: Uuid,
    item_type: ItemType,
    percent: Option<DiscountPercent>,
) -> Result<Committed<ClientGroup>, Error> {
    crate::usecases::item_types::settings_of(core, item_type).await?;
    Ok(core
        .store
        .execute::<ClientGroup>(
            &group_id.to_string(),
            ClientGroupCommand::SetGroupDiscount { item_type, percent },
            context,
            &[],
        )
        .await?)
}

/// Sets (or, `discount` absent, removes) the personal discount of the active client
/// `client_id`; each item type it names must be known (`unknown_item_type`).
pub async fn set_personal_discount(
    core: &Core,
    context: &CommandContext,
    client_id: Uuid,
    discount: Option<PersonalDiscount>,
) -> Result<Committed<Client>, Error> {
    crate::usecases::clients::active(core, client_id).await?;
    if let Some(discount) = &discount {
        for item_type in &discount.item_types {
            crate::usecases::item_types::settings_of(core, *item_type).await?;
        }
    }
    Ok(core
        .store
        .execute::<Client>(
            &client_id.to_string(),
            ClientCommand::SetPersonalDiscount { discount },
            context,
            &[],
        )
        .await?)
}

/// The standing discounts of `client_id` as the charge of one of its services takes them: its
/// personal discount first (it wins a tie), then each discount of each group it is in.
pub async fn in_effect(
    store: &EventStore,
    client_id: ClientId,
) -> Result<Vec<StandingDiscount>, StoreError> {
    let client = store
        .load::<Client>(&client_id.to_string())
        .await?
        .aggregate;
    let mut standing = Vec::new();
    if let Some(personal) = client.personal_discount() {
        standing.push(StandingDiscount {
            source: DiscountSource::Personal,
            percent: personal.percent,
            item_types: personal.item_types.clone(),
            until: personal.until,
        });
    }
    for group_id in client.groups() {
        let group = store
            .load::<ClientGroup>(&group_id.to_string())
            .await?
            .aggregate;
        let name = group
            .name()
            .map(|name| name.as_str().to_owned())
            .unwrap_or_default();
        for (item_type, percent) in group.discounts() {
            standing.push(StandingDiscount {
                source: DiscountSource::Group {
                    group_id: *group_id,
                    name: name.clone(),
                },
                percent: *percent,
                item_types: vec![*item_type],
                until: None,
            });
        }
    }
    Ok(standing)
}

/// [`in_effect`] for many clients, each read once (the billing day's batches).
#[derive(Default)]
pub struct InEffect {
    read: HashMap<ClientId, Vec<StandingDiscount>>,
}

impl InEffect {
    /// The standing discounts of `client_id`, read on first use.
    pub async fn of(
        &mut self,
        store: &EventStore,
        client_id: ClientId,
    ) -> Result<&[StandingDiscount], StoreError> {
        if let Entry::Vacant(entry) = self.read.entry(client_id) {
            entry.insert(in_effect(store, client_id).await?);
        }
        Ok(self.read.get(&client_id).map_or(&[], Vec::as_slice))
    }
}
