"""``make bench``: measure, and write ``data/bench.json``.

Each figure is measured in the same run as its baseline so that ratios hold
on a noisy machine. Inputs are generated at national scale (about 8,000
wards and 10,000 sectors) by the project's own seeded generator.

    python -m tests.benchmarks.run --out data/bench.json [--only ingest]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def best_of(runs: int, fn) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def cli(*argv: str) -> float:
    """Seconds for one ``python -m app`` command in this process (imports already warm)."""
    from app.cli import main

    start = time.perf_counter()
    code = main([str(a) for a in argv])
    if code != 0:
        raise SystemExit(f"benchmark command failed ({code}): {' '.join(map(str, argv))}")
    return time.perf_counter() - start


def national_inputs(work: Path) -> dict:
    from app.synthetic.activity import generate_national_month, generate_property_list
    from app.synthetic.region import generate_region

    region = generate_region(work / "national", seed=11, scale="national")
    csv_path, xlsx_path = generate_national_month(work / "month", region, seed=11)
    properties = generate_property_list(work / "properties", region, n=35_000)
    return {"region": region, "csv": csv_path, "xlsx": xlsx_path, "properties": properties}


def bench_ingest(work: Path, results: dict) -> dict:
    import pyarrow.csv

    inputs = national_inputs(work)
    region = inputs["region"]
    db_url = f"sqlite:///{work / 'national.sqlite'}"
    cli("init", "--db", db_url)
    results["geography_load_s_national"] = round(
        cli(*region.geography_load(db_url)),
        2,
    )

    parse_s = best_of(3, lambda: pyarrow.csv.read_csv(inputs["csv"]))
    rows = pyarrow.csv.read_csv(inputs["csv"]).num_rows
    from tests.benchmarks.stages import staged_ingest

    ingest_csv_s, csv_stages = staged_ingest(db_url, inputs["csv"])
    # The workbook holds the same rows: its load replaces the CSV's for every LA, as a corrected file would.
    ingest_xlsx_s, xlsx_stages = staged_ingest(db_url, inputs["xlsx"])
    results.update({f"ingest_stage_ms_csv_{stage}": ms for stage, ms in csv_stages.items()})
    results.update({f"ingest_stage_ms_xlsx_{stage}": ms for stage, ms in xlsx_stages.items()})
    props_s = cli("ingest", "properties", "--db", db_url, inputs["properties"], "--provider", "Mears")
    results.update(
        ingest_rows=rows,
        pyarrow_parse_s=round(parse_s, 4),
        ingest_csv_s=round(ingest_csv_s, 3),
        ingest_ratio_csv=round(ingest_csv_s / parse_s, 2),
        ingest_xlsx_s=round(ingest_xlsx_s, 3),
        ingest_ratio_xlsx=round(ingest_xlsx_s / parse_s, 2),
        properties_ingest_s=round(props_s, 3),
        properties_ingest_s_per_1000=round(props_s / 35, 4),
    )
    results["peak_rss_mb_national"] = peak_rss_of_ingest_and_summary(work, inputs)
    return results


def peak_rss_of_ingest_and_summary(work: Path, inputs: dict) -> float:
    """Peak memory of a fresh process that ingests the national month and prints the ward summary."""
    region = inputs["region"]
    db_url = f"sqlite:///{work / 'rss.sqlite'}"
    from tests.benchmarks.history import PEAK_MB

    script = (
        PEAK_MB
        + f"""
import sys
from app.cli import main
steps = [
    ["init", "--db", {db_url!r}],
    ["geography", "load", "--db", {db_url!r}, "--wards", {str(region.wards)!r}, "--lads", {str(region.lads)!r},
     "--population", {str(region.population)!r}, "--postcodes", {str(region.postcodes)!r}],
    ["ingest", "home-office", "--db", {db_url!r}, {str(inputs["csv"])!r}],
]
for step in steps:
    assert main(step) == 0, step
import app.monitoring as m
from app.config import load_settings
from app.store import db
settings = load_settings({db_url!r})
snap = m.snapshot(db.connect(settings.db_url), settings)
table = m.summary(db.connect(settings.db_url), settings, level="ward", month=snap.months[-1])
assert len(table) > 7000
print(peak_mb())
"""
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    return round(float(done.stdout.strip().splitlines()[-1]), 1)


def _lazy(module: str, name: str):
    """Benchmarks of other layers, imported only when run (they pull in the web app or a browser)."""

    def run(work: Path, results: dict) -> dict:
        import importlib

        return getattr(importlib.import_module(module), name)(work, results)

    return run


BENCHES = {
    "ingest": bench_ingest,
    "map_update": _lazy("tests.benchmarks.map_update", "bench_map_update"),
    "browser": _lazy("tests.benchmarks.browser", "bench_browser"),
    "pages": _lazy("tests.benchmarks.pages", "bench_pages"),
    "fuzz": _lazy("tests.benchmarks.fuzz", "bench_fuzz"),
    "load": _lazy("tests.benchmarks.load", "bench_load"),
    "history": _lazy("tests.benchmarks.history", "bench_history"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "bench.json")
    parser.add_argument("--only", choices=sorted(BENCHES), action="append")
    args = parser.parse_args()
    results: dict = {}
    if args.out.exists():
        results.update(json.loads(args.out.read_text()))
    failed = []
    with tempfile.TemporaryDirectory(prefix="dispersal-bench-") as tmp:
        for name in args.only or list(BENCHES):
            start = time.perf_counter()
            work = Path(tmp) / name
            work.mkdir()
            try:
                BENCHES[name](work, results)
            except Exception as error:  # keep the other figures; report and fail at the end
                failed.append(name)
                print(f"{name}: FAILED: {error!r}", file=sys.stderr)
            else:
                print(f"{name}: {time.perf_counter() - start:.1f} s", file=sys.stderr)
            _write(args.out, results)
    print(json.dumps(results, indent=2, sort_keys=True))
    if failed:
        raise SystemExit(f"benchmarks failed: {', '.join(failed)}")


def _write(out: Path, results: dict) -> None:
    results["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    results["cpu_count"] = os.cpu_count()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
