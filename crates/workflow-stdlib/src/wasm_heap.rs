//! The heap of browser modules and no_std components: dlmalloc (std's allocator on
//! wasm32-unknown-unknown) over linear memory — in browsers grown by at least half its size
//! at a time, in components by what dlmalloc asks for.
//!
//! std grows memory in 64 KiB steps; V8 makes each `memory.grow` a runtime call with its
//! own bookkeeping and GC pressure, and a 100,000-item Split under Node spent half its time
//! there (2.0 s; 0.96 s with memory grown up front). Growing geometrically makes the number
//! of grows logarithmic in the heap size, at the cost of up to a third of it unused.

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;
use core::cell::UnsafeCell;

const PAGE: usize = 64 * 1024;

/// At least this much is added at once (1 MiB).
const MIN_GROWTH: usize = 16 * PAGE;

/// Linear memory as dlmalloc's system: grows only, never gives memory back (wasm cannot).
/// `geometric`: grow by at least half the memory (at least 1 MiB) when possible. V8 wants
/// that; under wasmtime a grow is cheap (Split 100k is no slower growing by need), while a
/// small run that grew 1 MiB holds that much of its host's memory, so components grow by
/// what is needed, as wasi-libc does.
struct LinearMemory {
    geometric: bool,
}

// SAFETY: regions come from `memory.grow`, are fresh (zeroed) and never handed out twice.
unsafe impl dlmalloc::Allocator for LinearMemory {
    fn alloc(&self, size: usize) -> (*mut u8, usize, u32) {
        let current = wasm32::memory_size(0) * PAGE;
        let first = if self.geometric { size.max(current / 2).max(MIN_GROWTH) } else { size };
        for bytes in [first, size] {
            let pages = bytes.div_ceil(PAGE);
            let previous = wasm32::memory_grow(0, pages);
            if previous != usize::MAX {
                return ((previous * PAGE) as *mut u8, pages * PAGE, 0);
            }
        }
        (core::ptr::null_mut(), 0, 0)
    }

    fn remap(&self, _ptr: *mut u8, _old: usize, _new: usize, _can_move: bool) -> *mut u8 {
        core::ptr::null_mut()
    }

    fn free_part(&self, _ptr: *mut u8, _old: usize, _new: usize) -> bool {
        false
    }

    fn free(&self, _ptr: *mut u8, _size: usize) -> bool {
        false
    }

    fn can_release_part(&self, _flags: u32) -> bool {
        false
    }

    fn allocates_zeros(&self) -> bool {
        true
    }

    fn page_size(&self) -> usize {
        PAGE
    }
}

/// The global allocator of browser modules and no_std components.
pub(crate) struct Heap(UnsafeCell<dlmalloc::Dlmalloc<LinearMemory>>);

// SAFETY: these modules run on one thread (no atomics, no shared memory).
unsafe impl Sync for Heap {}

impl Heap {
    /// A heap growing memory geometrically (browsers) or by need (components); see
    /// `LinearMemory`.
    pub(crate) const fn new(geometric: bool) -> Heap {
        Heap(UnsafeCell::new(dlmalloc::Dlmalloc::new_with_allocator(LinearMemory { geometric })))
    }
}

// SAFETY: dlmalloc's contract, on one thread (see `Sync` above).
unsafe impl GlobalAlloc for Heap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { (*self.0.get()).malloc(layout.size(), layout.align()) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        unsafe { (*self.0.get()).calloc(layout.size(), layout.align()) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { (*self.0.get()).free(ptr, layout.size(), layout.align()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        unsafe { (*self.0.get()).realloc(ptr, layout.size(), layout.align(), new_size) }
    }
}
