"""A real Spark cluster on this machine: a standalone master and two
workers started as separate processes on 127.0.0.1, the run submitted with
spark-submit's options (executor memory and cores, partitions), executors
on both workers, and the outputs byte for byte the CLI's.

DUIZHANG_BIN names the CLI binary (as in test_spark.py).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("DUIZHANG_BIN", ROOT / "target" / "debug" / "duizhang"))
OUTPUTS = ["findings.csv", "ledger.csv", "summary.csv", "register.csv", "corrections.csv", "run.json"]
#: How long the cluster may take to come up, and a run to finish.
START_SECONDS = 120
RUN_SECONDS = 600


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def master_state(ui_port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{ui_port}/json/", timeout=5) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """(master URL, the workers' work folders, the environment to submit with)."""
    home = spark_home()
    spark_class = home / "bin" / "spark-class"
    if not spark_class.exists():
        pytest.skip(f"this PySpark has no {spark_class} to start a standalone cluster with")
    base = tmp_path_factory.mktemp("cluster")
    env = dict(os.environ)
    env.update(
        SPARK_HOME=str(home),
        SPARK_LOCAL_IP="127.0.0.1",
        SPARK_LOG_DIR=str(base / "logs"),
        PYSPARK_PYTHON=sys.executable,
        PYSPARK_DRIVER_PYTHON=sys.executable,
    )
    port, ui_port = free_port(), free_port()
    master_url = f"spark://127.0.0.1:{port}"
    processes = []
    logs = []

    def start(name: str, args: list[str]) -> None:
        log = open(base / f"{name}.log", "wb")
        logs.append(log)
        processes.append(
            subprocess.Popen([str(spark_class), *args], env=env, stdout=log, stderr=subprocess.STDOUT)
        )

    start(
        "master",
        ["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port), "--webui-port", str(ui_port)],
    )
    work_dirs = []
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                master_state(ui_port)
                break
            except OSError:
                if time.monotonic() > deadline or processes[0].poll() is not None:
                    raise RuntimeError("the master did not start: " + (base / "master.log").read_text()[-2000:])
                time.sleep(1)
        for number in (1, 2):
            work = base / f"worker{number}"
            work.mkdir()
            work_dirs.append(work)
            start(
                f"worker{number}",
                [
                    "org.apache.spark.deploy.worker.Worker",
                    master_url,
                    "--host", "127.0.0.1",
                    "--cores", "1",
                    "--memory", "1g",
                    "--webui-port", str(free_port()),
                    "--work-dir", str(work),
                ],
            )
        while len([w for w in master_state(ui_port).get("workers", []) if w.get("state") == "ALIVE"]) < 2:
            if time.monotonic() > deadline:
                raise RuntimeError("two workers did not register with the master in time")
            time.sleep(1)
        yield master_url, work_dirs, env
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()


def test_a_standalone_cluster_of_two_workers_writes_the_cli_bytes(cluster, tmp_path: Path):
    master_url, work_dirs, env = cluster
    case = ROOT / "fixtures" / "demo-office"
    cli_out = tmp_path / "cli"
    cli = subprocess.run(
        [str(BIN), "reconcile", str(case), "--out", str(cli_out), "--quiet"], capture_output=True, text=True
    )
    assert cli.returncode == 0, cli.stderr
    import duizhang.spark

    spark_out = tmp_path / "spark"
    submitted = subprocess.run(
        [
            str(spark_home() / "bin" / "spark-submit"),
            "--master", master_url,
            "--executor-memory", "512m",
            "--executor-cores", "1",
            "--total-executor-cores", "2",
            "--conf", "spark.sql.shuffle.partitions=4",
            duizhang.spark.__file__,
            "reconcile", str(case), "--out", str(spark_out), "--partitions", "4",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_SECONDS,
    )
    assert submitted.returncode == 0, submitted.stderr[-4000:]
    for name in OUTPUTS:
        assert (spark_out / name).read_bytes() == (cli_out / name).read_bytes(), f"{name} differs from the CLI's"
    # The run was the cluster's (not a local one): each worker started an
    # executor for it, whose folder is in the worker's work folder.
    for work in work_dirs:
        assert any(work.iterdir()), f"no executor ran on the worker of {work}: the run did not use the cluster"
