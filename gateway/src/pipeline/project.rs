//! Shapes the merged tree into the client's response, as the specification's
//! ExecuteSelectionSet would have: fields collected per object type (fragments, type
//! conditions, `@skip`/`@include`, aliases, duplicates merged), in the client's order,
//! `__typename` answered from the object's run-time type, introspection answered from the
//! API schema, and null propagation: a null in a non-null position raises a field error and
//! nulls the nearest nullable ancestor.
//!
//! The response is written straight into a byte buffer. A nullable position remembers where
//! its value starts; when a non-null child turns out null, the buffer is cut back to that
//! point and `null` written instead, so no intermediate tree is built. An object the tree
//! holds once but the answer shows at several places (an entity's deferred copies) is
//! written once and its bytes repeated, unless writing it raised an error or nulled a field.

use graphql_tools::static_graphql::query::{
    Directive, Field, Selection, SelectionSet, Value as AstValue,
};
use std::ops::Range;
use std::rc::Rc;

use kexie_contract::language::Language;
use serde_json::{Map, Value};

use crate::pipeline::data::{Data, Object};
use crate::pipeline::execute::{Execution, Shown};

use crate::error::{Code, GraphqlError, PathSegment};
use crate::pipeline::operation::PreparedOperation;
use crate::pipeline::schema::{ApiSchema, FieldDef, TypeDef, TypeKind, TypeRef};
use rustc_hash::FxHashMap;

/// A non-null position resolved to null: the nearest nullable ancestor becomes null.
pub(crate) struct Bubble;

/// A step of the current response path, borrowed from the document.
#[derive(Clone, Copy)]
pub(crate) enum PathRef<'a> {
    Key(&'a str),
    Index(usize),
}

/// The fields of one response key in one object, with their definition resolved once.
pub(crate) struct FieldGroup<'a> {
    pub key: &'a str,
    /// The fields sharing the response key; their selection sets merge.
    pub fields: Vec<&'a Field>,
    /// The field's definition on the object type (none for meta-fields).
    pub definition: Option<&'a FieldDef>,
    /// The named type under the definition's wrappers.
    pub named: Option<&'a TypeDef>,
}

/// Fields collected for one object, in order.
pub(crate) type CollectedFields<'a> = Vec<FieldGroup<'a>>;

/// Identifies a field group and a run-time type: the address of the group (a slice of a
/// memoized collection, stable for the whole response) and of the type's name.
type CollectionKey = (usize, usize, usize);

type Collections<'a> = FxHashMap<CollectionKey, Rc<CollectedFields<'a>>>;

pub(crate) struct Projection<'a> {
    pub schema: &'a ApiSchema,
    pub operation: &'a PreparedOperation,
    pub variables: &'a Map<String, Value>,
    pub introspection: bool,
    pub out: Vec<u8>,
    pub errors: Vec<GraphqlError>,
    pub path: Vec<PathRef<'a>>,
    /// CollectFields results by field group and type: the objects of a list share them.
    pub collections: Collections<'a>,
    /// Objects of the tree shown at several places (deferred copies not made).
    pub shown: Shown<'a>,
    /// Where the bytes of a shown object stand in `out`, by the object's and its collected
    /// fields' addresses: written once, repeated at its other places.
    pub written: FxHashMap<(usize, usize), Range<usize>>,
    /// How many nullable positions a bubbling null has turned to null so far.
    pub nulled: usize,
}

/// Writes `text` as a JSON string.
pub(crate) fn write_str(out: &mut Vec<u8>, text: &str) {
    let _ = sonic_rs::to_writer(&mut *out, text);
}

/// Builds the whole response body: `{"data": …, "errors": […]}`, the errors the gateway
/// raised in `language`.
pub(crate) fn respond(
    schema: &ApiSchema,
    operation: &PreparedOperation,
    variables: &Map<String, Value>,
    mut execution: Execution,
    introspection: bool,
    language: Language,
) -> Vec<u8> {
    let errors = std::mem::take(&mut execution.errors);
    let shown = match execution.shown() {
        Some(shown) => shown,
        None => {
            execution.make_copies();
            Shown::default()
        }
    };
    let data = &execution.data;
    let mut projection = Projection {
        schema,
        operation,
        variables,
        introspection,
        out: Vec::with_capacity(1024),
        errors,
        path: Vec::new(),
        collections: Collections::default(),
        shown,
        written: FxHashMap::default(),
        nulled: 0,
    };
    projection.out.extend_from_slice(b"{\"data\":");
    let root_type = match operation.kind {
        crate::pipeline::operation::OperationKind::Mutation => schema.mutation_type.as_deref(),
        crate::pipeline::operation::OperationKind::Subscription => {
            schema.subscription_type.as_deref()
        }
        crate::pipeline::operation::OperationKind::Query => Some(schema.query_type.as_str()),
    };
    let start = projection.out.len();
    let projected = match (root_type, operation.selection_set(), data) {
        (Some(root_type), Some(selection_set), Data::Object(object)) => {
            let fields = Rc::new(projection.collect_fields(root_type, &[selection_set]));
            projection.object(object, root_type, &fields)
        }
        _ => Err(Bubble),
    };
    if projected.is_err() {
        projection.out.truncate(start);
        projection.out.extend_from_slice(b"null");
    }
    if !projection.errors.is_empty() {
        for error in &mut projection.errors {
            error.localize(language);
        }
        projection.out.extend_from_slice(b",\"errors\":");
        let _ = serde_json::to_writer(&mut projection.out, &projection.errors);
    }
    projection.out.push(b'}');
    projection.out
}

impl<'a> Projection<'a> {
    /// The current path, owned, for an error.
    pub(crate) fn owned_path(&self) -> Vec<PathSegment> {
        self.path
            .iter()
            .map(|segment| match segment {
                PathRef::Key(key) => PathSegment::Key((*key).into()),
                PathRef::Index(index) => PathSegment::Index(*index),
            })
            .collect()
    }

    /// Whether an error already explains a null at the current path (an error at it, under
    /// it, or over it).
    fn explained(&self) -> bool {
        self.errors.iter().any(|error| {
            let Some(path) = &error.path else {
                return false;
            };
            path.iter()
                .zip(&self.path)
                .all(|(known, current)| match (known, current) {
                    (PathSegment::Key(a), PathRef::Key(b)) => a == b,
                    (PathSegment::Index(a), PathRef::Index(b)) => a == b,
                    _ => false,
                })
        })
    }

    fn field_error(&mut self, message: String, code: Code, field: &Field) {
        let error = GraphqlError::new(message, code)
            .at(self.owned_path())
            .with_location(field.position.line, field.position.column);
        self.errors.push(error);
    }

    /// Whether `@skip`/`@include` keep a selection.
    pub(crate) fn included(&self, directives: &[Directive]) -> bool {
        for directive in directives {
            let wanted = match directive.name.as_str() {
                "skip" => false,
                "include" => true,
                _ => continue,
            };
            let condition = directive
                .arguments
                .iter()
                .find(|(name, _)| name == "if")
                .map(|(_, value)| self.boolean(value))
                .unwrap_or(false);
            if condition != wanted {
                return false;
            }
        }
        true
    }

    /// A boolean argument, literal or variable; anything else counts as false.
    pub(crate) fn boolean(&self, value: &AstValue) -> bool {
        match value {
            AstValue::Boolean(boolean) => *boolean,
            AstValue::Variable(name) => {
                self.variables.get(name.as_str()) == Some(&Value::Bool(true))
            }
            _ => false,
        }
    }

    /// A string argument, literal or variable.
    pub(crate) fn string(&self, value: &AstValue) -> Option<String> {
        match value {
            AstValue::String(text) => Some(text.clone()),
            AstValue::Variable(name) => self
                .variables
                .get(name.as_str())
                .and_then(Value::as_str)
                .map(str::to_string),
            _ => None,
        }
    }

    /// CollectFields: the fields of `selection_sets` that apply to an object of `type_name`,
    /// grouped by response key, in order.
    pub(crate) fn collect_fields(
        &self,
        type_name: &str,
        selection_sets: &[&'a SelectionSet],
    ) -> CollectedFields<'a> {
        let mut fields: CollectedFields<'a> = Vec::new();
        let mut visited: Vec<&'a str> = Vec::new();
        for selection_set in selection_sets {
            self.collect_into(type_name, selection_set, &mut fields, &mut visited);
        }
        let schema: &'a ApiSchema = self.schema;
        for group in &mut fields {
            group.definition = schema.field(type_name, &group.fields[0].name);
            group.named = group
                .definition
                .and_then(|definition| schema.type_def(definition.ty.named()));
        }
        fields
    }

    fn collect_into(
        &self,
        type_name: &str,
        selection_set: &'a SelectionSet,
        fields: &mut CollectedFields<'a>,
        visited: &mut Vec<&'a str>,
    ) {
        for selection in &selection_set.items {
            match selection {
                Selection::Field(field) => {
                    if !self.included(&field.directives) {
                        continue;
                    }
                    let key = field.alias.as_deref().unwrap_or(field.name.as_str());
                    match fields.iter_mut().find(|group| group.key == key) {
                        Some(group) => group.fields.push(field),
                        None => fields.push(FieldGroup {
                            key,
                            fields: vec![field],
                            definition: None,
                            named: None,
                        }),
                    }
                }
                Selection::FragmentSpread(spread) => {
                    if !self.included(&spread.directives) {
                        continue;
                    }
                    let name = spread.fragment_name.as_str();
                    if visited.contains(&name) {
                        continue;
                    }
                    visited.push(name);
                    let Some(fragment) = self.operation.fragment(name) else {
                        continue;
                    };
                    let graphql_tools::static_graphql::query::TypeCondition::On(condition) =
                        &fragment.type_condition;
                    if self.schema.type_condition_applies(condition, type_name) {
                        self.collect_into(type_name, &fragment.selection_set, fields, visited);
                    }
                }
                Selection::InlineFragment(fragment) => {
                    if !self.included(&fragment.directives) {
                        continue;
                    }
                    let applies = match &fragment.type_condition {
                        Some(graphql_tools::static_graphql::query::TypeCondition::On(
                            condition,
                        )) => self.schema.type_condition_applies(condition, type_name),
                        None => true,
                    };
                    if applies {
                        self.collect_into(type_name, &fragment.selection_set, fields, visited);
                    }
                }
            }
        }
    }

    /// The fields of the selection sets of `group` that apply to `type_name`, collected once
    /// per group and type.
    fn collected(&mut self, group: &[&'a Field], type_name: &'a str) -> Rc<CollectedFields<'a>> {
        let key = (
            group.as_ptr() as usize,
            group.len(),
            type_name.as_ptr() as usize,
        );
        if let Some(collected) = self.collections.get(&key) {
            return collected.clone();
        }
        let selection_sets: Vec<&'a SelectionSet> =
            group.iter().map(|field| &field.selection_set).collect();
        let collected = Rc::new(self.collect_fields(type_name, &selection_sets));
        self.collections.insert(key, collected.clone());
        collected
    }

    /// Writes the object `object` of run-time type `type_name` with its collected fields.
    fn object(
        &mut self,
        object: &'a Object,
        type_name: &str,
        fields: &CollectedFields<'a>,
    ) -> Result<(), Bubble> {
        self.out.push(b'{');
        for (index, group) in fields.iter().enumerate() {
            if index > 0 {
                self.out.push(b',');
            }
            write_str(&mut self.out, group.key);
            self.out.push(b':');
            self.path.push(PathRef::Key(group.key));
            let result = self.field(object, type_name, group);
            self.path.pop();
            result?;
        }
        self.out.push(b'}');
        Ok(())
    }

    /// Writes an object the answer shows at several places: its bytes are written once and
    /// repeated — when writing them raised no error and nulled nothing, so that they read
    /// the same at every place; else it is written again at each.
    fn shown_object(
        &mut self,
        object: &'a Object,
        type_name: &str,
        fields: &Rc<CollectedFields<'a>>,
    ) -> Result<(), Bubble> {
        let key = (
            object as *const Object as usize,
            Rc::as_ptr(fields) as usize,
        );
        if let Some(written) = self.written.get(&key) {
            self.out.extend_from_within(written.clone());
            return Ok(());
        }
        let (start, errors, nulled) = (self.out.len(), self.errors.len(), self.nulled);
        let result = self.object(object, type_name, fields);
        if result.is_ok() && self.errors.len() == errors && self.nulled == nulled {
            self.written.insert(key, start..self.out.len());
        }
        result
    }

    fn field(
        &mut self,
        object: &'a Object,
        type_name: &str,
        group: &FieldGroup<'a>,
    ) -> Result<(), Bubble> {
        let field = group.fields[0];
        match field.name.as_str() {
            "__typename" => {
                write_str(&mut self.out, type_name);
                return Ok(());
            }
            "__schema" | "__type" if type_name == self.schema.query_type => {
                if self.introspection {
                    return self.introspection_root(field, &group.fields);
                }
                self.field_error(
                    "Introspection is disabled on this gateway.".to_string(),
                    Code::IntrospectionDisabled,
                    field,
                );
                self.out.extend_from_slice(b"null");
                return Ok(());
            }
            _ => {}
        }
        let Some(definition) = group.definition else {
            // Validation rules this out; an unknown field reads as null.
            self.out.extend_from_slice(b"null");
            return Ok(());
        };
        self.value(object.get(group.key), &definition.ty, group, type_name)
    }

    /// Writes a value of type `ty`; a null in a non-null position bubbles.
    fn value(
        &mut self,
        value: Option<&'a Data>,
        ty: &TypeRef,
        group: &FieldGroup<'a>,
        parent_type: &str,
    ) -> Result<(), Bubble> {
        match ty {
            TypeRef::NonNull(inner) => {
                let present = value.filter(|value| !value.is_null());
                if present.is_none() {
                    if !self.explained() {
                        let field = group.fields[0];
                        self.field_error(
                            format!(
                                "Cannot return null for non-nullable field {parent_type}.{}.",
                                field.name
                            ),
                            Code::NonNullViolation,
                            field,
                        );
                    }
                    return Err(Bubble);
                }
                self.nullable_value(present, inner, group, parent_type)
            }
            _ => {
                let start = self.out.len();
                if self.nullable_value(value, ty, group, parent_type).is_err() {
                    self.out.truncate(start);
                    self.out.extend_from_slice(b"null");
                    self.nulled += 1;
                    self.written.retain(|_, written| written.end <= start);
                }
                Ok(())
            }
        }
    }

    fn nullable_value(
        &mut self,
        value: Option<&'a Data>,
        ty: &TypeRef,
        group: &FieldGroup<'a>,
        parent_type: &str,
    ) -> Result<(), Bubble> {
        let fields = group.fields.as_slice();
        let Some(value) = value.filter(|value| !value.is_null()) else {
            self.out.extend_from_slice(b"null");
            return Ok(());
        };
        match ty {
            TypeRef::NonNull(_) => self.value(Some(value), ty, group, parent_type),
            TypeRef::List(inner) => {
                let Data::List(items) = value else {
                    return self.invalid(fields[0], parent_type, "a list");
                };
                self.out.push(b'[');
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        self.out.push(b',');
                    }
                    self.path.push(PathRef::Index(index));
                    let result = self.value(Some(item), inner, group, parent_type);
                    self.path.pop();
                    result?;
                }
                self.out.push(b']');
                Ok(())
            }
            TypeRef::Named(name) => {
                let Some(definition) = group.named else {
                    self.out.extend_from_slice(b"null");
                    return Ok(());
                };
                match definition.kind {
                    TypeKind::Scalar => {
                        let _ = sonic_rs::to_writer(&mut self.out, value);
                        Ok(())
                    }
                    TypeKind::Enum => match value {
                        Data::String(text) if definition.has_enum_value(text) => {
                            write_str(&mut self.out, text);
                            Ok(())
                        }
                        _ => {
                            self.invalid(fields[0], parent_type, &format!("a value of enum {name}"))
                        }
                    },
                    TypeKind::Object | TypeKind::Interface | TypeKind::Union => {
                        let (value, shown_elsewhere) = self.shown.at(value);
                        let Data::Object(object) = value else {
                            return self.invalid(fields[0], parent_type, "an object");
                        };
                        let runtime = if definition.kind == TypeKind::Object {
                            definition.name.as_str()
                        } else {
                            match self.runtime_type(object, name) {
                                Some(runtime) => runtime,
                                None => {
                                    return self.invalid(
                                        fields[0],
                                        parent_type,
                                        &format!(
                                        "an object whose __typename is a possible type of {name}"
                                    ),
                                    )
                                }
                            }
                        };
                        let collected = self.collected(fields, runtime);
                        if shown_elsewhere {
                            self.shown_object(object, runtime, &collected)
                        } else {
                            self.object(object, runtime, &collected)
                        }
                    }
                    TypeKind::InputObject => self.invalid(fields[0], parent_type, "an output type"),
                }
            }
        }
    }

    /// The run-time object type of a value of the abstract type `abstract_type`.
    fn runtime_type(&self, object: &Object, abstract_type: &str) -> Option<&'a str> {
        let schema: &'a ApiSchema = self.schema;
        let definition = schema.type_def(abstract_type)?;
        match object.typename() {
            Some(typename) => {
                if let Some(known) = definition
                    .possible_types
                    .iter()
                    .find(|possible| possible.as_str() == typename)
                {
                    Some(known.as_str())
                } else if typename == abstract_type {
                    // An @interfaceObject subgraph knows only the interface.
                    Some(definition.name.as_str())
                } else {
                    None
                }
            }
            None => match definition.possible_types.as_slice() {
                [only] => Some(only.as_str()),
                _ => Some(definition.name.as_str()),
            },
        }
    }

    /// Records that a subgraph returned a value of the wrong shape; the position becomes null.
    fn invalid(&mut self, field: &Field, parent_type: &str, expected: &str) -> Result<(), Bubble> {
        self.field_error(
            format!(
                "A subgraph returned an invalid value for {parent_type}.{}: expected {expected}.",
                field.name
            ),
            Code::SubgraphResponseInvalid,
            field,
        );
        Err(Bubble)
    }
}

#[cfg(test)]
mod tests {
    use super::write_str;

    #[test]
    fn strings_are_written_as_json_escapes_them() {
        for text in [
            "plain",
            "quote \" backslash \\ slash /",
            "controls \n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f}",
            "科协 é 😀 \u{2028}\u{2029}",
            "",
        ] {
            let mut out = Vec::new();
            write_str(&mut out, text);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(text).unwrap()
            );
        }
    }
}
