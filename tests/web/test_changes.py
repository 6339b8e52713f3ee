"""What changed, on the demo store: the overview panel and the ``changes`` command agree with the table."""

from __future__ import annotations

import json
import re

import pytest

from app.cli import main
from app.cluster.changes import previous_month


def _newly_breached(snapshot) -> tuple[str, dict]:
    """A month of the demo store in which some ward went over the limit, and that ward (from the table itself)."""
    table = snapshot.table
    wards = table[table["level"] == "ward"].set_index(["month", "area_code"])
    for month in snapshot.months[::-1]:
        before = previous_month(month)
        if before not in snapshot.months:
            continue
        now, then = wards.loc[month], wards.loc[before]
        crossed = now[(now["status"] == "breach") & (then.reindex(now.index)["status"] != "breach")]
        if len(crossed):
            code = crossed.index[0]
            return month, {
                "code": code,
                "name": crossed.loc[code, "area_name"],
                "before": then.loc[code, "people"],
                "now": now.loc[code, "people"],
            }
    pytest.fail("the demo store has no month in which a ward newly went over the limit")


def test_overview_lists_a_newly_breached_ward(dash_call, snapshot):
    month, ward = _newly_breached(snapshot)
    page = dash_call.render("/", search=f"?month={month}")
    panel = dash_call.find(page, "overview-changes")
    assert panel is not None
    table = dash_call.find(panel, "overview-changes-table")
    rows = [
        r
        for r in table["props"]["children"][2]["props"]["children"]
        if r["props"].get("data-area") == ward["code"] and r["props"].get("data-change") == "newly over the limit"
    ]
    assert len(rows) == 1, dash_call.text(panel)[:1000]
    cells = [dash_call.text(c) for c in rows[0]["props"]["children"]]
    assert cells[3] == f"{ward['before']:,.0f}" and cells[4] == f"{ward['now']:,.0f}"
    assert "Newly over the limit:" in dash_call.text(panel) and ward["name"] in dash_call.text(panel)


def test_month_change_redraws_the_panel(dash_call, snapshot):
    month, ward = _newly_breached(snapshot)
    response = dash_call("overview-map.figure", {("overview-month", "value"): month})
    body = response.get_json()["response"]
    assert ward["name"] in dash_call.text(body["overview-changes-box"]["children"])


def test_changes_command(demo_store, snapshot, capsys):
    month, ward = _newly_breached(snapshot)
    assert main(["changes", "--db", demo_store, "--month", month, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    over = [r for r in rows if r["change"] == "newly over the limit" and r["area_code"] == ward["code"]]
    assert len(over) == 1 and over[0]["people"] == pytest.approx(ward["now"], abs=0.005)
    assert over[0]["status_before"] != "breach" and over[0]["status"] == "breach"
    assert main(["changes", "--db", demo_store, "--month", month]) == 0
    text = capsys.readouterr().out
    assert f"{ward['name']} ({ward['code']}" in text and "Newly over the limit" in text
    figures = re.sub(r"[EWSN]\d{8}|\d{4}-\d{2}", "", text)  # codes and months aside, every number has separators
    assert not re.search(r"\d{4}", figures), figures
    assert re.search(r"\d,\d{3}", figures)  # the demo's largest LAs have limits over 1,000
    lad = snapshot.areas.loc[snapshot.areas["area_code"] == ward["code"], "lad_code"].iloc[0]
    assert main(["changes", "--db", demo_store, "--month", month, "--la", lad, "--format", "csv"]) == 0
    csv = capsys.readouterr().out.splitlines()
    assert csv[0].startswith("change,level,area_code")
    assert all(f",{lad}," in line for line in csv[1:])
    assert main(["changes", "--db", demo_store, "--month", "1999-01"]) == 2


def test_preview_of_a_file_already_loaded_changes_nothing_and_reads_only_its_two_months(snapshot):
    """Re-previewing an LA's month as it is stored gives the stored table, without reading the whole history."""
    from types import SimpleNamespace

    import pandas as pd

    from app import monitoring
    from app.web import changes

    month = next(m for m in snapshot.months[::-1] if previous_month(m) in snapshot.months)
    fresh = monitoring.Snapshot(
        snapshot.version,
        snapshot.engine,
        snapshot.settings,
        snapshot.areas,
        snapshot.population,
        snapshot.limit_overrides,
        snapshot.covered,
    )
    stored = fresh.records_for([month])
    lad = str(stored["lad_code"].dropna().iloc[0])
    file_rows = stored[stored["lad_code"] == lad].drop(columns=["id", "load_id", "month"])
    prepared = SimpleNamespace(report=SimpleNamespace(period=month), scope={lad}, table=file_rows)
    got = changes._as_if_loaded(fresh, prepared)
    assert "records" not in fresh.__dict__ and "properties" not in fresh.__dict__
    assert set(got["month"]) == {month, previous_month(month)}
    expected = fresh.table_for([previous_month(month), month])
    keys = ["level", "month", "area_code"]
    columns = [c for c in ["people", "limit", "status"] if c in got and c in expected]
    assert columns == ["people", "limit", "status"]
    got = got.sort_values(keys).reset_index(drop=True)[keys + columns]
    expected = expected.sort_values(keys).reset_index(drop=True)[keys + columns]
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_exact=False, rtol=1e-9)
