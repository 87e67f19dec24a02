//! The `berth` binary: parse the command line, validate it into a config, run the role.
//!
//! Only this crate knows clap and `anyhow`; libraries return typed errors and this is where
//! they are printed, once, as one readable chain.

mod allocator;
mod cli;

use std::process::ExitCode;

use clap::Parser;

#[global_allocator]
static ALLOCATOR: allocator::ByRole = allocator::ByRole;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BERTH_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("berth: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
