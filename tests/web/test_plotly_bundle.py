"""The dashboard draws with a partial plotly.js bundle, never the full plotly.min.js (issue 4, first-load bytes).

The bundles in ``app/web/assets/vendor`` hold only the trace types the app draws; they are rebuilt with
``build_plotly.sh`` there. These tests fail when a page would still fetch the full bundle, or when a figure
starts using a trace type the served bundle does not register (which plotly.js would silently not draw).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import app.web as web

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "app" / "web" / "assets" / "vendor"
FIGURE_SOURCES = sorted((ROOT / "app" / "figures").glob("*.py"))
PAGE_SOURCES = sorted((ROOT / "app" / "web" / "pages").glob("*.py"))
PAGES = ["/", "/wards", "/properties", "/profiles", "/check", "/data", "/admin"]
#: plotly.js's MapLibre traces: drawn only with a tile server, so only the map bundle needs them.
MAP_TRACES = {"choroplethmap", "densitymap", "scattermap"}
FULL_PLOTLY = "/_dash-component-suites/plotly/package_data/plotly.min.js"
TRACE_MODULE = re.compile(r'moduleType:"trace",name:"([a-z0-9]+)"')


@pytest.fixture(scope="module")
def page_client(tmp_path_factory):
    """A client signed in to this process's one app, pointed for this module at an empty store: the pages'
    HTML and static files do not read the store (signing in needs an account), so no demo store is built."""
    from app.cli import main
    from app.config import load_settings
    from app.security import accounts
    from app.store import db
    from app.web import create_app

    url = f"sqlite:///{tmp_path_factory.mktemp('plotly_bundle') / 'empty.sqlite'}"
    assert main(["init", "--db", url]) == 0
    username, password = "bundle-tests-admin", "correct horse battery staple 8"
    accounts.add(db.connect(url), username, password, "admin")
    before = web._app.server.config["DISPERSAL_SETTINGS"] if web._app is not None else None
    app = create_app(load_settings(url))
    client = app.server.test_client()
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    fields = {"username": username, "password": password, "next": "/", "csrf_token": token.group(1) if token else ""}
    assert client.post("/login", data=fields).status_code in (302, 303)
    yield client
    if before is not None:
        app.server.config["DISPERSAL_SETTINGS"] = before


def registered(bundle: str) -> set[str]:
    """Trace types whose modules a minified plotly.js bundle contains (each one it registers)."""
    return set(TRACE_MODULE.findall(bundle))


@pytest.fixture(scope="module")
def every_trace_type() -> set[str]:
    """All trace type names plotly.js has, from the full bundle that the plotly package ships."""
    import plotly

    full = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text(encoding="utf-8")
    names = registered(full)
    assert {"scatter", "bar", "choropleth", "scattergeo", "choroplethmap", "pie", "heatmap"} <= names
    return names


def used_trace_types(every_trace_type: set[str]) -> set[str]:
    """Trace types named in the figure builders (any string that is a trace name) and in page code
    (the values of ``"type"`` keys and ``type=`` arguments), e.g. ``"scattermap" if tiles else "scattergeo"``."""
    used: set[str] = set()

    def strings(node: ast.AST) -> set[str]:
        return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}

    for path in FIGURE_SOURCES:
        used |= strings(ast.parse(path.read_text(encoding="utf-8"))) & every_trace_type
    for path in PAGE_SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values):
                    if isinstance(key, ast.Constant) and key.value == "type":
                        used |= strings(value) & every_trace_type
            elif isinstance(node, ast.keyword) and node.arg == "type":
                used |= strings(node.value) & every_trace_type
    return used


def expected_bundle() -> str:
    from app.web.data import tile_url

    return web.PLOTLY_MAP_BUNDLE if tile_url() else web.PLOTLY_BUNDLE


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_the_partial_bundle_before_dcc_and_never_the_full_one(page_client, path):
    page = page_client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    scripts = re.findall(r'<script src="([^"]+)"', html)
    partial = [i for i, src in enumerate(scripts) if src.split("?")[0] == f"/assets/vendor/{expected_bundle()}"]
    dcc = [i for i, src in enumerate(scripts) if "dash_core_components" in src]
    assert len(partial) == 1, scripts
    assert dcc and partial[0] < min(dcc), "window.Plotly must be set before dcc.Graph looks for it"
    assert "plotly.min.js" not in html
    assert not [src for src in scripts if "plotly-dispersal" in src and expected_bundle() not in src]


def test_full_plotly_is_not_served_and_the_partial_bundle_is(page_client):
    assert page_client.get(FULL_PLOTLY).status_code == 404
    served = page_client.get(f"/assets/vendor/{expected_bundle()}")
    assert served.status_code == 200
    assert registered(served.get_data(as_text=True))


@pytest.mark.parametrize("bundle", [web.PLOTLY_BUNDLE, web.PLOTLY_MAP_BUNDLE])
def test_bundle_matches_the_plotly_js_of_the_plotly_package(bundle):
    from plotly.offline import get_plotlyjs_version

    head = (VENDOR / bundle).read_text(encoding="utf-8")[:400]
    assert f"plotly.js v{get_plotlyjs_version()} " in head, "rebuild with app/web/assets/vendor/build_plotly.sh"
    assert "Licensed under the MIT license" in head


def test_bundles_register_every_trace_type_the_app_draws(every_trace_type):
    used = used_trace_types(every_trace_type)
    assert {"choropleth", "scattergeo", "bar", "scatter"} <= used  # the scan finds what the pages draw today
    plain = registered((VENDOR / web.PLOTLY_BUNDLE).read_text(encoding="utf-8"))
    with_tiles = registered((VENDOR / web.PLOTLY_MAP_BUNDLE).read_text(encoding="utf-8"))
    assert used - MAP_TRACES <= plain, "add the trace type to build_plotly.sh and rebuild"
    assert used <= with_tiles, "add the trace type to build_plotly.sh and rebuild"
    assert not plain & MAP_TRACES, "MapLibre belongs only in the bundle served with a tile server"
    assert len(with_tiles) < len(every_trace_type) / 4


def test_bundle_choice_follows_the_tile_setting(monkeypatch):
    monkeypatch.delenv("DISPERSAL_TILE_URL", raising=False)
    ignored = re.compile(web._unused_plotly_bundle())
    assert ignored.search(web.PLOTLY_MAP_BUNDLE) and not ignored.search(web.PLOTLY_BUNDLE)
    monkeypatch.setenv("DISPERSAL_TILE_URL", "https://tiles.example.org/{z}/{x}/{y}.png")
    ignored = re.compile(web._unused_plotly_bundle())
    assert ignored.search(web.PLOTLY_BUNDLE) and not ignored.search(web.PLOTLY_MAP_BUNDLE)


def test_licence_notices_sit_beside_the_bundles():
    assert "Plotly" in (VENDOR / "plotly.js-LICENSE.txt").read_text(encoding="utf-8")
    notices = (VENDOR / "THIRD-PARTY-NOTICES.txt").read_text(encoding="utf-8")
    for package in ("plotly.js@", "d3-geo@", "topojson-client@", "maplibre-gl@"):
        assert package in notices
