//! What the run asks of the allocator (mimalloc, set in main.rs): large
//! pages for in-memory runs, and freed pages back to the kernel between
//! the steps of a partitioned run. Used by `app` and the reader's scan;
//! depends on nothing of the crate.

/// Asks mimalloc for 2 MiB pages (transparent huge pages) from here on: an
/// in-memory run touches about twice its input in fresh memory, and on
/// this kind of machine zeroing it a 4 KiB page fault at a time was the
/// largest single cost (25–40% of the profile). A partitioned run keeps
/// small pages: it is sized to a memory limit, and huge pages round up.
pub fn prefer_large_pages() {
    // SAFETY: sets one of mimalloc's global options; it takes no pointers.
    // With another global allocator it changes nothing that is used.
    unsafe { libmimalloc_sys::mi_option_set(libmimalloc_sys::mi_option_large_os_pages, 1) };
}

/// Returns freed memory to the kernel, so the next step's peak is its own.
/// (The binary allocates with mimalloc, which otherwise keeps freed pages
/// for reuse; with another allocator this frees mimalloc's empty heap and
/// costs nothing.)
pub fn give_back_freed_memory() {
    // SAFETY: `mi_collect` takes no pointers; it only returns mimalloc's
    // unused pages to the operating system.
    unsafe { libmimalloc_sys::mi_collect(true) };
}
