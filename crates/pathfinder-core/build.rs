//! Rebuild when a migration is added or changed: they are embedded by `refinery::embed_migrations!`.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
    println!("cargo:rerun-if-changed=../../config/default.toml");
}
