//! `make eval`: precision and recall for "senior" (c_suite or vp) on a labelled title file, on the raw labels and
//! after the reviewed corrections, overall and per language; a confusion table of labels against predictions.
//!
//! Usage: cargo run --release -p pathfinder-classify --example eval -- \
//!            [--rules config/classification.toml] [--labels ../shared/data/job-titles-labelled.csv] \
//!            [--corrections tests/classification/reviewed-corrections.csv] [--by-language] \
//!            [--min-precision P] [--min-recall R] [--gate-languages de,en] [--max-corrections 0.08] \
//!            [--show-disagreements]
//!
//! A label counts as senior when it is `c_suite`, `vp` (job-titles-labelled.csv) or `Management`
//! (titles-multilingual-levels.csv). A correction's reviewed label is `c_suite`, `vp` or `none` (older rows: `director`,
//! `manager`, `other`), and its reason must cite the guide (`guide: <level> / <family>: ...`). The gates apply to the
//! figures after corrections: overall, and for each language named in --gate-languages.

mod language;

use std::collections::{BTreeMap, HashMap};
use std::process::ExitCode;

use pathfinder_classify::{Classifier, Level};

struct Args {
    rules: String,
    labels: String,
    corrections: String,
    show: bool,
    by_language: bool,
    min_precision: Option<f64>,
    min_recall: Option<f64>,
    gate_languages: Vec<String>,
    max_corrections: f64,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        rules: "config/classification.toml".into(),
        labels: "../shared/data/job-titles-labelled.csv".into(),
        corrections: "tests/classification/reviewed-corrections.csv".into(),
        show: false,
        by_language: false,
        min_precision: None,
        min_recall: None,
        gate_languages: Vec::new(),
        max_corrections: 0.08,
    };
    let mut it = std::env::args().skip(1);
    let number = |value: Option<String>, name: &str| -> Result<f64, String> {
        value.ok_or(format!("{name} needs a number"))?.parse().map_err(|_| format!("{name}: a number"))
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--rules" => args.rules = it.next().ok_or("--rules needs a path")?,
            "--labels" => args.labels = it.next().ok_or("--labels needs a path")?,
            "--corrections" => args.corrections = it.next().ok_or("--corrections needs a path")?,
            "--show-disagreements" => args.show = true,
            "--by-language" => args.by_language = true,
            "--min-precision" => args.min_precision = Some(number(it.next(), "--min-precision")?),
            "--min-recall" => args.min_recall = Some(number(it.next(), "--min-recall")?),
            "--max-corrections" => args.max_corrections = number(it.next(), "--max-corrections")?,
            "--gate-languages" => {
                args.gate_languages =
                    it.next().ok_or("--gate-languages needs a list")?.split(',').map(str::to_string).collect()
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

fn is_senior_label(label: &str) -> bool {
    matches!(label, "c_suite" | "vp" | "Management")
}

#[derive(Default, Clone, Copy)]
struct Score {
    tp: u32,
    fp: u32,
    fn_: u32,
    tn: u32,
}

impl Score {
    fn add(&mut self, truth: bool, predicted: bool) {
        match (truth, predicted) {
            (true, true) => self.tp += 1,
            (false, true) => self.fp += 1,
            (true, false) => self.fn_ += 1,
            (false, false) => self.tn += 1,
        }
    }
    fn precision(&self) -> f64 {
        f64::from(self.tp) / f64::from((self.tp + self.fp).max(1))
    }
    fn recall(&self) -> f64 {
        f64::from(self.tp) / f64::from((self.tp + self.fn_).max(1))
    }
    fn rows(&self) -> u32 {
        self.tp + self.fp + self.fn_ + self.tn
    }
}

/// Raw and reviewed scores of one slice of the file (all rows, or one language).
#[derive(Default, Clone, Copy)]
struct Slice {
    raw: Score,
    reviewed: Score,
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("eval: {error}");
            ExitCode::from(2)
        }
    }
}

/// Reviewed labels by title; every reason must cite the guide.
fn read_corrections(path: &str) -> Result<HashMap<String, String>, String> {
    let mut corrections = HashMap::new();
    let mut reader = csv::Reader::from_path(path).map_err(|e| format!("{path}: {e}"))?;
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("{path}: {e}"))?;
        let (title, reviewed, reason) = (&record[0], &record[2], &record[3]);
        if !reason.contains("guide:") {
            return Err(format!("{path} row {}: the reason for {title:?} must cite the guide (guide: ...)", index + 2));
        }
        if corrections.insert(title.to_string(), reviewed.to_string()).is_some() {
            return Err(format!("{path} row {}: {title:?} is corrected twice", index + 2));
        }
    }
    Ok(corrections)
}

fn run() -> Result<ExitCode, String> {
    let args = parse_args()?;
    let classifier = Classifier::load(std::path::Path::new(&args.rules)).map_err(|e| e.to_string())?;
    let corrections = read_corrections(&args.corrections)?;
    let mut labels = csv::Reader::from_path(&args.labels).map_err(|e| format!("{}: {e}", args.labels))?;

    let mut all = Slice::default();
    let mut per_language: BTreeMap<&str, Slice> = BTreeMap::new();
    let mut confusion: BTreeMap<(String, &str), u32> = BTreeMap::new();
    let mut label_names: Vec<String> = Vec::new();
    let mut used_corrections = 0u32;
    for record in labels.records() {
        let record = record.map_err(|e| e.to_string())?;
        let (title, label) = (&record[0], &record[1]);
        let result = classifier.classify(title);
        let predicted = result.seniority.is_some();
        let corrected = match corrections.get(title) {
            Some(reviewed_label) => {
                used_corrections += 1;
                reviewed_label.as_str()
            }
            None => label,
        };
        let language = language::detect(title);
        for slice in [&mut all, per_language.entry(language).or_default()] {
            slice.raw.add(is_senior_label(label), predicted);
            slice.reviewed.add(is_senior_label(corrected), predicted);
        }
        let predicted_name = result.seniority.map(Level::as_str).unwrap_or("none");
        if !label_names.iter().any(|known| known == label) {
            label_names.push(label.to_string());
        }
        *confusion.entry((label.to_string(), predicted_name)).or_default() += 1;
        if args.show && is_senior_label(corrected) != predicted {
            println!("DISAGREE label={corrected:<10} predicted={predicted_name:<8} {title}  [{}]", result.reason());
        }
    }

    let rows = all.raw.rows();
    println!("== classification eval: {rows} titles of {}, rules {} ==", args.labels, classifier.version());
    println!("senior (c_suite or vp)                   precision  recall   rows");
    print_slice("all", &all);
    if args.by_language {
        for language in language::LANGUAGES {
            if let Some(slice) = per_language.get(language) {
                print_slice(language, slice);
            }
        }
    }
    let share = f64::from(used_corrections) / f64::from(rows.max(1));
    println!(
        "reviewed corrections: {used_corrections} rows ({:.1}% of the file, at most {:.0}%), {}",
        share * 100.0,
        args.max_corrections * 100.0,
        args.corrections
    );
    println!();
    println!("confusion (rows: raw label, columns: predicted)");
    println!("  {:<12} {:>8} {:>8} {:>8}", "", "c_suite", "vp", "none");
    label_names.sort();
    for label in &label_names {
        let count = |p: &str| confusion.get(&(label.clone(), p)).copied().unwrap_or(0);
        println!("  {:<12} {:>8} {:>8} {:>8}", label, count("c_suite"), count("vp"), count("none"));
    }

    let mut failures = Vec::new();
    if share > args.max_corrections {
        failures.push(format!("corrections cover {:.1}% of the file", share * 100.0));
    }
    let gated = std::iter::once(("all", all))
        .chain(args.gate_languages.iter().filter_map(|l| per_language.get(l.as_str()).map(|s| (l.as_str(), *s))));
    for (name, slice) in gated {
        if let Some(min) = args.min_precision
            && slice.reviewed.precision() < min
        {
            failures.push(format!("{name}: reviewed precision {:.3} < {min}", slice.reviewed.precision()));
        }
        if let Some(min) = args.min_recall
            && slice.reviewed.recall() < min
        {
            failures.push(format!("{name}: reviewed recall {:.3} < {min}", slice.reviewed.recall()));
        }
    }
    if !failures.is_empty() {
        println!("\nFAILED: {}", failures.join("; "));
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_slice(name: &str, slice: &Slice) {
    println!("  {name:<4} raw labels                        {}   {}", figures(&slice.raw), slice.raw.rows());
    println!("  {name:<4} after reviewed corrections        {}", figures(&slice.reviewed));
}

/// Precision and recall, or dashes where a slice holds no senior title (nothing to measure).
fn figures(score: &Score) -> String {
    let precision = if score.tp + score.fp == 0 { "    -".to_string() } else { format!("{:.3}", score.precision()) };
    let recall = if score.tp + score.fn_ == 0 { "    -".to_string() } else { format!("{:.3}", score.recall()) };
    format!("{precision}   {recall}")
}
