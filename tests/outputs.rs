//! What a run leaves in OUT_DIR, and on the console, when things go wrong:
//! the previous four outputs or the new four, never a mix, never a
//! temporary file, never a write through a link; formula-like text
//! written as text; a closed or full stdout/stderr never a panic.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{csv_rows, out_dir, read, repository};

const NAMES: [&str; 6] = [
    "findings.csv",
    "ledger.csv",
    "summary.csv",
    "register.csv",
    "corrections.csv",
    "run.json",
];

/// The user's own entries in OUT_DIR, which no run may touch. One looks
/// like ours but is not: only exact staging names are duizhang's.
const USER_FILES: [(&str, &str); 3] = [
    ("notes.txt", "my notes"),
    ("keep/inner.csv", "a,b\n"),
    (".duizhang-staging-notes/mine.txt", "not a staging folder"),
];

fn user_entries() -> BTreeSet<String> {
    USER_FILES
        .iter()
        .map(|(path, _)| path.split('/').next().expect("a name").to_string())
        .collect()
}

fn duizhang() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_duizhang"));
    command.env_remove("DUIZHANG_FAULTS");
    command
}

fn reconcile(case: &Path, out: &Path, extra: &[&str], faults: &str) -> Output {
    let mut command = duizhang();
    command
        .arg("reconcile")
        .arg(case)
        .arg("--out")
        .arg(out)
        .args(extra);
    if !faults.is_empty() {
        command.env("DUIZHANG_FAULTS", faults);
    }
    command.output().expect("the duizhang binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The outputs present in `folder`, by name.
fn outputs(folder: &Path) -> BTreeMap<&'static str, Vec<u8>> {
    NAMES
        .iter()
        .filter_map(|name| {
            std::fs::read(folder.join(name))
                .ok()
                .map(|bytes| (*name, bytes))
        })
        .collect()
}

fn entries(folder: &Path) -> BTreeSet<String> {
    std::fs::read_dir(folder)
        .expect("a folder")
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

/// Entries that are neither an output nor the user's.
fn leftovers(folder: &Path) -> BTreeSet<String> {
    let user = user_entries();
    entries(folder)
        .into_iter()
        .filter(|name| !NAMES.contains(&name.as_str()) && !user.contains(name))
        .collect()
}

fn add_user_files(folder: &Path) {
    for (path, text) in USER_FILES {
        let path = folder.join(path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("create");
        std::fs::write(path, text).expect("write");
    }
}

fn assert_user_files_intact(folder: &Path, context: &str) {
    for (path, text) in USER_FILES {
        assert_eq!(
            std::fs::read_to_string(folder.join(path)).ok().as_deref(),
            Some(text),
            "{context}: the user's {path} was changed or lost"
        );
    }
}

/// The previous run's outputs (spec case01, run once) and the user's
/// files in a fresh OUT_DIR.
fn previous_run(name: &str) -> PathBuf {
    static PREVIOUS: std::sync::OnceLock<BTreeMap<&'static str, Vec<u8>>> =
        std::sync::OnceLock::new();
    let previous = PREVIOUS.get_or_init(|| {
        let out = out_dir("outputs-previous");
        let case = repository().join("fixtures/spec-examples/case01");
        let run = reconcile(&case, &out, &[], "");
        assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
        outputs(&out)
    });
    let out = out_dir(name);
    std::fs::create_dir_all(&out).expect("create");
    for (name, bytes) in previous {
        std::fs::write(out.join(name), bytes).expect("write");
    }
    add_user_files(&out);
    out
}

/// The case whose outputs replace the previous ones, and those outputs.
/// (Made once: tests run in parallel and must not share a folder.)
fn new_case() -> (PathBuf, BTreeMap<&'static str, Vec<u8>>) {
    static NEW: std::sync::OnceLock<BTreeMap<&'static str, Vec<u8>>> = std::sync::OnceLock::new();
    let case = repository().join("fixtures/codes/SHORTFALL");
    let new = NEW.get_or_init(|| {
        let out = out_dir("outputs-reference");
        let run = reconcile(&case, &out, &[], "");
        assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
        outputs(&out)
    });
    (case, new.clone())
}

#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Previous,
    New,
}

/// OUT_DIR holds exactly the previous four or the new four, the user's
/// files as they were, and nothing else.
fn assert_previous_or_new(
    out: &Path,
    previous: &BTreeMap<&str, Vec<u8>>,
    new: &BTreeMap<&str, Vec<u8>>,
    context: &str,
) -> Seen {
    assert_user_files_intact(out, context);
    assert!(
        leftovers(out).is_empty(),
        "{context}: left behind {:?}",
        leftovers(out)
    );
    let present = outputs(out);
    if &present == previous {
        Seen::Previous
    } else if &present == new {
        Seen::New
    } else {
        let mixed: Vec<String> = present
            .iter()
            .map(|(name, bytes)| {
                let which = if previous.get(name) == Some(bytes) {
                    "previous"
                } else if new.get(name) == Some(bytes) {
                    "new"
                } else {
                    "neither"
                };
                format!("{name}: {which}")
            })
            .collect();
        panic!("{context}: OUT_DIR holds a mix: {mixed:?}");
    }
}

/// The start of the next run, which finishes or removes what a killed run
/// left; it then stops on its input (a window too long) with exit 2.
fn next_start(out: &Path) {
    let case = repository().join("fixtures/errors/window_too_long");
    let run = reconcile(&case, out, &[], "");
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert!(stderr(&run).contains("9999-12"), "{}", stderr(&run));
}

/// The ways of writing and placing: anonymous files or a staging folder,
/// exchange or rename (what other file systems and OSes get).
#[cfg(debug_assertions)]
const MODES: [&str; 4] = [
    "",
    "no-exchange",
    "no-anonymous",
    "no-anonymous,no-exchange",
];

/// Most file-system steps a run of a small case takes (to stop a sweep).
#[cfg(debug_assertions)]
const MAX_STEPS: u32 = 64;

/// Every step of writing and placing is made to fail in turn, in every
/// mode: each failure exits 2, says nothing was replaced, and leaves the
/// previous outputs byte for byte, the user's files, and nothing else.
#[cfg(debug_assertions)]
#[test]
fn a_failure_at_any_step_leaves_the_previous_outputs_untouched() {
    let (case, new) = new_case();
    for mode in MODES {
        // Without previous outputs too (then none may appear): once.
        let starts: &[bool] = if mode.is_empty() {
            &[true, false]
        } else {
            &[true]
        };
        for &had_outputs in starts {
            let mut step = 1;
            loop {
                let context = format!("mode {mode:?}, outputs before {had_outputs}, fail={step}");
                let out = previous_run("outputs-fail");
                if !had_outputs {
                    for name in NAMES {
                        std::fs::remove_file(out.join(name)).expect("remove");
                    }
                }
                let previous = outputs(&out);
                let run = reconcile(&case, &out, &[], &format!("{mode},fail={step}"));
                if run.status.success() {
                    assert_eq!(outputs(&out), new, "{context}");
                    if leftovers(&out).is_empty() {
                        break; // The step number is past the last step.
                    }
                    // The failed step was removing the staging folder,
                    // which holds only the previous files: the next start
                    // removes it.
                    next_start(&out);
                    assert_eq!(
                        assert_previous_or_new(&out, &previous, &new, &context),
                        Seen::New
                    );
                } else {
                    let message = stderr(&run);
                    assert_eq!(run.status.code(), Some(2), "{context}: {message}");
                    assert!(
                        message.contains(&format!("injected fault at step {step}"))
                            && message.contains("nothing was replaced"),
                        "{context}: {message}"
                    );
                    assert!(!message.contains("panicked"), "{context}: {message}");
                    assert_eq!(
                        assert_previous_or_new(&out, &previous, &new, &context),
                        Seen::Previous
                    );
                }
                step += 1;
                assert!(
                    step < MAX_STEPS,
                    "{context}: the run never got past its faults"
                );
            }
            assert!(step > 12, "mode {mode:?}: only {step} steps were tried");
        }
    }
}

/// The process is killed (SIGKILL) at every step in turn, in every mode.
/// A kill while writing leaves nothing behind (anonymous files); a kill
/// while placing may leave a staging folder, which the next run's start
/// resolves: OUT_DIR then holds the previous four or the new four — the
/// previous until the commit point, the new after it.
#[cfg(debug_assertions)]
#[test]
fn a_kill_at_any_step_leaves_the_previous_or_the_new_outputs() {
    /// Steps of writing the four files (create, flush each): no kill there
    /// may leave a trace when files are anonymous.
    const WRITING_STEPS: u32 = 8;
    let (case, new) = new_case();
    for mode in MODES {
        let mut step = 1;
        let mut seen = Vec::new();
        loop {
            let context = format!("mode {mode:?}, kill={step}");
            let out = previous_run("outputs-kill");
            let previous = outputs(&out);
            let run = reconcile(&case, &out, &[], &format!("{mode},kill={step}"));
            if run.status.success() {
                assert_eq!(
                    assert_previous_or_new(&out, &previous, &new, &context),
                    Seen::New
                );
                break;
            }
            assert_eq!(run.status.signal(), Some(9), "{context}: {}", stderr(&run));
            let left = leftovers(&out);
            if left.is_empty() {
                assert_previous_or_new(&out, &previous, &new, &context);
            } else {
                assert!(
                    left.iter()
                        .all(|name| name.starts_with(".duizhang-staging-")),
                    "{context}: left {left:?}"
                );
                assert!(
                    mode.contains("no-anonymous") || step > WRITING_STEPS,
                    "{context}: a kill while writing anonymous files left {left:?}"
                );
            }
            next_start(&out);
            seen.push(assert_previous_or_new(&out, &previous, &new, &context));
            step += 1;
            assert!(step < MAX_STEPS, "{context}: the run never finished");
        }
        let first_new = seen
            .iter()
            .position(|seen| *seen == Seen::New)
            .unwrap_or(seen.len());
        assert!(
            seen[first_new..].iter().all(|seen| *seen == Seen::New),
            "mode {mode:?}: the previous outputs came back after the new ones: {seen:?}"
        );
        assert!(
            first_new > WRITING_STEPS as usize && first_new < seen.len(),
            "mode {mode:?}: no kill fell after the commit point: {seen:?}"
        );
    }
}

/// When putting back what was placed fails too, the run says so, keeps
/// the staging folder with its manifest, and the next run's start
/// finishes placing: the new four, never a mix.
#[cfg(debug_assertions)]
#[test]
fn a_placing_that_cannot_be_undone_is_finished_by_the_next_run() {
    let (case, new) = new_case();
    for mode in ["", "no-exchange"] {
        // The steps that place (after which there is something to undo).
        let mut placing = Vec::new();
        for step in 1..MAX_STEPS {
            let out = previous_run("outputs-undo");
            let run = reconcile(&case, &out, &[], &format!("{mode},fail={step}"));
            if run.status.success() {
                break;
            }
            let message = stderr(&run);
            if ["(place)", "(move aside)", "(flush OUT_DIR)"]
                .iter()
                .any(|label| message.contains(label))
            {
                placing.push(step);
            }
        }
        assert!(
            placing.len() >= 5,
            "mode {mode:?}: placing steps {placing:?}"
        );
        let mut undone_partly = 0;
        for step in placing {
            for later in 1..4 {
                let context = format!("mode {mode:?}, fail={step} and {}", step + later);
                let out = previous_run("outputs-undo");
                let previous = outputs(&out);
                let faults = format!("{mode},fail={step},fail={}", step + later);
                let run = reconcile(&case, &out, &[], &faults);
                let message = stderr(&run);
                if message.contains("could not be put back")
                    || message.contains("could not be moved back")
                {
                    undone_partly += 1;
                    assert_eq!(run.status.code(), Some(2), "{context}: {message}");
                    assert!(message.contains("the next run"), "{context}: {message}");
                    next_start(&out);
                    assert_eq!(
                        assert_previous_or_new(&out, &previous, &new, &context),
                        Seen::New,
                        "{context}"
                    );
                } else {
                    assert_eq!(run.status.code(), Some(2), "{context}: {message}");
                    assert_eq!(
                        assert_previous_or_new(&out, &previous, &new, &context),
                        Seen::Previous,
                        "{context}: {message}"
                    );
                }
            }
        }
        assert!(undone_partly > 0, "mode {mode:?}: no undo ever failed");
    }
}

/// A generated case long enough to be caught in any phase (20,000
/// households), how long a run of it takes, and the outputs it writes.
fn big_case(
    name: &str,
) -> (
    PathBuf,
    std::time::Duration,
    BTreeMap<&'static str, Vec<u8>>,
) {
    let case = out_dir(&format!("{name}-case"));
    let generated = duizhang()
        .args(["generate", "--households", "20000", "--seed", "7"])
        .arg(&case)
        .stdout(Stdio::null())
        .status()
        .expect("generate runs");
    assert!(generated.success());
    let reference = out_dir(&format!("{name}-reference"));
    let started = std::time::Instant::now();
    let run = reconcile(&case, &reference, &["--quiet"], "");
    let took = started.elapsed();
    assert!(run.status.success(), "{}", stderr(&run));
    (case, took, outputs(&reference))
}

/// SIGKILL at a few moments of a run long enough to be caught reading,
/// reconciling and writing (20,000 generated households): OUT_DIR holds
/// the previous four or the new four, and after the next start nothing
/// else.
#[test]
fn killing_a_run_mid_write_leaves_the_previous_or_the_new_outputs() {
    let (case, took, new) = big_case("outputs-big");
    let mut killed = 0;
    for share in [10, 50, 80, 95] {
        let context = format!("killed at {share}% of {took:?}");
        let out = previous_run("outputs-big-kill");
        let previous = outputs(&out);
        let mut child = duizhang()
            .arg("reconcile")
            .arg(&case)
            .arg("--out")
            .arg(&out)
            .arg("--quiet")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(took * share / 100);
        child.kill().expect("SIGKILL");
        let status = child.wait().expect("wait");
        if status.signal() == Some(9) {
            killed += 1;
        }
        if !leftovers(&out).is_empty() {
            next_start(&out);
        }
        assert_previous_or_new(&out, &previous, &new, &context);
    }
    assert!(killed > 0, "no run was killed before it finished");
}

/// A case file another program cuts short while the run reads it (through
/// its memory map) ends the run with exit 2 and a message — never a crash
/// by SIGBUS — and leaves the previous outputs as they were.
#[test]
fn a_case_file_cut_short_while_it_is_read_ends_the_run_with_exit_2() {
    let (source, took, new) = big_case("outputs-cut-short");
    let mut stopped = 0;
    for share in [5, 15, 30] {
        let case = out_dir("outputs-cut-short-copy");
        std::fs::create_dir_all(&case).expect("a case folder");
        for entry in std::fs::read_dir(&source).expect("list the case") {
            let path = entry.expect("an entry").path();
            std::fs::copy(&path, case.join(path.file_name().expect("a name"))).expect("copy");
        }
        let out = previous_run("outputs-cut-short");
        let previous = outputs(&out);
        let child = duizhang()
            .arg("reconcile")
            .arg(&case)
            .arg("--out")
            .arg(&out)
            .arg("--quiet")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        std::thread::sleep(took * share / 100);
        for name in ["payouts.csv", "transfers.csv", "allocations.csv"] {
            std::fs::write(case.join(name), b"").expect("cut the file short");
        }
        let output = child.wait_with_output().expect("wait");
        let message = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.signal(),
            None,
            "killed by a signal at {share}%: {message}"
        );
        match output.status.code() {
            Some(2) => {
                stopped += 1;
                // Cut before it was opened, the file is simply empty.
                assert!(
                    message.contains("became shorter while it was being read")
                        || message.contains("the file changed during the run")
                        || message.contains("the file is empty"),
                    "{message}"
                );
                // A file cut short under the memory map is named.
                if message.contains("became shorter") {
                    assert!(
                        ["payouts.csv", "transfers.csv", "allocations.csv"]
                            .iter()
                            .any(|name| message
                                .contains(&format!("{name}: the file became shorter"))),
                        "the file is not named: {message}"
                    );
                }
                assert_eq!(outputs(&out), previous, "at {share}%");
            }
            // Read before it was cut: the run is the reference run.
            Some(0) => assert_eq!(outputs(&out), new, "at {share}%"),
            other => panic!("exit {other:?} at {share}%: {message}"),
        }
        if !leftovers(&out).is_empty() {
            next_start(&out);
        }
    }
    assert!(stopped > 0, "no run was caught reading a file cut short");
}

/// A folder where an output goes stops the run before anything is
/// placed (checked at the start, before the input is read).
#[test]
fn a_target_that_is_a_folder_stops_the_run_before_anything_is_replaced() {
    let (case, new) = new_case();
    let out = previous_run("outputs-folder-target");
    std::fs::remove_file(out.join("ledger.csv")).expect("remove");
    std::fs::create_dir(out.join("ledger.csv")).expect("a folder in the way");
    let previous = outputs(&out);
    let run = reconcile(&case, &out, &[], "");
    let message = stderr(&run);
    assert_eq!(run.status.code(), Some(2), "{message}");
    assert!(
        message.contains("ledger.csv: cannot write the output: it is a folder")
            && message.contains("move it away or choose another --out")
            && message.contains("nothing was replaced"),
        "{message}"
    );
    assert_eq!(outputs(&out), previous);
    std::fs::remove_dir(out.join("ledger.csv")).expect("remove");
    assert_user_files_intact(&out, "folder target");
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
    assert!(reconcile(&case, &out, &[], "").status.success());
    assert_eq!(outputs(&out), new);
}

/// A link where an output goes is refused (duizhang never writes through
/// a link), and links planted at every name an older duizhang used for
/// its temporary files (`.findings.csv.PID.tmp`, for the next PIDs) are
/// never followed: the file they point at keeps its bytes.
#[test]
fn planted_links_are_never_written_through() {
    let (case, new) = new_case();
    let out = previous_run("outputs-links");
    let victim = out_dir("outputs-links-victim");
    std::fs::create_dir_all(&victim).expect("create");
    let victim = victim.join("victim.txt");
    std::fs::write(&victim, "precious").expect("write");
    std::fs::remove_file(out.join("summary.csv")).expect("remove");
    std::os::unix::fs::symlink(&victim, out.join("summary.csv")).expect("link");
    let run = reconcile(&case, &out, &[], "");
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("it is a symbolic link"),
        "{}",
        stderr(&run)
    );
    assert_eq!(read(&victim), "precious");
    std::fs::remove_file(out.join("summary.csv")).expect("remove");

    let next_pid: u32 = std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(1000);
    let mut planted = Vec::new();
    for pid in next_pid..next_pid + 200 {
        for name in NAMES {
            let link = out.join(format!(".{name}.{pid}.tmp"));
            std::os::unix::fs::symlink(&victim, &link).expect("plant");
            planted.push(link);
        }
    }
    let run = reconcile(&case, &out, &[], "");
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert_eq!(read(&victim), "precious");
    assert_eq!(outputs(&out), new);
    for link in &planted {
        assert!(
            std::fs::symlink_metadata(link).is_ok_and(|metadata| metadata.is_symlink()),
            "{}: a link that is not ours was touched",
            link.display()
        );
    }
}

/// An OUT_DIR the run may not write into stops it at its start, before
/// the input is read, naming the folder; the previous outputs stay. (As
/// root, which may write anywhere, the run is made as user `nobody`, from
/// a folder `nobody` can reach.)
#[test]
fn an_out_dir_that_cannot_be_written_stops_the_run_at_its_start() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let mode = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    };
    // SAFETY: geteuid takes no arguments and cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    let reachable = tempfile::tempdir().expect("a temporary folder");
    mode(reachable.path(), 0o755);
    let (binary, out) = if root {
        let binary = reachable.path().join("duizhang");
        std::fs::copy(env!("CARGO_BIN_EXE_duizhang"), &binary).expect("copy");
        (binary, reachable.path().join("out"))
    } else {
        (
            PathBuf::from(env!("CARGO_BIN_EXE_duizhang")),
            out_dir("outputs-read-only"),
        )
    };
    std::fs::create_dir_all(&out).expect("create");
    for (name, bytes) in outputs(&previous_run("outputs-read-only-previous")) {
        std::fs::write(out.join(name), bytes).expect("write");
    }
    let previous = outputs(&out);
    mode(&out, 0o555);
    let mut command = Command::new(&binary);
    command
        .env_remove("DUIZHANG_FAULTS")
        .arg("reconcile")
        .arg(repository().join("fixtures/codes/SHORTFALL"))
        .arg("--out")
        .arg(&out);
    if root {
        command.uid(65534).gid(65534);
    }
    let run = command.output().expect("runs");
    mode(&out, 0o755);
    let message = stderr(&run);
    assert_eq!(run.status.code(), Some(2), "{message}");
    assert!(
        message.contains(&format!("{}: cannot write the output", out.display()))
            && message.contains("choose a folder you may write to with --out")
            && message.contains("nothing was replaced"),
        "{message}"
    );
    assert_eq!(outputs(&out), previous);
    assert_eq!(entries(&out).len(), NAMES.len(), "{:?}", entries(&out));
}

/// A second run into a folder another run is writing into is refused at
/// its start, rather than placing files beside the other's.
#[test]
fn a_second_run_into_a_folder_in_use_is_refused() {
    use std::os::fd::AsRawFd;
    let (case, new) = new_case();
    let out = previous_run("outputs-locked");
    let previous = outputs(&out);
    let folder = std::fs::File::open(&out).expect("open");
    // SAFETY: flock takes a descriptor we own and an integer.
    assert_eq!(unsafe { libc::flock(folder.as_raw_fd(), libc::LOCK_EX) }, 0);
    let run = reconcile(&case, &out, &[], "");
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("another duizhang run is writing into this folder"),
        "{}",
        stderr(&run)
    );
    assert_eq!(outputs(&out), previous);
    drop(folder);
    assert!(reconcile(&case, &out, &[], "").status.success());
    assert_eq!(outputs(&out), new);
}

/// What killed runs leave is cleared at the next start — a staging folder
/// never committed, and an older duizhang's `.ledger.csv.PID.tmp` — and
/// nothing of the user's, not even a folder named like ours.
#[test]
fn stale_staging_folders_and_old_temporary_files_are_removed_at_the_next_start() {
    let out = previous_run("outputs-stale");
    let previous = outputs(&out);
    let staging = out.join(".duizhang-staging-Ab3dEf6hIj9k");
    std::fs::create_dir(&staging).expect("create");
    std::fs::write(staging.join("ledger.csv"), "half a ledger").expect("write");
    std::fs::write(out.join(".ledger.csv.4242.tmp"), "half a ledger").expect("write");
    next_start(&out);
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
    assert_user_files_intact(&out, "stale entries");
    assert_eq!(outputs(&out), previous);
}

/// SPEC v2 §6: text read from the case that a spreadsheet would run as a
/// formula is written after `'` in every CSV output; money keeps its
/// minus sign; rows stay sorted on the values as read (`=1` after the
/// digits, though `'` sorts before them).
#[test]
fn text_that_starts_like_a_formula_is_written_as_text_in_every_csv_output() {
    let case = out_dir("outputs-formula-case");
    std::fs::create_dir_all(&case).expect("create");
    let files = [
        (
            "roster.csv",
            "enrolment_id,id_number,name,household_id,region,program,household_size,per_capita_income,start_period,end_period,account\n\
             D1,110101198001010010,\"=HYPERLINK(\"\"http://x\"\",\"\"a\"\")\",,-5101,dibao,1,0,2021-01,2021-01,62220001\n\
             D2,110101198001010029,＝1+1,,+5101,dibao,1,0,2021-01,2021-01,\n",
        ),
        (
            "standards.csv",
            "region,program,item,effective_from,amount\n*,dibao,standard,2021-01,500.00\n",
        ),
        (
            "payouts.csv",
            "payout_id,id_number,program,period,amount,name,account\n\
             P1,110101198001010010,dibao,2021-01,500.00,@SUM(A1),-62220001\n\
             P2,=1,dibao,2021-01,100.00,,\n\
             P3,110101198001010029,dibao,2021-01,400.00,,\n",
        ),
        (
            "allocations.csv",
            "allocation_id,id_number,program,period,amount\n\
             A1,110101198001010010,dibao,2021-01,400.00\n\
             A2,110101198001010029,dibao,2021-01,500.00\n",
        ),
    ];
    for (name, text) in files {
        std::fs::write(case.join(name), text).expect("write");
    }
    let out = out_dir("outputs-formula");
    let run = reconcile(&case, &out, &[], "");
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let text_columns = [
        "id_number",
        "name",
        "region",
        "account",
        "detail",
        "sources",
    ];
    let money_columns = [
        "amount",
        "expected",
        "allocated",
        "transferred",
        "paid",
        "shortfall",
        "overpaid",
        "improper",
    ];
    let mut marked = BTreeSet::new();
    for file in ["findings.csv", "ledger.csv", "summary.csv"] {
        let (header, rows) = csv_rows(&read(&out.join(file)));
        for row in &rows {
            for (column, cell) in header.iter().zip(row) {
                let first = cell.chars().next();
                assert!(
                    !matches!(
                        first,
                        Some('=' | '+' | '@' | '\t' | '\r' | '＝' | '＋' | '－' | '＠')
                    ) && (first != Some('-') || money_columns.contains(&column.as_str())),
                    "{file}: {column} {cell:?} would run as a formula"
                );
                if text_columns.contains(&column.as_str()) && cell.starts_with('\'') {
                    marked.insert(format!("{file}:{column}:{cell}"));
                }
                if money_columns.contains(&column.as_str()) && !cell.is_empty() {
                    assert!(
                        cell.trim_start_matches('-')
                            .replace('.', "")
                            .bytes()
                            .all(|b| b.is_ascii_digit()),
                        "{file}: {column} {cell:?} is not a number"
                    );
                }
            }
        }
        if file != "summary.csv" {
            let id = header
                .iter()
                .position(|name| name == "id_number")
                .expect("id_number");
            let last = rows.last().expect("rows");
            assert_eq!(
                last[id], "'=1",
                "{file}: rows are sorted on the values as read"
            );
        }
    }
    for expected in [
        "findings.csv:id_number:'=1",
        "findings.csv:account:'-62220001",
        "findings.csv:name:'=HYPERLINK(\"http://x\",\"a\")",
        "findings.csv:name:'＝1+1",
        "findings.csv:region:'-5101",
        "ledger.csv:id_number:'=1",
        "ledger.csv:region:'+5101",
        "summary.csv:region:'-5101",
        "summary.csv:region:'+5101",
    ] {
        assert!(
            marked.contains(expected),
            "{expected} not among {marked:#?}"
        );
    }
    let findings = read(&out.join("findings.csv"));
    assert!(
        findings.contains("ALLOCATION_MISMATCH,medium,110101198001010010,")
            && findings.contains(",-100.00,"),
        "{findings}"
    );
    // Quoting applies after the mark, as usual.
    assert!(
        findings.contains("\"'=HYPERLINK(\"\"http://x\"\",\"\"a\"\")\""),
        "{findings}"
    );
}

/// A pipe whose reader is gone: `duizhang … | head -0`.
fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    Stdio::from(writer)
}

fn full_device() -> Stdio {
    Stdio::from(
        std::fs::File::options()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full"),
    )
}

fn status_with(arguments: &[&str], stdout: Stdio, stderr: Stdio) -> std::process::ExitStatus {
    duizhang()
        .args(arguments)
        .stdout(stdout)
        .stderr(stderr)
        .status()
        .expect("the duizhang binary runs")
}

/// The summary is a courtesy: a closed or full stdout changes neither the
/// files written nor the exit status (0, or 1 with --fail-on), and never
/// panics (exit 101).
#[test]
fn a_closed_or_full_stdout_keeps_the_exit_status() {
    let case = repository().join("fixtures/codes/SHORTFALL");
    let case = case.to_str().expect("UTF-8 path");
    let out = out_dir("outputs-closed-stdout");
    let out_text = out.to_str().expect("UTF-8 path");
    for (name, stdout) in [
        ("closed pipe", closed_pipe as fn() -> Stdio),
        ("/dev/full", full_device),
    ] {
        let run = status_with(
            &["reconcile", case, "--out", out_text],
            stdout(),
            Stdio::null(),
        );
        assert_eq!(run.code(), Some(0), "stdout on a {name}");
        let run = status_with(
            &["reconcile", case, "--out", out_text, "--fail-on", "high"],
            stdout(),
            Stdio::null(),
        );
        assert_eq!(run.code(), Some(1), "stdout on a {name}, --fail-on high");
        let generated = out_dir("outputs-closed-generate");
        let run = status_with(
            &[
                "generate",
                generated.to_str().expect("UTF-8"),
                "--households",
                "3",
            ],
            stdout(),
            Stdio::null(),
        );
        assert_eq!(run.code(), Some(0), "generate, stdout on a {name}");
    }
    assert!(read(&out.join("findings.csv")).starts_with("code,severity,"));
}

/// An error, or --timings, on a stderr that cannot take it: still exit
/// 2 (or the run's status), never a panic.
#[test]
fn a_full_or_closed_stderr_keeps_the_exit_status() {
    let out = out_dir("outputs-full-stderr");
    let out_text = out.to_str().expect("UTF-8 path");
    let missing = repository().join("fixtures/no-such-case");
    let missing = missing.to_str().expect("UTF-8 path");
    let case = repository().join("fixtures/codes/SHORTFALL");
    let case = case.to_str().expect("UTF-8 path");
    for (name, stderr) in [
        ("closed pipe", closed_pipe as fn() -> Stdio),
        ("/dev/full", full_device),
    ] {
        let run = status_with(
            &["reconcile", missing, "--out", out_text],
            Stdio::null(),
            stderr(),
        );
        assert_eq!(run.code(), Some(2), "an error on a {name}");
        let run = status_with(
            &["reconcile", case, "--out", out_text, "--timings"],
            full_device(),
            stderr(),
        );
        assert_eq!(run.code(), Some(0), "--timings on a {name}");
    }
}

/// Runs `duizhang notice` of a small case into `file` with `faults`.
fn notice(file: &Path, faults: &str) -> Output {
    let mut command = duizhang();
    command
        .arg("notice")
        .arg(repository().join("fixtures/spec-examples/case01"))
        .args(["--period", "2020-01", "--out"])
        .arg(file);
    if !faults.is_empty() {
        command.env("DUIZHANG_FAULTS", faults);
    }
    command.output().expect("the duizhang binary runs")
}

/// The entries of a folder, hidden ones included.
fn folder_entries(folder: &Path) -> BTreeSet<String> {
    std::fs::read_dir(folder)
        .expect("list the folder")
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

/// The notice is placed as reconcile's outputs are: every step of
/// writing and placing is made to fail in turn, in every mode, and each
/// failure exits 2 leaving the previous notice byte for byte and nothing
/// beside it; a kill at any step leaves the previous notice or the new
/// one (and at most a hidden staging folder, when killed while placing).
#[cfg(debug_assertions)]
#[test]
fn a_notice_is_written_whole_or_not_at_all_at_every_step() {
    let folder = out_dir("outputs-notice-steps");
    std::fs::create_dir_all(&folder).expect("a folder");
    let file = folder.join("notice.xlsx");
    let made = notice(&file, "");
    assert!(made.status.success(), "{}", stderr(&made));
    let new = std::fs::read(&file).expect("the notice");
    let previous = b"the previous notice".to_vec();
    std::fs::write(folder.join("mine.txt"), b"the user's").expect("write");
    let expected_entries: BTreeSet<String> = ["mine.txt", "notice.xlsx"].map(String::from).into();
    for mode in MODES {
        for had_previous in [true, false] {
            let mut step = 1;
            loop {
                let context = format!("mode {mode:?}, previous {had_previous}, fail={step}");
                let _ = std::fs::remove_file(&file);
                if had_previous {
                    std::fs::write(&file, &previous).expect("write");
                }
                let run = notice(&file, &format!("{mode},fail={step}"));
                let message = stderr(&run);
                assert!(!message.contains("panicked"), "{context}: {message}");
                if run.status.success() {
                    assert_eq!(std::fs::read(&file).expect("placed"), new, "{context}");
                    let left: Vec<String> = folder_entries(&folder)
                        .difference(&expected_entries)
                        .cloned()
                        .collect();
                    if left.is_empty() {
                        break; // Past the last step.
                    }
                    // The failed step was removing the staging folder,
                    // which holds only the previous file.
                    assert!(
                        left.len() == 1 && left[0].starts_with(".duizhang-staging-"),
                        "{context}: {left:?}"
                    );
                    std::fs::remove_dir_all(folder.join(&left[0])).expect("remove");
                } else {
                    assert_eq!(run.status.code(), Some(2), "{context}: {message}");
                    assert!(
                        message.contains(&format!("injected fault at step {step}"))
                            && message.contains("nothing was replaced"),
                        "{context}: {message}"
                    );
                    match had_previous {
                        true => {
                            assert_eq!(std::fs::read(&file).expect("kept"), previous, "{context}")
                        }
                        false => assert!(!file.exists(), "{context}"),
                    }
                    let mut expected = expected_entries.clone();
                    if !had_previous {
                        expected.remove("notice.xlsx");
                    }
                    assert_eq!(folder_entries(&folder), expected, "{context}");
                }
                step += 1;
                assert!(step < MAX_STEPS, "{context}: never got past its faults");
            }
            assert!(step > 4, "mode {mode:?}: only {step} steps were tried");
            let mut killed = 1;
            loop {
                let context = format!("mode {mode:?}, previous {had_previous}, kill={killed}");
                let _ = std::fs::remove_file(&file);
                if had_previous {
                    std::fs::write(&file, &previous).expect("write");
                }
                let run = notice(&file, &format!("{mode},kill={killed}"));
                let seen = std::fs::read(&file).ok();
                let is_previous = if had_previous {
                    seen.as_deref() == Some(previous.as_slice())
                } else {
                    seen.is_none()
                };
                assert!(
                    is_previous || seen.as_deref() == Some(new.as_slice()),
                    "{context}: neither the previous notice nor the new one"
                );
                for left in folder_entries(&folder).difference(&expected_entries) {
                    assert!(left.starts_with(".duizhang-staging-"), "{context}: {left}");
                    std::fs::remove_dir_all(folder.join(left)).expect("remove");
                }
                if run.status.success() {
                    break;
                }
                assert_eq!(run.status.signal(), Some(9), "{context}: {}", stderr(&run));
                killed += 1;
                assert!(killed < MAX_STEPS, "{context}: never got past its kills");
            }
        }
    }
}
