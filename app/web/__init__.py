"""The dashboard: a multi-page Dash app over the store.

``create_app`` builds one app; pages live in ``app/web/pages`` (one module
per page, each calling ``dash.register_page``) and only wire inputs to
domain calls through :mod:`app.web.data`. Figures are built by plain
functions in :mod:`app.figures`. Dash keeps callbacks in a process-wide
registry (the first app to serve a request takes them all), so there is one
app per process: a second ``create_app`` call returns the same app, pointed
at the new settings.

Security (issue 5) is installed on every app: sign-in and the default-deny
guard (:mod:`app.web.auth`), security headers (:mod:`app.security.headers`)
and error pages (:mod:`app.web.errors`). Roles are enforced inside each
callback through :mod:`app.security.roles`.
"""

from __future__ import annotations

import re
from pathlib import Path

import dash
from flask_compress import Compress

from app.config import Settings, load_settings

HERE = Path(__file__).resolve().parent

INDEX = """<!DOCTYPE html>
<html lang="en">
<head>
{%metas%}
<title>{%title%}</title>
{%favicon%}
{%css%}
</head>
<body>
<a class="skip-link" href="#main">Skip to main content</a>
{%app_entry%}
<footer>
{%config%}
{%scripts%}
{%renderer%}
</footer>
</body>
</html>"""


_app: dash.Dash | None = None

#: Partial plotly.js bundles in ``assets/vendor`` (README.md there): only the trace types the app draws.
#: MapLibre, most of the map bundle, is sent only when a tile server is set (``DISPERSAL_TILE_URL``).
PLOTLY_BUNDLE = "plotly-dispersal.min.js"
PLOTLY_MAP_BUNDLE = "plotly-dispersal-map.min.js"


def create_app(settings: Settings | None = None) -> dash.Dash:
    global _app
    settings = settings or load_settings()
    if _app is not None:
        _app.server.config["DISPERSAL_SETTINGS"] = settings
        return _app
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder=str(HERE / "pages"),
        assets_folder=str(HERE / "assets"),
        title="Dispersal Monitor",
        suppress_callback_exceptions=True,
        compress=False,
        serve_locally=True,
        assets_ignore=_unused_plotly_bundle(settings),
    )
    _without_full_plotly()
    from app.web import bench_page, encoding

    encoding.install()

    if bench_page.enabled():
        bench_page.register()
    app.index_string = INDEX
    app.server.config["DISPERSAL_SETTINGS"] = settings
    app.server.config["DISPERSAL_AREAS"] = _store_areas
    Compress(app.server)
    from app.web.layout import shell

    app.layout = shell
    _serve_topojson(app)
    _secure(app)
    _set_up_before_serving(app)
    _app = app
    return app


def _set_up_before_serving(app: dash.Dash) -> None:
    """Do Dash's first-request work (registering the bundles it may serve, the pages router) now.

    Dash runs it in a ``before_request`` hook that marks itself done before it has finished, so while one
    thread of a fresh worker was still registering, concurrent requests for the page's scripts got 404 and
    the page stayed on "Loading..." until reloaded. Running the hooks once here, before gunicorn hands the
    worker any request, leaves nothing lazy. The guard (last hook) refuses this anonymous request harmlessly.
    """
    with app.server.test_request_context("/_dash-layout"):
        app.server.preprocess_request()


def _serve_topojson(app: dash.Dash) -> None:
    """The world topojson lives with the figures (the packs inline it); plotly asks for it under /assets."""
    import flask

    from app.figures.maps import TOPOJSON_DIR

    @app.server.route("/assets/topojson/<path:name>")
    def topojson(name: str):
        return flask.send_from_directory(TOPOJSON_DIR, name, max_age=86400)


def _store_areas():
    """The current snapshot's areas: what :func:`app.security.roles.current_scope` builds a scope over."""
    from app.web import data

    return data.snapshot().areas


def _unused_plotly_bundle(settings: Settings | None = None) -> str:
    """The ``assets_ignore`` pattern for the partial bundle this process does not serve."""
    unused = PLOTLY_BUNDLE if (settings or load_settings()).tile_url else PLOTLY_MAP_BUNDLE
    return f"^{re.escape(unused)}$"


def _without_full_plotly() -> None:
    """Stop serving the full plotly.min.js that ``dash.Dash`` registers (1.47 MB gzip).

    dcc.Graph draws with ``window.Plotly`` when a page script has set it, which the partial bundle in
    assets does before dcc loads; without this the full bundle would still be served, and fetched by
    any page where the partial one failed, hiding the failure.
    """
    dash.dcc._js_dist[:] = [resource for resource in dash.dcc._js_dist if resource.get("namespace") != "plotly"]


def _secure(app: dash.Dash) -> None:
    from app.security import headers
    from app.web import auth, errors

    errors.install(app.server)
    auth.install(app)
    headers.install(app)
