"""The Data page: upload, preview, confirm, history, undo, refusals (on a copy of the demo store)."""

from __future__ import annotations

import base64
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from app.store import db, queries
from tests.stores import copy_store


@pytest.fixture
def store_copy(demo_store, use_store, tmp_path):
    url = copy_store(demo_store, tmp_path / "store.sqlite")
    with use_store(url):
        yield url
    db.dispose(url)


@pytest.fixture
def monthly_file(demo_store, tmp_path):
    """The latest generated month of one LA in the plain layout, with one count changed (so: new bytes)."""
    activity = Path(demo_store.removeprefix("sqlite:///")).parent / "inputs" / "activity"
    manifest = pd.read_csv(activity / "manifest.csv", dtype=str)
    plain = manifest[(manifest["kind"] == "home_office") & (manifest["layout"] == "long_csv")]
    latest = plain.sort_values("month").iloc[-1]
    frame = pd.read_csv(activity / latest["path"], dtype=str)
    frame.loc[0, "people"] = str(int(frame.loc[0, "people"]) + 5)
    path = tmp_path / Path(latest["path"]).name
    frame.to_csv(path, index=False)
    return path, frame, latest


def contents(path: Path) -> str:
    return "data:text/csv;base64," + base64.b64encode(path.read_bytes()).decode()


def upload(dash_call, path: Path, kind="home_office", provider=None, month=None):
    response = dash_call(
        "data-preview.children",
        {("data-upload", "contents"): contents(path)},
        state={
            ("data-upload", "filename"): path.name,
            ("data-kind", "value"): kind,
            ("data-provider", "value"): provider,
            ("data-month", "value"): month,
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"]


def action(dash_call, trigger: str | None, pending=None):
    changed = {"confirm": ["data-confirm.n_clicks"], "undo": ["data-undo.submit_n_clicks"], None: []}[trigger]
    response = dash_call(
        "data-message.children",
        {("data-confirm", "n_clicks"): 1, ("data-undo", "submit_n_clicks"): 1},
        state={("data-pending", "data"): pending},
        changed=changed,
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"]


def rows_of(tree) -> list[list[str]]:
    table = tree["props"]["children"][0]
    body = next(p for p in table["props"]["children"] if p["type"] == "Tbody")
    return [[str(td["props"]["children"]) for td in tr["props"]["children"]] for tr in body["props"]["children"]]


def store_rows(engine) -> dict:
    """The store's rows except the audit log, which records every upload, load and undo (checked apart)."""
    rows = queries.snapshot(engine)
    rows.pop("audit_log", None)
    return rows


def without_load(snapshot: dict, load_id: int) -> dict:
    """The store's rows except those the given load added, and the version counter.

    The kept figures are recomputed on undo (new row ids, new month stamps): their values must be the same.
    """
    out = {}
    for name, rows in snapshot.items():
        if name == "loads":
            rows = [r for r in rows if r[0] != load_id]
        elif name in ("ho_records", "problems", "properties", "public_stats", "load_coverage"):
            rows = [r for r in rows if r[1] != load_id]
        elif name == "store_meta":
            rows = [r for r in rows if r[0] != "version" and not r[0].startswith("figures:")]
        elif name == "area_figures":
            rows = sorted((*r[1:7], round(r[7], 9), round(r[8], 9), r[9]) for r in rows)
        out[name] = rows
    return out


def test_the_page_answers_with_the_history(client, dash_call, store_copy):
    assert client.get("/data").status_code == 200
    layout = dash_call.render("/data")
    assert dash_call.find(layout, "data-upload") is not None
    out = action(dash_call, None)
    assert out["data-message"]["children"] is None
    history = queries.load_history(db.connect(store_copy))
    shown = rows_of(out["data-history"]["children"])
    assert [int(r[0]) for r in shown] == history["id"].tolist()[: len(shown)]


def test_upload_preview_confirm_and_undo(dash_call, store_copy, monthly_file):
    path, frame, latest = monthly_file
    engine = db.connect(store_copy)
    before = store_rows(engine)

    preview = upload(dash_call, path)
    text = dash_call.text(preview["data-preview"]["children"])
    assert path.name in text and latest["month"] in text and f"{len(frame):,}" in text
    people = pd.to_numeric(frame["people"]).sum()
    assert f"{people:,.0f}" in text
    assert "Nothing has been loaded yet" in text
    assert preview["data-confirm"]["disabled"] is False
    pending = preview["data-pending"]["data"]
    assert pending["file"] == path.name
    saved = Path(tempfile.gettempdir()) / pending["token"] / path.name
    assert saved.read_bytes() == path.read_bytes()
    assert not saved.resolve().is_relative_to(Path(__file__).resolve().parents[2])
    assert store_rows(engine) == before, "a preview must load nothing"

    done = action(dash_call, "confirm", pending)
    assert f"loaded {len(frame)} rows" in dash_call.text(done["data-message"]["children"])
    assert not saved.exists()
    history = queries.load_history(engine)
    new = history.iloc[0]
    assert (new["file_name"], new["status"], new["period"]) == (path.name, "active", latest["month"])
    replaced = history[history["superseded_by"] == new["id"]]
    assert len(replaced) == 1 and replaced["status"].iloc[0] == "superseded"
    top = rows_of(done["data-history"]["children"])[0]
    assert int(top[0]) == new["id"] and top[2] == path.name and top[8] == "active"
    again = action(dash_call, "confirm", pending)
    assert "nothing to confirm" in dash_call.text(again["data-message"]["children"])

    undone = action(dash_call, "undo")
    assert f"Load {int(new['id'])}" in dash_call.text(undone["data-message"]["children"])
    after = store_rows(engine)
    assert without_load(after, int(new["id"])) == without_load(before, int(new["id"]))
    statuses = queries.load_history(engine).set_index("id")["status"]
    assert statuses[int(new["id"])] == "undone" and statuses[int(replaced["id"].iloc[0])] == "active"


def test_a_bad_file_shows_its_problems_and_loads_nothing(dash_call, store_copy, monthly_file, tmp_path):
    path, frame, _ = monthly_file
    bad = frame.copy()
    bad.loc[3, "local_authority"] = "Atlantis"
    bad_path = tmp_path / "bad" / path.name
    bad_path.parent.mkdir()
    bad.to_csv(bad_path, index=False)
    engine = db.connect(store_copy)
    before = store_rows(engine)
    out = upload(dash_call, bad_path)
    assert out["data-pending"]["data"] is None and out["data-confirm"]["disabled"] is True
    tree = out["data-preview"]["children"]
    assert "cannot be loaded" in dash_call.text(tree)
    rows = rows_of({"props": {"children": [tree["props"]["children"][2]["props"]["children"][0]]}})
    assert [path.name, "5", "local_authority"] == [rows[0][0], rows[0][2], rows[0][3]]
    assert "Atlantis" in rows[0][4]
    assert store_rows(engine) == before


def test_a_property_list_needs_its_provider(dash_call, store_copy, monthly_file):
    path, _, _ = monthly_file
    out = upload(dash_call, path, kind="properties", provider="")
    assert "choose the provider" in dash_call.text(out["data-preview"]["children"])
    assert out["data-pending"]["data"] is None


def test_preview_and_result_say_what_changed(dash_call, store_copy, monthly_file, tmp_path):
    """A monthly file that pushes one sector's wards over the limit: the preview says so, the result lists them."""
    from app import monitoring
    from app.cluster.changes import previous_month
    from app.config import load_settings

    path, frame, latest = monthly_file
    engine = db.connect(store_copy)
    snap = monitoring.snapshot(engine, load_settings(store_copy))
    month = latest["month"]
    wards = snap.table[(snap.table["level"] == "ward")].set_index(["month", "area_code"])["status"]
    calm = {
        w
        for w in snap.weights["ward_code"]
        if wards.get((month, w)) == "ok" and wards.get((previous_month(month), w)) == "ok"
    }
    sectors = snap.weights.groupby("postcode_sector")["ward_code"].agg(set)
    sector_column = next(c for c in frame.columns if "sector" in c.lower())
    row = next(i for i, s in frame[sector_column].items() if s in sectors.index and sectors[s] <= calm)
    frame.loc[row, "people"] = str(int(frame.loc[row, "people"]) + 400)
    frame.to_csv(path, index=False)
    pushed = sectors[frame.loc[row, sector_column]]

    preview = upload(dash_call, path)
    text = dash_call.text(preview["data-preview"]["children"])
    assert "If loaded: what would change" in text and "Newly over the limit" in text
    done = action(dash_call, "confirm", preview["data-pending"]["data"])
    panel = dash_call.find(done["data-message"]["children"], "data-changes-table")
    listed = [
        r["props"]["data-area"]
        for r in panel["props"]["children"][2]["props"]["children"]
        if r["props"]["data-change"] == "newly over the limit"
    ]
    after = monitoring.snapshot(engine, load_settings(store_copy)).table
    now = after[(after["level"] == "ward") & (after["month"] == month)].set_index("area_code")["status"]
    over = {w for w in pushed if now[w] == "breach"}
    assert over and over <= set(listed)
    names = snap.areas.set_index("area_code")["area_name"]
    assert all(names[w] in text for w in over)


def test_the_month_box_settles_a_month_the_file_cannot_give(dash_call, store_copy, monthly_file, tmp_path):
    path, frame, latest = monthly_file
    undated = tmp_path / "return.csv"
    frame.drop(columns=["month"]).to_csv(undated, index=False)
    engine = db.connect(store_copy)
    before = store_rows(engine)
    refused = dash_call.text(upload(dash_call, undated)["data-preview"]["children"])
    assert "the month of the data is not in the file" in refused
    bad = dash_call.text(upload(dash_call, undated, month="March")["data-preview"]["children"])
    assert "the month box says 'March': write the month as YYYY-MM" in bad
    preview = upload(dash_call, undated, month=latest["month"])
    assert latest["month"] in dash_call.text(preview["data-preview"]["children"])
    assert preview["data-pending"]["data"]["month"] == latest["month"] and preview["data-confirm"]["disabled"] is False
    assert store_rows(engine) == before


def test_confirm_and_undo_send_the_alert(dash_call, store_copy, monthly_file, use_store, smtp_inbox, monkeypatch):
    """The Data page's load and undo each send the digest to the recipients of the file's LA (a real SMTP server)."""
    from app.security import alert_recipients

    path, _frame, latest = monthly_file
    engine = db.connect(store_copy)
    with engine.connect() as conn:
        codes = list(queries.areas(conn, level="lad")["area_code"])
    for code in codes:
        alert_recipients.add(engine, code, f"{code.lower()}@council.example.org", who="tests")
    monkeypatch.setenv("DISPERSAL_SMTP_HOST", smtp_inbox.host)
    monkeypatch.setenv("DISPERSAL_SMTP_PORT", str(smtp_inbox.port))
    with use_store(store_copy):  # the app's settings read again, with the SMTP server
        pending = upload(dash_call, path)["data-pending"]["data"]
        done = action(dash_call, "confirm", pending)
        new = queries.load_history(engine).iloc[0]
        words = dash_call.text(done["data-message"]["children"])
        assert f"e-mail alerts: for {latest['month']} sent to 1 recipient(s)" in words
        undone = action(dash_call, "undo")
    assert f"E-mail alerts: for {latest['month']} sent to 1 recipient(s)." in dash_call.text(
        undone["data-message"]["children"]
    )
    (lad,) = str(new["scope"]).split(",")
    assert [r for r, _ in smtp_inbox.messages] == [[f"{lad.lower()}@council.example.org"]] * 2
    loaded, undo = (m.get_body(("plain",)).get_content() for _, m in smtp_inbox.messages)
    assert f"{path.name} for {latest['month']} was loaded" in loaded and "was undone" in undo
