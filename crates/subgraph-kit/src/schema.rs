//! What every subgraph schema is built with. It lives here, once, so that a rule meant for
//! every subgraph cannot be left out of one: Federation v2, a span per root resolver
//! ([`ResolverSpans`]) and the refusal of strings PostgreSQL cannot store
//! ([`crate::storable::StorableText`]).

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextResolve};
use async_graphql::{EmptySubscription, ObjectType, Schema, SchemaBuilder, ServerResult, Value};
use tracing::Instrument as _;

use crate::storable::StorableText;

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

/// Spans around the resolvers of root fields (`Query.units`, `Mutation.createUnit`,
/// `Query._entities`): a few per request, under the request's span, with the statements
/// each ran beneath them. Nested fields resolve inside their root field's span. Add it to a
/// schema with `.extension(ResolverSpans)`.
pub struct ResolverSpans;

impl ExtensionFactory for ResolverSpans {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ResolverSpans)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for ResolverSpans {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: async_graphql::extensions::ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.path_node.parent.is_some() || info.is_for_introspection {
            return next.run(ctx, info).await;
        }
        let span = tracing::info_span!(
            "resolve",
            otel.name = %format_args!("{}.{}", info.parent_type, info.name),
            graphql.field.name = info.name,
            graphql.field.parent_type = info.parent_type,
            graphql.field.type = info.return_type,
            otel.status_code = tracing::field::Empty,
        );
        let resolved = next.run(ctx, info).instrument(span.clone()).await;
        if resolved.is_err() {
            span.record("otel.status_code", "error");
        }
        resolved
    }
}
