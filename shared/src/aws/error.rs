//! Turning SDK errors into [`PortError`]s: throttling, 5xx, timeouts and network failures are retryable;
//! everything else is permanent.

use crate::ports::PortError;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

const RETRYABLE_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "SlowDown",
    "InternalServerError",
    "InternalError",
    "ServiceUnavailable",
    "TransactionConflictException",
    "KMSInternalException",
];

/// Classify and wrap an SDK error.
pub(crate) fn sdk_error<E>(op: &'static str, err: SdkError<E, HttpResponse>) -> PortError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let retryable = match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => true,
        SdkError::ServiceError(se) => {
            let status = se.raw().status().as_u16();
            status >= 500 || status == 429 || se.err().code().is_some_and(|c| RETRYABLE_CODES.contains(&c))
        }
        _ => false,
    };
    let detail = DisplayErrorContext(&err).to_string();
    PortError::Backend { op, retryable, detail, source: Some(Box::new(err)) }
}
