"""The provider meeting pack (issue 6) from real stores: the synthetic demo region and the real North East.

Each pack is opened the way a reader would (pdftotext / pdftoppm for the PDF, openpyxl for the workbook,
an HTML parser and headless Chromium for the HTML) and its content is compared with figures computed here
from the store's snapshot: the monitoring table, diff_quarters, the property lists, the proposals entered.
"""

from __future__ import annotations

import html as html_module
import json
import re
import subprocess
import tempfile
import time
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app import monitoring
from app.cli import main
from app.cluster.apportion import previous_quarter
from app.cluster.property_changes import diff_quarters
from app.config import load_settings
from app.report import build
from app.report.content import build_content
from app.report.xlsx import HEADER_ROW
from app.security import accounts, audit
from app.store import db, schema
from app.store import proposals as proposal_log

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
PASSWORD = "correct horse battery staple"
QUARTER = "2026Q3"
FORMULA = '=HYPERLINK("http://evil.example/","click")'


# ------------------------------------------------------------------ stores and packs (built once per module)


class Store:
    def __init__(self, url: str):
        self.url = url
        self.engine = db.connect(url)
        self.settings = load_settings(url)
        self.snap = monitoring.snapshot(self.engine, self.settings)

    def month_in(self, quarter: str) -> str:
        year, q = int(quarter[:4]), int(quarter[-1])
        return [m for m in self.snap.months if m <= f"{year}-{3 * q:02d}"][-1]

    def rows(self, level: str, month: str, lad: str | None = None) -> pd.DataFrame:
        t = self.snap.table
        rows = t[(t["level"] == level) & (t["month"] == month)]
        return rows[rows["lad_code"] == lad] if lad else rows


def _worst_la(store: Store, month: str) -> str:
    """The LA with the most wards over the limit (so the pack has wards, maps and placements to show)."""
    wards = store.rows("ward", month)
    return str(wards[wards["status"] == "breach"].groupby("lad_code").size().idxmax())


@pytest.fixture(scope="module")
def synthetic(demo_template, tmp_path_factory) -> Store:
    store = Store(demo_template.copy(tmp_path_factory.mktemp("report_synthetic") / "demo.sqlite"))
    store.la = _worst_la(store, store.month_in(QUARTER))
    engine = store.engine
    with engine.begin() as conn:
        conn.execute(sa.insert(schema.area_settings).values(area_code=store.la, allocation=300))
        ward = store.rows("ward", store.month_in(QUARTER), store.la)["area_code"].iloc[0]
        for postcode, received, response, notes in (
            ("ZX1 1AA", "2026-07-14", "objected", "Ward already over the limit"),
            ("ZX1 1AB", "2026-08-02", "supported", FORMULA),
            ("ZX1 1AD", "2026-09-30", "pending", None),
            ("ZX1 1AE", "2026-03-01", "supported", "outside the quarter"),
        ):
            proposal_log.add_proposal(
                conn,
                postcode=postcode,
                bedspaces=4,
                is_hmo=False,
                created_by="test",
                ward_code=ward,
                lad_code=store.la,
                provider="Mears",
                received_date=received,
                response=response,
                notes=notes,
            )
    for name, role in (("pack-officer", "officer"), ("pack-member", "member")):
        accounts.add(engine, name, PASSWORD, role, lad_code=store.la)
    return store


@pytest.fixture(scope="module")
def north_east(north_east_template, tmp_path_factory) -> Store:
    return Store(north_east_template.copy(tmp_path_factory.mktemp("report_north_east") / "ne.sqlite"))


def run_cli(*argv) -> tuple[int, float]:
    started = time.perf_counter()
    code = main([str(a) for a in argv])
    return code, time.perf_counter() - started


def _packs_as(store: Store, user: str, out: Path) -> dict[str, Path]:
    """The LA's pack in each format, through the CLI as that account."""
    paths = {}
    for fmt in ("pdf", "html", "xlsx"):
        paths[fmt] = out / f"pack.{fmt}"
        code, _ = run_cli(
            "report", "--db", store.url, "--la", store.la, "--quarter", QUARTER, "--out", paths[fmt], "--user", user
        )
        assert code == 0
    return paths


@pytest.fixture(scope="module")
def officer_packs(synthetic, tmp_path_factory) -> dict[str, Path]:
    return _packs_as(synthetic, "pack-officer", tmp_path_factory.mktemp("officer_packs"))


@pytest.fixture(scope="module")
def member_packs(synthetic, tmp_path_factory) -> dict[str, Path]:
    """The councillor's pack: the member's account."""
    return _packs_as(synthetic, "pack-member", tmp_path_factory.mktemp("member_packs"))


# ------------------------------------------------------------------ readers


def pdf_pages(path: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [page for page in text.split("\f") if page.strip()]


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def sheet(path: Path, name: str) -> pd.DataFrame:
    ws = load_workbook(path)[name]
    rows = list(ws.iter_rows(min_row=HEADER_ROW, values_only=True))
    header = [c for c in rows[0] if c is not None]
    body = [r[: len(header)] for r in rows[1:] if any(v is not None for v in r)]
    if body and body[0][0] == "None.":
        body = []
    return pd.DataFrame(body, columns=header)


class Tables(HTMLParser):
    """Tables (by id) as lists of rows of cell text; every src/href attribute; script texts."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.links: list[str] = []
        self.scripts: list[str] = []
        self._table = self._row = self._cell = None
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.links += [v for k, v in attrs.items() if k in ("src", "href", "data", "poster") and v]
        if tag == "table":
            self._table = attrs.get("id")
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ""
        elif tag == "script":
            self._in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(self._cell)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None
        elif tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        if self._in_script:
            self.scripts[-1] += data


def parse_html(path: Path) -> Tables:
    parser = Tables()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def readme_attribution() -> list[str]:
    text = (REFERENCE / "README.md").read_text(encoding="utf-8")
    section = text.split("## Licences and attribution", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^- [^:]+: \*(.+)\*\s*$", section, re.M)


# ------------------------------------------------------------------ the officer's pack (synthetic region)


def test_xlsx_position_wards_and_changes_match_the_store(synthetic, officer_packs):
    path, month, la = officer_packs["xlsx"], synthetic.month_in(QUARTER), synthetic.la
    book = load_workbook(path)
    assert {
        "About",
        "Position",
        "Trend",
        "Wards",
        "Property changes",
        "Placed over limit",
        "Sector mismatches",
        "Plan vs actual",
        "Bedspace growth",
        "Proposals",
        "Data quality",
        "Sources",
    } <= set(book.sheetnames)
    assert all(book[name]["A1"].value == "OFFICIAL-SENSITIVE" for name in book.sheetnames)

    expected = synthetic.rows("la", month, la).iloc[0]
    position = sheet(path, "Position")
    assert position["Code"].tolist() == [la]
    assert position["Share of the limit (%)"].iloc[0] == pytest.approx(round(expected["share_of_limit"] * 100, 1))
    assert position["People supported"].iloc[0] == pytest.approx(round(expected["people"], 1))

    trend = sheet(path, "Trend")
    assert trend["Month"].tolist() == [m for m in synthetic.snap.months if m <= month][-12:]

    wards = synthetic.rows("ward", month, la)
    flagged = wards[wards["status"].isin(["breach", "approaching"])]
    shown = sheet(path, "Wards")
    assert sorted(shown["Code"]) == sorted(flagged["area_code"])
    over = set(shown.loc[shown["Status (local indicator)"] == "Over the limit", "Code"])
    assert over == set(flagged.loc[flagged["status"] == "breach", "area_code"])

    props = synthetic.snap.properties
    props = props[props["lad_code"] == la]
    diff = diff_quarters(props[props["quarter"] == previous_quarter(QUARTER)], props[props["quarter"] == QUARTER])
    changes = sheet(path, "Property changes")
    assert len(diff) > 0
    assert sorted(zip(changes["Change"], changes["Postcode"])) == sorted(zip(diff["change"], diff["postcode"]))

    before = synthetic.rows("ward", synthetic.month_in(previous_quarter(QUARTER)), la)
    over_before = set(before.loc[before["status"] == "breach", "area_code"])
    placed = diff[(diff["change"] == "new") & diff["ward_code"].isin(over_before)]
    assert sorted(sheet(path, "Placed over limit")["Postcode"]) == sorted(placed["postcode"])


def test_xlsx_plan_proposals_sources_and_formula_escaping(synthetic, officer_packs):
    path, la = officer_packs["xlsx"], synthetic.la
    props = synthetic.snap.properties
    current = props[
        (props["quarter"] == QUARTER)
        & (props["lad_code"] == la)
        & props["ward_code"].notna()
        & props["status"].isin(["in use"])
        & props["accommodation_type"].eq("dispersal")
    ]
    occupied = current["occupied"].astype(float).fillna(current["bedspaces"].astype(float)).sum()
    plan = sheet(path, "Plan vs actual")
    assert plan["Allocation (agreed bedspaces)"].tolist() == [300]
    assert plan["Occupied dispersal bedspaces"].iloc[0] == pytest.approx(round(occupied))
    assert plan["Occupied less allocation"].iloc[0] == pytest.approx(round(occupied - 300))

    proposals = sheet(path, "Proposals")
    assert sorted(proposals["Postcode"]) == ["ZX1 1AA", "ZX1 1AB", "ZX1 1AD"]  # not the one received in March
    assert dict(zip(proposals["Postcode"], proposals["Response"]))["ZX1 1AA"] == "objected"
    ws = load_workbook(path)["Proposals"]
    notes = [c for row in ws.iter_rows(min_row=HEADER_ROW + 1) for c in row if c.value == FORMULA]
    assert len(notes) == 1 and notes[0].data_type == "s" and notes[0].quotePrefix
    formulas = [
        c
        for name in load_workbook(path).sheetnames
        for row in load_workbook(path)[name].iter_rows()
        for c in row
        if c.data_type == "f"
    ]
    assert formulas == []

    about = [v for row in load_workbook(path)["About"].iter_rows(values_only=True) for v in row if v]
    assert set(readme_attribution()) <= set(about)
    sources = sheet(path, "Sources")
    assert set(sources["What"]) >= {"Home Office monthly data", "Provider property list"}
    assert set(synthetic.snap.months[-3:]) <= set(sources["Period"])


def test_pdf_text_pages_and_pictures(synthetic, officer_packs, tmp_path):
    path, month, la = officer_packs["pdf"], synthetic.month_in(QUARTER), synthetic.la
    pages = pdf_pages(path)
    assert len(pages) >= 5
    assert all(page.count("OFFICIAL-SENSITIVE") >= 2 for page in pages)  # header and footer of every page
    text = flat("\n".join(pages))
    la_name = synthetic.snap.areas.set_index("area_code").loc[la, "area_name"]
    expected = synthetic.rows("la", month, la).iloc[0]
    assert f"Provider meeting pack: {la_name}, {QUARTER}" in text
    assert f"{expected['people']:,.1f} people supported against a limit of {expected['limit']:,.1f}" in text
    wards = synthetic.rows("ward", month, la)
    for name in wards.loc[wards["status"] == "breach", "area_name"]:
        assert name in text
    for line in readme_attribution():
        assert flat(line) in text
    assert "Properties added, removed and changed" in text and "Proposals received in 2026Q3" in text

    subprocess.run(["pdftoppm", "-r", "30", "-gray", "-png", str(path), str(tmp_path / "page")], check=True)
    pictures = sorted(tmp_path.glob("page-*.png"))
    assert len(pictures) == len(pages)
    from PIL import Image

    wards_page = next(i for i, page in enumerate(pages) if f"Wards at {month} (local indicator)" in page)
    ink = [int((np.asarray(Image.open(p).convert("L")) < 128).sum()) for p in pictures]
    assert ink[wards_page] > 2 * min(ink)  # the map page carries far more ink than a text page


def test_html_is_self_contained_with_the_same_tables(synthetic, officer_packs):
    path, month, la = officer_packs["html"], synthetic.month_in(QUARTER), synthetic.la
    page = parse_html(path)
    assert page.links == []  # no src/href at all: nothing to fetch
    from plotly.offline import get_plotlyjs

    assert any(get_plotlyjs()[:300] in s for s in page.scripts)
    assert any("window.PlotlyGeoAssets" in s and "world_110m" in s for s in page.scripts)
    wards = synthetic.rows("ward", month, la)
    flagged = wards[wards["status"].isin(["breach", "approaching"])]
    table = page.tables["t-wards"]
    codes = [row[2] for row in table[1:]]
    assert table[0][2] == "Code" and sorted(codes) == sorted(flagged["area_code"])
    position = page.tables["t-position"]
    assert position[1][
        position[0].index("Share of the limit (%)")
    ] == f"{round(synthetic.rows('la', month, la).iloc[0]['share_of_limit'] * 100, 1):,.1f}".removesuffix(".0")
    text = html_module.unescape(path.read_text(encoding="utf-8"))
    assert all(line in text for line in readme_attribution())


def test_html_opens_offline_in_chromium_without_a_request(officer_packs):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tempfile.mkdtemp()}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.get(officer_packs["html"].as_uri())
        drawn = 0
        for _ in range(150):
            drawn = driver.execute_script(
                "return document.querySelectorAll('#fig-ward-map path.choroplethlocation').length"
            )
            if drawn:
                break
            time.sleep(0.1)
        time.sleep(0.3)
        requests = [json.loads(e["message"])["message"] for e in driver.get_log("performance")]
        urls = [m["params"]["request"]["url"] for m in requests if m["method"] == "Network.requestWillBeSent"]
    finally:
        driver.quit()
    assert drawn > 0  # the interactive ward map was drawn
    assert officer_packs["html"].as_uri() in urls
    assert [u for u in urls if u.startswith(("http:", "https:", "ws:", "wss:"))] == []


def test_every_pack_is_audited(synthetic, officer_packs, member_packs):
    entries = audit.query(synthetic.engine, action=audit.EXPORT)
    mine = entries[entries["who"] == "pack-officer"]
    assert len(mine) == 3 and set(mine["what"]) == {f"meeting pack {synthetic.la} {QUARTER}"}
    details = [json.loads(d) for d in mine["details"]]
    assert sorted(d["format"] for d in details) == ["html", "pdf", "xlsx"]
    assert {d["marking"] for d in details} == {"OFFICIAL-SENSITIVE"}
    assert all("address" not in d for d in details)
    member = [json.loads(d) for d in entries.loc[entries["who"] == "pack-member", "details"]]
    assert len(member) == 3 and {d["marking"] for d in member} == {"OFFICIAL"}


# ------------------------------------------------------------------ the member's pack


def _counts_ok(values) -> list:
    """Counts that break the rule: 1 to 4 shown as a number, or a ward count not rounded to 5."""
    bad = []
    for value in values:
        text = str(value).replace(",", "")
        if text in ("fewer than 5", "withheld", "", "None"):
            continue
        number = float(text)
        if 0 < number < 5 or number % 5:
            bad.append(value)
    return bad


def test_member_pack_suppresses_and_hides_properties(synthetic, member_packs):
    la, month = synthetic.la, synthetic.month_in(QUARTER)
    props = synthetic.snap.properties
    props = props[props["lad_code"] == la]
    addresses = set(props["address"].dropna()) | set(props["postcode"].dropna())
    assert addresses

    book = load_workbook(member_packs["xlsx"])
    assert all(book[name]["A1"].value == "OFFICIAL" for name in book.sheetnames)
    assert "Sector mismatches" not in book.sheetnames
    cells = {str(v) for name in book.sheetnames for row in book[name].iter_rows(values_only=True) for v in row if v}
    assert not cells & addresses
    wards = sheet(member_packs["xlsx"], "Wards")
    assert "Share of the limit (%)" not in wards.columns and len(wards)
    assert _counts_ok(wards["People supported"]) == []
    changes = sheet(member_packs["xlsx"], "Property changes")
    for column in changes.columns[1:]:
        assert not {str(v) for v in changes[column]} & {"1", "2", "3", "4"}
    assert "Postcode" not in sheet(member_packs["xlsx"], "Proposals").columns

    text = flat("\n".join(pdf_pages(member_packs["pdf"])))
    assert "OFFICIAL-SENSITIVE" not in text and "OFFICIAL" in text
    assert not [a for a in addresses if a in text]
    html = member_packs["html"].read_text(encoding="utf-8")
    page = parse_html(member_packs["html"])
    assert not [a for a in addresses if a in html]
    assert "Property in use" not in html and "New property this quarter" not in html
    assert _counts_ok([row[4] for row in page.tables["t-wards"][1:]]) == []
    figures = re.findall(r'Plotly\.newPlot\("fig-ward-map",(\[.*?\]),\{', html)
    traces = json.loads(figures[0])
    assert [t for t in traces if t.get("type") == "scattergeo" and "Property" in t.get("name", "")] == []
    ward_figure = traces[0]
    true_people = synthetic.rows("ward", month, la).set_index("area_code")["people"]
    shown = {code: data[0] for code, data in zip(ward_figure["locations"], ward_figure["customdata"])}
    assert _counts_ok(shown.values()) == []
    assert any(str(v) == "fewer than 5" for v in shown.values()) == bool(
        ((true_people > 0.5) & (true_people < 4.5)).any()
    )


def test_member_cannot_make_another_las_pack(synthetic, tmp_path):
    other = next(c for c in synthetic.snap.areas.query("level == 'lad'")["area_code"] if c != synthetic.la)
    out = tmp_path / "other.pdf"
    code, _ = run_cli(
        "report", "--db", synthetic.url, "--la", other, "--quarter", QUARTER, "--out", out, "--user", "pack-member"
    )
    assert code == 1 and not out.exists()
    denied = audit.query(synthetic.engine, action=audit.ACCESS_DENIED)
    assert "pack-member" in set(denied["who"])
    code, _ = run_cli("report", "--db", synthetic.url, "--la", synthetic.la, "--quarter", "2031Q1", "--out", out)
    assert code == 2 and not out.exists()


def test_councillors_version_by_role_option_equals_the_members_pack(synthetic, member_packs, tmp_path):
    out = tmp_path / "councillors.xlsx"
    code, _ = run_cli(
        "report", "--db", synthetic.url, "--la", synthetic.la, "--quarter", QUARTER, "--out", out, "--as-role", "member"
    )
    assert code == 0
    for name in ("Wards", "Position", "Property changes", "Bedspace growth"):
        assert sheet(out, name).equals(sheet(member_packs["xlsx"], name))


# ------------------------------------------------------------------ real North East geography


def test_north_east_la_and_region_packs(north_east, tmp_path):
    month = north_east.snap.months[-1]
    quarter = f"{month[:4]}Q{(int(month[5:]) - 1) // 3 + 1}"
    flagged = north_east.rows("ward", month).query("status in ['breach', 'approaching']")
    la = flagged["lad_code"].value_counts().idxmax()  # the pack with the most wards to list
    la_name = north_east.snap.areas.set_index("area_code").loc[la, "area_name"]
    timings = {}
    for fmt in ("pdf", "html", "xlsx"):
        code, seconds = run_cli(
            "report", "--db", north_east.url, "--la", la, "--quarter", quarter, "--out", tmp_path / f"la.{fmt}"
        )
        assert code == 0
        timings[fmt] = seconds
    expected = north_east.rows("la", month, la).iloc[0]
    text = flat("\n".join(pdf_pages(tmp_path / "la.pdf")))
    assert f"Provider meeting pack: {la_name}" in text
    assert f"{expected['people']:,.1f} people supported against a limit of {expected['limit']:,.1f}" in text
    wards = north_east.rows("ward", month, la)
    assert len(wards) == len(north_east.snap.areas.query("level == 'ward' and lad_code == @la"))
    for name in wards.loc[wards["status"] == "breach", "area_name"]:
        assert name in text
    assert "No comparison" in text  # no property lists in this store
    page = parse_html(tmp_path / "la.html")
    assert page.links == []
    assert sorted(row[2] for row in page.tables["t-wards"][1:]) == sorted(
        wards.loc[wards["status"].isin(["breach", "approaching"]), "area_code"]
    )

    code, _ = run_cli(
        "report", "--db", north_east.url, "--region", "E12000001", "--quarter", quarter, "--out", tmp_path / "ne.xlsx"
    )
    assert code == 0
    position = sheet(tmp_path / "ne.xlsx", "Position")
    las = north_east.rows("la", month)
    assert sorted(position.loc[position["Flag"] == "official flag (LA)", "Code"]) == sorted(las["area_code"])
    share = dict(zip(position["Code"], position["Share of the limit (%)"]))
    for code_, value in zip(las["area_code"], las["share_of_limit"]):
        assert share[code_] == pytest.approx(round(value * 100, 1))
    region = north_east.rows("region", month).iloc[0]
    assert share["E12000001"] == pytest.approx(round(region["share_of_limit"] * 100, 1))
    assert len(sheet(tmp_path / "ne.xlsx", "Wards")) == int(
        north_east.rows("ward", month)["status"].isin(["breach", "approaching"]).sum()
    )
    print("north east pack seconds", timings)


def test_region_pack_for_an_officer_shows_properties_of_their_own_la_only(synthetic):
    inputs, _ = build.pack_inputs(synthetic.engine, synthetic.settings)
    officer = build.cli_scope(synthetic.engine, synthetic.settings, user="pack-officer", operator="x")
    region = synthetic.snap.areas.set_index("area_code").loc[synthetic.la, "region_code"]
    content = build_content(inputs, officer, quarter=QUARTER, region=region, generated_at=None)
    changes = next(t for t in content.tables() if t.key == "property_changes").frame
    la_name = synthetic.snap.areas.set_index("area_code").loc[synthetic.la, "area_name"]
    assert len(changes) and set(changes["LA"]) == {la_name}
    assert len(content.lad_codes) == len(synthetic.snap.areas.query("level == 'lad'"))
    assert content.generated_at.date() == date.today()


# ------------------------------------------------------------------ the dashboard's Meeting pack page


def _dash_call(client, output: str, inputs: dict, state: dict | None = None):
    dependencies = client.get("/_dash-dependencies").get_json()
    dep = next(d for d in dependencies if output in d["output"])
    outputs = [
        dict(zip(("id", "property"), part.split("@")[0].rsplit(".", 1)))
        for part in dep["output"].strip(".").split("...")
    ]
    payload = {
        "output": dep["output"],
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": [dict(i, value=inputs.get((i["id"], i["property"]))) for i in dep["inputs"]],
        "state": [dict(s, value=(state or {}).get((s["id"], s["property"]))) for s in dep["state"]],
        "changedPropIds": [f"{i['id']}.{i['property']}" for i in dep["inputs"]],
    }
    return client.post("/_dash-update-component", data=json.dumps(payload), content_type="application/json")


def test_meeting_pack_page_offers_and_makes_only_what_the_role_allows(synthetic, monkeypatch):
    import base64
    import io
    import os

    os.environ.setdefault("DISPERSAL_SECRET_KEY_FILE", str(Path(tempfile.mkdtemp(prefix="pack-key-")) / "key"))
    from app.web import create_app

    app = create_app(synthetic.settings)
    monkeypatch.setitem(app.server.config, "DISPERSAL_SETTINGS", synthetic.settings)  # put back afterwards
    client = app.server.test_client()
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    login = {"username": "pack-member", "password": PASSWORD, "next": "/"}
    if token:
        login["csrf_token"] = token.group(1)
    assert client.post("/login", data=login).status_code in (302, 303)

    controls = _dash_call(client, "report-area.options", {("report-area", "id"): "report-area"}).get_json()
    offered = [o["value"] for o in controls["response"]["report-area"]["options"]]
    assert offered[0] == synthetic.la and all(not v.startswith("E06") or v == synthetic.la for v in offered)

    def make(area: str):
        return _dash_call(
            client,
            "report-download.data",
            {("report-make", "n_clicks"): 1},
            {
                ("report-area", "value"): area,
                ("report-quarter", "value"): QUARTER,
                ("report-format", "value"): "xlsx",
                ("report-members", "value"): [],
            },
        )

    made = make(synthetic.la)
    assert made.status_code == 200
    download = made.get_json()["response"]["report-download"]["data"]
    book = load_workbook(io.BytesIO(base64.b64decode(download["content"])))
    assert book["About"]["A1"].value == "OFFICIAL" and download["filename"].endswith("-members.xlsx")
    other = next(c for c in synthetic.snap.areas.query("level == 'lad'")["area_code"] if c != synthetic.la)
    assert make(other).status_code == 403  # a forged area is refused on the server


# ------------------------------------------------------------------ what changed leads; addresses in the appendix


def test_packs_open_with_what_changed_and_keep_addresses_to_an_appendix(synthetic):
    from app.cluster.changes import previous_month

    inputs, _ = build.pack_inputs(synthetic.engine, synthetic.settings)
    admin = build.cli_scope(synthetic.engine, synthetic.settings, user=None, operator="pack-admin")
    region = synthetic.snap.areas.set_index("area_code").loc[synthetic.la, "region_code"]
    content = build_content(inputs, admin, quarter=QUARTER, region=region, generated_at=None)
    month = content.month
    assert content.sections[0].key == "changes" and content.sections[-1].key == "appendix"
    # The wards that newly went over the limit in the pack's month, from the monitoring table itself.
    wards = synthetic.snap.table[synthetic.snap.table["level"] == "ward"].set_index(["month", "area_code"])
    now, then = wards.loc[month], wards.loc[previous_month(month)]
    crossed = set(now.index[(now["status"] == "breach") & (then.reindex(now.index)["status"] != "breach")])
    listed = next(t for t in content.tables() if t.key == "what_changed").frame
    newly = listed[(listed["Change"] == "Newly over the limit") & listed["Level"].str.startswith("ward")]
    assert set(newly["Area"]) == {now.loc[c, "area_name"] for c in crossed}
    # The position table leads with the LAs over the limit, then those near it.
    position = next(t for t in content.tables() if t.key == "position").frame
    las = position[position["Flag"] == "official flag (LA)"]["Status"].tolist()
    order = {"Over the limit": 0, "Approaching the limit": 1}
    assert las == sorted(las, key=lambda s: order.get(s, 2))
    # Addresses appear only in the appendix, grouped by LA.
    for section in content.sections[:-1]:
        assert all("Address" not in t.frame.columns for t in section.tables), section.key
    listing = content.sections[-1].tables[0].frame
    assert len(listing) and listing["LA"].tolist() == sorted(listing["LA"].tolist())


def test_plan_uses_the_quarters_allocation_entered_through_the_cli(synthetic, tmp_path, capsys):
    """``plan set --quarter``: that quarter's pack shows it; other quarters keep the LA's standing allocation."""
    earlier = previous_quarter(QUARTER)
    earlier_dash = f"{earlier[:4]}-Q{earlier[-1]}"
    argv = ["plan", "set", "--db", synthetic.url, "--la", synthetic.la, "--bedspaces", "275", "--user", "planner"]
    assert main([*argv, "--quarter", earlier_dash]) == 0
    assert f"allocation for {earlier} set to 275 bedspaces" in capsys.readouterr().out
    with pytest.raises(SystemExit) as usage:
        main([*argv[:-4], "--quarter", "2026-Q9", "--bedspaces", "5"])
    assert usage.value.code == 2
    assert main([*argv[:-4], "--quarter", earlier, "--bedspaces", "-3"]) == 1
    assert "Nothing was changed" in capsys.readouterr().err
    packs = {}
    for quarter in (earlier, QUARTER):
        packs[quarter] = tmp_path / f"pack-{quarter}.xlsx"
        code, _ = run_cli(
            "report", "--db", synthetic.url, "--la", synthetic.la, "--quarter", quarter, "--out", packs[quarter]
        )
        assert code == 0
    assert sheet(packs[earlier], "Plan vs actual")["Allocation (agreed bedspaces)"].tolist() == [275]
    assert sheet(packs[QUARTER], "Plan vs actual")["Allocation (agreed bedspaces)"].tolist() == [300]
    with synthetic.engine.connect() as conn:
        entry = conn.execute(
            sa.text("SELECT who, details FROM audit_log WHERE action = 'area_setting_set' ORDER BY id DESC")
        ).first()
    assert entry[0] == "planner" and f'"quarter": "{earlier}"' in entry[1]
