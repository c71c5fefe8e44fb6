use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::ContactInput;
use crate::ids::{ClientId, ContactId, MergeId, ProviderId, ServiceId};

/// What can be asked of a domain contact. Each command but the creation names the client asking,
/// and a contact answers `NotFound` to any other client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ContactCommand {
    /// Creates a contact of a client from its details as typed.
    CreateContact {
        /// The caller-chosen id.
        contact_id: ContactId,
        /// The client the contact belongs to.
        client_id: ClientId,
        /// The client's provider.
        provider_id: ProviderId,
        /// The details as typed; the contact checks them.
        input: ContactInput,
        /// The day of the request, for the dates' checks.
        on: NaiveDate,
    },
    /// Replaces the contact's details. The same details record nothing.
    UpdateContact {
        /// The client asking.
        client_id: ClientId,
        /// The details as typed.
        input: ContactInput,
        /// The day of the request.
        on: NaiveDate,
    },
    /// Deletes the contact, which must serve no domain service that is not closed. An attachment
    /// whose service was never ordered (an order that failed or stopped in a crash after the
    /// contact agreed) holds the contact only for [`ABANDONED_AFTER`](super::ABANDONED_AFTER);
    /// after that the deletion lets it go first.
    DeleteContact {
        /// The client asking.
        client_id: ClientId,
        /// Which of the attached services were ordered (their streams hold the order): the
        /// caller's facts.
        ordered: BTreeSet<ServiceId>,
        /// The time of the request.
        now: DateTime<Utc>,
    },
    /// Records that a domain service of the client uses the contact (in one role or more), before
    /// the service is ordered or given it: a deleted contact or another client's cannot be used.
    /// Attaching a service already attached records nothing.
    AttachContact {
        /// The client of the service.
        client_id: ClientId,
        /// The service.
        service_id: ServiceId,
        /// The time of the request.
        at: DateTime<Utc>,
    },
    /// Moves the contact, as a step of a merge, to the client its client was merged into, with
    /// the services it serves (the merge moves them too). A contact already the client's, or
    /// deleted, records nothing; one of another provider is refused.
    TransferContact {
        /// The client it moves to.
        to_client: ClientId,
        /// That client's provider: the contact's own.
        provider_id: ProviderId,
        /// The merge.
        merge_id: MergeId,
    },
    /// Records that a service no longer uses the contact (it was closed, given other contacts,
    /// or its order failed). A service not attached records nothing.
    DetachContact {
        /// The service.
        service_id: ServiceId,
    },
}
