//! No query result is read by position (`row.get(3)`): a column moved or added in a migration would silently be read
//! from the wrong place, or panic. Columns are read by name with `try_get` or `RowExt::column`, so schema drift is
//! an error (`schema-drift`). This scans every crate's `src/`.

use std::path::{Path, PathBuf};

/// `.get(` or `.get::<...>(` followed by a digit: a positional read. A CSV record's `record.get(0)` is not a row.
fn positional_reads(source: &str) -> Vec<usize> {
    source
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.contains("record.get("))
        .filter(|(_, line)| {
            line.match_indices(".get").any(|(at, _)| {
                let rest = &line[at + 4..];
                let rest = match rest.strip_prefix("::<") {
                    Some(generic) => generic.find(">(").map_or("", |end| &generic[end + 1..]),
                    None => rest,
                };
                rest.strip_prefix('(').is_some_and(|args| args.trim_start().starts_with(|c: char| c.is_ascii_digit()))
            })
        })
        .map(|(number, _)| number + 1)
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_source_file_reads_a_column_by_position() {
    let crates = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let mut files = Vec::new();
    for entry in std::fs::read_dir(crates).expect("crates/").flatten() {
        let src = entry.path().join("src");
        if src.is_dir() {
            rust_files(&src, &mut files);
        }
    }
    assert!(files.len() > 50, "the scan found the sources ({} files)", files.len());
    let found: Vec<String> = files
        .iter()
        .flat_map(|file| {
            let source = std::fs::read_to_string(file).expect("utf-8 source");
            positional_reads(&source).into_iter().map(move |line| format!("{}:{line}", file.display()))
        })
        .collect();
    assert_eq!(found, Vec::<String>::new(), "read these columns by name");
}

#[test]
fn the_scan_finds_positional_reads_and_passes_named_ones() {
    let source = "let a: i64 = row.get(0);\nlet b = r.get::<_, String>(2);\nlet c = row.try_get(\"id\")?;\n\
                  let d = record.get(0);\nlet e = map.get(&key);\nlet f = row.get( 1 );";
    assert_eq!(positional_reads(source), vec![1, 2, 6]);
}
