//! Abuse limits: what one operation may ask of the hub, configurable, checked when a
//! document is prepared (before it is planned) and so cached with it: a prepared document
//! passed them, and repeating it costs no measurement.
//!
//! - **tokens**: lexical tokens of the document (names, punctuators, values; commas,
//!   whitespace and comments are not tokens), counted before it is parsed;
//! - **depth**: how deep the selected operation nests, fragments expanded (`{ a { b } }` is 2);
//! - **aliases**: aliased fields, fragments expanded (each spread counts its fragment's);
//! - **root fields**: fields of the operation's root selection, fragments expanded;
//! - **cost**: as the demand-control specification (`@cost`, `@listSize`) counts it: a
//!   field of an object, interface or union type costs 1 and one of a scalar or enum
//!   type 0, unless the schema gives the field or its type `@cost(weight:)`; a list field
//!   costs its weight and what it selects once per item it may hold. A list's size is its
//!   slicing arguments' value (`@listSize(slicingArguments:)`, else `first`/`last`), else
//!   their default in the schema (`first: Int = 20`), else what the connection it belongs
//!   to gives its sized fields (`units(first: 10) { edges { node { … } } }` counts each
//!   `node` 10 times; every list of the connection unless `@listSize(sizedFields:)` names
//!   some), else its `@listSize(assumedSize:)`, else the configured assumed size
//!   ([`DEFAULT_ASSUMED_LIST_SIZE`] by default). A slicing argument given by a variable counts
//!   [`VARIABLE_LIST_SIZE`] (the largest page a subgraph serves: the value is only known per
//!   request, and the measurement is made once per document). A list marked
//!   [`SERIES_DIRECTIVE`](crate::pipeline::schema::SERIES_DIRECTIVE) (a series
//!   of figures) holds one item per calendar period of the `series` argument in force (the
//!   field's own, else the nearest enclosing field's): its size is counted from `from`, `to`
//!   and `every`; when those are variables, the cost is measured again for each request
//!   with its variables ([`OperationLimits::check_cost`]). `__schema` and `__type` cost 1
//!   whatever they select: the gateway answers them from memory, and depth bounds them.
//!
//! Besides these, `validate.rs` bounds what any document may cost to validate, whatever
//! the configuration.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use graphql_tools::static_graphql::query::{
    Definition, Document, FragmentDefinition, OperationDefinition, Selection, SelectionSet,
    TypeCondition, Value,
};
use serde_json::{json, Map, Value as JsonValue};

use crate::error::{Code, GraphqlError, RequestFailure};
use crate::pipeline::operation::OperationKind;
use crate::pipeline::schema::{ApiSchema, FieldDef, InputValueDef, ListSize, TypeKind, TypeRef};

/// The size assumed for a list nothing sizes (no slicing argument, no default, no
/// `@listSize`): a short list, as most lists without paging are.
pub const DEFAULT_ASSUMED_LIST_SIZE: u64 = 10;
/// The size of a list whose `first`/`last` is a variable: the largest page a subgraph serves.
pub const VARIABLE_LIST_SIZE: u64 = 100;

/// The configured limits (see the module documentation for what each measures).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OperationLimits {
    pub max_depth: u64,
    pub max_aliases: u64,
    pub max_root_fields: u64,
    pub max_tokens: u64,
    pub max_cost: u64,
    /// The size assumed for a list nothing sizes.
    pub assumed_list_size: u64,
}

impl Default for OperationLimits {
    fn default() -> Self {
        OperationLimits {
            max_depth: 15,
            max_aliases: 30,
            max_root_fields: 20,
            max_tokens: 5_000,
            max_cost: 50_000,
            assumed_list_size: DEFAULT_ASSUMED_LIST_SIZE,
        }
    }
}

/// One limit exceeded: its name in `extensions.limit`, the measured value and the maximum.
fn exceeded(limit: &str, message: String, measured: u64, maximum: u64) -> RequestFailure {
    RequestFailure::graphql(
        GraphqlError::new(message, Code::OperationLimit)
            .with_extension("limit", json!(limit))
            .with_extension("measured", json!(measured))
            .with_extension("maximum", json!(maximum)),
    )
}

impl OperationLimits {
    /// Refuses a document with more tokens than allowed, before it is parsed.
    pub(crate) fn check_tokens(&self, query: &str) -> Result<(), RequestFailure> {
        let tokens = count_tokens(query);
        if tokens > self.max_tokens {
            return Err(exceeded(
                "tokens",
                format!(
                    "The document has {tokens} tokens; at most {} are allowed.",
                    self.max_tokens
                ),
                tokens,
                self.max_tokens,
            ));
        }
        Ok(())
    }

    /// The parser's own token limit: a second guard, a little above ours (the parser counts
    /// the same tokens, give or take one at the very end).
    pub(crate) fn parser_token_limit(&self) -> usize {
        usize::try_from(self.max_tokens.saturating_add(16)).unwrap_or(usize::MAX)
    }

    /// Refuses an operation (of a validated document) over any limit: depth, aliases, root
    /// fields, then cost. Says whether the cost could not be measured without the request's
    /// variables (a series sized by variables): then [`OperationLimits::check_cost`] checks
    /// it for each request.
    pub(crate) fn check_operation(
        &self,
        document: &Document,
        operation: usize,
        kind: OperationKind,
        api: &ApiSchema,
    ) -> Result<CostCheck, RequestFailure> {
        let Some(measured) = measure(document, operation, kind, api, None, self.assumed_list_size)
        else {
            return Ok(CostCheck::Done);
        };
        if measured.depth > self.max_depth {
            return Err(exceeded(
                "depth",
                format!(
                    "The operation nests {} levels deep; at most {} are allowed.",
                    measured.depth, self.max_depth
                ),
                measured.depth,
                self.max_depth,
            ));
        }
        if measured.aliases > self.max_aliases {
            return Err(exceeded(
                "aliases",
                format!(
                    "The operation uses {} aliases; at most {} are allowed.",
                    measured.aliases, self.max_aliases
                ),
                measured.aliases,
                self.max_aliases,
            ));
        }
        if measured.root_fields > self.max_root_fields {
            return Err(exceeded(
                "rootFields",
                format!(
                    "The operation selects {} root fields; at most {} are allowed.",
                    measured.root_fields, self.max_root_fields
                ),
                measured.root_fields,
                self.max_root_fields,
            ));
        }
        if measured.cost_needs_variables {
            return Ok(CostCheck::PerRequest);
        }
        self.refuse_over_cost(measured.cost)?;
        Ok(CostCheck::Done)
    }

    /// Refuses an operation whose cost with the request's `variables` is over the limit
    /// (for operations [`OperationLimits::check_operation`] left to each request).
    pub(crate) fn check_cost(
        &self,
        document: &Document,
        operation: usize,
        kind: OperationKind,
        api: &ApiSchema,
        variables: &Map<String, JsonValue>,
    ) -> Result<(), RequestFailure> {
        match measure(
            document,
            operation,
            kind,
            api,
            Some(variables),
            self.assumed_list_size,
        ) {
            Some(measured) => self.refuse_over_cost(measured.cost),
            None => Ok(()),
        }
    }

    fn refuse_over_cost(&self, cost: u64) -> Result<(), RequestFailure> {
        if cost > self.max_cost {
            return Err(exceeded(
                "cost",
                format!(
                    "The operation costs {cost}; at most {} is allowed (an object costs 1, \
                     multiplied by the size of the lists it is in).",
                    self.max_cost
                ),
                cost,
                self.max_cost,
            ));
        }
        Ok(())
    }
}

/// Whether an operation's cost was checked when its document was, or must be for each
/// request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CostCheck {
    Done,
    PerRequest,
}

/// Counts the lexical tokens of a GraphQL document without parsing it or allocating:
/// punctuators (`...` is one), names, numbers, strings and block strings. Whitespace, line
/// terminators, commas, comments and a byte-order mark are not tokens. A character that
/// cannot start a token counts as one (the parser refuses the document anyway).
pub(crate) fn count_tokens(source: &str) -> u64 {
    let bytes = source.as_bytes();
    let mut at = 0;
    let mut tokens = 0u64;
    while at < bytes.len() {
        match bytes[at] {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => at += 1,
            // The byte-order mark, U+FEFF.
            0xEF if bytes[at..].starts_with(&[0xEF, 0xBB, 0xBF]) => at += 3,
            b'#' => {
                while at < bytes.len() && bytes[at] != b'\n' && bytes[at] != b'\r' {
                    at += 1;
                }
            }
            b'"' if bytes[at..].starts_with(b"\"\"\"") => {
                tokens += 1;
                at += 3;
                loop {
                    if at >= bytes.len() {
                        break;
                    }
                    if bytes[at..].starts_with(b"\\\"\"\"") {
                        at += 4;
                    } else if bytes[at..].starts_with(b"\"\"\"") {
                        at += 3;
                        break;
                    } else {
                        at += 1;
                    }
                }
            }
            b'"' => {
                tokens += 1;
                at += 1;
                while at < bytes.len() {
                    match bytes[at] {
                        b'\\' => at += 2,
                        b'"' => {
                            at += 1;
                            break;
                        }
                        b'\n' | b'\r' => break,
                        _ => at += 1,
                    }
                }
            }
            b'.' if bytes[at..].starts_with(b"...") => {
                tokens += 1;
                at += 3;
            }
            b'_' | b'a'..=b'z' | b'A'..=b'Z' => {
                tokens += 1;
                at += 1;
                while at < bytes.len()
                    && matches!(bytes[at], b'_' | b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9')
                {
                    at += 1;
                }
            }
            b'-' | b'0'..=b'9' => {
                tokens += 1;
                at += 1;
                while at < bytes.len()
                    && matches!(bytes[at], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
                {
                    at += 1;
                }
            }
            _ => {
                tokens += 1;
                // One token per character, not per byte.
                at += 1;
                while at < bytes.len() && (bytes[at] & 0xC0) == 0x80 {
                    at += 1;
                }
            }
        }
    }
    tokens
}

/// What an operation measures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Measured {
    pub depth: u64,
    pub aliases: u64,
    pub root_fields: u64,
    pub cost: u64,
    /// A series is sized by variables that were not given: `cost` counted it as one item.
    pub cost_needs_variables: bool,
}

/// Measures the operation at `operation` in a validated `document`, with the request's
/// `variables` when known; `None` when there is no such operation or its root type is
/// missing (validation has refused both already).
pub(crate) fn measure(
    document: &Document,
    operation: usize,
    kind: OperationKind,
    api: &ApiSchema,
    variables: Option<&Map<String, JsonValue>>,
    assumed_list_size: u64,
) -> Option<Measured> {
    let selection_set = match document.definitions.get(operation)? {
        Definition::Operation(OperationDefinition::SelectionSet(set)) => set,
        Definition::Operation(OperationDefinition::Query(query)) => &query.selection_set,
        Definition::Operation(OperationDefinition::Mutation(mutation)) => &mutation.selection_set,
        Definition::Operation(OperationDefinition::Subscription(subscription)) => {
            &subscription.selection_set
        }
        Definition::Fragment(_) => return None,
    };
    let root_type = match kind {
        OperationKind::Query => Some(api.query_type.as_str()),
        OperationKind::Mutation => api.mutation_type.as_deref(),
        OperationKind::Subscription => api.subscription_type.as_deref(),
    }?;
    let fragments: HashMap<&str, &FragmentDefinition> = document
        .definitions
        .iter()
        .filter_map(|definition| match definition {
            Definition::Fragment(fragment) => Some((fragment.name.as_str(), fragment)),
            _ => None,
        })
        .collect();
    let mut walker = Walker {
        api,
        fragments: &fragments,
        memo: HashMap::new(),
        variables,
        needs_variables: false,
        assumed_list_size,
    };
    let root = walker.selection_set(selection_set, root_type, Sizes::default(), 0);
    Some(Measured {
        depth: root.depth,
        aliases: root.aliases,
        root_fields: root.fields,
        cost: root.cost,
        cost_needs_variables: walker.needs_variables,
    })
}

/// The measures of one selection set.
#[derive(Clone, Copy, Default)]
struct SetMeasures {
    /// Fields directly in it (through fragments).
    fields: u64,
    depth: u64,
    aliases: u64,
    cost: u64,
}

impl SetMeasures {
    fn add(&mut self, other: SetMeasures) {
        self.fields = self.fields.saturating_add(other.fields);
        self.depth = self.depth.max(other.depth);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.cost = self.cost.saturating_add(other.cost);
    }
}

/// The list sizes in force where a selection set is measured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
struct Sizes<'a> {
    /// The size the connection the set belongs to gives its lists (its slicing arguments
    /// or assumed size).
    page: Option<u64>,
    /// The connection's `@listSize(sizedFields:)`: the lists `page` sizes (all when unset).
    sized_fields: Option<&'a [String]>,
    /// The points of the `series` argument of the nearest enclosing field that has one.
    series: Option<u64>,
}

impl Sizes<'_> {
    /// The size the enclosing connection gives its list field `name`.
    fn page_of(&self, name: &str) -> Option<u64> {
        match self.sized_fields {
            Some(fields) if !fields.iter().any(|field| field == name) => None,
            _ => self.page,
        }
    }
}

struct Walker<'a> {
    api: &'a ApiSchema,
    fragments: &'a HashMap<&'a str, &'a FragmentDefinition>,
    /// Named fragments measured once (a fragment's type condition fixes its type, so its
    /// measures do not depend on where it is spread), by name and the sizes in force.
    memo: HashMap<(&'a str, Sizes<'a>), SetMeasures>,
    /// The request's variables, when it is measured for one request.
    variables: Option<&'a Map<String, JsonValue>>,
    /// A series argument held a variable that `variables` does not give.
    needs_variables: bool,
    /// The size assumed for a list nothing sizes.
    assumed_list_size: u64,
}

impl<'a> Walker<'a> {
    fn selection_set(
        &mut self,
        set: &'a SelectionSet,
        parent_type: &str,
        sizes: Sizes<'a>,
        level: usize,
    ) -> SetMeasures {
        let mut measures = SetMeasures::default();
        // Validation refused fragment cycles; this bounds the walk regardless.
        if level > 512 {
            return measures;
        }
        for selection in &set.items {
            match selection {
                Selection::Field(field) => {
                    let name = field.name.as_str();
                    let definition = self.api.field(parent_type, name);
                    let field_type = definition.map(|def| def.ty.named()).unwrap_or("");
                    let weight = self.weight(definition, field_type);
                    let mut own = SetMeasures {
                        fields: 1,
                        depth: 1,
                        aliases: u64::from(field.alias.is_some()),
                        cost: weight,
                    };
                    let is_list = definition.is_some_and(|def| is_list(&def.ty));
                    let list_size = definition.and_then(|def| def.list_size.as_ref());
                    // The size the field's own slicing arguments give, else their defaults.
                    let sliced = definition.and_then(|def| {
                        let slicing = slicing_arguments(list_size);
                        page_size(&field.arguments, &slicing)
                            .or_else(|| default_page_size(&def.args, &slicing))
                    });
                    let series = match field.arguments.iter().find(|(name, _)| name == "series") {
                        Some((_, value)) => Some(self.series_points(value)),
                        None => sizes.series,
                    };
                    // A list holds a series' points, else what its slicing arguments say,
                    // else what its connection's say, else its assumed size, else the
                    // default; what it selects counts once per item.
                    let (multiplier, inner_page) = if is_list {
                        let size = if definition.is_some_and(|def| def.series) {
                            series.unwrap_or(1)
                        } else {
                            sliced
                                .or_else(|| sizes.page_of(name))
                                .or_else(|| list_size.and_then(|size| size.assumed_size))
                                .unwrap_or(self.assumed_list_size)
                        };
                        (size, None)
                    } else {
                        let page = sliced.or_else(|| list_size.and_then(|size| size.assumed_size));
                        (1, page)
                    };
                    let inner = if field.selection_set.items.is_empty() {
                        SetMeasures::default()
                    } else {
                        let sized_fields = list_size
                            .map(|size| size.sized_fields.as_slice())
                            .filter(|fields| !fields.is_empty());
                        self.selection_set(
                            &field.selection_set,
                            field_type,
                            Sizes {
                                page: inner_page,
                                sized_fields,
                                series,
                            },
                            level + 1,
                        )
                    };
                    own.depth = own.depth.saturating_add(inner.depth);
                    own.aliases = own.aliases.saturating_add(inner.aliases);
                    own.cost = if name == "__schema" || name == "__type" {
                        1
                    } else {
                        weight.saturating_add(inner.cost).saturating_mul(multiplier)
                    };
                    measures.add(own);
                }
                Selection::InlineFragment(fragment) => {
                    let type_name = match &fragment.type_condition {
                        Some(TypeCondition::On(name)) => name.as_str(),
                        None => parent_type,
                    };
                    let inner =
                        self.selection_set(&fragment.selection_set, type_name, sizes, level + 1);
                    measures.add(inner);
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.fragment_name.as_str();
                    let inner = match self.memo.get(&(name, sizes)) {
                        Some(measured) => *measured,
                        None => match self.fragments.get(name) {
                            Some(fragment) => {
                                let TypeCondition::On(type_name) = &fragment.type_condition;
                                let measured = self.selection_set(
                                    &fragment.selection_set,
                                    type_name,
                                    sizes,
                                    level + 1,
                                );
                                self.memo.insert((name, sizes), measured);
                                measured
                            }
                            None => SetMeasures::default(),
                        },
                    };
                    measures.add(inner);
                }
            }
        }
        measures
    }

    /// What a field costs by itself: its `@cost`, else its type's, else 1 for an object,
    /// interface or union and 0 for a scalar or enum.
    fn weight(&self, definition: Option<&FieldDef>, field_type: &str) -> u64 {
        if let Some(weight) = definition.and_then(|def| def.cost) {
            return weight;
        }
        match self.api.type_def(field_type) {
            Some(def) => def.cost.unwrap_or(match def.kind {
                TypeKind::Object | TypeKind::Interface | TypeKind::Union => 1,
                _ => 0,
            }),
            None => 0,
        }
    }

    /// How many points the `series` argument `value` asks for; 1 when it holds a variable
    /// the walker does not know (noted in `needs_variables`) or is not a valid series (the
    /// subgraph refuses it).
    fn series_points(&mut self, value: &Value) -> u64 {
        match json_of(value, self.variables) {
            Some(series) => series_points(&series),
            None => {
                self.needs_variables = true;
                1
            }
        }
    }
}

/// `value` as JSON with its variables in place; `None` when it holds a variable and no
/// variables are known (the document is measured before any request).
fn json_of(value: &Value, variables: Option<&Map<String, JsonValue>>) -> Option<JsonValue> {
    Some(match value {
        Value::Variable(name) => variables?.get(name).cloned().unwrap_or(JsonValue::Null),
        Value::String(text) | Value::Enum(text) => JsonValue::String(text.clone()),
        Value::Object(fields) => JsonValue::Object(
            fields
                .iter()
                .map(|(name, value)| Some((name.clone(), json_of(value, variables)?)))
                .collect::<Option<Map<String, JsonValue>>>()?,
        ),
        _ => JsonValue::Null,
    })
}

/// The points of a series `{ from, to, every }`: the calendar months, quarters or years
/// (`every`, MONTH by default) from the one holding `from` to the one holding `to`; 1 for
/// anything else.
fn series_points(series: &JsonValue) -> u64 {
    let day = |field: &str| {
        series
            .get(field)
            .and_then(JsonValue::as_str)
            .and_then(|text| text.parse::<NaiveDate>().ok())
    };
    let months = match series.get("every").and_then(JsonValue::as_str) {
        Some("QUARTER") => 3,
        Some("YEAR") => 12,
        _ => 1,
    };
    let period = |day: NaiveDate| (i64::from(day.year()) * 12 + i64::from(day.month0())) / months;
    match (day("from"), day("to")) {
        (Some(from), Some(to)) => u64::try_from(period(to) - period(from) + 1).unwrap_or(1),
        _ => 1,
    }
}

fn is_list(ty: &TypeRef) -> bool {
    match ty {
        TypeRef::Named(_) => false,
        TypeRef::List(_) => true,
        TypeRef::NonNull(inner) => is_list(inner),
    }
}

/// The arguments that size a list: its `@listSize(slicingArguments:)`, else `first` and
/// `last`.
fn slicing_arguments(list_size: Option<&ListSize>) -> Vec<&str> {
    match list_size {
        Some(size) if !size.slicing_arguments.is_empty() => {
            size.slicing_arguments.iter().map(String::as_str).collect()
        }
        _ => vec!["first", "last"],
    }
}

/// The largest default the schema gives the `slicing` arguments, if any
/// (`first: Int = 20`).
fn default_page_size(arguments: &[InputValueDef], slicing: &[&str]) -> Option<u64> {
    arguments
        .iter()
        .filter(|argument| slicing.contains(&argument.name.as_str()))
        .filter_map(|argument| match &argument.default_value {
            Some(Value::Int(number)) => Some(number.as_i64().unwrap_or(0).max(0) as u64),
            _ => None,
        })
        .max()
}

/// The largest of the `slicing` arguments a field is given, if any; a variable counts
/// [`VARIABLE_LIST_SIZE`].
fn page_size(arguments: &[(String, Value)], slicing: &[&str]) -> Option<u64> {
    arguments
        .iter()
        .filter(|(name, _)| slicing.contains(&name.as_str()))
        .filter_map(|(_, value)| match value {
            Value::Int(number) => Some(number.as_i64().unwrap_or(0).max(0) as u64),
            Value::Variable(_) => Some(VARIABLE_LIST_SIZE),
            _ => None,
        })
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_names_punctuators_and_values() {
        assert_eq!(count_tokens("{ a }"), 3);
        assert_eq!(
            count_tokens("query Q($n: Int = 10) { a(first: $n) { ...F } }"),
            23
        );
        // Commas, comments and whitespace are not tokens; strings are one token each.
        assert_eq!(count_tokens("# a comment { { {\n{ a, b }"), 4);
        assert_eq!(count_tokens(r#"{ a(s: "x { y } \" z") }"#), 8);
        assert_eq!(count_tokens("{ a(s: \"\"\"x \\\"\"\" { y }\"\"\") }"), 8);
        assert_eq!(count_tokens("{ a(f: -1.5e3) }"), 8);
        assert_eq!(count_tokens("\u{feff}{ 科 }"), 3);
    }

    #[test]
    fn tokens_are_counted_as_the_parser_counts_them() {
        for document in [
            "query Q($n: Int = 10, $s: [String!]) { a(first: $n, s: $s) @include(if: true) { ...F } }",
            "fragment F on T { b(x: {y: [1, 2.5, -3e2], z: \"q\\\"\"}) c: d e(f: \"\"\"block\n\"\"\") }",
            "mutation { m(input: {a: ENUM, b: null, c: false}) { id } } # trailing comment",
        ] {
            let parsed = graphql_tools::parser::spanned_tokens(document).unwrap().len() as u64;
            assert_eq!(count_tokens(document), parsed, "{document}");
        }
    }

    #[test]
    fn list_sizes_come_from_first_or_last_or_the_defaults() {
        let arguments = |source: &str| -> Vec<(String, Value)> {
            let document = graphql_tools::parser::parse_query::<String>(source)
                .unwrap()
                .into_static();
            let Some(Definition::Operation(OperationDefinition::SelectionSet(set))) =
                document.definitions.first()
            else {
                panic!("a query shorthand");
            };
            let Some(Selection::Field(field)) = set.items.first() else {
                panic!("a field");
            };
            field.arguments.clone()
        };
        let paging = ["first", "last"];
        assert_eq!(page_size(&arguments("{ a(first: 5) }"), &paging), Some(5));
        assert_eq!(
            page_size(&arguments("{ a(first: 5, last: 7) }"), &paging),
            Some(7)
        );
        assert_eq!(
            page_size(&arguments("{ a(first: $n) }"), &paging),
            Some(VARIABLE_LIST_SIZE)
        );
        assert_eq!(page_size(&arguments("{ a(after: \"x\") }"), &paging), None);
        assert_eq!(page_size(&arguments("{ a(first: -3) }"), &paging), Some(0));
        assert_eq!(
            page_size(&arguments("{ a(limit: 4) }"), &["limit"]),
            Some(4)
        );
        assert_eq!(page_size(&arguments("{ a(limit: 4) }"), &paging), None);
    }
}
