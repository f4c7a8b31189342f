"""End-to-end benchmark: duizhang against the DuckDB baseline, alternating.

usage: python3 benches/compare.py CASE_DIR [--pairs N] [--age-memory]
                                  [--hog-gib G] [--partitioned]
                                  [--engine PATH] [--baseline PATH]
                                  [--duckdb SCRIPT] [--floor PATH]
                                  [--floor-each-round]

The protocol (BENCHMARKS.md): N rounds (5 by default), nothing run before
any contender to age the machine's memory; in each round it runs
duizhang on 2 threads, DuckDB on 2 threads (SCRIPT CASE OUT --threads 2;
benches/duckdb/run.py by default), duizhang on 1 thread and, with
--partitioned, duizhang on 2 threads under --memory-limit set to a third
of the in-memory peak. --age-memory runs a process of G GiB (3 by
default) that fills memory and exits right before every run — a machine
long in use, where the kernel must find and zero pages; it costs DuckDB,
with three times the engine's memory, far more than the engine, so
report it beside the default, not instead. --baseline adds an earlier
build, on 2 and 1 threads, in the same rounds (before and after,
paired). --floor times, once after the rounds, a parse-floor program
(PATH CASE 2: a plain CSV parser reading every stage file on 2 threads)
and prints the engine's median over it. With --floor-each-round the floor
also runs in every round, and the median of the per-round ratios engine /
floor is printed beside it: the floor's own time moves with the machine's
state, and two runs made moments apart share more of it. The order within a round turns around every other round
(the partitioned run stays last), and the inputs are read once before the
first round, so every run finds them in the page cache.

Prints per run and as a table: wall time, user and system time, peak RSS
(median, min–max), the spread of the engine's runs, the paired ratios
(engine / DuckDB per round, then their median; 1 thread / 2 threads), and
checks that every engine run wrote the same bytes.
Needs: a release build (cargo build --release), `pip install duckdb`, and
GNU time at /usr/bin/time.
"""
import argparse
import filecmp
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("case")
parser.add_argument("--pairs", type=int, default=5)
parser.add_argument("--age-memory", action="store_true", help="a memory filler before each run")
parser.add_argument("--hog-gib", type=float, default=3.0)
parser.add_argument("--partitioned", action="store_true")
parser.add_argument("--engine", default=os.path.join(root, "target", "release", "duizhang"))
parser.add_argument("--baseline", help="an earlier build to time in the same rounds")
parser.add_argument("--duckdb", help="the DuckDB script (CASE OUT --threads N)")
parser.add_argument("--floor", help="a parse-floor program (CASE THREADS), timed once")
parser.add_argument("--floor-each-round", action="store_true", help="also time the floor in every round")
arguments = parser.parse_args()

case = arguments.case
duckdb_script = arguments.duckdb or os.path.join(root, "benches", "duckdb", "run.py")
scratch = tempfile.mkdtemp(prefix="duizhang-bench-")
input_bytes = sum(
    os.path.getsize(os.path.join(case, name))
    for name in os.listdir(case)
    if name.endswith(".csv") or name.endswith(".toml")
)
OUTPUTS = ("findings.csv", "ledger.csv", "summary.csv", "run.json")

# Fills memory and exits: the pages it touched are free again, but no
# longer fresh (the kernel must find and zero them), as on a machine that
# has had a browser and a spreadsheet open.
HOG = """
import sys
size = int(float(sys.argv[1]) * (1 << 30))
block = bytearray(size)
for offset in range(0, size, 4096):
    block[offset] = 1
"""


def use_memory():
    if arguments.age_memory:
        subprocess.run([sys.executable, "-c", HOG, str(arguments.hog_gib)], check=True)


def timed(command):
    """(wall s, user s, system s, peak RSS MB) of one run, via GNU time."""
    use_memory()
    result = subprocess.run(
        ["/usr/bin/time", "-f", "%e %U %S %M"] + command,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{result.stderr}")
    wall, user, system, rss_kb = result.stderr.strip().splitlines()[-1].split()
    return float(wall), float(user), float(system), int(rss_kb) / 1024


reference = os.path.join(scratch, "engine-first")
compared = []


def engine_run(threads, *extra, binary=None):
    """Times one run; its outputs are compared with the first run's."""
    out = reference if not os.path.exists(reference) else os.path.join(scratch, "engine")
    figures = timed([binary or arguments.engine, "reconcile", case, "--out", out, "--threads", str(threads), "--quiet", *extra])
    if out != reference:
        compared.append(all(filecmp.cmp(os.path.join(reference, name), os.path.join(out, name), shallow=False) for name in OUTPUTS))
        shutil.rmtree(out)
    return figures


def duckdb_run():
    return timed([sys.executable, duckdb_script, case, os.path.join(scratch, "duckdb"), "--threads", "2"])


samples = {"engine-2": [], "duckdb-2": [], "engine-1": []}
if arguments.baseline:
    samples["baseline-2"] = []
    samples["baseline-1"] = []
if arguments.partitioned:
    samples["engine-2-partitioned"] = []
if arguments.floor_each_round:
    if not arguments.floor:
        sys.exit("--floor-each-round needs --floor PATH")
    samples["floor-2"] = []
limit = None
# Every contender finds the inputs in the page cache, as a second run
# would: read them once before the first round.
for name in os.listdir(case):
    with open(os.path.join(case, name), "rb") as warm:
        while warm.read(1 << 24):
            pass
for round_number in range(arguments.pairs):
    # The order within a round turns around every other round, so no
    # contender always runs first (after the previous round's last run).
    runs = [
        ("engine-2", lambda: engine_run(2)),
        ("duckdb-2", duckdb_run),
        ("engine-1", lambda: engine_run(1)),
    ]
    if arguments.baseline:
        runs.append(("baseline-2", lambda: engine_run(2, binary=arguments.baseline)))
        runs.append(("baseline-1", lambda: engine_run(1, binary=arguments.baseline)))
    if arguments.floor_each_round:
        runs.append(("floor-2", lambda: timed([arguments.floor, case, "2"])))
    for name, run in runs if round_number % 2 == 0 else reversed(runs):
        samples[name].append(run())
    if arguments.partitioned:
        if limit is None:
            limit = f"{int(samples['engine-2'][0][3] / 3)}M"
        samples["engine-2-partitioned"].append(engine_run(2, "--memory-limit", limit))
    print(
        f"round {round_number + 1}: "
        + ", ".join(f"{name} {values[-1][0]:.2f} s {values[-1][3]:.0f} MB" for name, values in samples.items()),
        file=sys.stderr,
    )

records = 0
for name in ("allocations.csv", "transfers.csv", "payouts.csv"):
    path = os.path.join(case, name)
    if os.path.exists(path):
        with open(path, "rb") as file:
            records += sum(1 for _ in file) - 1


def column(name, index):
    return [value[index] for value in samples[name]]


def spread(values):
    return max(values) / min(values) - 1


print(f"case: {case}, {input_bytes / 1e6:.0f} MB, {records:,} stage records")
condition = f"each run right after a {arguments.hog_gib:g} GiB process" if arguments.age_memory else "nothing run before any to age memory"
print(f"{arguments.pairs} alternating rounds, {condition}; medians (min–max)")
print()
print("| run | wall s | user s | sys s | peak RSS MB | records/s |")
print("|---|---|---|---|---|---|")
for name in samples:
    cells = []
    for index, digits in ((0, 2), (1, 1), (2, 2), (3, 0)):
        values = column(name, index)
        cells.append(f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})")
    wall = statistics.median(column(name, 0))
    print(f"| {name} | {' | '.join(cells)} | {records / wall:,.0f} |")
print()
ratios = [engine[0] / duck[0] for engine, duck in zip(samples["engine-2"], samples["duckdb-2"])]
print(f"engine-2 / duckdb-2 wall, per round: {', '.join(f'{ratio:.2f}' for ratio in ratios)}; median {statistics.median(ratios):.2f}")
speedups = [one[0] / two[0] for one, two in zip(samples["engine-1"], samples["engine-2"])]
print(f"engine-1 / engine-2 wall (second thread), median {statistics.median(speedups):.2f}")
print(f"engine-2 wall spread (max/min - 1): {spread(column('engine-2', 0)):.0%}")
if arguments.baseline:
    for threads in (2, 1):
        after = [new[0] / old[0] for new, old in zip(samples[f"engine-{threads}"], samples[f"baseline-{threads}"])]
        print(f"engine-{threads} / baseline-{threads} wall (after / before), median {statistics.median(after):.2f}")
    old_ratios = [old[0] / duck[0] for old, duck in zip(samples["baseline-2"], samples["duckdb-2"])]
    print(f"baseline-2 / duckdb-2 wall, median {statistics.median(old_ratios):.2f}")
if arguments.partitioned:
    partitioned = [part[0] / whole[0] for part, whole in zip(samples["engine-2-partitioned"], samples["engine-2"])]
    print(f"partitioned (--memory-limit {limit}) / in-memory wall, median {statistics.median(partitioned):.2f}")
if arguments.floor:
    floor = timed([arguments.floor, case, "2"])
    engine_median = statistics.median(column("engine-2", 0))
    print(f"parse floor (2 threads) {floor[0]:.2f} s; engine-2 median / floor {engine_median / floor[0]:.2f}")
if arguments.floor_each_round:
    over = [engine[0] / floor[0] for engine, floor in zip(samples["engine-2"], samples["floor-2"])]
    print(f"engine-2 / floor-2 wall, per round: {', '.join(f'{ratio:.2f}' for ratio in over)}; median {statistics.median(over):.2f}")
same = all(compared)
print(f"outputs of all {len(compared) + 1} engine runs (every build, 1 and 2 threads) byte-identical: {'yes' if same else 'NO'}")
shutil.rmtree(scratch)
if not same:
    sys.exit(1)
