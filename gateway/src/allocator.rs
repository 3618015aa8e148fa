//! The binaries' global allocator: mimalloc, asked for plain blocks whenever the alignment
//! allows.
//!
//! The `mimalloc` crate's allocator passes every Rust allocation to `mi_malloc_aligned`.
//! mimalloc 3 serves that from its fast path only while the size class's page has a free
//! block at hand; otherwise it treats any size that is not a power of two as needing
//! over-allocation (size + alignment − 1 bytes, in a larger size class, with interior
//! pointers that make the page's frees slower). Nearly every allocation here is aligned to
//! 8 bytes or less — which every mimalloc block is — and most response-tree vectors are
//! not a power of two in size (32-byte values, 56-byte pairs). Plain `mi_malloc` for those
//! saved 6 % of the instructions of reading the benchmark's subgraph answers
//! (bench/gateway/README.md, "Reading answers without serde").

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys::{
    mi_free, mi_malloc, mi_malloc_aligned, mi_realloc, mi_realloc_aligned, mi_zalloc,
    mi_zalloc_aligned,
};

/// Every mimalloc block is aligned to at least a machine word.
const PLAIN_ALIGNMENT: usize = std::mem::size_of::<usize>();

/// mimalloc as the global allocator (`#[global_allocator]` in each binary).
pub struct Allocator;

// SAFETY: each method hands mimalloc's own result through; blocks from `mi_malloc` are
// word-aligned, so the plain calls are used only for layouts that ask for no more, and every
// block, however allocated, is freed and resized by mimalloc.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= PLAIN_ALIGNMENT {
            mi_malloc(layout.size()).cast()
        } else {
            mi_malloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= PLAIN_ALIGNMENT {
            mi_zalloc(layout.size()).cast()
        } else {
            mi_zalloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        mi_free(ptr.cast::<c_void>());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= PLAIN_ALIGNMENT {
            mi_realloc(ptr.cast::<c_void>(), new_size).cast()
        } else {
            mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()).cast()
        }
    }
}
