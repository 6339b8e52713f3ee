"""Postcode and sector normalisation: worked examples and round-trip properties."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.geography.postcodes import (
    PostcodeError,
    area_of,
    district_of,
    normalise_postcode,
    normalise_postcodes,
    normalise_sector,
    normalise_sectors,
    parse_postcode,
    sectors_of_units,
)

NBSP = "\u00a0"


@pytest.mark.parametrize(
    "typed, unit",
    [
        ("TS13AB", "TS1 3AB"),
        (" ts1 3ab ", "TS1 3AB"),
        (f"TS1{NBSP}3AB", "TS1 3AB"),
        ("ts1  3ab", "TS1 3AB"),
        ("M11AA", "M1 1AA"),
        ("ec1a 1bb", "EC1A 1BB"),
        ("W1A0AX", "W1A 0AX"),
        ("DH99 1AB", "DH99 1AB"),
        ("cr2 6xh", "CR2 6XH"),
    ],
)
def test_units_are_normalised(typed, unit):
    assert normalise_postcode(typed) == unit


@pytest.mark.parametrize(
    "typed, sector",
    [
        ("TS13", "TS1 3"),
        ("TS1 3", "TS1 3"),
        ("TS1  3", "TS1 3"),
        (f"TS1{NBSP}3", "TS1 3"),
        (" ts1 3 ", "TS1 3"),
        ("TS1 3XX", "TS1 3"),
        ("TS13AB", "TS1 3"),
        ("ne11 9", "NE11 9"),
        ("M1 1", "M1 1"),
        ("EC1A1", "EC1A 1"),
    ],
)
def test_sectors_are_normalised(typed, sector):
    assert normalise_sector(typed) == sector


@pytest.mark.parametrize("district", ["TS1", "ts1", "M1", "EC1A", "sw1a"])
def test_districts_are_not_sectors(district):
    with pytest.raises(PostcodeError, match="is a postcode district, not a sector"):
        normalise_sector(district)


@pytest.mark.parametrize("garbage", ["hello world", "TS", "12345", "TS1 3ABC", "1TS 3", "Middlesbrough"])
def test_garbage_is_not_a_sector(garbage):
    with pytest.raises(PostcodeError, match="is not a postcode sector"):
        normalise_sector(garbage)


@pytest.mark.parametrize("empty", ["", "   ", NBSP, None, float("nan")])
def test_empty_values_are_rejected(empty):
    with pytest.raises(PostcodeError, match="is empty"):
        normalise_sector(empty)
    with pytest.raises(PostcodeError, match="is empty"):
        normalise_postcode(empty)


def test_in_a_sector_column_the_last_digit_is_the_sector_digit():
    assert normalise_sector("NE11") == "NE1 1"
    assert normalise_sector("TS99") == "TS9 9"


def test_punctuation_is_ignored():
    assert normalise_postcode("TS1-3AB") == "TS1 3AB"
    assert normalise_sector("TS1/3") == "TS1 3"


@pytest.mark.parametrize("partial", ["TS1 3", "TS13", "TS1"])
def test_a_sector_or_district_is_not_a_full_postcode(partial):
    with pytest.raises(PostcodeError, match="not a full postcode"):
        normalise_postcode(partial)


def test_garbage_is_not_a_postcode():
    with pytest.raises(PostcodeError, match="is not a UK postcode"):
        normalise_postcode("not a postcode")


def test_parts_of_a_postcode():
    code = parse_postcode("ts1 3ab")
    assert (code.unit, code.sector, code.district, code.area) == ("TS1 3AB", "TS1 3", "TS1", "TS")
    assert area_of("NE11 9") == "NE"
    assert district_of("NE11 9AB") == "NE11"


def test_vectorised_sectors_give_reasons_in_words():
    values = pd.Series(["TS13", "TS1", "garbage", "", None, "TS1 3XX"])
    sectors, reasons = normalise_sectors(values)
    assert sectors.tolist()[0] == "TS1 3" and sectors.tolist()[5] == "TS1 3"
    assert sectors[1:5].isna().all()
    assert reasons[0] is pd.NA and reasons[5] is pd.NA
    assert reasons[1] == "'TS1' is a postcode district, not a sector (the sector digit is missing)"
    assert reasons[2] == "'garbage' is not a postcode sector"
    assert reasons[3] == "the postcode sector is empty"
    assert reasons[4] == "the postcode sector is empty"


def test_vectorised_units_give_reasons_in_words():
    units, reasons = normalise_postcodes(pd.Series(["ts13ab", "TS1 3", "", None]))
    assert units[0] == "TS1 3AB" and units[1:].isna().all()
    assert reasons[1] == "'TS1 3' is not a full UK postcode"
    assert reasons[2] == "the postcode is empty" and reasons[3] == "the postcode is empty"


# --- properties -------------------------------------------------------------------------------

LETTER = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
DIGIT = st.sampled_from("0123456789")


@st.composite
def outward_codes(draw) -> str:
    """Every shape of outward code: A9, A99, AA9, AA99, A9A, AA9A."""
    area = draw(st.text(LETTER, min_size=1, max_size=2))
    tail = draw(st.one_of(st.just(""), DIGIT, LETTER))
    return area + draw(DIGIT) + tail


@st.composite
def inward_codes(draw) -> str:
    return draw(DIGIT) + draw(LETTER) + draw(LETTER)


SEPARATORS = st.sampled_from(["", " ", "  ", NBSP, f" {NBSP}", "\t"])
PADDING = st.sampled_from(["", " ", "  ", NBSP, "\n"])


@st.composite
def typed_like_a_person(draw, canonical_parts: tuple[str, str]) -> str:
    outward, inward = canonical_parts
    flips = draw(st.lists(st.booleans(), min_size=len(outward + inward), max_size=len(outward + inward)))
    chars = [c.lower() if flip else c for c, flip in zip(outward + inward, flips)]
    cased_out, cased_in = "".join(chars[: len(outward)]), "".join(chars[len(outward) :])
    return draw(PADDING) + cased_out + draw(SEPARATORS) + cased_in + draw(PADDING)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), outward=outward_codes(), inward=inward_codes())
def test_any_rendering_of_a_unit_normalises_to_the_canonical_form(data, outward, inward):
    typed = data.draw(typed_like_a_person((outward, inward)))
    assert normalise_postcode(typed) == f"{outward} {inward}"
    assert normalise_sector(typed) == f"{outward} {inward[0]}"


@settings(max_examples=300, deadline=None)
@given(data=st.data(), outward=outward_codes(), digit=DIGIT)
def test_any_rendering_of_a_sector_normalises_to_the_canonical_form(data, outward, digit):
    typed = data.draw(typed_like_a_person((outward, digit)))
    assert normalise_sector(typed) == f"{outward} {digit}"
    assert normalise_sector(normalise_sector(typed)) == normalise_sector(typed)


@settings(max_examples=200, deadline=None)
@given(outward=outward_codes(), inward=inward_codes())
def test_sector_of_a_unit_agrees_with_normalise_sector(outward, inward):
    unit = normalise_postcode(f"{outward}{inward}")
    assert parse_postcode(unit).sector == normalise_sector(unit)
    assert sectors_of_units(pd.Series([unit], dtype="string"))[0] == normalise_sector(unit)


def _scalar(function, value):
    try:
        return function(value)
    except PostcodeError:
        return None


ANY_TEXT = st.one_of(
    st.text(alphabet=st.sampled_from("TSNEM0123456789 ab" + NBSP), max_size=9),
    st.builds(lambda o, i: f"{o} {i}", outward_codes(), inward_codes()),
    st.builds(lambda o, d: f"{o}{d}", outward_codes(), DIGIT),
    outward_codes(),
    st.none(),
)


@settings(max_examples=100, deadline=None)
@given(values=st.lists(ANY_TEXT, min_size=1, max_size=30))
def test_vectorised_functions_agree_with_the_scalar_ones(values):
    series = pd.Series(values, dtype=object)
    sectors, sector_reasons = normalise_sectors(series)
    units, unit_reasons = normalise_postcodes(series)
    for i, value in enumerate(values):
        expected_sector = _scalar(normalise_sector, value)
        expected_unit = _scalar(normalise_postcode, value)
        assert (None if sectors[i] is pd.NA else sectors[i]) == expected_sector
        assert (None if units[i] is pd.NA else units[i]) == expected_unit
        assert (sector_reasons[i] is pd.NA) == (expected_sector is not None)
        assert (unit_reasons[i] is pd.NA) == (expected_unit is not None)
        if expected_unit is not None:
            assert sectors_of_units(units[i : i + 1])[i] == expected_sector


def test_nan_is_empty_in_both_forms():
    sectors, reasons = normalise_sectors(pd.Series([math.nan]))
    assert sectors.isna().all() and reasons[0] == "the postcode sector is empty"
