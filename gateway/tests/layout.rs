//! The gateway's source keeps the shape `gateway/README.md` describes: no module imports one
//! that (directly or through others) imports it back, file by file, so a request's way
//! through `http/`, `identity/`, `pipeline/` and `cache/` only goes forward.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, as its module path (`pipeline::execute::transport`).
fn modules(dir: &Path, prefix: &str, out: &mut BTreeMap<String, String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if path.is_dir() {
            let prefix = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}::{name}")
            };
            modules(&path, &prefix, out);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            let module = match (prefix, name.as_str()) {
                ("", "lib" | "main") => "crate".to_string(),
                ("", _) => name,
                (_, "mod") => prefix.to_string(),
                _ => format!("{prefix}::{name}"),
            };
            out.insert(module, std::fs::read_to_string(&path).unwrap());
        }
    }
}

/// The modules `source` (of `module`) imports: `crate::…` paths and its own submodules,
/// outside comments and unit tests.
fn imports(module: &str, source: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
    let code = source.split("#[cfg(test)]").next().unwrap_or_default();
    let mut found = BTreeSet::new();
    for line in code
        .lines()
        .map(str::trim)
        .filter(|line| !line.starts_with("//"))
    {
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let path: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let parts: Vec<&str> = path.split("::").filter(|part| !part.is_empty()).collect();
            let target = (1..=parts.len())
                .rev()
                .map(|len| parts[..len].join("::"))
                .find(|candidate| known.contains(candidate));
            if let Some(target) = target.filter(|target| target != module) {
                found.insert(target);
            }
        }
        if let Some(used) = line.strip_prefix("use ") {
            let first = used.split("::").next().unwrap_or_default();
            let child = if module == "crate" {
                first.to_string()
            } else {
                format!("{module}::{first}")
            };
            if known.contains(&child) {
                found.insert(child);
            }
        }
    }
    found
}

#[test]
fn no_module_of_the_gateway_imports_one_that_imports_it_back() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../src");
    let mut sources = BTreeMap::new();
    modules(&src, "", &mut sources);
    let known: BTreeSet<String> = sources.keys().cloned().collect();
    let graph: BTreeMap<&str, BTreeSet<String>> = sources
        .iter()
        .map(|(module, source)| (module.as_str(), imports(module, source, &known)))
        .collect();
    // Depth-first from every module; a module met again on the current path closes a circle.
    fn visit<'a>(
        module: &'a str,
        graph: &'a BTreeMap<&str, BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|on_path| *on_path == module) {
            let mut circle: Vec<String> = path[at..].iter().map(|m| m.to_string()).collect();
            circle.push(module.to_string());
            return Some(circle);
        }
        if !done.insert(module) {
            return None;
        }
        path.push(module);
        for next in graph.get(module).into_iter().flatten() {
            if let Some(circle) = visit(next.as_str(), graph, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for module in graph.keys() {
        let circle = visit(module, &graph, &mut Vec::new(), &mut done);
        assert!(
            circle.is_none(),
            "import circle: {}",
            circle.unwrap().join(" → ")
        );
    }
    assert!(
        graph.len() > 30,
        "the source was found: {} modules",
        graph.len()
    );
}
