//! What the run asks of the allocator (mimalloc, set in main.rs): freed
//! pages back to the kernel between the steps of a run. Used by `app` and
//! the reader's scan; depends on nothing of the crate.
//!
//! Runs ask for no huge pages: whether the kernel has 2 MiB pages to give
//! depends on how long the machine has been in use (fragmentation), so a
//! run that counted on them was fast on a fresh machine only; the big
//! buffers are sized once instead, so few pages are faulted twice.

/// Returns freed memory to the kernel, so the next step's peak is its own.
/// (The binary allocates with mimalloc, which otherwise keeps freed pages
/// for reuse; with another allocator this frees mimalloc's empty heap and
/// costs nothing.)
#[cfg(not(target_family = "wasm"))]
pub fn give_back_freed_memory() {
    // SAFETY: `mi_collect` takes no pointers; it only returns mimalloc's
    // unused pages to the operating system.
    unsafe { libmimalloc_sys::mi_collect(true) };
}

/// In WebAssembly (the page of web/) there is no mimalloc and no kernel to
/// give pages back to: the module's memory only grows.
#[cfg(target_family = "wasm")]
pub fn give_back_freed_memory() {}
