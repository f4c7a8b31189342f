//! policy.toml on arbitrary text: a policy or a located error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    match duizhang::read::policy::parse(text) {
        Ok(policy) => {
            assert!((1..=31).contains(&policy.payment_deadline_day));
            assert!(duizhang::case::PHASE_OUT_MONTHS.contains(&policy.phase_out_months));
            assert!(duizhang::case::DECEASED_GRACE_MONTHS.contains(&policy.deceased_grace_months));
            assert!(!policy.tolerance.fen().is_negative());
        }
        Err(error) => assert!(error.to_string().starts_with("policy.toml:")),
    }
});
