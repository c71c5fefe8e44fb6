//! The layers of `api`, checked on its source (ADR 14): the HTTP room translates, the use cases
//! decide, the read models answer, and no import circle of three or more files returns.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("read a source folder") {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = fs::read_to_string(&path).expect("read a source file");
                found.push((path, text));
            }
        }
    }
    found.sort();
    found
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The text without `//` comments, so that a comment naming a thing is not a use of it.
fn code(text: &str) -> String {
    text.lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

fn offenders(dir: &str, words: &[&str]) -> Vec<String> {
    sources(&src().join(dir))
        .into_iter()
        .flat_map(|(path, text)| {
            let code = code(&text);
            words
                .iter()
                .filter(|word| code.contains(*word))
                .map(|word| format!("{} uses {word}", path.display()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn the_http_room_runs_no_sql_and_no_command() {
    let found = offenders("http", &["sqlx", "execute::<", ".store."]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn the_use_cases_know_nothing_of_http() {
    let found = offenders("usecases", &["axum", "utoipa", "crate::http"]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn the_binary_only_parses_and_dispatches() {
    let main = fs::read_to_string(src().join("main.rs")).expect("main.rs");
    let lines = main.lines().count();
    assert!(lines <= 60, "main.rs has {lines} lines");
}

/// The module path of a file under `src` (`http/routes/mod.rs` is `http::routes`).
fn module_of(path: &Path) -> Vec<String> {
    let relative = path.strip_prefix(src()).expect("under src");
    let mut parts: Vec<String> = relative
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts
        .last()
        .is_some_and(|last| last == "mod" || last == "lib" || last == "main")
    {
        parts.pop();
    }
    parts
}

/// The paths a text names from `crate::` (and `super::`, relative to `module`), with grouped
/// imports (`crate::a::{b, c::d}`) expanded.
fn named_paths(text: &str, module: &[String], is_mod_file: bool) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let bytes = text.as_bytes();
    for (root, base) in [
        ("crate::", Vec::new()),
        ("super::", {
            let mut parent = module.to_vec();
            if !is_mod_file || !parent.is_empty() {
                parent.pop();
            }
            parent
        }),
    ] {
        let mut at = 0;
        while let Some(found) = text[at..].find(root) {
            let start = at + found;
            at = start + root.len();
            let preceded = start > 0 && {
                let c = bytes[start - 1];
                c.is_ascii_alphanumeric() || c == b'_' || c == b':'
            };
            if preceded {
                continue;
            }
            // `use super::*` in a file's own `mod tests` names the file itself.
            if root == "super::" && text[at..].starts_with('*') {
                continue;
            }
            expand(&text[at..], &base, &mut paths);
        }
    }
    paths
}

/// Reads `a::b::{c, d::e}` at the start of `text` into full paths under `base`.
fn expand(text: &str, base: &[String], out: &mut Vec<Vec<String>>) {
    let mut path = base.to_vec();
    let mut rest = text;
    loop {
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if end > 0 {
            path.push(rest[..end].to_owned());
        }
        rest = &rest[end..];
        if let Some(after) = rest.strip_prefix("::") {
            if let Some(group) = after.strip_prefix('{') {
                let mut depth = 1;
                let mut item_start = 0;
                for (i, c) in group.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' | ',' if depth == 1 => {
                            expand(group[item_start..i].trim_start(), &path, out);
                            item_start = i + 1;
                            if c == '}' {
                                return;
                            }
                        }
                        '}' => depth -= 1,
                        _ => {}
                    }
                }
                return;
            }
            rest = after;
            continue;
        }
        out.push(path);
        return;
    }
}

#[test]
fn no_import_circle_of_three_or_more_files() {
    let files = sources(&src());
    let by_module: BTreeMap<Vec<String>, PathBuf> = files
        .iter()
        .map(|(path, _)| (module_of(path), path.clone()))
        .collect();
    let mut graph: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for (path, text) in &files {
        let module = module_of(path);
        let is_mod_file = path.file_name().is_some_and(|n| n == "mod.rs");
        let mut targets = BTreeSet::new();
        for named in named_paths(&code(text), &module, is_mod_file) {
            let target = (1..=named.len())
                .rev()
                .find_map(|n| by_module.get(&named[..n]));
            if let Some(target) = target.filter(|t| *t != path) {
                targets.insert(target.clone());
            }
        }
        graph.insert(path.clone(), targets);
    }
    let circles: Vec<Vec<String>> = strongly_connected(&graph)
        .into_iter()
        .filter(|component| component.len() >= 3)
        .map(|component| {
            component
                .iter()
                .map(|p| p.strip_prefix(src()).unwrap().display().to_string())
                .collect()
        })
        .collect();
    assert!(circles.is_empty(), "import circles: {circles:#?}");
}

/// Tarjan's strongly connected components.
fn strongly_connected(graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    struct Walk<'a> {
        graph: &'a BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        index: BTreeMap<&'a PathBuf, usize>,
        low: BTreeMap<&'a PathBuf, usize>,
        stack: Vec<&'a PathBuf>,
        on_stack: BTreeSet<&'a PathBuf>,
        next: usize,
        components: Vec<Vec<PathBuf>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, node: &'a PathBuf) {
            self.index.insert(node, self.next);
            self.low.insert(node, self.next);
            self.next += 1;
            self.stack.push(node);
            self.on_stack.insert(node);
            for target in self.graph.get(node).into_iter().flatten() {
                if !self.index.contains_key(target) {
                    self.visit(target);
                    let low = self.low[node].min(self.low[target]);
                    self.low.insert(node, low);
                } else if self.on_stack.contains(target) {
                    let low = self.low[node].min(self.index[target]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut component = Vec::new();
                while let Some(top) = self.stack.pop() {
                    self.on_stack.remove(top);
                    component.push(top.clone());
                    if top == node {
                        break;
                    }
                }
                self.components.push(component);
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        components: Vec::new(),
    };
    for node in graph.keys() {
        if !walk.index.contains_key(node) {
            walk.visit(node);
        }
    }
    walk.components
}

#[test]
fn no_module_over_800_lines_without_a_reason_at_its_top() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_path_buf();
    let mut long = Vec::new();
    for crate_dir in ["api", "domain", "eventstore", "projections"] {
        for (path, text) in sources(&workspace.join(crate_dir)) {
            let lines = text.lines().count();
            let reason = text
                .lines()
                .take(3)
                .any(|line| line.contains("Over 800 lines:") || line.contains("Kept in one file"));
            if lines > 800 && !reason {
                long.push(format!("{} ({lines} lines)", path.display()));
            }
        }
    }
    assert!(
        long.is_empty(),
        "over 800 lines without a reason (`Over 800 lines: ...`) in its first lines: {long:#?}"
    );
}
