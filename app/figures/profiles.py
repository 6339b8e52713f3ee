"""Profiles of the people supported (country of origin, age, gender, household), after disclosure control.

Every function takes the *published* table of :func:`app.cluster.disclosure.protect`
(``shown`` and ``display``, never the raw counts): a suppressed cell is a gap
in the chart, and its hover says "fewer than 5" or "withheld".
"""

from __future__ import annotations

import pandas as pd

from app.cluster.disclosure import TOTAL
from app.figures.charts import FONT, PALETTE, message
from app.figures.markup import inert

DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")


def _layout(title: str, height: int, **extra) -> dict:
    return {
        "height": height,
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}},
        "margin": {"l": 60, "r": 20, "t": 48, "b": 50},
        "font": FONT,
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        **extra,
    }


def category_bars(cells: pd.DataFrame, category_col: str, title: str) -> dict:
    """Horizontal bars of one row of the published table (e.g. the region's total by country)."""
    rows = cells[cells[category_col] != TOTAL]
    if rows.empty:
        return message("No data for this selection.")
    rows = rows.assign(order=rows["shown"].fillna(-1)).sort_values("order")
    labels = [
        f"{inert(c)} ({d})" if s != s else inert(c)
        for c, d, s in zip(rows[category_col], rows["display"], rows["shown"])
    ]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "x": [None if v != v else v for v in rows["shown"]],
                "y": labels,
                "text": rows["display"].tolist(),
                "textposition": "outside",
                "marker": {"color": PALETTE[0]},
                "hovertemplate": "%{y}: %{text}<extra></extra>",
                "cliponaxis": False,
            }
        ],
        "layout": _layout(
            title,
            max(260, 24 * len(rows) + 100),
            xaxis={"title": {"text": "People"}, "gridcolor": "#e5e6e7", "automargin": True},
            yaxis={"automargin": True},
            showlegend=False,
        ),
    }


def over_time(cells: pd.DataFrame, category_col: str, title: str, top: int = 8) -> dict:
    """One line per category over months (the ``top`` largest by latest shown value); gaps where suppressed."""
    rows = cells[cells[category_col] != TOTAL]
    if rows.empty:
        return message("No data for this selection.")
    latest = rows[rows["month"] == rows["month"].max()].set_index(category_col)["shown"].fillna(0)
    keep = latest.sort_values(ascending=False).index[:top]
    traces = []
    for i, category in enumerate(keep):
        line = rows[rows[category_col] == category].sort_values("month")
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": inert(category),
                "x": line["month"].tolist(),
                "y": [None if v != v else v for v in line["shown"]],
                "text": line["display"].tolist(),
                "connectgaps": False,
                "line": {"color": PALETTE[i % len(PALETTE)], "dash": DASHES[i % len(DASHES)]},
                "hovertemplate": f"{inert(category)}<br>%{{x}}: %{{text}}<extra></extra>",
            }
        )
    return {
        "data": traces,
        "layout": _layout(
            title,
            380,
            xaxis={"title": {"text": "Month"}, "type": "category"},
            yaxis={"title": {"text": "People"}, "gridcolor": "#e5e6e7", "rangemode": "tozero"},
            legend={"orientation": "h", "y": -0.25},
        ),
    }


def wide(cells: pd.DataFrame, row_col: str, category_col: str) -> pd.DataFrame:
    """The published cross-table as rows x categories of display strings, totals last."""
    grid = cells.pivot_table(index=row_col, columns=category_col, values="display", aggfunc="first")
    rows = [r for r in grid.index if r != TOTAL] + ([TOTAL] if TOTAL in grid.index else [])
    columns = [c for c in grid.columns if c != TOTAL] + ([TOTAL] if TOTAL in grid.columns else [])
    return grid.loc[rows, columns].fillna("0")
