//! A task from the queue to its handler: a mailbox task (`mailbox_task`: plan, then copy the small folders) or a
//! folder task (`copy`: one folder until done or the deadline). Both homes' workers call [`on_task`].

use super::copy::{self, TaskOutcome};
use super::holds::CopyPorts;
use super::{StageError, Task, mailbox_task};
use tokio::time::Instant;

/// Handle one task. `deadline`: when the worker must stop (Lambda's deadline minus a margin); `last_delivery`:
/// the queue will not deliver this message again, so a retryable failure is recorded as final.
pub async fn on_task<D>(
    deps: &D,
    task: &Task,
    deadline: Option<Instant>,
    last_delivery: bool,
) -> Result<TaskOutcome, StageError>
where
    D: CopyPorts,
{
    match task {
        Task::Mailbox { job, pass, mailbox } => {
            mailbox_task::on_mailbox(deps, job, *pass, mailbox, deadline, last_delivery).await
        }
        Task::Folder(spec) => copy::on_folder(deps, spec, deadline, last_delivery).await,
    }
}
