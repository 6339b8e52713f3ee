"""Population and postcode lookup readers: the reference files and ONS-style files built here."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from app.geography.boundaries import WARD, standardise_boundaries
from app.geography.placement import place_points
from app.problems import InputRefused
from app.readers.population import read_population
from app.readers.postcode_lookup import read_postcode_lookup, read_postcode_lookups

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"


@pytest.fixture(scope="module")
def population():
    return read_population(REFERENCE / "population.csv")


@pytest.fixture(scope="module")
def north_east_lads() -> list[str]:
    lads = gpd.read_file(REFERENCE / "lad.geojson")
    return lads.loc[lads["region_code"] == "E12000001", "lad_code"].tolist()


# --- population --------------------------------------------------------------------------------


def test_reference_population_figures(population, north_east_lads):
    table = population.table
    assert list(table.columns) == ["area_code", "level", "population", "population_0_17", "source_year", "source"]
    assert table["level"].value_counts().to_dict() == {"ward": 7579, "lad": 318}
    lads = table[table["level"] == "lad"].set_index("area_code")
    assert lads.loc["E06000002", "population"] == 143_930
    assert lads.loc["E06000002", "population_0_17"] == 33_224
    assert len(north_east_lads) == 12
    assert lads.loc[north_east_lads, "population"].sum() == 2_647_021
    assert (table["source_year"] == 2021).all()
    assert table["source"].str.startswith("population.csv").all()


def test_missing_reference_populations_are_unknown_not_zero(population):
    table = population.table.set_index("area_code")
    assert np.isnan(table.loc["E05015332", "population"])
    assert table["population"].isna().sum() == 43
    assert (table["population"] > 0).sum() == len(table) - 43
    waterfront = [w for w in population.warnings if "E05015332" in w.message]
    assert len(waterfront) == 1
    assert "Waterfront North" in waterfront[0].message and waterfront[0].column == "population"
    assert waterfront[0].row == 6542  # its line in population.csv, counting the header
    assert population.meta["missing_population"] == 43


def test_ward_populations_add_up_to_middlesbrough(population):
    wards = gpd.read_file(REFERENCE / "wards.geojson", columns=["ward_code", "lad_code"], ignore_geometry=True)
    middlesbrough = wards.loc[wards["lad_code"] == "E06000002", "ward_code"]
    table = population.table.set_index("area_code")
    assert len(middlesbrough) == 20
    assert table.loc[middlesbrough, "population"].sum() == 143_930


def test_ons_style_csv_with_banner_commas_and_year_in_name(tmp_path):
    path = tmp_path / "census_2021_ts001_wards.csv"
    path.write_text(
        "Census 2021: usual residents\n"
        "Source: ONS\n"
        "\n"
        "Code,Name,All usual residents,Aged 0 to 17\n"
        'E05001234,Park,"12,345","2,001"\n'
        "E06000002,Middlesbrough,143930,33224\n"
        "E05001235,Central,,\n"
        "E12000001,North East,2647021,\n"
        "W05000001,Aber,x,5\n"
        ",,,\n"
        "Notes: figures are rounded,,,\n",
        encoding="utf-8",
    )
    result = read_population(path)
    table = result.table.set_index("area_code")
    assert list(table.index) == ["E05001234", "E06000002", "E05001235", "W05000001"]
    assert table.loc["E05001234", ["population", "population_0_17"]].tolist() == [12345, 2001]
    assert table["level"].to_dict() == {
        "E05001234": "ward",
        "E06000002": "lad",
        "E05001235": "ward",
        "W05000001": "ward",
    }
    assert np.isnan(table.loc["E05001235", "population"])
    assert np.isnan(table.loc["W05000001", "population"])
    assert (table["source_year"] == 2021).all()
    assert table.loc["E06000002", "source"] == "census_2021_ts001_wards.csv: column 'All usual residents'"
    messages = {(w.row, w.message) for w in result.warnings}
    assert (7, "no population for E05001235 (Central); treated as unknown (not zero)") in messages
    assert (8, "'E12000001' is neither a ward nor a local authority code; row skipped") in messages
    assert (9, "'x' for W05000001 (Aber) is not a number; population treated as unknown") in messages
    assert (11, "'NOTES: FIGURES ARE ROUNDED' is neither a ward nor a local authority code; row skipped") in messages
    assert result.meta["header_row"] == 4


def test_xlsx_with_vintage_columns_and_year_given(tmp_path):
    path = tmp_path / "ward_population.xlsx"
    book = Workbook()
    sheet = book.active
    sheet.title = "Notes"
    sheet.append(["This workbook holds mid-year estimates"])
    data = book.create_sheet("Mid-2022 Wards")
    data.append(["Mid-2022 population estimates for wards"])
    data.append(["WD24CD", "WD24NM", "LAD24CD", "Total", "Aged 0-17"])
    data.append(["E05013795", "Acklam", "E06000002", 7200, 1500])
    data.append(["E05013796", "Ayresome", "E06000002", 6800, None])
    book.save(path)
    result = read_population(path, year=2022)
    assert result.meta["sheet"] == "Mid-2022 Wards"
    table = result.table
    assert table["area_code"].tolist() == ["E05013795", "E05013796"]
    assert table["population"].tolist() == [7200, 6800]
    assert table["population_0_17"].iloc[0] == 1500 and np.isnan(table["population_0_17"].iloc[1])
    assert (table["level"] == "ward").all() and (table["source_year"] == 2022).all()


def test_year_column_wins_over_the_file_name(tmp_path):
    path = tmp_path / "pop_2019.csv"
    path.write_text("area_code,population,year\nE06000002,140000,2020\n")
    assert read_population(path).table["source_year"].tolist() == [2020]
    assert read_population(path, year=2023).table["source_year"].tolist() == [2023]


def _refused(path: Path, **kwargs) -> str:
    with pytest.raises(InputRefused) as caught:
        read_population(path, **kwargs)
    text = str(caught.value)
    assert text.startswith(path.name) and "Traceback" not in text
    return text


def test_population_without_a_year_is_refused(tmp_path):
    path = tmp_path / "population.csv"
    path.write_text("area_code,population\nE06000002,143930\n")
    assert "does not say which year its population figures are for" in _refused(path)
    assert len(read_population(path, year=2021).table) == 1


def test_population_without_the_columns_is_refused(tmp_path):
    path = tmp_path / "people_2021.csv"
    path.write_text("ward,people\nPark,100\n")
    assert "no table with an area code column" in _refused(path)


def test_population_with_conflicting_duplicates_is_refused(tmp_path):
    path = tmp_path / "population_2021.csv"
    path.write_text("code,population\nE06000002,143930\nE06000002,140000\nE06000001,92327\nE06000001,92327\n")
    assert "E06000002 appears on rows 2, 3 with different populations" in _refused(path)


def test_population_file_that_is_not_a_table_is_refused(tmp_path):
    path = tmp_path / "population_2021.xlsx"
    path.write_bytes(b"not really excel")
    assert "could not be read as a CSV or Excel table" in _refused(path)


# --- postcode lookups -----------------------------------------------------------------------------


def test_reference_postcode_lookup():
    result = read_postcode_lookup(REFERENCE / "postcodes_north_east.csv")
    table = result.table
    raw = pd.read_csv(REFERENCE / "postcodes_north_east.csv", usecols=["postcode", "lat", "ward24_code", "lad24_code"])
    assert len(table) == len(raw) == 81_107
    assert list(table.columns) == ["postcode", "postcode_sector", "lat", "lon", "ward_code", "lad_code", "ward_vintage"]
    assert table["postcode"].tolist() == raw["postcode"].tolist()
    assert table["lat"].isna().sum() == 195
    assert (table["ward_code"].fillna("-") == raw["ward24_code"].fillna("-")).all()
    assert (table["lad_code"].fillna("-") == raw["lad24_code"].fillna("-")).all()
    assert set(table["ward_vintage"].dropna()) == {"WD24"}
    assert table.set_index("postcode").loc["DH1 1AB", "postcode_sector"] == "DH1 1"
    assert result.warnings == []


def test_onspd_style_lookup(tmp_path):
    path = tmp_path / "ONSPD_NOV_2024_UK_TS.csv"
    path.write_text(
        "pcd,pcd2,pcds,dointr,doterm,oslaua,osward,lat,long\n"
        "TS1 3AB,TS1  3AB,TS1 3AB,198001,,E06000002,E05013795,54.576,-1.234\n"
        "TS1 3AD,TS1  3AD,TS1 3AD,198001,,E06000002,E05013796,99.999999,0.000000\n"
        "GY1 1AA,GY1  1AA,GY1 1AA,198001,,L99999999,L99999999,49.45,-2.54\n"
        "NOTAPC,NOTAPC,NOTAPC,198001,,E06000002,E05013795,54.5,-1.2\n"
        "TS1 3AE,TS1  3AE,TS1 3AE,198001,,E06000002,,54.577,-1.235\n"
    )
    result = read_postcode_lookup(path)
    table = result.table.set_index("postcode")
    assert list(table.index) == ["TS1 3AB", "TS1 3AD", "GY1 1AA", "TS1 3AE"]
    assert table.loc["TS1 3AB", ["lat", "lon"]].tolist() == [54.576, -1.234]
    assert np.isnan(table.loc["TS1 3AD", "lat"]) and np.isnan(table.loc["TS1 3AD", "lon"])
    assert table.loc["TS1 3AD", "ward_code"] == "E05013796"
    assert pd.isna(table.loc["GY1 1AA", "ward_code"]) and pd.isna(table.loc["GY1 1AA", "lad_code"])
    assert pd.isna(table.loc["TS1 3AE", "ward_code"])
    assert table["ward_vintage"].isna().all()  # 'osward' does not say which ward set it is
    assert result.meta["columns"]["postcode"] == "pcds"
    assert [(w.row, w.column, w.message) for w in result.warnings] == [
        (5, "pcds", "'NOTAPC' is not a full UK postcode; row skipped")
    ]


def test_nspl_style_lookup_with_coded_vintage(tmp_path):
    path = tmp_path / "NSPL.csv"
    path.write_text("pcd,lat,long,wd23cd,lad23cd,wd22cd\nts13ab,54.576,-1.234,E05013795,E06000002,E05000001\n")
    table = read_postcode_lookup(path).table
    assert table.iloc[0][["postcode", "ward_code", "lad_code", "ward_vintage"]].tolist() == [
        "TS1 3AB",
        "E05013795",
        "E06000002",
        "WD23",
    ]


def test_lookup_without_ward_codes_is_placed_by_coordinates(tmp_path):
    raw = pd.read_csv(REFERENCE / "postcodes_north_east.csv")
    sample = raw[raw["ward24_method"] == "official_code"].sample(2000, random_state=3)
    path = tmp_path / "addressbase_points.csv"
    sample[["postcode", "lat", "lon"]].rename(
        columns={"postcode": "Postcode", "lat": "Latitude", "lon": "Longitude"}
    ).to_csv(path, index=False)
    result = read_postcode_lookup(path)
    assert result.table["ward_code"].isna().all() and not result.meta["has_ward_codes"]
    wards = standardise_boundaries(gpd.read_file(REFERENCE / "wards.geojson"), WARD, "wards.geojson")
    placed = place_points(result.table, wards)
    expected = sample.set_index("postcode")["ward24_code"].reindex(result.table["postcode"]).to_numpy()
    assert (placed["ward_code"].to_numpy() == expected).mean() >= 0.95


def test_lookup_without_a_postcode_column_is_refused(tmp_path):
    path = tmp_path / "lookup.csv"
    path.write_text("code,lat,long\nE05000001,54.5,-1.2\n")
    with pytest.raises(InputRefused) as caught:
        read_postcode_lookup(path)
    assert str(caught.value) == (
        "lookup.csv: no postcode column found (expected e.g. 'postcode', 'pcds' or 'pcd'); "
        "the file has the columns: code, lat, long"
    )


def test_lookup_without_wards_or_coordinates_is_refused(tmp_path):
    path = tmp_path / "lookup.csv"
    path.write_text("postcode,lad_code\nTS1 3AB,E06000002\n")
    with pytest.raises(InputRefused, match="neither ward codes nor coordinates"):
        read_postcode_lookup(path)


def test_several_lookups_are_combined(tmp_path):
    first = tmp_path / "a.csv"
    second = tmp_path / "b.csv"
    first.write_text("postcode,lat,lon,ward_code\nTS1 3AB,54.576,-1.234,E05013795\n")
    second.write_text("postcode,lat,lon,ward_code\nts13ab,54.0,-1.0,E05000001\nTS1 3AD,54.5,-1.2,E05013796\n")
    result = read_postcode_lookups([first, second])
    table = result.table.set_index("postcode")
    assert list(table.index) == ["TS1 3AB", "TS1 3AD"]
    assert table.loc["TS1 3AB", "ward_code"] == "E05013795"
    assert result.meta["repeated_across_files"] == 1


def test_all_three_reference_lookups_together():
    paths = sorted(REFERENCE.glob("postcodes_*.csv"))
    result = read_postcode_lookups(paths)
    assert len(paths) == 3
    assert len(result.table) == 81_107 + 67_031 + 72_595
    assert result.table["postcode"].is_unique


# --- boundaries with degenerate rings -------------------------------------------------------------


def test_boundaries_with_repeated_points_and_rings_of_no_area_are_cleaned_before_geos(tmp_path):
    """Edges of zero length (a point repeated, a hole or part that is one point) stop GEOS's overlay and coverage
    operations ("Edge direction cannot be determined because endpoints are equal"); they carry no area."""
    import json

    import shapely

    from app.geography.boundaries import assign_parent_lads, display_geometries
    from app.readers.boundaries import read_boundaries

    x, y, d = -1.5, 54.5, 0.01
    repeated = [[x, y], [x, y], [x + d, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y + d], [x, y]]
    point_hole = [[x + d / 2, y + d / 2]] * 4
    second = [[x + d, y], [x + 2 * d, y], [x + 2 * d, y + d], [x + d, y + d], [x + d, y]]
    point_part = [[[x + 3 * d, y]] * 4]
    features = [
        {
            "type": "Feature",
            "properties": {"WD24CD": "E05000001", "WD24NM": "One"},
            "geometry": {"type": "Polygon", "coordinates": [repeated, point_hole]},
        },
        {
            "type": "Feature",
            "properties": {"WD24CD": "E05000002", "WD24NM": "Two"},
            "geometry": {"type": "MultiPolygon", "coordinates": [[second], point_part]},
        },
    ]
    path = tmp_path / "wards.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    wards = read_boundaries(path, "ward")
    geoms = wards.geometry.to_numpy()
    assert shapely.is_valid(geoms).all()
    assert shapely.get_num_coordinates(geoms).tolist() == [5, 5]
    assert shapely.get_num_interior_rings(shapely.get_parts(geoms)).tolist() == [0, 0]
    assert np.allclose(shapely.area(geoms), d * d)
    shapes = display_geometries(wards)
    assert all(shapely.is_valid(s.to_numpy()).all() for s in shapes.values())
    lads = read_boundaries(
        _lad_file(
            tmp_path, [[x - d, y - d], [x + 3 * d, y - d], [x + 3 * d, y + 2 * d], [x - d, y + 2 * d], [x - d, y - d]]
        ),
        "lad",
    )
    assert assign_parent_lads(wards, lads)["lad_code"].tolist() == ["E06000001", "E06000001"]


def _lad_file(tmp_path: Path, ring: list[list[float]]) -> Path:
    import json

    path = tmp_path / "lads.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"LAD24CD": "E06000001", "LAD24NM": "Hartlepool"},
                        "geometry": {"type": "Polygon", "coordinates": [ring]},
                    }
                ],
            }
        )
    )
    return path
