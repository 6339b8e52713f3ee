"""LA names as councils write them, matched against the real ONS names of every LA in lad.geojson."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from app.geography.la_names import WELSH_NAMES, la_key, named_in, resolve_local_authorities

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
STYLES = (
    "{}",
    "{} City Council",
    "City of {}",
    "{} MDC",
    "{} MBC",
    "{} MC",
    "{} Borough Council",
    "Council of the City of {}",
    "{} Metropolitan Borough Council",
    "{} Metropolitan District Council",
    "{} Council",
    "{} District Council",
    "{} County Council",
    "The {} Council",
    "City of {} Council",
    "{} BC",
)


@pytest.fixture(scope="module")
def lads() -> pd.DataFrame:
    features = json.loads((REFERENCE / "lad.geojson").read_text())["features"]
    return pd.DataFrame(
        {
            "area_code": [f["properties"]["lad_code"] for f in features],
            "area_name": [f["properties"]["lad_name"] for f in features],
        }
    )


def _plain(name: str) -> str:
    """ "Bristol, City of" -> "Bristol": the name the council puts its decorations around."""
    return name.split(", City of")[0].split(", County of")[0]


def test_every_english_la_with_council_decorations_resolves_to_its_code(lads):
    english = lads[lads["area_code"].str.startswith("E")]
    assert len(english) > 290
    written, expected = [], []
    for code, name in zip(english["area_code"], english["area_name"]):
        for style in STYLES:
            for text in (style.format(_plain(name)), style.format(_plain(name)).upper()):
                written.append(text)
                expected.append(code)
    codes, unresolved = resolve_local_authorities(pd.Series(written), lads)
    wrong = [(w, e, c) for w, e, c in zip(written, expected, codes) if c is pd.NA or c != e]
    assert wrong == [] and not unresolved.any()


def test_official_names_codes_and_codes_beside_names(lads):
    values = pd.Series(
        [
            "Kingston upon Hull, City of",
            "Hull City Council",
            "e08000035",
            "Leeds (E08000035)",
            "Newcastle upon Tyne City Council",
            "St. Helens MBC",
            "Bournemouth, Christchurch & Poole",
            "Royal Borough of Kingston upon Thames",
            "London Borough of Barking & Dagenham",
        ]
    )
    codes, unresolved = resolve_local_authorities(values, lads)
    by_name = dict(zip(lads["area_name"], lads["area_code"]))
    assert codes.tolist() == [
        by_name[n]
        for n in (
            "Kingston upon Hull, City of",
            "Kingston upon Hull, City of",
            "Leeds",
            "Leeds",
            "Newcastle upon Tyne",
            "St. Helens",
            "Bournemouth, Christchurch and Poole",
            "Kingston upon Thames",
            "Barking and Dagenham",
        )
    ]
    assert not unresolved.any()


@pytest.mark.parametrize(
    "written,english",
    [
        ("Cyngor Caerdydd", "Cardiff"),
        ("Caerdydd", "Cardiff"),
        ("Cardiff Council", "Cardiff"),
        ("Abertawe", "Swansea"),
        ("Dinas a Sir Abertawe", "Swansea"),
        ("City and County of Swansea", "Swansea"),
        ("Cyngor Sir Ddinbych", "Denbighshire"),
        ("Cyngor Bwrdeistref Sirol Caerffili", "Caerphilly"),
        ("Caerphilly County Borough Council", "Caerphilly"),
        ("Casnewydd", "Newport"),
        ("Wrecsam", "Wrexham"),
        ("Cyngor Sir Ynys Môn", "Isle of Anglesey"),
        ("Pen-y-bont ar Ogwr", "Bridgend"),
        ("Bro Morgannwg", "Vale of Glamorgan"),
    ],
)
def test_welsh_names_of_welsh_las(lads, written, english):
    codes, _ = resolve_local_authorities(pd.Series([written]), lads)
    assert codes.iloc[0] == dict(zip(lads["area_name"], lads["area_code"]))[english]


def test_every_welsh_table_entry_names_a_real_welsh_la(lads):
    welsh = set(lads.loc[lads["area_code"].str.startswith("W"), "area_name"])
    assert set(WELSH_NAMES) == welsh


def test_names_that_are_no_la_or_two_las_are_not_guessed(lads):
    values = pd.Series(["Narnia City Council", "Newcastle", "", None, "Yorkshire"])
    codes, unresolved = resolve_local_authorities(values, lads)
    assert codes.isna().all() and unresolved.tolist() == [True, True, False, False, True]
    assert la_key("Newcastle-under-Lyme") != la_key("Newcastle upon Tyne")


def _code(lads: pd.DataFrame, name: str) -> str:
    return str(lads.loc[lads["area_name"] == name, "area_code"].iloc[0])


@pytest.mark.parametrize(
    "file_name, name",
    [
        ("Leeds City Council asylum support March 2025.xlsx", "Leeds"),
        ("north_tyneside_2025-03.csv", "North Tyneside"),
        ("HO extract - Hull - 2025-03.xlsx", "Kingston upon Hull, City of"),
        ("cyngor_caerdydd_mawrth_2025.csv", "Cardiff"),
        ("Ynys Môn Mar25.xlsx", "Isle of Anglesey"),
        ("RCT_supported_asylum_2025_03.xlsx", "Rhondda Cynon Taf"),
    ],
)
def test_a_file_name_names_its_la_in_any_spelling(lads, file_name, name):
    assert named_in(file_name, lads) == _code(lads, name)


@pytest.mark.parametrize(
    "file_name",
    [
        "north_east_region_2025-03.csv",
        "asylum_support_march_2025.xlsx",
        "newcastle_2025-03.csv",  # two LAs are called Newcastle: a file name never guesses
    ],
)
def test_a_file_name_without_one_la_names_none(lads, file_name):
    assert named_in(file_name, lads) is None


def test_a_gss_code_in_a_file_name_wins(lads):
    code = _code(lads, "Middlesbrough")
    assert named_in(f"{code.lower()}_stockton-on-tees_2025-03.csv", lads) == code
