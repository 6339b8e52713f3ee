"""Headless Chromium under the real CSP: every page draws its figures with no policy violation.

Chromium reports each CSP violation in the console log (checked by a control page whose inline script
is not in the policy). The policy allows no 'unsafe-eval' and no inline scripts beyond Dash's own.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time

import dash
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from werkzeug.serving import make_server

from tests.security.conftest import PASSWORD

CHROMIUM, DRIVER = (
    shutil.which("chromium") or "/usr/bin/chromium",
    shutil.which("chromedriver") or "/usr/bin/chromedriver",
)


@pytest.fixture
def browser(client, secure_app):
    server = make_server("127.0.0.1", 0, secure_app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    profile = tempfile.mkdtemp(prefix="dispersal-chrome-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=webdriver.ChromeService(DRIVER), options=options)
    try:
        yield driver, f"http://127.0.0.1:{server.server_port}"
    finally:
        driver.quit()
        server.shutdown()
        shutil.rmtree(profile, ignore_errors=True)


def _violations(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if "Content Security Policy" in entry["message"]]


def _wait_for(driver, css: str, seconds: float = 20) -> int:
    end = time.time() + seconds
    while time.time() < end:
        found = len(driver.find_elements(By.CSS_SELECTOR, css))
        if found:
            return found
        time.sleep(0.25)
    return 0


def test_pages_work_under_the_policy(browser):
    driver, base = browser
    driver.get(base + "/wards")
    assert "/login" in driver.current_url
    driver.find_element(By.ID, "username").send_keys("t-regional")
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    assert _wait_for(driver, ".js-plotly-plot .main-svg") > 0, "the ward map was not drawn"
    # the ward map writes its LA and month into the address bar (shareable links): the path is what matters here
    assert driver.current_url.split("?")[0].endswith("/wards")
    pages = [p["relative_path"] for p in dash.page_registry.values() if p["relative_path"] not in ("/wards",)]
    assert "/" in pages
    driver.get(base + "/")
    assert _wait_for(driver, ".js-plotly-plot .main-svg") > 0, "the overview figures were not drawn"
    for path in pages:
        driver.get(base + path)
        _wait_for(driver, "#main h1")
    assert _violations(driver) == []
    # Control: an inline script that is not in the policy is refused and reported.
    driver.execute_script(
        "var s = document.createElement('script'); s.textContent = 'window.__x = 1';document.body.appendChild(s);"
    )
    time.sleep(0.5)
    assert driver.execute_script("return window.__x === undefined")
    assert any("inline script" in message for message in _violations(driver))
