"""The Data page in a real browser: upload a monthly file, see what it holds, confirm, find it in the history, undo.

The uploaded file is one of the demo's own monthly files with one count
changed (so it is new to the store, and replaces that LA's month); the test
undoes it at the end so the demo store is as it was.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import sqlalchemy as sa


def _changed_month_file(inputs: Path, out: Path) -> tuple[Path, int, str]:
    """A copy of the latest long-layout CSV monthly file with its largest count raised by 7: (path, rows, month)."""
    manifest = list(csv.DictReader(open(inputs / "activity" / "manifest.csv", encoding="utf-8")))
    chosen = max(
        (r for r in manifest if r["kind"] == "home_office" and r["layout"] == "long_csv"), key=lambda r: r["month"]
    )
    source = inputs / "activity" / chosen["path"]
    text = source.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    people = [h.strip().lower() for h in header].index("people")
    biggest = max((i for i, r in enumerate(body) if r[people].isdigit()), key=lambda i: int(body[i][people]))
    body[biggest][people] = str(int(body[biggest][people]) + 7)
    out.mkdir(parents=True, exist_ok=True)
    path = out / source.name
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        csv.writer(fh).writerows([header, *body])
    return path, len(body), chosen["month"]


def _history_rows(browser) -> list[list[str]]:
    return browser.js(
        "return Array.prototype.map.call(document.querySelectorAll('#data-history tbody tr'), function (tr) {"
        "  return Array.prototype.map.call(tr.querySelectorAll('td'), function (td) { return td.textContent; }); });"
    )


def test_upload_confirm_history_and_undo(demo_browser, demo_store, e2e_work, tmp_path):
    path, rows, month = _changed_month_file(e2e_work / "demo" / "inputs", tmp_path / "upload")
    engine = sa.create_engine(demo_store)
    with engine.connect() as conn:
        loads_before = conn.execute(sa.text("SELECT COUNT(*) FROM loads")).scalar_one()

    demo_browser.open("/data", until="#data-history table")
    assert len(_history_rows(demo_browser)) == loads_before
    demo_browser.find("#data-upload input[type=file]").send_keys(str(path))
    demo_browser.wait_until(
        "return document.getElementById('data-preview').textContent.includes('What the file holds')",
        60,
        message="the preview of the uploaded file never appeared",
    )
    demo_browser.wait_idle()
    preview = demo_browser.text("#data-preview")
    assert path.name in preview and f"{rows:,}" in preview and month in preview
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM loads")).scalar_one() == loads_before, (
            "nothing is loaded before the officer confirms"
        )
    demo_browser.screenshot("data-preview")

    confirm = demo_browser.find("#data-confirm")
    assert confirm.is_enabled()
    confirm.click()
    demo_browser.wait_until(
        f"return document.querySelectorAll('#data-history tbody tr').length === {loads_before + 1}",
        60,
        message="the load never reached the history",
    )
    demo_browser.wait_idle()
    newest = _history_rows(demo_browser)[0]
    assert path.name in newest and month in newest and "active" in newest
    with engine.connect() as conn:
        load_id, file_name, status = conn.execute(
            sa.text("SELECT id, file_name, status FROM loads ORDER BY id DESC LIMIT 1")
        ).one()
    assert (file_name, status) == (path.name, "active") and str(load_id) == newest[0]
    demo_browser.screenshot("data-history")

    demo_browser.find("#data-undo-button").click()
    alert = demo_browser.driver.switch_to.alert
    alert.accept()
    demo_browser.wait_until(
        "return document.getElementById('data-message').textContent.includes('was undone')",
        60,
        message="undo did not report back",
    )
    demo_browser.wait_idle()
    with engine.connect() as conn:
        status = conn.execute(sa.text("SELECT status FROM loads WHERE id = :i"), {"i": load_id}).scalar_one()
        original = (
            conn.execute(
                sa.text("SELECT status FROM loads WHERE file_name = :f AND id <> :i"), {"f": path.name, "i": load_id}
            )
            .scalars()
            .all()
        )
    engine.dispose()
    assert status != "active"
    assert original == ["active"], "the month it had replaced is back in use"
    assert f"Load {load_id}" in demo_browser.text("#data-message")
    assert status in _history_rows(demo_browser)[0]
    assert not demo_browser.dash_problems()
