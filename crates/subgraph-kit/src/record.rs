//! What every table of the hub has, by convention (see `services/README.md`): a
//! `<table>_id uuid primary key` (UUID v7, so that lists run newest first by ID) and the
//! audit columns `version`, `created_at`, `created_by`, `updated_at`, `updated_by`,
//! `archived_at`. Rows read their audit columns into one [`Audit`]; records are loaded by
//! ID in batches with [`ByIdLoader`].

use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, Object};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

/// A row of one of the hub's tables.
pub trait Record: Clone + Send + Sync + 'static {
    /// Its primary key.
    fn id(&self) -> Uuid;
}

/// A record that a batch of IDs reads in one statement (`where <table>_id = any($1)`).
pub trait FindById: Record {
    /// The records with these IDs; an unknown ID has none.
    fn find(pool: &PgPool, ids: &[Uuid]) -> impl Future<Output = sqlx::Result<Vec<Self>>> + Send;
}

/// Records `R` by ID: one [`FindById::find`] per batch (entity lookups, the record a
/// field refers to); read with [`load_by_id`].
pub struct ByIdLoader<R> {
    pool: PgPool,
    record: PhantomData<fn() -> R>,
}

impl<R> ByIdLoader<R> {
    pub fn new(pool: PgPool) -> Self {
        ByIdLoader {
            pool,
            record: PhantomData,
        }
    }
}

impl<R: FindById> Loader<Uuid> for ByIdLoader<R> {
    type Value = R;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, R>, Self::Error> {
        let rows = R::find(&self.pool, ids).await.map_err(ApiError::from)?;
        Ok(rows.into_iter().map(|row| (row.id(), row)).collect())
    }
}

/// The record `R` with this ID, through the schema's [`ByIdLoader<R>`] (batched with the
/// other IDs the request asks for); `None` when there is none.
pub async fn load_by_id<R: FindById>(ctx: &Context<'_>, id: Uuid) -> ApiResult<Option<R>> {
    crate::schema::load::<ByIdLoader<R>, _>(ctx, id).await
}

/// The records `R` with these IDs, in their order (unknown IDs left out), through the
/// schema's [`ByIdLoader<R>`]: a list a record refers to, batched across records.
pub async fn load_all_by_id<R: FindById>(ctx: &Context<'_>, ids: &[Uuid]) -> ApiResult<Vec<R>> {
    let mut found =
        crate::schema::data::<async_graphql::dataloader::DataLoader<ByIdLoader<R>>>(ctx)?
            .load_many(ids.iter().copied())
            .await
            // The loader logged the cause where it happened.
            .map_err(|err| ApiError::internal(err.message))?;
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

/// The audit columns of a row: read with `#[sqlx(flatten)]` from a statement that selects
/// them by their names.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Audit {
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
    pub archived_at: Option<DateTime<Utc>>,
}

impl Audit {
    pub fn is_archived(&self) -> bool {
        self.archived_at.is_some()
    }
}

/// The audit fields of a record whose schema says nothing more about them: `createdAt`,
/// `createdBy`, `updatedAt`, `updatedBy`, `archivedAt`, for whoever may read the record.
/// An entity takes them with `#[graphql(flatten)] async fn audit(&self) -> &Audit`, after
/// its own `version` (each entity tells how to send it back). Entities whose audit fields
/// say more (who may read `createdBy`, what archiving means for them) resolve them
/// themselves from the row's [`Audit`].
#[Object]
impl Audit {
    async fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
    async fn created_by(&self) -> &str {
        &self.created_by
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }
    async fn updated_by(&self) -> &str {
        &self.updated_by
    }
    async fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.archived_at
    }
}
