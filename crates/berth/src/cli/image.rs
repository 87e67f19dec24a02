//! `berth image pull|import|ls|rm`: the image store of the agent whose data dir is `--data-dir`
//! (`<data-dir>/agent/images`), usable while the agent runs.

use std::path::PathBuf;

use anyhow::{Context, bail};
use berth_agent::image::{ImageStore, archive};
use clap::{Args, Subcommand};

#[derive(Debug, Args)]
pub struct ImageArgs {
    /// The agent's data dir (its images are in <data-dir>/agent/images).
    #[arg(
        long,
        global = true,
        default_value = "/var/lib/berth",
        env = "BERTH_DATA_DIR"
    )]
    data_dir: PathBuf,

    #[command(subcommand)]
    command: ImageCommand,
}

#[derive(Debug, Subcommand)]
enum ImageCommand {
    /// Pull an image from its registry (or the mirrors of the registries configuration),
    /// as the agent would.
    Pull {
        #[arg(value_name = "IMAGE")]
        image: String,
        /// Credentials for the image's registry: USERNAME[:PASSWORD].
        #[arg(long, value_name = "USERNAME[:PASSWORD]")]
        creds: Option<String>,
        /// Registry mirrors, credentials and TLS settings (k3s's registries.yaml format).
        #[arg(long, default_value = berth_agent::image::registry::config::DEFAULT_PATH)]
        private_registry: PathBuf,
    },
    /// Import image archives: `docker save` output or OCI layouts, plain, gzip or zstd
    /// ("-" reads standard input).
    Import {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// List the images.
    #[command(alias = "list")]
    Ls {
        /// Print only full image references.
        #[arg(short, long)]
        quiet: bool,
    },
    /// Remove images by reference or image ID, and the layers no other image uses.
    #[command(alias = "remove")]
    Rm {
        #[arg(required = true, value_name = "IMAGE")]
        images: Vec<String>,
    },
}

pub fn run(args: ImageArgs) -> anyhow::Result<()> {
    let root = berth_agent::image::store_root(&args.data_dir);
    let store = ImageStore::open(&root)
        .with_context(|| format!("opening the image store {}", root.display()))?;
    match args.command {
        ImageCommand::Pull {
            image,
            creds,
            private_registry,
        } => pull(&store, &image, creds, &private_registry)?,
        ImageCommand::Import { files } => {
            for file in files {
                let images = if file.as_os_str() == "-" {
                    archive::import(&store, std::io::stdin().lock(), &file)?
                } else {
                    let reader = std::fs::File::open(&file)
                        .with_context(|| format!("opening {}", file.display()))?;
                    archive::import(&store, reader, &file)?
                };
                for image in images {
                    println!(
                        "imported {} ({}, {})",
                        image.name,
                        image.id.short(),
                        human_size(image.size)
                    );
                }
            }
        }
        ImageCommand::Ls { quiet } => {
            let images = store.list()?;
            if quiet {
                for image in images {
                    println!("{}", image.name);
                }
                return Ok(());
            }
            let rows: Vec<[String; 4]> = images
                .iter()
                .map(|i| {
                    [
                        i.name.name(),
                        i.name.tag.clone().unwrap_or_else(|| "<none>".into()),
                        i.id.short().to_string(),
                        human_size(i.size),
                    ]
                })
                .collect();
            let header = ["IMAGE", "TAG", "IMAGE ID", "SIZE"].map(str::to_string);
            let widths: Vec<usize> = (0..4)
                .map(|c| {
                    rows.iter()
                        .chain(std::iter::once(&header))
                        .map(|r| r[c].len())
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            for row in std::iter::once(&header).chain(rows.iter()) {
                println!(
                    "{:<w0$}   {:<w1$}   {:<w2$}   {}",
                    row[0],
                    row[1],
                    row[2],
                    row[3],
                    w0 = widths[0],
                    w1 = widths[1],
                    w2 = widths[2]
                );
            }
        }
        ImageCommand::Rm { images } => {
            let mut missing = Vec::new();
            for reference in images {
                match store.resolve(&reference)? {
                    Some(image) => {
                        store.remove(&image.name)?;
                        println!("deleted {}", image.name);
                    }
                    None => missing.push(reference),
                }
            }
            if !missing.is_empty() {
                bail!("no such image: {}", missing.join(", "));
            }
        }
    }
    Ok(())
}

fn pull(
    store: &ImageStore,
    image: &str,
    creds: Option<String>,
    private_registry: &std::path::Path,
) -> anyhow::Result<()> {
    use berth_agent::image::registry::{Credential, Puller, RegistriesConfig, config};
    let reference = berth_agent::image::ImageRef::parse(image)?;
    let optional = private_registry.as_os_str() == config::DEFAULT_PATH;
    let registries = RegistriesConfig::load(private_registry, optional)?;
    let credentials: Vec<Credential> = creds
        .map(|c| {
            let (username, password) = c.split_once(':').unwrap_or((&c, ""));
            Credential {
                username: username.to_string(),
                password: password.to_string(),
                identity_token: None,
                registry_token: None,
                source: "--creds".into(),
            }
        })
        .into_iter()
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let puller = Puller::new(std::sync::Arc::new(registries));
    let pulled = runtime
        .block_on(puller.pull(store, &reference, &credentials))
        .with_context(|| format!("pulling {reference}"))?;
    println!(
        "pulled {} ({}, {}, {} downloaded)",
        pulled.image.name,
        pulled.image.id.short(),
        human_size(pulled.image.size),
        human_size(pulled.downloaded)
    );
    Ok(())
}

/// Sizes as `crictl images` shows them: `4.2MB`.
fn human_size(bytes: u64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < units.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes}B")
    } else {
        format!("{value:.1}{}", units[unit])
    }
}
