"""Data-quality notes as a user may see them.

A note's words quote the file (a sector's count, a property's postcode), and one file can cover several
LAs (a provider's list, a regional Home Office file). The words are shown only when the policy lets the
user see data-quality notes of every LA the file covers; otherwise the note is listed by file, period,
kind and severity, never by what it says.
"""

from __future__ import annotations

import pandas as pd

from app.security.roles import Scope

WITHHELD = "Not shown: this file also covers local authorities whose file-level detail your account may not see."
COLUMNS = ["File", "Period", "Severity", "Kind of note", "Note"]


def covered_lads(loads: pd.DataFrame) -> pd.Series:
    """Each load's LAs (its ``scope``: comma-separated LA codes; empty: the whole store), by load id."""
    scope = loads["scope"].astype("string").fillna("")
    return pd.Series([[c for c in s.split(",") if c] for s in scope], index=loads["id"].astype(int).to_numpy())


def quality_notes(problems: pd.DataFrame, loads: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """``problems`` (rows of :func:`app.store.queries.problems`) as ``scope`` may read them.

    Columns :data:`COLUMNS`; ``Note`` is the message or :data:`WITHHELD`, and ``shown`` (bool) says which.
    Withheld notes of one file and kind are listed once.
    """
    if problems.empty:
        return pd.DataFrame({**{c: pd.Series(dtype=str) for c in COLUMNS}, "shown": pd.Series(dtype=bool)})
    covers = covered_lads(loads)
    readable = {int(i): scope.can_see_quality_notes(lads) for i, lads in covers.items()}
    shown = problems["load_id"].astype(int).map(readable).fillna(False).astype(bool)
    frame = pd.DataFrame(
        {
            "File": problems["file_name"].astype(str),
            "Period": problems["period"].astype("string").fillna("").astype(str),
            "Severity": problems["severity"].astype(str),
            "Kind of note": problems["code"].astype(str).str.replace("_", " "),
            "Note": problems["message"].astype(str).where(shown, WITHHELD),
            "shown": shown,
        }
    )
    return frame.drop_duplicates().reset_index(drop=True)
