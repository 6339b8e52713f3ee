"""Charts of the region and its areas, as plain plotly figure dicts (no Dash, no validation).

Each function takes a small tidy frame built by the core or :mod:`app.web.data`
and returns ``{"data": [...], "layout": {...}}``:

- :func:`fair_share` — share of people vs share of residents per LA (:func:`app.cluster.fair_share.fair_share`).
- :func:`trends` — share of the limit per area over months, with the limit and approaching lines.
- :func:`area_trend` — one area's people over months against its limit (ward panel).
- :func:`accommodation_mix` — people by accommodation type, stacked over months.
- :func:`national_context` — every UK LA in the published table, this region's LAs highlighted.
- :func:`plan_vs_actual` — full-dispersal-plan allocation vs occupied bedspaces per LA.
- :func:`message` — an empty chart that says why it is empty.
"""

from __future__ import annotations

import pandas as pd

from app.figures.maps import APPROACHING, INK, LIMIT
from app.figures.markup import inert
from app.figures.palette import percent

#: Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
#: Most areas drawn as a line and legend entry each on a trend chart (more: :func:`trends` draws them as one).
MANY_LINES = 24
TYPE_COLOURS = {
    "dispersal": "#0072B2",
    "initial": "#56B4E9",
    "contingency": "#D55E00",
    "subsistence": "#E69F00",
    "not stated": "#999999",
}
FONT = {"family": "Arial, Helvetica, sans-serif", "size": 14, "color": INK}


def _layout(title: str | None = None, height: int = 380, **extra) -> dict:
    layout = {
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 48 if title else 16, "b": 50},
        "font": FONT,
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "legend": {"orientation": "h", "y": -0.2},
        "hoverlabel": {"font": {"family": FONT["family"]}},
    }
    if title:
        layout["title"] = {"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}}
    layout.update(extra)
    return layout


def _axis(title: str, **extra) -> dict:
    return {"title": {"text": title}, "gridcolor": "#e5e6e7", "zeroline": False, "automargin": True, **extra}


def message(text: str, height: int = 200) -> dict:
    """An empty chart carrying a plain-words reason."""
    return {
        "data": [],
        "layout": _layout(
            height=height,
            xaxis={"visible": False},
            yaxis={"visible": False},
            annotations=[
                {
                    "text": text,
                    "showarrow": False,
                    "xref": "paper",
                    "yref": "paper",
                    "x": 0.5,
                    "y": 0.5,
                    "font": {"size": 15},
                }
            ],
        ),
    }


def _reference_lines(y_limit: float = LIMIT, y_approaching: float | None = APPROACHING) -> tuple[list, list]:
    """The limit and approaching lines on a share-of-the-limit axis (``y_approaching``: the settings' threshold)."""
    shapes = [
        {
            "type": "line",
            "xref": "paper",
            "x0": 0,
            "x1": 1,
            "y0": y_limit,
            "y1": y_limit,
            "line": {"color": INK, "width": 2},
        }
    ]
    notes = [
        {
            "text": "Limit (1 in 200)",
            "xref": "paper",
            "x": 1,
            "xanchor": "right",
            "y": y_limit,
            "yanchor": "bottom",
            "showarrow": False,
        }
    ]
    if y_approaching is not None:
        shapes.append(
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": y_approaching,
                "y1": y_approaching,
                "line": {"color": INK, "width": 1, "dash": "dash"},
            }
        )
        notes.append(
            {
                "text": f"Approaching ({percent(y_approaching)})",
                "xref": "paper",
                "x": 1,
                "xanchor": "right",
                "y": y_approaching,
                "yanchor": "top",
                "showarrow": False,
            }
        )
    return shapes, notes


def fair_share(shares: pd.DataFrame, title: str | None = "Fair share: people supported vs residents") -> dict:
    """Grouped horizontal bars per LA: ``area_name``, ``share_of_people``, ``share_of_residents``, ``ratio``."""
    if shares.empty:
        return message("No figures for this month.")
    ordered = shares.sort_values("ratio", ascending=True)
    names = [inert(n) for n in ordered["area_name"]]
    ratio = ordered["ratio"].round(2).tolist()
    bars = [
        {
            "type": "bar",
            "orientation": "h",
            "name": "Share of the region's people supported",
            "y": names,
            "x": ordered["share_of_people"].round(4).tolist(),
            "marker": {"color": PALETTE[0]},
            "customdata": ratio,
            "hovertemplate": "%{y}: %{x:.1%} of the people supported<br>%{customdata}× its fair share<extra></extra>",
        },
        {
            "type": "bar",
            "orientation": "h",
            "name": "Share of the region's residents",
            "y": names,
            "x": ordered["share_of_residents"].round(4).tolist(),
            "marker": {"color": "#ffffff", "line": {"color": INK, "width": 1.5}, "pattern": {"shape": "/"}},
            "hovertemplate": "%{y}: %{x:.1%} of the residents<extra></extra>",
        },
    ]
    return {
        "data": bars,
        "layout": _layout(
            title,
            height=max(300, 60 + 44 * len(names)),
            barmode="group",
            xaxis=_axis("Share of the region", tickformat=".0%"),
            yaxis=_axis(""),
        ),
    }


def trends(
    rows: pd.DataFrame,
    title: str | None = "Share of the limit over time",
    highlight: list[str] | None = None,
    approaching: float = APPROACHING,
) -> dict:
    """One line per area: ``area_name``, ``month``, ``share_of_limit``.

    Over :data:`MANY_LINES` areas (a national store: 300 LAs) a legend of one entry per line is unreadable
    and the browser took seconds to draw it: the lines are then one trace (gaps between areas), each point's
    hover naming its area, and only ``highlight`` areas get a line and a legend entry of their own.
    """
    if rows.empty:
        return message("No months loaded yet.")
    if rows["area_name"].nunique() > MANY_LINES:
        return _many_trends(rows, title, highlight or [], approaching)
    lines = [
        _area_line(
            name,
            area,
            {
                "color": PALETTE[i % len(PALETTE)],
                "dash": DASHES[(i // len(PALETTE)) % len(DASHES)],
                "width": 3 if highlight and name in highlight else 2,
            },
        )
        for i, (name, area) in enumerate(rows.sort_values("month").groupby("area_name", sort=True))
    ]
    return _trend_figure(lines, title, approaching)


def _area_line(name: str, area: pd.DataFrame, line: dict) -> dict:
    return {
        "type": "scatter",
        "mode": "lines+markers",
        "name": inert(name),
        "x": area["month"].astype(str).tolist(),
        "y": area["share_of_limit"].round(3).tolist(),
        "line": line,
        "marker": {"size": 5},
        "hovertemplate": f"{inert(name)}<br>%{{x}}: %{{y:.0%}} of the limit<extra></extra>",
    }


def _trend_figure(lines: list[dict], title: str | None, approaching: float, **layout) -> dict:
    shapes, notes = _reference_lines(LIMIT, approaching)
    return {
        "data": lines,
        "layout": _layout(
            title,
            height=420,
            shapes=shapes,
            annotations=notes,
            xaxis=_axis("Month", type="category"),
            yaxis=_axis("Share of the limit", tickformat=".0%", rangemode="tozero"),
            legend={"orientation": "v", "x": 1.02, "y": 1},
            **layout,
        ),
    }


def _many_trends(rows: pd.DataFrame, title: str | None, highlight: list[str], approaching: float) -> dict:
    x: list = []
    y: list = []
    text: list = []
    areas = list(rows.sort_values("month").groupby("area_name", sort=True))
    for name, area in areas:
        months = area["month"].astype(str).tolist()
        x += [*months, None]
        y += [*area["share_of_limit"].round(3).tolist(), None]
        text += [inert(name)] * len(months) + [None]
    lines = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": f"Each of {len(areas):,} areas",
            "x": x,
            "y": y,
            "text": text,
            "connectgaps": False,
            "line": {"color": "#8a9196", "width": 1},
            "hovertemplate": "%{text}<br>%{x}: %{y:.0%} of the limit<extra></extra>",
        }
    ]
    chosen = ((n, a) for n, a in areas if n in highlight)
    lines += [
        _area_line(name, area, {"color": PALETTE[i % len(PALETTE)], "width": 3})
        for i, (name, area) in enumerate(chosen)
    ]
    heading = f"{title} ({len(areas):,} areas: hover over a line for its name)" if title else None
    return _trend_figure(lines, heading, approaching, hovermode="closest")


def area_trend(rows: pd.DataFrame, title: str | None = None, approaching: float = APPROACHING) -> dict:
    """People over months against the limit and the approaching level: ``month``, ``people``, ``limit``."""
    if rows.empty:
        return message("No months loaded yet.")
    rows = rows.sort_values("month")
    months = rows["month"].astype(str).tolist()
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "People supported",
            "x": months,
            "y": rows["people"].round(1).tolist(),
            "line": {"color": PALETTE[0], "width": 3},
            "hovertemplate": "%{x}: %{y:,} people<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "lines",
            "name": "Limit",
            "x": months,
            "y": rows["limit"].round(1).tolist(),
            "line": {"color": INK, "width": 2},
            "hovertemplate": "Limit: %{y:,.0f}<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "lines",
            "name": f"Approaching ({percent(approaching)})",
            "x": months,
            "y": (rows["limit"] * approaching).round(1).tolist(),
            "line": {"color": INK, "width": 1, "dash": "dash"},
            "hovertemplate": f"{percent(approaching)} of the limit: %{{y:,.0f}}<extra></extra>",
        },
    ]
    return {
        "data": data,
        "layout": _layout(
            title, height=300, xaxis=_axis("Month", type="category"), yaxis=_axis("People", rangemode="tozero")
        ),
    }


def accommodation_mix(mix: pd.DataFrame, title: str | None = "People by accommodation type") -> dict:
    """Stacked bars: ``month``, ``accommodation_type``, ``people``."""
    if mix.empty:
        return message("No accommodation types in the loaded data.")
    wide = mix.pivot_table(index="month", columns="accommodation_type", values="people", aggfunc="sum", fill_value=0)
    order = [t for t in TYPE_COLOURS if t in wide.columns] + [t for t in wide.columns if t not in TYPE_COLOURS]
    months = [str(m) for m in wide.index]
    patterns = ("", "/", ".", "x", "-", "+")
    data = [
        {
            "type": "bar",
            "name": str(kind).capitalize(),
            "x": months,
            "y": wide[kind].round(1).tolist(),
            "marker": {
                "color": TYPE_COLOURS.get(kind, PALETTE[i % len(PALETTE)]),
                "pattern": {"shape": patterns[i % len(patterns)], "fgcolor": "#ffffff"},
            },
            "hovertemplate": f"{str(kind).capitalize()}<br>%{{x}}: %{{y:,}} people<extra></extra>",
        }
        for i, kind in enumerate(order)
    ]
    return {
        "data": data,
        "layout": _layout(
            title, height=360, barmode="stack", xaxis=_axis("Month", type="category"), yaxis=_axis("People")
        ),
    }


def national_context(rates: pd.DataFrame, region_name: str, measure: str = "people", title: str | None = None) -> dict:
    """Every UK LA of the published table, sorted, this region's LAs highlighted.

    ``rates``: ``local_authority``, ``in_region`` (bool) and the ``measure`` column
    (``people``, or ``per_1000`` people per 1,000 residents where a population is known).
    """
    if rates.empty:
        return message("The published Home Office table is not loaded.")
    ordered = rates.dropna(subset=[measure]).sort_values(measure, ascending=False).reset_index(drop=True)
    label = {"people": "People in dispersal accommodation", "per_1000": "People per 1,000 residents"}[measure]
    fmt = ",.0f" if measure == "people" else ".2f"
    data = []
    for flag, name, colour in (
        (False, "Other UK local authorities", "#b1b4b6"),
        (True, inert(region_name), PALETTE[5]),
    ):
        part = ordered[ordered["in_region"] == flag]
        data.append(
            {
                "type": "bar",
                "name": name,
                "x": part.index.tolist(),
                "y": part[measure].round(3).tolist(),
                "text": [inert(v) for v in part["local_authority"]],
                "textposition": "none",  # the names are for the hover: fitting 360 labels into bars took 1.6 s
                "marker": {"color": colour},
                "hovertemplate": f"%{{text}}: %{{y:{fmt}}}<extra>{name}</extra>",
            }
        )
    region = ordered[ordered["in_region"]]
    notes = [
        {
            "x": int(i),
            "y": float(v),
            "text": inert(n),
            "showarrow": True,
            "arrowhead": 0,
            "ay": -30,
            "textangle": -60,
            "font": {"size": 11},
        }
        for i, v, n in zip(region.index[:12], region[measure][:12], region["local_authority"][:12])
    ]
    shapes = []
    if measure == "per_1000":
        shapes = [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": 5, "y1": 5, "line": {"color": INK}}]
        notes.append(
            {
                "text": "Limit: 5 per 1,000",
                "xref": "paper",
                "x": 1,
                "xanchor": "right",
                "y": 5,
                "yanchor": "bottom",
                "showarrow": False,
            }
        )
    return {
        "data": data,
        "layout": _layout(
            title,
            height=400,
            barmode="overlay",
            bargap=0.1,
            annotations=notes,
            shapes=shapes,
            xaxis=_axis("Local authorities, highest first", showticklabels=False),
            yaxis=_axis(label),
        ),
    }


def plan_vs_actual(frame: pd.DataFrame, title: str | None = "Full dispersal plan: allocation vs occupied") -> dict:
    """Grouped bars per LA: ``area_name``, ``allocation``, ``occupied``."""
    if frame.empty:
        return message("No allocations entered yet: add them per LA to compare plan with actual.")
    names = frame["area_name"].astype(str).tolist()
    data = [
        {
            "type": "bar",
            "name": "Allocation (agreed bedspaces)",
            "x": names,
            "y": frame["allocation"].tolist(),
            "marker": {"color": "#ffffff", "line": {"color": INK, "width": 1.5}, "pattern": {"shape": "/"}},
            "hovertemplate": "%{x}: %{y:,} bedspaces allocated<extra></extra>",
        },
        {
            "type": "bar",
            "name": "Occupied bedspaces (latest property lists)",
            "x": names,
            "y": frame["occupied"].round(0).tolist(),
            "marker": {"color": PALETTE[0]},
            "hovertemplate": "%{x}: %{y:,} occupied<extra></extra>",
        },
    ]
    return {
        "data": data,
        "layout": _layout(title, height=360, barmode="group", xaxis=_axis(""), yaxis=_axis("Bedspaces")),
    }
