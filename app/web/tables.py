"""Server-side paging, sorting and filtering for Dash DataTables (``page_action="custom"`` and friends).

A page of a long table is cut on the server so that the browser only ever receives one page. The table sends
its filter as a query string (``{bedspaces} > 3 && {address} icontains church``): numeric columns compare as
numbers, text columns as case-insensitive text, date columns (ISO strings in the frame) as dates, read the UK
way when typed (``3/11/2025``). What the table cannot express is ignored rather than guessed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pandas as pd

#: Filter options per column: case-insensitive text only. A table-level ``filter_options`` case setting makes
#: every column compare as text, so "> 100" kept "99" (plotly/dash#1793). Numbers show whole, with separators.
TEXT = {"type": "text", "filter_options": {"case": "insensitive"}}
WHOLE = {"type": "numeric", "format": {"specifier": ",.0f"}}

#: One column's filter: ``{column} operator value`` (Dash prefixes ``i``/``s`` for case-(in)sensitive ones).
_PART = re.compile(r"^\s*\{(?P<column>[^}]+)\}\s*(?P<rest>.*?)\s*$")
_OPERATOR = re.compile(
    r"^(?:[is])?(?P<op>>=|<=|!=|=|>|<|eq|ne|ge|le|gt|lt|contains|datestartswith)(?=\s|$|[^a-z])", re.I
)
_UNARY = re.compile(r"^is (?P<what>blank|nil|num|str)$", re.I)
_WORDS = {"eq": "=", "ne": "!=", "ge": ">=", "le": "<=", "gt": ">", "lt": "<"}
_COMPARE = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}


@dataclass(frozen=True)
class Condition:
    column: str
    op: str
    value: str | None


def parse_filter(query: str | None) -> list[Condition]:
    """The conditions of a DataTable filter query (the per-column ones, joined by ``&&``)."""
    conditions = []
    for part in (query or "").split(" && "):
        match = _PART.match(part)
        if not match:
            continue
        column, rest = match["column"], match["rest"]
        unary = _UNARY.match(rest)
        if unary:
            conditions.append(Condition(column, "is " + unary["what"].lower(), None))
            continue
        operator = _OPERATOR.match(rest)
        if not operator:
            continue
        op = operator["op"].lower()
        conditions.append(Condition(column, _WORDS.get(op, op), _unquote(rest[operator.end() :].strip())))
    return conditions


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'`":
        return value[1:-1].replace("\\" + value[0], value[0])
    return value


def _uk_date(value: str) -> pd.Timestamp | None:
    try:
        stamp = pd.to_datetime(value, dayfirst=True)
    except (ValueError, TypeError, OverflowError):
        return None
    return None if pd.isna(stamp) else stamp


def _number(value: str) -> float | None:
    try:
        return float(value.replace(",", ""))
    except (ValueError, AttributeError):
        return None


def _mask(frame: pd.DataFrame, condition: Condition, kind: str, shown: pd.Series) -> pd.Series:
    column = frame[condition.column]
    op, value = condition.op, condition.value
    if op == "is blank" or op == "is nil":
        return column.isna() | (column.astype("string").str.strip() == "")
    if op == "is num":
        return pd.to_numeric(column, errors="coerce").notna()
    if op == "is str":
        return column.notna() & pd.to_numeric(column, errors="coerce").isna()
    if op in ("contains", "datestartswith") or value is None:
        return shown.str.contains(value or "", case=False, regex=False) | (
            column.astype("string").str.lower().str.startswith((value or "").lower()).fillna(False)
        )
    if kind == "numeric":
        number = _number(value)
        if number is None:
            return shown.str.lower() == value.lower() if op == "=" else pd.Series(False, index=frame.index)
        return _COMPARE[op](pd.to_numeric(column, errors="coerce"), number).fillna(False)
    if kind == "date":
        stamp = _uk_date(value)
        if stamp is None:
            return pd.Series(False, index=frame.index)
        return _COMPARE[op](pd.to_datetime(column, errors="coerce"), stamp).fillna(False)
    return _COMPARE[op](shown.str.lower(), value.lower()).fillna(False)


def query(
    frame: pd.DataFrame,
    filter_query: str | None,
    sort_by: list[dict] | None,
    kinds: dict[str, str],
    shown: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The rows of ``frame`` that pass the filter, in the requested order.

    ``kinds`` maps each filterable column to ``"text"``, ``"numeric"`` or ``"date"``; ``shown`` holds the
    text each cell shows (text filters match what the reader sees, so "3 Nov" finds a date). Sorting uses
    the values (numbers as numbers, dates in date order), blanks last whichever way.
    """
    shown = frame.astype("string").fillna("") if shown is None else shown
    keep = pd.Series(True, index=frame.index)
    for condition in parse_filter(filter_query):
        kind = kinds.get(condition.column)
        if kind is None:
            continue
        keep &= _mask(frame, condition, kind, shown[condition.column].astype("string").fillna(""))
    rows = frame[keep]
    for sort in reversed(sort_by or []):
        column = sort.get("column_id")
        kind = kinds.get(column)
        if kind is None:
            continue
        rows = rows.sort_values(
            column,
            ascending=sort.get("direction") != "desc",
            kind="stable",
            na_position="last",
            key=lambda s, kind=kind: _sort_key(s, kind),
        )
    return rows


def _sort_key(values: pd.Series, kind: str) -> pd.Series:
    if kind == "numeric":
        return pd.to_numeric(values, errors="coerce")
    if kind == "date":
        return pd.to_datetime(values, errors="coerce")
    return values.astype("string").str.lower()


def page(rows: pd.DataFrame, current: int | None, size: int) -> tuple[pd.DataFrame, int, int]:
    """One page of ``rows``: (the page, how many pages, the page number actually shown)."""
    count = max(1, math.ceil(len(rows) / size))
    current = min(max(int(current or 0), 0), count - 1)
    return rows.iloc[current * size : (current + 1) * size], count, current
