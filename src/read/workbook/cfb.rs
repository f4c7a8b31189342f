//! The compound file (CFB, [MS-CFB]) an `.xls` workbook is stored in: a
//! small file system of sectors chained by a table. Only what reading a
//! workbook needs: the streams directly inside the root storage, read
//! whole (a stream is at most the file's size: every chain is followed at
//! most once per sector, so a loop or a chain past the file is damage).

use super::WorkbookError;

const SIGNATURE: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
const HEADER_BYTES: usize = 512;
const DIRECTORY_ENTRY_BYTES: usize = 128;
/// Sector numbers at and above this mark the end of a chain or a free or
/// table sector, never a sector of data.
const MAX_REGULAR_SECTOR: u32 = 0xFFFF_FFFA;
const END_OF_CHAIN: u32 = 0xFFFF_FFFE;
const NO_STREAM: u32 = 0xFFFF_FFFF;
/// Header fields: where the first sectors of the 109 table sectors the
/// header lists begin.
const HEADER_TABLE_SECTORS: usize = 109;

fn damaged(what: impl std::fmt::Display) -> WorkbookError {
    WorkbookError::Unreadable(format!("the .xls compound file is damaged: {what}"))
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("four bytes"))
}

/// One directory entry.
#[derive(Clone, Debug)]
struct Entry {
    name: String,
    /// 1 storage, 2 stream, 5 root.
    kind: u8,
    left: u32,
    right: u32,
    child: u32,
    start: u32,
    size: u64,
}

pub struct Compound<'b> {
    bytes: &'b [u8],
    sector_bytes: usize,
    /// Sectors the file holds (the last may be short).
    sectors: usize,
    table: Vec<u32>,
    entries: Vec<Entry>,
    mini_cutoff: u64,
    mini_table: Vec<u32>,
    /// The root entry's stream: where small streams live, in 64-byte
    /// sectors.
    mini_stream: Vec<u8>,
}

impl<'b> Compound<'b> {
    pub fn open(bytes: &'b [u8]) -> Result<Compound<'b>, WorkbookError> {
        if bytes.len() < HEADER_BYTES || !bytes.starts_with(SIGNATURE) {
            return Err(damaged("it is shorter than its header"));
        }
        let sector_shift = u16_at(bytes, 0x1E);
        if sector_shift != 9 && sector_shift != 12 {
            return Err(damaged(format!(
                "its sector size 2^{sector_shift} is neither 512 nor 4096 bytes"
            )));
        }
        if u16_at(bytes, 0x20) != 6 {
            return Err(damaged("its mini sector size is not 64 bytes"));
        }
        let sector_bytes = 1usize << sector_shift;
        // A 4096-byte sector file's header takes the whole first sector.
        let sectors = bytes
            .len()
            .saturating_sub(sector_bytes)
            .div_ceil(sector_bytes);
        let mut compound = Compound {
            bytes,
            sector_bytes,
            sectors,
            table: Vec::new(),
            entries: Vec::new(),
            mini_cutoff: u64::from(u32_at(bytes, 0x38)),
            mini_table: Vec::new(),
            mini_stream: Vec::new(),
        };
        compound.read_table()?;
        compound.read_directory(u32_at(bytes, 0x30))?;
        let mini_table_bytes =
            compound.chain_bytes(u32_at(bytes, 0x3C), None, "the mini sector table")?;
        compound.mini_table = mini_table_bytes
            .chunks_exact(4)
            .map(|id| u32_at(id, 0))
            .collect();
        let root = compound
            .entries
            .first()
            .cloned()
            .ok_or_else(|| damaged("it has no root entry"))?;
        if root.kind != 5 {
            return Err(damaged("its first directory entry is not the root"));
        }
        // Read whole and cut to the root's size: a size a writer rounded
        // up must not make a workbook whose streams are large unreadable.
        let mut mini_stream = compound.chain_bytes(root.start, None, "the mini stream")?;
        mini_stream.truncate(usize::try_from(root.size).unwrap_or(usize::MAX));
        compound.mini_stream = mini_stream;
        Ok(compound)
    }

    /// The sector table (FAT): its sectors are listed in the header and in
    /// a chain of list sectors (DIFAT).
    fn read_table(&mut self) -> Result<(), WorkbookError> {
        let table_sectors = u32_at(self.bytes, 0x2C) as usize;
        if table_sectors > self.sectors {
            return Err(damaged(format!(
                "it claims {table_sectors} table sectors in a file of {} sectors",
                self.sectors
            )));
        }
        let mut list: Vec<u32> = (0..HEADER_TABLE_SECTORS)
            .map(|index| u32_at(self.bytes, 0x4C + 4 * index))
            .take(table_sectors)
            .collect();
        let mut next = u32_at(self.bytes, 0x44);
        let ids_per_sector = self.sector_bytes / 4;
        let mut visited = 0;
        while next <= MAX_REGULAR_SECTOR && list.len() < table_sectors {
            visited += 1;
            if visited > self.sectors {
                return Err(damaged("its list of table sectors loops"));
            }
            let sector = self.sector(next)?;
            list.extend((0..ids_per_sector - 1).map(|index| u32_at(sector, 4 * index)));
            next = u32_at(sector, 4 * (ids_per_sector - 1));
        }
        list.truncate(table_sectors);
        if list.len() < table_sectors {
            return Err(damaged("its list of table sectors ends early"));
        }
        let mut table = Vec::with_capacity(table_sectors * ids_per_sector);
        for id in list {
            let sector = self.sector(id)?;
            table.extend(sector.chunks_exact(4).map(|id| u32_at(id, 0)));
        }
        self.table = table;
        Ok(())
    }

    /// Sector `id`'s bytes (the file's last sector may be short).
    fn sector(&self, id: u32) -> Result<&'b [u8], WorkbookError> {
        let index = id as usize;
        if id > MAX_REGULAR_SECTOR || index >= self.sectors {
            return Err(damaged(format!("sector {id} is past the end of the file")));
        }
        let start = (index + 1) * self.sector_bytes;
        let end = (start + self.sector_bytes).min(self.bytes.len());
        Ok(&self.bytes[start..end])
    }

    /// The bytes of the chain of sectors from `start`, cut to `size` when
    /// given (a chain shorter than its stream is damage).
    fn chain_bytes(
        &self,
        start: u32,
        size: Option<u64>,
        what: &str,
    ) -> Result<Vec<u8>, WorkbookError> {
        let mut out = Vec::new();
        let mut id = start;
        let mut visited = 0;
        let wanted = size.map(|size| usize::try_from(size).unwrap_or(usize::MAX));
        while id != END_OF_CHAIN {
            if wanted.is_some_and(|wanted| out.len() >= wanted) {
                break;
            }
            // Some writers mark "no chain" with the free-sector mark.
            if id == NO_STREAM && out.is_empty() && size.unwrap_or(0) == 0 {
                break;
            }
            visited += 1;
            if visited > self.sectors {
                return Err(damaged(format!("the chain of {what} loops")));
            }
            out.extend_from_slice(self.sector(id)?);
            id = *self
                .table
                .get(id as usize)
                .ok_or_else(|| damaged(format!("the chain of {what} leaves the sector table")))?;
        }
        if let Some(wanted) = wanted {
            if out.len() < wanted {
                return Err(damaged(format!("{what} is shorter than its size says")));
            }
            out.truncate(wanted);
        }
        Ok(out)
    }

    fn read_directory(&mut self, start: u32) -> Result<(), WorkbookError> {
        let directory = self.chain_bytes(start, None, "the directory")?;
        let version = u16_at(self.bytes, 0x1A);
        self.entries = directory
            .chunks_exact(DIRECTORY_ENTRY_BYTES)
            .map(|entry| {
                let name_bytes = (u16_at(entry, 0x40) as usize).min(64);
                let units: Vec<u16> = entry[..name_bytes]
                    .chunks_exact(2)
                    .map(|unit| u16_at(unit, 0))
                    .take_while(|&unit| unit != 0)
                    .collect();
                let size = if version == 3 {
                    u64::from(u32_at(entry, 0x78))
                } else {
                    u64::from(u32_at(entry, 0x78)) | (u64::from(u32_at(entry, 0x7C)) << 32)
                };
                Entry {
                    name: String::from_utf16_lossy(&units),
                    kind: entry[0x42],
                    left: u32_at(entry, 0x44),
                    right: u32_at(entry, 0x48),
                    child: u32_at(entry, 0x4C),
                    start: u32_at(entry, 0x74),
                    size,
                }
            })
            .collect();
        Ok(())
    }

    /// The names of the entries directly inside the root storage, and
    /// their indexes (the tree of siblings walked once, each entry at most
    /// once).
    fn root_children(&self) -> Vec<usize> {
        let mut children = Vec::new();
        let mut seen = vec![false; self.entries.len()];
        let mut stack = vec![self.entries[0].child];
        while let Some(id) = stack.pop() {
            let index = id as usize;
            if id == NO_STREAM || index >= self.entries.len() || seen[index] {
                continue;
            }
            seen[index] = true;
            children.push(index);
            stack.push(self.entries[index].left);
            stack.push(self.entries[index].right);
        }
        children
    }

    /// Whether the root storage holds a stream or storage named `name`
    /// (any case, as names in a compound file compare).
    pub fn has(&self, name: &str) -> bool {
        self.root_children()
            .into_iter()
            .any(|index| self.entries[index].name.eq_ignore_ascii_case(name))
    }

    /// The stream named `name` in the root storage, whole; `None` when
    /// there is none.
    pub fn stream(&self, name: &str) -> Result<Option<Vec<u8>>, WorkbookError> {
        let Some(index) = self.root_children().into_iter().find(|&index| {
            self.entries[index].kind == 2 && self.entries[index].name.eq_ignore_ascii_case(name)
        }) else {
            return Ok(None);
        };
        let entry = &self.entries[index];
        if entry.size > self.bytes.len() as u64 {
            return Err(damaged(format!(
                "stream {name} claims {} bytes in a file of {}",
                entry.size,
                self.bytes.len()
            )));
        }
        if entry.size < self.mini_cutoff {
            return self
                .mini_stream_bytes(entry.start, entry.size as usize, name)
                .map(Some);
        }
        self.chain_bytes(entry.start, Some(entry.size), &format!("stream {name}"))
            .map(Some)
    }

    fn mini_stream_bytes(
        &self,
        start: u32,
        size: usize,
        name: &str,
    ) -> Result<Vec<u8>, WorkbookError> {
        const MINI_SECTOR_BYTES: usize = 64;
        let mut out = Vec::with_capacity(size.min(self.mini_stream.len()));
        let mut id = start;
        let mut visited = 0;
        while out.len() < size {
            visited += 1;
            if id > MAX_REGULAR_SECTOR || visited > self.mini_table.len() + 1 {
                return Err(damaged(format!(
                    "the chain of stream {name} in the mini stream loops or ends early"
                )));
            }
            let begin = id as usize * MINI_SECTOR_BYTES;
            let sector = self
                .mini_stream
                .get(begin..begin + MINI_SECTOR_BYTES)
                .ok_or_else(|| damaged(format!("stream {name} leaves the mini stream")))?;
            out.extend_from_slice(sector);
            id = self
                .mini_table
                .get(id as usize)
                .copied()
                .unwrap_or(END_OF_CHAIN);
        }
        out.truncate(size);
        Ok(out)
    }
}
