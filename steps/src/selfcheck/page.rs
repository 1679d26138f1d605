//! `selfcheck.json` and `selfcheck.html` in the report folder; the page is rendered with the
//! report's page renderer and style sheet.

use std::path::Path;

use anyhow::Context;
use serde::Serialize;

use crate::selfcheck::model::{HTML_FILE, JSON_FILE, SelfcheckReport};

/// The self-check page template, compiled in.
const SELFCHECK_TEMPLATE: &str = include_str!("../../templates/selfcheck.html");

#[derive(Debug, Serialize)]
struct SelfcheckPage<'a> {
    r: &'a SelfcheckReport,
}

/// Renders `selfcheck.html` (see [`crate::selfcheck`]) with the report's style sheet.
///
/// # Errors
/// Fails only when the template fails to render (a bug).
pub(crate) fn render_selfcheck(report: &SelfcheckReport) -> anyhow::Result<String> {
    crate::report::html::render_page(
        "selfcheck.html",
        SELFCHECK_TEMPLATE,
        &SelfcheckPage { r: report },
    )
}

pub(crate) fn write_outputs(dir: &Path, report: &SelfcheckReport) -> anyhow::Result<()> {
    let mut json = serde_json::to_vec_pretty(report)?;
    json.push(b'\n');
    let path = dir.join(JSON_FILE);
    std::fs::write(&path, json).with_context(|| format!("cannot write {}", path.display()))?;
    let page = render_selfcheck(report)?;
    let path = dir.join(HTML_FILE);
    std::fs::write(&path, page).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
