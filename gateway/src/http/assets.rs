//! Files served from the binary — the cockpit's and GraphiQL's pages, scripts and styles —
//! each with its type and an `ETag`: revalidated on every load (`no-cache`, so a new
//! binary's page is never mixed with an old script) and answered `304 Not Modified` when
//! the browser's copy is current.

use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH,
    X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// A file included in the binary.
pub(crate) struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
}

/// The entity tag of a file: a hash of its bytes.
pub(crate) fn etag(bytes: &[u8]) -> HeaderValue {
    let tag = format!("\"{:016x}\"", xxhash_rust::xxh3::xxh3_64(bytes));
    HeaderValue::from_str(&tag).expect("a hex tag is a valid header value")
}

/// Whether the request's `If-None-Match` names `tag`.
fn current(headers: &HeaderMap, tag: &HeaderValue) -> bool {
    headers
        .get(IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .split(',')
                .any(|candidate| candidate.trim().as_bytes() == tag.as_bytes())
        })
}

/// The file of `content_type` with `bytes`, or `304` when the browser's copy is current.
pub(crate) fn serve_bytes(
    content_type: &'static str,
    bytes: impl Into<axum::body::Body> + AsRef<[u8]>,
    headers: &HeaderMap,
) -> Response {
    let tag = etag(bytes.as_ref());
    let cache = [
        (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (ETAG, tag.clone()),
    ];
    if current(headers, &tag) {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        ],
        cache,
        bytes.into(),
    )
        .into_response()
}

/// `asset`, or `304` when the browser's copy is current.
pub(crate) fn serve(asset: &Asset, headers: &HeaderMap) -> Response {
    serve_bytes(asset.content_type, asset.bytes, headers)
}

/// The asset `name` of `assets`, or `404`.
pub(crate) fn serve_named(assets: &[Asset], name: &str, headers: &HeaderMap) -> Response {
    match assets.iter().find(|asset| asset.name == name) {
        Some(asset) => serve(asset, headers),
        None => (StatusCode::NOT_FOUND, "没有这个文件。").into_response(),
    }
}

/// A page that may load nothing but the hub's own files and talk to nothing else; inline
/// styles (the chart and editor libraries set them) and `data:` images and fonts allowed.
pub(crate) fn page(asset: &Asset, headers: &HeaderMap) -> Response {
    let mut response = serve(asset, headers);
    response.headers_mut().insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data: blob:; font-src 'self' data:; \
             style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; \
             form-action 'none'",
        ),
    );
    response
}
