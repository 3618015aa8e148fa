//! From the text of a request to an operation the executor can run: parse, validate against
//! the API schema, select the operation, bound its size, then normalize and plan it
//! (through the planner adapter).

use std::collections::HashMap;
use std::sync::Arc;

use graphql_tools::static_graphql::query::{
    Definition, Document, FragmentDefinition, OperationDefinition, Selection, SelectionSet,
    VariableDefinition,
};
use graphql_tools::validation::validate::ValidationPlan;

use crate::error::{codes, GraphqlError, RequestFailure};
use crate::plan::Plan;
use crate::planner::NormalizedOperation;

/// Tokens a document may have; larger documents are refused before they are parsed.
const MAX_TOKENS: usize = 100_000;
/// Fields an operation may select once its fragments are expanded.
pub(crate) const MAX_EXPANDED_FIELDS: u64 = 20_000;
/// How deep an operation may nest once its fragments are expanded.
pub(crate) const MAX_DEPTH: u64 = 64;

/// The kind of an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OperationKind {
    Query,
    Mutation,
    Subscription,
}

/// A parsed, validated operation with everything needed to run it.
pub(crate) struct PreparedOperation {
    pub document: Document,
    /// The index of the selected operation in `document.definitions`.
    operation: usize,
    pub kind: OperationKind,
    /// Fragment definitions by name: indexes into `document.definitions`.
    fragments: HashMap<String, usize>,
    /// The operation normalized by the planner, kept to re-plan when plans vary per request.
    pub normalized: NormalizedOperation,
    /// The plan, when it does not vary per request.
    pub plan: Option<Arc<Plan>>,
}

impl PreparedOperation {
    fn definition(&self) -> Option<&OperationDefinition> {
        match self.document.definitions.get(self.operation) {
            Some(Definition::Operation(operation)) => Some(operation),
            _ => None,
        }
    }

    pub(crate) fn selection_set(&self) -> Option<&SelectionSet> {
        self.definition().map(|operation| match operation {
            OperationDefinition::SelectionSet(selection_set) => selection_set,
            OperationDefinition::Query(query) => &query.selection_set,
            OperationDefinition::Mutation(mutation) => &mutation.selection_set,
            OperationDefinition::Subscription(subscription) => &subscription.selection_set,
        })
    }

    pub(crate) fn variable_definitions(&self) -> &[VariableDefinition] {
        match self.definition() {
            Some(OperationDefinition::Query(query)) => &query.variable_definitions,
            Some(OperationDefinition::Mutation(mutation)) => &mutation.variable_definitions,
            Some(OperationDefinition::Subscription(subscription)) => {
                &subscription.variable_definitions
            }
            _ => &[],
        }
    }

    pub(crate) fn fragment(&self, name: &str) -> Option<&FragmentDefinition> {
        match self.document.definitions.get(*self.fragments.get(name)?) {
            Some(Definition::Fragment(fragment)) => Some(fragment),
            _ => None,
        }
    }
}

/// A document that parsed and validated, with its operation selected.
pub(crate) struct CheckedDocument {
    pub document: Document,
    pub operation: usize,
    pub kind: OperationKind,
    pub operation_name: Option<String>,
}

/// Parses, validates and selects the operation; the errors are request errors.
pub(crate) fn check(
    query: &str,
    operation_name: Option<&str>,
    schema: &graphql_tools::static_graphql::schema::Document,
    validation: &ValidationPlan,
) -> Result<CheckedDocument, RequestFailure> {
    let document = graphql_tools::parser::parse_query_with_token_limit::<String>(query, MAX_TOKENS)
        .map_err(|err| RequestFailure::graphql(parse_error(&err.to_string())))?
        .into_static();
    if document.definitions.is_empty() {
        return Err(RequestFailure::graphql(GraphqlError::new(
            "The document contains no operation.",
            codes::GRAPHQL_PARSE_FAILED,
        )));
    }
    let errors = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        graphql_tools::validation::validate::validate(schema, &document, validation)
    }))
    .map_err(|_| {
        RequestFailure::graphql(GraphqlError::new(
            "The document could not be validated.",
            codes::GRAPHQL_VALIDATION_FAILED,
        ))
    })?;
    if !errors.is_empty() {
        return Err(RequestFailure::Graphql(
            errors
                .into_iter()
                .map(|error| {
                    let mut graphql_error =
                        GraphqlError::new(error.message, codes::GRAPHQL_VALIDATION_FAILED);
                    for location in error.locations {
                        graphql_error = graphql_error.with_location(location.line, location.column);
                    }
                    graphql_error
                })
                .collect(),
        ));
    }
    let (operation, kind, name) = select_operation(&document, operation_name)?;
    let fragments: HashMap<&str, &FragmentDefinition> = document
        .definitions
        .iter()
        .filter_map(|definition| match definition {
            Definition::Fragment(fragment) => Some((fragment.name.as_str(), fragment)),
            _ => None,
        })
        .collect();
    if let Some(Definition::Operation(definition)) = document.definitions.get(operation) {
        let selection_set = match definition {
            OperationDefinition::SelectionSet(selection_set) => selection_set,
            OperationDefinition::Query(query) => &query.selection_set,
            OperationDefinition::Mutation(mutation) => &mutation.selection_set,
            OperationDefinition::Subscription(subscription) => &subscription.selection_set,
        };
        let mut measure = Measure {
            fragments: &fragments,
            memo: HashMap::new(),
        };
        let (fields, depth) = measure.selection_set(selection_set, 0);
        if fields > MAX_EXPANDED_FIELDS {
            return Err(RequestFailure::graphql(GraphqlError::new(
                format!(
                    "The operation selects {fields} fields once its fragments are expanded; the limit is {MAX_EXPANDED_FIELDS}."
                ),
                codes::OPERATION_TOO_COMPLEX,
            )));
        }
        if depth > MAX_DEPTH {
            return Err(RequestFailure::graphql(GraphqlError::new(
                format!("The operation nests {depth} levels deep; the limit is {MAX_DEPTH}."),
                codes::OPERATION_TOO_COMPLEX,
            )));
        }
    }
    Ok(CheckedDocument {
        document,
        operation,
        kind,
        operation_name: name,
    })
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
        codes::GRAPHQL_PARSE_FAILED,
    );
    match location {
        Some((line, column)) => error.with_location(line, column),
        None => error,
    }
}

/// Selects the operation to run as the specification's GetOperation does.
fn select_operation(
    document: &Document,
    operation_name: Option<&str>,
) -> Result<(usize, OperationKind, Option<String>), RequestFailure> {
    let operations: Vec<(usize, Option<&str>, OperationKind)> = document
        .definitions
        .iter()
        .enumerate()
        .filter_map(|(index, definition)| match definition {
            Definition::Operation(operation) => Some(match operation {
                OperationDefinition::SelectionSet(_) => (index, None, OperationKind::Query),
                OperationDefinition::Query(query) => {
                    (index, query.name.as_deref(), OperationKind::Query)
                }
                OperationDefinition::Mutation(mutation) => {
                    (index, mutation.name.as_deref(), OperationKind::Mutation)
                }
                OperationDefinition::Subscription(subscription) => (
                    index,
                    subscription.name.as_deref(),
                    OperationKind::Subscription,
                ),
            }),
            Definition::Fragment(_) => None,
        })
        .collect();
    let selected = match operation_name {
        Some(wanted) => operations
            .iter()
            .find(|(_, name, _)| *name == Some(wanted))
            .ok_or_else(|| {
                RequestFailure::graphql(GraphqlError::new(
                    format!("Unknown operation named \"{wanted}\"."),
                    codes::OPERATION_RESOLUTION_FAILURE,
                ))
            })?,
        None => match operations.as_slice() {
            [only] => only,
            [] => {
                return Err(RequestFailure::graphql(GraphqlError::new(
                    "The document contains no operation.",
                    codes::OPERATION_RESOLUTION_FAILURE,
                )))
            }
            _ => {
                return Err(RequestFailure::graphql(GraphqlError::new(
                    "Must provide operation name if query contains multiple operations.",
                    codes::OPERATION_RESOLUTION_FAILURE,
                )))
            }
        },
    };
    Ok((selected.0, selected.2, selected.1.map(str::to_string)))
}

/// Measures the size and depth of a selection set with its fragments expanded, memoizing
/// fragments so that a document cannot make the measurement itself expensive.
struct Measure<'a> {
    fragments: &'a HashMap<&'a str, &'a FragmentDefinition>,
    /// Fragment name → (fields, depth); `None` while the fragment is being measured.
    memo: HashMap<&'a str, Option<(u64, u64)>>,
}

impl<'a> Measure<'a> {
    fn selection_set(&mut self, selection_set: &'a SelectionSet, level: usize) -> (u64, u64) {
        let mut fields = 0u64;
        let mut depth = 0u64;
        // Validation has ruled out fragment cycles; the level bound is a second guard.
        if level > 256 {
            return (u64::MAX, u64::MAX);
        }
        for selection in &selection_set.items {
            let (item_fields, item_depth) = match selection {
                Selection::Field(field) => {
                    let (inner_fields, inner_depth) =
                        self.selection_set(&field.selection_set, level + 1);
                    (
                        inner_fields.saturating_add(1),
                        inner_depth.saturating_add(1),
                    )
                }
                Selection::InlineFragment(fragment) => {
                    self.selection_set(&fragment.selection_set, level + 1)
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.fragment_name.as_str();
                    match self.memo.get(name) {
                        Some(Some(measured)) => *measured,
                        Some(None) => (u64::MAX, u64::MAX),
                        None => match self.fragments.get(name) {
                            Some(fragment) => {
                                self.memo.insert(name, None);
                                let measured =
                                    self.selection_set(&fragment.selection_set, level + 1);
                                self.memo.insert(name, Some(measured));
                                measured
                            }
                            None => (0, 0),
                        },
                    }
                }
            };
            fields = fields.saturating_add(item_fields);
            depth = depth.max(item_depth);
        }
        (fields, depth)
    }
}

/// Assembles the prepared operation from its checked document and normalized form.
pub(crate) fn prepared(
    checked: CheckedDocument,
    normalized: NormalizedOperation,
    plan: Option<Arc<Plan>>,
) -> PreparedOperation {
    let fragments = checked
        .document
        .definitions
        .iter()
        .enumerate()
        .filter_map(|(index, definition)| match definition {
            Definition::Fragment(fragment) => Some((fragment.name.clone(), index)),
            _ => None,
        })
        .collect();
    PreparedOperation {
        document: checked.document,
        operation: checked.operation,
        kind: checked.kind,
        fragments,
        normalized,
        plan,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measure(query: &str) -> (u64, u64) {
        let document = graphql_tools::parser::parse_query::<String>(query)
            .unwrap()
            .into_static();
        let fragments: HashMap<&str, &FragmentDefinition> = document
            .definitions
            .iter()
            .filter_map(|definition| match definition {
                Definition::Fragment(fragment) => Some((fragment.name.as_str(), fragment)),
                _ => None,
            })
            .collect();
        let Some(Definition::Operation(OperationDefinition::SelectionSet(selection_set))) =
            document.definitions.first()
        else {
            panic!("expected a query shorthand first");
        };
        let mut measure = Measure {
            fragments: &fragments,
            memo: HashMap::new(),
        };
        measure.selection_set(selection_set, 0)
    }

    #[test]
    fn fragments_count_once_per_spread_without_being_walked_again() {
        assert_eq!(measure("{ a b { c d } }"), (4, 2));
        // Each level doubles: 2 + 4 + … spreads, measured through the memo.
        let mut query = String::from("{ ...F0 }");
        for level in 0..40 {
            query.push_str(&format!(
                " fragment F{level} on Query {{ a: x ...F{next} b: x ...F{next} }}",
                next = level + 1
            ));
        }
        query.push_str(" fragment F40 on Query { x }");
        let (fields, depth) = measure(&query);
        assert!(fields > MAX_EXPANDED_FIELDS);
        assert_eq!(depth, 1);
    }

    #[test]
    fn parse_errors_carry_their_location() {
        let error = parse_error("Parse error at 1:9\nUnexpected `}`\n");
        assert_eq!(error.locations[0].line, 1);
        assert_eq!(error.locations[0].column, 9);
        assert_eq!(error.code(), Some(codes::GRAPHQL_PARSE_FAILED));
    }
}
