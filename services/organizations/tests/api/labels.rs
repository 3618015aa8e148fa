//! `enumLabels` covers the whole API: every value of every enum of the composed supergraph
//! has a Chinese label, and the table names nothing the schema does not have.

use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
use serde_json::json;

use crate::support::start;

/// Every enum of `schema/supergraph.graphql` but federation's own, with its values.
fn supergraph_enums() -> Vec<(String, Vec<String>)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../schema/supergraph.graphql"
    );
    let sdl = std::fs::read_to_string(path).unwrap();
    let document = async_graphql::parser::parse_schema(&sdl).unwrap();
    document
        .definitions
        .iter()
        .filter_map(|definition| match definition {
            TypeSystemDefinition::Type(definition) => match &definition.node.kind {
                TypeKind::Enum(enum_type) => Some((
                    definition.node.name.node.to_string(),
                    enum_type
                        .values
                        .iter()
                        .map(|value| value.node.value.node.to_string())
                        .collect(),
                )),
                _ => None,
            },
            _ => None,
        })
        .filter(|(name, _)| !name.starts_with("join__") && !name.starts_with("link__"))
        .collect()
}

#[tokio::test]
async fn every_enum_value_of_the_api_has_a_chinese_label_for_anyone() {
    let hub = start().await;
    let labels = hub
        .client
        .anonymous()
        .data("{ enumLabels { name values { value label } } }", json!({}))
        .await["enumLabels"]
        .clone();
    let labelled = |name: &str| {
        labels
            .as_array()
            .unwrap()
            .iter()
            .find(|labels| labels["name"] == name)
            .cloned()
    };
    let schema = supergraph_enums();
    assert!(schema.len() > 40, "{} enums", schema.len());
    for (name, values) in &schema {
        let entry = labelled(name).unwrap_or_else(|| panic!("{name} has no labels"));
        let got: Vec<&str> = entry["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|value| value["value"].as_str().unwrap())
            .collect();
        assert_eq!(
            got, *values,
            "{name}: the labelled values, in the schema's order"
        );
        for value in entry["values"].as_array().unwrap() {
            let label = value["label"].as_str().unwrap();
            assert!(
                label
                    .chars()
                    .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{name}.{}: {label:?} is not Chinese",
                value["value"]
            );
        }
    }
    assert_eq!(
        labels.as_array().unwrap().len(),
        schema.len(),
        "labels of enums the schema does not have"
    );

    // Some enums only; an unknown name is refused.
    let some = hub
        .client
        .data(
            "{ enumLabels(names: [\"ActivityStatus\"]) { name values { value label } } }",
            json!({}),
        )
        .await["enumLabels"]
        .clone();
    assert_eq!(
        some[0]["values"][1],
        json!({ "value": "HELD", "label": "已举办" })
    );
    assert_eq!(some.as_array().unwrap().len(), 1);
    let body = hub
        .client
        .post("{ enumLabels(names: [\"Colour\"]) { name } }", json!({}))
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "VALIDATION",
        "{body:#}"
    );
}
