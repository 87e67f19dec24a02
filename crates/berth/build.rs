//! Links `berth` as a position-dependent executable (`-no-pie`), as Go's toolchain links
//! by default on linux/amd64.
//!
//! Why: every container has a `berth shim` process, and a position-independent `berth`
//! costs each process about 2 MiB before it does anything — the dynamic loader reads the
//! whole relocation table (~1.3 MB, 53,000 entries) and writes every pointer in
//! `.data.rel.ro` (~0.9 MB), which then stays private to that process. Linked at a fixed
//! address there is nothing to relocate: a shim's private memory went from 1.19 to
//! 0.24 MiB and its RSS from 6.8 to 4.8 MiB (bench/README.md). The price is that the
//! executable's own image is not address-randomised (libraries, heap and stack still are).
//!
//! The code is still compiled position-independent; only the final link changes, so
//! build scripts and proc-macros (which cargo builds with the same flags) are unaffected.

fn main() {
    println!("cargo:rustc-link-arg-bin=berth=-no-pie");
}
