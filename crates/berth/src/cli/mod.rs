//! Command-line roles. Flags follow k3s's names where the concept matches.

mod server;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "berth",
    version,
    about = "A Kubernetes-compatible container orchestrator in one binary"
)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a server: the datastore and the Kubernetes API.
    Server(server::ServerArgs),
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        Command::Server(server) => server::run(server),
    }
}
