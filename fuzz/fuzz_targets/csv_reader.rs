//! The CSV reader on arbitrary bytes: the input is split into a roster and
//! a payouts file of a case folder (the first byte says where), read whole
//! and in chunks of a few bytes, reconciled, and rendered. It must never
//! panic, block or grow without bound; every chunking must read alike; and
//! no output may hold a NUL or carry text a spreadsheet would run.
#![no_main]

use duizhang::engine::{self, Context};
use duizhang::write::{findings_csv, ledger_csv};
use libfuzzer_sys::fuzz_target;

const STANDARDS: &str = "region,program,item,effective_from,amount\n*,dibao,standard,2020-01,500.00\n*,dibao,tier_a,2020-01,70%\n*,tekun,basic,2020-01,130%\n*,tekun,min_wage,2020-01,1800.00\n*,tekun,care_semi,2020-01,1/6\n";

fn outputs(folder: &std::path::Path, chunk_bytes: usize) -> Result<(Vec<u8>, Vec<u8>), String> {
    let options = duizhang::read::ReadOptions {
        chunk_bytes,
        ..duizhang::read::ReadOptions::default()
    };
    let case = duizhang::read::read_case_with(folder, &options).map_err(|error| error.to_string())?;
    let window = engine::window(&case, None, None).map_err(|error| error.to_string())?;
    if window.last.index() - window.first.index() > 36 {
        // A fuzzed period far away makes a long window: legal, but slow.
        return Ok((Vec::new(), Vec::new()));
    }
    let reconciliation = engine::reconcile(&case, window);
    let context = Context::new(&case, window);
    Ok((findings_csv(&reconciliation.findings), ledger_csv(&context, &reconciliation)))
}

fuzz_target!(|bytes: &[u8]| {
    let Some((&split, rest)) = bytes.split_first() else {
        return;
    };
    let at = usize::from(split) * rest.len() / 256;
    let (roster, payouts) = rest.split_at(at);
    let folder = tempfile::tempdir().expect("a temporary folder");
    let write = |name: &str, content: &[u8]| {
        std::fs::write(folder.path().join(name), content).expect("write a case file")
    };
    let mut roster_file = b"enrolment_id,id_number,name,region,program,household_size,per_capita_income,care_level,start_period,end_period,tier,categories,phase_out_from\n".to_vec();
    roster_file.extend_from_slice(roster);
    let mut payouts_file = b"payout_id,id_number,program,period,amount,name,account,paid_on,status\n".to_vec();
    payouts_file.extend_from_slice(payouts);
    write("roster.csv", &roster_file);
    write("payouts.csv", &payouts_file);
    write("standards.csv", STANDARDS.as_bytes());
    let whole = outputs(folder.path(), 8 << 20);
    let small = 1 + usize::from(split % 13);
    let chunked = outputs(folder.path(), small);
    assert_eq!(whole, chunked, "chunks of {small} bytes read differently");
    if let Ok((findings, ledger)) = whole {
        assert!(!findings.contains(&0) && !ledger.contains(&0), "a NUL reached an output");
        for output in [&findings, &ledger] {
            let mut reader = csv::ReaderBuilder::new().from_reader(output.as_slice());
            for record in reader.records() {
                let record = record.expect("the outputs are CSV");
                for cell in record.iter() {
                    assert!(
                        !cell.starts_with(['=', '+', '@', '\t', '\r']),
                        "a cell starts like a formula: {cell:?}"
                    );
                }
            }
        }
    }
});
