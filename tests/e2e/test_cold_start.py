"""Pages load whole right after a server start: every asset of a page answers, even when asked for all at once.

Dash sets up each worker on its first request (registering the component bundles it may serve) and, without
the app doing that work up front, concurrent first requests were answered 404 while it was under way (about
1 in 4 of 24). Each start here is a fresh ``serve`` process with several workers over an empty store; the
test signs in, reads the page's script and stylesheet addresses and fires them all at once.
"""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

import pytest

ROOT = Path(__file__).resolve().parents[2]
STARTS = 3
PARALLEL = 24


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory, harness) -> str:
    url = harness.sqlite_url(tmp_path_factory.mktemp("cold") / "empty.sqlite")
    subprocess.run(
        [sys.executable, "-m", "app", "init", "--db", url],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env=harness.child_env(),
        timeout=120,
    )
    return url


def _opener():
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))


def _sign_in(opener, server) -> None:
    form = opener.open(server.url("/login"), timeout=30).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    body = urlencode(
        {"csrf_token": token, "username": server.account.username, "password": server.account.password, "next": "/"}
    ).encode()
    opener.open(urllib.request.Request(server.url("/login"), data=body), timeout=30).read()


def _assets(page: str) -> list[str]:
    found = re.findall(r'<script[^>]+src="([^"]+)"', page) + re.findall(r'<link[^>]+href="([^"]+)"', page)
    return [a for a in found if a.startswith("/")]


def _status(opener, url: str) -> int:
    try:
        with opener.open(url, timeout=60) as reply:
            reply.read()
            return reply.status
    except urllib.error.HTTPError as refused:
        return refused.code


@pytest.mark.parametrize("start", range(1, STARTS + 1))
def test_every_asset_answers_right_after_start(start, empty_store, harness, tmp_path):
    with harness.serve(empty_store, tmp_path / "logs", workers=3) as server:
        opener = _opener()
        _sign_in(opener, server)
        page = opener.open(server.url("/"), timeout=30).read().decode()
        assets = _assets(page)
        assert any("_dash-component-suites" in a for a in assets), f"no Dash bundles in the page: {page[:500]}"
        wanted = (assets * (PARALLEL // len(assets) + 1))[: max(PARALLEL, len(assets))]
        with ThreadPoolExecutor(PARALLEL) as pool:
            statuses = list(pool.map(lambda a: (_status(opener, server.url(a)), a), wanted))
        failed = [f"{code} {asset}" for code, asset in statuses if code != 200]
        assert not failed, f"start {start}: {len(failed)} of {len(statuses)} asset requests failed: {failed[:6]}"
