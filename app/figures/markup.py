"""Data strings made inert before they go into plotly text, hover, names or annotations.

Plotly draws those strings as its own small HTML (``<a href>``, ``<b>``, ``<br>``...), so an address or an
area name from an uploaded file could become a live link or change the layout of the hover. Escaping
``&``, ``<`` and ``>`` (plotly turns the entities back into the characters on screen) shows the text as
written and nothing more.
"""

from __future__ import annotations

import pandas as pd

_TABLE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})


def inert(value: object) -> str:
    """One data value as text plotly shows literally."""
    return str(value).translate(_TABLE)


def inert_series(values: pd.Series) -> pd.Series:
    """Every string of ``values`` escaped (missing values stay missing)."""
    return values.astype("string").str.translate(_TABLE)
