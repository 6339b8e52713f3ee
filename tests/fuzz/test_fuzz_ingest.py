"""Malformed monthly files through ``python -m app ingest home-office`` on a SQLite store with a geography:
exit status 0 (loaded) or 1 (refused, reasons naming the file, no traceback), and a refusal leaves every
table exactly as it was (no partial load)."""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.cli import main  # noqa: E402
from app.store import db, queries  # noqa: E402
from tests.fuzz import malformed as m  # noqa: E402

EXAMPLES = 40


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A SQLite store with a generated region loaded, and that region's LA names and sectors."""
    from app.synthetic.region import generate_region

    folder = tmp_path_factory.mktemp("fuzz_store")
    region = generate_region(folder / "region", seed=3)
    url = f"sqlite:///{folder / 'store.sqlite'}"
    assert main(["init", "--db", url]) == 0
    assert main(region.geography_load(url)) == 0
    lads = pd.read_csv(region.truth_dir / "lads.csv")
    sectors = sorted(pd.read_csv(region.truth_dir / "sector_wards.csv")["postcode_sector"].unique())
    yield url, list(lads["lad_name"]), sectors
    db.dispose(url)


def _snapshot(url: str) -> dict:
    with db.connect(url).connect() as conn:
        return queries.snapshot(conn)


def _plans(names: list[str], sectors: list[str]) -> st.SearchStrategy[m.Plan]:
    header, _ = m.TEMPLATES["home_office"]

    def row(i: int) -> list[object]:
        return [
            "2025-03",
            names[i % len(names)],
            sectors[(i * 7) % len(sectors)],
            "Dispersal",
            "Eritrea",
            "18-24",
            "Male",
            1 + i % 9,
        ]

    return st.one_of(
        m.nearly_valid_plans("home_office", (header, row)),
        m.nearly_valid_plans("home_office", (header, row)),
        m.plans("home_office", tuple(names[:2] + sectors[:5]), wide=False),
    )


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_refused_ingest_changes_nothing(store, data):
    url, names, sectors = store
    plan = data.draw(_plans(names, sectors), label="plan")
    with tempfile.TemporaryDirectory() as tmp:
        path = m.build(plan, Path(tmp))
        before = _snapshot(url)
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(["ingest", "home-office", "--db", url, str(path)])
    message = err.getvalue()
    assert code in (0, 1), message
    assert "Traceback" not in message
    if code == 1:
        assert message.startswith("Refused: nothing was loaded.") and path.name in message, message
        assert _snapshot(url) == before
