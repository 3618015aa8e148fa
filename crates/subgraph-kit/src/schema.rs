//! What every subgraph schema is built with. It lives here, once, so that a rule meant for
//! every subgraph cannot be left out of one: Federation v2, and no async-graphql extension.
//! With any extension installed, the executor looks up every field's type by name and runs
//! the extension chain for every field and list item, a tenth or more of a large answer's
//! time; what must run for every request runs in the server instead ([`crate::server`]:
//! the request's span, the refusal of strings PostgreSQL cannot store). Resolvers reach
//! the schema's data (its pool, its batch loaders) through [`data`], [`pool`] and
//! [`load`]; the entities this subgraph extends resolve through [`ReferenceQuery`].

use std::borrow::Cow;
use std::hash::Hash;
use std::marker::PhantomData;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{
    Context, EmptySubscription, Object, ObjectType, OutputType, SDLExportOptions, Schema,
    SchemaBuilder, TypeName, ID,
};
use sqlx::PgPool;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::id::parse_id;

/// The builder of a subgraph's schema over its `query` and `mutation` roots; the subgraph
/// adds its data (pool, loaders) and finishes it.
pub fn builder<Query, Mutation>(
    query: Query,
    mutation: Mutation,
) -> SchemaBuilder<Query, Mutation, EmptySubscription>
where
    Query: ObjectType + 'static,
    Mutation: ObjectType + 'static,
{
    Schema::build(query, mutation, EmptySubscription).enable_federation()
}

/// The Federation v2 SDL of the schema `builder` makes, for composition: the types do not
/// depend on the data, so this needs no database.
pub fn federation_sdl<Query, Mutation>(
    builder: SchemaBuilder<Query, Mutation, EmptySubscription>,
) -> String
where
    Query: ObjectType + 'static,
    Mutation: ObjectType + 'static,
{
    let sdl = builder
        .finish()
        .sdl_with_options(SDLExportOptions::new().federation().compose_directive());
    sorted_composed_links(sdl)
}

/// `sdl` with the links of the hub's composed directives (`@rollup`, `@series`), which the
/// export lists in no fixed order, sorted: the same SDL on every run.
fn sorted_composed_links(sdl: String) -> String {
    const COMPOSED: &str = "extend schema @link(\n\turl: \"https://kexie.example/";
    let Some(start) = sdl.find(COMPOSED) else {
        return sdl;
    };
    let (head, links) = sdl.split_at(start);
    let mut blocks: Vec<&str> = links
        .split("\n\n")
        .map(str::trim_end)
        .filter(|block| !block.is_empty())
        .collect();
    blocks.sort_unstable();
    format!("{head}{}\n", blocks.join("\n\n"))
}

/// `loader` as the schema's data: a batch loader whose batches run in the span of the
/// request that filled them. A batch waits for no timer: it is sent once the tasks ready to
/// run have had their turn ([`spawn_batch`]), so a request does not pay a timer tick (1 ms
/// or more) for every level of loaders it goes through.
pub fn loader<L: Send + Sync + 'static>(loader: L) -> DataLoader<L> {
    DataLoader::new(loader, spawn_batch).delay(std::time::Duration::ZERO)
}

/// Starts a loader's batch after one yield: the request that asked for the first key goes
/// on resolving its sibling fields and list items (all polled before it yields), and their
/// keys join the batch before it is sent.
fn spawn_batch(batch: futures::future::BoxFuture<'static, ()>) {
    let language = kexie_contract::language::Language::current();
    kexie_contract::telemetry::spawn_in_current_span(language.scope(async move {
        tokio::task::yield_now().await;
        batch.await;
    }));
}

/// The schema's data of type `T` (its pool, a batch loader); `INTERNAL` when the schema was
/// built without it.
pub fn data<'a, T: Send + Sync + 'static>(ctx: &Context<'a>) -> ApiResult<&'a T> {
    ctx.data::<T>()
        .map_err(|_| ApiError::internal(format!("the schema lacks {}", std::any::type_name::<T>())))
}

/// The schema's database pool.
pub fn pool<'a>(ctx: &Context<'a>) -> ApiResult<&'a PgPool> {
    data::<PgPool>(ctx)
}

/// Loads one key through the schema's batch loader `L`, batched with the other keys the
/// request asks `L` for.
pub async fn load<L, K>(ctx: &Context<'_>, key: K) -> ApiResult<Option<L::Value>>
where
    L: Loader<K, Error = async_graphql::Error>,
    K: Send + Sync + Hash + Eq + Clone + 'static,
{
    data::<DataLoader<L>>(ctx)?
        .load_one(key)
        .await
        // The loader logged the cause where it happened.
        .map_err(|err| ApiError::internal(err.message))
}

/// The entity resolver of an entity another subgraph owns and this one extends with fields
/// of its own (`Unit`, `Worker`): any ID makes one, with no SQL; its fields resolve, in
/// batches, when asked for. Put it among the subgraph's `Query` objects.
pub struct ReferenceQuery<E>(PhantomData<fn() -> E>);

impl<E> Default for ReferenceQuery<E> {
    fn default() -> Self {
        ReferenceQuery(PhantomData)
    }
}

/// Named after its entity (`UnitReferenceQuery`), so that one schema holds several.
impl<E: OutputType> TypeName for ReferenceQuery<E> {
    fn type_name() -> Cow<'static, str> {
        format!("{}ReferenceQuery", E::type_name()).into()
    }
}

#[Object(name_type)]
impl<E: OutputType + From<Uuid>> ReferenceQuery<E> {
    #[graphql(entity)]
    async fn find_by_id(&self, id: ID) -> ApiResult<E> {
        Ok(E::from(parse_id("id", &id)?))
    }
}
