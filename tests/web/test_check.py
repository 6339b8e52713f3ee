"""The Property check page: verdict for a real postcode, refusals in words, the proposals log."""

from __future__ import annotations

import pytest

from app.cluster.whatif import check_property
from app.config import load_settings
from app.store import db, proposals, queries
from tests.stores import copy_store


def run_check(dash_call, postcode, bedspaces, month):
    response = dash_call(
        "check-result.children",
        {("check-run", "n_clicks"): 1, ("check-postcode", "n_submit"): None},
        state={
            ("check-postcode", "value"): postcode,
            ("check-bedspaces", "value"): bedspaces,
            ("check-month", "value"): month,
        },
        changed=["check-run.n_clicks"],
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"]


@pytest.fixture(scope="module")
def placed(demo_store, snapshot):
    """A postcode in the busiest ward of the latest month (so the verdict is not trivially 'within')."""
    table = snapshot.table
    wards = table[(table["level"] == "ward") & (table["month"] == snapshot.months[-1])]
    ward = wards.sort_values("share_of_limit").iloc[-1]
    with db.connect(demo_store).connect() as conn:
        postcodes = queries.postcodes(conn)
    row = postcodes[postcodes["ward_code"] == ward["area_code"]].iloc[0]
    return row


def test_the_page_answers(client, dash_call, snapshot):
    assert client.get("/check").status_code == 200
    layout = dash_call.render("/check")
    for component in ("check-postcode", "check-bedspaces", "check-log"):
        assert dash_call.find(layout, component) is not None
    text = str(layout)
    assert "'htmlFor': 'check-postcode'" in text and "'htmlFor': 'check-bedspaces'" in text
    out = dash_call("check-month.options", {("check-month", "id"): "check-month"}).get_json()["response"]
    assert out["check-month"]["value"] == snapshot.months[-1]


def test_a_known_postcode_gets_the_verdict(dash_call, snapshot, placed):
    month = snapshot.months[-1]
    postcode = placed["postcode"].lower().replace(" ", "")
    out = run_check(dash_call, postcode, 6, month)
    expected = check_property(snapshot.table, month, placed["ward_code"], 6, load_settings().approaching)
    panel = dash_call.text(out["check-result"]["children"])
    assert expected.verdict in panel
    assert expected.ward_after.area_name in panel and expected.la_after.area_name in panel
    assert f"{expected.ward_after.people:,.1f} people" in str(out["check-result"]["children"])
    assert out["check-place"]["data"]["postcode"] == placed["postcode"]
    assert out["check-place"]["data"]["ward_code"] == placed["ward_code"]
    figure = out["check-map"]["figure"]
    assert figure["data"][-1]["lon"] == [pytest.approx(placed["lon"])]
    la_wards = snapshot.areas[(snapshot.areas["level"] == "ward") & (snapshot.areas["lad_code"] == placed["lad_code"])]
    assert sorted(figure["data"][0]["locations"]) == sorted(la_wards["area_code"])
    assert out["check-map"]["style"] == {"display": "block"}


@pytest.mark.parametrize(
    "postcode, bedspaces, words",
    [
        ("ZZ9 9ZZ", 2, "is not in the postcode lookup"),
        ("TS1", 2, "not a full postcode"),
        ("hello", 2, "is not a UK postcode"),
        ("ZX1 1AA", 0, "whole number, 1 or more"),
    ],
)
def test_bad_input_is_refused_in_plain_words(dash_call, snapshot, postcode, bedspaces, words):
    out = run_check(dash_call, postcode, bedspaces, snapshot.months[-1])
    assert words in dash_call.text(out["check-result"]["children"])
    assert out["check-place"]["data"] is None
    assert out["check-map"]["style"] == {"display": "none"}


def log_call(dash_call, trigger, place=None, **fields):
    state = {("check-place", "data"): place}
    state.update({(f"check-{k.replace('_', '-')}", "value"): v for k, v in fields.items()})
    response = dash_call(
        "check-record-result.children",
        {("check-record", "n_clicks"): 1, ("check-save-response", "n_clicks"): 1},
        state=state,
        changed=[f"{trigger}.n_clicks"] if trigger else [],
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"]


def test_the_proposals_log_records_and_updates(dash_call, demo_store, use_store, snapshot, placed, tmp_path):
    url = copy_store(demo_store, tmp_path / "store.sqlite")
    try:
        with use_store(url):
            out = run_check(dash_call, placed["postcode"], 3, snapshot.months[-1])
            place = out["check-place"]["data"]
            refused = log_call(dash_call, "check-record", None, provider="Mears")
            assert "Check a postcode first" in refused["check-record-result"]["children"]
            done = log_call(
                dash_call,
                "check-record",
                place,
                provider="Mears",
                type="HMO",
                hmo="no",
                received="2026-09-14",
                notes="opposite the school",
            )
            assert "recorded" in done["check-record-result"]["children"]
            log = proposals.list_proposals(db.connect(url))
            assert len(log) == 1
            row = log.iloc[0]
            assert (row["postcode"], row["ward_code"], row["bedspaces"]) == (placed["postcode"], placed["ward_code"], 3)
            assert bool(row["is_hmo"]) and row["response"] == "pending" and str(row["received_date"]) == "2026-09-14"
            assert [o["value"] for o in done["check-proposal"]["options"]] == [int(row["id"])]
            assert "opposite the school" in dash_call.text(done["check-log"]["children"])

            bad = log_call(
                dash_call,
                "check-save-response",
                place,
                proposal=int(row["id"]),
                response="objected",
                response_date="last week",
            )
            assert "Not saved" in bad["check-response-result"]["children"]
            saved = log_call(
                dash_call,
                "check-save-response",
                place,
                proposal=int(row["id"]),
                response="objected",
                response_date="2026-09-21",
                response_notes="ward over the limit",
            )
            assert "objected" in saved["check-response-result"]["children"]
            row = proposals.list_proposals(db.connect(url)).iloc[0]
            assert row["response"] == "objected" and str(row["response_date"]) == "2026-09-21"
            assert "ward over the limit" in dash_call.text(saved["check-log"]["children"])
        assert proposals.list_proposals(db.connect(demo_store)).empty
    finally:
        db.dispose(url)
