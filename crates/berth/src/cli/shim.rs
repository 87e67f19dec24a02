//! `berth shim` (hidden): the per-container process the agent starts; see
//! `berth_agent::runtime::shim`.

use std::path::PathBuf;

use anyhow::Context;
use berth_agent::runtime::shim::{self, ShimConfig};
use clap::Args;

#[derive(Debug, Args)]
pub struct ShimArgs {
    #[arg(long)]
    id: String,
    #[arg(long)]
    bundle: PathBuf,
    #[arg(long, default_value = "runc")]
    runc: PathBuf,
    #[arg(long)]
    runc_root: PathBuf,
    #[arg(long)]
    log: PathBuf,
}

pub fn run(args: ShimArgs) -> anyhow::Result<()> {
    let config = ShimConfig {
        id: args.id,
        bundle: args.bundle,
        runc: args.runc,
        runc_root: args.runc_root,
        log: args.log,
    };
    shim::run(&config).with_context(|| format!("shim of container {}", config.id))
}
