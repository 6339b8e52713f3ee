"""The smaller holes an attacker found on a served instance, one test each (issue 12, item 5)."""

from __future__ import annotations

import io
import logging
import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from app import ingest
from app.figures import charts, maps, properties
from app.problems import InputRefused
from app.security import audit, logs, uploads
from app.store import db, queries
from app.web import serve

MARKUP = '<a href="https://evil.example/phish">Click</a><img src=x onerror=alert(1)>'


# ------------------------------------------------------------------ plotly text and hover


def test_markup_in_uploaded_addresses_is_shown_as_text_in_the_property_hover():
    props = pd.DataFrame(
        {
            "lat": [54.5],
            "lon": [-1.2],
            "occupied": [2],
            "bedspaces": [3],
            "address": [MARKUP],
            "postcode": ["TS1 3AB"],
            "provider": ["<b>Mears</b>"],
            "status": ["<i>in use</i>"],
        }
    )
    text = properties.points_update(props)["text"][0]
    assert "<a" not in text and "<img" not in text and "<b>Mears" not in text and "<i>" not in text
    assert "&lt;a href=&quot;https://evil.example/phish&quot;&gt;Click&lt;/a&gt;" in text
    assert text.count("<br>") == 3  # the hover's own line breaks stay


def test_area_names_in_map_and_chart_hovers_are_inert():
    rows = pd.DataFrame(
        {"area_code": ["E05000001"], "area_name": [MARKUP], "la_name": ["<a href='x'>LA</a>"], "population": [1000.0]}
    )
    text = maps._area_text(rows, "ward")[0]
    assert text.startswith("<b>&lt;a href=") and "<a" not in text and "<img" not in text
    trend = charts.trends(pd.DataFrame({"area_name": [MARKUP], "month": ["2025-01"], "share_of_limit": [0.5]}))
    assert "<a" not in trend["data"][0]["name"] and "<a" not in trend["data"][0]["hovertemplate"]


# ------------------------------------------------------------------ logs


def test_crlf_in_a_path_cannot_forge_an_access_log_line():
    from gunicorn.config import Config

    config = Config()
    config.set("accesslog", "-")
    logger = logs.AccessLogger(config)
    forged = '/x\r\n10.0.0.1 "GET /admin" 200 0 1ms'
    environ = {
        "REMOTE_ADDR": "198.51.100.7",
        "REQUEST_METHOD": "GET",
        "RAW_URI": forged,
        "PATH_INFO": forged,
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    response = SimpleNamespace(status="404 NOT FOUND", sent=10, headers=[])
    request = SimpleNamespace(headers=[("USER-AGENT", "x\ny")])
    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=3))
    line = serve.options("127.0.0.1", 8050)["access_log_format"] % logger.atoms_wrapper_class(atoms)
    assert "\n" not in line and "\r" not in line and "\\x0d\\x0a" in line
    assert serve.options("127.0.0.1", 8050)["logger_class"] == "app.security.logs.AccessLogger"


def test_control_characters_in_logged_values_are_escaped():
    logs.install()
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    logger = logging.getLogger("dispersal.test-findings")
    logger.addHandler(handler)
    try:
        logger.warning("refused %s for %s", "/x\r\nCRITICAL admin signed in", "bob\x1b[31m")
        logger.warning("frames\n%s", logs.Verbatim("line 1\nline 2"))
    finally:
        logger.removeHandler(handler)
    lines = out.getvalue().splitlines()
    assert lines[0] == "refused /x\\x0d\\x0aCRITICAL admin signed in for bob\\x1b[31m"
    assert lines[1:] == ["frames", "line 1", "line 2"]


# ------------------------------------------------------------------ the callback endpoint


def _probe_body(la: str, month: str = "2025-01") -> dict:
    return {
        "output": "security-probe-wards.children",
        "outputs": {"id": "security-probe-wards", "property": "children"},
        "inputs": [
            {"id": "security-probe-la", "property": "value", "value": la},
            {"id": "security-probe-month", "property": "value", "value": month},
        ],
        "changedPropIds": ["security-probe-la.value"],
    }


def test_the_callback_endpoint_refuses_cross_origin_posts(as_role, security_store):
    admin = as_role("admin")
    body = _probe_body(security_store.las[0])
    assert admin.post("/_dash-update-component", json=body, headers={"Origin": "https://localhost"}).status_code == 200
    assert admin.post("/_dash-update-component", json=body).status_code == 200  # no Origin: not a browser
    for headers in (
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "https://localhost", "Sec-Fetch-Site": "cross-site"},
        {"Origin": "http://localhost"},
    ):
        refused = admin.post("/_dash-update-component", json=body, headers=headers)
        assert refused.status_code == 403, headers
        assert "another site" in refused.get_json()["message"]
    engine = db.connect(security_store.url)
    denied = audit.query(engine, who="t-admin", action=audit.ACCESS_DENIED, limit=1)
    assert "cross-origin callback" in denied.iloc[0]["details"]


def test_malformed_callback_inputs_are_a_400_with_a_plain_message(as_role, security_store):
    admin = as_role("admin")
    raw = (
        '{"output": "security-probe-wards.children", "outputs": {"id": "security-probe-wards", "property": '
        '"children"}, "inputs": [{"id": "security-probe-la", "property": "value", "value": "%s"}, '
        '{"id": "security-probe-month", "property": "value", "value": Infinity}], '
        '"changedPropIds": ["security-probe-la.value"]}' % security_store.las[0]
    )
    response = admin.post("/_dash-update-component", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert (
        response.get_json()["message"] == "A value sent by the page could not be used. Reload the page and try again."
    )
    forged = admin.post("/_dash-update-component", json=_probe_body(security_store.las[0], month=["2025-01", 7]))
    assert forged.status_code == 400 and "could not be used" in forged.get_json()["message"]
    assert "Traceback" not in forged.get_data(as_text=True)


# ------------------------------------------------------------------ proxies


def test_x_forwarded_for_is_trusted_only_from_the_listed_proxies():
    with pytest.raises(ValueError, match="addresses"):
        serve.trusted_proxies("1")
    with pytest.raises(ValueError, match="not an IP address"):
        serve.trusted_proxies("proxy.council.example")
    seen = {}

    def app(environ, start_response):
        seen.update(addr=environ["REMOTE_ADDR"], scheme=environ["wsgi.url_scheme"], host=environ.get("HTTP_HOST"))
        return []

    wrapped = serve.TrustedProxies(app, serve.trusted_proxies("10.0.0.5, 10.1.0.0/29"))
    forwarded = {
        "HTTP_X_FORWARDED_FOR": "203.0.113.9, 10.1.0.3",
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_X_FORWARDED_HOST": "dispersal.council.example",
        "wsgi.url_scheme": "http",
        "HTTP_HOST": "app",
    }
    wrapped({**forwarded, "REMOTE_ADDR": "10.0.0.5"}, None)
    assert seen == {"addr": "203.0.113.9", "scheme": "https", "host": "dispersal.council.example"}
    wrapped({**forwarded, "REMOTE_ADDR": "198.51.100.20"}, None)  # anyone else: their headers are ignored
    assert seen == {"addr": "198.51.100.20", "scheme": "http", "host": "app"}
    wrapped({**forwarded, "HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.9", "REMOTE_ADDR": "10.0.0.5"}, None)
    assert seen["addr"] == "203.0.113.9"  # a client's own X-Forwarded-For entry does not pick its address


def test_gunicorn_trusts_forwarded_headers_only_from_the_listed_proxies(monkeypatch):
    monkeypatch.setenv("DISPERSAL_PROXIES", "10.0.0.5,10.1.0.0/29")
    assert serve.options("127.0.0.1", 8050)["forwarded_allow_ips"] == "10.0.0.5"
    monkeypatch.delenv("DISPERSAL_PROXIES")
    assert serve.options("127.0.0.1", 8050)["forwarded_allow_ips"] == "127.0.0.1"


# ------------------------------------------------------------------ upload files


def test_old_upload_folders_are_swept_and_new_ones_kept():
    old = Path(tempfile.mkdtemp(prefix=uploads.UPLOAD_PREFIX))
    (old / "HO_2025-01.xlsx").write_bytes(b"x")
    new = Path(tempfile.mkdtemp(prefix=uploads.UPLOAD_PREFIX))
    stale = time.time() - uploads.MAX_AGE_S - 60
    os.utime(old, (stale, stale))
    other = Path(tempfile.mkdtemp(prefix="someone-else-"))
    os.utime(other, (stale, stale))
    try:
        assert uploads.sweep() >= 1
        assert not old.exists() and new.exists() and other.exists()
    finally:
        uploads.remove(new)
        other.rmdir()
    assert uploads._started.is_set()  # the app started its hourly sweeper


def test_an_evicted_upload_takes_its_file_with_it(as_role, monkeypatch):
    from app.web.pages import data as data_page
    from tests.security.test_workbook_bombs import _upload, workbook

    def fake_prepare(path, kind, provider, user, month=None):
        return SimpleNamespace(
            report=ingest.LoadReport("home_office", path.name, None, "2025-03", 1), table=None, scope=set()
        )

    monkeypatch.setattr(data_page, "prepare", fake_prepare)
    admin = as_role("admin")
    folders = []
    for i in range(10):
        assert _upload(admin, workbook({"A5": f"row {i}"}), f"HO_2025-03-{i}.xlsx").status_code == 200
        folders.append(Path(tempfile.gettempdir()) / list(data_page._pending)[-1])
    assert len(data_page._pending) <= 8
    evicted = [f for f in folders if f.name not in data_page._pending]
    assert evicted and not any(f.exists() for f in evicted)
    assert all(f.exists() for f in folders if f.name in data_page._pending)
    for token in list(data_page._pending):
        uploads.remove(Path(tempfile.gettempdir()) / token)
        data_page._pending.pop(token, None)


# ------------------------------------------------------------------ the Data page


def test_viewing_the_data_quality_notes_is_audited(as_role, security_store):
    admin = as_role("admin")
    body = {
        "output": "..data-message.children...data-history.children...data-problems.children..",
        "outputs": [
            {"id": "data-message", "property": "children"},
            {"id": "data-history", "property": "children"},
            {"id": "data-problems", "property": "children"},
        ],
        "inputs": [
            {"id": "data-confirm", "property": "n_clicks", "value": None},
            {"id": "data-undo", "property": "submit_n_clicks", "value": None},
        ],
        "state": [{"id": "data-pending", "property": "data", "value": None}],
        "changedPropIds": [],
    }
    engine = db.connect(security_store.url)
    since = audit.now()
    response = admin.post("/_dash-update-component", json=body)
    assert response.status_code == 200 and "Data-quality notes" in response.get_data(as_text=True)
    viewed = audit.query(engine, who="t-admin", action=audit.VIEW_RESTRICTED, what="data-quality notes", since=since)
    assert len(viewed) == 1


def test_a_cell_too_long_for_the_store_is_refused_at_the_preview(security_store, tmp_path):
    engine = db.connect(security_store.url)
    with engine.connect() as conn:
        la = queries.areas(conn, level="lad").iloc[0]
        sector = queries.sector_weights(conn).query("lad_code == @la.area_code").iloc[0]["postcode_sector"]
    path = tmp_path / "HO_2025-06.csv"
    long_text = "N" * 450
    path.write_text(
        "Postcode Sector,Local Authority,Nationality,People\n"
        f"{sector},{la.area_name},Eritrea,6\n{sector},{la.area_name},{long_text},7\n"
    )
    with pytest.raises(InputRefused) as refused:
        ingest.prepare_home_office(engine, path, loaded_by="tests")
    problem = refused.value.problems[0]
    assert (problem.file, problem.row, problem.column) == ("HO_2025-06.csv", 3, "nationality")
    assert "450 characters is too long" in problem.message
