//! Range settlement (SPEC §4): a lump sum for `first..last` is spread over
//! its months, oldest first, each taking what its entitlement still lacks at
//! this stage; what is left goes to the last month.

use crate::domain::Money;

/// Splits `amount` over months whose entitlement (`expected`, unknown = 0)
/// and already-applied stage amount (`applied`) are given oldest first.
/// Returns each month's share; the shares sum to `amount` exactly.
pub fn settle_range(amount: Money, expected: &[Money], applied: &[Money]) -> Vec<Money> {
    assert_eq!(expected.len(), applied.len());
    assert!(!expected.is_empty(), "a range has at least one month");
    let mut remaining = amount;
    let mut shares: Vec<Money> = expected
        .iter()
        .zip(applied)
        .map(|(&expected, &applied)| {
            let lacking = (expected - applied).max(Money::ZERO);
            let share = remaining.min(lacking);
            remaining -= share;
            share
        })
        .collect();
    *shares.last_mut().expect("not empty") += remaining;
    debug_assert_eq!(shares.iter().copied().sum::<Money>(), amount);
    shares
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yuan(text: &str) -> Money {
        Money::parse(text).unwrap()
    }

    #[test]
    fn spec_section_7_back_pay_fills_both_months() {
        let shares = settle_range(
            yuan("300"),
            &[yuan("1290"), yuan("1290")],
            &[yuan("1140"), yuan("1140")],
        );
        assert_eq!(shares, vec![yuan("150"), yuan("150")]);
    }

    #[test]
    fn oldest_month_first_and_rest_to_the_last_month() {
        // July lacks 150, August lacks nothing: 150 to July, the rest to August.
        let shares = settle_range(
            yuan("200"),
            &[yuan("1290"), yuan("1290")],
            &[yuan("1140"), yuan("1290")],
        );
        assert_eq!(shares, vec![yuan("150"), yuan("50")]);
        // Over-applied months take nothing (max(E − applied, 0)).
        let shares = settle_range(
            yuan("100"),
            &[yuan("500"), yuan("500")],
            &[yuan("700"), yuan("500")],
        );
        assert_eq!(shares, vec![yuan("0"), yuan("100")]);
    }

    #[test]
    fn a_short_lump_sum_stops_where_it_runs_out() {
        let shares = settle_range(
            yuan("100"),
            &[yuan("500"), yuan("500"), yuan("500")],
            &[yuan("450"), yuan("0"), yuan("0")],
        );
        assert_eq!(shares, vec![yuan("50"), yuan("50"), yuan("0")]);
    }
}
