"""The words files use for accommodation, support and property status, mapped to one spelling.

Shared by every reader so that "Dispersal Accommodation" (published
tables), "Dispersed" (a provider) and "DA" mean the same thing everywhere.
Each function maps the distinct values of a column once (files have a
handful), and returns the values it did not recognise so that the reader can
warn about them.
"""
from __future__ import annotations

import re

import pandas as pd

from app.distinct import per_distinct

from app.config import CONTINGENCY, DISPERSAL, INITIAL, SUBSISTENCE


def word_key(text: object) -> str:
    """Lower case, punctuation and spacing collapsed to single spaces."""
    return re.sub(r"[^a-z0-9]+", " ", str(text).lower()).strip()


def accommodation_type(text: object) -> str | None:
    """Canonical accommodation type (see ``app.config``), or None when not recognised."""
    key = word_key(text)
    words = key.split()
    if "dispers" in key or key in {"da", "dispersal"}:
        return DISPERSAL
    if "initial" in words or key in {"ia", "initial accommodation", "hostel"}:
        return INITIAL
    if "contingency" in words or "hotel" in words or "hotels" in words or key in {"ca", "cont", "contingency"}:
        return CONTINGENCY
    if "subsistence" in words or key in {"so", "sub only", "subs only"}:
        return SUBSISTENCE
    return None


def support_type(text: object) -> str | None:
    """"Section 95" / "Section 4" / "Section 98" from "S95", "s.95", "Sec 4", "95"..., else None."""
    match = re.fullmatch(r"(?:s|sec|section)?\s*(95|98|4)", word_key(text).replace(" ", ""))
    return f"Section {match.group(1)}" if match else None


_STATUS = {
    "in use": {"in use", "occupied", "live", "active", "current", "open", "in service", "operational", "let", "tenanted"},
    "void": {"void", "empty", "vacant", "unoccupied", "available"},
    "proposed": {"proposed", "pipeline", "planned", "in pipeline", "pending", "under consultation", "consultation"},
    "handed back": {"handed back", "handback", "hand back", "returned", "ended", "closed", "terminated", "exited",
                    "returned to landlord", "decommissioned"},
}
_STATUS_WORD = {word: status for status, words in _STATUS.items() for word in words}


def property_status(text: object) -> str | None:
    """"in use" / "void" / "proposed" / "handed back", or None when not recognised."""
    return _STATUS_WORD.get(word_key(text))


_GENDER = {"m": "Male", "male": "Male", "man": "Male", "f": "Female", "female": "Female", "woman": "Female"}
_HOUSEHOLD = {"single": "Single", "singles": "Single", "single adult": "Single", "family": "Family",
              "families": "Family", "family member": "Family"}
_YES = {"y", "yes", "true", "1", "uasc", "unaccompanied"}
_NO = {"n", "no", "false", "0", "not uasc", "accompanied"}


def gender(text: object) -> str:
    return _GENDER.get(word_key(text), str(text).strip())


def household_type(text: object) -> str:
    return _HOUSEHOLD.get(word_key(text), str(text).strip())


def yes_no(text: object) -> bool | None:
    key = word_key(text)
    return True if key in _YES else False if key in _NO else None


def map_values(values: pd.Series, normalise, *, keep_unknown=str.lower) -> tuple[pd.Series, list[str]]:
    """Apply ``normalise`` to each distinct non-blank value of a text column.

    Unrecognised values (``normalise`` returned None) are kept through
    ``keep_unknown`` and listed, so the caller can warn. Blanks become <NA>.
    """
    text = per_distinct(values, lambda distinct: distinct.astype("string").str.strip())
    text = text.mask(text.eq(""))
    mapping: dict[str, object] = {}
    unknown: list[str] = []
    for value in text.dropna().unique():
        canonical = normalise(value)
        if canonical is None:
            unknown.append(value)
            canonical = keep_unknown(value) if keep_unknown else pd.NA
        mapping[value] = canonical
    return text.map(mapping), unknown
