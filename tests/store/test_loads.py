"""Writing loads: history, supersede and undo, exact round trips, and all-or-nothing transactions."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
import sqlalchemy as sa

from app.cluster.records import HOME_OFFICE_COLUMNS
from app.problems import Problem, ProblemLog
from app.store import db, loads, queries, schema

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"


def _start(conn, kind="home_office", period="2024-06", scope=None, provider=None, checksum=None, rows=0, **extra):
    return loads.start_load(
        conn,
        kind=kind,
        file_name=f"{kind}-{period}.csv",
        checksum=checksum or hashlib.sha256(f"{kind}{period}{scope}{provider}{extra}".encode()).hexdigest(),
        period=period,
        scope=scope,
        provider=provider,
        loaded_by="officer@la.gov.uk",
        rows=rows,
        details=extra.get("details", {}),
    )


def _covered(conn, scope=("E06000001", "E06000002"), kind="home_office", period="2024-06", provider=None, **extra):
    """A load that is in force for the LAs of ``scope`` in its period, as ingest records it."""
    load_id = _start(conn, kind=kind, period=period, scope=set(scope), provider=provider, **extra)
    loads.cover(conn, load_id=load_id, kind=kind, period=period, lad_codes=scope, provider=provider)
    return load_id


def _coverage(conn) -> set[tuple]:
    table = schema.load_coverage
    rows = conn.execute(
        sa.select(table.c.load_id, table.c.period, table.c.lad_code, table.c.status, table.c.superseded_by)
    )
    return {tuple(r) for r in rows}


def _statuses(conn) -> dict[int, tuple[str, int | None]]:
    rows = conn.execute(sa.select(schema.loads.c.id, schema.loads.c.status, schema.loads.c.superseded_by))
    return {r.id: (r.status, r.superseded_by) for r in rows}


def test_file_checksum_is_sha256_of_the_bytes(tmp_path):
    content = b"Local Authority,Postcode Sector,People\r\nHartlepool,TS24 7,<5\r\n" * 5000
    path = tmp_path / "extract.csv"
    path.write_bytes(content)
    assert loads.file_checksum(path) == hashlib.sha256(content).hexdigest()
    path.write_bytes(content + b" ")
    assert loads.file_checksum(path) != hashlib.sha256(content).hexdigest()


def test_start_load_records_who_what_when(engine):
    before = datetime.now(UTC)
    with engine.begin() as conn:
        load_id = loads.start_load(
            conn,
            kind="home_office",
            file_name="June extract.xlsx",
            checksum="a" * 64,
            period="2024-06",
            scope={"E06000002", "E06000001", ""},
            provider=None,
            loaded_by="ana",
            rows=12,
            details={"sheet": "Data", "layout": "long", "total": 123.5},
        )
    history = queries.load_history(engine)
    row = history.set_index("id").loc[load_id]
    assert (row.kind, row.file_name, row.period, row.loaded_by, row.rows, row.status) == (
        "home_office",
        "June extract.xlsx",
        "2024-06",
        "ana",
        12,
        "active",
    )
    assert row.scope == "E06000001,E06000002"
    assert json.loads(row.details) == {"sheet": "Data", "layout": "long", "total": 123.5}
    assert before - timedelta(seconds=1) <= row.loaded_at <= datetime.now(UTC) + timedelta(seconds=1)
    assert pd.isna(row.superseded_by)


def test_scope_text_is_sorted_and_joined():
    assert loads.scope_text(["E07000001", "E06000001", "E07000001", " "]) == "E06000001,E07000001"
    assert loads.scope_text("E2,E1") == "E1,E2"
    assert loads.scope_text(set()) is None
    assert loads.scope_text(None) is None


def test_a_national_scope_fits(engine):
    codes = {f"E{n:08d}" for n in range(400)}
    with engine.begin() as conn:
        load_id = _start(conn, scope=codes)
    assert queries.load_history(engine).set_index("id").loc[load_id, "scope"] == ",".join(sorted(codes))


def test_same_checksum_is_found_only_while_active(engine):
    with engine.begin() as conn:
        first = _start(conn, checksum="c" * 64)
    with engine.begin() as conn:
        assert loads.find_active_load(conn, "home_office", "c" * 64) == first
        assert loads.find_active_load(conn, "properties", "c" * 64) is None
        assert loads.find_active_load(conn, "home_office", "d" * 64) is None
        loads.undo_load(conn, first)
    with engine.begin() as conn:
        assert loads.find_active_load(conn, "home_office", "c" * 64) is None


def test_cover_replaces_exactly_the_la_months_it_covers(engine):
    with engine.begin() as conn:
        a = _covered(conn, scope={"E1", "E2"})
        b = _covered(conn, scope={"E3"})
        c = _covered(conn, period="2024-05", scope={"E1"})
        d = _covered(conn, kind="properties", period="2024Q2", scope={"E2"}, provider="Mears")
        new = _start(conn, scope={"E2", "E9"})
        assert loads.cover(conn, load_id=new, kind="home_office", period="2024-06", lad_codes={"E2", "E9"}) == {"E2": a}
        assert _coverage(conn) == {
            (a, "2024-06", "E1", "active", None),
            (a, "2024-06", "E2", "superseded", new),
            (b, "2024-06", "E3", "active", None),
            (c, "2024-05", "E1", "active", None),
            (d, "2024Q2", "E2", "active", None),
            (new, "2024-06", "E2", "active", None),
            (new, "2024-06", "E9", "active", None),
        }
        # a is still in force for E1, so it stays active; it is superseded only once every LA it covered is.
        assert _statuses(conn) == {
            a: ("active", None),
            b: ("active", None),
            c: ("active", None),
            d: ("active", None),
            new: ("active", None),
        }
        last = _covered(conn, scope={"E1"})
        assert _statuses(conn)[a] == ("superseded", last)


def test_cover_by_provider_leaves_other_providers(engine):
    with engine.begin() as conn:
        mears = _covered(conn, kind="properties", period="2024Q2", scope={"E1"}, provider="Mears")
        serco = _covered(conn, kind="properties", period="2024Q2", scope={"E1"}, provider="Serco")
        again = _covered(conn, kind="properties", period="2024Q2", scope={"E1"}, provider="Mears", details={"v": 2})
        assert _statuses(conn) == {mears: ("superseded", again), serco: ("active", None), again: ("active", None)}


def test_supersede_with_no_period_matches_loads_without_one(engine):
    with engine.begin() as conn:
        old = _start(conn, kind="geography", period=None)
        dated = _start(conn, kind="geography", period="2024")
        new = _start(conn, kind="geography", period=None, details={"v": 2})
        assert loads.supersede(
            conn, kind="geography", period=None, scope_codes=None, provider=None, new_load_id=new
        ) == [old]
        assert _statuses(conn)[dated] == ("active", None)


def test_undo_brings_back_what_the_load_replaced(engine, ho_frame):
    with engine.begin() as conn:
        first = _covered(conn)
        loads.insert_frame(conn, schema.ho_records, ho_frame(30, seed=1), load_id=first)
    with engine.begin() as conn:
        second = _covered(conn, details={"corrected": True})
        loads.insert_frame(conn, schema.ho_records, ho_frame(20, seed=2), load_id=second)
    assert set(queries.ho_records(engine)["load_id"]) == {second}
    with engine.begin() as conn:
        loads.undo_load(conn, second)
        assert _statuses(conn) == {first: ("active", None), second: ("undone", None)}
    records = queries.ho_records(engine)
    assert set(records["load_id"]) == {first} and len(records) == 30
    with engine.begin() as conn:
        with pytest.raises(ValueError, match="already been undone"):
            loads.undo_load(conn, second)
        with pytest.raises(LookupError, match="no load number 999"):
            loads.undo_load(conn, 999)


def test_undoing_a_one_la_correction_restores_exactly_that_la(engine, ho_frame):
    with engine.begin() as conn:
        regional = _covered(conn)
        loads.insert_frame(conn, schema.ho_records, ho_frame(40, seed=1), load_id=regional)
    before = queries.ho_records(engine)
    with engine.begin() as conn:
        fix = _covered(conn, scope={"E06000001"}, details={"fix": 1})
        loads.insert_frame(conn, schema.ho_records, ho_frame(10, seed=2, lad_codes=("E06000001",)), load_id=fix)
    now = queries.ho_records(engine)
    assert set(now.loc[now["lad_code"] == "E06000001", "load_id"]) == {fix}
    pd.testing.assert_frame_equal(
        now[now["lad_code"] == "E06000002"].reset_index(drop=True),
        before[before["lad_code"] == "E06000002"].reset_index(drop=True),
    )
    with engine.begin() as conn:
        loads.undo_load(conn, fix)
    pd.testing.assert_frame_equal(queries.ho_records(engine), before)


def test_undoing_a_load_already_replaced_keeps_the_newest_in_charge(engine):
    with engine.begin() as conn:
        a = _covered(conn, details={"v": 1})
        b = _covered(conn, details={"v": 2})
        c = _covered(conn, scope={"E06000001"}, details={"v": 3})
        loads.undo_load(conn, b)
        # For E06000001, c replaced b and stays in charge; for E06000002, b was in force, so a comes back.
        assert _statuses(conn) == {a: ("active", None), b: ("undone", None), c: ("active", None)}
        assert (a, "2024-06", "E06000001", "superseded", c) in _coverage(conn)
        assert (a, "2024-06", "E06000002", "active", None) in _coverage(conn)
        loads.undo_load(conn, c)
        assert _statuses(conn) == {a: ("active", None), b: ("undone", None), c: ("undone", None)}
        assert {r[2] for r in _coverage(conn) if r[0] == a and r[3] == "active"} == {"E06000001", "E06000002"}


def test_store_version_moves_on_every_committed_load_and_undo(engine):
    start = db.store_version(engine)
    with engine.begin() as conn:
        load_id = _start(conn)
    after_load = db.store_version(engine)
    with engine.begin() as conn:
        loads.undo_load(conn, load_id)
    after_undo = db.store_version(engine)
    assert start < after_load < after_undo
    with pytest.raises(RuntimeError), engine.begin() as conn:
        _start(conn, details={"again": 1})
        raise RuntimeError("refused")
    assert db.store_version(engine) == after_undo
    with engine.begin() as conn:
        assert loads.bump_version(conn) == after_undo + 1


def test_meta_values(engine):
    with engine.begin() as conn:
        assert loads.get_meta(conn, "geography_vintage") is None
        loads.set_meta(conn, "geography_vintage", "WD24")
        loads.set_meta(conn, "population_year", 2021)
        loads.set_meta(conn, "geography_vintage", "WD25")
    with engine.connect() as conn:
        assert loads.get_meta(conn, "geography_vintage") == "WD25"
        assert loads.get_meta(conn, "population_year") == "2021"


def test_problems_are_kept_with_where_they_were_found(engine):
    log = ProblemLog("june.xlsx", sheet="Data")
    log.warn("'TS99 9' is not a known postcode sector", row=14, column="Postcode Sector", code="unknown_sector")
    log.warn("count '<5' loaded as 2.5 (between 1 and 4)", row=15, column="People", code="suppressed")
    log.warn("a header " + "x" * 300, row=1, column="C" * 500)
    with engine.begin() as conn:
        load_id = _start(conn)
        loads.add_problems(conn, load_id, log.problems)
        loads.add_problems(conn, load_id, [])
        other = _start(conn, details={"other": 1})
        loads.add_problems(conn, other, [Problem("whole file problem", code="note", severity="warn")])
    found = queries.problems(engine, load_id=load_id)
    assert found["message"].tolist() == [p.message for p in log.problems]
    assert found[["sheet", "row", "column", "code"]].iloc[0].tolist() == [
        "Data",
        14,
        "Postcode Sector",
        "unknown_sector",
    ]
    assert len(found["column"].iloc[2]) == schema.problems.c.column.type.length
    assert (found["file_name"] == "home_office-2024-06.csv").all()
    assert len(queries.problems(engine)) == 4
    with engine.begin() as conn:
        loads.undo_load(conn, other)
    assert len(queries.problems(engine)) == 3
    assert len(queries.problems(engine, active_only=False)) == 4


def test_insert_frame_round_trips_every_awkward_value(engine):
    frame = pd.DataFrame(
        {
            "month": ["2024-06"] * 6,
            "lad_code": pd.array(["E06000001", None, "E06000003", pd.NA, "E06000005", "E06000006"], dtype="string"),
            "local_authority": ["Hartlepool", None, "tab\there", "back\\slash", 'quote "q" \'s', "new\nline Côte"],
            "postcode_sector": ["TS1 3", "TS24 7", "NE1 1", "DH1 1", "SR1 1", "DL1 1"],
            "people": [0.1, 1e-12, 123456.75, 2.5, 3.0, 1 / 3],
            "suppressed": np.array([False, True, False, True, False, False]),
            "people_as_written": pd.array([None, "<5", None, "*", None, "\\N"], dtype="string"),
            "support_type": ["Section 95", "Section 4", None, np.nan, "Section 98", ""],
            "uasc": pd.array([True, False, pd.NA, True, None, False], dtype="boolean"),
            "source_row": np.array([2, 3, 4, 5, 6, 2_000_000_000], dtype="int64"),
            "sheet": "ignored: not a column of the table",
        }
    )
    with engine.begin() as conn:
        load_id = _covered(conn, scope=set(frame["lad_code"].dropna()))
        assert loads.insert_frame(conn, schema.ho_records, frame, load_id=load_id) == 6
    back = queries.ho_records(engine)
    columns = [c for c in frame.columns if c != "sheet"]
    dtypes = {c: HOME_OFFICE_COLUMNS.get(c, "string") for c in columns} | {"source_row": "Int64"}  # nullable column
    expected = frame[columns].astype(dtypes)
    pd.testing.assert_frame_equal(back[columns], expected, check_exact=True)
    assert back["load_id"].tolist() == [load_id] * 6
    assert back["nationality"].isna().all()
    assert str(back["suppressed"].dtype) == "bool" and str(back["uasc"].dtype) == "boolean"


def test_insert_frame_nullable_integers_and_whole_floats(engine):
    with engine.begin() as conn:
        load_id = _covered(conn, kind="properties", period="2024Q2", provider="Mears")
        props = pd.DataFrame(
            {
                "provider": "Mears",
                "quarter": "2024Q2",
                "property_key": ["a", "b", "c"],
                "bedspaces": [4.0, np.nan, 6.0],
                "occupied": pd.array([1.5, None, 0.0], dtype="Float64"),
                "source_row": pd.array([2, None, 4], dtype="Int64"),
            }
        )
        loads.insert_frame(conn, schema.properties, props, load_id=load_id)
    back = queries.properties(engine)
    assert back["bedspaces"].tolist()[0::2] == [4, 6] and pd.isna(back["bedspaces"][1])
    assert str(back["bedspaces"].dtype) == "Int64"
    assert back["occupied"].iloc[[0, 2]].tolist() == [1.5, 0.0] and np.isnan(back["occupied"][1])


def test_insert_frame_refuses_fractions_in_integer_columns(engine):
    with pytest.raises(ValueError, match="'bedspaces' must hold whole numbers"), engine.begin() as conn:
        load_id = _start(conn, kind="properties", period="2024Q2", provider="Mears")
        loads.insert_frame(
            conn,
            schema.properties,
            pd.DataFrame({"provider": ["Mears"], "quarter": ["2024Q2"], "property_key": ["a"], "bedspaces": [2.5]}),
            load_id,
        )
    assert queries.load_history(engine).empty


def test_insert_frame_refuses_text_too_long_for_its_column_on_both_backends(engine, ho_frame):
    frame = ho_frame(5)
    frame.loc[3, "nationality"] = "N" * 101
    with pytest.raises(ValueError, match=r"'nationality' of table 'ho_records': 1 value\(s\) longer than 100 .*row 4"):
        with engine.begin() as conn:
            loads.insert_frame(conn, schema.ho_records, frame, load_id=_start(conn))
    assert queries.load_history(engine).empty


def test_insert_frame_of_nothing(engine, ho_frame):
    with engine.begin() as conn:
        assert loads.insert_frame(conn, schema.ho_records, ho_frame(0), load_id=_start(conn)) == 0
    assert queries.ho_records(engine).empty


def test_a_load_that_fails_midway_leaves_the_store_exactly_as_it_was(engine, ho_frame):
    with engine.begin() as conn:
        kept = _start(conn, scope={"E06000001"})
        loads.insert_frame(conn, schema.ho_records, ho_frame(50, seed=3), load_id=kept)
        loads.add_problems(conn, kept, [Problem("kept warning", severity="warn")])
    before = queries.snapshot(engine)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        new = _start(conn, scope={"E06000001"}, details={"v": 2})
        loads.supersede(
            conn, kind="home_office", period="2024-06", scope_codes={"E06000001"}, provider=None, new_load_id=new
        )
        loads.insert_frame(conn, schema.ho_records, ho_frame(40, seed=4), load_id=new)
        loads.add_problems(conn, new, [Problem("new warning", severity="warn")])
        broken = ho_frame(5, seed=5)
        broken["postcode_sector"] = pd.array([None] * 5, dtype="string")  # NOT NULL column
        loads.insert_frame(conn, schema.ho_records, broken, load_id=new)
    assert queries.snapshot(engine) == before


@pytest.fixture(scope="module")
def north_east():
    """The North East's real boundaries, population, postcodes and sector weights, read from the reference files."""
    import pyogrio

    region = "E12000001"
    lads = pyogrio.read_dataframe(REFERENCE / "lad.geojson")
    lads = lads[lads["region_code"] == region]
    wards = pyogrio.read_dataframe(REFERENCE / "wards.geojson")
    wards = wards[wards["lad_code"].isin(lads["lad_code"])]
    areas = pd.concat(
        [
            pd.DataFrame(
                {
                    "area_code": wards["ward_code"],
                    "level": "ward",
                    "area_name": wards["ward_name"],
                    "lad_code": wards["lad_code"],
                    "region_code": region,
                    "region_name": "North East",
                    "vintage": "WD24",
                    "geometry": wards.geometry.values,
                }
            ),
            pd.DataFrame(
                {
                    "area_code": lads["lad_code"],
                    "level": "lad",
                    "area_name": lads["lad_name"],
                    "lad_code": lads["lad_code"],
                    "region_code": region,
                    "region_name": "North East",
                    "vintage": "LAD24",
                    "geometry": lads.geometry.values,
                }
            ),
        ],
        ignore_index=True,
    )
    areas["area_km2"] = np.nan
    display = pd.DataFrame(
        {
            "area_code": areas["area_code"],
            "detail": "coarse",
            "geojson": shapely.to_geojson(shapely.set_precision(areas["geometry"].values, 1e-4)),
        }
    )
    population = pd.read_csv(REFERENCE / "population.csv")
    population = population[population["area_code"].isin(areas["area_code"])]
    population = population.assign(source="Census 2021")
    postcodes = pd.read_csv(
        REFERENCE / "postcodes_north_east.csv",
        usecols=["postcode", "postcode_sector", "lat", "lon", "ward24_code", "lad24_code", "ward24_method"],
    )
    postcodes = postcodes.rename(
        columns={"ward24_code": "ward_code", "lad24_code": "lad_code", "ward24_method": "placed_by"}
    )
    weights = pd.read_csv(REFERENCE / "postcode_sector_ward24_lookup.csv")
    weights = weights[weights["lad24_code"].isin(lads["lad_code"])].rename(
        columns={"ward24_code": "ward_code", "lad24_code": "lad_code", "share_of_sector": "weight_postcodes"}
    )
    return {
        "areas": areas,
        "display": display,
        "population": population,
        "postcodes": postcodes,
        "sector_weights": weights,
    }


def _load_geography(engine, frames, **changes):
    frames = frames | changes
    with engine.begin() as conn:
        load_id = _start(conn, kind="geography", period=None, details={"n": len(frames["areas"])})
        loads.supersede(conn, kind="geography", period=None, scope_codes=None, provider=None, new_load_id=load_id)
        loads.replace_geography(conn, **frames, load_id=load_id)
    return load_id


def test_replace_geography_round_trips_real_boundaries(engine, north_east):
    load_id = _load_geography(engine, north_east)
    areas = queries.areas(engine, with_geometry=True).set_index("area_code")
    source = north_east["areas"].set_index("area_code")
    assert sorted(areas.index) == sorted(source.index)
    assert (areas["load_id"] == load_id).all()
    sample = source.index[::97]
    assert [shapely.from_wkb(areas.loc[c, "geometry"]).equals_exact(source.loc[c, "geometry"], 0) for c in sample] == [
        True
    ] * len(sample)
    population = queries.population(engine).set_index("area_code")
    expected = north_east["population"].set_index("area_code")
    np.testing.assert_array_equal(
        population.loc[expected.index, "population"].to_numpy(), expected["population"].to_numpy(dtype=float)
    )
    postcodes = queries.postcodes(engine)
    assert len(postcodes) == len(north_east["postcodes"])
    assert postcodes["ward_code"].isna().sum() == north_east["postcodes"]["ward_code"].isna().sum()
    assert len(queries.sector_weights(engine)) == len(north_east["sector_weights"])
    assert len(queries.display_geometry(engine, "coarse")) == len(north_east["areas"])


def test_replace_geography_replaces_everything_and_is_atomic(engine, north_east):
    _load_geography(engine, north_east)
    one_lad = "E06000001"
    smaller = {
        "areas": north_east["areas"][north_east["areas"]["lad_code"] == one_lad],
        "population": north_east["population"][north_east["population"]["lad_code"] == one_lad],
        "postcodes": north_east["postcodes"][north_east["postcodes"]["lad_code"] == one_lad],
        "sector_weights": north_east["sector_weights"][north_east["sector_weights"]["lad_code"] == one_lad],
    }
    smaller["display"] = north_east["display"][north_east["display"]["area_code"].isin(smaller["areas"]["area_code"])]
    broken = smaller["sector_weights"].assign(
        n_postcodes=pd.array([None] * len(smaller["sector_weights"]), dtype="Int64")
    )
    before = queries.snapshot(engine)
    with pytest.raises(sa.exc.IntegrityError):
        _load_geography(engine, north_east, **(smaller | {"sector_weights": broken}))
    assert queries.snapshot(engine) == before

    second = _load_geography(engine, north_east, **smaller)
    assert set(queries.areas(engine)["lad_code"]) == {one_lad}
    assert set(queries.postcodes(engine)["lad_code"].dropna()) == {one_lad}
    assert len(queries.display_geometry(engine, "coarse")) == len(smaller["areas"])
    history = queries.load_history(engine).set_index("id")
    assert history.loc[second, "status"] == "active"
    assert (history.drop(second)["status"] == "superseded").all()
