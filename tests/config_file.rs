//! The configuration file: `kexie config check` accepts the example and refuses a
//! misspelled key or a bad value by its path; a file fills in the environment, and a
//! variable that is set wins; the published JSON Schema is the one the binary writes.

use std::path::PathBuf;
use std::process::Output;

use jsonwebtoken::{DecodingKey, Validation};
use serde_json::Value;

fn kexie(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_kexie"));
    command.args(args).env_remove("KEXIE_CONFIG");
    for name in [
        "GATEWAY_JWT_HS256_SECRET",
        "GATEWAY_JWT_AUDIENCE",
        "RUST_LOG",
    ] {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    command.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Writes `contents` to a file of its own; returns its path.
fn file(contents: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("kexie-config-{}.yaml", uuid::Uuid::now_v7()));
    std::fs::write(&path, contents).unwrap();
    path
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_example_file_is_valid() {
    let example = root().join("docs/config.example.yaml");
    let output = kexie(&["config", "check", example.to_str().unwrap()], &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("all valid"),
        "{}",
        text(&output.stdout)
    );
}

#[test]
fn a_misspelled_key_or_a_bad_value_is_refused_naming_it() {
    // (file, what the error says, whether reading the file finds it — then any command
    // given the file stops before it starts — or only the check of the values does).
    for (contents, expected, structural) in [
        (
            "gateway:\n  cors_orgins: [\"https://a.example\"]\n",
            "gateway.cors_orgins: unknown key (did you mean cors_origins?)",
            true,
        ),
        (
            "gatway:\n  listen: 0.0.0.0:4000\n",
            "gatway: unknown section (did you mean gateway?)",
            true,
        ),
        (
            "subgraph:\n  talent:\n    timout_ms: 10\n",
            "subgraph.talent.timout_ms: unknown key",
            true,
        ),
        (
            "gateway:\n  listen: [a, b]\n",
            "gateway.listen: takes one value, not a list",
            true,
        ),
        ("gateway:\n  max_cost: lots\n", "--max-cost", false),
        (
            "subgraph:\n  talent:\n    timeout_ms: -5\n",
            "SUBGRAPH_TALENT_TIMEOUT_MS",
            false,
        ),
        ("log:\n  format: xml\n", "LOG_FORMAT", false),
    ] {
        let path = file(contents);
        let output = kexie(&["config", "check", path.to_str().unwrap()], &[]);
        assert!(!output.status.success(), "{contents} was accepted");
        let stderr = text(&output.stderr);
        assert!(stderr.contains(expected), "{contents}: {stderr}");
        if structural {
            let output = kexie(
                &["--config", path.to_str().unwrap(), "gateway", "--help"],
                &[],
            );
            assert!(!output.status.success(), "{contents}");
            assert!(text(&output.stderr).contains(expected), "{contents}");
        }
        std::fs::remove_file(path).unwrap();
    }
}

/// The claims of a staff token `kexie token` printed, checked with `secret` and `audience`.
fn claims(token: &str, secret: &str, audience: &str) -> Value {
    let mut validation = Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_audience(&[audience]);
    jsonwebtoken::decode::<Value>(
        token.trim(),
        &DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    )
    .unwrap_or_else(|err| panic!("{token}: {err}"))
    .claims
}

#[test]
fn the_file_fills_in_the_environment_and_a_set_variable_wins() {
    let path = file(
        "gateway:\n  jwt_hs256_secret: secret-of-the-file\n  jwt_audience: audience-of-the-file\n",
    );
    let token_args = |config: &str| {
        vec![
            "--config".to_string(),
            config.to_string(),
            "token".to_string(),
            "--subject".to_string(),
            "li.na".to_string(),
            "--role".to_string(),
            "leadership".to_string(),
            "--unit".to_string(),
            "0195a3c4-8f00-7c3a-9d5e-3b2f1a4c5d6e".to_string(),
        ]
    };
    let args = token_args(path.to_str().unwrap());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();

    let output = kexie(&args, &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let token = text(&output.stdout);
    assert_eq!(
        claims(&token, "secret-of-the-file", "audience-of-the-file")["sub"],
        "li.na"
    );

    // The environment overrides the file, key by key.
    let output = kexie(
        &args,
        &[("GATEWAY_JWT_AUDIENCE", "audience-of-the-environment")],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let token = text(&output.stdout);
    claims(&token, "secret-of-the-file", "audience-of-the-environment");

    // KEXIE_CONFIG names the file as well as --config does.
    let output = kexie(&args[2..], &[("KEXIE_CONFIG", path.to_str().unwrap())]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    claims(
        &text(&output.stdout),
        "secret-of-the-file",
        "audience-of-the-file",
    );
    std::fs::remove_file(path).unwrap();
}

#[test]
fn the_published_schema_is_the_one_the_binary_writes() {
    let schema = root().join("schema/config.schema.json");
    let output = kexie(
        &[
            "config",
            "schema",
            "--check",
            "--output",
            schema.to_str().unwrap(),
        ],
        &[],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    // Every key the example uses is in the schema, where editors look for it.
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(schema).unwrap()).unwrap();
    let gateway = &schema["properties"]["gateway"]["properties"];
    for key in [
        "listen",
        "cors_origins",
        "max_cost",
        "tls_ca_file",
        "jwks_url",
    ] {
        assert!(gateway.get(key).is_some(), "gateway.{key} is missing");
    }
    assert_eq!(
        schema["properties"]["gateway"]["additionalProperties"],
        false
    );
    assert!(
        schema["properties"]["subgraph"]["additionalProperties"]["properties"]["ca_file"]
            .is_object()
    );
    assert!(schema["properties"]["database"]["properties"]["url"].is_object());
}
