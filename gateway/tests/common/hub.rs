//! Three small async-graphql federation subgraphs matching `fixtures/hub.graphql`: a city
//! association with two districts (organizations), their workers (talent) and activities
//! (popularization). Unit 9 is broken on purpose: its name fails, to exercise errors and
//! null propagation through entity chains.

use std::sync::{Arc, Mutex};

use async_graphql::{
    Context, EmptySubscription, Enum, ErrorExtensions, InputObject, Interface, Object,
    SimpleObject, Union, ID,
};
use async_graphql_axum::GraphQL;
use axum::routing::post_service;
use axum::Router;

use super::serve;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum UnitKind {
    City,
    District,
    Secret,
}

#[derive(Clone)]
struct UnitRow {
    id: &'static str,
    name: &'static str,
    kind: UnitKind,
    parent: Option<&'static str>,
}

const UNITS: [UnitRow; 4] = [
    UnitRow {
        id: "1",
        name: "市科协",
        kind: UnitKind::City,
        parent: None,
    },
    UnitRow {
        id: "2",
        name: "东区科协",
        kind: UnitKind::District,
        parent: Some("1"),
    },
    UnitRow {
        id: "3",
        name: "西区科协",
        kind: UnitKind::District,
        parent: Some("1"),
    },
    UnitRow {
        id: "9",
        name: "broken",
        kind: UnitKind::Secret,
        parent: Some("1"),
    },
];

// ---------------------------------------------------------------- organizations

#[derive(Clone)]
struct OrgUnit {
    row: UnitRow,
    renamed: Option<String>,
}

#[Object(name = "Unit")]
impl OrgUnit {
    async fn id(&self) -> ID {
        ID::from(self.row.id)
    }

    async fn name(&self) -> async_graphql::Result<String> {
        if self.row.id == "9" {
            return Err(
                async_graphql::Error::new("the name of unit 9 is unavailable")
                    .extend_with(|_, extensions| extensions.set("code", "NOT_FOUND")),
            );
        }
        Ok(self
            .renamed
            .clone()
            .unwrap_or_else(|| self.row.name.to_string()))
    }

    async fn kind(&self) -> UnitKind {
        self.row.kind
    }

    async fn code(&self) -> Option<String> {
        Some(format!("C{}", self.row.id))
    }

    async fn internal_note(&self) -> Option<String> {
        Some("secret".to_string())
    }

    async fn parent(&self, ctx: &Context<'_>) -> Option<OrgUnit> {
        let parent = self.row.parent?;
        find_org_unit(ctx, parent)
    }

    async fn children(&self, ctx: &Context<'_>) -> Vec<OrgUnit> {
        UNITS
            .iter()
            .filter(|row| row.parent == Some(self.row.id) && row.id != "9")
            .filter_map(|row| find_org_unit(ctx, row.id))
            .collect()
    }
}

/// Renames made by mutations, in order.
#[derive(Clone, Default)]
pub struct Renames(pub Arc<Mutex<Vec<(String, String)>>>);

fn find_org_unit(ctx: &Context<'_>, id: &str) -> Option<OrgUnit> {
    let row = UNITS.iter().find(|row| row.id == id)?.clone();
    let renamed = ctx.data_opt::<Renames>().and_then(|renames| {
        renames
            .0
            .lock()
            .unwrap()
            .iter()
            .rev()
            .find(|(unit, _)| unit == id)
            .map(|(_, name)| name.clone())
    });
    Some(OrgUnit { row, renamed })
}

struct OrgQuery;

#[Object(name = "Query")]
impl OrgQuery {
    async fn unit(&self, ctx: &Context<'_>, id: ID) -> Option<OrgUnit> {
        find_org_unit(ctx, &id)
    }

    async fn units(&self, ctx: &Context<'_>, kind: Option<UnitKind>) -> Vec<OrgUnit> {
        UNITS
            .iter()
            .filter(|row| row.id != "9")
            .filter(|row| kind.is_none_or(|kind| row.kind == kind))
            .filter_map(|row| find_org_unit(ctx, row.id))
            .collect()
    }

    #[graphql(entity)]
    async fn find_unit_by_id(&self, ctx: &Context<'_>, id: ID) -> Option<OrgUnit> {
        find_org_unit(ctx, &id)
    }
}

struct OrgMutation;

#[Object(name = "Mutation")]
impl OrgMutation {
    async fn rename_unit(
        &self,
        ctx: &Context<'_>,
        id: ID,
        name: String,
    ) -> async_graphql::Result<OrgUnit> {
        let renames = ctx.data::<Renames>()?;
        renames.0.lock().unwrap().push((id.to_string(), name));
        find_org_unit(ctx, &id).ok_or_else(|| "no such unit".into())
    }
}

fn organizations_schema(
    renames: Renames,
) -> async_graphql::Schema<OrgQuery, OrgMutation, EmptySubscription> {
    async_graphql::Schema::build(OrgQuery, OrgMutation, EmptySubscription)
        .enable_federation()
        .data(renames)
        .finish()
}

pub async fn organizations(renames: Renames) -> String {
    let schema = organizations_schema(renames);
    serve(Router::new().route("/graphql", post_service(GraphQL::new(schema)))).await
}

// ---------------------------------------------------------------- talent

#[derive(Clone)]
struct WorkerRow {
    id: String,
    name: String,
    title: Option<String>,
    unit: String,
}

fn workers_table() -> Vec<WorkerRow> {
    [
        ("w1", "张三", Some("研究员"), "2"),
        ("w2", "李四", None, "2"),
        ("w3", "王五", Some("教授"), "3"),
        ("w9", "赵六", Some("工程师"), "9"),
    ]
    .into_iter()
    .map(|(id, name, title, unit)| WorkerRow {
        id: id.to_string(),
        name: name.to_string(),
        title: title.map(str::to_string),
        unit: unit.to_string(),
    })
    .collect()
}

/// Workers added by mutations.
#[derive(Clone, Default)]
pub struct Added(pub Arc<Mutex<Vec<String>>>);

struct TalentWorker(WorkerRow);

#[Object(name = "Worker")]
impl TalentWorker {
    async fn id(&self) -> ID {
        ID::from(self.0.id.clone())
    }

    async fn name(&self) -> String {
        self.0.name.clone()
    }

    async fn title(&self) -> async_graphql::Result<Option<String>> {
        if self.0.id == "w2" {
            return Err(async_graphql::Error::new("the title of w2 is withheld"));
        }
        Ok(self.0.title.clone())
    }

    async fn home_unit(&self) -> TalentUnit {
        TalentUnit {
            id: ID::from(self.0.unit.clone()),
        }
    }
}

struct TalentUnit {
    id: ID,
}

#[Object(name = "Unit")]
impl TalentUnit {
    async fn id(&self) -> ID {
        self.id.clone()
    }

    async fn workers(&self, #[graphql(default = 10)] first: i32) -> Vec<TalentWorker> {
        workers_table()
            .into_iter()
            .filter(|worker| worker.unit == *self.id)
            .take(usize::try_from(first).unwrap_or(0))
            .map(TalentWorker)
            .collect()
    }
}

#[derive(Union)]
#[graphql(name = "SearchResult")]
enum SearchResult {
    Worker(TalentWorker),
    Unit(TalentUnit),
}

#[derive(InputObject)]
struct AddWorkerInput {
    name: String,
    unit_id: ID,
    #[graphql(default_with = "Some(\"junior\".to_string())")]
    title: Option<String>,
}

struct TalentQuery;

#[Object(name = "Query")]
impl TalentQuery {
    async fn worker(&self, id: ID) -> Option<TalentWorker> {
        workers_table()
            .into_iter()
            .find(|worker| worker.id == *id)
            .map(TalentWorker)
    }

    async fn search(&self, text: String) -> Vec<SearchResult> {
        let mut results: Vec<SearchResult> = workers_table()
            .into_iter()
            .filter(|worker| worker.name.contains(&text))
            .map(|worker| SearchResult::Worker(TalentWorker(worker)))
            .collect();
        if text == "东" {
            results.push(SearchResult::Unit(TalentUnit { id: ID::from("2") }));
        }
        results
    }

    #[graphql(entity)]
    async fn find_unit_by_id(&self, id: ID) -> TalentUnit {
        TalentUnit { id }
    }

    #[graphql(entity)]
    async fn find_worker_by_id(&self, id: ID) -> Option<TalentWorker> {
        workers_table()
            .into_iter()
            .find(|worker| worker.id == *id)
            .map(TalentWorker)
    }
}

struct TalentMutation;

#[Object(name = "Mutation")]
impl TalentMutation {
    async fn add_worker(
        &self,
        ctx: &Context<'_>,
        input: AddWorkerInput,
    ) -> async_graphql::Result<TalentWorker> {
        let added = ctx.data::<Added>()?;
        added.0.lock().unwrap().push(input.name.clone());
        Ok(TalentWorker(WorkerRow {
            id: "w100".to_string(),
            name: input.name,
            title: input.title,
            unit: input.unit_id.to_string(),
        }))
    }
}

fn talent_schema(
    added: Added,
) -> async_graphql::Schema<TalentQuery, TalentMutation, EmptySubscription> {
    async_graphql::Schema::build(TalentQuery, TalentMutation, EmptySubscription)
        .enable_federation()
        .data(added)
        .finish()
}

pub async fn talent(added: Added) -> String {
    let schema = talent_schema(added);
    serve(Router::new().route("/graphql", post_service(GraphQL::new(schema)))).await
}

// ---------------------------------------------------------------- popularization

#[derive(SimpleObject, Clone)]
#[graphql(name = "Worker", unresolvable = "id")]
struct PopWorker {
    id: ID,
}

#[derive(SimpleObject, Clone)]
struct Lecture {
    id: ID,
    title: String,
    speaker: Option<PopWorker>,
}

#[derive(SimpleObject, Clone)]
struct Exhibition {
    id: ID,
    title: String,
    venue: Option<String>,
}

#[derive(Interface, Clone)]
#[graphql(field(name = "id", ty = "&ID"), field(name = "title", ty = "&String"))]
enum Activity {
    Lecture(Lecture),
    Exhibition(Exhibition),
}

fn activities() -> Vec<(&'static str, Activity)> {
    vec![
        (
            "1",
            Activity::Lecture(Lecture {
                id: ID::from("a1"),
                title: "院士报告会".to_string(),
                speaker: Some(PopWorker { id: ID::from("w3") }),
            }),
        ),
        (
            "2",
            Activity::Exhibition(Exhibition {
                id: ID::from("a2"),
                title: "科普展".to_string(),
                venue: Some("科技馆".to_string()),
            }),
        ),
        (
            "2",
            Activity::Lecture(Lecture {
                id: ID::from("a3"),
                title: "科普讲座".to_string(),
                speaker: None,
            }),
        ),
    ]
}

struct PopUnit {
    id: ID,
}

#[Object(name = "Unit")]
impl PopUnit {
    async fn id(&self) -> ID {
        self.id.clone()
    }

    async fn activities(&self) -> Vec<Activity> {
        activities()
            .into_iter()
            .filter(|(unit, _)| *unit == self.id.as_str())
            .map(|(_, activity)| activity)
            .collect()
    }
}

struct PopQuery;

#[Object(name = "Query")]
impl PopQuery {
    async fn activities(&self) -> Vec<Activity> {
        activities()
            .into_iter()
            .map(|(_, activity)| activity)
            .collect()
    }

    #[graphql(entity)]
    async fn find_unit_by_id(&self, id: ID) -> PopUnit {
        PopUnit { id }
    }
}

fn popularization_schema(
) -> async_graphql::Schema<PopQuery, async_graphql::EmptyMutation, EmptySubscription> {
    async_graphql::Schema::build(PopQuery, async_graphql::EmptyMutation, EmptySubscription)
        .register_output_type::<Activity>()
        .enable_federation()
        .finish()
}

/// The federation SDL each subgraph exports, as a composer reads it.
pub fn sdls() -> Vec<(&'static str, String)> {
    let options = || async_graphql::SDLExportOptions::new().federation();
    vec![
        (
            "organizations",
            organizations_schema(Renames::default()).sdl_with_options(options()),
        ),
        (
            "talent",
            talent_schema(Added::default()).sdl_with_options(options()),
        ),
        (
            "popularization",
            popularization_schema().sdl_with_options(options()),
        ),
    ]
}

pub async fn popularization() -> String {
    let schema = popularization_schema();
    serve(Router::new().route("/graphql", post_service(GraphQL::new(schema)))).await
}

/// The three subgraphs and what their mutations recorded.
pub struct Hub {
    pub organizations: String,
    pub talent: String,
    pub popularization: String,
    pub renames: Renames,
    pub added: Added,
}

impl Hub {
    pub async fn start() -> Hub {
        let renames = Renames::default();
        let added = Added::default();
        Hub {
            organizations: organizations(renames.clone()).await,
            talent: talent(added.clone()).await,
            popularization: popularization().await,
            renames,
            added,
        }
    }

    pub fn urls(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("organizations", self.organizations.as_str()),
            ("talent", self.talent.as_str()),
            ("popularization", self.popularization.as_str()),
        ]
    }
}
