"""Map update benchmark: the ward map's month-change callback against a no-op callback of the same app.

``bench_map_update(work, results)`` builds the real North East store and a synthetic national store
(about 8,000 wards, two national months), then measures each store's app in a child process (Dash
keeps callbacks in a process-wide registry: one app per process). The child posts to
``/_dash-update-component`` through the Flask test client with the exact payload the browser sends
for a month change, alternating months, and the same for a no-op callback (a ``dcc.Store`` echo
registered on the same app); each figure is the median of ``RUNS`` after a warm-up.

Keys: ``map_update_ratio_region``, ``map_update_ratio_national``, ``map_update_bytes_region``,
``map_update_bytes_national`` (response body as sent without compression), ``*_gzip_bytes``,
``map_update_ms_*`` / ``noop_ms_*``, and ``first_load_bytes_region``: gzip bytes of the first load of
``/wards`` (index HTML, every script and stylesheet it names, the async chunks the page's components
load — plotly.js, graph, slider, dropdown, table — the vendored topojson, ``_dash-layout``,
``_dash-dependencies`` and the page router's first callback, which carries the map's geometry).

    python -m tests.benchmarks.map_update <db url> <region|national>   # one store, prints JSON
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT.parent / "shared" / "reference"
RUNS = 21
MAP_OUTPUT = "wards-map.figure"
#: Chunks that dash-renderer loads on demand for the ward map page (seen in headless Chromium).
ASYNC_CHUNKS = (
    "dash/dcc/async-graph.js",
    "dash/dcc/async-slider.js",
    "dash/dcc/async-dropdown.js",
    "dash/dash_table/async-table.js",
    "dash/dash_table/async-highlight.js",
)


def _cli(*argv: object) -> None:
    from app.cli import main

    code = main([str(a) for a in argv])
    if code != 0:
        raise SystemExit(f"map benchmark: `{' '.join(map(str, argv))}` failed ({code})")


def build_region(work: Path) -> str:
    from app import demo

    url = f"sqlite:///{work / 'map_ne.sqlite'}"
    demo.build_on_geography(url, REFERENCE, work / "map_ne_inputs")
    demo.load_public_stats(url)
    return url


def build_national(work: Path) -> str:
    from app.synthetic.activity import generate_national_month
    from app.synthetic.region import RegionFiles, generate_region

    geography = work / "map_national"
    region = RegionFiles.in_dir(geography) if (geography / "done").exists() else None
    if region is None:
        region = generate_region(geography, seed=11, scale="national")
        (geography / "done").write_text("")
    url = f"sqlite:///{work / 'map_national.sqlite'}"
    _cli("init", "--db", url)
    _cli(*region.geography_load(url))
    for seed, month in ((11, "2025-03"), (12, "2025-04")):
        csv_path, _ = generate_national_month(work / f"map_month_{month}", region, seed=seed, month=month)
        _cli("ingest", "home-office", "--db", url, csv_path)
    return url


def _measure_in_child(url: str, kind: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.map_update", url, kind],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if done.returncode != 0:
        raise SystemExit(f"map benchmark ({kind}) failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_map_update(work: Path, results: dict) -> dict:
    work = Path(work)
    region = _measure_in_child(build_region(work), "region")
    national = _measure_in_child(build_national(work), "national")
    for name, measured in (("region", region), ("national", national)):
        results[f"map_update_ratio_{name}"] = round(measured["update_ms"] / measured["noop_ms"], 2)
        results[f"map_update_bytes_{name}"] = measured["update_bytes"]
        results[f"map_update_gzip_bytes_{name}"] = measured["update_gzip_bytes"]
        results[f"map_update_ms_{name}"] = round(measured["update_ms"], 3)
        results[f"noop_ms_{name}"] = round(measured["noop_ms"], 3)
        results[f"map_wards_{name}"] = measured["wards"]
        results[f"map_la_change_bytes_{name}"] = measured["la_change_bytes"]
    results["first_load_bytes_region"] = region["first_load_gzip_bytes"]
    results["first_load_parts_region"] = region["first_load_parts"]
    return results


# ---- the child process: one app over one store ----------------------------------------------------------


def _payload(dependency: dict, inputs: dict, state: dict, changed: list[str]) -> dict:
    outputs = []
    for part in dependency["output"].strip(".").split("..."):
        component, prop = part.split("@")[0].rsplit(".", 1)
        outputs.append({"id": component, "property": prop})
    return {
        "output": dependency["output"],
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": [dict(i, value=inputs.get((i["id"], i["property"]))) for i in dependency["inputs"]],
        "state": [dict(s, value=state.get((s["id"], s["property"]))) for s in dependency["state"]],
        "changedPropIds": changed,
    }


def _median_ms(post, payloads: list[dict]) -> float:
    times = []
    for i in range(RUNS):
        body = json.dumps(payloads[i % len(payloads)])
        start = time.perf_counter()
        response = post(body)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return statistics.median(times) * 1000


def _first_load(client, router_payload: dict) -> dict:
    gz = {"Accept-Encoding": "gzip"}
    parts: dict[str, int] = {}

    def fetch(path: str, method: str = "GET", body: str | None = None) -> bytes:
        if method == "GET":
            response = client.get(path, headers=gz)
        else:
            response = client.post(path, data=body, headers={**gz, "Content-Type": "application/json"})
        assert response.status_code == 200, path
        data = response.get_data()
        sent = data if response.headers.get("Content-Encoding") == "gzip" else gzip.compress(data, 6)
        parts[path.split("?")[0]] = len(sent)
        return gzip.decompress(data) if response.headers.get("Content-Encoding") == "gzip" else data

    html = fetch("/wards").decode()
    for src in re.findall(r'<script src="([^"]+)"', html) + re.findall(r'<link rel="stylesheet" href="([^"]+)"', html):
        if src.startswith("/"):
            fetch(src)
    for chunk in ASYNC_CHUNKS:
        fetch(f"/_dash-component-suites/{chunk}")
    fetch("/assets/topojson/world_110m.json")
    fetch("/_dash-layout")
    fetch("/_dash-dependencies")
    fetch("/_dash-update-component", "POST", json.dumps(router_payload))
    return parts


def _child(url: str, kind: str) -> dict:
    from dash import Input, Output

    from app.config import load_settings
    from app.web import create_app, data

    app = create_app(load_settings(url))

    @app.callback(Output("bench-noop-out", "data"), Input("bench-noop-in", "data"))
    def _noop(value):
        return value

    client = app.server.test_client()
    _sign_in(client, url)
    dependencies = client.get("/_dash-dependencies").get_json()
    router = next(d for d in dependencies if "_pages_content.children" in d["output"])
    router_payload = _payload(
        router,
        {("_pages_location", "pathname"): "/wards", ("_pages_location", "search"): ""},
        {},
        ["_pages_location.pathname"],
    )
    client.post("/_dash-update-component", data=json.dumps(router_payload), content_type="application/json")
    with app.server.test_request_context():
        months = data.months()
        wards = len(data.geometry("ward").codes)
    update = next(d for d in dependencies if MAP_OUTPUT in d["output"])
    month_payloads = [
        _payload(update, {("wards-month", "value"): i, ("wards-la", "value"): "all"}, {}, ["wards-month.value"])
        for i in (len(months) - 2, len(months) - 1)
    ]
    la_payload = _payload(
        update,
        {("wards-month", "value"): len(months) - 1, ("wards-la", "value"): _first_la(app)},
        {},
        ["wards-la.value"],
    )
    noop = next(d for d in dependencies if "bench-noop-out" in d["output"])
    noop_payloads = [_payload(noop, {("bench-noop-in", "data"): i}, {}, ["bench-noop-in.data"]) for i in (1, 2)]

    def post(body: str):
        return client.post("/_dash-update-component", data=body, content_type="application/json")

    for payload in month_payloads + noop_payloads:  # warm every cache once, as a returning user would find it
        post(json.dumps(payload))
    update_ms = _median_ms(post, month_payloads)
    noop_ms = _median_ms(post, noop_payloads)
    body = post(json.dumps(month_payloads[0])).get_data()
    assert b"geojson" not in body
    la_body = post(json.dumps(la_payload)).get_data()
    measured = {
        "kind": kind,
        "wards": wards,
        "months": len(months),
        "update_ms": update_ms,
        "noop_ms": noop_ms,
        "update_bytes": len(body),
        "update_gzip_bytes": len(gzip.compress(body, 6)),
        "la_change_bytes": len(la_body),
    }
    if kind == "region":
        parts = _first_load(client, router_payload)
        measured["first_load_parts"] = parts
        measured["first_load_gzip_bytes"] = sum(parts.values())
    return measured


def _sign_in(client, url: str) -> None:
    """Sign in through the log-in form as a benchmark admin (when the app has one), as a user would."""
    if client.get("/login").status_code == 404:
        return
    from app.security import accounts
    from app.store import db

    name, password = "bench-admin", "benchmark horse battery staple 9"
    if accounts.get(db.connect(url), name) is None:
        accounts.add(db.connect(url), name, password, "admin")
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    fields = {"username": name, "password": password, "next": "/", "csrf_token": token.group(1) if token else ""}
    response = client.post("/login", data=fields)
    if response.status_code not in (302, 303):
        raise SystemExit(f"map benchmark: cannot sign in ({response.status_code})")


def _first_la(app) -> str:
    from app.web import data

    with app.server.test_request_context():
        return str(data.local_authorities()["area_code"].iloc[0])


if __name__ == "__main__":
    print(json.dumps(_child(sys.argv[1], sys.argv[2])))
