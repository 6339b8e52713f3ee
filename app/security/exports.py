"""Exports that are safe to open in a spreadsheet: no cell can start a formula.

OWASP "CSV injection": a cell beginning ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return may run as a formula in Excel or LibreOffice. Such text cells
get a leading apostrophe, which spreadsheets show as text; numbers are left
alone (a negative headroom stays a number).
"""

from __future__ import annotations

import pandas as pd

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def defuse_text(value: object) -> object:
    """One cell: text starting with a formula trigger is prefixed with ``'``; anything else unchanged."""
    if isinstance(value, str) and value.startswith(TRIGGERS):
        return "'" + value
    return value


def defuse(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) cannot start a formula."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series):
            text = series.astype("object")
            risky = text.map(lambda v: isinstance(v, str) and v.startswith(TRIGGERS))
            if risky.any():
                out[column] = text.where(~risky, "'" + text[risky].astype(str))
    out.columns = [defuse_text(str(c)) for c in out.columns]
    return out
