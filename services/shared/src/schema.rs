//! What every subgraph schema is built with. It lives here, once, so that a rule meant for
//! every subgraph cannot be left out of one: Federation v2, a span per root resolver
//! ([`crate::telemetry::ResolverSpans`]) and the refusal of strings PostgreSQL cannot store
//! ([`crate::storable::StorableText`]).

use async_graphql::{EmptySubscription, ObjectType, Schema, SchemaBuilder};

use crate::storable::StorableText;
use crate::telemetry::ResolverSpans;

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
    Schema::build(query, mutation, EmptySubscription)
        .enable_federation()
        .extension(ResolverSpans)
        .extension(StorableText)
}
