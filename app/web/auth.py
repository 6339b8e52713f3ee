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

Single sign-on: ``/login/oidc`` sends the browser to the council's OpenID
Connect provider and ``/login/oidc/callback`` takes it back
(:mod:`app.security.oidc` checks the answer and finds the account by
``users.sso_subject``), then :func:`start_session` as for the form. With
``local_accounts`` off the form is gone and only single sign-on remains.

Sign-out is a POST with the CSRF token (a GET only shows the button, so an
``<img src=/logout>`` on another site ends nothing); after single sign-on it
continues to the provider's ``end_session_endpoint`` when it has one.

``session_protection`` is off on purpose: flask-login's "strong" mode does
nothing for permanent sessions (it only marks them not fresh), and binding a
session to the client address would sign out officers whose address changes
behind a council proxy. A stolen cookie is bounded instead by the idle and
absolute limits and dies at sign-out (``auth_version``).
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
from flask.json.provider import DefaultJSONProvider
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFProtect, generate_csrf
from markupsafe import escape

from app.config import ROOT, Settings
from app.security import accounts, audit, limits, logs, oidc, uploads
from app.web import errors

#: Paths anyone may request: the log-in form and what it needs to render.
PUBLIC = frozenset({"/login", "/login/oidc", "/login/oidc/callback", "/logout", "/assets/style.css", "/_favicon.ico"})
IDLE_MINUTES = 30
ABSOLUTE_HOURS = 10
#: Dash's JSON callback endpoint: exempt from the form CSRF check (it takes only JSON bodies, which a
#: cross-site form cannot send, and the SameSite=Lax cookie is not sent on cross-site POSTs).
DASH_DISPATCH = ("dash.dash.dispatch", "dash.dash.async_dispatch")
DISPATCH_PATHS = ("/_dash-update-component",)
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


def _settings() -> Settings:
    return flask.current_app.config["DISPERSAL_SETTINGS"]


@login_manager.user_loader
def _load(session_id: str) -> SignedIn | None:
    user = accounts.by_session_id(_engine(), session_id)
    if user is None or (not user.sso and not _settings().local_accounts):
        return None
    return SignedIn(user)


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
    oidc.check_settings(server.config["DISPERSAL_SETTINGS"])
    logs.install()
    uploads.start_sweeper()
    server.json_provider_class = StrictJSON
    server.json = StrictJSON(server)
    login_manager.session_protection = None
    login_manager.init_app(server)
    server.before_request(guard)  # before CSRFProtect's check: anonymous requests get 401, not 400
    csrf.init_app(server)
    for view in DASH_DISPATCH:
        csrf.exempt(view)
    server.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    server.add_url_rule("/login/oidc", "oidc_start", oidc_start, methods=["GET"])
    server.add_url_rule("/login/oidc/callback", "oidc_callback", oidc_callback, methods=["GET"])
    server.add_url_rule("/logout", "logout", logout, methods=["GET", "POST"])


class StrictJSON(DefaultJSONProvider):
    """Request bodies are strict JSON: ``NaN`` and ``Infinity`` (which Python's parser takes by default and
    no browser sends) are a 400, not a float that fails deep in a callback."""

    def loads(self, s, **kwargs):
        kwargs.setdefault("parse_constant", _no_constant)
        return super().loads(s, **kwargs)


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def same_origin() -> bool:
    """A POST to the callback endpoint from a page of this site: its ``Origin`` (which browsers send on
    every POST) names this server, and the fetch is not cross-site."""
    request = flask.request
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser: a script with a session cookie gets nothing a cross-site page could
    return origin.rstrip("/") == request.host_url.rstrip("/")


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
    if flask.request.method == "POST" and flask.request.path.startswith(DISPATCH_PATHS) and not same_origin():
        audit.record(
            _engine(),
            current_user.username,
            audit.ACCESS_DENIED,
            flask.request.path[:100],
            {"reason": "cross-origin callback", "origin": str(flask.request.headers.get("Origin"))[:100]},
            flask.request.remote_addr,
        )
        return errors.respond(403, "This request came from another site and was refused.")
    now = time.time()
    session = flask.session
    born, seen = session.get("born"), session.get("seen")
    if (
        not isinstance(born, (int, float))
        or not isinstance(seen, (int, float))
        or now - born > ABSOLUTE_HOURS * 3600
        or now - seen > IDLE_MINUTES * 60
    ):
        audit.record(
            _engine(),
            current_user.username,
            audit.SESSION_EXPIRED,
            current_user.username,
            None,
            flask.request.remote_addr,
        )
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
    "locked": "Too many failed attempts for this user name. Wait {seconds} seconds and try again.",
    "local_off": "Sign in with your council account: user names and passwords are switched off here.",
}


def login():
    request = flask.request
    if request.method != "POST":  # GET and HEAD (which Flask routes here too) only show the form
        if current_user.is_authenticated:
            return flask.redirect(safe_next(request.args.get("next")))
        return _form(next_path=request.args.get("next", ""))
    if not _settings().local_accounts:
        return _form(MESSAGES["local_off"], next_path=request.form.get("next", "")), 403
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    outcome = accounts.authenticate(_engine(), username, password, request.remote_addr)
    if outcome.result == "ok":
        start_session(outcome.user)
        return flask.redirect(safe_next(request.form.get("next")))
    seconds = max(1, int((outcome.until - audit.now()).total_seconds() + 0.999)) if outcome.until else 0
    message = MESSAGES[outcome.result].format(seconds=seconds)
    status = 401 if outcome.result == "bad" else 429
    response = flask.make_response(_form(message, username, request.form.get("next", "")), status)
    if seconds:
        response.headers["Retry-After"] = str(seconds)
    return response


def logout():
    """POST (with the CSRF token, checked by CSRFProtect) signs out; GET offers the button."""
    request = flask.request
    if request.method != "POST":
        if not current_user.is_authenticated:
            return flask.redirect("/login")
        return LOGOUT_PAGE.format(csrf=escape(generate_csrf()))
    end_session = None
    if current_user.is_authenticated:
        if flask.session.get("via") == "oidc":
            end_session = _end_session_url()
        accounts.end_sessions(_engine(), current_user.id)
        audit.record(_engine(), current_user.username, audit.LOGOUT, current_user.username, None, request.remote_addr)
        logout_user()
    flask.session.clear()
    return flask.redirect(end_session or "/login")


# ------------------------------------------------------------------ single sign-on


def _redirect_uri() -> str:
    return _settings().oidc_redirect_uri or flask.url_for("oidc_callback", _external=True)


def _end_session_url() -> str | None:
    settings = _settings()
    try:
        endpoint = oidc.metadata(settings).get("end_session_endpoint")
    except Exception:  # the provider unreachable: the local session still ends
        return None
    if not endpoint:
        return None
    back = _redirect_uri().rsplit("/login/oidc/callback", 1)[0] + "/login"
    return oidc.client(settings).create_logout_url(post_logout_redirect_uri=back, client_id=settings.oidc_client_id)[
        "url"
    ]


def oidc_start():
    settings = _settings()
    if not oidc.enabled(settings):
        flask.abort(404)
    try:
        oidc.metadata(settings)
    except Exception as error:
        errors.log.warning("single sign-on provider unreachable: %s", type(error).__name__)
        return _sso_page(
            "The sign-in service cannot be reached",
            "Your council's sign-in service did not "
            "answer. Try again in a minute; if it goes on, tell your administrator.",
        ), 503
    flask.session["oidc_next"] = safe_next(flask.request.args.get("next"))
    return oidc.client(settings).authorize_redirect(_redirect_uri(), nonce=secrets.token_urlsafe(24))


def oidc_callback():
    settings = _settings()
    if not oidc.enabled(settings):
        flask.abort(404)
    request = flask.request
    try:
        token = oidc.client(settings).authorize_access_token(
            claims_options=oidc.claims_options(settings), leeway=oidc.LEEWAY
        )
        claims = token.get("userinfo")
        if not claims:
            raise ValueError("the provider sent no ID token")
    except Exception as error:  # state, code, signature, issuer, audience, expiry, nonce: all refused alike
        reason = getattr(error, "error", None) or type(error).__name__
        if getattr(error, "description", None):
            reason = f"{reason}: {error.description}"
        audit.record(
            _engine(),
            "anonymous",
            audit.LOGIN_FAILED,
            "single sign-on",
            {"via": "oidc", "reason": str(reason)[:100]},
            request.remote_addr,
        )
        return _sso_page(
            "Sign-in did not complete",
            "The answer from your council's sign-in service could "
            "not be accepted (it may have expired or been used already). Sign in again.",
        ), 400
    next_path = flask.session.get("oidc_next") or "/"
    try:
        user = oidc.sign_in(_engine(), dict(claims), settings, request.remote_addr)
    except oidc.NoAccess as refused:
        flask.session.clear()
        return _sso_page(
            "You do not have access",
            f"You are signed in to your council as {refused.username}, "
            "but your account is not in a group that gives access to Dispersal Monitor. Ask your "
            "administrator to add you to the right group.",
        ), 403
    if user is None:
        return _sso_page("Sign-in did not complete", "Sign in again."), 400
    start_session(user)
    flask.session["via"] = "oidc"
    return flask.redirect(safe_next(next_path))


def _sso_page(title: str, text: str) -> str:
    return errors.PAGE.format(
        title=escape(title), text=escape(text), extra="", link='<p><a href="/login">Back to sign in</a></p>'
    )


def _form(message: str = "", username: str = "", next_path: str = "") -> str:
    settings = _settings()
    error = (
        f'<div class="error-summary" role="alert"><h2>There is a problem</h2><p>{escape(message)}</p></div>'
        if message
        else ""
    )
    next_value = escape(safe_next(next_path) if next_path else "")
    sso = ""
    if oidc.enabled(settings):
        target = f"/login/oidc?next={_quote(safe_next(next_path))}" if next_path else "/login/oidc"
        sso = f'<p><a class="button" id="sso-sign-in" href="{escape(target)}">Sign in with your council account</a></p>'
    form = ""
    if settings.local_accounts:
        form = LOGIN_FORM.format(username=escape(username[:100]), csrf=escape(generate_csrf()), next=next_value)
        if sso:
            form = "<h2>Or with a user name and password</h2>" + form
    return LOGIN_PAGE.format(error=error, sso=sso, form=form)


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
{sso}
{form}
</main>
</body>
</html>"""

LOGIN_FORM = """<form method="post" action="/login" autocomplete="on">
<input type="hidden" name="csrf_token" value="{csrf}">
<input type="hidden" name="next" value="{next}">
<p><label for="username">User name</label><br>
<input id="username" name="username" type="text" value="{username}" autocomplete="username" required
 autocapitalize="none" spellcheck="false" maxlength="100"></p>
<p><label for="password">Password</label><br>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024"></p>
<p><button type="submit">Sign in</button></p>
</form>"""

LOGOUT_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign out - Dispersal Monitor</title>
<link rel="stylesheet" href="/assets/style.css">
</head>
<body>
<header class="header"><span class="brand">Dispersal Monitor</span></header>
<main id="main" class="login">
<h1>Sign out</h1>
<form method="post" action="/logout">
<input type="hidden" name="csrf_token" value="{csrf}">
<p><button type="submit" id="sign-out">Sign out</button></p>
</form>
<p><a href="/">Back to the dashboard</a></p>
</main>
</body>
</html>"""
