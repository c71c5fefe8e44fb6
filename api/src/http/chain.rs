//! The audit chain as answers show it: the sealed head, an exported link given back for
//! verification, and the verdict. Shared by the audit routes and `billing audit`.

use projections::seal::{self, Anchor, Hash};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::error::ApiError;

/// The latest link of the chain. Keep it: verifying later with it proves that nothing up to
/// its position was rewritten since, even together with the chain.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HeadView {
    /// The global position of the last sealed event (0 when nothing is sealed yet).
    pub position: i64,
    /// Its transaction id.
    pub tx_id: i64,
    /// The chain's SHA-256 after it, 64 hexadecimal digits (zeros when nothing is sealed).
    pub hash: String,
    /// Events sealed.
    pub sealed_events: i64,
}

impl HeadView {
    /// The view of `seal::head`'s answer: the last link and how many events are sealed, or the
    /// genesis when nothing is sealed yet.
    pub fn of(head: Option<(seal::Link, i64)>) -> Self {
        match head {
            Some((link, sealed_events)) => HeadView {
                position: link.at.position,
                tx_id: link.at.tx_id,
                hash: seal::to_hex(&link.hash),
                sealed_events,
            },
            None => HeadView {
                position: 0,
                tx_id: 0,
                hash: seal::to_hex(&seal::GENESIS),
                sealed_events: 0,
            },
        }
    }
}

/// A link as exported.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LinkView {
    /// The sealed event's global position.
    pub position: i64,
    /// Its transaction id.
    pub tx_id: i64,
    /// The chain's hash after it.
    pub hash: String,
}

/// The first place where the log and its seal part.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FindingView {
    /// The global position.
    pub position: i64,
    /// `altered`, `removed`, `inserted`, `chain_broken` or `link_not_in_chain`.
    pub kind: String,
    /// In words.
    pub detail: String,
}

/// The verdict on the log.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VerificationView {
    /// True when every sealed event is in the log exactly as sealed, none is missing, none was
    /// slipped in between, and the given link (if any) is still in the chain.
    pub clean: bool,
    /// Events recomputed and compared.
    pub events_checked: u64,
    /// The head verified up to.
    pub sealed_head: Option<LinkView>,
    /// Events after the sealed head, not sealed yet.
    pub unsealed: i64,
    /// The first mismatch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_problem: Option<FindingView>,
}

impl From<seal::Verification> for VerificationView {
    fn from(v: seal::Verification) -> Self {
        Self {
            clean: v.clean,
            events_checked: v.events_checked,
            sealed_head: v.sealed_head.map(|l| LinkView {
                position: l.position,
                tx_id: l.tx_id,
                hash: l.hash,
            }),
            unsealed: v.unsealed,
            first_problem: v.first_problem.map(|f| FindingView {
                position: f.position,
                kind: serde_json::to_value(f.kind)
                    .ok()
                    .and_then(|k| k.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                detail: f.detail,
            }),
        }
    }
}

/// Parses an exported link: both `position` and `hash`, or neither.
pub fn anchor(position: Option<i64>, hash: Option<&str>) -> Result<Option<Anchor>, ApiError> {
    match (position, hash) {
        (None, None) => Ok(None),
        (Some(position), Some(hash)) => {
            if position < 0 {
                return Err(ApiError::bad_request(
                    "invalid_query",
                    format!("position must not be negative, not {position}"),
                ));
            }
            let hash: Hash = seal::from_hex(hash).ok_or_else(|| {
                ApiError::bad_request("invalid_query", "hash: not 64 hexadecimal digits")
            })?;
            Ok(Some(Anchor { position, hash }))
        }
        _ => Err(ApiError::bad_request(
            "invalid_query",
            "give both position and hash of an exported link, or neither",
        )),
    }
}
