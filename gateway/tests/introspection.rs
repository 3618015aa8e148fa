//! Introspection answers the API schema: no inaccessible element, no federation machinery.

mod common;

use common::{gateway, gateway_with, post};
use serde_json::json;

#[tokio::test]
async fn the_schema_lists_the_public_types_only() {
    let gateway = gateway("hub.graphql", &[]).await;
    let response = post(
        &gateway,
        "{ __schema { description queryType { name } mutationType { name } subscriptionType { name } types { name } directives { name } } }",
        json!({}),
    )
    .await;
    let names = |list: &serde_json::Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|item| item["name"].as_str().unwrap().to_string())
            .collect()
    };
    let schema = &response["data"]["__schema"];
    assert_eq!(
        names(&schema["types"]),
        [
            "Unit",
            "UnitKind",
            "Worker",
            "Activity",
            "Lecture",
            "Exhibition",
            "SearchResult",
            "AddWorkerInput",
            "Query",
            "Mutation",
            "Boolean",
            "Float",
            "Int",
            "ID",
            "String",
            "__Schema",
            "__Type",
            "__Field",
            "__InputValue",
            "__EnumValue",
            "__TypeKind",
            "__Directive",
            "__DirectiveLocation"
        ]
    );
    assert_eq!(
        names(&schema["directives"]),
        ["skip", "include", "deprecated", "specifiedBy", "oneOf"]
    );
    assert_eq!(schema["queryType"], json!({"name": "Query"}));
    assert_eq!(schema["mutationType"], json!({"name": "Mutation"}));
    assert_eq!(schema["subscriptionType"], json!(null));
    assert_eq!(schema["description"], json!(null));
    gateway.stop().await;
}

#[tokio::test]
async fn a_type_shows_its_fields_arguments_and_deprecations() {
    let gateway = gateway("hub.graphql", &[]).await;
    let response = post(
        &gateway,
        r#"query($deprecated: Boolean!) {
            unit: __type(name: "Unit") {
                kind name description
                fields(includeDeprecated: $deprecated) {
                    name isDeprecated deprecationReason
                    args { name defaultValue type { kind name ofType { kind name } } }
                    type { ...TypeRef }
                }
                interfaces { name }
                possibleTypes { name }
                enumValues { name }
            }
        }
        fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }"#,
        json!({"deprecated": true}),
    )
    .await;
    let named = |kind: &str, name: &str| json!({"kind": kind, "name": name, "ofType": null});
    let non_null =
        |inner: serde_json::Value| json!({"kind": "NON_NULL", "name": null, "ofType": inner});
    let list = |inner: serde_json::Value| json!({"kind": "LIST", "name": null, "ofType": inner});
    let field = |name: &str, ty: serde_json::Value| json!({"name": name, "isDeprecated": false, "deprecationReason": null, "args": [], "type": ty});
    let mut code = field("code", named("SCALAR", "String"));
    code["isDeprecated"] = json!(true);
    code["deprecationReason"] = json!("use name");
    let mut workers = field(
        "workers",
        non_null(list(non_null(json!({"kind": "OBJECT", "name": "Worker"})))),
    );
    workers["args"] = json!([{"name": "first", "defaultValue": "10", "type": {"kind": "SCALAR", "name": "Int", "ofType": null}}]);
    // The innermost ofType is cut where the query stops asking.
    let cut = |value: serde_json::Value| -> serde_json::Value {
        let mut value = value;
        if let Some(inner) = value.pointer_mut("/ofType/ofType/ofType") {
            if let Some(object) = inner.as_object_mut() {
                object.remove("ofType");
            }
        }
        value
    };
    workers["type"] = cut(workers["type"].clone());
    let mut activities = field(
        "activities",
        non_null(list(non_null(
            json!({"kind": "INTERFACE", "name": "Activity"}),
        ))),
    );
    activities["type"] = cut(activities["type"].clone());
    let mut children = field(
        "children",
        non_null(list(non_null(json!({"kind": "OBJECT", "name": "Unit"})))),
    );
    children["type"] = cut(children["type"].clone());
    assert_eq!(
        response,
        json!({"data": {"unit": {
            "kind": "OBJECT",
            "name": "Unit",
            "description": "A unit of the association tree (市科协, 区科协, …).",
            "fields": [
                field("id", non_null(named("SCALAR", "ID"))),
                field("name", non_null(named("SCALAR", "String"))),
                field("kind", non_null(named("ENUM", "UnitKind"))),
                code,
                field("parent", named("OBJECT", "Unit")),
                children,
                workers,
                activities
            ],
            "interfaces": [],
            "possibleTypes": null,
            "enumValues": null
        }}})
    );
    gateway.stop().await;
}

#[tokio::test]
async fn enums_abstract_types_and_inputs_are_described() {
    let gateway = gateway("hub.graphql", &[]).await;
    let response = post(
        &gateway,
        r#"{
            kind: __type(name: "UnitKind") { enumValues(includeDeprecated: true) { name } }
            activity: __type(name: "Activity") { kind possibleTypes { name } fields { name } }
            result: __type(name: "SearchResult") { kind possibleTypes { name } }
            input: __type(name: "AddWorkerInput") { kind isOneOf inputFields { name defaultValue } }
            query: __type(name: "Query") { fields { name } }
            hidden: __type(name: "join__Graph") { name }
        }"#,
        json!({}),
    )
    .await;
    assert_eq!(
        response,
        json!({"data": {
            "kind": {"enumValues": [{"name": "CITY"}, {"name": "DISTRICT"}]},
            "activity": {"kind": "INTERFACE", "possibleTypes": [{"name": "Lecture"}, {"name": "Exhibition"}], "fields": [{"name": "id"}, {"name": "title"}]},
            "result": {"kind": "UNION", "possibleTypes": [{"name": "Worker"}, {"name": "Unit"}]},
            "input": {"kind": "INPUT_OBJECT", "isOneOf": false, "inputFields": [
                {"name": "name", "defaultValue": null},
                {"name": "unitId", "defaultValue": null},
                {"name": "title", "defaultValue": "\"junior\""}
            ]},
            "query": {"fields": [{"name": "unit"}, {"name": "units"}, {"name": "worker"}, {"name": "search"}, {"name": "activities"}]},
            "hidden": null
        }})
    );
    gateway.stop().await;
}

#[tokio::test]
async fn the_introspection_query_of_graphiql_runs_cleanly() {
    let gateway = gateway("hub.graphql", &[]).await;
    let response = post(&gateway, INTROSPECTION_QUERY, json!({})).await;
    assert!(response.get("errors").is_none(), "{response}");
    let types = response["data"]["__schema"]["types"].as_array().unwrap();
    assert_eq!(types.len(), 23);
    let unit = types.iter().find(|ty| ty["name"] == "Unit").unwrap();
    assert_eq!(
        unit["fields"].as_array().unwrap().len(),
        7,
        "deprecated fields are left out"
    );
    gateway.stop().await;
}

#[tokio::test]
async fn introspection_can_be_turned_off() {
    let gateway = gateway_with("hub.graphql", &[], |mut config| {
        config.introspection = false;
        config
    })
    .await;
    let response = post(&gateway, "{ __schema { queryType { name } } }", json!({})).await;
    assert_eq!(
        response,
        json!({
            "data": {"__schema": null},
            "errors": [{
                "message": "Introspection is disabled on this gateway.",
                "locations": [{"line": 1, "column": 3}],
                "path": ["__schema"],
                "extensions": {"code": "INTROSPECTION_DISABLED"}
            }]
        })
    );
    gateway.stop().await;
}

const INTROSPECTION_QUERY: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: false) {
    name description
    args { ...InputValue }
    type { ...TypeRef }
    isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}
"#;
