//! The HTML report, from `config/templates/report.html` (tera), with the weekly chart as inline SVG whose geometry
//! is computed here (no script, nothing loaded from outside).

use std::path::Path;

use anyhow::Context as _;
use serde::Serialize;

use crate::data::ReportData;

pub const TEMPLATE: &str = "report.html";

/// The stylesheet every report page includes (`{% include "report-style.html" %}`).
pub const STYLE_TEMPLATE: &str = "report-style.html";

#[derive(Debug, Serialize)]
struct Chart {
    width: u32,
    height: u32,
    baseline: u32,
    bars: Vec<Bar>,
}

#[derive(Debug, Serialize)]
struct Bar {
    x: u32,
    y: u32,
    width: u32,
    height: u32,
    label_x: u32,
    count: usize,
    label: String,
}

pub struct HtmlReport {
    tera: tera::Tera,
}

impl HtmlReport {
    pub fn load(templates_dir: &Path) -> anyhow::Result<Self> {
        Ok(Self { tera: load_page(templates_dir, TEMPLATE)? })
    }

    pub fn render(&self, data: &ReportData) -> anyhow::Result<String> {
        let mut context = tera::Context::new();
        context.insert("report", data);
        context.insert("chart", &chart(data));
        self.tera.render(TEMPLATE, &context).context("rendering the report")
    }
}

/// A report page `name` from `templates_dir`, with the shared stylesheet it includes, HTML-escaped.
pub fn load_page(templates_dir: &Path, name: &str) -> anyhow::Result<tera::Tera> {
    let mut tera = tera::Tera::default();
    tera.autoescape_on(vec![".html"]);
    let mut sources = Vec::new();
    for template in [STYLE_TEMPLATE, name] {
        let path = templates_dir.join(template);
        let source =
            std::fs::read_to_string(&path).with_context(|| format!("cannot read template {}", path.display()))?;
        sources.push((template, source));
    }
    tera.add_raw_templates(sources.iter().map(|(template, source)| (*template, source.as_str())))
        .with_context(|| format!("template {} does not parse", templates_dir.join(name).display()))?;
    Ok(tera)
}

fn chart(data: &ReportData) -> Chart {
    let (width, height, top, baseline) = (720u32, 240u32, 28u32, 206u32);
    let slots = u32::try_from(data.weeks.len().max(1)).unwrap_or(1);
    let slot = width / slots;
    let bar_width = (slot * 3 / 5).max(8);
    let max = data.weeks.iter().map(|w| w.count).max().unwrap_or(0).max(1);
    let bars = data
        .weeks
        .iter()
        .enumerate()
        .map(|(i, week)| {
            let i = u32::try_from(i).unwrap_or(0);
            let scaled = u32::try_from(week.count * (baseline - top) as usize / max).unwrap_or(0);
            let bar_height = if week.count > 0 { scaled.max(2) } else { 0 };
            Bar {
                x: i * slot + (slot - bar_width) / 2,
                y: baseline - bar_height,
                width: bar_width,
                height: bar_height,
                label_x: i * slot + slot / 2,
                count: week.count,
                label: week.label.clone(),
            }
        })
        .collect();
    Chart { width, height, baseline, bars }
}
