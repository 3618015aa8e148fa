//! The five subgraphs, so that every command treats them alike.

use std::fmt;
use std::str::FromStr;

use kexie_seed::demo::DemoCity;
use kexie_subgraph_kit::config::SubgraphConfig;
use kexie_subgraph_kit::server::SubgraphApp;
use kexie_subgraph_kit::subgraph::Subgraph as Definition;
use kexie_subgraph_kit::target::TargetKey;
use sqlx::PgPool;
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Subgraph {
    Organizations,
    Talent,
    Popularization,
    Advice,
    Innovation,
}

impl Subgraph {
    /// In dependency order: the tree first, then workers, then what refers to both.
    pub const ALL: [Subgraph; 5] = [
        Subgraph::Organizations,
        Subgraph::Talent,
        Subgraph::Popularization,
        Subgraph::Advice,
        Subgraph::Innovation,
    ];

    /// What its crate declares about it: name, default address, migrations.
    fn definition(self) -> &'static Definition {
        match self {
            Subgraph::Organizations => &kexie_organizations::SUBGRAPH,
            Subgraph::Talent => &kexie_talent::SUBGRAPH,
            Subgraph::Popularization => &kexie_popularization::SUBGRAPH,
            Subgraph::Advice => &kexie_advice::SUBGRAPH,
            Subgraph::Innovation => &kexie_innovation::SUBGRAPH,
        }
    }

    /// Also its PostgreSQL schema and the stem of its SDL file.
    pub fn name(self) -> &'static str {
        self.definition().name
    }

    pub fn default_listen(self) -> &'static str {
        self.definition().default_listen
    }

    /// Its configuration from the environment (`<NAME>_LISTEN` and the shared variables).
    pub fn config_from_env(self) -> anyhow::Result<SubgraphConfig> {
        self.definition().config_from_env()
    }

    pub async fn build(self, config: &SubgraphConfig) -> anyhow::Result<SubgraphApp> {
        match self {
            Subgraph::Organizations => kexie_organizations::build(config).await,
            Subgraph::Talent => kexie_talent::build(config).await,
            Subgraph::Popularization => kexie_popularization::build(config).await,
            Subgraph::Advice => kexie_advice::build(config).await,
            Subgraph::Innovation => kexie_innovation::build(config).await,
        }
    }

    pub async fn connect(self, database_url: &str) -> anyhow::Result<PgPool> {
        self.definition().connect(database_url).await
    }

    pub async fn migrate(self, pool: &PgPool) -> anyhow::Result<()> {
        self.definition().migrate(pool).await
    }

    /// The Federation v2 SDL it serves.
    pub fn sdl(self) -> String {
        match self {
            Subgraph::Organizations => kexie_organizations::sdl(),
            Subgraph::Talent => kexie_talent::sdl(),
            Subgraph::Popularization => kexie_popularization::sdl(),
            Subgraph::Advice => kexie_advice::sdl(),
            Subgraph::Innovation => kexie_innovation::sdl(),
        }
    }

    pub async fn seed(self, pool: &PgPool, city: &mut DemoCity) -> anyhow::Result<()> {
        match self {
            Subgraph::Organizations => kexie_seed::organizations::seed(pool, city).await,
            Subgraph::Talent => kexie_seed::talent::seed(pool, city).await,
            Subgraph::Popularization => kexie_seed::popularization::seed(pool, city).await,
            Subgraph::Advice => kexie_seed::advice::seed(pool, city).await,
            Subgraph::Innovation => kexie_seed::innovation::seed(pool, city).await,
        }
    }

    pub async fn reset(self, pool: &PgPool) -> anyhow::Result<()> {
        match self {
            Subgraph::Organizations => kexie_seed::organizations::reset(pool).await,
            Subgraph::Talent => kexie_seed::talent::reset(pool).await,
            Subgraph::Popularization => kexie_seed::popularization::reset(pool).await,
            Subgraph::Advice => kexie_seed::advice::reset(pool).await,
            Subgraph::Innovation => kexie_seed::innovation::reset(pool).await,
        }
    }

    /// The actual figures of the targets whose metrics it measures (the others left out).
    pub async fn target_actuals(
        self,
        pool: &PgPool,
        keys: &[TargetKey],
    ) -> sqlx::Result<HashMap<TargetKey, i64>> {
        match self {
            Subgraph::Organizations => {
                kexie_organizations::schema::target_actuals(pool, keys).await
            }
            Subgraph::Talent => kexie_talent::schema::target_actuals(pool, keys).await,
            Subgraph::Popularization => {
                kexie_popularization::schema::target_actuals(pool, keys).await
            }
            Subgraph::Advice => kexie_advice::schema::target_actuals(pool, keys).await,
            Subgraph::Innovation => kexie_innovation::schema::target_actuals(pool, keys).await,
        }
    }

    pub async fn is_empty(self, pool: &PgPool) -> anyhow::Result<bool> {
        match self {
            Subgraph::Organizations => kexie_seed::organizations::is_empty(pool).await,
            Subgraph::Talent => kexie_seed::talent::is_empty(pool).await,
            Subgraph::Popularization => kexie_seed::popularization::is_empty(pool).await,
            Subgraph::Advice => kexie_seed::advice::is_empty(pool).await,
            Subgraph::Innovation => kexie_seed::innovation::is_empty(pool).await,
        }
    }
}

impl fmt::Display for Subgraph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Subgraph {
    type Err = anyhow::Error;

    fn from_str(name: &str) -> anyhow::Result<Self> {
        Subgraph::ALL
            .into_iter()
            .find(|subgraph| subgraph.name() == name)
            .ok_or_else(|| anyhow::anyhow!("no subgraph is called {name:?}; there are organizations, talent, popularization, advice and innovation"))
    }
}
