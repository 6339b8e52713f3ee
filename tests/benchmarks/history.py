"""Cost against history kept: ``summary`` for one month with many national months loaded ÷ with two.

    python -m tests.benchmarks.run --only history   (HISTORY_MONTHS sets the long point, default 24)

Each ``summary`` runs in a fresh process (as a CLI call or a new worker would), so its time and peak
memory include reading the store; ``first_answer_after_load_s_national`` is the same call right after a
month's load. ``materialise_s_per_national_month`` is ``rebuild`` time over the months kept.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_SUMMARY = """
import resource, sys, time
start = time.perf_counter()
from app.cli import main
import contextlib, io
with contextlib.redirect_stdout(io.StringIO()):
    assert main(["summary", "--db", sys.argv[1], "--level", "ward", "--month", sys.argv[2]]) == 0
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def _summary(db_url: str, month: str) -> tuple[float, float]:
    """Seconds (whole process, best of 3) and peak MB of one ``summary --level ward``."""
    best = None
    for _ in range(3):
        done = subprocess.run(
            [sys.executable, "-c", _SUMMARY, db_url, month], cwd=ROOT, capture_output=True, text=True, check=True
        )
        seconds, rss = (float(x) for x in done.stdout.split())
        best = (seconds, rss) if best is None or seconds < best[0] else best
    return best


def _months(n: int) -> list[str]:
    return [f"{2023 + i // 12}-{i % 12 + 1:02d}" for i in range(n)]


def bench_history(work: Path, results: dict, backend_url: str | None = None) -> dict:
    from app.synthetic.activity import generate_national_month
    from app.synthetic.region import generate_region
    from tests.benchmarks.run import cli

    long = int(os.environ.get("HISTORY_MONTHS", "24"))
    region = generate_region(work / "national", seed=11, scale="national")
    db_url = backend_url or f"sqlite:///{work / 'history.sqlite'}"
    cli("init", "--db", db_url)
    cli(
        "geography",
        "load",
        "--db",
        db_url,
        "--wards",
        region.wards,
        "--lads",
        region.lads,
        "--population",
        region.population,
        "--postcodes",
        region.postcodes,
    )
    months = _months(long)
    ask = months[1]
    short = None
    for number, month in enumerate(months, 1):
        csv_path, _ = generate_national_month(work / f"m{month}", region, seed=number, month=month)
        cli("ingest", "home-office", "--db", db_url, csv_path)
        if number == 1 or number == long:
            first = _summary(db_url, month)[0]
        if number == 2:
            short = _summary(db_url, ask)
    many = _summary(db_url, ask)
    start = time.perf_counter()
    cli("rebuild", "--db", db_url)
    rebuild_s = time.perf_counter() - start
    suffix = "" if backend_url is None else "_postgresql"
    results.update(
        {
            f"history_months{suffix}": long,
            f"history_summary_s_2{suffix}": round(short[0], 3),
            f"history_summary_s_{long}{suffix}": round(many[0], 3),
            f"history_summary_ratio{suffix}": round(many[0] / short[0], 3),
            f"history_rss_mb_2{suffix}": round(short[1], 1),
            f"history_rss_mb_{long}{suffix}": round(many[1], 1),
            f"history_rss_ratio{suffix}": round(many[1] / short[1], 3),
            f"first_answer_after_load_s_national{suffix}": round(first, 3),
            f"materialise_s_per_national_month{suffix}": round(rebuild_s / long, 3),
            f"worker_rss_mb_national_{long}{suffix}": round(many[1], 1),
        }
    )
    return results
