//! The API schema: what clients see of the supergraph once `@inaccessible` elements and the
//! federation machinery (`join__*`, `link__*`) are removed. The executor reads it to shape
//! responses (nullability, abstract types, enum values), to coerce variables, and to answer
//! introspection.
//!
//! It is built from the consumer schema the planner derives from the supergraph, so the
//! schema clients validate against, the one introspection shows and the one the executor
//! projects with are one and the same.

use rustc_hash::{FxHashMap, FxHashSet};

use graphql_tools::static_graphql::query::Value as AstValue;
use graphql_tools::static_graphql::schema::{
    Definition, Directive, Document, InputValue, Type as AstType, TypeDefinition,
};

/// The kind of a named type (`__TypeKind` without the wrappers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TypeKind {
    Scalar,
    Object,
    Interface,
    Union,
    Enum,
    InputObject,
}

impl TypeKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            TypeKind::Scalar => "SCALAR",
            TypeKind::Object => "OBJECT",
            TypeKind::Interface => "INTERFACE",
            TypeKind::Union => "UNION",
            TypeKind::Enum => "ENUM",
            TypeKind::InputObject => "INPUT_OBJECT",
        }
    }

    pub(crate) fn is_abstract(self) -> bool {
        matches!(self, TypeKind::Interface | TypeKind::Union)
    }
}

/// A type as written in a field or argument definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TypeRef {
    Named(String),
    List(Box<TypeRef>),
    NonNull(Box<TypeRef>),
}

impl TypeRef {
    pub(crate) fn from_ast(ty: &AstType) -> TypeRef {
        match ty {
            AstType::NamedType(name) => TypeRef::Named(name.clone()),
            AstType::ListType(inner) => TypeRef::List(Box::new(TypeRef::from_ast(inner))),
            AstType::NonNullType(inner) => TypeRef::NonNull(Box::new(TypeRef::from_ast(inner))),
        }
    }
}

impl TypeRef {
    /// The named type under the list and non-null wrappers.
    pub(crate) fn named(&self) -> &str {
        match self {
            TypeRef::Named(name) => name,
            TypeRef::List(inner) | TypeRef::NonNull(inner) => inner.named(),
        }
    }
}

impl std::fmt::Display for TypeRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TypeRef::Named(name) => f.write_str(name),
            TypeRef::List(inner) => write!(f, "[{inner}]"),
            TypeRef::NonNull(inner) => write!(f, "{inner}!"),
        }
    }
}

/// A field of an object or interface type.
#[derive(Debug)]
pub(crate) struct FieldDef {
    pub name: String,
    pub description: Option<String>,
    pub args: Vec<InputValueDef>,
    pub ty: TypeRef,
    pub deprecation: Option<String>,
    /// A list marked [`SERIES_DIRECTIVE`].
    pub series: bool,
    /// `@cost(weight:)` on the field: what it costs instead of its type's weight.
    pub cost: Option<u64>,
    /// `@listSize` on a list field (or a connection holding lists).
    pub list_size: Option<ListSize>,
}

/// `@listSize` of the demand-control specification: how many items a list field may hold.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ListSize {
    /// The size when no slicing argument is given.
    pub assumed_size: Option<u64>,
    /// Arguments whose value bounds the size (`first`, `last`, `limit` …).
    pub slicing_arguments: Vec<String>,
    /// On a connection: its child fields the slicing arguments size (`edges`, `nodes`).
    pub sized_fields: Vec<String>,
}

/// The directives of the demand-control specification the cost limit reads: `@cost` on
/// fields and types, `@listSize` on fields ([`crate::pipeline::limits`]).
pub(crate) const COST_DIRECTIVE: &str = "cost";
pub(crate) const LIST_SIZE_DIRECTIVE: &str = "listSize";

/// An argument, or a field of an input object type.
#[derive(Debug)]
pub(crate) struct InputValueDef {
    pub name: String,
    pub description: Option<String>,
    pub ty: TypeRef,
    pub default_value: Option<AstValue>,
    pub deprecation: Option<String>,
}

#[derive(Debug)]
pub(crate) struct EnumValueDef {
    pub name: String,
    pub description: Option<String>,
    pub deprecation: Option<String>,
}

#[derive(Debug)]
pub(crate) struct DirectiveDef {
    pub name: String,
    pub description: Option<String>,
    pub args: Vec<InputValueDef>,
    pub locations: Vec<&'static str>,
    pub repeatable: bool,
}

/// The directive that marks a type of figures over a subtree (a rollup): the answers of
/// queries selecting such a type are cached under every subgraph's data version
/// ([`crate::cache::responses`]). Subgraphs compose it into the supergraph
/// (`@composeDirective`).
pub(crate) const ROLLUP_DIRECTIVE: &str = "rollup";

/// The directive that marks a list field holding one item per calendar period of the
/// `series` argument in force (a series of figures): the cost limit counts its points
/// ([`crate::pipeline::limits`]). Subgraphs compose it into the supergraph.
pub(crate) const SERIES_DIRECTIVE: &str = "series";

/// A named type of the API schema.
#[derive(Debug)]
pub(crate) struct TypeDef {
    pub name: String,
    pub kind: TypeKind,
    pub description: Option<String>,
    pub fields: Vec<FieldDef>,
    field_index: FxHashMap<String, usize>,
    /// The interfaces an object or interface type implements.
    pub interfaces: Vec<String>,
    /// The object types an interface or union can be at run time, in definition order.
    pub possible_types: Vec<String>,
    possible_set: FxHashSet<String>,
    pub enum_values: Vec<EnumValueDef>,
    enum_set: FxHashSet<String>,
    pub input_fields: Vec<InputValueDef>,
    pub specified_by: Option<String>,
    pub one_of: bool,
    /// An object type marked [`ROLLUP_DIRECTIVE`]: queries selecting it are cached.
    pub rollup: bool,
    /// `@cost(weight:)` on the type: what a field of this type costs.
    pub cost: Option<u64>,
}

impl TypeDef {
    pub(crate) fn field(&self, name: &str) -> Option<&FieldDef> {
        self.field_index.get(name).map(|index| &self.fields[*index])
    }

    pub(crate) fn has_enum_value(&self, value: &str) -> bool {
        self.enum_set.contains(value)
    }

    pub(crate) fn input_field(&self, name: &str) -> Option<&InputValueDef> {
        self.input_fields.iter().find(|field| field.name == name)
    }
}

/// The schema clients query.
#[derive(Debug)]
pub(crate) struct ApiSchema {
    types: FxHashMap<String, TypeDef>,
    /// Type names in the order of the schema document, for a stable introspection.
    pub type_order: Vec<String>,
    pub query_type: String,
    pub mutation_type: Option<String>,
    pub subscription_type: Option<String>,
    pub directives: Vec<DirectiveDef>,
}

/// `@deprecated(reason:)` on an element, with the default reason of the specification.
fn deprecation(directives: &[Directive]) -> Option<String> {
    directives
        .iter()
        .find(|directive| directive.name == "deprecated")
        .map(|directive| {
            directive
                .arguments
                .iter()
                .find_map(|(name, value)| match (name.as_str(), value) {
                    ("reason", AstValue::String(reason)) => Some(reason.clone()),
                    _ => None,
                })
                .unwrap_or_else(|| "No longer supported".to_string())
        })
}

fn input_values(values: &[InputValue]) -> Vec<InputValueDef> {
    values
        .iter()
        .map(|value| InputValueDef {
            name: value.name.clone(),
            description: value.description.clone(),
            ty: TypeRef::from_ast(&value.value_type),
            default_value: value.default_value.clone(),
            deprecation: deprecation(&value.directives),
        })
        .collect()
}

fn new_type(name: &str, kind: TypeKind, description: &Option<String>) -> TypeDef {
    TypeDef {
        name: name.to_string(),
        kind,
        description: description.clone(),
        fields: Vec::new(),
        field_index: FxHashMap::default(),
        interfaces: Vec::new(),
        possible_types: Vec::new(),
        possible_set: FxHashSet::default(),
        enum_values: Vec::new(),
        enum_set: FxHashSet::default(),
        input_fields: Vec::new(),
        specified_by: None,
        one_of: false,
        rollup: false,
        cost: None,
    }
}

/// The argument `name` of `directive`.
fn argument<'a>(directive: &'a Directive, name: &str) -> Option<&'a AstValue> {
    directive
        .arguments
        .iter()
        .find_map(|(argument, value)| (argument == name).then_some(value))
}

/// A weight or size: an integer, or a string holding one (the specification's `weight`
/// is a string in some versions); negative counts as 0.
fn count_of(value: &AstValue) -> Option<u64> {
    match value {
        AstValue::Int(number) => Some(number.as_i64()?.max(0) as u64),
        AstValue::String(text) => text.trim().parse::<f64>().ok().map(|n| n.max(0.0) as u64),
        _ => None,
    }
}

fn names_of(value: Option<&AstValue>) -> Vec<String> {
    match value {
        Some(AstValue::List(items)) => items
            .iter()
            .filter_map(|item| match item {
                AstValue::String(name) => Some(name.clone()),
                _ => None,
            })
            .collect(),
        Some(AstValue::String(name)) => vec![name.clone()],
        _ => Vec::new(),
    }
}

/// `@cost(weight:)` among `directives`.
fn cost_of(directives: &[Directive]) -> Option<u64> {
    directives
        .iter()
        .find(|directive| directive.name == COST_DIRECTIVE)
        .and_then(|directive| count_of(argument(directive, "weight")?))
}

/// `@listSize(…)` among `directives`.
fn list_size_of(directives: &[Directive]) -> Option<ListSize> {
    let directive = directives
        .iter()
        .find(|directive| directive.name == LIST_SIZE_DIRECTIVE)?;
    Some(ListSize {
        assumed_size: argument(directive, "assumedSize").and_then(count_of),
        slicing_arguments: names_of(argument(directive, "slicingArguments")),
        sized_fields: names_of(argument(directive, "sizedFields")),
    })
}

fn fields_of(fields: &[graphql_tools::static_graphql::schema::Field]) -> Vec<FieldDef> {
    fields
        .iter()
        .map(|field| FieldDef {
            name: field.name.clone(),
            description: field.description.clone(),
            args: input_values(&field.arguments),
            ty: TypeRef::from_ast(&field.field_type),
            deprecation: deprecation(&field.directives),
            series: field
                .directives
                .iter()
                .any(|directive| directive.name == SERIES_DIRECTIVE),
            cost: None,
            list_size: None,
        })
        .collect()
}

impl ApiSchema {
    /// Builds the model of `document`, the consumer schema of a supergraph.
    pub(crate) fn from_document(document: &Document) -> ApiSchema {
        let mut types: FxHashMap<String, TypeDef> = FxHashMap::default();
        let mut type_order = Vec::new();
        let mut directives = Vec::new();
        let mut roots: (Option<String>, Option<String>, Option<String>) = (None, None, None);
        for definition in &document.definitions {
            match definition {
                Definition::SchemaDefinition(schema) => {
                    roots = (
                        schema.query.clone(),
                        schema.mutation.clone(),
                        schema.subscription.clone(),
                    );
                }
                Definition::TypeDefinition(definition) => {
                    let def = match definition {
                        TypeDefinition::Scalar(scalar) => {
                            let mut def =
                                new_type(&scalar.name, TypeKind::Scalar, &scalar.description);
                            def.specified_by = scalar
                                .directives
                                .iter()
                                .find(|directive| directive.name == "specifiedBy")
                                .and_then(|directive| {
                                    directive.arguments.iter().find_map(|(name, value)| {
                                        match (name.as_str(), value) {
                                            ("url", AstValue::String(url)) => Some(url.clone()),
                                            _ => None,
                                        }
                                    })
                                });
                            def
                        }
                        TypeDefinition::Object(object) => {
                            let mut def =
                                new_type(&object.name, TypeKind::Object, &object.description);
                            def.fields = fields_of(&object.fields);
                            def.interfaces = object.implements_interfaces.clone();
                            def.rollup = object
                                .directives
                                .iter()
                                .any(|directive| directive.name == ROLLUP_DIRECTIVE);
                            def
                        }
                        TypeDefinition::Interface(interface) => {
                            let mut def = new_type(
                                &interface.name,
                                TypeKind::Interface,
                                &interface.description,
                            );
                            def.fields = fields_of(&interface.fields);
                            def.interfaces = interface.implements_interfaces.clone();
                            def
                        }
                        TypeDefinition::Union(union) => {
                            let mut def =
                                new_type(&union.name, TypeKind::Union, &union.description);
                            def.possible_types = union.types.clone();
                            def
                        }
                        TypeDefinition::Enum(enumeration) => {
                            let mut def = new_type(
                                &enumeration.name,
                                TypeKind::Enum,
                                &enumeration.description,
                            );
                            def.enum_values = enumeration
                                .values
                                .iter()
                                .map(|value| EnumValueDef {
                                    name: value.name.clone(),
                                    description: value.description.clone(),
                                    deprecation: deprecation(&value.directives),
                                })
                                .collect();
                            def
                        }
                        TypeDefinition::InputObject(input) => {
                            let mut def =
                                new_type(&input.name, TypeKind::InputObject, &input.description);
                            def.input_fields = input_values(&input.fields);
                            def.one_of = input
                                .directives
                                .iter()
                                .any(|directive| directive.name == "oneOf");
                            def
                        }
                    };
                    if !types.contains_key(&def.name) {
                        type_order.push(def.name.clone());
                    }
                    types.insert(def.name.clone(), def);
                }
                Definition::DirectiveDefinition(directive) => directives.push(DirectiveDef {
                    name: directive.name.clone(),
                    description: directive.description.clone(),
                    args: input_values(&directive.arguments),
                    locations: directive
                        .locations
                        .iter()
                        .map(|location| location.as_str())
                        .collect(),
                    repeatable: directive.repeatable,
                }),
                // The planner refuses supergraphs with extensions before we get here.
                Definition::TypeExtension(_) => {}
            }
        }

        // Interfaces list the object types that declare them (directly, as the
        // specification requires objects to name every interface they implement).
        let mut implementations: Vec<(String, String)> = Vec::new();
        for name in &type_order {
            if let Some(def) = types.get(name) {
                if def.kind == TypeKind::Object {
                    for interface in &def.interfaces {
                        implementations.push((interface.clone(), def.name.clone()));
                    }
                }
            }
        }
        for (interface, object) in implementations {
            if let Some(def) = types.get_mut(&interface) {
                def.possible_types.push(object);
            }
        }
        for def in types.values_mut() {
            def.field_index = def
                .fields
                .iter()
                .enumerate()
                .map(|(index, field)| (field.name.clone(), index))
                .collect();
            def.possible_set = def.possible_types.iter().cloned().collect();
            def.enum_set = def
                .enum_values
                .iter()
                .map(|value| value.name.clone())
                .collect();
        }
        let query_type = roots.0.unwrap_or_else(|| "Query".to_string());
        let mutation_type = roots.1.or_else(|| {
            types
                .contains_key("Mutation")
                .then(|| "Mutation".to_string())
        });
        let subscription_type = roots.2.or_else(|| {
            types
                .contains_key("Subscription")
                .then(|| "Subscription".to_string())
        });
        ApiSchema {
            types,
            type_order,
            query_type,
            mutation_type,
            subscription_type,
            directives,
        }
    }

    /// Reads the demand-control directives (`@cost` on types and fields, `@listSize` on
    /// fields) of the `supergraph` document onto the types and fields of this schema: the
    /// consumer schema the planner derives leaves them out.
    pub(crate) fn read_demand_control(&mut self, supergraph: &Document) {
        for definition in &supergraph.definitions {
            let Definition::TypeDefinition(definition) = definition else {
                continue;
            };
            let (name, directives, fields) = match definition {
                TypeDefinition::Scalar(scalar) => (&scalar.name, &scalar.directives, None),
                TypeDefinition::Object(object) => {
                    (&object.name, &object.directives, Some(&object.fields))
                }
                TypeDefinition::Interface(interface) => (
                    &interface.name,
                    &interface.directives,
                    Some(&interface.fields),
                ),
                TypeDefinition::Union(union) => (&union.name, &union.directives, None),
                TypeDefinition::Enum(enumeration) => {
                    (&enumeration.name, &enumeration.directives, None)
                }
                TypeDefinition::InputObject(_) => continue,
            };
            let Some(def) = self.types.get_mut(name) else {
                continue;
            };
            def.cost = cost_of(directives);
            for field in fields.into_iter().flatten() {
                if let Some(index) = def.field_index.get(&field.name) {
                    let own = &mut def.fields[*index];
                    own.cost = cost_of(&field.directives);
                    own.list_size = list_size_of(&field.directives);
                }
            }
        }
    }

    pub(crate) fn type_def(&self, name: &str) -> Option<&TypeDef> {
        self.types.get(name)
    }

    pub(crate) fn field(&self, type_name: &str, field_name: &str) -> Option<&FieldDef> {
        self.types.get(type_name)?.field(field_name)
    }

    /// Whether an object of type `object_type` satisfies the type condition `condition`.
    pub(crate) fn type_condition_applies(&self, condition: &str, object_type: &str) -> bool {
        if condition == object_type {
            return true;
        }
        self.types
            .get(condition)
            .is_some_and(|def| def.possible_set.contains(object_type))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(sdl: &str) -> ApiSchema {
        let document = graphql_tools::parser::parse_schema::<String>(sdl)
            .unwrap()
            .into_static();
        ApiSchema::from_document(&document)
    }

    #[test]
    fn interfaces_know_their_implementations() {
        let api = schema(
            "type Query { node: Node } interface Node { id: ID! } \
             type Unit implements Node { id: ID! } type Worker implements Node { id: ID! }",
        );
        assert_eq!(
            api.type_def("Node").unwrap().possible_types,
            vec!["Unit".to_string(), "Worker".to_string()]
        );
        assert!(api.type_condition_applies("Node", "Unit"));
        assert!(api.type_condition_applies("Unit", "Unit"));
        assert!(!api.type_condition_applies("Worker", "Unit"));
    }

    #[test]
    fn deprecation_defaults_to_the_specified_reason() {
        let api = schema(
            "type Query { a: Int @deprecated b: Int @deprecated(reason: \"use c\") c: Int }",
        );
        let query = api.type_def("Query").unwrap();
        assert_eq!(
            query.field("a").unwrap().deprecation.as_deref(),
            Some("No longer supported")
        );
        assert_eq!(
            query.field("b").unwrap().deprecation.as_deref(),
            Some("use c")
        );
        assert_eq!(query.field("c").unwrap().deprecation, None);
    }
}
