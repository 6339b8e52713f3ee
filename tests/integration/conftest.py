"""Fixtures for end-to-end tests through the command line: generated inputs and real reference files.

- ``cli(*argv)``: run ``python -m app`` in-process; returns (exit status, stdout, stderr).
- ``load_synthetic(db_url, region)``, ``load_north_east(db_url)``: ``geography load`` of those inputs.
- ``synthetic_region`` (session): a generated fictional region; ``reference``: ``../shared/reference``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import main

NORTH_EAST = "E12000001"


@pytest.fixture(scope="session")
def reference() -> Path:
    return Path(__file__).resolve().parents[2].parent / "shared" / "reference"


@pytest.fixture(scope="session")
def synthetic_region(tmp_path_factory):
    from app.synthetic.region import generate_region

    return generate_region(tmp_path_factory.mktemp("region"), seed=3)


@pytest.fixture
def cli(capsys):
    def run(*argv: str) -> tuple[int, str, str]:
        code = main([str(a) for a in argv])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


@pytest.fixture
def load_synthetic(cli):
    def load(db_url: str, region) -> tuple[int, str, str]:
        return cli(*region.geography_load(db_url))

    return load


@pytest.fixture
def load_north_east(cli, reference):
    def load(db_url: str) -> tuple[int, str, str]:
        return cli(
            "geography",
            "load",
            "--db",
            db_url,
            "--wards",
            reference / "wards.geojson",
            "--lads",
            reference / "lad.geojson",
            "--population",
            reference / "population.csv",
            "--postcodes",
            reference / "postcodes_north_east.csv",
            "--region",
            NORTH_EAST,
        )

    return load
