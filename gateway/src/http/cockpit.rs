//! The leadership cockpit (领导驾驶舱) at `/cockpit`: a page served from the binary, every
//! asset included (no CDN), that reads the hub through the public `POST /graphql` like any
//! front end. Besides its files the gateway serves it:
//!
//! - `GET /cockpit/maps/{code}.json`: the boundaries of the children of the division
//!   `code` (GeoJSON, each feature's `properties.adcode` a child's division code), from
//!   the directory `GATEWAY_COCKPIT_MAPS` when it has the file, else the demo city's
//!   schematic map shipped with the hub (`gateway/cockpit/maps/`);
//! - `GET /cockpit/sign-ins`: one-click sign-ins of a demo run (`kexie serve` without an
//!   identity provider hands out tokens it signs itself); none otherwise;
//! - `POST /cockpit/export`: the panels the page shows, as JSON, back as an XLSX workbook
//!   (one sheet per panel, the filters and the time of export at the top). It formats what
//!   it is sent and reads nothing; it takes a staff token all the same (`401` without one),
//!   so that only signed-in staff spend the gateway's time on workbooks. Being JSON, a
//!   browser on another site cannot post it without a preflight.
//!
//! Files carry an `ETag`, so that a warm page revalidates them with `304 Not Modified`;
//! like every answer of the gateway they are compressed when the browser accepts it.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use kexie_contract::principal::Role;

use super::assets::{self, Asset};
use crate::identity::staff::Authenticator;

/// A one-click sign-in the cockpit's first screen offers in a demo run.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoSignIn {
    /// Who signs in, for example "市科协领导".
    pub label: String,
    /// The unit they read.
    pub unit_name: String,
    /// A staff token the gateway accepts.
    pub token: String,
}

/// What the cockpit serves besides its files.
#[derive(Clone, Debug, Default)]
pub struct CockpitConfig {
    /// A directory of boundary files `<division code>.json`, looked in before the maps
    /// shipped with the hub.
    pub maps_dir: Option<PathBuf>,
    /// The one-click sign-ins of a demo run.
    pub demo_sign_ins: Vec<DemoSignIn>,
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "cockpit.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../cockpit/cockpit.js"),
    },
    Asset {
        name: "cockpit.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../cockpit/cockpit.css"),
    },
    Asset {
        name: "echarts.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../cockpit/vendor/echarts.min.js"),
    },
];

const INDEX: Asset = Asset {
    name: "index.html",
    content_type: "text/html; charset=utf-8",
    bytes: include_bytes!("../../cockpit/index.html"),
};

/// Boundary files shipped with the hub: the demo city's schematic map.
const MAPS: &[Asset] = &[Asset {
    name: "510700",
    content_type: "application/geo+json",
    bytes: include_bytes!("../../cockpit/maps/510700.json"),
}];

/// The largest export accepted, and what it may hold.
const MAX_EXPORT_BYTES: usize = 2 * 1024 * 1024;
const MAX_SHEETS: usize = 12;
const MAX_ROWS: usize = 10_000;
const MAX_COLUMNS: usize = 64;

/// What the cockpit's handlers share.
struct Cockpit {
    config: CockpitConfig,
    /// Checks the staff token an export must carry.
    authenticator: Arc<Authenticator>,
}

pub(crate) fn router(config: CockpitConfig, authenticator: Arc<Authenticator>) -> Router {
    Router::new()
        .route("/cockpit", get(index))
        .route(
            "/cockpit/",
            get(|| async { Redirect::permanent("/cockpit") }),
        )
        .route("/cockpit/assets/{name}", get(asset_by_name))
        .route("/cockpit/maps/{file}", get(map))
        .route("/cockpit/sign-ins", get(sign_ins))
        .route("/cockpit/export", post(export))
        .with_state(Arc::new(Cockpit {
            config,
            authenticator,
        }))
}

async fn index(headers: HeaderMap) -> Response {
    assets::page(&INDEX, &headers)
}

async fn asset_by_name(Path(name): Path<String>, headers: HeaderMap) -> Response {
    assets::serve_named(ASSETS, &name, &headers)
}

/// `GET /cockpit/maps/{code}.json`: the boundaries of the division's children.
async fn map(
    State(cockpit): State<Arc<Cockpit>>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let not_found = || (StatusCode::NOT_FOUND, "没有该行政区划的边界数据。").into_response();
    // Division codes only: nothing else can name a file.
    let Some(code) = file
        .strip_suffix(".json")
        .filter(|code| (6..=12).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit()))
    else {
        return not_found();
    };
    if let Some(dir) = &cockpit.config.maps_dir {
        match tokio::fs::read(dir.join(format!("{code}.json"))).await {
            Ok(bytes) => return assets::serve_bytes("application/geo+json", bytes, &headers),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => {
                tracing::warn!(error = %err, code, "reading a boundary file failed");
            }
        }
    }
    match MAPS.iter().find(|map| map.name == code) {
        Some(found) => assets::serve(found, &headers),
        None => not_found(),
    }
}

async fn sign_ins(State(cockpit): State<Arc<Cockpit>>) -> Response {
    (
        [(CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(serde_json::json!({ "demo": cockpit.config.demo_sign_ins })),
    )
        .into_response()
}

/// What the page exports: its panels as tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Export {
    title: String,
    /// Label and value of each filter in force.
    #[serde(default)]
    filters: Vec<(String, String)>,
    sheets: Vec<Sheet>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sheet {
    name: String,
    columns: Vec<String>,
    rows: Vec<Vec<Cell>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Cell {
    Number(f64),
    Text(String),
    Empty(()),
}

/// A refusal of an export, with a stable code and a message for people.
fn export_refused(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(serde_json::json!({ "error": { "code": code, "message": message } })),
    )
        .into_response()
}

/// `POST /cockpit/export`: the workbook of the panels sent, for signed-in staff.
async fn export(State(cockpit): State<Arc<Cockpit>>, headers: HeaderMap, body: Body) -> Response {
    let signed_in = cockpit
        .authenticator
        .authenticate(&headers)
        .await
        .is_ok_and(|identity| identity.role != Role::Anonymous);
    if !signed_in {
        return export_refused(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "请先登录：导出需要有效的身份令牌。",
        );
    }
    let is_json = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim_start().starts_with("application/json"));
    if !is_json {
        return export_refused(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "导出请求须为 application/json。",
        );
    }
    let bytes: Bytes = match axum::body::to_bytes(body, MAX_EXPORT_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return export_refused(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                "导出的内容过大。",
            )
        }
    };
    let export: Export = match serde_json::from_slice(&bytes) {
        Ok(export) => export,
        Err(err) => {
            return export_refused(
                StatusCode::BAD_REQUEST,
                "BAD_EXPORT",
                &format!("导出内容格式不正确：{err}"),
            )
        }
    };
    if export.sheets.is_empty()
        || export.sheets.len() > MAX_SHEETS
        || export
            .sheets
            .iter()
            .any(|sheet| sheet.rows.len() > MAX_ROWS || sheet.columns.len() > MAX_COLUMNS)
        || export
            .sheets
            .iter()
            .any(|sheet| sheet.rows.iter().any(|row| row.len() > sheet.columns.len()))
    {
        return export_refused(
            StatusCode::BAD_REQUEST,
            "BAD_EXPORT",
            &format!(
                "导出须有 1 至 {MAX_SHEETS} 张表，每张表至多 {MAX_ROWS} 行、{MAX_COLUMNS} 列，每行不多于表头的列数。"
            ),
        );
    }
    let exported_at = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset"));
    match workbook(
        &export,
        &exported_at.format("%Y-%m-%d %H:%M:%S").to_string(),
    ) {
        Ok(bytes) => {
            let file = format!("驾驶舱-{}.xlsx", exported_at.format("%Y%m%d-%H%M%S"));
            (
                [
                    (
                        CONTENT_TYPE,
                        HeaderValue::from_static(
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        ),
                    ),
                    (
                        CONTENT_DISPOSITION,
                        HeaderValue::from_str(&format!(
                            "attachment; filename=\"cockpit.xlsx\"; filename*=UTF-8''{}",
                            percent_encode(&file)
                        ))
                        .expect("a percent-encoded name is a valid header value"),
                    ),
                    (CACHE_CONTROL, HeaderValue::from_static("no-store")),
                ],
                bytes,
            )
                .into_response()
        }
        Err(err) => {
            tracing::warn!(error = %err, "writing an export failed");
            export_refused(
                StatusCode::BAD_REQUEST,
                "BAD_EXPORT",
                &format!("无法生成 Excel 文件：{err}"),
            )
        }
    }
}

/// RFC 5987 percent-encoding of a file name.
fn percent_encode(name: &str) -> String {
    name.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// A name Excel accepts for a sheet: at most 31 characters, none of `[]:*?/\`, unique.
fn sheet_name(name: &str, taken: &[String]) -> String {
    let clean: String = name
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .take(28)
        .collect();
    let clean = if clean.trim().is_empty() {
        "表".to_string()
    } else {
        clean
    };
    let mut candidate = clean.clone();
    let mut n = 2;
    while taken.iter().any(|t| t.eq_ignore_ascii_case(&candidate)) {
        candidate = format!("{clean}{n}");
        n += 1;
    }
    candidate
}

/// The workbook: per sheet the title, the time of export and the filters, then the table.
fn workbook(export: &Export, exported_at: &str) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut workbook = Workbook::new();
    let title = Format::new().set_bold().set_font_size(14);
    let label = Format::new().set_font_color("#6B7280");
    let header = Format::new()
        .set_bold()
        .set_background_color("#F3F4F6")
        .set_border_bottom(rust_xlsxwriter::FormatBorder::Thin);
    let mut taken: Vec<String> = Vec::new();
    for sheet in &export.sheets {
        let name = sheet_name(&sheet.name, &taken);
        taken.push(name.clone());
        let worksheet = workbook.add_worksheet();
        worksheet.set_name(&name)?;
        worksheet.write_string_with_format(0, 0, &export.title, &title)?;
        worksheet.write_string_with_format(1, 0, "导出时间", &label)?;
        worksheet.write_string(1, 1, format!("{exported_at}（北京时间）"))?;
        let mut row: u32 = 2;
        for (key, value) in &export.filters {
            worksheet.write_string_with_format(row, 0, key, &label)?;
            worksheet.write_string(row, 1, value)?;
            row += 1;
        }
        row += 1;
        let mut widths: Vec<usize> = sheet.columns.iter().map(|c| display_width(c)).collect();
        for (column, name) in sheet.columns.iter().enumerate() {
            worksheet.write_string_with_format(row, column as u16, name, &header)?;
        }
        worksheet.set_freeze_panes(row + 1, 0)?;
        for cells in &sheet.rows {
            row += 1;
            for (column, cell) in cells.iter().enumerate() {
                match cell {
                    Cell::Number(number) => {
                        worksheet.write_number(row, column as u16, *number)?;
                        widths[column] = widths[column].max(number.to_string().len());
                    }
                    Cell::Text(text) => {
                        worksheet.write_string(row, column as u16, text)?;
                        widths[column] = widths[column].max(display_width(text));
                    }
                    Cell::Empty(()) => {}
                }
            }
        }
        for (column, width) in widths.iter().enumerate() {
            worksheet.set_column_width(column as u16, (*width).clamp(8, 40) as f64 + 2.0)?;
        }
    }
    workbook.save_to_buffer()
}

/// Roughly how many character cells a text takes: a Chinese character two.
fn display_width(text: &str) -> usize {
    text.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_what_excel_accepts() {
        let taken = vec!["核心指标".to_string()];
        assert_eq!(sheet_name("核心指标", &taken), "核心指标2");
        assert_eq!(sheet_name("a/b:c", &[]), "a_b_c");
        assert_eq!(sheet_name("  ", &[]), "表");
        assert!(sheet_name(&"长".repeat(40), &[]).chars().count() <= 31);
    }

    #[test]
    fn file_names_are_percent_encoded() {
        assert_eq!(
            percent_encode("驾驶舱-1.xlsx"),
            "%E9%A9%BE%E9%A9%B6%E8%88%B1-1.xlsx"
        );
    }
}
