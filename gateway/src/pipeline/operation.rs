//! An operation as the pipeline carries it from stage to stage: the document it came in,
//! which of its operations runs, its kind, its normalized form and its plan.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use graphql_tools::static_graphql::query::{
    Definition, Document, FragmentDefinition, OperationDefinition, Selection, SelectionSet,
    TypeCondition, VariableDefinition,
};

use crate::digest::DocumentDigest;
use crate::error::{Code, GraphqlError, RequestFailure};
use crate::pipeline::plan::planner::NormalizedOperation;
use crate::pipeline::plan::Plan;
use crate::pipeline::schema::ApiSchema;

/// The kind of an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OperationKind {
    Query,
    Mutation,
    Subscription,
}

impl OperationKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            OperationKind::Query => "query",
            OperationKind::Mutation => "mutation",
            OperationKind::Subscription => "subscription",
        }
    }
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
    /// When it selects a rollup ([`selects_rollup`]), whose responses are cached: the
    /// digest of its document that names it in cache keys.
    pub rollup: Option<DocumentDigest>,
    /// Its cost depends on the request's variables (a series sized by them): the cost
    /// limit is checked for each request.
    pub cost_per_request: bool,
}

impl PreparedOperation {
    /// The operation at `operation` in `document`, of `kind`, with its normalized form and
    /// its plan if that does not vary per request.
    pub(crate) fn new(
        document: Document,
        operation: usize,
        kind: OperationKind,
        normalized: NormalizedOperation,
        plan: Option<Arc<Plan>>,
    ) -> Self {
        let fragments = document
            .definitions
            .iter()
            .enumerate()
            .filter_map(|(index, definition)| match definition {
                Definition::Fragment(fragment) => Some((fragment.name.clone(), index)),
                _ => None,
            })
            .collect();
        PreparedOperation {
            document,
            operation,
            kind,
            fragments,
            normalized,
            plan,
            rollup: None,
            cost_per_request: false,
        }
    }

    /// The index of the selected operation in `document.definitions`.
    pub(crate) fn operation_index(&self) -> usize {
        self.operation
    }

    fn definition(&self) -> Option<&OperationDefinition> {
        match self.document.definitions.get(self.operation) {
            Some(Definition::Operation(operation)) => Some(operation),
            _ => None,
        }
    }

    /// The operation's name, if it has one.
    pub(crate) fn name(&self) -> Option<&str> {
        match self.definition()? {
            OperationDefinition::SelectionSet(_) => None,
            OperationDefinition::Query(query) => query.name.as_deref(),
            OperationDefinition::Mutation(mutation) => mutation.name.as_deref(),
            OperationDefinition::Subscription(subscription) => subscription.name.as_deref(),
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

/// Selects the operation to run as the specification's GetOperation does.
pub(crate) fn select_operation(
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
                    Code::OperationResolutionFailure,
                ))
            })?,
        None => match operations.as_slice() {
            [only] => only,
            [] => {
                return Err(RequestFailure::graphql(GraphqlError::new(
                    "The document contains no operation.",
                    Code::OperationResolutionFailure,
                )))
            }
            _ => {
                return Err(RequestFailure::graphql(GraphqlError::new(
                    "Must provide operation name if query contains multiple operations.",
                    Code::OperationResolutionFailure,
                )))
            }
        },
    };
    Ok((selected.0, selected.2, selected.1.map(str::to_string)))
}

/// Whether a query selects a rollup (a field of a type marked `@rollup`, see
/// [`crate::pipeline::schema::ROLLUP_DIRECTIVE`]) anywhere (in any fragment, whether or not `@skip`
/// drops it: caching more than needed is safe).
pub(crate) fn selects_rollup(prepared: &PreparedOperation, api: &ApiSchema) -> bool {
    let Some(selection_set) = prepared.selection_set() else {
        return false;
    };
    let mut visited = HashSet::new();
    walk(prepared, api, &api.query_type, selection_set, &mut visited)
}

fn walk<'a>(
    prepared: &'a PreparedOperation,
    api: &ApiSchema,
    parent: &str,
    selection_set: &'a SelectionSet,
    visited: &mut HashSet<&'a str>,
) -> bool {
    selection_set.items.iter().any(|selection| match selection {
        Selection::Field(field) => {
            let Some(definition) = api.field(parent, &field.name) else {
                return false;
            };
            let named = definition.ty.named();
            api.type_def(named).is_some_and(|type_def| type_def.rollup)
                || walk(prepared, api, named, &field.selection_set, visited)
        }
        Selection::InlineFragment(fragment) => {
            let parent = match &fragment.type_condition {
                Some(TypeCondition::On(condition)) => condition.as_str(),
                None => parent,
            };
            walk(prepared, api, parent, &fragment.selection_set, visited)
        }
        Selection::FragmentSpread(spread) => {
            if !visited.insert(spread.fragment_name.as_str()) {
                return false;
            }
            let Some(fragment) = prepared.fragment(&spread.fragment_name) else {
                return false;
            };
            let TypeCondition::On(condition) = &fragment.type_condition;
            walk(prepared, api, condition, &fragment.selection_set, visited)
        }
    })
}
