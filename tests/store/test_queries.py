"""Reading the store: filters, active loads only, and frames typed the same on both backends."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from app.store import loads, queries, schema


def _load(conn, kind, period, frame, table, scope=None, provider=None):
    load_id = loads.start_load(
        conn,
        kind=kind,
        file_name=f"{kind}.csv",
        checksum=hashlib.sha256(repr((kind, period, scope, provider, len(frame))).encode()).hexdigest(),
        period=period,
        scope=scope,
        provider=provider,
        loaded_by="test",
        rows=len(frame),
        details={},
    )
    if kind in ("home_office", "properties"):
        codes = scope or set(frame["lad_code"].dropna()) if "lad_code" in frame else scope or {"E06000001"}
        loads.cover(conn, load_id=load_id, kind=kind, period=period, lad_codes=codes, provider=provider)
    else:
        loads.supersede(conn, kind=kind, period=period, scope_codes=scope, provider=provider, new_load_id=load_id)
    loads.insert_frame(conn, table, frame, load_id=load_id)
    return load_id


BOTH = {"E06000001", "E06000002"}


@pytest.fixture
def geography(engine):
    areas = pd.DataFrame(
        {
            "area_code": ["E05000001", "E05000002", "E05000003", "E06000001", "E06000002", "E12000001"],
            "level": ["ward", "ward", "ward", "lad", "lad", "region"],
            "area_name": ["Ward A", "Ward B", "Ward C", "Hartlepool", "Middlesbrough", "North East"],
            "lad_code": ["E06000001", "E06000001", "E06000002", "E06000001", "E06000002", None],
            "region_code": "E12000001",
            "geometry": [bytes([i]) * 5 for i in range(6)],
        }
    )
    display = pd.concat(
        [
            pd.DataFrame({"area_code": areas["area_code"], "detail": "fine", "geojson": '{"type": "Point"}'}),
            pd.DataFrame({"area_code": areas["area_code"], "detail": "coarse", "geojson": "{}"}),
        ]
    )
    population = pd.DataFrame(
        {
            "area_code": ["E05000001", "E05000001", "E05000002", "E05000003"],
            "source_year": [2021, 2023, 2021, 2022],
            "level": "ward",
            "population": [1000.0, 1100.0, None, 3000.0],
        }
    )
    postcodes = pd.DataFrame(
        {"postcode": [f"TS1 {n}AA" for n in range(9)], "postcode_sector": "TS1 1", "ward_code": "E05000001"}
    )
    weights = pd.DataFrame(
        {
            "postcode_sector": ["TS1 1", "TS1 1"],
            "ward_code": ["E05000002", "E05000001"],
            "lad_code": "E06000001",
            "n_postcodes": [1, 8],
            "weight_postcodes": [1 / 9, 8 / 9],
        }
    )
    with engine.begin() as conn:
        load_id = loads.start_load(
            conn,
            kind="geography",
            file_name="wards.geojson",
            checksum="g" * 64,
            period=None,
            scope=None,
            provider=None,
            loaded_by="test",
            rows=6,
            details={},
        )
        loads.replace_geography(
            conn,
            areas=areas,
            display=display,
            population=population,
            postcodes=postcodes,
            sector_weights=weights,
            load_id=load_id,
        )
    return areas


def test_areas_by_level_and_la(engine, geography):
    assert queries.areas(engine)["area_code"].tolist() == sorted(geography["area_code"])
    assert "geometry" not in queries.areas(engine)
    wards = queries.areas(engine, level="ward", lad_codes=["E06000001"])
    assert wards["area_code"].tolist() == ["E05000001", "E05000002"]
    with_geometry = queries.areas(engine, level="region", with_geometry=True)
    assert with_geometry["geometry"].tolist() == [bytes([5]) * 5]
    assert queries.areas(engine, lad_codes=[]).empty


def test_display_geometry(engine, geography):
    fine_wards = queries.display_geometry(engine, "fine", level="ward")
    assert fine_wards.columns.tolist() == ["area_code", "geojson"]
    assert fine_wards["area_code"].tolist() == ["E05000001", "E05000002", "E05000003"]
    assert set(queries.display_geometry(engine, "coarse")["geojson"]) == {"{}"}


def test_population_latest_year_per_area_unless_a_year_is_asked(engine, geography):
    latest = queries.population(engine)
    assert list(zip(latest["area_code"], latest["source_year"])) == [
        ("E05000001", 2023),
        ("E05000002", 2021),
        ("E05000003", 2022),
    ]
    assert latest["population"].isna().tolist() == [False, True, False]
    assert queries.population(engine, 2021)["population"].iloc[0] == 1000.0
    assert queries.population_years(engine) == [2021, 2022, 2023]


def test_postcodes_by_list_in_chunks(engine, geography, monkeypatch):
    monkeypatch.setattr(queries, "IN_CHUNK", 2)
    wanted = ["TS1 8AA", "TS1 0AA", "TS1 3AA", "TS1 5AA", "ZZ9 9ZZ", None]
    assert sorted(queries.postcodes(engine, wanted)["postcode"]) == ["TS1 0AA", "TS1 3AA", "TS1 5AA", "TS1 8AA"]
    assert queries.postcodes(engine, []).empty and "postcode" in queries.postcodes(engine, []).columns
    assert len(queries.postcodes(engine)) == 9


def test_sector_weights(engine, geography):
    weights = queries.sector_weights(engine)
    assert weights["ward_code"].tolist() == ["E05000001", "E05000002"]
    assert weights["weight_postcodes"].sum() == pytest.approx(1.0)


def test_home_office_records_of_active_loads_only(engine, ho_frame):
    with engine.begin() as conn:
        may = _load(conn, "home_office", "2024-05", ho_frame(10, "2024-05", seed=1), schema.ho_records, BOTH)
        june = _load(conn, "home_office", "2024-06", ho_frame(10, "2024-06", seed=2), schema.ho_records, BOTH)
        june_fixed = _load(conn, "home_office", "2024-06", ho_frame(7, "2024-06", seed=3), schema.ho_records, BOTH)
        july = _load(conn, "home_office", "2024-07", ho_frame(4, "2024-07", seed=4), schema.ho_records, BOTH)
        loads.undo_load(conn, july)
    records = queries.ho_records(engine)
    assert set(records["load_id"]) == {may, june_fixed}
    assert records["month"].tolist() == ["2024-05"] * 10 + ["2024-06"] * 7
    assert queries.months(engine) == ["2024-05", "2024-06"]
    assert june not in set(queries.ho_records(engine, months=["2024-06"])["load_id"])
    one_la = queries.ho_records(engine, months=["2024-06"], lad_codes=["E06000002"])
    assert (one_la["lad_code"] == "E06000002").all() and (one_la["month"] == "2024-06").all()
    expected = ho_frame(7, "2024-06", seed=3)
    assert len(one_la) == (expected["lad_code"] == "E06000002").sum()


def test_people_summed_for_figuring_equal_the_records_in_force_added_up(engine, ho_frame):
    with engine.begin() as conn:
        _load(conn, "home_office", "2024-06", ho_frame(40, "2024-06", seed=2), schema.ho_records, BOTH)
        twice = pd.concat([ho_frame(30, "2024-06", seed=3)] * 2, ignore_index=True)  # each group of types twice
        fixed = _load(conn, "home_office", "2024-06", twice, schema.ho_records, {"E06000002"})
        _load(conn, "home_office", "2024-07", ho_frame(20, "2024-07", seed=4), schema.ho_records, BOTH)
    keys = ["load_id", "month", "lad_code", "postcode_sector", "accommodation_type", "support_type"]
    records = queries.ho_records(engine, months=["2024-06"])
    expected = records.groupby(keys, dropna=False, as_index=False)["people"].sum()
    summed = queries.ho_people(engine, months=["2024-06"])
    assert len(summed) < len(records) and fixed in set(summed["load_id"])
    assert summed["people"].sum() == pytest.approx(records["people"].sum())

    def ordered(frame):
        return frame[keys + ["people"]].astype(dict.fromkeys(keys, str)).sort_values(keys).reset_index(drop=True)

    pd.testing.assert_frame_equal(ordered(summed), ordered(expected), check_dtype=False)
    only = queries.ho_people(engine, months=["2024-06"], load_ids=[fixed])
    assert set(only["load_id"]) == {fixed} and set(only["lad_code"]) == {"E06000002"}


def test_properties_and_quarters_of_active_loads_only(engine):
    def props(provider, quarter, n):
        return pd.DataFrame(
            {
                "provider": provider,
                "quarter": quarter,
                "property_key": [f"k{i}" for i in range(n)],
                "bedspaces": list(range(1, n + 1)),
            }
        )

    with engine.begin() as conn:
        _load(conn, "properties", "2024Q1", props("Mears", "2024Q1", 3), schema.properties, provider="Mears")
        _load(conn, "properties", "2024Q2", props("Mears", "2024Q2", 2), schema.properties, provider="Mears")
        _load(conn, "properties", "2024Q2", props("Serco", "2024Q2", 4), schema.properties, provider="Serco")
        _load(conn, "properties", "2024Q2", props("Mears", "2024Q2", 5), schema.properties, provider="Mears")
    assert queries.quarters(engine) == ["2024Q1", "2024Q2"]
    q2 = queries.properties(engine, quarter="2024Q2")
    assert q2.groupby("provider").size().to_dict() == {"Mears": 5, "Serco": 4}
    assert len(queries.properties(engine, provider="Mears")) == 8
    assert str(q2["bedspaces"].dtype) == "Int64" and str(q2["provider"].dtype) == "string"


def test_public_stats_of_active_loads_only(engine):
    stats = pd.DataFrame(
        {
            "date": ["2024-06-30", "2024-06-30", "2024-09-30"],
            "year": 2024,
            "quarter": [2, 2, 3],
            "lad_code": ["E06000001", "E06000002", "E06000001"],
            "accommodation_type": "dispersal",
            "people": [10, 20, 12],
        }
    )
    with engine.begin() as conn:
        _load(conn, "public_stats", None, stats, schema.public_stats)
        _load(conn, "public_stats", None, stats.assign(people=stats["people"] + 1), schema.public_stats)
    published = queries.public_stats(engine)
    assert published["people"].tolist() == [11, 21, 13]
    assert str(published["people"].dtype) == "int64"
    assert queries.public_stats(engine, lad_codes=["E06000002"])["people"].tolist() == [21]


def test_load_history_is_newest_first_with_problem_counts(engine, ho_frame):
    from app.problems import Problem

    with engine.begin() as conn:
        first = _load(conn, "home_office", "2024-05", ho_frame(3), schema.ho_records)
        second = _load(conn, "home_office", "2024-06", ho_frame(3), schema.ho_records)
        loads.add_problems(conn, second, [Problem("a", severity="warn"), Problem("b", severity="warn")])
    history = queries.load_history(engine)
    assert history["id"].tolist() == [second, first]
    assert history["n_problems"].tolist() == [2, 0]
    assert str(history["loaded_at"].dtype) == "datetime64[ns, UTC]"


def test_area_settings(engine):
    with engine.begin() as conn:
        loads.insert_frame(
            conn,
            schema.area_settings,
            pd.DataFrame(
                {"area_code": ["E06000002", "E06000001"], "limit_ratio": [250.0, None], "allocation": [None, 120]}
            ),
        )
    settings = queries.area_settings(engine)
    assert settings["area_code"].tolist() == ["E06000001", "E06000002"]
    assert settings["allocation"].tolist()[0] == 120 and pd.isna(settings["allocation"][1])


def test_queries_accept_a_connection_too(engine, geography):
    with engine.connect() as conn:
        assert queries.areas(conn).equals(queries.areas(engine))
        assert queries.snapshot(conn) == queries.snapshot(engine)
