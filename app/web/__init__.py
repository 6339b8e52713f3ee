"""The dashboard: a multi-page Dash app over the store.

``create_app`` builds one app; pages live in ``app/web/pages`` (one module
per page, each calling ``dash.register_page``) and only wire inputs to
domain calls through :mod:`app.web.data`. Figures are built by plain
functions in :mod:`app.figures`. Dash keeps callbacks in a process-wide
registry, so create one app per process.
"""
from __future__ import annotations

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


def create_app(settings: Settings | None = None) -> dash.Dash:
    settings = settings or load_settings()
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder=str(HERE / "pages"),
        assets_folder=str(HERE / "assets"),
        title="Dispersal Monitor",
        suppress_callback_exceptions=True,
        compress=False,
        serve_locally=True,
    )
    app.index_string = INDEX
    app.server.config["DISPERSAL_SETTINGS"] = settings
    Compress(app.server)
    from app.web.layout import shell

    app.layout = shell
    return app
