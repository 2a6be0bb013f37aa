//! The hostile corpus (tests/hostile/, see its README): every entry is sent over a raw TCP socket (so CR/LF in
//! headers, duplicate headers, wrong framing and slow bodies go out exactly as written) and must get its expected
//! 4xx and error code; afterwards nothing is stored, the other tables are untouched, and the service still answers
//! /health, /ready and a valid webhook. The "accepted but inert" file holds valid requests carrying injection
//! payloads: they are stored byte for byte and nothing else happens.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use futures_util::StreamExt;
use ingest_api::signature::sign;
use serde::Deserialize;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;

use crate::helpers::{TestApp, seed, spawn_app_with};

/// The secrets of the signed app (Standard Webhooks; GitHub style and Discourse); signature entries name one of them
/// (or another secret) to sign with.
const SECRETS: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw,cm90YXRlZC1zZWNyZXQtMjAyNg";
const RAW_SECRETS: &str = "gh-old-secret,rotated-secret-2026";

/// The corpus may not shrink below this, and must keep every category of issue 8.
const MIN_ENTRIES: usize = 200;
const REQUIRED_CATEGORIES: &[&str] = &[
    "malformed-json",
    "truncated-json",
    "wrong-types",
    "huge-numbers",
    "deep-nesting",
    "invalid-utf8",
    "nul-characters",
    "lone-surrogates",
    "oversized-bodies",
    "slow-bodies",
    "wrong-content-types",
    "header-injection",
    "sql-injection",
    "template-injection",
    "signatures",
];

/// Longest any one request may take: the service's body deadline is 10 s.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// Requests in flight at once (slow ones spend most of their time asleep).
const CONCURRENCY: usize = 24;

fn hostile_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/hostile")
}

// ---------------------------------------------------------------------------------------------------------------
// The corpus format

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    category: String,
    path: String,
    /// Which app: "plain" (no WEBHOOK_SECRETS, the default) or "signed".
    #[serde(default = "plain")]
    app: String,
    #[serde(default)]
    headers: Vec<(Bytes, Bytes)>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    body_base64: Option<String>,
    /// Large or repetitive bodies: the concatenation of the parts.
    #[serde(default)]
    body_gen: Option<Vec<Bytes>>,
    #[serde(default)]
    send: SendMode,
    /// `truncate_*` modes: how many bytes more the Content-Length announces than are sent.
    #[serde(default)]
    declared_extra: u64,
    /// `slow*` modes: bytes per write and the pause between writes.
    #[serde(default)]
    slow_chunk: Option<usize>,
    #[serde(default)]
    slow_interval_ms: Option<u64>,
    #[serde(default)]
    sign: Option<Signing>,
    expect_status: u16,
    /// The error code of `{"error":{"code"}}`; null when the HTTP layer answers before the service (no JSON body).
    #[serde(default)]
    expect_code: Option<String>,
    /// accepted.jsonl only: "accepted" or "ignored".
    #[serde(default)]
    expect_outcome: Option<String>,
    /// accepted.jsonl only: the events_raw columns the event must be stored with, exactly.
    #[serde(default)]
    expect_row: Option<BTreeMap<String, Option<String>>>,
    /// accepted.jsonl only: the webhook_deliveries.dedupe_key stored for it.
    #[serde(default)]
    expect_delivery_key: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

fn plain() -> String {
    "plain".into()
}

impl SendMode {
    /// Takes seconds by design (the client trickles or stalls).
    fn is_slow(self) -> bool {
        matches!(self, Self::Slow | Self::SlowHead | Self::TruncateThenHold)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum SendMode {
    /// Content-Length and the body at once.
    #[default]
    Normal,
    /// Transfer-Encoding: chunked, 16 KiB chunks, no Content-Length.
    Chunked,
    /// Content-Length, then the body `slow_chunk` bytes (default 1) every `slow_interval_ms` (default 200).
    Slow,
    /// The request head itself trickles in (slowloris), then the body.
    SlowHead,
    /// Content-Length announces `declared_extra` more bytes than sent, then the client closes its side.
    TruncateThenClose,
    /// Content-Length announces `declared_extra` more bytes than sent, and the client never sends them.
    TruncateThenHold,
    /// No Content-Length or Transfer-Encoding added: the entry's headers frame the body (or fail to).
    AsIs,
    /// Like `as_is`, then the client closes its side.
    AsIsThenClose,
}

/// Bytes given as UTF-8 text, `{"base64": "..."}`, or `{"repeat": "...", "times": N, "prefix"?, "suffix"?}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Bytes {
    Text(String),
    Base64 {
        base64: String,
    },
    Repeat {
        repeat: String,
        times: usize,
        #[serde(default)]
        prefix: String,
        #[serde(default)]
        suffix: String,
    },
}

impl Bytes {
    fn to_vec(&self) -> Vec<u8> {
        match self {
            Self::Text(text) => text.clone().into_bytes(),
            Self::Base64 { base64 } => STANDARD.decode(base64).expect("valid base64 in the corpus"),
            Self::Repeat { repeat, times, prefix, suffix } => {
                format!("{prefix}{}{suffix}", repeat.repeat(*times)).into_bytes()
            }
        }
    }
}

/// A signature the test computes when it sends the entry (the timestamp must be current).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Signing {
    /// "standard" (webhook-id/-timestamp/-signature), "github" (X-Hub-Signature-256) or "discourse".
    scheme: String,
    secret: String,
    #[serde(default = "default_id")]
    id: String,
    /// Seconds added to now for webhook-timestamp.
    #[serde(default)]
    timestamp_offset: i64,
    /// Sign these bytes instead of the body sent (a tampered body).
    #[serde(default)]
    sign_body: Option<String>,
}

fn default_id() -> String {
    "msg_hostile".into()
}

impl Entry {
    fn body(&self) -> Vec<u8> {
        match (&self.body, &self.body_base64, &self.body_gen) {
            (Some(text), None, None) => text.clone().into_bytes(),
            (None, Some(b64), None) => STANDARD.decode(b64).expect("valid body_base64"),
            (None, None, Some(parts)) => parts.iter().fold(Vec::new(), |mut all, part| {
                all.extend_from_slice(&part.to_vec());
                all
            }),
            (None, None, None) => Vec::new(),
            _ => panic!("{}: give one of body, body_base64, body_gen", self.name),
        }
    }

    /// The entry's headers, with `{now}` / `{now+N}` / `{now-N}` replaced and signature headers first.
    fn headers(&self, body: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        let now = chrono::Utc::now().timestamp();
        let mut headers = Vec::new();
        if let Some(signing) = &self.sign {
            let signed = signing.sign_body.as_ref().map(|b| b.as_bytes()).unwrap_or(body);
            match signing.scheme.as_str() {
                "standard" => {
                    let ts = now + signing.timestamp_offset;
                    headers.push((b"webhook-id".to_vec(), signing.id.clone().into_bytes()));
                    headers.push((b"webhook-timestamp".to_vec(), ts.to_string().into_bytes()));
                    let signature = sign::standard(&signing.secret, &signing.id, ts, signed);
                    headers.push((b"webhook-signature".to_vec(), signature.into_bytes()));
                }
                "github" => headers
                    .push((b"x-hub-signature-256".to_vec(), sign::hex_sha256(&signing.secret, signed).into_bytes())),
                "discourse" => headers.push((
                    b"x-discourse-event-signature".to_vec(),
                    sign::hex_sha256(&signing.secret, signed).into_bytes(),
                )),
                other => panic!("{}: unknown signing scheme {other}", self.name),
            }
        }
        for (name, value) in &self.headers {
            headers.push((name.to_vec(), with_now(value.to_vec(), now)));
        }
        headers
    }
}

/// Replaces `{now}`, `{now+N}` and `{now-N}` in a header value with Unix times.
fn with_now(value: Vec<u8>, now: i64) -> Vec<u8> {
    let Ok(text) = String::from_utf8(value.clone()) else { return value };
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("{now") {
        let Some(len) = rest[start..].find('}') else { break };
        let offset = &rest[start + 4..start + len];
        let delta: i64 = if offset.is_empty() { 0 } else { offset.parse().expect("{now+N} or {now-N}") };
        out.push_str(&rest[..start]);
        out.push_str(&(now + delta).to_string());
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    out.into_bytes()
}

fn load(file: &Path) -> Vec<Entry> {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| serde_json::from_str(line).unwrap_or_else(|e| panic!("{}:{}: {e}", file.display(), n + 1)))
        .collect()
}

/// Every hostile entry: tests/hostile/corpus/*.jsonl.
fn hostile_corpus() -> Vec<Entry> {
    let dir = hostile_dir().join("corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|f| f.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    files.iter().flat_map(|f| load(f)).collect()
}

fn accepted_corpus() -> Vec<Entry> {
    load(&hostile_dir().join("accepted.jsonl"))
}

// ---------------------------------------------------------------------------------------------------------------
// A raw HTTP/1.1 client

struct RawReply {
    status: u16,
    json: Value,
    elapsed: Duration,
}

impl RawReply {
    fn code(&self) -> Option<&str> {
        self.json["error"]["code"].as_str()
    }
}

async fn send(address: SocketAddr, entry: &Entry) -> Result<RawReply, String> {
    let started = Instant::now();
    let body = entry.body();
    let mut head = format!("POST {} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n", entry.path).into_bytes();
    match entry.send {
        SendMode::Chunked => head.extend_from_slice(b"Transfer-Encoding: chunked\r\n"),
        SendMode::AsIs | SendMode::AsIsThenClose => {}
        SendMode::TruncateThenClose | SendMode::TruncateThenHold => head
            .extend_from_slice(format!("Content-Length: {}\r\n", body.len() as u64 + entry.declared_extra).as_bytes()),
        _ => head.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes()),
    }
    for (name, value) in entry.headers(&body) {
        head.extend_from_slice(&name);
        head.extend_from_slice(b": ");
        head.extend_from_slice(&value);
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");

    let stream = TcpStream::connect(address).await.map_err(|e| format!("connect: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (mut reader, writer) = stream.into_split();
    let (mode, chunk, interval) =
        (entry.send, entry.slow_chunk.unwrap_or(1), Duration::from_millis(entry.slow_interval_ms.unwrap_or(200)));
    // The writer runs beside the reader: the service may answer (413, 401...) long before the body is sent, and
    // then close; the answer is read as soon as it comes. Write errors after that are expected.
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
    let write = tokio::spawn(async move {
        let mut writer = writer;
        let _ = write_request(&mut writer, mode, &head, &body, chunk, interval).await;
        if matches!(mode, SendMode::TruncateThenClose | SendMode::AsIsThenClose) {
            let _ = writer.shutdown().await;
        }
        // Keep our side open until the answer is in (a hold, or a server still reading).
        let _ = done_rx.await;
        drop(writer);
    });
    let read = tokio::time::timeout(REQUEST_TIMEOUT, read_response(&mut reader)).await;
    let _ = done_tx.send(());
    write.abort();
    let raw = read.map_err(|_| format!("no answer within {REQUEST_TIMEOUT:?}"))??;
    parse_response(&raw).map(|(status, json)| RawReply { status, json, elapsed: started.elapsed() })
}

async fn write_request(
    writer: &mut OwnedWriteHalf,
    mode: SendMode,
    head: &[u8],
    body: &[u8],
    chunk: usize,
    interval: Duration,
) -> std::io::Result<()> {
    if mode == SendMode::SlowHead {
        for piece in head.chunks(chunk) {
            writer.write_all(piece).await?;
            tokio::time::sleep(interval).await;
        }
    } else {
        writer.write_all(head).await?;
    }
    match mode {
        SendMode::Chunked => {
            for piece in body.chunks(16 * 1024) {
                writer.write_all(format!("{:x}\r\n", piece.len()).as_bytes()).await?;
                writer.write_all(piece).await?;
                writer.write_all(b"\r\n").await?;
            }
            writer.write_all(b"0\r\n\r\n").await?;
        }
        SendMode::Slow => {
            for piece in body.chunks(chunk) {
                writer.write_all(piece).await?;
                tokio::time::sleep(interval).await;
            }
        }
        _ => writer.write_all(body).await?,
    }
    writer.flush().await
}

/// Reads one response: up to the end of its Content-Length body, or to EOF. A reset after the answer arrived
/// (the service closed with our body still unread) keeps what was read.
async fn read_response(reader: &mut tokio::net::tcp::OwnedReadHalf) -> Result<Vec<u8>, String> {
    let mut buffer = Vec::new();
    let mut chunk = [0_u8; 8192];
    loop {
        if response_complete(&buffer) {
            return Ok(buffer);
        }
        match reader.read(&mut chunk).await {
            Ok(0) => return Ok(buffer),
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            Err(_) if !buffer.is_empty() => return Ok(buffer),
            Err(e) => return Err(format!("read: {e}")),
        }
    }
}

fn split_head(raw: &[u8]) -> Option<(&[u8], &[u8])> {
    raw.windows(4).position(|w| w == b"\r\n\r\n").map(|at| (&raw[..at], &raw[at + 4..]))
}

fn content_length(head: &[u8]) -> Option<usize> {
    String::from_utf8_lossy(head).lines().skip(1).find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim().eq_ignore_ascii_case("content-length").then(|| value.trim().parse().ok()).flatten()
    })
}

fn response_complete(raw: &[u8]) -> bool {
    match split_head(raw) {
        Some((head, body)) => content_length(head).is_some_and(|n| body.len() >= n),
        None => false,
    }
}

fn parse_response(raw: &[u8]) -> Result<(u16, Value), String> {
    if raw.is_empty() {
        return Err("the connection closed without an answer".into());
    }
    let (head, body) =
        split_head(raw).ok_or_else(|| format!("incomplete answer: {:?}", String::from_utf8_lossy(raw)))?;
    let status_line = String::from_utf8_lossy(head).lines().next().unwrap_or("").to_string();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let body = match content_length(head) {
        Some(n) => &body[..n.min(body.len())],
        None => body,
    };
    Ok((status, serde_json::from_slice(body).unwrap_or(Value::Null)))
}

// ---------------------------------------------------------------------------------------------------------------
// Running a corpus

fn socket_address(app: &TestApp) -> SocketAddr {
    app.address.trim_start_matches("http://").parse().expect("app address")
}

/// Sends every entry and returns the mismatches, one line each. The slow entries (which wait for the service's
/// 10 s body deadline) all start at once; the others run a few at a time beside them.
async fn run_hostile(app: &TestApp, entries: &[Entry]) -> Vec<String> {
    let address = socket_address(app);
    let (slow, quick): (Vec<&Entry>, Vec<&Entry>) = entries.iter().partition(|e| e.send.is_slow());
    let slow = futures_util::future::join_all(
        slow.into_iter().map(|entry| async move { (entry, send(address, entry).await) }),
    );
    let quick =
        futures_util::stream::iter(quick.into_iter().map(|entry| async move { (entry, send(address, entry).await) }))
            .buffer_unordered(CONCURRENCY)
            .collect::<Vec<_>>();
    let (mut outcomes, quick) = futures_util::future::join(slow, quick).await;
    outcomes.extend(quick);
    let mut problems = Vec::new();
    for (entry, outcome) in outcomes {
        let (name, status, code) = (&entry.name, entry.expect_status, entry.expect_code.as_deref());
        let note = entry.note.as_deref().map(|n| format!(" ({n})")).unwrap_or_default();
        match outcome {
            Err(e) => problems.push(format!("{name}: expected {status} {code:?}, got no answer: {e}{note}")),
            Ok(reply) if reply.status != status || reply.code() != code => problems.push(format!(
                "{name}: expected {status} {code:?}, got {} {:?} after {:?}: {}{note}",
                reply.status,
                reply.code(),
                reply.elapsed,
                reply.json
            )),
            Ok(_) => {}
        }
    }
    problems.sort();
    problems
}

/// Row counts of every table the service or its neighbours write.
async fn table_counts(app: &TestApp) -> BTreeMap<String, i64> {
    let client = app.db.connect().await;
    let mut counts = BTreeMap::new();
    for table in [
        "field_registry",
        "events_raw",
        "webhook_deliveries",
        "user_state",
        "detections",
        "digests",
        "digest_items",
        "digest_deliveries",
        "reports",
        "job_runs",
    ] {
        let row = client.query_one(&format!("SELECT count(*) FROM {table}"), &[]).await.expect(table);
        counts.insert(table.to_string(), row.get(0));
    }
    let names: Vec<String> = client
        .query("SELECT field_name || ':' || enabled FROM field_registry ORDER BY id", &[])
        .await
        .expect("field_registry")
        .iter()
        .map(|r| r.get(0))
        .collect();
    counts.insert(format!("field_registry={}", names.join(",")), 0);
    counts
}

/// After the corpus: alive, ready, and still storing a valid webhook (signed when the app wants signatures).
async fn assert_still_healthy(app: &TestApp, signed: bool) {
    assert_eq!(app.get("/health").await.status(), 200, "GET /health after the corpus");
    assert_eq!(app.get("/ready").await.status(), 200, "GET /ready after the corpus");
    // More valid requests at once than the service has HTTP workers: a worker lost to a panic would show here.
    let replies = futures_util::future::join_all((0..8).map(|n| async move {
        let body = seed(&format!("after-hostile-{n}"), "Job Title", Some("Chief Executive Officer")).to_string();
        let headers = if signed {
            vec![("x-hub-signature-256", sign::hex_sha256("rotated-secret-2026", body.as_bytes()))]
        } else {
            vec![]
        };
        app.post_json("/webhooks/community", &headers, body).await
    }))
    .await;
    for reply in &replies {
        assert_eq!((reply.status, reply.json["status"].as_str()), (202, Some("accepted")), "{}", reply.json);
    }
    assert_eq!(app.count_events().await, 8, "exactly the valid webhooks sent after the corpus are stored");
}

async fn run_hostile_app(app_kind: &str, extra: &[(&str, &str)]) {
    let entries: Vec<Entry> = hostile_corpus().into_iter().filter(|e| e.app == app_kind).collect();
    assert!(!entries.is_empty(), "no {app_kind} entries");
    let app = spawn_app_with(extra).await;
    let before = table_counts(&app).await;
    let started = Instant::now();
    let problems = run_hostile(&app, &entries).await;
    let elapsed = started.elapsed();
    assert!(
        problems.is_empty(),
        "{} of {} hostile {app_kind} entries got the wrong answer:\n{}",
        problems.len(),
        entries.len(),
        problems.join("\n")
    );
    assert_eq!(table_counts(&app).await, before, "a hostile request changed a table");
    assert_eq!(app.count_events().await, 0);
    assert_still_healthy(&app, app_kind == "signed").await;
    eprintln!("{} hostile {app_kind} entries in {elapsed:?}", entries.len());
}

// ---------------------------------------------------------------------------------------------------------------
// The tests

#[test]
fn hostile_corpus_is_complete_and_well_formed() {
    let entries = hostile_corpus();
    assert!(entries.len() >= MIN_ENTRIES, "the hostile corpus has {} entries, fewer than {MIN_ENTRIES}", entries.len());
    let accepted = accepted_corpus();
    let mut names = BTreeSet::new();
    for entry in entries.iter().chain(&accepted) {
        assert!(names.insert(entry.name.as_str()), "duplicate entry name {}", entry.name);
        assert!(["/webhooks/community", "/webhooks/discourse"].contains(&entry.path.as_str()), "{}: path", entry.name);
        assert!(["plain", "signed"].contains(&entry.app.as_str()), "{}: app", entry.name);
        let _ = entry.body();
    }
    for entry in &entries {
        assert!((400..500).contains(&entry.expect_status), "{}: a hostile entry must expect a 4xx", entry.name);
        assert!(
            entry.expect_outcome.is_none() && entry.expect_row.is_none(),
            "{}: hostile entries store nothing",
            entry.name
        );
    }
    for entry in &accepted {
        assert!(matches!(entry.expect_status, 200 | 202), "{}: accepted entries expect 202", entry.name);
        assert!(entry.expect_outcome.is_some(), "{}: expect_outcome", entry.name);
    }
    let categories: BTreeSet<&str> = entries.iter().map(|e| e.category.as_str()).collect();
    for category in REQUIRED_CATEGORIES {
        assert!(categories.contains(category), "the hostile corpus has no {category} entry");
    }
    let accepted_categories: BTreeSet<&str> = accepted.iter().map(|e| e.category.as_str()).collect();
    for category in ["sql-injection", "template-injection"] {
        assert!(accepted_categories.contains(category), "accepted.jsonl has no {category} entry");
    }
    let mut per_category: BTreeMap<&str, usize> = BTreeMap::new();
    for entry in &entries {
        *per_category.entry(entry.category.as_str()).or_default() += 1;
    }
    eprintln!("{} hostile entries: {per_category:?}; {} accepted-but-inert", entries.len(), accepted.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_requests_without_secrets_get_their_4xx_and_store_nothing() {
    run_hostile_app("plain", &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_requests_with_secrets_get_their_4xx_and_store_nothing() {
    run_hostile_app("signed", &[("WEBHOOK_SECRETS", SECRETS), ("WEBHOOK_RAW_SECRETS", RAW_SECRETS)]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_payloads_in_valid_requests_are_stored_verbatim_and_stay_inert() {
    let entries = accepted_corpus();
    let app = spawn_app_with(&[]).await;
    let address = socket_address(&app);
    let client = app.db.connect().await;
    let mut problems = Vec::new();
    let mut stored = 0;
    // One at a time: each entry's row is checked by its eventId.
    for entry in &entries {
        let reply = match send(address, entry).await {
            Ok(reply) => reply,
            Err(e) => {
                problems.push(format!("{}: no answer: {e}", entry.name));
                continue;
            }
        };
        let outcome = reply.json["status"].as_str().map(str::to_string);
        if reply.status != entry.expect_status || outcome != entry.expect_outcome {
            problems.push(format!(
                "{}: expected {} {:?}, got {} {}",
                entry.name, entry.expect_status, entry.expect_outcome, reply.status, reply.json
            ));
            continue;
        }
        if outcome.as_deref() != Some("accepted") {
            continue;
        }
        stored += 1;
        let id = reply.json["eventId"].as_i64().expect("eventId");
        let row = client
            .query_one(
                "SELECT user_id, username, profile_field, value, old_value, dedupe_key FROM events_raw WHERE id = $1",
                &[&id],
            )
            .await
            .expect("the accepted row");
        let got: BTreeMap<String, Option<String>> = ["user_id", "username", "profile_field", "value", "old_value"]
            .iter()
            .enumerate()
            .map(|(i, column)| (column.to_string(), row.get::<_, Option<String>>(i)))
            .collect();
        if let Some(expected) = &entry.expect_row
            && &got != expected
        {
            problems.push(format!("{}: stored {got:?}, expected {expected:?}", entry.name));
        }
        if let Some(key) = &entry.expect_delivery_key {
            let found: i64 = client
                .query_one(
                    "SELECT count(*) FROM webhook_deliveries WHERE dedupe_key = $1 AND event_id = $2",
                    &[key, &id],
                )
                .await
                .expect("delivery")
                .get(0);
            if found != 1 {
                problems.push(format!("{}: no webhook_deliveries row {key:?}", entry.name));
            }
        }
    }
    assert!(problems.is_empty(), "accepted-but-inert entries:\n{}", problems.join("\n"));
    assert_eq!(app.count_events().await, stored, "only the accepted entries are stored");
    // Nothing the payloads say was executed: every table is still there, and nothing outside events was written.
    for table in
        ["field_registry", "events_raw", "webhook_deliveries", "user_state", "detections", "digests", "reports"]
    {
        let exists: bool =
            client.query_one("SELECT to_regclass($1) IS NOT NULL", &[&table]).await.expect("to_regclass").get(0);
        assert!(exists, "table {table} is gone");
    }
    for table in ["user_state", "detections", "digests", "reports", "job_runs"] {
        let count: i64 = client.query_one(&format!("SELECT count(*) FROM {table}"), &[]).await.expect(table).get(0);
        assert_eq!(count, 0, "{table} was written");
    }
    let registry: i64 = client.query_one("SELECT count(*) FROM field_registry", &[]).await.expect("registry").get(0);
    assert_eq!(registry, 3, "field_registry still holds exactly its seeded rows");
    assert_eq!(app.get("/health").await.status(), 200);
    assert_eq!(app.get("/ready").await.status(), 200);
}
