"""Settings: where the store is and the rules the dashboard encodes.

Defaults follow ``domain.md``; each can be overridden by environment
variable (``DISPERSAL_*``) or a TOML file named by ``DISPERSAL_CONFIG``.
Per-LA limit variations and allocations live in the store, not here.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "sqlite:///data/dispersal.sqlite"

#: Accommodation types, canonical spelling used across the project.
DISPERSAL = "dispersal"
INITIAL = "initial"
CONTINGENCY = "contingency"
SUBSISTENCE = "subsistence"
ACCOMMODATION_TYPES = (DISPERSAL, INITIAL, CONTINGENCY, SUBSISTENCE)


@dataclass(frozen=True)
class Settings:
    db_url: str = DEFAULT_DB
    #: residents per supported person: 200 means 1 per 200 (0.5 %).
    limit_ratio: float = 200.0
    #: share of the limit from which an area is "approaching".
    approaching: float = 0.8
    #: accommodation types counted against the limit.
    counted_types: tuple[str, ...] = (DISPERSAL,)
    #: support types counted (empty: every type, i.e. Section 95, 4 and 98 alike).
    counted_support_types: tuple[str, ...] = ()
    #: UASC threshold as a share of the child population (0.1 % since 24 Aug 2022).
    uasc_share: float = 0.001
    uasc_share_before_2022: float = 0.0007
    #: a suppressed count ("<5", "*") is loaded as this estimate, within [low, high].
    suppressed_estimate: float = 2.5
    suppressed_low: float = 1.0
    suppressed_high: float = 4.0
    #: population source year used as the denominator (None: the latest loaded).
    population_year: int | None = None
    reference_dir: Path = field(default_factory=lambda: ROOT.parent / "shared" / "reference")
    #: raster tile URL template for a street map under the choropleths (None: offline maps, the default).
    tile_url: str | None = None
    #: Single sign-on (OpenID Connect): the provider's issuer URL (empty: no single sign-on), this app's
    #: client id and secret at the provider, the ID-token claim listing the user's groups or app roles,
    #: and the TOML file mapping its values to a role and LA (README, "Single sign-on").
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = field(default="", repr=False)
    oidc_groups_claim: str = "groups"
    oidc_mapping_file: str = ""
    #: The callback address registered at the provider (empty: this server's own ``/login/oidc/callback``).
    oidc_redirect_uri: str = ""
    #: Whether user name and password accounts may sign in (switch off when everyone uses single sign-on).
    local_accounts: bool = True
    #: E-mail alerts after each load (README, "E-mail alerts"): the SMTP server (empty: no alerts are sent),
    #: its port, the sender address, an optional login (set the password by environment, not in a file),
    #: whether to upgrade the connection with STARTTLS, and how long to wait for the server (seconds).
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = ""
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_starttls: bool = False
    smtp_timeout: float = 10.0


def _coerce(name: str, raw: object, current: object) -> object:
    if isinstance(current, tuple):
        items = raw if isinstance(raw, list) else str(raw).split(",")
        return tuple(str(v).strip().lower() for v in items if str(v).strip())
    if isinstance(current, bool):
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            raise ValueError(f"setting {name} must be true or false, not {raw!r}")
        return text in ("1", "true", "yes", "on")
    if isinstance(current, int):
        return int(raw)
    if isinstance(current, Path):
        return Path(str(raw))
    if name == "population_year":
        return int(raw) if raw not in (None, "") else None
    if name == "tile_url":
        return str(raw) if raw not in (None, "") else None
    if isinstance(current, float):
        return float(raw)
    if isinstance(current, str) and name != "db_url":
        return str(raw)
    return raw


def load_settings(db_url: str | None = None, **overrides: object) -> Settings:
    """Settings from defaults, then ``DISPERSAL_CONFIG`` file, then environment, then arguments."""
    settings = Settings()
    values: dict[str, object] = {}
    config_file = os.environ.get("DISPERSAL_CONFIG")
    if config_file:
        with open(config_file, "rb") as fh:
            values.update(tomllib.load(fh))
    for f in fields(Settings):
        env = os.environ.get(f"DISPERSAL_{f.name.upper()}")
        if env is not None:
            values[f.name] = env
    if os.environ.get("DISPERSAL_DB"):
        values["db_url"] = os.environ["DISPERSAL_DB"]
    if db_url:
        values["db_url"] = db_url
    values.update({k: v for k, v in overrides.items() if v is not None})
    known = {f.name: getattr(settings, f.name) for f in fields(Settings)}
    unknown = set(values) - set(known)
    if unknown:
        raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
    return replace(settings, **{k: _coerce(k, v, known[k]) for k, v in values.items()})
