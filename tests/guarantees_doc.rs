//! Keeps `docs/guarantees.md` true to the code: every test it cites as proof
//! (`path/file.rs::name`, and the `::name` shorthands that follow a path in the same
//! cell) must exist as a function in that file, and every file it cites must exist.

use std::path::Path;

#[test]
fn every_cited_test_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/guarantees.md")).unwrap();
    let mut checked = 0;
    let mut missing = Vec::new();
    for line in doc.lines().filter(|l| l.starts_with('|')) {
        for cell in line.split('|') {
            // Within a cell, `a.rs::x`, then `::y` (same file as the last path).
            let mut file: Option<String> = None;
            for token in cell.split('`').skip(1).step_by(2) {
                let (path, name) = match token.split_once("::") {
                    Some((path, name)) if path.ends_with(".rs") => (Some(path), name),
                    Some(("", name)) => (None, name),
                    _ if token.ends_with(".rs") && !token.contains('*') => {
                        if !root.join(token).exists() {
                            missing.push(format!("file {token}"));
                        }
                        file = Some(token.to_string());
                        continue;
                    }
                    _ => continue,
                };
                if let Some(path) = path {
                    file = Some(path.to_string());
                }
                let Some(file) = &file else { continue };
                let source = std::fs::read_to_string(root.join(file))
                    .unwrap_or_else(|_| panic!("cited file {file} does not exist"));
                let name = name.trim_end_matches("()");
                if !source.contains(&format!("fn {name}(")) {
                    missing.push(format!("{file}::{name}"));
                }
                checked += 1;
            }
        }
    }
    assert!(
        missing.is_empty(),
        "docs/guarantees.md cites missing tests: {missing:#?}"
    );
    assert!(
        checked > 50,
        "only {checked} citations found: is the table format intact?"
    );
}

#[test]
fn every_cited_fuzz_target_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/guarantees.md")).unwrap();
    let mut targets = 0;
    for piece in doc.split("fuzz `").skip(1) {
        let name = piece.split('`').next().unwrap();
        if name == "name" {
            continue; // the legend
        }
        let path = root.join("fuzz/fuzz_targets").join(format!("{name}.rs"));
        assert!(
            path.exists(),
            "docs/guarantees.md cites fuzz target {name}, not in fuzz/"
        );
        targets += 1;
    }
    assert!(targets >= 8, "{targets}");
}
