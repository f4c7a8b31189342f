//! The `.xls` reader (compound file, BIFF8) on arbitrary bytes (seeds: the
//! fixtures' `.xls` workbooks). It must never panic — the reader's panic
//! guard must not be reached — nor block or grow without bound.
#![no_main]

use duizhang::domain::Format;
use duizhang::read::workbook::{self, WorkbookError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Err(WorkbookError::Unreadable(message)) = workbook::read(bytes, Format::Xls) {
        assert_ne!(message, workbook::PANIC_GUARD_MESSAGE, "the panic guard was reached");
    }
});
