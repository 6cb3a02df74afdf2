//! How the server's memory is returned to the system.
//!
//! glibc's allocator gives each thread that contends for it an arena of its own (up to eight
//! per core) and, after a large block is freed, raises the size from which it maps blocks
//! directly (up to 32 MB), so that later large blocks come from an arena and stay there. A
//! password check (Argon2, 19 MiB of working memory) runs on the blocking pool's threads:
//! eight sign-ins at once left over a gigabyte resident. Fixed settings keep large blocks
//! mapped (returned on free) and the arenas few. Other allocators and systems are left alone.
//!
//! Rust's own allocations go through [`Allocator`]: small blocks to mimalloc, large ones to the
//! system's allocator (so glibc's settings still matter: for those, and for SQLite's).

use mimalloc::MiMalloc;
use std::alloc::{GlobalAlloc, Layout, System};

/// Blocks from this size up are mapped on their own and returned to the system when freed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 256 * 1024;

/// Free memory at the top of an arena beyond this is returned to the system. Fixing the mapping
/// threshold also fixes this one at its default of 128 KiB, which returned (and took back) memory
/// on nearly every page; the profile showed the allocator consolidating and trimming.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_THRESHOLD: libc::c_int = 8 * 1024 * 1024;

/// At most this many arenas (two cores' worth).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const ARENA_MAX: libc::c_int = 4;

/// How long mimalloc keeps memory freed before it returns it to the system, in milliseconds
/// (mimalloc 3's default: 1,000). A portfolio computation frees tens of megabytes at once; with
/// the default they stayed resident a second or more after the computation ended, beneath the
/// next one (resident after the portfolio's first load 85 → 80 MB, its peak 108 → 90 MB). A
/// tenth of a second still keeps memory for reuse between the requests of a burst.
const PURGE_DELAY_MS: std::ffi::c_long = 100;

/// mimalloc's option `mi_option_purge_delay` (its place in `mi_option_t`, mimalloc.h; the crate
/// does not name it). `tests::the_purge_delay_option_is_mimallocs` checks it.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Applies the settings; call before any thread starts.
pub fn tune_allocator() {
    // An operator's MIMALLOC_PURGE_DELAY (read by mimalloc itself) is left in place.
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: mi_option_set only changes an option's value (its note: not thread safe); it
        // is called before any other thread exists.
        unsafe {
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS);
        }
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's parameters; it is called before any other
    // thread exists, and a refused setting (return value 0) leaves the default in place.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
        libc::mallopt(libc::M_ARENA_MAX, ARENA_MAX);
    }
}

/// The server's allocator: blocks from [`LARGE`] up come from the system's (glibc maps each on
/// its own and unmaps it when freed), the rest from mimalloc (fast with the many small blocks a
/// page render makes). mimalloc keeps freed memory for a while to reuse it, which is right for
/// small blocks and wrong for a password check's 19 MiB or a portfolio computation's large
/// vectors: those are given back the moment they are freed.
pub struct Allocator;

/// Blocks at least this large go to the system's allocator.
pub const LARGE: usize = 1024 * 1024;

fn is_large(size: usize) -> bool {
    size >= LARGE
}

// SAFETY: each block is allocated and freed by the same allocator, chosen by its size: Rust
// passes `dealloc` and `realloc` the layout the block was allocated with, and a `realloc` that
// crosses the threshold moves the block from one allocator to the other.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if is_large(layout.size()) {
            System.alloc(layout)
        } else {
            MiMalloc.alloc(layout)
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if is_large(layout.size()) {
            System.alloc_zeroed(layout)
        } else {
            MiMalloc.alloc_zeroed(layout)
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if is_large(layout.size()) {
            System.dealloc(ptr, layout)
        } else {
            MiMalloc.dealloc(ptr, layout)
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        match (is_large(layout.size()), is_large(new_size)) {
            (false, false) => MiMalloc.realloc(ptr, layout, new_size),
            (true, true) => System.realloc(ptr, layout, new_size),
            _ => {
                // From one allocator to the other: a new block, the contents, the old one freed.
                let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
                let new = self.alloc(new_layout);
                if !new.is_null() {
                    std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                    self.dealloc(ptr, layout);
                }
                new
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option set as the purge delay is the one that holds mimalloc 3's default purge
    /// delay (read, not set: tests run on many threads and setting is not thread safe).
    #[test]
    fn the_purge_delay_option_is_mimallocs() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // SAFETY: reading an option is what mimalloc does on every purge.
        let delay = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(delay, 1000, "option {MI_OPTION_PURGE_DELAY} is mimalloc's purge delay in milliseconds");
    }

    /// A block moved across the threshold (both ways) keeps its contents and is freed by the
    /// allocator that made it (a mismatch would abort the test process).
    #[test]
    fn blocks_keep_their_contents_across_the_threshold() {
        let allocator = Allocator;
        unsafe {
            let small = Layout::from_size_align(4096, 8).unwrap();
            let p = allocator.alloc(small);
            assert!(!p.is_null());
            for i in 0..4096 {
                *p.add(i) = (i % 251) as u8;
            }
            let p = allocator.realloc(p, small, 2 * LARGE);
            assert!(!p.is_null());
            assert!((0..4096).all(|i| *p.add(i) == (i % 251) as u8), "grown into a large block");
            let large = Layout::from_size_align(2 * LARGE, 8).unwrap();
            let p = allocator.realloc(p, large, 1000);
            assert!(!p.is_null());
            assert!((0..1000).all(|i| *p.add(i) == (i % 251) as u8), "shrunk into a small block");
            allocator.dealloc(p, Layout::from_size_align(1000, 8).unwrap());

            let zeroed = allocator.alloc_zeroed(Layout::from_size_align(LARGE, 64).unwrap());
            assert!(!zeroed.is_null());
            assert_eq!(zeroed as usize % 64, 0, "aligned as asked");
            assert!((0..LARGE).all(|i| *zeroed.add(i) == 0));
            allocator.dealloc(zeroed, Layout::from_size_align(LARGE, 64).unwrap());
        }
    }
}
