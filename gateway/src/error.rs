//! GraphQL errors as the gateway returns them, and the stable codes it gives them. What an
//! error tells a client names no internals (a planner message, a subgraph URL, a Rust
//! error): those go to the log ([`RequestFailure::internal`]).
//!
//! Every error the gateway itself raises carries `extensions.code`; errors passed on from a
//! subgraph keep the subgraph's message and extensions, with their path translated into the
//! client's response.

use kexie_contract::language::Language;
use serde::Serialize;
use serde_json::{Map, Value};
use smol_str::SmolStr;

/// The codes of the errors the gateway raises (`extensions.code`): stable, part of the
/// gateway's interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// The HTTP request is not a well-formed GraphQL-over-HTTP request (bad JSON, no
    /// `query`, a parameter of the wrong type).
    BadRequest,
    /// The request body is larger than the configured limit.
    PayloadTooLarge,
    /// A POST whose `Content-Type` is not `application/json`.
    UnsupportedMediaType,
    /// The `Accept` header admits no media type the gateway answers with.
    NotAcceptable,
    /// A mutation sent with GET.
    MethodNotAllowed,
    /// The document is not valid GraphQL syntax.
    GraphqlParseFailed,
    /// The document is not valid against the API schema.
    GraphqlValidationFailed,
    /// No operation, an unknown `operationName`, or several operations and no name.
    OperationResolutionFailure,
    /// A variable is missing or of the wrong type.
    BadUserInput,
    /// The operation exceeds the gateway's limits (size or depth after fragment expansion).
    OperationTooComplex,
    /// The `Authorization` header holds no valid staff token (expired, wrongly signed, for
    /// another audience, malformed, an unknown role …). HTTP 401.
    Unauthenticated,
    /// A request a browser could send from another site without a CORS preflight. HTTP 400.
    CsrfRefused,
    /// The operation exceeds one of the configured abuse limits (depth, aliases, root
    /// fields, tokens, cost); `extensions.limit` names it, `extensions.measured` and
    /// `extensions.maximum` give the numbers.
    OperationLimit,
    /// A persisted query's hash names no trusted document.
    PersistedQueryNotFound,
    /// The gateway serves trusted documents only, and this document is not one.
    UntrustedDocument,
    /// Introspection was asked of a gateway configured not to answer it.
    IntrospectionDisabled,
    /// Subscriptions are not served over this transport.
    SubscriptionNotSupported,
    /// The planner could not plan a valid operation.
    QueryPlanningFailed,
    /// A subgraph could not be reached or answered with an HTTP error.
    SubgraphRequestFailed,
    /// A subgraph did not answer within its timeout.
    SubgraphTimeout,
    /// The request's deadline passed before a subgraph answered: the response holds what
    /// arrived before it.
    RequestDeadlineExceeded,
    /// The request's body did not arrive within the body read timeout. HTTP 408.
    RequestTimeout,
    /// A subgraph answered with something that is not a GraphQL response of the expected shape.
    SubgraphResponseInvalid,
    /// A non-null field resolved to null.
    NonNullViolation,
    /// Anything unexpected; the details are in the gateway's log.
    Internal,
    /// A partner call over its key's limit. HTTP 429 with `Retry-After`.
    RateLimited,
    /// A partner call whose key could not be checked (the API-key subgraph is down or
    /// slow). HTTP 503.
    AuthenticationUnavailable,
}

impl Code {
    /// The message in Chinese, with `english` (which may name a field, a limit, a type) in
    /// brackets where it says more than the code.
    pub fn chinese(self, english: &str) -> String {
        let with_detail = |text: &str| format!("{text}（{english}）");
        match self {
            Code::BadRequest => with_detail("请求格式不正确"),
            Code::PayloadTooLarge => with_detail("请求体过大"),
            Code::UnsupportedMediaType => "POST 请求须使用 Content-Type: application/json".into(),
            Code::NotAcceptable => "Accept 请求头中没有网关能返回的媒体类型".into(),
            Code::MethodNotAllowed => "变更操作须用 POST 发送".into(),
            Code::GraphqlParseFailed => with_detail("查询语句有语法错误"),
            Code::GraphqlValidationFailed => with_detail("查询不符合接口定义"),
            Code::OperationResolutionFailure => with_detail("无法确定要执行的操作"),
            Code::BadUserInput => with_detail("变量缺失或类型不符"),
            Code::OperationTooComplex => with_detail("查询过于复杂"),
            Code::Unauthenticated => with_detail("身份验证失败，请重新登录"),
            Code::CsrfRefused => with_detail("请求被拒绝：浏览器跨站发送的请求须先经预检"),
            Code::OperationLimit => with_detail("查询超出限制"),
            Code::PersistedQueryNotFound => with_detail("未找到该持久化查询"),
            Code::UntrustedDocument => with_detail("本网关只执行受信任的查询文档"),
            Code::IntrospectionDisabled => "本网关未开放内省查询".into(),
            Code::SubscriptionNotSupported => "此传输方式不支持订阅".into(),
            Code::QueryPlanningFailed => "无法为该查询制定执行计划".into(),
            Code::SubgraphRequestFailed => "后端服务暂时无法访问，请稍后重试".into(),
            Code::SubgraphTimeout => "后端服务响应超时，请稍后重试".into(),
            Code::RequestDeadlineExceeded => "请求超时：结果只含截止前已得到的部分".into(),
            Code::RequestTimeout => with_detail("请求体未在规定时间内到达"),
            Code::SubgraphResponseInvalid => "后端服务返回了无法识别的响应".into(),
            Code::NonNullViolation => with_detail("必填字段得到了空值"),
            Code::Internal => "服务器内部错误".into(),
            Code::RateLimited => with_detail("调用过于频繁，请稍后重试"),
            Code::AuthenticationUnavailable => "暂时无法验证 API 密钥，请稍后重试".into(),
        }
    }

    /// The code as clients see it.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::BadRequest => "BAD_REQUEST",
            Code::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Code::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            Code::NotAcceptable => "NOT_ACCEPTABLE",
            Code::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Code::GraphqlParseFailed => "GRAPHQL_PARSE_FAILED",
            Code::GraphqlValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            Code::OperationResolutionFailure => "OPERATION_RESOLUTION_FAILURE",
            Code::BadUserInput => "BAD_USER_INPUT",
            Code::OperationTooComplex => "OPERATION_TOO_COMPLEX",
            Code::Unauthenticated => "UNAUTHENTICATED",
            Code::CsrfRefused => "CSRF_REFUSED",
            Code::OperationLimit => "OPERATION_LIMIT",
            Code::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            Code::UntrustedDocument => "UNTRUSTED_DOCUMENT",
            Code::IntrospectionDisabled => "INTROSPECTION_DISABLED",
            Code::SubscriptionNotSupported => "SUBSCRIPTION_NOT_SUPPORTED",
            Code::QueryPlanningFailed => "QUERY_PLANNING_FAILED",
            Code::SubgraphRequestFailed => "SUBGRAPH_REQUEST_FAILED",
            Code::SubgraphTimeout => "SUBGRAPH_TIMEOUT",
            Code::RequestDeadlineExceeded => "REQUEST_DEADLINE_EXCEEDED",
            Code::RequestTimeout => "REQUEST_TIMEOUT",
            Code::SubgraphResponseInvalid => "SUBGRAPH_RESPONSE_INVALID",
            Code::NonNullViolation => "NON_NULL_VIOLATION",
            Code::Internal => "INTERNAL",
            Code::RateLimited => "RATE_LIMITED",
            Code::AuthenticationUnavailable => "AUTHENTICATION_UNAVAILABLE",
        }
    }
}

/// A step of an error path: a response key or a list index.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub(crate) enum PathSegment {
    Key(SmolStr),
    Index(usize),
}

/// A location in the client's document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Location {
    pub line: usize,
    pub column: usize,
}

/// One entry of a response's `errors`.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct GraphqlError {
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<PathSegment>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extensions: Option<Map<String, Value>>,
    /// The code of an error the gateway raised; `None` for a subgraph's, which arrives in
    /// the language the subgraph was asked for.
    #[serde(skip)]
    pub raised: Option<Code>,
}

impl GraphqlError {
    /// An error raised by the gateway, with its code and its message in English; the
    /// response speaks the client's language ([`GraphqlError::localize`]).
    pub(crate) fn new(message: impl Into<String>, code: Code) -> Self {
        let mut extensions = Map::new();
        extensions.insert("code".to_string(), Value::String(code.as_str().to_string()));
        GraphqlError {
            message: message.into(),
            locations: Vec::new(),
            path: None,
            extensions: Some(extensions),
            raised: Some(code),
        }
    }

    /// Puts the message of an error the gateway raised into `language`.
    pub(crate) fn localize(&mut self, language: Language) {
        if let (Language::Chinese, Some(code)) = (language, self.raised) {
            self.message = code.chinese(&self.message);
            self.raised = None;
        }
    }

    pub(crate) fn at(mut self, path: Vec<PathSegment>) -> Self {
        self.path = Some(path);
        self
    }

    pub(crate) fn with_location(mut self, line: usize, column: usize) -> Self {
        self.locations.push(Location { line, column });
        self
    }

    /// Adds an extension entry (besides `code`).
    pub(crate) fn with_extension(mut self, key: &str, value: Value) -> Self {
        self.extensions
            .get_or_insert_with(Map::new)
            .insert(key.to_string(), value);
        self
    }

    #[cfg(test)]
    pub(crate) fn code(&self) -> Option<&str> {
        self.extensions
            .as_ref()
            .and_then(|extensions| extensions.get("code"))
            .and_then(Value::as_str)
    }
}

/// Why a request was answered without executing it.
#[derive(Debug)]
pub(crate) enum RequestFailure {
    /// Not a well-formed GraphQL-over-HTTP request: the same HTTP status whatever media
    /// type the client accepts.
    Http {
        status: axum::http::StatusCode,
        error: Box<GraphqlError>,
    },
    /// A well-formed request refused before execution (syntax, validation, operation
    /// selection, variables): 200 as `application/json`, 400 as
    /// `application/graphql-response+json`, as GraphQL over HTTP prescribes.
    Graphql(Vec<GraphqlError>),
}

impl RequestFailure {
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        RequestFailure::Http {
            status: axum::http::StatusCode::BAD_REQUEST,
            error: Box::new(GraphqlError::new(message, Code::BadRequest)),
        }
    }

    /// Something went wrong inside the gateway: `detail` goes to the log, the client gets
    /// `message` (which names no internals) with `INTERNAL` or `code`, HTTP 500.
    pub(crate) fn internal(message: &str, code: Code, detail: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "{message}");
        RequestFailure::Http {
            status: axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            error: Box::new(GraphqlError::new(message, code)),
        }
    }

    pub(crate) fn graphql(error: GraphqlError) -> Self {
        RequestFailure::Graphql(vec![error])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_serialize_in_the_shape_of_the_specification() {
        let error = GraphqlError::new("boom", Code::Internal)
            .at(vec![
                PathSegment::Key("units".into()),
                PathSegment::Index(2),
            ])
            .with_location(1, 3);
        assert_eq!(
            serde_json::to_value(&error).unwrap(),
            serde_json::json!({
                "message": "boom",
                "locations": [{"line": 1, "column": 3}],
                "path": ["units", 2],
                "extensions": {"code": "INTERNAL"}
            })
        );
    }
}
