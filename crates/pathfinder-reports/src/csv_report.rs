//! The CSV report: RFC 4180 (the csv crate quotes commas, quotes and newlines), one row per detection, and safe to
//! open in a spreadsheet: a cell that a spreadsheet would read as a formula (starting with = + - @, tab or carriage
//! return) is prefixed with a single quote (OWASP's advice for CSV injection).

use crate::data::ReportData;

/// `source` comes last, so readers of the columns before it keep working.
pub const HEADER: [&str; 9] =
    ["detected_at", "user_id", "username", "title", "seniority", "kind", "previous_seniority", "rule", "source"];

pub fn render(data: &ReportData) -> anyhow::Result<Vec<u8>> {
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    writer.write_record(HEADER)?;
    for row in &data.rows {
        writer.write_record(
            [
                &row.detected_local,
                &row.user_id,
                &row.username,
                &row.title,
                &row.seniority,
                &row.kind,
                &row.previous_seniority,
                &row.rule,
                &row.source,
            ]
            .map(|cell| defuse(cell)),
        )?;
    }
    writer.into_inner().map_err(|e| anyhow::anyhow!("csv: {e}"))
}

/// A cell a spreadsheet would evaluate, made inert.
pub fn defuse(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}
