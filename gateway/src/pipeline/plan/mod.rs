//! The query plan as the executor runs it. The planner adapter (`planner.rs`) translates the
//! planner's plan into these types once, when the plan is cached, so that the executor does
//! not depend on the planner crate and per-request work (escaping the subgraph operation into
//! JSON, resolving subgraph names) is done only once per plan.

pub(crate) mod planner;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// A step of the plan.
#[derive(Debug)]
pub(crate) enum PlanNode {
    /// A fetch from a subgraph whose result is merged at the root of the response.
    Fetch(Arc<Fetch>),
    /// An entity fetch: representations are collected at `path`, sent to `_entities`, and
    /// the entities returned are merged back where their representations came from.
    Flatten {
        path: Vec<PathStep>,
        fetch: Arc<Fetch>,
    },
    /// Several entity fetches to one subgraph sent as one request, each under an alias.
    Batch(Arc<BatchFetch>),
    /// Steps run one after the other.
    Sequence(Vec<PlanNode>),
    /// Steps run at the same time.
    Parallel(Vec<PlanNode>),
    /// A step that depends on a boolean variable (`@skip`/`@include`).
    Condition {
        variable: String,
        if_true: Option<Box<PlanNode>>,
        if_false: Option<Box<PlanNode>>,
    },
}

/// A step of a flatten path through the response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PathStep {
    /// Into the field with this response key (a `SmolStr`, as the response paths it goes
    /// into: short keys are copied, not allocated, for every object a fetch walks).
    Field(smol_str::SmolStr),
    /// Into every element of a list.
    List,
    /// Only objects whose `__typename` is one of these types (or a possible type of one).
    TypeCondition(Vec<String>),
}

/// The selection a representation is built from (`requires` in the planner's terms).
#[derive(Debug)]
pub(crate) enum RequiredSelection {
    /// The field read from the fetched object under `name`, sent in the representation as
    /// `sent_as`: they differ when the planner fetched the field under an alias of its own
    /// (`price: _internal_qp_alias_0`, a required field also asked for with other arguments).
    Field {
        name: String,
        sent_as: String,
        selections: Vec<RequiredSelection>,
    },
    InlineFragment {
        type_condition: String,
        selections: Vec<RequiredSelection>,
    },
}

/// A step of a rewrite path.
#[derive(Debug)]
pub(crate) enum RewriteStep {
    Key(String),
    /// Only objects whose `__typename` is one of these types (or a possible type of one).
    TypenameIn(Vec<String>),
}

/// A change applied to representations before they are sent, or to entities after they
/// come back.
#[derive(Debug)]
pub(crate) enum Rewrite {
    /// Sets the value at `path` (the last step a key) to the string `value`.
    SetValue {
        path: Vec<RewriteStep>,
        value: String,
    },
    /// Renames the key at `path` (the last step a key) to `to`.
    RenameKey { path: Vec<RewriteStep>, to: String },
}

/// A request to one subgraph.
#[derive(Debug)]
pub(crate) struct Fetch {
    /// The position of the fetch in the plan, to report errors in plan order.
    pub id: usize,
    /// Index of the subgraph in the supergraph's list.
    pub subgraph: usize,
    /// The subgraph operation, already escaped as a JSON string (with its quotes).
    pub query_json: Box<str>,
    /// Client variables the operation uses, in a stable order.
    pub variables: Vec<String>,
    /// For entity fetches: how to build a representation from an object of the response.
    pub requires: Option<Vec<RequiredSelection>>,
    pub input_rewrites: Vec<Rewrite>,
    pub output_rewrites: Vec<Rewrite>,
    /// Mutations are never deduplicated.
    pub is_mutation: bool,
    /// The response keys the fetch selects at its top level (inside `_entities` for an
    /// entity fetch): where errors go when the whole fetch fails.
    pub response_keys: Vec<String>,
}

/// One `_entities` selection of a batched fetch.
#[derive(Debug)]
pub(crate) struct BatchAlias {
    pub alias: String,
    /// The variable holding this alias's representations (aliases may share one).
    pub representations_variable: String,
    pub paths: Vec<Vec<PathStep>>,
    pub requires: Vec<RequiredSelection>,
    pub input_rewrites: Vec<Rewrite>,
    pub output_rewrites: Vec<Rewrite>,
    /// As [`Fetch::response_keys`], for this alias's `_entities` selection.
    pub response_keys: Vec<String>,
}

/// Entity fetches for several paths sent to one subgraph in one request.
#[derive(Debug)]
pub(crate) struct BatchFetch {
    pub id: usize,
    pub subgraph: usize,
    pub query_json: Box<str>,
    pub variables: Vec<String>,
    pub aliases: Vec<BatchAlias>,
}

/// A whole plan. `root` is `None` when nothing needs fetching (only `__typename` or
/// introspection at the root).
#[derive(Debug)]
pub(crate) struct Plan {
    pub root: Option<PlanNode>,
}

/// The object types of the supergraph's interfaces and unions, for the type conditions of
/// plans.
#[derive(Debug, Default)]
pub(crate) struct PossibleTypes(HashMap<String, HashSet<String>>);

impl PossibleTypes {
    pub(crate) fn new(members: HashMap<String, HashSet<String>>) -> Self {
        PossibleTypes(members)
    }

    /// Whether an object whose `__typename` is `typename` matches one of `conditions`
    /// (the type itself, or an interface or union it belongs to).
    pub(crate) fn matches(&self, typename: &str, conditions: &[String]) -> bool {
        conditions.iter().any(|condition| {
            condition == typename
                || self
                    .0
                    .get(condition)
                    .is_some_and(|members| members.contains(typename))
        })
    }
}
