//! Every value parser of the input edge on arbitrary text: money, periods,
//! ranges, dates, id numbers, shares and standards items. None may panic;
//! what parses must print back to text that parses to the same value.
#![no_main]

use duizhang::domain::program::{fold_rule_name, is_rule_name};
use duizhang::domain::{
    id_number, Date, Item, Money, Period, PeriodRange, Program, Rounding, Share,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    if let Ok(money) = Money::parse(text) {
        assert!(!money.fen().is_negative());
        assert_eq!(Money::parse(&money.to_string()), Ok(money));
        for rounding in [Rounding::Fen, Rounding::Jiao, Rounding::Yuan] {
            let rounded = money.round_half_up(rounding);
            assert!((rounded - money).abs().fen() * 2 <= rounding.unit_fen());
        }
    }
    if let Some(period) = Period::parse(text) {
        assert_eq!(Period::parse(&period.to_string()), Some(period));
    }
    if let Ok(range) = PeriodRange::parse(text) {
        assert!(range.first <= range.last);
        assert_eq!(PeriodRange::parse(&range.to_string()), Ok(range));
    }
    if let Some(date) = Date::parse(text) {
        assert_eq!(Date::parse(&date.to_string()), Some(date));
    }
    // The office forms (docs/formats.md) read back as the same value.
    if let Some(period) = Period::parse_any(text) {
        assert_eq!(Period::parse(&period.to_string()), Some(period));
    }
    if let Ok(range) = PeriodRange::parse_any(text) {
        assert!(range.first <= range.last);
        assert_eq!(PeriodRange::parse(&range.to_string()), Ok(range));
    }
    if let Some(date) = Date::parse_any(text) {
        assert_eq!(Date::parse(&date.to_string()), Some(date));
        assert_eq!(date.period(), date.period());
    }
    if let Ok(money) = Money::parse_in(text, duizhang::domain::Unit::Fen) {
        assert_eq!(Money::parse(&money.to_string()), Ok(money));
    }
    if let Some(upgraded) = id_number::upgrade_15(text) {
        assert!(id_number::is_valid(&upgraded));
    }
    let _ = id_number::is_scientific(text);
    let normalised = id_number::normalise(text);
    let _ = id_number::is_valid(&normalised);
    if let Ok(Some(share)) = Share::parse(text) {
        assert_eq!(Share::parse(&share.to_string()), Ok(Some(share)));
        // The largest base a money cell may hold: the product stays exact.
        for base in [Money::ZERO, Money::from_fen(1), Money::from_fen(1_000_000_000_000)] {
            for rounding in [Rounding::Fen, Rounding::Jiao, Rounding::Yuan] {
                let value = share.of(base, rounding);
                assert!(!value.fen().is_negative());
                assert_eq!(value.fen() % rounding.unit_fen(), 0);
            }
        }
    }
    for program in Program::ALL {
        if let Some((item, name)) = Item::parse(program, text) {
            if matches!(item, Item::Tier | Item::Topup) {
                assert!(is_rule_name(name));
                assert_eq!(fold_rule_name(name).len(), name.len());
            }
        }
    }
});
