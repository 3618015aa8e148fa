//! The parse stage: the request's text becomes a document, within a token limit; a syntax
//! error is a request error with its location.

use graphql_tools::static_graphql::query::Document;

use crate::error::{Code, GraphqlError, RequestFailure};

/// Parses `query`, stopping after `token_limit` tokens.
pub(crate) fn parse(query: &str, token_limit: usize) -> Result<Document, RequestFailure> {
    let document =
        graphql_tools::parser::parse_query_with_token_limit::<String>(query, token_limit)
            .map_err(|err| RequestFailure::graphql(parse_error(&err.to_string())))?
            .into_static();
    if document.definitions.is_empty() {
        return Err(RequestFailure::graphql(GraphqlError::new(
            "The document contains no operation.",
            Code::GraphqlParseFailed,
        )));
    }
    Ok(document)
}

/// A parse error, with its location when the parser gives one ("Parse error at 1:5 …").
fn parse_error(message: &str) -> GraphqlError {
    let message = message.trim();
    let location = message
        .strip_prefix("Parse error at ")
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|position| {
            let (line, column) = position.split_once(':')?;
            Some((line.parse::<usize>().ok()?, column.parse::<usize>().ok()?))
        });
    let text = message.replace('\n', " ");
    let error = GraphqlError::new(
        format!("Syntax error: {}", text.trim()),
        Code::GraphqlParseFailed,
    );
    match location {
        Some((line, column)) => error.with_location(line, column),
        None => error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_carry_their_location() {
        let error = parse_error("Parse error at 1:9\nUnexpected `}`\n");
        assert_eq!(error.locations[0].line, 1);
        assert_eq!(error.locations[0].column, 9);
        assert_eq!(error.code(), Some(Code::GraphqlParseFailed.as_str()));
    }
}
