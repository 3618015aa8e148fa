//! The configuration file (`kexie --config FILE …` or `KEXIE_CONFIG=FILE`): YAML whose keys
//! are the hub's environment variables, grouped by their first word.
//!
//! A variable's key is its name in lower case, its first word the section:
//! `GATEWAY_CORS_ORIGINS` is `cors_origins` under `gateway`, `DATABASE_URL` is `url` under
//! `database`. The variables of one subgraph seen from the gateway
//! (`SUBGRAPH_<NAME>_URL`, `…_TIMEOUT_MS`, `…_CA_FILE`, `…_CLIENT_CERT_FILE`,
//! `…_CLIENT_KEY_FILE`, `…_FORWARD_HEADERS`, `…_INSERT_HEADERS`, `…_REMOVE_HEADERS`) are
//! `url` … under the subgraph's name under `subgraph`. A list is
//! what a comma-separated variable holds.
//!
//! The file fills in what the environment leaves unset: a variable that is set wins over the
//! file, and a command-line flag over both. Every variable that works without a file works
//! the same with one. Any key that is not one of these variables is an error naming its
//! path; so is a value that is not a scalar or a list of scalars. `kexie config check FILE`
//! also runs the commands' own validation over the result, and `kexie config schema` writes
//! the JSON Schema of the file (schema/config.schema.json), built from the same list of
//! variables the check uses.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use serde_json::{json, Map, Value as Json};
use serde_yaml_ng::Value as Yaml;

use crate::subgraphs::Subgraph;

/// The variable naming the configuration file when `--config` is not given.
pub const CONFIG_VARIABLE: &str = "KEXIE_CONFIG";

/// Keys of one subgraph under `subgraph.<name>`, what each sets, and whether it is a list.
const SUBGRAPH_KEYS: [(&str, &str, bool); 8] = [
    ("url", "where the gateway finds this subgraph, overriding the supergraph's URL", false),
    ("timeout_ms", "the timeout of one request to this subgraph, in milliseconds", false),
    ("ca_file", "a PEM bundle of CA certificates trusted for this subgraph besides the others", false),
    ("client_cert_file", "the client certificate (PEM) presented to this subgraph (mTLS)", false),
    ("client_key_file", "the private key (PEM) of that client certificate", false),
    ("forward_headers", "client headers passed on to this subgraph besides the gateway's (client-name:sent-name renames)", true),
    ("insert_headers", "name=value headers sent to this subgraph (replacing the gateway's of the same name)", true),
    ("remove_headers", "headers not sent to this subgraph", true),
];

/// Variables read from the environment outside the commands' flags, with what they set.
fn other_variables() -> Vec<(String, String)> {
    let mut variables: Vec<(String, String)> = [
        ("DATABASE_URL", "the PostgreSQL database of every subgraph"),
        (
            "REDIS_URL",
            "the Redis of data versions, the response cache and partner keys' counts",
        ),
        (
            "REDIS_NAMESPACE",
            "the prefix of every Redis key of this hub",
        ),
        (
            kexie_contract::principal::SECRET_VARIABLE,
            "the secret the gateway signs principals with and the subgraphs verify them with",
        ),
        (
            "WEBHOOK_FIRST_RETRY_MS",
            "the wait before a failed webhook delivery's first retry, doubling after (10000)",
        ),
        (
            "WEBHOOK_MAX_RETRY_MS",
            "the longest wait between two attempts of a webhook delivery (3600000)",
        ),
        (
            "WEBHOOK_RETRY_FOR_SECONDS",
            "how long a webhook delivery is retried before it is FAILED (86400)",
        ),
        (
            "WEBHOOK_TIMEOUT_MS",
            "how long a subscriber's endpoint may take to answer (10000)",
        ),
        (
            "WEBHOOK_ALLOW_PRIVATE_TARGETS",
            "true lets subscriptions name http:// and loopback or private addresses (internal systems)",
        ),
        ("LOG_FORMAT", "text or json"),
        ("RUST_LOG", "which log lines are written (a tracing filter)"),
        ("OTEL_SERVICE_NAME", "service.name of the exported spans"),
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "the OpenTelemetry collector (http:// or https://)",
        ),
        (
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "the full URL traces are sent to",
        ),
        (
            "OTEL_EXPORTER_OTLP_PROTOCOL",
            "http/protobuf, the only transport built in",
        ),
        (
            "OTEL_EXPORTER_OTLP_TIMEOUT",
            "how long one export may take, in milliseconds",
        ),
        (
            "OTEL_EXPORTER_OTLP_HEADERS",
            "headers sent with every export (key=value,…)",
        ),
        (
            "OTEL_EXPORTER_OTLP_CERTIFICATE",
            "CA certificates (PEM) trusted for an https:// collector",
        ),
        (
            "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
            "the client certificate (PEM) presented to the collector",
        ),
        (
            "OTEL_EXPORTER_OTLP_CLIENT_KEY",
            "the private key (PEM) of that client certificate",
        ),
        ("OTEL_TRACES_SAMPLER", "the trace sampler"),
        ("OTEL_TRACES_SAMPLER_ARG", "the sampler's argument"),
        (
            "OTEL_RESOURCE_ATTRIBUTES",
            "resource attributes of the exported spans (key=value,…)",
        ),
    ]
    .into_iter()
    .map(|(name, help)| (name.to_string(), help.to_string()))
    .collect();
    for subgraph in Subgraph::ALL {
        variables.push((
            format!("{}_LISTEN", subgraph.name().to_ascii_uppercase()),
            format!("where the {} subgraph serves HTTP", subgraph.name()),
        ));
    }
    variables
}

/// What one variable is, for the check and the schema.
#[derive(Clone, Debug, Default)]
struct Variable {
    help: String,
    default: Option<String>,
    /// Takes `true` or `false`.
    boolean: bool,
    /// Holds a comma-separated list.
    list: bool,
}

/// Every variable a file may set, by name: the commands' flags' variables and the others.
fn variables(command: &clap::Command) -> BTreeMap<String, Variable> {
    fn walk(command: &clap::Command, found: &mut BTreeMap<String, Variable>) {
        for arg in command.get_arguments() {
            let Some(name) = arg.get_env().and_then(|name| name.to_str()) else {
                continue;
            };
            if name == CONFIG_VARIABLE {
                continue;
            }
            let possible: Vec<String> = arg
                .get_possible_values()
                .iter()
                .map(|value| value.get_name().to_string())
                .collect();
            let defaults: Vec<String> = arg
                .get_default_values()
                .iter()
                .filter_map(|value| value.to_str().map(str::to_string))
                .collect();
            found.entry(name.to_string()).or_insert_with(|| Variable {
                help: arg
                    .get_help()
                    .map(|help| help.to_string())
                    .unwrap_or_default(),
                default: (!defaults.is_empty()).then(|| defaults.join(",")),
                boolean: possible == ["true", "false"],
                list: arg.get_value_delimiter().is_some(),
            });
        }
        for subcommand in command.get_subcommands() {
            walk(subcommand, found);
        }
    }
    let mut found = BTreeMap::new();
    walk(command, &mut found);
    for (name, help) in other_variables() {
        found.entry(name).or_insert(Variable {
            help,
            ..Variable::default()
        });
    }
    found
}

/// The section and key of a variable (`GATEWAY_CORS_ORIGINS` → `gateway`, `cors_origins`).
fn section_and_key(variable: &str) -> Option<(String, String)> {
    let (section, key) = variable.split_once('_')?;
    Some((section.to_ascii_lowercase(), key.to_ascii_lowercase()))
}

/// A scalar's text as a variable holds it.
fn scalar(path: &str, value: &Yaml) -> anyhow::Result<String> {
    Ok(match value {
        Yaml::String(text) => text.clone(),
        Yaml::Bool(flag) => flag.to_string(),
        Yaml::Number(number) => number.to_string(),
        Yaml::Null => bail!("{path}: no value (remove the key to leave it unset)"),
        _ => bail!("{path}: must be a string, a number or true/false"),
    })
}

/// A leaf's value as the variable holds it: a scalar, or a list joined by commas.
fn leaf(path: &str, value: &Yaml, variable: &Variable) -> anyhow::Result<String> {
    match value {
        Yaml::Sequence(items) if variable.list => items
            .iter()
            .enumerate()
            .map(|(index, item)| scalar(&format!("{path}[{index}]"), item))
            .collect::<anyhow::Result<Vec<_>>>()
            .map(|items| items.join(",")),
        Yaml::Sequence(_) => bail!("{path}: takes one value, not a list"),
        Yaml::Mapping(_) => bail!("{path}: takes a value, not a section"),
        value => scalar(path, value),
    }
}

fn mapping<'a>(path: &str, value: &'a Yaml) -> anyhow::Result<Vec<(String, &'a Yaml)>> {
    let Yaml::Mapping(entries) = value else {
        bail!("{path}: must be a section (key: value lines)");
    };
    entries
        .iter()
        .map(|(key, value)| match key {
            Yaml::String(key) => Ok((key.clone(), value)),
            other => bail!("{path}: the key {other:?} is not a name"),
        })
        .collect()
}

/// ` (did you mean …?)` with the candidate closest to `key`, when one is close.
fn suggestion<'a>(key: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    candidates
        .into_iter()
        .map(|candidate| (strsim::levenshtein(key, candidate), candidate))
        .filter(|(distance, _)| *distance <= 3)
        .min()
        .map(|(_, candidate)| format!(" (did you mean {candidate}?)"))
        .unwrap_or_default()
}

fn joined(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The variables `text` (a configuration file's contents) sets, by name; an error names the
/// first key or value that is wrong, by its path.
pub fn settings(text: &str, command: &clap::Command) -> anyhow::Result<BTreeMap<String, String>> {
    let document: Yaml = serde_yaml_ng::from_str(text).context("not a YAML document")?;
    let known = variables(command);
    let mut sections: BTreeMap<String, BTreeMap<String, (&String, &Variable)>> = BTreeMap::new();
    for (name, variable) in &known {
        if let Some((section, key)) = section_and_key(name) {
            sections
                .entry(section)
                .or_default()
                .insert(key, (name, variable));
        }
    }
    let mut settings = BTreeMap::new();
    if matches!(document, Yaml::Null) {
        return Ok(settings);
    }
    for (section, value) in mapping("", &document)? {
        if section == "subgraph" {
            for (subgraph, value) in mapping(&section, value)? {
                let path = joined(&section, &subgraph);
                let subgraph_key = subgraph
                    .to_ascii_uppercase()
                    .replace(|c: char| !c.is_ascii_alphanumeric(), "_");
                for (key, value) in mapping(&path, value)? {
                    let path = joined(&path, &key);
                    let Some((_, _, list)) =
                        SUBGRAPH_KEYS.iter().find(|(known, _, _)| *known == key)
                    else {
                        bail!(
                            "{path}: unknown key{}; a subgraph takes {}",
                            suggestion(&key, SUBGRAPH_KEYS.map(|(key, _, _)| key)),
                            SUBGRAPH_KEYS.map(|(key, _, _)| key).join(", ")
                        );
                    };
                    let variable = Variable {
                        list: *list,
                        ..Variable::default()
                    };
                    let name = format!("SUBGRAPH_{subgraph_key}_{}", key.to_ascii_uppercase());
                    settings.insert(name, leaf(&path, value, &variable)?);
                }
            }
            continue;
        }
        let Some(keys) = sections.get(&section) else {
            bail!(
                "{section}: unknown section{}; the sections are {}",
                suggestion(
                    &section,
                    sections.keys().map(String::as_str).chain(["subgraph"])
                ),
                sections
                    .keys()
                    .map(String::as_str)
                    .chain(["subgraph"])
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        };
        for (key, value) in mapping(&section, value)? {
            let path = joined(&section, &key);
            let Some((name, variable)) = keys.get(&key) else {
                bail!(
                    "{path}: unknown key{}",
                    suggestion(&key, keys.keys().map(String::as_str))
                );
            };
            settings.insert((*name).clone(), leaf(&path, value, variable)?);
        }
    }
    Ok(settings)
}

/// The file named by `--config FILE` (or `--config=FILE`) among `args`, else by
/// [`CONFIG_VARIABLE`].
pub fn path_of(args: &[String]) -> Option<PathBuf> {
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg == "--config" {
            return args.next().map(PathBuf::from);
        }
        if let Some(path) = arg.strip_prefix("--config=") {
            return Some(PathBuf::from(path));
        }
    }
    std::env::var_os(CONFIG_VARIABLE)
        .filter(|path| !path.is_empty())
        .map(PathBuf::from)
}

/// Reads the file at `path` into its settings.
pub fn read(path: &Path, command: &clap::Command) -> anyhow::Result<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
    settings(&text, command).with_context(|| format!("in {}", path.display()))
}

/// Sets each of `settings` the environment leaves unset. Call before any thread starts.
pub fn apply(settings: &BTreeMap<String, String>) {
    for (name, value) in settings {
        if std::env::var_os(name).is_none() {
            std::env::set_var(name, value);
        }
    }
}

/// The JSON Schema of the configuration file.
pub fn schema(command: &clap::Command) -> Json {
    let describe = |variable: &Variable, name: &str| {
        let mut property = Map::new();
        let mut description = variable.help.clone();
        if !description.is_empty() && !description.ends_with('.') {
            description.push('.');
        }
        property.insert(
            "description".to_string(),
            json!(format!("{description} Environment: {name}.").trim_start()),
        );
        if variable.boolean {
            property.insert("type".to_string(), json!("boolean"));
        } else if variable.list {
            property.insert("type".to_string(), json!(["array", "string"]));
            property.insert(
                "items".to_string(),
                json!({"type": ["string", "number", "boolean"]}),
            );
        } else {
            property.insert("type".to_string(), json!(["string", "number", "boolean"]));
        }
        if let Some(default) = &variable.default {
            property.insert("default".to_string(), json!(default));
        }
        Json::Object(property)
    };
    let mut sections: BTreeMap<String, Map<String, Json>> = BTreeMap::new();
    for (name, variable) in variables(command) {
        if let Some((section, key)) = section_and_key(&name) {
            sections
                .entry(section)
                .or_default()
                .insert(key, describe(&variable, &name));
        }
    }
    let mut properties: Map<String, Json> = sections
        .into_iter()
        .map(|(section, keys)| {
            (
                section,
                json!({"type": "object", "additionalProperties": false, "properties": keys}),
            )
        })
        .collect();
    let subgraph_keys: Map<String, Json> = SUBGRAPH_KEYS
        .iter()
        .map(|(key, help, list)| {
            let variable = Variable {
                help: help.to_string(),
                list: *list,
                ..Variable::default()
            };
            let name = format!("SUBGRAPH_<NAME>_{}", key.to_ascii_uppercase());
            (key.to_string(), describe(&variable, &name))
        })
        .collect();
    properties.insert(
        "subgraph".to_string(),
        json!({
            "description": "Settings of one subgraph as the gateway sees it, under its name.",
            "type": "object",
            "additionalProperties": {"type": "object", "additionalProperties": false, "properties": subgraph_keys}
        }),
    );
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://kexie.example/schema/config.schema.json",
        "title": "Kexie Hub configuration",
        "description": "kexie --config FILE: every key is an environment variable, lower-cased, its first word the section; a variable that is set overrides the file.",
        "type": "object",
        "additionalProperties": false,
        "properties": properties
    })
}
