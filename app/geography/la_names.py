"""Local authority names as councils write them, matched to the GSS codes of the loaded geography.

Why: files name their council the way its own staff do ("Leeds City
Council", "City of Bradford MDC", "Kirklees MC", "Council of the City of
Wakefield", "Cyngor Caerdydd"), not as the ONS boundary file does ("Leeds",
"Bradford", "Cardiff", "Kingston upon Hull, City of"). Both sides are reduced
to one key (case, accents, punctuation and the council's decorations left
out), Welsh names are looked up in :data:`WELSH_NAMES`, and a GSS code
anywhere in the cell wins. A key two loaded LAs share is not matched, so a
name is never guessed.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

from app.distinct import per_distinct

GSS = re.compile(r"\b([EWSN]\d{8})\b", re.IGNORECASE)

#: Welsh names of the Welsh principal areas (English name as in the ONS file -> Welsh names).
WELSH_NAMES: dict[str, tuple[str, ...]] = {
    "Isle of Anglesey": ("Ynys Môn", "Sir Ynys Môn", "Môn"),
    "Gwynedd": ("Gwynedd",),
    "Conwy": ("Conwy",),
    "Denbighshire": ("Sir Ddinbych",),
    "Flintshire": ("Sir y Fflint",),
    "Wrexham": ("Wrecsam",),
    "Ceredigion": ("Ceredigion",),
    "Pembrokeshire": ("Sir Benfro",),
    "Carmarthenshire": ("Sir Gaerfyrddin", "Sir Gâr"),
    "Swansea": ("Abertawe",),
    "Neath Port Talbot": ("Castell-nedd Port Talbot",),
    "Bridgend": ("Pen-y-bont ar Ogwr",),
    "Vale of Glamorgan": ("Bro Morgannwg",),
    "Cardiff": ("Caerdydd",),
    "Rhondda Cynon Taf": ("Rhondda Cynon Taf", "Rhondda Cynon Taff"),
    "Caerphilly": ("Caerffili",),
    "Blaenau Gwent": ("Blaenau Gwent",),
    "Torfaen": ("Tor-faen",),
    "Monmouthshire": ("Sir Fynwy",),
    "Newport": ("Casnewydd",),
    "Powys": ("Powys",),
    "Merthyr Tydfil": ("Merthyr Tudful",),
}
#: Short names in everyday use for LAs whose official name is longer.
ALIASES: dict[str, tuple[str, ...]] = {
    "Kingston upon Hull, City of": ("Hull",),
    "Bristol, City of": ("Bristol",),
    "Herefordshire, County of": ("Hereford",),
    "Bournemouth, Christchurch and Poole": ("BCP",),
    "Rhondda Cynon Taf": ("RCT",),
}

# Longest first, so "metropolitan borough council" goes before "council".
_DECORATIONS = sorted(
    [
        "council of the city of",
        "council of the borough of",
        "city and county of",
        "city and county council",
        "metropolitan borough council",
        "metropolitan district council",
        "metropolitan borough of",
        "metropolitan council",
        "county borough council",
        "royal borough of",
        "london borough of",
        "city of",
        "county of",
        "borough of",
        "district of",
        "city council",
        "borough council",
        "district council",
        "county council",
        "unitary authority",
        "unitary council",
        "local authority",
        "corporation",
        "council",
        "metropolitan",
        "mbc",
        "mdc",
        "cbc",
        "mc",
        "bc",
        "cc",
        "dc",
        "the",
        # Welsh
        "cyngor bwrdeistref sirol",
        "cyngor dinas a sir",
        "dinas a sir",
        "cyngor dinas",
        "cyngor sir",
        "cyngor",
    ],
    key=len,
    reverse=True,
)
_DECORATION = re.compile(r"\b(" + "|".join(re.escape(d) for d in _DECORATIONS) + r")\b")
_SUFFIX_OF = re.compile(r"^(.*?),\s*(city|county|borough|royal borough) of$")


def la_key(name: object) -> str:
    """The key two spellings of one council share: "Leeds City Council" and "Leeds" -> "leeds"."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode().lower().strip()
    text = text.replace("&", " and ").replace("'", "")
    text = _SUFFIX_OF.sub(r"\2 of \1", text)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    text = re.sub(r"\bst\b", "saint", text)
    stripped = _DECORATION.sub(" ", text)
    stripped = re.sub(r"\bcity$", " ", stripped.strip())
    key = re.sub(r"[^a-z0-9]", "", stripped)
    return key or re.sub(r"[^a-z0-9]", "", text)


def _welsh_keys(name: str) -> set[str]:
    keys = {la_key(name)}
    bare = re.sub(r"^(sir y|sir)\s+", "", name.lower())
    keys.add(la_key(bare))
    return keys


def name_index(lads: pd.DataFrame) -> dict[str, str]:
    """key -> GSS code for every loaded LA (``area_code``, ``area_name``): official, Welsh and short names.

    Keys two LAs would share are left out (refused rather than guessed)."""
    candidates: dict[str, set[str]] = {}
    for code, name in zip(lads["area_code"], lads["area_name"]):
        keys = {la_key(n) for n in _spellings(str(name))}
        for welsh in WELSH_NAMES.get(str(name), ()):
            keys |= _welsh_keys(welsh)
        for key in keys:
            candidates.setdefault(key, set()).add(str(code))
    return {key: codes.pop() for key, codes in candidates.items() if len(codes) == 1}


def _spellings(name: str) -> list[str]:
    """The official name, its everyday short names and its Welsh names."""
    return [name, *ALIASES.get(name, ()), *WELSH_NAMES.get(name, ())]


def _tokens(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()
    return re.findall(r"[a-z0-9]+", plain.replace("&", " and "))


def named_in(text: str, lads: pd.DataFrame) -> str | None:
    """The LA a file name names, if exactly one does: its GSS code, or every word of one of its spellings.

    Stricter than a cell's match on purpose: a file name holds other words ("north_east_march"), so a name
    counts only whole, and the longest match wins ("North Tyneside" over a bare "Tyneside")."""
    words = _tokens(text)
    joined = " " + " ".join(words) + " "
    best: dict[int, set[str]] = {}
    for code, name in zip(lads["area_code"].astype(str), lads["area_name"].astype(str)):
        if code.lower() in words:
            return code
        for spelling in _spellings(name):
            needle = " " + " ".join(_tokens(spelling)) + " "
            if needle.strip() and needle in joined:
                best.setdefault(len(needle), set()).add(code)
    if not best:
        return None
    longest = best[max(best)]
    return next(iter(longest)) if len(longest) == 1 else None


def resolve_local_authorities(values: pd.Series, lads: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """GSS codes for LA names or codes as written in a file; (codes, unresolved mask)."""
    index = name_index(lads)
    known = {str(c).upper() for c in lads["area_code"]}

    def resolve(distinct: pd.Series) -> tuple[pd.Series, pd.Series]:
        written = distinct.astype("string").str.strip()
        codes = []
        for value in written:
            if value is pd.NA or not value:
                codes.append(pd.NA)
                continue
            found = [c.upper() for c in GSS.findall(value) if c.upper() in known]
            codes.append(found[0] if len(set(found)) == 1 else index.get(la_key(value), pd.NA))
        codes = pd.Series(codes, index=distinct.index, dtype="string")
        return codes, written.notna() & (written != "") & codes.isna()

    return per_distinct(values, resolve)
