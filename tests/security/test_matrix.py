"""Every callback of the app against every role (and anonymous): what each may and may not receive.

The callbacks are enumerated from ``app.callback_map``: a callback without an entry in :data:`MATRIX` fails
``test_every_callback_has_a_matrix_entry``. Each entry posts real ``/_dash-update-component`` bodies, as
dash-renderer does, with inputs for the user's own LA, another LA of the region and ids or values the page
never rendered, and asserts the answer for the role. The security store has one region of 6 LAs; the
officer and the member belong to ``las[0]`` ("own"); ``las[1]`` is "other"; ``FORGED_LA`` is in no scope.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import pytest
import sqlalchemy as sa

from app import monitoring
from app.config import load_settings
from app.security import audit
from app.store import db

ROLES = ("admin", "regional", "officer", "member")
FORGED_LA, FORGED_WARD = "E06999999", "E05999999"
MONTH = "2025-03"
SHOWN_WORDS = {"fewer than 5", "withheld"}


# ------------------------------------------------------------------ facts and posting


@dataclass
class Facts:
    own: str
    other: str
    names: dict[str, str]
    wards: dict[str, list[str]]
    addresses: dict[str, set[str]]
    postcode: dict[str, str]
    quarter: str
    engine: sa.Engine


@pytest.fixture(scope="module")
def facts(security_store) -> Facts:
    engine = db.connect(security_store.url)
    snap = monitoring.snapshot(engine, load_settings(security_store.url))
    areas = snap.areas
    las = security_store.las
    names = areas[areas["level"] == "lad"].set_index("area_code")["area_name"].astype(str).to_dict()
    wards = {la: sorted(areas.loc[(areas["level"] == "ward") & (areas["lad_code"] == la), "area_code"]) for la in las}
    props = snap.properties
    addresses = {la: set(props.loc[props["lad_code"] == la, "address"].dropna().astype(str)) for la in las}
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT lad_code, MIN(postcode) FROM postcodes WHERE ward_code IS NOT NULL GROUP BY lad_code")
        ).all()
    return Facts(las[0], las[1], names, wards, addresses, dict(rows), str(props["quarter"].max()), engine)


@pytest.fixture(scope="module")
def callback_map(secure_app, security_store):
    from tests.security.conftest import https_client

    https_client(secure_app).get("/login")  # the first request moves Dash's callback list into callback_map
    return secure_app.callback_map


def _outputs(key: str) -> list[dict]:
    parts = key.strip(".").split("...") if key.startswith("..") else [key]
    out = []
    for part in parts:
        component, prop = part.rsplit(".", 1)
        out.append({"id": component, "property": prop})
    return out


def post(client, callback_map, key: str, values: dict | None = None, changed: list[str] | None = None):
    """Post the callback ``key`` with ``values`` ({"id.property": value}; the rest None) as the browser does."""
    values = values or {}
    spec = callback_map[key]
    inputs = [
        {"id": i["id"], "property": i["property"], "value": values.get(f"{i['id']}.{i['property']}")}
        for i in spec["inputs"]
    ]
    state = [
        {"id": s["id"], "property": s["property"], "value": values.get(f"{s['id']}.{s['property']}")}
        for s in spec.get("state", [])
    ]
    outputs = _outputs(key)
    payload = {
        "output": key,
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": inputs,
        "state": state,
        "changedPropIds": changed if changed is not None else [f"{i['id']}.{i['property']}" for i in inputs],
    }
    return client.post("/_dash-update-component", data=json.dumps(payload), content_type="application/json")


def body(response) -> str:
    return response.get_data(as_text=True)


def answer(response) -> dict:
    assert response.status_code == 200, (response.status_code, body(response)[:300])
    return response.get_json()["response"]


def nothing(response) -> None:
    """No update: Dash answers 204, or 200 with no outputs."""
    assert response.status_code in (200, 204), response.status_code
    if response.status_code == 200:
        assert not response.get_json().get("response"), body(response)[:200]


def refused(response) -> None:
    assert response.status_code == 403, (response.status_code, body(response)[:300])
    assert set(response.get_json()) <= {"error", "message", "status"}


def no_addresses(text: str, addresses: set[str]) -> None:
    leaked = [a for a in addresses if a and a in text]
    assert not leaked, leaked[:3]


def member_counts_ok(values) -> None:
    """A member's ward counts: multiples of 5, or words; never a number from 1 to 4."""
    for value in values:
        if value is None or (isinstance(value, float) and value != value):
            continue
        if isinstance(value, str):
            assert value in SHOWN_WORDS or re.fullmatch(r"[\d,]+(\.0)?", value), value
            if re.fullmatch(r"[\d,]+(\.0)?", value):
                value = float(value.replace(",", ""))
            else:
                continue
        assert float(value) % 5 == 0, value


def patch_values(patch: dict) -> dict[tuple, object]:
    return {tuple(op["location"]): op["params"].get("value") for op in patch.get("operations", [])}


def audit_count(facts: Facts, action: str) -> int:
    return audit.count(facts.engine, action, since=audit.window(60))


# ------------------------------------------------------------------ the entries, one per callback


def overview_month(role, client, cm, facts):
    key = next(k for k in cm if k.startswith("..overview-map.figure...overview-headlines.children"))
    out = answer(post(client, cm, key, {"overview-month.value": MONTH}))
    rows = out["overview-table"]["data"]
    shown = {r["area_code"] for r in rows}
    if role == "member":
        assert shown == {facts.own}
        member_counts_ok([])  # LA totals are exact unless under 5
        assert all(isinstance(r["people"], str) or r["people"] >= 5 or r["people"] == 0 for r in rows)
    else:
        assert shown == set(facts.names)
    nothing(post(client, cm, key, {"overview-month.value": "1999-01"}))


def _wards_inputs(la, index=2):
    return {"wards-month.value": index, "wards-la.value": la}


def wards_map(role, client, cm, facts):
    key = "..wards-map.figure...wards-month-label.children.."
    for la in (facts.own, "all"):
        ops = patch_values(
            answer(post(client, cm, key, _wards_inputs(la), changed=["wards-la.value"]))["wards-map"]["figure"]
        )
        locations = ops[("data", 0, "locations")]
        wards_own = set(facts.wards[facts.own])
        if role == "member":
            assert set(locations) <= wards_own
            assert set(ops[("data", 0, "z")]) <= {0.2, 0.9, 1.1, None}  # status bands, never a share
            member_counts_ok([c[0] for c in ops[("data", 0, "customdata")]])
        elif la == "all":
            assert set(locations) == {w for ws in facts.wards.values() for w in ws}
    other = post(client, cm, key, _wards_inputs(facts.other), changed=["wards-la.value"])
    refused(other) if role == "member" else answer(other)
    refused(post(client, cm, key, _wards_inputs(FORGED_LA)))
    refused(post(client, cm, key, _wards_inputs(["E06000001"])))


def wards_words(role, client, cm, facts):
    key = "..wards-summary.children...wards-la-status.children.."
    text = body(post(client, cm, key, _wards_inputs("all")))
    others = [n for code, n in facts.names.items() if code != facts.own]
    if role == "member":
        assert facts.names[facts.own] in text and not any(n in text for n in others)
    else:
        assert all(n in text for n in others)
    other = post(client, cm, key, _wards_inputs(facts.other))
    refused(other) if role == "member" else answer(other)
    refused(post(client, cm, key, _wards_inputs(FORGED_LA)))


def wards_table(role, client, cm, facts):
    rows = answer(post(client, cm, "wards-table.data", _wards_inputs("all")))["wards-table"]["data"]
    codes = {r["area_code"] for r in rows}
    if role == "member":
        assert codes == set(facts.wards[facts.own])
        member_counts_ok([r["people"] for r in rows])
        assert all(r["share_of_limit"] is None and r["headroom"] is None for r in rows)
    else:
        assert codes == {w for ws in facts.wards.values() for w in ws}
        assert any(isinstance(r["people"], float) and r["people"] % 5 for r in rows)  # exact counts
    other = post(client, cm, "wards-table.data", _wards_inputs(facts.other))
    if role == "member":
        refused(other)
    else:
        assert {r["area_code"] for r in answer(other)["wards-table"]["data"]} == set(facts.wards[facts.other])
    refused(post(client, cm, "wards-table.data", _wards_inputs(FORGED_LA)))


def wards_play(role, client, cm, facts):
    out = answer(
        post(
            client,
            cm,
            "..wards-player.disabled...wards-play.children..",
            {"wards-play.n_clicks": 1, "wards-player.disabled": True},
        )
    )
    assert out["wards-play"]["children"] == "Pause"


def wards_advance(role, client, cm, facts):
    key = next(k for k in cm if k.startswith("..wards-month.value"))
    out = answer(post(client, cm, key, {"wards-player.n_intervals": 1, "wards-month.value": 0, "wards-month.max": 2}))
    assert out["wards-month"]["value"] == 1
    nothing(post(client, cm, key, {"wards-player.n_intervals": 1, "wards-month.value": "x", "wards-month.max": 2}))


def wards_csv(role, client, cm, facts):
    before = audit_count(facts, audit.EXPORT)
    out = answer(post(client, cm, "wards-csv.data", {"wards-download.n_clicks": 1, **_wards_inputs(facts.own)}))
    assert audit_count(facts, audit.EXPORT) == before + 1
    csv = out["wards-csv"]["data"]["content"]
    csv = base64.b64decode(csv).decode() if out["wards-csv"]["data"].get("base64") else csv
    frame = pd.read_csv(__import__("io").StringIO(csv), dtype=str)
    assert set(frame["lad_code"]) == {facts.own}
    assert not frame.apply(lambda c: c.astype(str).str.match(r"^[=+\-@](?![\d.]+$)")).any().any()
    if role == "member":
        member_counts_ok(frame["People supported"].tolist())
        assert frame["Share of the limit (%)"].isna().all()
    other = post(client, cm, "wards-csv.data", {"wards-download.n_clicks": 1, **_wards_inputs(facts.other)})
    refused(other) if role == "member" else answer(other)
    refused(post(client, cm, "wards-csv.data", {"wards-download.n_clicks": 1, **_wards_inputs(FORGED_LA)}))
    assert audit_count(facts, audit.EXPORT) == before + (1 if role == "member" else 2)


WARDS_PANEL = "..wards-panel.children...wards-selected.data.."


def _click(ward):
    return {"wards-map.clickData": {"points": [{"location": ward}]}, "wards-month.value": 2}


def wards_panel(role, client, cm, facts):
    own_ward = facts.wards[facts.own][0]
    other_ward = facts.wards[facts.other][0]
    every_address = set().union(*facts.addresses.values())
    before = audit_count(facts, audit.VIEW_PROPERTIES)
    own = post(client, cm, WARDS_PANEL, _click(own_ward), changed=["wards-map.clickData"])
    text = body(answer(own) and own)
    if role == "member":
        no_addresses(text, every_address)
        assert "wards-panel-addresses" not in text and "not available to your account" in text
        assert ("not shown to your account" in text and "(rounded to 5)" in text) or "fewer than 5" in text
    else:
        assert "wards-panel-properties" in text
    other = post(client, cm, WARDS_PANEL, _click(other_ward), changed=["wards-map.clickData"])
    if role == "member":
        refused(other)
    else:
        other_text = body(answer(other) and other)
        if role == "officer":
            no_addresses(other_text, every_address)
            assert "wards-panel-addresses" not in other_text
        elif facts.addresses[facts.other]:
            assert any(a in other_text for a in facts.addresses[facts.other]) or "No provider" in other_text
    refused(post(client, cm, WARDS_PANEL, _click(FORGED_WARD), changed=["wards-map.clickData"]))
    forged_row = {
        "wards-table.active_cell": {"row": 0, "column": 0},
        "wards-table.derived_viewport_data": [{"area_code": other_ward}],
        "wards-month.value": 2,
    }
    forged = post(client, cm, WARDS_PANEL, forged_row, changed=["wards-table.active_cell"])
    refused(forged) if role == "member" else answer(forged)
    if role == "member":
        assert audit_count(facts, audit.VIEW_PROPERTIES) == before


def _property_keys(cm):
    controls = next(k for k in cm if k.startswith("..properties-quarter.options"))
    figure = next(k for k in cm if k.startswith("..properties-map.figure"))
    tables = next(k for k in cm if k.startswith("..properties-changes"))
    return controls, figure, tables


def _property_inputs(facts):
    return {
        "properties-quarter.value": facts.quarter,
        "properties-provider.value": "all",
        "properties-status.value": ["in use", "void", "not given"],
    }


def properties_controls(role, client, cm, facts):
    key = _property_keys(cm)[0]
    response = post(client, cm, key, {"properties-quarter.id": "properties-quarter"})
    if role == "member":
        refused(response)
    else:
        assert answer(response)["properties-quarter"]["value"] == facts.quarter


def properties_map(role, client, cm, facts):
    key = _property_keys(cm)[1]
    before = audit_count(facts, audit.VIEW_PROPERTIES)
    response = post(client, cm, key, _property_inputs(facts))
    if role == "member":
        refused(response)
        return
    text = body(answer(response) and response)
    others = set().union(*(a for la, a in facts.addresses.items() if la != facts.own))
    assert any(a in text for a in facts.addresses[facts.own])
    if role == "officer":
        no_addresses(text, others)
    else:
        assert any(a in text for a in others)
    assert audit_count(facts, audit.VIEW_PROPERTIES) == before + 1
    forged = post(client, cm, key, dict(_property_inputs(facts), **{"properties-quarter.value": "1999Q9"}))
    no_addresses(body(forged), set().union(*facts.addresses.values()))


def properties_tables(role, client, cm, facts):
    key = _property_keys(cm)[2]
    response = post(client, cm, key, _property_inputs(facts))
    if role == "member":
        refused(response)
        return
    text = body(answer(response) and response)
    other_names = [n for code, n in facts.names.items() if code != facts.own]
    recon = json.dumps(answer(response)["properties-reconciliation"])
    if role == "officer":
        no_addresses(text, set().union(*(a for la, a in facts.addresses.items() if la != facts.own)))
        assert not any(f'"{n}"' in recon for n in other_names)
    else:
        assert any(f'"{n}"' in recon for n in other_names)


def properties_list(role, client, cm, facts):
    """The paged list: members refused; an officer filtering for another LA gets no row of it; audited."""
    key = next(k for k in cm if k.startswith("..properties-list.data"))
    other = facts.names[facts.other]
    values = dict(_property_inputs(facts), **{"properties-list.filter_query": f'{{la}} icontains "{other}"'})
    before = audit_count(facts, audit.VIEW_PROPERTIES)
    response = post(client, cm, key, values)
    if role == "member":
        refused(response)
        return
    out = answer(response)["properties-list"]
    text = body(response)
    if role == "officer":
        assert out["data"] == []
        no_addresses(text, facts.addresses[facts.other])
        assert audit_count(facts, audit.VIEW_PROPERTIES) == before
    else:
        assert out["data"] and {r["la"] for r in out["data"]} == {other}
        assert any(a in text for a in facts.addresses[facts.other])
        assert audit_count(facts, audit.VIEW_PROPERTIES) == before + 1
    own = answer(post(client, cm, key, _property_inputs(facts)))["properties-list"]
    assert 0 < len(own["data"]) <= 25
    if role == "officer":
        assert {r["address"] for r in own["data"]} <= facts.addresses[facts.own]


def profiles_controls(role, client, cm, facts):
    key = next(k for k in cm if k.startswith("..profiles-month.options"))
    out = answer(post(client, cm, key, {"profiles-dimension.id": "profiles-dimension"}))
    offered = {o["value"] for o in out["profiles-la"]["options"]}
    assert offered == ({facts.names[facts.own]} if role == "member" else set(facts.names.values()))


def profiles_month(role, client, cm, facts):
    key = next(k for k in cm if k.startswith("..profiles-bars.figure"))
    out = answer(post(client, cm, key, {"profiles-dimension.value": "nationality", "profiles-month.value": MONTH}))
    rows = [
        r
        for r in out["profiles-table"]["children"]["props"]["children"][-1]["props"]["children"][-1]["props"][
            "children"
        ]
    ]
    heads = {r["props"]["children"][0]["props"]["children"] for r in rows}
    if role == "member":
        assert heads == {facts.names[facts.own]}  # no region Total row for members (issue 10)
    else:
        assert set(facts.names.values()) <= heads
    for r in rows:
        for cell in r["props"]["children"][1:]:
            value = str(cell["props"]["children"])
            assert value in SHOWN_WORDS or value == "0" or int(value.replace(",", "")) >= 5, value


def profiles_trend(role, client, cm, facts):
    key = next(k for k in cm if k.startswith("..profiles-trend.figure"))
    answer(post(client, cm, key, {"profiles-dimension.value": "age_band", "profiles-la.value": facts.names[facts.own]}))
    other = post(
        client, cm, key, {"profiles-dimension.value": "age_band", "profiles-la.value": facts.names[facts.other]}
    )
    refused(other) if role == "member" else answer(other)
    refused(post(client, cm, key, {"profiles-dimension.value": "age_band", "profiles-la.value": "Total"}))
    refused(post(client, cm, key, {"profiles-dimension.value": "age_band", "profiles-la.value": {"x": 1}}))


def check_months(role, client, cm, facts):
    response = post(client, cm, "..check-month.options...check-month.value..", {"check-month.id": "check-month"})
    refused(response) if role == "member" else answer(response)


def _check_key(cm):
    return next(k for k in cm if k.startswith("..check-result.children"))


def check_result(role, client, cm, facts):
    key = _check_key(cm)
    for la in (facts.own, facts.other):
        response = post(
            client,
            cm,
            key,
            {
                "check-run.n_clicks": 1,
                "check-postcode.value": facts.postcode[la],
                "check-bedspaces.value": 3,
                "check-month.value": MONTH,
            },
            changed=["check-run.n_clicks"],
        )
        if role == "member":
            refused(response)
        else:
            assert "check-verdict" in body(answer(response) and response)
    if role != "member":
        forged = post(
            client,
            cm,
            key,
            {
                "check-run.n_clicks": 1,
                "check-postcode.value": ["x"],
                "check-bedspaces.value": "lots",
                "check-month.value": MONTH,
            },
        )
        assert "check-verdict" not in body(answer(forged) and forged)


def check_log(role, client, cm, facts):
    key = next(k for k in cm if k.startswith("..check-record-result"))
    place = {"postcode": facts.postcode[facts.own], "bedspaces": 2, "ward_code": FORGED_WARD, "lad_code": FORGED_LA}
    record = post(
        client,
        cm,
        key,
        {"check-record.n_clicks": 1, "check-place.data": place, "check-provider.value": f"matrix-{role}"},
        changed=["check-record.n_clicks"],
    )
    if role == "member":
        refused(record)
        refused(post(client, cm, key, {}, changed=[]))
        return
    out = answer(record)
    assert "recorded" in out["check-record-result"]["children"]
    with facts.engine.connect() as conn:
        stored = conn.execute(
            sa.text("SELECT lad_code, ward_code FROM proposals WHERE provider = :p"), {"p": f"matrix-{role}"}
        ).one()
    assert stored[0] == facts.own and stored[1] != FORGED_WARD  # the browser's place is not trusted
    other_place = dict(place, postcode=facts.postcode[facts.other])
    other = post(
        client,
        cm,
        key,
        {"check-record.n_clicks": 1, "check-place.data": other_place, "check-provider.value": f"matrix-{role}-other"},
        changed=["check-record.n_clicks"],
    )
    refused(other) if role == "officer" else answer(other)
    listing = answer(post(client, cm, key, {}, changed=[]))
    shown = {o["label"].split(": ", 1)[1] for o in listing["check-proposal"]["options"]}
    assert facts.postcode[facts.own] in shown
    if role == "officer":
        assert facts.postcode[facts.other] not in shown
        with facts.engine.connect() as conn:
            foreign = conn.execute(sa.text("SELECT id FROM proposals WHERE lad_code != :la"), {"la": facts.own}).all()
        if foreign:
            refused(
                post(
                    client,
                    cm,
                    key,
                    {
                        "check-save-response.n_clicks": 1,
                        "check-proposal.value": foreign[0][0],
                        "check-response.value": "objection",
                    },
                    changed=["check-save-response.n_clicks"],
                )
            )


def report_controls(role, client, cm, facts):
    key = next(k for k in cm if k.startswith("..report-area.options"))
    out = answer(post(client, cm, key, {"report-area.id": "report-area"}))
    las = {o["value"] for o in out["report-area"]["options"] if not o["value"].startswith("region:")}
    assert las == ({facts.own} if role == "member" else set(facts.names))


def report_make(role, client, cm, facts):
    key = next(k for k in cm if k.startswith("..report-download.data"))
    if role == "member":  # a forged area outside the member's scope: no pack
        response = post(
            client,
            cm,
            key,
            {
                "report-make.n_clicks": 1,
                "report-area.value": facts.other,
                "report-quarter.value": "2025Q1",
                "report-format.value": "xlsx",
            },
            changed=["report-make.n_clicks"],
        )
        assert response.status_code == 403 or answer(response)["report-download"]["data"] is None
    response = post(
        client,
        cm,
        key,
        {
            "report-make.n_clicks": 1,
            "report-area.value": FORGED_LA,
            "report-quarter.value": "2025Q1",
            "report-format.value": "xlsx",
        },
        changed=["report-make.n_clicks"],
    )
    assert response.status_code == 403 or answer(response).get("report-download", {}).get("data") is None


def data_upload(role, client, cm, facts):
    key = next(k for k in cm if k.startswith("..data-preview.children"))
    raw = "data:application/octet-stream;base64," + base64.b64encode(b"MZ\x00\x00binary").decode()
    before = audit_count(facts, audit.UPLOAD_REFUSED)
    response = post(
        client,
        cm,
        key,
        {"data-upload.contents": raw, "data-upload.filename": "tool.exe", "data-kind.value": "home_office"},
    )
    if role in ("officer", "member"):
        refused(response)
        assert audit_count(facts, audit.UPLOAD_REFUSED) == before
    else:
        assert "not a file type" in body(answer(response) and response)
        assert audit_count(facts, audit.UPLOAD_REFUSED) == before + 1


def data_actions(role, client, cm, facts):
    key = next(k for k in cm if k.startswith("..data-message.children"))
    forged = {"token": "dispersal-upload-forged", "file": "../../etc/passwd", "kind": "home_office"}
    response = post(
        client, cm, key, {"data-confirm.n_clicks": 1, "data-pending.data": forged}, changed=["data-confirm.n_clicks"]
    )
    if role in ("officer", "member"):
        refused(response)
        refused(post(client, cm, key, {"data-undo.submit_n_clicks": 1}, changed=["data-undo.submit_n_clicks"]))
    else:
        out = answer(response)
        assert "nothing to confirm" in json.dumps(out["data-message"])
        assert "Loads, newest first" in json.dumps(out["data-history"])


def admin_manage(role, client, cm, facts):
    key = next(k for k in cm if k.startswith("..admin-accounts.children"))
    response = post(
        client,
        cm,
        key,
        {
            "admin-add.n_clicks": 1,
            "admin-username.value": f"made-by-{role}",
            "admin-role.value": "admin",
            "admin-password.value": "a long enough password 1",
        },
        changed=["admin-add.n_clicks"],
    )
    from app.security import accounts

    if role == "admin":
        answer(response)
        assert accounts.get(facts.engine, "made-by-admin") is not None
    else:
        refused(response)
        assert accounts.get(facts.engine, f"made-by-{role}") is None


def admin_audit(role, client, cm, facts):
    response = post(client, cm, "admin-audit.children", {"admin-audit-action.value": None})
    if role == "admin":
        assert "login" in body(answer(response) and response)
    else:
        refused(response)


def admin_csv(role, client, cm, facts):
    response = post(client, cm, "admin-audit-csv.data", {"admin-audit-export.n_clicks": 1})
    if role == "admin":
        assert answer(response)["admin-audit-csv"]["data"]["filename"] == "audit_log.csv"
    else:
        refused(response)


PAGES = ("/", "/wards", "/properties", "/profiles", "/check", "/data", "/report", "/admin")


def pages(role, client, cm, facts):
    key = next(k for k in cm if k.startswith(".._pages_content.children"))
    every_address = set().union(*facts.addresses.values())
    for path in PAGES:
        text = body(
            answer(
                post(
                    client,
                    cm,
                    key,
                    {"_pages_location.pathname": path, "_pages_location.search": ""},
                    changed=["_pages_location.pathname"],
                )
            )
            and post(
                client,
                cm,
                key,
                {"_pages_location.pathname": path, "_pages_location.search": ""},
                changed=["_pages_location.pathname"],
            )
        )
        if role == "member":
            no_addresses(text, every_address)
            others = [n for code, n in facts.names.items() if code != facts.own]
            if path == "/wards":
                assert not any(f'"{n}"' in text for n in others)
        if path == "/admin":
            assert ("admin-accounts" in text) == (role == "admin")
        if path == "/data":
            assert ("data-upload" in text) == (role in ("admin", "regional"))
        if path in ("/properties", "/check"):
            assert (f"{path[1:]}-" in text) == (role != "member")
    query = post(
        client,
        cm,
        key,
        {"_pages_location.pathname": "/wards", "_pages_location.search": f"?la={facts.other}"},
        changed=["_pages_location.pathname"],
    )
    value = re.search(r'"id": ?"wards-la".{0,2000}?"value": ?"([^"]+)"', body(query))
    if role == "member":
        assert value is None or value.group(1) == facts.own


def pages_dummy(role, client, cm, facts):
    assert "clientside_function" not in cm["_pages_dummy.children"] or cm["_pages_dummy.children"].get("callback")


def admin_settings(role, client, cm, facts):
    key = next(k for k in cm if k.startswith("..admin-settings.children"))
    response = post(client, cm, key, {"admin-setting-save.n_clicks": None})
    if role == "admin":
        answer(response)
    else:
        refused(response)


def _admin_only(output: str, clicks: tuple[str, ...]):
    """An administration section's callback: it answers an admin and refuses every other role."""

    def check(role, client, cm, facts):
        key = next(k for k in cm if k.startswith(f"..{output}.children"))
        response = post(client, cm, key, {f"{click}.n_clicks": None for click in clicks})
        if role == "admin":
            answer(response)
        else:
            refused(response)

    return check


admin_plan = _admin_only("admin-plan", ("admin-plan-save",))
admin_alerts = _admin_only("admin-alerts", ("admin-alert-add", "admin-alert-remove"))


def overview_go(role, client, cm, facts):
    """A click on an LA opens its wards only for an LA in scope; a forged LA is refused."""
    own = post(
        client,
        cm,
        "overview-go.href",
        {"overview-map.clickData": {"points": [{"location": facts.own}]}},
        changed=["overview-map.clickData"],
    )
    assert facts.own in body(answer(own) and own)
    refused(
        post(
            client,
            cm,
            "overview-go.href",
            {"overview-map.clickData": {"points": [{"location": FORGED_LA}]}},
            changed=["overview-map.clickData"],
        )
    )


def wards_search(role, client, cm, facts):
    """Search answers every role, within its scope (find_area keeps to scope.lad_codes); a forged code finds nothing."""
    key = next(k for k in cm if k.startswith("..wards-la.value"))
    own = post(
        client,
        cm,
        key,
        {"wards-search-go.n_clicks": 1, "wards-search.value": facts.wards[facts.own][0], "wards-month.value": 2},
        changed=["wards-search-go.n_clicks"],
    )
    assert "Found the ward" in body(answer(own) and own)
    forged = post(
        client,
        cm,
        key,
        {"wards-search-go.n_clicks": 1, "wards-search.value": FORGED_WARD, "wards-month.value": 2},
        changed=["wards-search-go.n_clicks"],
    )
    assert "Nothing found" in body(answer(forged) and forged)


def wards_url(role, client, cm, facts):
    assert "wards-url-sync.children" in cm  # clientside: writes the address bar, reads nothing from the server


def probe_wards(role, client, cm, facts):
    key = "security-probe-wards.children"
    own = post(client, cm, key, {"security-probe-la.value": facts.own, "security-probe-month.value": MONTH})
    answer(own)
    other = post(client, cm, key, {"security-probe-la.value": facts.other, "security-probe-month.value": MONTH})
    refused(other) if role == "member" else answer(other)


def probe_properties(role, client, cm, facts):
    ward = facts.wards[facts.own][0]
    response = post(client, cm, "security-probe-properties.children", {"security-probe-ward.value": ward})
    refused(response) if role == "member" else answer(response)


def probe_boom(role, client, cm, facts):
    response = post(client, cm, "security-probe-boom.children", {"security-probe-boom-in.value": 1})
    assert response.status_code == 500 and "TS1 3" not in body(response)


#: Callback (its ``callback_map`` key, or a unique prefix of it) -> the check run for each role.
MATRIX: dict[str, Callable] = {
    "..overview-map.figure": overview_month,
    "..wards-map.figure": wards_map,
    "..wards-summary.children": wards_words,
    "wards-table.data": wards_table,
    "..wards-player.disabled": wards_play,
    "..wards-month.value": wards_advance,
    "wards-csv.data": wards_csv,
    "..wards-panel.children": wards_panel,
    "..wards-la.value": wards_search,
    "wards-url-sync.children": wards_url,
    "overview-go.href": overview_go,
    "..admin-settings.children": admin_settings,
    "..admin-plan.children": admin_plan,
    "..admin-alerts.children": admin_alerts,
    "..properties-quarter.options": properties_controls,
    "..properties-map.figure": properties_map,
    "..properties-changes.children": properties_tables,
    "..properties-list.data": properties_list,
    "..profiles-month.options": profiles_controls,
    "..profiles-bars.figure": profiles_month,
    "..profiles-trend.figure": profiles_trend,
    "..check-month.options": check_months,
    "..check-result.children": check_result,
    "..check-record-result.children": check_log,
    "..report-area.options": report_controls,
    "..report-download.data": report_make,
    "..data-preview.children": data_upload,
    "..data-message.children": data_actions,
    "..admin-accounts.children": admin_manage,
    "admin-audit.children": admin_audit,
    "admin-audit-csv.data": admin_csv,
    ".._pages_content.children": pages,
    "_pages_dummy.children": pages_dummy,
    "security-probe-wards.children": probe_wards,
    "security-probe-properties.children": probe_properties,
    "security-probe-boom.children": probe_boom,
}


def _entry(key: str) -> str | None:
    found = [prefix for prefix in MATRIX if key == prefix or key.startswith(prefix + ".")]
    return found[0] if len(found) == 1 else None


def test_every_callback_has_a_matrix_entry(callback_map):
    missing = [key for key in callback_map if _entry(key) is None]
    assert not missing, f"callbacks without a role matrix entry: {missing}"
    unused = set(MATRIX) - {_entry(key) for key in callback_map}
    assert not unused, f"matrix entries for callbacks that no longer exist: {unused}"


@pytest.mark.parametrize("entry", list(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_role_against_callback(role, entry, as_role, callback_map, facts):
    MATRIX[entry](role, as_role(role), callback_map, facts)


@pytest.mark.parametrize("entry", list(MATRIX))
def test_anonymous_against_callback(entry, client, callback_map):
    keys = [k for k in callback_map if _entry(k) == entry]
    assert keys
    for key in keys:
        response = post(client, callback_map, key, {})
        assert response.status_code == 401, (key, response.status_code)
        assert set(response.get_json()) <= {"error", "message"}


def test_member_gets_no_property_coordinates_from_any_page(as_role, callback_map, facts, security_store):
    """Property points would place households: no property's coordinates reach a member on any page."""
    snap = monitoring.snapshot(facts.engine, load_settings(security_store.url))
    points = {f"{lat:.5f}" for lat in snap.properties["lat"].dropna()}
    member = as_role("member")
    key = next(k for k in callback_map if k.startswith(".._pages_content.children"))
    texts = [
        body(
            post(
                member,
                callback_map,
                key,
                {"_pages_location.pathname": p, "_pages_location.search": ""},
                changed=["_pages_location.pathname"],
            )
        )
        for p in PAGES
    ]
    texts.append(
        body(
            post(member, callback_map, WARDS_PANEL, _click(facts.wards[facts.own][0]), changed=["wards-map.clickData"])
        )
    )
    found = [p for p in points if any(p in t for t in texts)]
    assert not found, found[:3]


def test_navigation_shows_the_user_and_hides_what_the_role_cannot_use(as_role):
    for role in ROLES:
        layout = as_role(role).get("/_dash-layout").get_data(as_text=True).replace("\\u002f", "/")
        assert f"t-{role}" in layout and '"/logout"' in layout
        assert ('"/admin"' in layout) == (role == "admin")
        assert ('"/data"' in layout) == (role in ("admin", "regional"))
        assert ('"/properties"' in layout) == (role != "member")
