"""The Profiles page: small numbers suppressed, and no suppressed number derivable from what is shown."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd

from app.cluster import disclosure

_spec = importlib.util.spec_from_file_location(
    "disclosure_audit", Path(__file__).parents[1] / "unit" / "test_disclosure.py"
)
_audit_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_audit_module)
audit = _audit_module.audit


def grid_of(tree) -> tuple[list[str], list[list[str]]]:
    """Header and rows (first cell = row label) of the one table in ``tree``."""
    table = (
        tree
        if tree.get("type") == "Table"
        else next((c for c in tree["props"]["children"] if c.get("type") == "Table"), None)
    )
    assert table is not None
    parts = table["props"]["children"]
    head = next(p for p in parts if p["type"] == "Thead")["props"]["children"]["props"]["children"]
    body = next(p for p in parts if p["type"] == "Tbody")["props"]["children"]
    header = [th["props"]["children"] for th in head]
    rows = [[str(c["props"]["children"]) for c in tr["props"]["children"]] for tr in body]
    return header, rows


def zeros_hidden(tree) -> bool:
    return any(c.get("props", {}).get("className") == "zeros-hidden" for c in tree["props"]["children"])


def published_long(header, rows, hidden: bool = False) -> pd.DataFrame:
    out = []
    for row in rows:
        for column, text in zip(header[1:], row[1:]):
            number = float(text.replace(",", "")) if text.replace(",", "").isdigit() else np.nan
            out.append({"la": row[0], "category": column, "display": text, "shown": number, "zeros_hidden": hidden})
    return pd.DataFrame(out)


def raw_counts(snapshot, month: str, dimension: str) -> pd.Series:
    records = snapshot.records[snapshot.records["month"] == month]
    names = snapshot.areas[snapshot.areas["level"] == "lad"].set_index("area_code")["area_name"]
    frame = pd.DataFrame(
        {
            "la": records["lad_code"].map(names),
            "category": records[dimension].fillna("Not known"),
            "people": records["people"],
        }
    )
    summed = frame.groupby(["la", "category"])["people"].sum()
    return np.floor(summed + 0.5).astype(int)


def month_view(dash_call, dimension: str, month: str) -> dict:
    response = dash_call(
        "profiles-bars.figure", {("profiles-dimension", "value"): dimension, ("profiles-month", "value"): month}
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"]


def test_the_page_answers_with_months_and_las(client, dash_call, snapshot):
    assert client.get("/profiles").status_code == 200
    assert dash_call.find(dash_call.render("/profiles"), "profiles-table") is not None
    out = dash_call("profiles-month.options", {("profiles-dimension", "id"): "profiles-dimension"}).get_json()
    assert out["response"]["profiles-month"]["value"] == snapshot.months[-1]
    assert len(out["response"]["profiles-la"]["options"]) == (snapshot.areas["level"] == "lad").sum()


def test_country_of_origin_hides_small_numbers_and_none_can_be_worked_out(dash_call, snapshot):
    month = snapshot.months[-1]
    out = month_view(dash_call, "nationality", month)
    header, rows = grid_of(out["profiles-table"]["children"])
    assert header[-1] == disclosure.TOTAL and rows[-1][0] == disclosure.TOTAL
    cells = published_long(header, rows, zeros_hidden(out["profiles-table"]["children"]))
    raw = raw_counts(snapshot, month, "nationality")
    inner = cells[(cells["la"] != disclosure.TOTAL) & (cells["category"] != disclosure.TOTAL)]
    truth = inner.apply(lambda r: raw.get((r["la"], r["category"]), 0), axis=1)
    small = truth.between(1, 4)
    assert small.sum() > 0, "the demo month should hold some small cells"
    assert (inner.loc[small, "display"] == "fewer than 5").all()
    assert (inner.loc[inner["display"] == "fewer than 5"].index.isin(truth[small].index)).all()
    shown = inner["shown"].notna()
    assert (inner.loc[shown, "shown"] == truth[shown]).all()
    assert not inner.loc[shown, "shown"].between(1, 4).any()
    withheld = inner["display"] == disclosure.WITHHELD_TEXT
    assert withheld.sum() > 0, "secondary suppression should have been needed"
    assert (truth[withheld] >= 5).all()
    for key, (low, high) in audit(cells, "la", "category").items():
        assert high - low >= 1, f"{key} can be worked out from the published table"


def test_region_bars_show_only_published_values(dash_call, snapshot):
    month = snapshot.months[-1]
    out = month_view(dash_call, "nationality", month)
    bars = out["profiles-bars"]["figure"]["data"][0]
    values = [v for v in bars["x"] if v is not None]
    assert values and min(values) >= 5
    assert all(
        t == "fewer than 5" or t == disclosure.WITHHELD_TEXT or int(t.replace(",", "")) >= 0 for t in bars["text"]
    )


def test_over_time_uses_the_same_protected_cells(dash_call, snapshot):
    names = snapshot.areas[snapshot.areas["level"] == "lad"].set_index("area_code")["area_name"]
    la = names.iloc[0]
    response = dash_call(
        "profiles-trend.figure", {("profiles-dimension", "value"): "nationality", ("profiles-la", "value"): la}
    )
    assert response.status_code == 200
    out = response.get_json()["response"]
    header, rows = grid_of(out["profiles-trend-table"]["children"])
    assert [r[0] for r in rows if r[0] != disclosure.TOTAL] == snapshot.months
    month = snapshot.months[-1]
    by_month = dict(zip(header[1:], next(r for r in rows if r[0] == month)[1:]))
    month_header, month_rows = grid_of(month_view(dash_call, "nationality", month)["profiles-table"]["children"])
    by_la = dict(zip(month_header[1:], next(r for r in month_rows if r[0] == la)[1:]))
    assert {k: v for k, v in by_month.items() if k in by_la} == {k: v for k, v in by_la.items() if k in by_month}
    for row in rows:
        assert not any(c.isdigit() and 1 <= int(c) <= 4 for c in row[1:])


def test_every_profile_answers(dash_call, snapshot):
    for dimension in ("age_band", "gender", "household_type"):
        out = month_view(dash_call, dimension, snapshot.months[0])
        header, rows = grid_of(out["profiles-table"]["children"])
        assert len(rows) == (snapshot.areas["level"] == "lad").sum() + 1
        assert not any(c.isdigit() and 1 <= int(c) <= 4 for row in rows for c in row[1:])
