//! The `desi-city` binary: parses the command line and calls the library. Thin on purpose; errors are
//! reported here (with `anyhow`), once, with their cause chain.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
