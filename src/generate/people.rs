//! Random but plausible people: GB 11643 id numbers and Chinese names.

/// SplitMix64: tiny, fast, and its sequence is fixed forever.
pub struct Random {
    state: u64,
}

impl Random {
    pub fn new(seed: u64) -> Random {
        Random {
            state: seed ^ 0x9E37_79B9_7F4A_7C15,
        }
    }

    pub fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut value = self.state;
        value = (value ^ (value >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        value = (value ^ (value >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        value ^ (value >> 31)
    }

    /// Uniform in `0..bound` (bound > 0; the tiny modulo bias is harmless here).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

/// Birth dates an id may carry: days 1–28 of every month of 1940–1999.
const BIRTH_DATES: u64 = 60 * 12 * 28;

/// Ids are distinct for sequences below this: each of the thousand values
/// of the id's three sequence digits meets every birth date once.
pub const DISTINCT_IDS: u64 = BIRTH_DATES * 1000;

/// A valid 18-character id (area code, birth date, sequence digits, check
/// character) for the `sequence`-th person of a case, distinct from every
/// other sequence below [`DISTINCT_IDS`] — two persons with one id would be
/// one person to the engine. The digits are `sequence % 1000`; the birth
/// date starts at a place drawn from `salt` and those digits, and moves on
/// one day per thousand persons, so equal digits never meet the same date.
pub fn id_number(salt: u64, area: &str, sequence: u64) -> String {
    debug_assert!(sequence < DISTINCT_IDS);
    let digits = sequence % 1000;
    let start = Random::new(salt ^ digits).next() % BIRTH_DATES;
    let date = (start + sequence / 1000) % BIRTH_DATES;
    let (year, month, day) = (1940 + date / (12 * 28), 1 + date / 28 % 12, 1 + date % 28);
    let mut id = format!("{area}{year:04}{month:02}{day:02}{digits:03}");
    let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = id
        .bytes()
        .zip(weights)
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    id.push(b"10X98765432"[(sum % 11) as usize] as char);
    id
}

const SURNAMES: [&str; 24] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋",
];
const GIVEN: [&str; 32] = [
    "秀英", "桂英", "建国", "国华", "玉兰", "志强", "淑珍", "海燕", "明", "伟", "芳", "军", "丽",
    "强", "敏", "静", "磊", "洋", "艳", "勇", "杰", "娟", "涛", "超", "秀兰", "德明", "春花",
    "永红", "金凤", "长生", "福贵", "翠花",
];

pub fn person_name(random: &mut Random) -> String {
    format!(
        "{}{}",
        SURNAMES[random.below(SURNAMES.len() as u64) as usize],
        GIVEN[random.below(GIVEN.len() as u64) as usize]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_pass_the_check_and_are_distinct() {
        let mut seen = std::collections::HashSet::new();
        for sequence in (0..30_000).chain(DISTINCT_IDS - 3_000..DISTINCT_IDS) {
            let id = id_number(7, "510104", sequence);
            assert!(crate::domain::id_number::is_valid(&id), "{id}");
            assert!(seen.insert(id.clone()), "{id} twice");
        }
    }

    #[test]
    fn the_sequence_is_fixed_for_a_seed() {
        let first: Vec<u64> = {
            let mut random = Random::new(42);
            (0..5).map(|_| random.next()).collect()
        };
        let second: Vec<u64> = {
            let mut random = Random::new(42);
            (0..5).map(|_| random.next()).collect()
        };
        assert_eq!(first, second);
        assert_ne!(first, {
            let mut random = Random::new(43);
            (0..5).map(|_| random.next()).collect::<Vec<u64>>()
        });
    }
}
