"""Administration (admins only): accounts (add, remove, unlock) and the audit log (view, export as CSV).

Every callback asks the access policy first (``require(action=MANAGE_ACCOUNTS)`` / ``READ_AUDIT``): the layout hides nothing that
the server would otherwise give away. The audit log is read-only here; the
database refuses changes to it.

Element ids: ``admin-accounts`` (accounts table), ``admin-username``, ``admin-role``, ``admin-la``,
``admin-password``, ``admin-add`` (add an account), ``admin-target`` + ``admin-remove`` / ``admin-unlock``,
``admin-message``, ``admin-audit-action`` (filter), ``admin-audit`` (audit table), ``admin-audit-export`` +
``admin-audit-csv`` (download).
"""
from __future__ import annotations

import dash
from dash import Input, Output, State, callback, ctx, dash_table, dcc, html

from app.security import accounts, audit
from app.security.roles import MANAGE_ACCOUNTS, READ_AUDIT, ROLES, NotSignedIn, current_scope, require
from app.web import data

dash.register_page(__name__, path="/admin", name="Administration", order=90,
                   title="Administration - Dispersal Monitor")

AUDIT_ROWS = 500
ACCOUNT_COLUMNS = [
    {"name": "User name", "id": "username"}, {"name": "Role", "id": "role"}, {"name": "LA", "id": "lad_code"},
    {"name": "Region", "id": "region_code"}, {"name": "Locked", "id": "locked"},
    {"name": "Last signed in", "id": "last_login_at"}, {"name": "Added by", "id": "created_by"},
]
AUDIT_COLUMNS = [{"name": n, "id": i} for n, i in [("When (UTC)", "at"), ("Who", "who"), ("Action", "action"),
                                                     ("What", "what"), ("Details", "details"),
                                                     ("Address", "remote_addr")]]


def _field(label: str, control, control_id: str) -> html.Div:
    return html.Div([html.Label(label, htmlFor=control_id), control], className="field")


def layout(**_query) -> html.Div:
    try:
        allowed = current_scope().is_admin
    except (NotSignedIn, RuntimeError):  # RuntimeError: called outside a request (layout validation)
        allowed = False
    if not allowed:
        return html.Div([html.H1("Administration"), html.P("This page is for administrators.")])
    return html.Div([
        html.H1("Administration"),
        html.H2("Accounts"),
        html.Div(id="admin-accounts"),
        html.H3("Add an account"),
        html.Div([
            _field("User name", dcc.Input(id="admin-username", type="text", autoComplete="off"), "admin-username"),
            _field("Role", dcc.Dropdown(id="admin-role", options=list(ROLES), value="officer", clearable=False),
                   "admin-role"),
            _field("LA or region code (officers and members: their LA)",
                   dcc.Input(id="admin-la", type="text", placeholder="e.g. E06000002"), "admin-la"),
            _field("Password (at least 12 characters)",
                   dcc.Input(id="admin-password", type="password", autoComplete="new-password"), "admin-password"),
        ], className="controls"),
        html.Button("Add the account", id="admin-add", n_clicks=0, className="button"),
        html.H3("Remove or unlock an account"),
        _field("User name", dcc.Input(id="admin-target", type="text", autoComplete="off"), "admin-target"),
        dcc.ConfirmDialogProvider(html.Button("Remove the account", className="button secondary"), id="admin-remove",
                                  message="Remove this account? Its sessions end at once."),
        html.Button("Unlock sign-in", id="admin-unlock", n_clicks=0, className="button secondary"),
        html.Div(id="admin-message", role="status", **{"aria-live": "polite"}),
        html.H2("Audit log"),
        html.P(f"The latest {AUDIT_ROWS} entries. The log cannot be changed from the dashboard."),
        _field("Action", dcc.Dropdown(id="admin-audit-action", options=list(audit.ACTIONS), multi=True),
               "admin-audit-action"),
        html.Div(id="admin-audit"),
        html.Button("Download the audit log (CSV)", id="admin-audit-export", n_clicks=0, className="button"),
        dcc.Download(id="admin-audit-csv"),
    ])


def accounts_table() -> dash_table.DataTable:
    frame = accounts.listing(data.engine())
    frame["locked"] = frame["locked"].map({True: "locked", False: ""})
    for column in ("last_login_at", "created_at", "password_changed_at"):
        frame[column] = frame[column].astype(str).replace({"None": "", "NaT": ""})
    return dash_table.DataTable(data=frame.to_dict("records"), columns=ACCOUNT_COLUMNS, page_size=25,
                                sort_action="native", style_as_list_view=True)


@callback(
    Output("admin-accounts", "children"), Output("admin-message", "children"), Output("admin-password", "value"),
    Input("admin-add", "n_clicks"), Input("admin-remove", "submit_n_clicks"), Input("admin-unlock", "n_clicks"),
    State("admin-username", "value"), State("admin-role", "value"), State("admin-la", "value"),
    State("admin-password", "value"), State("admin-target", "value"),
)
def manage(_add, _remove, _unlock, username, role, area, password, target):
    scope = require(action=MANAGE_ACCOUNTS)
    engine = data.engine()
    trigger = ctx.triggered_id
    message = ""
    try:
        if trigger == "admin-add":
            lad, region = accounts.resolve_area(engine, role or "", area)
            accounts.add(engine, username or "", password or "", role or "", lad_code=lad, region_code=region,
                         created_by=scope.user)
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
    frame["at"] = frame["at"].dt.strftime("%Y-%m-%d %H:%M:%S")
    return dash_table.DataTable(data=frame.drop(columns=["id"]).to_dict("records"), columns=AUDIT_COLUMNS,
                                page_size=25, sort_action="native", filter_action="native",
                                style_cell={"whiteSpace": "normal", "textAlign": "left"})


@callback(Output("admin-audit-csv", "data"), Input("admin-audit-export", "n_clicks"),
          State("admin-audit-action", "value"), prevent_initial_call=True)
def audit_export(n_clicks, actions):
    scope = require(action=READ_AUDIT)
    if not n_clicks:
        raise dash.exceptions.PreventUpdate
    engine = data.engine()
    frame = audit.query(engine, action=actions or None, limit=None)
    audit.record(engine, scope.user, audit.AUDIT_EXPORTED, "audit_log", {"rows": int(len(frame))},
                 _remote_addr())
    return dcc.send_string(audit.to_csv(frame), "audit_log.csv")


def _remote_addr() -> str | None:
    import flask

    return flask.request.remote_addr if flask.has_request_context() else None
