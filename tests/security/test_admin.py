"""The admin page: accounts and the audit log, for admins only, enforced in every callback."""

from __future__ import annotations

import json

import pytest

from app.security import accounts, audit
from app.store import db


def manage(client, trigger: str, **values):
    inputs = [
        {"id": "admin-add", "property": "n_clicks", "value": 1},
        {"id": "admin-remove", "property": "submit_n_clicks", "value": 1},
        {"id": "admin-unlock", "property": "n_clicks", "value": 1},
    ]
    state = [
        {"id": f"admin-{k}", "property": "value", "value": values.get(k)}
        for k in ("username", "role", "la", "password", "target")
    ]
    changed = {"add": "admin-add.n_clicks", "remove": "admin-remove.submit_n_clicks", "unlock": "admin-unlock.n_clicks"}
    output = "..admin-accounts.children...admin-message.children...admin-password.value.."
    payload = {
        "output": output,
        "outputs": [
            {"id": "admin-accounts", "property": "children"},
            {"id": "admin-message", "property": "children"},
            {"id": "admin-password", "property": "value"},
        ],
        "inputs": inputs,
        "state": state,
        "changedPropIds": [changed[trigger]],
    }
    return client.post("/_dash-update-component", json=payload)


def test_admin_adds_and_removes_an_account(as_role, security_store):
    admin = as_role("admin")
    added = manage(
        admin,
        "add",
        username="t-new-officer",
        role="officer",
        la=security_store.las[3],
        password="a fine long passphrase",
    )
    assert added.status_code == 200
    body = added.get_json()["response"]
    assert body["admin-message"]["children"] == "Account 't-new-officer' added."
    assert body["admin-password"]["value"] == ""  # the password is not kept in the page
    assert "a fine long passphrase" not in added.get_data(as_text=True)
    engine = db.connect(security_store.url)
    assert accounts.get(engine, "t-new-officer").lad_code == security_store.las[3]
    weak = manage(admin, "add", username="t-weak", role="member", la=security_store.las[0], password="short")
    assert "Not done: the password must be at least 12" in weak.get_json()["response"]["admin-message"]["children"]
    removed = manage(admin, "remove", target="t-new-officer")
    assert "removed" in removed.get_json()["response"]["admin-message"]["children"]
    assert accounts.get(engine, "t-new-officer") is None
    assert audit.query(engine, what="t-new-officer", limit=2)["action"].tolist() == [
        audit.USER_REMOVED,
        audit.USER_ADDED,
    ]


@pytest.mark.parametrize("role", ["regional", "officer", "member"])
def test_only_admins_may_use_the_admin_callbacks(as_role, security_store, role):
    client = as_role(role)
    response = manage(client, "add", username=f"t-sneaky-{role}", role="admin", password="a fine long passphrase")
    assert response.status_code == 403
    assert accounts.get(db.connect(security_store.url), f"t-sneaky-{role}") is None
    export = client.post(
        "/_dash-update-component",
        json={
            "output": "admin-audit-csv.data",
            "outputs": {"id": "admin-audit-csv", "property": "data"},
            "inputs": [{"id": "admin-audit-export", "property": "n_clicks", "value": 1}],
            "state": [{"id": "admin-audit-action", "property": "value", "value": None}],
            "changedPropIds": ["admin-audit-export.n_clicks"],
        },
    )
    assert export.status_code == 403 and "login" not in export.get_data(as_text=True)


def test_audit_export_is_audited_and_safe(as_role, security_store):
    engine = db.connect(security_store.url)
    audit.record(engine, "=cmd|' /C calc'!A0", audit.LOGIN_FAILED, "=cmd|' /C calc'!A0")
    admin = as_role("admin")
    export = admin.post(
        "/_dash-update-component",
        json={
            "output": "admin-audit-csv.data",
            "outputs": {"id": "admin-audit-csv", "property": "data"},
            "inputs": [{"id": "admin-audit-export", "property": "n_clicks", "value": 1}],
            "state": [{"id": "admin-audit-action", "property": "value", "value": [audit.LOGIN_FAILED]}],
            "changedPropIds": ["admin-audit-export.n_clicks"],
        },
    )
    assert export.status_code == 200
    download = export.get_json()["response"]["admin-audit-csv"]["data"]
    assert download["filename"] == "audit_log.csv"
    text = download["content"]
    assert "'=cmd" in text and "\n=cmd" not in text and ",=cmd" not in text
    assert audit.query(engine, who="t-admin", action=audit.AUDIT_EXPORTED, limit=1)["what"].tolist() == ["audit_log"]
    assert json.dumps(download).count("password") == 0


def test_admin_page_layout_says_no_to_others(as_role):
    member = as_role("member")
    dep = next(d for d in member.get("/_dash-dependencies").get_json() if "_pages_content.children" in d["output"])
    response = member.post(
        "/_dash-update-component",
        json={
            "output": dep["output"],
            "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
            "inputs": [
                {"id": "_pages_location", "property": "pathname", "value": "/admin"},
                {"id": "_pages_location", "property": "search", "value": ""},
            ],
            "state": [dict(st, value=None) for st in dep["state"]],
            "changedPropIds": ["_pages_location.pathname"],
        },
    )
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "This page is for administrators." in text and "admin-accounts" not in text
