//! Records grouped by person, and the parallel visit of every person: the
//! case's collections lie in file order, a person's reconciliation wants
//! its rows together, and the outputs must come back in person order
//! whatever the thread count.

use rayon::prelude::*;

use crate::case::{Case, PersonId, StageFile};
use crate::domain::Stage;

/// Records of one collection grouped by person (a CSR index): stable, so
/// each person's records stay in file order.
pub struct Grouping {
    offsets: Vec<u32>,
    order: Vec<u32>,
}

impl Grouping {
    /// Groups the `(index, person)` pairs by person, each group in the
    /// order given.
    pub fn new(people: usize, items: impl Iterator<Item = (u32, PersonId)> + Clone) -> Grouping {
        let mut offsets = vec![0u32; people + 1];
        for (_, person) in items.clone() {
            offsets[person.index() + 1] += 1;
        }
        for index in 0..people {
            offsets[index + 1] += offsets[index];
        }
        let mut next = offsets.clone();
        let mut order = vec![0u32; offsets[people] as usize];
        for (index, person) in items {
            let slot = &mut next[person.index()];
            order[*slot as usize] = index;
            *slot += 1;
        }
        Grouping { offsets, order }
    }

    /// As [`Grouping::new`] for a dense collection (index = position).
    pub fn dense(people: usize, persons: impl Iterator<Item = PersonId> + Clone) -> Grouping {
        Grouping::new(
            people,
            persons.enumerate().map(|(index, person)| {
                (
                    u32::try_from(index).expect("fewer than 4 billion records"),
                    person,
                )
            }),
        )
    }

    /// The indices of `person`'s items, in the order given.
    #[inline]
    pub fn of(&self, person: PersonId) -> &[u32] {
        &self.order
            [self.offsets[person.index()] as usize..self.offsets[person.index() + 1] as usize]
    }
}

/// Indices (into the case's vectors) of everything known about one person.
pub struct Bundle<'a> {
    pub person: PersonId,
    pub enrolments: &'a [u32],
    pub exclusions: &'a [u32],
    pub relatives: &'a [u32],
    /// Per stage, all of the person's records (any status, any period).
    pub records: [&'a [u32]; 3],
}

impl<'a> Bundle<'a> {
    /// A person's enrolments and exclusions alone (no records, no
    /// relatives): what the notice and whatif read of them.
    pub fn roster_only(
        person: PersonId,
        enrolments: &'a Grouping,
        exclusions: &'a Grouping,
    ) -> Bundle<'a> {
        Bundle {
            person,
            enrolments: enrolments.of(person),
            exclusions: exclusions.of(person),
            relatives: &[],
            records: [&[], &[], &[]],
        }
    }
}

/// Every collection of the case that a person's reconciliation reads,
/// grouped by person.
pub struct Groupings {
    /// Per stage ([`Stage::ALL`] order); a stage whose file was not given
    /// has no records.
    pub stages: [Grouping; 3],
    pub enrolments: Grouping,
    pub exclusions: Grouping,
    pub relatives: Grouping,
}

impl Groupings {
    /// Each grouping is one sequential counting sort: the six run side by
    /// side.
    pub fn new(case: &Case) -> Groupings {
        let people = case.people.len();
        let empty = StageFile::default();
        let (stages, ((enrolments, exclusions), relatives)) = rayon::join(
            || {
                let stages: Vec<Grouping> = Stage::ALL
                    .par_iter()
                    .map(|&stage| {
                        let file = case.stage(stage).unwrap_or(&empty);
                        Grouping::new(
                            people,
                            file.iter().map(|(index, record)| (index, record.person)),
                        )
                    })
                    .collect();
                <[Grouping; 3]>::try_from(stages).unwrap_or_else(|_| unreachable!("three stages"))
            },
            || {
                rayon::join(
                    || roster_groupings(case),
                    || {
                        Grouping::dense(
                            people,
                            case.relatives.iter().map(|relative| relative.person),
                        )
                    },
                )
            },
        );
        Groupings {
            stages,
            enrolments,
            exclusions,
            relatives,
        }
    }

    /// Everything known about `person`.
    #[inline]
    pub fn bundle(&self, person: PersonId) -> Bundle<'_> {
        Bundle {
            person,
            enrolments: self.enrolments.of(person),
            exclusions: self.exclusions.of(person),
            relatives: self.relatives.of(person),
            records: [
                self.stages[0].of(person),
                self.stages[1].of(person),
                self.stages[2].of(person),
            ],
        }
    }

    /// Starts loading what the persons just ahead of `person` will read (a
    /// hint: see `case::prefetch`): the records and enrolments of the
    /// person after next but one, and the payout texts of the person after
    /// next, whose records have arrived by then. Records lie in file
    /// order, not person order.
    #[inline]
    pub fn prefetch(&self, case: &Case, person: PersonId) {
        let people = case.people.len();
        let records_of = PersonId(u32::try_from(person.index() + 4).unwrap_or(u32::MAX));
        if records_of.index() < people {
            for (grouping, stage) in self.stages.iter().zip(Stage::ALL) {
                if let Some(file) = case.stage(stage) {
                    for &index in grouping.of(records_of).iter().take(PREFETCH_RECORDS) {
                        file.prefetch_record(index);
                    }
                }
            }
            for &index in self.enrolments.of(records_of).iter().take(PREFETCH_RECORDS) {
                crate::case::prefetch(&case.enrolments[index as usize]);
            }
        }
        let texts_of = PersonId(u32::try_from(person.index() + 2).unwrap_or(u32::MAX));
        if texts_of.index() < people {
            let payouts = &case.payouts;
            for &index in self.stages[Stage::Payout.index()]
                .of(texts_of)
                .iter()
                .take(PREFETCH_RECORDS)
            {
                payouts.prefetch_texts(payouts.record(index));
            }
        }
    }
}

/// Persons reconciled by one parallel task.
const PERSONS_PER_TASK: usize = 1024;

/// Records (and enrolments) per file whose loads are started ahead for
/// each person: a dozen months of one person lie in a few cache lines.
const PREFETCH_RECORDS: usize = 8;

/// The case's enrolments and exclusions grouped by person.
pub fn roster_groupings(case: &Case) -> (Grouping, Grouping) {
    let people = case.people.len();
    let enrolments = Grouping::dense(
        people,
        case.enrolments.iter().map(|enrolment| enrolment.person),
    );
    let exclusions = Grouping::dense(
        people,
        case.exclusions.iter().map(|exclusion| exclusion.person),
    );
    (enrolments, exclusions)
}

/// Visits every person in parallel tasks of `PERSONS_PER_TASK`
/// consecutive persons, each task filling one output: the outputs come
/// back in person order, whatever the thread count. Persons in runs keep
/// the allocations few and the collected order the person order.
pub fn per_person<T: Default + Send>(
    people: usize,
    visit: impl Fn(PersonId, &mut T) + Sync,
) -> Vec<T> {
    let tasks = people.div_ceil(PERSONS_PER_TASK);
    (0..tasks)
        .into_par_iter()
        .map(|task| {
            let mut output = T::default();
            for index in task * PERSONS_PER_TASK..people.min((task + 1) * PERSONS_PER_TASK) {
                let person = PersonId(u32::try_from(index).expect("fewer than 4 billion people"));
                visit(person, &mut output);
            }
            output
        })
        .collect()
}
