"""Ward and LA rows as a user reads them: one story per area, whatever page or pack shows it.

For members (disclosure control) a ward's count is rounded to 5 or reads "fewer than 5" / "withheld", and
the words beside it are made from what they may know, never from a figure that contradicts it: the
"1 in N residents" line is said from the status band (which is shown) rather than from the rounded count
(which could say "nobody supported" of a ward holding 1-4 people, or a rate on the wrong side of the limit).
"""

from __future__ import annotations

import math

import pandas as pd

from app.figures import palette
from app.figures.maps import one_in


def band_one_in(status: str, population: float, limit: float, approaching: float) -> str:
    """ "1 in N residents" said from the status band only (members): agrees with the status by construction."""
    if status == palette.NO_DATA:
        return "no data"
    if population is None or population != population or population <= 0 or not limit or limit != limit:
        return "population not known"
    at_limit = math.floor(population / limit)
    at_approach = math.floor(population / (limit * approaching))
    if status == "breach":
        return f"more than 1 in {at_limit:,} residents"
    if status == "approaching":
        return f"between 1 in {at_approach:,} and 1 in {at_limit:,} residents"
    return f"fewer than 1 in {at_approach:,} residents"


def people_text(row: pd.Series, suppress: bool, note: bool = False) -> str:
    """People supported as the user may read it (``note``: say that a member's ward count is rounded)."""
    status = str(row.get("status"))
    if suppress and note and status != palette.NO_DATA and not row["suppressed"] and row.get("level") == "ward":
        return f"{row['people_display']} (rounded to 5)"
    return _people_word(status, row.get("people"), suppress, row.get("people_display"))


def _people_word(status: str, people, suppress: bool, display: object = None) -> str:
    """:func:`people_text` without a note, from the row's values (a whole table at once, no row objects)."""
    if status == palette.NO_DATA:
        return "no data"
    if suppress:
        return str(display)
    return "not known" if people != people else f"{people:,.1f}"


def readable_rows(rows: pd.DataFrame, suppress: bool, approaching: float) -> pd.DataFrame:
    """Monitoring rows (from :meth:`Scope.filter_table`) with ``people_text`` and ``one_in_text`` added, and
    for members a ``share_of_limit`` inside the status band for colouring (never the ward's own share)."""
    rows = rows.copy()
    status = rows["status"].astype(str)
    if not suppress:
        rows["people_text"] = [_people_word(st, p, False) for st, p in zip(status, rows["people"])]
        rows["one_in_text"] = [
            palette.STATUS_WORDS[palette.NO_DATA].lower() if s == palette.NO_DATA else one_in(p, n)
            for s, p, n in zip(status, rows["people"], rows["population"])
        ]
        return rows
    wards = rows["level"].astype(str).eq("ward") if "level" in rows else pd.Series(True, index=rows.index)
    rows["people_text"] = [_people_word(st, None, True, d) for st, d in zip(status, rows["people_display"])]
    banded = [
        band_one_in(s, n, lim, approaching)
        for s, n, lim in zip(status, rows["population"], pd.to_numeric(rows["limit"], errors="coerce"))
    ]
    exact = [one_in(p, n) for p, n in zip(rows["people"], rows["population"])]
    rows["one_in_text"] = [
        b if w or hidden else e for b, e, w, hidden in zip(banded, exact, wards, rows["suppressed"].astype(bool))
    ]
    share = status.map(palette.band_share(approaching)).astype(float)
    rows["share_of_limit"] = share.where(wards, rows["share_of_limit"])
    return rows
