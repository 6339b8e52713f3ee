"""Meeting pack: the provider meeting pack (issue 6) as PDF, HTML or XLSX, for the signed-in user's role.

Every callback takes the user's scope from the server (:func:`app.security.roles.require`); the choices
offered are only those in scope, and the area sent back is checked again when the pack is made
(:func:`app.report.content.build_content` refuses an area out of scope). A member's pack is the
disclosure-controlled one; officers and above can ask for the councillors' version. Each pack made is
recorded in the audit log by :func:`app.report.build.make_pack`.

Element ids: ``report-area``, ``report-quarter``, ``report-format``, ``report-members``, ``report-make``,
``report-message``, ``report-download``.
"""

from __future__ import annotations

import dash
from dash import Input, Output, State, callback, dcc, html, no_update

from app.periods import quarter_of
from app.report import build
from app.report.content import PackError
from app.security.roles import MAKE_PACK, require
from app.web import data

dash.register_page(__name__, path="/report", name="Meeting pack", order=7, title="Meeting pack - Dispersal Monitor")

REGION_PREFIX = "region:"
FORMATS = [
    {"label": "PDF (print)", "value": "pdf"},
    {"label": "HTML (interactive maps, works offline)", "value": "html"},
    {"label": "Excel workbook (one sheet per table)", "value": "xlsx"},
]


def _field(label: str, control, control_id: str) -> html.Div:
    return html.Div([html.Label(label, htmlFor=control_id), control], className="field")


def layout(**_query) -> html.Div:
    return html.Div(
        [
            html.H1("Meeting pack"),
            html.P(
                "The evidence pack for the quarterly strategic meeting with the accommodation provider: the "
                "position against the limit and its trend, wards over or approaching it with maps, property "
                "changes, reconciliation, plan against actual, consultations, data quality and sources."
            ),
            html.Div(
                [
                    _field("Local authority or region", dcc.Dropdown(id="report-area", clearable=False), "report-area"),
                    _field("Quarter", dcc.Dropdown(id="report-quarter", clearable=False), "report-quarter"),
                    html.Fieldset(
                        [html.Legend("Format"), dcc.RadioItems(id="report-format", options=FORMATS, value="pdf")],
                        className="field",
                    ),
                    html.Fieldset(
                        [
                            html.Legend("Version"),
                            dcc.Checklist(
                                id="report-members",
                                options=[
                                    {
                                        "label": "Councillors' version (no addresses, small counts suppressed)",
                                        "value": "member",
                                    }
                                ],
                                value=[],
                            ),
                        ],
                        className="field",
                    ),
                ],
                className="controls",
            ),
            html.Button("Make the pack", id="report-make", n_clicks=0, className="button"),
            dcc.Loading(html.Div(id="report-message", role="status", **{"aria-live": "polite"})),
            dcc.Download(id="report-download"),
        ]
    )


def choices(scope) -> tuple[list[dict], list[str]]:
    """The areas (LAs, then whole regions) and quarters (latest first) this user may make a pack for."""
    snap = data.snapshot()
    las = data.local_authorities()
    allowed = set(scope.allowed_lads(snap))
    options = [
        {"label": name, "value": code}
        for code, name in zip(las["area_code"], las["area_name"])
        if code in allowed and scope.allows(MAKE_PACK, code)
    ]
    regions = snap.areas[snap.areas["level"] == "lad"][["region_code", "region_name"]].dropna().drop_duplicates()
    options += [
        {"label": f"Whole region: {name}", "value": REGION_PREFIX + code}
        for code, name in zip(regions["region_code"], regions["region_name"])
        if code in scope.region_codes and scope.allows(MAKE_PACK, code)
    ]
    quarters = sorted({quarter_of(m) for m in snap.months}, reverse=True)
    return options, quarters


@callback(
    Output("report-area", "options"),
    Output("report-area", "value"),
    Output("report-quarter", "options"),
    Output("report-quarter", "value"),
    Input("report-area", "id"),
)
def controls(_id):
    scope = require()
    options, quarters = choices(scope)
    home = scope.home_lad if scope.home_lad in {o["value"] for o in options} else None
    first = home or (options[0]["value"] if options else None)
    return options, first, quarters, (quarters[0] if quarters else None)


@callback(
    Output("report-download", "data"),
    Output("report-message", "children"),
    Input("report-make", "n_clicks"),
    State("report-area", "value"),
    State("report-quarter", "value"),
    State("report-format", "value"),
    State("report-members", "value"),
    prevent_initial_call=True,
)
def make(n_clicks, area, quarter, fmt, members):
    scope = require()
    if not n_clicks:
        raise dash.exceptions.PreventUpdate
    if fmt not in build.MEDIA_TYPES or not isinstance(area, str) or not isinstance(quarter, str):
        return no_update, "Choose an area, a quarter and a format."
    la, region = (None, area[len(REGION_PREFIX) :]) if area.startswith(REGION_PREFIX) else (area, None)
    if "member" in (members or []):
        scope = build.narrow_scope(scope, data.snapshot().areas, "member", la=la, region=region)
    import flask

    try:
        pack = build.make_pack(
            data.engine(),
            data.settings(),
            scope,
            quarter=quarter,
            fmt=fmt,
            la=la,
            region=region,
            remote_addr=flask.request.remote_addr,
        )
    except PackError as wrong:
        return no_update, f"Not made: {wrong}."
    message = f"{pack.filename}: {pack.content.marking}, {len(pack.data) / 1e6:.1f} MB. " + (
        "Handle as OFFICIAL-SENSITIVE." if pack.content.restricted else ""
    )
    return dcc.send_bytes(pack.data, pack.filename), message
