"""Making a meeting pack from the store: read, build the content, render, write, audit.

The edge of :mod:`app.report`: the only module that touches the store or the file system. Both the CLI
(``python -m app report``) and the dashboard's Meeting pack page call :func:`make_pack`; every pack made is
recorded in the audit log (action ``export``, with the format, role, marking and LAs; never figures).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from app import monitoring
from app.config import Settings
from app.report import content as pack_content
from app.security import audit
from app.security.roles import Scope, scope_for
from app.store import proposals as proposal_log
from app.store import queries

FORMATS = {".pdf": "pdf", ".html": "html", ".htm": "html", ".xlsx": "xlsx"}
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass
class PackGeometry:
    """Display geometry (GeoJSON text, WGS84) of the pack's wards and LAs: ``area_code``, ``geojson``."""

    wards: pd.DataFrame
    las: pd.DataFrame


@dataclass
class Pack:
    content: pack_content.PackContent
    data: bytes
    fmt: str
    filename: str
    seconds: float

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.fmt]


def format_of(path: str | Path) -> str:
    """``pdf`` / ``html`` / ``xlsx`` from a file name; ValueError for anything else."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"the pack is made as .pdf, .html or .xlsx, not '{suffix or Path(path).name}'")
    return FORMATS[suffix]


def attribution_lines(reference_dir: Path | None) -> tuple[str, ...]:
    """The attribution lines of the reference data's README ("Licences and attribution"), else the built-in copy."""
    readme = Path(reference_dir) / "README.md" if reference_dir else None
    if readme is None or not readme.is_file():
        return pack_content.ATTRIBUTION
    text = readme.read_text(encoding="utf-8", errors="replace")
    section = re.search(r"^## Licences and attribution\s*$(.*?)(?=^## )", text, re.S | re.M)
    lines = re.findall(r"^- [^:]+: \*(.+?)\*\s*$", section.group(1), re.M) if section else []
    return tuple(lines) or pack_content.ATTRIBUTION


def pack_inputs(engine: Engine, settings: Settings) -> tuple[pack_content.PackInputs, monitoring.Snapshot]:
    snap = monitoring.snapshot(engine, settings)
    with engine.connect() as conn:
        problems = queries.problems(conn)
        loads = queries.load_history(conn)
        area_settings = queries.area_settings(conn)
        plan_allocations = queries.plan_allocations(conn)
        log = proposal_log.list_proposals(conn)
    inputs = pack_content.PackInputs(
        areas=snap.areas,
        table=snap.table,
        records=snap.records,
        weights=snap.weights,
        properties=snap.properties,
        population=snap.population,
        area_settings=area_settings,
        plan_allocations=plan_allocations,
        proposals=log,
        problems=problems,
        loads=loads,
        counted_types=settings.counted_types,
        approaching=settings.approaching,
        limit_ratio=settings.limit_ratio,
        attribution=attribution_lines(settings.reference_dir),
    )
    return inputs, snap


def pack_geometry(engine: Engine, lad_codes: list[str]) -> PackGeometry:
    with engine.connect() as conn:
        wards = queries.display_geometry(conn, "fine", "ward")
        las = queries.display_geometry(conn, "fine", "lad")
        ward_las = queries.areas(conn, level="ward", lad_codes=lad_codes)["area_code"]
    return PackGeometry(
        wards[wards["area_code"].isin(ward_las)].reset_index(drop=True),
        las[las["area_code"].isin(lad_codes)].reset_index(drop=True),
    )


def render(content: pack_content.PackContent, geometry: PackGeometry, fmt: str) -> bytes:
    if fmt == "pdf":
        from app.report import pdf

        return pdf.render(content, geometry)
    if fmt == "html":
        from app.report import html

        return html.render(content, geometry)
    from app.report import xlsx

    return xlsx.render(content)


def file_name(content: pack_content.PackContent, fmt: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9]+", "-", content.area_name).strip("-")
    suffix = "-members" if content.suppressed else ""
    return f"meeting-pack-{safe}-{content.quarter}{suffix}.{fmt}"


def make_pack(
    engine: Engine,
    settings: Settings,
    scope: Scope,
    *,
    quarter: str,
    fmt: str,
    la: str | None = None,
    region: str | None = None,
    remote_addr: str | None = None,
    now: datetime | None = None,
) -> Pack:
    """Build and render one pack as ``scope`` may see it, and record it in the audit log.

    Raises :class:`~app.security.roles.Forbidden` (area not in scope) or
    :class:`~app.report.content.PackError` (nothing to report); neither is audited as an export.
    """
    started = time.perf_counter()
    inputs, _snap = pack_inputs(engine, settings)
    content = pack_content.build_content(inputs, scope, quarter=quarter, la=la, region=region, generated_at=now)
    data = render(content, pack_geometry(engine, content.lad_codes), fmt)
    seconds = time.perf_counter() - started
    pack = Pack(content, data, fmt, file_name(content, fmt), seconds)
    audit.record(
        engine,
        scope.user,
        audit.EXPORT,
        f"meeting pack {content.area_code} {quarter}",
        {
            "format": fmt,
            "role": scope.role,
            "marking": content.marking,
            "suppressed": content.suppressed,
            "kind": content.kind,
            "lads": content.lad_codes,
            "bytes": len(data),
            "month": content.month,
        },
        remote_addr,
    )
    return pack


def write_pack(
    engine: Engine,
    settings: Settings,
    scope: Scope,
    out: Path,
    *,
    quarter: str,
    la: str | None = None,
    region: str | None = None,
) -> Pack:
    """:func:`make_pack` in the format named by ``out``'s extension, written to ``out``."""
    pack = make_pack(engine, settings, scope, quarter=quarter, fmt=format_of(out), la=la, region=region)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pack.data)
    return pack


@dataclass(frozen=True)
class _Account:
    username: str
    role: str
    lad_code: str | None = None
    region_code: str | None = None


def cli_scope(
    engine: Engine,
    settings: Settings,
    *,
    user: str | None,
    operator: str,
    as_role: str | None = None,
    la: str | None = None,
    region: str | None = None,
) -> Scope:
    """Who a CLI pack is for.

    ``user``: an account in the store, whose role and LA decide the pack. Without it the pack is made by the
    person running the command (``operator``), who already holds the store itself, with administrator scope;
    the audit entry names them as ``cli:<operator>``. ``as_role="member"`` (or ``"officer"``) narrows either to
    that role for the pack's LA (or region): a councillors' pack without a member account. It never widens:
    the requester must be able to see the area first.
    """
    from app.security import accounts

    areas = monitoring.snapshot(engine, settings).areas
    if user:
        account = accounts.get(engine, user)
        if account is None:
            raise LookupError(f"there is no account called '{user}'")
        scope = scope_for(account, areas)
    else:
        scope = scope_for(_Account(f"cli:{operator}", "admin"), areas)
    return narrow_scope(scope, areas, as_role, la=la, region=region)


def narrow_scope(
    scope: Scope, areas: pd.DataFrame, as_role: str | None, *, la: str | None = None, region: str | None = None
) -> Scope:
    """``scope`` narrowed to ``as_role`` ("member" or "officer") for the pack's LA or region; never wider."""
    from app.security.roles import Forbidden

    if as_role is None or as_role == scope.role:
        return scope
    if as_role not in ("member", "officer"):
        raise ValueError("a pack can be narrowed to 'member' or 'officer' only")
    if la is not None:
        scope.check_lad(la)
    elif region is not None and region not in scope.region_codes:
        raise Forbidden("You do not have access to that region.", what=region)
    if as_role == "officer" and scope.role == "member":
        raise PermissionError("a member's pack cannot be made as an officer's")
    narrowed = scope_for(_Account(scope.user, as_role, la, region if la is None else None), areas)
    if not narrowed.property_level_lads <= scope.property_level_lads:
        raise PermissionError("that pack would show properties the requester may not see")
    return narrowed


def cli_report(engine: Engine, settings: Settings, args, *, operator: str) -> int:
    """``python -m app report``: 0 written; 1 refused (the user may not see the area); 2 wrong usage."""
    import sys

    from app.report.content import PackError
    from app.security.roles import Forbidden
    from app.store import db

    db.check_ready(engine)
    try:
        format_of(args.out)
        scope = cli_scope(
            engine, settings, user=args.user, operator=operator, as_role=args.as_role, la=args.la, region=args.region
        )
        pack = write_pack(engine, settings, scope, args.out, quarter=args.quarter, la=args.la, region=args.region)
    except Forbidden as refused:
        who = args.user or f"cli:{operator}"
        audit.record(
            engine,
            who,
            audit.ACCESS_DENIED,
            refused.what or (args.la or args.region),
            {"command": "report", "quarter": args.quarter},
        )
        print(f"error: {refused.message}", file=sys.stderr)
        return 1
    except (PackError, LookupError, ValueError, PermissionError) as wrong:
        print(f"error: {wrong}", file=sys.stderr)
        return 2
    content = pack.content
    print(
        f"{content.marking} pack for {content.area_name} ({content.area_code}), {content.quarter} "
        f"(position at {content.month}), as {content.user} ({content.role}): {args.out} "
        f"({len(pack.data):,} bytes, {pack.seconds:.1f} s)"
    )
    return 0
