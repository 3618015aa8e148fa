//! The validate stage: a document is bounded in what it may cost (size and depth with its
//! fragments expanded, the work of the overlapping-fields rule) and then validated against
//! the API schema by the specification's rules.

use std::collections::HashMap;

use graphql_tools::static_graphql::query::{
    Definition, Document, FragmentDefinition, OperationDefinition, Selection, SelectionSet,
};
use graphql_tools::static_graphql::schema::Document as SchemaDocument;
use graphql_tools::validation::validate::ValidationPlan;

use crate::error::{Code, GraphqlError, RequestFailure};

/// Fields an operation may select once its fragments are expanded.
pub(crate) const MAX_EXPANDED_FIELDS: u64 = 20_000;
/// How deep an operation may nest once its fragments are expanded.
pub(crate) const MAX_DEPTH: u64 = 64;

/// Validates `document` against `schema`; the errors are request errors.
pub(crate) fn validate(
    document: &Document,
    schema: &SchemaDocument,
    validation: &ValidationPlan,
) -> Result<(), RequestFailure> {
    guard(document)?;
    let errors = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        graphql_tools::validation::validate::validate(schema, document, validation)
    }))
    .map_err(|_| {
        RequestFailure::graphql(GraphqlError::new(
            "The document could not be validated.",
            Code::GraphqlValidationFailed,
        ))
    })?;
    if errors.is_empty() {
        return Ok(());
    }
    Err(RequestFailure::Graphql(
        errors
            .into_iter()
            .map(|error| {
                let mut graphql_error =
                    GraphqlError::new(error.message, Code::GraphqlValidationFailed);
                for location in error.locations {
                    graphql_error = graphql_error.with_location(location.line, location.column);
                }
                graphql_error
            })
            .collect(),
    ))
}

/// Bounds what a document may cost before it is validated: validation's rule for
/// overlapping fields compares every pair of fields sharing a response key, at every level,
/// which a small document can make quadratic many times over; and every operation's size and
/// depth once its fragments are expanded.
fn guard(document: &Document) -> Result<(), RequestFailure> {
    let too_complex = |message: String| {
        RequestFailure::graphql(GraphqlError::new(message, Code::OperationTooComplex))
    };
    let fragments: HashMap<&str, &FragmentDefinition> = document
        .definitions
        .iter()
        .filter_map(|definition| match definition {
            Definition::Fragment(fragment) => Some((fragment.name.as_str(), fragment)),
            _ => None,
        })
        .collect();
    if let Some(name) = fragment_cycle(&fragments) {
        return Err(RequestFailure::graphql(GraphqlError::new(
            format!("Cannot spread fragment \"{name}\" within itself."),
            Code::GraphqlValidationFailed,
        )));
    }
    let mut measure = Measure {
        fragments: &fragments,
        memo: HashMap::new(),
    };
    let mut overlaps = Overlaps {
        fragments: &fragments,
        budget: OVERLAP_BUDGET,
    };
    for definition in &document.definitions {
        let selection_set = match definition {
            Definition::Operation(OperationDefinition::SelectionSet(selection_set)) => {
                selection_set
            }
            Definition::Operation(OperationDefinition::Query(query)) => &query.selection_set,
            Definition::Operation(OperationDefinition::Mutation(mutation)) => {
                &mutation.selection_set
            }
            Definition::Operation(OperationDefinition::Subscription(subscription)) => {
                &subscription.selection_set
            }
            Definition::Fragment(fragment) => &fragment.selection_set,
        };
        if overlaps.check(&[selection_set], &mut Vec::new()).is_err() {
            return Err(too_complex(
                "The operation repeats response keys too often to be validated.".to_string(),
            ));
        }
        if matches!(definition, Definition::Fragment(_)) {
            continue;
        }
        let (fields, depth) = measure.selection_set(selection_set, 0);
        if fields > MAX_EXPANDED_FIELDS {
            return Err(too_complex(format!(
                "The operation selects {fields} fields once its fragments are expanded; the limit is {MAX_EXPANDED_FIELDS}."
            )));
        }
        if depth > MAX_DEPTH {
            return Err(too_complex(format!(
                "The operation nests {depth} levels deep; the limit is {MAX_DEPTH}."
            )));
        }
    }
    Ok(())
}

/// The name of a fragment that spreads itself, directly or through others.
fn fragment_cycle<'a>(fragments: &HashMap<&'a str, &'a FragmentDefinition>) -> Option<&'a str> {
    fn spreads<'a>(set: &'a SelectionSet, out: &mut Vec<&'a str>) {
        for selection in &set.items {
            match selection {
                Selection::Field(field) => spreads(&field.selection_set, out),
                Selection::InlineFragment(fragment) => spreads(&fragment.selection_set, out),
                Selection::FragmentSpread(spread) => out.push(spread.fragment_name.as_str()),
            }
        }
    }
    let graph: HashMap<&str, Vec<&str>> = fragments
        .iter()
        .map(|(name, fragment)| {
            let mut out = Vec::new();
            spreads(&fragment.selection_set, &mut out);
            (*name, out)
        })
        .collect();
    // Depth-first search without recursion: 1 = on the current path, 2 = done.
    let mut state: HashMap<&str, u8> = HashMap::new();
    let mut names: Vec<&&str> = graph.keys().collect();
    names.sort();
    for start in names {
        if state.contains_key(*start) {
            continue;
        }
        let mut stack: Vec<(&str, usize)> = vec![(start, 0)];
        state.insert(start, 1);
        while let Some((name, next)) = stack.pop() {
            let targets = graph.get(name).map(Vec::as_slice).unwrap_or_default();
            match targets.get(next) {
                Some(target) => {
                    stack.push((name, next + 1));
                    match state.get(target) {
                        Some(1) => return Some(target),
                        Some(_) => {}
                        None if graph.contains_key(target) => {
                            state.insert(target, 1);
                            stack.push((target, 0));
                        }
                        None => {}
                    }
                }
                None => {
                    state.insert(name, 2);
                }
            }
        }
    }
    None
}

/// Field pairs the overlap estimate allows: a few tenths of a second of validation at most.
const OVERLAP_BUDGET: u64 = 200_000;

/// Estimates the work of the overlapping-fields rule: the fields it collects and the pairs
/// sharing a response key it compares, level by level through merged sub-selections. Every
/// step spends budget, so the estimate itself stops early on a hostile document.
struct Overlaps<'a> {
    fragments: &'a HashMap<&'a str, &'a FragmentDefinition>,
    budget: u64,
}

struct OverBudget;

impl<'a> Overlaps<'a> {
    fn spend(&mut self, amount: u64) -> Result<(), OverBudget> {
        self.budget = self.budget.checked_sub(amount).ok_or(OverBudget)?;
        Ok(())
    }

    /// Collects the fields of `sets` (through fragments) grouped by response key.
    fn collect(
        &mut self,
        set: &'a SelectionSet,
        groups: &mut Vec<(&'a str, Vec<&'a SelectionSet>, u64)>,
        expanding: &mut Vec<&'a str>,
    ) -> Result<(), OverBudget> {
        for selection in &set.items {
            match selection {
                Selection::Field(field) => {
                    self.spend(1)?;
                    let key = field.alias.as_deref().unwrap_or(field.name.as_str());
                    let group = match groups.iter_mut().position(|(known, _, _)| *known == key) {
                        Some(position) => &mut groups[position],
                        None => {
                            groups.push((key, Vec::new(), 0));
                            let last = groups.len() - 1;
                            &mut groups[last]
                        }
                    };
                    group.2 += 1;
                    if !field.selection_set.items.is_empty() {
                        group.1.push(&field.selection_set);
                    }
                }
                Selection::InlineFragment(fragment) => {
                    self.collect(&fragment.selection_set, groups, expanding)?
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.fragment_name.as_str();
                    self.spend(1)?;
                    if expanding.contains(&name) {
                        continue;
                    }
                    if let Some(fragment) = self.fragments.get(name) {
                        expanding.push(name);
                        self.collect(&fragment.selection_set, groups, expanding)?;
                        expanding.pop();
                    }
                }
            }
        }
        Ok(())
    }

    fn check(
        &mut self,
        sets: &[&'a SelectionSet],
        expanding: &mut Vec<&'a str>,
    ) -> Result<(), OverBudget> {
        if expanding.len() > 128 {
            return Err(OverBudget);
        }
        let mut groups: Vec<(&'a str, Vec<&'a SelectionSet>, u64)> = Vec::new();
        for set in sets {
            self.collect(set, &mut groups, expanding)?;
        }
        for (_, children, count) in &groups {
            self.spend(count.saturating_mul(count.saturating_sub(1)) / 2)?;
            if !children.is_empty() {
                expanding.push("");
                let result = self.check(children, expanding);
                expanding.pop();
                result?;
            }
        }
        Ok(())
    }
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
                        // A cycle: refused before measuring; counted as nothing here.
                        Some(None) => (0, 0),
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

    fn guarded(query: &str) -> Result<(), String> {
        let document = graphql_tools::parser::parse_query::<String>(query)
            .unwrap()
            .into_static();
        guard(&document).map_err(|failure| match failure {
            RequestFailure::Graphql(errors) => errors[0].message.clone(),
            RequestFailure::Http { error, .. } => error.message.clone(),
        })
    }

    #[test]
    fn documents_costly_to_validate_are_refused_before_validation() {
        let mut repeated = String::from("{");
        for index in 0..1000 {
            repeated.push_str(&format!(" f: b(x: {}) ", index % 2));
        }
        repeated.push('}');
        assert_eq!(
            guarded(&repeated),
            Err("The operation repeats response keys too often to be validated.".to_string())
        );
        // Nested repetition multiplies: 40 `a` fields each holding 40 `x` fields.
        let inner = " x".repeat(40);
        let nested = format!("{{{}}}", format!(" a {{{inner} }}").repeat(40));
        assert!(guarded(&nested).is_err());
        // An ordinary query with fragments repeating `id` passes.
        assert_eq!(
            guarded("{ unit { id ...A ...B } } fragment A on Unit { id name } fragment B on Unit { id kind }"),
            Ok(())
        );
    }

    #[test]
    fn fragment_cycles_are_named() {
        assert_eq!(
            guarded("{ ...A } fragment A on Query { b { ...B } } fragment B on B { c { ...A } }"),
            Err("Cannot spread fragment \"A\" within itself.".to_string())
        );
    }
}
