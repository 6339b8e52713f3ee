"""Signing in: flask-login sessions, one guard in front of every route, the log-in form, log-out.

Default deny: :func:`guard` runs before every request and lets through only
:data:`PUBLIC` (the log-in page and the one stylesheet it uses). Anything else
from someone not signed in is refused: a redirect to ``/login`` for a page
(GET of an HTML route), 401 JSON for Dash's endpoints, component suites,
assets and any other method. New routes are therefore closed until listed.

The session cookie (signed with the app's secret key) holds the user id and
the account's ``auth_version`` and nothing else about the user; the role and
LA are read from the store on each request, so removing an account, changing
its password or logging out ends its sessions at once. Sessions end after
:data:`IDLE_MINUTES` without a request and :data:`ABSOLUTE_HOURS` after
signing in, whatever the activity. There is no "remember me".

Single sign-on (OIDC) later: a ``/login/oidc`` route pair would find the
account by ``users.sso_subject`` and call :func:`start_session` like the form.
"""
from __future__ import annotations

import os
import secrets
import stat
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import dash
import flask
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFProtect, generate_csrf
from markupsafe import escape

from app.config import ROOT
from app.security import accounts, audit, limits

#: Paths anyone may request: the log-in form and what it needs to render.
PUBLIC = frozenset({"/login", "/assets/style.css", "/_favicon.ico"})
IDLE_MINUTES = 30
ABSOLUTE_HOURS = 10
#: Dash's JSON callback endpoint: exempt from the form CSRF check (it takes only JSON bodies, which a
#: cross-site form cannot send, and the SameSite=Lax cookie is not sent on cross-site POSTs).
DASH_DISPATCH = ("dash.dash.dispatch", "dash.dash.async_dispatch")
SECRET_FILE = ROOT / "data" / "secret_key"

csrf = CSRFProtect()
login_manager = LoginManager()


class SignedIn(UserMixin):
    """The flask-login user: the account as read from the store for this request."""

    def __init__(self, user: accounts.User):
        self.account = user
        self.id = user.id
        self.username = user.username
        self.role = user.role
        self.lad_code = user.lad_code
        self.region_code = user.region_code

    def get_id(self) -> str:
        return self.account.session_id


def _engine():
    from app.web import data

    return data.engine()


@login_manager.user_loader
def _load(session_id: str) -> SignedIn | None:
    user = accounts.by_session_id(_engine(), session_id)
    return SignedIn(user) if user else None


# ------------------------------------------------------------------ configuration


def insecure_cookies() -> bool:
    """``DISPERSAL_INSECURE_COOKIES=1`` lets the session cookie travel over plain http (local demo only)."""
    return os.environ.get("DISPERSAL_INSECURE_COOKIES", "") in ("1", "true", "yes")


def secret_key(path: Path | None = None) -> str:
    """``DISPERSAL_SECRET_KEY``, else a key kept in ``data/secret_key`` (``DISPERSAL_SECRET_KEY_FILE``),
    made once with owner-only permissions. Every worker of one deployment must use the same key."""
    key = os.environ.get("DISPERSAL_SECRET_KEY", "")
    if key:
        if len(key) < 32:
            raise RuntimeError("DISPERSAL_SECRET_KEY must be at least 32 characters long")
        return key
    path = Path(os.environ.get("DISPERSAL_SECRET_KEY_FILE") or path or SECRET_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            os.chmod(path, 0o600)
            print(f"warning: {path} was readable by others; its permissions are now 0600", file=sys.stderr)
        key = path.read_text().strip()
        if len(key) < 32:
            raise RuntimeError(f"the secret key in {path} is too short: delete the file to make a new one") from None
        return key
    with os.fdopen(handle, "w") as out:
        out.write(secrets.token_hex(32) + "\n")
    return path.read_text().strip()


def configure(server: flask.Flask) -> None:
    secure = not insecure_cookies()
    server.config.update(
        SECRET_KEY=secret_key(),
        SESSION_COOKIE_NAME="__Host-dispersal" if secure else "dispersal_session",
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PATH="/",
        SESSION_REFRESH_EACH_REQUEST=True,
        PERMANENT_SESSION_LIFETIME=IDLE_MINUTES * 60,
        REMEMBER_COOKIE_DURATION=0,
        REMEMBER_COOKIE_SECURE=True,
        REMEMBER_COOKIE_HTTPONLY=True,
        MAX_CONTENT_LENGTH=limits.max_request_bytes(),
        WTF_CSRF_TIME_LIMIT=IDLE_MINUTES * 60 * 2,
    )


def install(app: dash.Dash) -> None:
    """Sessions, the guard, CSRF protection and the log-in/log-out routes on ``app``'s Flask server."""
    server = app.server
    configure(server)
    login_manager.session_protection = "strong"
    login_manager.init_app(server)
    server.before_request(guard)  # before CSRFProtect's check: anonymous requests get 401, not 400
    csrf.init_app(server)
    for view in DASH_DISPATCH:
        csrf.exempt(view)
    server.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    server.add_url_rule("/logout", "logout", logout, methods=["GET", "POST"])


# ------------------------------------------------------------------ the guard


def wants_page() -> bool:
    """A browser navigating to a page (redirect to the log-in form) rather than a script fetching data (401)."""
    request = flask.request
    if request.method != "GET":
        return False
    if request.path.startswith(("/_dash-", "/_reload", "/_alive", "/assets/")):
        return False
    accept = request.accept_mimetypes
    return accept.accept_html and accept["text/html"] >= accept["application/json"]


def refuse() -> flask.Response:
    if wants_page():
        target = flask.request.full_path.rstrip("?")
        return flask.redirect(f"/login?next={_quote(target)}", code=302)
    response = flask.jsonify({"error": "not signed in", "message": "Your session has ended: sign in again."})
    response.status_code = 401
    return response


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")


def guard() -> flask.Response | None:
    if flask.request.path in PUBLIC:
        return None
    if not current_user.is_authenticated:
        return refuse()
    now = time.time()
    session = flask.session
    born, seen = session.get("born"), session.get("seen")
    if not isinstance(born, (int, float)) or not isinstance(seen, (int, float)) \
            or now - born > ABSOLUTE_HOURS * 3600 or now - seen > IDLE_MINUTES * 60:
        audit.record(_engine(), current_user.username, audit.SESSION_EXPIRED, current_user.username,
                     None, flask.request.remote_addr)
        logout_user()
        session.clear()
        return refuse()
    if now - seen > 30:
        session["seen"] = int(now)
    return None


# ------------------------------------------------------------------ log in, log out


def safe_next(target: str | None) -> str:
    """Only a path on this site: never another origin (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path in ("/login", "/logout"):
        return "/"
    return target


def start_session(user: accounts.User) -> None:
    flask.session.clear()  # a fresh session: no fixation of anything set before signing in
    login_user(SignedIn(user), remember=False)
    flask.session.permanent = True
    flask.session["born"] = flask.session["seen"] = int(time.time())


MESSAGES = {
    "bad": "The user name or password is not right.",
    "locked": "Too many failed attempts for this user name. Try again after {until} (UTC).",
    "throttled": "Too many failed sign-in attempts from your network. Try again in {minutes} minutes.",
}


def login():
    request = flask.request
    if request.method == "GET":
        if current_user.is_authenticated:
            return flask.redirect(safe_next(request.args.get("next")))
        return _form(next_path=request.args.get("next", ""))
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    outcome = accounts.authenticate(_engine(), username, password, request.remote_addr)
    if outcome.result == "ok":
        start_session(outcome.user)
        return flask.redirect(safe_next(request.form.get("next")))
    until = outcome.until.strftime("%H:%M") if outcome.until else ""
    message = MESSAGES[outcome.result].format(until=until, minutes=limits.LOCK_MINUTES)
    status = 401 if outcome.result == "bad" else 429
    return _form(message, username, request.form.get("next", "")), status


def logout():
    if current_user.is_authenticated:
        accounts.end_sessions(_engine(), current_user.id)
        audit.record(_engine(), current_user.username, audit.LOGOUT, current_user.username, None,
                     flask.request.remote_addr)
        logout_user()
    flask.session.clear()
    return flask.redirect("/login")


def _form(message: str = "", username: str = "", next_path: str = "") -> str:
    error = (f'<div class="error-summary" role="alert"><h2>There is a problem</h2><p>{escape(message)}</p></div>'
             if message else "")
    return LOGIN_PAGE.format(error=error, username=escape(username[:100]), csrf=escape(generate_csrf()),
                             next=escape(safe_next(next_path) if next_path else ""))


LOGIN_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in - Dispersal Monitor</title>
<link rel="stylesheet" href="/assets/style.css">
</head>
<body>
<header class="header"><span class="brand">Dispersal Monitor</span></header>
<main id="main" class="login">
<h1>Sign in</h1>
<p>This service holds OFFICIAL-SENSITIVE information. Sign in with the account your administrator gave you.</p>
{error}
<form method="post" action="/login" autocomplete="on">
<input type="hidden" name="csrf_token" value="{csrf}">
<input type="hidden" name="next" value="{next}">
<p><label for="username">User name</label><br>
<input id="username" name="username" type="text" value="{username}" autocomplete="username" required
 autocapitalize="none" spellcheck="false" maxlength="100"></p>
<p><label for="password">Password</label><br>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024"></p>
<p><button type="submit">Sign in</button></p>
</form>
</main>
</body>
</html>"""
