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

/// `berth shim …` parsed on its own, before anything else starts: a shim lives as long as
/// its container, one per container, so it touches as little of this binary as it can (no
/// parser for every other subcommand, no logging set-up).
pub fn run_early(argv: &[std::ffi::OsString]) -> Option<anyhow::Result<()>> {
    if argv.get(1).is_none_or(|a| a != "shim") {
        return None;
    }
    let mut id = None;
    let mut bundle = None;
    let mut runc = PathBuf::from("runc");
    let mut runc_root = None;
    let mut log = None;
    let mut rest = argv[2..].iter();
    while let Some(flag) = rest.next() {
        let value = rest.next().cloned();
        match (flag.to_str(), value) {
            (Some("--id"), Some(v)) => id = v.into_string().ok(),
            (Some("--bundle"), Some(v)) => bundle = Some(PathBuf::from(v)),
            (Some("--runc"), Some(v)) => runc = PathBuf::from(v),
            (Some("--runc-root"), Some(v)) => runc_root = Some(PathBuf::from(v)),
            (Some("--log"), Some(v)) => log = Some(PathBuf::from(v)),
            _ => return None,
        }
    }
    let (Some(id), Some(bundle), Some(runc_root), Some(log)) = (id, bundle, runc_root, log) else {
        // Incomplete: let the full parser say what is missing.
        return None;
    };
    Some(run(ShimArgs {
        id,
        bundle,
        runc,
        runc_root,
        log,
    }))
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
