"""`geography load` end to end, on both databases: the synthetic region, the real North East, bad files."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from app.store import db, queries


def test_synthetic_region_loads_through_the_ons_code_path(load_synthetic, db_url, synthetic_region):
    code, out, err = load_synthetic(db_url, synthetic_region)
    assert code == 0, err
    assert "wards: 120" in out and "local authorities: 6" in out
    engine = db.connect(db_url)
    with engine.connect() as conn:
        areas = queries.areas(conn)
        weights = queries.sector_weights(conn)
        pop = queries.population(conn)
    truth = pd.read_csv(synthetic_region.truth_dir / "wards.csv")
    wards = areas[areas["level"] == "ward"].set_index("area_code")
    # The ward files carry no LA code: the parent LA comes from the LA polygons.
    assert wards.loc[truth["ward_code"], "lad_code"].tolist() == truth["lad_code"].tolist()
    assert np.allclose(weights.groupby("postcode_sector")["weight_postcodes"].sum(), 1.0)
    expected = pd.read_csv(synthetic_region.truth_dir / "sector_wards.csv")
    assert set(zip(weights["postcode_sector"], weights["ward_code"])) == set(
        zip(expected["postcode_sector"], expected["ward_code"])
    )
    assert pop.set_index("area_code").loc[truth["ward_code"], "population"].tolist() == truth["population"].tolist()


def test_real_north_east_loads_with_real_codes_and_names(load_north_east, reference, db_url):
    code, out, err = load_north_east(db_url)
    assert code == 0, err
    engine = db.connect(db_url)
    with engine.connect() as conn:
        areas = queries.areas(conn, with_geometry=True)
        weights = queries.sector_weights(conn)
        display = queries.display_geometry(conn, "fine", level="ward")
    lads = areas[areas["level"] == "lad"].set_index("area_code")
    assert len(lads) == 12 and lads.loc["E06000002", "area_name"] == "Middlesbrough"
    wards = areas[areas["level"] == "ward"]
    assert len(wards) == 343
    assert (wards["lad_code"] == "E06000002").sum() == 20
    counts = wards.groupby("lad_code").size()
    assert counts["E06000047"] == 63 and counts["E06000057"] == 66  # County Durham, Northumberland
    # Every sector with a North East postcode gets weights that sum to 1.
    postcodes = pd.read_csv(reference / "postcodes_north_east.csv", usecols=["postcode_sector", "lat", "region_code"])
    ne_sectors = set(postcodes.loc[postcodes["region_code"] == "E12000001", "postcode_sector"])
    assert ne_sectors <= set(weights["postcode_sector"])
    assert np.allclose(weights.groupby("postcode_sector")["weight_postcodes"].sum(), 1.0)
    assert {"TS1 3", "NE1 7"} <= set(weights["postcode_sector"])
    # Display geometry: one simplified shape per ward, valid GeoJSON in degrees.
    assert len(display) == 343
    shape = shapely.from_geojson(display["geojson"].iloc[0])
    assert shape.is_valid and -3 < shape.centroid.x < 0 and 54 < shape.centroid.y < 56


def test_broken_boundary_file_is_refused_and_the_store_is_unchanged(
    cli, load_synthetic, db_url, synthetic_region, tmp_path
):
    assert load_synthetic(db_url, synthetic_region)[0] == 0
    engine = db.connect(db_url)
    with engine.connect() as conn:
        before = queries.snapshot(conn)
    broken = tmp_path / "wards.geojson"
    wards = gpd.read_file(synthetic_region.wards)
    wards.loc[3, "geometry"] = None
    wards.to_file(broken, driver="GeoJSON")
    code, out, err = cli(
        "geography",
        "load",
        "--db",
        db_url,
        "--wards",
        broken,
        "--lads",
        synthetic_region.lads,
        "--population",
        synthetic_region.population,
        "--postcodes",
        synthetic_region.postcodes,
    )
    assert code == 1
    assert "wards.geojson" in err and "Refused: nothing was loaded" in err
    assert wards.loc[3, "WD24CD"] in err
    garbage = tmp_path / "lads.gpkg"
    garbage.write_bytes(b"this is not a geopackage")
    code, _, err = cli(
        "geography",
        "load",
        "--db",
        db_url,
        "--wards",
        synthetic_region.wards,
        "--lads",
        garbage,
        "--population",
        synthetic_region.population,
        "--postcodes",
        synthetic_region.postcodes,
    )
    assert code == 1 and "lads.gpkg" in err and "Traceback" not in err
    with engine.connect() as conn:
        assert queries.snapshot(conn) == before


def test_loading_the_same_geography_twice_changes_nothing(load_synthetic, db_url, synthetic_region):
    assert load_synthetic(db_url, synthetic_region)[0] == 0
    engine = db.connect(db_url)
    with engine.connect() as conn:
        before = queries.snapshot(conn)
    code, out, _ = load_synthetic(db_url, synthetic_region)
    assert code == 0 and "already loaded" in out
    with engine.connect() as conn:
        assert queries.snapshot(conn) == before


def test_usage_errors_exit_2(cli, sqlite_url):
    with pytest.raises(SystemExit) as exited:
        cli("summary", "--db", sqlite_url, "--level", "county", "--month", "2025-01")
    assert exited.value.code == 2
    with pytest.raises(SystemExit) as exited:
        cli("summary", "--db", sqlite_url, "--level", "la", "--month", "March")
    assert exited.value.code == 2


def test_every_command_has_help(capsys):
    from app.cli import build_parser

    commands = [
        ["init"],
        ["geography", "load"],
        ["ingest", "home-office"],
        ["ingest", "properties"],
        ["ingest", "public-stats"],
        ["summary"],
        ["check-property"],
        ["report"],
        ["users", "add"],
        ["users", "list"],
        ["users", "remove"],
        ["serve"],
        ["demo"],
        ["generate"],
    ]
    for command in commands:
        with pytest.raises(SystemExit) as exited:
            build_parser().parse_args([*command, "--help"])
        assert exited.value.code == 0
        assert "usage: python -m app " + " ".join(command) in capsys.readouterr().out
