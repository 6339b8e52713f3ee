"""Data: upload a monthly file or a property list, check what was found, confirm; history, problems, undo.

An upload is read and checked first (``prepare_*``): nothing is written
until the officer confirms. The file is kept in a private temporary folder
under its own name (readers take the month from it), never under the repo,
and deleted once loaded.

Roles: uploading, loading and undo are for admins and regional leads only. A monthly extract covers
the region (loading it replaces that month for every LA it names) and undo withdraws the latest load
whoever made it, so neither is left to an officer of one LA; officers send their files to the regional
lead. The load history and the data-quality notes (which quote cells of the files) are theirs too.
Every upload is checked by :func:`app.security.limits.check_upload` before any reader sees it, and
uploads, refusals, loads and undo are recorded in the audit log.
"""

from __future__ import annotations

import base64
import binascii
import re
import shutil
import tempfile
import threading
from pathlib import Path

import dash
import pandas as pd
from dash import Input, Output, State, callback, ctx, dcc, html

from app import alerts, ingest
from app.problems import InputRefused, Problem
from app.security import audit, limits, uploads
from app.security.roles import LOAD, UNDO, Forbidden, audit_event, require, roles_allowed
from app.store import db, loads, queries
from app.web import changes, data

dash.register_page(__name__, path="/data", name="Data", order=6, title="Data - Dispersal Monitor")

HOME_OFFICE, PROPERTIES = "home_office", "properties"
KINDS = {HOME_OFFICE: "Monthly Home Office file", PROPERTIES: "Provider property list"}
#: Loads that undo can withdraw; a geography load replaces the map itself and is reloaded instead.
UNDOABLE = ("home_office", "properties", "public_stats")
UPLOAD_PREFIX = uploads.UPLOAD_PREFIX
TABLE_LIMIT = 500
#: Roles that may upload, load and undo.
LOADERS = roles_allowed(LOAD)

#: Prepared uploads waiting for confirmation: token -> (who uploaded it, what it would load).
_pending: dict[str, tuple[str, ingest.Prepared]] = {}
_pending_lock = threading.Lock()


# ------------------------------------------------------------------ uploads


def _safe_name(filename: str) -> str:
    name = Path(str(filename).replace("\\", "/")).name
    name = re.sub(r"[^\w.\- ]", "_", name).strip(" .")
    return name or "upload"


def decode_upload(contents: str) -> bytes:
    """The bytes of a ``dcc.Upload`` data URL."""
    _header, _, encoded = (contents or "").partition(",")
    return base64.b64decode(encoded, validate=False)


def save_upload(raw: bytes, filename: str) -> Path:
    """Write checked upload bytes to a new private temporary folder under the file's own name."""
    folder = Path(tempfile.mkdtemp(prefix=UPLOAD_PREFIX))
    path = folder / _safe_name(filename)
    path.write_bytes(raw)
    return path


def _upload_path(token: str | None, file_name: str | None) -> Path | None:
    """The saved upload named by a token from the browser, only if it is one of ours."""
    if not token or not re.fullmatch(rf"{UPLOAD_PREFIX}[\w]+", str(token)):
        return None
    path = Path(tempfile.gettempdir()) / token / _safe_name(file_name or "")
    return path if path.is_file() else None


def prepare(path: Path, kind: str, provider: str | None, user: str, month: str | None = None) -> ingest.Prepared:
    engine = data.engine()
    if kind == PROPERTIES:
        if not isinstance(provider, str) or not provider.strip():
            raise InputRefused(
                [Problem("choose the provider of this property list before uploading it", path.name, column="provider")]
            )
        return ingest.prepare_properties(engine, path, provider=provider.strip(), loaded_by=user)
    month = month.strip() if isinstance(month, str) and month.strip() else None
    if month is not None and not ingest.MONTH.match(month):
        raise InputRefused(
            [
                Problem(
                    f"the month box says '{month}': write the month as YYYY-MM, e.g. 2025-03, or "
                    "leave it empty when the file says its month",
                    path.name,
                    column="month",
                )
            ]
        )
    return ingest.prepare_home_office(engine, path, month=month, loaded_by=user)


def _discard(path: Path | None) -> None:
    if path is not None and path.parent.name.startswith(UPLOAD_PREFIX):
        shutil.rmtree(path.parent, ignore_errors=True)


# ------------------------------------------------------------------ tables


def table(records: list[dict], columns: list[tuple[str, str]], caption: str, limit: int = TABLE_LIMIT) -> html.Div:
    if not records:
        return html.P(f"{caption}: none.")
    head = html.Thead(html.Tr([html.Th(label, scope="col") for _, label in columns]))
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Td(
                        ""
                        if r.get(k) is None or (isinstance(r.get(k), float) and r.get(k) != r.get(k))
                        else str(r.get(k))
                    )
                    for k, _ in columns
                ]
            )
            for r in records[:limit]
        ]
    )
    note = [html.P(f"Showing the first {limit} of {len(records)}.")] if len(records) > limit else []
    return html.Div([html.Table([html.Caption(caption), head, body], className="table"), *note])


PROBLEM_COLUMNS = [("file", "File"), ("sheet", "Sheet"), ("row", "Row"), ("column", "Column"), ("message", "Problem")]


def problem_table(problems: list[Problem], caption: str) -> html.Div:
    return table([p.as_dict() for p in problems], PROBLEM_COLUMNS, caption)


def preview(report: ingest.LoadReport) -> html.Div:
    """What the reader found, before anything is loaded."""
    if report.unchanged:
        return html.Div(
            [
                html.H2("Already loaded"),
                html.P(
                    f"{report.file} is already loaded as load {report.load_id}; loading it again would change nothing."
                ),
            ]
        )
    facts = [
        html.Div([html.Dt("File"), html.Dd(report.file)]),
        html.Div([html.Dt("Rows"), html.Dd(f"{report.rows:,}")]),
        html.Div([html.Dt("Month" if report.kind == HOME_OFFICE else "Quarter"), html.Dd(report.period or "")]),
    ]
    facts += [
        html.Div([html.Dt(str(k).capitalize()), html.Dd(str(v))])
        for k, v in report.facts.items()
        if k not in ("month", "quarter")
    ]
    return html.Div(
        [
            html.H2("What the file holds"),
            html.Dl(facts, className="facts"),
            problem_table(report.warnings, f"{len(report.warnings)} data-quality note(s) (loaded with the file)"),
            html.P("Nothing has been loaded yet. Check the figures, then confirm."),
        ]
    )


# ------------------------------------------------------------------ layout


def layout(**_query) -> html.Div:
    scope = data.layout_scope()
    if scope is None or scope.role not in LOADERS:
        return html.Div(
            [
                html.H1("Data"),
                html.P(
                    "Loading data is for administrators and regional leads. Send your monthly file or "
                    "property list to your regional lead."
                ),
            ]
        )
    return html.Div(
        [
            html.H1("Data"),
            html.P(
                "Load a monthly Home Office file or a provider's quarterly property list. You see what the file "
                "holds before anything is loaded."
            ),
            html.Div(
                [
                    html.Div(
                        [
                            html.Label("Kind of file", htmlFor="data-kind"),
                            dcc.RadioItems(
                                id="data-kind",
                                value=HOME_OFFICE,
                                options=[{"label": v, "value": k} for k, v in KINDS.items()],
                            ),
                        ],
                        className="field",
                    ),
                    html.Div(
                        [
                            html.Label("Provider (property lists only)", htmlFor="data-provider"),
                            dcc.Input(id="data-provider", type="text", placeholder="e.g. Mears"),
                        ],
                        className="field",
                    ),
                    html.Div(
                        [
                            html.Label("Month (monthly files only, when the file cannot say)", htmlFor="data-month"),
                            dcc.Input(id="data-month", type="text", placeholder="YYYY-MM, e.g. 2025-03"),
                        ],
                        className="field",
                    ),
                    html.Div(
                        [
                            html.Label("File", htmlFor="data-upload"),
                            dcc.Upload(
                                id="data-upload",
                                multiple=False,
                                className="upload",
                                children=html.Div(
                                    ["Drag and drop the file here, or ", html.Span("choose a file", className="link")]
                                ),
                            ),
                        ],
                        className="field",
                    ),
                ],
                className="controls",
            ),
            html.Div(id="data-preview", role="status", **{"aria-live": "polite"}),
            dcc.Store(id="data-pending"),
            html.Button("Confirm and load", id="data-confirm", n_clicks=0, disabled=True, className="button"),
            html.Div(id="data-message", role="status", **{"aria-live": "polite"}),
            html.H2("Load history"),
            dcc.ConfirmDialogProvider(
                html.Button("Undo the last load", id="data-undo-button", className="button secondary"),
                id="data-undo",
                message="Undo the most recent load? What it replaced comes back; it stays in the history.",
            ),
            html.Div(id="data-history"),
            html.H2("Data-quality notes"),
            html.Div(id="data-problems"),
        ]
    )


@callback(
    Output("data-preview", "children"),
    Output("data-pending", "data"),
    Output("data-confirm", "disabled"),
    Input("data-upload", "contents"),
    State("data-upload", "filename"),
    State("data-kind", "value"),
    State("data-provider", "value"),
    State("data-month", "value"),
    prevent_initial_call=True,
)
def upload(contents, filename, kind, provider, month=None):
    scope = require(action=LOAD)
    if not contents or not isinstance(contents, str):
        return None, None, True
    kind = kind if kind in KINDS else HOME_OFFICE
    name = _safe_name(filename if isinstance(filename, str) else "upload")
    path = None
    try:
        raw = decode_upload(contents)
    except (ValueError, binascii.Error):
        return html.P(f"{name}: the file could not be read. Nothing was loaded.", className="error"), None, True
    try:
        limits.check_upload(name, raw)
    except limits.UploadRefused as refused:
        audit_event(audit.UPLOAD_REFUSED, name, {"kind": kind, "bytes": len(raw), "reason": str(refused)[:200]})
        return html.P(f"{refused}. Nothing was loaded.", className="error"), None, True
    audit_event(audit.UPLOAD, name, {"kind": kind, "bytes": len(raw)})
    try:
        path = save_upload(raw, name)
        prepared = prepare(path, kind, provider, scope.user, month)
    except InputRefused as refused:
        _discard(path)
        return (
            html.Div(
                [
                    html.H2("This file cannot be loaded"),
                    html.P("Nothing was loaded. Correct the file and upload it again."),
                    problem_table(refused.problems, f"{len(refused.problems)} problem(s) found"),
                ],
                className="error",
            ),
            None,
            True,
        )
    except (ValueError, binascii.Error) as exc:
        _discard(path)
        return html.P(f"{name}: the file could not be read ({exc}). Nothing was loaded.", className="error"), None, True
    except Exception as exc:  # a reader fault must reach the officer as words, not a traceback
        _discard(path)
        return (
            html.P(
                f"{name}: the file could not be read as a {KINDS[kind].lower()} "
                f"({type(exc).__name__}). Nothing was loaded.",
                className="error",
            ),
            None,
            True,
        )
    if prepared.report.unchanged:
        _discard(path)
        return preview(prepared.report), None, True
    token = path.parent.name
    with _pending_lock:
        _pending[token] = (scope.user, prepared)
        while len(_pending) > 8:
            evicted = next(iter(_pending))
            _pending.pop(evicted)
            uploads.remove(Path(tempfile.gettempdir()) / evicted)  # its file goes with it
    pending = {"token": token, "file": path.name, "kind": kind, "provider": provider, "month": month}
    return html.Div([preview(prepared.report), changes.preview_panel(scope, prepared)]), pending, False


def _confirm(scope, pending: dict | None) -> html.Div:
    pending = pending if isinstance(pending, dict) else {}
    path = _upload_path(pending.get("token"), pending.get("file"))
    if path is None:
        return html.P("There is nothing to confirm: upload a file first.")
    with _pending_lock:
        owner, prepared = _pending.get(pending["token"], (None, None))
        if owner is not None and owner != scope.user:
            raise Forbidden("That upload was made by someone else.", what=str(pending["token"])[:60])
        _pending.pop(pending["token"], None)
    try:
        prepared = prepared or prepare(
            path, pending.get("kind"), pending.get("provider"), scope.user, pending.get("month")
        )
        report = prepared.commit()
    except InputRefused as refused:
        return problem_table(refused.problems, "This file cannot be loaded")
    finally:
        _discard(path)
    audit_event(
        audit.LOAD,
        report.file,
        {
            "load_id": report.load_id,
            "kind": report.kind,
            "period": report.period,
            "rows": report.rows,
            "unchanged": report.unchanged,
        },
    )
    if not report.unchanged:
        note = alerts.after_load(data.engine(), report.load_id, data.settings(), who=scope.user).note
        if note:
            report.facts["e-mail alerts"] = note
    lines = report.lines()
    return html.Div(
        [
            html.P(lines[0], className="success"),
            html.Ul([html.Li(x.strip()) for x in lines[1:]]),
            changes.panel(scope, _changed_month(report), "data-changes"),
        ]
    )


def _changed_month(report: ingest.LoadReport) -> str | None:
    """The month whose changes a load brings: a monthly file's own, else (property lists) the latest."""
    if report.kind == HOME_OFFICE and report.period:
        return report.period
    months = data.months()
    return months[-1] if months else None


def _undo_last(who: str) -> html.P:
    with db.writing(data.engine()) as conn:
        history = queries.load_history(conn)
        candidates = history[(history["status"] == loads.ACTIVE) & history["kind"].isin(UNDOABLE)]
        if candidates.empty:
            return html.P("There is no load to undo.")
        last = candidates.iloc[0]
        ingest.undo_load(conn, int(last["id"]))
    audit_event(
        audit.UNDO,
        str(last["file_name"]),
        {
            "load_id": int(last["id"]),
            "kind": str(last["kind"]),
            "period": None if pd.isna(last["period"]) else str(last["period"]),
        },
    )
    period = f" for {last['period']}" if pd.notna(last["period"]) else ""
    note = alerts.after_load(data.engine(), int(last["id"]), data.settings(), who=who, undone=True).note
    return html.P(
        f"Load {int(last['id'])} ({last['file_name']}{period}) was undone; what it had replaced is back in use."
        + (f" E-mail alerts: {note}." if note else "")
    )


@callback(
    Output("data-message", "children"),
    Output("data-history", "children"),
    Output("data-problems", "children"),
    Input("data-confirm", "n_clicks"),
    Input("data-undo", "submit_n_clicks"),
    State("data-pending", "data"),
)
def actions(_confirm_clicks, _undo_clicks, pending):
    scope = require(action=LOAD)
    message = None
    if ctx.triggered_id == "data-confirm":
        message = _confirm(scope, pending)
    elif ctx.triggered_id == "data-undo":
        scope.check(UNDO)
        message = _undo_last(scope.user)
    with data.engine().connect() as conn:
        history = queries.load_history(conn)
        problems = queries.problems(conn)
        in_force = queries.coverage_by_load(conn)
    history = history.assign(
        loaded_at=history["loaded_at"].dt.strftime("%Y-%m-%d %H:%M"), in_force=history["id"].map(in_force).fillna("")
    )
    history_part = table(
        history.to_dict("records"),
        [
            ("id", "Load"),
            ("kind", "Kind"),
            ("file_name", "File"),
            ("period", "Period"),
            ("provider", "Provider"),
            ("loaded_at", "Loaded (UTC)"),
            ("loaded_by", "By"),
            ("rows", "Rows"),
            ("status", "Status"),
            ("in_force", "In force for"),
            ("n_problems", "Notes"),
        ],
        "Loads, newest first",
    )
    # the notes quote cells of the files: who read them is recorded
    audit_event(audit.VIEW_RESTRICTED, "data-quality notes", {"notes": len(problems)})
    problems_part = table(
        problems.assign(file=problems["file_name"]).to_dict("records"),
        [("load_id", "Load"), ("severity", "Severity"), *PROBLEM_COLUMNS],
        "Data-quality notes of the loads in use",
    )
    return message, history_part, problems_part
