"""Security fixtures: one store with one account per role, the (one) Dash app over it, signed-in clients.

Dash keeps callbacks in a process-wide registry and ``create_app`` returns the same app on a second call,
so ``tests/web`` and ``tests/security`` share one app when pytest runs them together: the ``client``
fixture points the app at this folder's store for each test and puts the previous store back after.

The probe callbacks below are this folder's test page for the scope API (registered at import, before
any app serves its first request): they read data the way page callbacks will, through
``app.security.roles``.

Fixtures
- ``security_store`` (session): synthetic region "Northmoor" (6 LAs, 3 months, property lists) built through
  the ordinary commands, with accounts ``t-admin``, ``t-regional``, ``t-officer`` (first LA), ``t-member``
  (first LA), all with password :data:`PASSWORD`; ``LAS`` holds the LA codes in the store.
- ``secure_app`` (session): ``create_app`` over it.
- ``client``: a fresh test client (requests over https, its own client address so log-in throttling never crosses tests).
- ``login(client, user, password=PASSWORD)``: posts the form with its CSRF token; returns the response.
- ``as_role(role)``: a signed-in client for ``t-<role>``.
"""

from __future__ import annotations

import itertools
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import dash
import pytest
from dash import Input, Output
from flask.testing import FlaskClient

# Before any app is made (by this folder or tests/web): never write the key into the repository's data/.
os.environ.setdefault("DISPERSAL_SECRET_KEY_FILE", str(Path(tempfile.mkdtemp(prefix="dispersal-key-")) / "key"))

from app.config import load_settings
from app.security import accounts
from app.security.roles import require, view_properties
from app.store import db

PASSWORD = "correct horse battery staple"
SECRET_IN_ERROR = "Sector TS1 3 holds 17 people"  # what an exception message could leak
_addresses = itertools.count(10)


# ------------------------------------------------------------------ the test page (probe callbacks)


@dash.callback(
    Output("security-probe-wards", "children"),
    Input("security-probe-la", "value"),
    Input("security-probe-month", "value"),
)
def _probe_wards(la, month):
    from app.web import data

    scope = require(lad=la)
    snap = data.snapshot()
    table = snap.table[(snap.table["lad_code"] == la) & (snap.table["month"] == month)]
    shown = scope.filter_table(table)
    return shown[["level", "area_code", "people", "people_display", "share_of_limit"]].to_dict("records")


@dash.callback(Output("security-probe-properties", "children"), Input("security-probe-ward", "value"))
def _probe_properties(ward):
    from app.web import data

    require(properties_of=ward)
    rows = view_properties(data.properties_in(ward), what=ward)
    return rows[["address", "postcode", "lad_code"]].to_dict("records")


@dash.callback(Output("security-probe-boom", "children"), Input("security-probe-boom-in", "value"))
def _probe_boom(value):
    require()
    raise KeyError(SECRET_IN_ERROR)


# ------------------------------------------------------------------ store, app, clients


@dataclass(frozen=True)
class Store:
    url: str
    las: list[str]


def _build(url: str, work: Path) -> None:
    from app.demo import build_synthetic

    build_synthetic(url, work, seed=3, start="2025-01", months=3)


@pytest.fixture(scope="session")
def security_store(tmp_path_factory) -> Store:
    work = tmp_path_factory.mktemp("security")
    url = f"sqlite:///{work / 'store.sqlite'}"
    _build(url, work / "inputs")
    engine = db.connect(url)
    from app.store import queries

    with engine.connect() as conn:
        las = sorted(queries.areas(conn, level="lad")["area_code"])
    accounts.add(engine, "t-admin", PASSWORD, "admin", created_by="tests")
    accounts.add(engine, "t-regional", PASSWORD, "regional", created_by="tests")
    accounts.add(engine, "t-officer", PASSWORD, "officer", lad_code=las[0], created_by="tests")
    accounts.add(engine, "t-member", PASSWORD, "member", lad_code=las[0], created_by="tests")
    return Store(url, las)


@pytest.fixture(scope="session")
def secure_app(security_store):
    from app.web import create_app

    return create_app(load_settings(security_store.url))


class HttpsClient(FlaskClient):
    """A test client whose requests arrive over https, as behind the TLS proxy (so Secure cookies flow)."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("base_url", "https://localhost")
        return super().open(*args, **kwargs)

    def session_transaction(self, *args, **kwargs):
        kwargs.setdefault("base_url", "https://localhost")
        return super().session_transaction(*args, **kwargs)


def https_client(app):
    return HttpsClient(app.server, app.server.response_class, use_cookies=True)


@pytest.fixture
def client(secure_app, security_store):
    config = secure_app.server.config
    before = config["DISPERSAL_SETTINGS"]
    config["DISPERSAL_SETTINGS"] = load_settings(security_store.url)
    test_client = https_client(secure_app)
    test_client.environ_base["REMOTE_ADDR"] = f"10.0.{next(_addresses)}.1"
    try:
        yield test_client
    finally:
        config["DISPERSAL_SETTINGS"] = before


def csrf_token(client) -> str:
    page = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def do_login(client, username: str, password: str = PASSWORD, next_path: str = ""):
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(client), "next": next_path},
        headers={"Referer": "https://localhost/login"},
    )


@pytest.fixture
def login():
    return do_login


@pytest.fixture
def as_role(secure_app, security_store):
    """``as_role(role)`` -> a client signed in as ``t-<role>`` (over the security store)."""
    made = []
    config = secure_app.server.config
    before = config["DISPERSAL_SETTINGS"]
    config["DISPERSAL_SETTINGS"] = load_settings(security_store.url)

    def make(role: str):
        test_client = https_client(secure_app)
        test_client.environ_base["REMOTE_ADDR"] = f"10.1.{next(_addresses)}.1"
        response = do_login(test_client, f"t-{role}")
        assert response.status_code == 302, response.get_data(as_text=True)
        made.append(test_client)
        return test_client

    yield make
    config["DISPERSAL_SETTINGS"] = before


def callback(client, output: str, inputs: list[dict]):
    """Post a callback request exactly as dash-renderer does (a forged one when the ids are made up)."""
    component, prop = output.rsplit(".", 1)
    payload = {
        "output": output,
        "outputs": {"id": component, "property": prop},
        "inputs": inputs,
        "changedPropIds": [f"{i['id']}.{i['property']}" for i in inputs],
    }
    return client.post("/_dash-update-component", json=payload)
