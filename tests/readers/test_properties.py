"""Provider property lists: the three provider layouts, quarters, and what bad input gets."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from app.cluster.records import PROPERTY_COLUMNS
from app.problems import InputRefused
from app.readers.properties import normalise_provider, read_properties

# flat/house line, street, town, postcode, type, bedspaces, occupied, status, accommodation, first used
PROPERTIES = [
    (
        "Flat 2",
        "12 Acacia Avenue",
        "Middlesbrough",
        "TS1 3AB",
        "Flat",
        2,
        2,
        "in use",
        "dispersal",
        dt.date(2023, 5, 1),
    ),
    ("", "7 Borough Road", "Middlesbrough", "TS1 2HJ", "House", 4, 3, "in use", "dispersal", dt.date(2024, 4, 1)),
    ("", "31 Linthorpe Road", "Middlesbrough", "TS1 4AG", "HMO", 6, None, "void", "dispersal", dt.date(2022, 11, 15)),
    ("", "2 Parliament Road", "Middlesbrough", "TS1 5PE", "House", 3, None, "proposed", "initial", None),
    (
        "",
        "88 Grange Road",
        "Middlesbrough",
        "TS1 2LS",
        "House",
        5,
        0,
        "handed back",
        "contingency",
        dt.date(2021, 1, 4),
    ),
]
MEARS_STATUS = {"in use": "Occupied", "void": "Void", "proposed": "Pipeline", "handed back": "Handed Back"}
SERCO_STATUS = {"in use": "Live", "void": "Empty", "proposed": "Proposed", "handed back": "Returned"}
CRH_STATUS = {"in use": "Active", "void": "Vacant", "proposed": "Proposed", "handed back": "Ended"}
MEARS_ACC = {"dispersal": "Dispersal", "initial": "Initial Accommodation", "contingency": "Contingency (hotel)"}
SERCO_ACC = {"dispersal": "Dispersal", "initial": "Initial Accommodation", "contingency": "Contingency"}
CRH_ACC = {"dispersal": "Dispersed", "initial": "IA", "contingency": "Hotel"}


def street_lines(flat, street):
    return (flat, street) if flat else (street, "")


def mears_rows():
    rows = [
        ["OFFICIAL-SENSITIVE"],
        ["Mears Group - Asylum Accommodation Property List"],
        ["Local Authority: Middlesbrough"],
        ["Quarter: Q1 2025/26"],
        [],
        [
            "Property Ref",
            "Address Line 1",
            "Address Line 2",
            "Address Line 3",
            "Town",
            "Postcode",
            "Local Authority",
            "Property Type",
            "Bedspaces",
            "Occupancy",
            "Status",
            "Accommodation Type",
            "Date First Used",
        ],
    ]
    for i, (flat, street, town, pc, kind, beds, occ, status, acc, used) in enumerate(PROPERTIES):
        line1, line2 = street_lines(flat, street)
        rows.append(
            [
                f"MRS-{4211 + i:06d}",
                line1,
                line2,
                None,
                town,
                pc.lower().replace(" ", ""),
                "Middlesbrough",
                kind,
                beds,
                occ if occ is not None else 0,
                MEARS_STATUS[status],
                MEARS_ACC[acc],
                used,
            ]
        )
    rows += [
        [],
        ["Total", None, None, None, None, None, None, None, sum(p[5] for p in PROPERTIES)],
        ["Data correct at time of extraction."],
    ]
    return rows


def serco_rows():
    rows = [
        ["Serco - Asylum Accommodation and Support Contract (AASC)"],
        ["Property list 2025 Q2"],
        ["OFFICIAL - SENSITIVE"],
        [],
        ["Property", None, None, None, "Capacity", None, "Status", None],
        [
            "ID",
            "Full Address",
            "Post Code",
            "Local Authority",
            "Beds",
            "Occupied",
            "Property Status",
            "Accommodation",
            "Start Date",
        ],
    ]
    for i, (flat, street, town, pc, kind, beds, occ, status, acc, used) in enumerate(PROPERTIES):
        address = ", ".join(p for p in (flat, street, town) if p)
        if i == 1:
            address += f", {pc}"
        rows.append(
            [
                100234 + i,
                address,
                pc.replace(" ", "").lower(),
                "Middlesbrough",
                f"{beds} bed" + ("s" if beds != 1 else ""),
                occ if occ is not None else "-",
                SERCO_STATUS[status],
                SERCO_ACC[acc],
                used.strftime("%d/%m/%Y") if used else None,
            ]
        )
    rows.append(["* Capacity as contracted"])
    return rows


def crh_rows():
    rows = [
        ["Clearsprings Ready Homes"],
        ["Property Schedule - Quarter ending 30 June 2025"],
        [],
        [
            "Address",
            "Local Authority",
            "Accommodation Type",
            "Property Type",
            "Max Occupancy",
            "Current Occupants",
            "Status",
            "Start Date",
        ],
    ]
    for flat, street, town, pc, kind, beds, occ, status, acc, used in PROPERTIES:
        address = ", ".join(p for p in (flat, street, town, pc) if p)
        rows.append(
            [
                address,
                "Middlesbrough",
                CRH_ACC[acc],
                kind,
                beds,
                occ,
                CRH_STATUS[status],
                used.strftime("%d/%m/%Y") if used else None,
            ]
        )
    return rows


@pytest.fixture
def three_layouts(xlsx):
    mears = xlsx(
        "mears.xlsx",
        {"Cover": [["Mears Group plc"], ["Property list for Middlesbrough Council"]], "Property List": mears_rows()},
    )
    serco = xlsx(
        "serco.xlsx", {"Serco Properties": serco_rows()}, merges={"Serco Properties": ["A5:D5", "E5:F5", "G5:H5"]}
    )
    crh = xlsx(
        "crh.xlsx",
        {"Data": crh_rows(), "Summary": [["Local Authority", "Properties", "Bedspaces"], ["Middlesbrough", 5, 20]]},
    )
    return mears, serco, crh


def test_three_provider_layouts_read_to_the_same_canonical_table(three_layouts):
    mears, serco, crh = three_layouts
    results = [
        read_properties(mears, provider="Mears Group"),
        read_properties(serco, provider="serco"),
        read_properties(crh, provider="CRH"),
    ]
    assert [r.meta["provider"] for r in results] == ["Mears", "Serco", "Clearsprings"]
    assert [r.meta["quarter"] for r in results] == ["2025Q2"] * 3
    assert [r.meta["sheet"] for r in results] == ["Property List", "Serco Properties", "Data"]
    assert [r.meta["header_row"] for r in results] == [6, 6, 4]
    compare = [
        "address",
        "postcode",
        "postcode_sector",
        "bedspaces",
        "status",
        "accommodation_type",
        "property_type",
        "local_authority",
        "quarter",
    ]
    expected = pd.DataFrame(
        {
            "address": [", ".join(x for x in (p[0], p[1], p[2]) if x) for p in PROPERTIES],
            "postcode": [p[3] for p in PROPERTIES],
            "postcode_sector": [p[3][:-2] for p in PROPERTIES],
            "bedspaces": [p[5] for p in PROPERTIES],
            "status": [p[7] for p in PROPERTIES],
            "accommodation_type": [p[8] for p in PROPERTIES],
            "property_type": [p[4] for p in PROPERTIES],
            "local_authority": ["Middlesbrough"] * 5,
            "quarter": ["2025Q2"] * 5,
        }
    )
    for result in results:
        assert list(result.table.columns) == list(PROPERTY_COLUMNS)
        table = result.table
        for column in compare:
            if column == "property_type" and result.meta["provider"] == "Serco":
                assert table[column].isna().all()  # Serco's layout has no property type
                continue
            assert table[column].tolist() == expected[column].astype(object).tolist(), column
        assert table["date_in_use"].tolist()[:3] == ["2023-05-01", "2024-04-01", "2022-11-15"]
        assert pd.isna(table["date_in_use"].iloc[3])
    # Mears writes 0 for an empty property; Serco "-", Clearsprings a blank.
    assert results[0].table["occupied"].tolist() == [2, 3, 0, 0, 0]
    assert results[1].table["occupied"].tolist()[:2] == [2, 3] and results[1].table["occupied"].isna().sum() == 2
    assert results[2].table["occupied"].isna().tolist() == [False, False, True, True, False]
    assert results[0].table["property_key"].iloc[0] == "MRS-004211"
    assert results[1].table["property_ref"].iloc[0] == "100234"
    assert results[2].table["property_ref"].isna().all()
    assert results[2].table["property_key"].iloc[0] == "FLAT 2 12 ACACIA AVENUE MIDDLESBROUGH TS1 3AB"
    assert results[0].meta["total_row"] == 13 and results[0].meta["bedspaces"] == 20
    assert not [w for r in results for w in r.warnings]


def test_clearsprings_as_csv_with_bom(csv_file):
    path = csv_file("CRH_schedule.csv", crh_rows(), encoding="utf-8-sig")
    result = read_properties(path, provider="Clearsprings Ready Homes")
    assert result.meta["encoding"] == "utf-8-sig"
    assert result.table["postcode"].tolist() == [p[3] for p in PROPERTIES]
    assert result.table["bedspaces"].sum() == 20


@pytest.mark.parametrize(
    "name,expected",
    [
        ("mears", "Mears"),
        ("Mears Group", "Mears"),
        ("serco", "Serco"),
        ("Clearsprings", "Clearsprings"),
        ("CRH", "Clearsprings"),
        ("Clearsprings Ready Homes", "Clearsprings"),
        ("G4S Care", "G4S Care"),
    ],
)
def test_provider_names(name, expected):
    assert normalise_provider(name) == expected


def simple(rows_below, title="Q2 2025"):
    return [[title], ["Ref", "Address", "Postcode", "Beds", "Occupied", "Status"], *rows_below]


def test_capacity_spellings_and_status_words(csv_file):
    rows = simple(
        [
            ["A", "1 High St", "TS1 3AB", "4", "1", "Live"],
            ["B", "2 High St", "TS1 3AB", "4 beds", "", "empty"],
            ["C", "3 High St", "TS1 3AB", "4 bedspaces", "-", "Pipeline"],
            ["D", "4 High St", "TS1 3AB", "four", "2", "Handed back"],
            ["E", "5 High St", "TS1 3AB", "4.0", "2", "Mothballed"],
        ]
    )
    result = read_properties(csv_file("p.csv", rows), provider="Mears")
    assert result.table["bedspaces"].tolist() == [4, 4, 4, 4, 4]
    assert result.table["status"].tolist() == ["in use", "void", "proposed", "handed back", "mothballed"]
    assert result.table["occupied"].isna().tolist() == [False, True, True, False, False]
    assert any("'Mothballed'" in w.message and w.code == "unknown_status" for w in result.warnings)


def test_bad_postcode_and_over_capacity_are_warnings(csv_file):
    rows = simple([["A", "1 High St", "TS1", "2", "3", "Live"], ["B", "2 High St", "TS1 3AB", "2", "lots", "Live"]])
    result = read_properties(csv_file("p.csv", rows), provider="Serco")
    assert len(result.table) == 2
    assert pd.isna(result.table["postcode"].iloc[0]) and result.table["postcode"].iloc[1] == "TS1 3AB"
    by_code = {w.code: w for w in result.warnings}
    assert by_code["bad_postcode"].row == 3 and by_code["bad_postcode"].column == "Postcode"
    assert "'TS1' is not a full UK postcode" in by_code["bad_postcode"].message
    assert (
        by_code["over_capacity"].row == 3
        and "occupied (3) is more than the bedspaces (2)" in by_code["over_capacity"].message
    )
    assert by_code["bad_occupied"].row == 4 and "'lots'" in by_code["bad_occupied"].message


def test_missing_or_unreadable_bedspaces_refuse_naming_rows(csv_file):
    rows = simple(
        [["A", "1 High St", "TS1 3AB", "", "1", "Live"], ["B", "2 High St", "TS1 3AB", "plenty", "1", "Live"]]
    )
    with pytest.raises(InputRefused) as refused:
        read_properties(csv_file("p.csv", rows), provider="Serco")
    problems = refused.value.problems
    assert [(p.row, p.column) for p in problems] == [(3, "Beds"), (4, "Beds")]
    assert "the number of bedspaces is empty" in problems[0].message
    assert "'plenty' is not a number of bedspaces" in problems[1].message
    assert str(problems[1]).startswith("p.csv, row 4, column 'Beds'")


def test_duplicate_references_refuse_naming_both_rows(csv_file):
    rows = simple(
        [
            ["A", "1 High St", "TS1 3AB", "2", "1", "Live"],
            ["B", "2 High St", "TS1 3AB", "2", "1", "Live"],
            ["A", "3 High St", "TS1 3AB", "2", "1", "Live"],
        ]
    )
    with pytest.raises(InputRefused) as refused:
        read_properties(csv_file("p.csv", rows), provider="Serco")
    (problem,) = refused.value.problems
    assert "rows 3 and 5 have the same property reference 'A'" in problem.message and problem.row == 5


def test_duplicate_addresses_without_reference_refuse(csv_file):
    rows = [["Q2 2025"], ["Address", "Beds"], ["1 High St, Town, TS1 3AB", "2"], ["1 High St., Town, ts13ab", "3"]]
    with pytest.raises(InputRefused) as refused:
        read_properties(csv_file("p.csv", rows), provider="Serco")
    assert "rows 3 and 4 have the same address and postcode" in str(refused.value)


def test_address_without_postcode_column_and_without_postcode_is_a_warning(csv_file):
    rows = [["2025 Q2"], ["Address", "Beds"], ["1 High St, Town", "2"], ["2 High St, Town, TS1 3AB", "3"]]
    result = read_properties(csv_file("p.csv", rows), provider="Serco")
    assert pd.isna(result.table["postcode"].iloc[0]) and result.table["postcode"].iloc[1] == "TS1 3AB"
    assert "no postcode was found at the end of the address" in result.warnings[0].message
    assert result.warnings[0].row == 3


def test_a_list_with_no_postcode_anywhere_is_refused(csv_file):
    rows = [["2025 Q2"], ["Address", "Beds"], ["1 High St, Town", "2"], ["2 Low St, Town", "3"]]
    with pytest.raises(InputRefused) as refused:
        read_properties(csv_file("p.csv", rows), provider="Serco")
    (problem,) = refused.value.problems
    assert problem.code == "missing_postcode" and problem.column == "Address" and problem.row == 2
    assert "no postcode column and no address in the 'Address' column ends with one" in problem.message


@pytest.mark.parametrize(
    "title,name,argument,expected",
    [
        ("Q1 2025/26", "list.csv", None, "2025Q2"),
        ("Q4 2025/26", "list.csv", None, "2026Q1"),
        ("Quarter ending 30 June 2025", "list.csv", None, "2025Q2"),
        ("2025 Q3", "list.csv", None, "2025Q3"),
        ("Property list as at 31 December 2025", "list.csv", None, "2025Q4"),
        ("Property list", "Serco_2025Q2.csv", None, "2025Q2"),
        ("Property list", "list.csv", "2025Q1", "2025Q1"),
        ("Q1 2025/26", "Serco_2025Q2.csv", "2025 Q2", "2025Q2"),
    ],
)
def test_quarter_sources(csv_file, title, name, argument, expected):
    path = csv_file(name, [[title], ["Address", "Postcode", "Beds"], ["1 High St", "TS1 3AB", "2"]])
    assert read_properties(path, provider="Serco", quarter=argument).meta["quarter"] == expected


def test_quarter_disagreement_and_absence_are_refused(csv_file):
    path = csv_file(
        "Serco_2025Q3.csv", [["Q1 2025/26"], ["Address", "Postcode", "Beds"], ["1 High St", "TS1 3AB", "2"]]
    )
    with pytest.raises(InputRefused) as refused:
        read_properties(path, provider="Serco")
    message = str(refused.value)
    assert "the quarter is unclear" in message
    assert (
        "the title line 'Q1 2025/26' says 2025Q2" in message
        and "the file name 'Serco_2025Q3.csv' says 2025Q3" in message
    )
    path = csv_file("list.csv", [["Address", "Postcode", "Beds"], ["1 High St", "TS1 3AB", "2"]])
    with pytest.raises(InputRefused, match=r"give it with --quarter YYYYQn"):
        read_properties(path, provider="Serco")
    with pytest.raises(InputRefused, match=r"--quarter soon: 'soon' is not a quarter"):
        read_properties(path, provider="Serco", quarter="soon")


def test_profile_names_split_address_columns(csv_file, tmp_path):
    profile = tmp_path / "odd.yaml"
    profile.write_text(
        "columns:\n  address: [Num, Road, Place]\n  bedspaces: Sleeps\n  postcode: Zip\noptions:\n  quarter: 2025Q2\n"
    )
    path = csv_file("odd.csv", [["Num", "Road", "Place", "Zip", "Sleeps"], ["1", "High St", "", "TS1 3AB", "3"]])
    result = read_properties(path, provider="Other Co", profile=profile)
    assert result.table["address"].tolist() == ["1, High St"] and result.table["bedspaces"].tolist() == [3]
    assert result.meta["quarter_source"] == "profile" and result.meta["provider"] == "Other Co"


def test_missing_address_column_is_refused_listing_names(csv_file):
    path = csv_file("p.csv", [["Q2 2025"], ["Ref", "Postcode", "Beds"], ["A", "TS1 3AB", "2"]])
    with pytest.raises(InputRefused) as refused:
        read_properties(path, provider="Serco")
    message = str(refused.value)
    assert "no header row with a column for address" in message
    assert "'Ref', 'Postcode', 'Beds'" in message and "'Full Address'" in message
