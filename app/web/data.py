"""What the pages read: the current snapshot of the store for this app's settings.

Callbacks call these instead of touching the store, so that every page sees
one consistent, cached version of the data (see :mod:`app.monitoring`).
Derived frames (one month of one level, display geometry...) are memoised
per (store URL, store version, arguments): a load bumps the version, so
nothing stale is ever served. Each function is a small read that can take a
user's scope later (issue 5) without the pages changing.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable

import numpy as np
import pandas as pd
from flask import current_app
from sqlalchemy import Engine

from app import monitoring
from app.cluster import coverage
from app.config import Settings, load_settings
from app.figures import maps
from app.security.roles import VIEW_WARD_BREAKDOWNS
from app.store import db, queries
from app.views import disclosed

#: Level of detail of the display geometry on the maps (chosen by measurement, see the ward map page).
MAP_DETAIL = "coarse"


def settings() -> Settings:
    return current_app.config["DISPERSAL_SETTINGS"]


def engine() -> Engine:
    return db.connect(settings().db_url)


def snapshot() -> monitoring.Snapshot:
    """The store's current snapshot; a SQLite store whose files have not changed is not asked again.

    Every commit to a SQLite store changes its main or WAL file (size or modification time), so an
    unchanged file stamp means an unchanged store version; the version query (about 1.5 ms) is then
    skipped. Other databases are asked for their version on every call.
    """
    current = settings()
    stamp = _file_stamp(current.db_url)
    key = (current.db_url, current)
    if stamp is not None:
        with _memo_lock:
            seen = _stamped.get(key)
        if seen is not None and seen[0] == stamp:
            return seen[1]
    snap = monitoring.snapshot(engine(), current)
    if stamp is not None:
        with _memo_lock:
            _stamped[key] = (stamp, snap)
    return snap


_stamped: dict[tuple, tuple[tuple, monitoring.Snapshot]] = {}


def _file_stamp(url: str) -> tuple | None:
    if not url.startswith("sqlite:///") or ":memory:" in url:
        return None
    path = url.removeprefix("sqlite:///").split("?")[0]
    stamp = []
    for suffix in ("", "-wal"):
        try:
            status = os.stat(path + suffix)
        except FileNotFoundError:
            stamp.append(None)
            continue
        stamp.append((status.st_mtime_ns, status.st_size))
    return tuple(stamp)


def tile_url() -> str | None:
    """Optional raster tile URL template (setting ``tile_url``) for a street map under the choropleths."""
    from flask import has_app_context

    return (settings() if has_app_context() else load_settings()).tile_url


_memo: dict[tuple, object] = {}
_memo_lock = threading.Lock()
_MEMO_MAX = 512


def _remember(name: str, scope_key: object, args: tuple, compute: Callable[[monitoring.Snapshot], object]):
    """The memoised result of ``compute(snapshot)`` for this store version; older versions' entries are dropped."""
    snap = snapshot()
    key = (name, settings().db_url, snap.version, scope_key, args, settings())  # a status depends on the settings
    with _memo_lock:
        if key in _memo:
            return _memo[key]
    value = compute(snap)
    with _memo_lock:
        for stale in [k for k in _memo if k[1] == key[1] and k[2] != key[2]]:
            del _memo[stale]
        if len(_memo) >= _MEMO_MAX:
            _memo.pop(next(iter(_memo)))
        _memo[key] = value
    return value


def per_version(fn: Callable) -> Callable:
    """Memoise ``fn(snap, *args)`` per store URL and version; callers must not mutate the result."""
    name = f"{fn.__module__}.{fn.__qualname__}"

    @functools.wraps(fn)
    def wrapper(*args):
        return _remember(name, None, args, lambda snap: fn(snap, *args))

    return wrapper


@per_version
def geometry(snap: monitoring.Snapshot, level: str, detail: str | None = None) -> maps.MapGeometry:
    """Display geometry of every area of a level (``ward`` / ``lad``), at :data:`MAP_DETAIL` unless given."""
    with engine().connect() as conn:
        frame = queries.display_geometry(conn, detail or MAP_DETAIL, level)
    return maps.map_geometry(frame)


@per_version
def local_authorities(snap: monitoring.Snapshot) -> pd.DataFrame:
    """``area_code``, ``area_name`` of the LAs in the store, by name."""
    las = snap.areas[snap.areas["level"] == "lad"][["area_code", "area_name", "region_name"]]
    return las.sort_values("area_name").reset_index(drop=True)


@per_version
def months(snap: monitoring.Snapshot) -> list[str]:
    return list(snap.months)


def default_month(scope, lad: str | None = None) -> str | None:
    """The month a page opens on: the latest one every LA in view reported (a later, partial month is
    still offered, and marked)."""
    snap = snapshot()
    codes = [lad] if lad else sorted(scope.lad_codes)
    return snap.latest_complete_month(codes)


def month_note(scope, month: str, lad: str | None = None) -> str | None:
    """Words for a month not every LA in view reported, else None."""
    snap = snapshot()
    report = snap.reporting(month, [lad] if lad else sorted(scope.lad_codes))
    if report["complete"]:
        return None
    return coverage.headline(report, pd.Period(month, freq="M").strftime("%B %Y"))


@per_version
def month_rows(snap: monitoring.Snapshot, level: str, month: str, la: str | None = None) -> pd.DataFrame:
    """Monitoring-table rows of one level and month (wards of one LA when ``la``), with ``la_name``."""
    table = snap.table
    rows = table[(table["level"] == level) & (table["month"] == month)]
    if la:
        rows = rows[rows["lad_code"] == la]
    names = snap.areas[snap.areas["level"] == "lad"].set_index("area_code")["area_name"]
    rows = rows.assign(la_name=rows["lad_code"].map(names).astype("string"))
    return rows.sort_values(["la_name", "area_name"]).reset_index(drop=True)


@per_version
def area_trend(snap: monitoring.Snapshot, area_code: str) -> pd.DataFrame:
    """Every month of one area."""
    table = snap.table
    return table[table["area_code"] == area_code].sort_values("month").reset_index(drop=True)


@per_version
def level_trend(snap: monitoring.Snapshot, level: str) -> pd.DataFrame:
    """Every month of every area of one level."""
    table = snap.table
    return table[table["level"] == level].sort_values(["area_name", "month"]).reset_index(drop=True)


@per_version
def accommodation_mix(snap: monitoring.Snapshot, area_code: str | None = None) -> pd.DataFrame:
    """People by month and accommodation type: the region (None), an LA, or a ward (apportioned).

    Every type, counted or not: this is the "shown beside it" view of domain.md.
    """
    records = snap.records
    kind = records["accommodation_type"].astype("string").fillna("not stated")
    level = None if area_code is None else snap.areas.set_index("area_code")["level"].get(area_code)
    if level != "ward":
        frame = pd.DataFrame({"month": records["month"], "accommodation_type": kind, "people": records["people"]})
        if area_code is not None:
            frame = frame[records["lad_code"] == area_code]
    else:
        wards = snap.apportioned.wards
        wards = wards[wards["ward_code"] == area_code]
        frame = pd.DataFrame(
            {
                "month": records["month"].reindex(wards["record"]).to_numpy(),
                "accommodation_type": kind.reindex(wards["record"]).to_numpy(),
                "people": wards["people"].to_numpy(),
            }
        )
    mix = frame.groupby(["month", "accommodation_type"], as_index=False)["people"].sum()
    return mix.sort_values(["month", "accommodation_type"]).reset_index(drop=True)


@per_version
def properties_in(snap: monitoring.Snapshot, ward_code: str) -> pd.DataFrame:
    """Provider properties placed in one ward, latest quarter first (addresses: restricted, issue 5)."""
    props = snap.properties
    rows = props[props["ward_code"] == ward_code]
    return rows.sort_values(["quarter", "provider"], ascending=[False, True]).reset_index(drop=True)


@per_version
def data_quality(snap: monitoring.Snapshot, lad_code: str, month: str) -> pd.DataFrame:
    """Data-quality records of the month's active Home Office loads that cover this LA."""
    with engine().connect() as conn:
        problems = queries.problems(conn)
    covered = snap.covered
    ids = set(covered.loc[(covered["month"] == month) & (covered["lad_code"] == lad_code), "load_id"].astype(int))
    rows = problems[problems["load_id"].astype(int).isin(ids)]
    return rows[["load_id", "severity", "code", "file_name", "period", "message"]].reset_index(drop=True)


@per_version
def loads(snap: monitoring.Snapshot) -> pd.DataFrame:
    """The load history (``id``, ``kind``, ``period``, ``scope``...), newest last."""
    with engine().connect() as conn:
        return queries.load_history(conn)


@per_version
def public_stats(snap: monitoring.Snapshot) -> pd.DataFrame:
    """The published Home Office table (Asy_D11), every UK LA and quarter."""
    with engine().connect() as conn:
        return queries.public_stats(conn)


@per_version
def allocations(snap: monitoring.Snapshot, quarter: str | None) -> pd.DataFrame:
    """Full-dispersal-plan allocations per LA for ``quarter`` (``area_code``, ``allocation``, ``source``), where
    entered: the quarter's own, else the LA's standing allocation (:func:`app.views.plan.allocations_in`)."""
    from app.views.plan import allocations_in

    with engine().connect() as conn:
        settings_rows = queries.area_settings(conn)
        per_quarter = queries.plan_allocations(conn)
    return allocations_in(settings_rows, per_quarter, quarter)


def region_name(snap: monitoring.Snapshot) -> str:
    names = snap.areas.loc[snap.areas["level"] == "region", "area_name"].dropna()
    return str(names.iloc[0]) if len(names) else "the region"


def finite(value: float) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


# ------------------------------------------------------------------ what the signed-in user may see (issue 5)


def scope():
    """The signed-in user's :class:`~app.security.roles.Scope` for this request (401 when there is none)."""
    from app.security.roles import current_scope

    return current_scope()


def per_scope(fn: Callable) -> Callable:
    """Memoise ``fn(snap, scope, *args)`` per store URL, version and ``scope.key`` (what the user may see).

    Two users with the same scope share the entries; a user with a narrower scope never gets a wider one's.
    """
    name = f"{fn.__module__}.{fn.__qualname__}"

    @functools.wraps(fn)
    def wrapper(user_scope, *args):
        return _remember(name, user_scope.key, args, lambda snap: fn(snap, user_scope, *args))

    return wrapper


@per_scope
def scoped_table(snap: monitoring.Snapshot, user_scope) -> pd.DataFrame:
    """The monitoring table as this scope may see it (members: disclosure-controlled over every month at once,
    so that the same cells are hidden on every page)."""
    return user_scope.filter_table(snap.table)


@per_scope
def scoped_month_rows(
    snap: monitoring.Snapshot, user_scope, level: str, month: str, la: str | None = None
) -> pd.DataFrame:
    """:func:`month_rows` as this scope may see it (rows of LAs out of scope dropped; members suppressed)."""
    table = scoped_table(user_scope)
    rows = table[(table["level"] == level) & (table["month"] == month)]
    if la:
        rows = rows[rows["lad_code"] == la]
    names = snap.areas[snap.areas["level"] == "lad"].set_index("area_code")["area_name"]
    rows = rows.assign(la_name=rows["lad_code"].map(names).astype("string"))
    return rows.sort_values(["la_name", "area_name"]).reset_index(drop=True)


@per_scope
def scoped_area_trend(snap: monitoring.Snapshot, user_scope, area_code: str) -> pd.DataFrame:
    table = scoped_table(user_scope)
    return table[table["area_code"] == area_code].sort_values("month").reset_index(drop=True)


@per_scope
def scoped_level_trend(snap: monitoring.Snapshot, user_scope, level: str) -> pd.DataFrame:
    table = scoped_table(user_scope)
    return table[table["level"] == level].sort_values(["area_name", "month"]).reset_index(drop=True)


@per_scope
def scoped_local_authorities(snap: monitoring.Snapshot, user_scope) -> pd.DataFrame:
    """:func:`local_authorities` this scope may see, by name."""
    las = local_authorities()
    return las[las["area_code"].isin(user_scope.lad_codes)].reset_index(drop=True)


@per_scope
def scoped_accommodation_mix(snap: monitoring.Snapshot, user_scope, area_code: str | None = None) -> pd.DataFrame:
    """:func:`accommodation_mix` over the LAs in scope (None: all of them). For members (LA level only) the
    month x type table is protected (counts under 5 suppressed, with secondary suppression)."""
    if area_code is not None:
        level = snap.areas.set_index("area_code")["level"].get(area_code)
        user_scope.check_breakdown("ward" if level == "ward" else "la")
        if level == "ward":
            user_scope.check(VIEW_WARD_BREAKDOWNS, area_code)
        mix = accommodation_mix(area_code)
    else:
        records = snap.records
        kind = records["accommodation_type"].astype("string").fillna("not stated")
        keep = records["lad_code"].astype("string").isin(user_scope.lad_codes).fillna(False).to_numpy()
        frame = pd.DataFrame({"month": records["month"], "accommodation_type": kind, "people": records["people"]})[keep]
        mix = frame.groupby(["month", "accommodation_type"], as_index=False)["people"].sum()
        mix = mix.sort_values(["month", "accommodation_type"]).reset_index(drop=True)
    return disclosed.protected_mix(mix) if user_scope.suppress else mix


@per_scope
def scoped_properties(snap: monitoring.Snapshot, user_scope) -> pd.DataFrame:
    """Every property row whose LA this scope may see at property level (none for members). Not audited:
    callers show them through :func:`app.security.roles.view_properties`."""
    return user_scope.filter_properties(snap.properties)


def properties_in_scope(user_scope, ward_code: str) -> pd.DataFrame:
    """:func:`properties_in` for a ward whose property-level data this scope may see (else Forbidden)."""
    user_scope.check_properties(ward_code)
    return properties_in(ward_code)


def layout_scope():
    """The scope for a page layout, or None outside a request or without a signed-in user (Dash may build
    layouts to validate them; the guard has already refused anonymous page requests)."""
    from app.security.roles import NotSignedIn

    try:
        return scope()
    except (NotSignedIn, RuntimeError):
        return None
