"""E-mail alerts after each load, received by a real local SMTP server (aiosmtpd on 127.0.0.1).

The store is a generated region with three months of Home Office files and its first provider lists. For
each test a copy has one LA's file for the month in which a ward newly went over the limit undone; loading
that file again (``ingest home-office``) is the load the alert follows.
"""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import sqlalchemy as sa

from app import alerts, monitoring
from app.cli import main
from app.cluster.changes import previous_month
from app.config import load_settings
from app.periods import month_words
from app.store import db, loads, queries
from tests.stores import copy_store

SMTP_VARIABLES = ("HOST", "PORT", "FROM", "USER", "PASSWORD", "STARTTLS", "TIMEOUT")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def inbox(smtp_inbox):
    return smtp_inbox


@pytest.fixture(autouse=True)
def _no_smtp_from_outside(monkeypatch):
    for name in SMTP_VARIABLES:
        monkeypatch.delenv(f"DISPERSAL_SMTP_{name}", raising=False)
    monkeypatch.delenv("DISPERSAL_CONFIG", raising=False)


@pytest.fixture(scope="module")
def base(synthetic_region, tmp_path_factory):
    """The loaded store and the month, ward and LA of a newly breached ward, with that LA's file."""
    from app.synthetic.activity import generate_activity

    work = tmp_path_factory.mktemp("alerts")
    activity = generate_activity(synthetic_region, work / "activity", seed=3, months=3)
    url = f"sqlite:///{work / 'base.sqlite'}"
    region = synthetic_region
    assert main(["init", "--db", url]) == 0
    geography = ["--wards", region.wards, "--lads", region.lads, "--population", region.population]
    assert main(["geography", "load", "--db", url, *map(str, geography), "--postcodes", str(region.postcodes)]) == 0
    for path in activity.home_office:
        assert main(["ingest", "home-office", "--db", url, str(path)]) == 0
    quarter = min(str(p.stem).rsplit("_", 1)[-1] for p, _ in activity.properties)
    for path, provider in activity.properties:
        if path.stem.endswith(quarter):
            assert main(["ingest", "properties", "--db", url, str(path), "--provider", provider]) == 0
    engine = db.connect(url)
    snap = monitoring.snapshot(engine, load_settings(url))
    wards = snap.table[snap.table["level"] == "ward"].set_index(["month", "area_code"])
    for month in snap.months[::-1]:
        if previous_month(month) not in snap.months:
            continue
        now, then = wards.loc[month], wards.loc[previous_month(month)]
        crossed = now[(now["status"] == "breach") & (then.reindex(now.index)["status"] != "breach")]
        if len(crossed):
            break
    else:
        pytest.fail("the generated months have no ward newly over the limit")
    code = crossed.index[0]
    lad = str(crossed.loc[code, "lad_code"])
    with engine.connect() as conn:
        history = queries.load_history(conn)
        addresses = set(queries.properties(conn)["address"].dropna().astype(str))
    load = history[(history["kind"] == "home_office") & (history["period"] == month) & (history["scope"] == lad)]
    assert len(load) == 1 and addresses
    file = next(p for p in activity.home_office if p.name == load["file_name"].iloc[0])
    areas = snap.areas.set_index("area_code")
    db.dispose(url)
    return SimpleNamespace(
        url=url,
        month=month,
        lad=lad,
        la_name=str(areas.loc[lad, "area_name"]),
        ward=code,
        ward_name=str(crossed.loc[code, "area_name"]),
        before=float(then.loc[code, "people"]),
        now=float(now.loc[code, "people"]),
        load_id=int(load["id"].iloc[0]),
        file=Path(file),
        addresses=addresses,
        other_lad=sorted(set(snap.areas.loc[snap.areas["level"] == "lad", "area_code"]) - {lad})[0],
    )


@pytest.fixture
def store(base, tmp_path):
    """A copy of the base store with the LA's file for the month undone (so loading it is a real load)."""
    url = copy_store(base.url, tmp_path / "store.sqlite")
    with db.writing(db.connect(url)) as conn:
        loads.undo_load(conn, base.load_id)
    yield url
    db.dispose(url)


def _smtp(monkeypatch, host: str, port: int) -> None:
    monkeypatch.setenv("DISPERSAL_SMTP_HOST", host)
    monkeypatch.setenv("DISPERSAL_SMTP_PORT", str(port))
    monkeypatch.setenv("DISPERSAL_SMTP_FROM", "monitor@dispersal.test")


def _ingest(cli, url, base) -> tuple[int, str, str]:
    return cli("ingest", "home-office", "--db", url, base.file, "--user", "loader")


def _audit(url: str, action: str) -> list[dict]:
    with db.connect(url).connect() as conn:
        rows = conn.execute(
            sa.text("SELECT who, what, details FROM audit_log WHERE action = :a ORDER BY id"), {"a": action}
        ).all()
    return [{"who": r[0], "what": r[1], "details": json.loads(r[2] or "{}")} for r in rows]


def _body(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_officer_and_member_receive_the_digest(store, base, inbox, cli, monkeypatch):
    assert cli("alerts", "add", "--db", store, "--la", base.lad, "--email", "Officer@Council.Example.org")[0] == 0
    assert (
        cli("alerts", "add", "--db", store, "--la", base.lad, "--email", "cllr@council.example.org", "--as", "member")[
            0
        ]
        == 0
    )
    assert cli("alerts", "add", "--db", store, "--la", base.other_lad, "--email", "elsewhere@example.org")[0] == 0
    _smtp(monkeypatch, inbox.host, inbox.port)
    code, out, _err = _ingest(cli, store, base)
    assert code == 0
    assert out.count("e-mail alerts") == 1 and f"e-mail alerts: for {base.month} sent to 2 recipient(s)" in out

    assert sorted(r for rcpt, _ in inbox.messages for r in rcpt) == [
        "Officer@council.example.org",
        "cllr@council.example.org",
    ]
    mails = {rcpt[0]: message for rcpt, message in inbox.messages}
    officer, member = mails["Officer@council.example.org"], mails["cllr@council.example.org"]
    for message in (officer, member):
        assert base.la_name in message["Subject"] and base.lad in message["Subject"]
        assert month_words(base.month) in message["Subject"]
        assert message["From"] == "monitor@dispersal.test"
    text = _body(officer)
    line = next(x for x in text.splitlines() if f"({base.ward}, ward in {base.lad})" in x)
    assert line.strip().startswith(base.ward_name)
    assert f"{base.before:,.0f} -> {base.now:,.0f} people" in line
    assert text.index("Newly over the limit (") < text.index(line)
    assert base.file.name in text

    words = _body(member)
    assert f"{base.ward_name} ({base.ward}, ward in {base.lad})" in words
    figures = [f for pair in re.findall(r": (.+?) -> (.+?) people", words) for f in pair]
    assert figures
    for figure in figures:  # never a count of 1 to 4; wards rounded to 5
        assert figure in ("fewer than 5", "withheld", "no data") or int(figure.replace(",", "")) >= 5, words
    for ward_line in [x for x in words.splitlines() if "ward in" in x]:
        for figure in re.findall(r": (.+?) -> (.+?) people", ward_line)[0]:
            assert figure in ("fewer than 5", "withheld", "no data") or int(figure.replace(",", "")) % 5 == 0
    for text_of in (words, text):
        assert not any(address in text_of for address in base.addresses)
        assert not re.search(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b", text_of)  # no postcodes
    assert "nationality" not in words.lower()

    sent = _audit(store, "alert_sent")
    assert [(e["what"], e["details"]["recipients"], e["details"]["month"]) for e in sent] == [(base.lad, 2, base.month)]
    assert sent[0]["who"] == "loader"


def test_no_mail_when_nothing_is_configured(store, base, inbox, cli, monkeypatch):
    _smtp(monkeypatch, inbox.host, inbox.port)
    code, out, _ = _ingest(cli, store, base)
    assert code == 0 and "e-mail alerts" not in out
    assert inbox.messages == [] and _audit(store, "alert_sent") == []


def test_recipients_but_no_smtp_server_say_so_once(store, base, inbox, cli):
    assert cli("alerts", "add", "--db", store, "--la", base.lad, "--email", "officer@council.example.org")[0] == 0
    code, out, _ = _ingest(cli, store, base)
    assert code == 0
    assert out.count("e-mail alerts") == 1 and "no SMTP server is configured" in out
    assert inbox.messages == []


def test_smtp_down_the_load_stands_and_the_failure_is_noted(store, base, cli, monkeypatch):
    assert cli("alerts", "add", "--db", store, "--la", base.lad, "--email", "officer@council.example.org")[0] == 0
    assert (
        cli("alerts", "add", "--db", store, "--la", base.lad, "--email", "cllr@council.example.org", "--as", "member")[
            0
        ]
        == 0
    )
    _smtp(monkeypatch, "127.0.0.1", _free_port())  # nothing listens there
    code, out, _ = _ingest(cli, store, base)
    assert code == 0
    assert f"e-mail alerts: for {base.month} not sent to 2 of 2 recipient(s)" in out and "the load stands" in out
    with db.connect(store).connect() as conn:
        history = queries.load_history(conn)
    loaded = history[(history["file_name"] == base.file.name) & (history["status"] == loads.ACTIVE)]
    assert len(loaded) == 1  # committed
    failed = _audit(store, "alert_failed")
    assert len(failed) == 1 and failed[0]["what"] == base.lad
    assert set(failed[0]["details"]) == {"month", "load_id", "recipients", "reason"}
    assert failed[0]["details"]["recipients"] == 2 and "ConnectionRefused" in failed[0]["details"]["reason"]
    assert _audit(store, "alert_sent") == []


def test_undo_sends_the_digest_of_what_is_back(store, base, inbox, monkeypatch):
    """Undoing the LA's file leaves it with no file for the month: the digest says so (and nothing else)."""
    from app.security import alert_recipients

    engine = db.connect(store)
    assert main(["ingest", "home-office", "--db", store, str(base.file)]) == 0
    alert_recipients.add(engine, base.lad, "officer@council.example.org", who="admin")
    with engine.connect() as conn:
        history = queries.load_history(conn)
    reloaded = int(
        history[(history["file_name"] == base.file.name) & (history["status"] == loads.ACTIVE)]["id"].iloc[0]
    )
    with db.writing(engine) as conn:
        loads.undo_load(conn, reloaded)
    _smtp(monkeypatch, inbox.host, inbox.port)
    outcome = alerts.after_load(engine, reloaded, load_settings(store), who="admin", undone=True)
    assert outcome.sent == ["officer@council.example.org"] and outcome.month == base.month
    ((rcpt, message),) = inbox.messages
    text = _body(message)
    assert "was undone" in text
    assert "No file for the month" in text and f"{base.la_name} ({base.lad}, LA): last month" in text


def test_alerts_commands_validate_and_audit(store, base, cli):
    assert (
        cli("alerts", "add", "--db", store, "--la", base.lad.lower(), "--email", "a@b.example.org", "--user", "ann")[0]
        == 0
    )
    code, _, err = cli("alerts", "add", "--db", store, "--la", base.lad, "--email", "not an address")
    assert code == 1 and "is not an e-mail address" in err and "Nothing was changed" in err
    code, _, err = cli("alerts", "add", "--db", store, "--la", "E06999999", "--email", "a@b.example.org")
    assert code == 1 and "is not a local authority in the store" in err
    with pytest.raises(SystemExit) as usage:
        cli("alerts", "add", "--db", store, "--la", base.lad, "--email", "x@y.example.org", "--as", "admin")
    assert usage.value.code == 2
    assert cli("alerts", "add", "--db", store, "--la", base.lad, "--email", "a@B.example.org", "--as", "member")[0] == 0
    code, out, _ = cli("alerts", "list", "--db", store)
    listing = pd.read_csv(pd.io.common.StringIO(out))
    assert listing[["lad_code", "email", "role"]].values.tolist() == [[base.lad, "a@b.example.org", "member"]]
    code, _, err = cli("alerts", "remove", "--db", store, "--la", base.lad, "--email", "nobody@example.org")
    assert code == 1 and "does not receive" in err
    assert (
        cli("alerts", "remove", "--db", store, "--la", base.lad, "--email", "a@b.example.org", "--user", "ann")[0] == 0
    )
    assert cli("alerts", "list", "--db", store)[1].strip() == "lad_code,email,role,added_at,added_by"
    added, removed = _audit(store, "alert_recipient_added"), _audit(store, "alert_recipient_removed")
    assert [(e["what"], e["details"]["email"], e["details"]["role"]) for e in added] == [
        (base.lad, "a@b.example.org", "officer"),
        (base.lad, "a@b.example.org", "member"),
    ]
    assert added[0]["who"] == "ann" and added[1]["details"]["role_before"] == "officer"
    assert [(e["who"], e["details"]["email"]) for e in removed] == [("ann", "a@b.example.org")]


def test_a_property_list_sends_the_digest_of_its_las(store, base, inbox, cli, monkeypatch):
    """A provider's list changes how sectors split into wards: its LAs' recipients hear of the latest month."""
    engine = db.connect(store)
    with engine.connect() as conn:
        history = queries.load_history(conn)
    listed = history[(history["kind"] == "properties") & (history["status"] == loads.ACTIVE)].iloc[0]
    scope = set(str(listed["scope"]).split(","))
    outside = sorted(
        set(monitoring.snapshot(engine, load_settings(store)).areas.query("level == 'lad'")["area_code"]) - scope
    )
    with db.writing(engine) as conn:
        loads.undo_load(conn, int(listed["id"]))
    inside = sorted(scope)[0]
    assert cli("alerts", "add", "--db", store, "--la", inside, "--email", "in@council.example.org")[0] == 0
    if outside:
        assert cli("alerts", "add", "--db", store, "--la", outside[0], "--email", "out@council.example.org")[0] == 0
    _smtp(monkeypatch, inbox.host, inbox.port)
    path = next(p for p in base.file.parent.parent.glob("properties/*") if p.name == listed["file_name"])
    code, out, _ = cli("ingest", "properties", "--db", store, path, "--provider", listed["provider"])
    latest = monitoring.snapshot(engine, load_settings(store)).months[-1]
    assert code == 0 and f"e-mail alerts: for {latest} sent to 1 recipient(s)" in out
    ((rcpt, message),) = inbox.messages
    assert rcpt == ["in@council.example.org"] and month_words(latest) in message["Subject"]
    assert f"the property list {listed['file_name']} for {listed['period']} was loaded" in _body(message)
