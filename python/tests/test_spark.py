"""Every fixture through Spark (local[2]), compared byte for byte with the
CLI's outputs; error fixtures exit 2 with the CLI's message; plus a
generated case with every finding code, and runs cut into many small
parts and partitions.

DUIZHANG_BIN names the CLI binary (default: target/debug/duizhang, which
`cargo test` builds).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
OUTPUTS = ["findings.csv", "ledger.csv", "summary.csv", "run.json"]
BIN = Path(os.environ.get("DUIZHANG_BIN", ROOT / "target" / "debug" / "duizhang"))
#: Flags the Spark runner does not take (the CLI's own process settings).
CLI_ONLY_FLAGS = ("--threads",)


def cases() -> list[Path]:
    found = [FIXTURES / "demo", FIXTURES / "demo-office"]
    for group in sorted(FIXTURES.iterdir()):
        if group.name in ("demo", "demo-office") or not group.is_dir():
            continue
        found.extend(sorted(case for case in group.iterdir() if case.is_dir()))
    return found


def case_args(case: Path) -> list[str]:
    """args.txt's arguments; a file it names in the case folder
    (`--register before-register.csv`) made a whole path."""
    args = case / "args.txt"
    words = shlex.split(args.read_text()) if args.exists() else []
    return [
        str(case / word) if not word.startswith("-") and (case / word).is_file() else word
        for word in words
    ]


def spark_args(args: list[str]) -> dict:
    options = {}
    words = iter(args)
    for flag in words:
        if flag in ("--new-register", "--bom"):
            options[flag[2:].replace("-", "_")] = True
            continue
        options[{"--from": "period_from", "--to": "period_to", "--register": "register"}[flag]] = next(words)
    return options


def run_cli(case: Path, out: Path, args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN), "reconcile", str(case), "--out", str(out), "--quiet", *args],
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="session")
def spark():
    from duizhang.spark import session

    spark = session("local[2]", "duizhang-tests")
    spark.sparkContext.setLogLevel("ERROR")
    yield spark
    spark.stop()


def assert_same_outputs(cli: Path, other: Path, label: str) -> None:
    for name in OUTPUTS:
        expected = (cli / name).read_bytes()
        actual = (other / name).read_bytes()
        assert actual == expected, f"{label}: {name} differs from the CLI's"


def run_spark(spark, case: Path, out: Path, **options):
    from duizhang import DuizhangError
    from duizhang.spark import reconcile

    try:
        return 0, reconcile(str(case), str(out), spark=spark, **options)
    except DuizhangError as error:
        return 2, str(error)


@pytest.mark.parametrize("case", cases(), ids=lambda case: f"{case.parent.name}/{case.name}")
def test_fixture_is_byte_identical_to_the_cli(spark, case: Path, tmp_path: Path):
    args = case_args(case)
    if any(flag in args for flag in CLI_ONLY_FLAGS):
        pytest.skip("a flag of the CLI's process only")
    cli = run_cli(case, tmp_path / "cli", args)
    code, message = run_spark(spark, case, tmp_path / "spark", **spark_args(args))
    if cli.returncode == 2:
        errors = [
            line.removeprefix("duizhang: error: ")
            for line in cli.stderr.splitlines()
            if line.startswith("duizhang: error: ")
        ]
        assert code == 2, f"the CLI stopped ({cli.stderr.strip()}), Spark did not"
        assert [message] == errors
        assert not (tmp_path / "spark" / "findings.csv").exists()
        return
    assert cli.returncode in (0, 1), cli.stderr
    assert code == 0, message
    assert_same_outputs(tmp_path / "cli", tmp_path / "spark", case.name)


def test_many_small_parts_and_partitions(spark, tmp_path: Path):
    """Cuts at person boundaries inside tasks and across partitions."""
    case = FIXTURES / "demo"
    assert run_cli(case, tmp_path / "cli", []).returncode == 0
    code, message = run_spark(spark, case, tmp_path / "spark", partitions=7, rows_per_part=37)
    assert code == 0, message
    assert_same_outputs(tmp_path / "cli", tmp_path / "spark", "demo in small parts")
    # --fail-on as the CLI's: the demo has high findings.
    assert message.highest == "high" and message.fails("high") and not message.fails(None)


def generate(case: Path, households: int, seed: int, anomaly: str) -> Path:
    """A generated v3 case (every finding code at a high enough anomaly rate)."""
    generated = subprocess.run(
        [str(BIN), "generate", str(case), "--households", str(households), "--seed", str(seed)]
        + ["--anomaly", anomaly, "--v3"],
        capture_output=True,
        text=True,
    )
    assert generated.returncode == 0, generated.stderr
    return case


@pytest.mark.parametrize("split_bytes", [2048, 1 << 20])
def test_stage_files_cut_into_ranges_are_byte_identical(spark, tmp_path: Path, split_bytes: int):
    """Each stage file read by a task of its own, a text file larger than
    split_bytes cut into ranges by a survey task (the Rust tests cut down to
    a record a range); repeats, bounds and shared accounts found across the pieces by
    the dedupers."""
    case = generate(tmp_path / "case", households=60, seed=7, anomaly="0.2")
    # A payout repeated within its file and in another file: DUPLICATE_RECORD
    # whose first occurrence lies in another piece.
    payouts = sorted(case.glob("payouts*")) + sorted(case.glob("payouts/*.csv"))
    payouts = [path for path in payouts if path.is_file()]
    lines = payouts[0].read_text(encoding="utf-8").splitlines(keepends=True)
    with payouts[-1].open("a", encoding="utf-8") as file:
        file.write(lines[1] if lines[1].endswith("\n") else lines[1] + "\n")
    assert run_cli(case, tmp_path / "cli", []).returncode in (0, 1)
    assert "DUPLICATE_RECORD" in (tmp_path / "cli" / "findings.csv").read_text(encoding="utf-8")
    code, message = run_spark(spark, case, tmp_path / "spark", partitions=3, split_bytes=split_bytes)
    assert code == 0, message
    assert_same_outputs(tmp_path / "cli", tmp_path / "spark", f"cut at {split_bytes} bytes")


def test_rows_sorted_in_rust_instead_of_spark(spark, tmp_path: Path):
    """--sort-in rust: each partition's rows taken unsorted, sorted and cut
    into parts in Rust — the same bytes."""
    case = FIXTURES / "demo"
    assert run_cli(case, tmp_path / "cli", []).returncode == 0
    code, message = run_spark(spark, case, tmp_path / "spark", partitions=3, rows_per_part=41, sort_in_spark=False)
    assert code == 0, message
    assert_same_outputs(tmp_path / "cli", tmp_path / "spark", "sorted in Rust")


def test_generated_case_with_every_finding_code(spark, tmp_path: Path):
    case = generate(tmp_path / "case", households=300, seed=2024, anomaly="0.1")
    assert run_cli(case, tmp_path / "cli", []).returncode == 0
    code, message = run_spark(spark, case, tmp_path / "spark", partitions=3)
    assert code == 0, message
    assert_same_outputs(tmp_path / "cli", tmp_path / "spark", "generated")
    import json

    by_code = json.loads((tmp_path / "spark" / "run.json").read_text())["findings_by_code"]
    missing = [code for code, count in by_code.items() if count == 0]
    assert not missing, f"codes without a finding: {missing}"
