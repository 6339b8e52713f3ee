"""Region overview (partnership managers): every LA of the region side by side.

Element ids: ``overview-month`` (month dropdown), ``overview-headlines``, ``overview-map`` (LA choropleth,
values patched on a month change), ``overview-table`` (the map's table alternative), ``overview-fair-share``,
``overview-trends``, ``overview-mix``, ``overview-national``, ``overview-national-table``, ``overview-plan``.
"""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, Patch, State, callback, ctx, dash_table, dcc, html

from app.cluster.coverage import headline as coverage_headline
from app.cluster.fair_share import fair_share
from app.cluster.position import NO_DATA
from app.figures import charts, maps, palette
from app.periods import month_words
from app.security.roles import require
from app.views import plan
from app.web import changes, data

dash.register_page(__name__, path="/", name="Region overview", order=0, title="Region overview - Dispersal Monitor")

LEVEL = "la"
#: Status comes second so that it stays in view on a narrow screen; numbers show whole, with separators.
WHOLE = {"type": "numeric", "format": {"specifier": ",.0f"}}
TABLE_PAGE_SIZE = 50
TABLE_COLUMNS = [
    {"name": "Local authority", "id": "area_name"},
    {"name": "Status (official flag)", "id": "status"},
    {"name": "People supported", "id": "people", **WHOLE},
    {"name": "Share of the limit (%)", "id": "share_of_limit", "type": "numeric", "format": {"specifier": ",.1f"}},
    {"name": "Headroom (people)", "id": "headroom", **WHOLE},
    {"name": "Residents", "id": "population", **WHOLE},
    {"name": "1 in N residents", "id": "one_in"},
]


def _previous(month: str) -> str | None:
    months = data.months()
    i = months.index(month)
    return months[i - 1] if i > 0 else None


def rows_for(scope, level: str, month: str) -> pd.DataFrame:
    """Every area of a level in the user's scope for one month (members: disclosure-controlled)."""
    return data.scoped_month_rows(scope, level, month, None)


def headlines(scope, month: str) -> list:
    """People, LAs and wards over or near the limit, change since last month (LAs in the user's scope)."""
    las = rows_for(scope, LEVEL, month)
    wards = rows_for(scope, "ward", month)
    reported = las[las["status"].astype(str) != NO_DATA]
    missing = las[las["status"].astype(str) == NO_DATA]
    people = float(reported["people"].sum())
    before = _previous(month)
    partial = f" ({len(reported)} of {len(las)} LAs reported)" if len(missing) else ""
    if reported.empty:
        total, change = "no data", f"no file loaded for {month_words(month)}"
    elif las["suppressed"].any():
        total = las["people_display"].iloc[0] if len(las) == 1 else f"{people:,.0f} (some figures withheld)"
        change = "small figures are not shown"
    elif before is None:
        total, change = f"{people:,.0f}{partial}", "no earlier month loaded"
    else:
        earlier = rows_for(scope, LEVEL, before)
        both = set(reported["area_code"]) & set(earlier.loc[earlier["status"].astype(str) != NO_DATA, "area_code"])
        delta = float(reported.loc[reported["area_code"].isin(both), "people"].sum()) - float(
            earlier.loc[earlier["area_code"].isin(both), "people"].sum()
        )
        total = f"{people:,.0f}{partial}"
        like_for_like = "" if len(both) == len(las) else f" (the {len(both)} LAs with data in both months)"
        change = (
            (
                f"{'up' if delta > 0 else 'down' if delta < 0 else 'no change'} {abs(delta):,.0f} since "
                f"{month_words(before)}{like_for_like}"
            )
            if not earlier["suppressed"].any()
            else f"{month_words(before)} withheld"
        )
    reporting_note = coverage_headline(
        {
            "month": month,
            "expected": len(las),
            "reported": len(reported),
            "missing": list(missing["area_code"]),
            "missing_names": list(missing["area_name"].astype(str)),
            "complete": missing.empty,
        },
        month_words(month),
    )
    la_counts = las["status"].astype(str).value_counts()
    ward_counts = wards["status"].astype(str).value_counts()

    def card(label: str, value: str, note: str, card_id: str) -> html.Div:
        return html.Div(
            [
                html.P(label, className="card-label"),
                html.P(value, className="card-value"),
                html.P(note, className="card-note"),
            ],
            className="card",
            id=card_id,
        )

    return [
        html.P(
            reporting_note,
            id="overview-coverage",
            role="status",
            className="coverage-note" + (" coverage-partial" if len(missing) else ""),
        ),
        card("People supported (dispersal)", total, change, "overview-card-people"),
        card(
            "LAs over the limit (official)",
            f"{la_counts.get('breach', 0)} of {len(reported)}",
            f"{la_counts.get('approaching', 0)} approaching it"
            + (f"; {len(missing)} with no data" if len(missing) else ""),
            "overview-card-las",
        ),
        card(
            "Wards over the limit (local indicator)",
            f"{ward_counts.get('breach', 0)} of {len(wards)}",
            f"{ward_counts.get('approaching', 0)} approaching it",
            "overview-card-wards",
        ),
    ]


def la_figure(scope, month: str) -> dict:
    return maps.choropleth(
        rows_for(scope, LEVEL, month),
        data.geometry("lad"),
        level=LEVEL,
        tile_url=data.tile_url(),
        height=480,
        approaching=data.settings().approaching,
    )


def fair_share_figure(scope, month: str) -> dict:
    """Shares within the region. Members (their LA only) see it only when their scope holds several LAs,
    computed from the figures they may see."""
    snap = data.snapshot()
    table = data.scoped_table(scope)
    if scope.suppress and len(scope.lad_codes) < 2:
        return charts.message(
            "Fair share compares the region's local authorities: it is not part of your account's view."
        )
    return charts.fair_share(fair_share(table.dropna(subset=["people"]), snap.areas, month))


def table_data(scope, month: str) -> list[dict]:
    rows = rows_for(scope, LEVEL, month)
    records = maps.table_rows(rows, LEVEL)
    if scope.suppress:  # "fewer than 5" / "withheld" in words where the number is not shown
        for record, shown, hidden in zip(records, rows["people_display"], rows["suppressed"]):
            if hidden:
                record["people"] = str(shown)
    return records


def national(region: str) -> tuple[dict, html.Div]:
    """Every UK LA's published dispersal count (latest quarter), this region's LAs highlighted."""
    published = data.public_stats()
    if published.empty:
        return charts.message("The published Home Office table (Asy_D11) is not loaded."), html.Div()
    latest = published[published["date"] == published["date"].max()]
    kind = latest["accommodation_type"].astype("string").str.lower()
    latest = latest[
        (kind == "dispersal") & latest["lad_code"].astype("string").str.match(r"^[EWSN]\d{8}$").fillna(False)
    ]
    per_la = latest.groupby(["lad_code", "local_authority"], as_index=False)["people"].sum()
    las = data.local_authorities()
    per_la["in_region"] = per_la["lad_code"].isin(set(las["area_code"]))
    figure = charts.national_context(
        per_la,
        region,
        measure="people",
        title=f"Every UK local authority, {pd.Timestamp(latest['date'].max()):%B %Y} (published Home Office figures)",
    )
    snap = data.snapshot()
    pop = snap.population.set_index("area_code")["population"]
    mine = per_la[per_la["in_region"]].assign(population=lambda f: f["lad_code"].map(pop))
    mine = mine.assign(
        per_1000=(mine["people"] / mine["population"] * 1000).round(2),
        rank=per_la["people"].rank(ascending=False, method="min").reindex(mine.index).astype(int),
    )
    table = dash_table.DataTable(
        id="overview-national-table",
        columns=[
            {"name": "Local authority", "id": "local_authority"},
            {"name": "People (published)", "id": "people", "type": "numeric"},
            {"name": "Per 1,000 residents", "id": "per_1000", "type": "numeric"},
            {"name": f"Rank of {len(per_la)} UK LAs", "id": "rank", "type": "numeric"},
        ],
        data=mine.sort_values("rank")[["local_authority", "people", "per_1000", "rank"]].to_dict("records"),
        sort_action="native",
        style_cell={"fontFamily": "Arial, Helvetica, sans-serif", "fontSize": 15, "textAlign": "left"},
        style_header={"fontWeight": "bold", "backgroundColor": "#f3f2f1"},
    )
    return figure, html.Div(
        [
            html.P(
                "The published table covers every UK local authority but the store holds residents only for the "
                "loaded region, so the chart compares numbers of people; rates per 1,000 residents (the limit is 5) "
                "are given for this region's authorities below.",
                className="hint",
            ),
            table,
        ]
    )


def plan_figure(scope) -> dict:
    props = data.snapshot().properties
    quarter = plan.latest_quarter(props)
    allocations = data.allocations(quarter)
    allocations = allocations[allocations["area_code"].isin(scope.lad_codes)]
    if allocations.empty:
        return charts.plan_vs_actual(pd.DataFrame())
    names = data.local_authorities().set_index("area_code")["area_name"]
    lads = allocations["area_code"].astype(str).tolist()
    rows = plan.plan_rows(props, allocations, quarter, lads, scope.suppress)
    title = f"Full dispersal plan: allocation for {quarter} vs occupied" if quarter else None
    frame = rows.assign(area_name=rows["lad_code"].map(names)).dropna(subset=["area_name"])
    return charts.plan_vs_actual(frame, title) if title else charts.plan_vs_actual(frame)


def _later_partial(scope, month: str, months: list[str]) -> str:
    """Say so when the page opened on an earlier month because a later one is partial."""
    later = [m for m in months if m > month]
    if not later:
        return ""
    note = data.month_note(scope, later[-1])
    return f"{note} Showing {month_words(month)}, the latest month every LA reported." if note else ""


def layout(month: str | None = None, **_query) -> html.Div:
    scope = data.layout_scope()
    if scope is None:
        return html.Div([html.H1("Region overview"), html.P("Sign in to see this page.")])
    months = data.months()
    snap = data.snapshot()
    region = data.region_name(snap)
    if not months:
        return html.Div(
            [html.H1("Region overview"), html.P("No Home Office months are loaded yet: load one on the Data page.")]
        )
    month = month if month in months else data.default_month(scope)
    national_figure, national_table = national(region)
    trend_rows = data.scoped_level_trend(scope, LEVEL).dropna(subset=["share_of_limit"])
    return html.Div(
        [
            dcc.Location(id="overview-go", refresh="callback-nav"),
            html.H1(f"Region overview: {region}"),
            html.P(
                "Each local authority's position against the limit of people supported in dispersal "
                f"accommodation: {palette.limit_words(data.settings().limit_ratio)}. The Home Office applies "
                "the limit to local authorities; this is the official flag.",
                className="lede",
            ),
            html.Div(
                [
                    html.Label("Month", htmlFor="overview-month", id="overview-month-label"),
                    dcc.Dropdown(
                        id="overview-month",
                        options=[{"label": month_words(m), "value": m} for m in months[::-1]],
                        value=month,
                        clearable=False,
                        searchable=False,
                    ),
                ],
                className="control control-month-select",
            ),
            html.P(_later_partial(scope, month, months), id="overview-later", className="hint"),
            html.Div(headlines(scope, month), id="overview-headlines", className="cards", **{"aria-live": "polite"}),
            html.Div(changes.panel(scope, month, "overview-changes"), id="overview-changes-box"),
            html.Div(
                [
                    html.Div(
                        [
                            html.H2("Local authorities against the limit"),
                            dcc.Graph(
                                id="overview-map",
                                figure=la_figure(scope, month),
                                config=maps.GRAPH_CONFIG,
                                className="map",
                            ),
                            html.P(
                                "Symbols mark authorities over the limit (▲) and approaching it (○). Select an "
                                "authority on the map or in the table to open its wards.",
                                className="hint",
                            ),
                        ],
                        className="map-column",
                    ),
                    html.Div(
                        [
                            html.H2("Table of local authorities"),
                            dash_table.DataTable(
                                id="overview-table",
                                columns=TABLE_COLUMNS,
                                data=table_data(scope, month),
                                sort_action="native",
                                # a region's LAs fit on one page; a national store's 300 are paged, not drawn at once
                                page_action="native",
                                page_size=TABLE_PAGE_SIZE,
                                style_table={"overflowX": "auto"},
                                style_cell={
                                    "fontFamily": "Arial, Helvetica, sans-serif",
                                    "fontSize": 15,
                                    "textAlign": "left",
                                    "whiteSpace": "normal",
                                    "height": "auto",
                                },
                                style_header={"fontWeight": "bold", "backgroundColor": "#f3f2f1"},
                            ),
                        ],
                        className="panel",
                    ),
                ],
                className="map-and-panel",
            ),
            html.H2("Fair share"),
            html.P(
                "Each authority's share of the region's people supported, beside its share of the region's "
                "residents. A longer dark bar than outlined bar means it carries more than its share.",
                className="hint",
            ),
            dcc.Graph(id="overview-fair-share", figure=fair_share_figure(scope, month), config={"displaylogo": False}),
            html.H2("Trends"),
            dcc.Graph(id="overview-trends", figure=charts.trends(trend_rows), config={"displaylogo": False}),
            html.H2("Accommodation types"),
            html.P(
                "Only dispersal accommodation counts against the limit; initial, contingency and subsistence-only "
                "support are shown beside it.",
                className="hint",
            ),
            dcc.Graph(
                id="overview-mix",
                figure=charts.accommodation_mix(data.scoped_accommodation_mix(scope, None)),
                config={"displaylogo": False},
            ),
            html.H2("National context"),
            dcc.Graph(id="overview-national", figure=national_figure, config={"displaylogo": False}),
            national_table,
            html.H2("Full dispersal plan: plan and actual"),
            dcc.Graph(id="overview-plan", figure=plan_figure(scope), config={"displaylogo": False}),
        ],
        className="page page-overview",
    )


@callback(
    Output("overview-map", "figure"),
    Output("overview-headlines", "children"),
    Output("overview-fair-share", "figure"),
    Output("overview-table", "data"),
    Output("overview-changes-box", "children"),
    Input("overview-month", "value"),
    prevent_initial_call=True,
)
def change_month(month: str):
    scope = require()
    if month not in data.months():
        return dash.no_update, dash.no_update, dash.no_update, dash.no_update, dash.no_update
    rows = rows_for(scope, LEVEL, month)
    geometry = data.geometry("lad")
    locations = rows_for(scope, LEVEL, data.months()[-1])["area_code"].astype(str).tolist()
    patch = Patch()
    for trace, values in maps.value_updates(rows, geometry, LEVEL, locations=locations).items():
        for key, value in values.items():
            patch["data"][trace][key] = value
    return (
        patch.to_plotly_json(),
        headlines(scope, month),
        fair_share_figure(scope, month),
        table_data(scope, month),
        changes.panel(scope, month, "overview-changes"),
    )


@callback(
    Output("overview-go", "href"),
    Input("overview-map", "clickData"),
    Input("overview-table", "active_cell"),
    State("overview-table", "derived_viewport_data"),
    State("overview-month", "value"),
    prevent_initial_call=True,
)
def open_wards(click: dict | None, cell: dict | None, viewport: list[dict] | None, month: str | None):
    """A click on an LA (map or table) opens the ward map on that LA and month."""
    code = None
    if ctx.triggered_id == "overview-map" and click:
        code = (click.get("points") or [{}])[0].get("location")
    elif ctx.triggered_id == "overview-table" and cell and viewport:
        row = cell.get("row")
        if row is not None and 0 <= row < len(viewport):
            code = viewport[row].get("area_code")
    if not code:
        return dash.no_update
    require(lad=code)
    from urllib.parse import urlencode

    query = {"la": str(code)}
    if month in data.months():
        query["month"] = month
    return f"/wards?{urlencode(query)}"
