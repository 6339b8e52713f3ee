"""Error pages that never show a stack trace or data, and a clear page when the database is unreachable.

One handler for every exception (so Flask's default logging of the full
exception, whose message may quote a value from the data, never runs):

* :class:`~app.security.roles.Forbidden` -> 403, audited as ``access_denied``;
* :class:`~app.security.roles.NotSignedIn` -> 401;
* the store unreachable (:class:`~app.store.db.StoreError`, SQLAlchemy connection errors) -> 503
  "The database cannot be reached", which goes away by itself when it is back;
* HTTP errors (404, 405, 413 upload too large, 400 form expired...) -> their own short page;
* anything else -> 500 with a reference; the log gets the exception's type, the
  route and the code frames (file, line, function, source line), not its message.

Dash's callback endpoint and other non-page requests get JSON instead of HTML.
"""

from __future__ import annotations

import logging
import secrets
import traceback

import flask
import sqlalchemy as sa
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from app.security.logs import Verbatim
from app.security.roles import Forbidden, NotSignedIn
from app.store.db import StoreError

log = logging.getLogger("dispersal.web")

TITLES = {
    400: ("The request could not be used", "The form may have expired. Go back, reload the page and try again."),
    401: ("Sign in", "Your session has ended. Sign in again."),
    403: (
        "You do not have access",
        "Your account does not give access to this. Ask your administrator if you need it.",
    ),
    404: ("Page not found", "Check the address, or go back to the start."),
    405: ("The request could not be used", "This address does not accept that kind of request."),
    413: ("The file is too large", "The file is larger than the service accepts."),
    429: ("Too many requests", "Wait a few minutes and try again."),
    503: (
        "The database cannot be reached",
        "The service cannot reach its database just now. Nothing has been "
        "lost. Try again in a minute; if it goes on, tell your administrator.",
    ),
    500: (
        "Sorry, something went wrong",
        "The problem has been recorded. Try again; if it goes on, tell your "
        "administrator and give them the reference below.",
    ),
}


DISPATCH = "/_dash-update-component"
MALFORMED = "A value sent by the page could not be used. Reload the page and try again."
MALFORMED_ERRORS = (TypeError, ValueError, OverflowError, AttributeError)


def install(server: flask.Flask) -> None:
    server.register_error_handler(Exception, handle)
    server.config["PROPAGATE_EXCEPTIONS"] = False


def wants_json() -> bool:
    request = flask.request
    if request.path.startswith(("/_dash-", "/_reload")) or request.is_json:
        return True
    accept = request.accept_mimetypes
    return not (accept.accept_html and accept["text/html"] >= accept["application/json"])


def store_unreachable(exc: BaseException) -> bool:
    return isinstance(
        exc,
        (StoreError, sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.DisconnectionError, sa.exc.TimeoutError),
    )


def handle(exc: BaseException):
    from dash.exceptions import DependencyException, PreventUpdate

    if isinstance(exc, PreventUpdate):  # Dash's own "no update": not an error
        return "", 204
    reference = None
    message = None
    if isinstance(exc, Forbidden):
        code, message = 403, exc.message
        _audit_denied(exc)
    elif isinstance(exc, NotSignedIn):
        code = 401
    elif isinstance(exc, HTTPException):
        code = exc.code or 500
        if code == 400 and flask.request.path.startswith(DISPATCH):
            message = MALFORMED
    elif flask.request.path.startswith(DISPATCH) and isinstance(exc, MALFORMED_ERRORS):
        # A value no page sends (a list for a single choice, a huge number...) fails in the callback:
        # the request is bad, not the server. The frames are logged in case it was a fault after all.
        code, message = 400, MALFORMED
        frames = "".join(traceback.format_list(traceback.extract_tb(exc.__traceback__)))
        log.warning("callback input not usable: %s at %s\n%s", type(exc).__name__, flask.request.path, Verbatim(frames))
    elif isinstance(exc, DependencyException):  # a component-suite file Dash does not know
        code = 404
    elif store_unreachable(exc):
        code = 503
        log.warning("store unreachable at %s %s: %s", flask.request.method, flask.request.path, type(exc).__name__)
    else:
        code = 500
        reference = secrets.token_hex(4)
        frames = "".join(traceback.format_list(traceback.extract_tb(exc.__traceback__)))
        log.error(
            "unexpected %s at %s %s (reference %s)\n%s",
            type(exc).__name__,
            flask.request.method,
            flask.request.path,
            reference,
            Verbatim(frames),
        )
    return respond(code, message, reference)


def respond(code: int, message: str | None = None, reference: str | None = None):
    title, text = TITLES.get(code, TITLES[500] if code >= 500 else TITLES[400])
    text = message or text
    if wants_json():
        body = {"error": title, "message": text, "status": code}
        if reference:
            body["reference"] = reference
        response = flask.jsonify(body)
    else:
        extra = f"<p>Reference: <strong>{escape(reference)}</strong></p>" if reference else ""
        link = '<p><a href="/login">Sign in</a></p>' if code == 401 else '<p><a href="/">Go to the start</a></p>'
        response = flask.make_response(PAGE.format(title=escape(title), text=escape(text), extra=extra, link=link))
        response.mimetype = "text/html"
    response.status_code = code
    if code == 503:
        response.headers["Retry-After"] = "30"
    return response


def _audit_denied(exc: Forbidden) -> None:
    try:
        from app.security import audit
        from app.security.roles import audit_event

        audit_event(audit.ACCESS_DENIED, exc.what or flask.request.path, {"path": flask.request.path})
    except Exception:  # the refusal stands even if it cannot be recorded
        log.warning("could not record a refused request in the audit log")


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - Dispersal Monitor</title>
<link rel="stylesheet" href="/assets/style.css">
</head>
<body>
<header class="header"><span class="brand">Dispersal Monitor</span></header>
<main id="main">
<h1>{title}</h1>
<p>{text}</p>
{extra}
{link}
</main>
</body>
</html>"""
