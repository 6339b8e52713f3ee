"""Upload files never outlive their use: each waits in its own ``/tmp/dispersal-upload-*`` folder only
until it is loaded, refused, replaced or evicted, and :func:`sweep` (at start-up, then hourly) deletes any
folder older than :data:`MAX_AGE_S` left by a worker that died or a preview never confirmed."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

UPLOAD_PREFIX = "dispersal-upload-"
#: How long an upload may wait for its Confirm.
MAX_AGE_S = 3600
SWEEP_EVERY_S = 3600
log = logging.getLogger("dispersal.uploads")
_started = threading.Event()


def remove(folder: Path | str) -> None:
    folder = Path(folder)
    if folder.name.startswith(UPLOAD_PREFIX) and folder.parent == Path(tempfile.gettempdir()):
        shutil.rmtree(folder, ignore_errors=True)


def sweep(max_age_s: float = MAX_AGE_S, now: float | None = None) -> int:
    """Delete upload folders last changed more than ``max_age_s`` ago; how many were deleted."""
    now = time.time() if now is None else now
    removed = 0
    root = Path(tempfile.gettempdir())
    for entry in os.scandir(root):
        if not entry.name.startswith(UPLOAD_PREFIX) or not entry.is_dir(follow_symlinks=False):
            continue
        try:
            age = now - entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        if age > max_age_s:
            remove(root / entry.name)
            removed += 1
    if removed:
        log.info("removed %d upload folder(s) older than %d minutes", removed, max_age_s // 60)
    return removed


def start_sweeper(every_s: float = SWEEP_EVERY_S) -> None:
    """Sweep now and then every ``every_s`` seconds in a daemon thread (once per process)."""
    if _started.is_set():
        return
    _started.set()

    def run() -> None:
        while True:
            try:
                sweep()
            except Exception as error:  # a sweep that fails must not stop the next one
                log.warning("upload sweep failed: %s", type(error).__name__)
            time.sleep(every_s)

    threading.Thread(target=run, name="upload-sweeper", daemon=True).start()
