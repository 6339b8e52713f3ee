"""Load semantics through the CLI on SQLite and PostgreSQL: refusals leave the store exactly as it was,
the same file twice changes nothing, a corrected file replaces its month and the old one stays in the history."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from app.store import db, queries


@pytest.fixture
def region_facts(synthetic_region):
    lads = pd.read_csv(synthetic_region.truth_dir / "lads.csv")
    sectors = pd.read_csv(synthetic_region.truth_dir / "sector_wards.csv")
    la = lads.iloc[0]
    within = sectors.merge(pd.read_csv(synthetic_region.truth_dir / "wards.csv"), on="ward_code")
    own = sorted(within.loc[within["lad_code"] == la["lad_code"], "postcode_sector"].unique())
    other = lads.iloc[1]
    other_own = sorted(within.loc[within["lad_code"] == other["lad_code"], "postcode_sector"].unique())
    return {
        "la": la["lad_name"],
        "la_code": la["lad_code"],
        "sectors": own[:4],
        "other": other["lad_name"],
        "other_code": other["lad_code"],
        "other_sectors": other_own[:3],
    }


def _csv(
    path: Path, rows: list[list], header=("month", "local_authority", "postcode_sector", "accommodation_type", "people")
) -> Path:
    path.write_text("\n".join(",".join(map(str, r)) for r in [list(header), *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def loaded(cli, load_synthetic, db_url, synthetic_region, region_facts, tmp_path):
    """A store with the geography and one month for one LA."""
    assert load_synthetic(db_url, synthetic_region)[0] == 0
    f = region_facts
    first = _csv(
        tmp_path / "HO_first_2025-03.csv",
        [["2025-03", f["la"], s, "Dispersal", 10 + i] for i, s in enumerate(f["sectors"])],
    )
    code, _, err = cli("ingest", "home-office", "--db", db_url, first)
    assert code == 0, err
    return db_url


def _snapshot(url: str):
    with db.connect(url).connect() as conn:
        return queries.snapshot(conn)


BAD_HOME_OFFICE = {
    "bad count": (
        lambda f: [["2025-03", f["la"], f["sectors"][0], "Dispersal", "many"]],
        "row 2, column 'people': 'many' is not a number",
    ),
    "negative count": (
        lambda f: [["2025-03", f["la"], f["sectors"][0], "Dispersal", -3]],
        "row 2, column 'people': '-3' is negative",
    ),
    "unreadable sector": (
        lambda f: [["2025-03", f["la"], "XX", "Dispersal", 3]],
        "row 2, column 'postcode_sector': 'XX' is not a postcode sector",
    ),
    "district for a sector": (
        lambda f: [["2025-03", f["la"], "ZX1", "Dispersal", 3]],
        "'ZX1' is a postcode district, not a sector",
    ),
    "unknown local authority": (
        lambda f: [["2025-03", "Middlesborough", f["sectors"][0], "Dispersal", 3]],
        "row 2, column 'local_authority': local authority 'Middlesborough' (row 2) is not a local "
        "authority in the loaded geography",
    ),
    "months disagree": (lambda f: [["2025-04", f["la"], f["sectors"][0], "Dispersal", 3]], "2025-04"),
}


@pytest.mark.parametrize("kind", sorted(BAD_HOME_OFFICE))
def test_each_kind_of_bad_home_office_file_is_refused_and_changes_nothing(kind, cli, loaded, region_facts, tmp_path):
    rows, expected = BAD_HOME_OFFICE[kind]
    path = _csv(tmp_path / "HO_bad_2025-03.csv", rows(region_facts))
    before = _snapshot(loaded)
    code, _, err = cli("ingest", "home-office", "--db", loaded, path)
    assert code == 1
    assert "HO_bad_2025-03.csv" in err and expected in err, err
    assert "Traceback" not in err
    assert _snapshot(loaded) == before


def test_missing_column_no_month_corrupt_and_empty_files_are_refused(cli, loaded, region_facts, tmp_path):
    f = region_facts
    before = _snapshot(loaded)
    cases = {
        _csv(
            tmp_path / "HO_nocount_2025-03.csv",
            [["2025-03", f["la"], f["sectors"][0]]],
            header=("month", "local_authority", "postcode_sector"),
        ): "no column with the number of people",
        _csv(
            tmp_path / "nomonth.csv",
            [[f["la"], f["sectors"][0], 3]],
            header=("local_authority", "postcode_sector", "people"),
        ): "--month",
    }
    corrupt = tmp_path / "HO_corrupt_2025-03.xlsx"
    corrupt.write_bytes(b"PK\x03\x04 this is not really a workbook")
    cases[corrupt] = "HO_corrupt_2025-03.xlsx"
    empty = tmp_path / "HO_empty_2025-03.csv"
    empty.write_bytes(b"")
    cases[empty] = "empty"
    for path, expected in cases.items():
        code, _, err = cli("ingest", "home-office", "--db", loaded, path)
        assert code == 1 and expected in err and path.name in err, (path.name, err)
    assert _snapshot(loaded) == before


def test_bad_property_lists_are_refused_and_change_nothing(cli, loaded, synthetic_region, tmp_path):
    units = pd.read_csv(synthetic_region.truth_dir / "postcode_units.csv")
    before = _snapshot(loaded)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Property List"
    sheet.append(["Property Ref", "Address Line 1", "Postcode", "Bedspaces", "Occupancy", "Status"])
    sheet.append(["MRS-1", "1 High Street", units["postcode"].iloc[0], "4", "3", "Occupied"])
    sheet.append(["MRS-1", "2 High Street", units["postcode"].iloc[1], "2", "2", "Occupied"])
    sheet.append(["MRS-3", "3 High Street", units["postcode"].iloc[2], "lots", "2", "Occupied"])
    path = tmp_path / "Mears_2025Q1.xlsx"
    book.save(path)
    code, _, err = cli("ingest", "properties", "--db", loaded, path, "--provider", "Mears")
    assert code == 1
    assert "Mears_2025Q1.xlsx, sheet 'Property List', row 4, column 'Bedspaces'" in err, err
    assert "row 3, column 'Property Ref': rows 2 and 3 have the same property reference 'MRS-1'" in err
    code, _, err = cli("ingest", "properties", "--db", loaded, path, "--provider", "Mears", "--quarter", "2025Q3")
    assert code == 1 and "2025Q1" in err and "2025Q3" in err
    assert _snapshot(loaded) == before


def test_same_file_twice_changes_nothing(cli, loaded, region_facts, tmp_path):
    f = region_facts
    path = _csv(tmp_path / "HO_other_2025-03.csv", [["2025-03", f["other"], f["other_sectors"][0], "Dispersal", 7]])
    assert cli("ingest", "home-office", "--db", loaded, path)[0] == 0
    before = _snapshot(loaded)
    code, out, _ = cli("ingest", "home-office", "--db", loaded, path)
    assert code == 0 and "already loaded" in out
    assert _snapshot(loaded) == before


def test_corrected_file_replaces_its_month_for_its_la_only(cli, loaded, region_facts, tmp_path):
    f = region_facts
    other = _csv(tmp_path / "HO_other_2025-03.csv", [["2025-03", f["other"], f["other_sectors"][0], "Dispersal", 7]])
    assert cli("ingest", "home-office", "--db", loaded, other)[0] == 0
    corrected = _csv(
        tmp_path / "HO_first_corrected_2025-03.csv", [["2025-03", f["la"], f["sectors"][0], "Dispersal", 99]]
    )
    code, out, _ = cli("ingest", "home-office", "--db", loaded, corrected)
    assert code == 0 and f"for {f['la_code']} (kept in the history)" in out
    with db.connect(loaded).connect() as conn:
        history = queries.load_history(conn)
        records = queries.ho_records(conn, months=["2025-03"])
    ho = history[history["kind"] == "home_office"].set_index("file_name")
    assert ho.loc["HO_first_2025-03.csv", "status"] == "superseded"
    assert ho.loc["HO_first_corrected_2025-03.csv", "status"] == "active"
    assert ho.loc["HO_other_2025-03.csv", "status"] == "active"
    by_la = records.groupby("lad_code")["people"].sum()
    assert by_la[f["la_code"]] == 99 and by_la[f["other_code"]] == 7
    code, out, _ = cli("summary", "--db", loaded, "--level", "la", "--month", "2025-03")
    row = [line for line in out.splitlines() if line.startswith(f"la,{f['la_code']},")][0]
    assert ",99.0," in row


def test_unknown_sector_is_loaded_as_a_data_quality_record(cli, loaded, region_facts, tmp_path):
    f = region_facts
    path = _csv(
        tmp_path / "HO_odd_2025-04.csv",
        [["2025-04", f["la"], f["sectors"][0], "Dispersal", 5], ["2025-04", f["la"], "ZX99 9", "Dispersal", 4]],
    )
    code, out, _ = cli("ingest", "home-office", "--db", loaded, path)
    assert code == 0 and "1 data-quality note" in out
    with db.connect(loaded).connect() as conn:
        problems = queries.problems(conn)
    note = problems[problems["file_name"] == "HO_odd_2025-04.csv"].iloc[0]
    assert note["row"] == 3 and "ZX99 9 is not a known sector" in note["message"]
    code, out, _ = cli("summary", "--db", loaded, "--level", "la", "--month", "2025-04", "--la", f["la_code"])
    assert ",9.0," in out  # the LA still counts the 4 people whose sector is unknown


def test_public_stats_load_through_the_cli(cli, sqlite_url, reference):
    code, out, err = cli("ingest", "public-stats", "--db", sqlite_url, reference / "asylum_support_la.csv")
    assert code == 0, err
    assert "loaded 21,743 rows" in out and "people in the latest quarter: 109,024" in out
    assert "already loaded" in cli("ingest", "public-stats", "--db", sqlite_url, reference / "asylum_support_la.csv")[1]


def test_real_north_east_sectors_ingest_and_summarise(cli, load_north_east, db_url, reference, tmp_path):
    assert load_north_east(db_url)[0] == 0
    lookup = pd.read_csv(reference / "postcode_sector_ward24_lookup.csv")
    middlesbrough = lookup[lookup["lad24_code"] == "E06000002"].groupby("postcode_sector")["lad24_code"].nunique()
    sectors = sorted(middlesbrough.index)[:6]
    rows = [["2025-03", "Middlesbrough", s, "Dispersal Accommodation", 12] for s in sectors]
    rows.append(["2025-03", "Stockton-on-Tees", "TS18 1", "Dispersal Accommodation", 5])
    path = _csv(tmp_path / "HO_TeesValley_2025-03.csv", rows)
    code, out, err = cli("ingest", "home-office", "--db", db_url, path)
    assert code == 0, err
    assert "Middlesbrough" in out and "Stockton-on-Tees" in out
    code, out, _ = cli("summary", "--db", db_url, "--level", "la", "--month", "2025-03", "--la", "E06000002")
    line = out.splitlines()[1].split(",")
    assert line[:3] == ["la", "E06000002", "Middlesbrough"] and float(line[5]) == 72 and line[6] == "143930"
    code, out, _ = cli("summary", "--db", db_url, "--level", "ward", "--month", "2025-03", "--la", "E06000002")
    wards = pd.read_csv(pd.io.common.StringIO(out))
    assert len(wards) == 20 and wards["people"].sum() == pytest.approx(72)
    assert set(wards["method"].dropna()) <= {"postcodes", "direct"}


def test_disagreement_with_the_provider_list_is_a_data_quality_note(
    cli, loaded, synthetic_region, region_facts, tmp_path
):
    units = pd.read_csv(synthetic_region.truth_dir / "postcode_units.csv")
    f = region_facts
    unit = units[(units["postcode_sector"] == f["sectors"][1]) & (units["lad_code"] == f["la_code"])].iloc[0]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Property Ref", "Address Line 1", "Postcode", "Bedspaces", "Occupancy", "Status"])
    sheet.append(["MRS-9", "9 Mill Lane", unit["postcode"], 4, 3, "Occupied"])
    lists = tmp_path / "Mears_2025Q2.xlsx"
    book.save(lists)
    assert cli("ingest", "properties", "--db", loaded, lists, "--provider", "Mears")[0] == 0
    path = _csv(tmp_path / "HO_check_2025-06.csv", [["2025-06", f["la"], f["sectors"][1], "Dispersal", 10]])
    code, out, _ = cli("ingest", "home-office", "--db", loaded, path)
    assert code == 0
    assert (
        f"sector {f['sectors'][1]} in {f['la']}: the Home Office count is 10 but the provider's list for 2025Q2 "
        "shows 3 people in dispersal properties there"
    ) in out
    with db.connect(loaded).connect() as conn:
        problems = queries.problems(conn)
    assert (problems["code"] == "provider_mismatch").sum() == 1


def test_reconcile_against_the_published_table(cli, load_north_east, sqlite_url, reference, tmp_path):
    assert load_north_east(sqlite_url)[0] == 0
    assert cli("ingest", "public-stats", "--db", sqlite_url, reference / "asylum_support_la.csv")[0] == 0
    published = pd.read_csv(reference / "asylum_support_la.csv")
    expected = int(
        published[(published["LAD Code"] == "E06000002") & (published["Date"] == "2024-09-30")]["People"].sum()
    )
    rows = [
        ["2024-09", "Middlesbrough", "TS1 3", "Dispersal", expected - 40],
        ["2024-09", "Middlesbrough", "TS1 4", "Contingency", 40],
        ["2024-09", "Hartlepool", "TS24 7", "Dispersal", 5],
    ]
    assert cli("ingest", "home-office", "--db", sqlite_url, _csv(tmp_path / "HO_tees_2024-09.csv", rows))[0] == 0
    code, out, err = cli("reconcile", "--db", sqlite_url, "--month", "2024-09", "--against", "published")
    assert code == 0
    table = pd.read_csv(pd.io.common.StringIO(out)).set_index("lad_code")
    assert table.loc["E06000002", "home_office"] == expected == table.loc["E06000002", "published"]
    assert not table.loc["E06000002", "mismatch"]
    assert table.loc["E06000001", "mismatch"]  # 5 against Hartlepool's published hundreds
    # The other ten North East LAs sent no restricted file: not compared, never "0 against hundreds".
    assert set(table.index) == {"E06000001", "E06000002"}
    assert "not compared, no restricted file for 2024-09: " in err and "Stockton-on-Tees" in err
    october = [["2024-10", "Middlesbrough", "TS1 3", "Dispersal", 7]]
    assert cli("ingest", "home-office", "--db", sqlite_url, _csv(tmp_path / "HO_2024-10.csv", october))[0] == 0
    code, out, err = cli("reconcile", "--db", sqlite_url, "--month", "2024-10", "--against", "published")
    assert code == 1 and out == ""
    assert "no published figures for 2024-10" in err
