//! Command-line roles. Flags follow k3s's names where the concept matches.

mod agent;
mod duration;
mod image;
mod server;
mod up;

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
    /// Start a one-machine cluster: the server with its node agent, the example app, and
    /// where to reach it.
    Up(up::UpArgs),
    /// Run a server: the datastore, the Kubernetes API, the scheduler and the controllers.
    Server(server::ServerArgs),
    /// Run a node agent that joins a server and runs its pods (or simulated nodes with
    /// --simulate).
    Agent(agent::AgentArgs),
    /// Manage a node's images: pull, import archives, list, remove.
    Image(image::ImageArgs),
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        Command::Up(up) => up::run(up),
        Command::Server(server) => server::run(server),
        Command::Agent(agent) => agent::run(agent),
        Command::Image(image) => image::run(image),
    }
}
