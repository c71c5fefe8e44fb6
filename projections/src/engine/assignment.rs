//! Which node runs which projection workers: named groups of projections
//! (`BILLING_PROJECTION_GROUPS`) and the groups a node runs (`BILLING_RUN_GROUPS`), ADR 35.
//!
//! A group is configuration only. The read models of a group that a node runs share one group
//! worker there ([`super::try_project_group`]: one reader, two transactions per step); its
//! projections that [run alone](super::Projection::runs_alone) (the process managers) get a
//! worker each, as before. The advisory locks, not the assignment, keep one worker per
//! projection at a time: two nodes that run the same group take turns step by step, and a node
//! that dies releases its locks with its connections, so the other carries on.
//!
//! Every projection must be in exactly one group: one left out would never be applied, which
//! only shows much later as a read model that stopped, so such an assignment is refused at start,
//! as is a name no projection has.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use super::Projection;

/// The assignment when `BILLING_PROJECTION_GROUPS` is not set: one group with every projection,
/// which is how a node ran its workers before groups existed.
pub const DEFAULT_GROUPS: &str = "default=*";

/// The member that stands for every projection no other group names.
const REST: &str = "*";

/// Words `BILLING_RUN_GROUPS` gives a meaning, which no group may be called.
const RESERVED: [&str; 2] = ["all", "none"];

/// Why an assignment or a choice of groups was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssignmentError {
    /// The text does not read as `name=member,member;name=…`.
    #[error("BILLING_PROJECTION_GROUPS: {0}")]
    Malformed(String),
    /// A member is no projection's name.
    #[error(
        "BILLING_PROJECTION_GROUPS: group {group} names {member}, which is no projection (known: {known})"
    )]
    UnknownProjection {
        /// The group.
        group: String,
        /// The name given.
        member: String,
        /// Every projection's name.
        known: String,
    },
    /// A projection is in two groups (or twice in one).
    #[error("BILLING_PROJECTION_GROUPS: {member} is in more than one group ({first} and {second})")]
    Twice {
        /// The projection.
        member: String,
        /// The group that named it first.
        first: String,
        /// The group that named it again.
        second: String,
    },
    /// Projections no group names, with no `*` group to take them: nobody would ever apply them.
    #[error(
        "BILLING_PROJECTION_GROUPS: {0} in no group, so no node would ever run them: add them to a \
         group, or add a group with * (every projection not named elsewhere)"
    )]
    Unassigned(String),
    /// `BILLING_RUN_GROUPS` names a group the assignment does not have.
    #[error("BILLING_RUN_GROUPS: no group is called {name} (groups: {known})")]
    UnknownGroup {
        /// The name given.
        name: String,
        /// The groups there are.
        known: String,
    },
}

/// The named groups, as configured (`name=member,member;name=…`, `*` for every projection not
/// named in another group).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Groups {
    groups: Vec<(String, Vec<String>)>,
}

impl Default for Groups {
    fn default() -> Self {
        Self {
            groups: vec![("default".to_owned(), vec![REST.to_owned()])],
        }
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

impl Groups {
    /// Reads `ledger=balances,statement;rest=*`: groups separated by `;`, each a name (lowercase
    /// letters, digits, `_`, `-`), `=` and its members separated by `,`. Blanks around names are
    /// ignored, as is an empty text (the default, one group with everything).
    pub fn parse(text: &str) -> Result<Groups, AssignmentError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Groups::default());
        }
        if text.len() > 4096 {
            return Err(AssignmentError::Malformed(
                "longer than 4096 characters".to_owned(),
            ));
        }
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for part in text
            .split(';')
            .map(str::trim)
            .filter(|part| !part.is_empty())
        {
            let Some((name, members)) = part.split_once('=') else {
                return Err(AssignmentError::Malformed(format!(
                    "{part:?} is not name=member,member"
                )));
            };
            let name = name.trim();
            if !valid_name(name) {
                return Err(AssignmentError::Malformed(format!(
                    "{name:?} is not a group name (lowercase letters, digits, _ and -)"
                )));
            }
            if RESERVED.contains(&name) {
                return Err(AssignmentError::Malformed(format!(
                    "{name} is a word of BILLING_RUN_GROUPS, not a group name"
                )));
            }
            if groups.iter().any(|(known, _)| known == name) {
                return Err(AssignmentError::Malformed(format!(
                    "group {name} is given twice"
                )));
            }
            let members: Vec<String> = members
                .split(',')
                .map(str::trim)
                .filter(|member| !member.is_empty())
                .map(str::to_owned)
                .collect();
            if members.is_empty() {
                return Err(AssignmentError::Malformed(format!(
                    "group {name} has no members"
                )));
            }
            groups.push((name.to_owned(), members));
        }
        if groups.is_empty() {
            return Ok(Groups::default());
        }
        if groups
            .iter()
            .filter(|(_, members)| members.iter().any(|member| member == REST))
            .count()
            > 1
        {
            return Err(AssignmentError::Malformed(
                "more than one group has * (every projection not named elsewhere)".to_owned(),
            ));
        }
        Ok(Groups { groups })
    }

    /// The groups' names, in the order given.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.groups.iter().map(|(name, _)| name.as_str())
    }

    /// Deals `projections` into the groups, in their order within each group (a group worker's
    /// read models are dealt over its two transactions in that order). Refuses a member that is no
    /// projection, a projection named twice, and projections in no group.
    pub fn assign(
        &self,
        projections: Vec<Arc<dyn Projection>>,
    ) -> Result<Vec<Group>, AssignmentError> {
        let known = || {
            projections
                .iter()
                .map(|projection| projection.name())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut owner: Vec<(&str, &str)> = Vec::new();
        for (group, members) in &self.groups {
            for member in members.iter().filter(|member| *member != REST) {
                if !projections.iter().any(|p| p.name() == member) {
                    return Err(AssignmentError::UnknownProjection {
                        group: group.clone(),
                        member: member.clone(),
                        known: known(),
                    });
                }
                if let Some(&(_, first)) = owner.iter().find(|(named, _)| named == member) {
                    return Err(AssignmentError::Twice {
                        member: member.clone(),
                        first: first.to_owned(),
                        second: group.clone(),
                    });
                }
                owner.push((member, group));
            }
        }
        let rest = self
            .groups
            .iter()
            .find(|(_, members)| members.iter().any(|member| member == REST))
            .map(|(name, _)| name.as_str());
        let unassigned: Vec<&str> = projections
            .iter()
            .map(|projection| projection.name())
            .filter(|name| !owner.iter().any(|(named, _)| named == name))
            .collect();
        if rest.is_none() && !unassigned.is_empty() {
            return Err(AssignmentError::Unassigned(unassigned.join(", ")));
        }
        let mut groups: Vec<Group> = self
            .groups
            .iter()
            .map(|(name, _)| Group {
                name: name.clone(),
                members: Vec::new(),
            })
            .collect();
        for (group, (_, members)) in groups.iter_mut().zip(&self.groups) {
            for member in members {
                if member == REST {
                    group.members.extend(
                        projections
                            .iter()
                            .filter(|p| unassigned.contains(&p.name()))
                            .cloned(),
                    );
                } else if let Some(found) = projections.iter().find(|p| p.name() == member) {
                    group.members.push(Arc::clone(found));
                }
            }
        }
        Ok(groups)
    }
}

/// One group of projections, with its workers' projections.
#[derive(Clone)]
pub struct Group {
    /// The group's name.
    pub name: String,
    /// Its projections, read models and process managers alike.
    pub members: Vec<Arc<dyn Projection>>,
}

impl fmt::Debug for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.members.iter().map(|member| member.name()).collect();
        f.debug_struct("Group")
            .field("name", &self.name)
            .field("members", &names)
            .finish()
    }
}

impl Group {
    /// How many database connections this group's workers hold at most at once: two for its
    /// read models' group worker (a step applies them in two transactions at once), one for each
    /// projection that runs alone (each holds its connection for a whole batch).
    pub fn connections(&self) -> u32 {
        let alone = self.members.iter().filter(|p| p.runs_alone()).count();
        let together = if alone < self.members.len() { 2 } else { 0 };
        u32::try_from(alone + together).unwrap_or(u32::MAX)
    }
}

/// Which groups a node runs (`BILLING_RUN_GROUPS`): `all` (the default), `none`, or a list of
/// group names separated by `,`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum RunGroups {
    /// Every group.
    #[default]
    All,
    /// These groups only (none when empty).
    Only(BTreeSet<String>),
}

impl RunGroups {
    /// Reads `all`, `none` or `ledger,audit`. An empty text is `all`.
    pub fn parse(text: &str) -> Result<RunGroups, AssignmentError> {
        let text = text.trim();
        match text {
            "" | "all" => Ok(RunGroups::All),
            "none" => Ok(RunGroups::Only(BTreeSet::new())),
            _ => {
                let mut names = BTreeSet::new();
                for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                    if !valid_name(name) || RESERVED.contains(&name) {
                        return Err(AssignmentError::Malformed(format!(
                            "BILLING_RUN_GROUPS: {name:?} is not a group name (or all, or none)"
                        )));
                    }
                    names.insert(name.to_owned());
                }
                Ok(RunGroups::Only(names))
            }
        }
    }

    /// Whether this runs no group at all.
    pub fn is_none(&self) -> bool {
        matches!(self, RunGroups::Only(names) if names.is_empty())
    }
}

/// What a node runs: the assignment and its choice of groups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assignment {
    /// The named groups.
    pub groups: Groups,
    /// The groups this node runs.
    pub run: RunGroups,
}

impl Assignment {
    /// Deals `projections` into the groups and returns the groups this node runs. Refuses what
    /// [`Groups::assign`] refuses, and a group to run that the assignment does not have.
    pub fn select(
        &self,
        projections: Vec<Arc<dyn Projection>>,
    ) -> Result<Vec<Group>, AssignmentError> {
        let groups = self.groups.assign(projections)?;
        match &self.run {
            RunGroups::All => Ok(groups),
            RunGroups::Only(names) => {
                if let Some(unknown) = names
                    .iter()
                    .find(|name| !groups.iter().any(|group| &group.name == *name))
                {
                    return Err(AssignmentError::UnknownGroup {
                        name: unknown.clone(),
                        known: self.groups.names().collect::<Vec<_>>().join(", "),
                    });
                }
                Ok(groups
                    .into_iter()
                    .filter(|group| names.contains(&group.name))
                    .collect())
            }
        }
    }
}

#[cfg(test)]
mod tests;
