"""Screenshots of the main pages for the README, taken from the demo by a real browser.

    python -m tests.e2e.screenshots --out docs/screenshots [--db sqlite:///data/demo.sqlite]

The maps are photographed on the real North East boundaries (synthetic months), the other pages on the
synthetic demo region (it has property lists and profiles). Both stores are built afresh in a temporary
folder unless ``--db`` / ``--real-db`` name them, so the pictures never show real data. Each picture is the
1280x800 viewport, reduced to a 256-colour PNG (Pillow, when installed).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.e2e import harness  # noqa: E402

SIZE = (1280, 800)
MAP_READY = " .choroplethlayer path.choroplethlocation"
#: Middlesbrough, the LA the issue saw as a sliver of the North East map.
MIDDLESBROUGH = "E06000002"
#: store ("real": the real North East boundaries, population and postcodes with synthetic months; "demo": the
#: synthetic region with property lists and profiles), file name, path, element that shows the page's data once
#: drawn, what to do before the picture.
SHOTS = [
    ("real", "overview", "/", "#overview-map" + MAP_READY, None),
    ("real", "ward-map", "/wards", "#wards-map" + MAP_READY, "scroll_to_map"),
    ("real", "ward-map-la", f"/wards?la={MIDDLESBROUGH}", "#wards-map" + MAP_READY, "scroll_to_map"),
    ("real", "ward-panel", f"/wards?la={MIDDLESBROUGH}", "#wards-map" + MAP_READY, "open_ward_panel"),
    ("demo", "properties", "/properties", "#properties-map .js-plotly-plot", None),
    ("demo", "profiles", "/profiles", "#profiles-table", None),
    ("demo", "property-check", "/check", "#check-run", "check_a_postcode"),
    ("demo", "data", "/data", "#data-history table", None),
]


def scroll_to_map(browser: harness.Browser, db_url: str) -> None:
    browser.js("document.querySelector('.controls').scrollIntoView({block: 'start'})")


def open_ward_panel(browser: harness.Browser, db_url: str) -> None:
    point = harness.point_inside_largest(browser, "wards-map")
    harness.click_at(browser, point["x"], point["y"])
    browser.wait_for("#wards-panel-title")
    browser.wait_idle()
    harness.click_at(browser, 5, 5)  # move the pointer away so the hover label does not hide the map
    browser.js("document.getElementById('wards-summary').scrollIntoView({block: 'start'})")


def check_a_postcode(browser: harness.Browser, db_url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        postcode = conn.execute(
            sa.text("SELECT postcode FROM postcodes WHERE ward_code IS NOT NULL ORDER BY postcode LIMIT 1 OFFSET 100")
        ).scalar_one()
    engine.dispose()
    box = browser.find("#check-postcode")
    box.clear()
    box.send_keys(postcode)
    spaces = browser.find("#check-bedspaces")
    spaces.clear()
    spaces.send_keys("6")
    browser.find("#check-run").click()
    browser.wait_until(
        "return document.getElementById('check-verdict') &&"
        " document.getElementById('check-verdict').textContent.trim().length > 0",
        30,
    )
    browser.wait_idle()


ACTIONS = {"scroll_to_map": scroll_to_map, "open_ward_panel": open_ward_panel, "check_a_postcode": check_a_postcode}


def optimise(png: bytes, path: Path) -> int:
    """Write ``png`` to ``path`` as a 256-colour optimised PNG (unchanged if Pillow is missing); returns bytes."""
    try:
        from PIL import Image
    except ImportError:
        path.write_bytes(png)
        return len(png)
    import io

    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.thumbnail(SIZE)
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        path, format="PNG", optimize=True
    )
    return path.stat().st_size


def take(db_url: str, out: Path, work: Path, store: str) -> list[tuple[Path, int]]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with harness.serve(db_url, work / f"logs-{store}") as server:
        driver = harness.chrome(work / f"profile-{store}", size=(SIZE[0], SIZE[1] + 200))
        try:
            driver.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": SIZE[0], "height": SIZE[1], "deviceScaleFactor": 1, "mobile": False},
            )
            browser = harness.Browser(driver, server)
            for _, name, path, ready, action in (shot for shot in SHOTS if shot[0] == store):
                browser.reset_logs()
                browser.open(path, until=ready, timeout=60)
                browser.js("window.scrollTo(0, 0)")
                if action:
                    ACTIONS[action](browser, db_url)
                time.sleep(0.3)
                png = driver.get_screenshot_as_png()
                target = out / f"{name}.png"
                written.append((target, optimise(png, target)))
                problems = browser.dash_problems()
                if problems:
                    print(f"warning: {path}: {problems}", file=sys.stderr)
        finally:
            harness.quit_chrome(driver)
    harness.remove_account(db_url, server.account)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--db", help="an existing synthetic demo store (default: build it in a temporary folder)")
    parser.add_argument("--real-db", help="an existing store on the real North East geography (default: build it)")
    args = parser.parse_args(argv)
    missing = harness.browser_missing()
    if missing:
        print(f"error: {missing}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="dispersal-screenshots-") as tmp:
        work = Path(tmp)
        builds = {
            store: harness.start_build(kind, work / kind)
            for store, given, kind in (("demo", args.db, "demo"), ("real", args.real_db, "north_east"))
            if not given
        }
        urls = {"demo": args.db, "real": args.real_db}
        for store in ("real", "demo"):
            url = urls[store] or harness.finish_build(*builds[store])
            for path, size in take(url, args.out, work, store):
                print(f"{path} ({size / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
