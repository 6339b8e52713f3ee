"""Browser benchmarks: the ward map in headless Chromium (software rendering, so upper bounds).

- ``map_drawn_s_region``: from navigation to ``/wards`` until every one of the North East's 343 wards is a
  path in the map (a MutationObserver installed before the page's own scripts, timed with performance.now()).
- ``month_change_redraw_s_region`` / ``_national``: from the pointer press on a month of the slider until
  plotly has finished drawing (``plotly_afterplot``) with different fills; the national store is synthetic
  (about 8,000 wards) with two months.

Medians of several runs after one warm-up (server caches warm, browser cache disabled), signed in as a
test admin, one server worker (``harness.serve``).
Targets (issue 4): under 3 s, 0.5 s and 1.5 s.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import sqlalchemy as sa

MAP = "wards-map"
RUNS = 5


def _ward_count(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT COUNT(*) FROM areas WHERE level = 'ward'")).scalar_one()
    engine.dispose()
    return int(count)


def _first_draws(harness, driver, server, wards: int, runs: int) -> list[float]:
    script = harness.watch_first_draw(driver, MAP, wards)
    times = []
    try:
        for run in range(runs + 1):
            driver.get(server.url("/wards"))
            browser = harness.Browser(driver, server)
            ms = browser.wait_until("return window.__drawnAt", 180, message=f"the map never showed {wards} wards")
            browser.wait_idle(120)
            if run:
                times.append(ms / 1000)
    finally:
        driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": script})
    return times


def _month_changes(harness, driver, server, runs: int) -> list[float]:
    from selenium.webdriver.common.action_chains import ActionChains

    browser = harness.Browser(driver, server)
    browser.open("/wards", until=f"#{MAP} .choroplethlayer path.choroplethlocation", timeout=180)
    marks = browser.find_all("#wards-month .rc-slider-mark-text")
    times = []
    for run in range(runs + 1):
        harness.watch_redraw(browser, MAP)
        ActionChains(driver).click(marks[0] if run % 2 == 0 else marks[-1]).perform()
        seconds = harness.redraw_seconds(browser, 120)
        browser.wait_idle(120)
        if run:
            times.append(seconds)
    return times


def bench_browser(work: Path, results: dict) -> dict:
    from tests.e2e import harness

    missing = harness.browser_missing()
    if missing:
        raise SystemExit(missing)
    builds = {kind: harness.start_build(kind, work / f"browser-{kind}") for kind in ("north_east", "national")}
    stores = {kind: harness.finish_build(*build, timeout=900) for kind, build in builds.items()}
    driver = harness.chrome(work / "browser-profile")
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
        with harness.serve(stores["north_east"], work / "browser-logs") as server:
            harness.Browser(driver, server).open("/data")  # signs in when the app has accounts
            wards = _ward_count(stores["north_east"])
            drawn = _first_draws(harness, driver, server, wards, RUNS)
            region = _month_changes(harness, driver, server, 2 * RUNS)
        with harness.serve(stores["national"], work / "browser-logs") as server:
            harness.Browser(driver, server).open("/data")
            national_wards = _ward_count(stores["national"])
            start = time.perf_counter()
            national_drawn = _first_draws(harness, driver, server, national_wards, 1)
            national = _month_changes(harness, driver, server, RUNS)
            national_s = time.perf_counter() - start
    finally:
        harness.quit_chrome(driver)
    results.update(
        map_drawn_s_region=round(statistics.median(drawn), 3),
        month_change_redraw_s_region=round(statistics.median(region), 3),
        month_change_redraw_s_national=round(statistics.median(national), 3),
        map_drawn_s_national=round(statistics.median(national_drawn), 3),
        browser_wards_region=wards,
        browser_wards_national=national_wards,
        browser_runs={
            "map_drawn_s_region": [round(t, 3) for t in drawn],
            "month_change_redraw_s_region": [round(t, 3) for t in region],
            "month_change_redraw_s_national": [round(t, 3) for t in national],
        },
    )
    print(f"browser: national part took {national_s:.0f} s", flush=True)
    return results


if __name__ == "__main__":
    import json
    import sys
    import tempfile

    with tempfile.TemporaryDirectory(prefix="dispersal-browser-bench-") as tmp:
        out = bench_browser(Path(tmp), {})
    json.dump(out, sys.stdout, indent=2)
    print()
