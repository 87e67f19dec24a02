//! The process's memory allocator, chosen once per role, at the first allocation.
//!
//! `berth server` uses mimalloc: the API server allocates and frees millions of small JSON
//! nodes a second, and glibc malloc spent about a quarter of the server's CPU doing it (its
//! arenas, consolidation and `mprotect` growth). Every other role keeps glibc malloc:
//! mimalloc reserves memory per thread up front, which doubles the idle RSS of a node agent.
//! (Container shims are a program of their own, `crates/berth-shim`.)
//!
//! `BERTH_ALLOCATOR=system` or `=mimalloc` in the environment overrides the role's default
//! (to compare the two, or to step around an allocator problem).
//!
//! Invariant: a process uses exactly one allocator for its whole life, so every pointer is
//! freed by the allocator that made it. The choice is made inside the first allocation,
//! before any pointer exists, from `/proc/self/environ` and `/proc/self/cmdline` read with
//! raw system calls into stack buffers (which allocate nothing); it never changes afterwards.
#![allow(unsafe_code)] // `GlobalAlloc` is an unsafe trait; each method only forwards.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU8, Ordering};

use mimalloc::MiMalloc;

const UNDECIDED: u8 = 0;
const SYSTEM: u8 = 1;
const MIMALLOC: u8 = 2;

/// The allocator of this process: [`System`] or [`MiMalloc`], by role.
pub struct ByRole;

static CHOICE: AtomicU8 = AtomicU8::new(UNDECIDED);

impl ByRole {
    #[inline]
    fn uses_mimalloc() -> bool {
        match CHOICE.load(Ordering::Relaxed) {
            UNDECIDED => decide(),
            choice => choice == MIMALLOC,
        }
    }
}

/// Decides from the command line. The first allocation happens before `main`, while the
/// process has one thread, so no other allocation can race this one.
#[cold]
fn decide() -> bool {
    let mimalloc = match override_from_environ() {
        Some(choice) => choice == MIMALLOC,
        None => role_is_server(&read_cmdline()),
    };
    if mimalloc {
        // SAFETY: sets an option value; allocates nothing and touches no pointer.
        unsafe { libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0) };
    }
    CHOICE.store(if mimalloc { MIMALLOC } else { SYSTEM }, Ordering::Relaxed);
    mimalloc
}

/// `mi_option_arena_eager_commit` (index 4 of `mi_option_t` in mimalloc 2 and 3; the Rust
/// bindings name no constant for it). Its default commits each new arena up front on Linux,
/// which put 20 MiB more in an idle server's RSS (57.6 instead of 37.6 MiB) for no measurable
/// speed; off, memory is committed as pages are used.
const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;

/// The start of the command line (NUL-separated arguments) in a stack buffer; empty if it
/// cannot be read, which selects the system allocator.
fn read_cmdline() -> ([u8; 256], usize) {
    let mut buf = [0u8; 256];
    let Ok(fd) = rustix::fs::open(
        c"/proc/self/cmdline",
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    ) else {
        return (buf, 0);
    };
    let len = rustix::io::read(&fd, &mut buf).unwrap_or(0);
    (buf, len)
}

/// `BERTH_ALLOCATOR` from the environment, scanned in chunks (the environment may be larger
/// than any stack buffer).
fn override_from_environ() -> Option<u8> {
    let fd = rustix::fs::open(
        c"/proc/self/environ",
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .ok()?;
    let mut scan = EnvScan::default();
    let mut buf = [0u8; 512];
    loop {
        match rustix::io::read(&fd, &mut buf) {
            Ok(0) | Err(_) => return scan.finish(),
            Ok(n) => buf[..n].iter().for_each(|b| scan.push(*b)),
        }
    }
}

/// Finds `\0BERTH_ALLOCATOR=<value>\0` in a stream of NUL-separated `NAME=value` entries
/// (the stream is taken to start after a NUL).
struct EnvScan {
    /// Bytes of the current entry matched so far, or `None` once it cannot match.
    matched: Option<usize>,
    value: [u8; 16],
    value_len: usize,
    found: Option<u8>,
}

impl Default for EnvScan {
    fn default() -> Self {
        EnvScan {
            matched: Some(0),
            value: [0; 16],
            value_len: 0,
            found: None,
        }
    }
}

const NAME: &[u8] = b"BERTH_ALLOCATOR=";

impl EnvScan {
    fn push(&mut self, byte: u8) {
        if byte == 0 {
            if self.matched == Some(NAME.len()) {
                self.found = match &self.value[..self.value_len] {
                    b"system" => Some(SYSTEM),
                    b"mimalloc" => Some(MIMALLOC),
                    _ => self.found,
                };
            }
            *self = EnvScan {
                found: self.found,
                ..EnvScan::default()
            };
            return;
        }
        self.matched = match self.matched {
            Some(n) if n < NAME.len() => (NAME[n] == byte).then_some(n + 1),
            Some(n) if self.value_len < self.value.len() => {
                self.value[self.value_len] = byte;
                self.value_len += 1;
                Some(n)
            }
            _ => None,
        };
    }

    fn finish(mut self) -> Option<u8> {
        self.push(0);
        self.found
    }
}

/// Whether the first argument after the program is `server`.
fn role_is_server((buf, len): &([u8; 256], usize)) -> bool {
    let mut args = buf[..*len].split(|b| *b == 0);
    args.next();
    args.next() == Some(b"server".as_slice())
}

// SAFETY: every method forwards to one of two correct allocators; which one is fixed before
// the first pointer is handed out (see the module invariant), so `dealloc` and `realloc`
// always reach the allocator that made the pointer.
unsafe impl GlobalAlloc for ByRole {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is passed through unchanged.
        unsafe {
            if Self::uses_mimalloc() {
                MiMalloc.alloc(layout)
            } else {
                System.alloc(layout)
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        unsafe {
            if Self::uses_mimalloc() {
                MiMalloc.alloc_zeroed(layout)
            } else {
                System.alloc_zeroed(layout)
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from the same allocator (the choice never changes).
        unsafe {
            if Self::uses_mimalloc() {
                MiMalloc.dealloc(ptr, layout)
            } else {
                System.dealloc(ptr, layout)
            }
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as `dealloc`.
        unsafe {
            if Self::uses_mimalloc() {
                MiMalloc.realloc(ptr, layout, new_size)
            } else {
                System.realloc(ptr, layout, new_size)
            }
        }
    }
}

/// Which allocator this process runs on, for logs and benchmarks.
pub fn name() -> &'static str {
    if ByRole::uses_mimalloc() {
        "mimalloc"
    } else {
        "glibc malloc"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmdline(args: &[&str]) -> ([u8; 256], usize) {
        let mut buf = [0u8; 256];
        let mut len = 0;
        for arg in args {
            buf[len..len + arg.len()].copy_from_slice(arg.as_bytes());
            len += arg.len() + 1;
        }
        (buf, len)
    }

    #[test]
    fn only_the_server_role_uses_mimalloc() {
        assert!(role_is_server(&cmdline(&[
            "berth",
            "server",
            "--data-dir",
            "/x"
        ])));
        assert!(role_is_server(&cmdline(&["/usr/bin/berth", "server"])));
        assert!(!role_is_server(&cmdline(&[
            "berth",
            "agent",
            "--simulate",
            "5"
        ])));
        assert!(!role_is_server(&cmdline(&["berth", "image", "server"])));
        assert!(!role_is_server(&cmdline(&["berth", "serverx"])));
        assert!(!role_is_server(&cmdline(&["berth"])));
        assert!(!role_is_server(&(([0u8; 256]), 0)));
    }

    fn scan(environ: &[u8]) -> Option<u8> {
        let mut scan = EnvScan::default();
        environ.iter().for_each(|b| scan.push(*b));
        scan.finish()
    }

    #[test]
    fn the_environment_overrides_the_role() {
        assert_eq!(
            scan(b"HOME=/root\0BERTH_ALLOCATOR=system\0PATH=/bin\0"),
            Some(SYSTEM)
        );
        assert_eq!(scan(b"BERTH_ALLOCATOR=mimalloc"), Some(MIMALLOC));
        assert_eq!(scan(b"X=1\0BERTH_ALLOCATOR=mimalloc\0"), Some(MIMALLOC));
        assert_eq!(scan(b"BERTH_ALLOCATOR=other\0"), None);
        assert_eq!(scan(b"BERTH_ALLOCATOR=mimallocmimallocmimalloc\0"), None);
        assert_eq!(scan(b"XBERTH_ALLOCATOR=system\0"), None);
        assert_eq!(scan(b"BERTH_ALLOCATORS=system\0"), None);
        assert_eq!(scan(b"A=BERTH_ALLOCATOR=system\0"), None);
        assert_eq!(scan(b""), None);
    }

    #[test]
    fn the_choice_is_made_once_and_reads_this_process() {
        // The test binary is not `berth server` (and CI sets no override).
        assert_eq!(name(), "glibc malloc");
        assert_ne!(CHOICE.load(Ordering::Relaxed), UNDECIDED);
    }
}
