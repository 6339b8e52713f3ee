"""Stores built by the ordinary ingest commands, in child processes, for tests, screenshots and benchmarks.

A test session builds each kind at most once (:class:`Templates`, started by ``tests/conftest.py`` as soon as
collection says which kinds are needed, so the builds use the core the tests leave idle) and every folder of
tests takes its own copy of the file: a folder may change its store without another folder seeing it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference"

BUILD_SCRIPTS = {
    "demo": "from app.demo import build_synthetic, load_public_stats\n"
    "build_synthetic({url!r}, Path({inputs!r}))\nload_public_stats({url!r})\n",
    "north_east": "from app.demo import build_on_geography\n"
    "build_on_geography({url!r}, Path({reference!r}), Path({inputs!r}), months=12)\n",
    "national": "from tests.e2e.harness import build_national\nbuild_national({url!r}, Path({inputs!r}))\n",
    "national_properties": "from tests.e2e.harness import build_national\n"
    "build_national({url!r}, Path({inputs!r}), properties=35_000)\n",
}


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def child_env(**extra: str) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("DISPERSAL_DB", None)
    env.update(extra)
    return env


def start_build(kind: str, work: Path) -> tuple[subprocess.Popen, str, Path]:
    """Build a store in a child process (so that two builds use both cores); returns (process, url, log)."""
    work.mkdir(parents=True, exist_ok=True)
    url = sqlite_url(work / f"{kind}.sqlite")
    script = "from pathlib import Path\n" + BUILD_SCRIPTS[kind].format(
        url=url, inputs=str(work / "inputs"), reference=str(REFERENCE)
    )
    log = work / f"build-{kind}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", script], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=child_env()
        )
    return proc, url, log


def finish_build(proc: subprocess.Popen, url: str, log: Path, timeout: float = 300) -> str:
    code = proc.wait(timeout=timeout)
    if code != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"building the store {url} failed ({code}):\n{tail}")
    return url


def build_store(kind: str, work: Path) -> str:
    return finish_build(*start_build(kind, work))


def copy_store(url: str, target: Path) -> str:
    """A consistent copy of a SQLite store (the backup API, not a file copy that could catch a half-written page)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    source, copy = sqlite3.connect(url.removeprefix("sqlite:///")), sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        source.close()
        copy.close()
    return sqlite_url(target)


@dataclass(frozen=True)
class Template:
    """A built store; treat ``url`` as read-only and take a :meth:`copy` to change anything."""

    url: str
    inputs: Path

    def copy(self, target: Path) -> str:
        """A store for the caller to change; ``inputs`` beside it links to the files it was built from (read
        them, do not change them)."""
        url = copy_store(self.url, target)
        inputs = target.parent / "inputs"
        if not inputs.exists():
            inputs.symlink_to(self.inputs, target_is_directory=True)
        return url


class Templates:
    """Each kind of store built once per test session; tests take copies."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="dispersal-test-stores-"))
        self.builds: dict[str, tuple[subprocess.Popen, str, Path]] = {}
        self.done: dict[str, Template] = {}

    def start(self, kind: str) -> None:
        if kind not in self.builds:
            self.builds[kind] = start_build(kind, self.root / kind)

    def get(self, kind: str, timeout: float = 900) -> Template:
        if kind not in self.done:
            self.start(kind)
            finish_build(*self.builds[kind], timeout=timeout)
            self.done[kind] = Template(self.builds[kind][1], self.root / kind / "inputs")
        return self.done[kind]

    def close(self) -> None:
        for proc, _, _ in self.builds.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        shutil.rmtree(self.root, ignore_errors=True)
