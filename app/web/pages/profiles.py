"""Profiles: who is supported, by LA and over time, with small numbers suppressed (domain.md).

The tables are LA-level breakdowns, protected for everyone; each user sees the rows of the LAs in their
scope, and the region totals only when their scope includes the region (dropping published cells never
makes a suppressed one recoverable).
"""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, callback, dcc, html

from app.cluster import disclosure
from app.figures import profiles as figures
from app.security.roles import Forbidden, require
from app.views import disclosed
from app.web import data

dash.register_page(__name__, path="/profiles", name="Profiles", order=4, title="Profiles - Dispersal Monitor")

DIMENSIONS = {
    "nationality": "Country of origin",
    "age_band": "Age band",
    "gender": "Gender",
    "household_type": "Single or family",
}
LA_NOT_KNOWN = "LA not known"


@data.per_version
def protected_profile(snap, dimension: str) -> pd.DataFrame:
    """LA x category for every month, all people supported, after primary and secondary suppression.

    Each month's table is protected with its LA and category totals; the
    over-time view shows the same cells, so nothing more can be derived from it.
    The raw counts are dropped here: nothing after this sees them.
    """
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown profile: {dimension}")
    records = snap.records
    names = data.local_authorities().set_index("area_code")["area_name"]
    frame = pd.DataFrame(
        {
            "month": records["month"],
            "la": records["lad_code"].map(names).astype("string").fillna(LA_NOT_KNOWN),
            dimension: records[dimension],
            "people": records["people"],
        }
    )
    return disclosed.protected_profile(frame, dimension)


def visible_rows(scope, cells: pd.DataFrame) -> pd.DataFrame:
    """The protected cells of the LAs in ``scope`` (by name), the totals when the region is in scope, and
    "LA not known" only for region-wide accounts."""
    names = data.scoped_local_authorities(scope)["area_name"].astype(str)
    allowed = set(names)
    if scope.region_codes:
        allowed.add(disclosure.TOTAL)
    if scope.is_admin or scope.role == "regional":
        allowed.add(LA_NOT_KNOWN)
    return cells[cells["la"].astype(str).isin(allowed)]


def check_la_name(scope, name: object) -> str:
    """An LA name from the browser must be one of the LAs in scope (403 otherwise)."""
    names = data.scoped_local_authorities(scope)
    if not isinstance(name, str) or name not in set(names["area_name"].astype(str)):
        raise Forbidden("You do not have access to that local authority.", what=str(name)[:60])
    return name


def layout(**_query) -> html.Div:
    return html.Div(
        [
            html.H1("Profiles"),
            html.P(
                "Everyone supported by the Home Office in each local authority (all support and accommodation "
                "types). Counts under 5 are shown as \u201cfewer than 5\u201d; some other counts are "
                "\u201cwithheld\u201d so that a small number cannot be worked out from the totals."
            ),
            html.Div(
                [
                    html.Div(
                        [
                            html.Label("Profile", htmlFor="profiles-dimension"),
                            dcc.Dropdown(
                                id="profiles-dimension",
                                clearable=False,
                                value="nationality",
                                options=[{"label": v, "value": k} for k, v in DIMENSIONS.items()],
                            ),
                        ],
                        className="field",
                    ),
                    html.Div(
                        [
                            html.Label("Month", htmlFor="profiles-month"),
                            dcc.Dropdown(id="profiles-month", clearable=False),
                        ],
                        className="field",
                    ),
                    html.Div(
                        [
                            html.Label("Local authority (over time)", htmlFor="profiles-la"),
                            dcc.Dropdown(id="profiles-la", clearable=False),
                        ],
                        className="field",
                    ),
                ],
                className="controls",
            ),
            dcc.Graph(id="profiles-bars", config={"displaylogo": False}),
            html.H2("By local authority"),
            html.Div(id="profiles-table"),
            html.H2("Over time"),
            dcc.Graph(id="profiles-trend", config={"displaylogo": False}),
            html.Div(id="profiles-trend-table"),
        ]
    )


def grid_table(grid: pd.DataFrame, caption: str, row_label: str) -> html.Table:
    head = html.Thead(html.Tr([html.Th(row_label, scope="col")] + [html.Th(str(c), scope="col") for c in grid.columns]))
    body = html.Tbody(
        [
            html.Tr([html.Th(str(index), scope="row")] + [html.Td(str(v)) for v in row])
            for index, row in zip(grid.index, grid.to_numpy().tolist())
        ]
    )
    return html.Table([html.Caption(caption), head, body], className="table")


def zeros_note(cells: pd.DataFrame) -> list:
    """Where zeros had to be hidden as well, "fewer than 5" can also mean none: say so."""
    if not cells["zeros_hidden"].any():
        return []
    months = sorted(cells.loc[cells["zeros_hidden"], "month"].unique())
    return [
        html.P(
            f"In {', '.join(months)} the numbers are so small that zeros are hidden too: there "
            "\u201cfewer than 5\u201d can also mean none.",
            className="zeros-hidden",
        )
    ]


@callback(
    Output("profiles-month", "options"),
    Output("profiles-month", "value"),
    Output("profiles-la", "options"),
    Output("profiles-la", "value"),
    Input("profiles-dimension", "id"),
)
def fill_controls(_):
    scope = require(breakdown_level="la")
    months = data.months()
    las = data.scoped_local_authorities(scope)
    return (
        [{"label": m, "value": m} for m in reversed(months)],
        months[-1] if months else None,
        [{"label": n, "value": n} for n in las["area_name"]],
        las["area_name"].iloc[0] if len(las) else None,
    )


@callback(
    Output("profiles-bars", "figure"),
    Output("profiles-table", "children"),
    Input("profiles-dimension", "value"),
    Input("profiles-month", "value"),
)
def update_month(dimension, month):
    scope = require(breakdown_level="la")
    if not month or dimension not in DIMENSIONS:
        return figures.message("No Home Office data is loaded yet."), None
    cells = visible_rows(scope, protected_profile(dimension))
    cells = cells[cells["month"] == month]
    label = DIMENSIONS[dimension]
    region = cells[cells["la"] == disclosure.TOTAL]
    if region.empty:  # no region totals in scope: the bars show the user's LA
        region = cells[cells["la"] != disclosure.TOTAL]
    bars = figures.category_bars(
        region,
        dimension,
        f"{label}, {'all local authorities' if scope.region_codes else 'your local authority'}, {month}",
    )
    grid = figures.wide(cells, "la", dimension)
    return bars, html.Div(
        [*zeros_note(cells), grid_table(grid, f"{label} by local authority, {month}", "Local authority")]
    )


@callback(
    Output("profiles-trend", "figure"),
    Output("profiles-trend-table", "children"),
    Input("profiles-dimension", "value"),
    Input("profiles-la", "value"),
)
def update_trend(dimension, la):
    scope = require(breakdown_level="la")
    if not la or dimension not in DIMENSIONS:
        return figures.message("Choose a local authority."), None
    check_la_name(scope, la)
    cells = protected_profile(dimension)
    cells = cells[cells["la"] == la]
    label = DIMENSIONS[dimension]
    figure = figures.over_time(cells, dimension, f"{label} in {la} over time (largest groups)")
    grid = figures.wide(cells.drop(columns=["la"]), "month", dimension)
    return figure, html.Div([*zeros_note(cells), grid_table(grid, f"{label} in {la} by month", "Month")])
