use std::sync::Arc;

use async_trait::async_trait;
use eventstore::log::StoredEvent;
use sqlx::PgConnection;

use super::{Assignment, AssignmentError, Groups, RunGroups};
use crate::{Projection, ProjectionError};

struct Named(&'static str, bool);

#[async_trait]
impl Projection for Named {
    fn name(&self) -> &'static str {
        self.0
    }
    fn version(&self) -> i32 {
        1
    }
    fn tables(&self) -> &'static [&'static str] {
        &[]
    }
    async fn apply_batch(
        &self,
        _tx: &mut PgConnection,
        _events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        Ok(())
    }
    fn runs_alone(&self) -> bool {
        self.1
    }
}

fn workers() -> Vec<Arc<dyn Projection>> {
    vec![
        Arc::new(Named("balances", false)),
        Arc::new(Named("statement", false)),
        Arc::new(Named("action_log", false)),
        Arc::new(Named("settlement", true)),
    ]
}

fn names(groups: &[super::Group]) -> Vec<(String, Vec<&'static str>)> {
    groups
        .iter()
        .map(|group| {
            (
                group.name.clone(),
                group.members.iter().map(|m| m.name()).collect(),
            )
        })
        .collect()
}

#[test]
fn the_default_is_one_group_with_every_projection() {
    let groups = Assignment::default().select(workers()).unwrap();
    assert_eq!(
        names(&groups),
        vec![(
            "default".to_owned(),
            vec!["balances", "statement", "action_log", "settlement"]
        )]
    );
    assert_eq!(Groups::parse("  ").unwrap(), Groups::default());
    assert_eq!(
        Groups::parse(super::DEFAULT_GROUPS).unwrap(),
        Groups::default()
    );
}

#[test]
fn the_star_takes_every_projection_not_named_elsewhere() {
    let groups = Groups::parse("ledger = balances, statement ; rest=*")
        .unwrap()
        .assign(workers())
        .unwrap();
    assert_eq!(
        names(&groups),
        vec![
            ("ledger".to_owned(), vec!["balances", "statement"]),
            ("rest".to_owned(), vec!["action_log", "settlement"]),
        ]
    );
}

#[test]
fn a_projection_in_no_group_is_refused_by_name() {
    let refused = Groups::parse("ledger=balances,statement;audit=action_log")
        .unwrap()
        .assign(workers())
        .unwrap_err();
    assert_eq!(
        refused,
        AssignmentError::Unassigned("settlement".to_owned())
    );
    assert!(
        refused.to_string().contains("settlement in no group"),
        "{refused}"
    );
}

#[test]
fn an_unknown_projection_is_refused_with_the_known_names() {
    let refused = Groups::parse("ledger=balances,balance;rest=*")
        .unwrap()
        .assign(workers())
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("names balance, which is no projection")
            && refused.to_string().contains("statement"),
        "{refused}"
    );
}

#[test]
fn a_projection_in_two_groups_is_refused() {
    let refused = Groups::parse("a=balances;b=balances,statement;rest=*")
        .unwrap()
        .assign(workers())
        .unwrap_err();
    assert_eq!(
        refused,
        AssignmentError::Twice {
            member: "balances".to_owned(),
            first: "a".to_owned(),
            second: "b".to_owned()
        }
    );
}

#[test]
fn malformed_assignments_are_refused() {
    for text in [
        "balances,statement",
        "Ledger=balances",
        "all=*",
        "none=balances",
        "a=;b=*",
        "a=*;b=*",
        "a=balances;a=statement",
    ] {
        assert!(
            matches!(Groups::parse(text), Err(AssignmentError::Malformed(_))),
            "{text}"
        );
    }
}

#[test]
fn a_node_runs_the_groups_it_names_and_an_unknown_group_is_refused() {
    let groups = Groups::parse("ledger=balances,statement;rest=*").unwrap();
    let only_rest = Assignment {
        groups: groups.clone(),
        run: RunGroups::parse("rest").unwrap(),
    };
    assert_eq!(
        names(&only_rest.select(workers()).unwrap()),
        vec![("rest".to_owned(), vec!["action_log", "settlement"])]
    );
    let none = Assignment {
        groups: groups.clone(),
        run: RunGroups::parse("none").unwrap(),
    };
    assert!(none.run.is_none());
    assert!(none.select(workers()).unwrap().is_empty());
    let unknown = Assignment {
        groups,
        run: RunGroups::parse("ledger,audit").unwrap(),
    };
    assert_eq!(
        unknown.select(workers()).unwrap_err(),
        AssignmentError::UnknownGroup {
            name: "audit".to_owned(),
            known: "ledger, rest".to_owned()
        }
    );
    assert_eq!(RunGroups::parse("").unwrap(), RunGroups::All);
    assert!(RunGroups::parse("Ledger").is_err());
}

#[test]
fn a_group_needs_two_connections_for_its_read_models_and_one_per_process_manager() {
    let groups = Groups::parse("ledger=balances,statement;pm=settlement;rest=*")
        .unwrap()
        .assign(workers())
        .unwrap();
    let connections: Vec<u32> = groups.iter().map(super::Group::connections).collect();
    assert_eq!(connections, vec![2, 1, 2]);
}
