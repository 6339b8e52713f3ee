"""Accounts and the audit log in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.security import accounts, audit, limits, passwords
from app.store import schema

GOOD = "a long enough passphrase"


def test_add_list_remove(engine):
    user = accounts.add(engine, "  Alice.Admin ", GOOD, "admin", created_by="setup")
    assert user.username == "alice.admin" and user.role == "admin"
    accounts.add(engine, "olly", GOOD, "officer", lad_code="E06000001", created_by="alice.admin")
    listing = accounts.listing(engine)
    assert listing["username"].tolist() == ["alice.admin", "olly"]
    assert "password_hash" not in listing.columns and not listing["locked"].any()
    with engine.connect() as conn:
        stored = conn.execute(sa.select(schema.users.c.password_hash)).scalars().all()
    assert all(h.startswith("$argon2id$") and GOOD not in h for h in stored)
    accounts.remove(engine, "olly", removed_by="alice.admin")
    assert accounts.get(engine, "olly") is None
    actions = audit.query(engine)["action"].tolist()
    assert actions == [audit.USER_REMOVED, audit.USER_ADDED, audit.USER_ADDED]


@pytest.mark.parametrize(
    "name, password, role, lad, message",
    [
        ("bob", "short", "admin", None, "at least 12"),
        ("bob", "bob-bob-bob-bob-1", "admin", None, "user name"),
        ("bob", "aaaaaaaaaaaaaaaa", "admin", None, "repetitive"),
        ("b", GOOD, "admin", None, "usable user name"),
        ("bob", GOOD, "root", None, "unknown role"),
        ("bob", GOOD, "officer", None, "needs an LA"),
        ("bob", GOOD, "member", "Middlesbrough", "GSS"),
    ],
)
def test_bad_accounts_are_refused(engine, name, password, role, lad, message):
    with pytest.raises(accounts.AccountError, match=message):
        accounts.add(engine, name, password, role, lad_code=lad)
    assert accounts.listing(engine).empty


def test_duplicates_and_the_last_admin(engine):
    accounts.add(engine, "root1", GOOD, "admin")
    with pytest.raises(accounts.AccountError, match="already"):
        accounts.add(engine, "ROOT1", GOOD, "admin")
    with pytest.raises(accounts.AccountError, match="last admin"):
        accounts.remove(engine, "root1")
    with pytest.raises(accounts.AccountError, match="no account"):
        accounts.remove(engine, "ghost")


def test_sessions_follow_auth_version(engine):
    user = accounts.add(engine, "mia", GOOD, "member", lad_code="E06000002")
    assert accounts.by_session_id(engine, user.session_id) == user
    accounts.set_password(engine, "mia", "a different passphrase")
    assert accounts.by_session_id(engine, user.session_id) is None
    fresh = accounts.get(engine, "mia")
    accounts.end_sessions(engine, fresh.id)
    assert accounts.by_session_id(engine, fresh.session_id) is None
    for junk in ("", "1", "x.y", "1.2.3", None):
        assert accounts.by_session_id(engine, junk) is None


def test_authenticate_and_slow_down(engine, monkeypatch):
    monkeypatch.setattr(limits, "BASE_DELAY_S", 30.0)
    accounts.add(engine, "rita", GOOD, "regional")
    assert accounts.authenticate(engine, "rita", GOOD, "10.9.0.1").result == "ok"
    for _ in range(limits.FREE_FAILURES):
        assert accounts.authenticate(engine, "Rita", "nope nope nope", "10.9.0.1").result == "bad"
    waiting = accounts.authenticate(engine, "rita", GOOD, "10.9.0.1")
    assert waiting.result == "locked" and waiting.user is None and waiting.until is not None
    assert 25 < (waiting.until - audit.now()).total_seconds() <= 30
    assert accounts.authenticate(engine, "rita", GOOD, "10.9.0.9").result == "ok"  # another address
    for _ in range(limits.FREE_FAILURES):
        accounts.authenticate(engine, "ghost", "nope nope nope", "10.9.0.2")
    assert accounts.authenticate(engine, "ghost", "nope nope nope", "10.9.0.2").result == "locked"
    for _ in range(limits.FREE_FAILURES):
        accounts.authenticate(engine, "rita", "nope nope nope", "10.9.0.1")
    assert accounts.listing(engine).set_index("username").loc["rita", "locked"]
    accounts.unlock(engine, "rita", "admin")
    assert accounts.authenticate(engine, "rita", GOOD, "10.9.0.1").result == "ok"
    failed = audit.query(engine, action=audit.LOGIN_FAILED)
    assert set(failed["what"]) == {"rita", "ghost"} and len(failed) == 3 * limits.FREE_FAILURES


def test_audit_log_is_append_only_in_the_database(engine):
    audit.record(engine, "alice", audit.EXPORT, "E06000001", {"rows": 3, "format": "csv"}, "10.0.0.1")
    entry = audit.query(engine).iloc[0]
    assert (entry["who"], entry["action"], entry["what"], entry["remote_addr"]) == (
        "alice",
        "export",
        "E06000001",
        "10.0.0.1",
    )
    table = schema.audit_log
    for statement in (table.update().values(who="mallory"), table.delete()):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with engine.begin() as conn:
                conn.execute(statement)
    assert audit.query(engine).iloc[0]["who"] == "alice"
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record(engine, "alice", "delete_everything")


def test_audit_query_filters_and_export(engine):
    audit.record(engine, "a", audit.LOGIN, "a")
    audit.record(engine, "b", audit.EXPORT, '=HYPERLINK("http://x")', {"file": "+cmd"})
    audit.record(engine, "a", audit.VIEW_PROPERTIES, "E05000001", {"rows": 4})
    assert audit.query(engine, who="a")["action"].tolist() == [audit.VIEW_PROPERTIES, audit.LOGIN]
    assert audit.query(engine, action=[audit.EXPORT])["who"].tolist() == ["b"]
    assert audit.count(engine, audit.LOGIN, what="a", since=audit.window(5)) == 1
    text = audit.to_csv(audit.query(engine))
    assert "'=HYPERLINK" in text and ",=" not in text and '"{""file"": ""+cmd""}"' in text


def test_password_hash_parameters_and_timing():
    import time

    params = passwords.parameters()
    assert params == {"time_cost": 3, "memory_kib": 65536, "parallelism": 4}
    start = time.perf_counter()
    digest = passwords.hash_password(GOOD)
    assert time.perf_counter() - start > 0.02  # really a slow hash
    assert passwords.verify(digest, GOOD) and not passwords.verify(digest, GOOD + "x")
    assert not passwords.verify(None, GOOD) and not passwords.verify("not a hash", GOOD)
