"""Load test: simulated users moving through the real dashboard over loopback, bounded in time.

The real production server (``app.web.serve.serve``: gunicorn, the default number of workers for this
machine, gthread workers) runs in a child process over a demo store built in a temporary folder. Each
simulated user is one thread with one keep-alive HTTP session behaving like Dash's renderer in a browser
whose static files are already cached: it signs in once through the log-in form, then moves through the pages
of its role: ``GET`` the page, ``GET /_dash-layout`` and ``/_dash-dependencies``, the page-content callback
that ``dcc.Location`` fires, the page's initial callbacks and their chains (worked out from the dependencies,
as the renderer does), then a few interactions (month and LA changes, a ward click, a profile change, a
property check), with 0-200 ms of thought between actions. Callback payloads have the renderer's exact shape
(``output``, ``outputs``, ``inputs``, ``state``, ``changedPropIds``); component values come from the layouts and
callback answers the server sent (Patch answers are applied), so a user only ever asks for what it was offered.

Journeys by role (none should meet a refusal): ``regional`` and ``officer`` visit every page below,
officers clicking only wards and checking only postcodes of their own LA; ``member`` visits the overview,
ward map and profiles and clicks no ward (no property-level data).

Phases: sign-in of every user (argon2: excluded from the latency comparison, reported apart); a warm-up
tour (every worker builds its caches; not counted); one user alone for ``single_s`` seconds; ``users``
users at once for ``load_s`` seconds. An error is any answer that is not 2xx (a redirect to the log-in form
included) and any exception or time-out. Latency is from sending a request to having its whole body.
The client's own CPU time and the server's (gunicorn master and workers) are measured over each phase so
that a client-bound result shows.

    python -m tests.benchmarks.load [--users 50] [--seconds 45] [--single 15]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

USERS = 50
LOAD_S = 45.0
SINGLE_S = 15.0
THINK_S = (0.0, 0.2)
REQUEST_TIMEOUT_S = 60.0
SIGN_IN_BATCH = 4
PAGES = {
    "regional": ("/", "/wards", "/properties", "/profiles", "/check"),
    "officer": ("/", "/wards", "/properties", "/profiles", "/check"),
    "member": ("/", "/wards", "/profiles"),
}
#: Accounts made for the test: (role, index of the LA in the store's sorted LA codes or None).
ACCOUNT_PLAN = (
    ("regional", None),
    ("regional", None),
    ("officer", 0),
    ("officer", 1),
    ("officer", 2),
    ("officer", 3),
    ("officer", 4),
    ("officer", 5),
    ("member", 0),
    ("member", 2),
    ("member", 3),
    ("member", 5),
)


# --- what the store holds (read before the server starts) ----------------------------------------------------


@dataclass(frozen=True)
class StoreFacts:
    lads: list[str]
    wards_by_lad: dict[str, list[str]]
    postcodes_by_lad: dict[str, list[str]]


def store_facts(db_url: str) -> StoreFacts:
    import sqlalchemy as sa

    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            areas = conn.execute(sa.text("SELECT area_code, level, lad_code FROM areas")).all()
            postcodes = conn.execute(
                sa.text("SELECT lad_code, postcode FROM postcodes WHERE ward_code IS NOT NULL ORDER BY postcode")
            ).all()
    finally:
        engine.dispose()
    lads = sorted(code for code, level, _ in areas if level == "lad")
    wards: dict[str, list[str]] = {lad: [] for lad in lads}
    for code, level, lad in areas:
        if level == "ward" and lad in wards:
            wards[lad].append(code)
    by_lad: dict[str, list[str]] = {lad: [] for lad in lads}
    for lad, postcode in postcodes:
        if lad in by_lad and len(by_lad[lad]) < 2000:
            by_lad[lad].append(postcode)
    rng = random.Random(5)
    return StoreFacts(lads, wards, {lad: rng.sample(codes, min(20, len(codes))) for lad, codes in by_lad.items()})


# --- accounts ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    username: str
    password: str
    role: str
    lad_code: str | None


def add_accounts(db_url: str, facts: StoreFacts, plan=ACCOUNT_PLAN, parallel: int = 3) -> list[Account]:
    """Accounts made with ``python -m app users add`` (a few at a time: each command hashes with argon2)."""
    from tests.e2e.harness import child_env

    tag = secrets.token_hex(2)
    accounts = []
    for i, (role, lad_index) in enumerate(plan):
        lad = facts.lads[lad_index % len(facts.lads)] if lad_index is not None else None
        accounts.append(Account(f"load-{tag}-{role}-{i}", secrets.token_urlsafe(18), role, lad))
    pending = list(accounts)
    while pending:
        batch, pending = pending[:parallel], pending[parallel:]
        procs = []
        for account in batch:
            argv = [
                sys.executable,
                "-m",
                "app",
                "users",
                "add",
                account.username,
                "--role",
                account.role,
                "--password-stdin",
                "--db",
                db_url,
            ] + (["--la", account.lad_code] if account.lad_code else [])
            proc = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=child_env(),
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            proc.stdin.write(account.password + "\n")
            proc.stdin.close()
            procs.append((account, proc))
        for account, proc in procs:
            if proc.wait(timeout=120) != 0:
                raise RuntimeError(
                    f"could not add the load-test account {account.username}: {proc.stderr.read().strip()}"
                )
            proc.stderr.close()
    return accounts


# --- measurements ----------------------------------------------------------------------------------------------


@dataclass
class Sample:
    kind: str
    started: float
    seconds: float
    status: int | None
    error: str | None


@dataclass
class Recorder:
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)

    def between(self, start: float, end: float) -> list[Sample]:
        with self.lock:
            return [s for s in self.samples if start <= s.started < end]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (no interpolation: the value some request actually took)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, int(-(-q * len(ordered) // 100)))
    return ordered[rank - 1]


def summarise(samples: list[Sample]) -> dict:
    latencies = [s.seconds for s in samples]
    errors = [s for s in samples if s.error]
    by_kind: dict[str, list[float]] = {}
    for s in samples:
        by_kind.setdefault(s.kind.split(":")[0], []).append(s.seconds)
    return {
        "requests": len(samples),
        "errors": len(errors),
        "error_examples": [f"{s.kind}: {s.error}" for s in errors[:10]],
        "error_kinds": dict(Counter(s.error.split(":")[0] for s in errors)),
        "p50_s": round(percentile(latencies, 50), 4),
        "p95_s": round(percentile(latencies, 95), 4),
        "max_s": round(max(latencies), 4) if latencies else None,
        "p95_by_kind_s": {k: round(percentile(v, 95), 4) for k, v in sorted(by_kind.items())},
        "count_by_kind": {k: len(v) for k, v in sorted(by_kind.items())},
        "count_by_request": dict(sorted(Counter(s.kind for s in samples).items())),
    }


# --- one simulated browser ------------------------------------------------------------------------------------


def _loads(raw: bytes):
    try:
        import orjson

        return orjson.loads(raw)
    except ImportError:
        return json.loads(raw)


def _dumps(value) -> bytes:
    try:
        import orjson

        return orjson.dumps(value)
    except ImportError:
        return json.dumps(value).encode()


class RequestFailed(Exception):
    """A request that counts as an error (already recorded); the journey starts over on another page."""


class PhaseOver(Exception):
    """The phase's time is up: the user stops between two requests."""


def _parse_output(output: str) -> list[tuple[str, str]]:
    if output.startswith(".."):
        parts = output[2:-2].split("...")
    else:
        parts = [output]
    return [tuple(part.split(".", 1)) for part in parts]


def _apply_patch(target, patch: dict):
    """Dash's Patch wire form (``operations``): Assign, Merge, Extend, Append and Delete are enough here."""
    import copy

    root = copy.deepcopy(target) if target is not None else {}
    for op in patch.get("operations", []):
        location, params = op.get("location", []), op.get("params", {})
        parent = root
        for key in location[:-1]:
            parent = parent.setdefault(key, {}) if isinstance(parent, dict) else parent[key]
        last = location[-1] if location else None
        kind = op.get("operation")
        if kind == "Assign":
            if last is None:
                root = params.get("value")
            elif isinstance(parent, list) and isinstance(last, int) and last >= len(parent):
                parent.extend([None] * (last + 1 - len(parent)))
                parent[last] = params.get("value")
            else:
                parent[last] = params.get("value")
        elif kind == "Merge" and last is not None:
            parent.setdefault(last, {}).update(params.get("value", {}))
        elif kind in ("Extend", "Append") and last is not None:
            values = params.get("value")
            parent.setdefault(last, [])
            parent[last].extend(values if kind == "Extend" else [values])
        elif kind == "Delete" and last is not None:
            try:
                del parent[last]
            except (KeyError, IndexError, TypeError):
                pass
    return root


class Browser:
    """One user's browser: a keep-alive session, the component tree Dash would hold, its callbacks."""

    def __init__(self, base: str, account: Account, facts: StoreFacts, recorder: Recorder, seed: int):
        import requests

        self.base = base
        self.account = account
        self.facts = facts
        self.recorder = recorder
        self.rng = random.Random(seed)
        self.http = requests.Session()
        self.http.headers["User-Agent"] = "dispersal-load-test"
        self.deps: list[dict] = []
        self.props: dict[str, dict] = {}
        self.until = float("inf")

    # -- HTTP
    def _request(
        self,
        method: str,
        path: str,
        kind: str,
        *,
        json_body=None,
        data=None,
        accept: str = "application/json",
        ok_redirect: bool = False,
    ):
        if time.perf_counter() >= self.until:
            raise PhaseOver
        headers = {"Accept": accept}
        body = None
        if json_body is not None:
            body = _dumps(json_body)
            headers["Content-Type"] = "application/json"
        start = time.perf_counter()
        status, error = None, None
        try:
            response = self.http.request(
                method,
                self.base + path,
                data=body if body is not None else data,
                headers=headers,
                timeout=REQUEST_TIMEOUT_S,
                allow_redirects=False,
            )
            content = response.content
            status = response.status_code
            if not (200 <= status < 300 or (ok_redirect and status in (302, 303))):
                where = response.headers.get("Location", "")
                error = f"HTTP {status}" + (f" to {where}" if where else "") + f" ({content[:120]!r})"
        except Exception as exc:  # any failure of the exchange is an error of the test
            error = f"{type(exc).__name__}: {str(exc)[:160]}"
            response, content = None, b""
        seconds = time.perf_counter() - start
        self.recorder.add(Sample(kind, start, seconds, status, error))
        if error:
            raise RequestFailed(error)
        return response, content

    def sign_in(self) -> None:
        _, page = self._request("GET", "/login", "sign-in:form", accept="text/html")
        token = re.search(rb'name="csrf_token" value="([^"]+)"', page)
        if not token:
            raise RuntimeError("the log-in form carries no CSRF token")
        response, _ = self._request(
            "POST",
            "/login",
            "sign-in:post",
            accept="text/html",
            ok_redirect=True,
            data={
                "csrf_token": token.group(1).decode(),
                "username": self.account.username,
                "password": self.account.password,
                "next": "/",
            },
        )
        if response.status_code not in (302, 303) or response.headers.get("Location", "").endswith("/login"):
            raise RuntimeError(f"signing in as {self.account.username} failed ({response.status_code})")

    # -- the component tree
    def _register(self, node) -> set[str]:
        added: set[str] = set()
        stack = [node]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict) and "props" in item and "type" in item:
                props = item["props"]
                if isinstance(props.get("id"), str):
                    self.props[props["id"]] = props
                    added.add(props["id"])
                child = props.get("children")
                if child is not None:
                    stack.append(child)
        return added

    def _value(self, cid: str, prop: str):
        props = self.props.get(cid)
        if props is None:
            return None, False
        if prop == "id":
            return cid, True
        if prop == "derived_viewport_data" and "data" in props:  # what a DataTable shows on its first page
            return (props.get("data") or [])[: int(props.get("page_size") or 250)], True
        if prop in props:
            return props[prop], True
        return None, False

    def _entry(self, item: dict) -> dict:
        value, present = self._value(item["id"], item["property"])
        entry = {"id": item["id"], "property": item["property"]}
        if present:
            entry["value"] = value
        return entry

    def _fire(self, dep: dict, changed: list[str]) -> set[str]:
        outputs = _parse_output(dep["output"])
        listed = [{"id": cid, "property": prop} for cid, prop in outputs]
        payload = {
            "output": dep["output"],
            "outputs": listed if dep["output"].startswith("..") else listed[0],
            "inputs": [self._entry(i) for i in dep["inputs"]],
            "changedPropIds": changed,
            "parsedChangedPropsIds": changed,
        }
        if dep.get("state"):
            payload["state"] = [self._entry(s) for s in dep["state"]]
        kind = "callback:" + ",".join(f"{cid}.{prop.split('@')[0]}" for cid, prop in outputs)
        response, content = self._request("POST", "/_dash-update-component", kind, json_body=payload)
        if response.status_code == 204 or not content:
            return set()
        answer = _loads(content)
        changed_now: set[str] = set()
        for cid, values in (answer.get("response") or {}).items():
            props = self.props.setdefault(cid, {"id": cid})
            for prop, value in values.items():
                prop = prop.split("@")[0]
                if isinstance(value, dict) and "__dash_patch_update" in value:
                    value = _apply_patch(props.get(prop), value)
                props[prop] = value
                changed_now.add(f"{cid}.{prop}")
                if prop == "children":
                    self._register(value)
        return changed_now

    def _run(self, initial: list[dict], changed: set[str]) -> None:
        """Fire ``initial`` callbacks, then every callback whose inputs changed, round after round."""
        rounds = 0
        queue = [
            (
                dep,
                sorted(f"{i['id']}.{i['property']}" for i in dep["inputs"] if f"{i['id']}.{i['property']}" in changed),
            )
            for dep in initial
        ]
        while queue and rounds < 6:
            rounds += 1
            changed_now: set[str] = set()
            for dep, why in queue:
                changed_now |= self._fire(dep, why)
            queue = []
            for dep in self.deps:
                keys = [f"{i['id']}.{i['property']}" for i in dep["inputs"]]
                hit = [k for k in keys if k in changed_now]
                if hit and all(i["id"] in self.props for i in dep["inputs"]):
                    queue.append((dep, hit))

    # -- what a user does
    def visit(self, path: str) -> None:
        self._request("GET", path, "page", accept="text/html,application/xhtml+xml")
        _, layout = self._request("GET", "/_dash-layout", "layout")
        _, deps = self._request("GET", "/_dash-dependencies", "dependencies")
        self.deps = [d for d in _loads(deps) if not d.get("clientside_function")]
        self.props = {}
        self._register(_loads(layout))
        self.props.setdefault("_pages_location", {"id": "_pages_location"}).update(pathname=path, search="")
        page = next(d for d in self.deps if d["output"].startswith(".._pages_content.children"))
        before = set(self.props)
        self._fire(page, ["_pages_location.pathname", "_pages_location.search"])
        added = set(self.props) - before
        if "_pages_content" in self.props:
            added |= self._register(self.props["_pages_content"].get("children"))
        self._initial(added)

    def _initial(self, added: set[str]) -> None:
        """The page's initial callbacks, as the renderer picks them: not prevented, touching the new layout,
        all inputs present; one whose inputs another initial callback sets waits to be triggered by it."""
        initial = []
        for dep in self.deps:
            if dep.get("prevent_initial_call"):
                continue
            ids = {i["id"] for i in dep["inputs"]} | {cid for cid, _ in _parse_output(dep["output"])}
            if ids & added and all(i["id"] in self.props for i in dep["inputs"]):
                initial.append(dep)
        produced = {f"{cid}.{prop.split('@')[0]}" for dep in initial for cid, prop in _parse_output(dep["output"])}
        first = [d for d in initial if not any(f"{i['id']}.{i['property']}" in produced for i in d["inputs"])]
        self._run(first, set())

    def change(self, cid: str, prop: str, value) -> None:
        """The user sets one property (a slider, a dropdown, a click): the callbacks on it run."""
        self.props.setdefault(cid, {"id": cid})[prop] = value
        key = f"{cid}.{prop}"
        triggered = [
            d
            for d in self.deps
            if any(f"{i['id']}.{i['property']}" == key for i in d["inputs"])
            and all(i["id"] in self.props for i in d["inputs"])
        ]
        self._run(triggered, {key})

    def think(self) -> None:
        time.sleep(self.rng.uniform(*THINK_S))

    def options(self, cid: str) -> list:
        opts = (self.props.get(cid) or {}).get("options") or []
        return [o["value"] if isinstance(o, dict) else o for o in opts]

    # -- journeys
    def tour(self, path: str) -> None:
        self.visit(path)
        self.think()
        getattr(self, "_on_" + (path.strip("/") or "overview"))()

    def _pick(self, cid: str, exclude=None):
        choices = [o for o in self.options(cid) if o != exclude]
        return self.rng.choice(choices) if choices else None

    def _on_overview(self) -> None:
        month = self._pick("overview-month", (self.props.get("overview-month") or {}).get("value"))
        if month is not None:
            self.change("overview-month", "value", month)
            self.think()

    def _on_wards(self) -> None:
        slider = self.props.get("wards-month") or {}
        if "max" not in slider:
            return
        for _ in range(2):
            self.change("wards-month", "value", self.rng.randint(int(slider.get("min", 0)), int(slider["max"])))
            self.think()
        la = self.account.lad_code if self.account.role == "officer" else self._pick("wards-la")
        if la is not None and la in self.options("wards-la"):
            self.change("wards-la", "value", la)
            self.think()
        if self.account.role == "member":
            return
        lad = self.account.lad_code if self.account.role == "officer" else self.rng.choice(self.facts.lads)
        wards = self.facts.wards_by_lad.get(lad) or []
        if wards:
            self.change("wards-map", "clickData", self._click(self.rng.choice(wards)))
            self.think()

    def _click(self, ward: str) -> dict:
        point = {"curveNumber": 0, "location": ward}
        try:
            trace = self.props["wards-map"]["figure"]["data"][0]
            index = list(trace["locations"]).index(ward)
            point.update(pointNumber=index, pointIndex=index, z=trace["z"][index])
        except (KeyError, IndexError, ValueError, TypeError):
            pass
        return {"points": [point]}

    def _on_properties(self) -> None:
        for cid in ("properties-provider", "properties-quarter"):
            value = self._pick(cid, (self.props.get(cid) or {}).get("value"))
            if value is not None:
                self.change(cid, "value", value)
                self.think()

    def _on_profiles(self) -> None:
        for cid in ("profiles-la", "profiles-dimension"):
            value = self._pick(cid, (self.props.get(cid) or {}).get("value"))
            if value is not None:
                self.change(cid, "value", value)
                self.think()

    def _on_check(self) -> None:
        lad = self.account.lad_code if self.account.role == "officer" else self.rng.choice(self.facts.lads)
        postcodes = self.facts.postcodes_by_lad.get(lad) or []
        if not postcodes or "check-run" not in self.props:
            return
        self.props["check-postcode"]["value"] = self.rng.choice(postcodes)
        self.props["check-bedspaces"]["value"] = self.rng.randint(1, 6)
        clicks = int(self.props["check-run"].get("n_clicks") or 0) + 1
        self.change("check-run", "n_clicks", clicks)
        self.think()

    def wander(self, until: float) -> None:
        """Move through the role's pages in a shuffled order, again and again, until ``until``."""
        pages = list(PAGES[self.account.role])
        self.until = until
        try:
            while True:
                self.rng.shuffle(pages)
                for path in pages:
                    try:
                        self.tour(path)
                    except RequestFailed:
                        self.think()
        except PhaseOver:
            return
        finally:
            self.until = float("inf")


# --- the server and the phases ----------------------------------------------------------------------------------


@contextmanager
def production_server(db_url: str, log_dir: Path, workers: int | None = None) -> Iterator:
    """The app as ``python -m app serve`` runs it (gunicorn, this machine's default workers), on loopback."""
    from app.web.serve import workers as default_workers
    from tests.e2e import harness

    with harness.serve(db_url, log_dir, timeout=180, workers=workers or default_workers()) as server:
        yield server


def _server_cpu(pid: int) -> float:
    import psutil

    try:
        root = psutil.Process(pid)
        total = 0.0
        for proc in [root] + root.children(recursive=True):
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
        return total
    except psutil.NoSuchProcess:
        return 0.0


def run_phase(browsers: list[Browser], seconds: float, recorder: Recorder, server_pid: int) -> dict:
    start = time.perf_counter()
    until = start + seconds
    cpu0, server0 = time.process_time(), _server_cpu(server_pid)
    threads = [threading.Thread(target=b.wander, args=(until,), daemon=True) for b in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 2 * REQUEST_TIMEOUT_S)
    wall = time.perf_counter() - start
    summary = summarise(recorder.between(start, until))
    summary.update(
        users=len(browsers),
        seconds=round(wall, 1),
        requests_per_s=round(summary["requests"] / wall, 1),
        client_cpu_cores=round((time.process_time() - cpu0) / wall, 2),
        server_cpu_cores=round((_server_cpu(server_pid) - server0) / wall, 2),
        stuck_users=sum(t.is_alive() for t in threads),
    )
    return summary


def sign_in_all(browsers: list[Browser], recorder: Recorder, batch: int = SIGN_IN_BATCH) -> dict:
    start = time.perf_counter()
    for i in range(0, len(browsers), batch):
        threads = [threading.Thread(target=b.sign_in) for b in browsers[i : i + batch]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    samples = [s for s in recorder.samples if s.kind.startswith("sign-in")]
    posts = [s.seconds for s in samples if s.kind == "sign-in:post"]
    return {
        "users": len(browsers),
        "seconds": round(time.perf_counter() - start, 1),
        "batch": batch,
        "errors": sum(1 for s in samples if s.error),
        "post_p50_s": round(percentile(posts, 50), 3),
        "post_p95_s": round(percentile(posts, 95), 3),
    }


def warm_up(browsers: list[Browser]) -> None:
    """Every page once per role, a few users at a time, so each worker has built its caches (not counted)."""
    by_role: dict[str, Browser] = {}
    for b in browsers:
        by_role.setdefault(b.account.role, b)
    threads = []
    for b in list(by_role.values()) * 2:

        def tour_all(b=b):
            for path in PAGES[b.account.role]:
                try:
                    b.tour(path)
                except RequestFailed:
                    pass

        threads.append(threading.Thread(target=tour_all))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def load_test(
    db_url: str,
    work: Path,
    users: int = USERS,
    load_s: float = LOAD_S,
    single_s: float = SINGLE_S,
    workers: int | None = None,
    plan=ACCOUNT_PLAN,
    warm: bool = True,
    log=print,
) -> dict:
    """Run the whole load test against a store; returns every figure measured. ``warm=False`` skips the warm-up
    tour, so that the timed phases start on cold caches (quicker; for the smoke test)."""
    facts = store_facts(db_url)
    t0 = time.perf_counter()
    accounts = add_accounts(db_url, facts, plan)
    log(f"load: {len(accounts)} accounts in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    with production_server(db_url, work / "load-logs", workers) as server:
        log(f"load: server answering in {time.perf_counter() - t0:.1f} s")
        pid = server.proc.pid
        recorder = Recorder()
        browsers = [Browser(server.base, accounts[i % len(accounts)], facts, recorder, seed=i) for i in range(users)]
        sign_in = sign_in_all(browsers, recorder)
        log(f"load: {users} users signed in in {sign_in['seconds']} s")
        if warm:
            t0 = time.perf_counter()
            warm_up(browsers)
            log(f"load: warm-up in {time.perf_counter() - t0:.1f} s")
        warm_errors = sum(1 for s in recorder.samples if s.error and not s.kind.startswith("sign-in"))
        single = run_phase([browsers[0]], single_s, recorder, pid) if single_s > 0 else None
        if single:
            log(f"load: one user, {single['requests']} requests, p95 {single['p95_s']} s")
        loaded = run_phase(browsers, load_s, recorder, pid)
        log(
            f"load: {users} users, {loaded['requests']} requests, {loaded['errors']} errors, "
            f"p95 {loaded['p95_s']} s, client {loaded['client_cpu_cores']} cores, "
            f"server {loaded['server_cpu_cores']} cores"
        )
        from app.web.serve import workers as default_workers

        server_log = server.log_text()
    return {
        "users": users,
        "workers": workers or default_workers(),
        "roles": dict(Counter(b.account.role for b in browsers)),
        "sign_in": sign_in,
        "warm_up_errors": warm_errors,
        "single": single,
        "load": loaded,
        "p95_ratio": round(loaded["p95_s"] / single["p95_s"], 2) if single else None,
        "server_log_problems": [
            line
            for line in server_log.splitlines()
            if re.search(r"\[(ERROR|CRITICAL)\]|WORKER TIMEOUT|Traceback|database is locked", line)
        ][:20],
    }


def bench_load(work: Path, results: dict) -> dict:
    from tests.e2e import harness

    store = harness.build_store("demo", work / "load-store")
    outcome = load_test(store, work, log=lambda line: print(line, file=sys.stderr))
    (ROOT / "data").mkdir(exist_ok=True)
    (ROOT / "data" / "load_test.json").write_text(json.dumps(outcome, indent=2) + "\n")
    results.update(
        load_test_users=outcome["users"],
        load_test_requests=outcome["load"]["requests"],
        load_test_errors=outcome["load"]["errors"],
        load_test_p95_ratio=outcome["p95_ratio"],
        load_test_p95_s=outcome["load"]["p95_s"],
        load_test_p95_single_s=outcome["single"]["p95_s"],
        load_test_requests_per_s=outcome["load"]["requests_per_s"],
        load_test_client_cpu_cores=outcome["load"]["client_cpu_cores"],
        load_test_server_cpu_cores=outcome["load"]["server_cpu_cores"],
        load_test_workers=outcome["workers"],
        load_test_sign_in_p95_s=outcome["sign_in"]["post_p95_s"],
    )
    return results


def main() -> None:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--seconds", type=float, default=LOAD_S)
    parser.add_argument("--single", type=float, default=SINGLE_S)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--db", help="an existing store (default: build the demo store in a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dispersal-load-") as tmp:
        work = Path(tmp)
        if args.db:
            store = args.db
        else:
            from tests.e2e import harness

            store = harness.build_store("demo", work / "load-store")
        outcome = load_test(
            store,
            work,
            users=args.users,
            load_s=args.seconds,
            single_s=args.single,
            workers=args.workers,
            log=lambda line: print(line, file=sys.stderr),
        )
    print(json.dumps(outcome, indent=2))


if __name__ == "__main__":
    main()
