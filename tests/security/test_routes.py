"""Every route the server answers refuses an anonymous request: 401 or a redirect to /login, never data."""

from __future__ import annotations

import re

import pytest

from app.web.auth import PUBLIC
from tests.security.conftest import callback

SAMPLE = {
    "package_name": "dash",
    "fingerprinted_path": "dash-renderer/build/dash_renderer.min.js",
    "path": "wards",
    "filename": "style.css",
}
EXTRA_PATHS = [
    "/",
    "/wards",
    "/properties",
    "/data",
    "/admin",
    "/no-such-page",
    "/_dash-layout",
    "/_dash-dependencies",
    "/_reload-hash",
    "/assets/labels.js",
    "/assets/topojson/world_110m.json",
    "/assets/../app/config.py",
    "/_dash-component-suites/dash/dcc/dash_core_components.js",
]


def _concrete(rule) -> str:
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(rf"<(?:[^:>]+:)?{name}>", SAMPLE.get(name, "x"), path)
    return path


def _refused(response, method: str) -> bool:
    if response.status_code == 401:
        body = response.get_json(silent=True) or {}
        return set(body) <= {"error", "message"} and len(response.data) < 300
    if response.status_code == 302:
        return response.headers["Location"].startswith("/login") and method == "GET"
    return False


def _every_request(app):
    for rule in app.server.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, _concrete(rule)
    for path in EXTRA_PATHS:
        yield "GET", path


def test_every_route_refuses_anonymous_requests(client, secure_app):
    answered_publicly = set()
    checked = 0
    for method, path in _every_request(secure_app):
        for accept in ("text/html", "application/json"):
            response = client.open(
                path, method=method, headers={"Accept": accept}, json={} if method == "POST" else None
            )
            checked += 1
            if path in PUBLIC:
                answered_publicly.add(path)
                continue
            assert _refused(response, method), (method, path, accept, response.status_code, response.data[:200])
    assert checked > 30
    assert answered_publicly <= PUBLIC


def test_pages_redirect_to_login_and_data_endpoints_say_401(client):
    page = client.get("/wards?month=2025-01", headers={"Accept": "text/html"})
    assert page.status_code == 302 and page.headers["Location"] == "/login?next=/wards%3Fmonth%3D2025-01"
    for path in ("/_dash-layout", "/_dash-dependencies", "/assets/labels.js"):
        assert client.get(path, headers={"Accept": "text/html"}).status_code == 401


def test_the_public_list_is_short_and_holds_no_data(client):
    assert {"/login", "/login/oidc", "/login/oidc/callback", "/logout", "/assets/style.css", "/_favicon.ico"} == PUBLIC
    # without single sign-on configured its routes do not exist; sign-out without a session goes to sign-in
    assert client.get("/login/oidc").status_code == 404
    assert client.get("/login/oidc/callback?code=x&state=y").status_code == 404
    logout = client.get("/logout")
    assert logout.status_code == 302 and logout.headers["Location"] == "/login"
    login_page = client.get("/login")
    assert login_page.status_code == 200
    text = login_page.get_data(as_text=True)
    assert 'name="csrf_token"' in text and 'name="username"' in text and 'name="password"' in text
    assert "E05" not in text and "E06" not in text  # no area codes, no figures


def test_forged_callback_without_a_session_gets_401(client, security_store):
    forged = callback(
        client,
        "security-probe-wards.children",
        [
            {"id": "security-probe-la", "property": "value", "value": security_store.las[0]},
            {"id": "security-probe-month", "property": "value", "value": "2025-01"},
        ],
    )
    assert forged.status_code == 401
    assert security_store.las[0] not in forged.get_data(as_text=True)


def test_every_registered_callback_refuses_an_anonymous_body(client, secure_app, as_role):
    dependencies = as_role("admin").get("/_dash-dependencies").get_json()
    assert len(dependencies) >= 5
    for dep in dependencies:
        inputs = [dict(i, value=None) for i in dep["inputs"]]
        payload = {
            "output": dep["output"],
            "outputs": [],
            "inputs": inputs,
            "state": dep["state"],
            "changedPropIds": [],
        }
        response = client.post("/_dash-update-component", json=payload)
        assert response.status_code == 401, dep["output"]


def test_the_callback_endpoint_refuses_form_posts_even_when_signed_in(as_role):
    admin = as_role("admin")
    response = admin.post("/_dash-update-component", data={"output": "x.children"})
    assert response.status_code in (400, 415)


def test_signed_in_member_forging_another_la_is_refused(as_role, security_store):
    member = as_role("member")
    own, other = security_store.las[0], security_store.las[1]
    mine = callback(
        member,
        "security-probe-wards.children",
        [
            {"id": "security-probe-la", "property": "value", "value": own},
            {"id": "security-probe-month", "property": "value", "value": "2025-01"},
        ],
    )
    assert mine.status_code == 200
    forged = callback(
        member,
        "security-probe-wards.children",
        [
            {"id": "security-probe-la", "property": "value", "value": other},
            {"id": "security-probe-month", "property": "value", "value": "2025-01"},
        ],
    )
    assert forged.status_code == 403
    assert forged.get_json()["status"] == 403
    assert other not in forged.get_data(as_text=True).replace("access", "")


@pytest.mark.parametrize(
    "role, own_allowed, other_allowed",
    [
        ("admin", True, True),
        ("regional", True, True),
        ("officer", True, False),
        ("member", False, False),
    ],
)
def test_property_level_callback_by_role(as_role, security_store, role, own_allowed, other_allowed):
    from app import monitoring
    from app.config import load_settings
    from app.security import audit
    from app.store import db

    engine = db.connect(security_store.url)
    snap = monitoring.snapshot(engine, load_settings(security_store.url))
    props = snap.properties.dropna(subset=["ward_code"])
    client = as_role(role)
    for lad, allowed in ((security_store.las[0], own_allowed), (security_store.las[1], other_allowed)):
        ward = props.loc[props["lad_code"] == lad, "ward_code"].iloc[0]
        before = audit.count(engine, audit.VIEW_PROPERTIES, what=ward, since=audit.window(60))
        response = callback(
            client,
            "security-probe-properties.children",
            [{"id": "security-probe-ward", "property": "value", "value": ward}],
        )
        after = audit.count(engine, audit.VIEW_PROPERTIES, what=ward, since=audit.window(60))
        if allowed:
            assert response.status_code == 200
            rows = response.get_json()["response"]["security-probe-properties"]["children"]
            assert rows and {r["lad_code"] for r in rows} == {lad} and rows[0]["address"]
            assert after == before + 1
        else:
            assert response.status_code == 403
            assert after == before
            denied = audit.query(engine, who=f"t-{role}", action=audit.ACCESS_DENIED, limit=1)
            assert denied["what"].iloc[0] == ward
