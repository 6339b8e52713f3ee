"""The synthetic region and its two years of activity: deterministic, gap-free, and true to its own truth.

The files are read back here with plain pandas/geopandas, never through the
project's readers (other tests do that), so that a reader bug cannot hide a
generator bug or the other way round.
"""

from __future__ import annotations

import calendar
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from app.synthetic.activity import generate_activity, generate_national_month, generate_property_list
from app.synthetic.region import RegionFiles, generate_region

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
GSS = re.compile(r"^[EW][0-9]{8}$")
UNIT = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$")
HO_DISPERSAL = {"Dispersal Accommodation", "Dispersed"}
QUARTER_END_MONTHS = ("03", "06", "09", "12")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[RegionFiles, Path]:
    root = tmp_path_factory.mktemp("synthetic")
    region = generate_region(root / "region", seed=1)
    generate_activity(region, root / "activity", seed=1)
    return region, root / "activity"


@pytest.fixture(scope="module")
def region(generated: tuple[RegionFiles, Path]) -> RegionFiles:
    return generated[0]


@pytest.fixture(scope="module")
def activity(generated: tuple[RegionFiles, Path]) -> Path:
    return generated[1]


@pytest.fixture(scope="module")
def wards(region: RegionFiles) -> gpd.GeoDataFrame:
    return gpd.read_file(region.wards)


@pytest.fixture(scope="module")
def truth_wards(region: RegionFiles) -> pd.DataFrame:
    return pd.read_csv(region.truth_dir / "wards.csv", dtype={"ward_code": str, "lad_code": str})


@pytest.fixture(scope="module")
def manifest(activity: Path) -> pd.DataFrame:
    return pd.read_csv(activity / "manifest.csv", keep_default_na=False, dtype=str)


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --- determinism ----------------------------------------------------------------------------


def test_same_seed_writes_the_same_bytes(generated: tuple[RegionFiles, Path], tmp_path: Path) -> None:
    region, activity = generated
    again = generate_region(tmp_path / "region", seed=1)
    generate_activity(again, tmp_path / "activity", seed=1)
    first = _files(region.wards.parent) | {f"activity/{k}": v for k, v in _files(activity).items()}
    second = _files(tmp_path / "region") | {f"activity/{k}": v for k, v in _files(tmp_path / "activity").items()}
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []
    assert any(k.endswith(".xlsx") for k in first) and any(k.endswith(".gpkg") for k in first)


def test_a_different_seed_gives_different_data(region: RegionFiles, activity: Path, tmp_path: Path) -> None:
    other = generate_region(tmp_path / "region", seed=2)
    assert other.wards.read_bytes() != region.wards.read_bytes()
    assert other.postcodes.read_bytes() != region.postcodes.read_bytes()
    short = generate_activity(region, tmp_path / "activity", seed=2, months=3)
    mine = pd.read_csv(activity / "truth" / "ward_month.csv")
    theirs = pd.read_csv(short.truth_dir / "ward_month.csv")
    months = sorted(theirs["month"].unique())
    assert months == ["2024-10", "2024-11", "2024-12"]
    mine = mine[mine["month"].isin(months)].reset_index(drop=True)
    assert not mine.equals(theirs)


# --- geography ------------------------------------------------------------------------------


def test_ward_polygons_tile_the_region_without_gaps_or_overlaps(wards: gpd.GeoDataFrame) -> None:
    assert wards.crs.to_epsg() == 27700
    assert list(wards.columns) == ["FID", "WD24CD", "WD24NM", "geometry"]
    geoms = wards.geometry.to_numpy()
    assert shapely.is_valid(geoms).all()
    assert shapely.coverage_is_valid(geoms)
    union = shapely.union_all(geoms)
    assert union.geom_type == "Polygon" and len(union.interiors) == 0
    assert union.area == pytest.approx(shapely.area(geoms).sum(), rel=1e-9)
    xmin, ymin, xmax, ymax = union.bounds
    assert 300_000 < xmin < xmax < 600_000 and 200_000 < ymin < ymax < 500_000


def test_codes_are_gss_shaped_but_not_real(region: RegionFiles, truth_wards: pd.DataFrame) -> None:
    lads = gpd.read_file(region.lads)
    assert lads.crs.to_epsg() == 27700
    assert {"LAD24CD", "LAD24NM", "RGN24CD", "RGN24NM"} <= set(lads.columns)
    assert set(lads["RGN24CD"]) == {"E12000099"} and set(lads["RGN24NM"]) == {"Northmoor"}
    codes = [*truth_wards["ward_code"], *lads["LAD24CD"]]
    assert all(GSS.match(c) for c in codes)
    real_lads = set(gpd.read_file(REFERENCE / "lad.geojson")["lad_code"])
    real_wards = set(pd.read_csv(REFERENCE / "population.csv", usecols=["area_code"])["area_code"])
    assert not set(codes) & (real_lads | real_wards)
    assert len(lads) == 6 and 100 <= len(truth_wards) <= 140


def test_populations_are_in_range_and_add_up(region: RegionFiles, truth_wards: pd.DataFrame) -> None:
    population = pd.read_csv(region.population)
    assert list(population.columns) == [
        "area_code",
        "area_name",
        "level",
        "population",
        "population_0_17",
        "source_year",
    ]
    assert set(population["source_year"]) == {2021}
    ward_rows = population[population["level"] == "ward"].merge(
        truth_wards[["ward_code", "lad_code"]], left_on="area_code", right_on="ward_code"
    )
    lad_rows = population[population["level"] == "lad"].set_index("area_code")
    assert len(ward_rows) == len(truth_wards)
    assert ward_rows["population"].between(4_000, 15_000).all()
    assert lad_rows["population"].between(80_000, 500_000).all()
    for rows in (ward_rows, lad_rows):
        share = rows["population_0_17"] / rows["population"]
        assert share.between(0.18, 0.26).all()
    summed = ward_rows.groupby("lad_code")[["population", "population_0_17"]].sum()
    pd.testing.assert_frame_equal(
        summed, lad_rows.loc[summed.index, ["population", "population_0_17"]], check_names=False
    )
    assert lad_rows.reset_index()["population"].nunique() == 6
    assert ward_rows.groupby("lad_code").size().nunique() > 1


def test_las_are_exact_unions_of_their_wards(
    region: RegionFiles, wards: gpd.GeoDataFrame, truth_wards: pd.DataFrame
) -> None:
    lads = gpd.read_file(region.lads).set_index("LAD24CD")
    lad_of = dict(zip(truth_wards["ward_code"], truth_wards["lad_code"]))
    for code, group in wards.groupby(wards["WD24CD"].map(lad_of)):
        merged = shapely.union_all(group.geometry.to_numpy())
        assert merged.geom_type == "Polygon", f"{code} is not contiguous"
        assert shapely.symmetric_difference(merged, lads.geometry[code]).area < 1.0


def test_postcode_units_lie_in_their_wards_and_sectors(
    region: RegionFiles, wards: gpd.GeoDataFrame, truth_wards: pd.DataFrame
) -> None:
    units = pd.read_csv(region.postcodes)
    assert list(units.columns) == ["pcds", "lat", "long", "osward", "oslaua"]
    assert units["pcds"].str.match(UNIT).all() and units["pcds"].is_unique
    assert units["pcds"].str[:2].eq("ZX").all()
    districts = units["pcds"].str.split(" ").str[0].str[2:].astype(int)
    assert districts.min() == 1 and districts.max() <= 40
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(units["long"], units["lat"])
    points = gpd.GeoDataFrame(units, geometry=gpd.points_from_xy(x, y), crs=27700)
    placed = gpd.sjoin(points, wards[["WD24CD", "geometry"]], predicate="within", how="left")
    assert len(placed) == len(units)
    assert (placed["WD24CD"] == placed["osward"]).all()
    lad_of = dict(zip(truth_wards["ward_code"], truth_wards["lad_code"]))
    assert (units["osward"].map(lad_of) == units["oslaua"]).all()
    per_ward = units.groupby("osward").size()
    expected = truth_wards.set_index("ward_code")["population"] / 40
    assert ((per_ward.reindex(expected.index) - expected).abs() <= 1).all()

    sector_wards = pd.read_csv(region.truth_dir / "sector_wards.csv")
    units["sector"] = units["pcds"].str[:-2]
    seen = units.groupby(["sector", "osward"]).size().rename("n").reset_index()
    both = seen.merge(
        sector_wards,
        left_on=["sector", "osward"],
        right_on=["postcode_sector", "ward_code"],
        how="outer",
        indicator=True,
    )
    assert (both["_merge"] == "both").all()
    assert (both["n"] == both["n_postcodes"]).all()


def test_sectors_straddle_wards_and_a_few_straddle_las(region: RegionFiles, truth_wards: pd.DataFrame) -> None:
    sector_wards = pd.read_csv(region.truth_dir / "sector_wards.csv").merge(truth_wards[["ward_code", "lad_code"]])
    per_sector = sector_wards.groupby("postcode_sector").agg(
        wards=("ward_code", "nunique"), las=("lad_code", "nunique"), units=("n_postcodes", "sum")
    )
    assert per_sector["wards"].between(2, 4).mean() > 0.6
    assert (per_sector["las"] > 1).sum() >= 3
    assert (per_sector["las"] > 1).mean() < 0.3
    assert per_sector["units"].between(50, 600).all()


# --- activity truth -------------------------------------------------------------------------


def test_quarter_end_counts_equal_the_property_lists(activity: Path, truth_wards: pd.DataFrame) -> None:
    truth = activity / "truth"
    groups = pd.read_csv(truth / "home_office_groups.csv")
    ward_month = pd.read_csv(truth / "ward_month.csv")
    quarter_ends = sorted(m for m in groups["month"].unique() if m[-2:] in QUARTER_END_MONTHS)
    assert len(quarter_ends) == 8
    for month in quarter_ends:
        quarter = f"{month[:4]}Q{int(month[-2:]) // 3}"
        props = pd.read_csv(truth / f"properties_{quarter}.csv")
        in_use = props[(props["status"] == "in use")]
        assert (in_use["occupied"] > 0).all() and (in_use["occupied"] <= in_use["bedspaces"]).all()
        assert (props.loc[props["status"] != "in use", "occupied"] == 0).all()
        for kind in ("dispersal", "initial", "contingency"):
            listed = (
                in_use[in_use["accommodation_type"] == kind].groupby(["lad_code", "postcode_sector"])["occupied"].sum()
            )
            counted = (
                groups[(groups["month"] == month) & (groups["accommodation_type"] == kind)]
                .groupby(["lad_code", "postcode_sector"])["people"]
                .sum()
            )
            pd.testing.assert_series_equal(listed.sort_index(), counted.sort_index(), check_names=False)
        by_ward = in_use[in_use["accommodation_type"] == "dispersal"].groupby("ward_code")["occupied"].sum()
        wards_now = ward_month[(ward_month["month"] == month) & (ward_month["accommodation_type"] == "dispersal")]
        wards_now = wards_now.set_index("ward_code")["people"]
        pd.testing.assert_series_equal(by_ward.reindex(wards_now.index, fill_value=0), wards_now, check_names=False)
        assert set(props["status"]) >= {"in use", "void"}
    statuses = set().union(*(set(pd.read_csv(p)["status"]) for p in truth.glob("properties_*.csv")))
    assert statuses == {"in use", "void", "proposed", "handed back"}


def test_mid_quarter_months_drift_from_the_lists(activity: Path) -> None:
    ward_month = pd.read_csv(activity / "truth" / "ward_month.csv")
    dispersal = ward_month[ward_month["accommodation_type"] == "dispersal"].pivot(
        index="ward_code", columns="month", values="people"
    )
    assert (dispersal["2025-02"] != dispersal["2025-03"]).sum() > 10
    assert (dispersal["2025-02"] != dispersal["2024-12"]).sum() > 10


def test_properties_change_between_quarters(activity: Path) -> None:
    truth = activity / "truth"
    q1 = pd.read_csv(truth / "properties_2025Q1.csv")
    q2 = pd.read_csv(truth / "properties_2025Q2.csv")
    use1 = q1[q1["status"].isin(["in use", "void"])].set_index("property_ref")
    use2 = q2[q2["status"].isin(["in use", "void"])].set_index("property_ref")
    assert len(use2.index.difference(use1.index)) > 0
    gone = use1.index.difference(use2.index)
    assert len(gone) > 0
    assert set(q2.set_index("property_ref").loc[gone, "status"]) == {"handed back"}
    both = use1.index.intersection(use2.index)
    assert (use1.loc[both, "bedspaces"] != use2.loc[both, "bedspaces"]).any()
    assert use1["bedspaces"].between(1, 8).all() or (use1["accommodation_type"] != "dispersal").any()
    dispersal = use1[use1["accommodation_type"] == "dispersal"]
    assert dispersal["bedspaces"].between(1, 8).all()
    assert set(dispersal["property_type"]) >= {"House", "Flat", "HMO"}


def test_the_demo_story_holds(activity: Path, region: RegionFiles, truth_wards: pd.DataFrame) -> None:
    la_month = pd.read_csv(activity / "truth" / "la_month.csv")
    population = pd.read_csv(region.truth_dir / "lads.csv").set_index("lad_code")["population"]
    dispersal = la_month[la_month["accommodation_type"] == "dispersal"].pivot(
        index="month", columns="lad_code", values="people"
    )
    share = dispersal / (population[dispersal.columns] / 200)
    over = share.columns[(share > 1.15).all()]
    assert len(over) == 1 and (share.drop(columns=over) < 1.0).all().all()
    approaching = share.columns[((share >= 0.8) & (share < 1.0)).all()]
    assert len(approaching) == 1
    rest = share.drop(columns=[*over, *approaching])
    growth = rest.iloc[-1] - rest.iloc[0]
    growing = growth.idxmax()
    assert growth[growing] > 0.25 and rest[growing].iloc[-1] >= 0.7
    quarter_ends = rest.loc[[m for m in rest.index if m[-2:] in QUARTER_END_MONTHS], growing]
    assert quarter_ends.is_monotonic_increasing
    others = rest.drop(columns=growing)
    assert (others < 0.7).all().all() and len(others.columns) == 3
    total = la_month.groupby("month")["people"].sum() / population.sum()
    assert total.between(0.003, 0.005).all()
    ward_month = pd.read_csv(activity / "truth" / "ward_month.csv")
    last = ward_month[(ward_month["month"] == share.index[-1]) & (ward_month["accommodation_type"] == "dispersal")]
    last = last.merge(truth_wards[["ward_code", "population"]])
    far_over = last[(last["lad_code"] == over[0]) & (last["people"] > 2 * last["population"] / 200)]
    assert len(far_over) >= 2


# --- the files as written -------------------------------------------------------------------


def _month_of_title(text: str) -> str:
    match = re.search(r"Position as at (\d{1,2}) ([A-Za-z]+) (\d{4})", text)
    month = list(calendar.month_name).index(match.group(2))
    assert int(match.group(1)) == calendar.monthrange(int(match.group(3)), month)[1]
    return f"{match.group(3)}-{month:02d}"


def _below_banner(path: Path, header_index: int, **kwargs) -> pd.DataFrame:
    raw = pd.read_excel(path, header=None, engine="calamine", dtype=str, **kwargs)
    table = raw.iloc[header_index + 1 :].copy()
    table.columns = raw.iloc[header_index]
    stop = table.index[table.iloc[:, 0].eq("Total")][0]
    return table.loc[: stop - 1].dropna(how="all"), raw


def _read_home_office(path: Path, layout: str) -> tuple[pd.Series, pd.Series, str | None]:
    """(people as written, is dispersal, month written inside) using plain pandas per layout."""
    if layout == "long_csv":
        table = pd.read_csv(path, dtype=str)
        return table["people"], table["accommodation_type"].isin(HO_DISPERSAL), table["month"].unique().item()
    if layout == "synonyms_cp1252_csv":
        table = pd.read_csv(path, dtype=str, encoding="cp1252")
        return table["No. of people"], table["Accommodation"].isin(HO_DISPERSAL), None
    if layout == "suppressed_csv":
        table = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
        month = pd.to_datetime(table["Month"].unique().item(), format="%B %Y").strftime("%Y-%m")
        return table["People"], table["Accommodation Type"].isin(HO_DISPERSAL), month
    if layout == "notes_sheet_xlsx":
        table = pd.read_excel(path, sheet_name="Data", engine="calamine")
        month = table["As at"].dt.strftime("%Y-%m").unique().item()
        return table["Count"].astype(str), table["Accommodation Type"].isin(HO_DISPERSAL), month
    table, raw = _below_banner(path, 4)
    people = table["Total"] if layout == "wide_xlsx" else table["People"]
    return people, table["Accommodation Type"].isin(HO_DISPERSAL), _month_of_title(raw.iloc[2, 0])


def test_home_office_files_add_up_to_the_truth(activity: Path, manifest: pd.DataFrame) -> None:
    la_month = pd.read_csv(activity / "truth" / "la_month.csv")
    total = la_month.groupby(["month", "lad_code"])["people"].sum()
    dispersal = la_month[la_month["accommodation_type"] == "dispersal"].set_index(["month", "lad_code"])["people"]
    files = manifest[manifest["kind"] == "home_office"]
    assert len(files) == 6 * 24 and not files.duplicated(["month", "la_code"]).any()
    assert set(files["layout"]) == {
        "long_csv",
        "banner_xlsx",
        "synonyms_cp1252_csv",
        "notes_sheet_xlsx",
        "wide_xlsx",
        "suppressed_csv",
        "suppressed_xlsx",
    }
    assert files.groupby("la_code")["layout"].nunique().min() >= 2
    assert files.loc[files["suppressed"] == "True", "la_code"].nunique() == 1
    for row in files.itertuples():
        path = activity / row.path
        assert row.month in path.name
        written, is_dispersal, inside = _read_home_office(path, row.layout)
        assert inside in (None, row.month), path.name
        key = (row.month, row.la_code)
        masked = ~written.str.fullmatch(r"\d+")
        known = pd.to_numeric(written.where(~masked)).fillna(0)
        if row.suppressed == "True":
            assert set(written[masked]) == {row.marker}
            assert known.sum() + masked.sum() <= total[key] <= known.sum() + 4 * masked.sum()
        else:
            assert not masked.any()
            assert known.sum() == total[key], path.name
            assert known[is_dispersal.to_numpy()].sum() == dispersal[key], path.name


def test_messy_variants_are_really_messy(activity: Path, manifest: pd.DataFrame) -> None:
    files = manifest[manifest["layout"] == "synonyms_cp1252_csv"]
    raw = b"".join((activity / p).read_bytes() for p in files["path"])
    assert b"\xa0" in raw and b"C\xf4te d'Ivoire" in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    sectors = pd.concat(pd.read_csv(activity / p, dtype=str, encoding="cp1252")["PC Sector"] for p in files["path"])
    assert sectors.str.fullmatch(r"ZX\d{2,3}").any() and sectors.str.contains("  ").any()
    assert sectors.str.match(r"^zx").any() and sectors.str.endswith("XX").any()
    suppressed = manifest[manifest["layout"] == "suppressed_csv"]["path"].iloc[0]
    assert (activity / suppressed).read_bytes().startswith(b"\xef\xbb\xbf")


def _read_property_list(path: Path, provider: str) -> pd.DataFrame:
    """(postcode, bedspaces, occupied, status word) per property, with plain pandas."""
    if provider == "Mears":
        table = pd.read_excel(path, sheet_name="Property List", header=5, engine="calamine", dtype=str)
        table = table.loc[: table.index[table["Property Ref"].eq("Total")][0] - 1].dropna(how="all")
        return pd.DataFrame(
            {
                "postcode": table["Postcode"].str.upper().str.replace(" ", ""),
                "bedspaces": table["Bedspaces"].astype(float),
                "occupied": table["Occupancy"].astype(float),
                "status": table["Status"],
            }
        )
    if provider == "Serco":
        table = pd.read_excel(path, header=5, engine="calamine", dtype=str).dropna(subset=["Beds"])
        return pd.DataFrame(
            {
                "postcode": table["Post Code"].str.upper().str.replace(" ", ""),
                "bedspaces": table["Beds"].str.extract(r"^(\d+) beds?$")[0].astype(float),
                "occupied": pd.to_numeric(table["Occupied"], errors="coerce").fillna(0),
                "status": table["Property Status"],
            }
        )
    if path.suffix == ".csv":
        table = pd.read_csv(path, skiprows=3, encoding="utf-8-sig", dtype=str)
    else:
        table = pd.read_excel(path, sheet_name="Data", header=3, engine="calamine", dtype=str)
    return pd.DataFrame(
        {
            "postcode": table["Address"].str.extract(r", (ZX\d+ \d[A-Z]{2})$")[0].str.replace(" ", ""),
            "bedspaces": table["Max Occupancy"].astype(float),
            "occupied": pd.to_numeric(table["Current Occupants"], errors="coerce").fillna(0),
            "status": table["Status"],
        }
    )


def test_property_lists_match_the_truth(activity: Path, manifest: pd.DataFrame) -> None:
    files = manifest[manifest["kind"] == "properties"]
    assert len(files) == 3 * 8 and set(files["provider"]) == {"Mears", "Serco", "Clearsprings"}
    words = {
        "Mears": {"Occupied", "Void", "Pipeline", "Handed Back"},
        "Serco": {"Live", "Empty", "Proposed", "Returned"},
        "Clearsprings": {"Active", "Vacant", "Proposed", "Ended"},
    }
    for row in files.itertuples():
        path = activity / row.path
        assert row.quarter in path.name
        written = _read_property_list(path, row.provider)
        truth = pd.read_csv(activity / "truth" / f"properties_{row.quarter}.csv")
        truth = truth[truth["provider"] == row.provider]
        assert len(written) == len(truth), path.name
        assert written["postcode"].tolist() == truth["postcode"].str.replace(" ", "").tolist()
        assert written["bedspaces"].sum() == truth["bedspaces"].sum()
        assert written["occupied"].sum() == truth["occupied"].sum()
        assert set(written["status"]) <= words[row.provider]
        assert truth["lad_code"].nunique() == 2
    mears = pd.read_excel(
        activity / files[files["provider"] == "Mears"]["path"].iloc[0],
        sheet_name="Property List",
        header=None,
        engine="calamine",
        nrows=4,
    )
    assert re.fullmatch(r"Quarter: Q[1-4] \d{4}/\d{2}", mears.iloc[3, 0])


def test_national_month_and_property_list_writers(region: RegionFiles, tmp_path: Path) -> None:
    csv_path, xlsx_path = generate_national_month(tmp_path, region, rows=3_000)
    from_csv = pd.read_csv(csv_path, dtype=str)
    from_xlsx = pd.read_excel(xlsx_path, engine="calamine", dtype=str)
    assert len(from_csv) == 3_000 and list(from_csv.columns)[0] == "month"
    pd.testing.assert_frame_equal(from_csv, from_xlsx)
    keys = [c for c in from_csv.columns if c not in ("people", "month")]
    assert not from_csv.duplicated(keys).any()
    units = pd.read_csv(region.postcodes)
    assert set(from_csv["postcode_sector"]) <= set(units["pcds"].str[:-2])
    listed = generate_property_list(tmp_path, region, n=400)
    written = _read_property_list(listed, "Mears")
    assert len(written) == 400 and written["bedspaces"].between(1, 8).all()
    assert set(written["postcode"]) <= set(units["pcds"].str.replace(" ", ""))


def test_unknown_scale_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="scale"):
        generate_region(tmp_path, scale="galaxy")
    assert not np.any([p.is_file() for p in tmp_path.rglob("*")])


# --- files as councils receive them (read back with openpyxl and pandas, never the readers) ----------


@pytest.fixture(scope="module")
def received(region: RegionFiles, tmp_path_factory: pytest.TempPathFactory):
    from app.synthetic.activity import generate_received_files

    return generate_received_files(tmp_path_factory.mktemp("received"), region, seed=2)


def _sheet_rows(path: Path) -> list[list[object]]:
    import openpyxl

    return [list(r) for r in openpyxl.load_workbook(path).active.iter_rows(values_only=True)]


def test_received_files_hold_the_truth_in_every_layout(received) -> None:
    from app.synthetic import layouts

    truth = received.truth
    assert set(received.home_office) == set(layouts.RECEIVED_HO_LAYOUTS)
    assert truth["lad_code"].nunique() == 3 and truth["people"].gt(0).all()
    assert not truth.duplicated(["lad_code", *layouts.GROUP_FIELDS]).any()
    total = int(truth["people"].sum())
    for name in ("grand_total_top_csv", "council_names_csv", "coded_breakdowns_csv"):
        frame = pd.read_csv(received.home_office[name], skiprows=2 if name == "grand_total_top_csv" else 0)
        data = frame[frame.iloc[:, 0] != "Grand Total"]
        assert int(data["People"].sum()) == total, name
    blocks = _sheet_rows(received.home_office["la_blocks_xlsx"])
    totals = [r[-1] for r in blocks if r and r[0] == "Total"]
    assert totals == truth.groupby("lad_code")["people"].sum().sort_index().tolist()
    assert [r[-1] for r in blocks if r and r[0] == "Grand Total"] == [total]
    serial = _sheet_rows(received.home_office["serial_month_xlsx"])
    assert {r[0] for r in serial[1:]} == {45747} and received.month == "2025-03"
    titles = [r[0] for r in _sheet_rows(received.home_office["extract_and_position_xlsx"])[:3]]
    assert titles[1:] == ["Extract date: 02/04/2025", "Position as at: 31/03/2025"]
    wide = _sheet_rows(received.home_office["gender_by_age_xlsx"])
    assert wide[2][2] == "Male" and "Female" in wide[2] and wide[3][:2] == ["Local Authority", "Postcode Sector"]
    assert sum(v or 0 for r in wide[4:] for v in r[2:]) == total


def test_received_council_names_and_codes_are_as_written(received, region: RegionFiles) -> None:
    from app.synthetic import layouts

    frame = pd.read_csv(received.home_office["council_names_csv"])
    lads = pd.read_csv(region.truth_dir / "lads.csv")
    names = dict(zip(lads["lad_code"], lads["lad_name"]))
    expected = {layouts.council_name(names[c], i) for i, c in enumerate(sorted(received.truth["lad_code"].unique()))}
    assert set(frame["Council"]) == expected and not set(frame["Council"]) & set(names.values())
    coded = pd.read_csv(received.home_office["coded_breakdowns_csv"])
    assert set(coded["Gender"]) <= {"M", "F"} and set(coded["Household Type"]) <= {"Main Applicant", "Dependant"}
    assert "Section IV" in set(coded["Support Type"]) or "Section 4" not in set(received.truth["support_type"])


def test_received_property_list_has_one_section_per_la_with_totals(received) -> None:
    rows = _sheet_rows(received.properties)
    props = received.property_truth
    totals = [(r[0], r[4], r[5]) for r in rows if r and isinstance(r[0], str) and r[0].endswith(" Total")]
    expected = props.groupby("lad_name").agg(beds=("bedspaces", "sum"), occ=("occupied", "sum"))
    assert totals == [
        (f"{la} Total", int(b), int(o)) for la, b, o in zip(expected.index, expected["beds"], expected["occ"])
    ]
    assert len(totals) == 2
