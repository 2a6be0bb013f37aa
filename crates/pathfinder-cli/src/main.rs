//! `pathfinder`: the CaptPathfinder operator CLI. See `pathfinder --help`.

fn main() -> std::process::ExitCode {
    pathfinder_cli::main()
}
