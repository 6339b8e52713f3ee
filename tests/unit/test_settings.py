"""Every setting is readable from the environment and from the TOML file, and documented in the README."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from app.config import Settings, load_settings
from app.readers.archive import ArchiveLimits

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
#: Modules that read ``DISPERSAL_<FIELD>`` for each field of a dataclass (f-strings the scan below cannot see).
FIELD_READERS = {"app/config.py": Settings, "app/readers/archive.py": ArchiveLimits, "app/security/oidc.py": Settings}
#: A value for each setting that differs from its default, as TOML text and as the loaded value.
SAMPLES = {
    "db_url": ('"sqlite:///elsewhere.sqlite"', "sqlite:///elsewhere.sqlite"),
    "limit_ratio": ("250.0", 250.0),
    "approaching": ("0.9", 0.9),
    "counted_types": ('["dispersal", "initial"]', ("dispersal", "initial")),
    "counted_support_types": ('["s95"]', ("s95",)),
    "uasc_share": ("0.002", 0.002),
    "uasc_share_before_2022": ("0.0008", 0.0008),
    "suppressed_estimate": ("3.0", 3.0),
    "suppressed_low": ("2.0", 2.0),
    "suppressed_high": ("4.5", 4.5),
    "population_year": ("2011", 2011),
    "reference_dir": ('"/tmp/reference"', Path("/tmp/reference")),
    "oidc_issuer": ('"https://login.example.org/tenant/v2.0"', "https://login.example.org/tenant/v2.0"),
    "oidc_client_id": ('"dispersal-monitor"', "dispersal-monitor"),
    "oidc_client_secret": ('"s3cret"', "s3cret"),
    "oidc_groups_claim": ('"roles"', "roles"),
    "oidc_mapping_file": ('"/etc/dispersal/mapping.toml"', "/etc/dispersal/mapping.toml"),
    "oidc_redirect_uri": ('"https://dm.example.org/login/oidc/callback"', "https://dm.example.org/login/oidc/callback"),
    "local_accounts": ("false", False),
    "smtp_host": ('"mail.example.org"', "mail.example.org"),
    "smtp_port": ("587", 587),
    "smtp_from": ('"dispersal-monitor@example.org"', "dispersal-monitor@example.org"),
    "smtp_user": ('"monitor"', "monitor"),
    "smtp_password": ('"app-password"', "app-password"),
    "smtp_starttls": ("true", True),
    "smtp_timeout": ("30.0", 30.0),
    "tile_url": ('"https://tiles.example.org/{z}/{x}/{y}.png"', "https://tiles.example.org/{z}/{x}/{y}.png"),
}


def _environment_variables() -> set[str]:
    names = set()
    for path in sorted((ROOT / "app").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r"environ(?:\.get\(|\[)\s*[\"'](DISPERSAL_[A-Z0-9_]+)", text))
        relative = path.relative_to(ROOT).as_posix()
        if 'f"DISPERSAL_{' in text:
            assert relative in FIELD_READERS, f"{relative} reads DISPERSAL_<field> variables: add it to FIELD_READERS"
    for cls in FIELD_READERS.values():
        names |= {f"DISPERSAL_{f.name.upper()}" for f in fields(cls)}
    return names


def test_every_setting_has_a_sample_here():
    assert set(SAMPLES) == {f.name for f in fields(Settings)}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_setting_is_read_from_the_toml_file(name, tmp_path, monkeypatch):
    for f in fields(Settings):
        monkeypatch.delenv(f"DISPERSAL_{f.name.upper()}", raising=False)
    monkeypatch.delenv("DISPERSAL_DB", raising=False)
    config = tmp_path / "dispersal.toml"
    config.write_text(f"{name} = {SAMPLES[name][0]}\n", encoding="utf-8")
    monkeypatch.setenv("DISPERSAL_CONFIG", str(config))
    settings = load_settings()
    assert getattr(settings, name) == SAMPLES[name][1] != getattr(Settings(), name)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_setting_is_read_from_the_environment(name, monkeypatch):
    monkeypatch.delenv("DISPERSAL_CONFIG", raising=False)
    monkeypatch.delenv("DISPERSAL_DB", raising=False)
    raw = SAMPLES[name][0].strip('"')
    if raw.startswith("["):
        raw = ",".join(v.strip(' "') for v in raw.strip("[]").split(","))
    monkeypatch.setenv(f"DISPERSAL_{name.upper()}", raw)
    assert getattr(load_settings(), name) == SAMPLES[name][1]


def test_every_setting_and_environment_variable_is_in_the_readme():
    undocumented = [f.name for f in fields(Settings) if f"`{f.name}`" not in README]
    undocumented += sorted(v for v in _environment_variables() if v not in README)
    assert len(_environment_variables()) > 20
    assert not undocumented, f"document these in the README's Settings section: {undocumented}"


def test_secrets_never_appear_when_settings_are_printed_or_logged():
    from app.config import Settings

    settings = Settings(oidc_client_secret="s3cret-client", smtp_password="s3cret-mail")
    assert "s3cret" not in repr(settings) and "s3cret" not in str(settings)
    assert settings.smtp_password == "s3cret-mail"
