"""Single sign-on with the council's OpenID Connect provider (Microsoft Entra ID or any other).

The flow is the authorization code flow with PKCE (S256), through Authlib's
Flask client: a fresh ``state`` and ``nonce`` per sign-in, kept in the
session and used once (a replayed callback finds no state and is refused);
the ID token's signature is checked against the provider's JWKS, and its
issuer, audience (this app's client id), expiry and nonce are verified.
Discovery and the JWKS are fetched once per process and kept (the JWKS is
fetched again only for a key id it does not hold, i.e. after a key rotation).

Who may use the app is decided by :class:`Mapping`, read from a TOML file
(``oidc_mapping_file``): each value of the ID token's groups or roles claim
(``oidc_groups_claim``) that the council lists gives a role and an LA.
Someone whose claim matches nothing gets no access (never a default role);
signed-in users get a row in ``users`` keyed by ``sso_subject`` (``issuer|sub``),
created or refreshed from the mapping on every sign-in.
"""

from __future__ import annotations

import hashlib
import re
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import Engine

from app.config import Settings
from app.security import audit, limits
from app.security.roles import ROLES
from app.store import db, schema

_users = schema.users
SCOPES = "openid profile email"
#: Seconds of clock difference allowed between this server and the provider.
LEEWAY = 60
HTTP_TIMEOUT = 10
_RANK = {role: rank for rank, role in enumerate(reversed(ROLES))}  # member 0 ... admin 3
_NAME_CHARS = re.compile(r"[^a-z0-9._@-]")


class MappingError(ValueError):
    """The mapping file cannot be used; the message names the file and the entry."""


class NoAccess(Exception):
    """The provider signed the person in, but this app gives them no role. ``reason`` goes to the audit log."""

    def __init__(self, reason: str, username: str):
        super().__init__(reason)
        self.reason = reason
        self.username = username


@dataclass(frozen=True)
class Grant:
    role: str
    lad_code: str | None = None
    region_code: str | None = None


@dataclass(frozen=True)
class Mapping:
    """Claim value -> what it grants. A person in several mapped groups gets the highest role; two
    different areas at that role are refused as ambiguous rather than guessed."""

    rules: dict[str, Grant]

    def grant_for(self, values: list[str]) -> Grant | None:
        found = {self.rules[v] for v in values if v in self.rules}
        if not found:
            return None
        top = max(_RANK[g.role] for g in found)
        best = {g for g in found if _RANK[g.role] == top}
        if len(best) > 1:
            raise ValueError("the groups map to different areas for the same role")
        return best.pop()


def load_mapping(path: str | Path) -> Mapping:
    """Read the mapping file::

    [[mapping]]
    value = "2f6c1e1a-...-group-object-id"   # a value of the groups (or roles) claim
    role = "officer"                          # admin, regional, officer or member
    lad = "E06000002"                         # the LA (officer, member)
    # region = "E12000001"                    # or a region (regional, member)
    """
    from app.security.accounts import AccountError, _check_area

    path = Path(path)
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as error:
        raise MappingError(f"the single sign-on mapping file {path} cannot be read: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise MappingError(f"the single sign-on mapping file {path} is not valid TOML: {error}") from None
    entries = data.get("mapping", [])
    if not isinstance(entries, list):
        raise MappingError(f"{path}: 'mapping' must be a list of [[mapping]] tables")
    rules: dict[str, Grant] = {}
    for number, entry in enumerate(entries, start=1):
        where = f"{path}, mapping {number}"
        if not isinstance(entry, dict) or not isinstance(entry.get("value"), str) or not entry["value"]:
            raise MappingError(f'{where}: needs value = "<group or role as the provider sends it>"')
        unknown = set(entry) - {"value", "role", "lad", "region"}
        if unknown:
            raise MappingError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
        grant = Grant(str(entry.get("role", "")), entry.get("lad") or None, entry.get("region") or None)
        try:
            _check_area(grant.role, grant.lad_code, grant.region_code)
        except AccountError as error:
            raise MappingError(f"{where}: {error}") from None
        if entry["value"] in rules and rules[entry["value"]] != grant:
            raise MappingError(f"{where}: '{entry['value']}' is mapped twice, differently")
        rules[entry["value"]] = grant
    return Mapping(rules)


def enabled(settings: Settings) -> bool:
    return bool(settings.oidc_issuer)


def check_settings(settings: Settings) -> None:
    """Refuse to start with half a configuration (better than a sign-in page that fails later)."""
    if not enabled(settings):
        if not settings.local_accounts:
            raise MappingError(
                "local accounts are switched off but no single sign-on provider is set "
                "(DISPERSAL_OIDC_ISSUER): nobody could sign in"
            )
        return
    missing = [
        name for name in ("oidc_client_id", "oidc_client_secret", "oidc_mapping_file") if not getattr(settings, name)
    ]
    if missing:
        raise MappingError("single sign-on needs " + ", ".join(f"DISPERSAL_{m.upper()}" for m in missing))
    load_mapping(settings.oidc_mapping_file)


# ------------------------------------------------------------------ the Authlib client, one per configuration

_clients: dict[tuple[str, str, str], object] = {}
_lock = threading.Lock()


def client(settings: Settings):
    """The Authlib client for this configuration: made once, so discovery and the JWKS are fetched once."""
    from authlib.integrations.flask_client import FlaskIntegration, FlaskOAuth2App

    issuer = settings.oidc_issuer.rstrip("/")
    key = (issuer, settings.oidc_client_id, settings.oidc_client_secret)
    with _lock:
        if key not in _clients:
            name = "oidc" + hashlib.sha256("|".join(key).encode()).hexdigest()[:8]
            _clients[key] = FlaskOAuth2App(
                FlaskIntegration(name),
                name=name,
                client_id=settings.oidc_client_id,
                client_secret=settings.oidc_client_secret,
                server_metadata_url=f"{issuer}/.well-known/openid-configuration",
                client_kwargs={"scope": SCOPES, "code_challenge_method": "S256", "timeout": HTTP_TIMEOUT},
            )
        return _clients[key]


def metadata(settings: Settings) -> dict:
    """The provider's discovery document, refused when it names another issuer (a mix-up)."""
    meta = client(settings).load_server_metadata()
    if str(meta.get("issuer", "")).rstrip("/") != settings.oidc_issuer.rstrip("/"):
        raise NoAccess("the provider's discovery document names another issuer", "anonymous")
    return meta


def cached_metadata(settings: Settings) -> dict:
    """The discovery document if this process has fetched it (never a network call)."""
    return dict(getattr(client(settings), "server_metadata", None) or {})


def claims_options(settings: Settings) -> dict:
    issuer = metadata(settings)["issuer"]
    return {
        "iss": {"essential": True, "values": [issuer]},
        "sub": {"essential": True},
        "aud": {"essential": True, "values": [settings.oidc_client_id]},
        "exp": {"essential": True},
        "iat": {"essential": True},
        "nonce": {"essential": True},
    }


def claim_values(claims: dict, claim: str) -> list[str]:
    value = claims.get(claim)
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, (str, int))]
    return []


def subject(claims: dict) -> str:
    return f"{claims['iss']}|{claims['sub']}"


def display_name(claims: dict) -> str:
    """A user name for the audit log and the page header: the provider's user name or e-mail."""
    for key in ("preferred_username", "upn", "email"):
        value = claims.get(key)
        if isinstance(value, str) and value.strip():
            name = _NAME_CHARS.sub("-", limits.normalise_username(value))[:100]
            if len(name) >= 2:
                return name
    return "sso-" + hashlib.sha256(subject(claims).encode()).hexdigest()[:12]


# ------------------------------------------------------------------ the account behind a signed-in person


def sign_in(engine: Engine, claims: dict, settings: Settings, remote_addr: str | None):
    """The account for the verified ID-token ``claims``: created or refreshed from the mapping.
    Raises :class:`NoAccess` (audited) when the mapping gives the person no role."""
    from app.security.accounts import by_session_id

    name = display_name(claims)
    sso = subject(claims)
    values = claim_values(claims, settings.oidc_groups_claim)
    try:
        grant = load_mapping(settings.oidc_mapping_file).grant_for(values)
        reason = None if grant else f"no mapping for the '{settings.oidc_groups_claim}' claim"
    except ValueError as error:
        grant, reason = None, str(error)
    if grant is None:
        _revoke(engine, sso)
        audit.record(
            engine,
            name,
            audit.LOGIN_REFUSED,
            name,
            {"reason": reason, "via": "oidc", "claim_values": len(values)},
            remote_addr,
        )
        raise NoAccess(reason, name)
    now = audit.now()
    with db.writing(engine) as conn:
        row = conn.execute(sa.select(_users).where(_users.c.sso_subject == sso)).first()
        if row is None:
            taken = conn.execute(sa.select(_users.c.id).where(_users.c.username == name)).first()
            if taken:  # a local account or another person already has this name: keep them apart
                name = f"{name[:86]}-{hashlib.sha256(sso.encode()).hexdigest()[:12]}"
            conn.execute(
                _users.insert().values(
                    username=name,
                    password_hash=None,
                    role=grant.role,
                    lad_code=grant.lad_code,
                    region_code=grant.region_code,
                    sso_subject=sso,
                    auth_version=1,
                    created_at=now,
                    created_by="single sign-on",
                    last_login_at=now,
                )
            )
            audit.record(
                engine,
                "single sign-on",
                audit.USER_ADDED,
                name,
                {"role": grant.role, "lad_code": grant.lad_code, "region_code": grant.region_code, "via": "oidc"},
                conn=conn,
            )
        else:
            name = row.username
            changed = (row.role, row.lad_code, row.region_code) != (grant.role, grant.lad_code, grant.region_code)
            values_ = {
                "last_login_at": now,
                "role": grant.role,
                "lad_code": grant.lad_code,
                "region_code": grant.region_code,
            }
            if changed:  # the provider's groups changed: sessions under the old role end
                values_["auth_version"] = _users.c.auth_version + 1
            conn.execute(_users.update().where(_users.c.id == row.id).values(**values_))
        audit.record(engine, name, audit.LOGIN, name, {"via": "oidc", "role": grant.role}, remote_addr, conn=conn)
        row = conn.execute(sa.select(_users.c.id, _users.c.auth_version).where(_users.c.sso_subject == sso)).first()
    return by_session_id(engine, f"{row.id}.{row.auth_version}")


def _revoke(engine: Engine, sso: str) -> None:
    """A person who lost their mapping loses the sessions they still hold."""
    with db.writing(engine) as conn:
        conn.execute(_users.update().where(_users.c.sso_subject == sso).values(auth_version=_users.c.auth_version + 1))
