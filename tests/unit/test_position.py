"""The monitoring table and the metrics around it, on a small hand-checked geography.

Two LAs in one region: L1 (wards W1, W2) and L2 (ward W3). Sector S1 lies
in W1 and W2 half and half; S2 wholly in W3.
"""

from __future__ import annotations

import pandas as pd
import pytest

from app.cluster import apportion as ap
from app.cluster import position as pos
from app.cluster.fair_share import fair_share
from app.cluster.property_changes import diff_quarters
from app.cluster.reconcile import published_comparison, sector_reconciliation
from app.cluster.trend import month_on_month, months_until_limit, projections
from app.cluster.uasc import uasc_position
from app.cluster.whatif import check_property
from app.config import Settings

AREAS = pd.DataFrame(
    {
        "area_code": ["W1", "W2", "W3", "L1", "L2"],
        "level": ["ward", "ward", "ward", "lad", "lad"],
        "area_name": ["Ward One", "Ward Two", "Ward Three", "Lone", "Ltwo"],
        "lad_code": ["L1", "L1", "L2", "L1", "L2"],
        "region_code": ["R1"] * 5,
        "region_name": ["Region"] * 5,
    }
)
POPULATION = pd.DataFrame(
    {
        "area_code": ["W1", "W2", "W3", "L1", "L2"],
        "population": [4000.0, 6000.0, 10000.0, 10000.0, 10000.0],
        "population_0_17": [800.0, 1200.0, 2000.0, 2000.0, 2000.0],
        "source_year": [2021] * 5,
    }
)
WEIGHTS = pd.DataFrame(
    {
        "postcode_sector": ["S1", "S1", "S2"],
        "ward_code": ["W1", "W2", "W3"],
        "lad_code": ["L1", "L1", "L2"],
        "n_postcodes": [10, 10, 30],
        "weight_postcodes": [0.5, 0.5, 1.0],
        "weight_population": [0.4, 0.6, 1.0],
    }
)
RECORDS = pd.DataFrame(
    {
        "month": ["2025-01", "2025-01", "2025-01", "2025-02", "2025-02", "2025-02"],
        "postcode_sector": ["S1", "S2", "S9", "S1", "S2", "S1"],
        "lad_code": [pd.NA, pd.NA, "L1", pd.NA, pd.NA, pd.NA],
        "people": [40.0, 30.0, 5.0, 60.0, 45.0, 7.0],
        "accommodation_type": ["dispersal", "dispersal", "dispersal", "dispersal", "dispersal", "contingency"],
        "support_type": ["Section 95"] * 6,
        "uasc": [pd.NA] * 6,
    }
)


def _table(settings=Settings(), overrides=None):
    split = ap.apportion(RECORDS, WEIGHTS)
    people = pos.people_by_area(RECORDS, split, AREAS, pos.counted(RECORDS, settings))
    population = pos.population_by_area(AREAS, POPULATION)
    return pos.monitoring_table(people, AREAS, population, settings, overrides)


def _row(table, level, code, month):
    return table[(table["level"] == level) & (table["area_code"] == code) & (table["month"] == month)].iloc[0]


def test_people_limits_and_status_per_level():
    table = _table()
    w1 = _row(table, "ward", "W1", "2025-01")
    assert w1["people"] == 20 and w1["limit"] == 20 and w1["share_of_limit"] == 1.0
    assert w1["status"] == "approaching"  # at the limit is not over it
    assert w1["method"] == "postcodes"
    w3 = _row(table, "ward", "W3", "2025-02")
    assert w3["people"] == 45 and w3["limit"] == 50 and w3["status"] == "approaching"
    assert w3["method"] == "direct"
    # L1 in January: 40 in its wards + 5 whose sector is unknown but whose LA the file named.
    l1 = _row(table, "la", "L1", "2025-01")
    assert l1["people"] == 45 and l1["unallocated"] == 5 and l1["status"] == "approaching"
    assert _row(table, "la", "L1", "2025-02")["status"] == "breach"
    region = _row(table, "region", "R1", "2025-01")
    assert region["people"] == 75 and region["population"] == 20000 and region["limit"] == 100
    assert region["area_name"] == "Region" and region["lad_code"] == ""
    assert _row(table, "la", "L2", "2025-01")["status"] == "ok"  # 30 of 50 is 60 %


def test_wards_add_up_to_their_la_plus_its_unallocated_people():
    table = _table()
    wards = table[table["level"] == "ward"].groupby(["month", "lad_code"])["people"].sum()
    las = table[table["level"] == "la"].set_index(["month", "area_code"])
    assert wards[("2025-01", "L1")] + las.loc[("2025-01", "L1"), "unallocated"] == las.loc[("2025-01", "L1"), "people"]
    assert wards[("2025-02", "L2")] == las.loc[("2025-02", "L2"), "people"]


def test_counted_types_are_configurable():
    default = _row(_table(), "ward", "W1", "2025-02")["people"]
    everyone = _row(_table(Settings(counted_types=("dispersal", "contingency"))), "ward", "W1", "2025-02")["people"]
    assert default == 30 and everyone == pytest.approx(33.5)


def test_agreed_limit_variation_applies_to_the_la_and_its_wards():
    table = _table(overrides=pd.Series({"L2": 400.0}))
    assert _row(table, "la", "L2", "2025-01")["limit"] == 25
    assert _row(table, "ward", "W3", "2025-01")["limit"] == 25
    assert _row(table, "la", "L2", "2025-01")["status"] == "breach"
    assert _row(table, "la", "L1", "2025-01")["limit"] == 50


def test_missing_population_gives_unknown_not_ok():
    population = POPULATION.assign(population=POPULATION["population"].where(POPULATION["area_code"] != "W2"))
    split = ap.apportion(RECORDS, WEIGHTS)
    people = pos.people_by_area(RECORDS, split, AREAS, pos.counted(RECORDS, Settings()))
    table = pos.monitoring_table(people, AREAS, pos.population_by_area(AREAS, population), Settings())
    assert _row(table, "ward", "W2", "2025-01")["status"] == "unknown"


def test_format_summary_columns_rounding_and_order():
    out = pos.format_summary(_table()[lambda t: (t["month"] == "2025-02") & (t["level"] == "ward")])
    assert list(out.columns) == pos.SUMMARY_COLUMNS
    assert list(out["area_code"]) == ["W1", "W2", "W3"]
    assert str(out["population"].dtype) == "Int64"


def test_month_on_month_change_and_projection():
    changes = month_on_month(_table())
    w3 = changes[(changes["area_code"] == "W3") & (changes["level"] == "ward")].set_index("month")
    assert pd.isna(w3.loc["2025-01", "change"]) and w3.loc["2025-02", "change"] == 15
    series = pd.Series([10.0, 12.0, 14.0, 16.0], index=["a", "b", "c", "d"])
    assert months_until_limit(series, 24.0) == 4
    assert months_until_limit(series, 15.0) == 0
    assert months_until_limit(series[::-1].reset_index(drop=True), 24.0) is None
    assert months_until_limit(series.iloc[:2], 24.0) is None
    projected = projections(_table(), "la").set_index("area_code")
    assert projected.loc["L2", "people"] == 45


def test_fair_share():
    shares = fair_share(_table(), AREAS, "2025-02").set_index("area_code")
    # L1 holds 60 + 5? no: February has no unallocated, so 60 of 105 people with half the residents.
    assert shares.loc["L1", "share_of_people"] == pytest.approx(60 / 105)
    assert shares.loc["L1", "share_of_residents"] == pytest.approx(0.5)
    assert shares.loc["L1", "excess"] == pytest.approx(60 - 52.5)
    assert shares.loc["L1", "ratio"] > 1 > shares.loc["L2", "ratio"]


def test_uasc_threshold_changes_in_august_2022():
    records = pd.DataFrame(
        {
            "month": ["2022-07", "2022-07", "2022-09"],
            "lad_code": ["L1"] * 3,
            "people": [2.0, 5.0, 2.0],
            "uasc": [True, False, True],
        }
    )
    result = uasc_position(records, pd.Series({"L1": 2000.0}), Settings()).set_index("month")
    assert result.loc["2022-07", "uasc"] == 2 and result.loc["2022-07", "threshold"] == pytest.approx(1.4)
    assert result.loc["2022-07", "over"]
    assert result.loc["2022-09", "threshold"] == pytest.approx(2.0) and not result.loc["2022-09", "over"]


def test_what_if_a_property_is_added():
    check = check_property(_table(), "2025-01", "W3", 25, 0.8)
    assert check.ward_before.people == 30 and check.ward_after.people == 55
    assert check.ward_before.status == "ok" and check.ward_after.status == "breach"
    assert check.la_after.area_code == "L2" and check.la_after.status == "breach"
    assert check.verdict.startswith("Ltwo would be over the cluster limit")


def test_sector_reconciliation_flags_disagreement():
    properties = pd.DataFrame(
        {
            "quarter": ["2025Q1", "2025Q1"],
            "postcode_sector": ["S1", "S2"],
            "ward_code": ["W1", "W3"],
            "lad_code": ["L1", "L2"],
            "bedspaces": [40, 50],
            "occupied": [39.0, 20.0],
            "status": ["in use", "in use"],
            "accommodation_type": ["dispersal", "dispersal"],
        }
    )
    records = RECORDS.assign(lad_code=RECORDS["postcode_sector"].map({"S1": "L1", "S2": "L2", "S9": "L1"}))
    result = sector_reconciliation(records, properties, "2025-01").set_index("postcode_sector")
    assert result.loc["S1", "difference"] == 1 and not result.loc["S1", "mismatch"]
    assert result.loc["S2", "difference"] == 10 and result.loc["S2", "mismatch"]
    assert result.loc["S9", "provider"] == 0 and result.loc["S9", "mismatch"]


def test_published_comparison_only_quarter_end_months():
    supported = pd.DataFrame({"month": ["2025-02", "2025-03"], "lad_code": ["L1", "L1"], "people": [80.0, 100.0]})
    published = pd.DataFrame({"date": ["2025-03-31", "2025-03-31"], "lad_code": ["L1", "L1"], "people": [60, 42]})
    result = published_comparison(supported, published)
    assert list(result["month"]) == ["2025-03"]
    assert result["published"].iloc[0] == 102 and not result["mismatch"].iloc[0]


def test_property_changes_between_quarters():
    before = pd.DataFrame(
        {
            "provider": ["Mears"] * 3,
            "property_key": ["A", "B", "C"],
            "bedspaces": [4, 2, 3],
            "status": ["in use", "in use", "in use"],
            "address": ["1 A St", "2 B St", "3 C St"],
        }
    )
    after = pd.DataFrame(
        {
            "provider": ["Mears"] * 3,
            "property_key": ["A", "B", "D"],
            "bedspaces": [5, 2, 6],
            "status": ["in use", "void", "proposed"],
            "address": ["1 A St", "2 B St", "4 D St"],
        }
    )
    changes = diff_quarters(before, after)
    found = set(zip(changes["change"], changes["property_key"]))
    assert found == {("new", "D"), ("left", "C"), ("capacity changed", "A"), ("status changed", "B")}
    left = changes[changes["change"] == "left"].iloc[0]
    assert left["address"] == "3 C St" and left["bedspaces_before"] == 3
