//! One error type for every subgraph. Client errors carry a stable `extensions.code`;
//! internal errors are logged with their context and answered with a generic message.

use async_graphql::ErrorExtensions;

pub type ApiResult<T> = Result<T, ApiError>;

/// Deliberately not `Display`: async-graphql turns any `Display` error into a GraphQL error
/// without a code, so the only way out of a resolver is the conversion below, which always
/// sets `extensions.code`.
/// `Clone` because async-graphql requires resolver errors to be; the internal cause is shared.
#[derive(Debug, Clone)]
pub enum ApiError {
    /// `NOT_FOUND`: the ID is well formed but names nothing.
    NotFound { entity: &'static str, id: String },
    /// `VALIDATION`: an input value is malformed or out of range.
    Validation { field: String, message: String },
    /// `DUPLICATE`: the input collides with an existing record (a unique key).
    Duplicate(String),
    /// `CONFLICT`: the record changed since the client read it (stale `expectedVersion`).
    Conflict {
        entity: &'static str,
        id: String,
        expected: i32,
        actual: i32,
    },
    /// `ILLEGAL_TRANSITION`: the workflow does not allow this step from the current status.
    IllegalTransition {
        entity: &'static str,
        from: String,
        to: String,
    },
    /// `FORBIDDEN`: the acting identity may not do this.
    Forbidden(String),
    /// `IDEMPOTENCY_KEY_REUSED`: the idempotency key was claimed by an earlier create whose
    /// input differed; a retry must repeat the input, a new request needs a new key
    /// (the IETF Idempotency-Key draft answers this with 422).
    IdempotencyKeyReused { mutation: String, key: String },
    /// `INTERNAL`: anything else; the details are logged, never sent.
    Internal(std::sync::Arc<anyhow::Error>),
}

impl From<anyhow::Error> for ApiError {
    fn from(err: anyhow::Error) -> Self {
        ApiError::Internal(std::sync::Arc::new(err))
    }
}

impl ApiError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    /// An internal error: logged with this message, answered as `INTERNAL`.
    pub fn internal(message: impl std::fmt::Display) -> Self {
        ApiError::from(anyhow::anyhow!("{message}"))
    }

    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        ApiError::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    /// The message a client sees.
    pub fn message(&self) -> String {
        match self {
            ApiError::NotFound { entity, id } => format!("{entity} {id} was not found"),
            ApiError::Validation { field, message } => format!("{field}: {message}"),
            ApiError::Duplicate(message) | ApiError::Forbidden(message) => message.clone(),
            ApiError::Conflict { entity, id, expected, actual } => format!(
                "{entity} {id} was changed by someone else: expected version {expected}, it is now {actual}"
            ),
            ApiError::IllegalTransition { entity, from, to } => {
                format!("{entity} cannot go from {from} to {to}")
            }
            ApiError::IdempotencyKeyReused { mutation, key } => format!(
                "the idempotency key \"{key}\" was already used for a {mutation} with different input; \
                 a retry must send the same input, a new request needs a new key"
            ),
            ApiError::Internal(_) => "internal error".to_string(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::NotFound { .. } => "NOT_FOUND",
            ApiError::Validation { .. } => "VALIDATION",
            ApiError::Duplicate(_) => "DUPLICATE",
            ApiError::Conflict { .. } => "CONFLICT",
            ApiError::IllegalTransition { .. } => "ILLEGAL_TRANSITION",
            ApiError::Forbidden(_) => "FORBIDDEN",
            ApiError::IdempotencyKeyReused { .. } => "IDEMPOTENCY_KEY_REUSED",
            ApiError::Internal(_) => "INTERNAL",
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        ApiError::Internal(std::sync::Arc::new(
            anyhow::Error::new(err).context("database query failed"),
        ))
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        err.extend()
    }
}

impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        if let ApiError::Internal(inner) = self {
            tracing::error!(error = ?inner, "internal error");
        }
        async_graphql::Error::new(self.message()).extend_with(|_, ext| {
            ext.set("code", self.code());
            if let ApiError::Validation { field, .. } = self {
                ext.set("field", field.as_str());
            }
        })
    }
}

/// The name of the constraint a database error violated, if any; callers turn the ones
/// they expect into client errors by name.
pub fn violated_constraint(err: &sqlx::Error) -> Option<&str> {
    match err {
        sqlx::Error::Database(db) => db.constraint(),
        _ => None,
    }
}
