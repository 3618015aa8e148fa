//! `enumLabels`: the Chinese label of every enum value of the hub's API
//! ([`kexie_subgraph_kit::labels`]), for anyone, signed in or not.

use async_graphql::{Context, Object, SimpleObject};

use kexie_subgraph_kit::labels::ENUMS;
use kexie_subgraph_kit::{ApiError, ApiResult};

/// An enum's values with their labels.
#[derive(SimpleObject)]
pub struct EnumLabels {
    /// The enum's name in the schema: `ActivityStatus`.
    name: &'static str,
    values: Vec<EnumValueLabel>,
}

/// An enum value with its label: `HELD` — 已举办.
#[derive(SimpleObject)]
pub struct EnumValueLabel {
    value: &'static str,
    label: &'static str,
}

#[derive(Default)]
pub struct LabelQuery;

#[Object]
impl LabelQuery {
    /// The Chinese label of every value of the enums named (of every enum of the API when
    /// `names` is not given), in the schema's order: what an app shows instead of the
    /// value. The same for everyone; fetch it once.
    async fn enum_labels(
        &self,
        _ctx: &Context<'_>,
        names: Option<Vec<String>>,
    ) -> ApiResult<Vec<EnumLabels>> {
        if let Some(names) = &names {
            if let Some(unknown) = names
                .iter()
                .find(|name| !ENUMS.iter().any(|labels| labels.name == name.as_str()))
            {
                return Err(ApiError::validation(
                    "names",
                    kexie_subgraph_kit::text!(
                        "{unknown:?} is not an enum of the API",
                        "{unknown:?} 不是接口中的枚举"
                    ),
                ));
            }
        }
        Ok(ENUMS
            .iter()
            .filter(|labels| {
                names
                    .as_ref()
                    .is_none_or(|names| names.iter().any(|name| name == labels.name))
            })
            .map(|labels| EnumLabels {
                name: labels.name,
                values: labels
                    .values
                    .iter()
                    .map(|&(value, label)| EnumValueLabel { value, label })
                    .collect(),
            })
            .collect())
    }
}
