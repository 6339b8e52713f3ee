"""Security headers on every response; the CSP allows exactly the inline scripts Dash writes."""

from __future__ import annotations

import base64
import hashlib
import re

from app.security import headers


def test_headers_on_public_refused_and_signed_in_responses(client, as_role):
    admin = as_role("admin")
    responses = [
        client.get("/login"),
        client.get("/_dash-layout"),
        client.get("/wards", headers={"Accept": "text/html"}),
        admin.get("/_dash-layout"),
        admin.get("/", headers={"Accept": "text/html"}),
        admin.get("/nowhere"),
    ]
    for response in responses:
        h = response.headers
        assert h["X-Content-Type-Options"] == "nosniff"
        assert h["X-Frame-Options"] == "DENY"
        assert h["Referrer-Policy"] == "same-origin"
        csp = h["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "worker-src 'self' blob:" in csp
        assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";")[0]
        assert "'unsafe-eval'" not in csp
        assert "http" not in csp  # no outside origin
        assert h["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" in responses[3].headers  # served over https in the tests


def test_csp_hashes_cover_every_inline_script_of_the_page(as_role):
    response = as_role("officer").get("/", headers={"Accept": "text/html"})
    html = response.get_data(as_text=True)
    csp = response.headers["Content-Security-Policy"]
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", html, flags=re.S)
    executable = [body for attrs, body in inline if "application/json" not in attrs]
    assert executable  # dash-renderer starts from an inline script
    for body in executable:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp


def test_static_files_may_be_cached_privately(as_role):
    admin = as_role("admin")
    html = admin.get("/", headers={"Accept": "text/html"}).get_data(as_text=True)
    suite = re.search(r'src="(/_dash-component-suites/[^"]+)"', html).group(1)
    response = admin.get(suite)
    assert response.status_code == 200 and response.headers["Cache-Control"].startswith("private")


def test_policy_with_a_tile_server(monkeypatch):
    monkeypatch.setenv("DISPERSAL_TILE_URL", "https://tiles.example.org/{z}/{x}/{y}.png")
    policy = headers.policy(["'sha256-x'"], extra_origin=headers.tile_origin())
    assert "img-src 'self' data: blob: https://tiles.example.org" in policy
    assert "connect-src 'self' https://tiles.example.org" in policy
    assert "script-src 'self' 'sha256-x';" in policy
