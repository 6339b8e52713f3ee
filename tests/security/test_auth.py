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
    cross_site = client.post(
        "/login",
        data={"username": "t-admin", "password": PASSWORD, "csrf_token": csrf_token(client)},
        headers={"Referer": "https://evil.example/login"},
    )
    assert cross_site.status_code == 400
    assert client.get("/_dash-layout").status_code == 401


def test_unknown_user_and_wrong_password_get_the_same_answer_in_similar_time(client):
    def attempt(name: str) -> tuple[int, str, float]:
        token = csrf_token(client)
        start = time.perf_counter()
        response = client.post(
            "/login",
            data={"username": name, "password": "wrong password 1", "csrf_token": token},
            headers={"Referer": "https://localhost/login"},
        )
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


def test_failures_slow_down_per_name_and_address_but_never_lock_out_the_right_password(
    client, secure_app, security_store, monkeypatch
):
    from app.security import limits

    monkeypatch.setattr(limits, "BASE_DELAY_S", 1.0)
    monkeypatch.setattr(limits, "MAX_DELAY_S", 2.0)
    engine = db.connect(security_store.url)
    accounts.add(engine, "t-slowme", PASSWORD, "regional", created_by="tests")
    for name in ("t-slowme", "t-nonexistent"):
        statuses = [do_login(client, name, "not the password!").status_code for _ in range(limits.FREE_FAILURES)]
        assert statuses == [401] * limits.FREE_FAILURES
        waiting = do_login(client, name, PASSWORD if name == "t-slowme" else "x")
        assert waiting.status_code == 429 and "Wait 1 seconds" in waiting.get_data(as_text=True)
        assert waiting.headers["Retry-After"] == "1"
    assert client.get("/_dash-layout").status_code == 401  # not while it must wait
    colleague = https_client(secure_app)  # the same name from another address: not slowed at all
    colleague.environ_base["REMOTE_ADDR"] = "10.77.0.1"
    assert do_login(colleague, "t-slowme").status_code == 302
    time.sleep(1.1)
    assert do_login(client, "t-slowme").status_code == 302  # a short wait and the right password opens it
    refused = audit.query(engine, what="t-slowme", action=audit.LOGIN_REFUSED)
    assert len(refused) == 1 and '"reason": "throttled"' in refused.iloc[0]["details"]
    assert refused.iloc[0]["remote_addr"] == client.environ_base["REMOTE_ADDR"]


def test_the_wait_grows_and_stops_at_a_minute():
    from app.security import limits

    waits = [limits.delay_after(n) for n in range(12)]
    assert waits[: limits.FREE_FAILURES] == [0.0] * limits.FREE_FAILURES
    assert waits == sorted(waits) and waits[limits.FREE_FAILURES + 1] == 2 * waits[limits.FREE_FAILURES]
    assert max(waits) == limits.MAX_DELAY_S == 60.0 and limits.delay_after(10_000) == 60.0


def test_failures_from_one_address_across_many_names_do_not_keep_others_out(client):
    """A council's NAT: someone spraying names from the shared address must not refuse a colleague."""
    for i in range(35):
        assert do_login(client, f"spray-{i}", "whatever password").status_code == 401
    assert do_login(client, "t-admin").status_code == 302


def test_head_on_login_neither_signs_in_nor_writes_audit_rows(client, security_store):
    engine = db.connect(security_store.url)
    before = len(audit.query(engine, what="t-admin", limit=None))
    response = client.open("/login", method="HEAD", data={"username": "t-admin", "password": PASSWORD})
    assert response.status_code == 200
    assert client.get("/_dash-layout").status_code == 401
    for _ in range(3):
        client.open("/login", method="HEAD")
    assert len(audit.query(engine, what="t-admin", limit=None)) == before
    assert audit.query(engine, action=audit.LOGIN_FAILED, what="", limit=None).empty


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
    assert (
        server.config["SESSION_COOKIE_SECURE"] is False and server.config["SESSION_COOKIE_NAME"] == "dispersal_session"
    )
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
    assert client.get("/logout").status_code == 200  # a GET (an <img> elsewhere) only offers the button
    assert client.get("/_dash-layout").status_code == 200
    assert client.post("/logout", headers={"Referer": "https://localhost/"}).status_code == 400  # no token
    assert client.get("/_dash-layout").status_code == 200
    page = client.get("/logout").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/logout", data={"csrf_token": token}, headers={"Referer": "https://localhost/"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
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


def test_no_session_protection_setting_that_does_nothing(client):
    """flask-login's "strong" mode only marks permanent sessions non-fresh, which nothing here reads: it is
    off, and a copied cookie is bounded by expiry and sign-out instead (test above)."""
    assert auth.login_manager.session_protection is None
