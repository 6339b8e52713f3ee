"""What changed between two months of the monitoring table (app.cluster.changes)."""

from __future__ import annotations

import pandas as pd

from app.cluster import changes as ch
from app.cluster import position as pos
from app.config import Settings

# Two LAs (L1 with wards W1-W3, L2 with W4) and L3 with no file in March.
AREAS = pd.DataFrame(
    {
        "area_code": ["W1", "W2", "W3", "W4", "W5", "L1", "L2", "L3"],
        "level": ["ward"] * 5 + ["lad"] * 3,
        "area_name": ["Ward One", "Ward Two", "Ward Three", "Ward Four", "Ward Five", "Lone", "Ltwo", "Lthree"],
        "lad_code": ["L1", "L1", "L1", "L2", "L3", "L1", "L2", "L3"],
        "region_code": ["R1"] * 8,
        "region_name": ["Region"] * 8,
    }
)
POPULATION = pd.DataFrame(
    {"area_code": AREAS["area_code"], "population": [2000.0, 2000.0, 2000.0, 4000.0, 2000.0, 6000.0, 4000.0, 2000.0]}
)
# Limits (1 per 200): wards 10, W4 20, L1 30, L2 20, L3 10.
PEOPLE = {  # area: (February, March)
    "W1": (7.0, 11.0),  # ok -> breach: newly over the limit
    "W2": (11.0, 9.0),  # breach -> approaching: back under the limit
    "W3": (9.0, 5.0),  # approaching -> ok: back below the threshold
    "W4": (10.0, 17.0),  # ok -> approaching: newly approaching
    "W5": (3.0, 0.0),  # its LA has no file in March: not compared
}


def _table() -> pd.DataFrame:
    rows = []
    for month, i in (("2025-02", 0), ("2025-03", 1)):
        for ward, figures in PEOPLE.items():
            lad = AREAS.set_index("area_code").loc[ward, "lad_code"]
            rows.append(
                {
                    "level": "ward",
                    "month": month,
                    "area_code": ward,
                    "lad_code": lad,
                    "people": figures[i],
                    "unallocated": 0.0,
                    "method": "postcodes",
                }
            )
        for lad in ("L1", "L2", "L3"):
            wards = [w for w in PEOPLE if AREAS.set_index("area_code").loc[w, "lad_code"] == lad]
            rows.append(
                {
                    "level": "la",
                    "month": month,
                    "area_code": lad,
                    "lad_code": lad,
                    "people": sum(PEOPLE[w][i] for w in wards),
                    "unallocated": 0.0,
                    "method": "postcodes",
                }
            )
    people = pd.DataFrame(rows).astype({"lad_code": "string"})
    population = pos.population_by_area(AREAS, POPULATION.assign(population_0_17=0.0, source_year=2021))
    return pos.monitoring_table(people, AREAS, population, Settings())


def _codes(found: ch.Changes, kind: str) -> list[str]:
    return list(found.of(kind)["area_code"])


def test_crossings_either_way_rises_and_missing_files():
    table = _table()
    found = ch.what_changed(table, "2025-03", missing={"L3"})
    assert found.previous == "2025-02" and found.compared
    assert _codes(found, ch.OVER) == ["W1"]
    assert _codes(found, ch.NEAR) == ["L2", "W4"]  # L2: 10 then 17 of 20
    assert _codes(found, ch.BACK_UNDER) == ["W2"]
    assert _codes(found, ch.BACK_BELOW) == ["W3"]
    assert _codes(found, ch.MISSING) == ["L3"]
    # L3's ward is not compared: no file is not zero people.
    assert "W5" not in set(found.rows["area_code"])
    rises = found.of(ch.RISE)
    assert list(rises["area_code"]) == ["L2", "W4", "W1"]
    assert list(rises["rise"]) == [7.0, 7.0, 4.0]
    w1 = found.of(ch.OVER).iloc[0]
    assert (w1["people_before"], w1["people"], w1["status_before"], w1["status"]) == (7.0, 11.0, "ok", "breach")


def test_la_approaching_is_listed_with_its_ward():
    found = ch.what_changed(_table(), "2025-03", missing={"L3"})
    near = found.of(ch.NEAR)
    assert set(near["area_code"]) == {"W4", "L2"}
    assert list(near["level"]) == ["la", "ward"]  # LAs first


def test_one_la_and_no_data_status():
    table = _table()
    table.loc[(table["area_code"] == "L3") & (table["month"] == "2025-03"), "status"] = ch.NO_DATA
    found = ch.what_changed(table, "2025-03", lad="L1")
    assert set(found.rows["lad_code"]) == {"L1"}
    assert _codes(found, ch.OVER) == ["W1"]
    everywhere = ch.what_changed(table, "2025-03")
    assert _codes(everywhere, ch.MISSING) == ["L3"]  # from the table's no_data status alone


def test_no_previous_month_is_said_not_hidden():
    found = ch.what_changed(_table(), "2025-02")
    assert not found.compared and found.previous == "2025-01"
    assert found.of(ch.OVER).empty
    assert any("No figures for 2025-01" in line for line in ch.text_lines(found))
    assert ch.previous_month("2025-01") == "2024-12"


def test_text_and_member_view():
    found = ch.what_changed(_table(), "2025-03", missing={"L3"})
    text = "\n".join(ch.text_lines(found))
    assert "Ward One (W1, ward in L1): 7 -> 11 people (limit 10, 110.0% of it)" in text
    members = ch.for_members(found)
    assert set(members.rows["level"]) == {"la"}
    assert set(members.rows["people"].dropna()) <= {0.0, 5.0, 10.0, 15.0, 20.0}
