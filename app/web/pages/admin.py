"""Administration (admins only): accounts (add, remove, unlock) and the audit log (view, export as CSV).

Every callback asks the access policy first (``require(action=MANAGE_ACCOUNTS)`` / ``READ_AUDIT``): the layout hides nothing that
the server would otherwise give away. The audit log is read-only here; the
database refuses changes to it.

Element ids: ``admin-accounts`` (accounts table), ``admin-username``, ``admin-role``, ``admin-la``,
``admin-password``, ``admin-add`` (add an account), ``admin-target`` + ``admin-remove`` / ``admin-unlock``,
``admin-message``, ``admin-audit-action`` (filter), ``admin-audit`` (audit table), ``admin-audit-export`` +
``admin-audit-csv`` (download). Allocations per quarter: ``admin-plan`` (table), ``admin-plan-la``,
``admin-plan-quarter``, ``admin-plan-bedspaces``, ``admin-plan-note``, ``admin-plan-save``, ``admin-plan-message``.
E-mail alerts: ``admin-alerts`` (recipients table), ``admin-alert-la``, ``admin-alert-email``, ``admin-alert-role``,
``admin-alert-add`` / ``admin-alert-remove``, ``admin-alert-message``.
"""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, callback, ctx, dash_table, dcc, html

from app.security import accounts, audit
from app.security.roles import (
    MANAGE_ACCOUNTS,
    MANAGE_ALERTS,
    READ_AUDIT,
    ROLES,
    NotSignedIn,
    current_scope,
    require,
)
from app.web import data

dash.register_page(__name__, path="/admin", name="Administration", order=90, title="Administration - Dispersal Monitor")

AUDIT_ROWS = 500
ACCOUNT_COLUMNS = [
    {"name": "User name", "id": "username"},
    {"name": "Role", "id": "role"},
    {"name": "LA", "id": "la_name"},
    {"name": "LA code", "id": "lad_code"},
    {"name": "Region", "id": "region_code"},
    {"name": "Locked", "id": "locked"},
    {"name": "Last signed in", "id": "last_login_at"},
    {"name": "Added by", "id": "created_by"},
]
AUDIT_COLUMNS = [
    {"name": n, "id": i}
    for n, i in [
        ("When (UTC)", "at"),
        ("Who", "who"),
        ("Action", "action"),
        ("What", "what"),
        ("Details", "details"),
        ("Address", "remote_addr"),
    ]
]


def _field(label: str, control) -> html.Div:
    return html.Div([html.Label(label, htmlFor=control.id), control], className="field")


def _form(fields: list, *buttons: html.Button, message: str) -> list:
    """A section's fields side by side, its buttons, and the status line its callbacks answer in."""
    return [
        html.Div(fields, className="controls"),
        *buttons,
        html.Div(id=message, role="status", **{"aria-live": "polite"}),
    ]


def layout(**_query) -> html.Div:
    try:
        allowed = current_scope().is_admin
    except (NotSignedIn, RuntimeError):  # RuntimeError: called outside a request (layout validation)
        allowed = False
    if not allowed:
        return html.Div([html.H1("Administration"), html.P("This page is for administrators.")])
    return html.Div(
        [
            html.H1("Administration"),
            html.H2("Accounts"),
            html.Div(id="admin-accounts"),
            html.H3("Add an account"),
            html.Div(
                [
                    _field("User name", dcc.Input(id="admin-username", type="text", autoComplete="off")),
                    _field(
                        "Role",
                        dcc.Dropdown(id="admin-role", options=list(ROLES), value="officer", clearable=False),
                    ),
                    _field(
                        "LA or region code (officers and members: their LA)",
                        dcc.Input(id="admin-la", type="text", placeholder="e.g. E06000002"),
                    ),
                    _field(
                        "Password (at least 12 characters)",
                        dcc.Input(id="admin-password", type="password", autoComplete="new-password"),
                    ),
                ],
                className="controls",
            ),
            html.Button("Add the account", id="admin-add", n_clicks=0, className="button"),
            html.H3("Remove or unlock an account"),
            _field("User name", dcc.Input(id="admin-target", type="text", autoComplete="off")),
            dcc.ConfirmDialogProvider(
                html.Button("Remove the account", className="button secondary"),
                id="admin-remove",
                message="Remove this account? Its sessions end at once.",
            ),
            html.Button("Unlock sign-in", id="admin-unlock", n_clicks=0, className="button secondary"),
            html.Div(id="admin-message", role="status", **{"aria-live": "polite"}),
            html.H2("Limit variations and dispersal-plan allocations"),
            html.P(
                "An agreed limit variation replaces the national 1 person per 200 residents for the LA and its wards; "
                "the allocation is the LA's agreed dispersal bedspaces (plan against actual). Each change is audited.",
                className="hint",
            ),
            html.Div(id="admin-settings"),
            *_form(
                [
                    _field(
                        "Local authority",
                        dcc.Dropdown(id="admin-setting-la", options=_la_options(), clearable=False),
                    ),
                    _field(
                        "Residents per supported person (blank: unchanged)",
                        dcc.Input(id="admin-setting-ratio", type="number", min=20, max=5000, step="any"),
                    ),
                    _field(
                        "Allocation, bedspaces (blank: unchanged)",
                        dcc.Input(id="admin-setting-allocation", type="number", min=0, step=1),
                    ),
                    _field(
                        "Note (e.g. the agreement's reference)",
                        dcc.Input(id="admin-setting-note", type="text"),
                    ),
                ],
                html.Button("Save the LA's settings", id="admin-setting-save", n_clicks=0, className="button"),
                message="admin-setting-message",
            ),
            html.H3("Allocation for a quarter"),
            html.P(
                "A quarter's allocation is used for that quarter's plan against actual (overview chart and pack); a "
                "quarter with none of its own uses the LA's standing allocation above.",
                className="hint",
            ),
            html.Div(id="admin-plan"),
            *_form(
                [
                    _field(
                        "Local authority",
                        dcc.Dropdown(id="admin-plan-la", options=_la_options(), clearable=False),
                    ),
                    _field(
                        "Quarter",
                        dcc.Dropdown(id="admin-plan-quarter", options=_quarter_options(), clearable=False),
                    ),
                    _field(
                        "Allocation, bedspaces",
                        dcc.Input(id="admin-plan-bedspaces", type="number", min=0, step=1),
                    ),
                    _field(
                        "Note (e.g. the plan's version)",
                        dcc.Input(id="admin-plan-note", type="text"),
                    ),
                ],
                html.Button("Save the quarter's allocation", id="admin-plan-save", n_clicks=0, className="button"),
                message="admin-plan-message",
            ),
            html.H2("E-mail alerts"),
            html.P(
                "After each load, an LA's recipients receive what changed for the LA by e-mail. An officer reads the "
                "LA's and its wards' figures; a member reads aggregates only, as members' pages show them. Each change "
                "is audited.",
                className="hint",
            ),
            html.Div(id="admin-alerts"),
            *_form(
                [
                    _field(
                        "Local authority",
                        dcc.Dropdown(id="admin-alert-la", options=_la_options(), clearable=False),
                    ),
                    _field(
                        "E-mail address",
                        dcc.Input(id="admin-alert-email", type="email", autoComplete="off"),
                    ),
                    _field(
                        "Reads it as",
                        dcc.Dropdown(
                            id="admin-alert-role",
                            options=[{"label": r, "value": r} for r in ("officer", "member")],
                            value="officer",
                            clearable=False,
                        ),
                    ),
                ],
                html.Button("Add the recipient", id="admin-alert-add", n_clicks=0, className="button"),
                html.Button("Remove the recipient", id="admin-alert-remove", n_clicks=0, className="button secondary"),
                message="admin-alert-message",
            ),
            html.H2("Audit log"),
            html.P(f"The latest {AUDIT_ROWS} entries. The log cannot be changed from the dashboard."),
            _field(
                "Action",
                dcc.Dropdown(id="admin-audit-action", options=list(audit.ACTIONS), multi=True),
            ),
            html.Div(id="admin-audit"),
            html.Button("Download the audit log (CSV)", id="admin-audit-export", n_clicks=0, className="button"),
            dcc.Download(id="admin-audit-csv"),
        ]
    )


def _la_options() -> list[dict]:
    try:
        las = data.local_authorities()
    except RuntimeError:  # outside a request (layout validation)
        return []
    return [{"label": f"{r.area_name} ({r.area_code})", "value": r.area_code} for r in las.itertuples()]


def _quarter_options() -> list[dict]:
    """The quarters of the loaded months and property lists, and the four after the latest."""
    from app.periods import quarter_of

    try:
        snap = data.snapshot()
    except RuntimeError:  # outside a request (layout validation)
        return []
    quarters = {quarter_of(m) for m in snap.months}
    if len(snap.properties):
        quarters |= set(snap.properties["quarter"].dropna().astype(str))
    if quarters:
        year, q = int(max(quarters)[:4]), int(max(quarters)[-1])
        for _ in range(4):
            year, q = (year + 1, 1) if q == 4 else (year, q + 1)
            quarters.add(f"{year}Q{q}")
    return [{"label": f"{q[:4]}-Q{q[-1]}", "value": q} for q in sorted(quarters, reverse=True)]


def plan_table() -> dash_table.DataTable:
    from app.store import queries

    with data.engine().connect() as conn:
        saved = queries.plan_allocations(conn)
    names = data.local_authorities().set_index("area_code")["area_name"]
    frame = saved.assign(
        area_name=saved["lad_code"].map(names).fillna(saved["lad_code"]),
        quarter=saved["quarter"].astype(str).map(lambda q: f"{q[:4]}-Q{q[-1]}"),
        bedspaces=saved["bedspaces"].map(lambda v: f"{v:,.0f}"),
        note=saved["note"].fillna(""),
    )
    return _listing(
        frame,
        "admin-plan-table",
        {
            "area_name": "Local authority",
            "lad_code": "Code",
            "quarter": "Quarter",
            "bedspaces": "Allocation (bedspaces)",
            "note": "Note",
        },
    )


def _listing(frame, table_id: str, columns: dict[str, str]) -> dash_table.DataTable:
    """A sortable, paged list of what the administration page holds: column id -> heading."""
    return dash_table.DataTable(
        data=frame[list(columns)].to_dict("records"),
        id=table_id,
        style_as_list_view=True,
        page_size=25,
        sort_action="native",
        columns=[{"name": name, "id": column} for column, name in columns.items()],
    )


@callback(
    Output("admin-plan", "children"),
    Output("admin-plan-message", "children"),
    Input("admin-plan-save", "n_clicks"),
    State("admin-plan-la", "value"),
    State("admin-plan-quarter", "value"),
    State("admin-plan-bedspaces", "value"),
    State("admin-plan-note", "value"),
)
def save_plan(clicks, la, quarter, bedspaces, note):
    scope = require("admin")
    from app.security import area_settings

    message = ""
    if ctx.triggered_id == "admin-plan-save":
        try:
            if not la:
                raise area_settings.SettingRefused("choose a local authority")
            if not quarter:
                raise area_settings.SettingRefused("choose a quarter")
            if bedspaces is None or float(bedspaces) != int(float(bedspaces)):
                raise area_settings.SettingRefused("the allocation must be a whole number of bedspaces")
            row = area_settings.set_allocation(
                data.engine(), str(la), str(quarter), int(float(bedspaces)), who=scope.user, note=note or None
            )
            message = f"Saved: {row['bedspaces']:,} bedspaces for {row['quarter'][:4]}-Q{row['quarter'][-1]}."
        except (area_settings.SettingRefused, TypeError, ValueError) as refused:
            message = f"Not saved: {refused}."
    return plan_table(), message


def alerts_table() -> dash_table.DataTable:
    from app.security import alert_recipients

    frame = alert_recipients.listing(data.engine())
    names = data.local_authorities().set_index("area_code")["area_name"]
    frame = frame.assign(area_name=frame["lad_code"].map(names).fillna(frame["lad_code"]))
    added = pd.to_datetime(frame["added_at"], errors="coerce")
    frame["added_at"] = added.dt.strftime("%d/%m/%Y %H:%M").fillna("")
    return _listing(
        frame,
        "admin-alerts-table",
        {
            "area_name": "Local authority",
            "lad_code": "Code",
            "email": "E-mail address",
            "role": "Reads it as",
            "added_by": "Added by",
            "added_at": "Added (UTC)",
        },
    )


@callback(
    Output("admin-alerts", "children"),
    Output("admin-alert-message", "children"),
    Input("admin-alert-add", "n_clicks"),
    Input("admin-alert-remove", "n_clicks"),
    State("admin-alert-la", "value"),
    State("admin-alert-email", "value"),
    State("admin-alert-role", "value"),
)
def manage_alerts(_add, _remove, la, email, role):
    scope = require(action=MANAGE_ALERTS)
    from app.security import alert_recipients

    message = ""
    try:
        if ctx.triggered_id == "admin-alert-add":
            row = alert_recipients.add(data.engine(), str(la or ""), email or "", role or "", who=scope.user)
            message = f"{row['email']} now receives the alerts of {row['lad_code']} as {row['role']}."
        elif ctx.triggered_id == "admin-alert-remove":
            alert_recipients.remove(data.engine(), str(la or ""), email or "", who=scope.user)
            message = f"{(email or '').strip()} no longer receives the alerts of {la}."
    except alert_recipients.RecipientRefused as refused:
        message = f"Not done: {refused}."
    return alerts_table(), message


def settings_table() -> dash_table.DataTable:
    from app.store import queries

    with data.engine().connect() as conn:
        saved = queries.area_settings(conn)
    las = data.local_authorities()[["area_code", "area_name"]]
    frame = las.merge(saved, on="area_code", how="left")
    frame["limit_ratio"] = frame["limit_ratio"].map(lambda v: f"1 per {v:,.0f}" if v == v else "1 per 200 (national)")
    frame["allocation"] = frame["allocation"].map(lambda v: f"{v:,.0f}" if v == v else "not entered")
    frame["note"] = frame["note"].fillna("")
    return dash_table.DataTable(
        data=frame.to_dict("records"),
        id="admin-settings-table",
        style_as_list_view=True,
        columns=[
            {"name": "Local authority", "id": "area_name"},
            {"name": "Code", "id": "area_code"},
            {"name": "Limit", "id": "limit_ratio"},
            {"name": "Standing allocation (bedspaces)", "id": "allocation"},
            {"name": "Note", "id": "note"},
        ],
    )


@callback(
    Output("admin-settings", "children"),
    Output("admin-setting-message", "children"),
    Input("admin-setting-save", "n_clicks"),
    State("admin-setting-la", "value"),
    State("admin-setting-ratio", "value"),
    State("admin-setting-allocation", "value"),
    State("admin-setting-note", "value"),
)
def save_settings(clicks, la, ratio, allocation, note):
    scope = require("admin")
    from app.security import area_settings

    message = ""
    if ctx.triggered_id == "admin-setting-save":
        try:
            if not la:
                raise area_settings.SettingRefused("choose a local authority")
            if ratio is None and allocation is None:
                raise area_settings.SettingRefused("enter a limit ratio, an allocation or both")
            if allocation is not None and float(allocation) != int(float(allocation)):
                raise area_settings.SettingRefused("the allocation must be a whole number of bedspaces")
            area_settings.set_values(
                data.engine(),
                str(la),
                who=scope.user,
                limit_ratio=None if ratio is None else float(ratio),
                allocation=None if allocation is None else int(float(allocation)),
                note=note or None,
            )
            message = "Saved. Every page now uses the new figures."
        except (area_settings.SettingRefused, TypeError, ValueError) as refused:
            message = f"Not saved: {refused}."
    return settings_table(), message


def accounts_table() -> dash_table.DataTable:
    frame = accounts.listing(data.engine())
    names = data.local_authorities().set_index("area_code")["area_name"]
    frame["la_name"] = frame["lad_code"].map(names).fillna("")
    frame["locked"] = frame["locked"].map({True: "locked", False: ""})
    for column in ("last_login_at", "created_at", "password_changed_at"):
        frame[column] = frame[column].astype(str).replace({"None": "", "NaT": ""})
    return dash_table.DataTable(
        data=frame.to_dict("records"),
        columns=ACCOUNT_COLUMNS,
        page_size=25,
        sort_action="native",
        style_as_list_view=True,
    )


@callback(
    Output("admin-accounts", "children"),
    Output("admin-message", "children"),
    Output("admin-password", "value"),
    Input("admin-add", "n_clicks"),
    Input("admin-remove", "submit_n_clicks"),
    Input("admin-unlock", "n_clicks"),
    State("admin-username", "value"),
    State("admin-role", "value"),
    State("admin-la", "value"),
    State("admin-password", "value"),
    State("admin-target", "value"),
)
def manage(_add, _remove, _unlock, username, role, area, password, target):
    scope = require(action=MANAGE_ACCOUNTS)
    engine = data.engine()
    trigger = ctx.triggered_id
    message = ""
    try:
        if trigger == "admin-add":
            lad, region = accounts.resolve_area(engine, role or "", area)
            accounts.add(
                engine,
                username or "",
                password or "",
                role or "",
                lad_code=lad,
                region_code=region,
                created_by=scope.user,
            )
            message = f"Account '{accounts.get(engine, username).username}' added."
        elif trigger == "admin-remove":
            if (target or "").strip().lower() == scope.user:
                raise accounts.AccountError("you cannot remove your own account")
            accounts.remove(engine, target or "", removed_by=scope.user)
            message = f"Account '{target}' removed; its sessions have ended."
        elif trigger == "admin-unlock":
            if accounts.get(engine, target or "") is None:
                raise accounts.AccountError(f"there is no account called '{target}'")
            accounts.unlock(engine, target, scope.user)
            message = f"Sign-in for '{target}' unlocked."
    except accounts.AccountError as refused:
        message = f"Not done: {refused}."
    return accounts_table(), message, ""


@callback(Output("admin-audit", "children"), Input("admin-audit-action", "value"), Input("admin-accounts", "children"))
def audit_view(actions, _accounts):
    require(action=READ_AUDIT)
    frame = audit.query(data.engine(), action=actions or None, limit=AUDIT_ROWS)
    frame["at"] = frame["at"].dt.strftime("%d/%m/%Y %H:%M:%S")
    frame["details"] = frame["details"].map(readable_details)
    return dash_table.DataTable(
        data=frame.drop(columns=["id"]).to_dict("records"),
        columns=AUDIT_COLUMNS,
        page_size=25,
        sort_action="native",
        filter_action="native",
        style_cell={"whiteSpace": "normal", "textAlign": "left"},
    )


@callback(
    Output("admin-audit-csv", "data"),
    Input("admin-audit-export", "n_clicks"),
    State("admin-audit-action", "value"),
    prevent_initial_call=True,
)
def audit_export(n_clicks, actions):
    scope = require(action=READ_AUDIT)
    if not n_clicks:
        raise dash.exceptions.PreventUpdate
    engine = data.engine()
    frame = audit.query(engine, action=actions or None, limit=None)
    audit.record(engine, scope.user, audit.AUDIT_EXPORTED, "audit_log", {"rows": len(frame)}, _remote_addr())
    return dcc.send_string(audit.to_csv(frame), "audit_log.csv")


def _remote_addr() -> str | None:
    import flask

    return flask.request.remote_addr if flask.has_request_context() else None


def readable_details(details) -> str:
    """An audit entry's details as "key: value; ..." words rather than raw JSON."""
    import json

    if details is None or details != details or details == "":
        return ""
    value = details
    if isinstance(details, str):
        try:
            value = json.loads(details)
        except ValueError:
            return details
    if not isinstance(value, dict):
        return str(value)

    def words(item) -> str:
        if isinstance(item, dict):
            return ", ".join(f"{k.replace('_', ' ')} {words(v)}" for k, v in item.items())
        if isinstance(item, list):
            return ", ".join(map(words, item))
        if isinstance(item, bool):
            return "yes" if item else "no"
        if isinstance(item, (int, float)):
            return f"{item:,.0f}" if float(item).is_integer() else f"{item:,}"
        return "none" if item is None else str(item)

    return "; ".join(f"{key.replace('_', ' ')}: {words(item)}" for key, item in value.items())
