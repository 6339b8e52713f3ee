"""The words files use for accommodation, support and property status, mapped to one spelling.

Shared by every reader so that "Dispersal Accommodation" (published
tables), "Dispersed" (a provider) and "DA" mean the same thing everywhere.
Each function maps the distinct values of a column once (files have a
handful), and returns the values it did not recognise so that the reader can
warn about them.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

from app.config import CONTINGENCY, DISPERSAL, INITIAL, SUBSISTENCE
from app.distinct import per_distinct


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


_ROMAN = {"iv": "4", "xcv": "95", "xcviii": "98"}


def support_type(text: object) -> str | None:
    """ "Section 95" / "Section 4" / "Section 98" from "S95", "s.95", "Sec 4", "Section IV", "s4(2)", "95"..., else None."""
    key = re.sub(r"\b(support|asylum|only|ia|act)\b", " ", word_key(text))
    key = re.sub(r"(?<=[0-9])\s*[0-9]$", "", key.strip()) if re.search(r"\b4\s+[0-9]$", key) else key
    compact = key.replace(" ", "")
    match = re.fullmatch(r"(?:s|sec|section|sect)?(95|98|4|iv|xcv|xcviii)(?:[0-9abc]{0,2})?", compact)
    if not match:
        return None
    number = _ROMAN.get(match.group(1), match.group(1))
    return f"Section {number}"


_STATUS = {
    "in use": {
        "in use",
        "occupied",
        "live",
        "active",
        "current",
        "open",
        "in service",
        "operational",
        "let",
        "tenanted",
    },
    "void": {"void", "empty", "vacant", "unoccupied", "available"},
    "proposed": {"proposed", "pipeline", "planned", "in pipeline", "pending", "under consultation", "consultation"},
    "handed back": {
        "handed back",
        "handback",
        "hand back",
        "returned",
        "ended",
        "closed",
        "terminated",
        "exited",
        "returned to landlord",
        "decommissioned",
    },
}
_STATUS_WORD = {word: status for status, words in _STATUS.items() for word in words}


def property_status(text: object) -> str | None:
    """ "in use" / "void" / "proposed" / "handed back", or None when not recognised."""
    return _STATUS_WORD.get(word_key(text))


_GENDER = {
    "m": "Male",
    "male": "Male",
    "males": "Male",
    "man": "Male",
    "men": "Male",
    "boy": "Male",
    "f": "Female",
    "female": "Female",
    "females": "Female",
    "woman": "Female",
    "women": "Female",
    "girl": "Female",
    "u": "Unknown",
    "unknown": "Unknown",
    "not known": "Unknown",
    "not stated": "Unknown",
    "unspecified": "Unknown",
    "x": "Unknown",
    "prefer not to say": "Unknown",
    "other": "Other",
    "non binary": "Other",
    "other gender": "Other",
    "o": "Other",
}
_HOUSEHOLD = {
    "single": "Single",
    "singles": "Single",
    "single adult": "Single",
    "single person": "Single",
    "s": "Single",
    "family": "Family",
    "families": "Family",
    "family member": "Family",
    "family group": "Family",
    "fam": "Family",
    "main applicant": "Principal",
    "principal": "Principal",
    "principal applicant": "Principal",
    "main": "Principal",
    "ma": "Principal",
    "lead applicant": "Principal",
    "applicant": "Principal",
    "dependant": "Dependant",
    "dependent": "Dependant",
    "dependants": "Dependant",
    "dependents": "Dependant",
    "dep": "Dependant",
    "child dependant": "Dependant",
    "adult dependant": "Dependant",
    "spouse dependant": "Dependant",
}
_YES = {"y", "yes", "true", "1", "uasc", "unaccompanied"}
_NO = {"n", "no", "false", "0", "not uasc", "accompanied"}


def gender(text: object) -> str:
    """ "Male" / "Female" / "Unknown" / "Other" from "M", "f", "Women", "U"...; other values as written."""
    return gender_of(text) or str(text).strip()


def gender_of(text: object) -> str | None:
    return _GENDER.get(word_key(text))


def household_type(text: object) -> str:
    """ "Single" / "Family", or "Principal" / "Dependant" (main applicant or dependant); others as written."""
    return household_of(text) or str(text).strip()


def household_of(text: object) -> str | None:
    return _HOUSEHOLD.get(word_key(text))


#: Nationalities as the Home Office statistics name the countries, under the other ways files write them.
_NATIONALITY_NAMES: dict[str, tuple[str, ...]] = {
    "Afghanistan": ("afghan", "afghani", "afganistan", "afghanistan islamic republic of"),
    "Albania": ("albanian",),
    "Algeria": ("algerian",),
    "Angola": ("angolan",),
    "Bangladesh": ("bangladeshi",),
    "Burundi": ("burundian",),
    "Cameroon": ("cameroonian",),
    "Chad": ("chadian",),
    "China": ("chinese", "china peoples republic of", "peoples republic of china", "prc"),
    "Colombia": ("colombian",),
    "Congo (Democratic Republic)": (
        "democratic republic of the congo",
        "dr congo",
        "drc",
        "congo dr",
        "congo democratic republic",
        "congolese drc",
        "democratic republic of congo",
    ),
    "C\u00f4te d'Ivoire": ("cote d ivoire", "cote divoire", "ivory coast", "ivorian"),
    "Egypt": ("egyptian",),
    "El Salvador": ("salvadoran", "salvadorian"),
    "Eritrea": ("eritrean",),
    "Ethiopia": ("ethiopian",),
    "Gambia": ("gambian", "the gambia"),
    "Georgia": ("georgian",),
    "Ghana": ("ghanaian",),
    "Guinea": ("guinean",),
    "India": ("indian",),
    "Iran": ("iranian", "iran islamic republic of", "islamic republic of iran", "persia", "persian"),
    "Iraq": ("iraqi",),
    "Jamaica": ("jamaican",),
    "Kuwait": ("kuwaiti", "kuwaiti bidoon", "bidoon", "bedoon"),
    "Lebanon": ("lebanese",),
    "Libya": ("libyan",),
    "Malawi": ("malawian",),
    "Mali": ("malian",),
    "Morocco": ("moroccan",),
    "Namibia": ("namibian",),
    "Nigeria": ("nigerian",),
    "Pakistan": ("pakistani",),
    "Palestine": ("palestinian", "occupied palestinian territories", "palestinian territories"),
    "Russia": ("russian", "russian federation"),
    "Saudi Arabia": ("saudi",),
    "Senegal": ("senegalese",),
    "Sierra Leone": ("sierra leonean",),
    "Somalia": ("somali", "somalian"),
    "South Sudan": ("south sudanese",),
    "Sri Lanka": ("sri lankan", "srilanka"),
    "Sudan": ("sudanese",),
    "Syria": ("syrian", "syrian arab republic", "syria arab republic"),
    "Tunisia": ("tunisian",),
    "Turkey": ("turkish", "turkiye", "t rkiye"),
    "Uganda": ("ugandan",),
    "Ukraine": ("ukrainian",),
    "Venezuela": ("venezuelan",),
    "Vietnam": ("viet nam", "vietnamese", "vietnam socialist republic of"),
    "Yemen": ("yemeni",),
    "Zimbabwe": ("zimbabwean",),
    "Stateless": ("stateless person",),
    "Other": ("others", "other nationalities", "all other nationalities", "rest of world", "all other"),
    "Unknown": ("not known", "unknown nationality", "not stated", "nationality unknown", "unspecified"),
}
_NATIONALITY = {word_key(name): name for name in _NATIONALITY_NAMES}
_NATIONALITY.update({word_key(alias): name for name, aliases in _NATIONALITY_NAMES.items() for alias in aliases})


def nationality(text: object) -> str | None:
    """A country as the Home Office names it ("eritrean ", "ERITREA", "Viet Nam" -> "Eritrea", "Vietnam"), else None."""
    key = word_key(unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode())
    return _NATIONALITY.get(key) or _NATIONALITY.get(key.removeprefix("the "))


def as_written(text: object) -> str:
    """A value kept as the file wrote it, with spacing tidied (so " eritrea " and "eritrea" count once)."""
    return re.sub(r"\s+", " ", str(text).replace("\u00a0", " ")).strip()


def age_group_of(text: object) -> str | None:
    """ "Adults" -> "18+", "Children" -> "0-17": the age groups some files count in columns."""
    key = word_key(text)
    if key in {"adult", "adults", "adults 18", "over 18", "over 18s", "18 and over"}:
        return "18+"
    if key in {
        "child",
        "children",
        "minors",
        "minor",
        "under 18",
        "under 18s",
        "dependent children",
        "dependant children",
    }:
        return "0-17"
    return None


def yes_no(text: object) -> bool | None:
    key = word_key(text)
    return True if key in _YES else False if key in _NO else None


def map_values(values: pd.Series, normalise, *, keep_unknown=str.lower) -> tuple[pd.Series, list[str]]:
    """Apply ``normalise`` to each distinct non-blank value of a text column.

    Unrecognised values (``normalise`` returned None) are kept through
    ``keep_unknown`` and listed, so the caller can warn. Blanks become <NA>.
    """
    unknown: list[str] = []

    def mapped(distinct: pd.Series) -> pd.Series:
        text = distinct.astype("string").str.strip()
        text = text.mask(text.eq(""))
        mapping: dict[str, object] = {}
        for value in text.dropna().unique():
            canonical = normalise(value)
            if canonical is None:
                unknown.append(value)
                canonical = keep_unknown(value) if keep_unknown else pd.NA
            mapping[value] = canonical
        return text.map(mapping)

    # Distinct values come in order of first appearance, so ``unknown`` lists them as the column does.
    return per_distinct(values, mapped), unknown
