//! Who is acting. Every mutation records the actor (`created_by`, `updated_by`, workflow
//! histories): the subject of the request's verified principal (see [`crate::access`]).

use async_graphql::Context;

/// The identity behind a request, as records name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// Who acted: a staff member's subject, `partner:<key id>`, or `anonymous`.
    pub subject: String,
}

impl Actor {
    /// The actor of the GraphQL request being resolved.
    pub fn of(ctx: &Context<'_>) -> Actor {
        Actor {
            subject: crate::access::principal(ctx).subject,
        }
    }
}
