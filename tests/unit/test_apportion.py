"""Apportionment: weights from postcodes, methods, conservation — on the real North East postcodes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from app.cluster import apportion as ap

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"


@pytest.fixture(scope="module")
def ne_postcodes() -> pd.DataFrame:
    pc = pd.read_csv(
        REFERENCE / "postcodes_north_east.csv",
        usecols=["postcode", "postcode_sector", "lat", "ward24_code", "lad24_code", "region_code"],
    )
    pc = pc[pc["lat"].notna() & (pc["region_code"] == "E12000001")]
    return pc.rename(columns={"ward24_code": "ward_code", "lad24_code": "lad_code"})


@pytest.fixture(scope="module")
def ne_weights(ne_postcodes) -> pd.DataFrame:
    pop = pd.read_csv(REFERENCE / "population.csv")
    wards = pop[pop["level"] == "ward"].set_index("area_code")["population"]
    return ap.sector_weights(ne_postcodes, wards)


def test_postcode_weights_sum_to_one_and_match_the_published_lookup(ne_postcodes, ne_weights):
    sums = ne_weights.groupby("postcode_sector")["weight_postcodes"].sum()
    assert np.allclose(sums, 1.0)
    pop_sums = ne_weights.groupby("postcode_sector")["weight_population"].sum()
    assert np.allclose(pop_sums, 1.0)
    lookup = pd.read_csv(REFERENCE / "postcode_sector_ward24_lookup.csv")
    # The reference lookup was built from all live postcodes of the sector; ours only from North East LAs,
    # so compare the sectors lying wholly in the North East.
    whole = ne_postcodes.groupby("postcode_sector").size()
    ref_n = lookup.groupby("postcode_sector")["n_postcodes"].sum()
    complete = whole.index[whole.reindex(ref_n.index).eq(ref_n).reindex(whole.index, fill_value=False)]
    assert len(complete) > 400
    ours = ne_weights[ne_weights["postcode_sector"].isin(complete)].set_index(["postcode_sector", "ward_code"])
    theirs = lookup.rename(columns={"ward24_code": "ward_code"}).set_index(["postcode_sector", "ward_code"])[
        "share_of_sector"
    ]
    joined = ours.join(theirs, how="left")
    assert joined["share_of_sector"].notna().all()
    assert (joined["weight_postcodes"] - joined["share_of_sector"]).abs().max() < 0.0002


def test_every_north_east_sector_gets_weights(ne_postcodes, ne_weights):
    assert set(ne_weights["postcode_sector"]) == set(ne_postcodes["postcode_sector"])
    middlesbrough = ne_weights[ne_weights["lad_code"] == "E06000002"]
    assert middlesbrough["ward_code"].nunique() == 20


def test_apportionment_conserves_every_sector_and_the_total(ne_weights):
    rng = np.random.default_rng(7)
    sectors = ne_weights["postcode_sector"].unique()
    records = pd.DataFrame(
        {
            "postcode_sector": rng.choice(sectors, 3000),
            "people": rng.integers(1, 12, 3000).astype(float),
            "lad_code": pd.NA,
        }
    )
    split = ap.apportion(records, ne_weights)
    assert split.unallocated.empty
    per_record = split.wards.groupby("record")["people"].sum().sort_index()
    assert np.allclose(per_record.to_numpy(), records["people"].to_numpy())
    assert split.wards["people"].sum() == pytest.approx(records["people"].sum())
    assert set(split.wards["method"]) <= {ap.POSTCODES, ap.DIRECT}


def test_a_named_la_keeps_its_people_inside_it(ne_weights):
    straddling = ne_weights.groupby("postcode_sector")["lad_code"].nunique()
    sector = straddling[straddling > 1].index[0]
    lads = sorted(ne_weights.loc[ne_weights["postcode_sector"] == sector, "lad_code"].unique())
    records = pd.DataFrame({"postcode_sector": [sector, sector], "people": [10.0, 6.0], "lad_code": [lads[0], pd.NA]})
    split = ap.apportion(records, ne_weights)
    named = split.wards[split.wards["record"] == 0]
    assert set(named["lad_code"]) == {lads[0]}
    assert named["people"].sum() == pytest.approx(10.0)
    unnamed = split.wards[split.wards["record"] == 1]
    assert set(unnamed["lad_code"]) == set(lads)
    assert unnamed["people"].sum() == pytest.approx(6.0)


def test_unknown_sectors_and_sectors_outside_the_named_la_are_unallocated_not_dropped(ne_weights):
    records = pd.DataFrame(
        {"postcode_sector": ["TS99 9", "TS1 3"], "people": [4.0, 3.0], "lad_code": [pd.NA, "E06000047"]}
    )
    split = ap.apportion(records, ne_weights)
    assert split.wards.empty
    assert split.unallocated["people"].sum() == 7.0
    reasons = split.unallocated.set_index("record")["reason"]
    assert reasons[0] == "postcode sector TS99 9 is not a known sector"
    assert reasons[1] == "postcode sector TS1 3 has no postcodes in E06000047"
    assert split.unallocated.set_index("record")["lad_code"][1] == "E06000047"


def test_property_weights_follow_occupied_bedspaces_and_beat_postcodes():
    weights = pd.DataFrame(
        {
            "postcode_sector": ["ZX1 1", "ZX1 1", "ZX1 2"],
            "ward_code": ["W1", "W2", "W2"],
            "lad_code": ["L1", "L1", "L1"],
            "n_postcodes": [50, 50, 10],
            "weight_postcodes": [0.5, 0.5, 1.0],
            "weight_population": [0.5, 0.5, 1.0],
        }
    )
    properties = pd.DataFrame(
        {
            "quarter": ["2025Q1"] * 3,
            "postcode_sector": ["ZX1 1"] * 3,
            "ward_code": ["W1", "W2", "W2"],
            "lad_code": ["L1"] * 3,
            "bedspaces": [6, 4, 4],
            "occupied": [6.0, None, 0.0],
            "status": ["in use", "in use", "void"],
            "accommodation_type": ["dispersal", "dispersal", "dispersal"],
        }
    )
    records = pd.DataFrame(
        {
            "month": ["2025-03", "2025-03", "2025-07", "2025-03"],
            "postcode_sector": ["ZX1 1", "ZX1 1", "ZX1 1", "ZX1 2"],
            "people": [10.0, 5.0, 8.0, 2.0],
            "lad_code": ["L1", "L1", "L1", pd.NA],
            "accommodation_type": ["dispersal", "subsistence", "dispersal", "dispersal"],
        }
    )
    split = ap.apportion(records, weights, ap.property_occupancy(properties))
    w = split.wards.set_index(["record", "ward_code"])
    # In use: 6 occupied in W1; 4 bedspaces (occupancy not given) in W2; the void property does not count.
    assert w.loc[(0, "W1"), "people"] == pytest.approx(6.0)
    assert w.loc[(0, "W2"), "people"] == pytest.approx(4.0)
    assert set(w.loc[0, "method"]) == {ap.PROPERTIES}
    # Subsistence-only people do not live in provider properties: postcode weights.
    assert w.loc[(1, "W1"), "people"] == pytest.approx(2.5)
    assert set(w.loc[1, "method"]) == {ap.POSTCODES}
    # July is two quarters on from the list: too old, postcodes instead.
    assert set(w.loc[2, "method"]) == {ap.POSTCODES}
    # A sector wholly in one ward needs no split.
    assert w.loc[(3, "W2"), "method"] == ap.DIRECT


def test_property_list_of_the_previous_quarter_serves_early_months():
    months = pd.Series(["2025-04", "2025-02", "2025-10"])
    assert list(ap.property_quarter_for(months, {"2025Q1"})) == ["2025Q1", "2025Q1", ""]
    assert ap.quarter_of("2025-12") == "2025Q4"
    assert ap.previous_quarter("2025Q1") == "2024Q4"


@pytest.mark.parametrize(
    "methods, expected",
    [
        (["direct", "direct"], "direct"),
        (["direct", "postcodes"], "postcodes"),
        (["properties", "direct"], "properties"),
        (["properties", "postcodes"], "mixed"),
        ([], ""),
    ],
)
def test_combine_methods(methods, expected):
    assert ap.combine_methods(pd.Series(methods, dtype="object")) == expected


def test_combine_methods_by_group_agrees_with_one_group_at_a_time():
    groups = {
        "a": ["direct", "direct"],
        "b": ["direct", "postcodes", ""],
        "c": ["properties", "direct", "properties"],
        "d": ["properties", "postcodes", None],
        "e": ["", None],
        "f": ["mixed", "direct"],
    }
    frame = pd.DataFrame(
        [(key, n, method) for key, methods in groups.items() for n, method in enumerate(methods)],
        columns=["area", "n", "method"],
    )
    found = ap.combine_methods_by(frame, ["area"])
    expected = {
        key: ap.combine_methods(pd.Series(methods, dtype="object").replace("", None)) for key, methods in groups.items()
    }
    assert found.to_dict() == {key: value for key, value in expected.items() if value}
    assert expected["e"] == ""


def test_placement_finds_what_apportionment_leaves_unplaced_record_by_record(ne_weights):
    sectors = sorted(ne_weights["postcode_sector"].unique())[:40]
    rng = np.random.default_rng(3)
    picked = rng.choice(sectors + ["ZZ9 9"], size=600)
    records = pd.DataFrame(
        {
            "postcode_sector": pd.Series(picked, dtype="string"),
            "lad_code": pd.Series(rng.choice(["E06000002", "E08000021", None], size=600), dtype="string"),
            "people": rng.integers(1, 9, size=600).astype(float),
        },
        index=pd.RangeIndex(100, 700),
    )
    for frame in (records, records.drop(columns="lad_code")):
        full, quick = ap.apportion(frame, ne_weights), ap.placement(frame, ne_weights)
        assert len(full.unallocated)
        pd.testing.assert_frame_equal(quick.unallocated, full.unallocated)
        assert set(quick.wards["ward_code"]) == set(full.wards["ward_code"])
        assert set(quick.wards["lad_code"]) == set(full.wards["lad_code"])
