"""The published Home Office LA table (Asy_D11): the real file and a workbook edition."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from app.problems import InputRefused
from app.readers.public_stats import read_public_stats

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"


@pytest.fixture(scope="module")
def published():
    return read_public_stats(REFERENCE / "asylum_support_la.csv")


def test_reads_every_row_and_quarter_of_the_real_table(published):
    table = published.table
    raw = pd.read_csv(REFERENCE / "asylum_support_la.csv")
    assert len(table) == len(raw) == 21743
    assert table["date"].nunique() == 43
    assert published.meta["latest"] == "2024-09-30"
    assert table.loc[table["date"] == "2024-09-30", "people"].sum() == 109024
    assert table["people"].sum() == raw["People"].sum()


def test_both_spellings_of_subsistence_only_are_one_type(published):
    table = published.table
    spellings = set(table.loc[table["accommodation_type"] == "subsistence", "accommodation_type_as_published"])
    assert {"Subsistence Only", "Subsistence only"} <= spellings
    assert set(table["accommodation_type"]) >= {"dispersal", "initial", "contingency", "subsistence"}


def test_middlesbrough_latest_quarter(published):
    table = published.table
    raw = pd.read_csv(REFERENCE / "asylum_support_la.csv")
    expected = raw[(raw["LAD Code"] == "E06000002") & (raw["Date"] == "2024-09-30")]["People"].sum()
    got = table[(table["lad_code"] == "E06000002") & (table["date"] == "2024-09-30")]["people"].sum()
    assert got == expected > 0


def _workbook(path: Path, rows: list[list]) -> Path:
    book = openpyxl.Workbook()
    cover = book.active
    cover.title = "Cover"
    cover.append(["Immigration system statistics"])
    data = book.create_sheet("Asy_D11")
    for row in rows:
        data.append(row)
    book.save(path)
    return path


HEADER = [
    "Date",
    "Year",
    "Quarter",
    "Support Type",
    "UK Region",
    "Local Authority",
    "LAD Code",
    "Accommodation Type",
    "People",
]


def test_workbook_edition_with_banner_lines_and_notes(tmp_path):
    path = _workbook(
        tmp_path / "asy_d11.xlsx",
        [
            ["Asylum seekers in receipt of support by local authority"],
            ["Source: Home Office"],
            [],
            HEADER,
            [
                "30/09/2024",
                2024,
                3,
                "Section 95",
                "North East",
                "Middlesbrough",
                "E06000002",
                "Dispersal Accommodation",
                1000,
            ],
            [
                "30/09/2024",
                2024,
                3,
                "Section 4",
                "North East",
                "Middlesbrough",
                "E06000002",
                "Dispersal Accommodation",
                35,
            ],
            [],
            ["Notes: figures are as at the end of each quarter."],
        ],
    )
    result = read_public_stats(path)
    assert result.meta["sheet"] == "Asy_D11" and result.meta["header_row"] == 4
    assert list(result.table["people"]) == [1000, 35]
    assert set(result.table["date"]) == {"2024-09-30"}
    assert set(result.table["accommodation_type"]) == {"dispersal"}


def test_bad_rows_are_refused_with_row_and_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        ",".join(HEADER) + "\n"
        "2024-09-30,2024,3,Section 95,North East,Hartlepool,E06000001,Dispersal Accommodation,12\n"
        "2024-09-30,2024,3,Section 95,North East,Darlington,E06000005,Dispersal Accommodation,many\n"
        "someday,2024,3,Section 95,North East,Stockton,E06000004,Dispersal Accommodation,3\n"
    )
    with pytest.raises(InputRefused) as refused:
        read_public_stats(path)
    text = str(refused.value)
    assert "bad.csv, row 3, column 'People': 'many' is not a number" in text
    assert "bad.csv, row 4, column 'Date': 'someday' is not a date" in text


def test_a_file_that_is_not_the_table_is_refused(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("name,value\nx,1\n")
    with pytest.raises(InputRefused) as refused:
        read_public_stats(path)
    assert "other.csv" in str(refused.value) and "People" in str(refused.value)


def test_placeholder_rows_are_noted_and_counted_in_no_la(published):
    table = published.table
    raw = pd.read_csv(REFERENCE / "asylum_support_la.csv", keep_default_na=False)
    placeholder = raw["Local Authority"].str.match(r"^(N/A\b|Unknown$)")
    assert placeholder.sum() > 0
    assert table.loc[placeholder.to_numpy(), "lad_code"].isna().all()
    assert table.loc[~placeholder.to_numpy(), "lad_code"].notna().all()
    (note,) = [w for w in published.warnings if w.code == "placeholder"]
    assert note.severity == "warn" and note.column == "Local Authority"
    assert f"{int(raw.loc[placeholder, 'People'].sum()):,} people" in note.message
    assert "'N/A - Subsistence Only (Dec 2023 - Sep 2024)'" in note.message and "'Unknown'" in note.message


def test_the_local_authorities_counted_are_real_codes_of_the_latest_quarter(published):
    table = published.table
    latest = table[table["date"] == published.meta["latest"]]
    codes = set(latest["lad_code"].dropna())
    assert all(len(c) == 9 and c[0] in "EWSN" for c in codes)
    raw = pd.read_csv(REFERENCE / "asylum_support_la.csv", keep_default_na=False)
    assert len(codes) < raw["LAD Code"].nunique()
    retired = set(raw["LAD Code"]) - set(raw.loc[raw["Date"] == published.meta["latest"], "LAD Code"])
    assert retired and not (retired & codes)
