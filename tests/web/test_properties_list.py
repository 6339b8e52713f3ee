"""The Properties page's paged list: filtered, sorted and paged on the server, checked against pandas.

Expected rows are worked out here from the demo store's property rows (``snapshot.properties``), not by the page.
"""

from __future__ import annotations

import json
import math
import re

import pandas as pd
import pytest

from app.web.tables import parse_filter, query

STATUS = ["in use", "void"]
UK_DATE = re.compile(r"^(\d{1,2} [A-Z][a-z]{2} \d{4})?$")


def listed(dash_call, quarter, page=0, sort_by=None, filter_query="", provider="all", status=None, changed=None):
    response = dash_call(
        "properties-list.data",
        {
            ("properties-quarter", "value"): quarter,
            ("properties-provider", "value"): provider,
            ("properties-status", "value"): status or STATUS,
            ("properties-list", "page_current"): page,
            ("properties-list", "sort_by"): sort_by or [],
            ("properties-list", "filter_query"): filter_query,
        },
        changed=changed,
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    text = response.get_data(as_text=True)
    assert "NaN" not in text and '"nan"' not in text.lower()
    return response.get_json()["response"]


@pytest.fixture(scope="module")
def latest(snapshot):
    props = snapshot.properties
    quarter = sorted(props["quarter"].unique())[-1]
    rows = props[(props["quarter"] == quarter) & props["status"].isin(STATUS)]
    assert len(rows) > 50, "the demo quarter should fill several pages"
    return quarter, rows


def test_first_page_is_25_rows_of_the_whole_list(dash_call, latest):
    quarter, rows = latest
    out = listed(dash_call, quarter)
    data = out["properties-list"]["data"]
    assert len(data) == 25
    assert out["properties-list"]["page_count"] == math.ceil(len(rows) / 25)
    assert out["properties-list"]["page_current"] == 0
    assert f"of {len(rows):,} " in out["properties-list-count"]["children"]
    assert {r["address"] for r in data} <= set(rows["address"])
    assert all(UK_DATE.match(r["date_in_use"]) for r in data), [r["date_in_use"] for r in data]
    assert all(v is None or isinstance(v, (int, float)) for r in data for v in (r["bedspaces"], r["occupied"]))


def test_numeric_filter_compares_numbers_and_pages(dash_call, latest):
    quarter, rows = latest
    expected = rows[rows["bedspaces"] > 3]
    assert 25 < len(expected) < len(rows)
    first = listed(dash_call, quarter, filter_query="{bedspaces} > 3")
    assert first["properties-list"]["page_count"] == math.ceil(len(expected) / 25)
    assert [r["bedspaces"] > 3 for r in first["properties-list"]["data"]] == [True] * 25
    pages = [first["properties-list"]["data"]]
    for page in range(1, first["properties-list"]["page_count"]):
        pages.append(listed(dash_call, quarter, page=page, filter_query="{bedspaces} > 3")["properties-list"]["data"])
    got = [r for p in pages for r in p]
    assert sorted((r["address"], r["bedspaces"]) for r in got) == sorted(
        zip(expected["address"], expected["bedspaces"].astype(int))
    )
    exactly = listed(dash_call, quarter, filter_query="{bedspaces} = 10")["properties-list-count"]["children"]
    assert f"of {int((rows['bedspaces'] == 10).sum()):,} " in exactly or "No properties" in exactly


def test_sort_then_second_page_follows_the_pandas_order(dash_call, latest):
    quarter, rows = latest
    order = rows.sort_values("bedspaces", ascending=False, kind="stable")["bedspaces"].astype(int).tolist()
    sort_by = [{"column_id": "bedspaces", "direction": "desc"}]
    second = listed(dash_call, quarter, page=1, sort_by=sort_by, changed=["properties-list.page_current"])
    assert second["properties-list"]["page_current"] == 1
    assert [r["bedspaces"] for r in second["properties-list"]["data"]] == order[25:50]
    by_date = listed(dash_call, quarter, sort_by=[{"column_id": "date_in_use", "direction": "asc"}])
    stamps = [pd.to_datetime(r["date_in_use"], format="%d %b %Y") for r in by_date["properties-list"]["data"]]
    assert stamps == sorted(stamps) and stamps[0] == pd.to_datetime(rows["date_in_use"]).min()


def test_a_new_control_value_goes_back_to_the_first_page(dash_call, latest):
    quarter, _ = latest
    out = listed(dash_call, quarter, page=3, changed=["properties-provider.value"])
    assert out["properties-list"]["page_current"] == 0


def test_text_filters_ignore_case_and_dates_read_the_uk_way(dash_call, latest):
    quarter, rows = latest
    provider = rows["provider"].iloc[0]
    out = listed(dash_call, quarter, filter_query=f"{{provider}} icontains {provider.lower()}")
    assert f"of {int((rows['provider'] == provider).sum()):,} " in out["properties-list-count"]["children"]
    assert {r["provider"] for r in out["properties-list"]["data"]} == {provider}
    after = listed(dash_call, quarter, filter_query="{date_in_use} i> 01/06/2024")
    expected = int((pd.to_datetime(rows["date_in_use"]) > pd.Timestamp(2024, 6, 1)).sum())
    assert f"of {expected:,} " in after["properties-list-count"]["children"]
    month = listed(dash_call, quarter, filter_query='{date_in_use} icontains "jun 2024"')
    in_june = rows["date_in_use"].fillna("").str.startswith("2024-06")
    words = month["properties-list-count"]["children"]
    assert (f"of {int(in_june.sum()):,} " in words) if in_june.any() else "No properties" in words
    both = listed(dash_call, quarter, filter_query=f"{{bedspaces}} >= 4 && {{provider}} icontains {provider.upper()}")
    expected = int(((rows["bedspaces"] >= 4) & (rows["provider"] == provider)).sum())
    assert f"of {expected:,} " in both["properties-list-count"]["children"]


def test_the_query_reader_understands_what_dash_sends():
    frame = pd.DataFrame({"n": [1, 12, 3, None], "t": ["Apple", "banana", None, "Cherry pie"]})
    kinds = {"n": "numeric", "t": "text"}
    assert [c.op for c in parse_filter("{n} > 3 && {t} icontains pie && {n} is blank")] == [">", "contains", "is blank"]
    assert query(frame, "{n} > 3", None, kinds).index.tolist() == [1]  # 12 > 3 as numbers, not as text
    assert query(frame, "{n} le 3", None, kinds).index.tolist() == [0, 2]
    assert query(frame, "{t} icontains AN", None, kinds).index.tolist() == [1]
    assert query(frame, '{t} icontains "y p"', None, kinds).index.tolist() == [3]
    assert query(frame, "{n} is blank", None, kinds).index.tolist() == [3]
    assert query(frame, None, [{"column_id": "n", "direction": "desc"}], kinds).index.tolist() == [1, 2, 0, 3]
    assert query(frame, "{nope} > 1 && {n} > 100", None, kinds).empty


def test_the_page_sends_no_more_than_a_page(client, dash_call, latest):
    quarter, _ = latest
    layout = dash_call.render("/properties")
    table = dash_call.find(layout, "properties-list")
    assert table["props"]["page_action"] == table["props"]["sort_action"] == table["props"]["filter_action"] == "custom"
    assert table["props"]["page_size"] == 25 and table["props"]["data"] == []
    numeric = [c for c in table["props"]["columns"] if c.get("type") == "numeric"]
    assert numeric and not any("filter_options" in c for c in numeric)
    assert "filter_options" not in table["props"]
    out = listed(dash_call, quarter)
    assert len(json.dumps(out["properties-list"]["data"])) < 20_000
