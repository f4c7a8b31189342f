//! The `.xlsx` reader on arbitrary bytes (seeds: the fixtures' workbooks,
//! also re-packed uncompressed so changes reach the XML). It must never
//! panic — the reader's panic guard must not be reached — nor block or
//! grow without bound; whatever it returns is a workbook whose invariants
//! hold (checked inside `read`) or an error.
#![no_main]

use duizhang::domain::Format;
use duizhang::read::workbook::{self, WorkbookError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Err(WorkbookError::Unreadable(message)) = workbook::read(bytes, Format::Xlsx) {
        assert_ne!(message, workbook::PANIC_GUARD_MESSAGE, "the panic guard was reached");
    }
});
