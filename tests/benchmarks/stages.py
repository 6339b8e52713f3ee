"""Where the milliseconds of one ``ingest home-office`` go: each stage's own time, nested stages taken out.

The stages are the functions the load calls, wrapped with a timer for one load (a few dozen calls, so the
timers cost nothing measurable). Apportionment and inserts done while figuring the month are reported as
``materialise_apportion`` and ``materialise_insert``; ``other`` is what no stage claims (checksums,
reading the LAs and sector weights, the load's own bookkeeping rows, the commit).
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path
from unittest import mock

#: (module, attribute, stage): the functions of the home-office path, by where the load looks them up.
STAGES = [
    ("app.readers.home_office", "read_sheets", "parse"),
    ("app.readers.tables", "check_workbook_archive", "xlsx_archive_check"),
    ("app.readers.sandbox", "open_workbook", "xlsx_parse_in_child"),
    ("app.readers.tables", "error_cells", "xlsx_error_cells"),
    ("app.ingest", "read_home_office", "clean"),
    ("app.ingest", "resolve_local_authorities", "resolve_la"),
    ("app.cluster.apportion", "apportion", "apportion"),
    ("app.cluster.apportion", "placement", "apportion"),
    ("app.ingest", "_placement_warnings", "validate"),
    ("app.ingest", "_provider_mismatches", "validate"),
    ("app.cluster.coverage", "file_scope", "validate"),
    ("app.store.loads", "overlong", "validate"),
    ("app.store.loads", "insert_frame", "insert"),
    ("app.materialise", "refresh", "materialise"),
]


def staged_ingest(db_url: str, path: Path) -> tuple[float, dict[str, float]]:
    """Seconds of one home-office load, and milliseconds per stage (exclusive; they add up to the whole)."""
    import importlib

    from app import ingest
    from app.store import db

    spent: dict[str, float] = {}
    stack: list[str] = []

    def timed(fn, stage):
        def run(*args, **kwargs):
            label = f"materialise_{stage}" if stack and stack[0] == "materialise" and stage != "materialise" else stage
            stack.append(label)
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                took = time.perf_counter() - start
                stack.pop()
                spent[label] = spent.get(label, 0.0) + took
                if stack:
                    spent[stack[-1]] = spent.get(stack[-1], 0.0) - took

        return run

    engine = db.connect(db_url)
    with ExitStack() as patches:
        for module, name, stage in STAGES:
            owner = importlib.import_module(module)
            patches.enter_context(mock.patch.object(owner, name, timed(getattr(owner, name), stage)))
        start = time.perf_counter()
        ingest.ingest_home_office(engine, path)
        total = time.perf_counter() - start
    db.dispose(db_url)
    stages = {stage: round(seconds * 1000, 1) for stage, seconds in sorted(spent.items())}
    stages["other"] = round(total * 1000 - sum(stages.values()), 1)
    return total, stages
