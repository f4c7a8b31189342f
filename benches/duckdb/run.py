"""Runs benches/duckdb/core.sql on a case folder: the DuckDB baseline.

usage: python3 benches/duckdb/run.py CASE_DIR OUT_DIR [--threads N]
"""
import os
import sys
import time

import duckdb

case, out = sys.argv[1], sys.argv[2]
threads = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 2
os.makedirs(out, exist_ok=True)
sql = open(os.path.join(os.path.dirname(__file__), "core.sql"), encoding="utf-8").read()
sql = sql.replace("{case}", case).replace("{out}", out)
started = time.perf_counter()
connection = duckdb.connect()
connection.execute(f"SET threads = {threads}")
connection.execute("SET preserve_insertion_order = false")
connection.execute(sql)
lines = connection.execute("SELECT count(*), count(*) FILTER (WHERE status <> 'ok') FROM ledger").fetchone()
print(f"duckdb {duckdb.__version__}: {lines[0]} lines, {lines[1]} not ok, {time.perf_counter() - started:.2f} s")
