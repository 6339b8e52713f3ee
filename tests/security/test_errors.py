"""Error pages: no stack trace, no data, in pages or logs; a clear page while the database is away."""

from __future__ import annotations

import logging

from tests.security.conftest import SECRET_IN_ERROR, callback


def test_unexpected_error_shows_a_reference_and_logs_no_data(as_role, caplog):
    admin = as_role("admin")
    with caplog.at_level(logging.DEBUG):
        response = callback(
            admin, "security-probe-boom.children", [{"id": "security-probe-boom-in", "property": "value", "value": 1}]
        )
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "reference" in response.get_json() and "Traceback" not in body and "TS1 3" not in body
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert response.get_json()["reference"] in logged and "KeyError" in logged
    assert SECRET_IN_ERROR not in logged and "TS1 3" not in caplog.text


def test_not_found_page_is_plain(as_role):
    response = as_role("member").get("/_dash-component-suites/dash/nothing-here.js")
    assert response.status_code == 404
    page = as_role("member").get("/no/such/page", headers={"Accept": "text/html"})
    assert page.status_code in (200, 404)  # Dash's catch-all serves its own "not found" page layout
    assert "Traceback" not in page.get_data(as_text=True)


def test_database_away_gives_a_clear_page_then_recovers(as_role, secure_app, security_store):
    from app.config import load_settings

    admin = as_role("admin")
    config = secure_app.server.config
    config["DISPERSAL_SETTINGS"] = load_settings("postgresql+psycopg://nobody@127.0.0.1:9/absent?connect_timeout=2")
    try:
        page = admin.get("/", headers={"Accept": "text/html"})
        assert page.status_code == 503
        text = page.get_data(as_text=True)
        assert "The database cannot be reached" in text and "Traceback" not in text and "nobody" not in text
        data = admin.get("/_dash-layout")
        assert data.status_code == 503 and data.get_json()["error"] == "The database cannot be reached"
    finally:
        config["DISPERSAL_SETTINGS"] = load_settings(security_store.url)
    assert admin.get("/_dash-layout").status_code == 200


def test_too_large_a_request_is_refused_before_reading(as_role, secure_app):
    limit = secure_app.server.config["MAX_CONTENT_LENGTH"]
    response = as_role("officer").post(
        "/_dash-update-component", data=b"x" * (limit + 1), content_type="application/json"
    )
    assert response.status_code == 413
    assert response.get_json()["error"] == "The file is too large"
