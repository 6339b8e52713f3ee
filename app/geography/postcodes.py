"""UK postcodes: normalise units and sectors however they were typed.

Unit ``TS1 3AB`` -> sector ``TS1 3`` -> district ``TS1`` -> area ``TS``.
Files arrive with any case, missing or doubled spaces and non-breaking
spaces, so everything is compacted to letters and digits first and then
re-split: the inward code is always the last three characters of a unit and
the sector digit the last character of a sector.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from app.distinct import per_distinct

OUTWARD = r"[A-Z]{1,2}[0-9][A-Z0-9]?"
_UNIT = re.compile(rf"^({OUTWARD})([0-9][A-Z]{{2}})$")
_SECTOR = re.compile(rf"^({OUTWARD})([0-9])$")
_DISTRICT = re.compile(rf"^{OUTWARD}$")
_NOT_ALNUM = re.compile(r"[^A-Z0-9]")


class PostcodeError(ValueError):
    """A string that is not a UK postcode (or sector); the message says why."""


@dataclass(frozen=True)
class Postcode:
    outward: str
    inward: str

    @property
    def unit(self) -> str:
        return f"{self.outward} {self.inward}"

    @property
    def sector(self) -> str:
        return f"{self.outward} {self.inward[0]}"

    @property
    def district(self) -> str:
        return self.outward

    @property
    def area(self) -> str:
        return area_of(self.outward)


def _compact(text: object) -> str:
    if text is None or (isinstance(text, float) and text != text):
        raise PostcodeError("is empty")
    return _NOT_ALNUM.sub("", str(text).upper())


def parse_postcode(text: object) -> Postcode:
    """Parse a full unit postcode, e.g. ``ts13ab`` or ``TS1\u00a03AB``."""
    compact = _compact(text)
    if not compact:
        raise PostcodeError("is empty")
    match = _UNIT.match(compact)
    if not match:
        if _SECTOR.match(compact) or _DISTRICT.match(compact):
            raise PostcodeError(f"'{text}' is not a full postcode (the last part, e.g. '3AB', is missing)")
        raise PostcodeError(f"'{text}' is not a UK postcode")
    return Postcode(match.group(1), match.group(2))


def normalise_postcode(text: object) -> str:
    """Canonical unit form, outward and inward code separated by one space."""
    return parse_postcode(text).unit


def normalise_sector(text: object) -> str:
    """Canonical sector (``TS1 3``) from a sector or a full unit postcode.

    ``TS13`` is read as sector ``TS1 3``: in a sector column the last digit is
    always the sector digit. Units such as ``TS1 3XX`` are cut to their sector.
    """
    compact = _compact(text)
    if not compact:
        raise PostcodeError("is empty")
    unit = _UNIT.match(compact)
    if unit:
        return f"{unit.group(1)} {unit.group(2)[0]}"
    sector = _SECTOR.match(compact)
    if sector:
        return f"{sector.group(1)} {sector.group(2)}"
    if _DISTRICT.match(compact):
        raise PostcodeError(f"'{text}' is a postcode district, not a sector (the sector digit is missing)")
    raise PostcodeError(f"'{text}' is not a postcode sector")


def area_of(outward_or_sector: str) -> str:
    """Postcode area: the leading letters (``TS`` of ``TS1 3``)."""
    return re.match(r"[A-Z]*", outward_or_sector.upper()).group(0)


def district_of(sector_or_unit: str) -> str:
    return sector_or_unit.split(" ")[0]


def normalise_sectors(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Vectorised :func:`normalise_sector` for a whole column.

    Returns (sectors, reasons): a sector where the value could be read, else
    ``<NA>`` with a reason in words in ``reasons``.
    """
    return per_distinct(values, _normalise_sectors)


def _normalise_sectors(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    compact = values.astype("string").str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
    unit = compact.str.extract(rf"^({OUTWARD})([0-9])[A-Z]{{2}}$")
    sector = compact.str.extract(rf"^({OUTWARD})([0-9])$")
    outward = unit[0].fillna(sector[0])
    digit = unit[1].fillna(sector[1])
    result = (outward + " " + digit).astype("string")
    reasons = pd.Series(pd.NA, index=values.index, dtype="string")
    bad = result.isna()
    if bad.any():
        original = values[bad].astype("string")
        empty = compact[bad].fillna("").eq("")
        district = compact[bad].str.fullmatch(OUTWARD).fillna(False)
        reasons[bad] = "'" + original.fillna("") + "' is not a postcode sector"
        reasons[bad & district.reindex(values.index, fill_value=False)] = (
            "'" + original + "' is a postcode district, not a sector (the sector digit is missing)"
        )
        reasons[bad & empty.reindex(values.index, fill_value=False)] = "the postcode sector is empty"
    return result, reasons


def normalise_postcodes(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Vectorised :func:`normalise_postcode`; returns (units, reasons) like :func:`normalise_sectors`."""
    return per_distinct(values, _normalise_postcodes)


def _normalise_postcodes(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    compact = values.astype("string").str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
    parts = compact.str.extract(rf"^({OUTWARD})([0-9][A-Z]{{2}})$")
    result = (parts[0] + " " + parts[1]).astype("string")
    reasons = pd.Series(pd.NA, index=values.index, dtype="string")
    bad = result.isna()
    if bad.any():
        original = values[bad].astype("string")
        reasons[bad] = "'" + original.fillna("") + "' is not a full UK postcode"
        reasons[bad & compact[bad].fillna("").eq("").reindex(values.index, fill_value=False)] = "the postcode is empty"
    return result, reasons


def sectors_of_units(units: pd.Series) -> pd.Series:
    """Sector of each canonical unit postcode (``TS1 3AB`` -> ``TS1 3``)."""
    return units.str.slice(0, -2).astype("string")
