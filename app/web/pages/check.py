"""Property check (Asylum Accommodation Use Protocol): what a proposed property would do, and the proposals log.

Roles: admins, regional leads and officers (the check shows exact ward figures, which members do not see).
A check may be run for a postcode in any LA of the user's scope (ward figures are aggregates); proposals are
property-level: recorded, listed and answered only for the LAs the user sees at property level, and the log
is shown through :func:`~app.security.roles.view_properties` (audited). The browser's stored "place" is not
trusted: the postcode is looked up again when a proposal is recorded.
"""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from app.cluster.whatif import PropertyCheck, check_property
from app.figures import maps
from app.figures.markup import inert
from app.geography.postcodes import PostcodeError, normalise_postcode
from app.security.roles import CHECK_PROPERTY, Forbidden, require, roles_allowed, view_properties
from app.store import db, queries
from app.store import proposals as log_store
from app.web import data

dash.register_page(__name__, path="/check", name="Property check", order=5, title="Property check - Dispersal Monitor")

PROPERTY_TYPES = ("House", "Flat", "HMO", "Maisonette", "Other")
ROLES = roles_allowed(CHECK_PROPERTY)


def find_postcode(postcode: str) -> tuple[dict | None, str | None]:
    """The postcode's unit, ward and LA, or a message saying plainly why it cannot be checked."""
    if not isinstance(postcode, str):
        return None, "Enter a full postcode, for example TS1 3AB."
    try:
        unit = normalise_postcode(postcode)
    except PostcodeError as exc:
        return None, f"Postcode {exc}. Enter a full postcode, for example TS1 3AB."
    with data.engine().connect() as conn:
        found = queries.postcodes(conn, [unit])
    if found.empty:
        return None, (
            f"{unit} is not in the postcode lookup loaded with the geography. Check the postcode; "
            "if it is new, load a newer postcode lookup."
        )
    row = found.iloc[0]
    if pd.isna(row["ward_code"]):
        return None, f"{unit} lies outside the wards loaded in Dispersal Monitor, so it cannot be checked here."
    return {
        "postcode": unit,
        "ward_code": str(row["ward_code"]),
        "lad_code": str(row["lad_code"]),
        "lat": float(row["lat"]),
        "lon": float(row["lon"]),
    }, None


def run_check(ward_code: str, month: str, bedspaces: int) -> PropertyCheck:
    snap = data.snapshot()
    return check_property(snap.table, month, ward_code, bedspaces, data.settings().approaching)


def _share(value: float) -> str:
    return "not known" if value != value else f"{value:.0%}"


def position_rows(check: PropertyCheck) -> list[dict]:
    rows = []
    for label, level, before, after in (
        ("Local authority (official flag)", "la", check.la_before, check.la_after),
        ("Ward (local indicator)", "ward", check.ward_before, check.ward_after),
    ):
        rows.append(
            {
                "area": f"{label}: {after.area_name}",
                "limit": f"{before.limit:,.1f}",
                "before": f"{before.people:,.1f} people, {_share(before.share)} of the limit",
                "after": f"{after.people:,.1f} people, {_share(after.share)} of the limit",
                "status_before": maps.status_words(before.status, level),
                "status_after": maps.status_words(after.status, level),
            }
        )
    return rows


def check_map(scope, check: PropertyCheck, place: dict, lad_code: str) -> dict:
    """The wards of the LA after the property, with the property marked."""
    rows = data.scoped_month_rows(scope, "ward", check.month, lad_code).copy()
    ward = rows["area_code"] == check.ward_after.area_code
    rows.loc[ward, "people"] = check.ward_after.people
    rows.loc[ward, "share_of_limit"] = check.ward_after.share
    rows.loc[ward, "status"] = check.ward_after.status
    everything = data.geometry("ward")
    codes = [c for c in rows["area_code"] if c in everything.points.index]
    geometry = maps.MapGeometry(
        {"type": "FeatureCollection", "features": [f for f in everything.features["features"] if f["id"] in codes]},
        everything.points.loc[codes],
    )
    figure = maps.choropleth(
        rows,
        geometry,
        level="ward",
        height=380,
        uirevision="check",
        approaching=data.settings().approaching,
        title=f"Wards of {check.la_after.area_name} after the proposed property",
    )
    figure["data"].append(
        {
            "type": "scattergeo",
            "mode": "markers+text",
            "name": "★ Proposed property",
            "lon": [place["lon"]],
            "lat": [place["lat"]],
            "text": [inert(place["postcode"])],
            "textposition": "top center",
            "marker": {"symbol": "star", "size": 16, "color": "#0b0c0c", "line": {"color": "#ffffff", "width": 1.5}},
            "hovertemplate": "Proposed property at %{text}<extra></extra>",
        }
    )
    return figure


def _field(label: str, control, id_: str) -> html.Div:
    return html.Div([html.Label(label, htmlFor=id_), control], className="field")


def layout(**_query) -> html.Div:
    scope = data.layout_scope()
    if scope is None or scope.role not in ROLES:
        return html.Div(
            [
                html.H1("Property check"),
                html.P("The property check is for council officers: it is not available to your account."),
            ]
        )
    return html.Div(
        [
            html.H1("Property check"),
            html.P(
                "When a provider proposes a property, see at once what it would do to the ward's and the local "
                "authority's position against the cluster limit. The property is assumed full."
            ),
            html.Div(
                [
                    _field(
                        "Postcode of the proposed property",
                        dcc.Input(id="check-postcode", type="text", autoComplete="off"),
                        "check-postcode",
                    ),
                    _field(
                        "Bedspaces",
                        dcc.Input(id="check-bedspaces", type="number", min=1, step=1, value=1),
                        "check-bedspaces",
                    ),
                    _field("Against the figures for", dcc.Dropdown(id="check-month", clearable=False), "check-month"),
                    html.Button("Check", id="check-run", n_clicks=0, className="button"),
                ],
                className="controls",
            ),
            html.Div(id="check-result", role="status", **{"aria-live": "polite"}),
            html.Div(
                dcc.Graph(id="check-map", config=maps.GRAPH_CONFIG, style={"display": "none"}),
                role="figure",
                **{
                    "aria-label": "Map of the wards after the proposed property; the table above gives the same figures"
                },
            ),
            dcc.Store(id="check-place"),
            html.H2("Record the proposal"),
            html.Div(
                [
                    _field("Provider", dcc.Input(id="check-provider", type="text"), "check-provider"),
                    _field("Property type", dcc.Dropdown(id="check-type", options=list(PROPERTY_TYPES)), "check-type"),
                    _field(
                        "House in multiple occupation (HMO)",
                        dcc.RadioItems(
                            id="check-hmo",
                            options=[{"label": "Yes", "value": "yes"}, {"label": "No", "value": "no"}],
                            value="no",
                            inline=True,
                        ),
                        "check-hmo",
                    ),
                    _field("Date the consultation was received", _uk_date("check-received"), "check-received"),
                    _field("Notes", dcc.Textarea(id="check-notes"), "check-notes"),
                    html.Button("Record proposal", id="check-record", n_clicks=0, className="button"),
                ],
                className="controls",
            ),
            html.P(id="check-record-result", role="status"),
            html.H2("Record the local authority's response"),
            html.Div(
                [
                    _field("Proposal number", dcc.Dropdown(id="check-proposal"), "check-proposal"),
                    _field(
                        "Response",
                        dcc.Dropdown(id="check-response", options=list(log_store.RESPONSES)),
                        "check-response",
                    ),
                    _field("Date of the response", _uk_date("check-response-date"), "check-response-date"),
                    _field("Notes on the response", dcc.Textarea(id="check-response-notes"), "check-response-notes"),
                    html.Button("Save response", id="check-save-response", n_clicks=0, className="button"),
                ],
                className="controls",
            ),
            html.P(id="check-response-result", role="status"),
            html.H2("Proposals log"),
            html.Div(id="check-log"),
        ]
    )


@callback(Output("check-month", "options"), Output("check-month", "value"), Input("check-month", "id"))
def fill_months(_):
    require(action=CHECK_PROPERTY)
    months = data.months()
    return [{"label": m, "value": m} for m in reversed(months)], (months[-1] if months else None)


def _bedspaces(value) -> int | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number >= 1 and number == int(number) else None


@callback(
    Output("check-result", "children"),
    Output("check-map", "figure"),
    Output("check-map", "style"),
    Output("check-place", "data"),
    Input("check-run", "n_clicks"),
    Input("check-postcode", "n_submit"),
    State("check-postcode", "value"),
    State("check-bedspaces", "value"),
    State("check-month", "value"),
    prevent_initial_call=True,
)
def check(_clicks, _submit, postcode, bedspaces, month):
    scope = require(action=CHECK_PROPERTY)
    hidden = {"display": "none"}
    beds = _bedspaces(bedspaces)
    if beds is None:
        return html.P("Bedspaces must be a whole number, 1 or more.", className="error"), no_update, hidden, None
    if not month or month not in data.months():
        return (
            html.P("No Home Office data is loaded yet, so there is nothing to check against.", className="error"),
            no_update,
            hidden,
            None,
        )
    place, problem = find_postcode(postcode or "")
    if problem:
        return html.P(problem, className="error"), no_update, hidden, None
    if not scope.can_see_lad(place["lad_code"]):
        return (
            html.P(
                f"{place['postcode']} is in a local authority your account does not cover, so it cannot be "
                "checked here.",
                className="error",
            ),
            no_update,
            hidden,
            None,
        )
    try:
        result = run_check(place["ward_code"], month, beds)
    except KeyError:
        return (
            html.P(f"There are no figures for the ward of {place['postcode']} in {month}.", className="error"),
            no_update,
            hidden,
            None,
        )
    rows = position_rows(result)
    head = html.Thead(
        html.Tr(
            [
                html.Th(t, scope="col")
                for t in ("Area", "Limit (people)", "Before", "After", "Status before", "Status after")
            ]
        )
    )
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Th(r["area"], scope="row"),
                    html.Td(r["limit"]),
                    html.Td(r["before"]),
                    html.Td(r["after"]),
                    html.Td(r["status_before"]),
                    html.Td(r["status_after"]),
                ]
            )
            for r in rows
        ]
    )
    panel = html.Div(
        [
            html.H2("Verdict"),
            html.P(result.verdict, className="verdict", id="check-verdict"),
            html.P(f"{place['postcode']} with {beds} bedspace(s), against the figures for {month}."),
            html.Table([html.Caption("Before and after"), head, body], className="table"),
        ]
    )
    place = dict(place, bedspaces=beds, month=month)
    return panel, check_map(scope, result, place, place["lad_code"]), {"display": "block"}, place


def log_table(frame: pd.DataFrame) -> html.Div:
    if frame.empty:
        return html.P("No proposals recorded yet.")
    names = data.local_authorities().set_index("area_code")["area_name"]
    areas = data.snapshot().areas
    wards = areas[areas["level"] == "ward"].set_index("area_code")["area_name"]
    columns = [
        ("id", "Number"),
        ("postcode", "Postcode"),
        ("ward", "Ward"),
        ("la", "LA"),
        ("bedspaces", "Bedspaces"),
        ("provider", "Provider"),
        ("property_type", "Type"),
        ("hmo", "HMO"),
        ("received_date", "Received"),
        ("response", "Response"),
        ("response_date", "Response date"),
        ("notes", "Notes"),
    ]
    records = frame.assign(
        ward=frame["ward_code"].map(wards),
        la=frame["lad_code"].map(names),
        hmo=frame["is_hmo"].map({True: "Yes", False: "No"}),
    ).to_dict("records")
    head = html.Thead(html.Tr([html.Th(label, scope="col") for _, label in columns]))
    body = html.Tbody([html.Tr([html.Td("" if pd.isna(r[k]) else str(r[k])) for k, _ in columns]) for r in records])
    return html.Table([html.Caption("Proposals, newest first"), head, body], className="table")


@callback(
    Output("check-record-result", "children"),
    Output("check-response-result", "children"),
    Output("check-log", "children"),
    Output("check-proposal", "options"),
    Input("check-record", "n_clicks"),
    Input("check-save-response", "n_clicks"),
    State("check-place", "data"),
    State("check-provider", "value"),
    State("check-type", "value"),
    State("check-hmo", "value"),
    State("check-received", "value"),
    State("check-notes", "value"),
    State("check-proposal", "value"),
    State("check-response", "value"),
    State("check-response-date", "value"),
    State("check-response-notes", "value"),
)
def proposals_log(
    _record,
    _save,
    place,
    provider,
    property_type,
    hmo,
    received,
    notes,
    proposal_id,
    response,
    response_date,
    response_notes,
):
    scope = require(action=CHECK_PROPERTY)
    record_message = response_message = None
    engine = data.engine()
    visible = sorted(scope.property_level_lads)
    try:
        if ctx.triggered_id == "check-record":
            found, problem = find_postcode(place.get("postcode")) if isinstance(place, dict) else (None, None)
            beds = _bedspaces(place.get("bedspaces")) if isinstance(place, dict) else None
            if found is None or beds is None:
                record_message = (
                    problem or "Check a postcode first: the proposal is recorded with the property checked."
                )
            else:
                require(properties_of=found["ward_code"])  # proposals are property-level: own LA for officers
                with db.writing(engine) as conn:
                    number = log_store.add_proposal(
                        conn,
                        postcode=found["postcode"],
                        ward_code=found["ward_code"],
                        lad_code=found["lad_code"],
                        bedspaces=beds,
                        provider=provider,
                        property_type=property_type,
                        is_hmo=(hmo == "yes" or property_type == "HMO"),
                        received_date=received,
                        notes=notes,
                        created_by=scope.user,
                    )
                record_message = f"Proposal {number} recorded ({found['postcode']}, {beds} bedspaces)."
        elif ctx.triggered_id == "check-save-response":
            if not proposal_id or not response:
                response_message = "Choose a proposal and a response."
            else:
                mine = log_store.list_proposals(engine, lad_codes=visible)
                if not isinstance(proposal_id, int) or proposal_id not in set(mine["id"].astype(int)):
                    raise Forbidden("You do not have access to that proposal.", what=str(proposal_id)[:60])
                with db.writing(engine) as conn:
                    log_store.update_response(conn, int(proposal_id), response, response_date, response_notes)
                response_message = f"Response to proposal {proposal_id} saved: {response}."
    except log_store.ProposalError as exc:
        text = f"Not saved: {exc}."
        if ctx.triggered_id == "check-record":
            record_message = text
        else:
            response_message = text
    frame = view_properties(log_store.list_proposals(engine, lad_codes=visible), what="proposals log")
    options = [{"label": f"{i}: {p}", "value": int(i)} for i, p in zip(frame["id"], frame["postcode"])]
    return record_message, response_message, log_table(frame), options


def _uk_date(component_id: str) -> dcc.DatePickerSingle:
    """A date box that reads and shows day/month/year whatever the browser's locale (3/11 is 3 November);
    its value stays ISO (YYYY-MM-DD) for the store."""
    return dcc.DatePickerSingle(
        id=component_id, display_format="DD/MM/YYYY", placeholder="DD/MM/YYYY", first_day_of_week=1, clearable=True
    )
