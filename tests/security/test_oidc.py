"""Single sign-on against a real OpenID Connect provider started here (tests/security/oidc_provider.py).

What is checked end to end, through the app's own routes: the code flow with PKCE, group -> role and LA
from the mapping file, the ``users`` row keyed by ``sso_subject``, no access (and an audit entry) for
someone the mapping does not name, and refusal of a tampered, expired, other-audience or replayed answer.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from app.config import load_settings
from app.security import audit, oidc
from app.store import db, schema
from tests.security import oidc_provider
from tests.security.conftest import PASSWORD, csrf_token, do_login, https_client

CLIENT_ID = "dispersal-test"


@pytest.fixture(scope="module")
def provider():
    with oidc_provider.running() as running:
        yield running


def write_mapping(path, las) -> str:
    path.write_text(f'''
[[mapping]]
value = "dm-admins"
role = "admin"

[[mapping]]
value = "officers-{las[0]}"
role = "officer"
lad = "{las[0]}"

[[mapping]]
value = "officers-{las[1]}"
role = "officer"
lad = "{las[1]}"

[[mapping]]
value = "councillors"
role = "member"
lad = "{las[0]}"
''')
    return str(path)


@pytest.fixture
def sso(client, secure_app, security_store, provider, tmp_path):
    """Point the app at the provider for this test (settings are read per request)."""
    config = secure_app.server.config
    before = config["DISPERSAL_SETTINGS"]

    def use(issuer: str = provider.issuer, **extra):
        config["DISPERSAL_SETTINGS"] = load_settings(
            security_store.url,
            oidc_issuer=issuer,
            oidc_client_id=CLIENT_ID,
            oidc_client_secret="s3cret",
            oidc_mapping_file=write_mapping(tmp_path / "sso.toml", security_store.las),
            **extra,
        )

    use()
    provider.recorder.rewrite = None
    try:
        yield use
    finally:
        provider.recorder.rewrite = None
        config["DISPERSAL_SETTINGS"] = before


def start(client, next_path: str = "/wards") -> str:
    response = client.get(f"/login/oidc?next={next_path}")
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def back(client, callback_url: str):
    parts = urlsplit(callback_url)
    assert parts.path == "/login/oidc/callback"
    return client.get(f"{parts.path}?{parts.query}")


def sign_in(client, provider, sub: str, next_path: str = "/wards"):
    return back(client, provider.approve(start(client, next_path), sub))


def user_row(security_store, sso_subject: str):
    engine = db.connect(security_store.url)
    with engine.connect() as conn:
        return conn.execute(sa.select(schema.users).where(schema.users.c.sso_subject == sso_subject)).all()


def test_sign_in_end_to_end_maps_groups_to_role_and_la(client, sso, provider, secure_app, security_store):
    la = security_store.las[0]
    provider.user("alice-sub", preferred_username="Alice.Officer@council.example", groups=[f"officers-{la}", "x"])
    authorize = start(client)
    query = parse_qs(urlsplit(authorize).query)
    assert query["client_id"] == [CLIENT_ID] and query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"] and query["state"][0] and query["nonce"][0]
    response = back(client, provider.approve(authorize, "alice-sub"))
    assert response.status_code == 302 and response.headers["Location"] == "/wards"
    assert provider.recorder.pkce_held()
    layout = client.get("/_dash-layout")
    assert layout.status_code == 200 and "alice.officer@council.example" in layout.get_data(as_text=True)
    rows = user_row(security_store, f"{provider.issuer}|alice-sub")
    assert len(rows) == 1
    assert (rows[0].role, rows[0].lad_code, rows[0].password_hash) == ("officer", la, None)
    engine = db.connect(security_store.url)
    entry = audit.query(engine, what="alice.officer@council.example", action=audit.LOGIN, limit=1).iloc[0]
    assert '"via": "oidc"' in entry["details"]
    # the provider's groups change: the same row follows them, and the session under the old role ends
    provider.user("alice-sub", preferred_username="Alice.Officer@council.example", groups=["dm-admins"])
    other = https_client(secure_app)
    other.environ_base["REMOTE_ADDR"] = "10.88.0.1"
    assert sign_in(other, provider, "alice-sub").status_code == 302
    rows = user_row(security_store, f"{provider.issuer}|alice-sub")
    assert len(rows) == 1 and rows[0].role == "admin" and rows[0].lad_code is None
    # discovery and the signing keys were fetched once for both sign-ins (and any earlier test's)
    assert provider.recorder.fetched["/.well-known/openid-configuration"] == 1
    assert provider.recorder.fetched["/jwks"] == 1
    assert client.get("/_dash-layout").status_code == 401
    assert other.get("/_dash-layout").status_code == 200


def test_a_person_the_mapping_does_not_name_gets_no_access(client, sso, provider, security_store):
    provider.user("bob-sub", preferred_username="bob@council.example", groups=["canteen", "car-park"])
    response = sign_in(client, provider, "bob-sub")
    assert response.status_code == 403
    text = response.get_data(as_text=True)
    assert "You do not have access" in text and "bob@council.example" in text
    assert client.get("/_dash-layout").status_code == 401
    assert user_row(security_store, f"{provider.issuer}|bob-sub") == []
    engine = db.connect(security_store.url)
    refused = audit.query(engine, what="bob@council.example", action=audit.LOGIN_REFUSED)
    assert len(refused) == 1 and "no mapping" in refused.iloc[0]["details"]
    provider.user("carol-sub", preferred_username="carol@council.example")  # no groups claim at all
    assert sign_in(client, provider, "carol-sub").status_code == 403


def test_two_areas_for_the_same_role_are_refused_not_guessed(client, sso, provider, security_store):
    las = security_store.las
    provider.user(
        "dan-sub", preferred_username="dan@council.example", groups=[f"officers-{las[0]}", f"officers-{las[1]}"]
    )
    assert sign_in(client, provider, "dan-sub").status_code == 403
    provider.user("dan-sub", preferred_username="dan@council.example", groups=[f"officers-{las[0]}", "councillors"])
    assert sign_in(client, provider, "dan-sub").status_code == 302  # the higher role of two wins
    assert user_row(security_store, f"{provider.issuer}|dan-sub")[0].role == "officer"


def _refused(client, security_store, response, reason: str) -> None:
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert "Sign-in did not complete" in response.get_data(as_text=True)
    assert client.get("/_dash-layout").status_code == 401
    engine = db.connect(security_store.url)
    failed = audit.query(engine, what="single sign-on", action=audit.LOGIN_FAILED, limit=1)
    assert reason in failed.iloc[0]["details"], failed.iloc[0]["details"]


def _segments(token: str) -> list[str]:
    return token.split(".")


def _claims(token: str) -> dict:
    payload = _segments(token)[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_a_tampered_token_is_refused(client, sso, provider, security_store):
    provider.user("eve-sub", preferred_username="eve@council.example", groups=["councillors"])

    def promote(token: str) -> str:  # the signature no longer matches the claims
        claims = _claims(token) | {"groups": ["dm-admins"]}
        body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        head, _, signature = _segments(token)
        return f"{head}.{body}.{signature}"

    provider.recorder.rewrite = promote
    _refused(client, security_store, sign_in(client, provider, "eve-sub"), "bad_signature")
    assert user_row(security_store, f"{provider.issuer}|eve-sub") == []

    def resign(token: str) -> str:  # a signature of the right shape that is not the provider's
        head, body, signature = _segments(token)
        return f"{head}.{body}.{signature[:-6]}{'AAAAAA' if signature[-6:] != 'AAAAAA' else 'BBBBBB'}"

    provider.recorder.rewrite = resign
    _refused(client, security_store, sign_in(client, provider, "eve-sub"), "bad_signature")


def test_a_token_for_another_app_is_refused(client, sso, provider, security_store):
    provider.user("fay-sub", preferred_username="fay@council.example", groups=["dm-admins"])
    # a genuine token from the same provider, for the same person and nonce, but minted for another app
    provider.recorder.rewrite = lambda token: provider.token_for("another-app", "fay-sub", _claims(token)["nonce"])
    _refused(client, security_store, sign_in(client, provider, "fay-sub"), "aud")


def test_an_expired_token_is_refused(client, sso, security_store):
    with oidc_provider.running(token_max_age=timedelta(minutes=-10)) as stale:
        sso(stale.issuer)
        stale.user("gus-sub", preferred_username="gus@council.example", groups=["dm-admins"])
        _refused(client, security_store, sign_in(client, stale, "gus-sub"), "exp")


def test_a_replayed_state_is_refused(client, sso, provider, secure_app, security_store):
    provider.user("hal-sub", preferred_username="hal@council.example", groups=["councillors"])
    callback_url = provider.approve(start(client), "hal-sub")
    assert back(client, callback_url).status_code == 302
    assert (
        client.post(
            "/logout", data={"csrf_token": _csrf(client)}, headers={"Referer": "https://localhost/"}
        ).status_code
        == 302
    )
    _refused(client, security_store, back(client, callback_url), "mismatching_state")
    stranger = https_client(secure_app)  # someone who copied the callback address
    stranger.environ_base["REMOTE_ADDR"] = "10.88.0.2"
    _refused(stranger, security_store, back(stranger, callback_url), "mismatching_state")
    # a callback for a state this browser never started (login CSRF) is refused the same way
    forged = provider.approve(start(stranger).replace("state=", "state=forged"), "hal-sub")
    _refused(client, security_store, back(client, forged), "mismatching_state")


def _csrf(client) -> str:
    import re

    page = client.get("/logout").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_sign_out_ends_the_session_and_goes_to_the_providers_end_session(client, sso, provider):
    provider.user("ivy-sub", preferred_username="ivy@council.example", groups=["councillors"])
    assert sign_in(client, provider, "ivy-sub").status_code == 302
    response = client.post("/logout", data={"csrf_token": _csrf(client)}, headers={"Referer": "https://localhost/"})
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{provider.issuer}/oauth2/end_session"
    query = parse_qs(target.query)
    assert query["client_id"] == [CLIENT_ID] and query["post_logout_redirect_uri"] == ["https://localhost/login"]
    assert client.get("/_dash-layout").status_code == 401


def test_local_accounts_can_be_switched_off(client, sso, secure_app):
    assert do_login(client, "t-admin").status_code == 302
    assert client.get("/_dash-layout").status_code == 200
    fresh = https_client(secure_app)
    fresh.environ_base["REMOTE_ADDR"] = "10.88.0.3"
    token = csrf_token(fresh)  # a form fetched before the switch
    sso(local_accounts=False)
    assert client.get("/_dash-layout").status_code == 401  # the password session ends with the setting
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/login/oidc"' in page and 'name="password"' not in page
    refused = fresh.post(
        "/login",
        data={"username": "t-admin", "password": PASSWORD, "csrf_token": token},
        headers={"Referer": "https://localhost/login"},
    )
    assert refused.status_code == 403 and "switched off" in refused.get_data(as_text=True)
    assert fresh.get("/_dash-layout").status_code == 401


def test_the_mapping_file_is_checked_and_names_the_entry(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[mapping]]\nvalue = "g"\nrole = "officer"\n')
    with pytest.raises(oidc.MappingError, match=r"bad.toml, mapping 1: an officer account needs an LA"):
        oidc.load_mapping(bad)
    bad.write_text('[[mapping]]\nvalue = "g"\nrole = "superuser"\n')
    with pytest.raises(oidc.MappingError, match="unknown role"):
        oidc.load_mapping(bad)
    with pytest.raises(oidc.MappingError, match="local accounts are switched off"):
        oidc.check_settings(load_settings(local_accounts=False))
    with pytest.raises(oidc.MappingError, match="DISPERSAL_OIDC_CLIENT_SECRET"):
        oidc.check_settings(
            load_settings(oidc_issuer="https://login.example", oidc_client_id="x", oidc_mapping_file=str(bad))
        )
