//! `pathfinder classify "<title>"` / `pathfinder classify --file F`: classify titles with the rules at RULES_PATH.
//!
//! Prints one JSON object per title: `{"title","seniority","rule","rulesVersion","family","reason"}` (family: the
//! seniority guide's family that decided, null when not senior) plus `excludedBy` when an
//! exclusion fired. With `--file`, one title per line in, one object per line out (JSON Lines); `-` reads stdin.

use std::io::{BufRead, BufWriter, Write};

use anyhow::Context;
use clap::Args;
use pathfinder_classify::Classifier;
use pathfinder_core::Settings;

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("input").required(true).args(["title", "file"]))]
pub struct ClassifyArgs {
    /// A job title.
    title: Option<String>,
    /// A file with one title per line (`-` for standard input).
    #[arg(long, short)]
    file: Option<String>,
}

pub fn run(settings: &Settings, args: &ClassifyArgs) -> anyhow::Result<()> {
    let classifier = Classifier::load(std::path::Path::new(&settings.rules_path))
        .with_context(|| format!("cannot use the rules at RULES_PATH={}", settings.rules_path))?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if let Some(title) = &args.title {
        writeln!(out, "{}", classifier.classify(title).to_json(title))?;
    }
    if let Some(path) = &args.file {
        let reader: Box<dyn BufRead> = if path == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            Box::new(std::io::BufReader::new(std::fs::File::open(path).with_context(|| format!("cannot open {path}"))?))
        };
        for line in reader.lines() {
            let line = line.with_context(|| format!("cannot read {path}"))?;
            let title = line.trim_end_matches('\r');
            writeln!(out, "{}", classifier.classify(title).to_json(title))?;
        }
    }
    out.flush()?;
    Ok(())
}
