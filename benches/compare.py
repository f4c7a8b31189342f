"""End-to-end benchmark: duizhang against the DuckDB baseline, alternating.

usage: python3 benches/compare.py CASE_DIR [RUNS]

Runs, RUNS times in alternation: duizhang on 2 threads, DuckDB on 2 threads
(benches/duckdb/run.py), duizhang on 1 thread. Reports the median wall time
and peak RSS of each, the paired ratios, and throughput. The machine is
noisy: alternating runs and medians keep the comparison fair.
Needs: a release build (cargo build --release) and `pip install duckdb`.
"""
import os
import statistics
import subprocess
import sys
import tempfile

case = sys.argv[1]
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
engine = os.path.join(root, "target", "release", "duizhang")
duckdb_script = os.path.join(root, "benches", "duckdb", "run.py")
out = tempfile.mkdtemp(prefix="duizhang-bench-")
input_bytes = sum(
    os.path.getsize(os.path.join(case, name))
    for name in os.listdir(case)
    if name.endswith(".csv") or name.endswith(".toml")
)


def timed(command):
    """(wall seconds, peak RSS in MB) of one run, via GNU time."""
    result = subprocess.run(
        ["/usr/bin/time", "-f", "%e %M"] + command,
        capture_output=True,
        text=True,
        check=True,
    )
    wall, rss_kb = result.stderr.strip().splitlines()[-1].split()
    return float(wall), int(rss_kb) / 1024


def engine_run(threads):
    return timed([engine, "reconcile", case, "--out", os.path.join(out, "engine"), "--threads", str(threads), "--quiet"])


def duckdb_run():
    return timed([sys.executable, duckdb_script, case, os.path.join(out, "duckdb"), "2"])


samples = {"engine-2": [], "duckdb-2": [], "engine-1": []}
for run in range(runs):
    samples["engine-2"].append(engine_run(2))
    samples["duckdb-2"].append(duckdb_run())
    samples["engine-1"].append(engine_run(1))
    print(f"run {run + 1}: " + ", ".join(f"{name} {values[-1][0]:.2f} s" for name, values in samples.items()), file=sys.stderr)

records = 0
for name in ("allocations.csv", "transfers.csv", "payouts.csv"):
    path = os.path.join(case, name)
    if os.path.exists(path):
        with open(path, "rb") as file:
            records += sum(1 for _ in file) - 1


def median(name, index):
    return statistics.median(value[index] for value in samples[name])


paired_duckdb = statistics.median(e[0] / d[0] for e, d in zip(samples["engine-2"], samples["duckdb-2"]))
paired_threads = statistics.median(one[0] / two[0] for one, two in zip(samples["engine-1"], samples["engine-2"]))
print(f"case: {case}, {input_bytes / 1e6:.0f} MB, {records} stage records, {runs} alternating runs (medians)")
print()
print("| run | wall s | peak RSS MB | MB/s | records/s |")
print("|---|---|---|---|---|")
for name in samples:
    wall = median(name, 0)
    print(f"| {name} | {wall:.2f} | {median(name, 1):.0f} | {input_bytes / 1e6 / wall:.0f} | {records / wall:,.0f} |")
print()
print(f"engine-2 / duckdb-2 wall time (paired median): {paired_duckdb:.2f}")
print(f"engine-1 / engine-2 wall time (speed-up from the second thread, paired median): {paired_threads:.2f}")
