//! `webhook-load`: sends seed-format webhooks at a steady rate (unlike wrk, which sends as fast as it can), each a
//! distinct member becoming senior, and prints what it sent and the client-side latency.
//!
//! Usage: webhook-load --url http://127.0.0.1:18080/webhooks/community --rate 500 --seconds 20 [--prefix run1]

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

struct Args {
    url: String,
    rate: u64,
    seconds: u64,
    prefix: String,
}

fn parse() -> Result<Args, String> {
    let mut args = Args { url: String::new(), rate: 500, seconds: 20, prefix: "load".into() };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let value = it.next().ok_or(format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--url" => args.url = value,
            "--rate" => args.rate = value.parse().map_err(|_| "--rate: a number")?,
            "--seconds" => args.seconds = value.parse().map_err(|_| "--seconds: a number")?,
            "--prefix" => args.prefix = value,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.url.is_empty() || args.rate == 0 {
        return Err("usage: webhook-load --url URL --rate N --seconds N [--prefix P]".into());
    }
    Ok(args)
}

const TITLES: &[&str] = &["Vice President of Sales", "Chief Executive Officer", "SVP Engineering", "Co-Founder & CTO"];

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), String> {
    let args = parse()?;
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().map_err(|e| e.to_string())?;
    let latencies = Arc::new(Mutex::new(Vec::<f64>::new()));
    let errors = Arc::new(Mutex::new(0u64));
    let total = args.rate * args.seconds;
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / args.rate as f64));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for n in 0..total {
        ticker.tick().await;
        let body = serde_json::json!({
            "userId": format!("{}-{n}", args.prefix),
            "username": "load",
            "profileField": "Job Title",
            "value": TITLES[(n % TITLES.len() as u64) as usize],
            "oldValue": null,
        })
        .to_string();
        let request = client.post(&args.url).header("content-type", "application/json").body(body);
        let (latencies, errors) = (latencies.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let sent = Instant::now();
            match request.send().await {
                Ok(response) if response.status().is_success() => {
                    latencies.lock().await.push(sent.elapsed().as_secs_f64() * 1000.0);
                }
                _ => *errors.lock().await += 1,
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut latencies = latencies.lock().await.clone();
    latencies.sort_by(|a, b| a.total_cmp(b));
    let pick =
        |q: f64| latencies.get(((latencies.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(f64::NAN);
    println!(
        "sent {total} in {elapsed:.1} s ({:.0}/s): {} ok, {} failed; client latency p50 {:.2} ms, p99 {:.2} ms",
        total as f64 / elapsed,
        latencies.len(),
        errors.lock().await,
        pick(0.5),
        pick(0.99)
    );
    Ok(())
}
