//! Reading a roster file, streamed: UTF-8 with or without a BOM, comma or semicolon separated (whichever the header
//! line holds more of), header names matched in any order and case. Each record becomes a [`RosterRow`] or a
//! [`BadRow`] naming its line and why (never the member's data).

use std::io::{BufRead, BufReader, Read};

use serde::Serialize;

/// The longest member id accepted (the same bound as the admin API's).
pub const MAX_USER_ID_CHARS: usize = 256;

/// How the file is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// A header naming `userId` (or `user_id`), `title` and optionally `username`.
    Csv,
    /// Discourse's admin user-list export (Admin > Users > Export): `id`, `username`, and one
    /// `<name> (custom user field)` column per user field (app/jobs/regular/export_csv_file.rb).
    DiscourseExport,
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "csv" => Ok(Self::Csv),
            "discourse-export" => Ok(Self::DiscourseExport),
            other => Err(format!("unknown format {other:?} (csv or discourse-export)")),
        }
    }
}

/// One member of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterRow {
    pub line: u64,
    pub user_id: String,
    pub username: Option<String>,
    /// Empty when the member has no title.
    pub title: String,
}

/// A row that cannot be imported: its line and the reason (no member data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BadRow {
    pub line: u64,
    pub reason: String,
}

/// What the header says: the column of each field.
#[derive(Debug, Clone, Copy)]
struct Columns {
    user_id: usize,
    username: Option<usize>,
    title: usize,
}

/// A streamed roster; one record buffer is reused for every row.
pub struct Roster<R: Read> {
    reader: csv::Reader<BufReader<R>>,
    record: csv::StringRecord,
    columns: Columns,
    width: usize,
}

/// Why a file cannot be read at all (as opposed to a bad row).
#[derive(Debug, thiserror::Error)]
pub enum RosterError {
    #[error("the file is empty (no header line)")]
    Empty,
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("the header line is not valid CSV: {0}")]
    Header(String),
    #[error("the header has no {0} column{1}")]
    MissingColumn(&'static str, String),
}

impl<R: Read> Roster<R> {
    /// Reads the header of `input`; `title_field` names the Discourse user field holding the job title.
    pub fn open(input: R, format: Format, title_field: &str) -> Result<Self, RosterError> {
        let mut reader = BufReader::with_capacity(1 << 16, input);
        let delimiter = sniff_delimiter(&mut reader)?;
        let mut csv = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).from_reader(reader);
        let header = csv.headers().map_err(|e| RosterError::Header(e.to_string()))?.clone();
        let names: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
        let find = |wanted: &[&str]| names.iter().position(|n| wanted.contains(&n.as_str()));
        let columns = match format {
            Format::Csv => Columns {
                user_id: find(&["userid", "user_id"]).ok_or_else(|| {
                    let hint = if find(&["id"]).is_some() {
                        " (a Discourse export? use --format discourse-export)"
                    } else {
                        ""
                    };
                    RosterError::MissingColumn("userId (or user_id)", hint.into())
                })?,
                username: find(&["username"]),
                title: find(&["title"]).ok_or_else(|| RosterError::MissingColumn("title", String::new()))?,
            },
            Format::DiscourseExport => {
                let field = format!("{} (custom user field)", title_field.trim().to_lowercase());
                Columns {
                    user_id: find(&["id"]).ok_or_else(|| RosterError::MissingColumn("id", String::new()))?,
                    username: find(&["username"]),
                    title: find(&[field.as_str()]).ok_or_else(|| {
                        RosterError::MissingColumn("job title", format!(" ({field:?}; set it with --title-field)"))
                    })?,
                }
            }
        };
        Ok(Self { reader: csv, record: csv::StringRecord::new(), columns, width: names.len() })
    }
}

/// A member of the file as read, borrowed from the record buffer until the next row is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowView<'r> {
    pub line: u64,
    pub user_id: &'r str,
    pub username: Option<&'r str>,
    /// Empty when the member has no title.
    pub title: &'r str,
}

impl<R: Read> Roster<R> {
    /// The next row without copying it (an import keeps only what a senior needs), or why it cannot be imported.
    pub fn next_row(&mut self) -> Option<Result<RowView<'_>, BadRow>> {
        loop {
            match self.reader.read_record(&mut self.record) {
                Ok(true) => {}
                Ok(false) => return None,
                Err(error) => {
                    let line = error.position().map_or(0, csv::Position::line);
                    let reason = match error.kind() {
                        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".to_string(),
                        _ => "not valid CSV".to_string(),
                    };
                    return Some(Err(BadRow { line, reason }));
                }
            }
            // A blank line is no row.
            if !(self.record.len() == 1 && self.record.get(0).is_some_and(|c| c.trim().is_empty())) {
                break;
            }
        }
        let record = &self.record;
        let line = record.position().map_or(0, csv::Position::line);
        let Columns { user_id, username, title } = self.columns;
        let needed = user_id.max(title).max(username.unwrap_or(0)) + 1;
        if record.len() < needed {
            let reason = format!("{} fields, the header has {}", record.len(), self.width);
            return Some(Err(BadRow { line, reason }));
        }
        let id = record.get(user_id).unwrap_or_default().trim();
        if id.is_empty() {
            return Some(Err(BadRow { line, reason: "empty user id".into() }));
        }
        if id.chars().count() > MAX_USER_ID_CHARS || id.contains('\0') {
            return Some(Err(BadRow { line, reason: format!("user id over {MAX_USER_ID_CHARS} characters") }));
        }
        let username = username.and_then(|c| record.get(c)).map(str::trim).filter(|u| !u.is_empty());
        Some(Ok(RowView { line, user_id: id, username, title: record.get(title).unwrap_or_default().trim() }))
    }
}

impl<R: Read> Iterator for Roster<R> {
    type Item = Result<RosterRow, BadRow>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_row().map(|item| {
            item.map(|row| RosterRow {
                line: row.line,
                user_id: row.user_id.to_string(),
                username: row.username.map(str::to_string),
                title: row.title.to_string(),
            })
        })
    }
}

/// Skips a UTF-8 BOM and picks `;` when the header line holds more semicolons than commas, else `,`.
fn sniff_delimiter<R: Read>(reader: &mut BufReader<R>) -> Result<u8, RosterError> {
    let buffer = reader.fill_buf()?;
    if buffer.is_empty() {
        return Err(RosterError::Empty);
    }
    let bom = if buffer.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
    let header = &buffer[bom..];
    let end = header.iter().position(|&b| b == b'\n').unwrap_or(header.len());
    let count = |c: u8| header[..end].iter().filter(|&&b| b == c).count();
    let delimiter = if count(b';') > count(b',') { b';' } else { b',' };
    reader.consume(bom);
    Ok(delimiter)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, format: Format) -> Vec<Result<RosterRow, BadRow>> {
        Roster::open(text.as_bytes(), format, "Job Title").expect("header").collect()
    }

    #[test]
    fn header_names_in_any_order_and_case_with_bom_and_semicolons() {
        let rows = read("\u{feff}Title;USERNAME;UserId\nChief Executive Officer;ada;42\n", Format::Csv);
        assert_eq!(
            rows,
            [Ok(RosterRow {
                line: 2,
                user_id: "42".into(),
                username: Some("ada".into()),
                title: "Chief Executive Officer".into()
            })]
        );
        let rows = read("user_id,title\n7,\"VP, Sales\"\n", Format::Csv);
        assert_eq!(rows[0].as_ref().map(|r| r.title.as_str()), Ok("VP, Sales"));
    }

    #[test]
    fn bad_rows_name_their_line() {
        let rows = read("userId,title\n,CEO\n5\n6,CTO\n", Format::Csv);
        assert_eq!(rows[0], Err(BadRow { line: 2, reason: "empty user id".into() }));
        assert_eq!(rows[1], Err(BadRow { line: 3, reason: "1 fields, the header has 2".into() }));
        assert!(rows[2].is_ok());
    }

    #[test]
    fn a_discourse_export_reads_id_username_and_the_job_title_field() {
        let text = "id,name,username,email,title,group_names,Job Title (custom user field),Location (custom user field)\n\
                    3,Jane,jdoe,jane@example.com,Leader,staff,VP of Engineering,Berlin\n";
        let rows = read(text, Format::DiscourseExport);
        assert_eq!(rows[0].as_ref().map(|r| (r.user_id.as_str(), r.title.as_str())), Ok(("3", "VP of Engineering")));
    }

    #[test]
    fn a_missing_column_is_refused_with_a_hint() {
        let error = Roster::open("id,username\n".as_bytes(), Format::Csv, "Job Title").err().expect("refused");
        assert!(error.to_string().contains("--format discourse-export"), "{error}");
    }
}
