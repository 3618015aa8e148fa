//! One error type for every subgraph. Client errors carry a stable `extensions.code`;
//! internal errors are logged with their context and answered with a generic message.
//! Messages are in the request's language ([`Language::current`]): Chinese when the client
//! prefers it, English otherwise.

use async_graphql::ErrorExtensions;
use kexie_contract::language::Language;

/// A message for people, in English and in Chinese; build it with [`crate::text!`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text {
    pub english: String,
    pub chinese: String,
}

impl Text {
    pub fn new(english: String, chinese: String) -> Self {
        Text { english, chinese }
    }
}

/// A message in English and Chinese, formatted with the same arguments:
/// `text!("must be between 0 and {MAX}", "须在 0 到 {MAX} 之间")`.
#[macro_export]
macro_rules! text {
    ($english:literal, $chinese:literal $(, $argument:expr)* $(,)?) => {
        $crate::error::Text::new(
            format!($english $(, $argument)*),
            format!($chinese $(, $argument)*),
        )
    };
}

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
    Validation { field: String, message: Text },
    /// `DUPLICATE`: the input collides with an existing record (a unique key).
    Duplicate(Text),
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
    Forbidden(Text),
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
    pub fn validation(field: impl Into<String>, message: impl Into<Text>) -> Self {
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

    /// The message a client sees, in the request's language.
    pub fn message(&self) -> String {
        self.message_in(Language::current())
    }

    /// The message in `language`.
    pub fn message_in(&self, language: Language) -> String {
        match language {
            Language::English => self.english(),
            Language::Chinese => self.chinese(),
        }
    }

    fn english(&self) -> String {
        match self {
            ApiError::NotFound { entity, id } => format!("{entity} {id} was not found"),
            ApiError::Validation { field, message } => format!("{field}: {}", message.english),
            ApiError::Duplicate(message) | ApiError::Forbidden(message) => message.english.clone(),
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

    fn chinese(&self) -> String {
        use crate::labels::{record_label, value_label};
        match self {
            ApiError::NotFound { entity, id } => {
                format!("未找到{} {id}", record_label(entity))
            }
            ApiError::Validation { field, message } => format!("{field}：{}", message.chinese),
            ApiError::Duplicate(message) | ApiError::Forbidden(message) => message.chinese.clone(),
            ApiError::Conflict { entity, id, expected, actual } => format!(
                "{} {id} 已被他人修改：提交的版本为 {expected}，现为 {actual}，请重新读取后再改",
                record_label(entity)
            ),
            ApiError::IllegalTransition { entity, from, to } => format!(
                "{}不能从「{}」变为「{}」",
                record_label(entity),
                value_label(&format!("{entity}Status"), from),
                value_label(&format!("{entity}Status"), to)
            ),
            ApiError::IdempotencyKeyReused { mutation, key } => format!(
                "幂等键 \"{key}\" 已用于输入不同的 {mutation}：重试须发送相同的输入，新的请求须用新的键"
            ),
            ApiError::Internal(_) => "服务器内部错误".to_string(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_records_and_statuses_in_chinese() {
        let step = ApiError::IllegalTransition {
            entity: "Activity",
            from: "CANCELLED".into(),
            to: "HELD".into(),
        };
        assert_eq!(
            step.message_in(Language::English),
            "Activity cannot go from CANCELLED to HELD"
        );
        assert_eq!(
            step.message_in(Language::Chinese),
            "科普活动不能从「已取消」变为「已举办」"
        );
        let missing = ApiError::not_found("Venue", "v1");
        assert_eq!(missing.message_in(Language::Chinese), "未找到科普场馆 v1");
        let bad = ApiError::validation("first", crate::text!("must be 1 or more", "须为 1 或更大"));
        assert_eq!(
            bad.message_in(Language::English),
            "first: must be 1 or more"
        );
        assert_eq!(bad.message_in(Language::Chinese), "first：须为 1 或更大");
        assert_eq!(bad.code(), "VALIDATION");
    }

    #[tokio::test]
    async fn an_error_speaks_the_language_of_the_request() {
        let error = ApiError::not_found("Unit", "u1");
        let chinese = Language::Chinese.scope(async { error.message() }).await;
        assert_eq!(chinese, "未找到组织 u1");
        assert_eq!(error.message(), "Unit u1 was not found");
    }
}
