//! The shape of host/src: the library never reaches into the CLI, and no file imports,
//! directly or through others, a file that imports it back.
//!
//! Each file's references are read from its code (comments aside): paths that start with
//! `crate::`, `konecty_session::` or, in the binary, `crate::cli::`, each resolved to the
//! longest prefix that names a file. `mod` declarations are not references; `pub use`
//! re-exports are. `super::` is allowed only as `use super::*` / `use super::X` in inline
//! test modules, which refer to their own file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const SOURCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");

/// Which crate a file belongs to: the binary holds main.rs and cli/, the library the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Crate {
    Library,
    Binary,
}

/// A file as (crate, module path): `sandbox/mod.rs` is (Library, [sandbox]).
type Module = (Crate, Vec<String>);

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("host/src is readable") {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

fn module_of(relative: &Path) -> Module {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    let owner = if parts[0] == "main" || parts[0] == "cli" {
        Crate::Binary
    } else {
        Crate::Library
    };
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    (owner, parts)
}

/// The paths a file's code names: `crate::a::b`, `konecty_session::a::{b::c, d}`.
fn referenced_paths(code: &str) -> Vec<(String, Vec<String>)> {
    let mut paths = Vec::new();
    for root in ["crate::", "konecty_session::"] {
        let mut rest = code;
        while let Some(at) = rest.find(root) {
            let preceded_by_ident = rest[..at]
                .chars()
                .last()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
            let after = &rest[at + root.len()..];
            rest = after;
            if preceded_by_ident {
                continue;
            }
            let (segments, tail) = module_segments(after);
            let root_name = root.trim_end_matches("::").to_string();
            // One level of `{ a::b, c }` after the path.
            if let Some(group) = tail.strip_prefix('{') {
                let group = &group[..group.find('}').unwrap_or(group.len())];
                for item in group.split(',') {
                    let (inner, _) = module_segments(item.trim());
                    let mut full = segments.clone();
                    full.extend(inner);
                    paths.push((root_name.clone(), full));
                }
            } else {
                paths.push((root_name, segments));
            }
        }
    }
    paths
}

/// The leading lower-case segments (modules or functions) of a path, and what follows.
fn module_segments(text: &str) -> (Vec<String>, &str) {
    let mut segments = Vec::new();
    let mut rest = text;
    loop {
        let end = rest
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(rest.len());
        if end == 0 {
            return (segments, rest);
        }
        segments.push(rest[..end].to_string());
        match rest[end..].strip_prefix("::") {
            Some(next) => rest = next,
            None => return (segments, &rest[end..]),
        }
    }
}

/// The file a path names: the longest prefix of its segments that is a module.
fn resolve(modules: &BTreeSet<Module>, owner: Crate, segments: &[String]) -> Module {
    (0..=segments.len())
        .rev()
        .map(|n| (owner, segments[..n].to_vec()))
        .find(|candidate| modules.contains(candidate))
        .expect("the crate root always resolves")
}

fn code_without_comments(text: &str) -> String {
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn name(module: &Module) -> String {
    let root = match module.0 {
        Crate::Library => "lib",
        Crate::Binary => "main",
    };
    if module.1.is_empty() {
        root.to_string()
    } else {
        module.1.join("/")
    }
}

struct Graph {
    edges: BTreeMap<Module, BTreeSet<Module>>,
}

fn graph() -> Graph {
    let mut files = Vec::new();
    rust_files(Path::new(SOURCE), &mut files);
    let sources: BTreeMap<Module, String> = files
        .iter()
        .map(|path| {
            let relative = path.strip_prefix(SOURCE).unwrap();
            let text = std::fs::read_to_string(path).unwrap();
            (module_of(relative), code_without_comments(&text))
        })
        .collect();
    let modules: BTreeSet<Module> = sources.keys().cloned().collect();
    let mut edges = BTreeMap::new();
    for (module, code) in &sources {
        for line in code.lines().filter(|l| l.contains("super::")) {
            let trimmed = line.trim();
            assert!(
                trimmed.starts_with("use super::"),
                "{}: expected `super::` only in a test module's `use super::…`, found {trimmed:?}",
                name(module)
            );
        }
        let mut targets = BTreeSet::new();
        for (root, segments) in referenced_paths(code) {
            let owner = match (root.as_str(), module.0) {
                ("konecty_session", _) => Crate::Library,
                (_, owner) => owner,
            };
            let target = resolve(&modules, owner, &segments);
            if &target != module {
                targets.insert(target);
            }
        }
        edges.insert(module.clone(), targets);
    }
    Graph { edges }
}

/// A cycle through the graph, if there is one, as the files in order.
fn find_cycle(graph: &Graph) -> Option<Vec<Module>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        graph: &Graph,
        at: &Module,
        marks: &mut BTreeMap<Module, Mark>,
        stack: &mut Vec<Module>,
    ) -> Option<Vec<Module>> {
        match marks.get(at) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let start = stack.iter().position(|m| m == at).unwrap();
                let mut cycle = stack[start..].to_vec();
                cycle.push(at.clone());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(at.clone(), Mark::Open);
        stack.push(at.clone());
        for next in &graph.edges[at] {
            if let Some(cycle) = visit(graph, next, marks, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        marks.insert(at.clone(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    graph
        .edges
        .keys()
        .find_map(|start| visit(graph, start, &mut marks, &mut Vec::new()))
}

#[test]
fn no_file_of_host_src_imports_itself_through_others() {
    let graph = graph();
    assert!(
        graph.edges.len() > 30,
        "expected the whole of host/src, read {} files",
        graph.edges.len()
    );
    if let Some(cycle) = find_cycle(&graph) {
        let shown: Vec<String> = cycle.iter().map(name).collect();
        panic!("expected no import cycle, found {}", shown.join(" -> "));
    }
}

#[test]
fn the_library_never_reaches_into_the_cli() {
    let graph = graph();
    for (module, targets) in &graph.edges {
        if module.0 == Crate::Library {
            assert!(
                targets.iter().all(|t| t.0 == Crate::Library),
                "{} refers to the binary: {targets:?}",
                name(module)
            );
        }
    }
    let lib = std::fs::read_to_string(Path::new(SOURCE).join("lib.rs")).unwrap();
    assert!(
        !lib.contains("mod cli"),
        "expected lib.rs to declare no cli module (the CLI is the binary's)"
    );
}

/// The checker itself: a cycle it is shown is a cycle it finds, with its files in order.
#[test]
fn the_cycle_check_finds_a_cycle_and_resolves_paths() {
    let module = |parts: &[&str]| -> Module {
        (
            Crate::Library,
            parts.iter().map(|p| p.to_string()).collect(),
        )
    };
    let (a, b, c) = (module(&["a"]), module(&["b"]), module(&["c"]));
    let edges = BTreeMap::from([
        (a.clone(), BTreeSet::from([b.clone()])),
        (b.clone(), BTreeSet::from([c.clone()])),
        (c.clone(), BTreeSet::from([a.clone()])),
    ]);
    let cycle = find_cycle(&Graph { edges }).expect("a -> b -> c -> a is a cycle");
    assert_eq!(
        cycle.iter().map(name).collect::<Vec<_>>(),
        ["a", "b", "c", "a"]
    );

    let paths = referenced_paths(
        "use crate::network::{origin::Origin, policy};\nlet x = konecty_session::USER_AGENT;",
    );
    assert_eq!(
        paths,
        vec![
            ("crate".to_string(), vec!["network".into(), "origin".into()]),
            ("crate".to_string(), vec!["network".into(), "policy".into()]),
            ("konecty_session".to_string(), vec![]),
        ]
    );
    let modules = BTreeSet::from([
        module(&[]),
        module(&["network"]),
        module(&["network", "origin"]),
    ]);
    assert_eq!(
        resolve(
            &modules,
            Crate::Library,
            &["network".into(), "origin".into(), "of".into()]
        ),
        module(&["network", "origin"])
    );
}
