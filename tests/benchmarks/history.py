"""Cost against history kept: ``summary`` for one month with many national months loaded ÷ with two.

    python -m tests.benchmarks.run --only history   (HISTORY_MONTHS sets the long point, default 24)

Measured on SQLite and on a PostgreSQL server started as the test harness starts it (``_sqlite`` and
``_postgres`` keys). Every month is a real ``ingest home-office`` of a national file; the generator runs
once and the other months are its file with the month column rewritten, which is all a month changes.

Each ``summary`` runs in a fresh process (as a CLI call or a new worker would), so its time and peak
memory include reading the store. The store is copied at two months, and the two stores are asked in turn
at the end (best of five each), so that the ratio compares like with like on a shared machine; ``first_answer_after_load_s_national`` is the same call right after the
last month's load. ``materialise_s_per_national_month`` is ``rebuild`` time over the months kept.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]

#: The child's own peak memory in MB. ``ru_maxrss`` would not do: Linux carries the parent's high-water
#: mark across fork and exec, so every child of this (large) benchmark process reported the parent's size.
PEAK_MB = """
def peak_mb():
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

_SUMMARY = (
    PEAK_MB
    + """
import sys, time
start = time.perf_counter()
from app.cli import main
import contextlib, io
with contextlib.redirect_stdout(io.StringIO()):
    assert main(["summary", "--db", sys.argv[1], "--level", "ward", "--month", sys.argv[2]]) == 0
print(time.perf_counter() - start, peak_mb())
"""
)

#: Keys an earlier version wrote without a backend suffix (dropped so that bench.json holds one reading).
_OLD_KEYS = (
    "history_months",
    "history_summary_ratio",
    "history_rss_ratio",
    "first_answer_after_load_s_national",
    "materialise_s_per_national_month",
)


def _summary_once(db_url: str, month: str) -> tuple[float, float]:
    done = subprocess.run(
        [sys.executable, "-c", _SUMMARY, db_url, month], cwd=ROOT, capture_output=True, text=True, check=True
    )
    seconds, rss = (float(x) for x in done.stdout.split())
    return seconds, rss


def _summary(db_url: str, month: str, runs: int = 3) -> tuple[float, float]:
    """Seconds (whole process, best of ``runs``) and peak MB (of that run) of one ``summary --level ward``."""
    return min(_summary_once(db_url, month) for _ in range(runs))


def _side_by_side(short_url: str, long_url: str, month: str, runs: int = 5) -> tuple[tuple, tuple]:
    """Best of ``runs`` for each store, taken in turn, so that a busy spell on a shared machine hits both."""
    short, long = [], []
    for _ in range(runs):
        short.append(_summary_once(short_url, month))
        long.append(_summary_once(long_url, month))
    return min(short), min(long)


def _keep_copy(db_url: str, work: Path) -> str:
    """A copy of the store as it is now (the two-month point, asked again beside the long one at the end)."""
    from app.store import db

    db.dispose(db_url)
    if db_url.startswith("sqlite"):
        source = Path(db_url.removeprefix("sqlite:///"))
        copy = work / f"{source.stem}_2.sqlite"
        shutil.copy(source, copy)
        return f"sqlite:///{copy}"
    import psycopg

    base, name = db_url.rsplit("/", 1)
    with psycopg.connect(
        db_url.replace("postgresql+psycopg", "postgresql").rsplit("/", 1)[0] + "/postgres", autocommit=True
    ) as conn:
        conn.execute(f'CREATE DATABASE "{name}_2" TEMPLATE "{name}"')
    return f"{base}/{name}_2"


def _months(n: int) -> list[str]:
    return [f"{2023 + i // 12}-{i % 12 + 1:02d}" for i in range(n)]


def month_files(work: Path, region, months: list[str]) -> list[Path]:
    """One national CSV per month: the generator's file once, then the same rows under each other month."""
    from app.synthetic.activity import generate_national_month

    first, _ = generate_national_month(work / "m0", region, seed=11, month=months[0])
    table = pd.read_csv(first, dtype=str, keep_default_na=False)
    out = [first]
    for month in months[1:]:
        path = work / "months" / f"HO_national_{month}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        table.assign(month=month).to_csv(path, index=False, lineterminator="\n")
        out.append(path)
    return out


@contextlib.contextmanager
def postgres_database(name: str):
    """A throw-away PostgreSQL server (the test harness's starter) with one empty database; yields its URL."""
    from tests.conftest import _postgres_bin, _start_postgres, _stop_postgres

    bindir = _postgres_bin()
    if bindir is None:
        raise RuntimeError("PostgreSQL binaries not found under /usr/lib/postgresql/*/bin (make system-packages)")
    server = _start_postgres(bindir)
    try:
        server.admin(f'CREATE DATABASE "{name}"')
        yield server.url(name)
    finally:
        from app.store import db

        db.dispose(server.url(name))
        _stop_postgres(server)


def history_point(db_url: str, region, files: list[Path], months: list[str], suffix: str, work: Path) -> dict:
    from tests.benchmarks.run import cli

    cli("init", "--db", db_url)
    cli(*region.geography_load(db_url))
    long, ask = len(months), months[1]
    short_url = first = None
    ingest_s = []
    for number, (month, path) in enumerate(zip(months, files), 1):
        ingest_s.append(cli("ingest", "home-office", "--db", db_url, path))
        if number == 2:
            short_url = _keep_copy(db_url, work)
        if number == long:
            first = _summary(db_url, month)[0]
    short, many = _side_by_side(short_url, db_url, ask)
    start, cpu = time.perf_counter(), time.process_time()
    cli("rebuild", "--db", db_url)
    rebuild_s, rebuild_cpu_s = time.perf_counter() - start, time.process_time() - cpu
    return {
        f"history_months{suffix}": long,
        f"history_summary_s_2{suffix}": round(short[0], 3),
        f"history_summary_s_{long}{suffix}": round(many[0], 3),
        f"history_summary_ratio{suffix}": round(many[0] / short[0], 3),
        f"history_rss_mb_2{suffix}": round(short[1], 1),
        f"history_rss_mb_{long}{suffix}": round(many[1], 1),
        f"history_rss_ratio{suffix}": round(many[1] / short[1], 3),
        f"first_answer_after_load_s_national{suffix}": round(first, 3),
        f"materialise_s_per_national_month{suffix}": round(rebuild_s / long, 3),
        # This process's CPU only (not the database server's): what a busy shared machine does not inflate.
        f"materialise_cpu_s_per_national_month{suffix}": round(rebuild_cpu_s / long, 3),
        f"worker_rss_mb_national_{long}{suffix}": round(many[1], 1),
        f"history_ingest_s_first{suffix}": round(ingest_s[0], 3),
        f"history_ingest_s_last{suffix}": round(ingest_s[-1], 3),
    }


def bench_history(work: Path, results: dict) -> dict:
    from app.synthetic.region import generate_region

    months = _months(int(os.environ.get("HISTORY_MONTHS", "24")))
    region = generate_region(work / "national", seed=11, scale="national")
    files = month_files(work, region, months)
    for key in _OLD_KEYS:
        results.pop(key, None)
    backends = os.environ.get("HISTORY_BACKENDS", "sqlite,postgres").split(",")
    if "sqlite" in backends:
        results.update(history_point(f"sqlite:///{work / 'history.sqlite'}", region, files, months, "_sqlite", work))
    if "postgres" in backends:
        with postgres_database("history") as url:
            results.update(history_point(url, region, files, months, "_postgres", work))
    return results
