"""Months as Excel and people write them: serials, date cells, UK text dates, Mar-25, March 2025, file names."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from app.readers.home_office import read_home_office
from app.readers.periods import excel_serial_date, months_in, parse_month


@pytest.mark.parametrize(
    "written,month",
    [
        ("45747", "2025-03"),
        ("45747.0", "2025-03"),
        ("45383", "2024-04"),
        (45658, "2025-01"),
        (dt.datetime(2025, 3, 31), "2025-03"),
        (dt.date(2024, 12, 1), "2024-12"),
        ("2025-03-31 00:00:00", "2025-03"),
        ("02/04/2025", "2025-04"),
        ("31/03/2025", "2025-03"),
        ("2/4/25", "2025-04"),
        ("Mar-25", "2025-03"),
        ("March 2025", "2025-03"),
        ("mar 2025", "2025-03"),
        ("31 March 2025", "2025-03"),
        ("2025-03", "2025-03"),
        ("202503", "2025-03"),
        ("03/2025", "2025-03"),
    ],
)
def test_one_month_from_each_way_of_writing_it(written, month):
    assert parse_month(written) == month


@pytest.mark.parametrize("written", ["12345", "99999", "P12", "", "Q1 2025/26", "1 to 3"])
def test_what_is_not_a_month(written):
    assert parse_month(written) is None


def test_excel_serials_count_from_excels_day_zero():
    assert excel_serial_date("45747") == dt.date(2025, 3, 31)
    assert excel_serial_date("1") is None and excel_serial_date("TS1 3") is None


@pytest.mark.parametrize(
    "name", ["Leeds Mar-25.csv", "HO_March_2025.csv", "return 2025-03.csv", "ho_202503.csv", "asylum 31.03.2025.csv"]
)
def test_the_month_from_a_file_name(csv_file, name):
    assert months_in(Path(name).stem) == ["2025-03"]
    result = read_home_office(csv_file(name, [["Postcode Sector", "People"], ["TS1 3", 4]]))
    assert result.meta["month"] == "2025-03" and result.meta["month_source"] == "file name"


def test_a_date_cell_month_column(xlsx):
    rows = [
        ["Snapshot Date", "Postcode Sector", "People"],
        [dt.datetime(2025, 3, 31), "TS1 3", 4],
        [dt.datetime(2025, 3, 31), "TS1 4", 1],
    ]
    assert read_home_office(xlsx("ho.xlsx", {"Data": rows})).meta["month"] == "2025-03"
