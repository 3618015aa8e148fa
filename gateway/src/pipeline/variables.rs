//! Coercion of the request's variables against the operation's variable definitions and the
//! API schema (the specification's CoerceVariableValues). The coerced values, defaults
//! applied, are what the subgraphs receive.

use graphql_tools::static_graphql::query::{
    Type as AstType, Value as AstValue, VariableDefinition,
};
use serde_json::{Map, Number, Value};

use crate::error::{Code, GraphqlError};
use crate::pipeline::schema::{ApiSchema, TypeKind, TypeRef};

/// Coerces `provided` (the request's `variables`, absent as `None`) for `definitions`.
pub(crate) fn coerce(
    definitions: &[VariableDefinition],
    provided: Option<&Map<String, Value>>,
    schema: &ApiSchema,
) -> Result<Map<String, Value>, Vec<GraphqlError>> {
    let mut coerced = Map::new();
    let mut errors = Vec::new();
    for definition in definitions {
        let name = definition.name.as_str();
        let ty = type_ref(&definition.var_type);
        let given = provided.and_then(|provided| provided.get(name));
        let error = |message: String| {
            GraphqlError::new(message, Code::BadUserInput)
                .with_location(definition.position.line, definition.position.column)
        };
        match given {
            None => {
                if let Some(default) = &definition.default_value {
                    match literal(default, &ty, schema) {
                        Ok(value) => {
                            coerced.insert(name.to_string(), value);
                        }
                        Err(message) => errors.push(error(format!(
                            "Variable \"${name}\" has an invalid default value: {message}"
                        ))),
                    }
                } else if matches!(ty, TypeRef::NonNull(_)) {
                    errors.push(error(format!(
                        "Variable \"${name}\" of required type \"{ty}\" was not provided."
                    )));
                }
            }
            Some(Value::Null) if matches!(ty, TypeRef::NonNull(_)) => {
                errors.push(error(format!(
                    "Variable \"${name}\" of non-null type \"{ty}\" must not be null."
                )));
            }
            Some(value) => match input(value, &ty, schema, &mut String::new()) {
                Ok(value) => {
                    coerced.insert(name.to_string(), value);
                }
                Err(message) => errors.push(error(format!(
                    "Variable \"${name}\" got invalid value {}; {message}",
                    short_json(value)
                ))),
            },
        }
    }
    if errors.is_empty() {
        Ok(coerced)
    } else {
        Err(errors)
    }
}

fn type_ref(ty: &AstType) -> TypeRef {
    match ty {
        AstType::NamedType(name) => TypeRef::Named(name.clone()),
        AstType::ListType(inner) => TypeRef::List(Box::new(type_ref(inner))),
        AstType::NonNullType(inner) => TypeRef::NonNull(Box::new(type_ref(inner))),
    }
}

/// A value for messages, cut short when long.
fn short_json(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 100 {
        let cut: String = text.chars().take(100).collect();
        format!("{cut}…")
    } else {
        text
    }
}

fn at(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!(" at \"{path}\"")
    }
}

/// Coerces a JSON input value to `ty`; `path` locates nested values in messages.
fn input(
    value: &Value,
    ty: &TypeRef,
    schema: &ApiSchema,
    path: &mut String,
) -> Result<Value, String> {
    match ty {
        TypeRef::NonNull(inner) => {
            if value.is_null() {
                return Err(format!(
                    "Expected non-nullable type \"{ty}\" not to be null{}.",
                    at(path)
                ));
            }
            input(value, inner, schema, path)
        }
        _ if value.is_null() => Ok(Value::Null),
        TypeRef::List(inner) => match value {
            Value::Array(items) => {
                let mut coerced = Vec::with_capacity(items.len());
                for (index, item) in items.iter().enumerate() {
                    let length = path.len();
                    path.push_str(&format!("[{index}]"));
                    coerced.push(input(item, inner, schema, path)?);
                    path.truncate(length);
                }
                Ok(Value::Array(coerced))
            }
            // A single value where a list is expected is a list of one.
            other => Ok(Value::Array(vec![input(other, inner, schema, path)?])),
        },
        TypeRef::Named(name) => named_input(value, name, schema, path),
    }
}

fn named_input(
    value: &Value,
    name: &str,
    schema: &ApiSchema,
    path: &mut String,
) -> Result<Value, String> {
    let expected = || format!("Expected type \"{name}\"{}.", at(path));
    match name {
        "Int" => {
            let integer = match value {
                Value::Number(number) => number.as_i64().or_else(|| {
                    number
                        .as_f64()
                        .filter(|float| float.fract() == 0.0 && float.abs() < 1e10)
                        .map(|float| float as i64)
                }),
                _ => None,
            };
            match integer.and_then(|integer| i32::try_from(integer).ok()) {
                Some(integer) => Ok(Value::Number(Number::from(integer))),
                None => Err(format!(
                    "Int cannot represent {}{}.",
                    if integer.is_some() {
                        "a value outside the 32-bit range"
                    } else {
                        "a non-integer value"
                    },
                    at(path)
                )),
            }
        }
        "Float" => match value {
            Value::Number(_) => Ok(value.clone()),
            _ => Err(expected()),
        },
        "String" => match value {
            Value::String(_) => Ok(value.clone()),
            _ => Err(expected()),
        },
        "Boolean" => match value {
            Value::Bool(_) => Ok(value.clone()),
            _ => Err(expected()),
        },
        "ID" => match value {
            Value::String(_) => Ok(value.clone()),
            Value::Number(number) if number.is_i64() || number.is_u64() => {
                Ok(Value::String(number.to_string()))
            }
            _ => Err(expected()),
        },
        _ => {
            let Some(def) = schema.type_def(name) else {
                return Err(format!("Unknown type \"{name}\"{}.", at(path)));
            };
            match def.kind {
                // Custom scalars are the subgraphs' to interpret.
                TypeKind::Scalar => Ok(value.clone()),
                TypeKind::Enum => match value {
                    Value::String(text) if def.has_enum_value(text) => Ok(value.clone()),
                    _ => Err(format!(
                        "Value {} does not exist in \"{name}\" enum{}.",
                        short_json(value),
                        at(path)
                    )),
                },
                TypeKind::InputObject => {
                    let Value::Object(fields) = value else {
                        return Err(expected());
                    };
                    for key in fields.keys() {
                        if def.input_field(key).is_none() {
                            return Err(format!(
                                "Field \"{key}\" is not defined by type \"{name}\"{}.",
                                at(path)
                            ));
                        }
                    }
                    let mut coerced = Map::new();
                    for field in &def.input_fields {
                        let length = path.len();
                        if !path.is_empty() {
                            path.push('.');
                        }
                        path.push_str(&field.name);
                        match fields.get(&field.name) {
                            Some(given) => {
                                coerced.insert(
                                    field.name.clone(),
                                    input(given, &field.ty, schema, path)?,
                                );
                            }
                            None => {
                                if let Some(default) = &field.default_value {
                                    coerced.insert(
                                        field.name.clone(),
                                        literal(default, &field.ty, schema)?,
                                    );
                                } else if matches!(field.ty, TypeRef::NonNull(_)) {
                                    return Err(format!(
                                        "Field \"{}\" of required type \"{}\" was not provided{}.",
                                        field.name,
                                        field.ty,
                                        at(&path[..length])
                                    ));
                                }
                            }
                        }
                        path.truncate(length);
                    }
                    if def.one_of {
                        let set = coerced.values().filter(|value| !value.is_null()).count();
                        if set != 1 || coerced.len() != 1 {
                            return Err(format!(
                                "Exactly one field of the OneOf input \"{name}\" must be set, and not to null{}.",
                                at(path)
                            ));
                        }
                    }
                    Ok(Value::Object(coerced))
                }
                _ => Err(format!("\"{name}\" is not an input type{}.", at(path))),
            }
        }
    }
}

/// Converts a constant literal (a default value) of type `ty` to JSON, applying the
/// defaults of input object fields it leaves out.
fn literal(value: &AstValue, ty: &TypeRef, schema: &ApiSchema) -> Result<Value, String> {
    let json = ast_to_json(value)?;
    input(&json, ty, schema, &mut String::new())
}

/// A constant GraphQL value as JSON (enum values become strings).
pub(crate) fn ast_to_json(value: &AstValue) -> Result<Value, String> {
    Ok(match value {
        AstValue::Variable(name) => {
            return Err(format!("a default value cannot use the variable ${name}"))
        }
        AstValue::Int(number) => number
            .as_i64()
            .map(|integer| Value::Number(Number::from(integer)))
            .unwrap_or(Value::Null),
        AstValue::Float(float) => Number::from_f64(*float)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        AstValue::String(text) => Value::String(text.clone()),
        AstValue::Boolean(boolean) => Value::Bool(*boolean),
        AstValue::Null => Value::Null,
        AstValue::Enum(name) => Value::String(name.clone()),
        AstValue::List(items) => Value::Array(
            items
                .iter()
                .map(ast_to_json)
                .collect::<Result<Vec<_>, _>>()?,
        ),
        AstValue::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(key, value)| Ok((key.clone(), ast_to_json(value)?)))
                .collect::<Result<Map<_, _>, String>>()?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> ApiSchema {
        let document = graphql_tools::parser::parse_schema::<String>(
            "type Query { a: Int } enum Kind { CITY DISTRICT } \
             input Filter { kind: Kind! first: Int = 20 tags: [String!] }",
        )
        .unwrap()
        .into_static();
        ApiSchema::from_document(&document)
    }

    fn definitions(operation: &str) -> Vec<VariableDefinition> {
        let document = graphql_tools::parser::parse_query::<String>(operation)
            .unwrap()
            .into_static();
        match document.definitions.into_iter().next() {
            Some(graphql_tools::static_graphql::query::Definition::Operation(
                graphql_tools::static_graphql::query::OperationDefinition::Query(query),
            )) => query.variable_definitions,
            _ => panic!("expected a query"),
        }
    }

    fn run(operation: &str, variables: Value) -> Result<Value, Vec<String>> {
        coerce(&definitions(operation), variables.as_object(), &schema())
            .map(Value::Object)
            .map_err(|errors| errors.into_iter().map(|error| error.message).collect())
    }

    #[test]
    fn defaults_apply_and_nested_defaults_too() {
        assert_eq!(
            run(
                "query($n: Int = 5, $f: Filter = {kind: CITY}) { a }",
                json!({})
            ),
            Ok(json!({"n": 5, "f": {"kind": "CITY", "first": 20}}))
        );
    }

    #[test]
    fn single_values_become_lists_and_ids_accept_integers() {
        assert_eq!(
            run(
                "query($f: Filter!, $id: ID!) { a }",
                json!({"f": {"kind": "DISTRICT", "tags": "x"}, "id": 7})
            ),
            Ok(json!({"f": {"kind": "DISTRICT", "first": 20, "tags": ["x"]}, "id": "7"}))
        );
    }

    #[test]
    fn wrong_types_are_refused_with_the_variable_named() {
        assert_eq!(
            run("query($n: Int!) { a }", json!({"n": "five"})),
            Err(vec![
                "Variable \"$n\" got invalid value \"five\"; Int cannot represent a non-integer value."
                    .to_string()
            ])
        );
        assert_eq!(
            run("query($n: Int!) { a }", json!({})),
            Err(vec![
                "Variable \"$n\" of required type \"Int!\" was not provided.".to_string()
            ])
        );
        assert_eq!(
            run("query($f: Filter!) { a }", json!({"f": {"kind": "TOWN"}})),
            Err(vec![
                "Variable \"$f\" got invalid value {\"kind\":\"TOWN\"}; Value \"TOWN\" does not exist in \"Kind\" enum at \"kind\"."
                    .to_string()
            ])
        );
        assert_eq!(
            run("query($n: Int) { a }", json!({"n": 3_000_000_000u64})),
            Err(vec![
                "Variable \"$n\" got invalid value 3000000000; Int cannot represent a value outside the 32-bit range."
                    .to_string()
            ])
        );
    }
}
