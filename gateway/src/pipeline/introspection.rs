//! Introspection (`__schema`, `__type`) answered by the gateway from the API schema, so
//! clients see exactly the public schema: no `@inaccessible` element, no federation types,
//! no `_entities`.

use graphql_tools::static_graphql::query::{Field, SelectionSet};

use crate::pipeline::project::{write_str, Bubble, PathRef, Projection};
use crate::pipeline::schema::{
    DirectiveDef, EnumValueDef, FieldDef, InputValueDef, TypeDef, TypeKind, TypeRef,
};

/// An object of the introspection schema.
#[derive(Clone, Copy)]
enum Introspected<'s> {
    Schema,
    Type(IntrospectedType<'s>),
    Field(&'s FieldDef),
    InputValue(&'s InputValueDef),
    EnumValue(&'s EnumValueDef),
    Directive(&'s DirectiveDef),
}

/// A `__Type`: a named type, or a list or non-null wrapper around a type reference.
#[derive(Clone, Copy)]
enum IntrospectedType<'s> {
    Named(&'s TypeDef),
    List(&'s TypeRef),
    NonNull(&'s TypeRef),
}

impl Introspected<'_> {
    fn typename(&self) -> &'static str {
        match self {
            Introspected::Schema => "__Schema",
            Introspected::Type(_) => "__Type",
            Introspected::Field(_) => "__Field",
            Introspected::InputValue(_) => "__InputValue",
            Introspected::EnumValue(_) => "__EnumValue",
            Introspected::Directive(_) => "__Directive",
        }
    }
}

impl<'a> Projection<'a> {
    /// `__schema` or `__type(name:)` on the query root.
    pub(crate) fn introspection_root(
        &mut self,
        field: &'a Field,
        fields: &[&'a Field],
    ) -> Result<(), Bubble> {
        let selection_sets: Vec<&'a SelectionSet> =
            fields.iter().map(|field| &field.selection_set).collect();
        if field.name == "__schema" {
            self.introspected(Introspected::Schema, &selection_sets);
            return Ok(());
        }
        let name = field
            .arguments
            .iter()
            .find(|(argument, _)| argument == "name")
            .and_then(|(_, value)| self.string(value));
        match name.and_then(|name| self.schema.type_def(&name)) {
            Some(definition) => self.introspected(
                Introspected::Type(IntrospectedType::Named(definition)),
                &selection_sets,
            ),
            None => self.out.extend_from_slice(b"null"),
        }
        Ok(())
    }

    fn include_deprecated(&self, field: &Field) -> bool {
        field
            .arguments
            .iter()
            .find(|(argument, _)| argument == "includeDeprecated")
            .map(|(_, value)| self.boolean(value))
            .unwrap_or(false)
    }

    fn introspected(&mut self, object: Introspected<'a>, selection_sets: &[&'a SelectionSet]) {
        let fields = self.collect_fields(object.typename(), selection_sets);
        self.out.push(b'{');
        for (index, group) in fields.iter().enumerate() {
            if index > 0 {
                self.out.push(b',');
            }
            write_str(&mut self.out, group.key);
            self.out.push(b':');
            self.path.push(PathRef::Key(group.key));
            let sub: Vec<&'a SelectionSet> = group
                .fields
                .iter()
                .map(|field| &field.selection_set)
                .collect();
            self.introspected_field(object, group.fields[0], &sub);
            self.path.pop();
        }
        self.out.push(b'}');
    }

    fn write_optional_str(&mut self, text: Option<&str>) {
        match text {
            Some(text) => write_str(&mut self.out, text),
            None => self.out.extend_from_slice(b"null"),
        }
    }

    fn write_bool(&mut self, value: bool) {
        self.out
            .extend_from_slice(if value { b"true" } else { b"false" });
    }

    fn write_list(&mut self, items: Vec<Introspected<'a>>, sub: &[&'a SelectionSet]) {
        self.out.push(b'[');
        for (index, item) in items.into_iter().enumerate() {
            if index > 0 {
                self.out.push(b',');
            }
            self.path.push(PathRef::Index(index));
            self.introspected(item, sub);
            self.path.pop();
        }
        self.out.push(b']');
    }

    fn write_type_ref(&mut self, ty: &'a TypeRef, sub: &[&'a SelectionSet]) {
        let introspected = match ty {
            TypeRef::NonNull(inner) => Some(IntrospectedType::NonNull(inner)),
            TypeRef::List(inner) => Some(IntrospectedType::List(inner)),
            TypeRef::Named(name) => self.schema.type_def(name).map(IntrospectedType::Named),
        };
        match introspected {
            Some(introspected) => self.introspected(Introspected::Type(introspected), sub),
            None => self.out.extend_from_slice(b"null"),
        }
    }

    fn named_types(&self, names: &'a [String]) -> Vec<Introspected<'a>> {
        let schema = self.schema;
        names
            .iter()
            .filter_map(|name| schema.type_def(name))
            .map(|definition| Introspected::Type(IntrospectedType::Named(definition)))
            .collect()
    }

    fn introspected_field(
        &mut self,
        object: Introspected<'a>,
        field: &'a Field,
        sub: &[&'a SelectionSet],
    ) {
        let schema = self.schema;
        if field.name == "__typename" {
            write_str(&mut self.out, object.typename());
            return;
        }
        match (object, field.name.as_str()) {
            (Introspected::Schema, "description") => self.out.extend_from_slice(b"null"),
            (Introspected::Schema, "types") => {
                let types = self.named_types(&schema.type_order);
                self.write_list(types, sub);
            }
            (Introspected::Schema, "queryType") => match schema.type_def(&schema.query_type) {
                Some(definition) => {
                    self.introspected(Introspected::Type(IntrospectedType::Named(definition)), sub)
                }
                None => self.out.extend_from_slice(b"null"),
            },
            (Introspected::Schema, "mutationType" | "subscriptionType") => {
                let name = if field.name == "mutationType" {
                    schema.mutation_type.as_deref()
                } else {
                    schema.subscription_type.as_deref()
                };
                match name.and_then(|name| schema.type_def(name)) {
                    Some(definition) => self
                        .introspected(Introspected::Type(IntrospectedType::Named(definition)), sub),
                    None => self.out.extend_from_slice(b"null"),
                }
            }
            (Introspected::Schema, "directives") => {
                let directives = schema
                    .directives
                    .iter()
                    .map(Introspected::Directive)
                    .collect();
                self.write_list(directives, sub);
            }
            (Introspected::Type(ty), name) => self.type_field(ty, field, name, sub),
            (Introspected::Field(definition), name) => match name {
                "name" => write_str(&mut self.out, &definition.name),
                "description" => self.write_optional_str(definition.description.as_deref()),
                "args" => {
                    let include = self.include_deprecated(field);
                    let args = definition
                        .args
                        .iter()
                        .filter(|arg| include || arg.deprecation.is_none())
                        .map(Introspected::InputValue)
                        .collect();
                    self.write_list(args, sub);
                }
                "type" => self.write_type_ref(&definition.ty, sub),
                "isDeprecated" => self.write_bool(definition.deprecation.is_some()),
                "deprecationReason" => self.write_optional_str(definition.deprecation.as_deref()),
                _ => self.out.extend_from_slice(b"null"),
            },
            (Introspected::InputValue(definition), name) => match name {
                "name" => write_str(&mut self.out, &definition.name),
                "description" => self.write_optional_str(definition.description.as_deref()),
                "type" => self.write_type_ref(&definition.ty, sub),
                "defaultValue" => {
                    let printed = definition
                        .default_value
                        .as_ref()
                        .map(|value| value.to_string());
                    self.write_optional_str(printed.as_deref());
                }
                "isDeprecated" => self.write_bool(definition.deprecation.is_some()),
                "deprecationReason" => self.write_optional_str(definition.deprecation.as_deref()),
                _ => self.out.extend_from_slice(b"null"),
            },
            (Introspected::EnumValue(definition), name) => match name {
                "name" => write_str(&mut self.out, &definition.name),
                "description" => self.write_optional_str(definition.description.as_deref()),
                "isDeprecated" => self.write_bool(definition.deprecation.is_some()),
                "deprecationReason" => self.write_optional_str(definition.deprecation.as_deref()),
                _ => self.out.extend_from_slice(b"null"),
            },
            (Introspected::Directive(definition), name) => match name {
                "name" => write_str(&mut self.out, &definition.name),
                "description" => self.write_optional_str(definition.description.as_deref()),
                "locations" => {
                    self.out.push(b'[');
                    for (index, location) in definition.locations.iter().enumerate() {
                        if index > 0 {
                            self.out.push(b',');
                        }
                        write_str(&mut self.out, location);
                    }
                    self.out.push(b']');
                }
                "args" => {
                    let include = self.include_deprecated(field);
                    let args = definition
                        .args
                        .iter()
                        .filter(|arg| include || arg.deprecation.is_none())
                        .map(Introspected::InputValue)
                        .collect();
                    self.write_list(args, sub);
                }
                "isRepeatable" => self.write_bool(definition.repeatable),
                _ => self.out.extend_from_slice(b"null"),
            },
            (Introspected::Schema, _) => self.out.extend_from_slice(b"null"),
        }
    }

    fn type_field(
        &mut self,
        ty: IntrospectedType<'a>,
        field: &'a Field,
        name: &str,
        sub: &[&'a SelectionSet],
    ) {
        let definition = match ty {
            IntrospectedType::Named(definition) => definition,
            IntrospectedType::List(inner) | IntrospectedType::NonNull(inner) => {
                match name {
                    "kind" => write_str(
                        &mut self.out,
                        if matches!(ty, IntrospectedType::List(_)) {
                            "LIST"
                        } else {
                            "NON_NULL"
                        },
                    ),
                    "ofType" => self.write_type_ref(inner, sub),
                    _ => self.out.extend_from_slice(b"null"),
                }
                return;
            }
        };
        match name {
            "kind" => write_str(&mut self.out, definition.kind.as_str()),
            "name" => write_str(&mut self.out, &definition.name),
            "description" => self.write_optional_str(definition.description.as_deref()),
            "specifiedByURL" => self.write_optional_str(definition.specified_by.as_deref()),
            "isOneOf" => {
                if definition.kind == TypeKind::InputObject {
                    self.write_bool(definition.one_of);
                } else {
                    self.out.extend_from_slice(b"null");
                }
            }
            "fields" => {
                if !matches!(definition.kind, TypeKind::Object | TypeKind::Interface) {
                    self.out.extend_from_slice(b"null");
                    return;
                }
                let include = self.include_deprecated(field);
                let fields = definition
                    .fields
                    .iter()
                    // The root's __schema and __type are meta-fields, not fields of Query.
                    .filter(|field| !field.name.starts_with("__"))
                    .filter(|field| include || field.deprecation.is_none())
                    .map(Introspected::Field)
                    .collect();
                self.write_list(fields, sub);
            }
            "interfaces" => {
                if !matches!(definition.kind, TypeKind::Object | TypeKind::Interface) {
                    self.out.extend_from_slice(b"null");
                    return;
                }
                let interfaces = self.named_types(&definition.interfaces);
                self.write_list(interfaces, sub);
            }
            "possibleTypes" => {
                if !definition.kind.is_abstract() {
                    self.out.extend_from_slice(b"null");
                    return;
                }
                let possible = self.named_types(&definition.possible_types);
                self.write_list(possible, sub);
            }
            "enumValues" => {
                if definition.kind != TypeKind::Enum {
                    self.out.extend_from_slice(b"null");
                    return;
                }
                let include = self.include_deprecated(field);
                let values = definition
                    .enum_values
                    .iter()
                    .filter(|value| include || value.deprecation.is_none())
                    .map(Introspected::EnumValue)
                    .collect();
                self.write_list(values, sub);
            }
            "inputFields" => {
                if definition.kind != TypeKind::InputObject {
                    self.out.extend_from_slice(b"null");
                    return;
                }
                let include = self.include_deprecated(field);
                let values = definition
                    .input_fields
                    .iter()
                    .filter(|value| include || value.deprecation.is_none())
                    .map(Introspected::InputValue)
                    .collect();
                self.write_list(values, sub);
            }
            _ => self.out.extend_from_slice(b"null"),
        }
    }
}
