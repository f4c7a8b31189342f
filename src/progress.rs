//! Progress on stderr for long runs: the phase, rows read, and MB/s.
//! Silent when stderr is not a terminal or with `--quiet`; `--timings`
//! prints each phase's time when the run ends, terminal or not.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    bar: ProgressBar,
    started: Instant,
    phase_started: Instant,
    phases: Vec<(&'static str, Duration)>,
    rows: Arc<AtomicU64>,
    timings: bool,
}

impl Progress {
    pub fn new(quiet: bool, timings: bool) -> Progress {
        let visible = !quiet && std::io::stderr().is_terminal();
        let bar = ProgressBar::with_draw_target(
            None,
            if visible {
                ProgressDrawTarget::stderr()
            } else {
                ProgressDrawTarget::hidden()
            },
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        let now = Instant::now();
        Progress {
            bar,
            started: now,
            phase_started: now,
            phases: Vec::new(),
            rows: Arc::new(AtomicU64::new(0)),
            timings,
        }
    }

    /// Starts reading `total_bytes` of input; returns the callback the
    /// reader reports parsed (bytes, rows) to.
    pub fn reading(&mut self, total_bytes: u64) -> crate::read::ReadProgress {
        self.bar.set_length(total_bytes);
        self.bar.set_style(
            ProgressStyle::with_template(
                "{spinner} reading   [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} {msg}",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        let bar = self.bar.clone();
        let rows = Arc::clone(&self.rows);
        Arc::new(move |bytes, new_rows| {
            let total = rows.fetch_add(new_rows, Ordering::Relaxed) + new_rows;
            bar.inc(bytes);
            bar.set_message(format!("{total} rows"));
        })
    }

    /// Ends the current phase and starts `name` (shown as a spinner).
    pub fn phase(&mut self, finished: &'static str, next: &'static str) {
        self.phases.push((finished, self.phase_started.elapsed()));
        self.phase_started = Instant::now();
        self.bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} {elapsed}").expect("a valid template"),
        );
        self.bar.set_message(next);
    }

    pub fn rows(&self) -> u64 {
        self.rows.load(Ordering::Relaxed)
    }

    /// Clears the bar; with `--timings`, prints the phases and throughput.
    pub fn finish(mut self, last: &'static str, input_bytes: u64) {
        self.phases.push((last, self.phase_started.elapsed()));
        self.bar.finish_and_clear();
        if self.timings {
            let total = self.started.elapsed();
            let seconds = total.as_secs_f64().max(1e-9);
            let mut text = String::new();
            for (name, took) in &self.phases {
                text.push_str(&format!("{name} {:.3} s, ", took.as_secs_f64()));
            }
            // Like the summary, a report about the run: a stderr that
            // cannot take it does not change the run's exit status.
            let _ = writeln!(
                std::io::stderr(),
                "timings: {text}total {:.3} s; {:.1} MB/s, {:.0} records/s",
                seconds,
                input_bytes as f64 / 1e6 / seconds,
                self.rows() as f64 / seconds
            );
        }
    }
}
