"""Signing in and out: the form, CSRF, no user enumeration, lock-out, cookies, expiry and revocation."""
from __future__ import annotations

import os
import re
import stat
import time
from http.cookies import SimpleCookie

from app.security import accounts, audit
from app.store import db
from app.web import auth
from tests.security.conftest import PASSWORD, csrf_token, do_login, https_client


def _cookie(response) -> SimpleCookie:
    cookie = SimpleCookie()
    for header in response.headers.getlist("Set-Cookie"):
        cookie.load(header)
    return cookie


def test_good_login_redirects_and_opens_the_dashboard(client):
    assert client.get("/_dash-layout").status_code == 401
    response = do_login(client, "t-admin", next_path="/wards")
    assert response.status_code == 302 and response.headers["Location"] == "/wards"
    assert client.get("/_dash-layout").status_code == 200
    assert client.get("/", headers={"Accept": "text/html"}).status_code == 200


def test_login_needs_the_csrf_token_and_a_same_origin_referer(client):
    client.get("/login")
    referer = {"Referer": "https://localhost/login"}
    response = client.post("/login", data={"username": "t-admin", "password": PASSWORD}, headers=referer)
    assert response.status_code == 400
    cross_site = client.post("/login", data={"username": "t-admin", "password": PASSWORD,
                                             "csrf_token": csrf_token(client)},
                             headers={"Referer": "https://evil.example/login"})
    assert cross_site.status_code == 400
    assert client.get("/_dash-layout").status_code == 401


def test_unknown_user_and_wrong_password_get_the_same_answer_in_similar_time(client):
    def attempt(name: str) -> tuple[int, str, float]:
        token = csrf_token(client)
        start = time.perf_counter()
        response = client.post("/login", data={"username": name, "password": "wrong password 1", "csrf_token": token},
                               headers={"Referer": "https://localhost/login"})
        text = re.sub(r'name="csrf_token" value="[^"]+"', "", response.get_data(as_text=True))
        return response.status_code, text.replace(name, "NAME"), time.perf_counter() - start

    known = [attempt("t-officer") for _ in range(2)]
    unknown = [attempt("nobody-at-all") for _ in range(2)]
    assert known[0][:2] == unknown[0][:2]
    assert known[0][0] == 401 and "The user name or password is not right." in known[0][1]
    ratio = min(t for *_, t in known) / min(t for *_, t in unknown)
    assert 0.5 < ratio < 2.0, ratio


def test_open_redirects_are_refused():
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "http:/x", "", None, "/logout"):
        assert auth.safe_next(target) == "/"
    assert auth.safe_next("/wards?la=E06000001") == "/wards?la=E06000001"


def test_lock_out_after_five_failures_is_the_same_for_unknown_names(client, security_store):
    engine = db.connect(security_store.url)
    accounts.add(engine, "t-lockme", PASSWORD, "regional", created_by="tests")
    for name in ("t-lockme", "t-nonexistent"):
        statuses = [do_login(client, name, "not the password!").status_code for _ in range(5)]
        assert statuses == [401] * 5
        locked = do_login(client, name, PASSWORD if name == "t-lockme" else "x")
        assert locked.status_code == 429
        assert "Too many failed attempts for this user name" in locked.get_data(as_text=True)
    assert client.get("/_dash-layout").status_code == 401  # the right password did not get in while locked
    refused = audit.query(engine, what="t-lockme", action=audit.LOGIN_REFUSED)
    assert len(refused) == 1
    accounts.unlock(engine, "t-lockme", "t-admin")
    assert do_login(client, "t-lockme").status_code == 302


def test_one_address_is_throttled_across_names(client, monkeypatch):
    from app.security import limits

    monkeypatch.setattr(limits, "MAX_FAILURES_PER_ADDRESS", 3)
    for i in range(3):
        assert do_login(client, f"spray-{i}", "whatever password").status_code == 401
    response = do_login(client, "t-admin")
    assert response.status_code == 429 and "from your network" in response.get_data(as_text=True)


def test_session_cookie_is_secure_httponly_lax_and_short(client):
    response = do_login(client, "t-admin")
    cookie = _cookie(response)
    assert list(cookie) == ["__Host-dispersal"]
    morsel = cookie["__Host-dispersal"]
    assert morsel["secure"] and morsel["httponly"] and morsel["samesite"] == "Lax" and morsel["path"] == "/"
    assert not morsel["domain"]
    assert int(morsel["max-age"] or 0) <= auth.IDLE_MINUTES * 60 or morsel["expires"]
    with client.session_transaction() as session:
        assert set(session) <= {"_user_id", "_fresh", "_id", "_permanent", "born", "seen", "csrf_token"}
        assert "role" not in str(dict(session)) and "officer" not in str(dict(session))


def test_insecure_cookies_only_when_asked(monkeypatch):
    import flask

    server = flask.Flask("probe")
    monkeypatch.delenv("DISPERSAL_INSECURE_COOKIES", raising=False)
    auth.configure(server)
    assert server.config["SESSION_COOKIE_SECURE"] is True
    monkeypatch.setenv("DISPERSAL_INSECURE_COOKIES", "1")
    auth.configure(server)
    assert server.config["SESSION_COOKIE_SECURE"] is False and server.config["SESSION_COOKIE_NAME"] == "dispersal_session"
    assert server.config["PERMANENT_SESSION_LIFETIME"] == auth.IDLE_MINUTES * 60


def test_idle_and_absolute_expiry(client):
    do_login(client, "t-admin")
    assert client.get("/_dash-layout").status_code == 200
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - auth.IDLE_MINUTES * 60 - 5
    assert client.get("/_dash-layout").status_code == 401
    do_login(client, "t-admin")
    with client.session_transaction() as session:
        session["born"] = int(time.time()) - auth.ABSOLUTE_HOURS * 3600 - 5
    assert client.get("/_dash-layout").status_code == 401


def test_logout_ends_the_session_even_for_a_copied_cookie(client, secure_app):
    do_login(client, "t-regional")
    with client.session_transaction() as session:
        stolen = dict(session)
    assert client.get("/logout").status_code == 302
    assert client.get("/_dash-layout").status_code == 401
    replay = https_client(secure_app)
    replay.environ_base.update(client.environ_base)
    with replay.session_transaction() as session:
        session.update(stolen)
    assert replay.get("/_dash-layout").status_code == 401


def test_new_password_and_removal_revoke_sessions_at_once(client, as_role, security_store):
    engine = db.connect(security_store.url)
    accounts.add(engine, "t-revoke", PASSWORD, "officer", lad_code=security_store.las[2], created_by="tests")
    do_login(client, "t-revoke")
    assert client.get("/_dash-layout").status_code == 200
    accounts.set_password(engine, "t-revoke", "another good passphrase", changed_by="t-admin")
    assert client.get("/_dash-layout").status_code == 401
    do_login(client, "t-revoke", "another good passphrase")
    assert client.get("/_dash-layout").status_code == 200
    accounts.remove(engine, "t-revoke", removed_by="t-admin")
    assert client.get("/_dash-layout").status_code == 401


def test_logins_and_failures_are_audited_without_passwords(client, security_store):
    engine = db.connect(security_store.url)
    do_login(client, "t-member", "a wrong password")
    do_login(client, "t-member")
    entries = audit.query(engine, what="t-member", action=[audit.LOGIN, audit.LOGIN_FAILED], limit=2)
    assert list(entries["action"]) == [audit.LOGIN, audit.LOGIN_FAILED]
    assert set(entries["remote_addr"]) == {client.environ_base["REMOTE_ADDR"]}
    assert not entries["details"].astype(str).str.contains("password").any()


def test_secret_key_file_is_made_once_owner_only(tmp_path, monkeypatch):
    monkeypatch.delenv("DISPERSAL_SECRET_KEY", raising=False)
    monkeypatch.delenv("DISPERSAL_SECRET_KEY_FILE", raising=False)
    path = tmp_path / "data" / "secret_key"
    first = auth.secret_key(path)
    assert len(first) == 64 and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert auth.secret_key(path) == first
    os.chmod(path, 0o644)
    assert auth.secret_key(path) == first and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    monkeypatch.setenv("DISPERSAL_SECRET_KEY", "k" * 40)
    assert auth.secret_key(path) == "k" * 40
