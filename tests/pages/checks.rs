//! The checkers the page test runs: the Nu HTML checker over saved pages, axe-core inside
//! Chromium, the graph's smallest rendered text, and where screenshots go.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use thirtyfour::prelude::*;

use crate::common;

/// The Nu HTML checker over a folder of saved pages: `None` when there is no error.
pub fn nu_errors(folder: &Path) -> Option<String> {
    let jar = common::tools::node_package("vnu-jar")?.join("build/dist/vnu.jar");
    let out = Command::new("java")
        .args([
            "-jar",
            &jar.display().to_string(),
            "--errors-only",
            "--skip-non-html",
            "--format",
            "text",
        ])
        .arg(folder)
        .output()
        .expect("java runs the Nu HTML checker");
    (!out.status.success()).then(|| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

const AXE_TAGS: [&str; 5] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

/// axe-core's violations on the loaded page (injected once per page load).
pub async fn axe(driver: &WebDriver, axe_js: &str) -> WebDriverResult<Vec<Value>> {
    let loaded = driver
        .execute("return typeof window.axe !== 'undefined';", vec![])
        .await?;
    if !loaded.json().as_bool().unwrap_or(false) {
        driver.execute(axe_js, vec![]).await?;
    }
    let result = driver
        .execute_async(
            r"const [options, done] = arguments;
               axe.run(document, options)
                 .then(r => done({ violations: r.violations.map(v => ({ id: v.id, help: v.help,
                    nodes: v.nodes.map(n => ({ target: n.target, summary: n.failureSummary })) })) }))
                 .catch(e => done({ error: String(e) }));",
            vec![json!({ "runOnly": { "type": "tag", "values": AXE_TAGS }, "resultTypes": ["violations"] })],
        )
        .await?;
    let value = result.json().clone();
    assert!(value.get("error").is_none(), "axe failed: {value}");
    Ok(value["violations"].as_array().cloned().unwrap_or_default())
}

/// The smallest rendered size (CSS px) of the text in the visible graph.
pub async fn smallest_chart_text(driver: &WebDriver) -> WebDriverResult<f64> {
    let value = driver
        .execute(
            r"const svgs = Array.from(document.querySelectorAll('figure.chart svg'))
                 .filter(s => s.getBoundingClientRect().width > 0);
               if (svgs.length !== 1) { return 'visible graphs: ' + svgs.length + ' at ' + window.innerWidth; }
               // The scale of each text's own transform (rotated labels included): |(a, b)|.
               const sizes = Array.from(svgs[0].querySelectorAll('text')).map(t => {
                 const m = t.getScreenCTM();
                 return parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
               });
               return Math.min(...sizes);",
            vec![],
        )
        .await?;
    let json = value.json().clone();
    assert!(json.is_number(), "the graph's text could not be measured: {json}");
    Ok(json.as_f64().unwrap_or(0.0))
}

pub fn screenshots() -> PathBuf {
    let dir = std::env::var("OUTCOMES_SCREENSHOTS").map_or_else(
        |_| std::env::temp_dir().join("outcomes-screenshots"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir
}
