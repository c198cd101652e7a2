//! The outside tools some tests start or run (an SMTP server, an OpenID provider, schemathesis,
//! axe-core, the Nu HTML checker), pinned in `tests/tools/` and installed by `.ci/run`.
//! Missing tools skip a test with a message, unless `REQUIRE_TOOLS=1` (CI) makes that a failure.

use std::path::PathBuf;
use std::process::Command;

fn missing(what: &str) -> Option<PathBuf> {
    assert!(
        std::env::var("REQUIRE_TOOLS").as_deref() != Ok("1"),
        "REQUIRE_TOOLS=1 but {what} is not available (run .ci/run once to install the test tools)"
    );
    eprintln!("skipped: {what} is not available (see tests/tools/)");
    None
}

/// A Python interpreter that can import `module` (`OUTCOMES_PYTHON`, else the virtualenv
/// `.ci/run` makes, else `python3`).
pub fn python_with(module: &str) -> Option<PathBuf> {
    let candidates = [
        std::env::var("OUTCOMES_PYTHON").ok().map(PathBuf::from),
        std::env::var("HOME")
            .ok()
            .map(|home| PathBuf::from(home).join(".cache/outcomes-py/bin/python")),
        Some(PathBuf::from("python3")),
    ];
    for python in candidates.into_iter().flatten() {
        let imports = Command::new(&python)
            .args(["-c", &format!("import {module}")])
            .output()
            .is_ok_and(|out| out.status.success());
        if imports {
            return Some(python);
        }
    }
    missing(&format!("Python module {module}"))
}

/// The npm packages of `tests/tools/package.json` (`OUTCOMES_NODE_MODULES`, else the folder
/// `.ci/run` fills), holding `package`.
pub fn node_package(package: &str) -> Option<PathBuf> {
    let candidates = [
        std::env::var("OUTCOMES_NODE_MODULES").ok().map(PathBuf::from),
        std::env::var("HOME")
            .ok()
            .map(|home| PathBuf::from(home).join(".cache/outcomes-node/node_modules")),
    ];
    for modules in candidates.into_iter().flatten() {
        let dir = modules.join(package);
        if dir.is_dir() {
            return Some(dir);
        }
    }
    missing(&format!("npm package {package}"))
}
