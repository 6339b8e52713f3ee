"""Pieces of the pack renderers that need no store: formula escaping, sheet names, scale bars, attribution."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from openpyxl import Workbook, load_workbook
from PIL import Image

from app.report import build, static_maps, xlsx

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"


def test_text_that_could_run_as_a_formula_stays_text():
    wb = Workbook()
    ws = wb.active
    risky = ["=1+1", "+44 191 000", "-2 Flat, High Street", "@SUM(A1)", '=HYPERLINK("http://x","y")']
    for i, text in enumerate(risky, start=1):
        xlsx.put(ws, i, 1, text)
    xlsx.put(ws, 10, 1, -3.5)
    xlsx.put(ws, 11, 1, "12 Main Street")
    out = io.BytesIO()
    wb.save(out)
    back = load_workbook(io.BytesIO(out.getvalue())).active
    for i, text in enumerate(risky, start=1):
        cell = back.cell(row=i, column=1)
        assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)
    assert back["A10"].value == -3.5 and back["A10"].data_type == "n"
    assert back["A11"].quotePrefix is False


def test_sheet_names_are_short_unique_and_legal():
    taken = {"About"}
    names = [xlsx.sheet_name(k, taken) for k in ("wards", "wards", "a/b:c?" + "x" * 40, "about")]
    assert names[0] == "Wards" and names[1] == "Wards 2"
    assert all(len(n) <= 31 and not re.search(r"[\[\]:*?/\\]", n) for n in names)
    assert names[3].lower() != "about"


def test_scale_bar_lengths_are_round_and_fit_a_quarter_of_the_map():
    for span, expected in ((40_000, 10_000), (9_000, 2_000), (130_000, 20_000), (3_000, 500)):
        assert static_maps._nice_length(span) == expected


def test_status_map_reads_in_greyscale():
    """An over-limit square must print darker than a within-limit square beside it."""
    squares = [shapely.box(-1.60, 54.50, -1.50, 54.56), shapely.box(-1.50, 54.50, -1.40, 54.56)]
    geometry = pd.DataFrame({"area_code": ["A", "B"], "geojson": shapely.to_geojson(squares)})
    rows = pd.DataFrame({"area_code": ["A", "B"], "status": ["breach", "ok"], "label": ["", ""]})
    png = static_maps.status_map(rows, geometry, width_in=4, dpi=80)
    grey = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)
    dark = grey < 200
    columns = np.where(dark.mean(axis=0) > 0.25)[0]  # the squares' columns: edges and the hatched fill
    left, right = columns.min(), columns.max()
    middle = (left + right) // 2
    band = slice(grey.shape[0] // 3, grey.shape[0] // 2)
    left_square = grey[band, left + 5 : middle - 5].mean()
    right_square = grey[band, middle + 5 : right - 5].mean()
    assert left_square < right_square - 40


def test_attribution_lines_come_from_the_reference_readme_and_the_built_in_copy_matches():
    text = (REFERENCE / "README.md").read_text(encoding="utf-8")
    section = text.split("## Licences and attribution", 1)[1].split("\n## ", 1)[0]
    expected = tuple(re.findall(r"^- [^:]+: \*(.+)\*\s*$", section, re.M))
    assert len(expected) == 3
    assert build.attribution_lines(REFERENCE) == expected
    assert build.attribution_lines(Path("/nonexistent")) == expected  # the fallback has not drifted
