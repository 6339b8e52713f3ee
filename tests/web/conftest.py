"""Web fixtures: ONE Dash app per test process over a real store, and its Flask test client.

Dash keeps callbacks in a process-wide registry, so every test in ``tests/web`` shares one app.

Fixtures (all session-scoped)
- ``demo_store``: URL of a synthetic demo store built in a temporary folder through the ordinary commands
  (``app.demo.build_synthetic``: region "Northmoor", 6 LAs, 120 wards, 24 months, 8 quarters of property
  lists from 3 providers) plus the published Home Office table (``app.demo.load_public_stats``): this folder's
  copy of the session's ``demo`` template (``tests/conftest.py``), its ``inputs`` beside it.
- ``web_app``: the Dash app (``app.web.create_app``) over ``demo_store``.
- ``client``: ``web_app.server.test_client()``, signed in through ``/login`` as an ``admin`` account
  (``ADMIN``) added to ``demo_store``; ``sign_in(client, user, password)`` signs in another client.
- ``snapshot``: the :class:`app.monitoring.Snapshot` of ``demo_store`` (the figures every page must show).
- ``dash_call``: ``dash_call(output, inputs, state=None, changed=None)`` posts to ``/_dash-update-component``
  exactly as the browser does and returns the Flask response. ``output`` is any unique part of the
  callback's output string from ``/_dash-dependencies`` (e.g. ``"wards-map.figure"``; an output also written
  by another callback with ``allow_duplicate`` means the callback that writes it plainly); ``inputs`` and
  ``state`` map ``(component id, property)`` to values (missing ones are sent as None); ``changed`` lists
  the ``"id.property"`` that triggered the call (default: every input). ``dash_call.render(path, search="")``
  returns the page layout JSON for a path, as the page router sends it; ``dash_call.find(tree, id)`` finds a
  component in such JSON and ``dash_call.text(tree)`` joins its visible text.
- ``ne_store``: URL of the real North East store (12 LAs, 343 wards, 12 synthetic months on real sectors;
  ``app.demo.build_on_geography`` over ``<repo>/../shared/reference``) with the published table: a copy of the
  session's ``north_east`` template.
- ``use_store``: ``with use_store(url): ...`` points the one app at another store for the block (the pages
  read the store through ``app.web.data``, which follows the app's settings on every request); it adds the
  ``ADMIN`` account to that store so that ``client`` stays signed in.
"""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

import pytest

from app import demo, monitoring
from app.config import load_settings
from app.store import db

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
PAGES_OUTPUT = "_pages_content.children"


@pytest.fixture(scope="session")
def demo_store(demo_template, tmp_path_factory) -> str:
    return demo_template.copy(tmp_path_factory.mktemp("web_demo") / "demo.sqlite")


@pytest.fixture(scope="session")
def web_app(demo_store):
    from app.web import create_app

    return create_app(load_settings(demo_store))


ADMIN = ("web-tests-admin", "correct horse battery staple 7")


@pytest.fixture(scope="session")
def client(web_app, demo_store):
    """Signed in through the real log-in form as an ``admin`` account (every page, every LA)."""
    from app.security import accounts

    accounts.add(db.connect(demo_store), ADMIN[0], ADMIN[1], "admin")
    test_client = web_app.server.test_client()
    sign_in(test_client, *ADMIN)
    return test_client


def sign_in(test_client, username: str, password: str) -> None:
    form = test_client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    data = {"username": username, "password": password, "next": "/"}
    if token:
        data["csrf_token"] = token.group(1)
    response = test_client.post("/login", data=data)
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]


@pytest.fixture(scope="session")
def snapshot(demo_store) -> monitoring.Snapshot:
    settings = load_settings(demo_store)
    return monitoring.snapshot(db.connect(demo_store), settings)


class DashCall:
    """Posts callback requests the way dash-renderer does."""

    def __init__(self, client):
        self.client = client
        self.dependencies = client.get("/_dash-dependencies").get_json()

    def dependency(self, output: str) -> dict:
        found = [d for d in self.dependencies if output in d["output"]]
        if len(found) > 1:  # an output shared with allow_duplicate: the callback that owns it plainly
            found = [d for d in found if output in d["output"].strip(".").split("...")]
        if len(found) != 1:
            raise LookupError(f"{len(found)} callbacks have an output matching {output!r}")
        return found[0]

    def __call__(self, output: str, inputs: dict, state: dict | None = None, changed: list[str] | None = None):
        dep = self.dependency(output)
        state = state or {}
        outputs = []
        for part in dep["output"].strip(".").split("..."):
            component, prop = part.split("@")[0].rsplit(".", 1)
            outputs.append({"id": component, "property": prop})
        payload = {
            "output": dep["output"],
            "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": [dict(i, value=inputs.get((i["id"], i["property"]))) for i in dep["inputs"]],
            "state": [dict(s, value=state.get((s["id"], s["property"]))) for s in dep["state"]],
            "changedPropIds": changed if changed is not None else [f"{i['id']}.{i['property']}" for i in dep["inputs"]],
        }
        return self.client.post("/_dash-update-component", data=json.dumps(payload), content_type="application/json")

    def render(self, path: str, search: str = "") -> dict:
        response = self(
            PAGES_OUTPUT,
            {("_pages_location", "pathname"): path, ("_pages_location", "search"): search},
            changed=["_pages_location.pathname"],
        )
        assert response.status_code == 200, response.get_data(as_text=True)[:2000]
        return response.get_json()["response"]["_pages_content"]["children"]

    @staticmethod
    def find(tree, component_id: str):
        return find_component(tree, component_id)

    @staticmethod
    def text(tree) -> str:
        return text_of(tree)


@pytest.fixture(scope="session")
def dash_call(client) -> DashCall:
    return DashCall(client)


@pytest.fixture(scope="session")
def ne_store(north_east_template, tmp_path_factory) -> str:
    url = north_east_template.copy(tmp_path_factory.mktemp("web_north_east") / "ne.sqlite")
    demo.load_public_stats(url)
    return url


@pytest.fixture(scope="session")
def use_store(web_app):
    from app.security import accounts

    @contextlib.contextmanager
    def switch(url: str):
        engine = db.connect(url)
        if accounts.get(engine, ADMIN[0]) is None:  # the signed-in account is read from the store in use
            accounts.add(engine, ADMIN[0], ADMIN[1], "admin")
        config = web_app.server.config
        before = config["DISPERSAL_SETTINGS"]
        config["DISPERSAL_SETTINGS"] = load_settings(url)
        try:
            yield
        finally:
            config["DISPERSAL_SETTINGS"] = before

    return switch


def find_component(tree, component_id: str):
    """The component with this id in a serialised Dash layout, or None."""
    if isinstance(tree, dict):
        props = tree.get("props", {})
        if props.get("id") == component_id:
            return tree
        for value in props.values():
            found = find_component(value, component_id)
            if found is not None:
                return found
    elif isinstance(tree, list):
        for item in tree:
            found = find_component(item, component_id)
            if found is not None:
                return found
    return None


def text_of(tree) -> str:
    """Every string in a serialised Dash layout, joined."""
    if isinstance(tree, str):
        return tree
    if isinstance(tree, (int, float)):
        return str(tree)
    if isinstance(tree, list):
        return " ".join(text_of(t) for t in tree)
    if isinstance(tree, dict):
        return text_of(tree.get("props", {}).get("children"))
    return ""
