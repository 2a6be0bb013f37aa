//! Where the tests find the outside tools they start: the Python ones (moto's S3 server, openapi-spec-validator,
//! schemathesis) live in the project's virtual environment, which `make test` makes and fills from
//! tests/python-requirements.txt.

use std::path::PathBuf;

/// The project's virtual environment: `$PF_VENV`, else `.venv/` at the top of the checkout.
pub fn venv() -> PathBuf {
    match std::env::var_os("PF_VENV") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../.venv")),
    }
}

/// A program of the virtual environment (`python3`, `schemathesis`): its path there when it exists, else the bare
/// name, found on PATH as before (a machine with the tools installed by hand).
pub fn python_tool(name: &str) -> PathBuf {
    let path = venv().join("bin").join(name);
    if path.is_file() { path } else { PathBuf::from(name) }
}
