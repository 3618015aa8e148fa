//! Every kind of record an error names (`NOT_FOUND`, `CONFLICT`, `ILLEGAL_TRANSITION`) has
//! its Chinese name in `labels::RECORDS`, so that no Chinese message shows an English type.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            found.push(path);
        }
    }
}

/// The string literals that follow `marker` in `text`.
fn literals_after<'a>(text: &'a str, marker: &str) -> Vec<&'a str> {
    text.match_indices(marker)
        .filter_map(|(at, _)| {
            let rest = text[at + marker.len()..].trim_start();
            let rest = rest.strip_prefix('"')?;
            Some(&rest[..rest.find('"')?])
        })
        .collect()
}

#[test]
fn every_record_an_error_names_has_a_chinese_name() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    rust_files(&root.join("services"), &mut files);
    rust_files(&root.join("crates/subgraph-kit/src"), &mut files);
    let mut named = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for marker in ["not_found(", "entity: "] {
            named.extend(
                literals_after(&text, marker)
                    .into_iter()
                    .map(|record| (record.to_string(), file.display().to_string())),
            );
        }
    }
    assert!(named.len() > 50, "too few records found: {named:?}");
    let unnamed: Vec<_> = named
        .iter()
        .filter(|(record, _)| kexie_subgraph_kit::labels::record_label(record) == record)
        .collect();
    assert!(
        unnamed.is_empty(),
        "no Chinese name in labels::RECORDS for {unnamed:?}"
    );
}
