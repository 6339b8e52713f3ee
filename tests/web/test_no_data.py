"""A month some LAs sent no file for: the overview and the ward map say "no data", never 0 and "ok"."""

from __future__ import annotations

import pandas as pd
import pytest

from app import ingest, monitoring
from app.config import load_settings
from app.figures import maps
from app.store import db


@pytest.fixture(scope="module")
def partial_store(tmp_path_factory) -> tuple[str, list[str], list[str]]:
    """The synthetic region with a complete March and an April for two of its six LAs."""
    from app.synthetic.region import generate_region

    work = tmp_path_factory.mktemp("partial")
    region = generate_region(work / "region", seed=3)
    url = f"sqlite:///{work / 'partial.sqlite'}"
    engine = db.connect(url)
    db.upgrade(engine)
    ingest.load_geography(
        engine, wards=region.wards, lads=region.lads, population=region.population, postcodes=[region.postcodes]
    )
    wards = pd.read_csv(region.truth_dir / "wards.csv", dtype=str)
    pairs = pd.read_csv(region.truth_dir / "sector_wards.csv", dtype=str).merge(wards, on="ward_code")
    pairs = pairs[["postcode_sector", "lad_code"]].drop_duplicates().sort_values(["lad_code", "postcode_sector"])
    lads = sorted(pairs["lad_code"].unique())
    for month, chosen in (("2025-03", lads), ("2025-04", lads[:2])):
        rows = pairs[pairs["lad_code"].isin(chosen)]
        path = work / f"HO_{month}.csv"
        pd.DataFrame(
            {
                "month": month,
                "local_authority": rows["lad_code"],
                "postcode_sector": rows["postcode_sector"],
                "accommodation_type": "Dispersal",
                "people": 4,
            }
        ).to_csv(path, index=False)
        ingest.ingest_home_office(engine, path)
    names = pd.read_csv(region.truth_dir / "lads.csv", dtype=str).set_index("lad_code")["lad_name"]
    return url, lads, [names[c] for c in lads[2:]]


def test_overview_opens_on_the_complete_month_and_marks_the_partial_one(dash_call, use_store, partial_store):
    url, lads, missing_names = partial_store
    with use_store(url):
        page = dash_call.render("/")
        assert dash_call.find(page, "overview-month")["props"]["value"] == "2025-03"
        later = dash_call.text(dash_call.find(page, "overview-later"))
        assert "2 of 6 LAs reported for April 2025; missing: " in later and all(n in later for n in missing_names)

        april = dash_call.render("/", search="?month=2025-04")
        cards = dash_call.text(dash_call.find(april, "overview-headlines"))
        assert "2 of 6 LAs reported for April 2025" in cards
        assert "4 with no data" in cards
        snap = monitoring.snapshot(db.connect(url), load_settings(url))
        table = snap.table
        las = table[(table["level"] == "la") & (table["month"] == "2025-04")].set_index("area_code")
        assert f"{las.loc[lads[:2], 'people'].sum():,.0f} (2 of 6 LAs reported)" in cards
        # like for like: the change compares the two LAs that reported in both months, not 6 against 2
        march = table[(table["level"] == "la") & (table["month"] == "2025-03")].set_index("area_code")
        delta = las.loc[lads[:2], "people"].sum() - march.loc[lads[:2], "people"].sum()
        assert ("no change" if delta == 0 else f"{abs(delta):,.0f} since March 2025") in cards

        figure = dash_call.find(april, "overview-map")["props"]["figure"]
        shown = dict(zip(figure["data"][maps.AREAS]["locations"], figure["data"][maps.AREAS]["z"]))
        hover = dict(zip(figure["data"][maps.AREAS]["locations"], figure["data"][maps.AREAS]["customdata"]))
        for code in lads[2:]:
            assert shown[code] == maps.NO_DATA_Z
            assert hover[code][0] == "no data" and hover[code][2] == maps.STATUS_WORDS["no_data"]
        for code in lads[:2]:
            assert shown[code] >= 0 and hover[code][0] != "no data"
        assert len(figure["data"][maps.NO_DATA_MARKS]["lon"]) == 4


def test_ward_map_of_an_la_without_a_file_says_no_data(dash_call, use_store, partial_store):
    url, lads, _ = partial_store
    with use_store(url):
        page = dash_call.render("/wards", search=f"?la={lads[4]}&month=2025-04")
        summary = dash_call.text(dash_call.find(page, "wards-summary"))
        assert "No data: no Home Office file is loaded for this month." in summary
        assert "0 people" not in summary
        areas = dash_call.find(page, "wards-map")["props"]["figure"]["data"][maps.AREAS]
        assert areas["z"] and set(areas["z"]) == {maps.NO_DATA_Z}
