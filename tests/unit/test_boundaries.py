"""Boundaries: standard columns from ONS files of any vintage, repair, refusals, parent LAs, display shapes.

Built on the real North East wards of the reference data (343 wards, 12 LAs).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box

from app.geography.boundaries import (
    LAD,
    STANDARD_COLUMNS,
    WARD,
    area_km2,
    assign_parent_lads,
    coverage_defects,
    detect_columns,
    display_geometries,
    standardise_boundaries,
    to_bng,
    vertex_count,
)
from app.problems import InputRefused
from app.readers.boundaries import read_boundaries

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
NORTH_EAST = "E12000001"
MIDDLESBROUGH = "E06000002"


@pytest.fixture(scope="module")
def reference_wards() -> gpd.GeoDataFrame:
    wards = gpd.read_file(REFERENCE / "wards.geojson")
    return wards[wards["region_code"] == NORTH_EAST].reset_index(drop=True)


@pytest.fixture(scope="module")
def reference_lads() -> gpd.GeoDataFrame:
    return gpd.read_file(REFERENCE / "lad.geojson")


@pytest.fixture(scope="module")
def ons_style(reference_wards) -> gpd.GeoDataFrame:
    """The NE wards as ONS publishes them: WD22CD/WD22NM, no LA code."""
    return reference_wards[["ward_code", "ward_name", "geometry"]].rename(
        columns={"ward_code": "WD22CD", "ward_name": "WD22NM"}
    )


@pytest.fixture(scope="module")
def ne_wards(reference_wards) -> gpd.GeoDataFrame:
    return standardise_boundaries(reference_wards, WARD, "wards.geojson")


def _write(gdf: gpd.GeoDataFrame, folder: Path, fmt: str) -> Path:
    if fmt == "geojson":
        path = folder / "wards.geojson"
        gdf.to_file(path, driver="GeoJSON")
    elif fmt == "gpkg":
        path = folder / "wards.gpkg"
        gdf.to_file(path, driver="GPKG", layer="WD22_BSC")
    elif fmt == "shp":
        path = folder / "wards.shp"
        gdf.to_file(path)
    elif fmt == "zip":
        gdf.to_file(folder / "WD22_BSC.shp")
        path = folder / "wards.zip"
        with zipfile.ZipFile(path, "w") as archive:
            for part in folder.glob("WD22_BSC.*"):
                archive.write(part, f"Wards_2022/{part.name}")
    else:
        path = folder / "wards.parquet"
        gdf.to_parquet(path)
    return path


# --- column detection ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "columns, level, expected",
    [
        (
            ["FID", "WD24CD", "WD24NM", "WD24NMW", "BNG_E"],
            WARD,
            {"code": "WD24CD", "name": "WD24NM", "vintage": "WD24"},
        ),
        (["wd22cd", "wd22nm"], WARD, {"code": "wd22cd", "name": "wd22nm", "vintage": "WD22"}),
        (["ward_code", "ward_name", "lad_code"], WARD, {"code": "ward_code", "lad_code": "lad_code", "vintage": None}),
        (
            ["WD23CD", "WD23NM", "LAD23CD", "RGN23CD", "RGN23NM"],
            WARD,
            {"lad_code": "LAD23CD", "region_code": "RGN23CD", "region_name": "RGN23NM"},
        ),
        (["LAD24CD", "LAD24NM", "LAD24NMW"], LAD, {"code": "LAD24CD", "name": "LAD24NM", "vintage": "LAD24"}),
        (["LAU118CD", "LAU118NM"], LAD, {"code": "LAU118CD", "name": "LAU118NM", "vintage": "LAU18"}),
        (
            ["lad_code", "lad_name", "region_code", "region_name"],
            LAD,
            {"code": "lad_code", "name": "lad_name", "lad_code": None, "region_code": "region_code", "vintage": None},
        ),
        (["CTYUA24CD", "CTYUA24NM"], LAD, {"code": None}),
        (["WD24CD", "WD24NM"], LAD, {"code": None}),
    ],
)
def test_detect_columns(columns, level, expected):
    found = detect_columns(columns, level)
    assert set(found) == {"code", "name", "lad_code", "region_code", "region_name", "vintage"}
    for key, value in expected.items():
        assert found[key] == value


def test_detect_columns_prefers_the_latest_vintage():
    assert detect_columns(["WD22CD", "WD24CD", "WD24NM", "WD22NM"], WARD)["vintage"] == "WD24"


# --- every format, both coordinate systems ----------------------------------------------------------


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:27700"])
@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "shp", "zip", "parquet"])
def test_every_format_reads_to_the_same_wards(tmp_path, ons_style, reference_wards, fmt, crs):
    path = _write(ons_style.to_crs(crs), tmp_path, fmt)
    wards = read_boundaries(path, WARD)
    assert list(wards.columns) == STANDARD_COLUMNS
    assert wards.crs.to_epsg() == 4326
    assert sorted(wards["area_code"]) == sorted(reference_wards["ward_code"])
    assert (wards["vintage"] == "WD22").all()
    assert wards["lad_code"].isna().all()
    assert wards.is_valid.all()
    ours = area_km2(wards).set_axis(wards["area_code"])
    theirs = area_km2(reference_wards).set_axis(reference_wards["ward_code"])
    ratio = ours / theirs.reindex(ours.index)
    assert ratio.between(0.995, 1.005).all()
    names = wards.set_index("area_code")["area_name"]
    expected = reference_wards.set_index("ward_code")["ward_name"]
    assert (names == expected.reindex(names.index)).all()


def test_a_geopackage_with_a_table_first_reads_its_polygon_layer(tmp_path, ons_style):
    path = tmp_path / "wards.gpkg"
    centres = gpd.GeoDataFrame({"WD22CD": ons_style["WD22CD"]}, geometry=ons_style.representative_point())
    centres.to_file(path, layer="centroids", driver="GPKG")
    ons_style.to_file(path, layer="boundaries", driver="GPKG")
    assert len(read_boundaries(path, WARD)) == len(ons_style)


@pytest.mark.parametrize("crs, word", [("EPSG:27700", "British National Grid"), ("EPSG:4326", "WGS84")])
def test_a_file_without_crs_is_judged_by_its_coordinates(tmp_path, ons_style, reference_wards, crs, word):
    path = tmp_path / "wards.parquet"
    ons_style.to_crs(crs).set_crs(None, allow_override=True).to_parquet(path)
    assert gpd.read_parquet(path).crs is None
    wards = read_boundaries(path, WARD)
    assert "no CRS" in wards.attrs["crs_decision"] and word in wards.attrs["crs_decision"]
    total = area_km2(wards).sum()
    assert total == pytest.approx(area_km2(reference_wards).sum(), rel=0.005)


def test_lads_from_the_reference_file(reference_lads):
    lads = standardise_boundaries(reference_lads, LAD, "lad.geojson")
    assert len(lads) == 361
    assert (lads["lad_code"] == lads["area_code"]).all()
    assert lads["vintage"].isna().all()
    north_east = lads[lads["region_code"] == NORTH_EAST]
    assert len(north_east) == 12
    assert lads.set_index("area_code").loc[MIDDLESBROUGH, "area_name"] == "Middlesbrough"


# --- parent LAs -------------------------------------------------------------------------------------


def test_parent_las_found_spatially_match_the_ons_lookup(tmp_path, ons_style, reference_wards, reference_lads):
    wards = read_boundaries(_write(ons_style.to_crs("EPSG:27700"), tmp_path, "gpkg"), WARD)
    lads = standardise_boundaries(reference_lads, LAD, "lad.geojson")
    placed = assign_parent_lads(wards, lads).set_index("area_code")
    expected = reference_wards.set_index("ward_code")
    assert len(placed) == 343
    assert (placed["lad_code"] == expected["lad_code"].reindex(placed.index)).all()
    assert (placed["region_code"] == NORTH_EAST).all()
    assert (placed["region_name"] == "North East").all()
    assert (placed["lad_code"] == MIDDLESBROUGH).sum() == 20
    assert placed["lad_code"].nunique() == 12


def test_existing_parent_codes_are_kept(ne_wards, reference_lads):
    wards = ne_wards.copy()
    wards.loc[0, "lad_code"] = "E06000001"
    assert assign_parent_lads(wards, reference_lads).loc[0, "lad_code"] == "E06000001"


def test_middlesbrough_wards_cover_the_la(ne_wards, reference_lads):
    mine = ne_wards[ne_wards["lad_code"] == MIDDLESBROUGH]
    assert len(mine) == 20
    la = reference_lads[reference_lads["lad_code"] == MIDDLESBROUGH]
    assert area_km2(mine).sum() == pytest.approx(area_km2(la).sum(), rel=0.02)
    assert 45 < area_km2(la).sum() < 60  # ONS: Middlesbrough is about 54 km²


# --- repair and dissolve --------------------------------------------------------------------------


def _frame(codes, geoms, crs="EPSG:27700", names=None) -> gpd.GeoDataFrame:
    names = names or [f"Ward {i}" for i in range(len(codes))]
    return gpd.GeoDataFrame({"WD24CD": codes, "WD24NM": names}, geometry=geoms, crs=crs)


def test_a_bow_tie_is_repaired_into_its_two_triangles():
    bow_tie = Polygon([(400000, 500000), (401000, 501000), (401000, 500000), (400000, 501000)])
    assert not bow_tie.is_valid
    square = box(402000, 500000, 403000, 501000)
    wards = standardise_boundaries(_frame(["E05000001", "E05000002"], [bow_tie, square]), WARD, "bowtie.gpkg")
    assert wards.is_valid.all()
    assert wards.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    assert area_km2(wards).tolist() == pytest.approx([0.5, 1.0], rel=1e-3)
    assert wards.attrs["repaired"] == ["E05000001"]


def test_parts_given_on_several_rows_become_one_area(reference_wards):
    wards = reference_wards[["ward_code", "ward_name", "geometry"]]
    multi = wards[wards.geom_type == "MultiPolygon"].iloc[[0]]
    exploded = pd.concat([wards[wards["ward_code"] != multi["ward_code"].iloc[0]], multi.explode(index_parts=False)])
    assert len(exploded) > len(wards)
    result = standardise_boundaries(gpd.GeoDataFrame(exploded, crs=wards.crs), WARD, "parts.geojson")
    assert len(result) == len(wards)
    merged = result[result["area_code"] == multi["ward_code"].iloc[0]]
    assert merged.geom_type.iloc[0] == "MultiPolygon"
    assert area_km2(merged).iloc[0] == pytest.approx(area_km2(multi).iloc[0], rel=1e-6)


# --- refusals -------------------------------------------------------------------------------------


def _refusal(gdf, level=WARD, source="test.geojson") -> str:
    with pytest.raises(InputRefused) as caught:
        standardise_boundaries(gdf, level, source)
    text = str(caught.value)
    assert text.startswith(source)
    assert "Traceback" not in text
    return text


def test_refused_without_a_code_column():
    gdf = gpd.GeoDataFrame({"NAME": ["A"], "OBJECTID": [1]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:4326")
    text = _refusal(gdf)
    assert "no ward code column found" in text
    assert "NAME, OBJECTID" in text


def test_refused_when_empty():
    gdf = _frame([], [])
    assert "holds no areas" in _refusal(gdf)


def test_refused_with_empty_geometry_naming_row_and_code():
    gdf = _frame(["E05000001", "E05000002"], [box(400000, 500000, 401000, 501000), None])
    text = _refusal(gdf)
    assert "row 2" in text and "E05000002 has no shape" in text


def test_refused_with_duplicate_codes_of_different_names():
    geoms = [box(400000, 500000, 401000, 501000), box(401000, 500000, 402000, 501000)]
    text = _refusal(_frame(["E05000001", "E05000001"], geoms, names=["Park", "Central"]))
    assert "code E05000001 appears on rows 1, 2 with different names ('Park', 'Central')" in text


def test_refused_with_points_instead_of_polygons():
    text = _refusal(_frame(["E05000001"], [Point(400000, 500000)]))
    assert "E05000001 is a Point, not a polygon" in text


def test_refused_with_codes_that_are_not_ons_codes():
    geoms = [box(400000, 500000, 401000, 501000), box(401000, 500000, 402000, 501000)]
    text = _refusal(_frame(["E05000001", "Ward 7"], geoms))
    assert "row 2" in text and "'WARD 7' in column 'WD24CD' does not look like an ONS code" in text


def test_refused_with_la_codes_in_a_ward_file():
    text = _refusal(_frame(["E06000002"], [box(400000, 500000, 401000, 501000)]))
    assert "'E06000002' is not a ward code" in text


def test_refused_when_degrees_are_declared_but_coordinates_are_metres():
    gdf = _frame(["E05000001"], [box(400000, 500000, 401000, 501000)], crs="EPSG:4326")
    assert "look like metres" in _refusal(gdf)


def test_refused_when_coordinates_are_neither_degrees_nor_grid_metres():
    gdf = _frame(["E05000001"], [box(5e6, 5e6, 5.1e6, 5.1e6)], crs=None)
    assert "neither longitude/latitude degrees nor British National Grid metres" in _refusal(gdf)


def test_every_problem_is_listed_at_once():
    geoms = [Point(400000, 500000), None, box(400000, 500000, 401000, 501000)]
    with pytest.raises(InputRefused) as caught:
        standardise_boundaries(_frame(["E05000001", "E05000002", "XX"], geoms), WARD, "many.gpkg")
    assert len(caught.value.problems) == 3


@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("wards.geojson", b"this is not json {", "could not be opened as GeoJSON"),
        ("wards.gpkg", b"\x00\x01 not a database", "could not be opened as GeoPackage"),
        ("wards.zip", b"PK not really a zip", "not a readable .zip archive"),
        ("wards.parquet", b"PAR1 broken", "could not be opened as GeoParquet"),
        ("wards.kml", b"<kml/>", "cannot read '.kml' files as boundaries"),
    ],
)
def test_unreadable_files_are_refused_in_plain_words(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputRefused) as caught:
        read_boundaries(path, WARD)
    text = str(caught.value)
    assert text.startswith(name) and expected in text
    assert "Traceback" not in text and str(tmp_path) not in text


def test_a_shapefile_without_its_dbf_is_refused(tmp_path, ons_style):
    path = _write(ons_style, tmp_path, "shp")
    (tmp_path / "wards.dbf").unlink()
    with pytest.raises(InputRefused, match="the shapefile is incomplete: wards.dbf must sit beside it"):
        read_boundaries(path, WARD)


def test_a_zip_without_a_shapefile_is_refused(tmp_path):
    path = tmp_path / "wards.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "no shapes here")
    with pytest.raises(InputRefused, match="the .zip holds no shapefile"):
        read_boundaries(path, WARD)


def test_plain_parquet_is_refused(tmp_path):
    path = tmp_path / "wards.parquet"
    pd.DataFrame({"WD24CD": ["E05000001"]}).to_parquet(path)
    with pytest.raises(InputRefused, match="holds no shapes"):
        read_boundaries(path, WARD)


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(InputRefused, match="nowhere.geojson: the file was not found"):
        read_boundaries(tmp_path / "nowhere.geojson", WARD)


# --- display geometries -----------------------------------------------------------------------------


def test_coverage_defects_sees_gaps_and_overlaps():
    top = Polygon([(0, 10), (10, 10), (20, 10), (20, 20), (0, 20)])  # shares the vertex where the lower two meet
    clean = gpd.GeoSeries([box(0, 0, 10, 10), box(10, 0, 20, 10), top], crs="EPSG:27700")
    assert coverage_defects(clean)["gap_area_m2"] == 0 and coverage_defects(clean)["overlap_area_m2"] == 0
    assert coverage_defects(clean)["valid_coverage"]
    ring = gpd.GeoSeries(
        [box(0, 0, 30, 10), box(0, 20, 30, 30), box(0, 10, 10, 20), box(20, 10, 30, 20)], crs="EPSG:27700"
    )
    assert coverage_defects(ring)["gap_area_m2"] == pytest.approx(100)
    overlapping = gpd.GeoSeries([box(0, 0, 10, 10), box(8, 0, 20, 10)], crs="EPSG:27700")
    defects = coverage_defects(overlapping)
    assert defects["overlap_area_m2"] == pytest.approx(20)
    assert not defects["valid_coverage"] and defects["invalid_edge_length_m"] > 0


def test_display_geometries_stay_a_clean_coverage_with_fewer_vertices(ne_wards):
    before = coverage_defects(ne_wards)
    shapes = display_geometries(ne_wards)
    assert set(shapes) == {"fine", "coarse"}
    counts = {level: vertex_count(geoms) for level, geoms in shapes.items()}
    assert counts["coarse"] < counts["fine"] < vertex_count(ne_wards.geometry)
    for level, decimals in (("fine", 5), ("coarse", 4)):
        geoms = shapes[level]
        assert geoms.crs.to_epsg() == 4326
        assert geoms.index.equals(ne_wards.index)
        assert geoms.is_valid.all() and not geoms.is_empty.any()
        coords = shapely.get_coordinates(np.asarray(geoms.values, dtype=object))
        assert np.allclose(coords * 10**decimals, np.round(coords * 10**decimals), atol=1e-6)
        after = coverage_defects(geoms)
        assert after["gap_area_m2"] <= before["gap_area_m2"] + 1.0
        assert after["overlap_area_m2"] <= before["overlap_area_m2"] + 1.0
        assert after["invalid_edge_length_m"] <= before["invalid_edge_length_m"] + 1.0
        shrink = area_km2(geoms) / area_km2(ne_wards)
        assert shrink.between(0.8, 1.2).all()
        assert area_km2(geoms).sum() == pytest.approx(area_km2(ne_wards).sum(), rel=0.01)


def test_plain_simplify_would_have_opened_gaps(ne_wards):
    """Guards the choice of coverage simplification: ordinary simplify breaks shared edges."""
    naive = to_bng(ne_wards.geometry).simplify(150.0)
    assert coverage_defects(naive)["invalid_edge_length_m"] > 0


def test_custom_levels_of_detail(ne_wards):
    middlesbrough = ne_wards[ne_wards["lad_code"] == MIDDLESBROUGH]
    shapes = display_geometries(middlesbrough, {"overview": 500.0})
    assert list(shapes) == ["overview"] and len(shapes["overview"]) == 20
    assert vertex_count(shapes["overview"]) < vertex_count(middlesbrough.geometry)
    assert coverage_defects(shapes["overview"])["overlap_area_m2"] <= 1.0


def test_multipolygon_and_bng_round_trip():
    shape = MultiPolygon([box(400000, 500000, 401000, 501000), box(402000, 500000, 403000, 501000)])
    wards = standardise_boundaries(_frame(["W05000001"], [shape]), WARD, "w.gpkg")
    assert area_km2(wards).iloc[0] == pytest.approx(2.0, rel=1e-3)
    assert to_bng(wards).crs.to_epsg() == 27700


def test_a_polygon_collapsed_to_one_point_is_refused_not_a_crash():
    """Found by the reader fuzzing: every vertex the same point repairs to nothing."""
    import geopandas as gpd
    from shapely.geometry import Polygon

    from app.geography.boundaries import standardise_boundaries
    from app.problems import InputRefused

    gdf = gpd.GeoDataFrame(
        {"WD24CD": ["E05000001", "E05000002"], "WD24NM": ["A", "B"]},
        geometry=[Polygon([(0, 0), (0, 0), (0, 0)]), Polygon([(0, 0), (1, 0), (1, 1)])],
        crs="EPSG:4326",
    )
    with pytest.raises(InputRefused) as refused:
        standardise_boundaries(gdf, "ward", source="wards.geojson")
    assert "E05000001" in str(refused.value) and "wards.geojson" in str(refused.value)
