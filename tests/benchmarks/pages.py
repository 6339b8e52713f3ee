"""Page-usable benchmark (issue 11): every page of the app, region and national, against a bare page of the same app.

``page_usable_s_<page>_region`` / ``_national``: from navigation (``performance.now()`` counts from it) until the
page is usable: every selector of its data-bearing elements (:data:`PAGES`) matches and no Dash callback is pending
or loading, held for :data:`STEADY_MS` (one callback's answer can start the next; the time kept is when the steady
spell began). A watcher installed before the page's own scripts polls every 20 ms. Medians of :data:`RUNS` full
loads after one warm-up, browser cache disabled, signed in as a test admin, one server worker.

``page_usable_s_bare`` (and ``_bare_national``): the same for a page of the same app with one Div filled by one
callback (:mod:`app.web.bench_page`, registered only because this server sets its variable);
``page_usable_ratio_<page>_region`` / ``_national``: the page over the bare page of the same server and run.

Stores: the synthetic demo region (6 LAs, 120 wards, 24 months, property lists from 3 providers, published
statistics: every page has its data; the real North East store has no property lists) and a synthetic national one
(about 8,000 wards, two months, 35,000 properties). Targets: 1.5 s region, 3 s national. A page that does not
become usable within 180 s is listed in ``page_usable_failed`` and the others are still measured.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from app.web import bench_page

RUNS = {"region": 5, "national": 3}
STEADY_MS = 250

#: page key -> (path, CSS selectors that must all match once the page shows its data).
PAGES = {
    "overview": ("/", ["#overview-map .choroplethlayer path.choroplethlocation", "#overview-table td"]),
    "wards": ("/wards", ["#wards-map .choroplethlayer path.choroplethlocation", "#wards-table td"]),
    "properties": (
        "/properties",
        ["#properties-map .choroplethlayer path.choroplethlocation", "#properties-list td", "#properties-summary"],
    ),
    "profiles": ("/profiles", ["#profiles-table > *"]),
    "check": ("/check", ["#check-run", "#check-month"]),
    "data": ("/data", ["#data-history table"]),
    "report": ("/report", ["#report-make", "#report-area"]),
    "bare": (bench_page.PATH, ["#bench-bare-filled"]),
}

USABLE_WATCH_JS = """
window.__usableAt = null;
(function (pages, steady) {
  var selectors = pages[location.pathname];
  if (!selectors) return;
  var since = null;
  function idle() {
    var s = window.store && window.store.getState();
    if (!s || s.isLoading) return false;
    var cbs = Object.assign({}, s.callbacks || {});
    delete cbs.stored; delete cbs.completed;
    if ([].concat.apply([], Object.values(cbs)).length) return false;
    return document.querySelectorAll('[data-dash-is-loading="true"]').length === 0;
  }
  function check() {
    var ok = selectors.every(function (css) { return document.querySelector(css); }) && idle();
    var now = performance.now();
    if (!ok) { since = null; return; }
    if (since === null) since = now;
    if (now - since >= steady) { window.__usableAt = since; clearInterval(timer); }
  }
  var timer = setInterval(check, 20);
})(%s, %d);
"""


def _watch(driver) -> str:
    pages = {path: selectors for path, selectors in PAGES.values()}
    source = USABLE_WATCH_JS % (json.dumps(pages), STEADY_MS)
    return driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": source})["identifier"]


def _usable_times(harness, driver, server, path: str, runs: int) -> list[float]:
    times = []
    for run in range(runs + 1):
        driver.get(server.url(path))
        browser = harness.Browser(driver, server)
        ms = browser.wait_until("return window.__usableAt", 180, message=f"{path} never became usable")
        browser.wait_idle(120)
        if run:
            times.append(ms / 1000)
    return times


def _measure(harness, driver, server, runs: int, failed: list[str], scale: str) -> dict[str, list[float]]:
    harness.Browser(driver, server).open("/data", timeout=180)  # signs in
    times = {}
    for page, (path, _) in PAGES.items():
        try:
            times[page] = _usable_times(harness, driver, server, path, runs)
        except AssertionError as error:
            failed.append(f"{page}_{scale}: {error}")
            print(f"pages: {page} ({scale}) not usable: {error}", flush=True)
    return times


def bench_pages(work: Path, results: dict) -> dict:
    from tests.e2e import harness

    missing = harness.browser_missing()
    if missing:
        raise SystemExit(missing)
    builds = {
        "region": harness.start_build("demo", work / "pages-region"),
        "national": harness.start_build("national_properties", work / "pages-national"),
    }
    stores = {scale: harness.finish_build(*build, timeout=1200) for scale, build in builds.items()}
    driver = harness.chrome(work / "pages-profile")
    runs: dict[str, dict[str, list[float]]] = {}
    failed: list[str] = []
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
        script = _watch(driver)
        for scale, url in stores.items():
            with harness.serve(url, work / "pages-logs", env={bench_page.ENV: "1"}) as server:
                runs[scale] = _measure(harness, driver, server, RUNS[scale], failed, scale)
        driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": script})
    finally:
        harness.quit_chrome(driver)
    for scale, pages in runs.items():
        if "bare" not in pages:
            continue
        bare = statistics.median(pages["bare"])
        results["page_usable_s_bare" if scale == "region" else "page_usable_s_bare_national"] = round(bare, 3)
        for page, times in pages.items():
            if page == "bare":
                continue
            median = statistics.median(times)
            results[f"page_usable_s_{page}_{scale}"] = round(median, 3)
            results[f"page_usable_ratio_{page}_{scale}"] = round(median / bare, 2)
    results["page_usable_failed"] = failed
    results["page_usable_runs"] = {
        f"{page}_{scale}": [round(t, 3) for t in times]
        for scale, pages in runs.items()
        for page, times in pages.items()
    }
    return results


if __name__ == "__main__":
    import sys
    import tempfile

    with tempfile.TemporaryDirectory(prefix="dispersal-pages-bench-") as tmp:
        out = bench_pages(Path(tmp), {})
    json.dump(out, sys.stdout, indent=2)
    print()
