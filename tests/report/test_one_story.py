"""Issue 10, "done means": one policy and one home per rule, seen through the pack, the pages and the CLI.

One synthetic store (the demo region, built through :mod:`app.ingest`) with data-quality notes planted on
real loads: a Home Office file of one LA quoting a sector count, and a provider list covering two LAs
quoting a property postcode. Each check reads what a person would read: the pack's HTML, its workbook
(openpyxl) and its PDF (pdftotext); the dashboard's own page functions; the CLI's standard output.
"""

from __future__ import annotations

import importlib
import io
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app import monitoring
from app.cli import main
from app.config import load_settings
from app.figures import palette
from app.report import build, static_maps
from app.report.content import PackError, build_content
from app.security import accounts
from app.security.roles import MAKE_PACK, VIEW_AGGREGATES, Forbidden, scope_for
from app.store import db, schema

QUARTER = "2026Q2"
PASSWORD = "correct horse battery staple"
SECTOR_NOTE = "sector ZX13 1 in {name}: the Home Office count is 58 but the provider's list shows 13"
POSTCODE_NOTE = "property at ZX9 9QQ ({name}) is not in the postcode lookup"
OWN_NOTE = "sector ZX14 2 in {name}: the Home Office count is 21 but the provider's list shows 30"


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    lad_code: str | None = None
    region_code: str | None = None


class Store:
    def __init__(self, url: str):
        self.url = url
        self.engine = db.connect(url)
        self.settings = load_settings(url)
        self.snap = monitoring.snapshot(self.engine, self.settings)
        las = self.snap.areas[self.snap.areas["level"] == "lad"]
        self.names = dict(zip(las["area_code"].astype(str), las["area_name"].astype(str)))
        self.region = str(las["region_code"].dropna().iloc[0])

    def scope(self, role: str, lad: str | None = None, settings=None):
        snap = monitoring.snapshot(self.engine, settings or self.settings)
        return scope_for(Account(f"t-{role}", role, lad), snap.areas)


def _plant_notes(store: Store) -> tuple[str, str, str]:
    """Notes on this quarter's loads: B's Home Office file (sector of B), the list covering A and B (postcode
    of B), A's Home Office file (sector of A). Returns (A, B, the other LA of the two-LA list)."""
    with store.engine.begin() as conn:
        loads = pd.read_sql(sa.select(schema.loads), conn)
        months = [f"{QUARTER[:4]}-{m:02d}" for m in range(3 * int(QUARTER[-1]) - 2, 3 * int(QUARTER[-1]) + 1)]
        lists = loads[(loads["kind"] == "properties") & (loads["period"] == QUARTER) & (loads["status"] == "active")]
        shared = lists[lists["scope"].str.contains(",")].iloc[0]
        a, b = shared["scope"].split(",")[:2]
        ho = loads[(loads["kind"] == "home_office") & loads["period"].isin(months) & (loads["status"] == "active")]
        notes = [
            (int(ho[ho["scope"] == b]["id"].iloc[-1]), SECTOR_NOTE.format(name=store.names[b])),
            (int(shared["id"]), POSTCODE_NOTE.format(name=store.names[b])),
            (int(ho[ho["scope"] == a]["id"].iloc[-1]), OWN_NOTE.format(name=store.names[a])),
        ]
        for load_id, message in notes:
            conn.execute(
                sa.insert(schema.problems).values(
                    load_id=load_id, severity="warn", code="provider_mismatch", message=message
                )
            )
        conn.execute(sa.insert(schema.area_settings).values(area_code=a, allocation=400))
        conn.execute(sa.insert(schema.area_settings).values(area_code=b, allocation=250))
    return a, b


@pytest.fixture(scope="module")
def store(demo_template, tmp_path_factory) -> Store:
    work = tmp_path_factory.mktemp("one_story")
    made = Store(demo_template.copy(work / "demo.sqlite"))
    made.a, made.b = _plant_notes(made)
    made.snap = monitoring.snapshot(made.engine, made.settings)
    accounts.add(made.engine, "member-a", PASSWORD, "member", lad_code=made.a, created_by="test")
    accounts.add(made.engine, "officer-a", PASSWORD, "officer", lad_code=made.a, created_by="test")
    made.work = work
    return made


def _texts(pack: build.Pack, work: Path) -> str:
    """What a reader of the pack can read, in its own format."""
    if pack.fmt == "html":
        return pack.data.decode("utf-8")
    if pack.fmt == "xlsx":
        book = load_workbook(io.BytesIO(pack.data), read_only=True)
        return "\n".join(
            str(cell)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if cell is not None
        )
    path = work / "pack.pdf"
    path.write_bytes(pack.data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _make(store: Store, scope, fmt: str, *, la=None, region=None) -> build.Pack:
    return build.make_pack(store.engine, store.settings, scope, quarter=QUARTER, fmt=fmt, la=la, region=region)


# ------------------------------------------------------------------ the pack leak, in every format


@pytest.mark.parametrize("fmt", ["html", "xlsx", "pdf"])
def test_an_officers_pack_carries_no_sector_or_property_line_of_another_la(store, fmt):
    officer = store.scope("officer", store.a)
    sector_b = SECTOR_NOTE.format(name=store.names[store.b])
    postcode_b = "ZX9 9QQ"
    for where in ({"la": store.b}, {"region": store.region}, {"la": store.a}):
        text = _texts(_make(store, officer, fmt, **where), store.work)
        assert sector_b not in text and "ZX13 1" not in text, where
        assert postcode_b not in text, where
        assert "Data-quality notes" in text or "Data quality" in text
    own = _texts(_make(store, officer, fmt, la=store.a), store.work)
    assert "ZX14 2" in own  # the officer's own LA's file: its notes are theirs to read
    admin = _texts(
        _make(store, scope_for(Account("t-admin", "admin"), store.snap.areas), fmt, region=store.region), store.work
    )
    assert "ZX13 1" in admin and postcode_b in admin  # the notes are there to leak: the filter is what stops them


# ------------------------------------------------------------------ councillors: own LA only, one policy


def test_a_councillor_cannot_make_a_pack_or_see_a_profile_beyond_their_own_la(store):
    member = store.scope("member", store.a)
    inputs, _ = build.pack_inputs(store.engine, store.settings)
    assert member.allows(MAKE_PACK, store.a)
    assert not member.allows(MAKE_PACK, store.b) and not member.allows(MAKE_PACK, store.region)
    with pytest.raises(Forbidden):
        build_content(inputs, member, quarter=QUARTER, la=store.b)
    with pytest.raises(Forbidden):
        build_content(inputs, member, quarter=QUARTER, region=store.region)
    pack = build_content(inputs, member, quarter=QUARTER, la=store.a)
    assert pack.lad_codes == [store.a] and pack.suppressed
    # Profiles: the same policy gives a member no region total and no other LA.
    assert not member.allows(VIEW_AGGREGATES, store.region) and member.region_codes == frozenset()
    assert not member.allows(VIEW_AGGREGATES, store.b)
    with _page_context(store) as pages:
        cells = pages["profiles"].visible_rows(member, pages["profiles"].protected_profile("nationality"))
        assert set(cells["la"].astype(str)) == {store.names[store.a]}
        with pytest.raises(Forbidden):
            pages["profiles"].check_la_name(member, store.names[store.b])
    officer = store.scope("officer", store.a)
    assert officer.allows(MAKE_PACK, store.region) and officer.allows(VIEW_AGGREGATES, store.b)
    assert not officer.can_see_ward_breakdown(store.b) and officer.can_see_ward_breakdown(store.a)


# ------------------------------------------------------------------ one threshold, everywhere


def test_changing_approaching_changes_status_colours_legends_static_maps_and_pack_words_together(store):
    strict = load_settings(store.url, approaching=0.9)
    snap_08, snap_09 = store.snap, monitoring.snapshot(store.engine, strict)
    month = sorted(m for m in snap_08.months if m.startswith(QUARTER[:4]))[-1]
    wards_08 = snap_08.table[(snap_08.table["level"] == "ward") & (snap_08.table["month"] == month)]
    between = wards_08[(wards_08["share_of_limit"] >= 0.8) & (wards_08["share_of_limit"] < 0.9)]
    assert len(between), "the demo needs a ward between 80 and 90 % of the limit"
    code = str(between["area_code"].iloc[0])
    status_09 = snap_09.table.set_index(["area_code", "month"]).loc[(code, month), "status"]
    assert between["status"].iloc[0] == "approaching" and status_09 == "ok"

    with _page_context(store, strict) as pages:
        scope = store.scope("admin", settings=strict)
        la = str(between["lad_code"].iloc[0])
        figure = pages["wards"].ward_figure(scope, month, la)
        areas = figure["data"][0]
        z = dict(zip(areas["locations"], areas["z"]))
        colour = _colour_at(
            areas["colorscale"], (z[code] - palette.NO_DATA_Z) / (palette.SCALE_MAX - palette.NO_DATA_Z)
        )
        assert colour == palette.step_colour(0.5, 0.9) != palette.step_colour(0.85, 0.8)  # drawn "ok", not amber
        assert "90% approaching" in areas["colorbar"]["ticktext"]
        chart = pages["charts"].area_trend(
            snap_09.table[snap_09.table["area_code"] == code], approaching=strict.approaching
        )
        assert any(t.get("name") == "Approaching (90%)" for t in chart["data"])

    fig, ax = plt.subplots()
    static_maps._legend(ax, ["approaching", "ok"], False, False, strict.approaching)
    assert "Approaching the limit (90% or more)" in [t.get_text() for t in ax.get_legend().get_texts()]
    plt.close(fig)

    inputs, _ = build.pack_inputs(store.engine, strict)
    pack = build_content(inputs, scope_for(Account("t-admin", "admin"), snap_09.areas), quarter=QUARTER, la=la)
    assert pack.approaching == 0.9
    sources = " ".join(next(s for s in pack.sections if s.key == "sources").text)
    assert "from 90% of the limit" in sources
    wards_table = next(s for s in pack.sections if s.key == "wards").tables[0].frame
    if pack.month == month:
        assert code not in set(wards_table["Code"])  # at 85 % it is no longer "approaching" in the pack either


def _colour_at(scale: list[list], position: float) -> str:
    for (low, colour), (high, _) in zip(scale[::2], scale[1::2]):
        if low <= position < high:
            return colour
    return scale[-1][1]


# ------------------------------------------------------------------ page, pack and CLI: the same figure


def test_page_pack_and_cli_give_the_same_figures(store, capsys):
    month = sorted(m for m in store.snap.months if m <= f"{QUARTER[:4]}-{3 * int(QUARTER[-1]):02d}")[-1]
    inputs, _ = build.pack_inputs(store.engine, store.settings)
    for role in ("officer", "member"):
        scope = store.scope(role, store.a)
        pack = build_content(inputs, scope, quarter=QUARTER, la=store.a)
        assert pack.month == month
        with _page_context(store) as pages:
            page_rows = pages["wards"].table_data(scope, pages["wards"].ward_rows(scope, month, store.a))
        page_people = {r["area_code"]: str(r["people"]) for r in page_rows}
        pack_people = dict(zip(pack.ward_map["area_code"], pack.ward_map["people_display"]))
        code = main(
            [
                "summary",
                "--db",
                store.url,
                "--level",
                "ward",
                "--month",
                month,
                "--la",
                store.a,
                "--account",
                f"{role}-a",
                "--format",
                "json",
            ]
        )
        assert code == 0
        cli_people = {r["area_code"]: r["people"] for r in json.loads(capsys.readouterr().out)}
        assert set(page_people) == set(pack_people) == set(cli_people)
        for ward, shown in pack_people.items():
            page, cli = page_people[ward], cli_people[ward]
            if role == "member":
                assert _same(page) == _same(shown) == _same(cli), (ward, page, shown, cli)
                assert (
                    shown != "0" or store.snap.table.set_index(["area_code", "month"]).loc[(ward, month), "people"] == 0
                )
            else:
                assert float(page) == pytest.approx(float(cli), abs=0.05)
                assert float(shown.replace(",", "")) == pytest.approx(float(cli), abs=0.5)

    # Plan against actual: the overview chart and the pack's table, from one rule.
    admin = scope_for(Account("t-admin", "admin"), store.snap.areas)
    latest = str(store.snap.properties["quarter"].max())
    pack = build_content(inputs, admin, quarter=latest, la=store.a)
    table = next(s for s in pack.sections if s.key == "plan").tables[0].frame
    with _page_context(store) as pages:
        chart = pages["overview"].plan_figure(admin)
    occupied = dict(zip(chart["data"][1]["x"], chart["data"][1]["y"]))
    assert occupied[store.names[store.a]] == pytest.approx(float(table["Occupied dispersal bedspaces"].iloc[0]))
    props = store.snap.properties
    in_use = props[
        (props["quarter"] == latest)
        & (props["lad_code"] == store.a)
        & props["ward_code"].notna()
        & (props["status"].isna() | (props["status"] == "in use"))
        & props["accommodation_type"].fillna("dispersal").eq("dispersal")
    ]
    truth = in_use["occupied"].astype(float).fillna(in_use["bedspaces"].astype(float)).sum()
    assert occupied[store.names[store.a]] == pytest.approx(round(truth))


# ------------------------------------------------------------------ the dashboard's own functions


def _same(value) -> str:
    """A figure as read: "5", "5.0" and 5 are the same figure; words stay words."""
    text = str(value).replace(",", "")
    try:
        return f"{float(text):g}"
    except ValueError:
        return text


class _page_context:
    """The dashboard app pointed at this store (and settings) with an app context; restored afterwards."""

    def __init__(self, store: Store, settings=None):
        self.store, self.settings = store, settings or store.settings

    def __enter__(self):
        from app.web import create_app

        self.app = create_app(self.settings)
        self.before = self.app.server.config["DISPERSAL_SETTINGS"]
        self.app.server.config["DISPERSAL_SETTINGS"] = self.settings
        self.context = self.app.server.app_context()
        self.context.push()
        from app.figures import charts

        pages = {name: importlib.import_module(f"app.web.pages.{name}") for name in ("wards", "overview", "profiles")}
        return {**pages, "charts": charts}

    def __exit__(self, *exc):
        self.context.pop()
        self.app.server.config["DISPERSAL_SETTINGS"] = self.before
        return False


def test_pack_error_is_still_raised_for_a_quarter_without_data(store):
    inputs, _ = build.pack_inputs(store.engine, store.settings)
    with pytest.raises(PackError):
        build_content(inputs, store.scope("officer", store.a), quarter="2019Q1", la=store.a)


def test_the_national_ratio_setting_is_the_limit_the_pack_states(store):
    wider = load_settings(store.url, limit_ratio=150.0)
    snap = monitoring.snapshot(store.engine, wider)
    inputs, _ = build.pack_inputs(store.engine, wider)
    pack = build_content(inputs, scope_for(Account("t-admin", "admin"), snap.areas), quarter=QUARTER, la=store.a)
    sources = " ".join(next(s for s in pack.sections if s.key == "sources").text)
    assert "the limit is 1 person per 150 residents" in sources and "per 200" not in sources
