"""duizhang on Apache Spark: the whole SPEC, byte-identical to the CLI.

    python -m duizhang.spark reconcile CASE_DIR --out OUT_DIR
        [--master URL] [--partitions N] [--from YYYY-MM] [--to YYYY-MM]
        [--fail-on low|medium|high] [--timings] [--register FILE | --new-register] [--bom]

How a run goes (every step that decides an output is the crate's Rust):

1. The driver locks OUT_DIR and lists the case folder, as the CLI does.
2. A stage kind's text file larger than --split-bytes is surveyed by a
   task of its own: read whole once (SHA-256, encoding), its rows cut into
   ranges at record boundaries by the crate's record scanner. The case is
   read in pieces, one Spark task each: a kind whole, or — for a stage kind
   given as several files or with a file cut — each file or range. A task
   reads its piece with the crate's own reader (source lines stay exact,
   encodings and workbooks as the CLI reads them) for its facts alone:
   each file's run.json report and SHA-256, the window bounds it sets, its
   BAD_RECORD and DUPLICATE_RECORD findings, for payouts the accounts paid
   to two or more persons (SHARED_ACCOUNT's candidates), and a sample of
   the id_numbers of its rows. A piece of a kind read in pieces yields a
   key row per record instead (its id's hash, place and periods);
   ``repartition`` by key brings each id's rows to one deduper, which
   finds the repeats across files, the bounds and the shared accounts.
3. The driver makes the window (SPEC §3) from the facts, and cuts the
   id_numbers into N ranges of about as many rows each at the weighted
   quantiles of the samples. For each partition it finds an int whose
   Spark hash sends a row to that partition (`repartition(N, col)` puts
   a row in partition pmod(hash(col), N)).
4. The same tasks read the pieces again, check each is what the first
   reading read (its SHA-256), set the repeats aside (their findings go
   to the repeat's person), and yield its records as Arrow batches of
   person rows (key = id_number, kind, line, payload, bucket = the int of
   the key's range). Rows without an id_number are BAD_RECORDs and never
   enter the shuffle. Nothing is cached between the readings and Spark
   samples nothing: reading a file twice costs less than holding its rows
   in Spark's cache. The rows are shuffled by bucket and sorted; each
   partition (one range, checked) goes to Rust whole batch by whole batch
   (``mapInArrow``), which cuts them at person boundaries, rebuilds a case
   of those persons and reconciles it as one partition of the CLI's
   partitioned run, rendering its ledger rows, summary totals and
   findings, and collecting the account uses of the candidate accounts.
5. The driver streams the parts in id_number order into the crate's
   OutputSink, judges SHARED_ACCOUNT from the account uses with the
   CLI's function, and places the four files all or none.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Iterator, Optional

import pyarrow as pa

from duizhang import _native
from duizhang._native import DuizhangError

#: The person rows of the second reading; bucket names the partition.
ROWS = pa.schema(
    [
        pa.field("key", pa.string(), nullable=False),
        pa.field("kind", pa.int8(), nullable=False),
        pa.field("line", pa.int64(), nullable=False),
        pa.field("payload", pa.binary(), nullable=False),
        pa.field("bucket", pa.int32(), nullable=False),
    ]
)
ROWS_DDL = "key string, kind tinyint, line bigint, payload binary, bucket int"
#: What the first reading yields: key rows for the dedupers (tag 1-4),
#: then one row of facts per piece (tag 0); the dedupers add theirs (tag 5).
KEYS = pa.schema(
    [
        pa.field("tag", pa.int8(), nullable=False),
        pa.field("k_hi", pa.int64(), nullable=False),
        pa.field("k_lo", pa.int64(), nullable=False),
        pa.field("v_hi", pa.int64(), nullable=False),
        pa.field("v_lo", pa.int64(), nullable=False),
        pa.field("facts", pa.binary(), nullable=False),
    ]
)
KEYS_DDL = "tag tinyint, k_hi bigint, k_lo bigint, v_hi bigint, v_lo bigint, facts binary"
TAG_FACTS = 0
TAG_DEDUPED = 5
SURVEY_DDL = "survey binary"
PARTS = pa.schema(
    [
        pa.field("task", pa.int32(), nullable=False),
        pa.field("seq", pa.int32(), nullable=False),
        pa.field("part", pa.binary(), nullable=False),
    ]
)
PARTS_DDL = "task int, seq int, part binary"

#: Rows a task reconciles at once (whole persons, so a little more).
ROWS_PER_PART = 200_000

#: A stage kind's text file larger than this is cut into ranges of about
#: this size, each read by a task of its own (a stage kind given as several
#: files is read a file per task whatever their size). Cutting costs a
#: survey of the file and a shuffle of key rows: on one machine a file of a
#: few hundred MB is read faster whole (docs/scale.md), on a cluster a
#: national file of 40 GB becomes 40 tasks.
SPLIT_BYTES = 1 << 30


def _canonical(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """The batch in `schema`'s types (Spark may hand large strings)."""
    if batch.schema.equals(schema, check_metadata=False):
        return batch
    arrays = [batch.column(index).cast(field.type) for index, field in enumerate(schema)]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _survey(case_dir: str, files: list[int], split_bytes: int):
    """mapInArrow function of the survey: each input row is one large text
    file, read whole and cut into ranges at record boundaries."""

    def survey(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            for index in batch.column(0).to_pylist():
                found = _native.survey(case_dir, files[index], split_bytes)
                yield pa.RecordBatch.from_arrays([pa.array([found], pa.binary())], names=["survey"])

    return survey


def _read_facts(case_dir: str, pieces: list[bytes]):
    """mapInArrow function of the first reading: each input row is one
    piece, read for its facts (and, read in pieces, its key rows)."""

    def read(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            for index in batch.column(0).to_pylist():
                yield from _native.FileReader(case_dir, pieces[index])

    return read


def _dedupe(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """mapInArrow function of the dedupers: the facts rows pass; the key
    rows of this share of the keys become one row of what they show."""
    import pyarrow.compute as compute

    deduper = _native.Deduper()
    for batch in batches:
        batch = _canonical(batch, KEYS)
        facts = batch.filter(compute.equal(batch.column(0), TAG_FACTS))
        if facts.num_rows:
            yield facts
        deduper.push(batch)
    yield deduper.finish()


def _read_rows(case_dir: str, pieces: list[bytes], layout):
    """mapInArrow function of the second reading: each input row is one
    piece, read into person rows laid out by the driver's ranges."""

    def read(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            for index in batch.column(0).to_pylist():
                yield from _native.FileReader(case_dir, pieces[index], layout.value)

    return read


def _duizhang_error_in(failure: Exception) -> Optional[DuizhangError]:
    """The DuizhangError a task raised, from the text of Spark's error."""
    marker = "DuizhangError: "
    text = str(failure)
    if marker not in text:
        return None
    return DuizhangError(text[text.rindex(marker) + len(marker) :].splitlines()[0])


def bucket_values(spark, count: int) -> list[int]:
    """For each partition i of `count`, the least int whose Spark hash puts
    a row in partition i under ``repartition(count, col)``, which places a
    row at pmod(hash(col), count): Spark itself computes it, so these hold
    for any release."""
    found: dict[int, int] = {}
    limit = 16 * count
    while len(found) < count:
        rows = (
            spark.range(0, limit)
            .selectExpr("CAST(id AS INT) AS value")
            .selectExpr("value", f"pmod(hash(value), {count}) AS partition")
            .groupBy("partition")
            .min("value")
            .collect()
        )
        found = {row[0]: row[1] for row in rows}
        limit *= 4
    return [found[partition] for partition in range(count)]


def _reconcile_parts(case_dir: str, plan, rows_per_part: int, buckets: list[int], sorted_rows: bool):
    """mapInArrow function of the per-person pass."""

    def reconcile(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow.compute as compute
        from pyspark import TaskContext

        context = TaskContext.get()
        task = context.partitionId() if context is not None else 0
        reconciler = _native.Reconciler(case_dir, plan.value, rows_per_part, sorted_rows)
        seq = 0

        def emit(parts):
            nonlocal seq
            for part in parts:
                yield pa.RecordBatch.from_arrays(
                    [
                        pa.array([task], pa.int32()),
                        pa.array([seq], pa.int32()),
                        pa.array([part], pa.binary()),
                    ],
                    schema=PARTS,
                )
                seq += 1

        for batch in batches:
            batch = _canonical(batch, ROWS)
            # The partition holds its range's rows and no other: the
            # order of the outputs rests on it.
            extremes = compute.min_max(batch.column(4)).as_py()
            if batch.num_rows and extremes != {"min": buckets[task], "max": buckets[task]}:
                raise DuizhangError(
                    f"partition {task} got rows of buckets {extremes['min']}..{extremes['max']},"
                    f" not only {buckets[task]}: Spark did not place the rows by pmod(hash(bucket), N)"
                )
            yield from emit(reconciler.push(batch))
        yield from emit(reconciler.finish())

    return reconcile


def session(master: Optional[str] = None, app_name: str = "duizhang"):
    """A SparkSession: `master` if given, else spark-submit's, else local."""
    from pyspark import SparkConf, SparkContext
    from pyspark.sql import SparkSession

    # Local workers run this interpreter, where duizhang is installed.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name)
    if master:
        builder = builder.master(master)
    else:
        # Start (or join) the JVM first: only its SparkConf holds what
        # spark-submit was given (--master …). A SparkConf made before the
        # JVM is up is empty, and the run went local on a cluster.
        SparkContext._ensure_initialized()
        if not SparkConf().contains("spark.master"):
            builder = builder.master("local[*]")
    return builder.getOrCreate()


SEVERITIES = ("low", "medium", "high")


class Result(str):
    """The summary line of a finished run; `highest` is the most severe
    finding's severity (`low`, `medium`, `high`), None when none."""

    def __new__(cls, summary: str, highest: Optional[str]):
        result = super().__new__(cls, summary)
        result.highest = highest
        return result

    def fails(self, threshold: Optional[str]) -> bool:
        """As the CLI's --fail-on: a finding this severe or more was found."""
        if threshold is None or self.highest is None:
            return False
        return SEVERITIES.index(self.highest) >= SEVERITIES.index(threshold)


# Input bytes per partition of persons when --partitions is not given. A
# partition's rendered part comes back to the driver as one task result,
# which Spark caps (spark.driver.maxResultSize, 1 GiB by default); parts
# came to about 0.4 bytes per input byte (2,000,000 households, 7 GB of
# CSV, in 2 partitions: 1.46 GB each, refused), so 256 MiB of input keeps
# them near 100 MB.
PARTITION_INPUT_BYTES = 256 << 20


def default_partitions(spark, case_dir: str) -> int:
    """Spark's parallelism, or more for a large case: one partition per
    PARTITION_INPUT_BYTES of the case folder's files."""
    total = sum(
        entry.stat().st_size for entry in os.scandir(case_dir) if entry.is_file(follow_symlinks=False)
    )
    return max(spark.sparkContext.defaultParallelism, -(-total // PARTITION_INPUT_BYTES), 1)


def reconcile(
    case_dir: str,
    out_dir: str,
    *,
    spark=None,
    master: Optional[str] = None,
    partitions: Optional[int] = None,
    period_from: Optional[str] = None,
    period_to: Optional[str] = None,
    rows_per_part: int = ROWS_PER_PART,
    split_bytes: int = SPLIT_BYTES,
    sort_in_spark: bool = True,
    timings: bool = False,
    register: Optional[str] = None,
    new_register: bool = False,
    bom: bool = False,
) -> "Result":
    """Reconciles CASE_DIR into OUT_DIR on Spark; returns the summary line
    (a str, with the most severe finding's severity as `.highest`).

    Raises DuizhangError with the CLI's message when the run cannot be
    done (the CLI's exit 2). CASE_DIR must be readable by every executor
    at the same path (a shared file system on a cluster); OUT_DIR is
    written by the driver.
    """
    from pyspark import StorageLevel

    started = time.monotonic()

    def phase(name: str) -> None:
        if timings:
            print(f"duizhang: {name}: {time.monotonic() - started:.1f} s", file=sys.stderr)

    case_dir = os.path.abspath(case_dir)
    driver = _native.Driver(
        case_dir,
        os.path.abspath(out_dir),
        period_from,
        period_to,
        os.path.abspath(register) if register else None,
        new_register,
        bom,
    )
    for warning in driver.warnings:
        print(f"duizhang: warning: {warning}", file=sys.stderr)
    spark = spark or session(master)
    phase("spark session ready")
    count = partitions or default_partitions(spark, case_dir)
    # Large text files of the stage kinds: cut into ranges by a task each.
    surveyed = list(driver.to_survey(split_bytes))
    if surveyed:
        found = spark.range(0, len(surveyed), 1, numPartitions=len(surveyed)).mapInArrow(
            _survey(case_dir, surveyed, split_bytes), SURVEY_DDL
        )
        for row in found.collect():
            driver.add_survey(bytes(row.survey))
        phase(f"{len(surveyed)} large files surveyed")
    # One task per piece: the crate's reader numbers the lines.
    pieces = [bytes(piece) for piece in driver.pieces()]
    tasks = spark.range(0, len(pieces), 1, numPartitions=len(pieces))
    first = tasks.mapInArrow(_read_facts(case_dir, pieces), KEYS_DDL)
    if driver.needs_dedupe:
        # Every key row of one key meets the others in one deduper.
        first = first.repartition(count, "k_hi").mapInArrow(_dedupe, KEYS_DDL)
    for row in first.filter(f"tag = {TAG_FACTS} OR tag = {TAG_DEDUPED}").select("tag", "facts").collect():
        if row.tag == TAG_FACTS:
            driver.add_facts(bytes(row.facts))
        else:
            driver.add_deduped(bytes(row.facts))
    phase(f"files read for their facts ({len(pieces)} pieces)")
    plan = spark.sparkContext.broadcast(bytes(driver.plan()))
    buckets = bucket_values(spark, count)
    layout = spark.sparkContext.broadcast(bytes(driver.layout(buckets)))
    people = tasks.mapInArrow(_read_rows(case_dir, pieces, layout), ROWS_DDL).repartition(count, "bucket")
    if sort_in_spark:
        people = people.sortWithinPartitions("key", "kind", "line")
    parts = people.mapInArrow(
        _reconcile_parts(case_dir, plan, rows_per_part, buckets, sort_in_spark), PARTS_DDL
    ).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        # Every partition reconciled at once (toLocalIterator alone
        # would compute them one after the other) ...
        try:
            parts.count()
        except Exception as failure:
            # A task's DuizhangError (a file changed between the readings,
            # say) comes back inside Spark's error: said as the CLI says it.
            raise _duizhang_error_in(failure) or failure
        phase("files read again into person rows, shuffled by range of id_number, reconciled")
        # ... then taken in range order, each part in its task's order:
        # the ledger streams out in id_number order.
        for row in parts.toLocalIterator():
            driver.add_part(bytes(row.part))
    finally:
        parts.unpersist()
    summary, highest = driver.finish()
    phase("outputs written")
    return Result(summary, highest)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m duizhang.spark",
        description="duizhang (对账) on Apache Spark: the same four files as `duizhang reconcile`",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("reconcile", help="reconcile a case folder on Spark")
    run.add_argument("case_dir", metavar="CASE_DIR")
    run.add_argument("--out", required=True, metavar="OUT_DIR")
    run.add_argument("--from", dest="period_from", metavar="YYYY-MM")
    run.add_argument("--to", dest="period_to", metavar="YYYY-MM")
    run.add_argument("--master", metavar="URL", help="Spark master (default: spark-submit's, else local[*])")
    run.add_argument("--partitions", type=int, metavar="N", help="partitions of persons (default: Spark's parallelism, or one per 256 MiB of input if more)")
    run.add_argument(
        "--split-bytes",
        type=int,
        default=SPLIT_BYTES,
        metavar="N",
        help="cut a stage kind's UTF-8 or GBK text file larger than N bytes into ranges read by a task each (default: 1 GiB)",
    )
    run.add_argument(
        "--sort-in",
        choices=("spark", "rust"),
        default="spark",
        help="sort each partition's rows by Spark's sortWithinPartitions (streams; spills to disk) or in Rust once the partition is in (holds it in memory)",
    )
    run.add_argument("--timings", action="store_true", help="print each phase's time to stderr")
    run.add_argument("--register", metavar="FILE", help="the rectification register of an earlier run, carried on (as the CLI)")
    run.add_argument("--new-register", action="store_true", help="start a new register over an edited register.csv in OUT_DIR (as the CLI)")
    run.add_argument("--bom", action="store_true", help="write the CSV outputs with a UTF-8 byte-order mark (as the CLI)")
    run.add_argument(
        "--fail-on",
        choices=SEVERITIES,
        help="exit 1 when a finding of this severity or higher is found (as the CLI)",
    )
    args = parser.parse_args(argv)
    if args.partitions is not None and args.partitions < 1:
        parser.error("--partitions must be at least 1")
    if args.split_bytes < 1:
        parser.error("--split-bytes must be at least 1")
    try:
        summary = reconcile(
            args.case_dir,
            args.out,
            master=args.master,
            partitions=args.partitions,
            split_bytes=args.split_bytes,
            sort_in_spark=args.sort_in == "spark",
            period_from=args.period_from,
            period_to=args.period_to,
            timings=args.timings,
            register=args.register,
            new_register=args.new_register,
            bom=args.bom,
        )
    except DuizhangError as error:
        print(f"duizhang: error: {error}", file=sys.stderr)
        return 2
    print(summary)
    print(f"wrote findings.csv, ledger.csv, summary.csv, register.csv, corrections.csv, run.json to {args.out}")
    return 1 if summary.fails(args.fail_on) else 0


if __name__ == "__main__":
    sys.exit(main())
