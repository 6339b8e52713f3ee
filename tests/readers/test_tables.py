"""The shared machinery for messy spreadsheets and CSV files."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from app.problems import InputRefused
from app.readers.tables import (
    choose_sheet,
    cut_footer,
    decode_text,
    detect_delimiter,
    display,
    find_header,
    header_key,
    map_columns,
    parse_counts,
    read_sheets,
    row_list,
)

SYN = {
    "postcode_sector": ["Postcode Sector", "PC Sector", "Sector"],
    "people": ["People", "No. of people", "Count"],
    "nationality": ["Nationality"],
    "address": ["Address Line 1", "Address Line 2", "Town"],
}


@pytest.mark.parametrize(
    "value,shown",
    [
        (12.0, "12"),
        (12.5, "12.5"),
        (0.1 + 0.2, "0.3"),
        (1234567890123.0, "1234567890123"),
        ("  x ", "  x "),
        (None, ""),
        ("", ""),
        (True, "TRUE"),
        (dt.date(2025, 3, 31), "2025-03-31"),
        (dt.datetime(2025, 3, 31), "2025-03-31"),
        (dt.datetime(2025, 3, 31, 10, 5), "2025-03-31 10:05:00"),
    ],
)
def test_cells_are_shown_as_the_officer_sees_them(value, shown):
    assert display(value) == shown


def test_header_names_ignore_case_spacing_punctuation_and_nbsp():
    assert header_key("  No.\u00a0of  PEOPLE ") == header_key("no of people") == "noofpeople"
    assert header_key("PC-Sector") == header_key("pc sector")


@pytest.mark.parametrize(
    "data,text,encoding",
    [
        ("Côte d'Ivoire".encode(), "Côte d'Ivoire", "utf-8"),
        (b"\xef\xbb\xbf" + "Côte d'Ivoire".encode(), "Côte d'Ivoire", "utf-8-sig"),
        ("Côte d'Ivoire".encode("cp1252"), "Côte d'Ivoire", "cp1252"),
        ("Côte d'Ivoire".encode("utf-16"), "Côte d'Ivoire", "utf-16"),
    ],
)
def test_decode_text_tries_utf8_then_bom_then_cp1252(data, text, encoding):
    assert decode_text(data) == (text, encoding)


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_detected_despite_banner_lines(delimiter):
    lines = [
        "OFFICIAL-SENSITIVE",
        "Report, for March",
        "",
        delimiter.join(["Sector", "People", "Nationality"]),
        delimiter.join(["TS1 3", "1,234", "Iran"]),
        delimiter.join(["TS1 4", "5", "Eritrea"]),
    ]
    if delimiter == ",":
        lines[4] = 'TS1 3,"1,234",Iran'
    assert detect_delimiter("\n".join(lines)) == delimiter


def test_header_found_below_banners_and_rows_numbered_as_in_excel(xlsx):
    path = xlsx(
        "a.xlsx",
        {
            "Data": [
                ["OFFICIAL-SENSITIVE"],
                ["Asylum support by sector"],
                [None],
                ["PC\u00a0sector", "NO. OF PEOPLE", "nationality"],
                ["TS1 3", 4, "Iran"],
                [None],
                ["TS1 4", 2.0, "Eritrea"],
            ]
        },
    )
    (sheet,) = read_sheets(path)
    position = find_header(sheet.head, SYN, ["postcode_sector"])
    assert position == 3
    table = sheet.table(position)
    assert table.header_row == 4 and table.header == ["PC sector", "NO. OF PEOPLE", "nationality"]
    assert table.cells.loc[5].tolist() == ["TS1 3", "4", "Iran"]
    assert table.cells.loc[7].tolist() == ["TS1 4", "2", "Eritrea"]
    assert sheet.title_lines(position) == ["OFFICIAL-SENSITIVE", "Asylum support by sector"]


def test_csv_rows_are_numbered_by_line_including_blank_lines(csv_file):
    path = csv_file("a.csv", [["Title"], [], ["Sector", "Count"], ["TS1 3", "4"], [], ["TS1 4", " 5 "]])
    (sheet,) = read_sheets(path)
    table = sheet.table(find_header(sheet.head, SYN, ["postcode_sector"]))
    assert table.header_row == 3
    assert table.cells.loc[4].tolist() == ["TS1 3", "4"] and table.cells.loc[6].tolist() == ["TS1 4", "5"]


def test_header_not_found_when_a_required_column_is_missing():
    assert find_header([["Title"], ["Sector", "Nationality"]], SYN, ["postcode_sector", "people"]) is None
    assert find_header([["Sector"], ["Sector", "People", "Nationality"]], SYN, ["postcode_sector"]) == 1


def test_profile_names_beat_synonyms_and_multi_columns_are_collected():
    header = ["Sector", "Area", "Count", "Headcount", "Address Line 1", "Notes", "Town"]
    mapped = map_columns(header, SYN, {"postcode_sector": "area", "people": "HEADCOUNT"}, multi=["address"])
    assert mapped.columns == {"postcode_sector": 1, "people": 3}
    assert mapped.multi == {"address": [4, 6]}
    assert mapped.unmapped == [0, 2, 5]
    assert map_columns(header, SYN, {"people": "Heads"}).missing_from_profile == {"people": "Heads"}


def test_footer_total_row_notes_and_blank_rows(csv_file):
    path = csv_file(
        "a.csv",
        [
            ["Sector", "People"],
            ["TS1 3", "4"],
            ["", ""],
            ["TS1 4", "5"],
            ["Grand Total", "9"],
            ["Note: figures are provisional"],
            ["TS9 9", "99"],
        ],
    )
    (sheet,) = read_sheets(path)
    table, footer = cut_footer(sheet.table(0), [0])
    # A total row ends a block, never the file: the row after it is data; a lone note line between blocks is not.
    assert table.cells.index.tolist() == [2, 4, 7]
    assert footer.total_row == 5 and footer.total_cells[1] == "9"
    (total,) = footer.totals
    assert total.overall and total.covers.tolist() == [2, 4, 7]
    path = csv_file("b.csv", [["Sector", "People"], ["TS1 3", "4"], [], ["Source: Home Office"], ["* suppressed"], []])
    (sheet,) = read_sheets(path)
    table, footer = cut_footer(sheet.table(0), [0])
    assert table.cells.index.tolist() == [2] and footer.total_row is None


@pytest.mark.parametrize("marker", ["*", "<5", "c", "[c]", "x", "-", "<3", "< 5", "[x]", "..", "z", "C", "X"])
def test_suppressed_markers_are_never_zero(marker):
    counts = parse_counts(pd.Series([marker, "3"]), suppressed_value=2.5)
    assert counts.value.tolist() == [2.5, 3.0]
    assert counts.suppressed.tolist() == [True, False]
    assert counts.problem.isna().all()


def test_counts_are_whole_non_negative_numbers():
    counts = parse_counts(
        pd.Series(["12", "12.0", " 12 ", "1,234", "\u00a07", "-3", "2.5", "many", "", "1,2"]), suppressed_value=2.5
    )
    assert counts.value.tolist()[:5] == [12, 12, 12, 1234, 7]
    assert counts.blank.tolist() == [False] * 8 + [True, False]
    assert counts.problem.tolist()[5:] == [
        "'-3' is negative; a count cannot be below zero",
        "'2.5' is not a whole number of people",
        "'many' is not a number",
        pd.NA,
        "'1,2' is not a number",
    ]


def test_several_sheets_pick_the_data_and_refuse_a_tie(xlsx):
    data = [["Sector", "People"], ["TS1 3", 4]]
    path = xlsx("a.xlsx", {"Cover": [["Monthly return"]], "March": data, "Notes": [["People are counted..."]]})
    sheet, position = choose_sheet(read_sheets(path), SYN, ["postcode_sector"])
    assert (sheet.name, position) == ("March", 0)
    path = xlsx("b.xlsx", {"March": data, "April": data})
    with pytest.raises(InputRefused) as refused:
        choose_sheet(read_sheets(path), SYN, ["postcode_sector"])
    assert "the workbook has 2 sheets that look like data: 'March', 'April'; name one with --sheet" in str(
        refused.value
    )
    sheet, _ = choose_sheet(read_sheets(path, "april "), SYN, ["postcode_sector"])
    assert sheet.name == "April"
    with pytest.raises(InputRefused, match="there is no sheet named 'May'; the sheets are: 'March', 'April'"):
        read_sheets(path, "May")


def test_hidden_sheets_are_not_picked(xlsx):
    data = [["Sector", "People"], ["TS1 3", 4]]
    path = xlsx("a.xlsx", {"Old": data, "New": data}, hidden=("Old",))
    assert choose_sheet(read_sheets(path), SYN, ["postcode_sector"])[0].name == "New"


def test_empty_and_unreadable_files_are_refused_in_plain_words(tmp_path, xlsx):
    cases = {
        "empty.csv": (b"", "the file is empty (0 bytes)"),
        "blank.csv": (b"\r\n \r\n", "the file has no data (it is blank)"),
        "broken.xlsx": (b"PK\x03\x04 this is not really a zip", "the workbook cannot be opened: it is damaged"),
        "report.pdf": (b"%PDF-1.4 ...", "'.pdf' files cannot be read: save it as an Excel workbook (.xlsx) or as CSV"),
        "renamed.xlsx": (b"Sector,People\nTS1 3,4\n", "the file is named '.xlsx' but is not an Excel workbook"),
        "page.xls": (b"<html><body><table></table></body></html>", "(it is a web page)"),
        "locked.xlsx": (
            bytes.fromhex("D0CF11E0A1B11AE1") + "EncryptedPackage".encode("utf-16-le") + bytes(600),
            "the workbook is protected by a password",
        ),
        "binary.csv": (b"\x00\x01\x02garbage", "this is not a text file"),
        "old.xls": (bytes.fromhex("D0CF11E0A1B11AE1") + bytes(1024), "the workbook cannot be opened: it is damaged"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(InputRefused) as refused:
            read_sheets(path)
        assert str(refused.value).startswith(f"{name}: "), name
        assert message in str(refused.value), name
    with pytest.raises(InputRefused, match="missing.csv: the file does not exist"):
        read_sheets(tmp_path / "missing.csv")


def test_row_list():
    assert row_list([7]) == "row 7"
    assert row_list([7, 9, 15]) == "rows 7, 9 and 15"
    assert row_list(range(1, 20), first=3) == "rows 1, 2, 3 and 16 more"
