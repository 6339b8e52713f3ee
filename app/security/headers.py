"""Security headers on every response, with a Content-Security-Policy the dashboard works under.

Everything is served from this origin (``serve_locally``, local topojson, no
tiles unless ``DISPERSAL_TILE_URL`` names a tile server, which is then the one
origin added to ``img-src``/``connect-src``). Measured in headless Chromium on
every page (``tests/security/test_headers.py`` and the report):

* scripts: ``'self'`` plus the SHA-256 of each inline script Dash writes into
  the page (its renderer start-up and any clientside callbacks), from
  ``app.csp_hashes()``; no ``'unsafe-inline'`` and no ``'unsafe-eval'``:
  measured on every page (dash 3.3, plotly.js 3 via plotly 6.5, SVG
  ``choropleth`` maps) with no CSP violation and every figure drawn, while a
  policy without the hashes is reported by Chromium and draws nothing;
* styles: ``'unsafe-inline'`` is needed: React sets ``style`` attributes and
  plotly.js injects ``<style>`` elements at run time;
* MapLibre (``choroplethmap``) draws in a ``blob:`` web worker: ``worker-src blob:``;
* ``frame-ancestors 'none'`` (and ``X-Frame-Options: DENY`` for old browsers),
  ``nosniff``, ``Referrer-Policy: same-origin`` (Flask-WTF checks the Referer
  on HTTPS form posts, so same-origin rather than no-referrer), no caching of
  anything but the fingerprinted static files, HSTS when served over HTTPS.
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

import flask

#: Whether script-src must allow eval: not needed (measured, see the module docstring and test_csp_browser.py).
UNSAFE_EVAL = False

BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
}
#: Static files whose names change with their content: the browser may keep them (privately).
CACHEABLE_PREFIXES = ("/_dash-component-suites/", "/assets/")


def tile_origin() -> str | None:
    from app.config import load_settings

    url = load_settings().tile_url or ""  # the environment or the DISPERSAL_CONFIG file
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("https", "http") and parts.netloc else None


def policy(script_hashes: list[str], unsafe_eval: bool = UNSAFE_EVAL, extra_origin: str | None = None) -> str:
    scripts = ["'self'", *script_hashes] + (["'unsafe-eval'"] if unsafe_eval else [])
    extra = [extra_origin] if extra_origin else []
    directives = {
        "default-src": ["'self'"],
        "script-src": scripts,
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *extra],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'", *extra],
        "worker-src": ["'self'", "blob:"],
        "child-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def _with_sign_in_provider(csp: str) -> str:
    """Sign-out posts a form that redirects to the single sign-on provider's end-session endpoint, which
    ``form-action`` must allow (browsers apply it to the redirect too)."""
    settings = flask.current_app.config.get("DISPERSAL_SETTINGS")
    issuer = getattr(settings, "oidc_issuer", "")
    if not issuer:
        return csp
    origins = {_origin(issuer)}
    try:
        from app.security import oidc

        origins.add(_origin(oidc.cached_metadata(settings).get("end_session_endpoint") or issuer))
    except Exception:  # not fetched yet: the issuer's origin is what most providers use
        pass
    extra = " ".join(sorted(o for o in origins if o))
    return csp.replace("form-action 'self'", f"form-action 'self' {extra}") if extra else csp


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("https", "http") and parts.netloc else ""


def install(app) -> None:
    """Add the headers to every response of ``app`` (a Dash app); the CSP is computed at the first response,
    after every page has registered its callbacks."""
    state: dict[str, str] = {}
    lock = threading.Lock()

    def content_security_policy() -> str:
        with lock:
            if "csp" not in state:
                state["csp"] = policy(list(app.csp_hashes()), extra_origin=tile_origin())
            return state["csp"]

    @app.server.after_request
    def _secure(response: flask.Response) -> flask.Response:
        headers = response.headers
        for name, value in BASE_HEADERS.items():
            headers.setdefault(name, value)
        headers["Content-Security-Policy"] = _with_sign_in_provider(content_security_policy())
        path = flask.request.path
        if path.startswith(CACHEABLE_PREFIXES) and response.status_code == 200:
            headers["Cache-Control"] = (
                "private, max-age=31536000, immutable"
                if path.startswith("/_dash-component-suites/")
                else "private, no-cache"
            )
        else:
            headers["Cache-Control"] = "no-store"
            headers["Pragma"] = "no-cache"
        if flask.request.is_secure:
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return response
