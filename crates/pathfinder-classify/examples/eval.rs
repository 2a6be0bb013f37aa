//! `make eval`: precision, recall and a confusion table for "senior" (c_suite or vp) on a labelled title file,
//! on the raw labels and after the reviewed corrections.
//!
//! Usage: cargo run --release -p pathfinder-classify --example eval -- \
//!            [--rules config/classification.toml] [--labels ../shared/data/job-titles-labelled.csv] \
//!            [--corrections tests/classification/reviewed-corrections.csv] [--show-disagreements]

use std::collections::{BTreeMap, HashMap};
use std::process::ExitCode;

use pathfinder_classify::{Classifier, Level};

struct Args {
    rules: String,
    labels: String,
    corrections: String,
    show: bool,
    min: Option<f64>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        rules: "config/classification.toml".into(),
        labels: "../shared/data/job-titles-labelled.csv".into(),
        corrections: "tests/classification/reviewed-corrections.csv".into(),
        show: false,
        min: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--rules" => args.rules = it.next().ok_or("--rules needs a path")?,
            "--labels" => args.labels = it.next().ok_or("--labels needs a path")?,
            "--corrections" => args.corrections = it.next().ok_or("--corrections needs a path")?,
            "--show-disagreements" => args.show = true,
            "--min" => {
                args.min = Some(it.next().ok_or("--min needs a number")?.parse().map_err(|_| "--min: a number")?)
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

fn is_senior_label(label: &str) -> bool {
    label == "c_suite" || label == "vp"
}

#[derive(Default)]
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

fn run() -> Result<ExitCode, String> {
    let args = parse_args()?;
    let classifier = Classifier::load(std::path::Path::new(&args.rules)).map_err(|e| e.to_string())?;
    let mut labels = csv::Reader::from_path(&args.labels).map_err(|e| format!("{}: {e}", args.labels))?;
    let mut corrections: HashMap<String, (String, String)> = HashMap::new();
    let mut reader = csv::Reader::from_path(&args.corrections).map_err(|e| format!("{}: {e}", args.corrections))?;
    for record in reader.records() {
        let record = record.map_err(|e| e.to_string())?;
        let (title, reviewed, reason) = (&record[0], &record[2], &record[3]);
        if reason.trim().is_empty() {
            return Err(format!("correction for {title:?} has no reason"));
        }
        corrections.insert(title.to_string(), (reviewed.to_string(), reason.to_string()));
    }

    let (mut raw, mut reviewed) = (Score::default(), Score::default());
    let mut confusion: BTreeMap<(String, &str), u32> = BTreeMap::new();
    let mut used_corrections = 0;
    let mut rows = 0;
    for record in labels.records() {
        let record = record.map_err(|e| e.to_string())?;
        let (title, label) = (&record[0], &record[1]);
        rows += 1;
        let result = classifier.classify(title);
        let predicted = result.seniority.is_some();
        raw.add(is_senior_label(label), predicted);
        let corrected = match corrections.get(title) {
            Some((reviewed_label, _)) => {
                used_corrections += 1;
                reviewed_label.as_str()
            }
            None => label,
        };
        reviewed.add(is_senior_label(corrected), predicted);
        let predicted_name = result.seniority.map(Level::as_str).unwrap_or("none");
        *confusion.entry((label.to_string(), predicted_name)).or_default() += 1;
        if args.show && is_senior_label(corrected) != predicted {
            println!("DISAGREE label={corrected:<8} predicted={predicted_name:<8} {title}  [{}]", result.reason());
        }
    }

    println!("== classification eval: {} titles, rules {} ==", rows, classifier.version());
    println!("senior (c_suite or vp)      precision  recall");
    println!("  raw labels                   {:.3}   {:.3}", raw.precision(), raw.recall());
    println!(
        "  after reviewed corrections   {:.3}   {:.3}   ({used_corrections} rows corrected, {})",
        reviewed.precision(),
        reviewed.recall(),
        args.corrections
    );
    println!();
    println!("confusion (rows: raw label, columns: predicted)");
    println!("  {:<10} {:>8} {:>8} {:>8}", "", "c_suite", "vp", "none");
    for label in ["c_suite", "vp", "director", "manager", "other"] {
        let count = |p: &str| confusion.get(&(label.to_string(), p)).copied().unwrap_or(0);
        println!("  {:<10} {:>8} {:>8} {:>8}", label, count("c_suite"), count("vp"), count("none"));
    }
    if let Some(min) = args.min
        && (reviewed.precision() < min || reviewed.recall() < min)
    {
        println!("\nFAILED: reviewed precision and recall must both be >= {min}");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
