//! Every bound of the workbook readers, with its reason. A workbook past
//! one is refused with a message naming the file, the part or sheet and
//! the limit — within seconds and well under 1 GiB of memory, whatever the
//! file claims about itself.

use crate::read::records::MAX_COLUMNS;

/// Size of a workbook file: a county's roster is a few megabytes.
pub const MAX_WORKBOOK_BYTES: u64 = 512 << 20;

/// Rows a sheet may have (Excel's own limit); a row number past it stops
/// the run.
pub const MAX_SHEET_ROWS: u32 = 1 << 20;

/// Columns a sheet may use: as many as a CSV header may have.
pub const MAX_SHEET_COLUMNS: u32 = MAX_COLUMNS as u32;

/// Columns Excel has (A to XFD): a cell reference past them is damage,
/// not a wide sheet.
pub const EXCEL_COLUMNS: u32 = 1 << 14;

/// Rows and columns of the old `.xls` format (BIFF8): a record past them
/// is damage.
pub const XLS_ROWS: u32 = 1 << 16;
pub const XLS_COLUMNS: u32 = 1 << 8;

/// The header is looked for in a sheet's first this-many rows.
pub const HEADER_SEARCH_ROWS: u32 = 20;

/// Text of all cells and shared strings of a workbook, in bytes. Offsets
/// are 32-bit; half of that keeps a hostile workbook's text plus its cells
/// (below) under 1 GiB, while a legitimate 1,048,576-row × 20-column sheet
/// of ten-byte cells holds some 200 MiB.
pub const MAX_WORKBOOK_TEXT_BYTES: usize = 512 << 20;

/// Cells stored for a workbook (9 bytes each: its text's place and kind),
/// the empty cells left of a row's last value included: 2^25 cells are
/// 288 MiB, room for Excel's 1,048,576 rows × 32 columns, and a sheet
/// whose one value sits far to the right cannot multiply the memory.
pub const MAX_WORKBOOK_CELLS: usize = 1 << 25;

/// Cell elements of one sheet, empty ones (`<c/>`) counted: 2^25 is
/// Excel's 1,048,576 rows × 32 columns, and stops a sheet that inflates to
/// gigabytes of empty cells after some 130 MB of XML (about a second).
pub const MAX_SHEET_CELL_ELEMENTS: u64 = 1 << 25;

/// Shared strings of a workbook: one per distinct text, so a legitimate
/// workbook of a few million people holds at most a few tens of millions;
/// each costs 8 bytes here, never more, whatever the file declares.
pub const MAX_SHARED_STRINGS: usize = 1 << 24;

/// Text of all shared strings together, in bytes (a part of
/// [`MAX_WORKBOOK_TEXT_BYTES`], named so the message can say which).
pub const MAX_SHARED_STRINGS_BYTES: usize = 256 << 20;

/// One cell's text, in bytes: Excel holds at most 32,767 characters in a
/// cell (under 128 KiB as UTF-8); a longer one is damage. (A cell over
/// `records::MAX_CELL_BYTES` is still read, and its row is a BAD_RECORD.)
pub const MAX_STRING_BYTES: usize = 1 << 20;

/// Inflated size of a sheet's XML: a sheet of Excel's 1,048,576 rows × 20
/// columns is under 1 GiB of XML. Read as a stream, so this bounds time,
/// not memory.
pub const MAX_SHEET_PART_BYTES: u64 = 2 << 30;

/// Inflated size of shared strings' XML: markup around at most
/// [`MAX_SHARED_STRINGS_BYTES`] of text.
pub const MAX_SHARED_STRINGS_PART_BYTES: u64 = 1 << 30;

/// Inflated size of any other part read (relationships, workbook.xml,
/// styles.xml): a few kilobytes in Excel's files, megabytes with thousands
/// of styles.
pub const MAX_SMALL_PART_BYTES: u64 = 64 << 20;

/// One XML event (a tag with its attributes, or a run of text): a cell's
/// text is at most 32,767 characters, even written as `_xHHHH_` escapes
/// under 1 MiB. The XML reader holds one event in memory, so this bounds
/// what a single text run or tag of gigabytes could cost.
pub const MAX_XML_EVENT_BYTES: u64 = 4 << 20;

/// Parts in a workbook's zip archive: Excel writes a few per sheet, plus
/// pictures and drawings.
pub const MAX_ZIP_ENTRIES: usize = 1 << 16;

/// Sheets of a workbook: far more than any office file has.
pub const MAX_SHEETS: usize = 1 << 12;

/// Number formats and cell formats (styles.xml, XF records): Excel allows
/// 64,000 cell formats.
pub const MAX_STYLES: usize = 1 << 16;

/// Merged ranges of one sheet: a form merges a few title cells; each costs
/// 16 bytes here.
pub const MAX_MERGED_RANGES: usize = 1 << 20;

/// Length of a sheet's name, in bytes (Excel allows 31 characters).
pub const MAX_SHEET_NAME_BYTES: usize = 1 << 10;

// The limits agree with each other.
const _: () = assert!(MAX_SHARED_STRINGS_BYTES <= MAX_WORKBOOK_TEXT_BYTES);
const _: () = assert!(MAX_WORKBOOK_TEXT_BYTES <= u32::MAX as usize);
const _: () = assert!(MAX_WORKBOOK_CELLS <= u32::MAX as usize);
const _: () = assert!(MAX_SHEET_COLUMNS <= EXCEL_COLUMNS);
const _: () = assert!(MAX_STRING_BYTES as u64 <= MAX_XML_EVENT_BYTES);
