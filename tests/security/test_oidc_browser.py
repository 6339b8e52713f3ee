"""Single sign-on in headless Chromium, under the real CSP: the app's sign-in page, the provider's page, back
to the dashboard with the mapped role, and sign-out through the provider's end-session page."""

from __future__ import annotations

import time

from selenium.webdriver.common.by import By

from tests.security.test_csp_browser import _violations, _wait_for, browser  # noqa: F401  (fixture)
from tests.security.test_oidc import provider, sso  # noqa: F401  (fixtures)


def _wait_url(driver, part: str, seconds: float = 20) -> bool:
    end = time.time() + seconds
    while time.time() < end:
        if part in driver.current_url:
            return True
        time.sleep(0.2)
    return False


def test_sign_in_and_out_through_the_provider_in_a_browser(browser, sso, provider, security_store):  # noqa: F811
    driver, base = browser
    provider.user("bea-sub", preferred_username="bea@council.example", groups=[f"officers-{security_store.las[0]}"])
    driver.get(base + "/wards")
    assert _wait_url(driver, "/login")
    driver.find_element(By.ID, "sso-sign-in").click()
    assert _wait_url(driver, provider.issuer + "/oauth2/authorize")
    driver.find_element(By.CSS_SELECTOR, "input[name=sub]").send_keys("bea-sub")
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    assert _wait_url(driver, base + "/wards"), driver.current_url
    assert (
        _wait_for(driver, "#account-user") and driver.find_element(By.ID, "account-user").text == "bea@council.example"
    )
    assert _wait_for(driver, ".js-plotly-plot .main-svg") > 0, "the ward map was not drawn"
    assert provider.recorder.pkce_held()
    driver.find_element(By.ID, "account-sign-out").click()
    assert _wait_url(driver, provider.issuer + "/oauth2/end_session"), driver.current_url
    assert _violations(driver) == []
    driver.get(base + "/wards")
    assert _wait_url(driver, "/login")  # the local session is gone
