//! docs/ARCHITECTURE.md against the tree: a newcomer must find every core module, every sync
//! room, every table and every file the document names where it says. The test fails when a
//! module, a room or a table is added without a line in the document, or when the document
//! names a file that has moved or gone.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("core/ sits in the repository root")
        .to_path_buf()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

fn doc() -> String {
    read("docs/ARCHITECTURE.md")
}

/// Every `` `…` `` span of the text.
fn code_spans(text: &str) -> BTreeSet<String> {
    text.split('`').skip(1).step_by(2).map(str::to_owned).collect()
}

/// Whether the text has a module bullet for `name`: a line starting "- `name`".
fn has_bullet(text: &str, name: &str) -> bool {
    let bullet = format!("- `{name}`");
    text.lines().any(|line| line.trim_start().starts_with(&bullet))
}

/// The files of the repository, relative and with `/`, without build output.
fn repo_files() -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("list a repository folder") {
            let entry = entry.expect("read a folder entry");
            let name = entry.file_name().to_string_lossy().into_owned();
            // Hidden entries are git's, editors' and caches', except the two folders of ours.
            let ours = [".cargo", ".ci"].contains(&name.as_str());
            if (name.starts_with('.') && !ours)
                || ["target", "build", "node_modules"].contains(&name.as_str())
            {
                continue;
            }
            let path = entry.path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                let relative = path.strip_prefix(root).expect("under the root");
                out.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let root = repo();
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out
}

/// The table names a schema file creates.
fn tables(schema: &str) -> Vec<String> {
    schema
        .lines()
        .filter_map(|line| line.trim().strip_prefix("CREATE TABLE "))
        .map(|rest| rest.split([' ', '(']).next().expect("a table name").to_owned())
        .collect()
}

/// Whether `span` reads as a file name (`sync/run.rs`, `schema.sql`).
fn looks_like_file(span: &str) -> bool {
    !span.contains([' ', '*', '<'])
        && [".rs", ".sql", ".md", ".kt", ".swift", ".sh", ".toml"]
            .iter()
            .any(|ext| span.ends_with(ext))
}

#[test]
fn every_core_module_has_its_line() {
    let doc = doc();
    let lib = read("core/src/lib.rs");
    let modules: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|m| m.trim_end_matches(';'))
        .collect();
    assert!(
        modules.len() > 10,
        "core/src/lib.rs declares its modules as `pub mod x;`"
    );
    let missing: Vec<&&str> = modules.iter().filter(|m| !has_bullet(&doc, m)).collect();
    assert!(
        missing.is_empty(),
        "core modules without a \"- `name`\" line in ARCHITECTURE.md: {missing:?}"
    );
}

#[test]
fn every_sync_room_is_named() {
    let doc = doc();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(repo().join("core/src/sync")).expect("list core/src/sync") {
        let name = entry
            .expect("an entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        let is_test = name.starts_with("tests") || name.ends_with("_tests.rs");
        if name.ends_with(".rs") && !is_test && !doc.contains(&format!("sync/{name}")) {
            missing.push(name);
        }
    }
    assert!(
        missing.is_empty(),
        "sync rooms the document does not name: {missing:?}"
    );
}

#[test]
fn every_table_is_named() {
    let spans = code_spans(&doc());
    let mut missing = Vec::new();
    for schema in ["core/src/store/schema.sql", "platform/src/schema.sql"] {
        let found = tables(&read(schema));
        assert!(
            found.len() > 3,
            "{schema} creates its tables as `CREATE TABLE name (`"
        );
        missing.extend(
            found
                .into_iter()
                .filter(|table| !spans.contains(table))
                .map(|table| format!("{schema}: {table}")),
        );
    }
    assert!(
        missing.is_empty(),
        "tables the document does not name in a `code span`: {missing:?}"
    );
}

#[test]
fn every_file_the_document_names_exists() {
    let files = repo_files();
    let missing: Vec<String> = code_spans(&doc())
        .into_iter()
        .filter(|span| looks_like_file(span))
        // A path may be written from the repository root or from inside a crate.
        .filter(|span| {
            !files
                .iter()
                .any(|f| f == span || f.ends_with(&format!("/{span}")))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "files named in ARCHITECTURE.md that do not exist: {missing:?}"
    );
}

#[test]
fn the_checks_catch_what_they_look_for() {
    let text = "- `capture` — drafts\n  - `sync/run.rs` — one run\nthe `report` table";
    assert!(has_bullet(text, "capture"));
    assert!(!has_bullet(text, "track"), "a module without its line is caught");
    let spans = code_spans(text);
    assert!(spans.contains("report") && !spans.contains("patrol"));
    assert!(looks_like_file("sync/run.rs") && !looks_like_file("Client::submit"));
    assert_eq!(
        tables("CREATE TABLE meta (\n  key TEXT\n);\nCREATE TABLE report(x)"),
        ["meta", "report"]
    );
}
