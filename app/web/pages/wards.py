"""Ward map (officers, members): wards of a chosen LA or the whole region, month by month.

Element ids (stable; the browser tests use them):

- ``wards-la``            LA filter (dcc.Dropdown; ``"all"`` = the whole region)
- ``wards-month``         month slider (dcc.Slider over month indices; arrow keys move it)
- ``wards-month-label``   the month shown, in words (updated with the slider)
- ``wards-play``          play / pause button; ``wards-player`` the dcc.Interval it drives
- ``wards-map``           the map (dcc.Graph; geo ``choropleth``, trace 0 = wards, 1 = LA outlines,
                          2 / 3 = over-the-limit / approaching symbols; see :mod:`app.figures.maps`)
- ``wards-summary``       the month in words (counts of wards over and near the limit)
- ``wards-la-status``     the official LA flags
- ``wards-table``         the same figures as a sortable, filterable dash_table.DataTable
- ``wards-download``      "Download CSV" button; ``wards-csv`` the dcc.Download
- ``wards-panel``         the ward panel (opened by clicking a ward on the map or a row of the table);
                          inside: ``wards-panel-trend`` (graph), ``wards-panel-mix`` (table),
                          ``wards-panel-properties``, ``wards-panel-addresses`` (restricted section),
                          ``wards-panel-quality``

Performance: the geometry reaches the browser once, inside the first figure. A month
change patches ``z``, ``customdata`` and the status symbols; an LA change also patches
``locations`` and ``text`` (the whole region's geometry is already there) — never the geojson.
Query string: ``/wards?la=E06000002&month=2025-06`` opens an LA and month directly.
"""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, Patch, State, callback, ctx, dash_table, dcc, html

from app.figures import charts, maps, palette
from app.periods import month_label, month_words, quarter_of
from app.security import audit, exports
from app.security.roles import VIEW_QUALITY_NOTES, audit_event, require, view_properties
from app.views import quality
from app.views import wards as views
from app.web import data
from app.web.tables import TEXT, WHOLE

dash.register_page(__name__, path="/wards", name="Ward map", order=1, title="Ward map - Dispersal Monitor")

ALL = "all"
LEVEL = "ward"
TABLE_COLUMNS = [
    {"name": "Ward", "id": "area_name", **TEXT},
    {"name": "Local authority", "id": "la_name", **TEXT},
    {"name": "People supported", "id": "people", **WHOLE},
    {"name": "Residents", "id": "population", **WHOLE},
    {"name": "1 in N residents", "id": "one_in", **TEXT},
    {"name": "Share of the limit (%)", "id": "share_of_limit", "type": "numeric", "format": {"specifier": ",.1f"}},
    {"name": "Headroom (people)", "id": "headroom", **WHOLE},
    {"name": "Status (local indicator)", "id": "status", **TEXT},
    {"name": "Ward code", "id": "area_code", **TEXT},
]


def _month_marks(months: list[str]) -> dict:
    step = max(1, len(months) // 8)
    return {i: {"label": month_label(m)} for i, m in enumerate(months) if i % step == 0 or i == len(months) - 1}


def _la_value(la: str | None) -> str | None:
    return None if not la or la == ALL else la


def ward_rows(scope, month: str, la: str | None) -> pd.DataFrame:
    """One month's wards (of one LA, or of every LA in the user's scope), as the user may see them."""
    return data.scoped_month_rows(scope, LEVEL, month, _la_value(la))


def map_rows(scope, rows: pd.DataFrame) -> pd.DataFrame:
    """What the map draws: for members the colour is the status band, never a share that gives the count back."""
    return views.readable_rows(rows, scope.suppress, data.settings().approaching)


def ward_figure(scope, month: str, la: str | None) -> dict:
    """The full first figure (geometry of the whole region's wards, values of this month and LA)."""
    rows = ward_rows(scope, month, la)
    figure = maps.choropleth(
        map_rows(scope, rows),
        data.geometry("ward"),
        level=LEVEL,
        outlines=data.geometry("lad"),
        tile_url=data.tile_url(),
        uirevision=la or ALL,
        approaching=data.settings().approaching,
        bands=scope.suppress,
        fit=rows["area_code"].astype(str).tolist(),
    )
    if scope.suppress and figure["data"]:
        figure["data"][maps.AREAS]["hovertemplate"] = maps.MEMBER_HOVER
    return figure


def people_words(scope, month: str, la: str | None) -> str:
    """People supported in the LA (or every LA in scope), from the LA rows: the figure the user may see."""
    las = data.scoped_month_rows(scope, "la", month, None)
    if _la_value(la):
        las = las[las["area_code"] == la]
    if las.empty:
        return ""
    note = data.month_note(scope, month, la if _la_value(la) else None)
    if las["people"].isna().all():
        return "No data: no Home Office file is loaded for this month."
    if note:
        reported = las[las["people"].notna()]
        return f"{reported['people'].sum():,.0f} people supported in dispersal accommodation. {note}"
    if las["suppressed"].any():
        shown = str(las["people_display"].iloc[0]) if len(las) == 1 else "some figures withheld"
        return f"People supported in dispersal accommodation: {shown}."
    return f"{las['people'].sum():,.0f} people supported in dispersal accommodation."


def summary(scope, month: str, la: str | None) -> list:
    rows = ward_rows(scope, month, la)
    counts = rows["status"].astype(str).value_counts()
    where = "the region" if not _la_value(la) else str(rows["la_name"].iloc[0]) if len(rows) else "this LA"
    return [
        html.Strong(f"{month_words(month)}, {where}: "),
        f"{counts.get('breach', 0)} of {len(rows) - counts.get('no_data', 0)} wards over the limit, "
        f"{counts.get('approaching', 0)} approaching it (local indicator). ",
        people_words(scope, month, la),
    ]


def la_status(scope, month: str, la: str | None) -> html.Div:
    rows = data.scoped_month_rows(scope, "la", month, None)
    if _la_value(la):
        rows = rows[rows["area_code"] == la]
    items = [
        html.Li(
            [
                html.Strong(str(r.area_name)),
                ": ",
                html.Span(
                    maps.STATUS_WORDS.get(str(r.status), "No population figure"), className=f"tag tag-{r.status}"
                ),
                f" — {r.share_of_limit:.0%} of the limit" if r.share_of_limit == r.share_of_limit else "",
            ]
        )
        for r in rows.itertuples()
    ]
    return html.Div(
        [
            html.H2("Local authority position (official flag)", className="govuk-heading-s"),
            html.P(
                "The Home Office applies the limit to local authorities: this is the official flag. "
                "Ward statuses on the map are a local indicator.",
                className="hint",
            ),
            html.Ul(items, className="status-list"),
        ]
    )


def la_options(scope) -> tuple[list[dict], str]:
    """The LA filter's choices (only LAs in scope) and the default: the user's own LA, else all of them."""
    las = data.scoped_local_authorities(scope)
    every = set(data.local_authorities()["area_code"])
    whole = (
        f"Whole region ({data.region_name(data.snapshot())})"
        if scope.lad_codes >= every
        else "All the local authorities you can see"
    )
    options = [{"label": str(r.area_name), "value": str(r.area_code)} for r in las.itertuples()]
    if len(options) > 1:
        options.insert(0, {"label": whole, "value": ALL})
    codes = {o["value"] for o in options}
    default = (
        scope.home_lad
        if scope.home_lad in codes
        else (ALL if ALL in codes else (options[0]["value"] if options else ALL))
    )
    return options, default


def layout(la: str | None = None, month: str | None = None, ward: str | None = None, **_query) -> html.Div:
    scope = data.layout_scope()
    months = data.months()
    if scope is None:
        return html.Div([html.H1("Ward map"), html.P("Sign in to see this page.")])
    if not months:
        return html.Div(
            [html.H1("Ward map"), html.P("No Home Office months are loaded yet: load one on the Data page.")]
        )
    options, default = la_options(scope)
    la = la if la in {o["value"] for o in options} else default
    index = months.index(month) if month in months else months.index(data.default_month(scope, la))
    month = months[index]
    rows = ward_rows(scope, month, la)
    ward = ward if isinstance(ward, str) and ward in set(rows["area_code"].astype(str)) else None
    return html.Div(
        [
            dcc.Store(id="wards-months", data=months),
            dcc.Store(id="wards-selected", data=ward),
            html.Div(id="wards-url-sync", hidden=True),
            html.H1("Ward map"),
            html.P(
                "People supported in dispersal accommodation against the limit of "
                f"{palette.limit_words(data.settings().limit_ratio)}, ward by ward. "
                "Ward statuses are a local indicator; the Home Office applies the limit to local authorities.",
                className="lede",
            ),
            html.Div(
                [
                    html.Div(
                        [
                            html.Label("Local authority", htmlFor="wards-la", id="wards-la-label"),
                            dcc.Dropdown(id="wards-la", options=options, value=la, clearable=False, searchable=True),
                        ],
                        className="control control-la",
                    ),
                    html.Div(
                        [
                            html.Label("Find a ward, local authority or postcode", htmlFor="wards-search"),
                            html.Div(
                                [
                                    dcc.Input(
                                        id="wards-search",
                                        type="search",
                                        debounce=True,
                                        autoComplete="off",
                                        placeholder="e.g. a ward name or TS1 2AB",
                                        className="search-input",
                                    ),
                                    html.Button("Find", id="wards-search-go", n_clicks=0, className="button"),
                                ],
                                className="search-row",
                            ),
                            html.P(
                                id="wards-search-result", className="hint", role="status", **{"aria-live": "polite"}
                            ),
                        ],
                        className="control control-search",
                    ),
                    html.Div(
                        [
                            html.Label("Month", htmlFor="wards-month", id="wards-month-heading"),
                            html.Div(
                                [
                                    html.Button(
                                        "Play",
                                        id="wards-play",
                                        n_clicks=0,
                                        className="button button-secondary",
                                        title="Play the months in order",
                                    ),
                                    html.Div(
                                        dcc.Slider(
                                            id="wards-month",
                                            min=0,
                                            max=len(months) - 1,
                                            step=1,
                                            value=index,
                                            marks=_month_marks(months),
                                            included=False,
                                            updatemode="drag",
                                        ),
                                        className="slider",
                                    ),
                                ],
                                className="month-row",
                            ),
                            html.P(
                                month_words(month),
                                id="wards-month-label",
                                className="month-label",
                                **{"aria-live": "polite"},
                            ),
                            dcc.Interval(id="wards-player", interval=1500, disabled=True),
                        ],
                        className="control control-month",
                    ),
                ],
                className="controls",
            ),
            html.P(summary(scope, month, la), id="wards-summary", className="summary", **{"aria-live": "polite"}),
            html.Div(
                [
                    html.Div(
                        [
                            dcc.Graph(
                                id="wards-map",
                                figure=ward_figure(scope, month, la),
                                config=maps.GRAPH_CONFIG,
                                className="map",
                                clear_on_unhover=True,
                            ),
                            html.P(
                                "Symbols mark wards over the limit (▲) and approaching it (○), so status does not "
                                "rely on colour. Dark lines are local authority boundaries.",
                                className="hint",
                            ),
                            html.Div(la_status(scope, month, la), id="wards-la-status"),
                        ],
                        className="map-column",
                    ),
                    html.Div(
                        ward_panel(scope, ward, month)
                        if ward
                        else html.Div(
                            [
                                html.H2("Ward details", className="govuk-heading-m"),
                                html.P(
                                    "Select a ward on the map, or a row in the table below, to see its trend over "
                                    "all months, accommodation types, properties and data-quality notes."
                                ),
                            ],
                        ),
                        id="wards-panel",
                        className="panel",
                        role="region",
                        **{"aria-label": "Ward details", "aria-live": "polite"},
                    ),
                ],
                className="map-and-panel",
            ),
            html.H2("Table of wards", id="wards-table-heading"),
            html.P(
                "The same figures as the map. Sort by a column heading; type in the row below the headings to filter "
                "(for example > 100 in the share column).",
                className="hint",
            ),
            html.Div(
                [
                    html.Button("Download CSV", id="wards-download", className="button button-secondary"),
                    dcc.Download(id="wards-csv"),
                ],
                className="actions",
            ),
            dash_table.DataTable(
                id="wards-table",
                columns=TABLE_COLUMNS,
                data=table_data(scope, rows),
                sort_action="native",
                filter_action="native",
                page_action="native",
                page_size=25,
                style_table={"overflowX": "auto"},
                style_cell={
                    "fontFamily": "Arial, Helvetica, sans-serif",
                    "fontSize": 15,
                    "padding": "6px",
                    "textAlign": "left",
                },
                style_header={"fontWeight": "bold", "backgroundColor": "#f3f2f1"},
                style_data_conditional=[
                    {"if": {"filter_query": '{status} contains "Over"'}, "fontWeight": "bold"},
                ],
            ),
        ],
        className="page page-wards",
    )


@callback(
    Output("wards-map", "figure"),
    Output("wards-month-label", "children"),
    Input("wards-month", "value"),
    Input("wards-la", "value"),
    prevent_initial_call=True,
)
def update_map(index: int, la: str):
    """Values only: a month change patches colours, hover values and symbols; an LA change also the locations."""
    scope = require(lad=_la_value(la))
    month = _month(index)
    new_la = ctx.triggered_id == "wards-la"
    patch = Patch()
    for trace, values in map_values(scope, month, la or ALL, new_la).items():
        for key, value in values.items():
            patch["data"][trace][key] = value
    if new_la:
        patch["layout"]["uirevision"] = la or ALL
        view = maps.fitted_view(data.geometry("ward"), data_locations(scope, la or ALL))
        if view and not data.tile_url():
            patch["layout"]["geo"]["fitbounds"] = False
            patch["layout"]["geo"]["lonaxis"] = view["lonaxis"]
            patch["layout"]["geo"]["lataxis"] = view["lataxis"]
    # The Patch's wire form: plain lists and dicts, which orjson (when installed) encodes without plotly's slow
    # clean-up walk that a Patch object inside the response would force.
    return patch.to_plotly_json(), month_words(month)


@callback(
    Output("wards-summary", "children"),
    Output("wards-la-status", "children"),
    Input("wards-month", "value"),
    Input("wards-la", "value"),
    prevent_initial_call=True,
)
def update_words(index: int, la: str):
    """The month in words and the official LA flags (a request of its own, so the map never waits for it)."""
    scope = require(lad=_la_value(la))
    return words_view(scope, _month(index), la or ALL)


def _month(index) -> str:
    months = data.months()
    try:
        number = int(index or 0)
    except (TypeError, ValueError):
        number = len(months) - 1
    return months[max(0, min(number, len(months) - 1))]


@data.per_scope
def map_values(_snap, scope, month: str, la: str, new_locations: bool) -> dict:
    """What a month or LA change sends to the map, built once per store version, scope, month and LA."""
    locations = None if new_locations else data_locations(scope, la)
    return maps.value_updates(
        map_rows(scope, ward_rows(scope, month, la)), data.geometry("ward"), LEVEL, locations=locations
    )


@data.per_scope
def words_view(_snap, scope, month: str, la: str) -> tuple:
    return summary(scope, month, la), la_status(scope, month, la)


@data.per_scope
def data_locations(_snap, scope, la: str | None) -> list[str]:
    """The wards on the map for an LA filter, in map order (the same for every month)."""
    months = data.months()
    return ward_rows(scope, months[-1], la)["area_code"].astype(str).tolist()


def table_data(scope, rows: pd.DataFrame) -> list[dict]:
    """The table's records; members read "fewer than 5" / "withheld" where a count is not shown."""
    shown = map_rows(scope, rows).assign(share_of_limit=rows["share_of_limit"]) if scope.suppress else rows
    records = maps.table_rows(shown, LEVEL)
    if scope.suppress:
        for record, shown, hidden in zip(records, rows["people_display"], rows["suppressed"]):
            if hidden:
                record["people"] = str(shown)
    return records


@callback(
    Output("wards-table", "data"),
    Input("wards-month", "value"),
    Input("wards-la", "value"),
    prevent_initial_call=True,
)
def update_table(index: int, la: str):
    scope = require(lad=_la_value(la))
    return table_data(scope, ward_rows(scope, _month(index), la))


@callback(
    Output("wards-player", "disabled"),
    Output("wards-play", "children"),
    Input("wards-play", "n_clicks"),
    State("wards-player", "disabled"),
    prevent_initial_call=True,
)
def toggle_play(_clicks: int, disabled: bool):
    require()
    playing = bool(disabled)
    return not playing, "Pause" if playing else "Play"


@callback(
    Output("wards-month", "value"),
    Output("wards-player", "disabled", allow_duplicate=True),
    Output("wards-play", "children", allow_duplicate=True),
    Input("wards-player", "n_intervals"),
    State("wards-month", "value"),
    State("wards-month", "max"),
    prevent_initial_call=True,
)
def advance(_ticks: int, index: int, last: int):
    """Step to the next month; stop at the last."""
    require()
    try:
        index, last = int(index or 0), int(last)
    except (TypeError, ValueError):
        raise dash.exceptions.PreventUpdate from None
    following = int(index or 0) + 1
    if following >= int(last):
        return int(last), True, "Play"
    return following, dash.no_update, dash.no_update


@callback(
    Output("wards-csv", "data"),
    Input("wards-download", "n_clicks"),
    State("wards-month", "value"),
    State("wards-la", "value"),
    prevent_initial_call=True,
)
def download(_clicks: int, index: int, la: str):
    scope = require(lad=_la_value(la))
    month = _month(index)
    table = exports.defuse(csv_table(scope, month, la))
    where = _la_value(la) or "region"
    audit_event(
        audit.EXPORT,
        f"wards_{where}_{month}.csv",
        {"page": "wards", "lad_code": _la_value(la), "month": month, "rows": len(table)},
    )
    return dcc.send_data_frame(table.to_csv, f"wards_{where}_{month}.csv", index=False)


def csv_table(scope, month: str, la: str | None) -> pd.DataFrame:
    """The table as downloaded: the same figures the user sees, named columns, month and LA code added."""
    rows = ward_rows(scope, month, la)
    frame = pd.DataFrame(table_data(scope, rows), columns=[c["id"] for c in TABLE_COLUMNS])
    frame.insert(0, "month", month)
    frame["lad_code"] = rows["lad_code"].astype(str).to_numpy()
    names = {c["id"]: c["name"] for c in TABLE_COLUMNS}
    return frame.rename(columns=names)


@callback(
    Output("wards-panel", "children"),
    Output("wards-selected", "data"),
    Input("wards-map", "clickData"),
    Input("wards-table", "active_cell"),
    State("wards-table", "derived_viewport_data"),
    State("wards-month", "value"),
    prevent_initial_call=True,
)
def open_panel(click: dict | None, cell: dict | None, viewport: list[dict] | None, index: int):
    code = None
    if ctx.triggered_id == "wards-map" and click:
        point = (click.get("points") or [{}])[0]
        code = point.get("location")
    elif ctx.triggered_id == "wards-table" and cell and viewport:
        row = cell.get("row")
        if row is not None and 0 <= row < len(viewport):
            code = viewport[row].get("area_code")
    if not code:
        return dash.no_update, dash.no_update
    scope = require(area=code)  # the code comes from the browser: 403 unless it is an area in scope
    return ward_panel(scope, str(code), _month(index)), str(code)


# ------------------------------------------------------------------ search and the address bar


def find_area(scope, query: str) -> tuple[str, str, str] | None:
    """(level, area code, LA code) of the ward or LA named, or holding the postcode, within the user's scope."""
    from app.geography.postcodes import PostcodeError, normalise_postcode
    from app.store import queries

    text = " ".join(str(query or "").split())[:100]
    if not text:
        return None
    try:
        postcode = normalise_postcode(text)
    except PostcodeError:
        postcode = None
    if postcode:
        with data.engine().connect() as conn:
            found = queries.postcodes(conn, [postcode])
        found = found.dropna(subset=["ward_code"])
        if len(found) and scope.can_see_lad(str(found["lad_code"].iloc[0])):
            return LEVEL, str(found["ward_code"].iloc[0]), str(found["lad_code"].iloc[0])
        return None
    areas = data.snapshot().areas
    areas = areas[areas["level"].isin(["ward", "lad"]) & areas["lad_code"].isin(scope.lad_codes)]
    names = areas["area_name"].astype(str).str.casefold()
    wanted = text.casefold()
    for matches in (
        names == wanted,
        names.str.startswith(wanted),
        names.str.contains(wanted, regex=False),
        areas["area_code"].astype(str).str.casefold() == wanted,
    ):
        hits = areas[matches.to_numpy()]
        if len(hits):
            hit = hits.sort_values(
                ["level", "area_name"], key=lambda c: c.map({"lad": 0, "ward": 1}) if c.name == "level" else c
            ).iloc[0]
            return ("la" if hit["level"] == "lad" else LEVEL), str(hit["area_code"]), str(hit["lad_code"])
    return None


@callback(
    Output("wards-la", "value"),
    Output("wards-map", "figure", allow_duplicate=True),
    Output("wards-panel", "children", allow_duplicate=True),
    Output("wards-selected", "data", allow_duplicate=True),
    Output("wards-search-result", "children"),
    Input("wards-search-go", "n_clicks"),
    Input("wards-search", "n_submit"),
    State("wards-search", "value"),
    State("wards-la", "value"),
    State("wards-la", "options"),
    State("wards-month", "value"),
    prevent_initial_call=True,
)
def search(_clicks, _submits, query, la, options, index):
    """Find the area, show its LA, outline it and (a ward) open its panel."""
    scope = require()
    found = find_area(scope, query)
    if found is None:
        return (
            dash.no_update,
            dash.no_update,
            dash.no_update,
            dash.no_update,
            f"Nothing found for \u201c{str(query or '')[:60]}\u201d among the areas you can see.",
        )
    level, code, lad = found
    offered = {o.get("value") for o in options or [] if isinstance(o, dict)}
    target = lad if lad in offered else la
    patch = Patch()
    outline = maps.highlight(data.geometry("ward" if level == LEVEL else "lad"), code)
    for key, value in outline.items():
        patch["data"][maps.HIGHLIGHT][key] = value
    names = data.snapshot().areas.set_index("area_code")["area_name"]
    if level == LEVEL:
        return (
            target,
            patch.to_plotly_json(),
            ward_panel(scope, code, _month(index)),
            code,
            f"Found the ward {names.get(code, code)} ({names.get(lad, lad)}).",
        )
    return (target, patch.to_plotly_json(), dash.no_update, None, f"Found the local authority {names.get(code, code)}.")


dash.clientside_callback(
    """
    function (la, index, ward, months) {
        var params = new URLSearchParams();
        if (la) { params.set('la', la); }
        if (months && index !== null && index !== undefined && months[index]) { params.set('month', months[index]); }
        if (ward) { params.set('ward', ward); }
        var search = '?' + params.toString();
        if (window.location.pathname === '/wards' && window.location.search !== search) {
            var first = !window.history.state || !window.history.state.wards;
            var method = (first && !window.location.search) ? 'replaceState' : 'pushState';
            window.history[method]({wards: true}, '', '/wards' + search);
        }
        return '';
    }
    """,
    Output("wards-url-sync", "children"),
    Input("wards-la", "value"),
    Input("wards-month", "value"),
    Input("wards-selected", "data"),
    State("wards-months", "data"),
)


def ward_panel(scope, code: str, month: str) -> list:
    """Everything about one ward: trend, accommodation types, properties, data-quality notes — each part only
    as far as the user's scope allows."""
    trend = data.scoped_area_trend(scope, code)
    if trend.empty or str(trend["level"].iloc[0]) != LEVEL:
        return [html.H2("Ward details"), html.P(f"No ward with the code {code} in this store.")]
    this = trend[trend["month"] == month]
    this = this.iloc[0] if len(this) else trend.iloc[-1]
    la_code = str(this["lad_code"])
    names = data.local_authorities().set_index("area_code")["area_name"]
    la_name = str(names.get(la_code, la_code))
    status = maps.status_words(str(this["status"]), LEVEL)
    return [
        html.H2(f"{this['area_name']}", className="govuk-heading-m", id="wards-panel-title"),
        html.P(f"{la_name} · ward {code}", className="hint"),
        html.Dl(
            [
                html.Dt("Month"),
                html.Dd(month_words(month)),
                html.Dt("People supported"),
                html.Dd(views.people_text(this, scope.suppress, note=True)),
                html.Dt("Residents"),
                html.Dd("not known" if this["population"] != this["population"] else f"{this['population']:,.0f}"),
                html.Dt("1 in N"),
                html.Dd(
                    views.readable_rows(this.to_frame().T, scope.suppress, data.settings().approaching)[
                        "one_in_text"
                    ].iloc[0]
                ),
                html.Dt("Share of the limit"),
                html.Dd(
                    "not shown to your account"
                    if scope.suppress
                    else "not known"
                    if this["share_of_limit"] != this["share_of_limit"]
                    else f"{this['share_of_limit']:.0%}"
                ),
                html.Dt("Status"),
                html.Dd(html.Span(status, className=f"tag tag-{this['status']}")),
            ],
            className="figures",
        ),
        html.H3("Trend over all months"),
        _trend(scope, trend),
        html.H3("By accommodation type"),
        _mix_table(scope, code, month),
        html.H3("Properties in this ward"),
        _properties(scope, code, la_code, month),
        html.H3("Data quality"),
        _quality(scope, la_code, month, this),
    ]


def _trend(scope, trend: pd.DataFrame):
    if scope.suppress:  # the ward's share over time would give its exact count back: members get the table
        rows = [
            html.Tr(
                [
                    html.Td(month_words(str(r.month))),
                    html.Td(str(r.people_display)),
                    html.Td(maps.STATUS_WORDS.get(str(r.status), "No population figure")),
                ]
            )
            for r in trend.itertuples()
        ]
        return html.Table(
            [
                html.Caption("People supported by month (rounded to 5; under 5 not shown)"),
                html.Thead(html.Tr([html.Th(h, scope="col") for h in ("Month", "People", "Status")])),
                html.Tbody(rows),
            ],
            id="wards-panel-trend",
            className="table",
        )
    return dcc.Graph(
        id="wards-panel-trend", figure=charts.area_trend(trend), config={"displaylogo": False}, className="panel-chart"
    )


def _mix_table(scope, code: str, month: str) -> html.Div:
    if not scope.can_see_ward_breakdown(code):
        return html.P(
            "Breakdowns below local-authority level are not available to your account for this ward.",
            id="wards-panel-mix",
        )
    mix = data.accommodation_mix(code)
    mix = mix[mix["month"] == month]
    if mix.empty:
        return html.P("No people recorded in this ward this month.", id="wards-panel-mix")
    body = [
        html.Tr([html.Td(str(r.accommodation_type).capitalize()), html.Td(f"{r.people:,.1f}")])
        for r in mix.itertuples()
    ]
    return html.Table(
        [
            html.Caption(f"People by accommodation type, {month_words(month)} (apportioned from postcode sectors)"),
            html.Thead(html.Tr([html.Th("Accommodation type", scope="col"), html.Th("People", scope="col")])),
            html.Tbody(body),
        ],
        id="wards-panel-mix",
        className="table",
    )


def _properties(scope, code: str, la_code: str, month: str) -> html.Div:
    if not scope.can_see_properties(la_code):
        return html.Div(
            html.P("Property-level information for this local authority is not available to your account."),
            id="wards-panel-properties",
        )
    props = view_properties(data.properties_in_scope(scope, code), what=code)
    if props.empty:
        return html.Div(
            html.P("No provider property lists place a property in this ward."), id="wards-panel-properties"
        )
    quarters = sorted(props["quarter"].astype(str).unique())
    wanted = quarter_of(month)
    quarter = max([q for q in quarters if q <= wanted], default=quarters[0])
    now = props[props["quarter"] == quarter]
    summary_rows = now.groupby("provider", as_index=False).agg(
        properties=("property_key", "count"), bedspaces=("bedspaces", "sum"), occupied=("occupied", "sum")
    )
    body = [
        html.Tr(
            [
                html.Td(str(r.provider)),
                html.Td(f"{r.properties}"),
                html.Td(f"{r.bedspaces:,.0f}"),
                html.Td(f"{r.occupied:,.0f}"),
            ]
        )
        for r in summary_rows.itertuples()
    ]
    addresses = now[["provider", "address", "postcode", "bedspaces", "occupied"]].sort_values(["provider", "address"])
    return html.Div(
        [
            html.Table(
                [
                    html.Caption(f"Property lists for {quarter}"),
                    html.Thead(
                        html.Tr([html.Th(h, scope="col") for h in ("Provider", "Properties", "Bedspaces", "Occupied")])
                    ),
                    html.Tbody(body),
                ],
                className="table",
            ),
            html.Details(
                [
                    html.Summary("Addresses (restricted: OFFICIAL-SENSITIVE)"),
                    html.P("Only for officers who need them. Do not copy them into shared papers.", className="hint"),
                    html.Ul(
                        [
                            html.Li(f"{r.address}, {r.postcode} — {r.bedspaces} bedspaces")
                            for r in addresses.itertuples()
                        ]
                    ),
                ],
                id="wards-panel-addresses",
                className="restricted",
            ),
        ],
        id="wards-panel-properties",
    )


def _quality(scope, la_code: str, month: str, row: pd.Series) -> html.Div:
    method = str(row.get("method") or "")
    how = {
        "properties": "split between wards by the provider's occupied properties in each postcode sector",
        "postcodes": "split between wards by the share of each postcode sector's postcodes",
        "mixed": "split between wards partly by provider properties and partly by postcodes",
        "direct": "recorded directly against the ward",
    }.get(method, "no people to apportion this month")
    notes = [
        html.Li(f"Ward figures are estimates: the Home Office counts people by postcode sector; here they were {how}.")
    ]
    if not scope.allows(VIEW_QUALITY_NOTES, la_code):  # notes quote cells of the file (sector counts)
        return html.Div(html.Ul(notes), id="wards-panel-quality")
    problems = quality.quality_notes(data.data_quality(la_code, month), data.loads(), scope)
    notes += [html.Li(f"{r.File}: {r.Note}") for r in problems.head(20).itertuples()]
    if problems.empty:
        notes.append(html.Li(f"No data-quality problems recorded for this LA's {month_words(month)} file."))
    return html.Div(html.Ul(notes), id="wards-panel-quality")
