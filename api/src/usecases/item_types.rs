//! The item type directory: the kinds of thing tariffs sell and their lifecycle policy, which
//! staff edit (`ItemTypeDefinition`, one stream per code). The billing day and orders read a
//! type's policy from its aggregate here (ADR 15).

use std::collections::HashMap;

use domain::item_type::{
    ItemType, ItemTypeCommand, ItemTypeDefinition, ItemTypePolicy, ItemTypeSettings,
};
use eventstore::metadata::CommandContext;
use eventstore::{Committed, EventStore, StoreError};

use crate::usecases::{Core, Error};

/// Creates the item type `code` or replaces its settings; the same settings record nothing.
pub async fn define(
    core: &Core,
    context: &CommandContext,
    code: ItemType,
    settings: ItemTypeSettings,
) -> Result<Committed<ItemTypeDefinition>, Error> {
    Ok(core
        .store
        .execute::<ItemTypeDefinition>(
            code.as_str(),
            ItemTypeCommand::DefineItemType { code, settings },
            context,
            &[],
        )
        .await?)
}

/// The settings in effect for `code`: staff's, else the built-in ones; refused (422
/// `unknown_item_type`) for a code neither defined nor built in. A tariff may only sell a type
/// this answers.
pub async fn settings_of(core: &Core, code: ItemType) -> Result<ItemTypeSettings, Error> {
    let definition = core
        .store
        .load::<ItemTypeDefinition>(code.as_str())
        .await?
        .aggregate;
    Ok(definition.settings_of(code)?)
}

/// The policy in effect for `code` (see [`settings_of`]).
pub async fn policy_of(core: &Core, code: ItemType) -> Result<ItemTypePolicy, Error> {
    Ok(settings_of(core, code).await?.policy)
}

/// Every item type with the settings in effect: the built-in ones (as staff left or changed
/// them) and those staff defined, from the `item_types` read model.
pub async fn list(core: &Core) -> Result<Vec<(ItemType, ItemTypeSettings)>, Error> {
    let rows = projections::item_types::defined(&core.pool).await?;
    let mut types: Vec<(ItemType, ItemTypeSettings)> = ItemType::BUILT_IN
        .into_iter()
        .filter_map(|code| {
            let settings = ItemTypeDefinition::default().settings_of(code).ok()?;
            Some((code, settings))
        })
        .collect();
    for row in rows {
        let Ok(code) = ItemType::parse(&row.code) else {
            continue;
        };
        let suspension = serde_json::from_value(serde_json::Value::String(row.suspension))
            .map_err(|e| Error::internal(&e))?;
        let settings = ItemTypeSettings {
            name: row.name,
            policy: ItemTypePolicy {
                deletion_delay_days: u32::try_from(row.deletion_delay_days).unwrap_or(0),
                suspension,
                grace_days: u32::try_from(row.grace_days).unwrap_or(0),
                auto_prolong: row.auto_prolong,
            },
        };
        match types.iter_mut().find(|(known, _)| *known == code) {
            Some(entry) => entry.1 = settings,
            None => types.push((code, settings)),
        }
    }
    Ok(types)
}

/// The policies of `codes` as their aggregates say now, for the billing day: a code neither
/// defined nor built in (which no tariff can have) is left out, and its services keep their
/// terms.
pub async fn policies(
    store: &EventStore,
    codes: impl IntoIterator<Item = ItemType>,
) -> Result<HashMap<ItemType, ItemTypePolicy>, StoreError> {
    let mut policies = HashMap::new();
    for code in codes {
        if policies.contains_key(&code) {
            continue;
        }
        let definition = store
            .load::<ItemTypeDefinition>(code.as_str())
            .await?
            .aggregate;
        if let Ok(policy) = definition.policy_of(code) {
            policies.insert(code, policy);
        }
    }
    Ok(policies)
}
