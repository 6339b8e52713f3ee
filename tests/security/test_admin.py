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


def _post(client, outputs: list[str], trigger: str, inputs: list[str], state: dict):
    """A callback as the browser posts it: ``outputs`` "id.property", ``inputs`` ids (n_clicks) and ``state``."""
    payload = {
        "output": ".." + "...".join(outputs) + "..",
        "outputs": [{"id": o.split(".")[0], "property": o.split(".")[1]} for o in outputs],
        "inputs": [{"id": i, "property": "n_clicks", "value": 1 if i == trigger else 0} for i in inputs],
        "state": [{"id": k, "property": "value", "value": v} for k, v in state.items()],
        "changedPropIds": [f"{trigger}.n_clicks"],
    }
    return client.post("/_dash-update-component", json=payload)


def alerts_call(client, trigger: str, la=None, email=None, role="officer"):
    return _post(
        client,
        ["admin-alerts.children", "admin-alert-message.children"],
        trigger,
        ["admin-alert-add", "admin-alert-remove"],
        {"admin-alert-la": la, "admin-alert-email": email, "admin-alert-role": role},
    )


def plan_call(client, la=None, quarter=None, bedspaces=None, note=None):
    return _post(
        client,
        ["admin-plan.children", "admin-plan-message.children"],
        "admin-plan-save",
        ["admin-plan-save"],
        {
            "admin-plan-la": la,
            "admin-plan-quarter": quarter,
            "admin-plan-bedspaces": bedspaces,
            "admin-plan-note": note,
        },
    )


def test_admin_adds_and_removes_an_alert_recipient(as_role, security_store):
    admin, la = as_role("admin"), security_store.las[1]
    added = alerts_call(admin, "admin-alert-add", la, "cllr@council.example.org", "member")
    assert added.status_code == 200
    body = added.get_json()["response"]
    assert (
        body["admin-alert-message"]["children"]
        == f"cllr@council.example.org now receives the alerts of {la} as member."
    )
    rows = body["admin-alerts"]["children"]["props"]["data"]
    assert [(r["lad_code"], r["email"], r["role"], r["added_by"]) for r in rows] == [
        (la, "cllr@council.example.org", "member", "t-admin")
    ]
    for bad_la, bad_email, bad_role, words in (
        (la, "cllr at council", "officer", "is not an e-mail address"),
        ("E06999999", "a@example.org", "officer", "is not a local authority in the store"),
        (la, "a@example.org", "admin", "an alert is read as officer or member"),
    ):
        refused = alerts_call(admin, "admin-alert-add", bad_la, bad_email, bad_role).get_json()["response"]
        assert refused["admin-alert-message"]["children"].startswith("Not done:")
        assert words in refused["admin-alert-message"]["children"]
        assert len(refused["admin-alerts"]["children"]["props"]["data"]) == 1
    removed = alerts_call(admin, "admin-alert-remove", la, "cllr@council.example.org").get_json()["response"]
    assert "no longer receives" in removed["admin-alert-message"]["children"]
    assert removed["admin-alerts"]["children"]["props"]["data"] == []
    engine = db.connect(security_store.url)
    entries = audit.query(engine, what=la, action=[audit.ALERT_RECIPIENT_ADDED, audit.ALERT_RECIPIENT_REMOVED], limit=5)
    assert entries["action"].tolist() == [audit.ALERT_RECIPIENT_REMOVED, audit.ALERT_RECIPIENT_ADDED]
    assert set(entries["who"]) == {"t-admin"}


def test_admin_enters_a_quarter_allocation(as_role, security_store):
    admin, la = as_role("admin"), security_store.las[2]
    saved = plan_call(admin, la, "2025Q2", 320, "plan v3").get_json()["response"]
    assert saved["admin-plan-message"]["children"] == "Saved: 320 bedspaces for 2025-Q2."
    rows = saved["admin-plan"]["children"]["props"]["data"]
    assert [(r["lad_code"], r["quarter"], r["bedspaces"], r["note"]) for r in rows if r["lad_code"] == la] == [
        (la, "2025-Q2", "320", "plan v3")
    ]
    for quarter, bedspaces, words in (
        ("2025-Q5", 10, "is not a quarter in the form YYYY-Qn"),
        ("2025Q2", -1, "whole number of bedspaces from 0"),
        ("2025Q2", 2.5, "whole number of bedspaces"),
        (None, 10, "choose a quarter"),
    ):
        refused = plan_call(admin, la, quarter, bedspaces).get_json()["response"]
        assert (
            refused["admin-plan-message"]["children"].startswith("Not saved:")
            and words in refused["admin-plan-message"]["children"]
        ), refused
    again = plan_call(admin, la, "2025-Q2", 300).get_json()["response"]
    assert [r["bedspaces"] for r in again["admin-plan"]["children"]["props"]["data"] if r["lad_code"] == la] == ["300"]
    entries = audit.query(db.connect(security_store.url), what=la, action=audit.AREA_SETTING_SET, limit=5)
    details = [json.loads(d) for d in entries["details"]]
    assert details[:2] == [
        {"quarter": "2025Q2", "allocation": {"from": 320, "to": 300}},
        {"quarter": "2025Q2", "allocation": {"from": None, "to": 320}},
    ]


@pytest.mark.parametrize("role", ["regional", "officer", "member"])
def test_only_admins_may_set_alerts_and_allocations(as_role, security_store, role):
    client = as_role(role)
    assert alerts_call(client, "admin-alert-add", security_store.las[0], f"{role}@example.org").status_code == 403
    assert plan_call(client, security_store.las[0], "2025Q3", 5).status_code == 403
    engine = db.connect(security_store.url)
    from app.security import alert_recipients

    assert f"{role}@example.org" not in set(alert_recipients.listing(engine)["email"])
