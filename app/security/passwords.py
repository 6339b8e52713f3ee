"""Password hashing: argon2id (RFC 9106), through ``argon2-cffi``.

Parameters are argon2-cffi's RFC 9106 "low memory" profile (t=3, m=64 MiB,
p=4): measured 0.25-0.4 s per hash or check on the 2-core development
machine, slow for an attacker with a stolen hash and quick enough for a
person (and 64 MiB per concurrent log-in). Hashes carry their parameters, so raising them later only needs
:func:`needs_rehash` on the next good login.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.profiles import RFC_9106_LOW_MEMORY

#: Shortest password accepted for an account (NCSC: length over complexity rules).
MIN_LENGTH = 12
MAX_LENGTH = 1024

_hasher = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)
#: A real hash of a random password, verified against when the user is unknown so that the
#: time taken does not tell whether an account exists.
_DUMMY = _hasher.hash("not a password: used to equalise timing for unknown users")


class WeakPassword(ValueError):
    """The password cannot be used; the message says why in plain words."""


def check_strength(password: str, username: str = "") -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"the password must be at least {MIN_LENGTH} characters long")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"the password must be at most {MAX_LENGTH} characters long")
    if username and username.lower() in password.lower():
        raise WeakPassword("the password must not contain the user name")
    if len(set(password)) < 5:
        raise WeakPassword("the password is too repetitive")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; with no stored hash, burns the same time and says no."""
    if len(password) > MAX_LENGTH:
        password = password[:MAX_LENGTH]
    if not stored_hash:
        _verify(_DUMMY, password)
        return False
    return _verify(stored_hash, password)


def _verify(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


def parameters() -> dict[str, int]:
    return {"time_cost": _hasher.time_cost, "memory_kib": _hasher.memory_cost, "parallelism": _hasher.parallelism}
