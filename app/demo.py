"""``python -m app demo``: build a demo store from generated files through :mod:`app.ingest`, then serve it.

The demo store is separate from the default store (``data/demo.sqlite``
unless ``--db``/``DISPERSAL_DB`` say otherwise) so that trying the demo never
touches real data. Every file goes through the same :mod:`app.ingest` path an
officer's file would (the CLI's commands are thin wrappers over it; the demo
does not call the CLI, which calls the demo).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd

from app.config import ROOT

DEMO_DIR = ROOT / "data" / "demo"
DEMO_DB = f"sqlite:///{ROOT / 'data' / 'demo.sqlite'}"
NORTH_EAST = "E12000001"


def _report(report) -> None:
    print("\n".join(report.lines()))


def _load(what: str, load, *args, **options) -> None:
    """One ingest step; a refused demo file stops the demo with the reader's words."""
    from app.problems import InputRefused

    try:
        _report(load(*args, loaded_by="demo", **options))
    except InputRefused as refused:
        raise SystemExit(f"demo: {what} was refused:\n{refused}") from None


def _fresh_store(url: str):
    from app.store import db

    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        db.dispose(url)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    engine = db.connect(url)
    db.upgrade(engine)
    print(f"store ready at {db.mask_url(url)} (schema {db.current_revision(engine)})")
    return engine


def build_synthetic(url: str, inputs: Path = DEMO_DIR, seed: int = 1, start: str = "2024-10", months: int = 24) -> None:
    """The fictional region "Northmoor": geography, ``months`` months of Home Office files and the quarters' lists."""
    from app.synthetic.activity import generate_activity
    from app.synthetic.region import generate_region

    region = generate_region(inputs / "geography", seed=seed)
    activity = generate_activity(region, inputs / "activity", seed=seed, start=start, months=months)
    from app import ingest

    engine = _fresh_store(url)
    _load(
        "the geography",
        ingest.load_geography,
        engine,
        wards=region.wards,
        lads=region.lads,
        population=region.population,
        postcodes=[region.postcodes],
    )
    manifest = pd.read_csv(activity.manifest, dtype=str)
    base = Path(activity.manifest).parent
    for row in manifest.itertuples():
        if row.kind == "properties":
            _load(row.path, ingest.ingest_properties, engine, base / row.path, provider=row.provider)
        else:
            _load(row.path, ingest.ingest_home_office, engine, base / row.path)


def build_on_geography(
    url: str, geography: Path, inputs: Path = DEMO_DIR, seed: int = 1, region: str = NORTH_EAST, months: int = 12
) -> None:
    """Real boundaries, population and postcodes (files named as in ``shared/reference``) with synthetic months."""
    from app.store import queries
    from app.synthetic.on_geography import month_range, monthly_files

    postcodes = sorted(geography.glob("postcodes_*.csv"))
    if not postcodes:
        raise SystemExit(f"demo: no postcodes_*.csv in {geography}")
    from app import ingest

    engine = _fresh_store(url)
    _load(
        "the geography",
        ingest.load_geography,
        engine,
        wards=geography / "wards.geojson",
        lads=geography / "lad.geojson",
        population=geography / "population.csv",
        postcodes=postcodes,
        region=region,
    )
    with engine.connect() as conn:
        weights = queries.sector_weights(conn)
        lads = queries.areas(conn, level="lad").merge(queries.population(conn), on="area_code")
    for path in monthly_files(weights, lads, inputs / "real", months=month_range("2025-01", months), seed=seed):
        _load(Path(path).name, ingest.ingest_home_office, engine, path)


def load_public_stats(url: str) -> None:
    from app.config import load_settings

    published = load_settings().reference_dir / "asylum_support_la.csv"
    if published.exists():
        from app import ingest
        from app.store import db

        _load(published.name, ingest.ingest_public_stats, db.connect(url), published)


def demo_accounts(url: str) -> dict[str, tuple[str, str]]:
    """One account per role (officer and member for the first LA), with fresh random passwords:
    ``{name: (role, password)}``. Existing demo accounts get new passwords."""
    import secrets

    from app.security import accounts
    from app.store import db, queries

    engine = db.connect(url)
    with engine.connect() as conn:
        las = queries.areas(conn, level="lad")
    first_la = str(las["area_code"].iloc[0]) if len(las) else None
    made = {}
    for role in ("admin", "regional", "officer", "member"):
        name, password = f"demo-{role}", secrets.token_urlsafe(12)
        lad = first_la if role in ("officer", "member") else None
        if accounts.get(engine, name) is None:
            accounts.add(engine, name, password, role, lad_code=lad, created_by="demo")
        else:
            accounts.set_password(engine, name, password, changed_by="demo")
        made[name] = (role, password)
    return made


def print_accounts(made: dict[str, tuple[str, str]]) -> None:
    print(
        "\nDemo log-ins (user name / password). The passwords are NEW on every run of `demo`; the ones printed "
        "by an earlier run no longer work:",
        file=sys.stderr,
    )
    for name, (role, password) in made.items():
        print(f"  {name:16} {password}   ({role})", file=sys.stderr)


def inputs_for(url: str) -> Path:
    """Where the demo writes its generated input files: beside a SQLite store given with ``--db``, else
    ``data/demo`` (so that a store kept elsewhere leaves nothing in the checkout)."""
    if url != DEMO_DB and url.startswith("sqlite:///") and ":memory:" not in url:
        store = Path(url.removeprefix("sqlite:///").split("?")[0])
        return store.parent / f"{store.stem}-inputs"
    return DEMO_DIR


def build_demo(args) -> int:
    url = args.db or os.environ.get("DISPERSAL_DB") or DEMO_DB
    inputs = inputs_for(url)
    if args.geography:
        build_on_geography(url, args.geography, inputs)
    else:
        build_synthetic(url, inputs)
    print(f"\nDemo input files written to {inputs}", file=sys.stderr)
    load_public_stats(url)
    print(f"\nDemo store ready: {url}", file=sys.stderr)
    print_accounts(demo_accounts(url))
    if args.no_serve:
        return 0
    try:
        from app.web.serve import serve
    except ImportError:
        print("The dashboard is not part of this version yet; the store is ready for `summary`.", file=sys.stderr)
        return 0
    return serve(url, host="127.0.0.1", port=getattr(args, "port", None) or 8050, demo=True)
