"""Every page as its users read it: no ``nan``, no bare ``1909`` beside ``1,537``, no fractional people.

Each page is rendered through the real app as an admin (who sees every column) and every visible string is
collected: the text of the layout, the cells of every table, and the hover and label text of every figure.
"""

from __future__ import annotations

import re

import pytest

PAGES = ["/", "/wards", "/properties", "/profiles", "/check", "/data", "/report", "/admin"]
#: Words a missing value becomes when it leaks through formatting.
LEAKS = re.compile(r"(?<![\w-])(nan|NaN|None|NaT|<NA>|inf)(?![\w-])")
#: A bare count of 1,000 or more, as people read one; not a year, a month, a code, a postcode or a time.
BARE = re.compile(r"(?<![\w.,:/-])(\d{4,})(?![\w.,:/%-])")
#: Counts of people written with a fraction ("247.5 people"); percentages and ratios may have decimals.
FRACTIONAL_PEOPLE = re.compile(r"\b\d+\.\d+\s+(people|person|persons|supported)\b")


def _visible(tree, out: list[str]) -> list[str]:
    """Every string a user can read: children, table cells and headers, figure hover and text."""
    if isinstance(tree, str):
        out.append(tree)
    elif isinstance(tree, (int, float)) and not isinstance(tree, bool):
        out.append(str(tree))
    elif isinstance(tree, list):
        for item in tree:
            _visible(item, out)
    elif isinstance(tree, dict):
        props = tree.get("props")
        if props is None:
            return out
        _visible(props.get("children"), out)
        for row in props.get("data") or [] if isinstance(props.get("data"), list) else []:
            if isinstance(row, dict):
                out.extend(str(v) for v in row.values() if isinstance(v, str))
        for column in props.get("columns") or []:
            if isinstance(column, dict):
                out.append(str(column.get("name", "")))
        for option in props.get("options") or []:
            if isinstance(option, dict):
                out.append(str(option.get("label", "")))
        figure = props.get("figure")
        if isinstance(figure, dict):
            for trace in figure.get("data", []):
                for key in ("text", "hovertext", "name"):
                    value = trace.get(key)
                    out.extend(map(str, value) if isinstance(value, list) else [str(value)] if value else [])
    return out


def _tables(tree, out: list[dict]) -> list[dict]:
    if isinstance(tree, dict):
        props = tree.get("props", {})
        if isinstance(props.get("data"), list) and props.get("columns"):
            out.append(props)
        for value in props.values():
            _tables(value, out)
    elif isinstance(tree, list):
        for item in tree:
            _tables(item, out)
    return out


def _unformatted_numbers(table: dict) -> list[str]:
    """Numeric columns the browser would print as 175239 or 247.5 people: no ',' grouping, or decimals shown
    for a count of people (apportioned decimals stay in CSV and ``summary``)."""
    wrong = []
    for column in table["columns"]:
        values = [row.get(column["id"]) for row in table["data"]]
        numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool) and v == v]
        if not numbers:
            continue
        specifier = (column.get("format") or {}).get("specifier", "")
        people = re.search(r"people|headroom|bedspaces|residents", str(column.get("name", "")), re.I)
        if max(map(abs, numbers)) >= 1000 and "," not in specifier:
            wrong.append(f"{column.get('name')}: no thousands separator")
        if people and any(v != int(v) for v in numbers) and not specifier.endswith(".0f"):
            wrong.append(f"{column.get('name')}: fractional people shown")
    return wrong


def _allowed_bare(number: str, text: str) -> bool:
    """A year of the data (GSS codes and postcodes never match: a letter stands before their digits)."""
    return 2000 <= int(number) <= 2035


@pytest.mark.parametrize("path", PAGES)
def test_no_page_shows_nan_a_bare_thousand_or_fractional_people(dash_call, path):
    strings = _visible(dash_call.render(path), [])
    assert strings, f"{path} rendered nothing"
    leaks = sorted({s for s in strings if LEAKS.search(s)})
    assert not leaks, f"{path} shows missing values as words: {leaks[:10]}"
    bare = sorted({s for s in strings for n in BARE.findall(s) if not _allowed_bare(n, s)})
    assert not bare, f"{path} shows counts without thousands separators: {bare[:10]}"
    fractional = sorted({s for s in strings if FRACTIONAL_PEOPLE.search(s)})
    assert not fractional, f"{path} shows fractional people: {fractional[:10]}"
    unformatted = [f"{t.get('id')}: {w}" for t in _tables(dash_call.render(path), []) for w in _unformatted_numbers(t)]
    assert not unformatted, f"{path}: {unformatted}"


def test_the_check_catches_what_it_looks_for():
    tree = {
        "props": {
            "children": [{"props": {"children": "bedspaces: 1909"}}, "2025-06", "E06000002 Middlesbrough"],
            "data": [{"people": "nan", "when": "03/11/2025"}],
            "figure": {"data": [{"hovertext": ["Linthorpe: 247.5 people"]}]},
        }
    }
    strings = _visible(tree, [])
    assert [s for s in strings if LEAKS.search(s)] == ["nan"]
    assert [s for s in strings for n in BARE.findall(s) if not _allowed_bare(n, s)] == ["bedspaces: 1909"]
    assert [s for s in strings if FRACTIONAL_PEOPLE.search(s)] == ["Linthorpe: 247.5 people"]
    table = {
        "columns": [
            {"id": "people", "name": "People supported", "format": {"specifier": ",.1f"}},
            {"id": "population", "name": "Residents"},
        ],
        "data": [{"people": 247.5, "population": 175239}],
    }
    assert _unformatted_numbers(table) == [
        "People supported: fractional people shown",
        "Residents: no thousands separator",
    ]
