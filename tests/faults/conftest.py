"""Fixtures for fault tests: a store with a generated region loaded, big monthly files, loads run as real processes.

- ``region`` (session): a generated fictional region; ``facts``: one LA's name, code and sectors.
- ``stocked(db_url)``: geography and a first month for the LA loaded through the CLI (in-process).
- ``month_file(path, facts, rows, seed)``: a long monthly CSV for the LA, ``rows`` rows, for 2025-03.
- ``tools``: the helpers below as attributes. ``spawn(*argv)``: ``python -m app`` in a child process (its own session, so it can be killed alone).
- ``snapshot(url)``, ``active_loads(url, kind)``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from app.cli import main
from app.store import db, queries, schema

ROOT = Path(__file__).resolve().parents[2]
MONTH = "2025-03"


@pytest.fixture(scope="session")
def region(tmp_path_factory):
    from app.synthetic.region import generate_region

    return generate_region(tmp_path_factory.mktemp("region"), seed=3)


@pytest.fixture(scope="session")
def facts(region) -> dict:
    lads = pd.read_csv(region.truth_dir / "lads.csv")
    wards = pd.read_csv(region.truth_dir / "wards.csv")
    sectors = pd.read_csv(region.truth_dir / "sector_wards.csv").merge(wards, on="ward_code")
    la = lads.iloc[0]
    own = sorted(sectors.loc[sectors["lad_code"] == la["lad_code"], "postcode_sector"].unique())
    return {"la": la["lad_name"], "la_code": la["lad_code"], "sectors": own}


def month_file(path: Path, facts: dict, rows: int, seed: int = 0) -> Path:
    """A long monthly file for one LA: its sectors repeated, people 1-9 per row."""
    rng = np.random.default_rng(seed)
    sectors = np.array(facts["sectors"])[rng.integers(len(facts["sectors"]), size=rows)]
    pd.DataFrame(
        {
            "month": MONTH,
            "local_authority": facts["la"],
            "postcode_sector": sectors,
            "accommodation_type": "Dispersal",
            "nationality": rng.choice(["Eritrea", "Sudan", "Iran"], rows),
            "people": rng.integers(1, 10, rows),
        }
    ).to_csv(path, index=False, lineterminator="\n")
    return path


def cli(*argv) -> int:
    return main([str(a) for a in argv])


@pytest.fixture
def stocked(db_url, region, facts, tmp_path):
    """The store with the geography and a first (small) month for the LA."""
    assert cli(*region.geography_load(db_url)) == 0
    assert cli("ingest", "home-office", "--db", db_url, month_file(tmp_path / f"HO_first_{MONTH}.csv", facts, 40)) == 0
    return db_url


def spawn(*argv) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "app", *map(str, argv)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def snapshot(url: str) -> dict:
    db.dispose(url)
    with db.connect(url).connect() as conn:
        return queries.snapshot(conn)


def active_loads(url: str, kind: str = "home_office", period: str = MONTH) -> list[tuple]:
    loads = schema.loads
    with db.connect(url).connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.select(loads.c.id, loads.c.file_name, loads.c.scope, loads.c.rows).where(
                    loads.c.kind == kind, loads.c.period == period, loads.c.status == "active"
                )
            )
        ]


def active_people(url: str) -> float:
    with db.connect(url).connect() as conn:
        return float(queries.ho_records(conn, months=[MONTH])["people"].sum())


@pytest.fixture
def tools():
    """The helpers above, for test modules (conftest modules cannot be imported under importlib mode)."""
    from types import SimpleNamespace

    return SimpleNamespace(
        month_file=month_file,
        cli=cli,
        spawn=spawn,
        snapshot=snapshot,
        active_loads=active_loads,
        active_people=active_people,
        month=MONTH,
    )
