//! Builds the container shim (`crates/berth-shim`) into a small static program that this
//! crate embeds (`runtime::shim`) and the agent installs in its data directory.
//!
//! Why a separate program at all: there is one shim per container, and the whole `berth`
//! binary run as a shim had about 5 MiB resident — 2 MiB of glibc, libm and the loader
//! mapped in, the rest pages of a 30 MB program touched on the way to the shim's code. The
//! shim's crate has no dependencies, so it is compiled here with the same `rustc` straight
//! from its source: statically linked (`+crt-static`: no loader, no shared libraries) and
//! position-dependent (`relocation-model=static`: nothing to relocate at start, so no page
//! of it is copied per process), optimised for size. cargo cannot build one crate of a
//! workspace that way itself (`+crt-static` in RUSTFLAGS also reaches proc-macros, which
//! then fail to build).
//!
//! Outputs: `$OUT_DIR/berth-shim`, and `BERTH_SHIM_VERSION` (a hash of the program) for the
//! installed file's name.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let source = manifest.join("../berth-shim/src");
    println!("cargo:rerun-if-changed={}", source.display());
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it")).join("berth-shim");
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let target = std::env::var("TARGET").expect("cargo sets it");
    let status = Command::new(rustc)
        .args([
            "--edition",
            "2024",
            "--crate-name",
            "berth_shim",
            "--crate-type",
            "bin",
        ])
        .args(["--target", &target])
        .args([
            "-C",
            "opt-level=s",
            "-C",
            "panic=abort",
            "-C",
            "codegen-units=1",
        ])
        .args([
            "-C",
            "target-feature=+crt-static",
            "-C",
            "relocation-model=static",
        ])
        .args(["-C", "strip=symbols", "--cap-lints", "allow"])
        .arg("-o")
        .arg(&out)
        .arg(source.join("lib.rs"))
        .status()
        .expect("running rustc for the shim");
    assert!(status.success(), "building the shim failed ({status})");
    let program = std::fs::read(&out).expect("reading the built shim");
    // FNV-1a: a name that changes whenever the program does.
    let hash = program.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    });
    println!("cargo:rustc-env=BERTH_SHIM_VERSION={hash:016x}");
}
