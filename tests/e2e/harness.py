"""Drive the real dashboard in headless Chromium: stores, server processes, the browser, axe-core and plotly probes.

Shared by the browser tests (through the fixtures in ``conftest.py``), by
``python -m tests.e2e.screenshots`` and by the browser benchmarks, so that all
three see the app the same way a user does: a real ``serve`` process on
127.0.0.1 over a store built by the ordinary ingest commands.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from tests.stores import BUILD_SCRIPTS, build_store, child_env, finish_build, sqlite_url, start_build  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT.parent / "shared" / "reference"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "data" / "screenshots"
MISSING_BROWSER = "install chromium and chromium-driver (make test does it)"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
LOCAL_HOSTS = {"127.0.0.1"}
NETWORK_SCHEMES = {"http", "https", "ws", "wss", "ftp"}


def browser_missing() -> str | None:
    """Why the browser cannot run here, or None."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    return f"{', '.join(missing)} not found: {MISSING_BROWSER}" if missing else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- stores -------------------------------------------------------------------------------------------------


def build_national(url: str, work: Path, properties: int = 0) -> None:
    """A synthetic national store (about 8,000 wards) with two months, for the national redraw benchmark
    (and, with ``properties``, one provider's list of that many properties for the page benchmark)."""
    from app.cli import main
    from app.synthetic.activity import generate_national_month
    from app.synthetic.region import generate_region

    region = generate_region(work / "geography", scale="national")
    steps = [
        ["init", "--db", url],
        region.geography_load(url),
    ]
    for seed, month in ((3, "2025-03"), (4, "2025-04")):
        csv_path, _ = generate_national_month(work / month, region, seed=seed, month=month)
        steps.append(["ingest", "home-office", "--db", url, csv_path])
    if properties:
        from app.synthetic.activity import generate_property_list

        listing = generate_property_list(work / "properties", region, n=properties)
        steps.append(["ingest", "properties", "--db", url, listing, "--provider", "Mears"])
    for step in steps:
        if main([str(a) for a in step]) != 0:
            raise SystemExit(f"national store: {step[:2]} failed")


@dataclass(frozen=True)
class Account:
    username: str
    password: str


def add_account(db_url: str, role: str = "admin") -> Account | None:
    """A fresh account made with ``python -m app users add`` (None when this version has no accounts)."""
    import secrets

    import sqlalchemy as sa

    engine = sa.create_engine(db_url)
    try:
        has_users = "users" in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()
    if not has_users:
        return None
    account = Account(f"e2e-{role}-{secrets.token_hex(3)}", secrets.token_urlsafe(18))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "users",
            "add",
            account.username,
            "--role",
            role,
            "--password-stdin",
            "--db",
            db_url,
        ],
        input=account.password + "\n",
        text=True,
        capture_output=True,
        cwd=ROOT,
        env=child_env(),
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"could not add the test account: {done.stderr.strip()}")
    return account


def remove_account(db_url: str, account: Account | None) -> None:
    if account is not None:
        subprocess.run(
            [sys.executable, "-m", "app", "users", "remove", account.username, "--db", db_url],
            capture_output=True,
            cwd=ROOT,
            env=child_env(),
            timeout=120,
        )


# --- the server ---------------------------------------------------------------------------------------------

SERVE_SCRIPT = "import sys\nfrom app.web.serve import serve\nsys.exit(serve({url!r}, host='127.0.0.1', port={port}))\n"


@dataclass
class Server:
    db_url: str
    port: int
    proc: subprocess.Popen
    log: Path
    account: Account | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base + path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@contextmanager
def serve(
    db_url: str, log_dir: Path, timeout: float = 120, workers: int = 1, env: dict[str, str] | None = None
) -> Iterator[Server]:
    """The real app in a child process on a free port, answering before this yields and stopped after.

    Plain http on 127.0.0.1, so the session cookie is allowed without Secure; a secret key of its own
    (nothing written under the repository); an admin account made for the browser to sign in with.
    """
    import secrets

    account = add_account(db_url)
    port = free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"server-{port}.log"
    env = child_env(
        DISPERSAL_INSECURE_COOKIES="1",
        DISPERSAL_SECRET_KEY=secrets.token_hex(32),
        DISPERSAL_WORKERS=str(workers),
        **(env or {}),
    )
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", SERVE_SCRIPT.format(url=db_url, port=port)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    server = Server(db_url, port, proc, log, account)
    try:
        _wait_until_answering(server, timeout)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_until_answering(server: Server, timeout: float) -> None:
    """Until the app answers at all over HTTP (a refusal to an anonymous request counts: it is up)."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(
                f"the dashboard stopped on start ({server.proc.returncode}):\n{server.log_text()[-3000:]}"
            )
        try:
            with urllib.request.urlopen(server.url("/"), timeout=5):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the dashboard did not answer within {timeout:.0f} s:\n{server.log_text()[-3000:]}")


# --- the browser --------------------------------------------------------------------------------------------


def chrome(profile_dir: Path | None = None, size: tuple[int, int] = (1280, 900)):
    """Headless Debian Chromium through Debian's chromedriver, with network events logged."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = profile_dir or Path(tempfile.mkdtemp(prefix="dispersal-chrome-"))
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        "--disable-extensions",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--force-device-scale-factor=1",
        f"--user-data-dir={profile}",
        f"--window-size={size[0]},{size[1]}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_window_size(*size)
    driver.set_script_timeout(60)
    driver.set_page_load_timeout(60)
    driver._dispersal_profile = profile
    install_probe(driver)
    return driver


def quit_chrome(driver) -> None:
    profile = getattr(driver, "_dispersal_profile", None)
    driver.quit()
    if profile:
        shutil.rmtree(profile, ignore_errors=True)


@dataclass
class NetworkEvent:
    url: str
    status: int | None = None
    method: str = ""


IDLE_JS = """
var s = window.store && window.store.getState();
if (!s || document.readyState !== 'complete') return false;
if (s.isLoading) return false;
var cbs = Object.assign({}, s.callbacks || {});
delete cbs.stored; delete cbs.completed;
var pending = [].concat.apply([], Object.values(cbs)).length;
if (pending) return false;
return document.querySelectorAll('[data-dash-is-loading="true"]').length === 0;
"""


@dataclass
class Browser:
    """One Chromium session on one server, with what a test needs to see and check the pages."""

    driver: object
    server: Server
    requests: list[NetworkEvent] = field(default_factory=list)
    console: list[dict] = field(default_factory=list)

    def open(self, path: str, until: str | None = None, timeout: float = 30) -> None:
        """Navigate (signing in first if the app asks), then wait until Dash is idle and ``until`` is present."""
        self.driver.get(self.server.url(path))
        if urlparse(self.driver.current_url).path == "/login":
            self.sign_in()
            self.driver.get(self.server.url(path))
        if until:
            self.wait_for(until, timeout)
        self.wait_idle(timeout)

    def sign_in(self) -> None:
        """Sign in through the log-in form with the server's test account."""
        from selenium.webdriver.support.ui import WebDriverWait

        if self.server.account is None:
            raise AssertionError("the app asks to sign in but this store has no accounts")
        if urlparse(self.driver.current_url).path != "/login":
            self.driver.get(self.server.url("/login"))
        self.find("#username").send_keys(self.server.account.username)
        self.find("#password").send_keys(self.server.account.password)
        self.find("form button[type=submit]").click()
        WebDriverWait(self.driver, 30).until(
            lambda d: urlparse(d.current_url).path != "/login" or d.find_elements("css selector", ".error-summary")
        )
        if urlparse(self.driver.current_url).path == "/login":
            raise AssertionError(f"signing in failed: {self.text('main')[:300]}")

    def wait_idle(self, timeout: float = 30) -> None:
        from selenium.webdriver.support.ui import WebDriverWait

        # Twice, a beat apart: one callback's answer can start the next chained callback.
        for _ in range(2):
            WebDriverWait(self.driver, timeout, poll_frequency=0.05).until(lambda d: d.execute_script(IDLE_JS))
            time.sleep(0.1)

    def wait_for(self, css: str, timeout: float = 30):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, timeout, poll_frequency=0.05).until(
            ec.presence_of_element_located((By.CSS_SELECTOR, css))
        )

    def wait_until(self, script: str, timeout: float = 30, *args, message: str = ""):
        """Poll a JS function body until it returns something truthy; return that value."""
        from selenium.common.exceptions import TimeoutException
        from selenium.webdriver.support.ui import WebDriverWait

        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.05).until(
                lambda d: d.execute_script(script, *args)
            )
        except TimeoutException:
            raise AssertionError(f"waited {timeout:.0f} s: {message or script}") from None

    def find(self, css: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list:
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def js(self, script: str, *args):
        return self.driver.execute_script(script, *args)

    def text(self, css: str = "body") -> str:
        return self.find(css).text

    # -- what the page did

    def collect_logs(self) -> None:
        """Move Chromium's network and console logs into ``requests`` and ``console`` (reading clears them)."""
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            method, params = message.get("method"), message.get("params", {})
            if method == "Network.requestWillBeSent":
                request = params.get("request", {})
                self.requests.append(NetworkEvent(request.get("url", ""), None, request.get("method", "")))
            elif method == "Network.responseReceived":
                response = params.get("response", {})
                self.requests.append(NetworkEvent(response.get("url", ""), response.get("status")))
        self.console.extend(self.driver.get_log("browser"))

    def outside_requests(self) -> list[str]:
        """Every network URL the page asked for that is not on 127.0.0.1 (data:, blob: and chrome: stay local)."""
        self.collect_logs()
        urls = {e.url for e in self.requests}
        urls |= set(self.js("return performance.getEntriesByType('resource').map(function (e) { return e.name; })"))
        return sorted(
            u for u in urls if urlparse(u).scheme in NETWORK_SCHEMES and urlparse(u).hostname not in LOCAL_HOSTS
        )

    def failed_requests(self) -> list[str]:
        self.collect_logs()
        return [
            f"{e.status} {e.url}"
            for e in self.requests
            if e.status is not None and e.status >= 400 and not e.url.endswith("/favicon.ico")
        ]

    def console_errors(self) -> list[str]:
        self.collect_logs()
        return [e["message"] for e in self.console if e.get("level") == "SEVERE" and "favicon.ico" not in e["message"]]

    def reset_logs(self) -> None:
        self.collect_logs()
        self.requests.clear()
        self.console.clear()

    def dash_problems(self) -> list[str]:
        """Dash's own error signs: failed callbacks, an error overlay, a 404 page, JS errors."""
        problems = self.failed_requests() + self.console_errors()
        if self.find_all(".dash-fe-error__title, .dash-debug-menu__error, .test-devtools-error-count"):
            problems.append("Dash shows an error")
        body = self.text()
        for sign in ("404 - Page not found", "Traceback (most recent call last)", "Internal Server Error"):
            if sign in body:
                problems.append(f"the page says {sign!r}")
        return problems

    # -- accessibility

    def axe(self, context: str | None = None) -> dict:
        """Run axe-core (vendored, injected into the page) with the WCAG 2.0-2.2 A/AA tags."""
        if not self.js("return !!window.axe"):
            self.js(AXE_JS.read_text(encoding="utf-8"))
        return self.driver.execute_async_script(
            """
            var done = arguments[arguments.length - 1];
            window.axe.run(arguments[0] || document, {runOnly: {type: 'tag', values: arguments[1]},
                                                      resultTypes: ['violations']})
              .then(function (r) { done({violations: r.violations.map(function (v) {
                  return {id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                          nodes: v.nodes.map(function (n) {
                              return {target: n.target, html: n.html.slice(0, 300), summary: n.failureSummary};
                          })};
              })}); })
              .catch(function (e) { done({error: String(e)}); });
            """,
            context,
            AXE_TAGS,
        )

    def screenshot(self, name: str, folder: Path = SCREENSHOTS) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path


def axe_report(result: dict, page: str, examples: int = 3) -> tuple[list[str], list[str]]:
    """(serious or critical, the rest): one line per page and rule, with how many elements and the first few."""
    if "error" in result:
        raise RuntimeError(f"axe-core failed on {page}: {result['error']}")
    severe, minor = [], []
    for violation in result["violations"]:
        nodes = violation["nodes"]
        where = "; ".join(f"{' '.join(map(str, n['target']))} {n['html'][:120]}" for n in nodes[:examples])
        more = f" (+{len(nodes) - examples} more)" if len(nodes) > examples else ""
        line = (
            f"{page}: [{violation['impact']}] {violation['id']} - {violation['help']} - "
            f"{len(nodes)} element(s): {where}{more}"
        )
        (severe if violation["impact"] in ("serious", "critical") else minor).append(line)
    return severe, minor


# --- plotly probes ------------------------------------------------------------------------------------------

#: Installed before any page script runs: records every Dash callback response (size, whether it carries geometry).
PROBE_JS = """
window.__dashResponses = [];
(function () {
  var original = window.fetch;
  window.fetch = function () {
    var url = String(arguments[0] && arguments[0].url || arguments[0]);
    return original.apply(this, arguments).then(function (reply) {
      if (url.indexOf('_dash-update-component') >= 0) {
        reply.clone().text().then(function (body) {
          var outputs = [];
          try { outputs = Object.keys(JSON.parse(body).response || {}); } catch (e) {}
          window.__dashResponses.push({url: url, bytes: body.length, geometry: body.indexOf('"geojson"') >= 0,
                                       status: reply.status, outputs: outputs});
        });
      }
      return reply;
    });
  };
})();
"""


def install_probe(driver) -> None:
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PROBE_JS})


#: Function bodies for ``execute_script``; arguments[0] is the id of the dcc.Graph.
PLOT = (
    "var g = document.getElementById(arguments[0]);"
    "var gd = g && (g.classList.contains('js-plotly-plot') ? g : g.querySelector('.js-plotly-plot'));"
)
LAYERS = "var layers = gd ? Array.prototype.slice.call(gd.querySelectorAll('.choroplethlayer > .trace')) : [];"
FILLS = (
    "function fillsOf(layer) { return Array.prototype.map.call(layer.querySelectorAll('path.choroplethlocation'),"
    " function (p) { return p.style.fill || p.getAttribute('fill') || ''; }); }"
)

MAP_STATE_JS = (
    PLOT
    + LAYERS
    + FILLS
    + """
if (!gd || !gd._fullData) return null;
return {
  layers: layers.map(function (layer) {
    var paths = layer.querySelectorAll('path.choroplethlocation');
    return {paths: paths.length, fills: fillsOf(layer),
            locations: Array.prototype.map.call(paths, function (p) { return p.__data__ && p.__data__.loc; })};
  }),
  traces: gd._fullData.map(function (t) {
    return {type: t.type, visible: t.visible, name: t.name || '',
            locations: t.locations ? Array.prototype.slice.call(t.locations) : [],
            z: t.z ? Array.prototype.slice.call(t.z) : null};
  })
};
"""
)


def map_state(browser: Browser, graph_id: str) -> dict | None:
    """The drawn map: per SVG choropleth layer its paths, fills and locations; per trace its locations and z."""
    return browser.js(MAP_STATE_JS, graph_id)


#: A point inside the largest path of layer arguments[1] (viewport coordinates) and that path's location.
INSIDE_POINT_JS = (
    PLOT
    + LAYERS
    + """
var paths = Array.prototype.slice.call(layers[arguments[1]].querySelectorAll('path.choroplethlocation'));
var best = null;
paths.forEach(function (p) { var b = p.getBBox(); if (!best || b.width * b.height > best.area) best = {p: p, b: b, area: b.width * b.height}; });
var p = best.p, b = best.b, m = p.getScreenCTM();
for (var r = 0; r <= 4; r++) {
  for (var i = -r; i <= r; i++) {
    for (var j = -r; j <= r; j++) {
      var x = b.x + b.width * (0.5 + i / 10), y = b.y + b.height * (0.5 + j / 10);
      if (p.isPointInFill(new DOMPoint(x, y))) {
        var pt = new DOMPoint(x, y).matrixTransform(m);
        return {x: pt.x, y: pt.y, location: p.__data__ && p.__data__.loc};
      }
    }
  }
}
return null;
"""
)


def point_inside_largest(browser: Browser, graph_id: str, layer: int = 0) -> dict:
    browser.js("document.getElementById(arguments[0]).scrollIntoView({block: 'center'})", graph_id)
    return browser.js(INSIDE_POINT_JS, graph_id, layer)


def click_at(browser: Browser, x: float, y: float) -> None:
    from selenium.webdriver.common.actions.action_builder import ActionBuilder

    actions = ActionBuilder(browser.driver)
    actions.pointer_action.move_to_location(int(round(x)), int(round(y))).click()
    actions.perform()


#: Start watching one map for a redraw: time from the next user input (key or pointer) until plotly has
#: finished drawing (``plotly_afterplot``) with fills that differ from the ones drawn now.
REDRAW_WATCH_JS = (
    PLOT
    + LAYERS
    + FILLS
    + """
var before = layers.length ? fillsOf(layers[0]).join('|') : '';
var watch = window.__redraw = {start: null, end: null, plots: 0};
function started() { if (watch.start === null) watch.start = performance.now(); }
document.addEventListener('keydown', started, {capture: true, once: true});
document.addEventListener('pointerdown', started, {capture: true, once: true});
gd.on('plotly_afterplot', function () {
  watch.plots += 1;
  if (watch.end !== null || watch.start === null) return;
  var now = gd.querySelector('.choroplethlayer > .trace');
  if (now && fillsOf(now).join('|') !== before) watch.end = performance.now();
});
return before.length > 0;
"""
)


def watch_redraw(browser: Browser, graph_id: str) -> None:
    if not browser.js(REDRAW_WATCH_JS, graph_id):
        raise AssertionError(f"no choropleth drawn in #{graph_id}")


def redraw_seconds(browser: Browser, timeout: float = 30) -> float:
    """Seconds from the input to the redrawn map (after :func:`watch_redraw` and an input)."""
    ms = browser.wait_until(
        "var w = window.__redraw; return w && w.end !== null && w.start !== null ? (w.end - w.start) : null;", timeout
    )
    return ms / 1000


#: Installed before the page loads (benchmarks): performance.now() when layer 0 of the map has ``count`` paths.
DRAWN_WATCH_JS = """
window.__drawnAt = null;
(function (graphId, count) {
  function check() {
    if (window.__drawnAt !== null) return;
    var g = document.getElementById(graphId);
    var layer = g && g.querySelector('.choroplethlayer > .trace');
    if (layer && layer.querySelectorAll('path.choroplethlocation').length >= count) {
      window.__drawnAt = performance.now();
      observer.disconnect();
    }
  }
  var observer = new MutationObserver(check);
  observer.observe(document, {childList: true, subtree: true});
})(%s, %d);
"""


def watch_first_draw(driver, graph_id: str, count: int) -> str:
    """Register :data:`DRAWN_WATCH_JS` for the next navigations; returns the script id (to remove it)."""
    source = DRAWN_WATCH_JS % (json.dumps(graph_id), count)
    return driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": source})["identifier"]


def dash_responses(browser: Browser) -> list[dict]:
    """Dash callback responses since the page loaded or :func:`forget_dash_responses`: bytes, outputs, geometry."""
    return browser.js("return window.__dashResponses || []")


def forget_dash_responses(browser: Browser) -> None:
    browser.js("window.__dashResponses = []")
