//! The typed contents of a case folder: what the readers produce and the
//! engine consumes. Plain data; every record remembers its line.

use serde::{Deserialize, Serialize};

use crate::domain::{
    Amount, CareLevel, Date, FileId, FileKind, InputFiles, Item, Money, Period, PeriodRange,
    Program, Rounding, Source, Status,
};

/// A person, interned: the rank of its id_number among all distinct
/// id_numbers of the case in code-point order. Ordering persons is ordering
/// their id_numbers, which is the order every output is sorted in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PersonId(pub u32);

impl PersonId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// All distinct id_numbers of the case, sorted; `PersonId` indexes it.
#[derive(Debug, Default)]
pub struct People {
    pub id_numbers: Vec<Box<str>>,
}

impl People {
    pub fn id_number(&self, person: PersonId) -> &str {
        &self.id_numbers[person.index()]
    }

    pub fn len(&self) -> usize {
        self.id_numbers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.id_numbers.is_empty()
    }
}

/// One roster row that was read and whose enrolment_id came first.
/// (serde: the payload of a distributed run's person row, which carries
/// the line and the person beside it; here too for exclusions and
/// relatives.)
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Enrolment {
    /// The roster row.
    #[serde(skip)]
    pub source: Source,
    #[serde(skip)]
    pub person: PersonId,
    pub enrolment_id: Box<str>,
    pub name: Box<str>,
    pub household_id: Box<str>,
    pub region: Box<str>,
    pub program: Program,
    /// dibao household size; 1 for other programs (SPEC §2 default).
    pub household_size: u32,
    pub per_capita_income: Money,
    pub deductions: Money,
    pub care_level: Option<CareLevel>,
    pub centralized: bool,
    pub approved_amount: Money,
    pub start: Period,
    /// Last payable period as written; `None` = still enrolled. Never
    /// read for temp.
    pub end: Option<Period>,
    /// dibao (SPEC v2): the period the household entered phase-out (渐退).
    pub phase_out_from: Option<Period>,
    /// The last period covered: the earlier of `end` and the phase-out's
    /// last month (SPEC v2 §4), set by [`Enrolment::apply_phase_out`] once
    /// the policy is known; `None` = open.
    pub last_covered: Option<Period>,
    /// The registered account with white space removed; empty when none.
    pub account: Box<str>,
    /// dibao (SPEC v2): the tier and classified top-ups; `None` for most
    /// households, which are paid by the gap formula alone.
    pub local_rules: Option<Box<LocalRules>>,
}

/// A dibao household's payment tier (分档) and its members' classified
/// top-up categories (分类施保), names folded (ASCII lower case).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalRules {
    pub tier: Option<Box<str>>,
    /// One entry per listed member: that member's distinct categories.
    pub members: Vec<Vec<Box<str>>>,
}

/// The last month a phase-out that begins at `from` pays (SPEC v2 §4):
/// `from + months − 1`, at most the last representable period.
pub fn phase_out_last(from: Period, months: u32) -> Period {
    debug_assert!(months >= 1, "policy.toml keeps phase_out_months ≥ 1");
    let last = Period::from_year_month(9999, 12).expect("9999-12 is a period");
    let index = u64::from(from.index()) + u64::from(months.max(1)) - 1;
    if index >= u64::from(last.index()) {
        last
    } else {
        Period::from_index(u32::try_from(index).expect("below 9999-12"))
    }
}

impl Enrolment {
    /// The periods this enrolment covers (SPEC §4): temp only its start
    /// period; an open end runs to the last representable period.
    pub fn span(&self) -> PeriodRange {
        let last = match self.program {
            Program::Temp => self.start,
            _ => self
                .last_covered
                .unwrap_or(Period::from_year_month(9999, 12).expect("9999-12 is a period")),
        };
        PeriodRange {
            first: self.start,
            last,
        }
    }

    pub fn covers(&self, period: Period) -> bool {
        self.span().contains(period)
    }

    /// True when the enrolment ended before `period` (SPEC §5 PAID_AFTER_EXIT).
    pub fn ended_before(&self, period: Period) -> bool {
        match self.program {
            Program::Temp => self.start < period,
            _ => self.last_covered.is_some_and(|last| last < period),
        }
    }

    /// Shortens a dibao enrolment in phase-out to its last paid month
    /// (SPEC v2 §4); everything else keeps `end`.
    pub fn apply_phase_out(&mut self, phase_out_months: u32) {
        self.last_covered = match (self.program, self.phase_out_from) {
            (Program::Dibao, Some(from)) => {
                let last = phase_out_last(from, phase_out_months);
                Some(self.end.map_or(last, |end| end.min(last)))
            }
            _ => self.end,
        };
    }

    /// Primary-enrolment order (SPEC §4): earliest start, then smallest id.
    pub fn primary_order(&self, other: &Enrolment) -> std::cmp::Ordering {
        self.start
            .cmp(&other.start)
            .then_with(|| self.enrolment_id.cmp(&other.enrolment_id))
    }
}

/// Where a stage record's texts lie in its chunk's arena: one block per
/// record — its id, then (payouts) the lengths of the name and the account
/// and the two texts — so a record holds 8 bytes of references instead of
/// three 8-byte slices.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TextBlock {
    start: u32,
    id_length: u16,
    /// The chunk's number; the top bit says the block holds a name and an
    /// account (chunk numbers need 15 bits: [`MAX_CHUNKS`]).
    chunk_and_payee: u16,
}

const PAYEE_BIT: u16 = 1 << 15;

impl TextBlock {
    /// The number of the chunk whose arena holds the texts.
    pub fn chunk(self) -> usize {
        usize::from(self.chunk_and_payee & !PAYEE_BIT)
    }

    /// The same texts, in an arena renumbered to `chunk` (the chunks of
    /// several files of one kind are numbered on after each other).
    fn in_chunk(self, chunk: u16) -> TextBlock {
        debug_assert!(usize::from(chunk) < MAX_CHUNKS);
        TextBlock {
            chunk_and_payee: (self.chunk_and_payee & PAYEE_BIT) | chunk,
            ..self
        }
    }
}
const _: () = assert!(MAX_CHUNKS <= PAYEE_BIT as usize);

/// A length in a block: three ASCII bytes of 7 bits each (21 bits hold a
/// `u16`), so the arena stays a valid `String` and every look-up is a
/// plain, checked `&str` slice.
const LENGTH_BYTES: usize = 3;

fn push_length(text: &mut String, length: u16) {
    for shift in [14, 7, 0] {
        text.push(char::from((length >> shift) as u8 & 0x7f));
    }
}

fn length_at(text: &str, at: usize) -> usize {
    text.as_bytes()[at..at + LENGTH_BYTES]
        .iter()
        .fold(0, |length, &byte| length << 7 | usize::from(byte))
}

/// Longest text cell a block holds (ids, names and accounts are short; a
/// longer cell is not what these columns hold), and the largest text arena
/// of one chunk (`u32` offsets).
pub const MAX_TEXT_BYTES: usize = u16::MAX as usize;
pub const MAX_ARENA_BYTES: usize = u32::MAX as usize;

/// The texts of one chunk's stage records, sized once (see
/// [`TextArena::with_capacity`]).
#[derive(Debug, Default)]
pub struct TextArena {
    chunk: u16,
    text: String,
}

impl TextArena {
    /// An arena for chunk `chunk` that takes `capacity_bytes` before it
    /// grows: the reader passes the chunk's size in bytes, which no chunk's
    /// texts can pass, so the arena never moves (pages never written are
    /// never made resident).
    pub fn with_capacity(chunk: u16, capacity_bytes: usize) -> TextArena {
        TextArena {
            chunk,
            text: String::with_capacity(capacity_bytes),
        }
    }

    /// Appends a record's id and, for a payout, its payee's name and
    /// account (white space removed from the account, SPEC §5). `None`
    /// when a text is longer than [`MAX_TEXT_BYTES`] or the arena would
    /// pass [`MAX_ARENA_BYTES`].
    pub fn push(&mut self, record_id: &str, payee: Option<(&str, &str)>) -> Option<TextBlock> {
        let start = u32::try_from(self.text.len()).ok()?;
        let id_length = u16::try_from(record_id.len()).ok()?;
        let mut chunk_and_payee = self.chunk;
        self.text.push_str(record_id);
        if let Some((name, account)) = payee {
            chunk_and_payee |= PAYEE_BIT;
            // Almost every account is ASCII digits: no white space to take
            // out (white space outside ASCII has bytes of 0x80 and above).
            let plain = !account
                .bytes()
                .any(|byte| byte == b' ' || (b'\t'..=b'\r').contains(&byte) || byte >= 0x80);
            let account_length: usize = if plain {
                account.len()
            } else {
                account.split(char::is_whitespace).map(str::len).sum()
            };
            push_length(&mut self.text, u16::try_from(name.len()).ok()?);
            push_length(&mut self.text, u16::try_from(account_length).ok()?);
            self.text.push_str(name);
            if plain {
                self.text.push_str(account);
            } else {
                for piece in account.split(char::is_whitespace) {
                    self.text.push_str(piece);
                }
            }
        }
        if self.text.len() > MAX_ARENA_BYTES {
            return None;
        }
        Some(TextBlock {
            start,
            id_length,
            chunk_and_payee,
        })
    }

    pub fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
    }

    /// The arena's chunk number.
    pub fn chunk(&self) -> u16 {
        self.chunk
    }

    pub fn len(&self) -> usize {
        self.text.len()
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// A record's id.
    pub fn record_id(&self, block: TextBlock) -> &str {
        let start = block.start as usize;
        &self.text[start..start + usize::from(block.id_length)]
    }

    /// A payout's payee name and account (white space removed); empty
    /// for the other stages.
    pub fn payee(&self, block: TextBlock) -> (&str, &str) {
        if block.chunk_and_payee & PAYEE_BIT == 0 {
            return ("", "");
        }
        let at = block.start as usize + usize::from(block.id_length);
        let name_length = length_at(&self.text, at);
        let account_length = length_at(&self.text, at + LENGTH_BYTES);
        let name_start = at + 2 * LENGTH_BYTES;
        let account_start = name_start + name_length;
        (
            &self.text[name_start..account_start],
            &self.text[account_start..account_start + account_length],
        )
    }
}

/// One allocation, transfer or payout row that was read and came first:
/// 40 bytes (a county-year holds about ten million).
#[derive(Clone, Copy, Debug)]
pub struct StageRecord {
    pub person: PersonId,
    pub line: u32,
    pub amount: Money,
    pub periods: PeriodRange,
    /// Its id and (payouts) payee name and account, in its chunk's arena.
    pub texts: TextBlock,
    /// `paid_on` / `transferred_on`: the day number, [`NO_DATE`] for none.
    date_days: i32,
    pub program: Program,
    pub status: Status,
}

/// `date_days` of a record without a date (allocations have none).
const NO_DATE: i32 = i32::MIN;

impl StageRecord {
    pub fn new(
        program: Program,
        status: Status,
        periods: PeriodRange,
        amount: Money,
        date: Option<Date>,
        line: u32,
    ) -> StageRecord {
        let date_days = date.map_or(NO_DATE, Date::days);
        assert!(
            date.is_none() || date_days != NO_DATE,
            "a date's day number (years 1 to 9999) is never the no-date mark"
        );
        StageRecord {
            person: PersonId(0),
            line,
            amount,
            periods,
            texts: TextBlock::default(),
            date_days,
            program,
            status,
        }
    }

    pub fn is_paid(&self) -> bool {
        self.status == Status::Paid
    }

    /// `paid_on` / `transferred_on`; allocations have none.
    pub fn date(&self) -> Option<Date> {
        (self.date_days != NO_DATE).then(|| Date::from_days(self.date_days))
    }

    pub fn set_date(&mut self, date: Option<Date>) {
        self.date_days = date.map_or(NO_DATE, Date::days);
    }
}

const _: () = assert!(std::mem::size_of::<StageRecord>() == 40);

/// A stage file is read in chunks of at most this many lines, so a record's
/// index is its chunk number and its place in the chunk, in 32 bits.
pub const CHUNK_INDEX_BITS: u32 = 17;
pub const MAX_CHUNK_RECORDS: usize = 1 << CHUNK_INDEX_BITS;
pub const MAX_CHUNKS: usize = 1 << (32 - CHUNK_INDEX_BITS);

/// The records of one chunk of a stage file and the text they refer to.
#[derive(Debug, Default)]
pub struct StageChunk {
    /// The file and sheet its rows are from (a chunk never spans two).
    pub file: FileId,
    pub sheet: u16,
    pub records: Vec<StageRecord>,
    pub text: TextArena,
    /// While the file is read: each record's [`record_id_hash`], taken
    /// where its id was just parsed, for the search for repeated ids;
    /// emptied by it. Empty where records come from elsewhere (the search
    /// then hashes the ids itself).
    pub id_hashes: Vec<u32>,
}

/// The 32-bit hash of a record id that repeated ids are looked for by.
pub fn record_id_hash(record_id: &str) -> u32 {
    (xxhash_rust::xxh3::xxh3_64(record_id.as_bytes()) >> 32) as u32
}

/// The records of a stage's files (first occurrences, BAD rows left out),
/// kept in the chunks they were parsed in: joining them would copy every
/// record. A record's index (`u32`) is `chunk << CHUNK_INDEX_BITS | place`;
/// indices rise in file order (the files of the kind in name order, SPEC
/// v3) but are not dense.
#[derive(Debug)]
pub struct StageFile {
    kind: FileKind,
    chunks: Vec<StageChunk>,
}

impl Default for StageFile {
    fn default() -> StageFile {
        StageFile {
            kind: FileKind::Payouts,
            chunks: Vec::new(),
        }
    }
}

impl StageChunk {
    /// Renumbers the chunk (its arena and every record's texts) to
    /// `number`: the chunks of a kind's files are numbered on across them.
    pub fn renumber(&mut self, number: u16) {
        if self.text.chunk == number {
            return;
        }
        self.text.chunk = number;
        for record in &mut self.records {
            record.texts = record.texts.in_chunk(number);
        }
    }
}

/// Asks the CPU to start loading the cache line of `value` and returns at
/// once: a hint, which changes no result. A person's records are looked up
/// by index, in file order, which is not person order, so each person's
/// first record of each file is a cache miss; the engine asks for the next
/// persons' records while it works on this one.
#[inline]
pub fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let address: *const T = value;
        // SAFETY: a prefetch reads nothing the program sees and cannot
        // fault; the address is of a live reference anyway. SSE is part of
        // every x86_64 CPU.
        #[allow(unused_unsafe)]
        unsafe {
            _mm_prefetch::<_MM_HINT_T0>(address.cast::<i8>())
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

impl StageFile {
    /// `None` when there are more chunks, or a chunk holds more records,
    /// than an index can name.
    pub fn from_chunks(kind: FileKind, chunks: Vec<StageChunk>) -> Option<StageFile> {
        let fits = chunks.len() <= MAX_CHUNKS
            && chunks.iter().enumerate().all(|(number, chunk)| {
                chunk.records.len() <= MAX_CHUNK_RECORDS && usize::from(chunk.text.chunk) == number
            })
            && chunks
                .windows(2)
                .all(|pair| (pair[0].file, pair[0].sheet) <= (pair[1].file, pair[1].sheet));
        fits.then_some(StageFile { kind, chunks })
    }

    /// The kind of file the records are from.
    pub fn kind(&self) -> FileKind {
        self.kind
    }

    /// The row `record` was read from.
    pub fn source(&self, record: &StageRecord) -> Source {
        let chunk = &self.chunks[record.texts.chunk()];
        Source::in_file(self.kind, chunk.file, chunk.sheet, record.line)
    }

    pub fn record(&self, index: u32) -> &StageRecord {
        &self.chunks[(index >> CHUNK_INDEX_BITS) as usize].records
            [(index as usize) & (MAX_CHUNK_RECORDS - 1)]
    }

    /// Asks the CPU to start loading record `index`, without waiting for
    /// it (see [`prefetch`]).
    pub fn prefetch_record(&self, index: u32) {
        if let Some(record) = self
            .chunks
            .get((index >> CHUNK_INDEX_BITS) as usize)
            .and_then(|chunk| {
                chunk
                    .records
                    .get((index as usize) & (MAX_CHUNK_RECORDS - 1))
            })
        {
            prefetch(record);
        }
    }

    /// Asks the CPU to start loading the texts of `record` (id, name,
    /// account), without waiting for them.
    pub fn prefetch_texts(&self, record: &StageRecord) {
        let arena = self.arena(record.texts);
        if let Some(text) = arena.text.as_bytes().get(record.texts.start as usize) {
            prefetch(text);
        }
    }

    fn arena(&self, block: TextBlock) -> &TextArena {
        &self.chunks[block.chunk()].text
    }

    /// A record's id.
    pub fn record_id(&self, record: &StageRecord) -> &str {
        self.arena(record.texts).record_id(record.texts)
    }

    /// A payout's payee name, as the bank has it ("" for other stages).
    pub fn payee_name(&self, record: &StageRecord) -> &str {
        self.arena(record.texts).payee(record.texts).0
    }

    /// A payout's account, white space removed ("" for other stages).
    pub fn account(&self, record: &StageRecord) -> &str {
        self.arena(record.texts).payee(record.texts).1
    }

    /// Every record with its index, in file order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &StageRecord)> + Clone {
        self.chunks.iter().enumerate().flat_map(|(number, chunk)| {
            let base = (number as u32) << CHUNK_INDEX_BITS;
            chunk
                .records
                .iter()
                .enumerate()
                .map(move |(place, record)| (base | place as u32, record))
        })
    }

    pub fn chunks(&self) -> &[StageChunk] {
        &self.chunks
    }

    pub fn chunks_mut(&mut self) -> &mut [StageChunk] {
        &mut self.chunks
    }

    pub fn len(&self) -> usize {
        self.chunks.iter().map(|chunk| chunk.records.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Exclusion {
    #[serde(skip)]
    pub person: PersonId,
    #[serde(skip)]
    pub source: Source,
    pub reason: Box<str>,
    pub from: Period,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Relative {
    #[serde(skip)]
    pub person: PersonId,
    #[serde(skip)]
    pub source: Source,
    pub staff_name: Box<str>,
    pub relation: Box<str>,
    pub filed: bool,
}

/// A members.csv row (SPEC v3): a member of a dibao household.
#[derive(Clone, Debug)]
pub struct Member {
    pub person: PersonId,
    pub source: Source,
    pub household_id: Box<str>,
    pub name: Box<str>,
    pub relation: Box<str>,
}

/// A watchlist.csv row (SPEC v3): another department's lead on a person.
#[derive(Clone, Debug)]
pub struct Lead {
    pub person: PersonId,
    pub source: Source,
    pub name: Box<str>,
    pub region: Box<str>,
    /// Which department or list (`残联`, `医保`), trimmed.
    pub list: Box<str>,
    pub reason: Box<str>,
    /// The month the department's data are as of.
    pub period: Period,
}

/// One standards.csv row (unambiguous; exact repeats dropped).
#[derive(Clone, Debug)]
pub struct StandardRow {
    pub source: Source,
    /// Code prefix; `*` is stored as the empty prefix.
    pub region: Box<str>,
    pub program: Program,
    pub item: Item,
    /// The tier or category of `tier_<T>` / `topup_<C>`, folded; empty
    /// for every other item.
    pub name: Box<str>,
    pub effective_from: Period,
    /// Money, or (SPEC v2) a share of the item's base.
    pub amount: Amount,
}

/// How a member in several top-up categories is paid (SPEC v2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TopupStacking {
    /// The largest of the member's top-ups.
    #[default]
    Highest,
    /// All of them.
    Sum,
}

impl TopupStacking {
    pub fn name(self) -> &'static str {
        match self {
            TopupStacking::Highest => "highest",
            TopupStacking::Sum => "sum",
        }
    }
}

/// policy.toml (SPEC §2), defaults filled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub payment_deadline_day: u32,
    pub rounding: Rounding,
    pub tolerance: Money,
    pub exclusive: Vec<Vec<Program>>,
    /// v2: derived standard amounts are rounded half-up to this unit.
    pub item_rounding: Rounding,
    pub topup_stacking: TopupStacking,
    /// v2: months a household in phase-out is paid, from `phase_out_from`.
    pub phase_out_months: u32,
    /// v2: months a multi-person dibao household keeps its benefit after
    /// the head's death.
    pub deceased_grace_months: u32,
    /// v3: months allowed to rectify a register item (its `due`).
    pub rectify_months: u32,
    /// policy.toml's `[notice]`: what the public notice (公示) carries
    /// beside the list. Not SPEC's: read only by `notice`.
    pub notice: NoticeSettings,
}

/// policy.toml's `[notice]` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeSettings {
    /// The body that posts the notice (发布单位), e.g. `某某镇人民政府`.
    pub issuer: Option<String>,
    /// The supervision telephone (监督电话).
    pub phone: Option<String>,
    /// Days the notice is posted (公示期): 7 by the 2021 dibao rules.
    pub days: u32,
}

/// `[notice] days`' range.
pub const NOTICE_DAYS: std::ops::RangeInclusive<u32> = 1..=30;

impl Default for NoticeSettings {
    fn default() -> NoticeSettings {
        NoticeSettings {
            issuer: None,
            phone: None,
            days: 7,
        }
    }
}

/// policy.toml's ranges (SPEC v2 §2).
pub const PHASE_OUT_MONTHS: std::ops::RangeInclusive<u32> = 1..=24;
pub const DECEASED_GRACE_MONTHS: std::ops::RangeInclusive<u32> = 0..=12;
/// policy.toml's range for `rectify_months` (SPEC v3 §2).
pub const RECTIFY_MONTHS: std::ops::RangeInclusive<u32> = 1..=12;

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            payment_deadline_day: 10,
            rounding: Rounding::Fen,
            tolerance: Money::ZERO,
            exclusive: vec![vec![Program::Dibao, Program::Tekun]],
            item_rounding: Rounding::Fen,
            topup_stacking: TopupStacking::Highest,
            phase_out_months: 6,
            deceased_grace_months: 0,
            rectify_months: 1,
            notice: NoticeSettings::default(),
        }
    }
}

impl Policy {
    /// True when one person may not hold `first` and `second` (two different
    /// programs) in the same period.
    pub fn are_exclusive(&self, first: Program, second: Program) -> bool {
        first != second
            && self
                .exclusive
                .iter()
                .any(|group| group.contains(&first) && group.contains(&second))
    }
}

/// A row that cannot be read (SPEC §5 BAD_RECORD), made by the reader.
#[derive(Clone, Debug)]
pub struct BadRecord {
    pub source: Source,
    /// The row's id_number cell, normalised; empty when it has none (or
    /// one that is not text without control characters).
    pub id_number: Box<str>,
    pub detail: String,
}

/// A record id seen again in its kind's files (SPEC §5 DUPLICATE_RECORD).
#[derive(Clone, Debug)]
pub struct DuplicateRecord {
    pub kind: FileKind,
    /// The first occurrence, which counts, and the repeat, which does not.
    pub first: Source,
    pub repeat: Source,
    pub record_id: Box<str>,
    pub person: PersonId,
    pub program: Program,
    /// The repeat's period (stage files); roster rows have none.
    pub periods: Option<PeriodRange>,
}

/// What run.json says about one input file.
#[derive(Clone, Debug, Default)]
pub struct FileReport {
    pub rows: u64,
    pub bad: u64,
    pub duplicate: u64,
    /// Summary and signature lines under a table, skipped (SPEC v3).
    pub summary_rows: u64,
    pub sha256: String,
    pub encoding: &'static str,
    /// `tab` for a tab-separated file; `None`: comma.
    pub delimiter: Option<&'static str>,
    /// A workbook: each sheet read, in workbook order.
    pub sheets: Vec<SheetReport>,
    /// A workbook: its hidden sheets that hold the kind's columns and were
    /// not read (columns.toml can name them).
    pub hidden_not_read: Vec<Box<str>>,
    /// Rows whose 15-digit ID number was upgraded to 18 characters.
    pub id_numbers_upgraded: u64,
    /// A text file: the line of its header (past title lines in a bank's
    /// `.txt`), 0 when not known.
    pub header_line: u64,
    /// Each column found: its SPEC name and the header text that named
    /// it, or `= value` for a value columns.toml gives (`duizhang check`);
    /// a workbook's first sheet read.
    pub columns: Vec<(&'static str, Box<str>)>,
    /// A stage file: the sum of its records' amounts in fen (repeats
    /// included, BAD rows not), which may not pass
    /// `read::MAX_FILE_TOTAL_FEN`; of a range only, when a range was read.
    pub money_total_fen: i128,
}

/// One sheet of a workbook that was read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SheetReport {
    /// Its place among the workbook's sheets (0 for the first).
    pub index: u16,
    pub name: Box<str>,
    pub header_row: u32,
    pub rows: u64,
    /// Each column found, as [`FileReport::columns`].
    pub columns: Vec<(&'static str, Box<str>)>,
    /// Merged cells that span data rows: (what was done, the range), for
    /// run.json and `duizhang check`.
    pub merges: Vec<Box<str>>,
}

/// Everything read from a case folder.
#[derive(Debug, Default)]
pub struct Case {
    pub people: People,
    pub enrolments: Vec<Enrolment>,
    pub standards: Vec<StandardRow>,
    pub payouts: StageFile,
    pub allocations: Option<StageFile>,
    pub transfers: Option<StageFile>,
    pub exclusions: Vec<Exclusion>,
    pub relatives: Vec<Relative>,
    /// v3: members.csv rows, in file order.
    pub members: Vec<Member>,
    /// v3: watchlist.csv rows, in file order.
    pub leads: Vec<Lead>,
    pub policy: Policy,
    /// Per input file read (policy.toml included), in name order.
    pub files: Vec<(FileId, FileReport)>,
    pub bad_records: Vec<BadRecord>,
    pub duplicate_records: Vec<DuplicateRecord>,
    /// Rows naming an id_number that fails the check (SPEC §5
    /// INVALID_ID_NUMBER): every row that is not a BAD_RECORD.
    pub invalid_id_evidence: Vec<(PersonId, Source)>,
    /// v3: roster rows that are BAD_RECORDs, by the person their id_number
    /// cell names (a payment to that person names them: the cause
    /// `roster_row_unreadable`), sorted.
    pub unreadable_roster: Vec<(PersonId, Source)>,
    /// Files in the case folder that are no case file, sorted by name.
    pub unused_files: Vec<String>,
    /// The input files as evidence names them (`roster.xlsx:14`,
    /// `payouts/2024-07.csv:5`).
    pub inputs: InputFiles,
    /// regions.csv: the names the workbooks show for region codes (empty
    /// when the case has none).
    pub regions: std::sync::Arc<crate::domain::regions::Regions>,
    /// columns.toml and regions.csv by the names found, when given.
    pub settings_files: Vec<String>,
}

impl Case {
    pub fn stage(&self, stage: crate::domain::Stage) -> Option<&StageFile> {
        match stage {
            crate::domain::Stage::Allocation => self.allocations.as_ref(),
            crate::domain::Stage::Transfer => self.transfers.as_ref(),
            crate::domain::Stage::Payout => Some(&self.payouts),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_block_gives_back_the_id_name_and_account_it_was_given() {
        let mut arena = TextArena::with_capacity(3, 0);
        let long_name = "王".repeat(200); // 600 bytes: a length past one byte
        let allocation = arena.push("A000000002", None).expect("fits");
        let payout = arena
            .push("P1", Some((&long_name, " 6217 7286\u{3000}7949 ")))
            .expect("fits");
        let empty = arena.push("P2", Some(("", ""))).expect("fits");
        assert_eq!(arena.record_id(allocation), "A000000002");
        assert_eq!(arena.payee(allocation), ("", ""));
        assert_eq!(arena.record_id(payout), "P1");
        // White space (an ideographic space too) is left out of accounts.
        assert_eq!(arena.payee(payout), (long_name.as_str(), "621772867949"));
        assert_eq!(arena.payee(empty), ("", ""));
        assert_eq!(payout.chunk_and_payee & !PAYEE_BIT, 3);
        assert!(arena.push(&"x".repeat(MAX_TEXT_BYTES + 1), None).is_none());
    }

    #[test]
    fn a_stage_record_keeps_its_date_or_none_in_four_bytes() {
        let periods = PeriodRange::single(Period::parse("2024-01").expect("a period"));
        let date = Date::parse("2024-01-05");
        let mut record = StageRecord::new(
            Program::Dibao,
            Status::Paid,
            periods,
            Money::from_fen(100),
            date,
            2,
        );
        assert_eq!(record.date(), date);
        record.set_date(None);
        assert_eq!(record.date(), None);
        assert_eq!(std::mem::size_of::<StageRecord>(), 40);
    }
}
