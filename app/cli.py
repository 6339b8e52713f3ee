"""``python -m app``: the command-line interface of interface.md.

Thin: parse arguments, call ``app.ingest`` / ``app.monitoring`` / the store,
print. Exit status 0 done; 1 input refused (reasons on standard error,
store unchanged); 2 wrong usage.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from app.config import load_settings
from app.problems import InputRefused

DONE, REFUSED, USAGE = 0, 1, 2


class UsageError(Exception):
    """Wrong usage that argparse cannot see (e.g. a month in the wrong form)."""


def _month(text: str) -> str:
    from app.periods import MONTH

    if not MONTH.match(text):
        raise argparse.ArgumentTypeError(f"'{text}' is not a month in the form YYYY-MM")
    return text


def _quarter(text: str) -> str:
    from app.periods import parse_quarter

    try:
        return parse_quarter(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a quarter in the form YYYYQn (e.g. 2025Q1 or 2025-Q1)"
        ) from None


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        metavar="URL",
        help="SQLAlchemy URL of the store (default: $DISPERSAL_DB, else sqlite:///data/dispersal.sqlite)",
    )
    common.add_argument("--user", default=None, help="who is loading (recorded in the load history; default: $USER)")

    parser = argparse.ArgumentParser(
        prog="python -m app",
        description="Dispersal Monitor: asylum dispersal against "
        "the cluster limit (1 per 200 residents), by ward and local authority.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("init", parents=[common], help="create or upgrade the store's schema")

    geo = sub.add_parser("geography", help="boundaries, population and postcodes")
    geo_sub = geo.add_subparsers(dest="action", required=True, metavar="ACTION")
    load = geo_sub.add_parser(
        "load",
        parents=[common],
        help="load ward and LA boundaries, population and postcodes",
        description="Load ONS-style boundaries (GeoJSON, GeoPackage, Shapefile, GeoParquet; "
        "BNG or WGS84), populations and a postcode lookup. Replaces the store's geography.",
    )
    load.add_argument("--wards", type=Path, required=True, help="ward boundaries file")
    load.add_argument("--lads", type=Path, required=True, help="local authority boundaries file")
    load.add_argument("--population", type=Path, required=True, help="ward and LA populations (total and 0-17)")
    load.add_argument(
        "--postcodes",
        type=Path,
        required=True,
        action="append",
        help="postcode lookup (ONSPD/NSPL style); repeat for several files",
    )
    load.add_argument("--region", help="load only the LAs of this region code, e.g. E12000001 (North East)")

    ingest = sub.add_parser("ingest", help="load a data file")
    ingest_sub = ingest.add_subparsers(dest="kind", required=True, metavar="KIND")
    ho = ingest_sub.add_parser("home-office", parents=[common], help="one monthly restricted file")
    ho.add_argument("file", type=Path)
    ho.add_argument("--month", type=_month, help="YYYY-MM, when the file does not say")
    ho.add_argument("--profile", type=Path, help="mapping profile (TOML/YAML) naming the columns")
    ho.add_argument("--sheet", help="the sheet to read, when a workbook has several")
    pr = ingest_sub.add_parser("properties", parents=[common], help="one quarterly property list")
    pr.add_argument("file", type=Path)
    pr.add_argument("--provider", required=True, help="Mears, Serco, Clearsprings, ...")
    pr.add_argument("--quarter", type=_quarter, help="YYYYQn (calendar quarter), when the file does not say")
    pr.add_argument("--profile", type=Path)
    pr.add_argument("--sheet")
    ps = ingest_sub.add_parser("public-stats", parents=[common], help="the published Home Office LA table (Asy_D11)")
    ps.add_argument("file", type=Path)

    sm = sub.add_parser("summary", parents=[common], help="the monitoring table on standard output")
    sm.add_argument("--level", choices=["ward", "la", "region"], required=True)
    sm.add_argument("--month", type=_month, required=True)
    sm.add_argument("--la", help="only this LA (GSS code); with --level region, the LA's region")
    sm.add_argument("--format", choices=["csv", "json"], default="csv")
    sm.add_argument(
        "--account",
        help="the rows as this account sees them on the dashboard (members: disclosure-"
        "controlled); without it, the whole table for the person holding the store",
    )

    chg = sub.add_parser(
        "changes",
        parents=[common],
        help="what changed since the month before: areas over or near the limit, either way, "
        "the largest rises, LAs with no file",
    )
    chg.add_argument("--month", type=_month, required=True)
    chg.add_argument("--la", type=str.upper, help="only this LA (GSS code) and its wards")
    chg.add_argument("--format", choices=["text", "csv", "json"], default="text")

    sub.add_parser(
        "rebuild",
        parents=[common],
        help="recompute every derived figure from the inputs as loaded (progress on standard error)",
    )

    rc = sub.add_parser(
        "reconcile", parents=[common], help="Home Office counts against the provider's lists or the published table"
    )
    rc.add_argument("--month", type=_month, required=True)
    rc.add_argument(
        "--against",
        choices=["provider", "published"],
        default="provider",
        help="provider: per sector, against occupied bedspaces in the property lists; published: per LA, "
        "everyone supported against the Home Office published table (quarter-end months)",
    )
    rc.add_argument("--la", help="only this LA (GSS code)")
    rc.add_argument("--mismatches", action="store_true", help="only the rows that disagree")
    rc.add_argument("--format", choices=["csv", "json"], default="csv")

    cp = sub.add_parser("check-property", parents=[common], help="what a proposed property would do to its ward and LA")
    cp.add_argument("--postcode", required=True)
    cp.add_argument("--bedspaces", type=int, required=True)
    cp.add_argument("--month", type=_month, help="position to start from (default: the latest month)")

    rp = sub.add_parser(
        "report",
        parents=[common],
        help="the provider meeting pack (.pdf, .html or .xlsx)",
        description="The provider meeting pack for one LA or region and quarter, in the format of "
        "--out's extension. --user NAME: the account the pack is for (its role decides what the "
        "pack shows); without it, the person running the command, with administrator scope. "
        "Every pack made is recorded in the audit log.",
    )
    where = rp.add_mutually_exclusive_group(required=True)
    where.add_argument("--la", type=str.upper, help="the LA's GSS code, e.g. E06000002")
    where.add_argument("--region", type=str.upper, help="the region's code (e.g. E12000001): all its LAs")
    rp.add_argument("--quarter", type=_quarter, required=True)
    rp.add_argument("--out", type=Path, required=True, help="FILE.pdf, FILE.html or FILE.xlsx")
    rp.add_argument(
        "--as-role",
        choices=["officer", "member"],
        help="narrow the pack to this role for the LA: 'member' makes the councillors' pack "
        "(no addresses, counts under 5 suppressed)",
    )

    lim = sub.add_parser("limit", help="an LA's agreed limit variation")
    lim_sub = lim.add_subparsers(dest="action", required=True, metavar="ACTION")
    ls = lim_sub.add_parser("set", parents=[common], help="set the LA's residents per supported person (default 200)")
    ls.add_argument("--la", type=str.upper, required=True)
    ls.add_argument("--ratio", type=float, required=True, help="residents per supported person, e.g. 250")
    ls.add_argument("--note", help="why (e.g. the agreement's reference)")
    plan = sub.add_parser("plan", help="an LA's dispersal-plan allocation")
    plan_sub = plan.add_subparsers(dest="action", required=True, metavar="ACTION")
    ps_ = plan_sub.add_parser(
        "set",
        parents=[common],
        help="set the LA's allocation of dispersal bedspaces for a quarter (without --quarter: the standing "
        "allocation, for every quarter with none of its own)",
    )
    ps_.add_argument("--la", type=str.upper, required=True)
    ps_.add_argument("--quarter", type=_quarter, help="the quarter, e.g. 2025-Q2")
    ps_.add_argument("--bedspaces", type=int, required=True)
    ps_.add_argument("--note", help="why (e.g. the plan's version)")

    al = sub.add_parser("alerts", help="who receives an LA's 'what changed' e-mail after each load")
    al_sub = al.add_subparsers(dest="action", required=True, metavar="ACTION")
    aa = al_sub.add_parser("add", parents=[common], help="add a recipient (or change the role they read it as)")
    aa.add_argument("--la", type=str.upper, required=True)
    aa.add_argument("--email", required=True)
    aa.add_argument(
        "--as",
        dest="as_role",
        choices=["officer", "member"],
        default="officer",
        help="officer: the LA's and its wards' figures (default); member: aggregates only, as members' pages",
    )
    ar = al_sub.add_parser("remove", parents=[common], help="stop sending the LA's alerts to this address")
    ar.add_argument("--la", type=str.upper, required=True)
    ar.add_argument("--email", required=True)
    alist = al_sub.add_parser("list", parents=[common], help="list the recipients (CSV)")
    alist.add_argument("--la", type=str.upper, help="only this LA's")

    users = sub.add_parser("users", help="accounts")
    users_sub = users.add_subparsers(dest="action", required=True, metavar="ACTION")
    ua = users_sub.add_parser("add", parents=[common], help="add an account")
    ua.add_argument("name")
    ua.add_argument("--role", choices=["admin", "regional", "officer", "member"], required=True)
    ua.add_argument("--la")
    ua.add_argument("--password-stdin", action="store_true", required=True)
    users_sub.add_parser("list", parents=[common], help="list accounts")
    ur = users_sub.add_parser("remove", parents=[common], help="remove an account")
    ur.add_argument("name")

    sv = sub.add_parser("serve", parents=[common], help="the dashboard")
    sv.add_argument("--host", default="127.0.0.1")
    sv.add_argument("--port", type=int, default=8050)

    dm = sub.add_parser("demo", parents=[common], help="build the demo store and serve it")
    dm.add_argument(
        "--geography", type=Path, help="use real boundaries from this folder instead of the synthetic region"
    )
    dm.add_argument("--no-serve", action="store_true", help="build the store only")
    dm.add_argument("--port", type=int, default=8050, help="port to serve on (default 8050)")

    gen = sub.add_parser("generate", help="write synthetic input files (fictional region) with their ground truth")
    gen.add_argument("--out", type=Path, required=True)
    gen.add_argument("--seed", type=int, default=1)
    gen.add_argument("--scale", choices=["region", "national"], default="region")
    gen.add_argument("--months", type=int, default=24, help="months of activity to write (region scale)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except InputRefused as refused:
        print(f"Refused: nothing was loaded. {len(refused.problems)} problem(s):", file=sys.stderr)
        for problem in refused.problems:
            print(f"  {problem}", file=sys.stderr)
        return REFUSED
    except UsageError as wrong:
        parser.print_usage(sys.stderr)
        print(f"error: {wrong}", file=sys.stderr)
        return USAGE
    except FileNotFoundError as missing:
        print(f"error: no such file: {missing.filename}", file=sys.stderr)
        return USAGE
    except _store_errors() as broken:
        print(f"error: {broken}", file=sys.stderr)
        return REFUSED


def _store_errors() -> tuple[type[Exception], ...]:
    from app.security.roles import Forbidden
    from app.store.db import StoreError

    return (StoreError, Forbidden)


#: The access-policy action of each command (:data:`app.security.roles.POLICY`). Without ``--user`` a command
#: runs for the person holding the store itself, who is asked as an administrator; ``report --user`` and
#: ``summary --account`` take that account's scope.
COMMAND_ACTIONS = {
    "init": "load",
    "geography": "load",
    "ingest": "load",
    "demo": "load",
    "generate": None,
    "serve": None,
    "summary": "view LA aggregates",
    "reconcile": "view property rows",
    "check-property": "check a property",
    "report": "make a pack for an area",
    "users": "manage accounts",
    "changes": "view LA aggregates",
    "limit": "load",
    "plan": "load",
    "rebuild": "load",
    "alerts": "manage e-mail alerts",
}


def _ask_policy(command: str) -> None:
    from app.security.roles import OWN, Forbidden, allowed

    action = COMMAND_ACTIONS[command]
    if action is not None and not allowed(action, "admin", OWN):
        raise Forbidden(f"the store's operator may not {action}")


def _engine(args):
    from app.store import db

    settings = load_settings(getattr(args, "db", None))
    return db.connect(settings.db_url), settings


def _who(args) -> str:
    return args.user or os.environ.get("USER") or getpass.getuser() or "cli"


def _run(args) -> int:
    command = args.command
    _ask_policy(command)
    if command == "generate":
        return _generate(args)
    if command == "demo":
        from app.demo import build_demo

        return build_demo(args)
    if command == "report":
        from app.report.build import cli_report

        engine, settings = _engine(args)
        return cli_report(engine, settings, args, operator=_who(args))
    if command == "serve":
        from app.web.serve import serve

        return serve(args.db, host=args.host, port=args.port)
    if command == "users":
        return _users(args)

    engine, settings = _engine(args)
    from app.store import db

    if command == "init":
        db.upgrade(engine)
        print(f"store ready at {db.mask_url(settings.db_url)} (schema {db.current_revision(engine)})")
        return DONE
    db.check_ready(engine)
    if command in ("geography", "ingest"):
        from app import ingest  # readers and geometry: seconds of imports that a query need not pay

    if command == "geography":
        report = ingest.load_geography(
            engine,
            wards=args.wards,
            lads=args.lads,
            population=args.population,
            postcodes=args.postcodes,
            region=args.region,
            loaded_by=_who(args),
            progress=_progress,
        )
    elif command == "ingest" and args.kind == "home-office":
        report = ingest.ingest_home_office(
            engine, args.file, month=args.month, profile=args.profile, sheet=args.sheet, loaded_by=_who(args)
        )
    elif command == "ingest" and args.kind == "properties":
        report = ingest.ingest_properties(
            engine,
            args.file,
            provider=args.provider,
            quarter=args.quarter,
            profile=args.profile,
            sheet=args.sheet,
            loaded_by=_who(args),
        )
    elif command == "ingest":
        report = ingest.ingest_public_stats(engine, args.file, loaded_by=_who(args))
    elif command == "rebuild":
        from app import materialise

        with db.writing(engine) as conn:
            done = materialise.rebuild(conn, _progress)
        print(f"figures recomputed for {done} month(s)")
        return DONE
    elif command == "summary":
        return _summary(engine, settings, args)
    elif command == "reconcile":
        return _reconcile(engine, settings, args)
    elif command == "changes":
        return _changes(engine, settings, args)
    elif command in ("limit", "plan"):
        return _area_setting(engine, args)
    elif command == "alerts":
        return _alerts(engine, args)
    elif command == "check-property":
        return _check_property(engine, settings, args)
    else:  # pragma: no cover - argparse refuses unknown commands
        raise UsageError(f"unknown command {command}")
    if command == "ingest" and not report.unchanged:
        from app import alerts

        note = alerts.after_load(engine, report.load_id, settings, who=_who(args)).note
        if note:
            report.facts["e-mail alerts"] = note
    print("\n".join(report.lines()))
    return DONE


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _users(args) -> int:
    """Accounts: the password is read from standard input (one line), never from the command line."""
    from app.security import accounts
    from app.store import db

    engine, _settings = _engine(args)
    db.check_ready(engine)
    try:
        if args.action == "add":
            password = sys.stdin.readline().rstrip("\r\n")
            lad, region = _account_area(engine, args.role, args.la)
            user = accounts.add(
                engine, args.name, password, args.role, lad_code=lad, region_code=region, created_by=_who(args)
            )
            print(f"added {user.username} ({user.role}{', ' + (lad or region) if lad or region else ''})")
        elif args.action == "remove":
            accounts.remove(engine, args.name, removed_by=_who(args))
            print(f"removed {args.name.strip().lower()}")
        else:
            listing = accounts.listing(engine)
            listing.drop(columns=["password_changed_at"]).to_csv(sys.stdout, index=False, lineterminator="\n")
    except accounts.AccountError as refused:
        print(f"error: {refused}", file=sys.stderr)
        return REFUSED
    return DONE


def _account_area(engine, role: str, code: str | None) -> tuple[str | None, str | None]:
    """``--la``: resolved by :func:`app.security.accounts.resolve_area` (a wrong code is wrong usage)."""
    from app.security import accounts

    try:
        return accounts.resolve_area(engine, role, code)
    except accounts.AccountError as wrong:
        raise UsageError(str(wrong)) from None


def _summary(engine, settings, args) -> int:
    from app import monitoring
    from app.cluster.coverage import headline as coverage_headline

    months = monitoring.months_loaded(engine)
    if args.month not in months:
        known = ", ".join(months[-6:]) or "none"
        raise UsageError(f"no Home Office data for {args.month} (latest months loaded: {known})")
    if args.la and not monitoring.is_area(engine, args.la):
        raise UsageError(f"{args.la} is not a local authority in the store")
    if args.account:
        table = _summary_for(engine, monitoring.snapshot(engine, settings), args)
    else:
        table = monitoring.summary(engine, settings, level=args.level, month=args.month, lad=args.la)
    if args.format == "json":
        sys.stdout.write(monitoring.to_json(table) + "\n")
    else:
        table.to_csv(sys.stdout, index=False, lineterminator="\n")
    lads = None
    if args.la and args.level != "region":
        lads = [args.la]
    reported = monitoring.month_reporting(engine, args.month, lads)
    if not reported["complete"]:
        print(
            f"note: {coverage_headline(reported)} Their rows have status no_data and no people; region totals "
            "add up the LAs that reported.",
            file=sys.stderr,
        )
    return DONE


def _summary_for(engine, snap, args):
    """``summary --account NAME``: what that account may see (:func:`app.views.summary.monitoring_rows`)."""
    from app.security import accounts
    from app.security.roles import scope_for
    from app.views.summary import monitoring_rows

    account = accounts.get(engine, args.account)
    if account is None:
        raise UsageError(f"there is no account called '{args.account}'")
    return monitoring_rows(
        snap.table, snap.areas, scope_for(account, snap.areas), level=args.level, month=args.month, lad=args.la
    )


def _area_setting(engine, args) -> int:
    from app.security import area_settings

    try:
        if args.command == "limit":
            row = area_settings.set_values(engine, args.la, who=_who(args), limit_ratio=args.ratio, note=args.note)
            print(f"{args.la}: limit set to 1 person per {row['limit_ratio']:,.0f} residents")
        elif args.quarter:
            row = area_settings.set_allocation(
                engine, args.la, args.quarter, args.bedspaces, who=_who(args), note=args.note
            )
            print(f"{args.la}: dispersal-plan allocation for {row['quarter']} set to {row['bedspaces']:,} bedspaces")
        else:
            row = area_settings.set_values(engine, args.la, who=_who(args), allocation=args.bedspaces, note=args.note)
            print(
                f"{args.la}: standing dispersal-plan allocation set to {row['allocation']:,} bedspaces "
                "(for quarters with none of their own)"
            )
    except area_settings.SettingRefused as refused:
        print(f"Refused: {refused}. Nothing was changed.", file=sys.stderr)
        return REFUSED
    return DONE


def _alerts(engine, args) -> int:
    from app.security import alert_recipients

    try:
        if args.action == "add":
            row = alert_recipients.add(engine, args.la, args.email, args.as_role, who=_who(args))
            print(f"{row['email']} receives the alerts of {row['lad_code']} as {row['role']}")
        elif args.action == "remove":
            alert_recipients.remove(engine, args.la, args.email, who=_who(args))
            print(f"{args.email.strip()} no longer receives the alerts of {args.la}")
        else:
            listing = alert_recipients.listing(engine, [args.la] if args.la else None)
            listing.to_csv(sys.stdout, index=False, lineterminator="\n")
    except alert_recipients.RecipientRefused as refused:
        print(f"Refused: {refused}. Nothing was changed.", file=sys.stderr)
        return REFUSED
    return DONE


def _changes(engine, settings, args) -> int:
    from app import monitoring
    from app.cluster.changes import text_lines

    snap = monitoring.snapshot(engine, settings)
    if args.month not in snap.months:
        known = ", ".join(snap.months[-6:]) or "none"
        raise UsageError(f"no Home Office data for {args.month} (latest months loaded: {known})")
    if args.la and args.la not in set(snap.areas.loc[snap.areas["level"] == "lad", "area_code"]):
        raise UsageError(f"{args.la} is not a local authority in the store")
    found = monitoring.changes(engine, settings, month=args.month, lad=args.la)
    table = found.rows.copy()
    for column, places in (
        ("people_before", 2),
        ("people", 2),
        ("rise", 2),
        ("limit", 2),
        ("share_before", 4),
        ("share_of_limit", 4),
    ):
        table[column] = table[column].astype(float).round(places)
    if args.format == "json":
        sys.stdout.write(monitoring.to_json(table) + "\n")
    elif args.format == "csv":
        table.to_csv(sys.stdout, index=False, lineterminator="\n")
    else:
        print("\n".join(text_lines(found)))
    return DONE


def _reconcile(engine, settings, args) -> int:
    from app import monitoring

    snap = monitoring.snapshot(engine, settings)
    if args.month not in snap.months:
        raise UsageError(f"no Home Office data for {args.month}")
    if args.against == "published":
        published = monitoring.published_months(engine)
        if args.month not in published:
            span = f"{published[0]} to {published[-1]}" if published else "none loaded"
            print(
                f"no published figures for {args.month}: the published table gives quarter-end months ({span})",
                file=sys.stderr,
            )
            return REFUSED
    table = monitoring.reconciliation(engine, settings, month=args.month, against=args.against, lad=args.la)
    missing = snap.reporting(args.month, [args.la] if args.la else None)
    if args.against == "published" and not missing["complete"]:
        print(
            f"note: not compared, no restricted file for {args.month}: " + ", ".join(missing["missing_names"]),
            file=sys.stderr,
        )
    if args.mismatches:
        table = table[table["mismatch"]]
    if args.format == "json":
        sys.stdout.write(monitoring.to_json(table) + "\n")
    else:
        table.to_csv(sys.stdout, index=False, lineterminator="\n")
    return DONE


def _check_property(engine, settings, args) -> int:
    from app import monitoring
    from app.cluster.whatif import check_property, describe
    from app.geography.postcodes import PostcodeError, normalise_postcode

    try:
        postcode = normalise_postcode(args.postcode)
    except PostcodeError as bad:
        raise UsageError(f"postcode {bad}") from None
    if args.bedspaces < 1:
        raise UsageError("--bedspaces must be at least 1")
    snap = monitoring.snapshot(engine, settings)
    month = args.month or (snap.months[-1] if snap.months else None)
    if month is None or month not in snap.months:
        raise UsageError(f"no Home Office data for {month or 'any month'}")
    from app.store import queries

    with engine.connect() as conn:
        found = queries.postcodes(conn, [postcode])
    if found.empty or found["ward_code"].isna().all():
        # The command was used rightly; the store cannot answer for this postcode: a refusal (1), not usage (2).
        print(f"Refused: postcode {postcode} is not in the loaded postcode lookup", file=sys.stderr)
        return REFUSED
    result = check_property(snap.table, month, found["ward_code"].iloc[0], args.bedspaces, settings.approaching)
    print(describe(result, postcode, args.bedspaces))
    return DONE


def _generate(args) -> int:
    from app.synthetic.region import generate_region

    region = generate_region(args.out / "geography", seed=args.seed, scale=args.scale)
    print(f"geography written to {args.out / 'geography'}")
    if args.scale == "region" and args.months:
        from app.synthetic.activity import generate_activity

        activity = generate_activity(region, args.out / "activity", seed=args.seed, months=args.months)
        print(
            f"{len(activity.home_office)} Home Office files and {len(activity.properties)} property lists "
            f"written to {args.out / 'activity'}"
        )
    return DONE
