"""``limit set`` and ``plan set``: validated, audited, and used by the limit column at once (copy of the demo store)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app import monitoring
from app.cli import main
from app.config import load_settings
from app.store import db
from tests.stores import copy_store


@pytest.fixture
def store(demo_store, tmp_path) -> str:
    url = copy_store(demo_store, tmp_path / "store.sqlite")
    yield url
    db.dispose(url)


def _la_rows(url: str, la: str):
    snap = monitoring.snapshot(db.connect(url), load_settings(url))
    table = snap.table
    return table[(table["area_code"] == la) & (table["month"] == snap.months[-1])].iloc[0]


def test_limit_and_plan_set(store, capsys):
    engine = db.connect(store)
    with engine.connect() as conn:
        la = conn.execute(sa.text("SELECT area_code FROM areas WHERE level = 'lad' ORDER BY area_code")).scalar()
    before = _la_rows(store, la)
    assert before["limit"] == pytest.approx(before["population"] / 200)
    assert main(["limit", "set", "--db", store, "--la", la.lower(), "--ratio", "250", "--user", "alice"]) == 0
    assert "1 person per 250 residents" in capsys.readouterr().out
    after = _la_rows(store, la)
    assert after["limit"] == pytest.approx(after["population"] / 250)
    assert main(["plan", "set", "--db", store, "--la", la, "--bedspaces", "1200", "--user", "alice"]) == 0
    assert "1,200 bedspaces" in capsys.readouterr().out
    with engine.connect() as conn:
        saved = conn.execute(
            sa.text("SELECT limit_ratio, allocation FROM area_settings WHERE area_code = :c"), {"c": la}
        ).one()
        audit = conn.execute(
            sa.text("SELECT who, what, details FROM audit_log WHERE action = 'area_setting_set' ORDER BY id")
        ).all()
    assert tuple(saved) == (250.0, 1200)  # the plan kept the limit
    assert [(a[0], a[1]) for a in audit] == [("alice", la), ("alice", la)]
    assert "250" in audit[0][2] and "1200" in audit[1][2]
    # Refused values change nothing and exit 1.
    for argv in (
        ["limit", "set", "--la", la, "--ratio", "0"],
        ["limit", "set", "--la", la, "--ratio", "nan"],
        ["plan", "set", "--la", la, "--bedspaces", "-3"],
        ["plan", "set", "--la", "E06999999", "--bedspaces", "3"],
    ):
        assert main([*argv, "--db", store]) == 1, argv
        assert "Nothing was changed" in capsys.readouterr().err
    with engine.connect() as conn:
        assert tuple(
            conn.execute(
                sa.text("SELECT limit_ratio, allocation FROM area_settings WHERE area_code = :c"), {"c": la}
            ).one()
        ) == (250.0, 1200)


def test_admin_page_saves_settings_and_audit_reads_as_words(store, use_store, dash_call):
    engine = db.connect(store)
    with engine.connect() as conn:
        la, name = conn.execute(
            sa.text("SELECT area_code, area_name FROM areas WHERE level = 'lad' ORDER BY area_code DESC")
        ).first()
    with use_store(store):
        out = dash_call(
            "admin-setting-message.children",
            {("admin-setting-save", "n_clicks"): 1},
            state={
                ("admin-setting-la", "value"): la,
                ("admin-setting-ratio", "value"): 300,
                ("admin-setting-allocation", "value"): 450,
                ("admin-setting-note", "value"): "agreed 2026",
            },
        ).get_json()["response"]
        assert "Saved" in out["admin-setting-message"]["children"]
        rows = {r["area_code"]: r for r in out["admin-settings"]["children"]["props"]["data"]}
        assert rows[la]["area_name"] == name and rows[la]["limit_ratio"] == "1 per 300"
        assert rows[la]["allocation"] == "450"
        bad = dash_call(
            "admin-setting-message.children",
            {("admin-setting-save", "n_clicks"): 2},
            state={
                ("admin-setting-la", "value"): la,
                ("admin-setting-ratio", "value"): 5,
                ("admin-setting-allocation", "value"): None,
            },
        ).get_json()["response"]
        assert bad["admin-setting-message"]["children"].startswith("Not saved: the limit ratio must be")
        assert _la_rows(store, la)["limit"] == pytest.approx(_la_rows(store, la)["population"] / 300)
        audit = dash_call("admin-audit.children", {("admin-audit-action", "value"): ["area_setting_set"]})
        entry = audit.get_json()["response"]["admin-audit"]["children"]["props"]["data"][0]
        assert set(entry["details"].split("; ")) == {"limit ratio: from none, to 300", "allocation: from none, to 450"}
        assert "{" not in entry["details"] and "." not in entry["at"] and entry["at"][2] == "/"


def test_overview_plan_chart_uses_the_latest_quarters_allocation(store, use_store, dash_call, capsys):
    from app.views.plan import latest_quarter

    snap = monitoring.snapshot(db.connect(store), load_settings(store))
    quarter = latest_quarter(snap.properties)
    las = snap.areas[snap.areas["level"] == "lad"].sort_values("area_code")
    (a, a_name), (b, b_name) = las[["area_code", "area_name"]].head(2).itertuples(index=False)
    assert main(["plan", "set", "--db", store, "--la", a, "--bedspaces", "500"]) == 0
    assert main(["plan", "set", "--db", store, "--la", b, "--bedspaces", "600"]) == 0
    earlier = f"{int(quarter[:4]) - 1}-Q{quarter[-1]}"
    assert main(["plan", "set", "--db", store, "--la", b, "--quarter", earlier, "--bedspaces", "10"]) == 0
    assert main(["plan", "set", "--db", store, "--la", b, "--quarter", quarter, "--bedspaces", "650"]) == 0
    capsys.readouterr()
    with use_store(store):
        page = dash_call.render("/")
    figure = dash_call.find(page, "overview-plan")["props"]["figure"]
    allocated = dict(zip(figure["data"][0]["x"], figure["data"][0]["y"]))
    assert allocated == {a_name: 500, b_name: 650}  # b: the quarter's own; a: its standing allocation
    assert quarter in figure["layout"]["title"]["text"]
