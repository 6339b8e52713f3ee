"""Figures kept at load equal figures rebuilt from the inputs, after any sequence of loads, corrections and undos.

Files are written from the synthetic region's truth (as tests/integration/test_coverage.py does); hypothesis
draws the sequence: regional months with or without an LA column, one-LA corrections, providers' property
lists (for the months' quarter or the one before, which serves them while their own has none), and undoing the
latest monthly file or property list. After every sequence the stored figures are compared with what
``rebuild`` computes from the inputs alone.
"""

from __future__ import annotations

import itertools

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import ingest, materialise, monitoring
from app.config import load_settings
from app.store import db, loads, queries
from tests.integration.test_coverage import _csv, _regional

MONTHS = ["2025-05", "2025-06"]
#: Property lists the steps may load: (quarter, provider, seed); a later one replaces an earlier one's LAs.
PROPERTY_LISTS = [("2025Q2", "Mears", 1), ("2025Q1", "Mears", 2), ("2025Q2", "Serco", 3), ("2025Q2", "Mears", 4)]
_serial = itertools.count(1000)


@pytest.fixture(scope="module")
def truth(synthetic_region):
    lads = pd.read_csv(synthetic_region.truth_dir / "lads.csv", dtype=str)
    wards = pd.read_csv(synthetic_region.truth_dir / "wards.csv", dtype=str)
    sectors = pd.read_csv(synthetic_region.truth_dir / "sector_wards.csv", dtype={"ward_code": str})
    return {"lads": lads, "within": sectors.merge(wards, on="ward_code")}


@pytest.fixture(scope="module")
def property_files(synthetic_region, tmp_path_factory):
    from app.synthetic.activity import generate_property_list

    out = tmp_path_factory.mktemp("property_lists")
    return [
        (
            provider,
            generate_property_list(out / str(n), synthetic_region, n=400, provider=provider, seed=seed, quarter=q),
        )
        for n, (q, provider, seed) in enumerate(PROPERTY_LISTS)
    ]


@pytest.fixture
def store(load_synthetic, db_url, synthetic_region):
    assert load_synthetic(db_url, synthetic_region)[0] == 0
    return db_url


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    keys = ["month", "level", "area_code", "accommodation_type", "support_type"]
    return frame.sort_values(keys).reset_index(drop=True)


def _rebuilt(engine) -> pd.DataFrame:
    """What ``rebuild`` computes, read inside its transaction and rolled back."""
    with engine.connect() as conn:
        with conn.begin() as tx:
            materialise.rebuild(conn)
            rows = materialise.read(conn)
            tx.rollback()
    return rows


STEP = st.one_of(
    st.tuples(st.just("month"), st.sampled_from(MONTHS), st.booleans()),
    st.tuples(st.just("fix"), st.sampled_from(MONTHS), st.integers(0, 20)),
    st.tuples(st.just("properties"), st.none(), st.integers(0, len(PROPERTY_LISTS) - 1)),
    st.tuples(st.just("undo"), st.sampled_from(["home_office", "properties"]), st.none()),
)


def test_incremental_figures_equal_rebuilt_ones_after_any_sequence(store, truth, property_files, tmp_path):
    engine = db.connect(store)
    lads = truth["lads"]["lad_code"].tolist()
    first = _regional(truth, MONTHS[0], seed=1)
    ingest.ingest_home_office(engine, _csv(tmp_path / f"HO_region_{MONTHS[0]}.csv", first), month=MONTHS[0])
    assert len(materialise.read(engine, month=MONTHS[0], levels=("ward",)))  # materialised as it came
    provider, path = property_files[0]
    listed = ingest.ingest_properties(engine, path, provider=provider).load_id
    assert (materialise.read(engine, month=MONTHS[0], levels=("ward",))["method"] == "properties").any()
    with db.writing(engine) as conn:
        ingest.undo_load(conn, listed)
    assert not (materialise.read(engine, levels=("ward",))["method"] == "properties").any()

    @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(STEP, min_size=1, max_size=4))
    def check(steps):
        for kind, what, arg in steps:
            serial = next(_serial)
            if kind == "month":
                frame = _regional(truth, what, seed=serial % 7, with_la=arg)
                ingest.ingest_home_office(engine, _csv(tmp_path / f"HO_region_{what}_{serial}.csv", frame), month=what)
            elif kind == "fix":
                la = lads[arg % len(lads)]
                frame = _regional(truth, what, seed=serial % 11, lads=[la])
                ingest.ingest_home_office(
                    engine, _csv(tmp_path / f"HO_fix_{la}_{what}_{serial}.csv", frame), month=what
                )
            elif kind == "properties":
                provider, path = property_files[arg]
                ingest.ingest_properties(engine, path, provider=provider)
            else:
                with engine.connect() as conn:
                    history = queries.load_history(conn)
                last = history[(history["status"] == loads.ACTIVE) & (history["kind"] == what)]
                if len(last):
                    with db.writing(engine) as conn:
                        ingest.undo_load(conn, int(last.iloc[0]["id"]))
        incremental, rebuilt = _sorted(materialise.read(engine)), _sorted(_rebuilt(engine))
        assert len(incremental) == len(rebuilt)
        pd.testing.assert_frame_equal(incremental, rebuilt, check_exact=False, rtol=1e-9, atol=1e-9)

    check()


def test_stored_figures_give_the_table_computed_from_the_records(store, truth, tmp_path):
    """The monitoring table read from the kept figures equals the one computed from every record."""
    from app.cluster import position

    engine = db.connect(store)
    for month, with_la in (("2025-05", True), ("2025-06", False)):
        frame = _regional(truth, month, seed=4, with_la=with_la)
        ingest.ingest_home_office(engine, _csv(tmp_path / f"HO_region_{month}.csv", frame), month=month)
    snap = monitoring.snapshot(engine, load_settings(store))
    assert snap.months
    mask = position.counted(snap.records, snap.settings)
    people = position.people_by_area(snap.records, snap.apportioned, snap.areas, mask, snap.covered)
    pop = position.population_by_area(snap.areas, snap.population)
    expected = position.monitoring_table(people, snap.areas, pop, snap.settings, snap.limit_overrides)
    pd.testing.assert_frame_equal(snap.table, expected, check_exact=False, rtol=1e-9, check_dtype=False)


def test_a_new_month_leaves_other_months_cached_answers_valid(store, truth, tmp_path):
    engine = db.connect(store)
    for month in MONTHS:
        frame = _regional(truth, month, seed=5)
        ingest.ingest_home_office(engine, _csv(tmp_path / f"HO_region_{month}.csv", frame), month=month)
    months = monitoring.snapshot(engine, load_settings(store)).months
    before = materialise.stamps(engine, months)
    frame = _regional(truth, "2026-01", seed=2)
    ingest.ingest_home_office(engine, _csv(tmp_path / "HO_region_2026-01.csv", frame), month="2026-01")
    assert materialise.stamps(engine, months) == before
    assert materialise.stamps(engine, ["2026-01"])[1] is not None
