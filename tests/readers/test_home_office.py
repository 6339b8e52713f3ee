"""The Home Office monthly restricted extract: every layout variant of inputs.md §1 and what bad input gets."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from app.cluster.records import HOME_OFFICE_COLUMNS
from app.problems import InputRefused
from app.readers.home_office import SYNONYMS, read_home_office

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
BANNER = [
    ["OFFICIAL-SENSITIVE"],
    ["Asylum seekers in receipt of support, by postcode sector"],
    ["Position as at 31 March 2025"],
    [],
]
HEADER = ["Postcode Sector", "People", "Accommodation Type", "Nationality"]
ROWS = [
    ["TS1 3", 12, "Dispersal Accommodation", "Eritrea"],
    ["TS1 4", 3, "Initial Accommodation", "Iran"],
    ["TS5 6", 7, "Dispersal Accommodation", "Sudan"],
]


def refusal(call) -> InputRefused:
    with pytest.raises(InputRefused) as refused:
        call()
    return refused.value


def test_banner_total_row_and_notes_in_xlsx(xlsx):
    rows = [*BANNER, HEADER, *ROWS, ["Total", 22], [], ["Note: counts under 5 are suppressed"], ["Source: Home Office"]]
    result = read_home_office(xlsx("ho.xlsx", {"Sheet1": rows}))
    table = result.table
    assert list(table.columns) == list(HOME_OFFICE_COLUMNS)
    assert table["postcode_sector"].tolist() == ["TS1 3", "TS1 4", "TS5 6"]
    assert table["people"].tolist() == [12, 3, 7] and not table["suppressed"].any()
    assert table["accommodation_type"].tolist() == ["dispersal", "initial", "dispersal"]
    assert table["source_row"].tolist() == [6, 7, 8] and table["sheet"].unique().tolist() == ["Sheet1"]
    assert table["month"].unique().tolist() == ["2025-03"]
    assert result.meta | {"columns": None} == result.meta | {
        "month": "2025-03",
        "month_source": "title",
        "sheet": "Sheet1",
        "header_row": 5,
        "layout": "long",
        "rows": 3,
        "people": 22.0,
        "total_row": 9,
        "columns": None,
    }
    assert result.warnings == []


def test_total_row_that_disagrees_refuses_the_file_naming_both_figures(csv_file):
    path = csv_file("ho_2025-03.csv", [HEADER, *ROWS, ["Total", 25]])
    with pytest.raises(InputRefused) as refused:
        read_home_office(path)
    (problem,) = refused.value.problems
    assert problem.code == "total_mismatch" and problem.row == 5 and problem.column == "People"
    assert (
        "the 'Total' row says 25 people in the 'People' column, but the rows it sums (rows 2-4) add up to 22"
        in problem.message
    )


@pytest.mark.parametrize(
    "field,synonym",
    [(f, s) for f, names in SYNONYMS.items() for s in names if f not in ("postcode_sector", "people", "month", "age")],
)
def test_every_synonym_of_descriptive_columns(csv_file, field, synonym):
    values = {
        "local_authority": "Middlesbrough",
        "support_type": "S95",
        "accommodation_type": "Dispersed",
        "nationality": "Eritrea",
        "age_band": "18-24",
        "gender": "F",
        "household_type": "Single",
        "uasc": "Yes",
    }
    expected = {"support_type": "Section 95", "accommodation_type": "dispersal", "gender": "Female", "uasc": True}
    path = csv_file("ho_2025-03.csv", [["Sector", "Count", synonym.upper()], ["TS1 3", "4", values[field]]])
    result = read_home_office(path)
    assert result.meta["columns"][field] == synonym.upper()
    assert result.table[field].tolist() == [expected.get(field, values[field])]


@pytest.mark.parametrize("synonym", SYNONYMS["postcode_sector"])
def test_every_sector_synonym(csv_file, synonym):
    result = read_home_office(csv_file("ho_2025-03.csv", [[synonym, "People"], ["TS1 3", "4"]]))
    assert result.table["postcode_sector"].tolist() == ["TS1 3"]


@pytest.mark.parametrize("synonym", SYNONYMS["people"])
def test_every_people_synonym(csv_file, synonym):
    result = read_home_office(csv_file("ho_2025-03.csv", [["Postcode Sector", synonym], ["TS1 3", "4"]]))
    assert result.table["people"].tolist() == [4.0] and result.meta["layout"] == "long"


@pytest.mark.parametrize("synonym", SYNONYMS["month"])
def test_every_month_column_synonym(csv_file, synonym):
    result = read_home_office(csv_file("extract.csv", [["Sector", "People", synonym], ["TS1 3", "4", "31/03/2025"]]))
    assert result.meta["month"] == "2025-03" and result.meta["month_source"] == "column"


def test_age_in_years_is_banded(csv_file):
    ages = ["0", "4", "5", "17", "18", "24", "25", "34", "35", "49", "50", "87", ""]
    path = csv_file("ho_2025-03.csv", [["Sector", "People", "Age"], *[["TS1 3", "1", a] for a in ages]])
    bands = read_home_office(path).table["age_band"].tolist()
    assert bands[:-1] == [
        "0-4",
        "0-4",
        "5-17",
        "5-17",
        "18-24",
        "18-24",
        "25-34",
        "25-34",
        "35-49",
        "35-49",
        "50+",
        "50+",
    ]
    assert pd.isna(bands[-1])
    bad = refusal(
        lambda: read_home_office(csv_file("b_2025-03.csv", [["Sector", "People", "Age"], ["TS1 3", "1", "old"]]))
    )
    assert (bad.problems[0].row, bad.problems[0].column) == (2, "Age")
    assert "'old' is not an age in whole years" in bad.problems[0].message


@pytest.mark.parametrize("written", ["TS1 3", "TS13", "ts1 3", "TS1  3", "TS1 3XX", "ts1 3xx", "TS1\u00a03", " TS1 3 "])
def test_sector_spellings(csv_file, written):
    result = read_home_office(csv_file("ho_2025-03.csv", [["Postcode Sector", "People"], [written, "4"]]))
    assert result.table["postcode_sector"].tolist() == ["TS1 3"]


def test_unreadable_sectors_refuse_listing_every_row(xlsx):
    rows = [*BANNER, HEADER, ["TS1", 4, "", ""], ["TS1 3", 2, "", ""], ["Middlesbrough", 1, "", ""], ["", 3, "", ""]]
    refused = refusal(lambda: read_home_office(xlsx("ho.xlsx", {"March": rows})))
    assert [(p.sheet, p.row, p.column) for p in refused.problems] == [
        ("March", 6, "Postcode Sector"),
        ("March", 8, "Postcode Sector"),
        ("March", 9, "Postcode Sector"),
    ]
    assert "'TS1' is a postcode district, not a sector" in refused.problems[0].message
    assert "'Middlesbrough' is not a postcode sector" in refused.problems[1].message
    assert "the postcode sector is empty" in refused.problems[2].message
    assert str(refused.problems[0]).startswith("ho.xlsx, sheet 'March', row 6, column 'Postcode Sector': 'TS1'")


@pytest.mark.parametrize("marker", ["*", "<5", "c", "[c]", "x", "-", "<3", "< 5", "[x]", "..", "z"])
def test_each_suppressed_marker_is_loaded_as_the_estimate(csv_file, marker):
    path = csv_file("ho_2025-03.csv", [["Sector", "People"], ["TS1 3", "7"], ["TS1 4", marker]])
    result = read_home_office(path)
    assert result.table["people"].tolist() == [7.0, 2.5]
    assert result.table["suppressed"].tolist() == [False, True]
    assert result.table["people_as_written"].tolist()[1] == marker and pd.isna(result.table["people_as_written"][0])
    (warning,) = result.warnings
    assert warning.code == "suppressed" and warning.severity == "warn"
    assert f"1 suppressed count ('{marker}') in row 3: loaded as 2.5 people each" in warning.message


def test_suppressed_warning_summarises_rows(csv_file):
    rows = [["Sector", "People"]] + [["TS1 3", "*" if i % 2 else "1"] for i in range(20)]
    (warning,) = read_home_office(csv_file("ho_2025-03.csv", rows)).warnings
    assert warning.message.startswith("10 suppressed counts ('*') in rows 3, 5, 7, 9, 11 and 5 more")


@pytest.mark.parametrize(
    "cell,reason",
    [
        ("-2", "'-2' is negative"),
        ("2.5", "'2.5' is not a whole number"),
        ("lots", "'lots' is not a number"),
        ("", "the number of people is empty"),
    ],
)
def test_bad_counts_refuse_naming_row_and_column(csv_file, cell, reason):
    path = csv_file("ho_2025-03.csv", [["Sector", "No. of people"], ["TS1 3", "4"], ["TS1 4", cell], ["TS1 5", "1"]])
    (problem,) = refusal(lambda: read_home_office(path)).problems
    assert (problem.file, problem.row, problem.column) == ("ho_2025-03.csv", 3, "No. of people")
    assert reason in problem.message


def test_counts_written_in_many_ways(csv_file):
    path = csv_file("ho_2025-03.csv", [["Sector", "People"], ["TS1 3", "12.0"], ["TS1 4", " 12 "], ["TS1 5", "1,234"]])
    assert read_home_office(path).table["people"].tolist() == [12, 12, 1234]


def test_duplicate_rows_are_kept(csv_file):
    path = csv_file(
        "ho_2025-03.csv", [["Sector", "People", "Nationality"], ["TS1 3", "4", "Iran"], ["TS1 3", "4", "Iran"]]
    )
    assert read_home_office(path).table["people"].tolist() == [4, 4]


@pytest.mark.parametrize(
    "written,canonical",
    [
        ("Dispersal Accommodation", "dispersal"),
        ("Dispersed", "dispersal"),
        ("Initial Accommodation", "initial"),
        ("IA", "initial"),
        ("Contingency Accommodation - Hotel", "contingency"),
        ("Hotel", "contingency"),
        ("Contingency (hotel)", "contingency"),
        ("Subsistence Only", "subsistence"),
        ("Subsistence only", "subsistence"),
        ("SO", "subsistence"),
    ],
)
def test_accommodation_types(csv_file, written, canonical):
    path = csv_file("ho_2025-03.csv", [["Sector", "People", "Accommodation"], ["TS1 3", "4", written]])
    result = read_home_office(path)
    assert result.table["accommodation_type"].tolist() == [canonical] and result.warnings == []


def test_unknown_accommodation_type_is_kept_lower_case_with_a_warning(csv_file):
    path = csv_file("ho_2025-03.csv", [["Sector", "People", "Accommodation"], ["TS1 3", "4", "Other Accommodation"]])
    result = read_home_office(path)
    assert result.table["accommodation_type"].tolist() == ["other accommodation"]
    assert (
        "'Other Accommodation' is not one of dispersal, initial, contingency, subsistence" in result.warnings[0].message
    )


@pytest.mark.parametrize(
    "written,canonical",
    [
        ("Section 95", "Section 95"),
        ("S95", "Section 95"),
        ("s.95", "Section 95"),
        ("95", "Section 95"),
        ("S4", "Section 4"),
        ("sec 98", "Section 98"),
        ("Other", "Other"),
    ],
)
def test_support_types(csv_file, written, canonical):
    path = csv_file("ho_2025-03.csv", [["Sector", "People", "Support Type"], ["TS1 3", "4", written]])
    assert read_home_office(path).table["support_type"].tolist() == [canonical]


# --- wide layouts ---------------------------------------------------------------------------------


def test_wide_by_nationality_is_melted_dropping_zeros(xlsx):
    rows = [
        *BANNER,
        ["Postcode Sector", "LA", "Eritrea", "Iran", "Côte d'Ivoire", "Other", "Total"],
        ["TS1 3", "Middlesbrough", 5, 0, "<5", None, 7.5],
        ["TS1 4", "Middlesbrough", None, 2, 1, 3, 6],
        ["Total", None, 5, 2, 3.5, 3, 13.5],
    ]
    result = read_home_office(xlsx("wide.xlsx", {"Data": rows}))
    table = result.table
    assert result.meta["layout"] == "wide" and result.meta["category"] == "nationality"
    assert table[["postcode_sector", "nationality", "people", "suppressed"]].values.tolist() == [
        ["TS1 3", "Eritrea", 5.0, False],
        ["TS1 3", "Côte d'Ivoire", 2.5, True],
        ["TS1 4", "Iran", 2.0, False],
        ["TS1 4", "Côte d'Ivoire", 1.0, False],
        ["TS1 4", "Other", 3.0, False],
    ]
    assert table["source_row"].tolist() == [6, 6, 7, 7, 7]
    assert table["local_authority"].unique().tolist() == ["Middlesbrough"]
    assert [w.code for w in result.warnings] == ["suppressed"]


def test_wide_total_column_is_a_check(csv_file):
    rows = [["Sector", "Eritrea", "Iran", "Total"], ["TS1 3", "5", "1", "6"], ["TS1 4", "2", "2", "9"]]
    result = read_home_office(csv_file("ho_2025-03.csv", rows))
    assert result.table["people"].sum() == 10
    (warning,) = result.warnings
    assert warning.code == "total_mismatch" and "does not equal the sum of the categories in row 3" in warning.message


def test_wide_by_age_band(csv_file):
    rows = [
        ["Sector", "0-4", "5 to 17", "18-24", "25-34", "35-49", "50 and over"],
        ["TS13", "1", "2", "3", "4", "5", "6"],
    ]
    result = read_home_office(csv_file("ho_2025-03.csv", rows))
    assert result.meta["category"] == "age_band"
    assert result.table["age_band"].tolist() == ["0-4", "5-17", "18-24", "25-34", "35-49", "50+"]
    assert result.table["people"].tolist() == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize(
    "headers,field,values",
    [
        (
            ["Dispersal", "Initial", "Contingency", "Subsistence Only"],
            "accommodation_type",
            ["dispersal", "initial", "contingency", "subsistence"],
        ),
        (["Male", "Female"], "gender", ["Male", "Female"]),
        (["Single", "Family"], "household_type", ["Single", "Family"]),
    ],
)
def test_wide_by_other_breakdowns(csv_file, headers, field, values):
    rows = [["Sector", *headers], ["TS1 3", *[str(i + 1) for i in range(len(headers))]]]
    result = read_home_office(csv_file("ho_2025-03.csv", rows))
    assert result.meta["category"] == field and result.table[field].tolist() == values


def test_wide_cross_tabulation_is_refused(csv_file):
    rows = [["Sector", "Male", "Female", "0-4", "50+"], ["TS1 3", "1", "2", "1", "2"]]
    message = str(refusal(lambda: read_home_office(csv_file("ho_2025-03.csv", rows))))
    assert "the count columns mix different breakdowns" in message and "gender (Male, Female)" in message


def test_wide_bad_cell_names_row_and_category_column(csv_file):
    rows = [["Sector", "Eritrea", "Iran"], ["TS1 3", "5", "1"], ["TS1 4", "2", "-1"]]
    (problem,) = refusal(lambda: read_home_office(csv_file("ho_2025-03.csv", rows))).problems
    assert (problem.row, problem.column) == (3, "Iran") and "'-1' is negative" in problem.message


# --- files, sheets, encodings ---------------------------------------------------------------------


def test_several_sheets_auto_pick_and_named(xlsx):
    march = [*BANNER, HEADER, *ROWS]
    april = [["Position as at 30 April 2025"], HEADER, ROWS[0]]
    path = xlsx("ho.xlsx", {"Contents": [["Monthly asylum support data"]], "March": march})
    assert read_home_office(path).meta["sheet"] == "March"
    path = xlsx("ho2.xlsx", {"March": march, "April": april})
    message = str(refusal(lambda: read_home_office(path)))
    assert "the workbook has 2 sheets that look like data: 'March', 'April'; name one with --sheet" in message
    result = read_home_office(path, sheet="April")
    assert result.meta["sheet"] == "April" and result.meta["month"] == "2025-04" and len(result.table) == 1


@pytest.mark.parametrize("encoding,expected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252")])
def test_csv_encodings(csv_file, encoding, expected):
    path = csv_file(
        "ho_2025-03.csv",
        [["Sector", "People", "Country of Origin"], ["TS1 3", "4", "Côte d'Ivoire"]],
        encoding=encoding,
    )
    result = read_home_office(path)
    assert result.meta["encoding"] == expected
    assert result.table["nationality"].tolist() == ["Côte d'Ivoire"]


def test_semicolon_delimited_csv(csv_file):
    path = csv_file(
        "ho_2025-03.csv",
        [["Titel; März"], [], ["Sector", "People", "Nationality"], ["TS1 3", "4", "Iran"], ["TS1 4", "1.234", "Syria"]],
        delimiter=";",
    )
    refused = refusal(lambda: read_home_office(path))
    assert refused.problems[0].row == 5  # "1.234" is not a whole number: never read as 1234 or 1.234 people
    path = csv_file("ok_2025-03.csv", [["Sector", "People", "Nationality"], ["TS1 3", "4", "Iran"]], delimiter=";")
    result = read_home_office(path)
    assert result.meta["delimiter"] == ";" and result.table["nationality"].tolist() == ["Iran"]


def test_tab_delimited_utf16_text(tmp_path):
    path = tmp_path / "ho_2025-03.txt"
    path.write_text("Sector\tPeople\r\nTS1 3\t4\r\n", encoding="utf-16")
    result = read_home_office(path)
    assert result.meta["encoding"] == "utf-16" and result.table["people"].tolist() == [4]


def test_bad_files_are_refused_with_the_file_named(tmp_path, csv_file):
    (tmp_path / "empty.csv").write_bytes(b"")
    assert str(refusal(lambda: read_home_office(tmp_path / "empty.csv"))) == "empty.csv: the file is empty (0 bytes)"
    (tmp_path / "corrupt.xlsx").write_bytes(b"PK\x03\x04\x14\x00broken")
    assert "corrupt.xlsx: the workbook cannot be opened" in str(
        refusal(lambda: read_home_office(tmp_path / "corrupt.xlsx"))
    )
    (tmp_path / "data.docx").write_bytes(b"hello")
    assert "data.docx: '.docx' files cannot be read" in str(refusal(lambda: read_home_office(tmp_path / "data.docx")))
    only_header = csv_file("header_2025-03.csv", [["Sector", "People"]])
    assert "there are no data rows under the header (row 1)" in str(refusal(lambda: read_home_office(only_header)))


def test_missing_required_columns_list_what_was_found_and_accepted(xlsx, csv_file):
    path = xlsx("ho.xlsx", {"Data": [*BANNER, ["Area", "Headcount"], ["TS1 3", 4]]})
    (problem,) = refusal(lambda: read_home_office(path, month="2025-03")).problems
    assert problem.file == "ho.xlsx" and problem.sheet == "Data" and problem.code == "missing_column"
    assert "no header row with a column for postcode sector was found in the first 30 rows" in problem.message
    assert "The columns found (row 5) are: 'Area', 'Headcount'" in problem.message
    assert "'PC Sector'" in problem.message and "--profile" in problem.message
    path = csv_file("ho_2025-03.csv", [["Sector", "Headcount", "Nationality"], ["TS1 3", "4", "Iran"]])
    message = str(refusal(lambda: read_home_office(path)))
    assert "no column with the number of people was found in the header row (row 1)" in message
    assert "'Sector', 'Headcount', 'Nationality'" in message and "'No. of people'" in message


# --- profiles -------------------------------------------------------------------------------------


def test_toml_profile_names_columns_sheet_header_row_and_month(xlsx, tmp_path):
    profile = tmp_path / "odd.toml"
    profile.write_text(
        '[columns]\npostcode_sector = "Area"\npeople = "Headcount"\n\n'
        '[options]\nsheet = "Data"\nheader_row = 5\nmonth = "2025-03"\n'
    )
    rows = [
        ["Title"],
        ["Sector", "People"],
        [],
        ["Not the header either"],
        ["Area", "Headcount", "Sector"],
        ["TS1 3", 4, "ignored"],
    ]
    path = xlsx("odd.xlsx", {"Summary": [["Sector", "People"], ["TS9 9", 1]], "Data": rows})
    result = read_home_office(path, profile=profile)
    assert (
        result.meta["sheet"] == "Data" and result.meta["header_row"] == 5 and result.meta["month_source"] == "profile"
    )
    assert result.table[["postcode_sector", "people", "source_row"]].values.tolist() == [["TS1 3", 4.0, 6]]


def test_yaml_profile_and_profile_as_dict(csv_file, tmp_path):
    path = csv_file("odd_2025-03.csv", [["Area", "Headcount"], ["TS1 3", "4"]])
    profile = tmp_path / "odd.yaml"
    profile.write_text("columns:\n  postcode_sector: Area\n  people: Headcount\n")
    assert read_home_office(path, profile=profile).table["people"].tolist() == [4]
    assert read_home_office(path, profile={"columns": {"postcode_sector": "Area", "people": "Headcount"}}).table[
        "postcode_sector"
    ].tolist() == ["TS1 3"]


def test_bad_profiles_are_refused_naming_the_profile(csv_file, tmp_path):
    path = csv_file("odd_2025-03.csv", [["Area", "Headcount"], ["TS1 3", "4"]])
    profile = tmp_path / "typo.toml"
    profile.write_text('[columns]\npostcode_sectr = "Area"\n[options]\nsheeet = "x"\n[extra]\n')
    problems = refusal(lambda: read_home_office(path, profile=profile)).problems
    assert all(p.file == "typo.toml" for p in problems)
    text = "\n".join(p.message for p in problems)
    assert "unknown column name 'postcode_sectr'" in text and "unknown option 'sheeet'" in text
    assert "unknown section 'extra'" in text
    profile.write_text('[columns]\npostcode_sector = "Zone"\npeople = "Headcount"\n')
    problem = refusal(lambda: read_home_office(path, profile=profile)).problems[0]
    assert problem.file == "odd_2025-03.csv" and problem.code == "missing_column"
    assert (
        "the profile typo.toml names columns 'Zone' for postcode sector, 'Headcount' for people, but no row"
        in problem.message
    )
    profile.write_text('[columns]\npostcode_sector = "Area"\npeople = "Heads"\n')
    (problem,) = refusal(lambda: read_home_office(path, profile=profile)).problems
    assert (
        "the profile typo.toml names column 'Heads' for people, but the header row (row 1) has no such column"
        in problem.message
        and "'Area', 'Headcount'" in problem.message
    )
    profile.write_text("[columns\n")
    assert "typo.toml: the mapping profile cannot be read" in str(
        refusal(lambda: read_home_office(path, profile=profile))
    )


# --- the month ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,title,column,argument,source",
    [
        ("extract.csv", None, "2025-03", None, "column"),
        ("extract.csv", None, "Mar-25", None, "column"),
        ("extract.csv", "Position as at 31 March 2025", None, None, "title"),
        ("extract.csv", "March 2025", None, None, "title"),
        ("extract.csv", "2025-03", None, None, "title"),
        ("HO_Middlesbrough_2025-03.csv", None, None, None, "file name"),
        ("march_2025.csv", None, None, None, "file name"),
        ("HO_202503.csv", None, None, None, "file name"),
        ("extract.csv", None, None, "2025-03", "argument"),
        ("HO_2025-03.csv", "Position as at 31/03/2025 (produced 2 April 2025)", "2025-03-31", "2025-03", "column"),
    ],
)
def test_month_from_each_source(csv_file, name, title, column, argument, source):
    rows = ([[title], []] if title else []) + [
        ["Sector", "People"] + (["Month"] if column else []),
        ["TS1 3", "4"] + ([column] if column else []),
        ["TS1 4", "2"] + ([column] if column else []),
    ]
    result = read_home_office(csv_file(name, rows), month=argument)
    assert result.meta["month"] == "2025-03" and result.meta["month_source"] == source
    assert result.table["month"].unique().tolist() == ["2025-03"]


def test_month_from_an_excel_date_cell(xlsx):
    path = xlsx("extract.xlsx", {"Data": [["As at", dt.date(2025, 3, 31)], ["Sector", "People"], ["TS1 3", 1]]})
    assert read_home_office(path).meta["month"] == "2025-03"


def test_month_disagreements_are_refused_naming_each_source(csv_file):
    path = csv_file("HO_2025-04.csv", [["Position as at 31 March 2025"], ["Sector", "People"], ["TS1 3", "4"]])
    message = str(refusal(lambda: read_home_office(path, month="2025-05")))
    assert "the month is unclear" in message
    assert "the title line 'Position as at 31 March 2025' says 2025-03" in message
    assert "the file name 'HO_2025-04.csv' says 2025-04" in message and "--month 2025-05 says 2025-05" in message
    path = csv_file(
        "extract.csv", [["Sector", "People", "Month"], ["TS1 3", "4", "2025-03"], ["TS1 4", "4", "2025-04"]]
    )
    (problem,) = refusal(lambda: read_home_office(path)).problems
    assert (
        problem.column == "Month"
        and "not all for the same month (2025-03 in row 2; 2025-04 in row 3)" in problem.message
    )
    path = csv_file("extract2.csv", [["Sector", "People", "Month"], ["TS1 3", "4", "soon"]])
    (problem,) = refusal(lambda: read_home_office(path)).problems
    assert (problem.row, problem.column) == (2, "Month") and "'soon' is not a month or a date" in problem.message


def test_no_month_anywhere_asks_for_it(csv_file):
    path = csv_file("extract.csv", [["Sector", "People"], ["TS1 3", "4"]])
    (problem,) = refusal(lambda: read_home_office(path)).problems
    assert problem.file == "extract.csv" and "give it with --month YYYY-MM" in problem.message
    assert "'2025-13' is not a month" in str(refusal(lambda: read_home_office(path, month="2025-13")))


# --- scale ----------------------------------------------------------------------------------------


def test_national_scale_csv_reads_fast(tmp_path):
    """75,000 rows over the real sectors of the reference lookup."""
    sectors = pd.read_csv(REFERENCE / "postcode_sector_ward24_lookup.csv", usecols=["postcode_sector"])
    sectors = sectors["postcode_sector"].unique()
    rng = np.random.default_rng(7)
    n = 75_000
    people = rng.integers(1, 30, n).astype(str).astype(object)
    people[rng.random(n) < 0.05] = "<5"
    frame = pd.DataFrame(
        {
            "Postcode Sector": rng.choice(sectors, n),
            "LA Code": "E06000002",
            "Support Type": "Section 95",
            "Accommodation Type": rng.choice(["Dispersal Accommodation", "Initial Accommodation", "Hotel"], n),
            "Nationality": rng.choice(["Eritrea", "Iran", "Sudan", "Côte d'Ivoire"], n),
            "Age Band": "18-24",
            "Gender": rng.choice(["Male", "Female"], n),
            "Household Type": "Single",
            "People": people,
        }
    )
    path = tmp_path / "HO_national_2025-03.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("OFFICIAL-SENSITIVE\nPosition as at 31 March 2025\n\n")
        frame.to_csv(fh, index=False, quoting=csv.QUOTE_MINIMAL)
    result = read_home_office(path)
    assert len(result.table) == n and result.meta["month"] == "2025-03"
    assert result.table["suppressed"].sum() == (people == "<5").sum()
    assert result.table["source_row"].iloc[-1] == n + 4
    assert set(result.table["postcode_sector"]) <= set(sectors)
