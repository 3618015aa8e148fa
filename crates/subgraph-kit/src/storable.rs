//! Strings PostgreSQL can store. A `text` (or `varchar`, `jsonb`) value cannot hold the
//! character U+0000 (NUL): PostgreSQL refuses the whole statement, so a NUL in a name, a
//! search filter or an idempotency key used to surface as `INTERNAL` with an error logged.
//! Rather than guard every field in every subgraph (and miss the next one), one rule runs
//! on the whole request before anything executes: no string anywhere in the variables or
//! in the document's literals (arguments, directive arguments, variable defaults), nor any
//! key of an input object, may hold a character PostgreSQL cannot store. Such a request is
//! refused as `VALIDATION`, with `extensions.field` naming the path of the string
//! (`input.name`, `filter.search`, `representations[3].id`), and nothing runs, so nothing
//! is written.
//!
//! In a UTF-8 database NUL is the only such character. Lone surrogates (U+D800..U+DFFF),
//! which PostgreSQL also refuses, cannot reach here: a Rust `String` holds only Unicode
//! scalar values, so serde_json refuses an unpaired `\uD800` escape in the request body and
//! the GraphQL parser refuses one in a literal, both before this rule runs.
//!
//! The rule is [`refusal`], which the subgraph server ([`crate::server`]) applies to every
//! request before executing it.

use std::borrow::Cow;

use async_graphql::parser::types::{
    Directive, ExecutableDocument, Field, Selection, SelectionSet, VariableDefinition,
};
use async_graphql::{ErrorExtensions as _, Name, Pos, Positioned, ServerError};
use async_graphql::{Value as ConstValue, Variables};

use crate::error::ApiError;

/// Whether PostgreSQL can store `c` in a text value of a UTF-8 database.
pub fn storable(c: char) -> bool {
    c != '\0'
}

/// Whether PostgreSQL can store all of `text`.
pub fn is_storable(text: &str) -> bool {
    text.chars().all(storable)
}

/// `text` with each character PostgreSQL cannot store replaced by U+FFFD, for text that
/// is recorded as it came rather than accepted as input (the operation name a partner
/// asked for, in its call log): the record is kept instead of failing to be written.
pub fn replace_unstorable(text: &str) -> Cow<'_, str> {
    if is_storable(text) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if storable(c) {
                    c
                } else {
                    char::REPLACEMENT_CHARACTER
                }
            })
            .collect(),
    )
}

/// Why `request` is refused, if it holds a string PostgreSQL cannot store (see the module
/// documentation): in its variables, or in the literals of its document once that parsed (a
/// document that does not parse is refused as such when it executes).
pub fn refusal(request: &mut async_graphql::Request) -> Option<ServerError> {
    if let Some(found) = unstorable_in_variables(&request.variables) {
        return Some(found.into_server_error());
    }
    let document = request.parsed_query().ok()?;
    unstorable_in_document(document).map(Unstorable::into_server_error)
}

/// Where an unstorable string was found: the path to it and, for a literal, its position
/// in the document.
#[derive(Debug, PartialEq, Eq)]
struct Unstorable {
    path: String,
    pos: Option<Pos>,
}

impl Unstorable {
    fn into_server_error(self) -> ServerError {
        let error = ApiError::validation(
            self.path,
            crate::text!(
                "must not contain the character U+0000 (NUL), which PostgreSQL cannot store",
                "不能含有字符 U+0000（NUL），数据库无法保存"
            ),
        )
        .extend();
        let mut server_error = ServerError::new(error.message, self.pos);
        server_error.extensions = error.extensions;
        server_error
    }
}

/// One step of a path into a value, collected innermost first as the search unwinds (so
/// nothing is allocated while every string is fine).
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

fn path(root: &str, mut steps: Vec<Step<'_>>) -> String {
    steps.reverse();
    let mut path = printable(root);
    for step in steps {
        match step {
            Step::Key(key) => {
                path.push('.');
                path.push_str(&printable(key));
            }
            Step::Index(index) => path.push_str(&format!("[{index}]")),
        }
    }
    path
}

/// A name for the path, with the offending character itself spelled out when a key holds it.
fn printable(name: &str) -> String {
    name.replace('\0', "\\u0000")
}

/// The steps to the first unstorable string or key in a variable's value.
fn find_in_const(value: &ConstValue) -> Option<Vec<Step<'_>>> {
    match value {
        ConstValue::String(text) => (!is_storable(text)).then(Vec::new),
        ConstValue::List(items) => items.iter().enumerate().find_map(|(index, item)| {
            let mut steps = find_in_const(item)?;
            steps.push(Step::Index(index));
            Some(steps)
        }),
        ConstValue::Object(fields) => fields.iter().find_map(|(key, item)| {
            let mut steps = if is_storable(key) {
                find_in_const(item)?
            } else {
                Vec::new()
            };
            steps.push(Step::Key(key.as_str()));
            Some(steps)
        }),
        ConstValue::Null
        | ConstValue::Number(_)
        | ConstValue::Boolean(_)
        | ConstValue::Binary(_)
        | ConstValue::Enum(_) => None,
    }
}

fn unstorable_in_variables(variables: &Variables) -> Option<Unstorable> {
    variables.iter().find_map(|(name, value)| {
        let steps = if is_storable(name) {
            find_in_const(value)?
        } else {
            Vec::new()
        };
        Some(Unstorable {
            path: path(name, steps),
            pos: None,
        })
    })
}

fn unstorable_in_document(document: &ExecutableDocument) -> Option<Unstorable> {
    document
        .operations
        .iter()
        .find_map(|(_, operation)| {
            let operation = &operation.node;
            operation
                .variable_definitions
                .iter()
                .find_map(in_variable_default)
                .or_else(|| in_directives(&operation.directives))
                .or_else(|| in_selection_set(&operation.selection_set.node))
        })
        .or_else(|| {
            document.fragments.values().find_map(|fragment| {
                in_directives(&fragment.node.directives)
                    .or_else(|| in_selection_set(&fragment.node.selection_set.node))
            })
        })
}

/// A literal may hold variables, which are checked on their own: read them as null.
fn variables_as_null(_: Name) -> Result<ConstValue, std::convert::Infallible> {
    Ok(ConstValue::Null)
}

fn in_variable_default(definition: &Positioned<VariableDefinition>) -> Option<Unstorable> {
    let default = definition.node.default_value.as_ref()?;
    let steps = find_in_const(&default.node)?;
    Some(Unstorable {
        path: path(&definition.node.name.node, steps),
        pos: Some(default.pos),
    })
}

/// The first unstorable string in `arguments`; `literal` reads an argument's value as a
/// constant (the document's value type is not exported by async-graphql, hence the closure).
fn in_arguments<V>(
    arguments: &[(Positioned<Name>, Positioned<V>)],
    literal: impl Fn(&V) -> ConstValue,
) -> Option<Unstorable> {
    arguments.iter().find_map(|(name, value)| {
        let literal = literal(&value.node);
        let steps = find_in_const(&literal)?;
        Some(Unstorable {
            path: path(&name.node, steps),
            pos: Some(value.pos),
        })
    })
}

fn in_directives(directives: &[Positioned<Directive>]) -> Option<Unstorable> {
    directives.iter().find_map(|directive| {
        in_arguments(&directive.node.arguments, |value| {
            value
                .clone()
                .into_const_with(variables_as_null)
                .unwrap_or_default()
        })
    })
}

fn in_field(field: &Field) -> Option<Unstorable> {
    in_arguments(&field.arguments, |value| {
        value
            .clone()
            .into_const_with(variables_as_null)
            .unwrap_or_default()
    })
    .or_else(|| in_directives(&field.directives))
    .or_else(|| in_selection_set(&field.selection_set.node))
}

fn in_selection_set(selection_set: &SelectionSet) -> Option<Unstorable> {
    selection_set
        .items
        .iter()
        .find_map(|selection| match &selection.node {
            Selection::Field(field) => in_field(&field.node),
            Selection::FragmentSpread(spread) => in_directives(&spread.node.directives),
            Selection::InlineFragment(fragment) => in_directives(&fragment.node.directives)
                .or_else(|| in_selection_set(&fragment.node.selection_set.node)),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variables(json: serde_json::Value) -> Variables {
        Variables::from_json(json)
    }

    fn document(query: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(query).unwrap()
    }

    #[test]
    fn nul_is_the_only_character_refused() {
        assert!(!storable('\0'));
        for c in ['\u{1}', '\t', '科', '\u{FFFD}', '\u{10FFFF}', '\u{FEFF}'] {
            assert!(storable(c), "{c:?}");
        }
        assert!(is_storable("巴中市科协"));
        assert!(!is_storable("巴中\0市科协"));
        assert_eq!(replace_unstorable("巴中\0市\0"), "巴中\u{FFFD}市\u{FFFD}");
        assert!(matches!(replace_unstorable("巴中"), Cow::Borrowed("巴中")));
    }

    #[test]
    fn lone_surrogates_never_reach_the_rule() {
        assert!(async_graphql::parser::parse_query(
            "{ units(filter: { search: \"\\uD800\" }) { id } }"
        )
        .is_err());
        let body = br#"{"query": "{ a }", "variables": { "s": "\uDC00" }}"#;
        assert!(serde_json::from_slice::<async_graphql::Request>(body).is_err());
    }

    #[test]
    fn a_nul_anywhere_in_the_variables_is_found_with_its_path() {
        let found = |json| unstorable_in_variables(&variables(json)).map(|found| found.path);
        assert_eq!(
            found(serde_json::json!({ "input": { "name": "巴中\u{0}", "kind": "CITY" } })),
            Some("input.name".to_string())
        );
        assert_eq!(
            found(serde_json::json!({ "representations": [{ "id": "a" }, { "id": "\u{0}" }] })),
            Some("representations[1].id".to_string())
        );
        assert_eq!(
            found(serde_json::json!({ "filter": { "na\u{0}me": "x" } })),
            Some("filter.na\\u0000me".to_string())
        );
        assert_eq!(
            found(serde_json::json!({ "key": "\u{0}" })),
            Some("key".to_string())
        );
        assert_eq!(
            found(serde_json::json!({ "input": { "name": "巴中", "tags": ["a", "b"], "n": 1 } })),
            None
        );
    }

    #[test]
    fn a_nul_in_a_literal_is_found_with_its_argument_path_and_position() {
        let found = unstorable_in_document(&document(
            "mutation { createUnit(input: { kind: CITY, names: [\"a\", \"b\\u0000\"] }) { id } }",
        ))
        .unwrap();
        assert_eq!(found.path, "input.names[1]");
        assert_eq!(
            found.pos,
            Some(Pos {
                line: 1,
                column: 30
            })
        );

        for query in [
            "query($s: String = \"\\u0000\") { units(filter: { search: $s }) { id } }",
            "{ a: units { ...F } } fragment F on Unit { children(filter: { search: \"\\u0000\" }) { id } }",
            "{ units { ... on Unit { name @include(if: true) @custom(note: \"\\u0000\") } } }",
        ] {
            assert!(unstorable_in_document(&document(query)).is_some(), "{query}");
        }
        assert!(unstorable_in_document(&document(
            "query($s: String = \"科协\") { units(filter: { search: $s, kind: CITY }) { id } }"
        ))
        .is_none());
    }
}
