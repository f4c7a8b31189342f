//! Bank accounts as SPEC §5 compares them.

/// The key of an account (white space already removed) in the set of
/// SHARED_ACCOUNT candidates a partitioned run's scan collects: 128 bits
/// of XXH3, so two accounts of one case colliding is out of the question
/// (below 10^-20 for a billion accounts).
pub fn account_hash(account: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128(account.as_bytes())
}
