"""Old Excel (.xls, BIFF8) workbooks, as some council systems still export them."""

from __future__ import annotations

import pytest
import xlwt

from app.problems import InputRefused
from app.readers.home_office import read_home_office
from app.readers.properties import read_properties


def _xls(path, sheets: dict[str, list[list]]):
    book = xlwt.Workbook()
    for name, rows in sheets.items():
        sheet = book.add_sheet(name)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                sheet.write(i, j, value)
    book.save(str(path))
    return path


def test_home_office_xls_with_banner_notes_sheet_and_suppression(tmp_path):
    path = _xls(
        tmp_path / "HO_Middlesbrough.xls",
        {
            "Notes": [["These figures are OFFICIAL-SENSITIVE."]],
            "Data": [
                ["OFFICIAL-SENSITIVE"],
                ["Position as at 31 March 2025"],
                [],
                ["PC Sector", "Local Authority", "Accommodation Type", "No. of people", "Country of Origin"],
                ["TS1 3", "Middlesbrough", "Dispersal", 12, "Eritrea"],
                ["ts13", "Middlesbrough", "Dispersal", "<5", "Iran"],
                ["TS1 4XX", "Middlesbrough", "Initial Accommodation", 3, "Sudan"],
                ["Total", "", "", 19],
            ],
        },
    )
    result = read_home_office(path)
    table = result.table
    assert result.meta["month"] == "2025-03" and result.meta["sheet"] == "Data"
    assert list(table["postcode_sector"]) == ["TS1 3", "TS1 3", "TS1 4"]
    assert list(table["people"]) == [12.0, 2.5, 3.0]
    assert list(table["suppressed"]) == [False, True, False]
    assert list(table["accommodation_type"]) == ["dispersal", "dispersal", "initial"]
    assert list(table["source_row"]) == [5, 6, 7]


def test_property_list_xls(tmp_path):
    path = _xls(
        tmp_path / "Mears_2025Q2.xls",
        {
            "Property List": [
                ["Property Ref", "Address Line 1", "Town", "Postcode", "Bedspaces", "Occupancy", "Status"],
                ["MRS-1", "1 High Street", "Middlesbrough", "TS1 3AB", "4 beds", 3, "Occupied"],
            ]
        },
    )
    table = read_properties(path, provider="Mears").table
    assert table["bedspaces"].tolist() == [4] and table["postcode"].tolist() == ["TS1 3AB"]
    assert table["quarter"].tolist() == ["2025Q2"]


def test_bad_count_in_xls_names_sheet_row_and_column(tmp_path):
    path = _xls(
        tmp_path / "HO_2025-03.xls",
        {
            "Data": [
                ["Postcode Sector", "People"],
                ["TS1 3", "twelve"],
            ]
        },
    )
    with pytest.raises(InputRefused) as refused:
        read_home_office(path)
    assert "HO_2025-03.xls, sheet 'Data', row 2, column 'People': 'twelve' is not a number" in str(refused.value)
