//! GraphiQL, for a browser that opens `/graphql`: production builds of GraphiQL and React
//! included in the binary and served at `/graphiql/assets/…`, so that the page works offline
//! and on networks where CDNs are blocked; no request leaves the hub.

use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use super::assets::{self, Asset};

const PAGE: Asset = Asset {
    name: "index.html",
    content_type: "text/html; charset=utf-8",
    bytes: include_bytes!("../../graphiql/index.html"),
};

const ASSETS: &[Asset] = &[
    Asset {
        name: "graphiql.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../graphiql/vendor/graphiql.min.js"),
    },
    Asset {
        name: "graphiql.min.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../graphiql/vendor/graphiql.min.css"),
    },
    Asset {
        name: "react.production.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../graphiql/vendor/react.production.min.js"),
    },
    Asset {
        name: "react-dom.production.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../graphiql/vendor/react-dom.production.min.js"),
    },
    Asset {
        name: "graphiql-start.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../graphiql/graphiql-start.js"),
    },
    Asset {
        name: "graphiql-page.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../graphiql/graphiql-page.css"),
    },
];

/// The GraphiQL page.
pub(crate) fn page(headers: &HeaderMap) -> Response {
    assets::page(&PAGE, headers)
}

pub(crate) fn router() -> Router {
    Router::new().route(
        "/graphiql/assets/{name}",
        get(|Path(name): Path<String>, headers: HeaderMap| async move {
            assets::serve_named(ASSETS, &name, &headers)
        }),
    )
}
