//! The adapter around `hive-router-query-planner`, the only module that names it.
//!
//! The planner's standalone crates are frozen at 2.10.11, so everything it is used for goes
//! through here: reading the supergraph (subgraph names and URLs, possible types, the
//! consumer schema), normalizing an operation, planning it, and translating the plan into
//! the executor's own types ([`crate::pipeline::plan`]). Replacing the planner means rewriting this
//! file only.
//!
//! The planner panics on some inputs it considers impossible (its own parser's `unwrap`,
//! `expect`s on schema shapes). Every call into it runs under `catch_unwind`, so a bad
//! supergraph or an unforeseen operation becomes an error, never a crashed process.

use std::collections::{HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use graphql_tools::static_graphql::query::Document as QueryDocument;
use graphql_tools::static_graphql::schema::{
    Definition, Directive, Document as SchemaDocument, TypeDefinition, Value as SchemaValue,
};
use hive_router_query_planner::ast::fragment::FragmentDefinition;
use hive_router_query_planner::ast::normalization::normalize_operation;
use hive_router_query_planner::ast::operation::SubgraphFetchOperation;
use hive_router_query_planner::ast::selection_item::SelectionItem;
use hive_router_query_planner::ast::selection_set::SelectionSet;
use hive_router_query_planner::graph::{PlannerOverrideContext, PERCENTAGE_SCALE_FACTOR};
use hive_router_query_planner::planner::plan_nodes::{
    FetchNodePathSegment, FetchRewrite, FlattenNodePath, FlattenNodePathSegment,
    PlanNode as HivePlanNode,
};
use hive_router_query_planner::planner::{Planner, QueryPlannerOptions};
use hive_router_query_planner::state::supergraph_state::{OperationKind, SupergraphDefinition};
use hive_router_query_planner::utils::cancellation::CancellationToken;

use crate::cache::plans::{PlanCache, PlanKey};
use crate::pipeline::plan::{
    BatchAlias, BatchFetch, Fetch, PathStep, Plan, PlanNode, RequiredSelection, Rewrite,
    RewriteStep,
};

/// How long planning one operation may take before it is abandoned.
const PLANNING_TIMEOUT: Duration = Duration::from_secs(10);

/// A subgraph as the supergraph declares it (`join__Graph` and `@join__graph`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SubgraphDeclaration {
    pub name: String,
    pub url: String,
}

/// The parts of a supergraph the rest of the gateway needs, read by the planner.
pub(crate) struct LoadedSupergraph {
    pub planner: QueryPlanner,
    /// The API schema as a document, with the introspection types added.
    pub consumer_schema: Arc<SchemaDocument>,
    /// In the order of the `join__Graph` enum.
    pub subgraphs: Vec<SubgraphDeclaration>,
    /// For every interface and union of the supergraph (inaccessible ones included), its
    /// object types; used to match `__typename` against type conditions of plans.
    pub possible_types: HashMap<String, HashSet<String>>,
    /// The supergraph document itself, for what the consumer schema leaves out.
    pub document: SchemaDocument,
}

/// Reads a supergraph SDL. Fails (never panics) on anything the planner cannot use.
pub(crate) fn load(sdl: &str) -> anyhow::Result<LoadedSupergraph> {
    let mut document = hive_router_query_planner::utils::parsing::safe_parse_schema(sdl)
        .map_err(|err| anyhow::anyhow!("the supergraph does not parse: {err}"))?;
    add_root_join_types(&mut document);
    let subgraph_order = join_graph_order(&document);
    let built = catch_unwind(AssertUnwindSafe(|| {
        Planner::new_from_supergraph(&document, QueryPlannerOptions::default())
    }));
    let planner = match built {
        Ok(Ok(planner)) => planner,
        Ok(Err(err)) => anyhow::bail!("the supergraph cannot be planned over: {err}"),
        Err(_) => anyhow::bail!("the supergraph is not a valid Federation v2 supergraph"),
    };
    let mut subgraphs = Vec::new();
    for graph_id in subgraph_order {
        let Some(name) = planner.supergraph.known_subgraphs.get(&graph_id) else {
            continue;
        };
        let url = planner
            .supergraph
            .subgraph_endpoint_map
            .get(name)
            .cloned()
            .unwrap_or_default();
        subgraphs.push(SubgraphDeclaration {
            name: name.clone(),
            url,
        });
    }
    if subgraphs.is_empty() {
        anyhow::bail!("the supergraph declares no subgraph (join__Graph is empty or missing)");
    }
    let mut possible_types: HashMap<String, HashSet<String>> = HashMap::new();
    for (name, definition) in &planner.supergraph.definitions {
        match definition {
            SupergraphDefinition::Union(union) => {
                possible_types.insert(name.clone(), union.types.iter().cloned().collect());
            }
            SupergraphDefinition::Interface(_) => {
                let members = planner
                    .supergraph
                    .interface_members(name)
                    .map(|members| members.iter().cloned().collect())
                    .unwrap_or_default();
                possible_types.insert(name.clone(), members);
            }
            _ => {}
        }
    }
    let consumer_schema = planner.consumer_schema.document.clone();
    let percentages = planner
        .supergraph
        .progressive_overrides
        .percentages
        .iter()
        .copied()
        .collect();
    Ok(LoadedSupergraph {
        planner: QueryPlanner {
            planner,
            percentages,
        },
        consumer_schema,
        subgraphs,
        possible_types,
        document,
    })
}

/// The graph ids of `join__Graph` in document order, so subgraphs keep a stable order.
fn join_graph_order(document: &SchemaDocument) -> Vec<String> {
    document
        .definitions
        .iter()
        .find_map(|definition| match definition {
            Definition::TypeDefinition(TypeDefinition::Enum(enumeration))
                if enumeration.name == "join__Graph" =>
            {
                Some(
                    enumeration
                        .values
                        .iter()
                        .map(|value| value.name.clone())
                        .collect(),
                )
            }
            _ => None,
        })
        .unwrap_or_default()
}

/// Adds `@join__type(graph: G)` to each root type for every subgraph `G` that serves one of
/// its fields. The planner finds root fields through the root type's `@join__type`, and
/// some composers (`graphql-composition` among them) leave those out.
fn add_root_join_types(document: &mut SchemaDocument) {
    let mut roots: Vec<String> = Vec::new();
    for definition in &document.definitions {
        if let Definition::SchemaDefinition(schema) = definition {
            roots.extend(schema.query.iter().cloned());
            roots.extend(schema.mutation.iter().cloned());
            roots.extend(schema.subscription.iter().cloned());
        }
    }
    if roots.is_empty() {
        roots = vec![
            "Query".to_string(),
            "Mutation".to_string(),
            "Subscription".to_string(),
        ];
    }
    for definition in &mut document.definitions {
        let Definition::TypeDefinition(TypeDefinition::Object(object)) = definition else {
            continue;
        };
        if !roots.contains(&object.name) {
            continue;
        }
        let declared: HashSet<String> = object
            .directives
            .iter()
            .filter(|directive| directive.name == "join__type")
            .filter_map(graph_argument)
            .collect();
        let mut serving: Vec<String> = Vec::new();
        for field in &object.fields {
            for directive in field
                .directives
                .iter()
                .filter(|directive| directive.name == "join__field")
            {
                if let Some(graph) = graph_argument(directive) {
                    if !declared.contains(&graph) && !serving.contains(&graph) {
                        serving.push(graph);
                    }
                }
            }
        }
        for graph in serving {
            object.directives.push(Directive {
                position: Default::default(),
                name: "join__type".to_string(),
                arguments: vec![("graph".to_string(), SchemaValue::Enum(graph))],
            });
        }
    }
}

fn graph_argument(directive: &Directive) -> Option<String> {
    directive
        .arguments
        .iter()
        .find_map(|(name, value)| match (name.as_str(), value) {
            ("graph", SchemaValue::Enum(graph)) => Some(graph.clone()),
            _ => None,
        })
}

/// The planner of one supergraph, with its bounded plan cache.
pub(crate) struct QueryPlanner {
    planner: Planner,
    /// The percentages of progressive `@override(label: "percent(n)")` labels.
    percentages: Vec<u64>,
}

/// What the plan of an operation depends on besides the operation: which progressive
/// override labels are active for this request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct OverrideDraw {
    /// The request's draw in the planner's percentage scale (0..100·10⁸).
    value: u64,
    /// Bit `i` is set when the `i`-th percentage label is active.
    active: u64,
}

/// An operation after normalization, ready to be planned.
pub(crate) struct NormalizedOperation {
    operation: hive_router_query_planner::ast::operation::OperationDefinition,
    /// The normalized text plus the operation name: the plan cache key.
    pub key: String,
}

/// Whether a plan came from the cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CacheOutcome {
    Hit,
    Miss,
}

impl QueryPlanner {
    /// Whether plans depend on a per-request draw (the supergraph has percentage overrides).
    pub(crate) fn has_progressive_overrides(&self) -> bool {
        !self.percentages.is_empty()
    }

    /// Draws which progressive override labels apply to one request.
    pub(crate) fn draw_overrides(&self) -> OverrideDraw {
        if self.percentages.is_empty() {
            return OverrideDraw::default();
        }
        let scale = PERCENTAGE_SCALE_FACTOR;
        let value = fastrand::u64(0..100 * scale);
        let mut active = 0u64;
        for (index, percentage) in self.percentages.iter().enumerate().take(64) {
            if value < *percentage {
                active |= 1 << index;
            }
        }
        // Requests with the same active labels share a plan: normalize the draw to the
        // active set so the cache holds one plan per set, not per value.
        OverrideDraw { value, active }
    }

    /// Normalizes the operation `operation_name` of a validated document.
    pub(crate) fn normalize(
        &self,
        document: &QueryDocument,
        operation_name: Option<&str>,
    ) -> Result<NormalizedOperation, String> {
        let normalized = catch_unwind(AssertUnwindSafe(|| {
            normalize_operation(&self.planner.supergraph, document, operation_name)
        }));
        let normalized = match normalized {
            Ok(Ok(normalized)) => normalized,
            Ok(Err(err)) => return Err(err.to_string()),
            Err(_) => return Err("the operation could not be normalized".to_string()),
        };
        let mut operation = normalized.operation;
        // Introspection and the root `__typename` are answered by the gateway itself.
        operation.selection_set.items.retain(|item| {
            !matches!(item, SelectionItem::Field(field)
                if matches!(field.name.as_str(), "__schema" | "__type" | "__typename"))
        });
        let key = format!(
            "{}\u{0}{}",
            operation,
            normalized.operation_name.as_deref().unwrap_or_default()
        );
        Ok(NormalizedOperation { operation, key })
    }

    /// The plan of a normalized operation, from `cache` when it is there.
    pub(crate) fn plan(
        &self,
        normalized: &NormalizedOperation,
        draw: OverrideDraw,
        subgraph_index: &HashMap<String, usize>,
        cache: &PlanCache<Plan>,
    ) -> Result<(Arc<Plan>, CacheOutcome), String> {
        // The cache key keeps the active set only; the draw value within a set plans alike.
        let key = PlanKey {
            operation: normalized.key.clone(),
            active_overrides: draw.active,
        };
        if let Some(plan) = cache.get(&key) {
            return Ok((plan, CacheOutcome::Hit));
        }
        let plan = Arc::new(self.plan_uncached(normalized, draw, subgraph_index)?);
        cache.put(key, plan.clone());
        Ok((plan, CacheOutcome::Miss))
    }

    fn plan_uncached(
        &self,
        normalized: &NormalizedOperation,
        draw: OverrideDraw,
        subgraph_index: &HashMap<String, usize>,
    ) -> Result<Plan, String> {
        if normalized.operation.selection_set.items.is_empty() {
            return Ok(Plan { root: None });
        }
        let planned = catch_unwind(AssertUnwindSafe(|| {
            let override_context = PlannerOverrideContext::new(HashSet::new(), draw.value);
            let cancellation = CancellationToken::with_timeout(PLANNING_TIMEOUT);
            self.planner.plan_from_normalized_operation(
                &normalized.operation,
                override_context,
                &cancellation,
            )
        }));
        let plan = match planned {
            Ok(Ok(plan)) => plan,
            Ok(Err(err)) => return Err(err.to_string()),
            Err(_) => return Err("the planner failed on this operation".to_string()),
        };
        let is_mutation = matches!(
            normalized.operation.operation_kind,
            Some(OperationKind::Mutation)
        );
        let mut converter = Converter {
            subgraph_index,
            is_mutation,
            fetch_count: 0,
        };
        let root = match plan.node {
            Some(node) => Some(converter.node(&node)?),
            None => None,
        };
        Ok(Plan { root })
    }
}

/// Translates the planner's plan into the executor's.
struct Converter<'a> {
    subgraph_index: &'a HashMap<String, usize>,
    is_mutation: bool,
    fetch_count: usize,
}

impl Converter<'_> {
    fn node(&mut self, node: &HivePlanNode) -> Result<PlanNode, String> {
        Ok(match node {
            HivePlanNode::Fetch(fetch) => PlanNode::Fetch(Arc::new(self.fetch(
                &fetch.service_name,
                &fetch.operation,
                fetch.variable_usages.as_ref(),
                fetch.requires.as_ref(),
                fetch.input_rewrites.as_deref(),
                fetch.output_rewrites.as_deref(),
            )?)),
            HivePlanNode::Flatten(flatten) => {
                let HivePlanNode::Fetch(fetch) = flatten.node.as_ref() else {
                    return Err("a flatten node wraps something other than a fetch".to_string());
                };
                PlanNode::Flatten {
                    path: flatten_path(&flatten.path),
                    fetch: Arc::new(self.fetch(
                        &fetch.service_name,
                        &fetch.operation,
                        fetch.variable_usages.as_ref(),
                        fetch.requires.as_ref(),
                        fetch.input_rewrites.as_deref(),
                        fetch.output_rewrites.as_deref(),
                    )?),
                }
            }
            HivePlanNode::BatchFetch(batch) => {
                let id = self.fetch_count;
                self.fetch_count += 1;
                let document = &batch.operation.document;
                let aliases = batch
                    .entity_batch
                    .aliases
                    .iter()
                    .map(|alias| BatchAlias {
                        response_keys: document
                            .operation
                            .selection_set
                            .items
                            .iter()
                            .find_map(|item| match item {
                                SelectionItem::Field(field)
                                    if field.alias.as_deref() == Some(alias.alias.as_str()) =>
                                {
                                    Some(response_keys(&field.selections, &document.fragments))
                                }
                                _ => None,
                            })
                            .unwrap_or_default(),
                        alias: alias.alias.clone(),
                        representations_variable: alias.representations_variable_name.clone(),
                        paths: alias.merge_paths.iter().map(flatten_path).collect(),
                        requires: required_selections(&alias.requires),
                        input_rewrites: rewrites(alias.input_rewrites.as_deref()),
                        output_rewrites: rewrites(alias.output_rewrites.as_deref()),
                    })
                    .collect();
                PlanNode::Batch(Arc::new(BatchFetch {
                    id,
                    subgraph: self.subgraph(&batch.service_name)?,
                    query_json: json_string(&batch.operation.document_str),
                    variables: batch.variable_usages.iter().flatten().cloned().collect(),
                    aliases,
                }))
            }
            HivePlanNode::Sequence(sequence) => PlanNode::Sequence(
                sequence
                    .nodes
                    .iter()
                    .map(|node| self.node(node))
                    .collect::<Result<_, _>>()?,
            ),
            HivePlanNode::Parallel(parallel) => PlanNode::Parallel(
                parallel
                    .nodes
                    .iter()
                    .map(|node| self.node(node))
                    .collect::<Result<_, _>>()?,
            ),
            HivePlanNode::Condition(condition) => PlanNode::Condition {
                variable: condition.condition.clone(),
                if_true: match &condition.if_clause {
                    Some(node) => Some(Box::new(self.node(node)?)),
                    None => None,
                },
                if_false: match &condition.else_clause {
                    Some(node) => Some(Box::new(self.node(node)?)),
                    None => None,
                },
            },
            HivePlanNode::Subscription(_) => {
                return Err("subscriptions are not supported".to_string())
            }
            HivePlanNode::Defer(_) => return Err("@defer is not supported".to_string()),
        })
    }

    fn subgraph(&self, name: &str) -> Result<usize, String> {
        self.subgraph_index
            .get(name)
            .copied()
            .ok_or_else(|| format!("the plan names an unknown subgraph {name:?}"))
    }

    fn fetch(
        &mut self,
        service_name: &str,
        operation: &SubgraphFetchOperation,
        variable_usages: Option<&std::collections::BTreeSet<String>>,
        requires: Option<&SelectionSet>,
        input_rewrites: Option<&[FetchRewrite]>,
        output_rewrites: Option<&[FetchRewrite]>,
    ) -> Result<Fetch, String> {
        let id = self.fetch_count;
        self.fetch_count += 1;
        let document = &operation.document;
        let top = &document.operation.selection_set;
        let keys = match (requires.is_some(), top.items.as_slice()) {
            (true, [SelectionItem::Field(entities)]) if entities.name == "_entities" => {
                response_keys(&entities.selections, &document.fragments)
            }
            _ => response_keys(top, &document.fragments),
        };
        Ok(Fetch {
            id,
            response_keys: keys,
            subgraph: self.subgraph(service_name)?,
            query_json: json_string(&operation.document_str),
            variables: variable_usages.into_iter().flatten().cloned().collect(),
            requires: requires.map(required_selections),
            input_rewrites: rewrites(input_rewrites),
            output_rewrites: rewrites(output_rewrites),
            is_mutation: self.is_mutation,
        })
    }
}

/// The response keys of a selection set's fields (through fragments), `__typename` aside.
fn response_keys(selection_set: &SelectionSet, fragments: &[FragmentDefinition]) -> Vec<String> {
    fn walk(
        selection_set: &SelectionSet,
        fragments: &[FragmentDefinition],
        keys: &mut Vec<String>,
        depth: usize,
    ) {
        if depth > 32 {
            return;
        }
        for item in &selection_set.items {
            match item {
                SelectionItem::Field(field) => {
                    let key = field.alias.as_deref().unwrap_or(&field.name);
                    if key != "__typename" && !keys.iter().any(|known| known == key) {
                        keys.push(key.to_string());
                    }
                }
                SelectionItem::InlineFragment(fragment) => {
                    walk(&fragment.selections, fragments, keys, depth + 1)
                }
                SelectionItem::FragmentSpread(name) => {
                    if let Some(fragment) = fragments.iter().find(|fragment| &fragment.name == name)
                    {
                        walk(&fragment.selection_set, fragments, keys, depth + 1);
                    }
                }
            }
        }
    }
    let mut keys = Vec::new();
    walk(selection_set, fragments, &mut keys, 0);
    keys
}

fn json_string(text: &str) -> Box<str> {
    // Serializing a string cannot fail; an empty document would be refused by the subgraph.
    serde_json::to_string(text)
        .unwrap_or_else(|_| "\"\"".to_string())
        .into_boxed_str()
}

fn flatten_path(path: &FlattenNodePath) -> Vec<PathStep> {
    path.as_slice()
        .iter()
        .map(|segment| match segment {
            FlattenNodePathSegment::Field(name) => PathStep::Field(name.as_str().into()),
            FlattenNodePathSegment::List => PathStep::List,
            FlattenNodePathSegment::TypeCondition(types) => {
                PathStep::TypeCondition(types.iter().cloned().collect())
            }
        })
        .collect()
}

fn required_selections(selection_set: &SelectionSet) -> Vec<RequiredSelection> {
    selection_set
        .items
        .iter()
        .filter_map(|item| match item {
            SelectionItem::Field(field) => Some(RequiredSelection::Field {
                name: field.name.clone(),
                sent_as: field.alias.clone().unwrap_or_else(|| field.name.clone()),
                selections: required_selections(&field.selections),
            }),
            SelectionItem::InlineFragment(fragment) => Some(RequiredSelection::InlineFragment {
                type_condition: fragment.type_condition.clone(),
                selections: required_selections(&fragment.selections),
            }),
            SelectionItem::FragmentSpread(_) => None,
        })
        .collect()
}

fn rewrites(rewrites: Option<&[FetchRewrite]>) -> Vec<Rewrite> {
    let steps = |path: &[FetchNodePathSegment]| -> Vec<RewriteStep> {
        path.iter()
            .map(|segment| match segment {
                FetchNodePathSegment::Key(key) => RewriteStep::Key(key.clone()),
                FetchNodePathSegment::TypenameEquals(types) => {
                    RewriteStep::TypenameIn(types.iter().cloned().collect())
                }
            })
            .collect()
    };
    rewrites
        .unwrap_or_default()
        .iter()
        .map(|rewrite| match rewrite {
            FetchRewrite::ValueSetter(setter) => Rewrite::SetValue {
                path: steps(&setter.path),
                value: setter.set_value_to.clone(),
            },
            FetchRewrite::KeyRenamer(renamer) => Rewrite::RenameKey {
                path: steps(&renamer.path),
                to: renamer.rename_key_to.clone(),
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_types_gain_the_join_types_a_composer_left_out() {
        let mut document = graphql_tools::parser::parse_schema::<String>(
            "schema { query: Query } \
             type Query @join__type(graph: A) { a: Int @join__field(graph: A) b: Int @join__field(graph: B) }",
        )
        .unwrap()
        .into_static();
        add_root_join_types(&mut document);
        let Definition::TypeDefinition(TypeDefinition::Object(query)) = &document.definitions[1]
        else {
            panic!("Query is not an object type");
        };
        let graphs: Vec<String> = query.directives.iter().filter_map(graph_argument).collect();
        assert_eq!(graphs, vec!["A".to_string(), "B".to_string()]);
    }

    #[test]
    fn a_schema_that_is_not_a_supergraph_is_refused_without_panicking() {
        assert!(load("type Query { a: Int }").is_err());
        assert!(load("this is not graphql").is_err());
        assert!(load("extend type Query { a: Int }").is_err());
    }
}
