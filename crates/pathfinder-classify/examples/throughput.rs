//! Titles classified per second on one core (part of `make bench`).
//!
//! Usage: cargo run --release -p pathfinder-classify --example throughput -- [--rules F] [--titles CSV] [--seconds N]
//! The titles are the first column of the CSV (default: the labelled file, else tests/classification/hard-titles.csv),
//! classified round-robin on one thread for N seconds (default 5). `--passes N` classifies the titles N times instead
//! and prints nothing timed: for instruction counts under `valgrind --tool=callgrind`, which a loaded machine does
//! not disturb (compare a run of N passes with one of 0 passes to leave out start-up).

use std::hint::black_box;
use std::time::{Duration, Instant};

use pathfinder_classify::Classifier;

fn main() -> Result<(), String> {
    let mut rules = "config/classification.toml".to_string();
    let mut titles_path = None;
    let mut seconds = 5u64;
    let mut passes: Option<u64> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rules" => rules = args.next().ok_or("--rules needs a path")?,
            "--titles" => titles_path = Some(args.next().ok_or("--titles needs a path")?),
            "--passes" => passes = Some(args.next().and_then(|s| s.parse().ok()).ok_or("--passes needs a number")?),
            "--seconds" => seconds = args.next().and_then(|s| s.parse().ok()).ok_or("--seconds needs a number")?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let path = titles_path.unwrap_or_else(|| {
        let labelled = "../shared/data/job-titles-labelled.csv";
        if std::path::Path::new(labelled).is_file() {
            labelled.into()
        } else {
            "tests/classification/hard-titles.csv".into()
        }
    });
    let mut reader = csv::Reader::from_path(&path).map_err(|e| format!("{path}: {e}"))?;
    let titles: Vec<String> = reader.records().filter_map(Result::ok).map(|r| r[0].to_string()).collect();
    let classifier = Classifier::load(std::path::Path::new(&rules)).map_err(|e| e.to_string())?;

    if let Some(passes) = passes {
        let mut senior = 0u64;
        for _ in 0..passes {
            for title in &titles {
                senior += u64::from(black_box(classifier.classify(black_box(title))).seniority.is_some());
            }
        }
        println!("classified {} titles {passes} times ({senior} senior results)", titles.len());
        return Ok(());
    }
    // Warm up, then measure whole passes over the titles.
    for title in &titles {
        black_box(classifier.classify(title));
    }
    let deadline = Duration::from_secs(seconds);
    let started = Instant::now();
    let mut classified = 0u64;
    let mut senior = 0u64;
    while started.elapsed() < deadline {
        for title in &titles {
            if black_box(classifier.classify(black_box(title))).seniority.is_some() {
                senior += 1;
            }
        }
        classified += titles.len() as u64;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let rate = classified as f64 / elapsed;
    println!(
        "titles classified/s (1 core): {rate:.0}  ({} titles from {path}, {elapsed:.1} s, {:.1}% senior)",
        titles.len(),
        100.0 * senior as f64 / classified as f64
    );
    // The floor any classifier pays, measured the same way in the same run: a lower-case copy of each title and one
    // regex test. The ratio moves little with the machine's load, the titles/s figure a lot.
    let floor = regex::Regex::new(r"\bceo\b").map_err(|e| e.to_string())?;
    let started = Instant::now();
    let mut tested = 0u64;
    while started.elapsed() < deadline {
        for title in &titles {
            black_box(floor.is_match(&black_box(title).to_ascii_lowercase()));
        }
        tested += titles.len() as u64;
    }
    let baseline = tested as f64 / started.elapsed().as_secs_f64();
    println!(
        "baseline (lower-case copy + one regex test per title): {baseline:.0}/s; engine/baseline: {:.3}",
        rate / baseline
    );
    Ok(())
}
