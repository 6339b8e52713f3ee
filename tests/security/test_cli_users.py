"""``python -m app users add|list|remove`` on both databases."""

from __future__ import annotations

import io

import pytest

from app.cli import main
from app.security import accounts, audit


def run(monkeypatch, capsys, *argv, stdin: str = ""):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_add_list_remove(engine, db_url, monkeypatch, capsys):
    code, out, _ = run(
        monkeypatch,
        capsys,
        "users",
        "add",
        "Ada",
        "--role",
        "admin",
        "--password-stdin",
        "--db",
        db_url,
        "--user",
        "installer",
        stdin="a very good passphrase\n",
    )
    assert code == 0 and out.strip() == "added ada (admin)"
    code, out, _ = run(
        monkeypatch,
        capsys,
        "users",
        "add",
        "mo",
        "--role",
        "member",
        "--la",
        "E06000002",
        "--password-stdin",
        "--db",
        db_url,
        stdin="another good passphrase\n",
    )
    assert code == 0 and "E06000002" in out
    assert accounts.authenticate(engine, "ada", "a very good passphrase").result == "ok"
    code, out, _ = run(monkeypatch, capsys, "users", "list", "--db", db_url)
    lines = out.strip().splitlines()
    assert code == 0 and lines[0].startswith("username,role,lad_code,region_code") and len(lines) == 3
    assert "argon2" not in out and "passphrase" not in out
    code, out, _ = run(monkeypatch, capsys, "users", "remove", "mo", "--db", db_url)
    assert code == 0 and accounts.get(engine, "mo") is None
    assert audit.query(engine, action=audit.USER_ADDED)["who"].tolist()[-1] == "installer"


def test_refusals(engine, db_url, monkeypatch, capsys):
    code, _, err = run(
        monkeypatch,
        capsys,
        "users",
        "add",
        "weak",
        "--role",
        "admin",
        "--password-stdin",
        "--db",
        db_url,
        stdin="short\n",
    )
    assert code == 1 and "at least 12" in err
    code, _, err = run(
        monkeypatch,
        capsys,
        "users",
        "add",
        "olly",
        "--role",
        "officer",
        "--password-stdin",
        "--db",
        db_url,
        stdin="a very good passphrase\n",
    )
    assert code == 1 and "needs an LA" in err
    code, _, err = run(monkeypatch, capsys, "users", "remove", "ghost", "--db", db_url)
    assert code == 1 and "no account" in err
    with pytest.raises(SystemExit) as wrong:
        run(monkeypatch, capsys, "users", "add", "x1", "--role", "superuser", "--password-stdin", "--db", db_url)
    assert wrong.value.code == 2
    assert accounts.listing(engine).empty
