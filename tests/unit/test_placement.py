"""Placing real North East postcodes into the real WD24 ward polygons."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from app.geography.boundaries import WARD, standardise_boundaries
from app.geography.placement import NEAREST_POLYGON, POINT_IN_POLYGON, UNPLACED, place_points

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"


@pytest.fixture(scope="module")
def wards() -> gpd.GeoDataFrame:
    return standardise_boundaries(gpd.read_file(REFERENCE / "wards.geojson"), WARD, "wards.geojson")


@pytest.fixture(scope="module")
def postcodes() -> pd.DataFrame:
    return pd.read_csv(
        REFERENCE / "postcodes_north_east.csv",
        usecols=["postcode", "lat", "lon", "ward24_code", "ward24_method", "region_code"],
    )


def test_points_land_in_the_official_ward(wards, postcodes):
    official = postcodes[postcodes["ward24_method"] == "official_code"]
    sample = official.sample(4000, random_state=20240501)
    placed = place_points(sample[["lat", "lon"]], wards)
    assert placed.index.equals(sample.index)
    assert (placed["placed_by"] != UNPLACED).all()
    agreement = (placed["ward_code"] == sample["ward24_code"]).mean()
    assert agreement >= 0.95  # the reference README measured 96.9 % on BSC polygons


def test_rows_without_coordinates_are_unplaced(wards, postcodes):
    no_coordinates = postcodes[postcodes["lat"].isna()]
    assert len(no_coordinates) == 195
    placed = place_points(no_coordinates, wards)
    assert (placed["placed_by"] == UNPLACED).all()
    assert placed["ward_code"].isna().all()


def test_points_just_outside_the_coastline_take_the_nearest_ward(wards, postcodes):
    offshore = postcodes[postcodes["ward24_method"] == "nearest_polygon"]
    assert len(offshore) == 12
    placed = place_points(offshore, wards)
    assert (placed["placed_by"] == NEAREST_POLYGON).all()
    assert (placed["ward_code"] == offshore["ward24_code"]).all()
    too_far = place_points(offshore, wards, max_distance_m=0)
    assert (too_far["placed_by"] == UNPLACED).all()


def test_the_durham_and_northumberland_placement_is_reproduced(wards, postcodes):
    inside = postcodes[postcodes["ward24_method"] == "point_in_polygon"].sample(3000, random_state=7)
    placed = place_points(inside, wards)
    assert (placed["placed_by"] == POINT_IN_POLYGON).all()
    assert (placed["ward_code"] == inside["ward24_code"]).mean() >= 0.99


def test_points_far_from_any_ward_and_bad_values(wards):
    points = pd.DataFrame(
        {"lat": [54.5765, 51.5072, np.nan, 91.0, 54.5765, 40.0], "lon": [-1.2348, 200.0, -1.2, -1.2, np.nan, -30.0]},
        index=["middlesbrough", "bad lon", "no lat", "bad lat", "no lon", "atlantic"],
    )
    placed = place_points(points, wards)
    assert list(placed.index) == list(points.index)
    assert placed.loc["middlesbrough", "placed_by"] == POINT_IN_POLYGON
    assert wards.set_index("area_code").loc[placed.loc["middlesbrough", "ward_code"], "lad_code"] == "E06000002"
    assert (placed.drop("middlesbrough")["placed_by"] == UNPLACED).all()


def test_eighty_thousand_real_postcodes_are_placed(wards, postcodes):
    placed = place_points(postcodes, wards)
    assert len(placed) == len(postcodes) > 80_000
    counts = placed["placed_by"].value_counts()
    assert counts[UNPLACED] == 195
    assert placed["ward_code"].notna().sum() == len(postcodes) - 195


def test_empty_input(wards):
    placed = place_points(pd.DataFrame({"lat": [], "lon": []}), wards)
    assert list(placed.columns) == ["ward_code", "placed_by"] and placed.empty
