//! Provisioning operations: what the external provisioning service reports, and staff retry.

use domain::ids::OperationId;
use domain::service::{Service, ServiceCommand};
use eventstore::metadata::CommandContext;
use eventstore::{CommandKey, Committed};
use uuid::Uuid;

use crate::usecases::{Core, Error};

/// The service the operation `operation` belongs to, by the services read model
/// (`operation_not_found`).
async fn service_of(core: &Core, operation: Uuid) -> Result<Uuid, Error> {
    projections::services::service_of_operation(&core.pool, operation)
        .await?
        .ok_or_else(|| Error::not_found("operation_not_found", format!("no operation {operation}")))
}

/// Runs `command` on the service of `operation`.
async fn run(
    core: &Core,
    context: &CommandContext,
    idempotency: Option<CommandKey>,
    operation: Uuid,
    command: ServiceCommand,
) -> Result<Committed<Service>, Error> {
    let service = service_of(core, operation).await?;
    let when = crate::usecases::clocks::of_service(
        &core.store,
        domain::ids::ServiceId::from_uuid(service),
    )
    .await?;
    let context = &when.stamp(context);
    Ok(core
        .store
        .execute::<Service>(
            &service.to_string(),
            command,
            context,
            idempotency.as_slice(),
        )
        .await?)
}

/// Records that an operation was done.
pub async fn complete_operation(
    core: &Core,
    context: &CommandContext,
    idempotency: Option<CommandKey>,
    operation: Uuid,
) -> Result<Committed<Service>, Error> {
    let command = ServiceCommand::CompleteOperation {
        operation_id: OperationId::from_uuid(operation),
    };
    run(core, context, idempotency, operation, command).await
}

/// Records that an operation failed, and why.
pub async fn fail_operation(
    core: &Core,
    context: &CommandContext,
    idempotency: Option<CommandKey>,
    operation: Uuid,
    reason: String,
) -> Result<Committed<Service>, Error> {
    let command = ServiceCommand::FailOperation {
        operation_id: OperationId::from_uuid(operation),
        reason,
    };
    run(core, context, idempotency, operation, command).await
}

/// Requests a failed operation again under the id `new_operation`.
pub async fn retry_operation(
    core: &Core,
    context: &CommandContext,
    idempotency: Option<CommandKey>,
    operation: Uuid,
    new_operation: Uuid,
) -> Result<Committed<Service>, Error> {
    let command = ServiceCommand::RetryOperation {
        operation_id: OperationId::from_uuid(operation),
        new_operation_id: OperationId::from_uuid(new_operation),
    };
    run(core, context, idempotency, operation, command).await
}
