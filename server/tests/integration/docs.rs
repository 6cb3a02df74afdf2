//! The documentation stays a door a newcomer can use: the README is short, and every link in it
//! and in docs/ resolves to a file inside the repository (anchors aside; public addresses are
//! not followed).

use std::path::{Path, PathBuf};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace").to_path_buf()
}

fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a readable folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            markdown_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "md") {
            out.push(path);
        }
    }
}

/// The targets of the inline links and images of a Markdown text: `[text](target)`.
fn link_targets(text: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("](") {
        rest = &rest[at + 2..];
        let end = rest.find(')').unwrap_or(rest.len());
        let target = rest[..end].split_whitespace().next().unwrap_or("").trim_matches(['<', '>']);
        targets.push(target.to_owned());
        rest = &rest[end..];
    }
    targets
}

#[test]
fn the_readme_is_short_and_every_link_of_the_docs_resolves_inside_the_repository() {
    let root = repository();
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    assert!(readme.lines().count() < 200, "README.md has {} lines", readme.lines().count());
    let mut files = vec![root.join("README.md"), root.join("BENCHMARKS.md")];
    markdown_files(&root.join("docs"), &mut files);
    assert!(files.len() > 10, "the docs were found: {files:?}");
    let root = root.canonicalize().expect("the repository's path");
    let mut broken = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("a Markdown file");
        for target in link_targets(&text) {
            if target.is_empty() || target.starts_with('#') || target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let path = target.split('#').next().unwrap_or_default();
            let resolved = file.parent().expect("a folder").join(path);
            match resolved.canonicalize() {
                Ok(found) if found.starts_with(&root) => {}
                Ok(found) => {
                    broken.push(format!("{}: {target} leaves the repository ({})", file.display(), found.display()))
                }
                Err(_) => broken.push(format!("{}: {target} does not exist", file.display())),
            }
        }
    }
    assert!(broken.is_empty(), "links that do not resolve inside the repository:\n{}", broken.join("\n"));
}

#[test]
fn link_targets_are_read_from_links_and_images() {
    let text = "See [ops](docs/operations.md#settings) and ![shot](docs/a.png \"title\"), not [x].";
    assert_eq!(link_targets(text), ["docs/operations.md#settings", "docs/a.png"]);
}
