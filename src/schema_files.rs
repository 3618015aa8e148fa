//! `schema/`: each subgraph's exported SDL and the supergraph composed from them.
//!
//! Composition uses the `graphql-composition` crate: it is Rust (no Node.js toolchain in the
//! build or in CI), MPL-2.0, and emits a standard Federation v2 supergraph (`@link join/v0.3`).
//! It leaves out `@join__type` on the root operation types, which query planners need to know
//! which subgraphs serve root fields, so [`compose`] adds one per subgraph that contributes a
//! root field.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};

use crate::subgraphs::Subgraph;

/// The file that holds `subgraph`'s SDL.
pub fn sdl_path(dir: &Path, subgraph: Subgraph) -> PathBuf {
    dir.join(format!("{}.graphql", subgraph.name()))
}

pub fn supergraph_path(dir: &Path) -> PathBuf {
    dir.join("supergraph.graphql")
}

/// Every file of `schema/` as it should be: (path, contents).
pub fn expected_files(dir: &Path) -> anyhow::Result<Vec<(PathBuf, String)>> {
    let sdls: Vec<(Subgraph, String)> = Subgraph::ALL
        .iter()
        .map(|subgraph| (*subgraph, subgraph.sdl()))
        .collect();
    let supergraph = compose(&sdls)?;
    let mut files: Vec<(PathBuf, String)> = sdls
        .into_iter()
        .map(|(subgraph, sdl)| (sdl_path(dir, subgraph), sdl))
        .collect();
    files.push((supergraph_path(dir), supergraph));
    Ok(files)
}

/// Writes the SDLs and the supergraph; returns the files that changed.
pub fn write(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("Failed to create {}", dir.display()))?;
    let mut changed = Vec::new();
    for (path, contents) in expected_files(dir)? {
        if std::fs::read_to_string(&path).ok().as_deref() != Some(contents.as_str()) {
            std::fs::write(&path, contents)
                .with_context(|| format!("Failed to write {}", path.display()))?;
            changed.push(path);
        }
    }
    Ok(changed)
}

/// The files of `dir` that differ from what the code would write.
pub fn stale(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    Ok(expected_files(dir)?
        .into_iter()
        .filter(|(path, contents)| {
            std::fs::read_to_string(path).ok().as_deref() != Some(contents.as_str())
        })
        .map(|(path, _)| path)
        .collect())
}

/// Composes the subgraphs' SDLs into a supergraph whose subgraph URLs are their default
/// listen addresses (a gateway overrides them per deployment).
pub fn compose(sdls: &[(Subgraph, String)]) -> anyhow::Result<String> {
    let mut subgraphs = graphql_composition::Subgraphs::default();
    for (subgraph, sdl) in sdls {
        let url = format!("http://{}/graphql", subgraph.default_listen());
        subgraphs
            .ingest_str(sdl, subgraph.name(), Some(&url))
            .map_err(|err| anyhow::anyhow!("the {subgraph} SDL does not parse: {err:?}"))?;
    }
    let result = graphql_composition::compose(&mut subgraphs);
    let messages: Vec<String> = result
        .diagnostics()
        .iter_messages()
        .map(str::to_string)
        .collect();
    let graph = match result.into_result() {
        Ok(graph) => graph,
        Err(_) => bail!("composition failed:\n{}", messages.join("\n")),
    };
    for message in &messages {
        tracing::warn!(message, "composition");
    }
    let supergraph = graphql_composition::render_federated_sdl(&graph)
        .context("Failed to render the supergraph")?;
    Ok(add_root_join_types(&supergraph))
}

/// Adds `@join__type(graph: …)` to `Query` and `Mutation` for every subgraph that serves one
/// of their fields (found through the fields' `@join__field(graph: …)`).
fn add_root_join_types(supergraph: &str) -> String {
    let mut out = String::with_capacity(supergraph.len() + 512);
    let mut lines = supergraph.lines().peekable();
    while let Some(line) = lines.next() {
        out.push_str(line);
        out.push('\n');
        if line != "type Query" && line != "type Mutation" {
            continue;
        }
        let mut body = Vec::new();
        for line in lines.by_ref() {
            body.push(line);
            if line == "}" {
                break;
            }
        }
        let graphs: BTreeSet<&str> = body
            .iter()
            .filter_map(|line| line.split("@join__field(graph: ").nth(1))
            .filter_map(|rest| rest.split([',', ')']).next())
            .collect();
        let already: BTreeSet<&str> = body
            .iter()
            .filter_map(|line| line.trim().strip_prefix("@join__type(graph: "))
            .filter_map(|rest| rest.split([',', ')']).next())
            .collect();
        for graph in graphs.difference(&already) {
            out.push_str(&format!("  @join__type(graph: {graph})\n"));
        }
        for line in body {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::add_root_join_types;

    #[test]
    fn root_types_gain_a_join_type_per_contributing_subgraph() {
        let supergraph = "type Query\n{\n  a: Int @join__field(graph: ONE)\n  b: Int @join__field(graph: TWO)\n  c: Int @join__field(graph: ONE)\n}\n\ntype Other\n{\n  x: Int @join__field(graph: ONE)\n}\n";
        assert_eq!(
            add_root_join_types(supergraph),
            "type Query\n  @join__type(graph: ONE)\n  @join__type(graph: TWO)\n{\n  a: Int @join__field(graph: ONE)\n  b: Int @join__field(graph: TWO)\n  c: Int @join__field(graph: ONE)\n}\n\ntype Other\n{\n  x: Int @join__field(graph: ONE)\n}\n"
        );
    }
}
